//! Resource kinds: how each kind of AWS resource is observed, compared and changed.
//!
//! Every kind implements [`Kind`] the same way, so a reader who knows one module knows them
//! all: `find` observes the live resource (by the physical id recorded in state, else by its
//! `macroctl:id` tag, which is how a lost or deleted state file is recovered), `diff` compares
//! desired and live without any I/O, `create` / `update` change it, and `settle` waits for a
//! found resource to be usable. Every method is safe to repeat: a node interrupted half-way is
//! simply run again and finds what the interrupted run left.
//!
//! Values that come from other resources (a subnet's VPC id) are [`Ref`]s, resolved from the
//! outputs of resources already read or applied; the graph's edges are derived from them, so a
//! resource can never run before what it refers to.

pub mod alarm;
pub mod cache_replication_group;
pub mod cache_subnet_group;
pub mod db_instance;
pub mod db_parameter_group;
pub mod db_subnet_group;
pub mod ecr_repository;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod elastic_ip;
pub mod iam_role;
pub mod internet_gateway;
pub mod inventory;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod log_group;
pub mod nat_gateway;
pub mod route_table;
pub mod route_table_association;
pub mod scalable_target;
pub mod scaling_policy;
pub mod secret;
pub mod security_group;
pub mod sns_topic;
pub mod subnet;
pub mod target_group;
pub mod task_definition;
pub mod vpc;

use crate::aws::{AwsClients, AwsError};
use crate::graph::LogicalId;
use crate::output::Reporter;
pub use inventory::Inventory;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Named string outputs of a resource (`vpc_id`, `subnet_id`, ...), kept in state.
pub type Outputs = BTreeMap<String, String>;

/// Shown for a value that only exists once a resource it depends on has been created.
pub const UNKNOWN: &str = "(known after apply)";

/// A reference to an output of another resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub id: LogicalId,
    pub output: &'static str,
}

impl Ref {
    pub fn new(id: impl Into<LogicalId>, output: &'static str) -> Self {
        Self {
            id: id.into(),
            output,
        }
    }
}

/// Outputs of the resources read or applied so far in this run.
#[derive(Default)]
pub struct Resolver {
    outputs: RefCell<HashMap<LogicalId, Outputs>>,
}

impl Resolver {
    /// The referenced value, or [`UNKNOWN`] while its resource does not exist yet.
    pub fn get(&self, reference: &Ref) -> String {
        self.outputs
            .borrow()
            .get(&reference.id)
            .and_then(|outputs| outputs.get(reference.output))
            .cloned()
            .unwrap_or_else(|| UNKNOWN.to_string())
    }

    /// The referenced value, when known.
    pub fn known(&self, reference: &Ref) -> Option<String> {
        Some(self.get(reference)).filter(|value| value != UNKNOWN)
    }

    /// The referenced values, sorted: for sets of ids (subnets, security groups) whose order
    /// AWS does not keep.
    pub fn sorted(&self, references: &[Ref]) -> Vec<String> {
        let mut values: Vec<String> = references.iter().map(|r| self.get(r)).collect();
        values.sort();
        values
    }

    pub fn set(&self, id: &LogicalId, outputs: Outputs) {
        self.outputs.borrow_mut().insert(id.clone(), outputs);
    }
}

/// Who a resource is: logical id, deterministic name and the tags that identify it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: LogicalId,
    /// Deterministic AWS name, e.g. `macro-ai-staging-vpc`.
    pub name: String,
    /// `Name`, `macroctl:stack`, `macroctl:env`, `macroctl:id` and the environment's own tags.
    pub tags: Vec<(String, String)>,
}

pub const TAG_STACK: &str = "macroctl:stack";
pub const TAG_ENV: &str = "macroctl:env";
pub const TAG_ID: &str = "macroctl:id";

/// One field that differs between desired and live.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
    /// Whether AWS cannot change this field in place.
    pub replace: bool,
}

impl FieldChange {
    pub fn update(field: &str, old: impl ToString, new: impl ToString) -> Self {
        Self {
            field: field.to_string(),
            old: old.to_string(),
            new: new.to_string(),
            replace: false,
        }
    }

    pub fn replace(field: &str, old: impl ToString, new: impl ToString) -> Self {
        Self {
            replace: true,
            ..Self::update(field, old, new)
        }
    }
}

/// Compares one field, pushing a change when it differs. Unknown desired values always differ.
pub fn compare(changes: &mut Vec<FieldChange>, field: &str, old: &str, new: &str, replace: bool) {
    if old != new {
        changes.push(FieldChange {
            field: field.to_string(),
            old: old.to_string(),
            new: new.to_string(),
            replace,
        });
    }
}

