"""One-off ECS tasks (RunTask, not a service's) that behave as on AWS, for ``macroctl run``.

moto 5.2.5 makes a RunTask task ``RUNNING`` at once (its state manager then jumps it to
``STOPPED`` on the next read), its container always has ``exitCode`` 0, and nothing reaches
CloudWatch Logs. Here a task started by RunTask:

* goes ``PROVISIONING`` → ``PENDING`` → ``RUNNING`` over its first second, then runs its
  command, then is ``STOPPED`` with ``stopCode`` ``EssentialContainerExited``, the app
  container's ``exitCode`` and ``stoppedReason`` "Essential container in task exited";
* runs a *command* the emulator understands: the container override's ``command`` (else the
  container definition's), ``sh -c SCRIPT`` or a plain argv. The script's statements
  (separated by ``;``, ``&&`` or new lines) are ``echo TEXT`` (a log line), ``sleep SECONDS``
  (later lines and the stop come that much later), ``exit CODE`` (the exit code; the rest is
  not run), ``psql ... -c SQL`` (the line psql would print for ``CREATE EXTENSION``), and
  anything else (runs, prints nothing, succeeds);
* writes each log line, when its time comes, to the stream the awslogs driver would use:
  ``<awslogs-stream-prefix>/<container name>/<task id>`` in ``awslogs-group`` (created then,
  as the driver does), so a reader polling GetLogEvents sees the lines appear in order;
* with an image matching ``MACROCTL_EMULATOR_BROKEN_IMAGE``: ``STOPPED`` after its first
  second with ``stopCode`` ``TaskFailedToStart``, ``stoppedReason`` and the container's
  ``reason`` ``CannotPullContainerError: ...``, no exit code and no log;
* a Fargate container definition without ``memory`` of its own (AWS allows it; the task's
  memory counts) no longer makes RunTask fail with HTTP 500;
* StopTask: ``STOPPED`` at once, ``stopCode`` ``UserInitiated``, the container's exit code 143
  (SIGTERM), the reason given.

Tasks of services (``startedBy`` ``ecs-svc/...``) keep moto's behaviour. Time is the wall
clock: the state is worked out whenever tasks are read (DescribeTasks, ListTasks, whose
``desiredStatus`` filter then sees ``STOPPED``) or logs are (GetLogEvents, FilterLogEvents,
DescribeLogStreams).
"""

from __future__ import annotations

import datetime
import re
import shlex
import threading
import time
from typing import Any

LOCK = threading.RLock()

PROVISIONING_SECONDS = 0.3
PENDING_SECONDS = 0.7
# How long a command runs besides its sleeps.
RUN_SECONDS = 1.0
SIGTERM_EXIT_CODE = 143


def as_datetime(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)


