//! The data layer: the credentials and API secrets, RDS PostgreSQL (subnet group, parameter
//! group, instance) and ElastiCache Redis (subnet group, replication group).
//!
//! The database is built to AWS Foundational Security Best Practices by default (each an env
//! file key, see `config::database`): the parameter group sets `rds.force_ssl`, the instance
//! has IAM authentication, CloudWatch log exports, automatic minor version upgrades and
//! tags copied to snapshots, and where enhanced monitoring is on (prod by default) an IAM role
//! RDS's monitoring service assumes to publish the OS metrics, with AWS's managed policy for
//! it, declared only then.
//!
//! The database and the cache are independent chains: each depends only on the network (its
//! subnets and security group) and, for the database, the credentials secret, so the
//! executor creates them at the same time. A failed application deploy never touches them.

use super::network::{subnet_id, SG_DB, SG_REDIS};
use super::{az_label, Declared};
use crate::config::Environment;
use crate::resources::cache_replication_group::CacheReplicationGroupSpec;
use crate::resources::cache_subnet_group::CacheSubnetGroupSpec;
use crate::resources::db_instance::DbInstanceSpec;
use crate::resources::db_instance_security::DbInstanceSecurity;
use crate::resources::db_parameter_group::DbParameterGroupSpec;
use crate::resources::db_subnet_group::DbSubnetGroupSpec;
use crate::resources::iam_role::IamRoleSpec;
use crate::resources::secret::{SecretContent, SecretSpec};
use crate::resources::{Ref, Spec};
use std::collections::BTreeMap;

pub const SECRET_DB: &str = "secret-db-credentials";
pub const SECRET_API: &str = "secret-api";
pub const DB_SUBNET_GROUP: &str = "db-subnet-group";
pub const DB_PARAMETER_GROUP: &str = "db-parameter-group";
pub const DATABASE: &str = "database";
pub const MONITORING_ROLE: &str = "iam-rds-monitoring-role";
pub const CACHE_SUBNET_GROUP: &str = "cache-subnet-group";
pub const CACHE: &str = "cache";

/// What RDS enhanced monitoring needs to publish an instance's OS metrics to CloudWatch Logs.
const MONITORING_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

/// The parameter group's parameters: `rds.force_ssl` (dynamic: RDS applies it without a
/// reboot) refuses clients that do not use TLS.
fn parameters(env: &Environment) -> BTreeMap<String, String> {
    let force_ssl = if env.database.force_ssl { "1" } else { "0" };
    BTreeMap::from([("rds.force_ssl".to_string(), force_ssl.to_string())])
}

/// The enhanced monitoring role, where monitoring is on.
fn monitoring_role(env: &Environment) -> Option<Declared> {
    if env.database.enhanced_monitoring_interval_seconds == 0 {
        return None;
    }
    let prefix = env.resource_prefix();
    Some(Declared::new(
        MONITORING_ROLE,
        Spec::IamRole(IamRoleSpec {
            name: format!("{prefix}-rds-monitoring"),
            description: format!("{prefix} rds-monitoring (managed by macroctl)"),
            trusted_service: "monitoring.rds.amazonaws.com".into(),
            managed_policy_arns: vec![MONITORING_POLICY.into()],
            inline_policies: Vec::new(),
        }),
    ))
}

/// The Secrets Manager name of one of the environment's secrets: `macro-ai/staging/api`.
pub fn secret_name(env: &Environment, which: &str) -> String {
    format!("{}/{}/{which}", env.stack, env.name)
}

