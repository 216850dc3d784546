//! ECS task definitions (Fargate, ARM64 Linux, awsvpc).
//!
//! A task definition is immutable: a change is a new revision, so `update` returns the new
//! revision's ARN. A revision is read by its ARN; by identity it is the one the current
//! release runs (`preferred_arn`, while it is ACTIVE), else the family's latest ACTIVE
//! revision. It is compared with the desired content field by
//! field (images, sizes, ports, environment, secret references, logging, roles), so a no-op
//! `up` never creates revision churn and `up` keeps what `deploy` or `rollback` put in place.
//! Both `create` and `update` look before they register: when one of those revisions already
//! has the desired content its ARN is returned instead, so a repeat after a lost response
//! registers nothing twice. Read-only root filesystems and the task volumes they write to are
//! in `task_definition_storage.rs`. Secrets are referenced by ARN (`valueFrom`); no value is ever part
//! of a task definition. Tags are per revision (`include=TAGS`; TagResource / UntagResource).
//!
//! A revision's content takes one `DescribeTaskDefinition` per revision, its tags included at
//! no extra call (the tagging API would save none). While planning each revision is read once
//! per run ([`Revisions`]): the one recorded in state is usually the current release's, asked
//! about again when it is gone and the identity is looked up. Direct reads (`!ctx.cached`)
//! always describe.

use super::inventory::Listing;
use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity,
    IdentityKind, Kind, Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, ErrorClass, Found, IntoAwsError};
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, KeyValuePair, LogConfiguration, LogDriver,
    NetworkMode, OsFamily, PortMapping, RuntimePlatform, Secret, SortOrder, TaskDefinitionField,
    TaskDefinitionStatus, TransportProtocol,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Where a container's image comes from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum ImageSource {
    /// A full image reference from the environment file or a release.
    Literal(String),
    /// `<repository_uri>:<tag>` of an ECR repository macroctl manages.
    Repository { repository: Ref, tag: String },
}

