"""CloudFront distributions and Origin Access Controls as CloudFront runs them, where moto
5.2.5 does not (documented on the wire in ``launcher.py``'s docstring).

Why each matters to macroctl:

* **Deploys take time.** moto reports a distribution ``InProgress`` until it is read once,
  then ``Deployed`` for good, updates included; CloudFront takes minutes after every create
  and change. macroctl waits for ``Deployed`` (a dependent must not assume the distribution
  serves yet) and can delete a distribution only once its disabling is deployed, so the
  emulator keeps it ``InProgress`` for ``MACROCTL_EMULATOR_CLOUDFRONT_DEPLOY_SECONDS`` after
  each create and update, measured lazily on read.
* **ETags are versions.** moto gives a distribution one ETag for ever and takes any
  ``IfMatch``; CloudFront issues a new ETag with every change and refuses a stale one
  (``PreconditionFailed``). That is what makes disable-then-delete and a change someone made
  meanwhile work or fail on AWS.
* **Deleting needs a disabled, deployed distribution.** moto deletes an enabled one;
  CloudFront answers ``DistributionNotDisabled``, which is what `destroy` must work through.
* **A repeated ``CallerReference`` with the same configuration returns the distribution it
  made** (the idempotency a lost response relies on); moto answers
  ``DistributionAlreadyExists`` to every repeat (AWS does for a *different* configuration).
* **The S3 origin's ``OriginAccessControlId`` and ``S3OriginConfig``** are dropped by moto's
  model, so a plan could not see which OAC signs for the bucket.
* **Legacy standard logging needs a bucket with ACLs.** CloudFront refuses logging to a
  bucket whose object ownership is ``BucketOwnerEnforced``; moto accepts it, which would hide
  the reason macroctl sets the logs bucket to ``BucketOwnerPreferred``.
* **Origin Access Controls**: names are unique per account
  (``OriginAccessControlAlreadyExists``), updates and deletes take the current ETag, an OAC a
  distribution uses cannot be deleted (``OriginAccessControlInUse``), and an unknown id is
  ``NoSuchOriginAccessControl`` (moto: a ``KeyError``, HTTP 500).
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any, Callable

Seconds = Callable[[], float]

DEPLOYED_AT = "_macroctl_deployed_at"
REQUEST = "_macroctl_request"


def _error(code: str, message: str) -> Exception:
    from moto.cloudfront.exceptions import CloudFrontException

    return CloudFrontException(code, message)


def _ownership(bucket: Any) -> str | None:
    rule = getattr(bucket, "ownership_rule", None)
    if isinstance(rule, dict):
        rules = rule.get("Rule") or rule.get("Rules") or rule
        if isinstance(rules, list):
            rules = rules[0] if rules else {}
        return rules.get("ObjectOwnership") if isinstance(rules, dict) else None
    return rule


def _check_logging_bucket(account_id: str, config: dict[str, Any]) -> None:
    """Refuses legacy standard logging to a bucket without ACLs, as CloudFront does."""
    logging = config.get("Logging") or {}
    if str(logging.get("Enabled")).lower() not in ("true", "1"):
        return
    host = logging.get("Bucket") or ""
    name = host.split(".s3", 1)[0]
    from moto.s3.models import s3_backends

    try:
        bucket = s3_backends[account_id]["aws"].buckets.get(name)
    except KeyError:
        bucket = None
    if bucket is not None and _ownership(bucket) == "BucketOwnerEnforced":
        raise _error(
            "InvalidArgument",
            f"The S3 bucket that you specified for CloudFront logs does not enable ACL access: {host}",
        )


def _keep_s3_origin_settings(config: dict[str, Any], distribution_config: Any) -> None:
    """Puts the S3 origins' OAC id and S3OriginConfig back on moto's origin objects."""
    requested = {o.get("Id"): o for o in (config.get("Origins") or {}).get("Items") or []}
    for origin in getattr(distribution_config, "Origins", {}).get("Items") or []:
        asked = requested.get(getattr(origin, "id", None)) or {}
        if "OriginAccessControlId" in asked:
            origin.origin_access_control_id = asked["OriginAccessControlId"]
        if "S3OriginConfig" in asked:
            origin.s3_origin_config = {
                "OriginAccessIdentity": (asked["S3OriginConfig"] or {}).get(
                    "OriginAccessIdentity"
                )
                or ""
            }


def _same_request(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def patch_cloudfront(deploy_seconds: Seconds) -> None:
    from moto.cloudfront.models import CloudFrontBackend, Distribution, random_id

    def get_status(self: Any) -> str:
        deployed_at = self.__dict__.get(DEPLOYED_AT)
        if deployed_at is None:
            return "Deployed"
        return "InProgress" if time.time() < deployed_at else "Deployed"

    def set_status(self: Any, value: str) -> None:
        self.__dict__["_status"] = value

    # A property on the subclass wins over ManagedState's.
    Distribution.status = property(get_status, set_status)

    def deploying(dist: Any) -> None:
        dist.__dict__[DEPLOYED_AT] = time.time() + max(deploy_seconds(), 0.0)

    def check_if_match(current: str, if_match: Any) -> None:
        if not if_match:
            raise _error(
                "InvalidIfMatchVersion",
                "The If-Match version is missing or not valid for the resource.",
            )
        if if_match != current:
            raise _error(
                "PreconditionFailed",
                "The request failed because it didn't meet the preconditions in one or more request-header fields.",
            )

    def create_distribution_with_tags(
        self: Any, distribution_config: dict[str, Any], tags: list[dict[str, str]]
    ) -> Any:
        request = copy.deepcopy(distribution_config)
        reference = request.get("CallerReference")
        for dist in self.distributions.values():
            if dist.distribution_config.caller_reference == reference:
                if _same_request(dist.__dict__.get(REQUEST) or {}, request):
                    return dist, dist.location, dist.etag
                from moto.cloudfront.exceptions import DistributionAlreadyExists

                raise DistributionAlreadyExists(dist.distribution_id)
        _check_logging_bucket(self.account_id, request)
        dist = Distribution(self.account_id, self.region_name, distribution_config)
        _keep_s3_origin_settings(request, dist.distribution_config)
        dist.__dict__[REQUEST] = request
        deploying(dist)
        self.distributions[dist.distribution_id] = dist
        self.tagger.tag_resource(dist.arn, tags)
        return dist, dist.location, dist.etag

    def create_distribution(
        self: Any, distribution_config: dict[str, Any], tags: list[dict[str, str]]
    ) -> Any:
        return create_distribution_with_tags(self, distribution_config, tags)

    def update_distribution(
        self: Any, dist_config: dict[str, Any], _id: str, if_match: Any
    ) -> Any:
        from moto.cloudfront.models import DistributionConfig

        if _id is None or _id not in self.distributions:
            from moto.cloudfront.exceptions import NoSuchDistribution

            raise NoSuchDistribution
        dist = self.distributions[_id]
        check_if_match(dist.etag, if_match)
        request = copy.deepcopy(dist_config)
        _check_logging_bucket(self.account_id, request)
        dist.distribution_config = DistributionConfig(dist_config)
        _keep_s3_origin_settings(request, dist.distribution_config)
        dist.etag = random_id()
        deploying(dist)
        return dist, dist.location, dist.etag

    def delete_distribution(self: Any, distribution_id: str, if_match: Any) -> None:
        if distribution_id not in self.distributions:
            from moto.cloudfront.exceptions import NoSuchDistribution

            raise NoSuchDistribution
        dist = self.distributions[distribution_id]
        check_if_match(dist.etag, if_match)
        enabled = str(getattr(dist.distribution_config, "Enabled", True)).lower() in ("true", "1")
        if enabled or dist.status != "Deployed":
            raise _error(
                "DistributionNotDisabled",
                "The distribution you are trying to delete has not been disabled.",
            )
        del self.distributions[distribution_id]

    original_create_oac = CloudFrontBackend.create_origin_access_control

    def create_origin_access_control(self: Any, config_dict: dict[str, str]) -> Any:
        name = config_dict.get("Name")
        for control in self.origin_access_controls.values():
            if control.name == name:
                raise _error(
                    "OriginAccessControlAlreadyExists",
                    f"An origin access control with the same name already exists. Id: {control.id}",
                )
        return original_create_oac(self, config_dict)

    def get_origin_access_control(self: Any, control_id: str) -> Any:
        if control_id not in self.origin_access_controls:
            from moto.cloudfront.exceptions import NoSuchOriginAccessControl

            raise NoSuchOriginAccessControl
        return self.origin_access_controls[control_id]

    def update_origin_access_control(
        self: Any, control_id: str, config: dict[str, str], if_match: Any = None
    ) -> Any:
        control = get_origin_access_control(self, control_id)
        check_if_match(control.etag, if_match)
        control.update(config)
        control.etag = random_id()
        return control

    def in_use(self: Any, control_id: str) -> bool:
        for dist in self.distributions.values():
            origins = getattr(dist.distribution_config, "Origins", {}).get("Items") or []
            if any(getattr(o, "origin_access_control_id", None) == control_id for o in origins):
                return True
        return False

    def delete_origin_access_control(self: Any, control_id: str, if_match: Any = None) -> None:
        control = get_origin_access_control(self, control_id)
        check_if_match(control.etag, if_match)
        if in_use(self, control_id):
            raise _error(
                "OriginAccessControlInUse",
                "Cannot delete the origin access control because it's in use by one or more distributions.",
            )
        self.origin_access_controls.pop(control.id)

    CloudFrontBackend.create_distribution_with_tags = create_distribution_with_tags
    CloudFrontBackend.create_distribution = create_distribution
    CloudFrontBackend.update_distribution = update_distribution
    CloudFrontBackend.delete_distribution = delete_distribution
    CloudFrontBackend.create_origin_access_control = create_origin_access_control
    CloudFrontBackend.get_origin_access_control = get_origin_access_control
    CloudFrontBackend.update_origin_access_control = update_origin_access_control
    CloudFrontBackend.delete_origin_access_control = delete_origin_access_control

    # The responses pass IfMatch to the OAC calls (moto's ignore it).
    from moto.cloudfront.responses import CloudFrontResponse
    from moto.core.responses import ActionResult, EmptyResult

    def update_oac_response(self: Any) -> Any:
        control_id = self._get_param("Id")
        config = self._get_param("OriginAccessControlConfig", {})
        control = self.backend.update_origin_access_control(
            control_id, config, self._get_param("IfMatch")
        )
        return ActionResult(
            {
                "OriginAccessControl": {"Id": control.id, "OriginAccessControlConfig": control},
                "ETag": control.etag,
            }
        )

    def delete_oac_response(self: Any) -> Any:
        self.backend.delete_origin_access_control(
            self._get_param("Id"), self._get_param("IfMatch")
        )
        return EmptyResult()

    CloudFrontResponse.update_origin_access_control = update_oac_response
    CloudFrontResponse.delete_origin_access_control = delete_oac_response
