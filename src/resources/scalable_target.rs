//! The Application Auto Scaling target for an ECS service's desired count: the bounds
//! (minimum, maximum) its scaling policies move the count between.
//!
//! The target belongs to its ECS service and is identified through it: its resource id,
//! `service/<cluster name>/<service name>` (built from the cluster's and the service's `name`
//! outputs), in namespace `ecs` with dimension `ecs:service:DesiredCount` (a service has at
//! most one such target). `RegisterScalableTarget` both creates and updates it, so a repeat
//! is harmless; `DescribeScalableTargets` reads it. Compared: minimum and maximum capacity,
//! and whether scaling is suspended (it should never be; not reported means unknown).
//!
//! Tags are passed at registration (AWS keeps them), but the kind reports none
//! (`tags` is `None`): the emulator ignores them and implements neither ListTagsForResource
//! nor TagResource for Application Auto Scaling, and a target found through its service
//! must not be refused for lacking macroctl's tags. Its service's tags are the ones checked.
//!
//! While planning, the targets are read together ([`Targets`]): one `DescribeScalableTargets`
//! (at most 50 resource ids a call) asks for the resource id of every desired cluster and
//! service pair of the environment, and each target is answered from it: by a recorded
//! resource id when listed (else described directly), by identity from the listing alone
//! whenever its resource id was asked for. Right after a change (`!ctx.cached`) a target is
//! described directly.

use super::inventory::Listing;
use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, Spec, Tags, UNKNOWN,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace, SuspendedState};

pub const SERVICE_NAMESPACE: &str = "ecs";
pub const SCALABLE_DIMENSION: &str = "ecs:service:DesiredCount";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ScalableTargetSpec {
    /// The ECS cluster's `name` output.
    pub cluster: Ref,
    /// The ECS service's `name` output.
    pub service: Ref,
    pub min_capacity: i32,
    pub max_capacity: i32,
}

impl ScalableTargetSpec {
    /// `service/<cluster>/<service>`, or [`UNKNOWN`] until both exist.
    pub fn resource_id(&self, resolver: &Resolver) -> String {
        match (resolver.known(&self.cluster), resolver.known(&self.service)) {
            (Some(cluster), Some(service)) => ecs_resource_id(&cluster, &service),
            _ => UNKNOWN.to_string(),
        }
    }
}

/// The Application Auto Scaling resource id of an ECS service.
pub fn ecs_resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

#[derive(Debug, Clone)]
pub struct ScalableTargetLive {
    pub resource_id: String,
    /// Empty when AWS does not return one.
    pub arn: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    /// Whether any scaling activity is suspended; `None` when not reported.
    pub suspended: Option<bool>,
}

pub struct ScalableTarget;

fn live_of(target: &aws_sdk_applicationautoscaling::types::ScalableTarget) -> ScalableTargetLive {
    ScalableTargetLive {
        resource_id: target.resource_id().to_string(),
        arn: target.scalable_target_arn().unwrap_or_default().to_string(),
        min_capacity: target.min_capacity(),
        max_capacity: target.max_capacity(),
        suspended: target.suspended_state().and_then(|state| {
            let flags = [
                state.dynamic_scaling_in_suspended(),
                state.dynamic_scaling_out_suspended(),
                state.scheduled_scaling_suspended(),
            ];
            if flags.iter().all(Option::is_none) {
                None
            } else {
                Some(flags.contains(&Some(true)))
            }
        }),
    }
}

/// The targets of `resource_ids` (at most 50) that exist, in one paginated call.
async fn describe(
    ctx: &Ctx<'_>,
    resource_ids: &[String],
) -> Result<Vec<ScalableTargetLive>, AwsError> {
    let mut pages = ctx
        .aws
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .set_resource_ids(Some(resource_ids.to_vec()))
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        // Only what was asked for, whatever the API answers.
        found.extend(
            page.op("DescribeScalableTargets")?
                .scalable_targets()
                .iter()
                .filter(|target| {
                    resource_ids.iter().any(|id| id == target.resource_id())
                        && target.scalable_dimension().as_str() == SCALABLE_DIMENSION
                })
                .map(live_of),
        );
    }
    Ok(found)
}

