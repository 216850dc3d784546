//! The RDS PostgreSQL instance (pgvector ships with PostgreSQL ≥ 15 on RDS).
//!
//! Found by its identifier, which is unique in the account and region and is its physical
//! id; `DescribeDBInstances` carries its tags (`TagList`). While planning, the environment's
//! instances come from one `DescribeDBInstances` filtered by the desired identifiers
//! (`db-instance-id`); a recorded identifier missing from it is read directly, as is
//! everything when a fresh answer is needed (`ctx.cached == false`). The create is one
//! `CreateDBInstance` with everything the spec says and the master password read from the
//! credentials secret (which goes nowhere else); it does not wait: the instance is `Pending`
//! while `creating` (5–15 minutes on AWS), and the engine waits for it.
//!
//! Every modifiable difference becomes one `ModifyDBInstance`, applied at once or in the
//! maintenance window per the environment (`--apply-immediately` overrides). Differences AWS
//! cannot apply in place (another engine, a smaller disk, a downgrade, turning encryption
//! off) are `replace`, which `up` refuses. Pending modifications count as the live value, so
//! a change waiting for the maintenance window is not requested again on every run (and a
//! `ModifyDBInstance` whose answer was lost is not asked for twice).
//!
//! The security settings (IAM authentication, log exports, enhanced monitoring, minor version
//! upgrades, copying tags to snapshots, the master user name) are read, compared and modified
//! by `db_instance_security`; RDS applies all of them at once, maintenance window or not.

