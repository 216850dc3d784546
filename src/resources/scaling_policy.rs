//! A target tracking scaling policy on an ECS service's scalable target: keep average CPU
//! (or memory) utilisation near a target by adding or removing tasks, with separate scale-in
//! and scale-out cooldowns.
//!
//! Identified by its name and the scalable target's resource id. `PutScalingPolicy` both
//! creates and updates it; `DescribeScalingPolicies` finds it (filtered here too, by exact
//! name and resource id, since not every implementation filters). Compared: policy type,
//! predefined metric, target value (numerically), cooldowns and scale-in being enabled; a
//! value AWS does not report is unknown, not a difference. Scaling policies take no tags.

use super::scalable_target::{SCALABLE_DIMENSION, SERVICE_NAMESPACE};
use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

const POLICY_TYPE: &str = "TargetTrackingScaling";

#[derive(Debug, Clone)]
pub struct ScalingPolicySpec {
    pub name: String,
    /// The scalable target's `resource_id` output.
    pub target: Ref,
    /// `ECSServiceAverageCPUUtilization` or `ECSServiceAverageMemoryUtilization`.
    pub predefined_metric: String,
    /// Percent, e.g. `70.0`.
    pub target_value: f64,
    pub scale_in_cooldown_seconds: i32,
    pub scale_out_cooldown_seconds: i32,
}

#[derive(Debug, Clone)]
pub struct ScalingPolicyLive {
    pub arn: String,
    pub name: String,
    pub resource_id: String,
    pub policy_type: String,
    /// Empty when not reported.
    pub predefined_metric: String,
    pub target_value: Option<f64>,
    pub scale_in_cooldown_seconds: Option<i32>,
    pub scale_out_cooldown_seconds: Option<i32>,
    pub disable_scale_in: Option<bool>,
}

pub struct ScalingPolicy;

/// Equal up to float noise (`70` and `70.0000000001` are the same target).
fn same_number(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn live_of(policy: &aws_sdk_applicationautoscaling::types::ScalingPolicy) -> ScalingPolicyLive {
    let config = policy.target_tracking_scaling_policy_configuration();
    ScalingPolicyLive {
        arn: policy.policy_arn().to_string(),
        name: policy.policy_name().to_string(),
        resource_id: policy.resource_id().to_string(),
        policy_type: policy.policy_type().as_str().to_string(),
        predefined_metric: config
            .and_then(|config| config.predefined_metric_specification())
            .map(|metric| metric.predefined_metric_type().as_str().to_string())
            .unwrap_or_default(),
        target_value: config.map(|config| config.target_value()),
        scale_in_cooldown_seconds: config.and_then(|config| config.scale_in_cooldown()),
        scale_out_cooldown_seconds: config.and_then(|config| config.scale_out_cooldown()),
        disable_scale_in: config.and_then(|config| config.disable_scale_in()),
    }
}

fn configuration(
    spec: &ScalingPolicySpec,
) -> Result<TargetTrackingScalingPolicyConfiguration, AwsError> {
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(spec.predefined_metric.as_str()))
        .build()
        .map_err(|err| AwsError::other("PutScalingPolicy", err.to_string()))?;
    TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(spec.target_value)
        .predefined_metric_specification(metric)
        .scale_in_cooldown(spec.scale_in_cooldown_seconds)
        .scale_out_cooldown(spec.scale_out_cooldown_seconds)
        .disable_scale_in(false)
        .build()
        .map_err(|err| AwsError::other("PutScalingPolicy", err.to_string()))
}

/// Creates or replaces the policy's configuration; returns the live view.
async fn put(
    ctx: &Ctx<'_>,
    spec: &ScalingPolicySpec,
    resource_id: &str,
) -> Result<ScalingPolicyLive, AwsError> {
    let output = ctx
        .aws
        .autoscaling
        .put_scaling_policy()
        .policy_name(&spec.name)
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(configuration(spec)?)
        .send()
        .await
        .op("PutScalingPolicy")?;
    Ok(ScalingPolicyLive {
        arn: output.policy_arn().to_string(),
        name: spec.name.clone(),
        resource_id: resource_id.to_string(),
        policy_type: POLICY_TYPE.to_string(),
        predefined_metric: spec.predefined_metric.clone(),
        target_value: Some(spec.target_value),
        scale_in_cooldown_seconds: Some(spec.scale_in_cooldown_seconds),
        scale_out_cooldown_seconds: Some(spec.scale_out_cooldown_seconds),
        disable_scale_in: Some(false),
    })
}

