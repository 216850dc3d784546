//! The Application Auto Scaling target for an ECS service's desired count: the bounds
//! (minimum, maximum) its scaling policies move the count between.
//!
//! The target is identified by its resource id, `service/<cluster name>/<service name>`
//! (built from the cluster's and the service's `name` outputs), in namespace `ecs` with
//! dimension `ecs:service:DesiredCount`. `RegisterScalableTarget` both creates and updates
//! it; `DescribeScalableTargets` finds it. Compared: minimum and maximum capacity, and
//! whether scaling is suspended (it should never be; not reported means unknown). Tags are
//! given at creation only, as AWS requires.

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver, UNKNOWN};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace, SuspendedState};

pub const SERVICE_NAMESPACE: &str = "ecs";
pub const SCALABLE_DIMENSION: &str = "ecs:service:DesiredCount";

#[derive(Debug, Clone)]
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

async fn describe(
    ctx: &Ctx<'_>,
    resource_id: &str,
) -> Result<Option<ScalableTargetLive>, AwsError> {
    let output = ctx
        .aws
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(resource_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .send()
        .await
        .op("DescribeScalableTargets")?;
    Ok(output
        .scalable_targets()
        .iter()
        .find(|target| {
            target.resource_id() == resource_id
                && target.scalable_dimension().as_str() == SCALABLE_DIMENSION
        })
        .map(live_of))
}

/// Registers (creates or updates) the target; `tags` only on creation.
async fn register(
    ctx: &Ctx<'_>,
    spec: &ScalableTargetSpec,
    resource_id: &str,
    tags: Option<&Identity>,
) -> Result<String, AwsError> {
    let output = ctx
        .aws
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
        .set_tags(tags.map(|who| who.tags.iter().cloned().collect()))
        .send()
        .await
        .op("RegisterScalableTarget")?;
    Ok(output.scalable_target_arn().unwrap_or_default().to_string())
}

impl Kind for ScalableTarget {
    const KIND: &'static str = "application-autoscaling:scalable-target";
    type Spec = ScalableTargetSpec;
    type Live = ScalableTargetLive;

    fn refs(spec: &ScalableTargetSpec) -> Vec<Ref> {
        vec![spec.cluster.clone(), spec.service.clone()]
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalableTargetSpec,
        _recorded: Option<&str>,
        resolver: &Resolver,
    ) -> Result<Option<ScalableTargetLive>, AwsError> {
        let resource_id = spec.resource_id(resolver);
        if resource_id == UNKNOWN {
            return Ok(None);
        }
        describe(ctx, &resource_id).await
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
    ) -> Result<ScalableTargetLive, AwsError> {
        let resource_id = spec.resource_id(resolver);
        let arn = register(ctx, spec, &resource_id, Some(who)).await?;
        Ok(ScalableTargetLive {
            resource_id,
            arn,
            min_capacity: spec.min_capacity,
            max_capacity: spec.max_capacity,
            suspended: Some(false),
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ScalableTargetSpec,
        live: &ScalableTargetLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<ScalableTargetLive, AwsError> {
        let arn = register(ctx, spec, &live.resource_id, None).await?;
        Ok(ScalableTargetLive {
            arn: if arn.is_empty() {
                live.arn.clone()
            } else {
                arn
            },
            min_capacity: spec.min_capacity,
            max_capacity: spec.max_capacity,
            suspended: live.suspended.map(|_| false),
            ..live.clone()
        })
    }

    fn physical_id(live: &ScalableTargetLive) -> String {
        live.resource_id.clone()
    }

    fn outputs(live: &ScalableTargetLive) -> Outputs {
        let mut outputs = Outputs::from([
            ("resource_id".into(), live.resource_id.clone()),
            ("service_namespace".into(), SERVICE_NAMESPACE.into()),
            ("scalable_dimension".into(), SCALABLE_DIMENSION.into()),
        ]);
        if !live.arn.is_empty() {
            outputs.insert("arn".into(), live.arn.clone());
        }
        outputs
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

/// Emulator test support shared by the ELBv2 and Application Auto Scaling modules.
#[cfg(test)]
pub(crate) mod emulator {
    use crate::aws::{AwsClients, AwsOptions};
    use crate::graph::LogicalId;
    use crate::resources::Ctx;
    use crate::resources::{Identity, Inventory, Resolver, TAG_ENV, TAG_ID, TAG_STACK};
    use std::time::Duration;

    pub const STACK: &str = "macro-ai";
    pub const ENV: &str = "emutest";

    /// Clients for the emulator at `MACROCTL_TEST_ENDPOINT` (e.g. `http://127.0.0.1:5000`).
    pub async fn clients() -> AwsClients {
        let endpoint = std::env::var("MACROCTL_TEST_ENDPOINT")
            .unwrap_or_else(|_| "http://127.0.0.1:5000".to_string());
        AwsClients::load(
            &AwsOptions {
                endpoint_url: Some(endpoint),
                ..Default::default()
            },
            "us-east-1",
        )
        .await
        .expect("clients")
    }

    pub fn ctx<'a>(aws: &'a AwsClients, inventory: &'a Inventory) -> Ctx<'a> {
        Ctx {
            aws,
            env: ENV,
            stack: STACK,
            lineage: "emulator-test",
            inventory,
            reporter: &crate::output::SilentReporter,
            wait_timeout: Duration::from_secs(60),
            apply_immediately: false,
        }
    }

    /// Mutating calls made so far.
    pub fn writes(aws: &AwsClients) -> u32 {
        aws.calls.snapshot().writes
    }

    pub fn inventory(aws: &AwsClients) -> Inventory {
        Inventory::new(aws.ec2.clone(), STACK, ENV)
    }

    pub fn who(id: &str) -> Identity {
        let name = format!("{STACK}-{ENV}-{id}");
        Identity {
            id: LogicalId::new(id),
            tags: vec![
                ("Name".into(), name.clone()),
                (TAG_STACK.into(), STACK.into()),
                (TAG_ENV.into(), ENV.into()),
                (TAG_ID.into(), id.into()),
            ],
            name,
        }
    }

    pub fn unique(prefix: &str) -> String {
        format!(
            "{prefix}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )
    }

    /// Writes raw outputs for `id` into `resolver`.
    pub fn set(resolver: &Resolver, id: &str, outputs: &[(&str, &str)]) {
        resolver.set(
            &LogicalId::new(id),
            outputs
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
        );
    }

    /// A VPC with two subnets in two AZs and one security group: (vpc, [subnets], group).
    pub async fn network(aws: &AwsClients) -> (String, Vec<String>, String) {
        let vpc = aws
            .ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .send()
            .await
            .expect("vpc")
            .vpc
            .and_then(|vpc| vpc.vpc_id)
            .expect("vpc id");
        let mut subnets = Vec::new();
        for (cidr, az) in [("10.9.1.0/24", "us-east-1a"), ("10.9.2.0/24", "us-east-1b")] {
            let subnet = aws
                .ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(cidr)
                .availability_zone(az)
                .send()
                .await
                .expect("subnet")
                .subnet
                .and_then(|subnet| subnet.subnet_id)
                .expect("subnet id");
            subnets.push(subnet);
        }
        let group = aws
            .ec2
            .create_security_group()
            .group_name(unique("alb"))
            .description("alb")
            .vpc_id(&vpc)
            .send()
            .await
            .expect("sg")
            .group_id
            .expect("group id");
        (vpc, subnets, group)
    }
}

/// An ECS cluster and service for the emulator tests: (cluster name, service name).
#[cfg(test)]
pub(crate) async fn emulator_service(aws: &crate::aws::AwsClients) -> (String, String) {
    let cluster = emulator::unique("cluster");
    aws.ecs
        .create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .expect("cluster");
    let service = emulator::unique("api");
    aws.ecs
        .create_service()
        .cluster(&cluster)
        .service_name(&service)
        .desired_count(1)
        .send()
        .await
        .expect("service");
    (cluster, service)
}

#[cfg(test)]
mod tests {
    use super::emulator;
    use super::*;

    fn spec_and_resolver() -> (ScalableTargetSpec, Resolver) {
        let resolver = Resolver::default();
        emulator::set(&resolver, "cluster", &[("name", "macro-ai-staging")]);
        emulator::set(&resolver, "svc", &[("name", "api")]);
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
    fn converged_target_has_no_diff_and_no_arn_output() {
        let (spec, resolver) = spec_and_resolver();
        assert_eq!(ScalableTarget::diff(&spec, &live(), &resolver), vec![]);
        let outputs = ScalableTarget::outputs(&live());
        assert_eq!(outputs["resource_id"], "service/macro-ai-staging/api");
        assert!(!outputs.contains_key("arn"));
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

    #[tokio::test]
    #[ignore]
    async fn emulator_create_converge_update() {
        let aws = emulator::clients().await;
        let inventory = emulator::inventory(&aws);
        let ctx = emulator::ctx(&aws, &inventory);
        let (cluster, service) = emulator_service(&aws).await;
        let resolver = Resolver::default();
        emulator::set(&resolver, "cluster", &[("name", &cluster)]);
        emulator::set(&resolver, "svc", &[("name", &service)]);
        let (mut spec, _) = spec_and_resolver();
        let who = emulator::who("autoscaling-target-api");
        assert!(ScalableTarget::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = ScalableTarget::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(created.resource_id, format!("service/{cluster}/{service}"));
        assert_eq!(ScalableTarget::diff(&spec, &created, &resolver), vec![]);

        let before = emulator::writes(&aws);
        let found = ScalableTarget::find(&ctx, &who, &spec, Some(&created.resource_id), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ScalableTarget::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(emulator::writes(&aws), before);

        spec.max_capacity = 6;
        let changes = ScalableTarget::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "max_capacity");
        ScalableTarget::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let after = ScalableTarget::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.max_capacity, 6);
        assert_eq!(ScalableTarget::diff(&spec, &after, &resolver), vec![]);
    }
}