use super::db_instance_security::{self as security, DbInstanceSecurity, DbInstanceSecurityLive};
use super::inventory::Listing;
use super::{
    compare, secret, tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange,
    Identity, IdentityKind, Kind, Lookup, Outputs, Readiness, Ref, Resolver, Spec, TagChanges,
    Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::output::Event;
use aws_sdk_rds::types::Filter;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DbInstanceSpec {
    pub identifier: String,
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage_gib: i32,
    pub max_allocated_storage_gib: i32,
    pub storage_type: String,
    pub multi_az: bool,
    pub deletion_protection: bool,
    pub backup_retention_days: i32,
    pub performance_insights: bool,
    pub database_name: String,
    pub master_username: String,
    pub port: i32,
    pub apply_immediately: bool,
    pub subnet_group: Ref,
    pub parameter_group: Ref,
    pub security_group: Ref,
    pub credentials: Ref,
    /// IAM authentication, log exports, enhanced monitoring, minor version upgrades.
    #[serde(default)]
    pub security: DbInstanceSecurity,
}

#[derive(Debug, Clone)]
pub struct DbInstanceLive {
    pub identifier: String,
    pub arn: String,
    pub status: String,
    pub engine: String,
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage_gib: i32,
    pub max_allocated_storage_gib: i32,
    pub storage_type: String,
    pub multi_az: bool,
    pub deletion_protection: bool,
    pub backup_retention_days: i32,
    /// `None` when AWS does not report it (the emulator never does).
    pub performance_insights: Option<bool>,
    pub storage_encrypted: bool,
    pub publicly_accessible: bool,
    pub endpoint: String,
    pub port: i32,
    pub subnet_group: String,
    pub parameter_group: String,
    pub security_groups: Vec<String>,
    /// Fields with a modification waiting for the maintenance window.
    pub pending: Vec<String>,
    pub security: DbInstanceSecurityLive,
    pub tags: Tags,
}

pub struct DbInstance;

const ENGINE: &str = "postgres";

/// `16.4` < `16.10` < `17.1`, comparing numerically part by part.
fn version_less(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    parts(a) < parts(b)
}

fn live_of(instance: &aws_sdk_rds::types::DbInstance) -> DbInstanceLive {
    let pending = instance.pending_modified_values();
    let mut pending_fields = Vec::new();
    let mut class = instance.db_instance_class().unwrap_or_default().to_string();
    let mut storage = instance.allocated_storage().unwrap_or_default();
    let mut retention = instance.backup_retention_period().unwrap_or_default();
    let mut multi_az = instance.multi_az().unwrap_or(false);
    let mut storage_type = instance.storage_type().unwrap_or_default().to_string();
    let mut engine_version = instance.engine_version().unwrap_or_default().to_string();
    if let Some(pending) = pending {
        if let Some(value) = pending.db_instance_class() {
            class = value.to_string();
            pending_fields.push("instance_class".to_string());
        }
        if let Some(value) = pending.allocated_storage() {
            storage = value;
            pending_fields.push("allocated_storage".to_string());
        }
        if let Some(value) = pending.backup_retention_period() {
            retention = value;
            pending_fields.push("backup_retention_period".to_string());
        }
        if let Some(value) = pending.multi_az() {
            multi_az = value;
            pending_fields.push("multi_az".to_string());
        }
        if let Some(value) = pending.storage_type() {
            storage_type = value.to_string();
            pending_fields.push("storage_type".to_string());
        }
        if let Some(value) = pending.engine_version() {
            engine_version = value.to_string();
            pending_fields.push("engine_version".to_string());
        }
    }
    let mut security_groups: Vec<String> = instance
        .vpc_security_groups()
        .iter()
        .filter_map(|group| group.vpc_security_group_id().map(str::to_string))
        .collect();
    security_groups.sort();
    let security = security::security_of(instance, &mut pending_fields);
    DbInstanceLive {
        identifier: instance
            .db_instance_identifier()
            .unwrap_or_default()
            .to_string(),
        arn: instance.db_instance_arn().unwrap_or_default().to_string(),
        status: instance
            .db_instance_status()
            .unwrap_or_default()
            .to_string(),
        engine: instance.engine().unwrap_or_default().to_string(),
        engine_version,
        instance_class: class,
        allocated_storage_gib: storage,
        max_allocated_storage_gib: instance.max_allocated_storage().unwrap_or_default(),
        storage_type,
        multi_az,
        deletion_protection: instance.deletion_protection().unwrap_or(false),
        backup_retention_days: retention,
        performance_insights: instance.performance_insights_enabled(),
        storage_encrypted: instance.storage_encrypted().unwrap_or(false),
        publicly_accessible: instance.publicly_accessible().unwrap_or(false),
        endpoint: instance
            .endpoint()
            .and_then(|endpoint| endpoint.address())
            .unwrap_or_default()
            .to_string(),
        port: instance
            .endpoint()
            .and_then(|endpoint| endpoint.port())
            .unwrap_or_default(),
        subnet_group: instance
            .db_subnet_group()
            .and_then(|group| group.db_subnet_group_name())
            .unwrap_or_default()
            .to_string(),
        parameter_group: instance
            .db_parameter_groups()
            .first()
            .and_then(|group| group.db_parameter_group_name())
            .unwrap_or_default()
            .to_string(),
        security_groups,
        pending: pending_fields,
        security,
        tags: tags::from_rds(instance.tag_list()),
    }
}

fn changes_of(
    spec: &DbInstanceSpec,
    live: &DbInstanceLive,
    resolver: &Resolver,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut field = |name: &str, old: String, new: String, replace: bool| {
        compare(&mut changes, name, &old, &new, replace)
    };
    field("engine", live.engine.clone(), ENGINE.into(), true);
    field(
        "engine_version",
        live.engine_version.clone(),
        spec.engine_version.clone(),
        version_less(&spec.engine_version, &live.engine_version),
    );
    field(
        "instance_class",
        live.instance_class.clone(),
        spec.instance_class.clone(),
        false,
    );
    field(
        "allocated_storage_gib",
        live.allocated_storage_gib.to_string(),
        spec.allocated_storage_gib.to_string(),
        spec.allocated_storage_gib < live.allocated_storage_gib,
    );
    field(
        "max_allocated_storage_gib",
        live.max_allocated_storage_gib.to_string(),
        spec.max_allocated_storage_gib.to_string(),
        false,
    );
    field(
        "storage_type",
        live.storage_type.clone(),
        spec.storage_type.clone(),
        false,
    );
    field(
        "multi_az",
        live.multi_az.to_string(),
        spec.multi_az.to_string(),
        false,
    );
    field(
        "deletion_protection",
        live.deletion_protection.to_string(),
        spec.deletion_protection.to_string(),
        false,
    );
    field(
        "backup_retention_days",
        live.backup_retention_days.to_string(),
        spec.backup_retention_days.to_string(),
        false,
    );
    if let Some(enabled) = live.performance_insights {
        field(
            "performance_insights",
            enabled.to_string(),
            spec.performance_insights.to_string(),
            false,
        );
    }
    field(
        "storage_encrypted",
        live.storage_encrypted.to_string(),
        "true".into(),
        true,
    );
    field(
        "publicly_accessible",
        live.publicly_accessible.to_string(),
        "false".into(),
        false,
    );
    field("port", live.port.to_string(), spec.port.to_string(), false);
    field(
        "db_subnet_group",
        live.subnet_group.clone(),
        resolver.get(&spec.subnet_group),
        true,
    );
    field(
        "db_parameter_group",
        live.parameter_group.clone(),
        resolver.get(&spec.parameter_group),
        false,
    );
    field(
        "vpc_security_group_ids",
        live.security_groups.join(","),
        resolver.get(&spec.security_group),
        false,
    );
    security::security_changes(
        &mut changes,
        &spec.master_username,
        &spec.security,
        &live.security,
        resolver,
    );
    changes
}

/// What an instance `status` means for what depends on it.
fn readiness_of(identifier: &str, status: &str) -> Readiness {
    let why = || format!("DB instance {identifier} is {status}");
    match status {
        // Not usable yet, and will be.
        "creating" | "starting" | "rebooting" | "renaming" | "moving-to-vpc"
        | "converting-to-vpc" => Readiness::Pending(why()),
        // Usable, but applying a change (waited for only after this run changed it).
        "modifying"
        | "backing-up"
        | "maintenance"
        | "upgrading"
        | "configuring-enhanced-monitoring"
        | "configuring-iam-database-auth"
        | "configuring-log-exports"
        | "configuring-activity-stream"
        | "resetting-master-credentials"
        | "storage-config-upgrade" => Readiness::Busy(why()),
        // Will not become available by waiting.
        "failed"
        | "storage-full"
        | "deleting"
        | "delete-precheck"
        | "restore-error"
        | "insufficient-capacity"
        | "inaccessible-encryption-credentials"
        | "inaccessible-encryption-credentials-recoverable" => Readiness::Failed(why()),
        other if other.starts_with("incompatible-") => Readiness::Failed(why()),
        // `available`; `storage-optimization` (usable, and lasting up to hours after a storage
        // change: the change itself is done); `stopped` / `stopping` (someone stopped it on
        // purpose: `up` goes on as it always did, and `status` shows it).
        _ => Readiness::Ready,
    }
}

/// One instance, directly, by identifier.
async fn describe(ctx: &Ctx<'_>, identifier: &str) -> Result<Option<DbInstanceLive>, AwsError> {
    Ok(ctx
        .aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .op("DescribeDBInstances")
        .found()?
        .and_then(|output| output.db_instances().first().map(live_of)))
}

/// What RDS answers a deletion step (turning protection off, deleting) for an instance
/// already `deleting`, and a deletion for a final snapshot of that name already taken.
const REFUSED_WHILE_DELETING: &[&str] = &[
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    "DBSnapshotAlreadyExists",
    "DBSnapshotAlreadyExistsFault",
];

/// A deletion step RDS refused: done already when the refusal is one it gives an instance
/// being deleted and the instance is (or is gone). The engine repeats a step whose answer was
/// lost with the live it had, so the instance may well be deleting by then; only a read tells.
async fn refused(ctx: &Ctx<'_>, identifier: &str, err: AwsError) -> Result<Deleted, AwsError> {
    if !err
        .code()
        .is_some_and(|code| REFUSED_WHILE_DELETING.contains(&code))
    {
        return Err(err);
    }
    match describe(ctx, identifier).await? {
        Some(now) if deletion_of(&now.status) == Deletion::Present => Err(err),
        _ => Ok(Deleted::Requested),
    }
}

/// How far an instance's deletion has got, by its `status` (a deleted instance is simply no
/// longer described).
fn deletion_of(status: &str) -> Deletion {
    match status {
        "deleting" | "delete-precheck" => Deletion::Deleting(status.to_string()),
        _ => Deletion::Present,
    }
}

impl Kind for DbInstance {
    const KIND: &'static str = "rds:db-instance";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The identifier is unique: a repeat answers DBInstanceAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["identifier", "arn", "endpoint", "port"];
    type Spec = DbInstanceSpec;
    type Live = DbInstanceLive;

    fn refs(spec: &DbInstanceSpec) -> Vec<Ref> {
        let mut refs = vec![
            spec.subnet_group.clone(),
            spec.parameter_group.clone(),
            spec.security_group.clone(),
            spec.credentials.clone(),
        ];
        refs.extend(spec.security.monitoring_role.clone());
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbInstanceSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<DbInstanceLive>, AwsError> {
        // The physical id is the identifier.
        let identifier = match lookup {
            Lookup::Id(identifier) => identifier,
            Lookup::Identity => &spec.identifier,
        };
        if ctx.cached {
            let listed = ctx.inventory.listed::<Instances>(ctx).await?;
            if let Some(live) = pick(&listed, identifier) {
                return Ok(Some(live.clone()));
            }
            // The listing holds every instance of the environment's identifiers.
            if lookup == Lookup::Identity {
                return Ok(None);
            }
        }
        describe(ctx, identifier).await
    }

    fn diff(spec: &DbInstanceSpec, live: &DbInstanceLive, resolver: &Resolver) -> Vec<FieldChange> {
        changes_of(spec, live, resolver)
    }

    /// Reads the master password from the credentials secret (a read), then makes the one
    /// `CreateDBInstance`, with the tags. Since it does not wait, the pgvector instructions
    /// are printed here, once, when the instance is first asked for.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &DbInstanceSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let credentials_secret = resolver.get(&spec.credentials);
        let credentials = secret::read_object(&ctx.aws.secrets, &credentials_secret).await?;
        let password = secret::SecretValue::new(
            credentials
                .get("password")
                .and_then(|value| value.as_str())
                .ok_or_else(|| {
                    AwsError::other(
                        "GetSecretValue",
                        "the database credentials secret has no password",
                    )
                })?
                .to_string(),
        );
        drop(credentials);
        let output = ctx
            .aws
            .rds
            .create_db_instance()
            .db_instance_identifier(&spec.identifier)
            .engine(ENGINE)
            .engine_version(&spec.engine_version)
            .db_instance_class(&spec.instance_class)
            .allocated_storage(spec.allocated_storage_gib)
            .max_allocated_storage(spec.max_allocated_storage_gib)
            .storage_type(&spec.storage_type)
            .storage_encrypted(true)
            .publicly_accessible(false)
            .multi_az(spec.multi_az)
            .deletion_protection(spec.deletion_protection)
            .backup_retention_period(spec.backup_retention_days)
            .enable_performance_insights(spec.performance_insights)
            .db_name(&spec.database_name)
            .master_username(&spec.master_username)
            .master_user_password(password.expose())
            .port(spec.port)
            .db_subnet_group_name(resolver.get(&spec.subnet_group))
            .db_parameter_group_name(resolver.get(&spec.parameter_group))
            .vpc_security_group_ids(resolver.get(&spec.security_group))
            .copy_tags_to_snapshot(true)
            .auto_minor_version_upgrade(spec.security.auto_minor_version_upgrade)
            .enable_iam_database_authentication(spec.security.iam_authentication)
            .set_enable_cloudwatch_logs_exports(Some(spec.security.log_exports.clone()))
            .monitoring_interval(spec.security.monitoring_interval_seconds)
            .set_monitoring_role_arn(
                (spec.security.monitoring_role.as_ref())
                    .filter(|_| spec.security.monitoring_interval_seconds > 0)
                    .map(|role| resolver.get(role)),
            )
            .set_tags(Some(tags::to_rds(&who.tags)))
            .send()
            .await
            .op("CreateDBInstance")?;
        let identifier = output
            .db_instance()
            .and_then(|instance| instance.db_instance_identifier())
            .unwrap_or(&spec.identifier)
            .to_string();
        ctx.reporter.report(Event::Info {
            message: format!(
                "{}: PostgreSQL instance {identifier} is being created (several minutes on AWS); `macroctl status` shows its endpoint once it is available. pgvector is installed per database by SQL, not by AWS: once `up` has finished, `macroctl db enable-pgvector --env {}` runs `CREATE EXTENSION IF NOT EXISTS vector;` inside the VPC as {} (password in secret {credentials_secret})",
                who.id, ctx.env, spec.master_username,
            ),
        });
        Ok(identifier)
    }

    /// One `ModifyDBInstance` with every changed field (setting a field to the value it is
    /// being changed to again is harmless). Only fields RDS defers are said to wait for the
    /// maintenance window: the security settings never do.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &DbInstanceSpec,
        live: &DbInstanceLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let apply_immediately = spec.apply_immediately || ctx.apply_immediately;
        let mut request = ctx
            .aws
            .rds
            .modify_db_instance()
            .db_instance_identifier(&live.identifier)
            .apply_immediately(apply_immediately);
        // Fields RDS applies in the maintenance window unless told otherwise, and the ones it
        // applies at once whatever it is told.
        let mut modified = Vec::new();
        let mut modified_at_once = Vec::new();
        for change in changes {
            request = match change.field.as_str() {
                "engine_version" => request
                    .engine_version(&spec.engine_version)
                    .allow_major_version_upgrade(true),
                "instance_class" => request.db_instance_class(&spec.instance_class),
                "allocated_storage_gib" => request.allocated_storage(spec.allocated_storage_gib),
                "max_allocated_storage_gib" => {
                    request.max_allocated_storage(spec.max_allocated_storage_gib)
                }
                "storage_type" => request.storage_type(&spec.storage_type),
                "multi_az" => request.multi_az(spec.multi_az),
                "deletion_protection" => request.deletion_protection(spec.deletion_protection),
                "backup_retention_days" => {
                    request.backup_retention_period(spec.backup_retention_days)
                }
                "performance_insights" => {
                    request.enable_performance_insights(spec.performance_insights)
                }
                "publicly_accessible" => request.publicly_accessible(false),
                "port" => request.db_port_number(spec.port),
                "db_parameter_group" => {
                    request.db_parameter_group_name(resolver.get(&spec.parameter_group))
                }
                "vpc_security_group_ids" => {
                    request.vpc_security_group_ids(resolver.get(&spec.security_group))
                }
                field if security::modifiable(field) => {
                    security::modify(request, field, &spec.security, &live.security, resolver)
                }
                _ => continue,
            };
            if security::modifiable(&change.field) {
                modified_at_once.push(change.field.as_str());
            } else {
                modified.push(change.field.as_str());
            }
        }
        if modified.is_empty() && modified_at_once.is_empty() {
            return Ok(None);
        }
        request.send().await.op("ModifyDBInstance")?;
        if !apply_immediately && !modified.is_empty() {
            ctx.reporter.report(Event::Info {
                message: format!(
                    "{}: modification of {} scheduled for the next maintenance window (use --apply-immediately to apply it now)",
                    who.id,
                    modified.join(", ")
                ),
            });
        }
        Ok(None)
    }

    fn readiness(live: &DbInstanceLive) -> Readiness {
        readiness_of(&live.identifier, &live.status)
    }

    fn tags(live: &DbInstanceLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &DbInstanceLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_rds(&ctx.aws.rds, &live.arn, changes).await
    }

    /// Turns deletion protection off first when it is on (`destroy` gets that far only with
    /// `--disable-deletion-protection`), then deletes the instance with the final snapshot the
    /// options name, or none with `--skip-final-snapshot`. Automated backups go with it (AWS's
    /// default): the final snapshot is what is kept. An instance already being deleted is not
    /// asked again (RDS would refuse it: see [`refused`]).
    async fn delete(
        ctx: &Ctx<'_>,
        live: &DbInstanceLive,
        options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        if deletion_of(&live.status) != Deletion::Present {
            return Ok(Deleted::Requested);
        }
        let rds = &ctx.aws.rds;
        if live.deletion_protection && options.disable_deletion_protection {
            let modified = rds
                .modify_db_instance()
                .db_instance_identifier(&live.identifier)
                .deletion_protection(false)
                .apply_immediately(true)
                .send()
                .await
                .op("ModifyDBInstance");
            // DBInstanceNotFound: already gone.
            match modified.found() {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(Deleted::Requested),
                Err(err) => return refused(ctx, &live.identifier, err).await,
            }
        }
        let request = rds
            .delete_db_instance()
            .db_instance_identifier(&live.identifier);
        let request = match &options.final_snapshot {
            Some(snapshot) => request
                .skip_final_snapshot(false)
                .final_db_snapshot_identifier(snapshot),
            None => request.skip_final_snapshot(true),
        };
        match request.send().await.op("DeleteDBInstance").found() {
            Ok(_) => Ok(Deleted::Requested),
            Err(err) => refused(ctx, &live.identifier, err).await,
        }
    }

    fn deletion(live: &DbInstanceLive) -> Deletion {
        deletion_of(&live.status)
    }

    fn protection(live: &DbInstanceLive) -> Option<&'static str> {
        live.deletion_protection.then_some("deletion_protection")
    }

    fn physical_id(live: &DbInstanceLive) -> String {
        live.identifier.clone()
    }

    fn outputs(live: &DbInstanceLive) -> Outputs {
        Outputs::from([
            ("identifier".into(), live.identifier.clone()),
            ("arn".into(), live.arn.clone()),
            ("endpoint".into(), live.endpoint.clone()),
            ("port".into(), live.port.to_string()),
        ])
    }

    fn status(live: &DbInstanceLive) -> String {
        let mut status = format!("{} {}:{}", live.status, live.endpoint, live.port);
        if !live.pending.is_empty() {
            status.push_str(&format!(" (pending: {})", live.pending.join(", ")));
        }
        status
    }
}