/// The resource ids a desired target of the environment can have: every desired cluster
/// with every desired service (the specs name them through references, which only resolve
/// as resources are read), sorted.
pub(super) fn desired_resource_ids(ctx: &Ctx<'_>) -> Vec<String> {
    let (mut clusters, mut services) = (Vec::new(), Vec::new());
    for spec in ctx.desired {
        match spec {
            Spec::EcsCluster(cluster) => clusters.push(&cluster.name),
            Spec::EcsService(service) => services.push(&service.name),
            _ => {}
        }
    }
    let mut ids: Vec<String> = clusters
        .iter()
        .flat_map(|cluster| {
            services
                .iter()
                .map(move |service| ecs_resource_id(cluster, service))
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Every target of the environment's desired resource ids that exists.
struct Targets;

impl Listing for Targets {
    type Item = ScalableTargetLive;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<ScalableTargetLive>, AwsError> {
        let ids = desired_resource_ids(ctx);
        let calls = ids.chunks(50).map(|chunk| describe(ctx, chunk));
        Ok(futures::future::try_join_all(calls)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}

/// What the listing (of the resource ids `asked`) says about the target of `resource_id`:
/// `Some(found)` when it can answer, `None` when only a direct read can. A recorded id the
/// listing lacks is read directly (its service may have been renamed since); a desired one
/// the listing asked for and lacks is absent.
fn from_listing(
    listed: &[ScalableTargetLive],
    asked: &[String],
    lookup: Lookup<'_>,
    resource_id: &str,
) -> Option<Option<ScalableTargetLive>> {
    let found = listed
        .iter()
        .find(|target| target.resource_id == resource_id)
        .cloned();
    match lookup {
        Lookup::Id(_) => found.map(Some),
        Lookup::Identity => asked.iter().any(|id| id == resource_id).then_some(found),
    }
}

/// Registers (creates or updates) the target; `tags` only on creation (AWS takes tags for a
/// new target only).
async fn register(
    ctx: &Ctx<'_>,
    spec: &ScalableTargetSpec,
    resource_id: &str,
    tags: Option<&Tags>,
) -> Result<(), AwsError> {
    ctx.aws
        .autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(spec.min_capacity)
        .max_capacity(spec.max_capacity)
        .suspended_state(
            SuspendedState::builder()
                .dynamic_scaling_in_suspended(false)
                .dynamic_scaling_out_suspended(false)
                .scheduled_scaling_suspended(false)
                .build(),
        )
        .set_tags(tags.map(super::tags::to_map))
        .send()
        .await
        .op("RegisterScalableTarget")?;
    Ok(())
}

impl Kind for ScalableTarget {
    const KIND: &'static str = "application-autoscaling:scalable-target";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // RegisterScalableTarget creates or updates the one target of the resource id.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] =
        &["resource_id", "service_namespace", "scalable_dimension"];
    type Spec = ScalableTargetSpec;
    type Live = ScalableTargetLive;

    fn refs(spec: &ScalableTargetSpec) -> Vec<Ref> {
        vec![spec.cluster.clone(), spec.service.clone()]
    }

    /// By resource id: the one recorded, or the desired service's.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalableTargetSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<ScalableTargetLive>, AwsError> {
        let resource_id = match lookup {
            Lookup::Id(resource_id) => resource_id.to_string(),
            Lookup::Identity => spec.resource_id(resolver),
        };
        if resource_id == UNKNOWN {
            return Ok(None);
        }
        if ctx.cached {
            let listed = ctx.inventory.listed::<Targets>(ctx).await?;
            let asked = desired_resource_ids(ctx);
            if let Some(found) = from_listing(&listed, &asked, lookup, &resource_id) {
                return Ok(found);
            }
        }
        Ok(describe(ctx, &[resource_id]).await?.into_iter().next())
    }

    fn diff(
        spec: &ScalableTargetSpec,
        live: &ScalableTargetLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        super::compare(
            &mut changes,
            "resource_id",
            &live.resource_id,
            &spec.resource_id(resolver),
            true,
        );
        super::compare(
            &mut changes,
            "min_capacity",
            &live.min_capacity.to_string(),
            &spec.min_capacity.to_string(),
            false,
        );
        super::compare(
            &mut changes,
            "max_capacity",
            &live.max_capacity.to_string(),
            &spec.max_capacity.to_string(),
            false,
        );
        if let Some(suspended) = live.suspended {
            super::compare(
                &mut changes,
                "suspended",
                &suspended.to_string(),
                "false",
                false,
            );
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &ScalableTargetSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let resource_id = spec.resource_id(resolver);
        register(ctx, spec, &resource_id, Some(&who.tags)).await?;
        Ok(resource_id)
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalableTargetSpec,
        live: &ScalableTargetLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        register(ctx, spec, &live.resource_id, None).await?;
        Ok(None)
    }

    /// Not reported (see the module doc): neither checked nor reconciled.
    fn tags(_live: &ScalableTargetLive) -> Option<&Tags> {
        None
    }

    /// Deregisters the target: its scaling policies (gone first, as its dependents) would go
    /// with it, and the service keeps the desired count it has.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &ScalableTargetLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // ObjectNotFoundException: already deregistered.
        ctx.aws
            .autoscaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&live.resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .send()
            .await
            .op("DeregisterScalableTarget")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &ScalableTargetLive) -> String {
        live.resource_id.clone()
    }

    fn outputs(live: &ScalableTargetLive) -> Outputs {
        Outputs::from([
            ("resource_id".into(), live.resource_id.clone()),
            ("service_namespace".into(), SERVICE_NAMESPACE.into()),
            ("scalable_dimension".into(), SCALABLE_DIMENSION.into()),
        ])
    }

    fn status(live: &ScalableTargetLive) -> String {
        let suspended = if live.suspended == Some(true) {
            ", suspended"
        } else {
            ""
        };
        format!(
            "{}-{} tasks{suspended}",
            live.min_capacity, live.max_capacity
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_and_resolver() -> (ScalableTargetSpec, Resolver) {
        let resolver = Resolver::default();
        resolver.set(
            &"cluster".into(),
            Outputs::from([("name".into(), "macro-ai-staging".into())]),
        );
        resolver.set(
            &"svc".into(),
            Outputs::from([("name".into(), "api".into())]),
        );
        let spec = ScalableTargetSpec {
            cluster: Ref::new("cluster", "name"),
            service: Ref::new("svc", "name"),
            min_capacity: 1,
            max_capacity: 4,
        };
        (spec, resolver)
    }

    fn live() -> ScalableTargetLive {
        ScalableTargetLive {
            resource_id: "service/macro-ai-staging/api".into(),
            arn: String::new(),
            min_capacity: 1,
            max_capacity: 4,
            suspended: None,
        }
    }

    #[test]
    fn resource_id_needs_both_names() {
        let (spec, resolver) = spec_and_resolver();
        assert_eq!(spec.resource_id(&resolver), "service/macro-ai-staging/api");
        let spec = ScalableTargetSpec {
            service: Ref::new("not-yet", "name"),
            ..spec
        };
        assert_eq!(spec.resource_id(&resolver), UNKNOWN);
    }

    #[test]
    fn converged_target_has_no_diff_and_the_declared_outputs() {
        let (spec, resolver) = spec_and_resolver();
        assert_eq!(ScalableTarget::diff(&spec, &live(), &resolver), vec![]);
        let outputs = ScalableTarget::outputs(&live());
        assert_eq!(outputs["resource_id"], "service/macro-ai-staging/api");
        let mut declared = ScalableTarget::OUTPUTS.to_vec();
        declared.sort_unstable();
        assert_eq!(
            outputs.keys().map(String::as_str).collect::<Vec<_>>(),
            declared
        );
    }

    #[test]
    fn planning_answers_from_the_listing_of_the_ids_asked() {
        let listed = [live()];
        let asked = [
            "service/macro-ai-staging/api".to_string(),
            "service/macro-ai-staging/ui".to_string(),
        ];
        let found = |lookup, id: &str| {
            from_listing(&listed, &asked, lookup, id).map(|found| found.map(|t| t.resource_id))
        };
        let api = "service/macro-ai-staging/api";
        assert_eq!(found(Lookup::Identity, api), Some(Some(api.to_string())));
        assert_eq!(found(Lookup::Id(api), api), Some(Some(api.to_string())));
        // Asked for and not there: absent.
        assert_eq!(
            found(Lookup::Identity, "service/macro-ai-staging/ui"),
            Some(None)
        );
        // Not asked for, or recorded and not listed: read directly.
        assert_eq!(found(Lookup::Identity, "service/elsewhere/api"), None);
        assert_eq!(
            found(Lookup::Id("service/old/api"), "service/old/api"),
            None
        );
    }

    #[test]
    fn capacity_and_suspension_are_updates() {
        let (spec, resolver) = spec_and_resolver();
        let live = ScalableTargetLive {
            max_capacity: 2,
            suspended: Some(true),
            ..live()
        };
        let changes = ScalableTarget::diff(&spec, &live, &resolver);
        let fields: Vec<(&str, bool)> = changes
            .iter()
            .map(|change| (change.field.as_str(), change.replace))
            .collect();
        assert_eq!(fields, [("max_capacity", false), ("suspended", false)]);
    }
}
