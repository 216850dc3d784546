"""WAFv2 web ACLs as AWS answers for them, where moto 5.2.5 does not.

moto differs from AWS in ways that change what macroctl does or what its tests can prove:

* ``CreateWebACL`` of a name that exists answers ``WafV2DuplicateItem``; AWS's code is
  ``WAFDuplicateItemException``, which macroctl takes as "already exists" (look, then adopt).
  With moto's code a create repeated after a lost answer would fail instead.
* ``DeleteWebACL`` deletes a web ACL that a load balancer is still associated with, or that a
  CloudFront distribution still names in its ``WebACLId``; AWS refuses with
  ``WAFAssociatedItemException`` until it is free. Without the refusal a test could not tell
  whether ``destroy`` disassociates before it deletes.
* ``AssociateWebACL`` adds the resource to the web ACL's list without taking it off the web
  ACL it had, so a load balancer ends up in two lists (and ``GetWebACLForResource`` answers
  the older one). On AWS a resource has one web ACL: associating another replaces it. It also
  associates a load balancer that does not exist (AWS: ``WAFNonexistentItemException``).
* Scope and region are not checked: a CLOUDFRONT-scope call is served in any region, and a
  call naming an ARN is served by the ARN's region whatever region it was sent to. On AWS
  CLOUDFRONT-scope web ACLs are managed in us-east-1 only (elsewhere:
  ``WAFInvalidParameterException``), and a region's endpoint knows only its own web ACLs.
  Without the check a test could not tell that macroctl calls us-east-1 for them.

* The Resource Groups Tagging API does not see web ACLs at all; AWS's ``GetResources`` lists
  a region's REGIONAL web ACLs, and us-east-1's also the CLOUDFRONT-scope ones (whose ARNs
  name us-east-1). Without them every read of a web ACL would need a ``ListTagsForResource``
  of its own, where AWS answers from the one listing.

Lock tokens are already checked by moto (``UpdateWebACL`` and ``DeleteWebACL`` with a stale
token answer ``WAFOptimisticLockException``, and every update issues a new token), as are
unknown web ACLs (``WAFNonexistentItemException``).

What this module changes (documented on the wire under "WAF" in ``launcher.py``'s
docstring):

* ``WAFV2DuplicateItemException`` carries AWS's code and message.
* ``WAFV2Backend.delete_web_acl`` raises ``WAFAssociatedItemException`` while the web ACL
  (found, with a matching lock token) has associated resources, or, for a CLOUDFRONT-scope
  one, while a distribution of the account names its ARN.
* ``WAFV2Backend.associate_web_acl`` takes the resource off every web ACL first, and refuses
  an ELBv2 load balancer the region does not have.
* ``iter_taggable_backends`` (the tagging API's) also yields an adapter over the WAFv2
  backend of the region (and, in us-east-1, the CLOUDFRONT-scope one): its web ACLs with
  their tags, resource type ``wafv2:webacl``.
* With ``MACROCTL_EMULATOR_WAF_UNAVAILABLE_SECONDS`` (N > 0), ``AssociateWebACL`` answers
  ``WAFUnavailableEntityException`` for N seconds after the load balancer or the web ACL it
  names was created, as AWS does for either made moments ago (moto: associated at once).
* ``WAFV2Response``: ``Scope: CLOUDFRONT`` sent to a region other than us-east-1 answers
  ``WAFInvalidParameterException``; an ARN (``ARN``, ``ResourceARN``, ``WebACLArn``) of
  another region than the request's answers ``WAFNonexistentItemException``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Callable

EDGE_REGION = "us-east-1"

# Calls whose request names a scope, and the request fields that name a web ACL by ARN.
SCOPED_CALLS = ("create_web_acl", "delete_web_acl", "get_web_acl", "list_web_ac_ls", "update_web_acl")
ARN_CALLS = {
    "get_web_acl": "ARN",
    "list_tags_for_resource": "ResourceARN",
    "tag_resource": "ResourceARN",
    "untag_resource": "ResourceARN",
    "associate_web_acl": "WebACLArn",
}


def patch_wafv2(unavailable_seconds: float = 0.0) -> None:
    """``unavailable_seconds``: how long after its creation a load balancer or web ACL is
    refused by ``AssociateWebACL`` (0: never)."""
    patch_wafv2_answers()
    patch_tagging_api_coverage()
    if unavailable_seconds > 0:
        patch_unavailable_entities(unavailable_seconds)


def patch_unavailable_entities(seconds: float) -> None:
    """``AssociateWebACL`` answers ``WAFUnavailableEntityException`` while the web ACL or the
    load balancer it names was created less than ``seconds`` ago: WAF does not know them yet."""
    from moto.elbv2.models import ELBv2Backend
    from moto.wafv2 import exceptions as waf_exceptions
    from moto.wafv2.models import WAFV2Backend

    class WAFUnavailableEntityException(waf_exceptions.WAFv2ClientError):
        def __init__(self) -> None:
            super().__init__(
                "WAFUnavailableEntityException",
                "AWS WAF couldn’t retrieve the resource that you requested. Retry your request.",
            )

    created: dict[str, float] = {}

    def remember(made: Any) -> Any:
        arn = getattr(made, "arn", None)
        if isinstance(arn, str) and arn not in created:
            created[arn] = time.monotonic()
        return made

    original_create_lb = ELBv2Backend.create_load_balancer
    original_create_acl = WAFV2Backend.create_web_acl
    original_associate = WAFV2Backend.associate_web_acl

    def create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
        return remember(original_create_lb(self, *args, **kwargs))

    def create_web_acl(self: Any, *args: Any, **kwargs: Any) -> Any:
        return remember(original_create_acl(self, *args, **kwargs))

    def associate_web_acl(self: Any, web_acl_arn: str, resource_arn: str) -> None:
        now = time.monotonic()
        for arn in (web_acl_arn, resource_arn):
            if arn in created and now - created[arn] < seconds:
                raise WAFUnavailableEntityException()
        original_associate(self, web_acl_arn, resource_arn)

    ELBv2Backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]
    WAFV2Backend.create_web_acl = create_web_acl  # type: ignore[method-assign]
    WAFV2Backend.associate_web_acl = associate_web_acl  # type: ignore[method-assign]


def patch_tagging_api_coverage() -> None:
    """Web ACLs in the tagging API, through an adapter per WAFv2 backend in use that its
    ``iter_taggable_backends`` yields after the others (as ``tagging_api.py`` does for ECR)."""
    from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
    from moto.wafv2.models import WAFV2Backend, wafv2_backends
    from tagging_api import yield_backends_too

    if issubclass(WAFV2Backend, TaggableResourcesMixin):
        return  # a later moto lists them itself

    class WafTagging(TaggableResourcesMixin):
        SERVICE_NAMESPACE = "wafv2"

        def __init__(self, backend: Any) -> None:
            self.backend = backend

        @property
        def partition(self) -> str:
            return "aws"

        def owns_arn(self, arn: str) -> bool:
            return arn in self.backend.wacls

        def iter_tagged_resources(self) -> Iterator[TaggedResource]:
            for arn in list(self.backend.wacls):
                tags = self.backend.tagging_service.list_tags_for_resource(arn)["Tags"]
                yield TaggedResource(
                    arn=arn,
                    tags={tag["Key"]: tag["Value"] for tag in tags},
                    resource_type="wafv2:webacl",
                )

        def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
            self.backend.tag_resource(arn, [{"Key": k, "Value": v} for k, v in tags.items()])

        def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
            self.backend.untag_resource(arn, tag_keys)

    # moto keeps the CLOUDFRONT scope's backend ("global") under the partition's name.
    yield_backends_too(
        wafv2_backends,
        WafTagging,
        lambda region: [region] + (["aws"] if region == EDGE_REGION else []),
    )


def patch_wafv2_answers() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.wafv2 import exceptions as waf_exceptions
    from moto.wafv2.models import WAFV2Backend
    from moto.wafv2.responses import WAFV2Response
    from moto.wafv2.utils import make_arn_for_wacl

    class WAFAssociatedItemException(waf_exceptions.WAFv2ClientError):
        def __init__(self) -> None:
            super().__init__(
                "WAFAssociatedItemException",
                "AWS WAF couldn’t perform the operation because your resource is being used by "
                "another resource or it’s associated with another resource.",
            )

    class WAFInvalidParameterException(waf_exceptions.WAFv2ClientError):
        def __init__(self, field: str, parameter: str) -> None:
            super().__init__(
                "WAFInvalidParameterException",
                f"Error reason: The scope is not valid., field: {field}, parameter: {parameter}",
            )

    def duplicate_init(self: Any) -> None:
        JsonRESTError.__init__(
            self,
            "WAFDuplicateItemException",
            "AWS WAF couldn’t perform the operation because some resource in your request is a "
            "duplicate of an existing one.",
        )

    waf_exceptions.WAFV2DuplicateItemException.__init__ = duplicate_init  # type: ignore[method-assign]

    def named_by_a_distribution(account_id: str, arn: str) -> bool:
        try:
            from moto.cloudfront.models import cloudfront_backends

            distributions = cloudfront_backends[account_id]["aws"].distributions.values()
        except Exception:  # noqa: BLE001 - no CloudFront backend: nothing names it
            return False
        return any(
            getattr(dist.distribution_config, "WebACLId", "") == arn for dist in distributions
        )

    original_delete = WAFV2Backend.delete_web_acl

    def delete_web_acl(self: Any, name: str, scope: str, _id: str, lock_token: str) -> None:
        arn = make_arn_for_wacl(
            name=name,
            account_id=self.account_id,
            region_name=self.region_name,
            _id=_id,
            scope=scope,
        )
        wacl = self.wacls.get(arn)
        if wacl is not None and wacl.lock_token == lock_token:
            if wacl.associated_resources or (
                scope == "CLOUDFRONT" and named_by_a_distribution(self.account_id, arn)
            ):
                raise WAFAssociatedItemException()
        original_delete(self, name, scope, _id, lock_token)

    original_associate = WAFV2Backend.associate_web_acl

    def associate_web_acl(self: Any, web_acl_arn: str, resource_arn: str) -> None:
        if web_acl_arn not in self.wacls:
            raise waf_exceptions.WAFNonexistentItemException()
        if ":elasticloadbalancing:" in resource_arn and ":loadbalancer/" in resource_arn:
            from moto.elbv2.models import elbv2_backends

            if resource_arn not in elbv2_backends[self.account_id][self.region_name].load_balancers:
                raise waf_exceptions.WAFNonexistentItemException()
        for wacl in self.wacls.values():
            while resource_arn in wacl.associated_resources:
                wacl.associated_resources.remove(resource_arn)
        original_associate(self, web_acl_arn, resource_arn)

    WAFV2Backend.delete_web_acl = delete_web_acl  # type: ignore[method-assign]
    WAFV2Backend.associate_web_acl = associate_web_acl  # type: ignore[method-assign]

    def checked(method: str, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call(self: Any) -> Any:
            try:
                body = json.loads(self.body or "{}")
            except ValueError:
                body = {}
            if method in SCOPED_CALLS and body.get("Scope") == "CLOUDFRONT" and self.region != EDGE_REGION:
                raise WAFInvalidParameterException("SCOPE_VALUE", "CLOUDFRONT")
            field = ARN_CALLS.get(method)
            arn = body.get(field) if field else None
            if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[3] != self.region:
                raise waf_exceptions.WAFNonexistentItemException()
            return original(self)

        return call

    for method in set(SCOPED_CALLS) | set(ARN_CALLS):
        setattr(WAFV2Response, method, checked(method, getattr(WAFV2Response, method)))
