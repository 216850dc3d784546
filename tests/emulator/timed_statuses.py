"""Timed statuses: resources that take a while to become ready, as they do on AWS.

moto creates every RDS instance, ElastiCache replication group and cache cluster, NAT gateway
and ELBv2 load balancer ready for use at once. Real AWS reports them ``creating`` (or
``pending``, ``provisioning``) for minutes, and macroctl has to wait for them; this module
makes moto do the same for ``MACROCTL_EMULATOR_CREATE_SECONDS`` (and the fault
configuration's ``create_seconds``), documented in ``launcher.py``'s docstring.

A status attribute of the moto model class is replaced by a data descriptor
(``TimedStatus``) that reads as the busy value until the resource's busy period is over:
evaluated lazily on every read, nothing runs in the background. A kind's patch is installed
only once the kind gets more than 0 seconds, so an undelayed kind runs moto's own code.
"""

from __future__ import annotations

import time
from typing import Any, Callable

CREATE_KINDS = ("rds", "elasticache", "nat", "alb")

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

