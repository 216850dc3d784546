"""Lingering network interfaces: what a torn-down stack leaves behind for a while on AWS.

On AWS, the elastic network interfaces of an ECS service (awsvpc tasks), an ELBv2 load
balancer, an RDS instance, an ElastiCache replication group or a NAT gateway outlive the
delete call by minutes: AWS detaches and deletes them in the background. Meanwhile the
subnets and security groups they sit in cannot be deleted (DeleteSubnet and
DeleteSecurityGroup answer ``DependencyViolation``), and the Elastic IP of a NAT gateway
that is still ``deleting`` cannot be released (ReleaseAddress answers
``InvalidIPAddress.InUse``). A ``macroctl destroy`` has to wait and retry through that. moto
5.2.5 forgets a load balancer, an instance or a service's network at once and lets every
subnet, group and address go immediately; its DeleteNatGateway jumps straight to
``deleted``. This module makes moto behave as AWS does for
``MACROCTL_EMULATOR_LINGER_SECONDS`` (documented on the wire under "Teardown" in
``launcher.py``'s docstring); it is installed only when that is more than 0, so otherwise
moto's own code runs.

How it works, all in-process and lazily (nothing runs in the background):

* The five deletes (``ELBv2Backend.delete_load_balancer``,
  ``EC2ContainerServiceBackend.delete_service``, ``RDSBackend.delete_db_instance``,
  ``ElastiCacheBackend.delete_replication_group``, ``EC2Backend.delete_nat_gateway``) are
  wrapped: once moto's own code has succeeded, the subnets, security groups (and for a NAT
  gateway, Elastic IP allocations) that the resource's moto model object named are *held*
  until now + the linger time. Only the first delete of a resource holds (a repeat of
  DeleteService on an INACTIVE service, of DeleteReplicationGroup on a ``deleting`` group,
  of DeleteNatGateway on a ``deleting`` or ``deleted`` gateway holds nothing new).
* Holds live in a dict on the EC2 backend of the resource's account and region (attribute
  ``_macroctl_lingering``: ``(kind, id) -> (expiry, detail)``), so ``/moto-api/reset``,
  which rebuilds every backend's ``__dict__``, forgets them with everything else. A
  resource held twice keeps the later expiry. Expired holds are dropped whenever the dict
  is looked at.
* ``EC2Backend.delete_subnet``, ``delete_security_group`` and ``release_address`` raise
  moto's own EC2 errors (``DependencyViolationError``, an ``EC2ClientError`` with code
  ``InvalidIPAddress.InUse``) for a held id, before moto's code runs; moto serializes them
  in EC2's ``<Response><Errors>`` format with HTTP 400, like every other EC2 error.
* DeleteNatGateway leaves the gateway ``deleting`` instead of moto's ``deleted``, and keeps
  when that ends on the gateway object; ``describe_nat_gateways`` (and a later
  DeleteNatGateway) first turn every gateway whose time is up ``deleted``. A ``nat``
  creation delay (``timed_statuses.py``) does not interfere: its descriptor reports any
  stored value but ``available`` as is.

Every wrapper takes ``LINGER_LOCK`` (werkzeug serves requests in threads) around its own
bookkeeping; the EC2 wrappers hold it across moto's call too, so a check and the delete it
lets through are one step. No other lock is taken while it is held.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

# Guards every EC2 backend's holds and the NAT gateways' deleting times.
LINGER_LOCK = threading.RLock()

# The attribute of an EC2Backend holding its holds: (kind, id) -> (expiry, detail), kind
# "subnet", "sg" or "eip" (an allocation id; detail: its public IP).
HOLDS_ATTRIBUTE = "_macroctl_lingering"

# The attribute of a moto NatGateway: when its ``deleting`` ends (time.monotonic()).
NAT_DELETING_UNTIL = "_macroctl_emu_deleting_until"


def _ec2_backend(account_id: str, region_name: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


def _live_holds(ec2_backend: Any, now: float) -> dict[tuple[str, str], tuple[float, str]]:
    """The backend's holds, without those whose time is up (call with LINGER_LOCK)."""
    holds: dict[tuple[str, str], tuple[float, str]] = ec2_backend.__dict__.setdefault(
        HOLDS_ATTRIBUTE, {}
    )
    for key, (expiry, _) in list(holds.items()):
        if expiry <= now:
            del holds[key]
    return holds


