//! The RDS PostgreSQL instance (pgvector ships with PostgreSQL ≥ 15 on RDS).
//!
//! Every modifiable difference becomes one `ModifyDBInstance`, applied at once or in the
//! maintenance window per the environment (`--apply-immediately` overrides). Differences AWS
//! cannot apply in place (another engine, a smaller disk, a downgrade, turning encryption
//! off) are `replace`, which `up` refuses. Pending modifications count as the live value, so
//! a change waiting for the maintenance window is not requested again on every run. The master
//! password is read from the credentials secret at creation and goes nowhere else.

use super::db_subnet_group::rds_tags;
use super::{
    compare, secret, wait_until, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::output::Event;

#[derive(Debug, Clone)]
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
    }
}

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

/// Waits until the instance is `available`, showing its status meanwhile.
async fn wait_available(
    ctx: &Ctx<'_>,
    who: &Identity,
    identifier: &str,
) -> Result<DbInstanceLive, AwsError> {
    wait_until(
        ctx,
        who,
        DbInstance::KIND,
        &format!("DB instance {identifier} to become available"),
        "DescribeDBInstances",
        || async {
            match describe(ctx, identifier).await? {
                Some(live) if live.status == "available" => Ok(Ok(live)),
                Some(live)
                    if matches!(
                        live.status.as_str(),
                        "failed"
                            | "incompatible-parameters"
                            | "incompatible-network"
                            | "storage-full"
                            | "deleting"
                    ) =>
                {
                    Err(AwsError::other(
                        "DescribeDBInstances",
                        format!(
                            "DB instance {identifier} is {} instead of available",
                            live.status
                        ),
                    ))
                }
                Some(live) => Ok(Err(live.status)),
                None => Ok(Err("not visible yet".to_string())),
            }
        },
    )
    .await
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
    changes
}

impl Kind for DbInstance {
    const KIND: &'static str = "rds:db-instance";
    type Spec = DbInstanceSpec;
    type Live = DbInstanceLive;

    fn refs(spec: &DbInstanceSpec) -> Vec<Ref> {
        vec![
            spec.subnet_group.clone(),
            spec.parameter_group.clone(),
            spec.security_group.clone(),
            spec.credentials.clone(),
        ]
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbInstanceSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<DbInstanceLive>, AwsError> {
        describe(ctx, &spec.identifier).await
    }

    fn diff(spec: &DbInstanceSpec, live: &DbInstanceLive, resolver: &Resolver) -> Vec<FieldChange> {
        changes_of(spec, live, resolver)
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &DbInstanceSpec,
        resolver: &Resolver,
    ) -> Result<DbInstanceLive, AwsError> {
        let credentials =
            secret::read_object(&ctx.aws.secrets, &resolver.get(&spec.credentials)).await?;
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
        ctx.aws
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
            .auto_minor_version_upgrade(true)
            .set_tags(Some(rds_tags(who)))
            .send()
            .await
            .op("CreateDBInstance")?;
        let live = wait_available(ctx, who, &spec.identifier).await?;
        ctx.reporter.report(Event::Info {
            message: format!(
                "{}: PostgreSQL is available at {}:{}. pgvector is installed per database by SQL, not by AWS: connect as {} (password in secret {}) and run `CREATE EXTENSION IF NOT EXISTS vector;`",
                who.id,
                live.endpoint,
                live.port,
                spec.master_username,
                resolver.get(&spec.credentials)
            ),
        });
        Ok(live)
    }

    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &DbInstanceSpec,
        live: &DbInstanceLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<DbInstanceLive, AwsError> {
        let apply_immediately = spec.apply_immediately || ctx.apply_immediately;
        let mut request = ctx
            .aws
            .rds
            .modify_db_instance()
            .db_instance_identifier(&live.identifier)
            .apply_immediately(apply_immediately);
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
                _ => request,
            };
        }
        request.send().await.op("ModifyDBInstance")?;
        if !apply_immediately {
            ctx.reporter.report(Event::Info {
                message: format!(
                    "{}: modification of {} scheduled for the next maintenance window (use --apply-immediately to apply it now)",
                    who.id,
                    changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        wait_available(ctx, who, &live.identifier).await
    }

    async fn settle(
        ctx: &Ctx<'_>,
        who: &Identity,
        live: DbInstanceLive,
    ) -> Result<DbInstanceLive, AwsError> {
        // A run killed while the instance was being created waits for it again; other
        // transient states (backing-up, modifying) do not block anything that depends on it.
        if live.status != "creating" {
            return Ok(live);
        }
        wait_available(ctx, who, &live.identifier).await
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
