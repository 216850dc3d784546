//! Resource kinds: how each kind of AWS resource is observed, compared and changed.
//!
//! Every kind implements [`Kind`] the same way, so a reader who knows one module knows them
//! all. A kind is only a mapping between its spec and the AWS API: it *declares* how its
//! resources are identified ([`IdentityKind`]), whether repeating its create is harmless
//! ([`CreateSafety`]) and which outputs others may use; it turns a spec into requests
//! (`create`, `update`, `set_tags`) and responses into a `Live` (`read`), and compares the two
//! (`diff`, `readiness`). Finding, adopting, retrying, reading back and waiting belong to the
//! engine (`ops::converge`), written once for every kind, because that is where real AWS
//! (lost responses, eventual consistency, throttling, slow resources) has to be handled.
//!
//! Values that come from other resources (a subnet's VPC id) are [`Ref`]s, resolved from the
//! outputs of resources already read or applied; the graph's edges are derived from them, so a
//! resource can never run before what it refers to.

pub mod alarm;
pub mod cache_replication_group;
pub mod cache_subnet_group;
pub mod certificate;
pub mod certificate_validation;
pub mod db_instance;
pub mod db_instance_security;
pub mod db_parameter_group;
pub mod db_proxy;
pub mod db_proxy_target;
pub mod db_subnet_group;
pub mod deletion;
pub mod distribution;
pub mod distribution_config;
pub mod dns_record;
pub mod ecr_repository;
pub mod ecs_capacity;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod elastic_ip;
mod elb_listing;
pub mod flow_log;
pub mod hosted_zone;
pub mod iam_role;
pub mod internet_gateway;
pub mod inventory;
pub mod kms_key;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod log_group;
pub mod nat_gateway;
pub mod origin_access_control;
pub mod route_table;
pub mod route_table_association;
pub mod s3_bucket;
pub mod scalable_target;
pub mod scaling_policy;
pub mod secret;
pub mod security_group;
pub mod sns_topic;
pub mod subnet;
pub mod tags;
pub mod target_group;
pub mod task_definition;
pub mod trail;
pub mod user_pool;
pub mod user_pool_client;
pub mod vpc;
pub mod web_acl;
pub mod web_acl_association;

use crate::aws::{AwsClients, AwsError};
use crate::graph::LogicalId;
use crate::output::Reporter;
pub use deletion::{DeleteOptions, Deleted, Deletion};
pub use inventory::Inventory;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
pub use tags::{TagChanges, Tags};

/// Named string outputs of a resource (`vpc_id`, `subnet_id`, ...), kept in state.
pub type Outputs = BTreeMap<String, String>;

/// Shown for a value that only exists once a resource it depends on has been created.
pub const UNKNOWN: &str = "(known after apply)";

/// A reference to an output of another resource.
///
/// Serialized with the spec a resource was last applied with (drift detection); read back,
/// the output's name must be one some kind declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ref {
    pub id: LogicalId,
    pub output: &'static str,
}

#[derive(serde::Deserialize)]
struct RecordedRef {
    id: LogicalId,
    output: String,
}

impl<'de> serde::Deserialize<'de> for Ref {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let recorded = RecordedRef::deserialize(deserializer)?;
        let output = declared_output(&recorded.output).ok_or_else(|| {
            serde::de::Error::custom(format!("no kind declares an output {:?}", recorded.output))
        })?;
        Ok(Ref::new(recorded.id, output))
    }
}

impl Ref {
    pub fn new(id: impl Into<LogicalId>, output: &'static str) -> Self {
        Self {
            id: id.into(),
            output,
        }
    }
}

/// A value in a spec that is either known when the stack is built (a certificate ARN from the
/// environment file, a hosted zone id looked up before planning) or another resource's
/// output. Serialized untagged: a literal is a plain string, so a field that used to be a
/// `String` reads back from older state unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    Literal(String),
    Ref(Ref),
}

impl Value {
    /// The value, or [`UNKNOWN`] while the resource it refers to does not exist yet.
    pub fn get(&self, resolver: &Resolver) -> String {
        match self {
            Value::Literal(value) => value.clone(),
            Value::Ref(reference) => resolver.get(reference),
        }
    }

