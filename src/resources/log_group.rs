//! CloudWatch Logs log groups: one per service (`/ecs/macro-ai-<env>-api`), which the ECS
//! tasks' awslogs driver writes to. Created by macroctl (not by the driver) so that retention
//! is set and the group is tagged and removed with the environment.
//!
//! While planning, the environment's groups are listed together: one `DescribeLogGroups`
//! with the environment's prefix `/ecs/{stack}-{env}-` (paginated), made by the first group
//! read and shared by the others (see [`Groups`]); their tags come from the environment's one
//! `GetResources`, else (a group not tagged for the environment) `ListTagsForResource`. A
//! declared group whose name lacks that prefix is read on its own.
//!
//! Otherwise (right after a change, or when the listing lacks it) a group is found by its
//! deterministic name (`DescribeLogGroups` with the name as prefix, then an exact-name match),
//! its tags with `ListTagsForResource`. Compared: the retention in days (`PutRetentionPolicy`;
//! `retention_days <= 0` means never expire, which is what an absent retention reports).
//!
//! Outputs: the name, the ARN and `streams_arn` (`ARN:*`, the group's log streams), which a
//! policy scoped to exactly this group names (the VPC flow logs role).

use super::inventory::Listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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

/// Every group whose name starts with `prefix` (paginated), kept to those it really starts.
async fn describe_prefixed(
    ctx: &Ctx<'_>,
    prefix: &str,
    stop_at: Option<&str>,
) -> Result<Vec<aws_sdk_cloudwatchlogs::types::LogGroup>, AwsError> {
    let mut all = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = ctx
            .aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .set_next_token(next_token.take())
            .send()
            .await
            .op("DescribeLogGroups")?;
        all.extend(
            page.log_groups()
                .iter()
                .filter(|group| {
                    group
                        .log_group_name()
                        .is_some_and(|n| n.starts_with(prefix))
                })
                .cloned(),
        );
        if stop_at.is_some() && all.iter().any(|group| group.log_group_name() == stop_at) {
            return Ok(all);
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(all),
        }
    }
}

/// The group named exactly `name` (DescribeLogGroups matches by prefix), with its tags.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<LogGroupLive>, AwsError> {
    let groups = describe_prefixed(ctx, name, Some(name)).await?;
    match groups
        .iter()
        .find(|group| group.log_group_name() == Some(name))
    {
        Some(group) => with_tags(ctx, live_of(group, Tags::new())).await.map(Some),
        None => Ok(None),
    }
}

/// The group with its tags (none when CloudWatch Logs lists none).
async fn with_tags(ctx: &Ctx<'_>, mut live: LogGroupLive) -> Result<LogGroupLive, AwsError> {
    if let Some(tags) = ctx.inventory.tags_of(ctx, &live.arn).await? {
        live.tags = tags;
        return Ok(live);
    }
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
    Ok(live)
}

// --- Batched reads while planning --------------------------------------------------------

/// The environment's groups, listed by the environment's prefix: one listing per run.
struct Groups;

impl Listing for Groups {
    type Item = aws_sdk_cloudwatchlogs::types::LogGroup;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Self::Item>, AwsError> {
        describe_prefixed(ctx, &env_prefix(ctx), None).await
    }
}

/// The prefix of the environment's group names: `/ecs/{stack}-{env}-`.
fn env_prefix(ctx: &Ctx<'_>) -> String {
    format!("/ecs/{}-{}-", ctx.stack, ctx.env)
}

/// What the listing says of the group `name`: `Some(found)` when it decides (found or, for an
/// identity lookup of a name the listing covers, absent), `None` when only a direct read can
/// tell.
fn pick(
    listed: &[aws_sdk_cloudwatchlogs::types::LogGroup],
    name: &str,
    lookup: Lookup<'_>,
    prefix: &str,
) -> Option<Option<LogGroupLive>> {
    match listed
        .iter()
        .find(|group| group.log_group_name() == Some(name))
    {
        Some(group) => Some(Some(live_of(group, Tags::new()))),
        None if lookup == Lookup::Identity && name.starts_with(prefix) => Some(None),
        None => None,
    }
}

impl Kind for LogGroup {
    const KIND: &'static str = "logs:log-group";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat answers ResourceAlreadyExistsException.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["name", "arn", "streams_arn"];
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
        if ctx.cached {
            let listed = ctx.inventory.listed::<Groups>(ctx).await?;
            match pick(&listed, name, lookup, &env_prefix(ctx)) {
                Some(Some(live)) => return with_tags(ctx, live).await.map(Some),
                Some(None) => return Ok(None),
                None => {}
            }
        }
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

    /// Deletes the group with its log events.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &LogGroupLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // ResourceNotFoundException: already gone.
        ctx.aws
            .logs
            .delete_log_group()
            .log_group_name(&live.name)
            .send()
            .await
            .op("DeleteLogGroup")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &LogGroupLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &LogGroupLive) -> Outputs {
        Outputs::from([
            ("name".into(), live.name.clone()),
            ("arn".into(), live.arn.clone()),
            // Its log streams, for policies that let a service write to exactly this group.
            ("streams_arn".into(), format!("{}:*", live.arn)),
        ])
    }

    fn status(live: &LogGroupLive) -> String {
        format!("retention {}", retention_text(live.retention_days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatchlogs::types::LogGroup as Group;

    const PREFIX: &str = "/ecs/macro-ai-test-";

    #[test]
    fn the_listing_decides_for_the_names_it_covers() {
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/macro-ai-test-api";
        let listed = vec![Group::builder()
            .log_group_name("/ecs/macro-ai-test-api")
            .arn(format!("{arn}:*"))
            .retention_in_days(14)
            .build()];
        let found = |name, lookup| {
            pick(&listed, name, lookup, PREFIX).map(|live| live.map(|live| live.arn))
        };
        let api = "/ecs/macro-ai-test-api";
        assert_eq!(found(api, Lookup::Identity), Some(Some(arn.into())));
        assert_eq!(found(api, Lookup::Id(arn)), Some(Some(arn.into())));
        assert_eq!(found("/ecs/macro-ai-test-ui", Lookup::Identity), Some(None));
        // A recorded id the listing lacks, or a name outside the prefix: read directly.
        assert_eq!(found("/ecs/macro-ai-test-ui", Lookup::Id("x")), None);
        assert_eq!(found("/aws/other", Lookup::Identity), None);
        assert_eq!(name_of_arn(arn), Some(api));
    }

    #[test]
    fn diff() {
        let spec = LogGroupSpec {
            name: "/ecs/macro-ai-test-api".into(),
            retention_days: 14,
        };
        let live = LogGroupLive {
            name: spec.name.clone(),
            arn: "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/macro-ai-test-api".into(),
            retention_days: Some(14),
            tags: Tags::new(),
        };
        let resolver = Resolver::default();
        assert!(LogGroup::diff(&spec, &live, &resolver).is_empty());
        let forever = LogGroupLive {
            retention_days: None,
            ..live
        };
        let changes = LogGroup::diff(&spec, &forever, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].old.as_str(), changes[0].new.as_str()),
            (NEVER, "14 days")
        );
    }
}
