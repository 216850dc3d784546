//! ECS Fargate services (`api`, `ui`) behind their target groups.
//!
//! The circuit breaker's automatic rollback, 200% maximum / 100% minimum healthy, ECS
//! deployment alarms (the ALB 5XX alarm) where configured, ECS Exec on, and a health-check
//! grace period. A service is found by its name in its cluster. `CreateService` carries the
//! intent's client token (a repeat returns the same service) and the tags; what it does not
//! keep (the emulator drops the deployment configuration, ECS Exec and the grace period)
//! shows in the engine's read-back diff and is reconciled by `update` (`UpdateService`), which
//! is right against AWS too. When auto scaling owns the desired count, the count is only set
//! at creation and never "corrected" by `up`. `up` does not wait for rollouts (`deploy`
//! does): a service is ready as soon as it exists.
//!
//! The deployment strategy ([`Strategy`]) is ECS's own `deploymentConfiguration.strategy`:
//! `ROLLING`, or `BLUE_GREEN` with a bake time and, on the load balancer, an
//! `advancedConfiguration` naming the alternate target group, the production listener rule
//! and the infrastructure role ECS uses to shift traffic. Blue/green swaps which of the two
//! target groups is production after every deployment, so the load balancer is compared as
//! the *pair* of target groups (in either order), and when the configuration must be sent
//! again it is sent in the orientation ECS currently has: `up` never moves traffic itself.
//! Values the service does not report (a strategy, a bake time, a rule or role ARN missing
//! from the description) are unknown, never differences.
//!
//! Its tasks run where its capacity provider strategy says (`FARGATE`, `FARGATE_SPOT` or
//! both, see `ecs_capacity`); a changed strategy is sent with `forceNewDeployment`, which ECS
//! requires, and so is the move of a service made with `launchType FARGATE` to a strategy.
//!
//! While planning, the services are read together ([`Services`]): per desired cluster, one
//! `DescribeServices` (`include=TAGS`, at most 10 names a call) asks for the names of every
//! desired service, and each service is answered from it: by ARN when listed (else described
//! directly), by name from the listing alone when it covered the service's cluster. Tags come
//! with that description at no extra call. Right after a change (`!ctx.cached`) a service is
//! described directly, in the cluster its ARN names (the emulator answers an ARN of another
//! cluster with the same-named service of the cluster asked, so ARNs are compared exactly).

use super::ecs_capacity::{self, CapacityShare};
use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity,
    IdentityKind, Kind, Lookup, Outputs, Readiness, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, ErrorClass, Found, IntoAwsError};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentAlarms, DeploymentCircuitBreaker,
    DeploymentConfiguration, DeploymentStrategy, LaunchType, NetworkConfiguration, PropagateTags,
    ServiceField,
};

/// How ECS rolls out a new revision of the service.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Strategy {
    /// ECS replaces the tasks in place, within the maximum / minimum healthy percent.
    Rolling,
    /// ECS native blue/green: the new revision starts in the target group not serving
    /// production, the production listener rule's weights move all traffic to it, and the
    /// old revision is kept for `bake_time_minutes` (instant rollback) before it is removed.
    BlueGreen {
        bake_time_minutes: i32,
        /// The alternate target group's `arn`.
        alternate_target_group: Ref,
        /// The production listener rule's `arn` (it forwards to both target groups).
        production_listener_rule: Ref,
        /// The `arn` of the role ECS assumes to change the listener rule and target groups.
        role: Ref,
    },
}