    /// The reference it holds, for `Kind::refs`.
    pub fn reference(&self) -> Option<Ref> {
        match self {
            Value::Literal(_) => None,
            Value::Ref(reference) => Some(reference.clone()),
        }
    }
}

impl From<Ref> for Value {
    fn from(reference: Ref) -> Self {
        Value::Ref(reference)
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
    pub tags: Tags,
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
    /// Changed outside macroctl: the live value is no longer what macroctl last applied
    /// (set by the engine, from the state's `applied`; kinds leave it false).
    pub drift: bool,
}

impl FieldChange {
    pub fn update(field: &str, old: impl ToString, new: impl ToString) -> Self {
        Self {
            field: field.to_string(),
            old: old.to_string(),
            new: new.to_string(),
            replace: false,
            drift: false,
        }
    }

    pub fn replace(field: &str, old: impl ToString, new: impl ToString) -> Self {
        Self {
            replace: true,
            ..Self::update(field, old, new)
        }
    }
}

/// A value as a plan shows it: the value, or `(not set)`.
pub fn shown<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "(not set)".to_string(), |value| value.to_string())
}

/// Names or `KEY=value` pairs as a plan shows them: comma-separated, or `(none)`.
pub fn listed<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|item| item.to_string()).collect();
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
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
            drift: false,
        });
    }
}

/// What resource code may use while it runs.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The SDK clients. Inside `create`, `update` and `set_tags` these make a single attempt
    /// per call (the engine owns retries of mutating calls); elsewhere the SDK retries reads.
    pub aws: &'a AwsClients,
    pub env: &'a str,
    pub stack: &'a str,
    pub inventory: &'a Inventory,
    pub reporter: &'a dyn Reporter,
    /// `up --apply-immediately`: apply modifications now even where the environment defers
    /// them to the maintenance window.
    pub apply_immediately: bool,
    /// Whether `read` may answer from this run's batched listings. True while planning;
    /// false right after a change (and when looking for what a lost response may have made),
    /// when only a direct read tells the truth.
    pub cached: bool,
    /// Every desired resource of the environment: what a batched listing asks for (the names
    /// of all target groups, say, for one DescribeTargetGroups).
    pub desired: &'a [Spec],
    /// What state recorded when the run began, by logical id: what a listing may ask for by
    /// id at once (every recorded listener ARN in one call) instead of after listing the
    /// parents.
    pub recorded: &'a std::collections::BTreeMap<String, crate::state::ResourceState>,
}

/// Every resource tagged for the environment, of any kind: EC2's listings and the tagging
/// API's `GetResources` ([`Inventory::all_tagged`]), and IAM roles, which the tagging API
/// does not list. Sorted by logical id.
pub async fn all_tagged(ctx: &Ctx<'_>) -> Result<Vec<inventory::Tagged>, AwsError> {
    let (mut all, roles) =
        futures::try_join!(ctx.inventory.all_tagged(), iam_role::tagged_roles(ctx))?;
    for role in roles {
        if !all
            .iter()
            .any(|known| known.physical_id == role.physical_id)
        {
            all.push(role);
        }
    }
    all.sort_by(|a, b| (&a.id, &a.physical_id).cmp(&(&b.id, &b.physical_id)));
    Ok(all)
}

impl Ctx<'_> {
    /// The physical ids state recorded for one kind (`Kind::KIND`), sorted.
    pub fn recorded_ids(&self, kind: &str) -> Vec<String> {
        let mut ids: Vec<String> = (self.recorded.values())
            .filter(|entry| entry.kind == kind)
            .map(|entry| entry.physical_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The desired specs of one kind, e.g. `ctx.desired_of(|spec| match spec {
    /// Spec::Alarm(alarm) => Some(alarm), _ => None })`.
    pub fn desired_of<'s, T>(&'s self, pick: impl Fn(&'s Spec) -> Option<&'s T>) -> Vec<&'s T> {
        self.desired.iter().filter_map(pick).collect()
    }
}

