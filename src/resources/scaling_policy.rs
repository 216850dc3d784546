//! A target tracking scaling policy on an ECS service's scalable target: keep average CPU
//! (or memory) utilisation near a target by adding or removing tasks, with separate scale-in
//! and scale-out cooldowns.
//!
//! A child of its scalable target, identified by its name and the target's resource id; it
//! carries no tags (Application Auto Scaling policies take none). `PutScalingPolicy` both
//! creates and updates it, so a repeat is harmless; it answers the policy's ARN, which is
//! returned as a new id when it changes (the emulator makes a new ARN on every put).
//! `DescribeScalingPolicies` reads it (filtered here too, by exact name and resource id,
//! since the emulator ignores the name filter). Compared: policy type, predefined metric,
//! target value (numerically), cooldowns and scale-in being enabled; a value AWS does not
//! report is unknown, not a difference.
//!
//! While planning, the policies are read together ([`Policies`]): one
//! `DescribeScalingPolicies` per scalable target of the environment that exists (from the
//! targets' own listing, so a staging environment's policies cost one call), asking for the
//! names of every desired policy, and each policy is answered from it: by ARN when listed
//! (else described directly), by name and resource id from the listing alone whenever that
//! resource id was one the targets' listing asked for (a policy cannot outlive its target).
//! Right after a change (`!ctx.cached`) a policy is described directly.

use super::inventory::Listing;
use super::scalable_target::{desired_resource_ids, SCALABLE_DIMENSION, SERVICE_NAMESPACE};
use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, Spec, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

const POLICY_TYPE: &str = "TargetTrackingScaling";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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

/// Creates or replaces the policy's configuration; returns its ARN.
async fn put(
    ctx: &Ctx<'_>,
    spec: &ScalingPolicySpec,
    resource_id: &str,
) -> Result<String, AwsError> {
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
    Ok(output.policy_arn().to_string())
}

/// The resource id and policy name in a policy ARN
/// (`arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:GUID:resource/ecs/RESOURCE_ID:policyName/NAME`).
fn parts_of_arn(arn: &str) -> Option<(&str, &str)> {
    let (_, rest) = arn.split_once(":resource/")?;
    let (resource, name) = rest.rsplit_once(":policyName/")?;
    let (_namespace, resource_id) = resource.split_once('/')?;
    Some((resource_id, name))
}

/// The policies of `names` (at most 50) that exist on one of `resource_ids`, in one paginated
/// call (for a single resource id, asked for that id only).
async fn describe(
    ctx: &Ctx<'_>,
    resource_ids: &[String],
    names: &[String],
) -> Result<Vec<ScalingPolicyLive>, AwsError> {
    let only = match resource_ids {
        [one] => Some(one.clone()),
        _ => None,
    };
    let mut pages = ctx
        .aws
        .autoscaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .set_resource_id(only)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .set_policy_names(Some(names.to_vec()))
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        // Filtered here too: the emulator ignores the names.
        found.extend(
            page.op("DescribeScalingPolicies")?
                .scaling_policies()
                .iter()
                .filter(|policy| {
                    names.iter().any(|name| name == policy.policy_name())
                        && resource_ids.iter().any(|id| id == policy.resource_id())
                        && policy.service_namespace().as_str() == SERVICE_NAMESPACE
                        && policy.scalable_dimension().as_str() == SCALABLE_DIMENSION
                })
                .map(live_of),
        );
    }
    Ok(found)
}

