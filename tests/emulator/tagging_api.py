"""Resource Groups Tagging API ``GetResources``: AWS's paging and the kinds macroctl tags.

macroctl reads everything tagged for an environment in one paginated ``GetResources`` (with
``ResourcesPerPage`` 100 and two tag filters) and takes the tags of most kinds from it. moto
5.2.5 differs from AWS there in ways that change what macroctl does:

* Paging. moto's response always passes ``TagsPerPage`` 100 (its default when the request
  has none) and its backend ends a page when the tags so far *plus the next resource's*
  reach it (``>=``), before ``ResourcesPerPage``: with macroctl's four tags per resource a
  page holds 24 resources whatever is asked, so an environment of 30 resources takes two
  round trips where AWS answers in one. AWS applies ``TagsPerPage`` only when it is given
  (it "recommends using ResourcesPerPage instead"), lets a page hold up to that many tags
  (its example: 100 per page, 10 tags each -> 10 resources a page) and counts a resource
  without tags as one. moto also keeps a lazy generator per token, which walks moto's live
  dicts across requests (a create in between can end it with "dictionary changed size
  during iteration") and forgets the token once used, so a page request retried after a
  lost response answers ``PaginationTokenExpiredException``; AWS's tokens stay valid for
  15 minutes. Its last page has no ``PaginationToken``, AWS's an empty one.
* Coverage. moto's RDS backend reports DB instances, clusters, snapshots and proxies but not
  DB subnet groups (``rds:subgrp``) or DB parameter groups (``rds:pg``); its EC2 backend
  leaves out Elastic IPs (``ec2:elastic-ip``); its ECR backend takes no part in the tagging
  API at all (``ecr:repository``). AWS's GetResources returns all of them.

What this module changes (documented on the wire under "Tagging API" in ``launcher.py``'s
docstring):

* ``ResourceGroupsTaggingAPIResponse.get_resources`` passes ``TagsPerPage`` only when the
  request has it (still validated 100-500, ``ResourcesPerPage`` 1-100, default 50 as in
  moto), and ``ResourceGroupsTaggingAPIBackend.get_resources`` is replaced: the first
  request lists every match at once (moto's own filtering, in moto's order) and a token
  names that listing and where in it the next page starts; it can be used again, for 15
  minutes after the last token of its listing was issued.
* ECS services and clusters that were deleted (``INACTIVE``) are left out, as on AWS (moto
  lists them for good).
* ``RDSBackend.iter_tagged_resources`` and ``EC2Backend.iter_tagged_resources`` also yield
  the missing kinds, and the tagging API's ``iter_taggable_backends`` also yields an adapter
  for each ECR backend in use (so GetResources, GetTagKeys, GetTagValues, TagResources and
  UntagResources see repositories). Tag filters, resource type filters and ARN lists apply
  to them as to the rest, in moto's code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

# How long a PaginationToken stays valid (AWS: "A PaginationToken is valid for a maximum of
# 15 minutes").
TOKEN_SECONDS = 15 * 60

# Guards every backend's token table (werkzeug serves requests in threads).
PAGES_LOCK = threading.Lock()

# The attribute of a ResourceGroupsTaggingAPIBackend holding its listings: listing id ->
# [when its last token was issued, [TaggedResource, ...]]. A token is "LISTING-ID.OFFSET",
# where the next page starts.
PAGES_ATTRIBUTE = "_macroctl_pages"


def _listed(make: Callable[[], Iterator[Any]]) -> list[Any]:
    """Every item of a fresh ``make()``; moto's generators walk its live dicts, which another
    request's create may change meanwhile ("dictionary changed size during iteration"), so a
    walk cut short that way is started again."""
    for _ in range(10):
        try:
            return list(make())
        except RuntimeError as e:
            if "changed size during iteration" not in str(e):
                raise
    return list(make())


def patch_get_resources_paging() -> None:
    """GetResources pages as AWS does (see the module docstring)."""
    from moto.core.responses import ActionResult
    from moto.moto_api._internal import mock_random
    from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
    from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

    def response_get_resources(self: Any) -> ActionResult:
        resources_per_page = self._get_int_param("ResourcesPerPage", 50)
        tags_per_page = self._get_int_param("TagsPerPage")
        if tags_per_page is not None and tags_per_page not in range(100, 501):
            raise ResourceGroupsTaggingAPIError(
                "InvalidParameterException", "TagsPerPage must be between 100 and 500"
            )
        if resources_per_page not in range(1, 101):
            raise ResourceGroupsTaggingAPIError(
                "InvalidParameterException", "ResourcesPerPage must be between 1 and 100"
            )
        token, page = self.backend.get_resources(
            pagination_token=self._get_param("PaginationToken"),
            resources_per_page=resources_per_page,
            tags_per_page=tags_per_page,
            tag_filters=self._get_param("TagFilters", []),
            resource_type_filters=self._get_param("ResourceTypeFilters", []),
            resource_arn_list=self._get_param("ResourceARNList", []),
        )
        return ActionResult(
            {
                "ResourceTagMappingList": [
                    {
                        "ResourceARN": resource.arn,
                        "Tags": [{"Key": k, "Value": v} for k, v in resource.tags.items()],
                    }
                    for resource in page
                ],
                "PaginationToken": token,
            }
        )

    def backend_get_resources(
        self: Any,
        pagination_token: str | None = None,
        resources_per_page: int = 50,
        tags_per_page: int | None = None,
        tag_filters: list[dict[str, Any]] | None = None,
        resource_type_filters: list[str] | None = None,
        resource_arn_list: list[str] | None = None,
    ) -> tuple[str, list[Any]]:
        now = time.monotonic()
        with PAGES_LOCK:
            listings: dict[str, list[Any]] = self.__dict__.setdefault(PAGES_ATTRIBUTE, {})
            for listing_id, (issued, _) in list(listings.items()):
                if now - issued > TOKEN_SECONDS:
                    del listings[listing_id]
            if pagination_token:
                listing_id, _, offset_text = pagination_token.rpartition(".")
                listing = listings.get(listing_id)
                offset = int(offset_text) if offset_text.isdigit() else -1
                if listing is None or not 0 < offset < len(listing[1]):
                    raise ResourceGroupsTaggingAPIError(
                        "PaginationTokenExpiredException", "Token does not exist"
                    )
                everything = listing[1]
        if not pagination_token:
            listing_id = str(mock_random.uuid4())
            offset = 0
            everything = _listed(
                lambda: self._get_resources_generator(
                    tag_filters=tag_filters,
                    resource_type_filters=resource_type_filters,
                    resource_arn_list=resource_arn_list,
                )
            )
        page: list[Any] = []
        tags = 0
        for resource in everything[offset:]:
            if len(page) >= resources_per_page:
                break
            weight = max(len(resource.tags), 1)  # a resource without tags counts as one
            if tags_per_page is not None and page and tags + weight > tags_per_page:
                break
            page.append(resource)
            tags += weight
        next_offset = offset + len(page)
        if next_offset >= len(everything):
            return "", page
        with PAGES_LOCK:
            # The same request with the same token gets the same page and the same next
            # token (a retry after a lost response); each token issued keeps the listing
            # for another TOKEN_SECONDS.
            self.__dict__.setdefault(PAGES_ATTRIBUTE, {})[listing_id] = [now, everything]
        return f"{listing_id}.{next_offset}", page

    ResourceGroupsTaggingAPIResponse.get_resources = response_get_resources
    ResourceGroupsTaggingAPIBackend.get_resources = backend_get_resources


def patch_rds_groups() -> None:
    """RDS DB subnet groups (``rds:subgrp``) and DB parameter groups (``rds:pg``) in the
    tagging API, as on AWS: ``arn:aws:rds:REGION:ACCOUNT:subgrp:NAME`` and ``...:pg:NAME``
    (moto's ARNs, names lowercased as RDS stores them)."""
    from moto.core.resource_tagging import TaggedResource
    from moto.rds.models import RDSBackend

    original = RDSBackend.iter_tagged_resources

    def iter_tagged_resources(self: Any) -> Iterator[TaggedResource]:
        yield from original(self)
        for resource_type, groups in (
            ("rds:subgrp", self.subnet_groups),
            ("rds:pg", self.db_parameter_groups),
        ):
            for group in list(groups.values()):
                yield TaggedResource(
                    arn=group.arn,
                    tags={tag["Key"]: tag["Value"] for tag in group.get_tags()},
                    resource_type=resource_type,
                )

    RDSBackend.iter_tagged_resources = iter_tagged_resources


def patch_ecs_deleted() -> None:
    """Deleted ECS services and clusters (``INACTIVE``: moto keeps them for good, AWS for a
    while, describable but gone) are not in the tagging API, as on AWS; moto lists them."""
    from moto.core.resource_tagging import TaggedResource
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.iter_tagged_resources

    def iter_tagged_resources(self: Any) -> Iterator[TaggedResource]:
        inactive = {
            resource.physical_resource_id
            for resource in list(self.services.values())
            if getattr(resource, "status", None) == "INACTIVE"
        } | {
            cluster.arn
            for cluster in list(self.clusters.values())
            if getattr(cluster, "status", None) == "INACTIVE"
        }
        for resource in original(self):
            if resource.arn not in inactive:
                yield resource

    EC2ContainerServiceBackend.iter_tagged_resources = iter_tagged_resources


def patch_ec2_elastic_ips() -> None:
    """Elastic IPs (``ec2:elastic-ip``, ``arn:aws:ec2:REGION:ACCOUNT:elastic-ip/eipalloc-...``)
    in the tagging API, as on AWS. Addresses without an allocation id (EC2-Classic's
    ``standard`` domain) have no such ARN and are left out."""
    from moto.core.resource_tagging import TaggedResource
    from moto.ec2.models import EC2Backend

    original = EC2Backend.iter_tagged_resources

    def iter_tagged_resources(self: Any) -> Iterator[TaggedResource]:
        yield from original(self)
        for address in list(self.addresses):
            if not address.allocation_id:
                continue
            yield TaggedResource(
                arn=(
                    f"arn:{self.partition}:ec2:{self.region_name}:{self.account_id}"
                    f":elastic-ip/{address.allocation_id}"
                ),
                tags=dict(self.tags.get(address.allocation_id, {})),
                resource_type="ec2:elastic-ip",
            )

    EC2Backend.iter_tagged_resources = iter_tagged_resources


def yield_backends_too(
    backends: Any,
    adapter: Callable[[Any], Any],
    regions_of: Callable[[str], list[str]] = lambda region: [region],
) -> None:
    """Makes the tagging API's ``iter_taggable_backends`` also yield ``adapter(backend)`` for
    each backend of ``backends`` (moto's per-account, per-region dict) in ``regions_of`` the
    request's region, after moto's own: how a service moto's tagging API leaves out takes part.
    Only backends already made (that have seen a request) are yielded: asking the dicts for one
    would create it."""
    import moto.resourcegroupstaggingapi.models as tagging_models

    original = tagging_models.iter_taggable_backends

    def iter_taggable_backends(account_id: str, region_name: str) -> Iterator[Any]:
        yield from original(account_id, region_name)
        if not dict.__contains__(backends, account_id):
            return
        account_backends = dict.__getitem__(backends, account_id)
        for region in regions_of(region_name):
            if region in account_backends.keys():
                yield adapter(dict.__getitem__(account_backends, region))

    tagging_models.iter_taggable_backends = iter_taggable_backends


def patch_ecr_repositories() -> None:
    """ECR repositories (``ecr:repository``, ``arn:aws:ecr:REGION:ACCOUNT:repository/NAME``)
    in the tagging API, through an adapter per ECR backend in use that the tagging API's
    ``iter_taggable_backends`` yields after moto's own backends. Nothing is done if moto's
    ECR backend takes part by itself (a later moto)."""
    from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
    from moto.ecr.models import ECRBackend, ecr_backends

    if issubclass(ECRBackend, TaggableResourcesMixin):
        return

    class EcrTagging(TaggableResourcesMixin):
        SERVICE_NAMESPACE = "ecr"

        def __init__(self, backend: Any) -> None:
            self.backend = backend

        @property
        def partition(self) -> str:
            return self.backend.partition

        def iter_tagged_resources(self) -> Iterator[TaggedResource]:
            for repository in list(self.backend.repositories.values()):
                yield TaggedResource(
                    arn=repository.arn,
                    tags=self.backend.tagger.get_tag_dict_for_resource(repository.arn),
                    resource_type="ecr:repository",
                )

        def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
            self.backend.tag_resource(arn, [{"Key": k, "Value": v} for k, v in tags.items()])

        def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
            self.backend.untag_resource(arn, tag_keys)

    yield_backends_too(ecr_backends, EcrTagging)


def patch_tagging_api() -> None:
    patch_get_resources_paging()
    patch_rds_groups()
    patch_ecs_deleted()
    patch_ec2_elastic_ips()
    patch_ecr_repositories()
