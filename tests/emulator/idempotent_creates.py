"""Idempotent creates: three creates AWS documents as idempotent by name, which moto is not.

A create whose response was lost is retried, and macroctl relies on AWS answering the retry
of ELBv2 CreateLoadBalancer and CreateListener and of ECS CreateCluster with the resource
the first attempt made. moto 5.2.5 makes a second load balancer or listener instead, or
replaces the cluster with a blank one. This module patches moto's backends so that a repeat
returns the existing resource (or AWS's error when the settings differ); always on,
documented under "Idempotent creates" in ``launcher.py``'s docstring.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from ecs_deployments import ECS_LOCK

# CreateLoadBalancer and CreateListener check for their duplicate and create under this lock,
# so that two concurrent repeats cannot both create (werkzeug serves requests in threads).
ELBV2_LOCK = threading.RLock()


def patch_elbv2_idempotent_creates() -> None:
    """CreateLoadBalancer and CreateListener as idempotent as ELBv2 documents them (see
    "Idempotent creates" in launcher.py's docstring). moto 5.2.5 gives every load balancer
    a random id in its ARN, so its own ``arn in self.load_balancers`` check never finds a
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

