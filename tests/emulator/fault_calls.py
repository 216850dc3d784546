"""Which AWS API call a request is, as far as the fault emulator is concerned.

Faults are configured per service and action, the NotFound window and IAM propagation look
for resource names in a call's parameters, and client tokens are kept per account: all of
that needs the request understood the way AWS understands it, without disturbing what moto
gets. This module reads a request's body (handing moto an identical stream), identifies a
SigV4-signed query, JSON or REST API call (``Call``: S3's, Route 53's and CloudFront's REST
calls are named from their method and path) and works out the account moto serves it from.
Unsigned requests, and REST calls of other services, are not calls here: they pass
untouched.
"""

from __future__ import annotations

import io
import json
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterator

READ_PREFIXES = (
    "Describe", "List", "Get", "Head", "Search", "Lookup", "BatchGet", "Check", "Validate"
)

CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/[^/,\s]+/([^/,\s]+)/([^/,\s]+)/aws4_request")
# Query parameters that never name a resource: the envelope, filters and tags.
UNNAMING_PARAMS = re.compile(
    r"^(?:Action|Version|Filters?(?:\..*)?|Tags?(?:\..*)?|TagSpecifications?(?:\..*)?)$"
)
UNNAMING_JSON_KEYS = ("tags", "Tags")


@dataclass
class Call:
    """One AWS API request, as far as faults are concerned."""

    service: str  # SigV4 signing name: ec2, iam, ecs, elasticloadbalancing, ...
    action: str
    # "ec2", "query" (form-encoded, XML answers), "json", "s3" (REST) or "rest-xml" (Route 53,
    # CloudFront: REST, errors in the query protocols' XML shape)
    protocol: str
    region: str
    access_key: str
    form: list[tuple[str, str]] = field(default_factory=list)  # query protocols
    document: dict[str, Any] = field(default_factory=dict)  # JSON protocols: the parsed body
    body: bytes = b""
    path: str = ""  # S3: the request path (``/BUCKET/KEY``)

    @property
    def mutating(self) -> bool:
        return not self.action.startswith(READ_PREFIXES)

    @property
    def label(self) -> str:
        return f"{self.service}:{self.action}"

    def param(self, name: str) -> str | None:
        """A top-level string parameter."""
        if self.protocol == "json":
            value = self.document.get(name)
            return value if isinstance(value, str) else None
        return next((v for k, v in self.form if k == name), None)

    def named_values(self) -> Iterator[tuple[str, str]]:
        """(parameter, value) for every value that may name a resource: query form values
        but the envelope, filters and tags; JSON strings anywhere but under tags (the
        parameter is then the top-level key)."""
        if self.protocol != "json":
            yield from ((k, v) for k, v in self.form if not UNNAMING_PARAMS.match(k))
            return
        for key, value in self.document.items():
            if key not in UNNAMING_JSON_KEYS:
                yield from ((key, s) for s in json_strings(value))

    def text(self) -> str:
        """The parameters as one text, to search for resource ids."""
        if self.protocol == "json":
            return self.body.decode("utf-8", "replace")
        return " ".join(v for _, v in self.form)


def json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in UNNAMING_JSON_KEYS:
                yield from json_strings(item)


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body; moto gets a fresh stream with the same bytes."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def identify(environ: dict[str, Any], body: bytes) -> Call | None:
    """The SigV4-signed query or JSON API call this request is, or None (unsigned, REST)."""
    scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        return None
    access_key, region, service = scope.groups()
    base = {"service": service, "region": region, "access_key": access_key, "body": body}
    if service == "s3":
        return Call(
            action=s3_action(environ), protocol="s3", path=environ.get("PATH_INFO", ""), **base
        )
    if service in REST_XML_ROUTES:
        action = rest_xml_action(service, environ)
        if action is None:
            return None
        return Call(action=action, protocol="rest-xml", path=environ.get("PATH_INFO", ""), **base)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        return Call(action=target.rsplit(".", 1)[-1], protocol="json", document=document, **base)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        text = body.decode("utf-8", "replace")
    else:
        text = environ.get("QUERY_STRING", "")
    form = urllib.parse.parse_qsl(text, keep_blank_values=True)
    action = next((v for k, v in form if k == "Action"), None)
    if not action:
        return None
    protocol = "ec2" if service == "ec2" else "query"
    return Call(action=action, protocol=protocol, form=form, **base)


