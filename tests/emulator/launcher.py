"""A more realistic AWS emulator: moto's server, monkeypatched in-process.

    python launcher.py --host 127.0.0.1 --port PORT

Serves the same WSGI app as ``moto_server`` (``DomainDispatcherApplication`` behind
werkzeug's threaded ``run_simple`` with moto's request handler), so it prints the same
" * Running on http://HOST:PORT" line, honours moto's own variables
(``MOTO_IAM_LOAD_MANAGED_POLICIES``, ``MOTO_ENABLE_RECORDING``, ...) and serves every
account and region, until it is killed (SIGTERM/SIGINT exit cleanly). moto's installed files
are not modified: the extensions below patch its classes after import, and the fault
emulator (``faults.py``, see "Faults" below) wraps the app as a WSGI middleware.

Nothing runs in the background: every delay is evaluated lazily, by comparing a resource's
creation (or change) time with the clock when it is read.

Environment variables
---------------------

``MACROCTL_EMULATOR_CREATE_SECONDS``  (default: empty, i.e. moto's instant behaviour)
    Comma-separated ``KIND=SECONDS`` (seconds may be fractional), for example
    ``rds=3,elasticache=3,nat=2,alb=2``. Kinds:

    * ``rds``: a DB instance reports ``DBInstanceStatus`` ``creating`` for N seconds after
      it is created (CreateDBInstance, read replicas, restores), then ``available``; after
      ModifyDBInstance with ``ApplyImmediately`` it reports ``modifying`` for N seconds.
    * ``elasticache``: a replication group (``Status``, and its node groups) and a cache
      cluster (``CacheClusterStatus``; also any cache cluster that names the replication
      group) report ``creating`` for N seconds, then ``available``. moto itself does not
      create CacheCluster records for a replication group's member clusters.
    * ``nat``: a NAT gateway reports ``pending`` for N seconds, then ``available``.
    * ``alb``: an ELBv2 load balancer reports ``provisioning`` for N seconds, then
      ``active``.

    A status that moto changes to something else meanwhile (``deleting``, ``stopped``, ...)
    is reported as moto has it. The fault configuration's ``create_seconds`` overrides
    these at run time, for resources created afterwards (see "Faults").

``MACROCTL_EMULATOR_ECS``  (default ``1``; ``0`` keeps moto's ECS deployment behaviour)
    ECS rolling deployments for services with the ECS deployment controller (CreateCluster
    is idempotent either way, see "Idempotent creates"):

    * CreateService: one PRIMARY deployment (``ecs-svc/<19 digits>``) for the service's task
      definition, ``rolloutState`` IN_PROGRESS, runningCount 0, pendingCount = desired.
      After the rollout time it is COMPLETED (running = desired, pending 0), the service's
      runningCount = desired, and the events "(service S) (deployment ID) deployment
      completed." and "(service S) has reached a steady state." are written.
      ``deploymentConfiguration`` (filled with ECS's defaults: circuit breaker off,
      maximumPercent 200, minimumHealthyPercent 100), ``enableExecuteCommand``,
      ``healthCheckGracePeriodSeconds``, ``enableECSManagedTags``, ``placementConstraints``,
      ``placementStrategy`` and ``capacityProviderStrategy`` given to CreateService are kept
      (moto 5.2.5 drops them); the service gets a ``createdAt``.
    * UpdateService with a task definition other than the service's current one, or with
      ``forceNewDeployment``: a new PRIMARY deployment IN_PROGRESS; the previous PRIMARY
      becomes ACTIVE (still counting its running tasks); the service's ``taskDefinition`` is
      the new one (as a full ARN). After the rollout time:
        - images of the new task definition do not match ``MACROCTL_EMULATOR_BROKEN_IMAGE``:
          the deployment COMPLETES, the other deployments are removed, events as above;
        - an image matches: the deployment is FAILED (running 0, failedTasks > 0,
          rolloutStateReason "ECS deployment circuit breaker: tasks failed to start.", event
          "(service S) (deployment ID) deployment failed: tasks failed to start."). If the
          service's circuit breaker has ``enable`` and ``rollback`` on and an earlier
          deployment had COMPLETED, ECS-style rollback follows: the failed deployment becomes
          ACTIVE, a new PRIMARY deployment for the last completed deployment's task
          definition starts (the service's ``taskDefinition`` returns to it) and the event
          "(service S) rolling back to deployment ID-OF-LAST-COMPLETED." is written; the
          rollback completes after another rollout time, and the failed deployment is then
          kept with status INACTIVE (rolloutState FAILED) until the next new deployment.
          Without rollback the failed deployment stays PRIMARY/FAILED, the previous
          deployment stays ACTIVE with its tasks.
      UpdateService that only changes desiredCount adjusts the PRIMARY deployment (at once
      when it is COMPLETED). Service ``runningCount``/``pendingCount`` (and the cluster's
      task counts) are the sums over the PRIMARY and ACTIVE deployments. Service ``events``
      are newest first (at most 100), each with id, createdAt and message.
    * State advances lazily on DescribeServices, ListServices and UpdateService.

``MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS``  (default ``3``)
    How long an ECS deployment takes to complete (or to fail).

``MACROCTL_EMULATOR_BROKEN_IMAGE``  (default ``:broken``)
    A Python regular expression (``re.search``); a deployment whose task definition has a
    container image matching it fails.

``MACROCTL_EMULATOR_FAULTS``  (default: empty, i.e. no faults)
    The initial fault configuration: the JSON document ``POST /_macroctl/faults`` takes (see
    "Faults"). It is validated at start; a bad one stops the launcher with a message naming
    the bad key.

Faults
------

Real AWS loses responses, drops connections, throttles, fails with 5xx, cannot find what was
just created and cannot assume a role just created; it also honours client tokens, which
moto ignores. ``faults.py`` does all of that in front of moto, so that macroctl's resilience
can be tested. It is always installed and inactive until configured.

Only SigV4-signed query and JSON API calls are faulted. A call is identified by its
*service*, the signing name of the ``Authorization`` credential scope (``ec2``, ``rds``,
``elasticache``, ``iam``, ``elasticloadbalancing``, ``sns``, ``monitoring``, ``sts``,
``ecs``, ``ecr``, ``logs``, ``secretsmanager``, ``application-autoscaling``), and its
*action*: the ``Action`` form field (query protocols), or what follows the last ``.`` of
``X-Amz-Target`` (JSON protocols). It is *mutating* unless the action starts with Describe,
List, Get, Search, Lookup, BatchGet, Check or Validate. moto gets the request body
unchanged, and records (``MOTO_ENABLE_RECORDING``) exactly the calls it performs: a call
refused by a fault never reaches moto. ``/moto-api/...`` and ``/_macroctl/...`` are never
faulted; a ``/moto-api/reset`` also forgets fresh resources, propagating roles and tokens.

Control endpoint (answered by the middleware; never passed to moto, never recorded):

* ``POST /_macroctl/faults`` with a JSON configuration: replaces the whole configuration and
  resets the counters (and what is fresh or propagating); answers like GET. A bad
  configuration answers HTTP 400 ``{"error": "rules[0].probability: must be from 0 to 1"}``
  (the message starts with the bad key) and leaves the configuration in force.
* ``GET /_macroctl/faults``: ``{"config": <the configuration, with defaults filled in>,
  "injected": {FAULT: {"SERVICE:Action": N}}`` for the six faults below,
  ``"replayed": {"SERVICE:Action": N}`` (client-token replays), ``"requests": N}`` (AWS
  calls since the configuration was set).
* ``DELETE /_macroctl/faults``: back to no faults.

Configuration (every key optional)::

    {
      "seed": 7,
      "rules": [
        {"fault": "lose_response", "service": "*", "action": "*", "mutating": true,
         "probability": 0.15},
        {"fault": "drop_connection", "service": "ec2", "action": "CreateVpc", "count": 1,
         "skip": 0},
        {"fault": "throttle", "probability": 0.2},
        {"fault": "server_error", "status": 503, "probability": 0.05}
      ],
      "not_found_window": {"seconds": 2.0, "services": ["*"]},
      "iam_propagation": {"seconds": 10.0},
      "create_seconds": {"rds": 60}
    }

* ``seed`` (integer, default 0) seeds the ``random.Random`` that probabilities draw from.
* ``rules``: ``fault`` is one of the four below; ``service`` and ``action`` are fnmatch
  globs (default ``*``); ``mutating`` true matches only mutating calls, false only reads,
  absent both; ``probability`` (0 to 1, default 1), ``count`` (fire at most N times,
  default unlimited), ``skip`` (let the first K matching calls through, default 0);
  ``status`` (500 or 503, default 500) for ``server_error`` only. Rules are tried in order
  until one fires; a rule counts a call as matching only when it is tried. A probability
  below 1 draws once from the seeded generator per try, so a given call sequence always
  gets the same faults.
* ``not_found_window``: ``seconds`` (required) and ``services`` (signing-name globs,
  default ``["*"]``).
* ``iam_propagation``: ``seconds`` (required).
* ``create_seconds``: ``KIND: SECONDS`` for the kinds of ``MACROCTL_EMULATOR_CREATE_SECONDS``;
  the kinds not given keep that variable's value. Applies to resources created afterwards.

What each fault does on the wire:

* ``lose_response``: moto performs the call completely, then the client's connection is
  shut down and closed without a response byte. The SDK sees a dispatch (IO) failure and,
  with retries on, sends the same request again: the create is done twice unless a client
  token makes it idempotent.
* ``drop_connection``: the connection is closed the same way without performing the call.
* ``throttle``: not performed; EC2 answers HTTP 503 ``RequestLimitExceeded`` ("Request limit
  exceeded."), the other query services HTTP 400 ``Throttling`` ("Rate exceeded", in an
  ``ErrorResponse`` with the service's xmlns), JSON services HTTP 400
  ``ThrottlingException`` (``__type``, ``x-amzn-ErrorType``, ``application/x-amz-json-1.1``).
  Every error carries an ``x-amzn-RequestId`` header (and EC2's ``RequestID`` element, the
  query services' ``RequestId``).
* ``server_error``: not performed; 500: EC2 ``InternalError``, query and JSON services
  ``InternalFailure``; 503: EC2 ``Unavailable``, query ``ServiceUnavailable``, JSON
  ``ServiceUnavailableException``, worded as AWS words them.
* ``not_found_window`` (eventual consistency). Every successful response is searched for
  EC2 ids (``vpc-``, ``subnet-``, ``igw-``, ``eipalloc-``, ``nat-``, ``rtb-``,
  ``rtbassoc-``, ``sg-``, ``sgr-``) and ARNs, whether configured or not. When a mutating
  call of a covered service succeeds, each id or ARN of that service in its response that
  no earlier response and not the request itself named becomes *fresh* for ``seconds``; so
  does the name a named create gives (the first time it gives it): ELB CreateTargetGroup and
  CreateLoadBalancer ``Name``, RDS ``DBInstanceIdentifier``, ``DBSubnetGroupName``,
  ``DBParameterGroupName``, ElastiCache ``ReplicationGroupId``, ``CacheSubnetGroupName``,
  IAM CreateRole ``RoleName``, Logs ``logGroupName``, ECR ``repositoryName``, ECS
  ``serviceName``, ``clusterName``, ``family`` (a new task definition is also fresh as
  ``family:revision``), Secrets Manager and SNS ``Name``, CloudWatch PutMetricAlarm
  ``AlarmName``. While fresh:

  - a later call to the same service (account and region) that names it (any form value
    but ``Action``, ``Version``, filters and tags; any JSON string but under ``tags``) is not
    performed and answers the service's NotFound for it: EC2 by id prefix
    (``InvalidVpcID.NotFound`` "The vpc ID 'vpc-1' does not exist", and likewise
    ``InvalidSubnetID.NotFound``, ``InvalidInternetGatewayID.NotFound``,
    ``InvalidAllocationID.NotFound``, ``NatGatewayNotFound``,
    ``InvalidRouteTableID.NotFound``, ``InvalidAssociationID.NotFound``,
    ``InvalidGroup.NotFound``, ``InvalidSecurityGroupRuleId.NotFound``); ELB
    ``TargetGroupNotFound``, ``LoadBalancerNotFound``, ``ListenerNotFound``,
    ``RuleNotFound``; ECS
    ``ServiceNotFoundException``, ``ClusterNotFoundException``, ``ClientException`` "Unable
    to describe task definition."; RDS ``DBInstanceNotFound``, ``DBSubnetGroupNotFoundFault``,
    ``DBParameterGroupNotFound`` (404); ElastiCache ``ReplicationGroupNotFoundFault`` (404),
    ``CacheSubnetGroupNotFoundFault``; IAM ``NoSuchEntity`` (404); Secrets Manager, Logs
    ``ResourceNotFoundException``; ECR ``RepositoryNotFoundException``; SNS ``NotFound``
    (404); CloudWatch ``ResourceNotFound`` (404); Application Auto Scaling
    ``ObjectNotFoundException`` (codes and statuses as moto raises them). A create repeating
    the name that made it fresh (a retry of that create) goes to moto, which answers its
    own AlreadyExists (or, for the creates under "Idempotent creates", the existing
    resource);
  - reads that answer lists leave it out instead, as AWS does: EC2 Describe* drop the
    ``<item>`` whose id is fresh from ``vpcSet``, ``subnetSet``, ``internetGatewaySet``,
    ``addressesSet``, ``natGatewaySet``, ``routeTableSet``, ``associationSet``
    (``routeTableAssociationId``), ``securityGroupInfo`` and ``securityGroupRuleSet``
    (default xmlns and XML declaration kept, Content-Length fixed); ECS DescribeServices and
    DescribeClusters move it to ``failures`` with reason ``MISSING``; Logs DescribeLogGroups
    and CloudWatch DescribeAlarms omit it (these never answer NotFound for it).

  Each refused call and each answer with something left out counts once.
* ``iam_propagation``: for ``seconds`` after a role was created or changed (IAM
  CreateRole, PutRolePolicy, AttachRolePolicy, UpdateAssumeRolePolicy), a call handing that
  role (``arn:aws:iam::ACCOUNT:role/[PATH/]NAME``) to a service is not performed: ECS
  RegisterTaskDefinition (``executionRoleArn``/``taskRoleArn``) answers ``ClientException``
  "Role is not valid"; ECS CreateService, UpdateService, RunTask (the ARN anywhere in the
  body) ``InvalidParameterException`` "Unable to assume role and validate the specified
  targetGroupArn. ..."; RDS CreateDBInstance/ModifyDBInstance (``MonitoringRoleArn``)
  ``InvalidParameterValue`` "IAM role ARN value is invalid or does not include the
  required permissions for: ENHANCED_MONITORING"; Application Auto Scaling
  RegisterScalableTarget (``RoleARN``) ``ValidationException`` "Unable to assume IAM role:
  ARN". All HTTP 400.

Client tokens (always on, not a fault): moto ignores EC2 ``ClientToken`` (CreateNatGateway,
CreateRouteTable, RunInstances, ...) and ECS ``clientToken`` (CreateService, RunTask); it
already honours Secrets Manager CreateSecret ``ClientRequestToken``. For the former, the
first successful response is remembered per (account, region, service, action, token),
including one lost by ``lose_response``; a later call with the same token and the same other
parameters gets that same response without anything being performed. EC2 answers one with
different parameters ``IdempotentParameterMismatch`` (HTTP 400); ECS passes it to moto.

Idempotent creates
------------------

Always on (not a fault, independent of ``MACROCTL_EMULATOR_ECS``): three creates that AWS
documents as idempotent by name, which moto 5.2.5 is not. A repeat returns the existing
resource as it is now (same ARN; its tags are not changed, whatever the repeat asks for) and
creates nothing:

* ELBv2 CreateLoadBalancer with the name of an existing load balancer (of that account and
  region): returned when its type (default ``application``), scheme (default
  ``internet-facing``), subnets (``Subnets`` and ``SubnetMappings``' ``SubnetId``, in any
  order) and security groups (in any order) are the requested ones; otherwise HTTP 400
  ``DuplicateLoadBalancerName`` "A load balancer with the same name 'NAME' exists, but with
  different settings". moto would create a second load balancer with the same name.
* ELBv2 CreateListener on a load balancer that already has a listener on that port:
  returned when its protocol, its default certificate (CreateListener takes exactly one)
  and its default actions (compared as moto stores them, with stickiness and weight
  defaults filled in) are the requested ones; otherwise HTTP 400 ``DuplicateListener`` "A
  listener already exists on this port for this load balancer". moto would create a second
  listener on that port. ``SslPolicy`` and ``AlpnPolicy`` are not compared.
* ECS CreateCluster with the name of an ACTIVE cluster: returned unchanged (settings,
  configuration, capacity providers, tags, task and service counts). moto would replace it
  with a new cluster with the default settings and no tags. A name whose cluster was deleted
  (INACTIVE) gets a new cluster, as in moto.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from typing import Any, Callable

import faults

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

CREATE_KINDS = ("rds", "elasticache", "nat", "alb")


def parse_create_seconds(text: str) -> dict[str, float]:
    """``rds=3,elasticache=3`` -> {"rds": 3.0, "elasticache": 3.0, "nat": 0.0, "alb": 0.0}"""
    result = {kind: 0.0 for kind in CREATE_KINDS}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise SystemExit(
                f"launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: '{item}' is not KIND=SECONDS"
            )
        kind, _, value = item.partition("=")
        kind = kind.strip().lower()
        if kind not in result:
            raise SystemExit(
                f"launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: unknown kind '{kind}' "
                f"(known: {', '.join(CREATE_KINDS)})"
            )
        try:
            seconds = float(value)
        except ValueError:
            raise SystemExit(
                f"launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: '{value}' is not a number"
            ) from None
        if seconds < 0:
            raise SystemExit("launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: negative seconds")
        result[kind] = seconds
    return result


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        raise SystemExit(f"launcher.py: {name}: '{value}' is not a number") from None


class Settings:
    def __init__(self) -> None:
        self.create_seconds = parse_create_seconds(
            os.environ.get("MACROCTL_EMULATOR_CREATE_SECONDS", "")
        )
        self.ecs = env_flag("MACROCTL_EMULATOR_ECS", True)
        self.ecs_rollout_seconds = env_float("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", 3.0)
        pattern = os.environ.get("MACROCTL_EMULATOR_BROKEN_IMAGE", ":broken")
        try:
            self.broken_image = re.compile(pattern)
        except re.error as e:
            raise SystemExit(f"launcher.py: MACROCTL_EMULATOR_BROKEN_IMAGE: {e}") from None
        self.faults = parse_faults(os.environ.get("MACROCTL_EMULATOR_FAULTS", ""))


def parse_faults(text: str) -> faults.FaultConfig:
    """The initial fault configuration (JSON, as POSTed to ``/_macroctl/faults``)."""
    if not text.strip():
        return faults.FaultConfig()
    try:
        return faults.parse_config_text(text, CREATE_KINDS)
    except faults.ConfigError as e:
        raise SystemExit(f"launcher.py: MACROCTL_EMULATOR_FAULTS: {e}") from None


# ---------------------------------------------------------------------------------------------
# Timed statuses (creating -> available, ...)
# ---------------------------------------------------------------------------------------------

Seconds = Callable[[], float]


class TimedStatus:
    """A data descriptor replacing a plain status attribute of a moto model class.

    The value moto assigns is stored as is. The first assignment (in ``__init__``) starts a
    busy period of ``seconds()`` (read then, so a change applies to resources created
    afterwards): while it lasts, a stored value in ``settled`` reads as ``busy_value``.
    ``mark_busy`` starts another busy period later (e.g. ``modifying``). Objects created
    before the descriptor was installed (it can be installed at run time) are never busy
    from their creation.
    """

    def __init__(self, attr: str, settled: set[str], busy_value: str, seconds: Seconds):
        self.attr = attr
        self.settled = settled
        self.busy_value = busy_value
        self.seconds = seconds
        self.value_key = f"_macroctl_emu_{attr}"
        self.busy_key = f"_macroctl_emu_{attr}_busy"

    def adopt(self, d: dict[str, Any]) -> None:
        """Moves a value stored before the descriptor existed to where it keeps it."""
        if self.attr in d and self.value_key not in d:
            d[self.value_key] = d.pop(self.attr)
            d.setdefault(self.busy_key, None)

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        d = obj.__dict__
        self.adopt(d)
        value = d.get(self.value_key)
        busy = d.get(self.busy_key)
        if busy is not None and value in self.settled and time.time() < busy[0]:
            return busy[1]
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        d = obj.__dict__
        self.adopt(d)
        if self.busy_key not in d:
            seconds = self.seconds()
            d[self.busy_key] = (time.time() + seconds, self.busy_value) if seconds > 0 else None
        d[self.value_key] = value

    def mark_busy(self, obj: Any, busy_value: str, seconds: float) -> None:
        if seconds > 0:
            self.adopt(obj.__dict__)
            obj.__dict__[self.busy_key] = (time.time() + seconds, busy_value)

    def busy_until(self, obj: Any) -> float | None:
        busy = obj.__dict__.get(self.busy_key)
        return busy[0] if busy else None


def install_timed_status(
    cls: type, attr: str, settled: set[str], busy_value: str, seconds: Seconds
) -> TimedStatus:
    descriptor = TimedStatus(attr, settled, busy_value, seconds)
    setattr(cls, attr, descriptor)
    return descriptor


def patch_rds_delay(seconds: Seconds) -> None:
    from moto.rds.models import DBInstance, RDSBackend

    rds_status = install_timed_status(DBInstance, "status", {"available"}, "creating", seconds)
    original_modify = RDSBackend.modify_db_instance

    def modify_db_instance(self: Any, db_instance_identifier: str, db_kwargs: Any) -> Any:
        apply_immediately = str(
            db_kwargs.get("apply_immediately", db_kwargs.get("ApplyImmediately", ""))
        ).lower() in ("true", "1")
        database = original_modify(self, db_instance_identifier, db_kwargs)
        if apply_immediately:
            rds_status.mark_busy(database, "modifying", seconds())
        return database

    RDSBackend.modify_db_instance = modify_db_instance


def patch_elasticache_delay(seconds: Seconds) -> None:
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup

    rg_status = install_timed_status(
        ReplicationGroup, "status", {"available"}, "creating", seconds
    )
    cc_status = install_timed_status(
        CacheCluster, "cache_cluster_status", {"available"}, "creating", seconds
    )
    install_timed_status(CacheCluster, "status", {"available"}, "creating", seconds)

    def sync_node_groups(backend: Any, group: Any) -> None:
        status = group.status
        for node_group in getattr(group, "node_groups", None) or []:
            if isinstance(node_group, dict) and node_group.get("status") in (
                "available",
                "creating",
            ):
                node_group["status"] = "creating" if status == "creating" else "available"

    original_create_rg = ElastiCacheBackend.create_replication_group
    original_describe_rg = ElastiCacheBackend.describe_replication_groups
    original_describe_cc = ElastiCacheBackend.describe_cache_clusters

    def create_replication_group(self: Any, *args: Any, **kwargs: Any) -> Any:
        group = original_create_rg(self, *args, **kwargs)
        sync_node_groups(self, group)
        return group

    def describe_replication_groups(self: Any, *args: Any, **kwargs: Any) -> Any:
        groups = original_describe_rg(self, *args, **kwargs)
        for group in groups:
            sync_node_groups(self, group)
        return groups

    def describe_cache_clusters(self: Any, *args: Any, **kwargs: Any) -> Any:
        clusters = original_describe_cc(self, *args, **kwargs)
        # A cache cluster of a replication group that is still being created is too.
        for cluster in clusters:
            group_id = getattr(cluster, "replication_group_id", None)
            group = self.replication_groups.get(group_id) if group_id else None
            if group is None:
                continue
            until = rg_status.busy_until(group)
            own = cc_status.busy_until(cluster) or 0.0
            if until and until > own:
                remaining = until - time.time()
                cc_status.mark_busy(cluster, "creating", remaining)
        return clusters

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.describe_replication_groups = describe_replication_groups
    ElastiCacheBackend.describe_cache_clusters = describe_cache_clusters


def patch_nat_delay(seconds: Seconds) -> None:
    from moto.ec2.models.nat_gateways import NatGateway

    install_timed_status(NatGateway, "state", {"available"}, "pending", seconds)


def patch_alb_delay(seconds: Seconds) -> None:
    from moto.elbv2.models import FakeLoadBalancer

    install_timed_status(FakeLoadBalancer, "state", {"active"}, "provisioning", seconds)


DELAY_PATCHES: dict[str, Callable[[Seconds], None]] = {
    "rds": patch_rds_delay,
    "elasticache": patch_elasticache_delay,
    "nat": patch_nat_delay,
    "alb": patch_alb_delay,
}


class CreateDelays:
    """The creation time of each kind: ``MACROCTL_EMULATOR_CREATE_SECONDS``, overridden at
    run time by the fault endpoint's ``create_seconds``. A kind's patch is installed the first
    time the kind gets more than 0 seconds (so a kind never delayed is moto's own code)."""

    def __init__(self, defaults: dict[str, float]):
        self.defaults = dict(defaults)
        self.seconds = dict(defaults)
        self.installed: set[str] = set()
        self.install_needed()

    def apply(self, overrides: dict[str, float]) -> None:
        self.seconds = {**self.defaults, **overrides}
        self.install_needed()

    def install_needed(self) -> None:
        for kind, patch in DELAY_PATCHES.items():
            if self.seconds[kind] > 0 and kind not in self.installed:
                patch(lambda kind=kind: self.seconds[kind])
                self.installed.add(kind)


# ---------------------------------------------------------------------------------------------
# ECS deployments
# ---------------------------------------------------------------------------------------------

ECS_LOCK = threading.RLock()
MAX_EVENTS = 100
DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
# CreateService parameters moto 5.2.5 does not keep, and the service attribute each goes to.
KEPT_CREATE_SERVICE_PARAMS = {
    "deploymentConfiguration": "deployment_configuration",
    "enableExecuteCommand": "enable_execute_command",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "capacityProviderStrategy": "capacity_provider_strategy",
}


def as_datetime(ts: float) -> datetime.datetime:
    """Naive UTC, like moto's ``utcnow()``."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).replace(tzinfo=None)


def new_deployment_id() -> str:
    return "ecs-svc/" + str(random.randint(10**18, 10**19 - 1))


class EcsDeployments:
    def __init__(self, settings: Settings):
        self.rollout = settings.ecs_rollout_seconds
        self.broken = settings.broken_image

    # -- per-service bookkeeping (kept off the serialized deployment dicts) --

    @staticmethod
    def meta(service: Any) -> dict[str, Any]:
        meta = service.__dict__.get("_macroctl_emu_ecs")
        if meta is None:
            meta = {"deployments": {}, "registered": None}
            service.__dict__["_macroctl_emu_ecs"] = meta
        return meta

    def images_of(self, backend: Any, task_definition_arn: str | None) -> list[str]:
        if not task_definition_arn:
            return []
        try:
            task_definition = backend.describe_task_definition(task_definition_arn)
        except Exception:
            return []
        return [
            str(c.get("image", ""))
            for c in (task_definition.container_definitions or [])
            if isinstance(c, dict)
        ]

    def is_broken(self, images: list[str]) -> bool:
        return any(self.broken.search(image) for image in images)

    @staticmethod
    def add_event(service: Any, ts: float, message: str) -> None:
        events = getattr(service, "events", None)
        if events is None:
            events = service.events = []
        events.insert(0, {"id": str(uuid.uuid4()), "createdAt": as_datetime(ts), "message": message})
        del events[MAX_EVENTS:]

    @staticmethod
    def primary(service: Any) -> dict[str, Any] | None:
        for deployment in service.deployments or []:
            if deployment.get("status") == "PRIMARY":
                return deployment
        return None

    def start_deployment(
        self,
        backend: Any,
        service: Any,
        task_definition_arn: str | None,
        ts: float,
        template: dict[str, Any] | None = None,
        rollback_of: str | None = None,
    ) -> dict[str, Any]:
        deployment_id = new_deployment_id()
        launch_type = service.launch_type or "FARGATE"
        deployment = {
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": task_definition_arn,
            "desiredCount": service.desired_count,
            "pendingCount": service.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": as_datetime(ts),
            "updatedAt": as_datetime(ts),
            "launchType": launch_type,
            "platformVersion": service.platform_version
            or ("LATEST" if launch_type == "FARGATE" else None),
            "platformFamily": "EC2" if launch_type == "EC2" else "Linux",
            "networkConfiguration": service.network_configuration or None,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        }
        if template:
            for key in ("platformVersion", "platformFamily", "networkConfiguration"):
                if template.get(key) is not None:
                    deployment[key] = template[key]
        self.meta(service)["deployments"][deployment_id] = {
            "complete_at": ts + self.rollout,
            "images": self.images_of(backend, task_definition_arn),
            "rollback_of": rollback_of,
        }
        return deployment

    # -- lazy state advancement --

    def advance(self, backend: Any, service: Any, now: float | None = None) -> None:
        if now is None:
            now = time.time()
        if service.status != "ACTIVE" or not service.deployments:
            return
        meta = self.meta(service)
        for _ in range(100):  # each step moves a deployment on; bounded for safety
            primary = self.primary(service)
            if primary is None or primary.get("rolloutState") != "IN_PROGRESS":
                break
            info = meta["deployments"].get(primary["id"])
            if info is None or now < info["complete_at"]:
                break
            if self.is_broken(info["images"]):
                self.fail(backend, service, primary, info["complete_at"])
            else:
                self.complete(service, primary, info)
        self.sync_counts(backend, service)

    def complete(self, service: Any, primary: dict[str, Any], info: dict[str, Any]) -> None:
        ts = info["complete_at"]
        primary.update(
            {
                "rolloutState": "COMPLETED",
                "rolloutStateReason": f"ECS deployment {primary['id']} completed.",
                "runningCount": primary["desiredCount"],
                "pendingCount": 0,
                "updatedAt": as_datetime(ts),
            }
        )
        kept = [primary]
        for deployment in service.deployments:
            if deployment is primary:
                continue
            if info.get("rollback_of") and deployment["id"] == info["rollback_of"]:
                deployment.update(
                    {"status": "INACTIVE", "runningCount": 0, "pendingCount": 0,
                     "updatedAt": as_datetime(ts)}
                )
                kept.append(deployment)
        service.deployments[:] = kept
        self.add_event(service, ts, f"(service {service.name}) (deployment {primary['id']}) deployment completed.")
        self.add_event(service, ts, f"(service {service.name}) has reached a steady state.")

    def fail(self, backend: Any, service: Any, primary: dict[str, Any], ts: float) -> None:
        desired = primary["desiredCount"]
        primary.update(
            {
                "rolloutState": "FAILED",
                "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
                "runningCount": 0,
                "pendingCount": 0,
                # ECS's failure threshold: half the desired count, at least 3, at most 200.
                "failedTasks": min(200, max(3, (desired + 1) // 2)),
                "updatedAt": as_datetime(ts),
            }
        )
        self.add_event(
            service,
            ts,
            f"(service {service.name}) (deployment {primary['id']}) deployment failed: "
            "tasks failed to start.",
        )
        configuration = getattr(service, "deployment_configuration", None) or {}
        breaker = configuration.get("deploymentCircuitBreaker") or {}
        if not (breaker.get("enable") and breaker.get("rollback")):
            return
        target = next(
            (
                d
                for d in service.deployments
                if d is not primary and d.get("rolloutState") == "COMPLETED"
                and d.get("status") in ("ACTIVE", "PRIMARY")
            ),
            None,
        )
        if target is None:
            return
        primary["status"] = "ACTIVE"
        rollback = self.start_deployment(
            backend, service, target["taskDefinition"], ts, template=target,
            rollback_of=primary["id"],
        )
        service.deployments.insert(0, rollback)
        service.task_definition = target["taskDefinition"]
        self.add_event(service, ts, f"(service {service.name}) rolling back to deployment {target['id']}.")

    def sync_counts(self, backend: Any, service: Any) -> None:
        """Service counts = sums over PRIMARY/ACTIVE deployments; the cluster's follow."""
        if not service.deployments:
            return
        live = [d for d in service.deployments if d.get("status") in ("PRIMARY", "ACTIVE")]
        running = sum(int(d.get("runningCount") or 0) for d in live)
        pending = sum(int(d.get("pendingCount") or 0) for d in live)
        service.running_count = running
        service.pending_count = pending
        meta = self.meta(service)
        registered = meta["registered"] or (0, 0)
        cluster = backend.clusters.get(service.cluster_name)
        if cluster is not None:
            backend.update_cluster_resources(cluster, running - registered[0], task_state="RUNNING")
            backend.update_cluster_resources(cluster, pending - registered[1], task_state="PENDING")
        meta["registered"] = (running, pending)


def patch_ecs(settings: Settings) -> None:
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    ecs = EcsDeployments(settings)
    backend_cls = EC2ContainerServiceBackend
    original_create = backend_cls.create_service
    original_update = backend_cls.update_service
    original_describe = backend_cls.describe_services
    original_list = backend_cls.list_services
    original_create_response = EC2ContainerServiceResponse.create_service

    def is_rolling(service: Any) -> bool:
        controller = service.deployment_controller or {}
        return controller.get("type", "ECS") == "ECS"

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        with ECS_LOCK:
            service = original_create(self, *args, **kwargs)
            now = time.time()
            meta = ecs.meta(service)
            # What moto put on the cluster's task counts for this service.
            meta["registered"] = (service.running_count, service.pending_count)
            if getattr(service, "created_at", None) is None:
                service.created_at = as_datetime(now)
            if getattr(service, "deployment_configuration", None) is None:
                service.deployment_configuration = {
                    k: (dict(v) if isinstance(v, dict) else v)
                    for k, v in DEFAULT_DEPLOYMENT_CONFIGURATION.items()
                }
            if is_rolling(service):
                template = service.deployments[0] if service.deployments else None
                service.deployments = [
                    ecs.start_deployment(self, service, service.task_definition, now, template)
                ]
                ecs.sync_counts(self, service)
            return service

    def create_service_response(self: Any) -> Any:
        result = original_create_response(self)
        with ECS_LOCK:
            service = result.result["service"]
            for param, attr in KEPT_CREATE_SERVICE_PARAMS.items():
                value = self._get_param(param)
                if value is None:
                    continue
                if param == "deploymentConfiguration" and isinstance(value, dict):
                    merged = dict(DEFAULT_DEPLOYMENT_CONFIGURATION)
                    merged.update(value)
                    value = merged
                setattr(service, attr, value)
        return result

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        with ECS_LOCK:
            props = dict(service_properties)
            cluster_str = props.get("cluster") or "default"
            service_name = str(props.get("service", "")).split("/")[-1]
            service = self._get_service(cluster_str, service_name)
            now = time.time()
            ecs.advance(self, service, now)

            force = bool(props.pop("force_new_deployment", False))
            task_definition_str = props.get("task_definition")
            new_arn = (
                self.describe_task_definition(task_definition_str).arn
                if task_definition_str
                else None
            )
            desired = props.get("desired_count")
            old_arn = service.task_definition

            result = original_update(self, props)

            # moto took the service's tasks off the cluster counts and added `desired` running.
            ecs.meta(service)["registered"] = (desired if desired is not None else 0, 0)
            if new_arn:
                service.task_definition = new_arn
            if is_rolling(service) and service.deployments:
                if (new_arn and new_arn != old_arn) or force:
                    deployments = [d for d in service.deployments if d.get("status") != "INACTIVE"]
                    template = ecs.primary(service)
                    for d in deployments:
                        if d.get("status") == "PRIMARY":
                            d["status"] = "ACTIVE"
                            d["updatedAt"] = as_datetime(now)
                    deployments.insert(
                        0, ecs.start_deployment(self, service, service.task_definition, now, template)
                    )
                    service.deployments[:] = deployments
                elif desired is not None:
                    primary = ecs.primary(service)
                    if primary is not None and primary.get("desiredCount") != desired:
                        primary["desiredCount"] = desired
                        primary["updatedAt"] = as_datetime(now)
                        if primary.get("rolloutState") == "COMPLETED":
                            primary["runningCount"] = desired
                            primary["pendingCount"] = 0
                            ecs.add_event(service, now, f"(service {service.name}) has reached a steady state.")
                        elif primary.get("rolloutState") == "IN_PROGRESS":
                            primary["pendingCount"] = max(desired - primary["runningCount"], 0)
                ecs.sync_counts(self, service)
            return result

    def describe_services(self: Any, cluster_str: str, names: list[str]) -> Any:
        with ECS_LOCK:
            services, failures = original_describe(self, cluster_str, names)
            now = time.time()
            for service in services:
                ecs.advance(self, service, now)
            return services, failures

    def list_services(self: Any, cluster_str: str, *args: Any, **kwargs: Any) -> Any:
        with ECS_LOCK:
            arns = original_list(self, cluster_str, *args, **kwargs)
            cluster = self._get_cluster(cluster_str)
            now = time.time()
            for service in list(self.services.values()):
                if service.cluster_name == cluster.name:
                    ecs.advance(self, service, now)
            return arns

    backend_cls.create_service = create_service
    backend_cls.update_service = update_service
    backend_cls.describe_services = describe_services
    backend_cls.list_services = list_services
    EC2ContainerServiceResponse.create_service = create_service_response


# ---------------------------------------------------------------------------------------------
# Idempotent creates
# ---------------------------------------------------------------------------------------------

# CreateLoadBalancer and CreateListener check for their duplicate and create under this lock,
# so that two concurrent repeats cannot both create (werkzeug serves requests in threads).
ELBV2_LOCK = threading.RLock()


def patch_elbv2_idempotent_creates() -> None:
    """CreateLoadBalancer and CreateListener as idempotent as ELBv2 documents them (see
    "Idempotent creates" in the module docstring). moto 5.2.5 gives every load balancer a
    random id in its ARN, so its own ``arn in self.load_balancers`` check never finds a
    duplicate name, and it keys a balancer's listeners by ARN, so its ``port in
    balancer.listeners`` check never finds a duplicate port."""
    from moto.elbv2.exceptions import DuplicateListenerError, DuplicateLoadBalancerName
    from moto.elbv2.models import ELBv2Backend, FakeAction

    original_create_load_balancer = ELBv2Backend.create_load_balancer
    original_create_listener = ELBv2Backend.create_listener

    def create_load_balancer(
        self: Any,
        name: str,
        security_groups: list[str],
        subnet_ids: list[str],
        subnet_mappings: list[dict[str, str]] | None = None,
        scheme: str = "internet-facing",
        loadbalancer_type: str | None = None,
        ip_address_type: str = "ipv4",
        tags: list[dict[str, str]] | None = None,
    ) -> Any:
        with ELBV2_LOCK:
            existing = next((lb for lb in self.load_balancers.values() if lb.name == name), None)
            if existing is None:
                return original_create_load_balancer(
                    self,
                    name,
                    security_groups,
                    subnet_ids,
                    subnet_mappings=subnet_mappings,
                    scheme=scheme,
                    loadbalancer_type=loadbalancer_type,
                    ip_address_type=ip_address_type,
                    tags=tags,
                )
            requested = (
                loadbalancer_type or "application",
                scheme or "internet-facing",
                sorted(
                    list(subnet_ids or [])
                    + [m.get("SubnetId") for m in subnet_mappings or []]
                ),
                sorted(security_groups or []),
            )
            current = (
                existing.type or "application",
                existing.scheme or "internet-facing",
                sorted(subnet.id for subnet in existing.subnets),
                sorted(existing.security_groups or []),
            )
            if requested != current:
                raise DuplicateLoadBalancerName(
                    f"A load balancer with the same name '{name}' exists, but with different"
                    " settings"
                )
            return existing

    def create_listener(
        self: Any,
        load_balancer_arn: str,
        protocol: str,
        port: str,
        ssl_policy: str,
        certificate: str | None,
        actions: list[dict[str, Any]],
        alpn_policy: list[str] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> Any:
        with ELBV2_LOCK:
            balancer = self.load_balancers.get(load_balancer_arn)
            existing = None
            if balancer is not None:
                existing = next(
                    (l for l in balancer.listeners.values() if str(l.port) == str(port)), None
                )
            if existing is None:
                return original_create_listener(
                    self,
                    load_balancer_arn,
                    protocol,
                    port,
                    ssl_policy,
                    certificate,
                    actions,
                    alpn_policy=alpn_policy,
                    tags=tags,
                )
            # FakeAction fills in defaults (stickiness, weights) in place: compare the
            # requested actions as moto would have stored them, without touching them.
            requested_actions = [FakeAction(copy.deepcopy(a)).data for a in actions or []]
            current_actions = [a.data for a in existing.default_actions]
            same = (
                (protocol or "").upper() == (existing.protocol or "").upper()
                and (certificate or None) == (existing.certificate or None)
                and requested_actions == current_actions
            )
            if not same:
                raise DuplicateListenerError(
                    "A listener already exists on this port for this load balancer"
                )
            return existing

    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.create_listener = create_listener


def patch_ecs_idempotent_create_cluster() -> None:
    """CreateCluster returns the existing ACTIVE cluster unchanged; moto 5.2.5 replaces it
    with a new ``Cluster`` (default settings, no tags, task and service counts back to 0)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    backend_cls = EC2ContainerServiceBackend
    original_create_cluster = backend_cls.create_cluster

    def create_cluster(self: Any, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
        with ECS_LOCK:
            existing = self.clusters.get(cluster_name)
            if existing is not None and existing.status == "ACTIVE":
                return existing
            return original_create_cluster(self, cluster_name, *args, **kwargs)

    backend_cls.create_cluster = create_cluster


def patch_idempotent_creates() -> None:
    patch_elbv2_idempotent_creates()
    patch_ecs_idempotent_create_cluster()


# ---------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------


def apply_patches(settings: Settings) -> CreateDelays:
    delays = CreateDelays(settings.create_seconds)
    patch_idempotent_creates()
    if settings.ecs:
        patch_ecs(settings)
    return delays


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="Which host to bind")
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=int(os.environ.get("MOTO_PORT", 5000)),
        help="Port number to use for connection",
    )
    args = parser.parse_args(argv)

    settings = Settings()  # validate the environment before importing moto

    if "MOTO_PORT" not in os.environ:
        os.environ["MOTO_PORT"] = str(args.port)

    from werkzeug.serving import run_simple

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    delays = apply_patches(settings)

    def exit_cleanly(signum: Any, frame: Any) -> None:
        sys.exit(0)

    signal.signal(signal.SIGINT, exit_cleanly)
    signal.signal(signal.SIGTERM, exit_cleanly)

    moto_app = DomainDispatcherApplication(create_backend_app)
    moto_app.debug = True  # type: ignore[attr-defined]
    app = faults.FaultMiddleware(
        moto_app, settings.faults, create_kinds=CREATE_KINDS, on_create_seconds=delays.apply
    )
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