impl Strategy {
    /// ECS's name for it.
    fn ecs_name(&self) -> &'static str {
        match self {
            Strategy::Rolling => "ROLLING",
            Strategy::BlueGreen { .. } => "BLUE_GREEN",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EcsServiceSpec {
    pub name: String,
    /// The cluster's `arn` output.
    pub cluster: Ref,
    /// The task definition's `arn` output.
    pub task_definition: Ref,
    pub desired_count: i32,
    /// Auto scaling owns the desired count after creation.
    pub desired_count_managed: bool,
    pub subnets: Vec<Ref>,
    pub security_groups: Vec<Ref>,
    pub assign_public_ip: bool,
    pub target_group: Ref,
    pub container_name: String,
    pub container_port: i32,
    pub health_check_grace_period_seconds: i32,
    pub enable_execute_command: bool,
    pub circuit_breaker_rollback: bool,
    pub maximum_percent: i32,
    pub minimum_healthy_percent: i32,
    /// Alarms (their `name` outputs) that make ECS roll a deployment back.
    pub deployment_alarms: Vec<Ref>,
    pub strategy: Strategy,
    /// The capacity provider strategy; empty: `launchType FARGATE` (what a spec applied
    /// before capacity providers were used means).
    #[serde(default)]
    pub capacity: Vec<CapacityShare>,
}

/// One load balancer of a service, as ECS reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveLoadBalancer {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: i32,
    /// The blue/green settings; `None` when the load balancer has none.
    pub advanced: Option<LiveAdvanced>,
}

/// A load balancer's `advancedConfiguration`; `None` where a value is not reported.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveAdvanced {
    pub alternate_target_group_arn: Option<String>,
    pub production_listener_rule: Option<String>,
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EcsServiceLive {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    pub status: String,
    pub task_definition: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub load_balancers: Vec<LiveLoadBalancer>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub enable_execute_command: bool,
    pub circuit_breaker: Option<(bool, bool)>,
    pub maximum_percent: Option<i32>,
    pub minimum_healthy_percent: Option<i32>,
    /// (alarm names, rollback) when deployment alarms are on.
    pub deployment_alarms: Option<(Vec<String>, bool)>,
    /// `ROLLING`, `BLUE_GREEN`, ...; `None` when not reported.
    pub strategy: Option<String>,
    /// `None` when not reported.
    pub bake_time_minutes: Option<i32>,
    /// The rollout state of the primary deployment.
    pub rollout_state: Option<String>,
    /// The capacity provider strategy, sorted by provider; empty when it runs by launch type.
    pub capacity: Vec<CapacityShare>,
    /// `FARGATE`, `EC2`, ...; `None` when it uses a capacity provider strategy.
    pub launch_type: Option<String>,
    pub tags: Tags,
}

pub struct EcsService;

fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

fn live_of(service: &aws_sdk_ecs::types::Service) -> EcsServiceLive {
    let vpc = service
        .network_configuration()
        .and_then(|network| network.awsvpc_configuration());
    let deployment = service.deployment_configuration();
    EcsServiceLive {
        arn: service.service_arn().unwrap_or_default().to_string(),
        name: service.service_name().unwrap_or_default().to_string(),
        cluster_arn: service.cluster_arn().unwrap_or_default().to_string(),
        status: service.status().unwrap_or_default().to_string(),
        task_definition: service.task_definition().unwrap_or_default().to_string(),
        desired_count: service.desired_count(),
        running_count: service.running_count(),
        pending_count: service.pending_count(),
        subnets: sorted(vpc.map(|vpc| vpc.subnets().to_vec()).unwrap_or_default()),
        security_groups: sorted(
            vpc.map(|vpc| vpc.security_groups().to_vec())
                .unwrap_or_default(),
        ),
        assign_public_ip: vpc.and_then(|vpc| vpc.assign_public_ip())
            == Some(&AssignPublicIp::Enabled),
        load_balancers: service
            .load_balancers()
            .iter()
            .map(|lb| LiveLoadBalancer {
                target_group_arn: lb.target_group_arn().unwrap_or_default().to_string(),
                container_name: lb.container_name().unwrap_or_default().to_string(),
                container_port: lb.container_port().unwrap_or_default(),
                advanced: lb.advanced_configuration().map(|advanced| LiveAdvanced {
                    alternate_target_group_arn: advanced
                        .alternate_target_group_arn()
                        .map(str::to_string),
                    production_listener_rule: advanced
                        .production_listener_rule()
                        .map(str::to_string),
                    role_arn: advanced.role_arn().map(str::to_string),
                }),
            })
            .collect(),
        health_check_grace_period_seconds: service.health_check_grace_period_seconds(),
        enable_execute_command: service.enable_execute_command(),
        circuit_breaker: deployment
            .and_then(|deployment| deployment.deployment_circuit_breaker())
            .map(|breaker| (breaker.enable(), breaker.rollback())),
        maximum_percent: deployment.and_then(|deployment| deployment.maximum_percent()),
        minimum_healthy_percent: deployment
            .and_then(|deployment| deployment.minimum_healthy_percent()),
        deployment_alarms: deployment
            .and_then(|deployment| deployment.alarms())
            .filter(|alarms| alarms.enable())
            .map(|alarms| (sorted(alarms.alarm_names().to_vec()), alarms.rollback())),
        strategy: deployment
            .and_then(|deployment| deployment.strategy())
            .map(|strategy| strategy.as_str().to_string()),
        bake_time_minutes: deployment.and_then(|deployment| deployment.bake_time_in_minutes()),
        rollout_state: service
            .deployments()
            .iter()
            .find(|deployment| deployment.status() == Some("PRIMARY"))
            .and_then(|deployment| deployment.rollout_state())
            .map(|state| state.as_str().to_string()),
        capacity: ecs_capacity::from_ecs(service.capacity_provider_strategy()),
        launch_type: service.launch_type().map(|t| t.as_str().to_string()),
        tags: tags::from_ecs(service.tags()),
    }
}

/// The cluster in a service ARN (`arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`); `None`
/// for the old format without it (`service/NAME`).
fn cluster_of_arn(arn: &str) -> Option<&str> {
    let (_, path) = arn.split_once(":service/")?;
    path.rsplit_once('/').map(|(cluster, _)| cluster)
}

/// The cluster name in a cluster ARN (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`); a name is
/// itself.
fn cluster_name(cluster: &str) -> &str {
    cluster
        .rsplit_once(":cluster/")
        .map_or(cluster, |(_, name)| name)
}

/// The services of `services` (names or ARNs, at most 10) in `cluster` that exist: ACTIVE or
/// DRAINING (being deleted: reported, and never ready). An INACTIVE service is gone, and so
/// is every service of a cluster that is not there.
async fn describe(
    ctx: &Ctx<'_>,
    cluster: &str,
    services: &[String],
) -> Result<Vec<EcsServiceLive>, AwsError> {
    let output = ctx
        .aws
        .ecs
        .describe_services()
        .cluster(cluster)
        .set_services(Some(services.to_vec()))
        .include(ServiceField::Tags)
        .send()
        .await
        .op("DescribeServices")
        .found()?;
    Ok(output
        .map(|output| {
            output
                .services()
                .iter()
                .filter(|found| matches!(found.status(), Some("ACTIVE" | "DRAINING")))
                .map(live_of)
                .collect()
        })
        .unwrap_or_default())
}

/// How far a service's deletion has got: DRAINING while its tasks stop, then INACTIVE (which
/// `read` already leaves out).
fn deletion_of(status: &str) -> Deletion {
    match status {
        "DRAINING" => Deletion::Deleting(status.to_lowercase()),
        "INACTIVE" => Deletion::Gone,
        _ => Deletion::Present,
    }
}

/// The error, classified `NotFound` when ECS says the service is INACTIVE
/// (`ServiceNotActiveException`): deleted already.
fn inactive_is_not_found(err: AwsError) -> AwsError {
    if err.code() == Some("ServiceNotActiveException") {
        err.with_class(ErrorClass::NotFound)
    } else {
        err
    }
}

/// The batched reads while planning.
#[path = "ecs_service_listing.rs"]
mod listing;
use listing::{desired_names, from_listing, Services};

/// Comparing and sending the load balancer.
#[path = "ecs_service_load_balancer.rs"]
mod load_balancers;
use load_balancers::{desired_load_balancers, live_load_balancers, load_balancer};

/// Fields whose change means sending the load balancer again.
const LOAD_BALANCER_FIELDS: [&str; 4] = [
    "load_balancers",
    "production_listener_rule",
    "infrastructure_role",
    "deployment_strategy",
];

fn deployment_configuration(spec: &EcsServiceSpec, resolver: &Resolver) -> DeploymentConfiguration {
    let mut builder = DeploymentConfiguration::builder()
        .maximum_percent(spec.maximum_percent)
        .minimum_healthy_percent(spec.minimum_healthy_percent)
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(spec.circuit_breaker_rollback)
                .build(),
        );
    let alarms = DeploymentAlarms::builder()
        .set_alarm_names(Some(
            spec.deployment_alarms
                .iter()
                .map(|a| resolver.get(a))
                .collect(),
        ))
        .enable(!spec.deployment_alarms.is_empty())
        .rollback(!spec.deployment_alarms.is_empty())
        .build();
    if let Ok(alarms) = alarms {
        builder = builder.alarms(alarms);
    }
    builder = match &spec.strategy {
        Strategy::Rolling => builder.strategy(DeploymentStrategy::Rolling),
        Strategy::BlueGreen {
            bake_time_minutes, ..
        } => builder
            .strategy(DeploymentStrategy::BlueGreen)
            .bake_time_in_minutes(*bake_time_minutes),
    };
    builder.build()
}

