"""IAM enforcement as AWS does it, where moto 5.2.5's differs (only when the server is started
with ``INITIAL_NO_AUTH_ACTION_COUNT``, which turns moto's enforcement on after that many
authorized requests).

moto checks every request that reaches a service's ``call_action`` (and S3's own checks)
against the caller's identity policies, but:

* **Action names.** moto names the action after the SigV4 signing name, which is not always
  the IAM prefix: CloudWatch signs as ``monitoring`` (IAM: ``cloudwatch:``), the Resource
  Groups Tagging API as ``tagging`` (IAM: ``tag:``). S3 names some operations by its own
  words (``HeadBucket``: IAM ``s3:ListBucket``; ``GetPublicAccessBlock``:
  ``s3:GetBucketPublicAccessBlock``) and does not know ``?encryption``,
  ``?ownershipControls`` or ``?publicAccessBlock`` on a bucket at all (it checks
  ``ListBucket`` / ``CreateBucket`` instead). REST operations carry their API version
  (``CreateDistributionWithTags2020_05_31``), and CloudFront authorizes
  ``CreateDistributionWithTags`` as ``cloudfront:CreateDistribution``. Here every action is
  named as IAM names it.
* **Resources.** moto knows the resource of a request only for IAM role operations (the
  role's ARN, once the role exists), STS ``AssumeRole`` and S3 (the bucket or object ARN);
  for every other request it checks against ``*``, which matches only a statement whose
  ``Resource`` is ``*``: a policy scoped to ARNs would refuse everything. Here a request
  whose resource moto does not know is checked by its action alone: the statement's
  resources are *not* enforced there (the test says so), while IAM role and S3 ARNs are.
* **Conditions.** moto evaluates only ``sts:ExternalId``; other condition keys
  (``aws:RequestTag/…``, ``aws:ResourceTag/…``, ``iam:PassedToService``) count as met. This
  module leaves that as it is.
* **Signatures.** moto recomputes each request's SigV4 signature from what it parsed, not
  from the bytes signed: a form body (the query protocols) is re-encoded, a REST ``GET``'s
  parameters are taken for a body, and the result often differs (``SignatureDoesNotMatch``
  for a correctly signed ``CreateRole`` or CloudFront ``GET``). Here the signature is not
  checked; the access key must still belong to an IAM user of the account (anything else is
  ``InvalidClientTokenId``), whose policies are then enforced.
* **The refusal.** moto answers every refusal with one XML shape (``ErrorResponse/Errors``)
  and the code ``AccessDenied``, which the JSON services' SDK clients cannot read. Here it is
  the service's own: EC2 ``UnauthorizedOperation`` (EC2's XML), JSON services
  ``AccessDeniedException``, SNS ``AuthorizationError``, the others ``AccessDenied`` in the
  query protocol's shape, each with AWS's words
  (``User: ARN is not authorized to perform: ACTION on resource: R because no
  identity-based policy allows the ACTION action``).
"""

from __future__ import annotations

import re
from typing import Any

#: SigV4 signing names that are not the IAM prefix.
IAM_PREFIXES = {"monitoring": "cloudwatch", "tagging": "tag"}

#: (resource kind, method, query parameter) -> the IAM action, where moto's differs.
S3_ACTIONS = {
    ("BUCKET", "HEAD", None): "ListBucket",
    ("BUCKET", "GET", "encryption"): "GetEncryptionConfiguration",
    ("BUCKET", "PUT", "encryption"): "PutEncryptionConfiguration",
    ("BUCKET", "DELETE", "encryption"): "PutEncryptionConfiguration",
    ("BUCKET", "GET", "ownershipControls"): "GetBucketOwnershipControls",
    ("BUCKET", "PUT", "ownershipControls"): "PutBucketOwnershipControls",
    ("BUCKET", "DELETE", "ownershipControls"): "PutBucketOwnershipControls",
    ("BUCKET", "GET", "publicAccessBlock"): "GetBucketPublicAccessBlock",
    ("BUCKET", "PUT", "publicAccessBlock"): "PutBucketPublicAccessBlock",
    ("BUCKET", "DELETE", "publicAccessBlock"): "PutBucketPublicAccessBlock",
    ("BUCKET", "POST", "delete"): "DeleteObject",
}

