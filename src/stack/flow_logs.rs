//! The VPC's flow log with what it needs (part of the network layer): a CloudWatch Logs group
//! `/vpc/<stack>-<env>/flow-logs` with the environment's retention (or `[flow_logs]
//! retention_days`), and an IAM role the flow logs service (`vpc-flow-logs.amazonaws.com`)
//! assumes, allowed to create streams in and write to exactly that group. `[flow_logs]
//! enabled = false` declares none of them.

use super::network::VPC;
use super::Declared;
use crate::config::Environment;
use crate::resources::flow_log::FlowLogSpec;
use crate::resources::iam_role::{IamRoleSpec, InlinePolicy, PolicyResource, PolicyStatement};
use crate::resources::log_group::LogGroupSpec;
use crate::resources::{Ref, Spec};

pub const FLOW_LOG: &str = "flow-log-vpc";
pub const FLOW_LOG_GROUP: &str = "log-group-flow-logs";
pub const FLOW_LOG_ROLE: &str = "iam-flow-logs-role";

/// What the flow logs service does with the group: streams per network interface, records.
const DELIVERY_ACTIONS: [&str; 3] = [
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
];

/// The flow log group's name.
pub fn group_name(env: &Environment) -> String {
    format!("/vpc/{}/flow-logs", env.resource_prefix())
}

pub(super) fn declare(env: &Environment) -> Vec<Declared> {
    let config = &env.flow_logs;
    if !config.enabled {
        return Vec::new();
    }
    let prefix = env.resource_prefix();
    let group = Declared::new(
        FLOW_LOG_GROUP,
        Spec::LogGroup(LogGroupSpec {
            name: group_name(env),
            retention_days: config.retention_days as i32,
        }),
    );
    let role = Declared::new(
        FLOW_LOG_ROLE,
        Spec::IamRole(IamRoleSpec {
            name: format!("{prefix}-vpc-flow-logs"),
            description: format!("{prefix} vpc-flow-logs (managed by macroctl)"),
            trusted_service: "vpc-flow-logs.amazonaws.com".into(),
            managed_policy_arns: Vec::new(),
            inline_policies: vec![InlinePolicy {
                name: "deliver-flow-logs".into(),
                statements: vec![PolicyStatement {
                    sid: Some("WriteFlowLogGroup".into()),
                    actions: DELIVERY_ACTIONS.iter().map(|a| a.to_string()).collect(),
                    resources: vec![
                        PolicyResource::Ref(Ref::new(FLOW_LOG_GROUP, "arn")),
                        PolicyResource::Ref(Ref::new(FLOW_LOG_GROUP, "streams_arn")),
                    ],
                }],
            }],
        }),
    );
    let flow_log = Declared::new(
        FLOW_LOG,
        Spec::FlowLog(FlowLogSpec {
            vpc: Ref::new(VPC, "vpc_id"),
            log_group: Ref::new(FLOW_LOG_GROUP, "name"),
            role: Ref::new(FLOW_LOG_ROLE, "arn"),
            traffic_type: config.traffic_type.as_str().into(),
            max_aggregation_interval: 600,
        }),
    );
    vec![group, role, flow_log]
}