fn network_configuration(
    spec: &EcsServiceSpec,
    resolver: &Resolver,
) -> Option<NetworkConfiguration> {
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(spec.subnets.iter().map(|s| resolver.get(s)).collect()))
        .set_security_groups(Some(
            spec.security_groups
                .iter()
                .map(|g| resolver.get(g))
                .collect(),
        ))
        .assign_public_ip(if spec.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .ok()?;
    Some(
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build(),
    )
}

/// `on, rolls back` / `on, no rollback` / `off` / `(not set)`.
fn circuit_breaker_shown(breaker: Option<(bool, bool)>) -> String {
    match breaker {
        None => "(not set)".into(),
        Some((false, _)) => "off".into(),
        Some((true, true)) => "on, rolls back".into(),
        Some((true, false)) => "on, no rollback".into(),
    }
}

/// The strategy (`FARGATE_SPOT weight 1`), or, without one, the launch type.
fn capacity_shown(capacity: &[CapacityShare], launch_type: Option<&str>) -> String {
    if capacity.is_empty() {
        format!("launch type {}", launch_type.unwrap_or("(not set)"))
    } else {
        ecs_capacity::shown(capacity)
    }
}

/// `a, b (roll back on alarm)` / `(none)`.
fn alarms_shown(alarms: &Option<(Vec<String>, bool)>) -> String {
    match alarms {
        None => "(none)".into(),
        Some((names, rollback)) => format!(
            "{}{}",
            super::listed(names),
            if *rollback {
                " (roll back on alarm)"
            } else {
                " (no rollback)"
            }
        ),
    }
}

