"""ElastiCache teardown as AWS does it: a deleted replication group goes, and subnet groups
can be deleted.

moto 5.2.5 marks a deleted replication group ``deleting`` and keeps it, and its member
clusters, for ever; and it has no ``DeleteCacheSubnetGroup`` at all (the action answers
that it is not implemented). On AWS the group is ``deleting`` for minutes and then gone
(``ReplicationGroupNotFoundFault``), its clusters with it, and a cache subnet group can be
deleted once nothing uses it (``CacheSubnetGroupInUse`` until then). `macroctl destroy`
waits for the first and retries the second, so the emulator has to do both.

What this module changes (documented on the wire under "Teardown" in ``launcher.py``'s
docstring):

* ``DeleteReplicationGroup`` remembers when the group was deleted. For ``seconds()`` after
  that (the ElastiCache creation time of ``MACROCTL_EMULATOR_CREATE_SECONDS``: deleting
  takes as long as creating; 0 by default) the group reads ``deleting``; afterwards it is
  removed, with its member cache clusters, the next time anything reads or deletes groups,
  so a describe answers ``ReplicationGroupNotFoundFault`` as AWS does. Evaluated lazily, on
  reads; nothing runs in the background.
* ``DeleteCacheSubnetGroup`` exists: ``CacheSubnetGroupNotFoundFault`` for an unknown name,
  ``CacheSubnetGroupInUse`` while a replication group or cache cluster (not yet gone) uses
  it, else the group is removed (an empty answer).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

DELETED_AT = "_macroctl_deleted_at"

# Guards the backends' dicts against two requests purging at once (werkzeug serves requests
# in threads).
LOCK = threading.Lock()


def _purge(backend: Any, seconds: float) -> None:
    """Removes the replication groups deleted more than ``seconds`` ago, and their clusters."""
    now = time.time()
    with LOCK:
        for group_id, group in list(backend.replication_groups.items()):
            deleted_at = group.__dict__.get(DELETED_AT)
            if deleted_at is None or now - deleted_at < seconds:
                continue
            del backend.replication_groups[group_id]
            for cluster_id, cluster in list(backend.cache_clusters.items()):
                if getattr(cluster, "replication_group_id", None) == group_id:
                    del backend.cache_clusters[cluster_id]


def _in_use(backend: Any, name: str) -> bool:
    groups = (
        group
        for group in backend.replication_groups.values()
        if getattr(group, "cache_subnet_group_name", None) == name
    )
    clusters = (
        cluster
        for cluster in backend.cache_clusters.values()
        if getattr(cluster, "cache_subnet_group_name", None) == name
    )
    return any(True for _ in groups) or any(True for _ in clusters)


def patch_elasticache_teardown(seconds: Callable[[], float]) -> None:
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

        def __init__(self, name: str):
            super().__init__(f"Cache subnet group {name} is currently in use by a cache cluster.")

    original_delete = ElastiCacheBackend.delete_replication_group
    original_describe_rg = ElastiCacheBackend.describe_replication_groups
    original_describe_cc = ElastiCacheBackend.describe_cache_clusters

    def delete_replication_group(self: Any, replication_group_id: str, *args: Any, **kw: Any):
        _purge(self, seconds())
        group = original_delete(self, replication_group_id, *args, **kw)
        group.__dict__.setdefault(DELETED_AT, time.time())
        return group

    def describe_replication_groups(self: Any, *args: Any, **kwargs: Any) -> Any:
        _purge(self, seconds())
        return original_describe_rg(self, *args, **kwargs)

    def describe_cache_clusters(self: Any, *args: Any, **kwargs: Any) -> Any:
        _purge(self, seconds())
        return original_describe_cc(self, *args, **kwargs)

    def delete_cache_subnet_group(self: Any, name: str) -> None:
        _purge(self, seconds())
        with LOCK:
            if name not in self.cache_subnet_groups:
                raise CacheSubnetGroupNotFound(name)
            if _in_use(self, name):
                raise CacheSubnetGroupInUse(name)
            del self.cache_subnet_groups[name]

    def response_delete_cache_subnet_group(self: Any) -> ActionResult:
        self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
        return ActionResult({})

    ElastiCacheBackend.delete_replication_group = delete_replication_group
    ElastiCacheBackend.describe_replication_groups = describe_replication_groups
    ElastiCacheBackend.describe_cache_clusters = describe_cache_clusters
    ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    ElastiCacheResponse.delete_cache_subnet_group = response_delete_cache_subnet_group
