#!/usr/bin/env python3
"""`make bench`: how fast macroctl is, every figure side by side from one run.

Why: "macroctl is slow" has several causes that need different fixes: too many AWS calls,
calls made one after another that could overlap, waits longer than the resources take, or a
slow process start. Each figure here isolates one of them, measured the same way every time
against the same emulator, so that a change to ``src/`` can be judged by comparing two runs
(docs/performance.md keeps the results and explains each figure).

What it measures (timings for a 2-CPU machine):

* No-op ``up`` (about 35 s): ``staging`` and ``prod`` are brought up once, then ``up`` runs
  again with nothing to change while every AWS call takes 50 ms (the emulator's
  ``latency_ms``), with the default parallelism and with ``--parallelism 1``: API calls,
  writes, wall time (median of 3) and the ratio of the two times.
* Calls per resource: the no-op calls divided by the resources in the plan, against
  Terraform's floor of one read per resource.
* Start-up (about 5 s): ``macroctl --version`` (median of 20) and ``plan`` from process
  start to its first AWS call (the emulator's ``first_request_at``, median of 5).
* Fresh ``up`` makespan (about 45 s): ``staging`` on a new emulator whose NAT gateway, RDS
  instance and ElastiCache group take 30 s to create and the ALB 10 s, against the critical
  path of the plan's graph (each resource weighted by its kind's creation time).
* Fresh ``up --parallelism 1`` (about 2 min; ``--quick`` skips it): a sequential script's
  time, for the speed-up parallelism buys.

How: the realistic emulator (``tests/emulator/launcher.py``, moto) is started on free
loopback ports by this script and stopped by its own PID, never by name. A private copy of
``target/release/macroctl`` (what users run; ``--binary`` for another), so that a rebuild
meanwhile cannot mix two builds in one report, talks to it with static test credentials, no AWS profile, a temporary ``--state-dir`` and
``--envs-dir envs``. Wall times are measured around the whole process. A target not met is
reported, not an error: the exit code is 0 unless a run of macroctl (or the emulator)
fails, which exits 1 with its stderr.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# What users run (`cargo install`, `cargo build --release`); `--binary` measures another.
RELEASE_BINARY = ROOT / "target" / "release" / "macroctl"
ENVS_DIR = ROOT / "envs"
LAUNCHER = ROOT / "tests" / "emulator" / "launcher.py"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

NOOP_ENVS = ("staging", "prod")
FRESH_ENV = "staging"
LATENCY_MS = 50
TIMED_REPEATS = 3
VERSION_RUNS = 20
PLAN_STARTUP_RUNS = 5
# The fresh emulator's creation times (launcher kinds), and the plan kinds they weigh.
CREATE_SECONDS = {"nat": 30, "rds": 30, "elasticache": 30, "alb": 10}
KIND_SECONDS = {
    "ec2:nat-gateway": CREATE_SECONDS["nat"],
    "rds:db-instance": CREATE_SECONDS["rds"],
    "elasticache:replication-group": CREATE_SECONDS["elasticache"],
    "elbv2:load-balancer": CREATE_SECONDS["alb"],
}
# Targets (docs/performance.md says why these).
NOOP_CALLS_TARGET = {"staging": 30, "prod": 40}
NOOP_SECONDS_TARGET = {"staging": 0.4}
MAKESPAN_RATIO_TARGET = 1.10
STARTUP_MS_TARGET = 20.0
TERRAFORM_READS_PER_RESOURCE = 1.0

EMULATOR_START_SECONDS = 30
PORT_ATTEMPTS = 5


class BenchError(Exception):
    """A broken run: macroctl or the emulator failed; the message says which and why."""


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """The realistic emulator on a free loopback port, for a ``with`` block: started by this
    process, stopped by its own PID when the block ends."""

    def __init__(self, workdir: Path, create_seconds: dict[str, float] | None = None):
        self.workdir = workdir
        self.create_seconds = create_seconds or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = workdir / "emulator.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Emulator:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            if self.spawn_and_wait():
                return self
        raise BenchError(f"the emulator found no free port\n{self.log_tail()}")

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MACROCTL_EMULATOR_")}
        env.pop("MOTO_PORT", None)
        env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        kinds = ",".join(f"{kind}={s}" for kind, s in self.create_seconds.items())
        env["MACROCTL_EMULATOR_CREATE_SECONDS"] = kinds
        return env

    def spawn_and_wait(self) -> bool:
        """Starts the emulator; True once it answers, False if its port was taken."""
        command = [str(VENV_PYTHON), str(LAUNCHER), "--host", "127.0.0.1"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command + ["--port", str(self.port)],
                env=self.environment(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + EMULATOR_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "Address already in use" in self.log_tail():
                    return False
                raise BenchError(f"the emulator exited during start-up\n{self.log_tail()}")
            if self.is_ready():
                return True
            time.sleep(0.2)
        self.stop()
        raise BenchError(
            f"the emulator did not answer within {EMULATOR_START_SECONDS} s\n{self.log_tail()}"
        )

    def is_ready(self) -> bool:
        """Our own server (its log names our address) answers the control endpoint."""
        if f"Running on {self.endpoint}" not in self.log_tail():
            return False
        try:
            self.faults("GET")
            return True
        except (OSError, BenchError):
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def faults(self, method: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
        """One call to the fault control endpoint (see launcher.py's docstring)."""
        body = None if config is None else json.dumps(config).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/_macroctl/faults", data=body, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            raise BenchError(f"{method} /_macroctl/faults: HTTP {e.code} {e.read()!r}") from None


# ---------------------------------------------------------------------------------------------
# macroctl
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    stdout: str
    started_at: float  # Unix seconds, just before the process was started


def macroctl_environment(endpoint: str | None) -> dict[str, str]:
    """The caller's environment without AWS or macroctl settings, plus the emulator's: no
    profile or AWS config file is read, so nothing but the emulator is involved."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "MACROCTL_")) and k != "RUST_LOG"
    }
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    if endpoint is not None:
        env.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
        )
    return env


class Macroctl:
    """The binary pointed at one emulator, with its own state directory."""

    def __init__(self, binary: Path, endpoint: str | None, state_dir: Path):
        self.binary = binary
        self.env = macroctl_environment(endpoint)
        self.state_dir = state_dir

    def run(self, *args: str, dirs: bool = True) -> Run:
        command = [str(self.binary), *args]
        if dirs:
            command += ["--state-dir", str(self.state_dir), "--envs-dir", str(ENVS_DIR)]
        started_at = time.time()
        start = time.perf_counter()
        done = subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            shown = " ".join(["macroctl", *args])
            raise BenchError(f"`{shown}` exited {done.returncode}:\n{done.stderr.strip()}")
        return Run(seconds, done.stdout, started_at)

    def document(self, *args: str) -> tuple[Run, dict[str, Any]]:
        """A run with ``--output json``, and the JSON document it printed."""
        run = self.run(*args, "--output", "json")
        try:
            return run, json.loads(run.stdout)
        except ValueError as e:
            raise BenchError(f"`macroctl {' '.join(args)}` printed no JSON document: {e}") from None


def api_calls(document: dict[str, Any]) -> tuple[int, int]:
    """(calls, writes) from an ``up``/``plan`` JSON document's ``api_calls``."""
    counts = document["api_calls"]
    return counts["reads"] + counts["writes"], counts["writes"]


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One row of the results: a value, and its target if it has one."""

    figure: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None

    def shown(self) -> str:
        if self.unit == "s":
            return f"{self.value:.2f} s"
        if self.unit == "ms":
            return f"{self.value:.1f} ms"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        if self.unit == "calls":
            return f"{self.value:g}"
        if self.unit == "ratio":
            return f"{self.value:.2f}"
        return f"{self.value:g} {self.unit}".strip()


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        progress(f"{figure.figure}: {figure.shown()}")


def at_most(value: float, limit: float, shown: str) -> tuple[str, bool]:
    """(target text, met?) for an upper bound."""
    return f"<= {shown}", value <= limit


def up_args(env: str, parallelism: int | None) -> list[str]:
    args = ["up", "--env", env, "--yes"]
    return args if parallelism is None else args + ["--parallelism", str(parallelism)]


@dataclass
class Series:
    """TIMED_REPEATS runs of one command: the median wall time, the calls it made."""

    seconds: float
    calls: int
    writes: int
    all_seconds: list[float]
    all_calls: list[int]
    by_operation: dict[str, int]


def noop_series(macroctl: Macroctl, env: str, parallelism: int | None) -> Series:
    """``up`` of a converged env, TIMED_REPEATS times; it must change nothing."""
    args = up_args(env, parallelism)
    runs = [macroctl.document(*args) for _ in range(TIMED_REPEATS)]
    if any(document.get("changed") for _, document in runs):
        raise BenchError(f"`macroctl {' '.join(args)}` changed a converged environment")
    counts = [api_calls(document) for _, document in runs]
    seconds = [run.seconds for run, _ in runs]
    return Series(
        seconds=statistics.median(seconds),
        calls=int(statistics.median(calls for calls, _ in counts)),
        writes=max(writes for _, writes in counts),
        all_seconds=[round(s, 3) for s in seconds],
        all_calls=[calls for calls, _ in counts],
        by_operation=runs[0][1]["api_calls"]["by_operation"],
    )


def default_parallelism(macroctl: Macroctl) -> str:
    """macroctl's default ``--parallelism``, as its ``up --help`` states it."""
    flag = macroctl.run("up", "--help", dirs=False).stdout.partition("--parallelism")[2]
    return flag.partition("[default: ")[2].partition("]")[0] or "?"


def measure_noop(results: Results, emulator: Emulator, macroctl: Macroctl) -> None:
    """No-op ``up`` of each env at LATENCY_MS per call, and its calls per resource."""
    resources = {}
    for env in NOOP_ENVS:
        progress(f"bringing {env} up (no latency)")
        _, document = macroctl.document(*up_args(env, None))
        resources[env] = len(document["plan"])
    emulator.faults("POST", {"latency_ms": LATENCY_MS})
    parallelism = default_parallelism(macroctl)
    for env in NOOP_ENVS:
        progress(f"no-op up of {env} at {LATENCY_MS} ms per call, {TIMED_REPEATS} times each")
        default, sequential = noop_series(macroctl, env, None), noop_series(macroctl, env, 1)
        results.details[f"noop_{env}"] = {
            "resources": resources[env],
            "default_parallelism": parallelism,
            "default": asdict(default),
            "parallelism_1": asdict(sequential),
        }
        add_calls_figures(results, env, default, resources[env])
        add_time_figures(results, env, parallelism, default, sequential)
    emulator.faults("DELETE")


def add_calls_figures(results: Results, env: str, default: Series, resources: int) -> None:
    """API calls and writes of a no-op, and calls per resource against Terraform's."""
    name, limit = f"no-op up {env}", NOOP_CALLS_TARGET[env]
    target, met = at_most(default.calls, limit, str(limit))
    results.add(Figure(f"{name}: API calls", default.calls, "calls", target, met))
    results.add(Figure(f"{name}: writes", default.writes, "calls", "= 0", default.writes == 0))
    figure = f"{name}: API calls per resource ({resources} resources)"
    reference = f"Terraform >= {TERRAFORM_READS_PER_RESOURCE:.2f}"
    results.add(Figure(figure, default.calls / resources, "ratio", reference))


def add_time_figures(
    results: Results, env: str, parallelism: str, default: Series, sequential: Series
) -> None:
    """Wall times of a no-op with the default parallelism and with 1, and their ratio."""
    name, limit = f"no-op up {env}", NOOP_SECONDS_TARGET.get(env)
    target, met = "", None
    if limit is not None:
        target, met = at_most(default.seconds, limit, f"{limit:.2f} s")
    per_call = f"{LATENCY_MS} ms/call"
    figure = f"{name}: wall time, default parallelism ({parallelism}), {per_call}"
    results.add(Figure(figure, default.seconds, "s", target, met))
    figure = f"{name}: wall time, --parallelism 1, {per_call}"
    results.add(Figure(figure, sequential.seconds, "s"))
    ratio = sequential.seconds / default.seconds
    results.add(Figure(f"{name}: --parallelism 1 / default", ratio, "x"))


def measure_version_startup(results: Results, macroctl: Macroctl) -> None:
    """The whole run of ``macroctl --version``: process start, argument parsing, exit."""
    progress(f"macroctl --version, {VERSION_RUNS} times")
    runs = [macroctl.run("--version", dirs=False) for _ in range(VERSION_RUNS)]
    milliseconds = statistics.median(run.seconds for run in runs) * 1000
    results.details["version_startup_ms"] = [round(run.seconds * 1000, 2) for run in runs]
    target, met = f"< {STARTUP_MS_TARGET:g} ms", milliseconds < STARTUP_MS_TARGET
    results.add(Figure("start-up: macroctl --version wall time", milliseconds, "ms", target, met))


def measure_plan_startup(results: Results, emulator: Emulator, macroctl: Macroctl) -> None:
    """Process start to the first AWS call the emulator sees, for ``plan``."""
    progress(f"plan start-up, {PLAN_STARTUP_RUNS} times")
    delays = []
    for _ in range(PLAN_STARTUP_RUNS):
        emulator.faults("DELETE")  # forgets first_request_at
        run = macroctl.run("plan", "--env", NOOP_ENVS[0])
        first = emulator.faults("GET")["first_request_at"]
        if first is None:
            raise BenchError("plan made no AWS call the emulator saw")
        delays.append((first - run.started_at) * 1000)
    milliseconds = statistics.median(delays)
    results.details["plan_startup_ms"] = [round(d, 2) for d in delays]
    target, met = f"< {STARTUP_MS_TARGET:g} ms", milliseconds < STARTUP_MS_TARGET
    figure = "start-up: plan, process start to first AWS call"
    results.add(Figure(figure, milliseconds, "ms", target, met))


def critical_path(resources: list[dict[str, Any]]) -> tuple[float, list[str]]:
    """The longest path through the plan's graph, each resource weighted by its kind's
    creation time (KIND_SECONDS, else 0): (seconds, resource ids from first to last)."""
    nodes = {r["id"]: r for r in resources}
    longest: dict[str, tuple[float, list[str]]] = {}

    def through(node: str) -> tuple[float, list[str]]:
        if node not in longest:
            before = [through(d) for d in nodes[node]["depends_on"] if d in nodes]
            seconds, path = max(before, default=(0.0, []), key=lambda b: b[0])
            weight = KIND_SECONDS.get(nodes[node]["kind"], 0)
            longest[node] = (seconds + weight, path + [node])
        return longest[node]

    # Of equally long paths, the one with the most resources (it runs to the end).
    return max((through(node) for node in nodes), key=lambda b: (b[0], len(b[1])))


def fresh_up(
    binary: Path, workdir: Path, parallelism: int | None
) -> tuple[float, list[dict[str, Any]]]:
    """``up`` of FRESH_ENV on a new emulator with CREATE_SECONDS: (wall seconds, its plan).
    A ``plan`` first warms the emulator up (moto builds each service's backend on its
    first call) and gives the graph."""
    with Emulator(workdir, CREATE_SECONDS) as emulator:
        macroctl = Macroctl(binary, emulator.endpoint, workdir / "state")
        _, plan = macroctl.document("plan", "--env", FRESH_ENV)
        run, _ = macroctl.document(*up_args(FRESH_ENV, parallelism))
        return run.seconds, plan["resources"]


def measure_fresh(results: Results, binary: Path, workdir: Path, quick: bool) -> None:
    """Fresh ``up`` makespan against the critical path, and (unless quick) sequentially."""
    creation = ", ".join(f"{kind} {s} s" for kind, s in CREATE_SECONDS.items())
    progress(f"fresh up of {FRESH_ENV} (creation times: {creation})")
    makespan, resources = fresh_up(binary, workdir / "fresh-default", None)
    path_seconds, path = critical_path(resources)
    results.details["fresh"] = {
        "create_seconds": CREATE_SECONDS,
        "critical_path": path,
        "sum_of_creation_seconds": sum(KIND_SECONDS.get(r["kind"], 0) for r in resources),
    }
    results.add(Figure(f"fresh up {FRESH_ENV}: critical path", path_seconds, "s"))
    limit = MAKESPAN_RATIO_TARGET * path_seconds
    target, met = at_most(makespan, limit, f"{limit:.2f} s")
    results.add(Figure(f"fresh up {FRESH_ENV}: makespan", makespan, "s", target, met))
    ratio = makespan / path_seconds
    target, met = at_most(ratio, MAKESPAN_RATIO_TARGET, f"{MAKESPAN_RATIO_TARGET:.2f}")
    results.add(Figure(f"fresh up {FRESH_ENV}: makespan / critical path", ratio, "x", target, met))
    if quick:
        return
    progress(f"fresh up of {FRESH_ENV} with --parallelism 1 (a few minutes)")
    sequential, _ = fresh_up(binary, workdir / "fresh-sequential", 1)
    results.add(Figure(f"fresh up {FRESH_ENV}: wall time, --parallelism 1", sequential, "s"))
    ratio = sequential / makespan
    results.add(Figure(f"fresh up {FRESH_ENV}: --parallelism 1 / default", ratio, "x"))


def measure_all(binary: Path, workdir: Path, quick: bool) -> Results:
    results = Results()
    part_seconds = results.details["part_seconds"] = {}
    start = time.monotonic()
    with Emulator(workdir / "noop") as emulator:
        macroctl = Macroctl(binary, emulator.endpoint, workdir / "noop" / "state")
        measure_noop(results, emulator, macroctl)
        part_seconds["noop"] = round(time.monotonic() - start, 1)
        start = time.monotonic()
        measure_version_startup(results, macroctl)
        measure_plan_startup(results, emulator, macroctl)
    part_seconds["startup"] = round(time.monotonic() - start, 1)
    start = time.monotonic()
    measure_fresh(results, binary, workdir, quick)
    part_seconds["fresh"] = round(time.monotonic() - start, 1)
    return results


# ---------------------------------------------------------------------------------------------
# What was measured, and the report
# ---------------------------------------------------------------------------------------------


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def copy_binary(binary: Path, workdir: Path) -> Path:
    """A private copy of the binary measured: another build may replace it while this runs
    (minutes), and every figure must come from the same one."""
    copy = workdir / "macroctl"
    shutil.copy2(binary, copy)
    return copy


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def provenance(binary: Path, measured: Path) -> dict[str, Any]:
    """What was measured: the commit, whether the sources differ from it, the binary."""
    version = Macroctl(binary, None, binary.parent).run("--version", dirs=False).stdout.strip()
    sources = ("src", "Cargo.toml", "Cargo.lock", "build.rs")
    changed = git("diff", "--name-only", "HEAD", "--", *sources).splitlines()
    changed += git("ls-files", "--others", "--exclude-standard", "--", *sources).splitlines()
    built = datetime.datetime.fromtimestamp(binary.stat().st_mtime).astimezone()
    now = datetime.datetime.now().astimezone()
    return {
        "measured_at": now.isoformat(timespec="seconds"),
        "commit": git("rev-parse", "HEAD"),
        "sources_differ_from_commit": bool(changed),
        "uncommitted_source_files": changed,
        "binary": os.path.relpath(measured, ROOT),
        "binary_sha256": sha256(binary),
        "binary_version": version,
        "binary_built_at": built.isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "met?")]
    for f in figures:
        met = "-" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.figure, f.shown(), f.target or "-", met))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(results: Results, about: dict[str, Any], json_path: Path) -> None:
    dirty = " + uncommitted changes" if about["sources_differ_from_commit"] else ""
    print(
        f"macroctl bench, {about['measured_at']}: {about['binary_version']}, commit"
        f" {about['commit'][:12]}{dirty}, binary built {about['binary_built_at']}"
        f" (sha256 {about['binary_sha256'][:12]}), load {about['load_average_at_start'][0]}"
        f" -> {about['load_average_at_end'][0]} on {about['cpus']} CPUs"
    )
    print(table(results.figures))
    document = {
        **about,
        "figures": [asdict(f) for f in results.figures],
        "details": results.details,
    }
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"(written to {json_path})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="How fast macroctl is: every figure side by side from one run.",
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the sequential fresh up (--parallelism 1, about 2 min)",
    )
    parser.add_argument(
        "--binary",
        type=Path,
        default=RELEASE_BINARY,
        metavar="PATH",
        help="the macroctl binary to measure (default: target/release/macroctl, what users"
        " run; target/debug/macroctl starts about 70 ms slower)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "bench.json",
        metavar="PATH",
        help="where to write the figures as JSON (default: bench.json at the repo root)",
    )
    return parser.parse_args(argv)


def check_prerequisites(binary: Path) -> None:
    fix = "cargo build --release" if binary == RELEASE_BINARY else "build it"
    for path, fix in ((binary, fix), (VENV_PYTHON, "make venv")):
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} not found: run `{fix}` (or `make bench`)")


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the emulators are stopped on the way out."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    try:
        check_prerequisites(args.binary)
        with tempfile.TemporaryDirectory(prefix="macroctl-bench-") as workdir:
            binary = copy_binary(args.binary, Path(workdir))
            about = provenance(binary, args.binary)
            results = measure_all(binary, Path(workdir), args.quick)
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    # Other work may load the CPUs meanwhile: the load average says how much.
    about["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    report(results, about, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