// --- Reading ---------------------------------------------------------------------------------

/// How many identifiers one `DescribeDBInstances` filter is given.
const IDENTIFIERS_PER_CALL: usize = 100;

/// This environment's DB instances while planning: `DescribeDBInstances` filtered by the
/// desired identifiers (`db-instance-id`), and kept by them here too.
struct Instances;

impl Listing for Instances {
    type Item = DbInstanceLive;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<DbInstanceLive>, AwsError> {
        let identifiers: Vec<String> = ctx
            .desired_of(|spec| match spec {
                Spec::DbInstance(instance) => Some(instance),
                _ => None,
            })
            .into_iter()
            .map(|instance| instance.identifier.clone())
            .collect();
        let mut all = Vec::new();
        for chunk in identifiers.chunks(IDENTIFIERS_PER_CALL) {
            let filter = Filter::builder()
                .name("db-instance-id")
                .set_values(Some(chunk.to_vec()))
                .build();
            let mut pages = ctx
                .aws
                .rds
                .describe_db_instances()
                .filters(filter)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                all.extend(
                    page.op("DescribeDBInstances")?
                        .db_instances()
                        .iter()
                        .map(live_of),
                );
            }
        }
        Ok(named(all, &identifiers))
    }
}

/// The instances whose identifiers are one of `identifiers`.
fn named(listed: Vec<DbInstanceLive>, identifiers: &[String]) -> Vec<DbInstanceLive> {
    listed
        .into_iter()
        .filter(|live| identifiers.contains(&live.identifier))
        .collect()
}

fn pick<'a>(listed: &'a [DbInstanceLive], identifier: &str) -> Option<&'a DbInstanceLive> {
    listed.iter().find(|live| live.identifier == identifier)
}

#[cfg(test)]
#[path = "db_instance_tests.rs"]
mod tests;
