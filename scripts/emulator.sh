#!/usr/bin/env bash
# Runs the AWS emulator (moto's server) in the background on a free loopback port.
#
#   scripts/emulator.sh start     start it (or reuse the running one); prints its address
#   scripts/emulator.sh stop      stop it (a no-op when it is not running)
#   scripts/emulator.sh address   print the address of the running emulator
#
# By default this runs the realistic emulator, tests/emulator/launcher.py (moto extended with
# creation delays and ECS rollouts; see its docstring), with
# MACROCTL_EMULATOR_CREATE_SECONDS defaulting to rds=4,elasticache=4,nat=2,alb=2 (the other
# MACROCTL_EMULATOR_* variables are passed through). EMULATOR=plain runs plain moto_server
# (everything available at once, no ECS rollouts) instead:
#
#   EMULATOR=plain scripts/emulator.sh start
#
# State lives in .emulator/ at the repo root: pid, address, moto.log.
# The process is only ever stopped by its own PID, never by name.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STATE_DIR="$ROOT/.emulator"
PID_FILE="$STATE_DIR/pid"
ADDRESS_FILE="$STATE_DIR/address"
LOG_FILE="$STATE_DIR/moto.log"
VENV="$ROOT/.venv"

# The emulator command, run as "${EMULATOR_CMD[@]}" "$PORT_FLAG" PORT.
case "${EMULATOR:-realistic}" in
realistic)
    EMULATOR_CMD=("$VENV/bin/python" "$ROOT/tests/emulator/launcher.py" --host 127.0.0.1)
    PORT_FLAG=--port
    export MACROCTL_EMULATOR_CREATE_SECONDS="${MACROCTL_EMULATOR_CREATE_SECONDS-rds=4,elasticache=4,nat=2,alb=2}"
    ;;
plain)
    EMULATOR_CMD=("$VENV/bin/moto_server" -H 127.0.0.1)
    PORT_FLAG=-p
    ;;
*)
    echo "emulator.sh: EMULATOR must be 'realistic' (the default) or 'plain', not '$EMULATOR'" >&2
    exit 2
    ;;
esac

START_TIMEOUT_SECS=30

die() {
    echo "emulator.sh: $*" >&2
    exit 1
}

# Prints the PID from the pid file if that process is alive and is a moto emulator (plain
# moto_server or tests/emulator/launcher.py).
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(<"$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled PID: the command line must mention moto or the launcher.
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -e moto -e tests/emulator/launcher.py || return 1
    echo "$pid"
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Succeeds when the emulator answers HTTP at all (any status code).
answers_http() {
    python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1] + "/moto-api/data.json", timeout=2)
except urllib.error.HTTPError:
    pass  # an HTTP error status still means the server is up
except Exception:
    sys.exit(1)
PY
}

cmd_start() {
    local pid
    if pid="$(running_pid)"; then
        [[ -f "$ADDRESS_FILE" ]] || die "emulator (pid $pid) is running but $ADDRESS_FILE is missing"
        cat "$ADDRESS_FILE"
        return 0
    fi
    [[ -x "${EMULATOR_CMD[0]}" ]] || die "${EMULATOR_CMD[0]} not found: run 'make .venv/.stamp' first"

    rm -f "$PID_FILE" "$ADDRESS_FILE"
    mkdir -p "$STATE_DIR"
    local port address
    port="$(free_port)"
    address="http://127.0.0.1:$port"

    MOTO_IAM_LOAD_MANAGED_POLICIES=true \
        nohup "${EMULATOR_CMD[@]}" "$PORT_FLAG" "$port" >"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"

    local deadline=$((SECONDS + START_TIMEOUT_SECS))
    # Ready once *our* server has bound the port (werkzeug logs "Running on ADDRESS") and
    # answers HTTP.
    until grep -qF "Running on $address" "$LOG_FILE" && answers_http "$address"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            echo "--- $LOG_FILE ---" >&2
            tail -n 30 "$LOG_FILE" >&2 || true
            die "emulator exited during startup"
        fi
        if ((SECONDS >= deadline)); then
            kill "$pid" 2>/dev/null || true
            rm -f "$PID_FILE"
            echo "--- $LOG_FILE ---" >&2
            tail -n 30 "$LOG_FILE" >&2 || true
            die "emulator did not answer on $address within ${START_TIMEOUT_SECS}s"
        fi
        sleep 0.2
    done
    echo "$address" >"$ADDRESS_FILE"
    echo "$address"
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE" "$ADDRESS_FILE"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$PID_FILE" "$ADDRESS_FILE"
    echo "emulator (pid $pid) stopped"
}

cmd_address() {
    running_pid >/dev/null || die "the emulator is not running: start it with 'make emulator-start'"
    [[ -f "$ADDRESS_FILE" ]] || die "the emulator is running but $ADDRESS_FILE is missing"
    cat "$ADDRESS_FILE"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
address) cmd_address ;;
*)
    echo "usage: $0 {start|stop|address}" >&2
    exit 2
    ;;
esac