def statements(command: list[str]) -> list[list[str]]:
    """The shell statements of ``command``, each as its words (quotes honoured, leading
    ``NAME=value`` assignments dropped)."""
    if len(command) >= 3 and command[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and command[1] == "-c":
        script = command[2]
    else:
        script = shlex.join(command)
    lexer = shlex.shlex(script.replace("\n", ";"), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    result: list[list[str]] = []
    words: list[str] = []
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: the shell would refuse it too
        return [["exit", "2"]]
    for token in tokens:
        if token and set(token) <= set(";&|"):
            if words:
                result.append(words)
            words = []
        elif not words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", token):
            continue
        else:
            words.append(token)
    if words:
        result.append(words)
    return result


class Script:
    """What a command does: (seconds after start, line) pairs, how long it runs, its code."""

    def __init__(self, command: list[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self.exit_code = 0
        elapsed = 0.0
        for words in statements(command):
            name = words[0].rsplit("/", 1)[-1]
            if name == "echo":
                self.lines.append((elapsed, " ".join(words[1:])))
            elif name == "sleep" and len(words) > 1:
                try:
                    elapsed += max(float(words[1]), 0.0)
                except ValueError:
                    pass
            elif name == "exit":
                try:
                    self.exit_code = int(words[1]) if len(words) > 1 else 0
                except ValueError:
                    self.exit_code = 2
                break
            elif name == "psql":
                sql = words[words.index("-c") + 1] if "-c" in words[:-1] else ""
                if sql.upper().startswith("CREATE EXTENSION"):
                    self.lines.append((elapsed, "CREATE EXTENSION"))
        self.seconds = elapsed + RUN_SECONDS


class OneOff:
    """A RunTask task's life."""

    def __init__(self, task: Any, container: dict[str, Any], command: list[str], broken: bool) -> None:
        self.started = time.time()
        self.task = task
        self.container_name = container.get("name") or ""
        self.image = container.get("image") or ""
        options = (container.get("logConfiguration") or {}).get("options") or {}
        self.log_group = options.get("awslogs-group")
        prefix = options.get("awslogs-stream-prefix")
        self.log_stream = f"{prefix}/{self.container_name}/{task.id}" if prefix and self.log_group else None
        self.script = Script(command)
        self.broken = broken
        self.logged = 0
        self.stopped_at: float | None = None
        self.stop_code: str | None = None
        self.stopped_reason = ""
        self.exit_code: int | None = None
        self.reason: str | None = None

    @property
    def running_from(self) -> float:
        return self.started + PROVISIONING_SECONDS + PENDING_SECONDS

    def stop(self, at: float, code: str, reason: str, exit_code: int | None, container_reason: str | None) -> None:
        if self.stopped_at is not None:
            return
        self.stopped_at = at
        self.stop_code = code
        self.stopped_reason = reason
        self.exit_code = exit_code
        self.reason = container_reason

    def advance(self, now: float) -> None:
        if self.stopped_at is not None:
            return
        if self.broken and now >= self.running_from:
            reason = (
                f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                f"failed to resolve ref {self.image}: not found"
            )
            self.stop(self.running_from, "TaskFailedToStart", reason, None, reason)
        elif not self.broken and now >= self.running_from + self.script.seconds:
            self.stop(
                self.running_from + self.script.seconds,
                "EssentialContainerExited",
                "Essential container in task exited",
                self.script.exit_code,
                None,
            )

    def status(self, now: float) -> str:
        self.advance(now)
        if self.stopped_at is not None:
            return "STOPPED"
        if now < self.started + PROVISIONING_SECONDS:
            return "PROVISIONING"
        if now < self.running_from:
            return "PENDING"
        return "RUNNING"

    def due_lines(self, now: float) -> list[tuple[float, str]]:
        """Lines not yet written whose time has come (none after a stop before them)."""
        if self.broken or now < self.running_from:
            return []
        end = min(now, self.stopped_at) if self.stopped_at is not None else now
        due = [
            (self.running_from + offset, line)
            for offset, line in self.script.lines
            if self.running_from + offset <= end
        ]
        fresh = due[self.logged :]
        self.logged = len(due)
        return fresh


RUNS: dict[str, OneOff] = {}


def reflect(task: Any, run: OneOff, now: float) -> None:
    """Puts the run's state on moto's task and container objects (read by the serializer)."""
    status = run.status(now)
    task.desired_status = "STOPPED" if status == "STOPPED" else "RUNNING"
    if status in ("RUNNING", "STOPPED") and not run.broken:
        task.started_at = as_datetime(run.running_from)
    if status == "STOPPED":
        task.stop_code = run.stop_code
        task.stopped_reason = run.stopped_reason
        task.stopped_at = as_datetime(run.stopped_at or now)
        task.execution_stopped_at = task.stopped_at
    for container in task.containers:
        container.last_status = status if status != "PROVISIONING" else "PENDING"
        if container.name == run.container_name:
            container.exitCode = run.exit_code if status == "STOPPED" else None
            container.reason = run.reason


def write_logs(account_id: str, region: str, run: OneOff, now: float) -> None:
    if run.log_stream is None:
        return
    lines = run.due_lines(now)
    if not lines:
        return
    from moto.logs.models import logs_backends

    backend = logs_backends[account_id][region]
    group = backend.groups.get(run.log_group)
    if group is None:
        return  # the driver fails the same way: the task's logs go nowhere
    if run.log_stream not in group.streams:
        group.create_log_stream(run.log_stream)
    events = [{"timestamp": int(at * 1000), "message": line} for at, line in lines]
    group.put_log_events(run.log_stream, events)


def advance_all(now: float) -> None:
    with LOCK:
        for arn, run in list(RUNS.items()):
            parts = arn.split(":")
            account_id, region = parts[4], parts[3]
            run.advance(now)
            write_logs(account_id, region, run, now)


def patch_ecs_tasks(broken_image: re.Pattern[str]) -> None:
    from moto.ecs.models import EC2ContainerServiceBackend, Task
    from moto.logs.models import LogsBackend

    backend_cls = EC2ContainerServiceBackend
    original_run = backend_cls.run_task
    original_describe = backend_cls.describe_tasks
    original_stop = backend_cls.stop_task
    original_list = backend_cls.list_tasks
    original_last_status = Task.last_status

    def last_status(self: Any) -> str:
        run = RUNS.get(self.task_arn)
        if run is None:
            return original_last_status.fget(self)
        return run.status(time.time())

    Task.last_status = property(last_status, original_last_status.fset)

    def run_task(self: Any, cluster_str: str, task_definition_str: str, count: int,
                 overrides: dict[str, Any] | None, started_by: str, *args: Any, **kwargs: Any) -> Any:
        tasks = original_run(self, cluster_str, task_definition_str, count, overrides, started_by, *args, **kwargs)
        if (started_by or "").startswith("ecs-svc"):
            return tasks
        with LOCK:
            for task in tasks:
                definition = self.describe_task_definition(task.task_definition_arn)
                containers = definition.container_definitions or [{}]
                container = containers[0]
                command = container.get("command") or []
                for override in (overrides or {}).get("containerOverrides") or []:
                    if override.get("name") == container.get("name") and override.get("command"):
                        command = override["command"]
                broken = bool(broken_image.search(container.get("image") or ""))
                RUNS[task.task_arn] = OneOff(task, container, list(command), broken)
                task.created_at = as_datetime(RUNS[task.task_arn].started)
                reflect(task, RUNS[task.task_arn], time.time())
        return tasks

    def describe_tasks(self: Any, cluster_str: str, tasks: list[str]) -> Any:
        now = time.time()
        advance_all(now)
        found = original_describe(self, cluster_str, tasks)
        with LOCK:
            for task in found:
                run = RUNS.get(task.task_arn)
                if run is not None:
                    reflect(task, run, now)
        return found

    def list_tasks(self: Any, *args: Any, **kwargs: Any) -> Any:
        # The desired status filter reads the tasks' state: bring it up to date first.
        now = time.time()
        advance_all(now)
        with LOCK:
            for run in RUNS.values():
                reflect(run.task, run, now)
        return original_list(self, *args, **kwargs)

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = original_stop(self, cluster_str, task_str, reason)
        with LOCK:
            run = RUNS.get(task.task_arn)
            if run is not None:
                now = time.time()
                advance_all(now)
                run.stop(now, "UserInitiated", reason or "Task stopped by user", SIGTERM_EXIT_CODE, None)
                reflect(task, run, now)
        return task

    def resource_requirements(task_definition: Any) -> dict[str, Any]:
        # moto adds up each container's memory and fails (HTTP 500) on a Fargate container that
        # leaves it out, as AWS allows (the task's memory is what counts): missing counts 0.
        result: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
        for container in task_definition.container_definitions:
            result["CPU"] += container.get("cpu") or 0
            result["MEMORY"] += container.get("memory") or container.get("memoryReservation") or 0
            for mapping in container.get("portMappings") or []:
                if "hostPort" in mapping:
                    result["PORTS"].append(mapping["hostPort"])
        return result

    backend_cls._calculate_task_resource_requirements = staticmethod(resource_requirements)
    backend_cls.run_task = run_task
    backend_cls.describe_tasks = describe_tasks
    backend_cls.stop_task = stop_task
    backend_cls.list_tasks = list_tasks

    for name in ("get_log_events", "filter_log_events", "describe_log_streams"):
        original = getattr(LogsBackend, name)

        def reading(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            advance_all(time.time())
            return __original(self, *args, **kwargs)

        setattr(LogsBackend, name, reading)
