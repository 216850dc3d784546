//! CloudWatch metric alarms (CPU and memory of the services, load balancer 5xx and latency,
//! database CPU and storage ...), notifying the alerts SNS topic.
//!
//! `PutMetricAlarm` creates an alarm or replaces its whole configuration, so it is both the
//! create (with the identity tags) and the update: any difference is fixed with the same one
//! call, and repeating it is harmless. It answers nothing, so the create returns the alarm's
//! name, by which the engine reads it back.
//!
//! While planning, the environment's alarms are described together: one `DescribeAlarms`
//! naming every alarm the environment declares (up to 100 names a call, paginated), made by
//! the first alarm read and shared by the others (see [`Alarms`]); their tags come from the
//! environment's one `GetResources`, else (an alarm not tagged for the environment)
//! `ListTagsForResource`. Otherwise (right after a change, or when the listing lacks it) an
//! alarm is read by its name (`DescribeAlarms`): the one in the ARN recorded in state, else the
//! deterministic name; its tags come from `ListTagsForResource` (AWS ignores the tags of a
//! `PutMetricAlarm` on an existing alarm, so tags are changed only through `set_tags`).
//!
//! Compared: every configured field: description, namespace, metric, dimensions (order
//! ignored), statistic, period, evaluation periods, threshold (numerically), comparison,
//! missing-data treatment and the alarm / OK actions (order ignored). A field CloudWatch does
//! not report is unknown, not a difference. The alarm's state (`OK`, `ALARM`,
//! `INSUFFICIENT_DATA`) is what the metric says, not whether the alarm is usable: an alarm is
//! ready as soon as it exists.

use super::inventory::Listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, MetricAlarm, Statistic};
use std::collections::BTreeSet;

/// A dimension's value: written out, or an output of another resource (e.g. the load
/// balancer's `arn_suffix`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum DimensionValue {
    Literal(String),
    Ref(Ref),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AlarmSpec {
    /// The alarm name, e.g. `macro-ai-staging-api-cpu-high`.
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, DimensionValue)>,
    /// `Average`, `Sum`, `Maximum`, ...
    pub statistic: String,
    pub period_seconds: i32,
    pub evaluation_periods: i32,
    pub threshold: f64,
    /// e.g. `GreaterThanThreshold`.
    pub comparison: String,
    /// `notBreaching`, `breaching`, `ignore` or `missing`.
    pub treat_missing_data: String,
    /// SNS topic ARNs notified on ALARM.
    pub alarm_actions: Vec<Ref>,
    /// SNS topic ARNs notified on return to OK.
    pub ok_actions: Vec<Ref>,
}

#[derive(Debug, Clone)]
pub struct AlarmLive {
    pub name: String,
    pub arn: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    // `None`: not reported.
    pub description: Option<String>,
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    /// Sorted by name, then value.
    pub dimensions: Vec<(String, String)>,
    pub statistic: Option<String>,
    pub period_seconds: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub threshold: Option<f64>,
    pub comparison: Option<String>,
    pub treat_missing_data: Option<String>,
    /// Sorted.
    pub alarm_actions: Vec<String>,
    /// Sorted.
    pub ok_actions: Vec<String>,
    pub tags: Tags,
}

pub struct Alarm;

fn desired_dimensions(spec: &AlarmSpec, resolver: &Resolver) -> Vec<(String, String)> {
    let mut dimensions: Vec<(String, String)> = spec
        .dimensions
        .iter()
        .map(|(name, value)| {
            let value = match value {
                DimensionValue::Literal(value) => value.clone(),
                DimensionValue::Ref(reference) => resolver.get(reference),
            };
            (name.clone(), value)
        })
        .collect();
    dimensions.sort();
    dimensions
}

fn resolved(refs: &[Ref], resolver: &Resolver) -> Vec<String> {
    let mut values: Vec<String> = refs.iter().map(|r| resolver.get(r)).collect();
    values.sort();
    values.dedup();
    values
}

