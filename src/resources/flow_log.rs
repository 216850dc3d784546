//! The VPC's flow log: every connection that reached (or was refused by) the environment's
//! network interfaces, delivered to a CloudWatch Logs group through an IAM role the flow logs
//! service assumes (both declared beside it, see `stack::flow_logs`).
//!
//! A flow log has an id and tags but no name, so it is found like the other EC2 resources: by
//! its `macroctl:{stack,env,id}` tags (never one tagged for another stack or environment; two
//! tagged alike is an error to resolve by hand). While planning, the environment's flow logs
//! are listed in one `DescribeFlowLogs` filtered by the stack and env tags ([`FlowLogs`]);
//! otherwise a flow log is described by its id, or filtered by its own tags.
//!
//! `CreateFlowLogs` carries the intent's client token and the tags, and AWS refuses a second
//! flow log of the same VPC to the same group (`FlowLogAlreadyExists`), so a repeat makes
//! nothing twice. A flow log cannot be modified: when a setting differs (traffic type, group,
//! role, aggregation interval), `update` deletes it and creates it anew, with a token derived
//! from the old id and the new settings, and returns the new id; nothing refers to a flow log,
//! and the log group keeps the records. AWS answers `DeleteFlowLogs` of an unknown id with an
//! unsuccessful item (the emulator with an error): both mean gone.

use super::inventory::{tag_value, Listing};
use super::{
    stable_hash, tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity,
    IdentityKind, Kind, Lookup, Outputs, Ref, Resolver, TagChanges, Tags, TAG_ENV, TAG_ID,
    TAG_STACK,
};
use crate::aws::{AwsError, ErrorClass, Found, IntoAwsError};
use aws_sdk_ec2::types::{
    Filter, FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType,
};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FlowLogSpec {
    /// The VPC's `vpc_id`.
    pub vpc: Ref,
    /// The log group's `name`.
    pub log_group: Ref,
    /// The delivery role's `arn`.
    pub role: Ref,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    /// Seconds over which packets are aggregated into one record: 60 or 600.
    pub max_aggregation_interval: i32,
}

#[derive(Debug, Clone)]
pub struct FlowLogLive {
    pub flow_log_id: String,
    /// The VPC (or subnet, interface) it records.
    pub resource_id: String,
    /// `None` when not reported (a flow log to S3).
    pub log_group_name: Option<String>,
    pub role_arn: Option<String>,
    pub traffic_type: String,
    /// `None` when not reported.
    pub max_aggregation_interval: Option<i32>,
    /// `ACTIVE`.
    pub status: String,
    /// `SUCCESS` or `FAILED` (with the error), when reported.
    pub delivery: Option<String>,
    pub tags: Tags,
}

pub struct FlowLog;

fn live_of(flow_log: &aws_sdk_ec2::types::FlowLog) -> FlowLogLive {
    let delivery =
        flow_log
            .deliver_logs_status()
            .map(|status| match flow_log.deliver_logs_error_message() {
                Some(message) if !message.is_empty() => format!("{status}: {message}"),
                _ => status.to_string(),
            });
    FlowLogLive {
        flow_log_id: flow_log.flow_log_id().unwrap_or_default().to_string(),
        resource_id: flow_log.resource_id().unwrap_or_default().to_string(),
        log_group_name: flow_log.log_group_name().map(str::to_string),
        role_arn: flow_log.deliver_logs_permission_arn().map(str::to_string),
        traffic_type: flow_log
            .traffic_type()
            .map(|traffic| traffic.as_str().to_string())
            .unwrap_or_default(),
        max_aggregation_interval: flow_log.max_aggregation_interval(),
        status: flow_log.flow_log_status().unwrap_or_default().to_string(),
        delivery,
        tags: tags::from_ec2(flow_log.tags()),
    }
}

fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}