pub(super) fn declare(env: &Environment) -> Vec<Declared> {
    let prefix = format!("{}-{}", env.stack, env.name);
    let database_subnets: Vec<Ref> = env
        .network
        .availability_zones
        .iter()
        .map(|az| {
            Ref::new(
                subnet_id("database", &az_label(&env.region, az)),
                "subnet_id",
            )
        })
        .collect();
    let db = &env.database;
    let cache = &env.cache;
    let major = db.major_version().unwrap_or(16);
    let monitoring = monitoring_role(env);
    let security = DbInstanceSecurity {
        iam_authentication: db.iam_authentication,
        log_exports: db.log_exports.clone(),
        monitoring_interval_seconds: db.enhanced_monitoring_interval_seconds as i32,
        monitoring_role: monitoring
            .as_ref()
            .map(|_| Ref::new(MONITORING_ROLE, "arn")),
        auto_minor_version_upgrade: db.auto_minor_version_upgrade,
    };
    let mut declared = vec![
        Declared::new(
            SECRET_DB,
            Spec::Secret(SecretSpec {
                name: secret_name(env, "db-credentials"),
                description: format!(
                    "{prefix} PostgreSQL master credentials (managed by macroctl)"
                ),
                content: SecretContent::DatabaseCredentials {
                    username: db.master_username.clone(),
                },
            }),
        ),
        Declared::new(
            SECRET_API,
            Spec::Secret(SecretSpec {
                name: secret_name(env, "api"),
                description: format!("{prefix} API keys (managed by macroctl)"),
                content: SecretContent::ApiKeys,
            }),
        ),
        Declared::new(
            DB_SUBNET_GROUP,
            Spec::DbSubnetGroup(DbSubnetGroupSpec {
                name: format!("{prefix}-db"),
                description: format!("{prefix} isolated database subnets"),
                subnets: database_subnets.clone(),
            }),
        ),
        Declared::new(
            DB_PARAMETER_GROUP,
            Spec::DbParameterGroup(DbParameterGroupSpec {
                name: format!("{prefix}-postgres{major}"),
                family: format!("postgres{major}"),
                description: format!("{prefix} PostgreSQL {major} parameters"),
                parameters: parameters(env),
            }),
        ),
        Declared::new(
            DATABASE,
            Spec::DbInstance(DbInstanceSpec {
                identifier: format!("{prefix}-postgres"),
                engine_version: db.engine_version.clone(),
                instance_class: db.instance_class.clone(),
                allocated_storage_gib: db.allocated_storage_gib as i32,
                max_allocated_storage_gib: db.max_allocated_storage_gib as i32,
                storage_type: db.storage_type.as_str().to_string(),
                multi_az: db.multi_az,
                deletion_protection: db.deletion_protection,
                backup_retention_days: db.backup_retention_days as i32,
                performance_insights: db.performance_insights,
                database_name: db.database_name.clone(),
                master_username: db.master_username.clone(),
                port: i32::from(db.port),
                apply_immediately: db.apply_changes_immediately,
                subnet_group: Ref::new(DB_SUBNET_GROUP, "name"),
                parameter_group: Ref::new(DB_PARAMETER_GROUP, "name"),
                security_group: Ref::new(SG_DB, "group_id"),
                credentials: Ref::new(SECRET_DB, "arn"),
                security,
            }),
        ),
        Declared::new(
            CACHE_SUBNET_GROUP,
            Spec::CacheSubnetGroup(CacheSubnetGroupSpec {
                name: format!("{prefix}-cache"),
                description: format!("{prefix} isolated cache subnets"),
                subnets: database_subnets,
            }),
        ),
        Declared::new(
            CACHE,
            Spec::CacheReplicationGroup(CacheReplicationGroupSpec {
                id: format!("{prefix}-redis"),
                description: format!("{prefix} {}", cache.engine.as_str()),
                engine: cache.engine.as_str().to_string(),
                engine_version: cache.engine_version.clone(),
                node_type: cache.node_type.clone(),
                replicas: cache.replicas as i32,
                multi_az: cache.multi_az,
                automatic_failover: cache.automatic_failover,
                port: i32::from(cache.port),
                subnet_group: Ref::new(CACHE_SUBNET_GROUP, "name"),
                security_group: Ref::new(SG_REDIS, "group_id"),
            }),
        ),
    ];
    declared.extend(monitoring);
    declared
}
