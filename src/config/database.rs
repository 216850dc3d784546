//! `[database]`: the RDS PostgreSQL instance, and the checks its keys need.
//!
//! A module of its own because the security settings (AWS Foundational Security Best
//! Practices: `rds.force_ssl`, IAM authentication, log exports, enhanced monitoring, minor
//! version upgrades, a non-default master user) each add a key with a per-environment default
//! and a rule. Every security key is optional, so an environment file written before they
//! existed keeps loading and gets the secure default; the older keys stay required.
//!
//! The seed's master user name `postgres` is still accepted (renaming the master user of an
//! existing instance means replacing it), but it is the first name an attacker tries (FSBP
//! RDS.25), so loading such a file gives a warning naming the key and what to change.

use serde::Deserialize;

use super::{DatabaseConfig, Problem, StorageType};

/// Lowest PostgreSQL major version with the pgvector support the API needs.
const MIN_PG_MAJOR: u32 = 15;

/// The log types RDS for PostgreSQL exports to CloudWatch Logs.
pub const POSTGRES_LOG_TYPES: [&str; 2] = ["postgresql", "upgrade"];

/// The enhanced monitoring intervals RDS accepts (seconds; 0 turns it off).
pub const MONITORING_INTERVALS: [u32; 7] = [0, 1, 5, 10, 15, 30, 60];

/// The enhanced monitoring interval an environment of this name gets when the file gives none:
/// every minute in prod, off elsewhere (it costs CloudWatch Logs ingestion per instance).
pub fn default_monitoring_interval(env: &str) -> u32 {
    if env == "prod" {
        60
    } else {
        0
    }
}

/// The master user name RDS suggests and every scanner tries first.
pub const DEFAULT_MASTER_USERNAME: &str = "postgres";

/// A master user name to use instead of [`DEFAULT_MASTER_USERNAME`].
pub const SUGGESTED_MASTER_USERNAME: &str = "macroai_admin";

/// PostgreSQL's reserved key words (which RDS refuses as the master user name), lowercase.
const RESERVED_WORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "public",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Names RDS keeps for its own roles.
const RDS_RESERVED_NAMES: &[&str] = &["rdsadmin", "rdsrepladmin", "rdstopmgr"];

/// `[database]` as written: the security keys optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    engine_version: String,
    instance_class: String,
    allocated_storage_gib: u32,
    max_allocated_storage_gib: u32,
    storage_type: StorageType,
    multi_az: bool,
    deletion_protection: bool,
    backup_retention_days: u32,
    performance_insights: bool,
    apply_changes_immediately: bool,
    database_name: String,
    master_username: String,
    port: Option<u16>,
    force_ssl: Option<bool>,
    iam_authentication: Option<bool>,
    log_exports: Option<Vec<String>>,
    enhanced_monitoring_interval_seconds: Option<u32>,
    auto_minor_version_upgrade: Option<bool>,
}

fn problem(key: &str, message: String) -> Problem {
    Problem {
        key: format!("database.{key}"),
        line: None,
        message,
    }
}

/// Fills in the defaults for `env` and checks every key; problems name the key.
pub(super) fn resolve(raw: &RawDatabase, env: &str, problems: &mut Vec<Problem>) -> DatabaseConfig {
    let config = DatabaseConfig {
        engine_version: raw.engine_version.clone(),
        instance_class: raw.instance_class.clone(),
        allocated_storage_gib: raw.allocated_storage_gib,
        max_allocated_storage_gib: raw.max_allocated_storage_gib,
        storage_type: raw.storage_type,
        multi_az: raw.multi_az,
        deletion_protection: raw.deletion_protection,
        backup_retention_days: raw.backup_retention_days,
        performance_insights: raw.performance_insights,
        apply_changes_immediately: raw.apply_changes_immediately,
        database_name: raw.database_name.clone(),
        master_username: raw.master_username.clone(),
        port: raw.port.unwrap_or(5432),
        force_ssl: raw.force_ssl.unwrap_or(true),
        iam_authentication: raw.iam_authentication.unwrap_or(true),
        log_exports: raw
            .log_exports
            .clone()
            .unwrap_or_else(|| POSTGRES_LOG_TYPES.map(String::from).to_vec()),
        enhanced_monitoring_interval_seconds: raw
            .enhanced_monitoring_interval_seconds
            .unwrap_or_else(|| default_monitoring_interval(env)),
        auto_minor_version_upgrade: raw.auto_minor_version_upgrade.unwrap_or(true),
    };
    check(&config, problems);
    config
}