/// What resource code may use while it runs.
pub struct Ctx<'a> {
    pub aws: &'a AwsClients,
    pub env: &'a str,
    pub stack: &'a str,
    /// The state's lineage: part of client tokens, so a re-created state never reuses old ones.
    pub lineage: &'a str,
    pub inventory: &'a Inventory,
    pub reporter: &'a dyn Reporter,
    pub wait_timeout: Duration,
    /// `up --apply-immediately`: apply modifications now even where the environment defers
    /// them to the maintenance window.
    pub apply_immediately: bool,
}

/// One kind of AWS resource. See the module documentation for the contract.
#[allow(async_fn_in_trait)]
pub trait Kind {
    /// Stable kind name shown to users and kept in state, e.g. `ec2:vpc`.
    const KIND: &'static str;
    /// The desired configuration.
    type Spec: std::fmt::Debug + Clone;
    /// What AWS reports.
    type Live: std::fmt::Debug + Clone;

    /// The other resources this one refers to.
    fn refs(spec: &Self::Spec) -> Vec<Ref>;

    /// Observes the live resource: by `recorded` physical id, else by tags. `None` when absent.
    async fn find(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &Self::Spec,
        recorded: Option<&str>,
        resolver: &Resolver,
    ) -> Result<Option<Self::Live>, AwsError>;

    /// Fields where live differs from desired; empty when converged. No I/O.
    fn diff(spec: &Self::Spec, live: &Self::Live, resolver: &Resolver) -> Vec<FieldChange>;

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &Self::Spec,
        resolver: &Resolver,
    ) -> Result<Self::Live, AwsError>;

    /// Applies `changes` (all updatable in place) and returns the new live view.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &Self::Spec,
        live: &Self::Live,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Self::Live, AwsError>;

    /// Waits until a found resource is usable by its dependents (e.g. a NAT gateway that a
    /// killed run left `pending`).
    async fn settle(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        live: Self::Live,
    ) -> Result<Self::Live, AwsError> {
        Ok(live)
    }

    fn physical_id(live: &Self::Live) -> String;
    fn outputs(live: &Self::Live) -> Outputs;
    /// A short live status for `status`, e.g. `available`.
    fn status(live: &Self::Live) -> String;
}

/// Declares the closed set of kinds: the [`Spec`] and [`Live`] enums and their dispatch.
macro_rules! kinds {
    ($($variant:ident => $kind:ty),* $(,)?) => {
        /// The desired configuration of one resource, of any kind.
        #[derive(Debug, Clone)]
        pub enum Spec { $($variant(<$kind as Kind>::Spec)),* }

        /// The observed state of one resource, of any kind.
        #[derive(Debug, Clone)]
        pub enum Live { $($variant(<$kind as Kind>::Live)),* }

        impl Spec {
            pub fn kind(&self) -> &'static str {
                match self { $(Spec::$variant(_) => <$kind as Kind>::KIND),* }
            }

            pub fn refs(&self) -> Vec<Ref> {
                match self { $(Spec::$variant(spec) => <$kind as Kind>::refs(spec)),* }
            }

            pub async fn find(
                &self, ctx: &Ctx<'_>, who: &Identity, recorded: Option<&str>, resolver: &Resolver,
            ) -> Result<Option<Live>, AwsError> {
                match self {
                    $(Spec::$variant(spec) => Ok(<$kind as Kind>::find(ctx, who, spec, recorded, resolver)
                        .await?
                        .map(Live::$variant)),)*
                }
            }

            pub fn diff(&self, live: &Live, resolver: &Resolver) -> Vec<FieldChange> {
                match (self, live) {
                    $((Spec::$variant(spec), Live::$variant(live)) => <$kind as Kind>::diff(spec, live, resolver),)*
                    #[allow(unreachable_patterns)]
                    _ => vec![FieldChange::replace("kind", live.kind(), self.kind())],
                }
            }

            pub async fn create(
                &self, ctx: &Ctx<'_>, who: &Identity, resolver: &Resolver,
            ) -> Result<Live, AwsError> {
                match self {
                    $(Spec::$variant(spec) => <$kind as Kind>::create(ctx, who, spec, resolver).await.map(Live::$variant),)*
                }
            }

            pub async fn update(
                &self, ctx: &Ctx<'_>, who: &Identity, live: &Live, changes: &[FieldChange], resolver: &Resolver,
            ) -> Result<Live, AwsError> {
                match (self, live) {
                    $((Spec::$variant(spec), Live::$variant(live)) =>
                        <$kind as Kind>::update(ctx, who, spec, live, changes, resolver).await.map(Live::$variant),)*
                    #[allow(unreachable_patterns)]
                    _ => Err(AwsError::other("update", format!(
                        "live resource is a {} but a {} is desired", live.kind(), self.kind()))),
                }
            }

            pub async fn settle(&self, ctx: &Ctx<'_>, who: &Identity, live: Live) -> Result<Live, AwsError> {
                match live {
                    $(Live::$variant(live) => <$kind as Kind>::settle(ctx, who, live).await.map(Live::$variant),)*
                }
            }
        }

        impl Live {
            pub fn kind(&self) -> &'static str {
                match self { $(Live::$variant(_) => <$kind as Kind>::KIND),* }
            }
            pub fn physical_id(&self) -> String {
                match self { $(Live::$variant(live) => <$kind as Kind>::physical_id(live)),* }
            }
            pub fn outputs(&self) -> Outputs {
                match self { $(Live::$variant(live) => <$kind as Kind>::outputs(live)),* }
            }
            pub fn status(&self) -> String {
                match self { $(Live::$variant(live) => <$kind as Kind>::status(live)),* }
            }
        }
    };
}

