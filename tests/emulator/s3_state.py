"""S3 as macroctl uses it (state backend and the environment's buckets): atomic conditional
writes, GetBucketVersioning's answer as S3 words it, TLS-only policies, and tags given to
CreateBucket.

moto 5.2.5 understands ``If-Match`` and ``If-None-Match: *`` on ``PutObject`` and
``If-Match`` on ``DeleteObject``, but checks the condition and then writes in two steps, while
werkzeug serves requests in threads: two creates of the same key sent together can both
pass the check, which S3 never allows (exactly one ``If-None-Match: *`` create wins, the
other gets ``412 PreconditionFailed``). macroctl's S3 lock rests on that, so this module makes
every conditional ``PutObject`` and ``DeleteObject`` run under one lock: check and write
happen as one step, as on S3.

moto also answers ``GetBucketVersioning`` with a ``GetBucketVersioningResponse`` root element,
which boto3 tolerates but the Rust SDK refuses ("expected VersioningConfiguration"); S3's
answer is a ``VersioningConfiguration`` (with no ``Status`` for a bucket never versioned).

And moto evaluates bucket policies without the request's ``aws:SecureTransport``, so the
TLS-only policy ``state init-backend`` sets (deny when ``aws:SecureTransport`` is false)
denies every request. The emulator stands in for S3's HTTPS endpoint (it serves plain HTTP on
loopback only because a test has no certificate), so requests count as sent over TLS.

Last, S3 takes a new bucket's tags in ``CreateBucket`` (``CreateBucketConfiguration`` /
``Tags``), so a bucket is never untagged, even for an instant; moto 5.2.5 ignores them. A
create of a bucket that did not exist applies them here.
"""

from __future__ import annotations

import json
import threading
from typing import Any

LOCK = threading.Lock()


VERSIONING = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "{status}</VersioningConfiguration>"
)


def patch_s3_state() -> None:
    from moto.s3.responses import S3Response

    def get_bucket_versioning(self: Any) -> Any:
        status = self.backend.get_bucket_versioning(self.bucket_name)
        body = VERSIONING.format(status=f"<Status>{status}</Status>" if status else "")
        return 200, {"Content-Type": "application/xml"}, body

    S3Response.get_bucket_versioning = get_bucket_versioning

    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        # moto ignores the ``Bool`` operator (it treats the condition as met): drop the
        # statements that only apply to requests without TLS, which these are not.
        policy["Statement"] = [
            statement
            for statement in statements
            if statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            not in ("false", False)
        ]
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission

    import xmltodict

    original_put = S3Response._bucket_response_put

    def bucket_response_put(self: Any, request: Any, bucket_name: str, querystring: Any) -> Any:
        creating = not querystring and bucket_name not in self.backend.buckets
        answer = original_put(self, request, bucket_name, querystring)
        if creating and self.body and bucket_name in self.backend.buckets:
            try:
                config = xmltodict.parse(self.body).get("CreateBucketConfiguration") or {}
            except Exception:  # noqa: BLE001 - not XML: moto has answered already
                config = {}
            tags = (config.get("Tags") or {}).get("Tag") or []
            if isinstance(tags, dict):
                tags = [tags]
            if tags:
                self.backend.put_bucket_tagging(
                    bucket_name, {tag["Key"]: tag.get("Value") or "" for tag in tags}
                )
        return answer

    S3Response._bucket_response_put = bucket_response_put