/// What is allowed but weakens the environment: the default master user name.
pub(super) fn warnings(config: &DatabaseConfig) -> Vec<Problem> {
    let mut warnings = Vec::new();
    if config.master_username == DEFAULT_MASTER_USERNAME {
        warnings.push(problem(
            "master_username",
            format!(
                "\"{DEFAULT_MASTER_USERNAME}\" is the default master user name, the first one an attacker tries (AWS Foundational Security Best Practices RDS.25); use another, e.g. \"{SUGGESTED_MASTER_USERNAME}\". For a database that exists already this replaces it (RDS cannot rename the master user), so change it before the first `macroctl up`, or move the data first"
            ),
        ));
    }
    warnings
}

/// 1 to 63 ASCII letters, digits and underscores, starting with a letter.
pub(super) fn is_identifier(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why RDS would refuse `name` as the master user name, if it would.
fn master_username_problem(name: &str) -> Option<String> {
    if !is_identifier(name) {
        return Some(format!("{name:?} is not a valid master user name; use 1 to 63 letters, digits and underscores, starting with a letter (e.g. \"{SUGGESTED_MASTER_USERNAME}\")"));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_WORDS.contains(&lower.as_str()) {
        return Some(format!("{name:?} is a PostgreSQL reserved word, which RDS refuses as the master user name; use another, e.g. \"{SUGGESTED_MASTER_USERNAME}\""));
    }
    if RDS_RESERVED_NAMES.contains(&lower.as_str())
        || lower.starts_with("rds_")
        || lower.starts_with("pg_")
    {
        return Some(format!("{name:?} is reserved for RDS or PostgreSQL's own roles (rdsadmin, rds_*, pg_*); use another, e.g. \"{SUGGESTED_MASTER_USERNAME}\""));
    }
    None
}

fn check(d: &DatabaseConfig, problems: &mut Vec<Problem>) {
    let mut push = |key: &str, message: String| problems.push(problem(key, message));
    match super::validate::major_version(&d.engine_version) {
        None => push(
            "engine_version",
            format!("{:?} is not a PostgreSQL version; write it like \"16.4\"", d.engine_version),
        ),
        Some(m) if m < MIN_PG_MAJOR => push(
            "engine_version",
            format!("PostgreSQL {m} is too old; pgvector needs major version {MIN_PG_MAJOR} or later (e.g. \"16.4\")"),
        ),
        Some(_) => {}
    }
    if !(d.instance_class.starts_with("db.") && d.instance_class.split('.').count() == 3) {
        push(
            "instance_class",
            format!(
                "{:?} is not an RDS instance class; write it like \"db.t4g.micro\"",
                d.instance_class
            ),
        );
    }
    let min_storage = match d.storage_type {
        StorageType::Io1 | StorageType::Io2 => 100,
        StorageType::Gp2 | StorageType::Gp3 => 20,
    };
    let storage = d.allocated_storage_gib;
    if !(min_storage..=65536).contains(&storage) {
        push(
            "allocated_storage_gib",
            format!(
                "{storage} is out of range; allowed {min_storage}..=65536 GiB for {} storage",
                d.storage_type.as_str()
            ),
        );
    }
    if d.max_allocated_storage_gib < d.allocated_storage_gib || d.max_allocated_storage_gib > 65536
    {
        push(
            "max_allocated_storage_gib",
            format!("{} is not allowed; it must be at least database.allocated_storage_gib ({}) and at most 65536 (storage autoscaling grows up to it)", d.max_allocated_storage_gib, d.allocated_storage_gib),
        );
    }
    let days = d.backup_retention_days;
    if days > 35 {
        push(
            "backup_retention_days",
            format!("{days} is out of range; allowed 0..=35 days"),
        );
    }
    if !is_identifier(&d.database_name) {
        push(
            "database_name",
            format!("{:?} is not a valid database name; use 1 to 63 letters, digits and underscores, starting with a letter", d.database_name),
        );
    }
    if let Some(message) = master_username_problem(&d.master_username) {
        push("master_username", message);
    }
    if d.port < 1150 {
        push(
            "port",
            format!("{} is not allowed; RDS accepts ports 1150..=65535", d.port),
        );
    }
    let allowed = POSTGRES_LOG_TYPES.join("\", \"");
    for (index, log) in d.log_exports.iter().enumerate() {
        let key = format!("log_exports[{index}]");
        if !POSTGRES_LOG_TYPES.contains(&log.as_str()) {
            push(
                &key,
                format!(
                    "{log:?} is not a log type RDS for PostgreSQL exports; allowed: \"{allowed}\""
                ),
            );
        } else if d.log_exports[..index].contains(log) {
            push(
                &key,
                format!("{log:?} is listed twice; list each log type once"),
            );
        }
    }
    let interval = d.enhanced_monitoring_interval_seconds;
    if !MONITORING_INTERVALS.contains(&interval) {
        push(
            "enhanced_monitoring_interval_seconds",
            format!("{interval} is not an interval RDS accepts; use one of 0 (off), 1, 5, 10, 15, 30 or 60 seconds"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn envs_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("envs")
    }

    #[test]
    fn shipped_files_are_secure_by_default() {
        for (env, interval) in [("dev", 0), ("staging", 0), ("prod", 60)] {
            let d = crate::config::load(&envs_dir(), env, None)
                .unwrap()
                .database;
            assert!(d.force_ssl && d.iam_authentication, "{env}");
            assert!(d.auto_minor_version_upgrade, "{env}");
            assert_eq!(d.log_exports, ["postgresql", "upgrade"], "{env}");
            assert_eq!(d.enhanced_monitoring_interval_seconds, interval, "{env}");
            assert_ne!(d.master_username, DEFAULT_MASTER_USERNAME, "{env}");
            assert!(warnings(&d).is_empty(), "{env}");
        }
    }

    #[test]
    fn monitoring_defaults_to_prod_only() {
        assert_eq!(default_monitoring_interval("prod"), 60);
        assert_eq!(default_monitoring_interval("dev"), 0);
        assert_eq!(default_monitoring_interval("staging"), 0);
    }

    #[test]
    fn master_user_names_follow_the_rds_rules() {
        for good in ["macroai_admin", "a", "Admin2", "postgres"] {
            assert_eq!(master_username_problem(good), None, "{good}");
        }
        for bad in [
            "1admin",
            "admin-user",
            "",
            "_admin",
            "user",
            "SELECT",
            "rdsadmin",
            "rds_superuser",
            "pg_monitor",
            &"a".repeat(64),
        ] {
            assert!(master_username_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn only_postgres_warns() {
        let mut d = crate::config::load(&envs_dir(), "dev", None)
            .unwrap()
            .database;
        assert!(warnings(&d).is_empty());
        d.master_username = "postgres".into();
        let warned = warnings(&d);
        assert_eq!(warned.len(), 1);
        assert_eq!(warned[0].key, "database.master_username");
        assert!(warned[0].message.contains("macroai_admin"));
    }

    #[test]
    fn log_exports_and_intervals_are_checked() {
        let mut d = crate::config::load(&envs_dir(), "dev", None)
            .unwrap()
            .database;
        d.log_exports = vec!["postgresql".into(), "audit".into(), "postgresql".into()];
        d.enhanced_monitoring_interval_seconds = 20;
        let mut problems = Vec::new();
        check(&d, &mut problems);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "database.log_exports[1]",
                "database.log_exports[2]",
                "database.enhanced_monitoring_interval_seconds"
            ]
        );
        d.log_exports.clear();
        d.enhanced_monitoring_interval_seconds = 0;
        let mut problems = Vec::new();
        check(&d, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
    }
}