impl Kind for ScalingPolicy {
    const KIND: &'static str = "application-autoscaling:scaling-policy";
    type Spec = ScalingPolicySpec;
    type Live = ScalingPolicyLive;

    fn refs(spec: &ScalingPolicySpec) -> Vec<Ref> {
        vec![spec.target.clone()]
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalingPolicySpec,
        _recorded: Option<&str>,
        resolver: &Resolver,
    ) -> Result<Option<ScalingPolicyLive>, AwsError> {
        let Some(resource_id) = resolver.known(&spec.target) else {
            return Ok(None);
        };
        let mut pages = ctx
            .aws
            .autoscaling
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_names(&spec.name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.op("DescribeScalingPolicies")?;
            let found = page.scaling_policies().iter().find(|policy| {
                policy.policy_name() == spec.name
                    && policy.resource_id() == resource_id
                    && policy.service_namespace().as_str() == SERVICE_NAMESPACE
                    && policy.scalable_dimension().as_str() == SCALABLE_DIMENSION
            });
            if let Some(policy) = found {
                return Ok(Some(live_of(policy)));
            }
        }
        Ok(None)
    }

    fn diff(
        spec: &ScalingPolicySpec,
        live: &ScalingPolicyLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        super::compare(
            &mut changes,
            "resource_id",
            &live.resource_id,
            &resolver.get(&spec.target),
            true,
        );
        super::compare(
            &mut changes,
            "policy_type",
            &live.policy_type,
            POLICY_TYPE,
            false,
        );
        if !live.predefined_metric.is_empty() {
            super::compare(
                &mut changes,
                "predefined_metric",
                &live.predefined_metric,
                &spec.predefined_metric,
                false,
            );
        }
        if let Some(value) = live.target_value {
            if !same_number(value, spec.target_value) {
                changes.push(FieldChange::update(
                    "target_value",
                    value,
                    spec.target_value,
                ));
            }
        }
        let cooldowns = [
            (
                "scale_in_cooldown_seconds",
                live.scale_in_cooldown_seconds,
                spec.scale_in_cooldown_seconds,
            ),
            (
                "scale_out_cooldown_seconds",
                live.scale_out_cooldown_seconds,
                spec.scale_out_cooldown_seconds,
            ),
        ];
        for (field, old, new) in cooldowns {
            if let Some(old) = old {
                super::compare(
                    &mut changes,
                    field,
                    &old.to_string(),
                    &new.to_string(),
                    false,
                );
            }
        }
        if let Some(disabled) = live.disable_scale_in {
            super::compare(
                &mut changes,
                "disable_scale_in",
                &disabled.to_string(),
                "false",
                false,
            );
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalingPolicySpec,
        resolver: &Resolver,
    ) -> Result<ScalingPolicyLive, AwsError> {
        put(ctx, spec, &resolver.get(&spec.target)).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalingPolicySpec,
        live: &ScalingPolicyLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<ScalingPolicyLive, AwsError> {
        put(ctx, spec, &live.resource_id).await
    }

    fn physical_id(live: &ScalingPolicyLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &ScalingPolicyLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &ScalingPolicyLive) -> String {
        match live.target_value {
            Some(value) => format!("{} at {value}", live.predefined_metric),
            None => live.policy_type.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalable_target::emulator;
    use super::*;

    fn spec_and_resolver() -> (ScalingPolicySpec, Resolver) {
        let resolver = Resolver::default();
        emulator::set(
            &resolver,
            "autoscaling-target-api",
            &[("resource_id", "service/c/api")],
        );
        let spec = ScalingPolicySpec {
            name: "macro-ai-staging-api-cpu".into(),
            target: Ref::new("autoscaling-target-api", "resource_id"),
            predefined_metric: "ECSServiceAverageCPUUtilization".into(),
            target_value: 70.0,
            scale_in_cooldown_seconds: 300,
            scale_out_cooldown_seconds: 60,
        };
        (spec, resolver)
    }

    fn live() -> ScalingPolicyLive {
        ScalingPolicyLive {
            arn: "arn:policy".into(),
            name: "macro-ai-staging-api-cpu".into(),
            resource_id: "service/c/api".into(),
            policy_type: POLICY_TYPE.into(),
            predefined_metric: "ECSServiceAverageCPUUtilization".into(),
            target_value: Some(70.000_000_000_1),
            scale_in_cooldown_seconds: Some(300),
            scale_out_cooldown_seconds: Some(60),
            disable_scale_in: Some(false),
        }
    }

    #[test]
    fn converged_policy_has_no_diff_floats_numerically() {
        let (spec, resolver) = spec_and_resolver();
        assert_eq!(ScalingPolicy::diff(&spec, &live(), &resolver), vec![]);
    }

    #[test]
    fn unreported_values_are_unknown() {
        let (spec, resolver) = spec_and_resolver();
        let live = ScalingPolicyLive {
            predefined_metric: String::new(),
            target_value: None,
            scale_in_cooldown_seconds: None,
            scale_out_cooldown_seconds: None,
            disable_scale_in: None,
            ..live()
        };
        assert_eq!(ScalingPolicy::diff(&spec, &live, &resolver), vec![]);
    }

    #[test]
    fn target_and_cooldown_changes_are_updates() {
        let (mut spec, resolver) = spec_and_resolver();
        spec.target_value = 60.0;
        spec.scale_out_cooldown_seconds = 30;
        let changes = ScalingPolicy::diff(&spec, &live(), &resolver);
        let fields: Vec<(&str, bool)> = changes
            .iter()
            .map(|change| (change.field.as_str(), change.replace))
            .collect();
        assert_eq!(
            fields,
            [
                ("target_value", false),
                ("scale_out_cooldown_seconds", false)
            ]
        );
    }

    #[tokio::test]
    #[ignore]
    async fn emulator_create_converge_update() {
        use super::super::scalable_target::{ScalableTarget, ScalableTargetSpec};
        let aws = emulator::clients().await;
        let inventory = emulator::inventory(&aws);
        let ctx = emulator::ctx(&aws, &inventory);
        let (cluster, service) = super::super::scalable_target::emulator_service(&aws).await;
        let resolver = Resolver::default();
        emulator::set(&resolver, "cluster", &[("name", &cluster)]);
        emulator::set(&resolver, "svc", &[("name", &service)]);
        let target_spec = ScalableTargetSpec {
            cluster: Ref::new("cluster", "name"),
            service: Ref::new("svc", "name"),
            min_capacity: 1,
            max_capacity: 3,
        };
        let target_who = emulator::who("autoscaling-target-api");
        let target = ScalableTarget::create(&ctx, &target_who, &target_spec, &resolver)
            .await
            .unwrap();
        resolver.set(&target_who.id, ScalableTarget::outputs(&target));

        let (mut spec, _) = spec_and_resolver();
        let who = emulator::who("autoscaling-policy-api-cpu");
        assert!(ScalingPolicy::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = ScalingPolicy::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(ScalingPolicy::diff(&spec, &created, &resolver), vec![]);
        // A second policy on the same target must not be mistaken for this one.
        let memory = ScalingPolicySpec {
            name: "macro-ai-staging-api-memory".into(),
            predefined_metric: "ECSServiceAverageMemoryUtilization".into(),
            ..spec.clone()
        };
        ScalingPolicy::create(&ctx, &who, &memory, &resolver)
            .await
            .unwrap();

        let before = emulator::writes(&aws);
        let found = ScalingPolicy::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.name, spec.name);
        assert_eq!(ScalingPolicy::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(emulator::writes(&aws), before);

        spec.target_value = 55.5;
        let changes = ScalingPolicy::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "target_value");
        ScalingPolicy::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let after = ScalingPolicy::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.target_value, Some(55.5));
        assert_eq!(ScalingPolicy::diff(&spec, &after, &resolver), vec![]);
    }
}