/// The names of the environment's desired policies, sorted.
fn desired_names(ctx: &Ctx<'_>) -> Vec<String> {
    let mut names: Vec<String> = ctx
        .desired_of(|spec| match spec {
            Spec::ScalingPolicy(policy) => Some(policy),
            _ => None,
        })
        .into_iter()
        .map(|policy| policy.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every desired policy of the environment that exists on a desired target's resource (a
/// resource without a target has no policies): one call for all of them, not one per target,
/// and without waiting for the targets' listing.
struct Policies;

impl Listing for Policies {
    type Item = ScalingPolicyLive;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<ScalingPolicyLive>, AwsError> {
        let names = desired_names(ctx);
        let resource_ids = desired_resource_ids(ctx);
        let calls = names
            .chunks(50)
            .map(|chunk| describe(ctx, &resource_ids, chunk));
        Ok(futures::future::try_join_all(calls)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}

/// What the listing (on the target resource ids `asked`) says about the policy `lookup`
/// names (by identity: `name` on `resource_id`): `Some(found)` when it can answer, `None`
/// when only a direct read can (an ARN not listed, a resource id not asked for).
fn from_listing(
    listed: &[ScalingPolicyLive],
    asked: &[String],
    lookup: Lookup<'_>,
    resource_id: &str,
    name: &str,
) -> Option<Option<ScalingPolicyLive>> {
    let asked_for = |resource_id: &str| asked.iter().any(|id| id == resource_id);
    match lookup {
        // An ARN the listing of its target lacks is gone (or was replaced: found again by
        // identity next), as the listing asked for every desired policy of that target.
        Lookup::Id(arn) => match listed.iter().find(|policy| policy.arn == arn) {
            Some(policy) => Some(Some(policy.clone())),
            None => asked_for(resource_id).then_some(None),
        },
        Lookup::Identity => asked_for(resource_id).then(|| {
            listed
                .iter()
                .find(|policy| policy.name == name && policy.resource_id == resource_id)
                .cloned()
        }),
    }
}

impl Kind for ScalingPolicy {
    const KIND: &'static str = "application-autoscaling:scaling-policy";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // PutScalingPolicy creates or replaces the one policy of that name on the target.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name"];
    type Spec = ScalingPolicySpec;
    type Live = ScalingPolicyLive;

    fn refs(spec: &ScalingPolicySpec) -> Vec<Ref> {
        vec![spec.target.clone()]
    }

    /// By ARN (its resource id and name are part of it), or by name on the desired target.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalingPolicySpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<ScalingPolicyLive>, AwsError> {
        let (resource_id, name) = match lookup {
            Lookup::Id(arn) => match parts_of_arn(arn) {
                Some((resource_id, name)) => (resource_id.to_string(), name),
                None => return Ok(None),
            },
            Lookup::Identity => match resolver.known(&spec.target) {
                Some(resource_id) => (resource_id, spec.name.as_str()),
                None => return Ok(None),
            },
        };
        // The listing asked for every desired name (a spec outside `ctx.desired` is read
        // directly).
        if ctx.cached && desired_names(ctx).contains(&spec.name) {
            let listed = ctx.inventory.listed::<Policies>(ctx).await?;
            let asked = desired_resource_ids(ctx);
            if let Some(found) = from_listing(&listed, &asked, lookup, &resource_id, name) {
                return Ok(found);
            }
        }
        let found = describe(ctx, std::slice::from_ref(&resource_id), &[name.to_string()]).await?;
        Ok(found.into_iter().find(|policy| match lookup {
            Lookup::Id(arn) => policy.arn == arn,
            Lookup::Identity => true,
        }))
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
        _token: &str,
    ) -> Result<String, AwsError> {
        put(ctx, spec, &resolver.get(&spec.target)).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalingPolicySpec,
        live: &ScalingPolicyLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let arn = put(ctx, spec, &live.resource_id).await?;
        Ok((!arn.is_empty() && arn != live.arn).then_some(arn))
    }

    fn tags(_live: &ScalingPolicyLive) -> Option<&Tags> {
        None
    }

    /// By name and its target's resource id (the policy's identity; the ARN is not what
    /// DeleteScalingPolicy takes).
    async fn delete(
        ctx: &Ctx<'_>,
        live: &ScalingPolicyLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // ObjectNotFoundException: already gone (with its target, too).
        ctx.aws
            .autoscaling
            .delete_scaling_policy()
            .policy_name(&live.name)
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&live.resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .send()
            .await
            .op("DeleteScalingPolicy")
            .found()?;
        Ok(Deleted::Requested)
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
    use super::*;

    fn spec_and_resolver() -> (ScalingPolicySpec, Resolver) {
        let resolver = Resolver::default();
        resolver.set(
            &"autoscaling-target-api".into(),
            Outputs::from([("resource_id".into(), "service/c/api".into())]),
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

    #[test]
    fn resource_id_and_name_are_read_from_the_arn() {
        let arn = "arn:aws:autoscaling:us-east-1:1:scalingPolicy:3bf0537f-9933:resource/ecs/service/c/api:policyName/macro-ai-staging-api-cpu";
        assert_eq!(
            parts_of_arn(arn),
            Some(("service/c/api", "macro-ai-staging-api-cpu"))
        );
        assert_eq!(parts_of_arn("arn:policy"), None);
    }

    #[test]
    fn planning_answers_from_the_listing_on_the_targets_asked() {
        let listed = [live()];
        let asked = ["service/c/api".to_string(), "service/c/ui".to_string()];
        let name = "macro-ai-staging-api-cpu";
        let found = |lookup, resource_id: &str, name: &str| {
            from_listing(&listed, &asked, lookup, resource_id, name)
                .map(|found| found.map(|policy| policy.arn))
        };
        let arn = Some(Some("arn:policy".to_string()));
        assert_eq!(found(Lookup::Identity, "service/c/api", name), arn);
        assert_eq!(found(Lookup::Id("arn:policy"), "service/c/api", name), arn);
        // On a target asked for: absent unless listed under that name and resource id.
        assert_eq!(found(Lookup::Identity, "service/c/ui", name), Some(None));
        let memory = "macro-ai-staging-api-memory";
        assert_eq!(found(Lookup::Identity, "service/c/api", memory), Some(None));
        // An ARN not listed on a target asked for: gone (or replaced, found by identity).
        assert_eq!(
            found(Lookup::Id("arn:new"), "service/c/api", name),
            Some(None)
        );
        // A resource id not asked for: read directly.
        assert_eq!(found(Lookup::Identity, "service/x/api", name), None);
        assert_eq!(found(Lookup::Id("arn:new"), "service/x/api", name), None);
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<ScalingPolicy>(
            &live()
        ));
    }
}