/// An environment variable whose value Secrets Manager injects at task start.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SecretEnv {
    pub name: String,
    /// The secret's `arn` output.
    pub secret: Ref,
    /// The JSON key inside the secret.
    pub key: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LogSpec {
    /// The log group's `name` output.
    pub group: Ref,
    pub stream_prefix: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ContainerSpec {
    pub name: String,
    pub image: ImageSource,
    pub cpu: i32,
    pub memory_mib: Option<i32>,
    pub essential: bool,
    /// (container port, "tcp" | "udp")
    pub ports: Vec<(i32, String)>,
    pub environment: Vec<(String, String)>,
    /// Environment variables whose values are other resources' outputs (endpoints).
    pub environment_refs: Vec<(String, Ref)>,
    pub secrets: Vec<SecretEnv>,
    pub log: Option<LogSpec>,
    /// `readonlyRootFilesystem`; (task volume, path) mounts, writable. Absent before: none.
    #[serde(default)]
    pub read_only_root_filesystem: bool,
    #[serde(default)]
    pub mount_points: Vec<(String, String)>,
}

/// A container's plain environment: literal values and resolved references.
fn environment_of(container: &ContainerSpec, resolver: &Resolver) -> Vec<(String, String)> {
    let mut environment = container.environment.clone();
    environment.extend(
        container
            .environment_refs
            .iter()
            .map(|(name, reference)| (name.clone(), resolver.get(reference))),
    );
    environment
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TaskDefinitionSpec {
    pub family: String,
    /// The revision the current release runs (from state): compared first, so `up` after a
    /// `deploy` or `rollback` neither re-registers nor reverts what is deployed. Where to
    /// look, not what to make: not part of what state keeps as applied.
    #[serde(skip)]
    pub preferred_arn: Option<String>,
    /// The region logs are shipped to (the environment's).
    pub region: String,
    pub cpu: String,
    pub memory: String,
    pub execution_role: Ref,
    pub task_role: Ref,
    pub containers: Vec<ContainerSpec>,
    /// Task volumes (empty, for the task's lifetime) by name.
    #[serde(default)]
    pub volumes: Vec<String>,
}

/// The compared content of a task definition, built from the spec or read from AWS (and the
/// document `macroctl diff` compares).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TaskContent {
    pub cpu: String,
    pub memory: String,
    pub execution_role_arn: String,
    pub task_role_arn: String,
    pub cpu_architecture: Option<String>,
    /// By container name.
    pub containers: BTreeMap<String, ContainerContent>,
    /// Task volume names, sorted.
    pub volumes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContainerContent {
    pub image: String,
    pub cpu: i32,
    pub memory_mib: Option<i32>,
    pub essential: bool,
    pub ports: Vec<String>,
    pub environment: BTreeMap<String, String>,
    /// Variable name → `valueFrom` (a secret ARN and key, never a value).
    pub secrets: BTreeMap<String, String>,
    pub log: Option<String>,
    pub read_only_root_filesystem: bool,
    /// `volume:path`, sorted.
    pub mounts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TaskDefinitionLive {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    pub status: String,
    pub content: TaskContent,
    pub tags: Tags,
}

pub struct TaskDefinition;

/// The image a container spec resolves to.
pub fn image_of(container: &ContainerSpec, resolver: &Resolver) -> String {
    match &container.image {
        ImageSource::Literal(image) => image.clone(),
        ImageSource::Repository { repository, tag } => {
            format!("{}:{tag}", resolver.get(repository))
        }
    }
}

fn log_text(group: &str, region: &str, prefix: &str) -> String {
    format!("awslogs {group} ({region}, prefix {prefix})")
}

pub fn desired_content(spec: &TaskDefinitionSpec, resolver: &Resolver) -> TaskContent {
    TaskContent {
        cpu: spec.cpu.clone(),
        memory: spec.memory.clone(),
        execution_role_arn: resolver.get(&spec.execution_role),
        task_role_arn: resolver.get(&spec.task_role),
        cpu_architecture: Some("ARM64".into()),
        containers: spec
            .containers
            .iter()
            .map(|container| {
                (
                    container.name.clone(),
                    ContainerContent {
                        image: image_of(container, resolver),
                        cpu: container.cpu,
                        memory_mib: container.memory_mib,
                        essential: container.essential,
                        ports: container
                            .ports
                            .iter()
                            .map(|(port, protocol)| format!("{port}/{protocol}"))
                            .collect(),
                        environment: environment_of(container, resolver).into_iter().collect(),
                        secrets: container
                            .secrets
                            .iter()
                            .map(|secret| {
                                (
                                    secret.name.clone(),
                                    format!("{}:{}::", resolver.get(&secret.secret), secret.key),
                                )
                            })
                            .collect(),
                        log: container.log.as_ref().map(|log| {
                            log_text(&resolver.get(&log.group), &spec.region, &log.stream_prefix)
                        }),
                        read_only_root_filesystem: container.read_only_root_filesystem,
                        mounts: storage::desired_mounts(container),
                    },
                )
            })
            .collect(),
        volumes: storage::desired_volumes(spec),
    }
}

pub fn content_of(definition: &aws_sdk_ecs::types::TaskDefinition) -> TaskContent {
    TaskContent {
        cpu: definition.cpu().unwrap_or_default().to_string(),
        memory: definition.memory().unwrap_or_default().to_string(),
        execution_role_arn: definition
            .execution_role_arn()
            .unwrap_or_default()
            .to_string(),
        task_role_arn: definition.task_role_arn().unwrap_or_default().to_string(),
        cpu_architecture: definition
            .runtime_platform()
            .and_then(|platform| platform.cpu_architecture())
            .map(|architecture| architecture.as_str().to_string()),
        containers: definition
            .container_definitions()
            .iter()
            .map(|container| {
                let options = container
                    .log_configuration()
                    .and_then(|log| log.options())
                    .cloned()
                    .unwrap_or_default();
                let option = |key: &str| options.get(key).cloned().unwrap_or_default();
                let (read_only_root_filesystem, mounts) = storage::live_container(container);
                (
                    container.name().unwrap_or_default().to_string(),
                    ContainerContent {
                        image: container.image().unwrap_or_default().to_string(),
                        cpu: container.cpu(),
                        memory_mib: container.memory(),
                        essential: container.essential().unwrap_or(true),
                        ports: container
                            .port_mappings()
                            .iter()
                            .map(|mapping| {
                                format!(
                                    "{}/{}",
                                    mapping.container_port().unwrap_or_default(),
                                    mapping
                                        .protocol()
                                        .map(|protocol| protocol.as_str())
                                        .unwrap_or("tcp")
                                )
                            })
                            .collect(),
                        environment: container
                            .environment()
                            .iter()
                            .filter_map(|pair| {
                                Some((pair.name()?.to_string(), pair.value()?.to_string()))
                            })
                            .collect(),
                        secrets: container
                            .secrets()
                            .iter()
                            .map(|secret| {
                                (secret.name().to_string(), secret.value_from().to_string())
                            })
                            .collect(),
                        log: container.log_configuration().map(|_| {
                            log_text(
                                &option("awslogs-group"),
                                &option("awslogs-region"),
                                &option("awslogs-stream-prefix"),
                            )
                        }),
                        read_only_root_filesystem,
                        mounts,
                    },
                )
            })
            .collect(),
        volumes: storage::live_volumes(definition),
    }
}

/// Field-by-field differences between two contents, named for people.
pub fn content_changes(live: &TaskContent, desired: &TaskContent) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut field =
        |name: String, old: String, new: String| compare(&mut changes, &name, &old, &new, false);
    field("cpu".into(), live.cpu.clone(), desired.cpu.clone());
    field("memory".into(), live.memory.clone(), desired.memory.clone());
    field(
        "execution_role_arn".into(),
        live.execution_role_arn.clone(),
        desired.execution_role_arn.clone(),
    );
    field(
        "task_role_arn".into(),
        live.task_role_arn.clone(),
        desired.task_role_arn.clone(),
    );
    if live.cpu_architecture.is_some() {
        field(
            "cpu_architecture".into(),
            live.cpu_architecture.clone().unwrap_or_default(),
            desired.cpu_architecture.clone().unwrap_or_default(),
        );
    }
    let names: std::collections::BTreeSet<&String> = live
        .containers
        .keys()
        .chain(desired.containers.keys())
        .collect();
    for name in names {
        match (live.containers.get(name), desired.containers.get(name)) {
            (Some(old), Some(new)) => {
                field(
                    format!("{name}.image"),
                    old.image.clone(),
                    new.image.clone(),
                );
                field(
                    format!("{name}.cpu"),
                    old.cpu.to_string(),
                    new.cpu.to_string(),
                );
                field(
                    format!("{name}.memory"),
                    super::shown(old.memory_mib),
                    super::shown(new.memory_mib),
                );
                field(
                    format!("{name}.essential"),
                    old.essential.to_string(),
                    new.essential.to_string(),
                );
                field(
                    format!("{name}.ports"),
                    old.ports.join(","),
                    new.ports.join(","),
                );
                field(
                    format!("{name}.environment"),
                    super::listed(old.environment.iter().map(|(k, v)| format!("{k}={v}"))),
                    super::listed(new.environment.iter().map(|(k, v)| format!("{k}={v}"))),
                );
                field(
                    format!("{name}.secrets"),
                    super::listed(old.secrets.keys()),
                    super::listed(new.secrets.keys()),
                );
                if old.secrets != new.secrets && old.secrets.keys().eq(new.secrets.keys()) {
                    field(
                        format!("{name}.secret_sources"),
                        "(previous secret ARNs)".into(),
                        "(new secret ARNs)".into(),
                    );
                }
                field(
                    format!("{name}.log"),
                    old.log.clone().unwrap_or_default(),
                    new.log.clone().unwrap_or_default(),
                );
            }
            (Some(_), None) => field(
                format!("container {name}"),
                "present".into(),
                "(absent)".into(),
            ),
            (None, Some(_)) => field(
                format!("container {name}"),
                "(absent)".into(),
                "present".into(),
            ),
            (None, None) => {}
        }
    }
    storage::changes(&mut changes, live, desired);
    changes
}

fn container_definition(
    region: &str,
    container: &ContainerSpec,
    resolver: &Resolver,
) -> ContainerDefinition {
    let mut builder = storage::with_storage(ContainerDefinition::builder(), container)
        .name(&container.name)
        .image(image_of(container, resolver))
        .cpu(container.cpu)
        .essential(container.essential)
        .set_memory(container.memory_mib)
        .set_port_mappings(Some(
            container
                .ports
                .iter()
                .map(|(port, protocol)| {
                    PortMapping::builder()
                        .container_port(*port)
                        .protocol(if protocol == "udp" {
                            TransportProtocol::Udp
                        } else {
                            TransportProtocol::Tcp
                        })
                        .build()
                })
                .collect(),
        ))
        .set_environment(Some(
            environment_of(container, resolver)
                .iter()
                .map(|(name, value)| KeyValuePair::builder().name(name).value(value).build())
                .collect(),
        ));
    let secrets: Result<Vec<Secret>, _> = container
        .secrets
        .iter()
        .map(|secret| {
            Secret::builder()
                .name(&secret.name)
                .value_from(format!("{}:{}::", resolver.get(&secret.secret), secret.key))
                .build()
        })
        .collect();
    if let Ok(secrets) = secrets {
        builder = builder.set_secrets(Some(secrets));
    }
    if let Some(log) = &container.log {
        if let Ok(configuration) = LogConfiguration::builder()
            .log_driver(LogDriver::Awslogs)
            .options("awslogs-group", resolver.get(&log.group))
            .options("awslogs-region", region)
            .options("awslogs-stream-prefix", &log.stream_prefix)
            .build()
        {
            builder = builder.log_configuration(configuration);
        }
    }
    builder.build()
}

/// Registers a new revision with the desired content and the identity tags; returns its ARN.
async fn register(
    ctx: &Ctx<'_>,
    who: &Identity,
    spec: &TaskDefinitionSpec,
    resolver: &Resolver,
) -> Result<String, AwsError> {
    let containers = spec
        .containers
        .iter()
        .map(|container| container_definition(&spec.region, container, resolver))
        .collect();
    let output = ctx
        .aws
        .ecs
        .register_task_definition()
        .family(&spec.family)
        .cpu(&spec.cpu)
        .memory(&spec.memory)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .runtime_platform(
            RuntimePlatform::builder()
                .cpu_architecture(CpuArchitecture::Arm64)
                .operating_system_family(OsFamily::Linux)
                .build(),
        )
        .execution_role_arn(resolver.get(&spec.execution_role))
        .task_role_arn(resolver.get(&spec.task_role))
        .set_container_definitions(Some(containers))
        .set_volumes(Some(storage::volumes(spec)))
        .set_tags(Some(tags::to_ecs(&who.tags)))
        .send()
        .await
        .op("RegisterTaskDefinition")?;
    output
        .task_definition()
        .and_then(|definition| definition.task_definition_arn())
        .map(str::to_string)
        .ok_or_else(|| AwsError::other("RegisterTaskDefinition", "AWS returned no task definition"))
}

fn live_of(definition: &aws_sdk_ecs::types::TaskDefinition, tags: Tags) -> TaskDefinitionLive {
    TaskDefinitionLive {
        arn: definition
            .task_definition_arn()
            .unwrap_or_default()
            .to_string(),
        family: definition.family().unwrap_or_default().to_string(),
        revision: definition.revision(),
        status: definition
            .status()
            .map(|status| status.as_str().to_string())
            .unwrap_or_default(),
        content: content_of(definition),
        tags,
    }
}

/// Whether ECS answered that the task definition asked for does not exist: it says so with a
/// plain `ClientException`, which only this kind can interpret.
fn is_missing(err: &AwsError) -> bool {
    err.code() == Some("ClientException")
        && (err.message.contains("Unable to describe") || err.message.contains("does not exist"))
}

/// The error, classified `NotFound` when it says the task definition does not exist.
fn missing_is_not_found(err: AwsError) -> AwsError {
    if is_missing(&err) {
        err.with_class(ErrorClass::NotFound)
    } else {
        err
    }
}

/// One revision (`family:revision` or ARN) with its tags; `None` when it does not exist or is
/// no longer ACTIVE (a deregistered revision cannot run new tasks).
async fn describe(
    ctx: &Ctx<'_>,
    task_definition: &str,
) -> Result<Option<TaskDefinitionLive>, AwsError> {
    let output = ctx
        .aws
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .op("DescribeTaskDefinition")
        .map_err(missing_is_not_found)
        .found()?;
    Ok(output.and_then(|output| {
        let tags = tags::from_ecs(output.tags());
        output
            .task_definition()
            .map(|definition| live_of(definition, tags))
            .filter(|live| live.status == "ACTIVE")
    }))
}

/// The revisions read while planning, by the ARN asked for (`None`: missing or no longer
/// ACTIVE); a revision asked about twice (concurrently or not) is described once.
#[derive(Default)]
struct Revisions(Mutex<HashMap<String, Arc<OnceCell<Option<TaskDefinitionLive>>>>>);

/// The run's [`Revisions`], made empty (no call) by the first read, shared by later ones:
/// revisions cannot be listed in one call, but they can be remembered.
struct Read;

impl Listing for Read {
    type Item = Arc<Revisions>;

    async fn list(_ctx: &Ctx<'_>) -> Result<Vec<Arc<Revisions>>, AwsError> {
        Ok(vec![Arc::default()])
    }
}

/// One revision: while planning, from the run's [`Revisions`] (described on first use);
/// otherwise described now.
async fn revision(
    ctx: &Ctx<'_>,
    task_definition: &str,
) -> Result<Option<TaskDefinitionLive>, AwsError> {
    if !ctx.cached {
        return describe(ctx, task_definition).await;
    }
    let read = ctx.inventory.listed::<Read>(ctx).await?;
    let Some(revisions) = read.first() else {
        return describe(ctx, task_definition).await;
    };
    let cell = {
        let mut cells = revisions.0.lock().unwrap_or_else(|e| e.into_inner());
        cells
            .entry(task_definition.to_string())
            .or_default()
            .clone()
    };
    cell.get_or_try_init(|| describe(ctx, task_definition))
        .await
        .cloned()
}

/// The revision number in a task definition ARN of `family`
/// (`arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION`).
fn revision_of(arn: &str, family: &str) -> Option<i32> {
    let (_, name) = arn.rsplit_once(":task-definition/")?;
    let (found, revision) = name.rsplit_once(':')?;
    (found == family).then(|| revision.parse().ok())?
}

/// The ARN of the family's latest ACTIVE revision. Listed rather than described by family
/// name: the emulator's DescribeTaskDefinition of a family answers its latest revision even
/// when that one is deregistered, and ignores the listing's order, hence the highest revision
/// is taken. (`familyPrefix` is the exact family, on AWS and in the emulator: one call per
/// family.)
async fn latest(ctx: &Ctx<'_>, family: &str) -> Result<Option<String>, AwsError> {
    let output = ctx
        .aws
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .send()
        .await
        .op("ListTaskDefinitions")?;
    let newest = output
        .task_definition_arns()
        .iter()
        .filter_map(|arn| Some((revision_of(arn, family)?, arn)))
        .max_by_key(|(revision, _)| *revision);
    Ok(newest.map(|(_, arn)| arn.clone()))
}

/// The revision the current release runs (when it is still ACTIVE), then the family's latest:
/// the ones `up` keeps, or reuses instead of registering, when their content is the desired.
async fn candidates(
    ctx: &Ctx<'_>,
    spec: &TaskDefinitionSpec,
) -> Result<Vec<TaskDefinitionLive>, AwsError> {
    let mut found = Vec::new();
    if let Some(arn) = &spec.preferred_arn {
        found.extend(revision(ctx, arn).await?);
    }
    if let Some(latest) = latest(ctx, &spec.family).await? {
        // The current release's revision is not read twice.
        let known = spec.preferred_arn.as_ref() == Some(&latest)
            || found.iter().any(|live| live.arn == latest);
        if !known {
            found.extend(revision(ctx, &latest).await?);
        }
    }
    Ok(found)
}

/// An existing revision with the desired content, else a new one: a repeat after a lost
/// response finds what the first attempt registered instead of registering it again.
async fn existing_or_register(
    ctx: &Ctx<'_>,
    who: &Identity,
    spec: &TaskDefinitionSpec,
    resolver: &Resolver,
) -> Result<String, AwsError> {
    let desired = desired_content(spec, resolver);
    let same = candidates(ctx, spec)
        .await?
        .into_iter()
        .find(|live| content_changes(&live.content, &desired).is_empty());
    match same {
        Some(live) => Ok(live.arn),
        None => register(ctx, who, spec, resolver).await,
    }
}

/// A revision being deleted for good is as good as gone; an INACTIVE one (deregistered)
/// still exists, tagged, until `DeleteTaskDefinitions`.
fn deletion_of(status: &str) -> Deletion {
    match status {
        "DELETE_IN_PROGRESS" => Deletion::Gone,
        _ => Deletion::Present,
    }
}

#[path = "task_definition_teardown.rs"]
mod teardown;

#[path = "task_definition_storage.rs"]
pub mod storage;

impl Kind for TaskDefinition {
    const KIND: &'static str = "ecs:task-definition";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The create looks for a revision with the desired content before it registers one.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "family", "revision"];
    type Spec = TaskDefinitionSpec;
    type Live = TaskDefinitionLive;

    fn refs(spec: &TaskDefinitionSpec) -> Vec<Ref> {
        let mut refs = vec![spec.execution_role.clone(), spec.task_role.clone()];
        for container in &spec.containers {
            if let ImageSource::Repository { repository, .. } = &container.image {
                refs.push(repository.clone());
            }
            refs.extend(container.secrets.iter().map(|secret| secret.secret.clone()));
            refs.extend(container.log.iter().map(|log| log.group.clone()));
            refs.extend(container.environment_refs.iter().map(|(_, r)| r.clone()));
        }
        refs
    }

    /// By ARN; by identity, the current release's revision if it is still ACTIVE, else the
    /// family's latest ACTIVE revision.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &TaskDefinitionSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<TaskDefinitionLive>, AwsError> {
        match lookup {
            Lookup::Id(arn) => revision(ctx, arn).await,
            Lookup::Identity => Ok(candidates(ctx, spec).await?.into_iter().next()),
        }
    }

    fn diff(
        spec: &TaskDefinitionSpec,
        live: &TaskDefinitionLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        content_changes(&live.content, &desired_content(spec, resolver))
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &TaskDefinitionSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        existing_or_register(ctx, who, spec, resolver).await
    }

    /// A new revision (task definitions cannot be changed in place), unless the current
    /// release's or the family's latest revision already has the desired content.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &TaskDefinitionSpec,
        live: &TaskDefinitionLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let arn = existing_or_register(ctx, who, spec, resolver).await?;
        Ok((arn != live.arn).then_some(arn))
    }

    fn tags(live: &TaskDefinitionLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &TaskDefinitionLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ecs(&ctx.aws.ecs, &live.arn, changes).await
    }

    /// Deletes the family's revisions for good (see `task_definition_teardown.rs`): every
    /// ACTIVE one deregistered, then every INACTIVE one deleted (`DeleteTaskDefinitions`), so
    /// nothing of the family is left tagged for the environment.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &TaskDefinitionLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        teardown::delete_family(ctx, &live.family).await?;
        Ok(Deleted::Requested)
    }

    fn deletion(live: &TaskDefinitionLive) -> Deletion {
        deletion_of(&live.status)
    }

    fn physical_id(live: &TaskDefinitionLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &TaskDefinitionLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("family".into(), live.family.clone()),
            ("revision".into(), live.revision.to_string()),
        ])
    }

    fn status(live: &TaskDefinitionLive) -> String {
        format!(
            "{}:{} {}",
            live.family,
            live.revision,
            live.status.to_lowercase()
        )
    }
}

#[cfg(test)]
#[path = "task_definition_tests.rs"]
mod tests;