kinds! {
    Vpc => vpc::Vpc,
    Subnet => subnet::Subnet,
    InternetGateway => internet_gateway::InternetGateway,
    ElasticIp => elastic_ip::ElasticIp,
    NatGateway => nat_gateway::NatGateway,
    RouteTable => route_table::RouteTable,
    RouteTableAssociation => route_table_association::RouteTableAssociation,
    SecurityGroup => security_group::SecurityGroup,
    Secret => secret::Secret,
    DbSubnetGroup => db_subnet_group::DbSubnetGroup,
    DbParameterGroup => db_parameter_group::DbParameterGroup,
    DbInstance => db_instance::DbInstance,
    CacheSubnetGroup => cache_subnet_group::CacheSubnetGroup,
    CacheReplicationGroup => cache_replication_group::CacheReplicationGroup,
    IamRole => iam_role::IamRole,
    EcrRepository => ecr_repository::EcrRepository,
    LogGroup => log_group::LogGroup,
    SnsTopic => sns_topic::SnsTopic,
    Alarm => alarm::Alarm,
    LoadBalancer => load_balancer::LoadBalancer,
    TargetGroup => target_group::TargetGroup,
    Listener => listener::Listener,
    ListenerRule => listener_rule::ListenerRule,
    ScalableTarget => scalable_target::ScalableTarget,
    ScalingPolicy => scaling_policy::ScalingPolicy,
    EcsCluster => ecs_cluster::EcsCluster,
    TaskDefinition => task_definition::TaskDefinition,
    EcsService => ecs_service::EcsService,
}

/// FNV-1a over the parts (with separators): stable across runs, platforms and Rust versions,
/// unlike `std`'s hasher, which is what idempotency tokens need.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// EC2 tag list for a resource's identity, for `TagSpecifications` on create.
pub fn ec2_tags(who: &Identity) -> Vec<aws_sdk_ec2::types::Tag> {
    who.tags
        .iter()
        .map(|(key, value)| {
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

/// A `TagSpecification` carrying the identity tags, so a resource is never untagged, even for
/// an instant: a run killed right after a create still finds it by tag.
pub fn ec2_tag_spec(
    who: &Identity,
    resource_type: aws_sdk_ec2::types::ResourceType,
) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(ec2_tags(who)))
        .build()
}

/// Polls `check` until it yields a value, reporting what is awaited, for at most
/// `ctx.wait_timeout`. `check` returns `Ok(Err(current_state))` while still waiting.
pub async fn wait_until<T, F, Fut>(
    ctx: &Ctx<'_>,
    who: &Identity,
    kind: &str,
    what: &str,
    operation: &str,
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Result<T, String>, AwsError>>,
{
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match check().await? {
            Ok(value) => return Ok(value),
            Err(current) => {
                let elapsed = started.elapsed();
                if elapsed >= ctx.wait_timeout {
                    return Err(AwsError::other(
                        operation,
                        format!(
                            "gave up after {} waiting for {what} (still {current}); raise --wait-timeout or check the resource in the AWS console",
                            crate::output::format_elapsed(elapsed)
                        ),
                    ));
                }
                ctx.reporter.report(crate::output::Event::NodeWaiting {
                    id: who.id.to_string(),
                    kind: kind.to_string(),
                    message: format!(
                        "waiting for {what} (now {current}, {})",
                        crate::output::format_elapsed(elapsed)
                    ),
                });
                tokio::time::sleep(delay.min(ctx.wait_timeout.saturating_sub(elapsed))).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
