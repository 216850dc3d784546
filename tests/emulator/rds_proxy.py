"""RDS Proxy as AWS has it, where moto 5.2.5 falls short.

moto 5.2.5 creates, describes and deletes proxies and registers targets, but it has no
``ModifyDBProxy``; answers an unknown proxy name with a Python ``KeyError`` (HTTP 500) on
every call but ``DescribeDBProxies``; registers the same instance twice (two targets) and an
instance that does not exist; gives an instance target no endpoint and a health that is
``REGISTERING`` on the first read and ``AVAILABLE`` after, whatever the time; and makes a proxy
``available`` at once. macroctl's proxy kinds need the AWS behaviour of each, so this module
patches moto's ``RDSBackend``, ``RDSResponse`` and models after import. What it does on the
wire is documented under "RDS Proxy" in ``launcher.py``'s docstring.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from timed_statuses import install_timed_status

Seconds = Callable[[], float]


def patch_rds_proxy(seconds: Seconds) -> None:
    from moto.rds.exceptions import (
        DBInstanceNotFoundError,
        DBProxyNotFoundFault,
        RDSClientError,
    )
    from moto.rds.models import DBProxy, DBProxyTarget, RDSBackend
    from moto.rds.responses import RDSResponse
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow

    proxy_status = install_timed_status(DBProxy, "status", {"available"}, "creating", seconds)

    def proxy(backend: Any, name: str | None) -> Any:
        found = backend.db_proxies.get(name or "")
        if found is None:
            raise DBProxyNotFoundFault(name or "")
        return found

    # Unknown names answer DBProxyNotFoundFault, as on AWS, instead of a KeyError.
    for method in (
        "delete_db_proxy",
        "describe_db_proxy_targets",
        "describe_db_proxy_target_groups",
        "modify_db_proxy_target_group",
    ):
        original = getattr(RDSBackend, method)

        def checked(self: Any, proxy_name: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            proxy(self, proxy_name)
            return _original(self, proxy_name, *args, **kwargs)

        setattr(RDSBackend, method, checked)

    # Target health: REGISTERING for the rds creation time, then AVAILABLE.
    original_target_init = DBProxyTarget.__init__

    def target_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_target_init(self, *args, **kwargs)
        self._macroctl_available_at = time.time() + max(seconds(), 0.0)

    def target_health(self: Any) -> dict[str, str]:
        available = time.time() >= getattr(self, "_macroctl_available_at", 0.0)
        return {"State": "AVAILABLE" if available else "REGISTERING"}

    DBProxyTarget.__init__ = target_init
    DBProxyTarget.target_health = property(target_health)

    original_register = RDSBackend.register_db_proxy_targets

    def register_db_proxy_targets(
        self: Any,
        db_proxy_name: str,
        target_group_name: str,
        db_cluster_identifiers: list[str],
        db_instance_identifiers: list[str],
    ) -> Any:
        found = proxy(self, db_proxy_name)
        group = found.proxy_target_groups.get(target_group_name or "default")
        if group is None:
            raise RDSClientError(
                "DBProxyTargetGroupNotFoundFault",
                f"The specified target group {target_group_name} doesn't exist.",
            )
        registered = {target.rds_resource_id for target in group.targets}
        for identifier in list(db_instance_identifiers) + list(db_cluster_identifiers):
            if identifier in registered:
                raise RDSClientError(
                    "DBProxyTargetAlreadyRegisteredFault",
                    f"The DB instance or cluster {identifier} is already registered with proxy "
                    f"{db_proxy_name}.",
                )
        for identifier in db_instance_identifiers:
            if identifier not in self.databases:
                raise DBInstanceNotFoundError(identifier)
        targets = original_register(
            self, db_proxy_name, target_group_name, db_cluster_identifiers, db_instance_identifiers
        )
        for target in targets:
            database = self.databases.get(target.rds_resource_id)
            if database is not None:
                target.endpoint = database.address
                target.port = int(database.port)
        return targets

    RDSBackend.register_db_proxy_targets = register_db_proxy_targets

    original_deregister = RDSBackend.deregister_db_proxy_targets

    def deregister_db_proxy_targets(
        self: Any,
        db_proxy_name: str,
        target_group_name: str,
        db_cluster_identifiers: list[str],
        db_instance_identifiers: list[str],
    ) -> None:
        found = proxy(self, db_proxy_name)
        group = found.proxy_target_groups.get(target_group_name or "default")
        registered = {target.rds_resource_id for target in group.targets} if group else set()
        for identifier in list(db_instance_identifiers) + list(db_cluster_identifiers):
            if identifier not in registered:
                raise RDSClientError(
                    "DBProxyTargetNotFoundFault",
                    f"The DB instance or cluster {identifier} is not registered with proxy "
                    f"{db_proxy_name}.",
                )
        original_deregister(
            self, db_proxy_name, target_group_name, db_cluster_identifiers, db_instance_identifiers
        )

    RDSBackend.deregister_db_proxy_targets = deregister_db_proxy_targets

    def modify_db_proxy(self: Any, db_proxy_name: str, params: dict[str, Any]) -> Any:
        found = proxy(self, db_proxy_name)
        if "Auth" in params:
            found.auth = params["Auth"]
        if "RequireTLS" in params:
            found.require_tls = params["RequireTLS"]
        if "IdleClientTimeout" in params:
            found.idle_client_timeout = min(max(int(params["IdleClientTimeout"]), 1), 28800)
        if "DebugLogging" in params:
            found.debug_logging = params["DebugLogging"]
        if "RoleArn" in params:
            found.role_arn = params["RoleArn"]
        if "SecurityGroups" in params:
            found.vpc_security_group_ids = list(params["SecurityGroups"])
        new_name = params.get("NewDBProxyName")
        if new_name and new_name != db_proxy_name:
            self.db_proxies.pop(db_proxy_name)
            found.db_proxy_name = new_name
            self.db_proxies[new_name] = found
        found.updated_date = utcnow()
        proxy_status.mark_busy(found, "modifying", seconds())
        return found

    RDSBackend.modify_db_proxy = modify_db_proxy

    def modify_db_proxy_response(self: Any) -> Any:
        params = self.params
        found = self.backend.modify_db_proxy(params.get("DBProxyName"), params)
        return ActionResult({"DBProxy": found})

    RDSResponse.modify_db_proxy = modify_db_proxy_response
