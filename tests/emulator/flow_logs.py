"""VPC flow logs as EC2 reports them, where moto 5.2.5 does not.

* ``DeleteFlowLogs`` of an id that does not exist: EC2 answers 200 with an ``unsuccessful``
  item (code ``InvalidFlowLogId.NotFound``) and deletes the others asked for; moto raises an
  error and deletes nothing.
* The Resource Groups Tagging API names a flow log
  ``arn:aws:ec2:REGION:ACCOUNT:vpc-flow-log/fl-...`` (resource type ``ec2:vpc-flow-log``), as
  AWS does; moto says ``flow-logs/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def patch_flow_logs() -> None:
    from moto.core.resource_tagging import TaggedResource
    from moto.core.responses import ActionResult
    from moto.ec2.models import EC2Backend
    from moto.ec2.responses.flow_logs import FlowLogs as FlowLogsResponse

    def delete_flow_logs(self: Any) -> Any:
        ids = self._get_param("FlowLogIds", [])
        self.error_on_dryrun()
        known = [i for i in ids if i in self.ec2_backend.flow_logs]
        if known:
            self.ec2_backend.delete_flow_logs(known)
        unsuccessful = [
            {
                "ResourceId": i,
                "Error": {
                    "Code": "InvalidFlowLogId.NotFound",
                    "Message": f"These flow log ids in the input list are not found: [TotalCount: 1] {i}",
                },
            }
            for i in ids
            if i not in known
        ]
        return ActionResult({"Unsuccessful": unsuccessful})

    original_iter = EC2Backend.iter_tagged_resources

    def iter_tagged_resources(self: Any) -> Iterator[TaggedResource]:
        for resource in original_iter(self):
            if resource.resource_type == "ec2:flow-logs":
                resource.arn = resource.arn.replace(":flow-logs/", ":vpc-flow-log/", 1)
                resource.resource_type = "ec2:vpc-flow-log"
            yield resource

    FlowLogsResponse.delete_flow_logs = delete_flow_logs
    EC2Backend.iter_tagged_resources = iter_tagged_resources
