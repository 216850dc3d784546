//! CloudWatch Logs log groups: one per service (`/ecs/macro-ai-<env>-api`), which the ECS
//! tasks' awslogs driver writes to. Created by macroctl (not by the driver) so that retention
//! is set and the group is tagged and removed with the environment.
//!
//! A group is found by its deterministic name (`DescribeLogGroups` with the name as prefix,
//! then an exact-name match). Compared: the retention in days (`PutRetentionPolicy`;
//! `retention_days <= 0` means never expire, which is what an absent retention reports).

use super::{
    tags, CreateSafety, Ctx, FieldChange, Identity, IdentityKind, Kind, Lookup, Outputs, Ref,
    Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone)]
pub struct LogGroupSpec {
    /// The log group name, e.g. `/ecs/macro-ai-staging-api`.
    pub name: String,
    /// Days events are kept; 0 (or less) keeps them forever.
    pub retention_days: i32,
}

#[derive(Debug, Clone)]
pub struct LogGroupLive {
    pub name: String,
    /// The group's ARN, without the trailing `:*` DescribeLogGroups adds.
    pub arn: String,
    /// `None`: never expire (CloudWatch Logs reports no retention then).
    pub retention_days: Option<i32>,
    pub tags: Tags,
}

pub struct LogGroup;

const NEVER: &str = "never expire";

fn desired_retention(spec: &LogGroupSpec) -> Option<i32> {
    (spec.retention_days > 0).then_some(spec.retention_days)
}

fn retention_text(retention: Option<i32>) -> String {
    retention.map_or_else(|| NEVER.to_string(), |days| format!("{days} days"))
}

fn live_of(group: &aws_sdk_cloudwatchlogs::types::LogGroup, tags: Tags) -> LogGroupLive {
    let arn = group.arn().or(group.log_group_arn()).unwrap_or_default();
    LogGroupLive {
        name: group.log_group_name().unwrap_or_default().to_string(),
        arn: arn.strip_suffix(":*").unwrap_or(arn).to_string(),
        retention_days: group.retention_in_days().filter(|days| *days > 0),
        tags,
    }
}

/// The group name in a log group ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`).
fn name_of_arn(arn: &str) -> Option<&str> {
    arn.split_once(":log-group:").map(|(_, name)| name)
}

/// The group named exactly `name` (DescribeLogGroups matches by prefix), with its tags.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<LogGroupLive>, AwsError> {
    let mut next_token: Option<String> = None;
    let group = loop {
        let page = ctx
            .aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(next_token.take())
            .send()
            .await
            .op("DescribeLogGroups")?;
        if let Some(group) = page
            .log_groups()
            .iter()
            .find(|group| group.log_group_name() == Some(name))
        {
            break group.clone();
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(None),
        }
    };
    let mut live = live_of(&group, Tags::new());
    let listed = ctx
        .aws
        .logs
        .list_tags_for_resource()
        .resource_arn(&live.arn)
        .send()
        .await
        .op("ListTagsForResource")
        .found()?;
    if let Some(tags) = listed.as_ref().and_then(|output| output.tags()) {
        live.tags = tags::from_map(tags);
    }
    Ok(Some(live))
}

impl Kind for LogGroup {
    const KIND: &'static str = "logs:log-group";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat answers ResourceAlreadyExistsException.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["name", "arn"];
    type Spec = LogGroupSpec;
    type Live = LogGroupLive;

    fn refs(_spec: &LogGroupSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LogGroupSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<LogGroupLive>, AwsError> {
        let name = match lookup {
            // The ARN recorded in state, or the name a create returns.
            Lookup::Id(id) => name_of_arn(id).unwrap_or(id),
            Lookup::Identity => &spec.name,
        };
        describe(ctx, name).await
    }

    fn diff(spec: &LogGroupSpec, live: &LogGroupLive, _resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        if live.name != spec.name {
            changes.push(FieldChange::replace("name", &live.name, &spec.name));
        }
        let desired = desired_retention(spec);
        if live.retention_days != desired {
            changes.push(FieldChange::update(
                "retention_days",
                retention_text(live.retention_days),
                retention_text(desired),
            ));
        }
        changes
    }

    /// Creates the group with its tags. CreateLogGroup answers nothing, so the name is what
    /// the engine reads back with; retention is the update that follows.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &LogGroupSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        ctx.aws
            .logs
            .create_log_group()
            .log_group_name(&spec.name)
            .set_tags(Some(tags::to_map(&who.tags)))
            .send()
            .await
            .op("CreateLogGroup")?;
        Ok(spec.name.clone())
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LogGroupSpec,
        live: &LogGroupLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        if !changes
            .iter()
            .any(|change| change.field == "retention_days")
        {
            return Ok(None);
        }
        match desired_retention(spec) {
            Some(days) => {
                ctx.aws
                    .logs
                    .put_retention_policy()
                    .log_group_name(&live.name)
                    .retention_in_days(days)
                    .send()
                    .await
                    .op("PutRetentionPolicy")?;
            }
            None => {
                ctx.aws
                    .logs
                    .delete_retention_policy()
                    .log_group_name(&live.name)
                    .send()
                    .await
                    .op("DeleteRetentionPolicy")?;
            }
        }
        Ok(None)
    }

    fn tags(live: &LogGroupLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &LogGroupLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_logs(&ctx.aws.logs, &live.arn, changes).await
    }

    fn physical_id(live: &LogGroupLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &LogGroupLive) -> Outputs {
        Outputs::from([
            ("name".into(), live.name.clone()),
            ("arn".into(), live.arn.clone()),
        ])
    }

    fn status(live: &LogGroupLive) -> String {
        format!("retention {}", retention_text(live.retention_days))
    }
}
