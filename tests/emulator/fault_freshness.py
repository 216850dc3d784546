"""The NotFound window: resources their service cannot find right after they were created.

AWS is eventually consistent: a resource just created may not be found, or may be missing
from a list, for a few seconds, and macroctl has to wait that out rather than fail or create
again. This module remembers every resource id and ARN moto's answers name, makes what a
mutating call created *fresh* for the configured ``not_found_window``, and then refuses
calls naming a fresh resource with the service's own NotFound error, or leaves it out of
the answers of reads that list (``Freshness``). What is fresh, the errors and the lists are
documented under "Faults" in ``launcher.py``'s docstring.
"""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Callable

from fault_calls import Call
from fault_config import Window
from fault_responses import Response, error_response

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
    keys: tuple[str, ...]  # fields of an item that name it (none: the item is the name)
    missing: str | None = None  # JSON: failures entry {"arn": item[missing], "reason": "MISSING"}


LISTED_READS: dict[tuple[str, str], ListedRead] = {
    ("ecs", "DescribeServices"): ListedRead(
        "ecs:service", "services", ("serviceArn", "serviceName"), missing="serviceArn"
    ),
    ("ecs", "DescribeClusters"): ListedRead(
        "ecs:cluster", "clusters", ("clusterArn", "clusterName"), missing="clusterArn"
    ),
    ("ecs", "ListTaskDefinitions"): ListedRead("ecs:task-definition", "taskDefinitionArns", ()),
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
        # A create is never refused for its own name, wherever else in its body it appears
        # (a task definition's family may also be an environment variable's value).
        named = NAMED_CREATES.get((call.service, call.action))
        own_name = call.param(named[0]) if named else None
        for param, value in call.named_values():
            if own_name is not None and value == own_name:
                continue
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
        if isinstance(item, str):
            return not listed.keys and hidden(item)
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