/// Every flow log `DescribeFlowLogs` answers for these ids and filters (paginated); unknown
/// ids are an empty answer.
async fn describe(
    ctx: &Ctx<'_>,
    ids: Option<Vec<String>>,
    filters: Vec<Filter>,
) -> Result<Vec<aws_sdk_ec2::types::FlowLog>, AwsError> {
    let mut all = Vec::new();
    let mut pages = ctx
        .aws
        .ec2
        .describe_flow_logs()
        .set_flow_log_ids(ids)
        .set_filter(Some(filters))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page.op("DescribeFlowLogs").found()? {
            Some(page) => all.extend(page.flow_logs.unwrap_or_default()),
            None => break,
        }
    }
    Ok(all)
}

/// Whether the tags name this stack and environment (checked here too: a filter the API
/// ignores must not let another environment's flow log through).
fn owned(ctx: &Ctx<'_>, flow_log: &aws_sdk_ec2::types::FlowLog) -> bool {
    tag_value(flow_log.tags(), TAG_STACK) == Some(ctx.stack)
        && tag_value(flow_log.tags(), TAG_ENV) == Some(ctx.env)
}

fn owned_filters(ctx: &Ctx<'_>) -> Vec<Filter> {
    vec![
        tag_filter(TAG_STACK, ctx.stack),
        tag_filter(TAG_ENV, ctx.env),
    ]
}

/// The environment's flow logs, listed once per run while planning.
struct FlowLogs;

impl Listing for FlowLogs {
    type Item = aws_sdk_ec2::types::FlowLog;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Self::Item>, AwsError> {
        let all = describe(ctx, None, owned_filters(ctx)).await?;
        Ok(all.into_iter().filter(|f| owned(ctx, f)).collect())
    }
}

