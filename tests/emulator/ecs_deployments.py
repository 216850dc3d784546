"""ECS rolling deployments, which moto 5.2.5 does not model.

moto gives a new or updated ECS service one deployment that is COMPLETED at once, never
fails and never rolls back, and it drops much of what CreateService is given. Real ECS rolls
a deployment out over time, may fail it (the deployment circuit breaker) and roll back to
the last completed one, and writes service events as it goes; macroctl's deploy and
rollback follow exactly that. This module patches moto's ECS backend to behave so under
``MACROCTL_EMULATOR_ECS`` (with ``MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS`` and
``MACROCTL_EMULATOR_BROKEN_IMAGE``); the behaviour is documented in ``launcher.py``'s
docstring.

State advances lazily, when DescribeServices, ListServices or UpdateService look at a
service; nothing runs in the background. ``ECS_LOCK`` serializes every patched ECS call
(werkzeug serves requests in threads); ``idempotent_creates`` takes it too.
"""

from __future__ import annotations

import datetime
import random
import re
import threading
import time
import uuid
from typing import Any

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
    def __init__(self, rollout_seconds: float, broken_image: re.Pattern[str]):
        self.rollout = rollout_seconds
        self.broken = broken_image

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


def patch_ecs(rollout_seconds: float, broken_image: re.Pattern[str]) -> None:
    """Installs the rolling deployments: a deployment takes ``rollout_seconds`` and fails
    when an image of its task definition matches ``broken_image``."""
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    ecs = EcsDeployments(rollout_seconds, broken_image)
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

