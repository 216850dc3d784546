"""ECS capacity provider strategies, which moto 5.2.5 keeps only loosely.

moto reports ``launchType EC2`` for a service created with a capacity provider strategy and
no launch type (and forgets the strategy), accepts a launch type and a strategy together,
lets UpdateService change a strategy without a new deployment, and accepts any provider
name. Real ECS does none of that, and macroctl's Fargate Spot support depends on how ECS
behaves (see ``launcher.py``'s docstring, "Capacity providers", for the behaviour on the
wire). ``ECS_LOCK`` (from ``ecs_deployments``) serializes the patched calls.
"""

from __future__ import annotations

from typing import Any

from ecs_deployments import ECS_LOCK, EcsDeployments

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
BOTH = (
    "Specifying both a launch type and capacity provider strategy is not supported. "
    "Remove one and try again."
)
NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not "
    "associated with the cluster. Associate the capacity provider with the cluster or specify "
    "a valid capacity provider and try again."
)
FORCE_NEEDED = (
    "When switching from launch type to capacity provider strategy on an existing service, "
    "or making a change to a capacity provider strategy on a service that is already using "
    "one, you must force a new deployment."
)
UNKNOWN_PROVIDER = (
    "The specified capacity provider does not exist. Specify a valid capacity provider and "
    "try again."
)
IN_USE = "The specified capacity provider is in use and cannot be removed."


def normalized(strategy: list[dict[str, Any]] | None) -> list[tuple[str, int, int]]:
    return sorted(
        (str(item.get("capacityProvider")), int(item.get("base") or 0), int(item.get("weight") or 0))
        for item in strategy or []
    )


def on_strategy(deployment: dict[str, Any], strategy: list[dict[str, Any]]) -> None:
    """A deployment of a service with a strategy names the strategy, not a launch type."""
    deployment.pop("launchType", None)
    deployment["capacityProviderStrategy"] = [dict(item) for item in strategy]


def patch_ecs_capacity() -> None:
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    responses = EC2ContainerServiceResponse
    original_create = responses.create_service
    original_update = responses.update_service
    original_put = responses.put_cluster_capacity_providers
    original_start = EcsDeployments.start_deployment

    def check_associated(cluster: Any, strategy: list[dict[str, Any]]) -> None:
        associated = set(cluster.capacity_providers or [])
        if any(item.get("capacityProvider") not in associated for item in strategy):
            raise InvalidParameterException(NOT_ASSOCIATED)

    def create_service(self: Any) -> Any:
        with ECS_LOCK:
            strategy = self._get_param("capacityProviderStrategy")
            launch_type = self._get_param("launchType")
            if strategy and launch_type:
                raise InvalidParameterException(BOTH)
            backend: EC2ContainerServiceBackend = self.ecs_backend
            cluster = backend._get_cluster(self._get_param("cluster", "default"))
            if not strategy and not launch_type and cluster.default_capacity_provider_strategy:
                strategy = cluster.default_capacity_provider_strategy
            if strategy:
                check_associated(cluster, strategy)
            result = original_create(self)
            if strategy:
                service = result.result["service"]
                service.capacity_provider_strategy = [dict(item) for item in strategy]
                service.launch_type = None
                for deployment in service.deployments or []:
                    on_strategy(deployment, strategy)
            return result

    def update_service(self: Any) -> Any:
        with ECS_LOCK:
            strategy = self._get_param("capacityProviderStrategy")
            backend: EC2ContainerServiceBackend = self.ecs_backend
            if strategy is not None:
                cluster_name = self._get_param("cluster", "default")
                cluster = backend._get_cluster(cluster_name)
                service = backend._get_service(cluster_name, str(self._get_param("service")))
                current = getattr(service, "capacity_provider_strategy", None) or []
                changed = not current or normalized(current) != normalized(strategy)
                if changed and not self._get_param("forceNewDeployment"):
                    raise InvalidParameterException(FORCE_NEEDED)
                check_associated(cluster, strategy)
            result = original_update(self)
            if strategy is not None:
                service = result.result["service"]
                service.capacity_provider_strategy = [dict(item) for item in strategy]
                service.launch_type = None
                for deployment in service.deployments or []:
                    if deployment.get("status") == "PRIMARY":
                        on_strategy(deployment, strategy)
            return result

    def put_cluster_capacity_providers(self: Any) -> Any:
        with ECS_LOCK:
            backend: EC2ContainerServiceBackend = self.ecs_backend
            providers = self._get_param("capacityProviders") or []
            known = set(FARGATE_PROVIDERS) | set(backend.capacity_providers)
            if any(provider not in known for provider in providers):
                raise InvalidParameterException(UNKNOWN_PROVIDER)
            cluster = backend._get_cluster(self._get_param("cluster"))
            for service in backend.services.values():
                if service.cluster_name != cluster.name or service.status != "ACTIVE":
                    continue
                for item in getattr(service, "capacity_provider_strategy", None) or []:
                    if item.get("capacityProvider") not in providers:
                        raise InvalidParameterException(IN_USE)
            return original_put(self)

    def start_deployment(self: Any, backend: Any, service: Any, *args: Any, **kwargs: Any) -> Any:
        deployment = original_start(self, backend, service, *args, **kwargs)
        strategy = getattr(service, "capacity_provider_strategy", None)
        if strategy:
            on_strategy(deployment, strategy)
        return deployment

    responses.create_service = create_service
    responses.update_service = update_service
    responses.put_cluster_capacity_providers = put_cluster_capacity_providers
    EcsDeployments.start_deployment = start_deployment