impl Kind for EcsService {
    const KIND: &'static str = "ecs:service";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // CreateService takes the intent's client token: a repeat returns the same service.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name", "task_definition"];
    type Spec = EcsServiceSpec;
    type Live = EcsServiceLive;

    fn refs(spec: &EcsServiceSpec) -> Vec<Ref> {
        let mut refs = vec![
            spec.cluster.clone(),
            spec.task_definition.clone(),
            spec.target_group.clone(),
        ];
        refs.extend(spec.subnets.iter().cloned());
        refs.extend(spec.security_groups.iter().cloned());
        refs.extend(spec.deployment_alarms.iter().cloned());
        if let Strategy::BlueGreen {
            alternate_target_group,
            production_listener_rule,
            role,
            ..
        } = &spec.strategy
        {
            refs.extend([
                alternate_target_group.clone(),
                production_listener_rule.clone(),
                role.clone(),
            ]);
        }
        refs
    }

    /// By ARN (in the cluster the ARN names, else the desired one), or by name in the
    /// desired cluster.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcsServiceSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<EcsServiceLive>, AwsError> {
        let (cluster, service) = match lookup {
            Lookup::Id(arn) => (
                cluster_of_arn(arn)
                    .map(str::to_string)
                    .or_else(|| resolver.known(&spec.cluster)),
                arn,
            ),
            Lookup::Identity => (resolver.known(&spec.cluster), spec.name.as_str()),
        };
        let Some(cluster) = cluster else {
            return Ok(None);
        };
        // The listing asked for every desired name (a spec outside `ctx.desired` is read
        // directly).
        if ctx.cached && desired_names(ctx).1.contains(&spec.name) {
            let listed = ctx.inventory.listed::<Services>(ctx).await?;
            if let Some(found) = from_listing(&listed, lookup, &cluster, &spec.name) {
                return Ok(found);
            }
        }
        let found = describe(ctx, &cluster, &[service.to_string()]).await?;
        Ok(found.into_iter().next())
    }

    fn diff(spec: &EcsServiceSpec, live: &EcsServiceLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let mut field =
            |name: &str, old: String, new: String| compare(&mut changes, name, &old, &new, false);
        field(
            "task_definition",
            live.task_definition.clone(),
            resolver.get(&spec.task_definition),
        );
        if !spec.desired_count_managed {
            field(
                "desired_count",
                live.desired_count.to_string(),
                spec.desired_count.to_string(),
            );
        }
        field(
            "subnets",
            live.subnets.join(","),
            resolver.sorted(&spec.subnets).join(","),
        );
        field(
            "security_groups",
            live.security_groups.join(","),
            resolver.sorted(&spec.security_groups).join(","),
        );
        field(
            "assign_public_ip",
            live.assign_public_ip.to_string(),
            spec.assign_public_ip.to_string(),
        );
        field(
            "load_balancers",
            live_load_balancers(live),
            desired_load_balancers(spec, resolver),
        );
        // Not reported: unknown. A blue/green setting on a load balancer without any
        // advancedConfiguration shows as a load_balancers change (no alternate group).
        let advanced = live
            .load_balancers
            .first()
            .and_then(|lb| lb.advanced.as_ref());
        if let Strategy::BlueGreen {
            production_listener_rule,
            role,
            ..
        } = &spec.strategy
        {
            if let Some(rule) = advanced.and_then(|a| a.production_listener_rule.clone()) {
                field(
                    "production_listener_rule",
                    rule,
                    resolver.get(production_listener_rule),
                );
            }
            if let Some(role_arn) = advanced.and_then(|a| a.role_arn.clone()) {
                field("infrastructure_role", role_arn, resolver.get(role));
            }
        }
        field(
            "health_check_grace_period_seconds",
            super::shown(live.health_check_grace_period_seconds),
            spec.health_check_grace_period_seconds.to_string(),
        );
        field(
            "enable_execute_command",
            live.enable_execute_command.to_string(),
            spec.enable_execute_command.to_string(),
        );
        field(
            "circuit_breaker",
            circuit_breaker_shown(live.circuit_breaker),
            circuit_breaker_shown(Some((true, spec.circuit_breaker_rollback))),
        );
        field(
            "maximum_percent",
            super::shown(live.maximum_percent),
            spec.maximum_percent.to_string(),
        );
        field(
            "minimum_healthy_percent",
            super::shown(live.minimum_healthy_percent),
            spec.minimum_healthy_percent.to_string(),
        );
        let desired_alarms = (!spec.deployment_alarms.is_empty())
            .then(|| (resolver.sorted(&spec.deployment_alarms), true));
        field(
            "deployment_alarms",
            alarms_shown(&live.deployment_alarms),
            alarms_shown(&desired_alarms),
        );
        if let Some(strategy) = &live.strategy {
            field(
                "deployment_strategy",
                strategy.clone(),
                spec.strategy.ecs_name().to_string(),
            );
        }
        if let (
            Strategy::BlueGreen {
                bake_time_minutes, ..
            },
            Some(live_bake),
        ) = (&spec.strategy, live.bake_time_minutes)
        {
            field(
                "bake_time_minutes",
                live_bake.to_string(),
                bake_time_minutes.to_string(),
            );
        }
        field(
            "capacity_provider_strategy",
            capacity_shown(&live.capacity, live.launch_type.as_deref()),
            capacity_shown(&spec.capacity, Some("FARGATE")),
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &EcsServiceSpec,
        resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ecs
            .create_service()
            .cluster(resolver.get(&spec.cluster))
            .service_name(&spec.name)
            .task_definition(resolver.get(&spec.task_definition))
            .desired_count(spec.desired_count)
            .set_launch_type(spec.capacity.is_empty().then_some(LaunchType::Fargate))
            .set_capacity_provider_strategy(
                (!spec.capacity.is_empty()).then(|| ecs_capacity::to_ecs(&spec.capacity)),
            )
            .set_network_configuration(network_configuration(spec, resolver))
            .load_balancers(load_balancer(spec, resolver, None))
            .health_check_grace_period_seconds(spec.health_check_grace_period_seconds)
            .enable_execute_command(spec.enable_execute_command)
            .deployment_configuration(deployment_configuration(spec, resolver))
            .propagate_tags(PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .set_tags(Some(tags::to_ecs(&who.tags)))
            .client_token(token)
            .send()
            .await
            .op("CreateService")?;
        output
            .service()
            .and_then(|service| service.service_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateService", "AWS returned no service"))
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcsServiceSpec,
        live: &EcsServiceLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        // Everything but the load balancer is sent every time: UpdateService of values that
        // are already set changes nothing, so repeating it is harmless.
        let mut request = ctx
            .aws
            .ecs
            .update_service()
            .cluster(&live.cluster_arn)
            .service(&live.name)
            .task_definition(resolver.get(&spec.task_definition))
            .set_network_configuration(network_configuration(spec, resolver))
            .health_check_grace_period_seconds(spec.health_check_grace_period_seconds)
            .enable_execute_command(spec.enable_execute_command)
            .deployment_configuration(deployment_configuration(spec, resolver));
        if !spec.desired_count_managed {
            request = request.desired_count(spec.desired_count);
        }
        // Sent only when it differs: in blue/green mode re-sending it would be harmless
        // (the live orientation is kept) but it is one more thing for ECS to process.
        if changes
            .iter()
            .any(|change| LOAD_BALANCER_FIELDS.contains(&change.field.as_str()))
        {
            request = request.load_balancers(load_balancer(spec, resolver, Some(live)));
        }
        // ECS takes a changed strategy (or the move from a launch type to one) only with a new
        // deployment.
        if !spec.capacity.is_empty()
            && changes
                .iter()
                .any(|change| change.field == "capacity_provider_strategy")
        {
            request = request
                .set_capacity_provider_strategy(Some(ecs_capacity::to_ecs(&spec.capacity)))
                .force_new_deployment(true);
        }
        request.send().await.op("UpdateService")?;
        Ok(None)
    }

    /// Ready once it exists: `up` does not wait for rollouts (`deploy` does). A DRAINING
    /// service is being deleted.
    fn readiness(live: &EcsServiceLive) -> Readiness {
        match live.status.as_str() {
            "DRAINING" => Readiness::Failed(format!(
                "ECS service {} is draining (being deleted)",
                live.name
            )),
            _ => Readiness::Ready,
        }
    }

    fn tags(live: &EcsServiceLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &EcsServiceLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ecs(&ctx.aws.ecs, &live.arn, changes).await
    }

    /// Scales the service to no task (unless its desired count is 0 already), then deletes
    /// it: ECS deletes a service without `force` once its desired count is 0, and it is
    /// DRAINING while its tasks stop. Both calls are safe to repeat; a DRAINING service is not
    /// asked again, and an INACTIVE or missing one (or cluster) is gone.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &EcsServiceLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        if deletion_of(&live.status) != Deletion::Present {
            return Ok(Deleted::Requested);
        }
        let ecs = &ctx.aws.ecs;
        if live.desired_count != 0 {
            let scaled = ecs
                .update_service()
                .cluster(&live.cluster_arn)
                .service(&live.name)
                .desired_count(0)
                .send()
                .await
                .op("UpdateService")
                .map_err(inactive_is_not_found)
                .found()?;
            if scaled.is_none() {
                return Ok(Deleted::Requested);
            }
        }
        ecs.delete_service()
            .cluster(&live.cluster_arn)
            .service(&live.name)
            .send()
            .await
            .op("DeleteService")
            .map_err(inactive_is_not_found)
            .found()?;
        Ok(Deleted::Requested)
    }

    fn deletion(live: &EcsServiceLive) -> Deletion {
        deletion_of(&live.status)
    }

    fn physical_id(live: &EcsServiceLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &EcsServiceLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
            ("task_definition".into(), live.task_definition.clone()),
        ])
    }

    fn status(live: &EcsServiceLive) -> String {
        format!(
            "{} {}/{} running, {} pending{}",
            live.status.to_lowercase(),
            live.running_count,
            live.desired_count,
            live.pending_count,
            live.rollout_state
                .as_ref()
                .map(|state| format!(", rollout {}", state.to_lowercase()))
                .unwrap_or_default()
        )
    }
}

#[cfg(test)]
#[path = "ecs_service_tests.rs"]
mod tests;