/// How a kind's resources are found when state does not know their physical id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    /// By the `macroctl:{stack,env,id}` tags (EC2: names are not unique there).
    Tagged,
    /// By a deterministic name that is unique in the account and region (RDS, IAM, ELB, ...).
    /// A resource found by its name is adopted only if its tags name this stack and env.
    Named,
    /// Through its parent and a key (a route table association by its subnet, a listener by
    /// its load balancer and port). Where it carries tags, they are checked like a named
    /// resource's; where it carries none, its parent's were checked.
    Child,
}

/// What makes repeating a create harmless, which decides what the engine does after a create
/// whose outcome it does not know (the response was lost, or AWS failed on its side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateSafety {
    /// Repeating it cannot make a second resource: the request carries a client token, the
    /// name is unique (a repeat answers "already exists"), or the kind looks before it makes.
    /// The engine looks once, then repeats the create.
    Idempotent,
    /// Nothing stops a repeat from making a second resource (CreateVpc, AllocateAddress,
    /// CreateInternetGateway). The engine looks until AWS must show what the first attempt
    /// made (the consistency timeout) before it creates again.
    LookFirst,
}

/// How `read` should find the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// By its physical id: the one recorded in state, or the one a create just returned.
    Id(&'a str),
    /// By the kind's identity (tags, name, or parent and key).
    Identity,
}

/// Whether a live resource can be used by what depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Usable, and not changing.
    Ready,
    /// Usable, but still applying a change (an RDS instance `modifying`): waited for only
    /// when this run made the change.
    Busy(String),
    /// Not usable yet (`creating`, `pending`, `provisioning`): always waited for.
    Pending(String),
    /// Will not become usable by waiting (`failed`): an error.
    Failed(String),
}

/// One kind of AWS resource: a mapping between a desired spec and AWS's API.
///
/// The engine (`ops::converge`) owns everything else: finding the resource (recorded id,
/// else identity), the ownership check, the write-ahead intent, retries after throttling,
/// lost responses and eventual consistency, reading back after a change, waiting until it
/// is ready, and tags. So a kind's methods are small: `create` makes *one* mutating call and
/// returns the new physical id without waiting; `update` applies field changes; `read`
/// turns an API response into `Live`; `diff` compares without I/O.
#[allow(async_fn_in_trait)]
pub trait Kind {
    /// Stable kind name shown to users and kept in state, e.g. `ec2:vpc`.
    const KIND: &'static str;
    const IDENTITY: IdentityKind;
    const CREATE: CreateSafety;
    /// Every output `outputs` returns: what other resources may `Ref` (checked when the graph
    /// is built, so a misspelt output is an error before any AWS call).
    const OUTPUTS: &'static [&'static str];
    /// The desired configuration.
    type Spec: std::fmt::Debug + Clone;
    /// What AWS reports.
    type Live: std::fmt::Debug + Clone;

    /// The other resources this one refers to.
    fn refs(spec: &Self::Spec) -> Vec<Ref>;

    /// Observes the live resource by physical id or by identity; `None` when absent. May
    /// answer from the run's batched listings when `ctx.cached`.
    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &Self::Spec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<Self::Live>, AwsError>;

    /// Fields where live differs from desired (tags aside); empty when converged. No I/O.
    fn diff(spec: &Self::Spec, live: &Self::Live, resolver: &Resolver) -> Vec<FieldChange>;

    /// Makes the one call that creates the resource, with its identity tags where the API
    /// takes them, passing `token` where the API takes a client token. Returns the physical
    /// id `read` takes. Never waits: the engine reads back and waits.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &Self::Spec,
        resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError>;

    /// Applies `changes` (all updatable in place). Returns the new physical id when the
    /// change makes a new version (a task definition revision), else `None`. The engine
    /// reads back afterwards, and after an unclear outcome reads and diffs again, so every
    /// step must be safe to repeat.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &Self::Spec,
        live: &Self::Live,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError>;

    /// Whether the resource can be used by its dependents yet.
    fn readiness(_live: &Self::Live) -> Readiness {
        Readiness::Ready
    }

    /// The resource's tags as AWS reports them; `None` for kinds that carry none (and where
    /// AWS does not report them: then they are neither checked nor reconciled).
    fn tags(live: &Self::Live) -> Option<&Tags>;

    /// Adds, changes and removes tags. Needed by every kind whose `tags` is `Some`.
    async fn set_tags(
        _ctx: &Ctx<'_>,
        _live: &Self::Live,
        _changes: &TagChanges,
    ) -> Result<(), AwsError> {
        Err(AwsError::other(
            "TagResource",
            format!("{} resources cannot be tagged by macroctl", Self::KIND),
        ))
    }

    /// Deletes the resource (for `destroy`): the one call, or the few one deletion takes
    /// (detach then delete, scale to zero then delete, protection off when the options allow
    /// it). Never waits: the engine reads until the resource is gone, and retries a call AWS
    /// refuses while a dependency lingers (`DependencyViolation`, `ResourceInUse`). A resource
    /// already gone (NotFound) is success; every step must be safe to repeat.
    async fn delete(
        _ctx: &Ctx<'_>,
        _live: &Self::Live,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        Err(AwsError::other(
            "Delete",
            format!("macroctl cannot delete {} resources yet", Self::KIND),
        ))
    }

    /// How far AWS has got in deleting the resource, from a live read.
    fn deletion(_live: &Self::Live) -> Deletion {
        Deletion::Present
    }

    /// The setting that protects the resource from deletion, when it is on (RDS and ALB
    /// `deletion_protection`): `destroy` refuses, naming it, unless
    /// `--disable-deletion-protection`.
    fn protection(_live: &Self::Live) -> Option<&'static str> {
        None
    }

    fn physical_id(live: &Self::Live) -> String;
    fn outputs(live: &Self::Live) -> Outputs;
    /// A short live status for `status`, e.g. `available`.
    fn status(live: &Self::Live) -> String;
}

