"""What real AWS does and moto 5.2.5 does not, which macroctl's security settings
depend on.

- **ALB deletion protection.** moto stores ``deletion_protection.enabled`` but deletes a
  protected load balancer anyway. ELBv2 refuses: ``DeleteLoadBalancer`` answers
  ``OperationNotPermitted`` ("Load balancer '<arn>' cannot be deleted because deletion
  protection is enabled") until the attribute is turned off.
- **Attribute defaults.** ELBv2 reports every attribute of a load balancer, set or not;
  moto only those set (and a few of its own), so a load balancer never changed reports no
  ``routing.http.desync_mitigation_mode``. A new load balancer here reports AWS's defaults
  for the security attributes macroctl compares: ``defensive`` and
  ``routing.http.drop_invalid_header_fields.enabled`` ``false``.
- **Task volumes.** moto registers a task definition whose container mounts a volume the
  task definition does not declare. ECS refuses it with a ``ClientException`` naming the
  volume. macroctl's read-only root filesystems mount a task volume at ``/tmp``, so a path
  that copies a task definition without its volumes (``deploy``) must fail here as it would
  on AWS.
"""

from __future__ import annotations

from typing import Any


def patch_elbv2_deletion_protection() -> None:
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: Any, arn: str, *args: Any, **kwargs: Any) -> Any:
        balancer = self.load_balancers.get(arn)
        attrs = getattr(balancer, "attrs", None) or {}
        if str(attrs.get("deletion_protection.enabled", "false")).lower() == "true":
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        return original(self, arn, *args, **kwargs)

    ELBv2Backend.delete_load_balancer = delete_load_balancer


AWS_DEFAULT_ATTRIBUTES = {
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
}


def patch_elbv2_attribute_defaults() -> None:
    from moto.elbv2.models import FakeLoadBalancer

    original = FakeLoadBalancer.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if getattr(self, "type", "application") == "application":
            for key, value in AWS_DEFAULT_ATTRIBUTES.items():
                self.attrs.setdefault(key, value)

    FakeLoadBalancer.__init__ = __init__


def patch_ecs_task_volumes() -> None:
    from moto.ecs.exceptions import EcsClientException
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.register_task_definition

    def register_task_definition(
        self: Any,
        family: str,
        container_definitions: list[dict[str, Any]],
        volumes: list[dict[str, Any]] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        declared = {volume.get("name") for volume in volumes or []}
        for container in container_definitions or []:
            for mount in container.get("mountPoints") or []:
                source = mount.get("sourceVolume")
                if source not in declared:
                    raise EcsClientException(
                        f"Invalid 'sourceVolume' name {source!r} in the mount points of "
                        f"container {container.get('name')!r}: the task definition declares "
                        "no volume of that name."
                    )
        return original(self, family, container_definitions, volumes, *args, **kwargs)

    EC2ContainerServiceBackend.register_task_definition = register_task_definition


def patch_app_security() -> None:
    patch_elbv2_deletion_protection()
    patch_elbv2_attribute_defaults()
    patch_ecs_task_volumes()
