"""Faults the way real AWS has them, injected in front of moto.

moto answers every request at once, correctly and exactly once. Real AWS does not: responses
get lost after the work is done, connections drop, calls are throttled or fail with 5xx, a
resource just created is not found for a few seconds, a freshly created IAM role cannot be
assumed yet, and client tokens make retried creates idempotent (which moto ignores). macroctl
has to survive all of that, so the tests need an emulator that does it on purpose,
reproducibly. This module is that emulator's front door: a WSGI middleware around moto's
``DomainDispatcherApplication`` (installed by ``launcher.py``), inactive until configured.

It is configured with JSON, at start (``MACROCTL_EMULATOR_FAULTS``) or at run time through
its own endpoint ``/_macroctl/faults`` (POST replaces the configuration, GET shows it with
counters, DELETE clears it); see the "Faults" section of ``launcher.py``'s docstring for the
schema and what each fault does on the wire. Everything is evaluated per request, lazily;
nothing runs in the background.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Callable, Iterable, Iterator, NoReturn

CONTROL_PATH = "/_macroctl/faults"
MOTO_API_PREFIX = "/moto-api"

READ_PREFIXES = ("Describe", "List", "Get", "Search", "Lookup", "BatchGet", "Check", "Validate")

# ---------------------------------------------------------------------------------------------
# Request identification
# ---------------------------------------------------------------------------------------------

CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/[^/,\s]+/([^/,\s]+)/([^/,\s]+)/aws4_request")
# Query parameters that never name a resource: the envelope, filters and tags.
UNNAMING_PARAMS = re.compile(
    r"^(?:Action|Version|Filters?(?:\..*)?|Tags?(?:\..*)?|TagSpecifications?(?:\..*)?)$"
)
UNNAMING_JSON_KEYS = ("tags", "Tags")


@dataclass
class Call:
    """One AWS API request, as far as faults are concerned."""

    service: str  # SigV4 signing name: ec2, iam, ecs, elasticloadbalancing, ...
    action: str
    protocol: str  # "ec2", "query" (form-encoded, XML answers) or "json"
    region: str
    access_key: str
    form: list[tuple[str, str]] = field(default_factory=list)  # query protocols
    document: dict[str, Any] = field(default_factory=dict)  # JSON protocols: the parsed body
    body: bytes = b""

    @property
    def mutating(self) -> bool:
        return not self.action.startswith(READ_PREFIXES)

    @property
    def label(self) -> str:
        return f"{self.service}:{self.action}"

    def param(self, name: str) -> str | None:
        """A top-level string parameter."""
        if self.protocol == "json":
            value = self.document.get(name)
            return value if isinstance(value, str) else None
        return next((v for k, v in self.form if k == name), None)

    def named_values(self) -> Iterator[tuple[str, str]]:
        """(parameter, value) for every value that may name a resource: query form values
        but the envelope, filters and tags; JSON strings anywhere but under tags (the
        parameter is then the top-level key)."""
        if self.protocol != "json":
            yield from ((k, v) for k, v in self.form if not UNNAMING_PARAMS.match(k))
            return
        for key, value in self.document.items():
            if key not in UNNAMING_JSON_KEYS:
                yield from ((key, s) for s in json_strings(value))

    def text(self) -> str:
        """The parameters as one text, to search for resource ids."""
        if self.protocol == "json":
            return self.body.decode("utf-8", "replace")
        return " ".join(v for _, v in self.form)


def json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in UNNAMING_JSON_KEYS:
                yield from json_strings(item)


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body; moto gets a fresh stream with the same bytes."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def identify(environ: dict[str, Any], body: bytes) -> Call | None:
    """The SigV4-signed query or JSON API call this request is, or None (unsigned, REST)."""
    scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        return None
    access_key, region, service = scope.groups()
    base = {"service": service, "region": region, "access_key": access_key, "body": body}
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        return Call(action=target.rsplit(".", 1)[-1], protocol="json", document=document, **base)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        text = body.decode("utf-8", "replace")
    else:
        text = environ.get("QUERY_STRING", "")
    form = urllib.parse.parse_qsl(text, keep_blank_values=True)
    action = next((v for k, v in form if k == "Action"), None)
    if not action:
        return None
    protocol = "ec2" if service == "ec2" else "query"
    return Call(action=action, protocol=protocol, form=form, **base)


def account_of(call: Call, environ: dict[str, Any]) -> str:
    """The account moto serves this call from (same precedence as moto's BaseResponse)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    return account_of_access_key(call.access_key)


def account_of_access_key(access_key: str) -> str:
    """moto's ``get_account_id_from`` without creating IAM backends on the way (the first one
    loads every managed policy, which takes a while): one not created holds no keys yet."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import PARTITION_NAMES, iam_backends

    for account_id, account in list(iam_backends.items()):
        for partition in PARTITION_NAMES:
            backend = dict.get(account, partition)
            if backend is not None and access_key in backend.access_keys:
                return account_id
    return DEFAULT_ACCOUNT_ID


# ---------------------------------------------------------------------------------------------
# Responses and AWS error formats
# ---------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: str  # "200 OK"
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status.startswith("2")

    def with_body(self, body: bytes) -> Response:
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        return Response(self.status, headers, body)


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


def call_app(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Response:
    """Runs the inner WSGI app to completion and keeps its whole answer."""
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started["status"], started["headers"] = status, list(headers)
        return chunks.append

    iterable = app(environ, start_response)
    try:
        chunks.extend(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return Response(started["status"], started["headers"], b"".join(chunks))


def json_response(status: int, document: Any) -> Response:
    body = json.dumps(document, indent=2).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return Response(status_line(status), headers, body)


# xmlns of the query-protocol services' error documents (botocore's "xmlNamespace").
QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "rds": "http://rds.amazonaws.com/doc/2014-10-31/",
    "elasticache": "http://elasticache.amazonaws.com/doc/2015-02-02/",
    "elasticloadbalancing": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
}


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_response(
    call: Call, status: int, code: str, message: str, sender: bool = True
) -> Response:
    """The AWS error ``code`` in the call's protocol, as the service itself words it."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    elif call.protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{xml_escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    else:
        version = call.param("Version") or ""
        namespace = QUERY_NAMESPACES.get(
            call.service, f"https://{call.service}.amazonaws.com/doc/{version}/"
        )
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>{"Sender" if sender else "Receiver"}'
            f"</Type><Code>{code}</Code><Message>{xml_escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return Response(status_line(status), headers, body)


def throttling_error(call: Call) -> Response:
    if call.protocol == "ec2":
        return error_response(call, 503, "RequestLimitExceeded", "Request limit exceeded.")
    if call.protocol == "json":
        return error_response(call, 400, "ThrottlingException", "Rate exceeded")
    return error_response(call, 400, "Throttling", "Rate exceeded")


SERVER_ERRORS = {  # (protocol, status) -> (code, message)
    ("ec2", 500): ("InternalError", "An internal error has occurred"),
    ("ec2", 503): ("Unavailable", "The server is overloaded and can't handle the request."),
    ("query", 500): (
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    ("query", 503): (
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server.",
    ),
    ("json", 500): (
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    ("json", 503): (
        "ServiceUnavailableException",
        "The request has failed due to a temporary failure of the server.",
    ),
}


def server_error(call: Call, status: int) -> Response:
    code, message = SERVER_ERRORS[(call.protocol, status)]
    return error_response(call, status, code, message, sender=False)


def close_connection(environ: dict[str, Any]) -> NoReturn:
    """Closes the client's connection without a response byte, then tells werkzeug the
    connection is gone (it handles ConnectionError as a dropped connection: no response, no
    traceback)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
    raise ConnectionAbortedError("macroctl fault emulator: connection closed on purpose")


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------

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
CONFIG_KEYS = ("seed", "rules", "not_found_window", "iam_propagation", "create_seconds")


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


# ---------------------------------------------------------------------------------------------
# Eventual consistency: resources not found right after they were created
# ---------------------------------------------------------------------------------------------

# A NotFound error: (HTTP status, code, message with {name} and {account} placeholders).
NotFound = tuple[int, str, str]

EC2_NOT_FOUND: dict[str, NotFound] = {  # id prefix -> error
    "vpc": (400, "InvalidVpcID.NotFound", "The vpc ID '{name}' does not exist"),
    "subnet": (400, "InvalidSubnetID.NotFound", "The subnet ID '{name}' does not exist"),
    "igw": (
        400,
        "InvalidInternetGatewayID.NotFound",
        "The internetGateway ID '{name}' does not exist",
    ),
    "eipalloc": (400, "InvalidAllocationID.NotFound", "The allocation ID '{name}' does not exist"),
    "nat": (400, "NatGatewayNotFound", "The Nat Gateway {name} was not found"),
    "rtb": (400, "InvalidRouteTableID.NotFound", "The routeTable ID '{name}' does not exist"),
    "rtbassoc": (
        400,
        "InvalidAssociationID.NotFound",
        "The association ID '{name}' does not exist",
    ),
    "sg": (400, "InvalidGroup.NotFound", "The security group '{name}' does not exist"),
    "sgr": (
        400,
        "InvalidSecurityGroupRuleId.NotFound",
        "The security group rule ID '{name}' does not exist",
    ),
}
EC2_ID = re.compile(r"\b(" + "|".join(EC2_NOT_FOUND) + r")-[0-9a-f]{8,17}\b")
ARN = re.compile(r"\barn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:[^\s\"'<>&,\\]+")

# Codes and statuses as moto raises them (from the AWS models); the messages are moto's too.
NOT_FOUND: dict[str, NotFound] = {
    "elb:targetgroup": (400, "TargetGroupNotFound", "One or more target groups not found"),
    "elb:loadbalancer": (400, "LoadBalancerNotFound", "One or more load balancers not found"),
    "elb:listener": (400, "ListenerNotFound", "One or more listeners not found"),
    "elb:rule": (400, "RuleNotFound", "One or more rules not found"),
    "ecs:service": (400, "ServiceNotFoundException", "Service not found."),
    "ecs:cluster": (400, "ClusterNotFoundException", "Cluster not found."),
    "ecs:task-definition": (400, "ClientException", "Unable to describe task definition."),
    "rds:db": (404, "DBInstanceNotFound", "DBInstance {name} not found."),
    "rds:subgrp": (404, "DBSubnetGroupNotFoundFault", "Subnet Group {name} not found."),
    "rds:pg": (404, "DBParameterGroupNotFound", "DB Parameter Group {name} not found."),
    "elasticache:replicationgroup": (
        404,
        "ReplicationGroupNotFoundFault",
        "Replication group {name} not found.",
    ),
    "elasticache:subnetgroup": (
        400,
        "CacheSubnetGroupNotFoundFault",
        "CacheSubnetGroup {name} not found.",
    ),
    "iam:role": (404, "NoSuchEntity", "The role with name {name} cannot be found."),
    "iam:policy": (404, "NoSuchEntity", "Policy {name} was not found."),
    "secretsmanager:secret": (
        400,
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    ),
    "logs:log-group": (400, "ResourceNotFoundException", "The specified log group does not exist."),
    "ecr:repository": (
        400,
        "RepositoryNotFoundException",
        "The repository with name '{name}' does not exist in the registry with id '{account}'",
    ),
    "sns:topic": (404, "NotFound", "Topic does not exist"),
    "sns:subscription": (404, "NotFound", "Subscription does not exist"),
    "monitoring:alarm": (404, "ResourceNotFound", "Alarm {name} not found"),
    "autoscaling:target": (400, "ObjectNotFoundException", "No scalable target found for {name}"),
    "autoscaling:policy": (400, "ObjectNotFoundException", "No scaling policy found for {name}"),
}

# Per signing name: (ARN service, resource pattern whose group 1 is the name, kind).
ARN_KINDS: dict[str, tuple[tuple[str, re.Pattern[str], str], ...]] = {
    "elasticloadbalancing": (
        ("elasticloadbalancing", re.compile(r"^targetgroup/([^/]+)/"), "elb:targetgroup"),
        ("elasticloadbalancing", re.compile(r"^loadbalancer/\w+/([^/]+)/"), "elb:loadbalancer"),
        ("elasticloadbalancing", re.compile(r"^listener/\w+/([^/]+)/"), "elb:listener"),
        ("elasticloadbalancing", re.compile(r"^listener-rule/\w+/([^/]+)/"), "elb:rule"),
    ),
    "ecs": (
        ("ecs", re.compile(r"^service/(?:[^/]+/)?([^/]+)$"), "ecs:service"),
        ("ecs", re.compile(r"^cluster/([^/]+)$"), "ecs:cluster"),
        ("ecs", re.compile(r"^task-definition/([^/]+)$"), "ecs:task-definition"),
    ),
    "rds": (
        ("rds", re.compile(r"^db:(.+)$"), "rds:db"),
        ("rds", re.compile(r"^subgrp:(.+)$"), "rds:subgrp"),
        ("rds", re.compile(r"^pg:(.+)$"), "rds:pg"),
    ),
    "elasticache": (
        ("elasticache", re.compile(r"^replicationgroup:(.+)$"), "elasticache:replicationgroup"),
        ("elasticache", re.compile(r"^subnetgroup:(.+)$"), "elasticache:subnetgroup"),
    ),
    "iam": (
        ("iam", re.compile(r"^role/(?:.*/)?([^/]+)$"), "iam:role"),
        ("iam", re.compile(r"^policy/(?:.*/)?([^/]+)$"), "iam:policy"),
    ),
    "secretsmanager": (("secretsmanager", re.compile(r"^secret:(.+)$"), "secretsmanager:secret"),),
    "logs": (("logs", re.compile(r"^log-group:([^:]+)"), "logs:log-group"),),
    "ecr": (("ecr", re.compile(r"^repository/(.+)$"), "ecr:repository"),),
    "sns": (
        ("sns", re.compile(r"^([^:]+)$"), "sns:topic"),
        ("sns", re.compile(r"^([^:]+:[0-9a-f-]{36})$"), "sns:subscription"),
    ),
    "monitoring": (("cloudwatch", re.compile(r"^alarm:(.+)$"), "monitoring:alarm"),),
    "application-autoscaling": (
        ("application-autoscaling", re.compile(r"^(scalable-target/.+)$"), "autoscaling:target"),
        ("autoscaling", re.compile(r"^(scalingPolicy:.+)$"), "autoscaling:policy"),
    ),
}

# Creates that give a resource its name: (service, action) -> (parameter, kind).
NAMED_CREATES: dict[tuple[str, str], tuple[str, str]] = {
    ("elasticloadbalancing", "CreateTargetGroup"): ("Name", "elb:targetgroup"),
    ("elasticloadbalancing", "CreateLoadBalancer"): ("Name", "elb:loadbalancer"),
    ("rds", "CreateDBInstance"): ("DBInstanceIdentifier", "rds:db"),
    ("rds", "CreateDBSubnetGroup"): ("DBSubnetGroupName", "rds:subgrp"),
    ("rds", "CreateDBParameterGroup"): ("DBParameterGroupName", "rds:pg"),
    ("elasticache", "CreateReplicationGroup"): (
        "ReplicationGroupId",
        "elasticache:replicationgroup",
    ),
    ("elasticache", "CreateCacheSubnetGroup"): ("CacheSubnetGroupName", "elasticache:subnetgroup"),
    ("iam", "CreateRole"): ("RoleName", "iam:role"),
    ("logs", "CreateLogGroup"): ("logGroupName", "logs:log-group"),
    ("ecr", "CreateRepository"): ("repositoryName", "ecr:repository"),
    ("ecs", "CreateService"): ("serviceName", "ecs:service"),
    ("ecs", "CreateCluster"): ("clusterName", "ecs:cluster"),
    ("ecs", "RegisterTaskDefinition"): ("family", "ecs:task-definition"),
    ("secretsmanager", "CreateSecret"): ("Name", "secretsmanager:secret"),
    ("sns", "CreateTopic"): ("Name", "sns:topic"),
    ("monitoring", "PutMetricAlarm"): ("AlarmName", "monitoring:alarm"),
}


@dataclass(frozen=True)
class ListedRead:
    """A read that answers a list: AWS leaves a resource it cannot see yet out of the list
    (ECS: reports it MISSING in ``failures``) instead of failing."""

    kind: str  # the fresh kind it lists
    items: str  # JSON key, or XML container element
    keys: tuple[str, ...]  # fields of an item that name it
    missing: str | None = None  # JSON: failures entry {"arn": item[missing], "reason": "MISSING"}


LISTED_READS: dict[tuple[str, str], ListedRead] = {
    ("ecs", "DescribeServices"): ListedRead(
        "ecs:service", "services", ("serviceArn", "serviceName"), missing="serviceArn"
    ),
    ("ecs", "DescribeClusters"): ListedRead(
        "ecs:cluster", "clusters", ("clusterArn", "clusterName"), missing="clusterArn"
    ),
    ("logs", "DescribeLogGroups"): ListedRead(
        "logs:log-group", "logGroups", ("logGroupName", "arn")
    ),
    ("monitoring", "DescribeAlarms"): ListedRead(
        "monitoring:alarm", "MetricAlarms", ("AlarmName", "AlarmArn")
    ),
}

# EC2 Describe* result sets: container element -> the child naming each <item>.
EC2_SETS: dict[str, tuple[str, ...]] = {
    "vpcSet": ("vpcId",),
    "subnetSet": ("subnetId",),
    "internetGatewaySet": ("internetGatewayId",),
    "addressesSet": ("allocationId",),
    "natGatewaySet": ("natGatewayId",),
    "routeTableSet": ("routeTableId",),
    "associationSet": ("routeTableAssociationId",),
    "securityGroupInfo": ("groupId",),
    "securityGroupRuleSet": ("securityGroupRuleId",),
}


@dataclass(frozen=True)
class Fresh:
    until: float
    kind: str
    error: NotFound
    name: str
    origin: tuple[str, str] | None = None  # (create action, parameter) of a named resource


def classify(service: str, token: str) -> tuple[str, str, NotFound] | None:
    """(kind, name, NotFound error) of a resource id or ARN the service would not find."""
    if service == "ec2":
        match = EC2_ID.fullmatch(token)
        if match is None:
            return None
        return f"ec2:{match.group(1)}", token, EC2_NOT_FOUND[match.group(1)]
    parts = token.split(":", 5)
    if len(parts) < 6:
        return None
    for arn_service, pattern, kind in ARN_KINDS.get(service, ()):
        match = pattern.match(parts[5]) if parts[2] == arn_service else None
        if match:
            return kind, match.group(1), NOT_FOUND[kind]
    return None


def resource_tokens(text: str) -> set[str]:
    return set(ARN.findall(text)) | {m.group(0) for m in EC2_ID.finditer(text)}


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def drop_xml_items(
    body: bytes,
    containers: dict[str, tuple[str, ...]],
    item_tag: str,
    hidden: Callable[[str], bool],
) -> bytes | None:
    """The XML document without the ``item_tag`` children of ``containers`` named by a
    hidden id, or None if nothing is hidden. The default namespace stays the default (no
    ``ns0:`` prefixes), and so does the XML declaration."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    removed = False
    for container in list(root.iter()):
        id_tags = containers.get(local_name(container.tag))
        if not id_tags:
            continue
        for item in list(container):
            if local_name(item.tag) != item_tag:
                continue
            ids = [(c.text or "").strip() for c in item if local_name(c.tag) in id_tags]
            if any(hidden(i) for i in ids):
                container.remove(item)
                removed = True
    if not removed:
        return None
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else None
    text = ET.tostring(root, encoding="unicode", default_namespace=namespace)
    if body.lstrip().startswith(b"<?xml"):
        text = '<?xml version="1.0" encoding="UTF-8"?>\n' + text
    return text.encode()


class Freshness:
    """Which resources were created so recently that their service cannot find them yet.

    Every successful response is searched for resource ids (EC2 ids) and ARNs, always, so
    that "never seen before" means never seen since the emulator started. A mutating call of
    a covered service whose successful response names a resource that no earlier response
    (and not the request itself) named makes it *fresh*; so does the name a named create
    gives a resource for the first time. Only resources whose service has a NotFound error
    for them become fresh.
    """

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.named: set[tuple[str, str, str, str]] = set()  # (account, region, service, name)
        self.fresh: dict[tuple[str, str, str, str], Fresh] = {}

    def forget_fresh(self) -> None:
        """Ends every window (a new configuration)."""
        self.fresh.clear()

    def observe(self, call: Call, account: str, response: Response, window: Window | None) -> None:
        """Learns from a response; makes what it created fresh if ``window`` covers it."""
        if not response.ok:
            return
        self._purge()
        tokens = resource_tokens(response.body.decode("utf-8", "replace"))
        until = None
        if window is not None and window.covers(call.service) and call.mutating:
            until = time.time() + window.seconds
            for token in tokens - self.seen - resource_tokens(call.text()):
                self._make_fresh(call, account, token, until)
        self.seen |= tokens
        self._observe_name(call, account, until)

    def _observe_name(self, call: Call, account: str, until: float | None) -> None:
        named = NAMED_CREATES.get((call.service, call.action))
        name = call.param(named[0]) if named else None
        if named is None or not name:
            return
        parameter, kind = named
        key = (account, call.region, call.service, name)
        if until is not None and key not in self.named:
            self.fresh[key] = Fresh(until, kind, NOT_FOUND[kind], name, (call.action, parameter))
        self.named.add(key)

    def _make_fresh(self, call: Call, account: str, token: str, until: float) -> None:
        classified = classify(call.service, token)
        if classified is None:
            return
        kind, name, error = classified
        self.fresh[(account, call.region, call.service, token)] = Fresh(until, kind, error, name)
        if kind == "ecs:task-definition":  # also named as "family:revision"
            self.fresh[(account, call.region, call.service, name)] = Fresh(until, kind, error, name)

    def _purge(self) -> None:
        now = time.time()
        for key in [k for k, fresh in self.fresh.items() if now >= fresh.until]:
            del self.fresh[key]

    def lookup(self, call: Call, account: str, value: str) -> Fresh | None:
        key = (account, call.region, call.service, value)
        fresh = self.fresh.get(key)
        if fresh is not None and time.time() >= fresh.until:
            del self.fresh[key]
            return None
        return fresh

    def refusal(self, call: Call, account: str) -> Response | None:
        """The NotFound answer for a call naming a fresh resource (a listed read leaves its
        kind out instead; a retried create of the same name goes through)."""
        if not self.fresh:
            return None
        listed = LISTED_READS.get((call.service, call.action))
        for param, value in call.named_values():
            fresh = self.lookup(call, account, value)
            if fresh is None or (listed and fresh.kind == listed.kind):
                continue
            if fresh.origin == (call.action, param):
                continue
            status, code, message = fresh.error
            message = message.format(name=fresh.name, account=account)
            return error_response(call, status, code, message)
        return None

    def hide(self, call: Call, account: str, response: Response) -> Response | None:
        """A listed read's (or an EC2 Describe's) answer without fresh resources, or None."""
        scope = (account, call.region, call.service)
        if not response.ok or not any(
            key[:3] == scope and key[3].encode() in response.body for key in self.fresh
        ):
            return None
        if call.service == "ec2" and call.action.startswith("Describe"):
            body = drop_xml_items(
                response.body, EC2_SETS, "item", lambda v: self.lookup(call, account, v) is not None
            )
            return body and response.with_body(body)
        listed = LISTED_READS.get((call.service, call.action))
        if listed is None:
            return None

        def hidden(value: str) -> bool:
            fresh = self.lookup(call, account, value)
            return fresh is not None and fresh.kind == listed.kind

        if call.protocol == "json":
            body = drop_json_items(response.body, listed, hidden)
        else:
            body = drop_xml_items(response.body, {listed.items: listed.keys}, "member", hidden)
        return body and response.with_body(body)


def drop_json_items(body: bytes, listed: ListedRead, hidden: Callable[[str], bool]) -> bytes | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    items = document.get(listed.items) if isinstance(document, dict) else None
    if not isinstance(items, list):
        return None

    def is_hidden(item: Any) -> bool:
        return isinstance(item, dict) and any(hidden(str(item.get(k, ""))) for k in listed.keys)

    kept = [item for item in items if not is_hidden(item)]
    if len(kept) == len(items):
        return None
    if listed.missing:
        gone = [i for i in items if i not in kept]
        failures = document.setdefault("failures", [])
        failures.extend({"arn": i.get(listed.missing), "reason": "MISSING"} for i in gone)
    document[listed.items] = kept
    return json.dumps(document).encode()


# ---------------------------------------------------------------------------------------------
# IAM propagation: a new or changed role cannot be assumed by other services yet
# ---------------------------------------------------------------------------------------------

ROLE_CHANGES = ("CreateRole", "PutRolePolicy", "AttachRolePolicy", "UpdateAssumeRolePolicy")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")
ECS_ROLE = (
    "InvalidParameterException",
    "Unable to assume role and validate the specified targetGroupArn. "
    "Please verify that the ECS service role being passed has the proper permissions.",
)
RDS_MONITORING_ROLE = (
    "InvalidParameterValue",
    "IAM role ARN value is invalid or does not include the required permissions for: "
    "ENHANCED_MONITORING",
)

# Calls that assume the role they are handed at once: (service, action) -> (the parameters
# handing it, None for anywhere in the body; (error code, message with {arn})).
ROLE_CONSUMERS: dict[tuple[str, str], tuple[tuple[str, ...] | None, tuple[str, str]]] = {
    ("ecs", "RegisterTaskDefinition"): (
        ("executionRoleArn", "taskRoleArn"),
        ("ClientException", "Role is not valid"),
    ),
    ("ecs", "CreateService"): (None, ECS_ROLE),
    ("ecs", "UpdateService"): (None, ECS_ROLE),
    ("ecs", "RunTask"): (None, ECS_ROLE),
    ("rds", "CreateDBInstance"): (("MonitoringRoleArn",), RDS_MONITORING_ROLE),
    ("rds", "ModifyDBInstance"): (("MonitoringRoleArn",), RDS_MONITORING_ROLE),
    ("application-autoscaling", "RegisterScalableTarget"): (
        ("RoleARN",),
        ("ValidationException", "Unable to assume IAM role: {arn}"),
    ),
}


class RolePropagation:
    """Roles created or changed less than ``seconds`` ago, per (account, role name)."""

    def __init__(self) -> None:
        self.until: dict[tuple[str, str], float] = {}

    def forget(self) -> None:
        self.until.clear()

    def observe(self, call: Call, account: str, response: Response, seconds: float | None) -> None:
        changed = call.service == "iam" and call.action in ROLE_CHANGES and response.ok
        name = call.param("RoleName") if changed and seconds is not None else None
        if name:
            self.until[(account, name)] = time.time() + seconds

    def refusal(self, call: Call) -> Response | None:
        consumer = ROLE_CONSUMERS.get((call.service, call.action)) if self.until else None
        if consumer is None:
            return None
        parameters, (code, message) = consumer
        if parameters is None:
            values = list(json_strings(call.document))
        else:
            values = [v for v in map(call.param, parameters) if v]
        now = time.time()
        for value in values:
            match = ROLE_ARN.match(value)
            if match and now < self.until.get((match.group(1), match.group(2)), 0.0):
                return error_response(call, 400, code, message.format(arn=value))
        return None


# ---------------------------------------------------------------------------------------------
# Client tokens: a retried create answers what the first one did
# ---------------------------------------------------------------------------------------------

IDEMPOTENT_MISMATCH = (
    "Arguments on this idempotent request are inconsistent with arguments used in previous "
    "request(s)."
)


def client_token(call: Call) -> tuple[str, str] | None:
    """(parameter, token) of a call AWS makes idempotent with a client token that moto
    ignores. moto already honours Secrets Manager's CreateSecret ClientRequestToken."""
    if call.service == "ec2":
        parameter = "ClientToken"
    elif call.service == "ecs" and call.action in ("CreateService", "RunTask"):
        parameter = "clientToken"
    else:
        return None
    token = call.param(parameter)
    return (parameter, token) if token else None


def fingerprint(call: Call, parameter: str) -> str:
    """The call's parameters but the token, in a canonical form."""
    if call.protocol == "json":
        document = {k: v for k, v in call.document.items() if k != parameter}
        return json.dumps(document, sort_keys=True)
    return json.dumps(sorted((k, v) for k, v in call.form if k != parameter))


class ClientTokens:
    """First successful responses per (account, region, service, action, token)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held across a token call, so a duplicate waits for it
        self.answers: dict[tuple[str, ...], tuple[str, Response]] = {}

    def forget(self) -> None:
        self.answers.clear()


# ---------------------------------------------------------------------------------------------
# The middleware
# ---------------------------------------------------------------------------------------------


class FaultMiddleware:
    """WSGI middleware in front of moto: answers ``/_macroctl/faults`` itself and puts every
    other signed query/JSON API call through the configured faults (see the module
    docstring). ``on_create_seconds`` gets each new configuration's ``create_seconds``."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        config: FaultConfig | None = None,
        create_kinds: Iterable[str] = (),
        on_create_seconds: Callable[[dict[str, float]], None] | None = None,
    ):
        self.app = app
        self.create_kinds = tuple(create_kinds)
        self.on_create_seconds = on_create_seconds
        self.lock = threading.Lock()  # guards everything below but `tokens`
        self.freshness = Freshness()
        self.propagation = RolePropagation()
        self.tokens = ClientTokens()
        self.configure(config or FaultConfig())

    # -- configuration and counters --

    def configure(self, config: FaultConfig) -> None:
        with self.lock:
            self.config = config
            self.rules = RuleBook(config.rules, config.seed)
            self.injected: dict[str, dict[str, int]] = {fault: {} for fault in COUNTED_FAULTS}
            self.replayed: dict[str, int] = {}
            self.requests = 0
            self.freshness.forget_fresh()
            self.propagation.forget()
        if self.on_create_seconds is not None:
            self.on_create_seconds(dict(config.create_seconds))

    def report(self) -> dict[str, Any]:
        with self.lock:
            return {
                "config": self.config.to_json(),
                "injected": {fault: dict(counts) for fault, counts in self.injected.items()},
                "replayed": dict(self.replayed),
                "requests": self.requests,
            }

    def count(self, fault: str, call: Call) -> None:
        """Counts an injected fault (caller holds the lock) and logs it."""
        counts = self.injected[fault]
        counts[call.label] = counts.get(call.label, 0) + 1
        sys.stderr.write(f"macroctl faults: {fault} {call.label}\n")
        sys.stderr.flush()

    # -- WSGI --

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == CONTROL_PATH:
            response = self.control(environ)
        elif path.startswith(MOTO_API_PREFIX):
            response = self.moto_api(environ)
        else:
            body = read_body(environ)
            call = identify(environ, body)
            response = call_app(self.app, environ) if call is None else self.handle(call, environ)
        start_response(response.status, response.headers)
        return [response.body]

    def control(self, environ: dict[str, Any]) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            try:
                text = read_body(environ).decode("utf-8", "replace")
                config = parse_config_text(text, self.create_kinds)
            except ConfigError as e:
                return json_response(400, {"error": str(e)})
            self.configure(config)
        elif method == "DELETE":
            self.configure(FaultConfig())
        elif method != "GET":
            return json_response(405, {"error": f"{method}: use GET, POST or DELETE"})
        return json_response(200, self.report())

    def moto_api(self, environ: dict[str, Any]) -> Response:
        """moto's own endpoints pass untouched; after a reset of moto's state, what the
        middleware knows about moto's resources goes too."""
        response = call_app(self.app, environ)
        if environ.get("PATH_INFO", "").rstrip("/") == f"{MOTO_API_PREFIX}/reset":
            with self.lock:
                self.freshness = Freshness()
                self.propagation.forget()
            with self.tokens.lock:
                self.tokens.forget()
        return response

    def handle(self, call: Call, environ: dict[str, Any]) -> Response:
        with self.lock:
            self.requests += 1
            rule = self.rules.pick(call)
            if rule is not None:
                self.count(rule.fault, call)
        fault = rule.fault if rule is not None else None
        if fault == "drop_connection":
            close_connection(environ)
        if fault == "throttle":
            return throttling_error(call)
        if fault == "server_error":
            return server_error(call, rule.status)
        response = self.perform(call, account_of(call, environ), environ)
        if fault == "lose_response":  # done, but the answer never arrives
            close_connection(environ)
        return response

    def perform(self, call: Call, account: str, environ: dict[str, Any]) -> Response:
        """The call as AWS would answer it (client tokens honoured), before any fault."""
        token = client_token(call)
        if token is None:
            return self.perform_consistently(call, account, environ)
        key = (account, call.region, call.service, call.action, token[1])
        with self.tokens.lock:
            remembered = self.tokens.answers.get(key)
            if remembered is None:
                response = self.perform_consistently(call, account, environ)
                if response.ok:
                    self.tokens.answers[key] = (fingerprint(call, token[0]), response)
                return response
        same_parameters, response = remembered[0] == fingerprint(call, token[0]), remembered[1]
        if same_parameters:
            with self.lock:
                self.replayed[call.label] = self.replayed.get(call.label, 0) + 1
            return response
        if call.service == "ec2":
            return error_response(call, 400, "IdempotentParameterMismatch", IDEMPOTENT_MISMATCH)
        return self.perform_consistently(call, account, environ)

    def perform_consistently(self, call: Call, account: str, environ: dict[str, Any]) -> Response:
        """moto's answer, unless the call needs a resource or role AWS cannot see yet."""
        with self.lock:
            refusal = self.propagation.refusal(call)
            fault = "iam_propagation"
            if refusal is None:
                refusal, fault = self.freshness.refusal(call, account), "not_found_window"
            if refusal is not None:
                self.count(fault, call)
                return refusal
        response = call_app(self.app, environ)
        with self.lock:
            config = self.config
            self.freshness.observe(call, account, response, config.not_found_window)
            self.propagation.observe(call, account, response, config.iam_propagation)
            hidden = self.freshness.hide(call, account, response)
            if hidden is not None:
                self.count("not_found_window", call)
        return hidden or response