/// Declares the closed set of kinds: the [`Spec`] and [`Live`] enums and their dispatch.
macro_rules! kinds {
    ($($variant:ident => $kind:ty),* $(,)?) => {
        /// The desired configuration of one resource, of any kind. Serializable: state keeps
        /// the spec each resource was last applied with, which tells drift from edits.
        #[derive(Debug, Clone, Serialize, serde::Deserialize)]
        pub enum Spec { $($variant(<$kind as Kind>::Spec)),* }

        /// The observed state of one resource, of any kind.
        #[derive(Debug, Clone)]
        pub enum Live { $($variant(<$kind as Kind>::Live)),* }

        impl Spec {
            pub fn kind(&self) -> &'static str {
                match self { $(Spec::$variant(_) => <$kind as Kind>::KIND),* }
            }

            pub fn identity_kind(&self) -> IdentityKind {
                match self { $(Spec::$variant(_) => <$kind as Kind>::IDENTITY),* }
            }

            pub fn create_safety(&self) -> CreateSafety {
                match self { $(Spec::$variant(_) => <$kind as Kind>::CREATE),* }
            }

            pub fn declared_outputs(&self) -> &'static [&'static str] {
                match self { $(Spec::$variant(_) => <$kind as Kind>::OUTPUTS),* }
            }

            pub fn refs(&self) -> Vec<Ref> {
                match self { $(Spec::$variant(spec) => <$kind as Kind>::refs(spec)),* }
            }

            pub async fn read(
                &self, ctx: &Ctx<'_>, who: &Identity, lookup: Lookup<'_>, resolver: &Resolver,
            ) -> Result<Option<Live>, AwsError> {
                match self {
                    $(Spec::$variant(spec) => Ok(<$kind as Kind>::read(ctx, who, spec, lookup, resolver)
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
                &self, ctx: &Ctx<'_>, who: &Identity, resolver: &Resolver, token: &str,
            ) -> Result<String, AwsError> {
                match self {
                    $(Spec::$variant(spec) => <$kind as Kind>::create(ctx, who, spec, resolver, token).await,)*
                }
            }

            pub async fn update(
                &self, ctx: &Ctx<'_>, who: &Identity, live: &Live, changes: &[FieldChange], resolver: &Resolver,
            ) -> Result<Option<String>, AwsError> {
                match (self, live) {
                    $((Spec::$variant(spec), Live::$variant(live)) =>
                        <$kind as Kind>::update(ctx, who, spec, live, changes, resolver).await,)*
                    #[allow(unreachable_patterns)]
                    _ => Err(AwsError::other("update", format!(
                        "live resource is a {} but a {} is desired", live.kind(), self.kind()))),
                }
            }
        }

        /// The `&'static` name of an output some kind declares.
        fn declared_output(name: &str) -> Option<&'static str> {
            [$(<$kind as Kind>::OUTPUTS),*]
                .into_iter()
                .flatten()
                .copied()
                .find(|output| *output == name)
        }

        impl Live {
            pub fn kind(&self) -> &'static str {
                match self { $(Live::$variant(_) => <$kind as Kind>::KIND),* }
            }
            pub fn physical_id(&self) -> String {
                match self { $(Live::$variant(live) => <$kind as Kind>::physical_id(live)),* }
            }
            pub fn outputs(&self) -> Outputs {
                match self {
                    $(Live::$variant(live) => {
                        debug_assert!(
                            outputs_are_declared::<$kind>(live),
                            "{}: outputs() does not return exactly OUTPUTS",
                            <$kind as Kind>::KIND
                        );
                        <$kind as Kind>::outputs(live)
                    }),*
                }
            }
            pub fn status(&self) -> String {
                match self { $(Live::$variant(live) => <$kind as Kind>::status(live)),* }
            }
            pub fn readiness(&self) -> Readiness {
                match self { $(Live::$variant(live) => <$kind as Kind>::readiness(live)),* }
            }
            pub fn tags(&self) -> Option<&Tags> {
                match self { $(Live::$variant(live) => <$kind as Kind>::tags(live)),* }
            }
            pub async fn set_tags(&self, ctx: &Ctx<'_>, changes: &TagChanges) -> Result<(), AwsError> {
                match self { $(Live::$variant(live) => <$kind as Kind>::set_tags(ctx, live, changes).await),* }
            }
            pub async fn delete(&self, ctx: &Ctx<'_>, options: &DeleteOptions) -> Result<Deleted, AwsError> {
                match self { $(Live::$variant(live) => <$kind as Kind>::delete(ctx, live, options).await),* }
            }
            pub fn deletion(&self) -> Deletion {
                match self { $(Live::$variant(live) => <$kind as Kind>::deletion(live)),* }
            }
            pub fn protection(&self) -> Option<&'static str> {
                match self { $(Live::$variant(live) => <$kind as Kind>::protection(live)),* }
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
    DbProxy => db_proxy::DbProxy,
    DbProxyTarget => db_proxy_target::DbProxyTarget,
    CacheSubnetGroup => cache_subnet_group::CacheSubnetGroup,
    CacheReplicationGroup => cache_replication_group::CacheReplicationGroup,
    IamRole => iam_role::IamRole,
    EcrRepository => ecr_repository::EcrRepository,
    LogGroup => log_group::LogGroup,
    KmsKey => kms_key::KmsKey,
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
    S3Bucket => s3_bucket::S3Bucket,
    Trail => trail::Trail,
    FlowLog => flow_log::FlowLog,
    UserPool => user_pool::UserPool,
    UserPoolClient => user_pool_client::UserPoolClient,
    Certificate => certificate::Certificate,
    CertificateValidation => certificate_validation::CertificateValidation,
    HostedZone => hosted_zone::HostedZone,
    Record => dns_record::Record,
    WebAcl => web_acl::WebAcl,
    WebAclAssociation => web_acl_association::WebAclAssociation,
    OriginAccessControl => origin_access_control::OriginAccessControl,
    Distribution => distribution::Distribution,
}

/// Whether `outputs` returns exactly the outputs the kind declares (what graph building checks
/// references against). Checked on every use in debug builds, so every test run checks every
/// kind it touches.
pub fn outputs_are_declared<K: Kind>(live: &K::Live) -> bool {
    let mut declared = K::OUTPUTS.to_vec();
    declared.sort_unstable();
    K::outputs(live).keys().map(String::as_str).eq(declared)
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