fn dimensions_text(dimensions: &[(String, String)]) -> String {
    dimensions
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether two thresholds are the same number (up to float noise from text round trips).
fn same_number(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn live_of(alarm: &aws_sdk_cloudwatch::types::MetricAlarm) -> AlarmLive {
    let mut dimensions: Vec<(String, String)> = alarm
        .dimensions()
        .iter()
        .map(|dimension| {
            (
                dimension.name().unwrap_or_default().to_string(),
                dimension.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    dimensions.sort();
    let sorted = |actions: &[String]| {
        let mut actions = actions.to_vec();
        actions.sort();
        actions.dedup();
        actions
    };
    AlarmLive {
        name: alarm.alarm_name().unwrap_or_default().to_string(),
        arn: alarm.alarm_arn().unwrap_or_default().to_string(),
        state: alarm
            .state_value()
            .map(|state| state.as_str().to_string())
            .unwrap_or_else(|| "INSUFFICIENT_DATA".to_string()),
        description: alarm.alarm_description().map(str::to_string),
        namespace: alarm.namespace().map(str::to_string),
        metric_name: alarm.metric_name().map(str::to_string),
        dimensions,
        statistic: alarm.statistic().map(|s| s.as_str().to_string()),
        period_seconds: alarm.period(),
        evaluation_periods: alarm.evaluation_periods(),
        threshold: alarm.threshold(),
        comparison: alarm.comparison_operator().map(|c| c.as_str().to_string()),
        treat_missing_data: alarm.treat_missing_data().map(str::to_string),
        alarm_actions: sorted(alarm.alarm_actions()),
        ok_actions: sorted(alarm.ok_actions()),
        tags: Tags::new(),
    }
}

/// The alarm name in an alarm ARN (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`); anything
/// else is taken as a name.
fn name_of(id: &str) -> &str {
    id.split_once(":alarm:").map_or(id, |(_, name)| name)
}

/// The alarm named `name`, by a describe of its own.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<AlarmLive>, AwsError> {
    let output = ctx
        .aws
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .alarm_types(AlarmType::MetricAlarm)
        .send()
        .await
        .op("DescribeAlarms")?;
    match output
        .metric_alarms()
        .iter()
        .find(|alarm| alarm.alarm_name() == Some(name))
    {
        Some(alarm) => with_tags(ctx, live_of(alarm)).await,
        None => Ok(None),
    }
}

/// The alarm with its tags; `None` when it was deleted since it was described.
async fn with_tags(ctx: &Ctx<'_>, mut live: AlarmLive) -> Result<Option<AlarmLive>, AwsError> {
    if let Some(tags) = ctx.inventory.tags_of(ctx, &live.arn).await? {
        live.tags = tags;
        return Ok(Some(live));
    }
    // ResourceNotFound: deleted since the describe.
    let Some(listed) = ctx
        .aws
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(&live.arn)
        .send()
        .await
        .op("ListTagsForResource")
        .found()?
    else {
        return Ok(None);
    };
    live.tags = tags::from_cloudwatch(listed.tags());
    Ok(Some(live))
}

// --- Batched reads while planning --------------------------------------------------------

/// The environment's alarms, described together: one listing per run.
struct Alarms;

/// Names a `DescribeAlarms` takes at most.
const MAX_NAMES: usize = 100;

impl Listing for Alarms {
    type Item = MetricAlarm;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<MetricAlarm>, AwsError> {
        let names: Vec<String> = desired_names(ctx).into_iter().map(str::to_string).collect();
        let mut all = Vec::new();
        for chunk in names.chunks(MAX_NAMES) {
            let mut pages = ctx
                .aws
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .alarm_types(AlarmType::MetricAlarm)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                all.extend(page.op("DescribeAlarms")?.metric_alarms.unwrap_or_default());
            }
        }
        // Kept to the names asked for, whatever the filter did.
        all.retain(|alarm| {
            alarm
                .alarm_name()
                .is_some_and(|name| names.iter().any(|wanted| wanted == name))
        });
        Ok(all)
    }
}

/// The names of every alarm the environment declares.
fn desired_names<'a>(ctx: &'a Ctx<'_>) -> BTreeSet<&'a str> {
    ctx.desired_of(|spec| match spec {
        Spec::Alarm(alarm) => Some(alarm),
        _ => None,
    })
    .into_iter()
    .map(|alarm| alarm.name.as_str())
    .collect()
}

/// What the listing says of the alarm `name`: `Some(found)` when it decides (found or, for a
/// declared name, which the listing asked for, absent), `None` when only a direct read can
/// tell.
fn pick(listed: &[MetricAlarm], name: &str, declared: bool) -> Option<Option<AlarmLive>> {
    match listed.iter().find(|alarm| alarm.alarm_name() == Some(name)) {
        Some(alarm) => Some(Some(live_of(alarm))),
        None if declared => Some(None),
        None => None,
    }
}

/// Creates the alarm or replaces its configuration; `create_tags` are for a create (AWS
/// ignores them on an existing alarm).
async fn put(
    ctx: &Ctx<'_>,
    spec: &AlarmSpec,
    resolver: &Resolver,
    create_tags: Option<&Tags>,
) -> Result<(), AwsError> {
    let dimensions: Vec<Dimension> = desired_dimensions(spec, resolver)
        .into_iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    ctx.aws
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&spec.name)
        .alarm_description(&spec.description)
        .actions_enabled(true)
        .namespace(&spec.namespace)
        .metric_name(&spec.metric_name)
        .set_dimensions(Some(dimensions))
        .statistic(Statistic::from(spec.statistic.as_str()))
        .period(spec.period_seconds)
        .evaluation_periods(spec.evaluation_periods)
        .threshold(spec.threshold)
        .comparison_operator(ComparisonOperator::from(spec.comparison.as_str()))
        .treat_missing_data(&spec.treat_missing_data)
        .set_alarm_actions(Some(resolved(&spec.alarm_actions, resolver)))
        .set_ok_actions(Some(resolved(&spec.ok_actions, resolver)))
        .set_tags(create_tags.map(tags::to_cloudwatch))
        .send()
        .await
        .op("PutMetricAlarm")?;
    Ok(())
}

impl Kind for Alarm {
    const KIND: &'static str = "cloudwatch:alarm";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // PutMetricAlarm on an existing name replaces that alarm's configuration: a repeat can
    // never make a second alarm.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name"];
    type Spec = AlarmSpec;
    type Live = AlarmLive;

    fn refs(spec: &AlarmSpec) -> Vec<Ref> {
        let mut refs: Vec<Ref> = spec
            .dimensions
            .iter()
            .filter_map(|(_, value)| match value {
                DimensionValue::Ref(reference) => Some(reference.clone()),
                DimensionValue::Literal(_) => None,
            })
            .collect();
        refs.extend(spec.alarm_actions.iter().cloned());
        refs.extend(spec.ok_actions.iter().cloned());
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &AlarmSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<AlarmLive>, AwsError> {
        let name = match lookup {
            // The ARN recorded in state, or the name the create returns.
            Lookup::Id(id) => name_of(id),
            Lookup::Identity => &spec.name,
        };
        if ctx.cached {
            let listed = ctx.inventory.listed::<Alarms>(ctx).await?;
            let declared = desired_names(ctx).contains(name);
            match pick(&listed, name, declared) {
                Some(Some(live)) => return with_tags(ctx, live).await,
                Some(None) => return Ok(None),
                None => {}
            }
        }
        describe(ctx, name).await
    }

    fn diff(spec: &AlarmSpec, live: &AlarmLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        // PutMetricAlarm with another name would make a second alarm, not rename this one.
        if live.name != spec.name {
            changes.push(FieldChange::replace("name", &live.name, &spec.name));
        }
        let mut text = |field: &str, old: Option<&str>, new: &str| {
            if let Some(old) = old {
                if old != new {
                    changes.push(FieldChange::update(field, old, new));
                }
            }
        };
        text(
            "description",
            live.description.as_deref(),
            &spec.description,
        );
        text("namespace", live.namespace.as_deref(), &spec.namespace);
        text(
            "metric_name",
            live.metric_name.as_deref(),
            &spec.metric_name,
        );
        text("statistic", live.statistic.as_deref(), &spec.statistic);
        text("comparison", live.comparison.as_deref(), &spec.comparison);
        text(
            "treat_missing_data",
            live.treat_missing_data.as_deref(),
            &spec.treat_missing_data,
        );
        let mut number = |field: &str, old: Option<i32>, new: i32| {
            if let Some(old) = old.filter(|old| *old != new) {
                changes.push(FieldChange::update(field, old, new));
            }
        };
        number("period_seconds", live.period_seconds, spec.period_seconds);
        number(
            "evaluation_periods",
            live.evaluation_periods,
            spec.evaluation_periods,
        );
        if let Some(threshold) = live.threshold {
            if !same_number(threshold, spec.threshold) {
                changes.push(FieldChange::update("threshold", threshold, spec.threshold));
            }
        }
        let dimensions = desired_dimensions(spec, resolver);
        if live.dimensions != dimensions {
            changes.push(FieldChange::update(
                "dimensions",
                dimensions_text(&live.dimensions),
                dimensions_text(&dimensions),
            ));
        }
        for (field, live_actions, wanted) in [
            ("alarm_actions", &live.alarm_actions, &spec.alarm_actions),
            ("ok_actions", &live.ok_actions, &spec.ok_actions),
        ] {
            let wanted = resolved(wanted, resolver);
            if live_actions != &wanted {
                changes.push(FieldChange::update(
                    field,
                    live_actions.join(","),
                    wanted.join(","),
                ));
            }
        }
        changes
    }

    /// Puts the alarm with its tags. PutMetricAlarm answers nothing, so the name is what the
    /// engine reads back with (until DescribeAlarms shows it).
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &AlarmSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        put(ctx, spec, resolver, Some(&who.tags)).await?;
        Ok(spec.name.clone())
    }

    /// Puts the whole configuration again: one call, whatever changed, safe to repeat.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &AlarmSpec,
        _live: &AlarmLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        put(ctx, spec, resolver, None).await?;
        Ok(None)
    }

    fn tags(live: &AlarmLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &AlarmLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_cloudwatch(&ctx.aws.cloudwatch, &live.arn, changes).await
    }

    /// By name. DeleteAlarms of a name that no longer exists succeeds (or answers
    /// ResourceNotFound): either way it is gone.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &AlarmLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        ctx.aws
            .cloudwatch
            .delete_alarms()
            .alarm_names(&live.name)
            .send()
            .await
            .op("DeleteAlarms")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &AlarmLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &AlarmLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &AlarmLive) -> String {
        live.state.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:macro-ai-test-alerts";

    fn spec() -> AlarmSpec {
        AlarmSpec {
            name: "macro-ai-test-api-cpu-high".into(),
            description: "API CPU above 80%".into(),
            namespace: "AWS/ECS".into(),
            metric_name: "CPUUtilization".into(),
            dimensions: vec![
                (
                    "ServiceName".into(),
                    DimensionValue::Literal("macro-ai-test-api".into()),
                ),
                (
                    "ClusterName".into(),
                    DimensionValue::Ref(Ref::new("ecs-cluster", "name")),
                ),
            ],
            statistic: "Average".into(),
            period_seconds: 60,
            evaluation_periods: 3,
            threshold: 80.0,
            comparison: "GreaterThanThreshold".into(),
            treat_missing_data: "notBreaching".into(),
            alarm_actions: vec![Ref::new("sns-alerts", "arn")],
            ok_actions: vec![Ref::new("sns-alerts", "arn")],
        }
    }

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        resolver.set(
            &"ecs-cluster".into(),
            Outputs::from([("name".to_string(), "macro-ai-test".to_string())]),
        );
        resolver.set(
            &"sns-alerts".into(),
            Outputs::from([("arn".to_string(), TOPIC.to_string())]),
        );
        resolver
    }

    fn live() -> AlarmLive {
        AlarmLive {
            name: "macro-ai-test-api-cpu-high".into(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:macro-ai-test-api-cpu-high"
                .into(),
            state: "OK".into(),
            description: Some("API CPU above 80%".into()),
            namespace: Some("AWS/ECS".into()),
            metric_name: Some("CPUUtilization".into()),
            // Reported in another order than declared.
            dimensions: vec![
                ("ClusterName".into(), "macro-ai-test".into()),
                ("ServiceName".into(), "macro-ai-test-api".into()),
            ],
            statistic: Some("Average".into()),
            period_seconds: Some(60),
            evaluation_periods: Some(3),
            threshold: Some(80.000_000_000_01),
            comparison: Some("GreaterThanThreshold".into()),
            treat_missing_data: Some("notBreaching".into()),
            alarm_actions: vec![TOPIC.into()],
            ok_actions: vec![TOPIC.into()],
            tags: Tags::new(),
        }
    }

    #[test]
    fn converged_alarm_has_no_diff() {
        assert!(Alarm::diff(&spec(), &live(), &resolver()).is_empty());
        let unreported = AlarmLive {
            description: None,
            treat_missing_data: None,
            threshold: None,
            statistic: None,
            ..live()
        };
        assert!(Alarm::diff(&spec(), &unreported, &resolver()).is_empty());
        assert_eq!(Alarm::refs(&spec()).len(), 3);
    }

    #[test]
    fn diff_names_each_field() {
        let mut spec = spec();
        spec.threshold = 90.0;
        spec.evaluation_periods = 5;
        spec.dimensions.pop();
        let fields: Vec<String> = Alarm::diff(&spec, &live(), &resolver())
            .into_iter()
            .map(|change| change.field)
            .collect();
        assert_eq!(
            fields,
            vec!["evaluation_periods", "threshold", "dimensions"]
        );
        // Actions not resolved yet: known after apply, so different.
        let changes = Alarm::diff(&super::tests::spec(), &live(), &Resolver::default());
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["dimensions", "alarm_actions", "ok_actions"]);
        // Another name would be another alarm.
        let mut renamed = super::tests::spec();
        renamed.name = "macro-ai-test-api-cpu-higher".into();
        let changes = Alarm::diff(&renamed, &live(), &resolver());
        assert_eq!(changes.len(), 1);
        assert!(changes[0].replace && changes[0].field == "name");
    }

    #[test]
    fn outputs_are_the_declared_ones_and_ids_name_the_alarm() {
        let live = live();
        let keys: Vec<String> = Alarm::outputs(&live).into_keys().collect();
        assert_eq!(keys, Alarm::OUTPUTS);
        assert_eq!(name_of(&live.arn), live.name);
        assert_eq!(name_of(&live.name), live.name);
        // Ready whatever the metric says.
        let alarming = AlarmLive {
            state: "ALARM".into(),
            ..live
        };
        assert_eq!(
            Alarm::readiness(&alarming),
            crate::resources::Readiness::Ready
        );
    }

    #[test]
    fn the_listing_decides_for_declared_names() {
        let arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:macro-ai-test-api-cpu-high";
        let listed = vec![MetricAlarm::builder()
            .alarm_name("macro-ai-test-api-cpu-high")
            .alarm_arn(arn)
            .threshold(80.0)
            .build()];
        let found =
            |name, declared| pick(&listed, name, declared).map(|live| live.map(|live| live.arn));
        let name = "macro-ai-test-api-cpu-high";
        assert_eq!(found(name, true), Some(Some(arn.into())));
        // Declared, so asked for: its absence is the answer (a recorded alarm deleted by hand
        // costs no read of its own).
        assert_eq!(found("other", true), Some(None));
        // Not asked for: only a direct read can tell.
        assert_eq!(found("other", false), None);
    }
}