/// The one flow log tagged `macroctl:id=<id>` among `candidates`; two is an error.
fn the_one(
    candidates: Vec<aws_sdk_ec2::types::FlowLog>,
    id: &str,
) -> Result<Option<FlowLogLive>, AwsError> {
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(live_of(one))),
        many => Err(AwsError::other(
            "DescribeFlowLogs",
            format!(
                "{} flow logs are tagged {TAG_ID}={id}: {}; delete the extra ones (or remove their tags) and run again",
                many.len(),
                many.iter()
                    .filter_map(|f| f.flow_log_id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// A client token for replacing `old` by a flow log with `spec`'s settings: the same for a
/// repeat of that replacement, new for another one.
fn replacement_token(who: &Identity, old: &str, spec: &FlowLogSpec, resolver: &Resolver) -> String {
    let group = resolver.get(&spec.log_group);
    let role = resolver.get(&spec.role);
    let interval = spec.max_aggregation_interval.to_string();
    let parts = [
        who.id.as_str(),
        old,
        spec.traffic_type.as_str(),
        group.as_str(),
        role.as_str(),
        interval.as_str(),
    ];
    let second: Vec<&str> = parts.iter().copied().chain(["replacement"]).collect();
    format!("{:016x}{:016x}", stable_hash(&parts), stable_hash(&second))
}

/// The one call that makes the flow log; returns its id.
async fn create_flow_log(
    ctx: &Ctx<'_>,
    who: &Identity,
    spec: &FlowLogSpec,
    resolver: &Resolver,
    token: &str,
) -> Result<String, AwsError> {
    let output = ctx
        .aws
        .ec2
        .create_flow_logs()
        .resource_type(FlowLogsResourceType::Vpc)
        .resource_ids(resolver.get(&spec.vpc))
        .traffic_type(TrafficType::from(spec.traffic_type.as_str()))
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name(resolver.get(&spec.log_group))
        .deliver_logs_permission_arn(resolver.get(&spec.role))
        .max_aggregation_interval(spec.max_aggregation_interval)
        .client_token(token)
        .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::VpcFlowLog))
        .send()
        .await
        .op("CreateFlowLogs")?;
    if let Some(item) = output.unsuccessful().first() {
        let error = item.error();
        return Err(AwsError::other(
            "CreateFlowLogs",
            format!(
                "AWS did not create the flow log of {}: {} {}",
                item.resource_id().unwrap_or("the VPC"),
                error.and_then(|e| e.code()).unwrap_or("(no code)"),
                error.and_then(|e| e.message()).unwrap_or_default()
            ),
        ));
    }
    output
        .flow_log_ids()
        .first()
        .cloned()
        .ok_or_else(|| AwsError::other("CreateFlowLogs", "AWS returned no flow log id"))
}

/// Deletes the flow log `id`; one already gone is success.
async fn delete_flow_log(ctx: &Ctx<'_>, id: &str) -> Result<(), AwsError> {
    let output = ctx
        .aws
        .ec2
        .delete_flow_logs()
        .flow_log_ids(id)
        .send()
        .await
        .op("DeleteFlowLogs")
        .found()?;
    let refused = output
        .as_ref()
        .and_then(|output| output.unsuccessful().first())
        .and_then(|item| item.error());
    match refused {
        Some(error) if !error.code().unwrap_or_default().contains("NotFound") => {
            Err(AwsError::other(
                "DeleteFlowLogs",
                format!(
                    "AWS did not delete flow log {id}: {} {}",
                    error.code().unwrap_or("(no code)"),
                    error.message().unwrap_or_default()
                ),
            )
            .with_class(ErrorClass::Other))
        }
        _ => Ok(()),
    }
}

fn shown(value: Option<&str>) -> String {
    value.unwrap_or("(not set)").to_string()
}

impl Kind for FlowLog {
    const KIND: &'static str = "ec2:flow-log";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // CreateFlowLogs takes a client token, and AWS refuses a second flow log of the same VPC
    // to the same group.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["flow_log_id"];
    type Spec = FlowLogSpec;
    type Live = FlowLogLive;

    fn refs(spec: &FlowLogSpec) -> Vec<Ref> {
        vec![spec.vpc.clone(), spec.log_group.clone(), spec.role.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &FlowLogSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<FlowLogLive>, AwsError> {
        let mine = |f: &aws_sdk_ec2::types::FlowLog| {
            owned(ctx, f) && tag_value(f.tags(), TAG_ID) == Some(who.id.as_str())
        };
        match lookup {
            Lookup::Id(id) => {
                if ctx.cached {
                    let listed = ctx.inventory.listed::<FlowLogs>(ctx).await?;
                    if let Some(found) = listed.iter().find(|f| f.flow_log_id() == Some(id)) {
                        return Ok(Some(live_of(found)));
                    }
                }
                let found = describe(ctx, Some(vec![id.to_string()]), Vec::new()).await?;
                Ok(found
                    .iter()
                    .find(|f| f.flow_log_id() == Some(id))
                    .map(live_of))
            }
            Lookup::Identity => {
                let candidates: Vec<_> = if ctx.cached {
                    let listed = ctx.inventory.listed::<FlowLogs>(ctx).await?;
                    listed.iter().filter(|f| mine(f)).cloned().collect()
                } else {
                    let mut filters = owned_filters(ctx);
                    filters.push(tag_filter(TAG_ID, who.id.as_str()));
                    let found = describe(ctx, None, filters).await?;
                    found.into_iter().filter(|f| mine(f)).collect()
                };
                the_one(candidates, who.id.as_str())
            }
        }
    }

    /// Every difference is applied by replacing the flow log (see the module docs), so none
    /// is marked as one `up` refuses.
    fn diff(spec: &FlowLogSpec, live: &FlowLogLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let mut field = |name: &str, old: String, new: String| {
            super::compare(&mut changes, name, &old, &new, false)
        };
        field("vpc", live.resource_id.clone(), resolver.get(&spec.vpc));
        field(
            "traffic_type",
            live.traffic_type.clone(),
            spec.traffic_type.clone(),
        );
        field(
            "log_group",
            shown(live.log_group_name.as_deref()),
            resolver.get(&spec.log_group),
        );
        field(
            "role",
            shown(live.role_arn.as_deref()),
            resolver.get(&spec.role),
        );
        if let Some(interval) = live.max_aggregation_interval {
            field(
                "max_aggregation_interval",
                interval.to_string(),
                spec.max_aggregation_interval.to_string(),
            );
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &FlowLogSpec,
        resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError> {
        create_flow_log(ctx, who, spec, resolver, token).await
    }

    /// Flow logs cannot be modified: delete this one, create one with the desired settings,
    /// and return its id. Deleting first keeps one flow log per VPC and group, as AWS insists.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &FlowLogSpec,
        live: &FlowLogLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        delete_flow_log(ctx, &live.flow_log_id).await?;
        let token = replacement_token(who, &live.flow_log_id, spec, resolver);
        create_flow_log(ctx, who, spec, resolver, &token)
            .await
            .map(Some)
    }

    fn tags(live: &FlowLogLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &FlowLogLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.flow_log_id, changes).await
    }

    async fn delete(
        ctx: &Ctx<'_>,
        live: &FlowLogLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        delete_flow_log(ctx, &live.flow_log_id).await?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &FlowLogLive) -> String {
        live.flow_log_id.clone()
    }

    fn outputs(live: &FlowLogLive) -> Outputs {
        Outputs::from([("flow_log_id".into(), live.flow_log_id.clone())])
    }

    fn status(live: &FlowLogLive) -> String {
        let status = live.status.to_lowercase();
        match &live.delivery {
            Some(delivery) => format!(
                "{status}, {} traffic, delivery {delivery}",
                live.traffic_type
            ),
            None => format!("{status}, {} traffic", live.traffic_type),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        for (id, output, value) in [
            ("vpc", "vpc_id", "vpc-1"),
            ("group", "name", "/vpc/macro-ai-dev/flow-logs"),
            (
                "role",
                "arn",
                "arn:aws:iam::1:role/macro-ai-dev-vpc-flow-logs",
            ),
        ] {
            resolver.set(
                &id.into(),
                Outputs::from([(output.to_string(), value.to_string())]),
            );
        }
        resolver
    }

    fn spec(traffic_type: &str) -> FlowLogSpec {
        FlowLogSpec {
            vpc: Ref::new("vpc", "vpc_id"),
            log_group: Ref::new("group", "name"),
            role: Ref::new("role", "arn"),
            traffic_type: traffic_type.into(),
            max_aggregation_interval: 600,
        }
    }

    fn live() -> FlowLogLive {
        FlowLogLive {
            flow_log_id: "fl-1".into(),
            resource_id: "vpc-1".into(),
            log_group_name: Some("/vpc/macro-ai-dev/flow-logs".into()),
            role_arn: Some("arn:aws:iam::1:role/macro-ai-dev-vpc-flow-logs".into()),
            traffic_type: "ALL".into(),
            max_aggregation_interval: Some(600),
            status: "ACTIVE".into(),
            delivery: Some("SUCCESS".into()),
            tags: Tags::new(),
        }
    }

    #[test]
    fn a_changed_setting_is_an_update_that_replaces() {
        let resolver = resolver();
        assert!(FlowLog::diff(&spec("ALL"), &live(), &resolver).is_empty());
        let changes = FlowLog::diff(&spec("REJECT"), &live(), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (
                changes[0].field.as_str(),
                changes[0].old.as_str(),
                changes[0].new.as_str()
            ),
            ("traffic_type", "ALL", "REJECT")
        );
        assert!(!changes[0].replace);
        let unreported = FlowLogLive {
            max_aggregation_interval: None,
            ..live()
        };
        assert!(FlowLog::diff(&spec("ALL"), &unreported, &resolver).is_empty());
    }

    #[test]
    fn a_replacement_token_is_stable_per_replacement() {
        let who = Identity {
            id: "flow-log-vpc".into(),
            name: "macro-ai-dev-flow-log-vpc".into(),
            tags: Tags::new(),
        };
        let resolver = resolver();
        let token = replacement_token(&who, "fl-1", &spec("REJECT"), &resolver);
        assert_eq!(token.len(), 32);
        assert_eq!(
            token,
            replacement_token(&who, "fl-1", &spec("REJECT"), &resolver)
        );
        assert_ne!(
            token,
            replacement_token(&who, "fl-2", &spec("REJECT"), &resolver)
        );
        assert_ne!(
            token,
            replacement_token(&who, "fl-1", &spec("ACCEPT"), &resolver)
        );
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<FlowLog>(&live()));
    }
}