# Route 53's and CloudFront's REST calls: (method, path below the API version, with ``{}`` for
# an id) -> the action. Tried in order; the query's ``Operation`` (CloudFront's tagging) and
# ``WithTags`` pick among calls of one path.
REST_XML_ROUTES: dict[str, list[tuple[str, str, str]]] = {
    "route53": [
        ("POST", "hostedzone", "CreateHostedZone"),
        ("GET", "hostedzone", "ListHostedZones"),
        ("GET", "hostedzonesbyname", "ListHostedZonesByName"),
        ("POST", "hostedzone/{}/rrset", "ChangeResourceRecordSets"),
        ("GET", "hostedzone/{}/rrset", "ListResourceRecordSets"),
        ("GET", "hostedzone/{}", "GetHostedZone"),
        ("POST", "hostedzone/{}", "UpdateHostedZoneComment"),
        ("DELETE", "hostedzone/{}", "DeleteHostedZone"),
        ("GET", "tags/hostedzone/{}", "ListTagsForResource"),
        ("POST", "tags/hostedzone/{}", "ChangeTagsForResource"),
        ("GET", "change/{}", "GetChange"),
    ],
    "cloudfront": [
        ("POST", "distribution?WithTags", "CreateDistributionWithTags"),
        ("POST", "distribution", "CreateDistribution"),
        ("GET", "distribution", "ListDistributions"),
        ("GET", "distribution/{}/config", "GetDistributionConfig"),
        ("PUT", "distribution/{}/config", "UpdateDistribution"),
        ("GET", "distribution/{}", "GetDistribution"),
        ("DELETE", "distribution/{}", "DeleteDistribution"),
        ("POST", "origin-access-control", "CreateOriginAccessControl"),
        ("GET", "origin-access-control", "ListOriginAccessControls"),
        ("GET", "origin-access-control/{}/config", "GetOriginAccessControlConfig"),
        ("PUT", "origin-access-control/{}/config", "UpdateOriginAccessControl"),
        ("GET", "origin-access-control/{}", "GetOriginAccessControl"),
        ("DELETE", "origin-access-control/{}", "DeleteOriginAccessControl"),
        ("POST", "tagging?Operation=Tag", "TagResource"),
        ("POST", "tagging?Operation=Untag", "UntagResource"),
        ("GET", "tagging", "ListTagsForResource"),
    ],
}


def rest_xml_action(service: str, environ: dict[str, Any]) -> str | None:
    """The Route 53 or CloudFront call a request is (``CreateHostedZone``,
    ``UpdateDistribution``...), or None for a path not listed."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    # /2013-04-01/hostedzone/Z1/rrset -> hostedzone/Z1/rrset
    path = environ.get("PATH_INFO", "").strip("/").partition("/")[2]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    parts = path.split("/")
    for route_method, route, action in REST_XML_ROUTES[service]:
        route_path, _, condition = route.partition("?")
        pattern = route_path.split("/")
        if route_method != method or len(pattern) != len(parts):
            continue
        if not all(p == "{}" or p == part for p, part in zip(pattern, parts)):
            continue
        if condition:
            key, _, value = condition.partition("=")
            if key not in query or (value and query[key] != [value]):
                continue
        return action
    return None


# Bucket subresources (``?versioning``) -> the name in ``GetBucket<Name>``/``PutBucket<Name>``.
S3_SUBRESOURCES = {
    "versioning": "Versioning",
    "encryption": "Encryption",
    "policy": "Policy",
    "tagging": "Tagging",
    "publicAccessBlock": "PublicAccessBlock",
}


def s3_action(environ: dict[str, Any]) -> str:
    """The S3 REST call a (path-style) request is: ``PutObject``, ``GetBucketVersioning``..."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    bucket, _, key = environ.get("PATH_INFO", "").lstrip("/").partition("/")
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if key:
        return {
            "PUT": "PutObject",
            "GET": "GetObject",
            "HEAD": "HeadObject",
            "DELETE": "DeleteObject",
        }.get(method, f"{method.title()}Object")
    sub = next((S3_SUBRESOURCES[name] for name in query if name in S3_SUBRESOURCES), None)
    if sub:
        return {"PUT": f"PutBucket{sub}", "GET": f"GetBucket{sub}"}.get(
            method, f"DeleteBucket{sub}"
        )
    if not bucket:
        return "ListBuckets"
    return {
        "PUT": "CreateBucket",
        "HEAD": "HeadBucket",
        "DELETE": "DeleteBucket",
        "GET": "ListObjectsV2",
    }.get(method, method.title())


def account_of(call: Call, environ: dict[str, Any]) -> str:
    """The account moto serves this call from (same precedence as moto's BaseResponse)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    return account_of_access_key(call.access_key)


def account_of_access_key(access_key: str) -> str:
    """moto's ``get_account_id_from`` without creating IAM backends on the way (the first one
    loads every managed policy, which takes a while): one not created holds no keys yet."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import PARTITION_NAMES, iam_backends

    for account_id, account in list(iam_backends.items()):
        for partition in PARTITION_NAMES:
            backend = dict.get(account, partition)
            if backend is not None and access_key in backend.access_keys:
                return account_id
    return DEFAULT_ACCOUNT_ID