#: REST operations IAM authorizes under another name.
RENAMED = {"cloudfront:CreateDistributionWithTags": "cloudfront:CreateDistribution"}

API_VERSION_SUFFIX = re.compile(r"\d{4}_\d{2}_\d{2}$")


def iam_action(service: str, action: str) -> str:
    service = IAM_PREFIXES.get(service, service)
    action = API_VERSION_SUFFIX.sub("", action)
    name = f"{service}:{action}"
    return RENAMED.get(name, name)


def patch_iam_enforcement() -> None:
    from moto.core.exceptions import JsonRESTError, _RESTError
    from moto.iam import access_control
    from moto.s3.responses import S3Response

    base_init = access_control.IAMRequestBase.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        base_init(self, *args, **kwargs)
        service, _, action = self._action.partition(":")
        self._action = iam_action(service, action)

    access_control.IAMRequestBase.__init__ = init  # type: ignore[method-assign]

    def check_signature(self: Any) -> None:
        """The access key must be a user's (checked when the request is made); the signature
        itself is not checked: see the module docs."""

    access_control.IAMRequestBase.check_signature = check_signature  # type: ignore[method-assign]

    base_check = access_control.IAMRequestBase.check_action_permitted

    def check_action_permitted(self: Any, resource: str) -> None:
        self._checked_resource = resource
        base_check(self, resource)

    access_control.IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]

    base_permitted = access_control.IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        # A request whose resource moto does not know: checked by its action alone.
        if resource == "*" and principal is None and self._statement.get("Resource"):
            statement = access_control.IAMPolicyStatement(dict(self._statement, Resource="*"))
            return base_permitted(statement, action, resource, principal, incoming_condition_values)
        return base_permitted(self, action, resource, principal, incoming_condition_values)

    access_control.IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]

    class QueryAccessDenied(_RESTError):
        """``ErrorResponse/Error`` (query and REST-XML services), or EC2's ``Response/Errors``."""

        code = 403

        def __init__(self, error_code: str, message: str, ec2: bool) -> None:
            super().__init__(error_code, message)
            if ec2:
                self.description = (
                    "<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
                    f"<Code>{error_code}</Code><Message>{escape(message)}</Message>"
                    "</Error></Errors><RequestID>iam-enforcement</RequestID></Response>"
                )
            else:
                self.description = (
                    "<?xml version='1.0' encoding='UTF-8'?><ErrorResponse><Error>"
                    f"<Type>Sender</Type><Code>{error_code}</Code>"
                    f"<Message>{escape(message)}</Message></Error>"
                    "<RequestId>iam-enforcement</RequestId></ErrorResponse>"
                )

    def raise_access_denied(self: Any) -> None:
        resource = getattr(self, "_checked_resource", "*")
        words = (
            f"User: {self._access_key.arn} is not authorized to perform: {self._action} "
            f"on resource: {resource} because no identity-based policy allows the "
            f"{self._action} action"
        )
        headers = {key.lower(): value for key, value in self._headers.items()}
        if self._service == "ec2":
            raise QueryAccessDenied(
                "UnauthorizedOperation",
                f"You are not authorized to perform this operation. {words}",
                ec2=True,
            )
        if "x-amz-target" in headers or "json" in headers.get("content-type", ""):
            error = JsonRESTError("AccessDeniedException", words)
            error.code = 400
            raise error
        if self._service == "sns":
            raise QueryAccessDenied("AuthorizationError", words, ec2=False)
        raise QueryAccessDenied("AccessDenied", words, ec2=False)

    access_control.IAMRequest._raise_access_denied = raise_access_denied  # type: ignore[method-assign]

    base_set_action = S3Response._set_action

    def set_action(self: Any, kind: str, method: str, querystring: dict[str, Any]) -> None:
        try:
            base_set_action(self, kind, method, querystring)
        except KeyError:
            self.data["Action"] = method.title() + kind.title()
        for (fix_kind, fix_method, parameter), action in S3_ACTIONS.items():
            if (fix_kind, fix_method) != (kind, method):
                continue
            if (parameter is None and not querystring) or (
                parameter is not None and parameter in querystring
            ):
                self.data["Action"] = action

    S3Response._set_action = set_action  # type: ignore[method-assign]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
