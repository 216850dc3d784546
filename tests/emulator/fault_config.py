"""The fault configuration: its JSON schema, its validation, and the rules it sets.

The configuration arrives as JSON from outside (``MACROCTL_EMULATOR_FAULTS`` at start,
``POST /_macroctl/faults`` at run time), so a bad one must be refused with a message naming
the bad key rather than half applied. This module validates a document into a frozen
``FaultConfig`` (rules, the NotFound window, IAM propagation, creation times, latency), shows it
back with its defaults filled in (``to_json``), and keeps the rules' counters and seeded
random source (``RuleBook``) that decide which fault, if any, a call gets. The schema is
documented under "Faults" in ``launcher.py``'s docstring.
"""

from __future__ import annotations

import fnmatch
import json
import random
from dataclasses import dataclass, field
from typing import Any, Iterable

from fault_calls import Call

RULE_FAULTS = ("lose_response", "drop_connection", "throttle", "server_error")
COUNTED_FAULTS = RULE_FAULTS + ("not_found_window", "iam_propagation")


class ConfigError(ValueError):
    """A bad fault configuration; the message starts with the bad key."""


@dataclass(frozen=True)
class Rule:
    fault: str
    service: str = "*"
    action: str = "*"
    mutating: bool | None = None
    probability: float = 1.0
    count: int | None = None
    skip: int = 0
    status: int = 500  # server_error only

    def matches(self, call: Call) -> bool:
        return (
            fnmatch.fnmatchcase(call.service, self.service)
            and fnmatch.fnmatchcase(call.action, self.action)
            and (self.mutating is None or self.mutating == call.mutating)
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fault": self.fault, "service": self.service, "action": self.action}
        if self.mutating is not None:
            out["mutating"] = self.mutating
        out["probability"] = self.probability
        if self.count is not None:
            out["count"] = self.count
        out["skip"] = self.skip
        if self.fault == "server_error":
            out["status"] = self.status
        return out


@dataclass(frozen=True)
class Window:
    seconds: float
    services: tuple[str, ...] = ("*",)

    def covers(self, service: str) -> bool:
        return any(fnmatch.fnmatchcase(service, pattern) for pattern in self.services)


@dataclass(frozen=True)
class FaultConfig:
    seed: int = 0
    rules: tuple[Rule, ...] = ()
    not_found_window: Window | None = None
    iam_propagation: float | None = None  # seconds
    create_seconds: dict[str, float] = field(default_factory=dict)
    latency_ms: float = 0.0  # added before every AWS call

    def to_json(self) -> dict[str, Any]:
        window = self.not_found_window
        return {
            "seed": self.seed,
            "rules": [rule.to_json() for rule in self.rules],
            "not_found_window": window
            and {"seconds": window.seconds, "services": list(window.services)},
            "iam_propagation": None
            if self.iam_propagation is None
            else {"seconds": self.iam_propagation},
            "create_seconds": dict(self.create_seconds),
            "latency_ms": self.latency_ms,
        }


def _object(value: Any, where: str, known: Iterable[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be a JSON object")
    known = tuple(known)
    for key in value:
        if key not in known:
            prefix = f"{where}." if where != "configuration" else ""
            raise ConfigError(f"{prefix}{key}: unknown key (known: {', '.join(known)})")
    return value


def _number(value: Any, where: str, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: must be a number")
    if value < low or (high is not None and value > high):
        bounds = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
        raise ConfigError(f"{where}: must be {bounds}")
    return float(value)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: must be a non-negative integer")
    return value


def _glob(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: must be a non-empty string (a glob)")
    return value


def _seconds(value: Any, where: str) -> float:
    block = _object(value, where, ("seconds",))
    if "seconds" not in block:
        raise ConfigError(f"{where}.seconds: missing")
    return _number(block["seconds"], f"{where}.seconds")


RULE_KEYS = ("fault", "service", "action", "mutating", "probability", "count", "skip", "status")
CONFIG_KEYS = (
    "seed",
    "rules",
    "not_found_window",
    "iam_propagation",
    "create_seconds",
    "latency_ms",
)


def parse_rule(value: Any, where: str) -> Rule:
    raw = _object(value, where, RULE_KEYS)
    fault = raw.get("fault")
    if fault not in RULE_FAULTS:
        raise ConfigError(f"{where}.fault: must be one of {', '.join(RULE_FAULTS)}")
    mutating = raw.get("mutating")
    if mutating is not None and not isinstance(mutating, bool):
        raise ConfigError(f"{where}.mutating: must be true or false")
    status = raw.get("status", 500)
    if "status" in raw and fault != "server_error":
        raise ConfigError(f"{where}.status: only for server_error")
    if status not in (500, 503) or isinstance(status, bool):
        raise ConfigError(f"{where}.status: must be 500 or 503")
    return Rule(
        fault=fault,
        service=_glob(raw.get("service", "*"), f"{where}.service"),
        action=_glob(raw.get("action", "*"), f"{where}.action"),
        mutating=mutating,
        probability=_number(raw.get("probability", 1.0), f"{where}.probability", 0.0, 1.0),
        count=None if raw.get("count") is None else _count(raw["count"], f"{where}.count"),
        skip=_count(raw.get("skip", 0), f"{where}.skip"),
        status=status,
    )


def parse_window(value: Any) -> Window:
    raw = _object(value, "not_found_window", ("seconds", "services"))
    if "seconds" not in raw:
        raise ConfigError("not_found_window.seconds: missing")
    services = raw.get("services", ["*"])
    if not isinstance(services, list) or not all(isinstance(s, str) and s for s in services):
        raise ConfigError("not_found_window.services: must be a list of service names (globs)")
    return Window(_number(raw["seconds"], "not_found_window.seconds"), tuple(services))


def parse_config(value: Any, create_kinds: Iterable[str] = ()) -> FaultConfig:
    """Validates a configuration document; ConfigError names the first bad key."""
    raw = _object(value, "configuration", CONFIG_KEYS)
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError("seed: must be an integer")
    rules = raw.get("rules", [])
    if not isinstance(rules, list):
        raise ConfigError("rules: must be a list")
    window = raw.get("not_found_window")
    propagation = raw.get("iam_propagation")
    create = _object(raw.get("create_seconds", {}), "create_seconds", create_kinds)
    return FaultConfig(
        seed=seed,
        rules=tuple(parse_rule(rule, f"rules[{i}]") for i, rule in enumerate(rules)),
        not_found_window=None if window is None else parse_window(window),
        iam_propagation=None if propagation is None else _seconds(propagation, "iam_propagation"),
        create_seconds={kind: _number(s, f"create_seconds.{kind}") for kind, s in create.items()},
        latency_ms=_number(raw.get("latency_ms", 0), "latency_ms"),
    )


def parse_config_text(text: str, create_kinds: Iterable[str] = ()) -> FaultConfig:
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ConfigError(f"configuration: not JSON ({e})") from None
    return parse_config(value, create_kinds)


# ---------------------------------------------------------------------------------------------
# Rules: which fault, if any, a request gets
# ---------------------------------------------------------------------------------------------


class RuleBook:
    """The configured rules with their counters and their seeded random source.

    Rules are tried in order until one fires. A rule that is tried and matches counts the
    request; it lets the first ``skip`` of them through, fires at most ``count`` times, and
    otherwise fires with ``probability`` (below 1: one draw from the seeded generator), so a
    given request sequence always gets the same faults.
    """

    def __init__(self, rules: tuple[Rule, ...], seed: int):
        self.rules = rules
        self.matched = [0] * len(rules)
        self.fired = [0] * len(rules)
        self.random = random.Random(seed)

    def pick(self, call: Call) -> Rule | None:
        for i, rule in enumerate(self.rules):
            if not rule.matches(call):
                continue
            self.matched[i] += 1
            if self.matched[i] <= rule.skip:
                continue
            if rule.count is not None and self.fired[i] >= rule.count:
                continue
            if rule.probability < 1.0 and self.random.random() >= rule.probability:
                continue
            self.fired[i] += 1
            return rule
        return None
