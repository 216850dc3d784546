//! CloudWatch metric alarms (CPU and memory of the services, load balancer 5xx and latency,
//! database CPU and storage ...), notifying the alerts SNS topic.
//!
//! `PutMetricAlarm` creates an alarm or replaces its whole configuration, so any difference is
//! fixed with one call. An alarm is found by its deterministic name (`DescribeAlarms`).
//! Compared: every configured field: description, namespace, metric, dimensions (order
//! ignored), statistic, period, evaluation periods, threshold (numerically), comparison,
//! missing-data treatment and the alarm / OK actions (order ignored). A field CloudWatch does
//! not report is unknown, not a difference. Tags are set on creation (AWS ignores them when
//! an existing alarm is updated).

use super::{wait_until, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, Statistic, Tag};

/// A dimension's value: written out, or an output of another resource (e.g. the load
/// balancer's `arn_suffix`).
#[derive(Debug, Clone)]
pub enum DimensionValue {
    Literal(String),
    Ref(Ref),
}

#[derive(Debug, Clone)]
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
    }
}

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
    Ok(output
        .metric_alarms()
        .iter()
        .find(|alarm| alarm.alarm_name() == Some(name))
        .map(live_of))
}

/// Creates or replaces the alarm's configuration; `with_tags` on creation only.
async fn put(
    ctx: &Ctx<'_>,
    who: &Identity,
    spec: &AlarmSpec,
    resolver: &Resolver,
    with_tags: bool,
) -> Result<AlarmLive, AwsError> {
    let dimensions: Vec<Dimension> = desired_dimensions(spec, resolver)
        .into_iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let mut request = ctx
        .aws
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
        .set_ok_actions(Some(resolved(&spec.ok_actions, resolver)));
    if with_tags {
        let tags: Vec<Tag> = who
            .tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect();
        request = request.set_tags(Some(tags));
    }
    request.send().await.op("PutMetricAlarm")?;
    // PutMetricAlarm returns nothing: read the ARN and state back.
    wait_until(
        ctx,
        who,
        Alarm::KIND,
        &format!("alarm {} to become visible", spec.name),
        "DescribeAlarms",
        || async {
            Ok(describe(ctx, &spec.name)
                .await?
                .ok_or_else(|| "not visible yet".to_string()))
        },
    )
    .await
}

impl Kind for Alarm {
    const KIND: &'static str = "cloudwatch:alarm";
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

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &AlarmSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<AlarmLive>, AwsError> {
        // The name is deterministic; the recorded ARN ends with it.
        describe(ctx, &spec.name).await
    }

    fn diff(spec: &AlarmSpec, live: &AlarmLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
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

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &AlarmSpec,
        resolver: &Resolver,
    ) -> Result<AlarmLive, AwsError> {
        // Repeating it after an interrupted run simply puts the same configuration again.
        put(ctx, who, spec, resolver, true).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &AlarmSpec,
        _live: &AlarmLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<AlarmLive, AwsError> {
        put(ctx, who, spec, resolver, false).await
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
    use super::super::log_group::test_emulator::{identity, unique, Emulator};
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
    }

    /// Against moto: create, converge (empty diff, no writes), change one field.
    #[tokio::test]
    #[ignore = "needs a moto server: MACROCTL_MOTO_ENDPOINT"]
    async fn emulator_create_converge_update() {
        let emulator = Emulator::connect().await;
        let ctx = emulator.ctx();
        let resolver = resolver();
        let mut spec = spec();
        spec.name = unique("macro-ai-test-api-cpu-high");
        let who = identity("alarm-api-cpu", &spec.name);
        assert!(Alarm::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = Alarm::create(&ctx, &who, &spec, &resolver).await.unwrap();
        assert!(created.arn.ends_with(&format!(":alarm:{}", spec.name)));
        let writes = emulator.writes();
        let found = Alarm::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(Alarm::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(emulator.writes(), writes);
        assert!(["OK", "ALARM", "INSUFFICIENT_DATA"].contains(&Alarm::status(&found).as_str()));
        // Every field was reported by the emulator (so the comparison is real).
        assert!(found.description.is_some() && found.treat_missing_data.is_some());
        assert!(found.threshold.is_some() && found.statistic.is_some());
        spec.threshold = 85.5;
        let changes = Alarm::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "threshold");
        Alarm::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let found = Alarm::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert!(Alarm::diff(&spec, &found, &resolver).is_empty());
        assert_eq!(found.threshold, Some(85.5));
        let tags = emulator
            .aws
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(&found.arn)
            .send()
            .await
            .unwrap();
        assert!(tags
            .tags()
            .iter()
            .any(|tag| tag.key() == Some(crate::resources::TAG_ID)
                && tag.value() == Some("alarm-api-cpu")));
    }
}
