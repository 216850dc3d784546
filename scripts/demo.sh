#!/usr/bin/env bash
# `make demo`: starts the AWS emulator (or reuses it), brings up the staging stack on it with
# the debug build of macroctl, shows its status, and leaves the emulator running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="$ROOT/target/debug/macroctl"
STATE_DIR="$ROOT/.demo-state"
[[ -x "$BIN" ]] || { echo "demo.sh: $BIN not found: run 'make build'" >&2; exit 1; }

ADDRESS="$(scripts/emulator.sh start)"

unset AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL="$ADDRESS"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1

echo "==> macroctl up --env staging --yes   (emulator at $ADDRESS)"
"$BIN" up --env staging --yes --state-dir "$STATE_DIR"
echo
echo "==> macroctl status --env staging"
"$BIN" status --env staging --state-dir "$STATE_DIR"

cat <<MSG

The emulator is still running at $ADDRESS so you can look around, e.g.:

  export AWS_ENDPOINT_URL=$ADDRESS AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  target/debug/macroctl status --env staging --state-dir .demo-state

Stop it with: make emulator-stop
MSG
