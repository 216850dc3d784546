"""IAM propagation: a role just created or changed cannot be assumed by other services yet.

IAM changes take seconds to reach the services that assume a role, so handing a fresh role
to ECS, RDS or Application Auto Scaling fails on AWS with each service's own error, and
macroctl has to retry that. This module remembers when each role was last created or changed
(``RolePropagation``) and refuses, for the configured ``iam_propagation``, the calls that
assume a role at once. The calls and their errors are documented under "Faults" in
``launcher.py``'s docstring.
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


class RolePropagation:
    """Roles created or changed less than ``seconds`` ago, per (account, role name)."""

    def __init__(self) -> None:
        self.until: dict[tuple[str, str], float] = {}

    def forget(self) -> None:
        self.until.clear()

    def observe(self, call: Call, account: str, response: Response, seconds: float | None) -> None:
        changed = call.service == "iam" and call.action in ROLE_CHANGES and response.ok
        name = call.param("RoleName") if changed and seconds is not None else None
        if name:
            self.until[(account, name)] = time.time() + seconds

    def refusal(self, call: Call) -> Response | None:
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