class Lingering:
    """Holds ids for ``seconds`` after the resource using them was deleted."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def hold(
        self,
        ec2_backend: Any,
        subnets: Iterable[str | None] = (),
        groups: Iterable[str | None] = (),
        addresses: Iterable[tuple[str | None, str | None]] = (),
    ) -> None:
        """Holds these subnet ids, security group ids and (allocation id, public IP)s."""
        now = time.monotonic()
        expiry = now + self.seconds
        entries = [(("subnet", s), "") for s in subnets if s]
        entries += [(("sg", g), "") for g in groups if g]
        entries += [(("eip", a), ip or a) for a, ip in addresses if a]
        with LINGER_LOCK:
            holds = _live_holds(ec2_backend, now)
            for key, detail in entries:
                previous = holds.get(key)
                if previous is None or previous[0] < expiry:
                    holds[key] = (expiry, detail)

    @staticmethod
    def held(ec2_backend: Any, kind: str, resource_id: str) -> tuple[float, str] | None:
        """(expiry, detail) while ``resource_id`` is held (call with LINGER_LOCK)."""
        return _live_holds(ec2_backend, time.monotonic()).get((kind, resource_id))


def _strings(values: Any) -> list[str]:
    return [v for v in (values or []) if isinstance(v, str) and v]


# ---------------------------------------------------------------------------------------------
# The deletes that leave network interfaces behind
# ---------------------------------------------------------------------------------------------


def patch_elbv2(lingering: Lingering) -> None:
    """DeleteLoadBalancer holds the load balancer's subnets and security groups (any ELBv2
    type: application, network and gateway load balancers all have interfaces)."""
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: Any, arn: str, *args: Any, **kwargs: Any) -> Any:
        balancer = self.load_balancers.get(arn)
        result = original(self, arn, *args, **kwargs)
        if balancer is not None and arn not in self.load_balancers:
            lingering.hold(
                _ec2_backend(self.account_id, self.region_name),
                subnets=[getattr(s, "id", None) for s in getattr(balancer, "subnets", [])],
                groups=_strings(getattr(balancer, "security_groups", None)),
            )
        return result

    ELBv2Backend.delete_load_balancer = delete_load_balancer


def patch_ecs(lingering: Lingering) -> None:
    """DeleteService of an ACTIVE (or DRAINING) service holds the subnets and security groups
    of its ``awsvpcConfiguration`` (moto marks the service INACTIVE and keeps it)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.delete_service

    def delete_service(
        self: Any, cluster_name: str, service_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        try:
            before = self._get_service(cluster_name, service_name).status
        except Exception:  # moto's own call raises the right error below
            before = None
        service = original(self, cluster_name, service_name, *args, **kwargs)
        if before is not None and before != "INACTIVE":
            network = getattr(service, "network_configuration", None) or {}
            awsvpc = network.get("awsvpcConfiguration") or {}
            lingering.hold(
                _ec2_backend(self.account_id, self.region_name),
                subnets=_strings(awsvpc.get("subnets")),
                groups=_strings(awsvpc.get("securityGroups")),
            )
        return service

    EC2ContainerServiceBackend.delete_service = delete_service


def patch_rds(lingering: Lingering) -> None:
    """DeleteDBInstance holds the subnets of the instance's DB subnet group and its VPC
    security groups (a cluster member's: its cluster's)."""
    from moto.rds.models import RDSBackend

    original = RDSBackend.delete_db_instance

    def delete_db_instance(self: Any, *args: Any, **kwargs: Any) -> Any:
        database = original(self, *args, **kwargs)
        group = getattr(database, "db_subnet_group", None)
        subnets = []
        if group is not None:
            subnets = [s.get("SubnetIdentifier") for s in getattr(group, "subnets", None) or []]
        groups = _strings(getattr(database, "vpc_security_group_ids", None))
        cluster_id = getattr(database, "db_cluster_identifier", None)
        cluster = getattr(self, "clusters", {}).get(cluster_id) if cluster_id else None
        if not groups and cluster is not None:
            groups = _strings(getattr(cluster, "vpc_security_group_ids", None))
        lingering.hold(
            _ec2_backend(self.account_id, self.region_name), subnets=subnets, groups=groups
        )
        return database

    RDSBackend.delete_db_instance = delete_db_instance


def patch_elasticache(lingering: Lingering) -> None:
    """DeleteReplicationGroup holds the subnets of the group's cache subnet group and its
    security groups (moto keeps the group, ``deleting``, for good)."""
    from moto.elasticache.models import ElastiCacheBackend

    original = ElastiCacheBackend.delete_replication_group

    def delete_replication_group(
        self: Any, replication_group_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        existing = self.replication_groups.get(replication_group_id)
        before = existing.status if existing is not None else None
        group = original(self, replication_group_id, *args, **kwargs)
        if before is not None and before != "deleting":
            subnet_group = self.cache_subnet_groups.get(
                getattr(group, "cache_subnet_group_name", None) or ""
            )
            lingering.hold(
                _ec2_backend(self.account_id, self.region_name),
                subnets=_strings(getattr(subnet_group, "subnet_ids", None)),
                groups=_strings(getattr(group, "security_group_ids", None)),
            )
        return group

    ElastiCacheBackend.delete_replication_group = delete_replication_group


# ---------------------------------------------------------------------------------------------
# EC2: NAT gateways, and what a hold refuses
# ---------------------------------------------------------------------------------------------


def _settle_nat(nat: Any, now: float) -> None:
    """A gateway whose ``deleting`` is over becomes ``deleted`` (call with LINGER_LOCK)."""
    until = nat.__dict__.get(NAT_DELETING_UNTIL)
    if until is not None and now >= until:
        del nat.__dict__[NAT_DELETING_UNTIL]
        if nat.state == "deleting":
            nat.state = "deleted"


def patch_ec2(lingering: Lingering) -> None:
    from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
    from moto.ec2.models import EC2Backend

    original_delete_nat = EC2Backend.delete_nat_gateway
    original_describe_nats = EC2Backend.describe_nat_gateways
    original_delete_subnet = EC2Backend.delete_subnet
    original_delete_group = EC2Backend.delete_security_group
    original_release = EC2Backend.release_address

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        with LINGER_LOCK:
            nat = self.nat_gateways.get(nat_gateway_id)
            if nat is None:
                return original_delete_nat(self, nat_gateway_id)
            now = time.monotonic()
            _settle_nat(nat, now)
            if nat.state == "deleting":
                return nat  # already being deleted: nothing changes
            if nat.state == "deleted":
                return original_delete_nat(self, nat_gateway_id)
            result = original_delete_nat(self, nat_gateway_id)
            nat.state = "deleting"
            nat.__dict__[NAT_DELETING_UNTIL] = now + lingering.seconds
            lingering.hold(
                self,
                subnets=[nat.subnet_id],
                addresses=[
                    (a.get("allocationId"), a.get("publicIp"))
                    for a in getattr(nat, "address_set", None) or []
                    if isinstance(a, dict)
                ],
            )
            return result

    def describe_nat_gateways(self: Any, *args: Any, **kwargs: Any) -> Any:
        with LINGER_LOCK:
            now = time.monotonic()
            for nat in list(self.nat_gateways.values()):
                _settle_nat(nat, now)
            return original_describe_nats(self, *args, **kwargs)

    def delete_subnet(self: Any, subnet_id: str) -> Any:
        with LINGER_LOCK:
            if lingering.held(self, "subnet", subnet_id):
                raise DependencyViolationError(
                    f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
                )
            return original_delete_subnet(self, subnet_id)

    def delete_security_group(
        self: Any, name: str | None = None, group_id: str | None = None
    ) -> Any:
        with LINGER_LOCK:
            resolved = group_id
            if not resolved and name:
                group = self.get_security_group_by_name_or_id(name)
                resolved = group.id if group is not None else None
            if resolved and lingering.held(self, "sg", resolved):
                raise DependencyViolationError(f"resource {resolved} has a dependent object")
            return original_delete_group(self, name=name, group_id=group_id)

    def release_address(
        self: Any, address: str | None = None, allocation_id: str | None = None
    ) -> Any:
        with LINGER_LOCK:
            allocation = allocation_id
            if not allocation and address:
                found = self.address_by_ip([address], fail_if_not_found=False)
                allocation = found[0].allocation_id if found else None
            hold = lingering.held(self, "eip", allocation) if allocation else None
            if hold is not None:
                raise EC2ClientError(
                    "InvalidIPAddress.InUse", f"Address {hold[1] or address} is in use."
                )
            return original_release(self, address=address, allocation_id=allocation_id)

    EC2Backend.delete_nat_gateway = delete_nat_gateway
    EC2Backend.describe_nat_gateways = describe_nat_gateways
    EC2Backend.delete_subnet = delete_subnet
    EC2Backend.delete_security_group = delete_security_group
    EC2Backend.release_address = release_address


def patch_lingering(seconds: float) -> None:
    """Installs the lingering interfaces for ``seconds`` (more than 0) after each delete."""
    lingering = Lingering(seconds)
    patch_elbv2(lingering)
    patch_ecs(lingering)
    patch_rds(lingering)
    patch_elasticache(lingering)
    patch_ec2(lingering)
