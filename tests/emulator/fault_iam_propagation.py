"""IAM propagation: a role just created or changed cannot be assumed by other services yet.

IAM changes take seconds to reach the services that assume a role, so handing a fresh role
to ECS, RDS or Application Auto Scaling fails on AWS with each service's own error, and
macroctl has to retry that. This module remembers when each role was last created or changed
(``RolePropagation``) and refuses, for the configured ``iam_propagation``, the calls that
assume a role at once. Bucket policies are grants too: for the same time after
``PutBucketPolicy``, CloudTrail refuses a trail delivering to that bucket and ELB refuses
access logs to it, as they do on AWS while the new policy has not reached them. The calls and
their errors are documented under "Faults" in ``launcher.py``'s docstring.
"""

from __future__ import annotations

import re
import time

from fault_calls import Call, json_strings
from fault_responses import Response, error_response

ROLE_CHANGES = ("CreateRole", "PutRolePolicy", "AttachRolePolicy", "UpdateAssumeRolePolicy")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")
ECS_ROLE = (
    "InvalidParameterException",
    "Unable to assume role and validate the specified targetGroupArn. "
    "Please verify that the ECS service role being passed has the proper permissions.",
)
RDS_MONITORING_ROLE = (
    "InvalidParameterValue",
    "IAM role ARN value is invalid or does not include the required permissions for: "
    "ENHANCED_MONITORING",
)
RDS_PROXY_ROLE = (
    "InvalidParameterValue",
    "IAM role ARN value is invalid or does not include the required permissions for: "
    "DB proxy secret access ({arn})",
)

# Calls that assume the role they are handed at once: (service, action) -> (the parameters
# handing it, None for anywhere in the body; (error code, message with {arn})).
ROLE_CONSUMERS: dict[tuple[str, str], tuple[tuple[str, ...] | None, tuple[str, str]]] = {
    ("ecs", "RegisterTaskDefinition"): (
        ("executionRoleArn", "taskRoleArn"),
        ("ClientException", "Role is not valid"),
    ),
    ("ecs", "CreateService"): (None, ECS_ROLE),
    ("ecs", "UpdateService"): (None, ECS_ROLE),
    ("ecs", "RunTask"): (None, ECS_ROLE),
    ("rds", "CreateDBInstance"): (("MonitoringRoleArn",), RDS_MONITORING_ROLE),
    ("rds", "ModifyDBInstance"): (("MonitoringRoleArn",), RDS_MONITORING_ROLE),
    ("rds", "CreateDBProxy"): (("RoleArn",), RDS_PROXY_ROLE),
    ("rds", "ModifyDBProxy"): (("RoleArn",), RDS_PROXY_ROLE),
    ("application-autoscaling", "RegisterScalableTarget"): (
        ("RoleARN",),
        ("ValidationException", "Unable to assume IAM role: {arn}"),
    ),
}


TRAIL_BUCKET = (
    "InsufficientS3BucketPolicyException",
    "Incorrect S3 bucket policy is detected for bucket: {bucket}",
)
ELB_BUCKET = (
    "InvalidConfigurationRequest",
    "Access Denied for bucket: {bucket}. Please check S3bucket permission",
)


class RolePropagation:
    """Roles created or changed less than ``seconds`` ago, per (account, role name), and
    bucket policies put less than ``seconds`` ago, per bucket (names are global)."""

    def __init__(self) -> None:
        self.until: dict[tuple[str, str], float] = {}
        self.policies_until: dict[str, float] = {}

    def forget(self) -> None:
        self.until.clear()
        self.policies_until.clear()

    def observe(self, call: Call, account: str, response: Response, seconds: float | None) -> None:
        if seconds is None or not response.ok:
            return
        if call.service == "s3" and call.action == "PutBucketPolicy":
            bucket = call.path.lstrip("/").split("/")[0]
            self.policies_until[bucket] = time.time() + seconds
            return
        changed = call.service == "iam" and call.action in ROLE_CHANGES
        name = call.param("RoleName") if changed else None
        if name:
            self.until[(account, name)] = time.time() + seconds

    def bucket_refusal(self, call: Call) -> Response | None:
        """CloudTrail or ELB handed a bucket whose policy is too new to have reached it."""
        if not self.policies_until:
            return None
        if call.service == "cloudtrail" and call.action in ("CreateTrail", "UpdateTrail"):
            buckets, (code, message) = [call.param("S3BucketName")], TRAIL_BUCKET
        elif call.service == "elasticloadbalancing" and call.action == "ModifyLoadBalancerAttributes":
            buckets, (code, message) = [v for _, v in call.form], ELB_BUCKET
        else:
            return None
        now = time.time()
        for bucket in buckets:
            if bucket and now < self.policies_until.get(bucket, 0.0):
                return error_response(call, 400, code, message.format(bucket=bucket))
        return None

    def refusal(self, call: Call) -> Response | None:
        refused = self.bucket_refusal(call)
        if refused is not None:
            return refused
        consumer = ROLE_CONSUMERS.get((call.service, call.action)) if self.until else None
        if consumer is None:
            return None
        parameters, (code, message) = consumer
        if parameters is None:
            values = list(json_strings(call.document))
        else:
            values = [v for v in map(call.param, parameters) if v]
        now = time.time()
        for value in values:
            match = ROLE_ARN.match(value)
            if match and now < self.until.get((match.group(1), match.group(2)), 0.0):
                return error_response(call, 400, code, message.format(arn=value))
        return None
