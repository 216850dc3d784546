//! The DB instance's security settings (AWS Foundational Security Best Practices): IAM
//! database authentication (RDS.10), log exports to CloudWatch Logs (RDS.9 / RDS.36),
//! enhanced monitoring with its role (RDS.6), automatic minor version upgrades (RDS.13),
//! tags copied to snapshots (RDS.17) and the master user name (RDS.25).
//!
//! A module of its own so `db_instance` stays one screenful per concern: this reads the
//! settings from `DescribeDBInstances` (a pending change counts as the live value, as for the
//! other fields), compares them and adds the changed ones to the instance's one
//! `ModifyDBInstance`.
//!
//! Every one of these is applied by RDS at once, whatever `ApplyImmediately` says (AWS's
//! "Settings for DB instances": IAM DB authentication, log exports — "always applied
//! immediately" —, enhanced monitoring, auto minor version upgrade and copy tags to snapshots
//! ignore it), so `db_instance` does not tell the user they wait for the maintenance window.
//! The master user name cannot be changed at all: a different one is a replacement, which
//! `up` refuses. Turning enhanced monitoring off sends `MonitoringInterval = 0` only: RDS
//! keeps the role ARN it had, which is then not compared.

use super::{compare, listed, FieldChange, Ref, Resolver};
use aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder;
use aws_sdk_rds::types::CloudwatchLogsExportConfiguration;

/// What the environment asks for. Defaults (for a spec recorded in state by an older macroctl,
/// which set none of these but the minor version upgrade) are what that version made.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DbInstanceSecurity {
    pub iam_authentication: bool,
    /// Log types exported to CloudWatch Logs (`postgresql`, `upgrade`).
    pub log_exports: Vec<String>,
    /// 0: enhanced monitoring off.
    pub monitoring_interval_seconds: i32,
    /// The role RDS's monitoring service assumes; `Some` exactly when the interval is not 0.
    pub monitoring_role: Option<Ref>,
    pub auto_minor_version_upgrade: bool,
}

impl Default for DbInstanceSecurity {
    fn default() -> Self {
        Self {
            iam_authentication: false,
            log_exports: Vec::new(),
            monitoring_interval_seconds: 0,
            monitoring_role: None,
            auto_minor_version_upgrade: true,
        }
    }
}

/// What `DescribeDBInstances` reports of them.
#[derive(Debug, Clone, PartialEq)]
pub struct DbInstanceSecurityLive {
    pub master_username: String,
    pub iam_authentication: bool,
    /// Sorted.
    pub log_exports: Vec<String>,
    pub monitoring_interval_seconds: i32,
    pub monitoring_role_arn: Option<String>,
    pub auto_minor_version_upgrade: bool,
    pub copy_tags_to_snapshot: bool,
}

/// The fields this module compares (the names plans show).
pub const FIELDS: [&str; 7] = [
    "master_username",
    "iam_database_authentication",
    "cloudwatch_logs_exports",
    "monitoring_interval",
    "monitoring_role_arn",
    "auto_minor_version_upgrade",
    "copy_tags_to_snapshot",
];

/// Reads the settings of `instance`, a pending change counting as the live value (its field
/// pushed to `pending`).
pub fn security_of(
    instance: &aws_sdk_rds::types::DbInstance,
    pending: &mut Vec<String>,
) -> DbInstanceSecurityLive {
    let mut iam_authentication = instance
        .iam_database_authentication_enabled()
        .unwrap_or(false);
    let mut log_exports: Vec<String> = instance.enabled_cloudwatch_logs_exports().to_vec();
    if let Some(modified) = instance.pending_modified_values() {
        if let Some(value) = modified.iam_database_authentication_enabled() {
            iam_authentication = value;
            pending.push("iam_database_authentication".into());
        }
        if let Some(logs) = modified.pending_cloudwatch_logs_exports() {
            log_exports.retain(|log| !logs.log_types_to_disable().contains(log));
            log_exports.extend(logs.log_types_to_enable().iter().cloned());
            pending.push("cloudwatch_logs_exports".into());
        }
    }
    log_exports.sort();
    log_exports.dedup();
    DbInstanceSecurityLive {
        master_username: instance.master_username().unwrap_or_default().to_string(),
        iam_authentication,
        log_exports,
        monitoring_interval_seconds: instance.monitoring_interval().unwrap_or(0),
        monitoring_role_arn: instance.monitoring_role_arn().map(str::to_string),
        auto_minor_version_upgrade: instance.auto_minor_version_upgrade().unwrap_or(false),
        copy_tags_to_snapshot: instance.copy_tags_to_snapshot().unwrap_or(false),
    }
}

/// Pushes a change for each setting that differs.
pub fn security_changes(
    changes: &mut Vec<FieldChange>,
    master_username: &str,
    spec: &DbInstanceSecurity,
    live: &DbInstanceSecurityLive,
    resolver: &Resolver,
) {
    // RDS cannot rename the master user: another name is another instance.
    compare(
        changes,
        "master_username",
        &live.master_username,
        master_username,
        true,
    );
    let flag = |value: bool| value.to_string();
    compare(
        changes,
        "iam_database_authentication",
        &flag(live.iam_authentication),
        &flag(spec.iam_authentication),
        false,
    );
    compare(
        changes,
        "cloudwatch_logs_exports",
        &listed(&live.log_exports),
        &listed(sorted(&spec.log_exports)),
        false,
    );
    compare(
        changes,
        "monitoring_interval",
        &live.monitoring_interval_seconds.to_string(),
        &spec.monitoring_interval_seconds.to_string(),
        false,
    );
    if let (Some(role), true) = (&spec.monitoring_role, spec.monitoring_interval_seconds > 0) {
        compare(
            changes,
            "monitoring_role_arn",
            &super::shown(live.monitoring_role_arn.as_deref()),
            &resolver.get(role),
            false,
        );
    }
    compare(
        changes,
        "auto_minor_version_upgrade",
        &flag(live.auto_minor_version_upgrade),
        &flag(spec.auto_minor_version_upgrade),
        false,
    );
    compare(
        changes,
        "copy_tags_to_snapshot",
        &flag(live.copy_tags_to_snapshot),
        "true",
        false,
    );
}

fn sorted(logs: &[String]) -> Vec<String> {
    let mut logs = logs.to_vec();
    logs.sort();
    logs.dedup();
    logs
}

/// Whether `field` is one of this module's that `ModifyDBInstance` changes (every one but the
/// master user name, which nothing changes).
pub fn modifiable(field: &str) -> bool {
    FIELDS.contains(&field) && field != "master_username"
}

/// Adds the change of `field` (one [`modifiable`]) to the `ModifyDBInstance` request.
pub fn modify(
    request: ModifyDBInstanceFluentBuilder,
    field: &str,
    spec: &DbInstanceSecurity,
    live: &DbInstanceSecurityLive,
    resolver: &Resolver,
) -> ModifyDBInstanceFluentBuilder {
    match field {
        "iam_database_authentication" => {
            request.enable_iam_database_authentication(spec.iam_authentication)
        }
        "cloudwatch_logs_exports" => {
            let desired = sorted(&spec.log_exports);
            // Only what changes: RDS refuses to disable a log type that is not enabled.
            let enable: Vec<String> = (desired.iter())
                .filter(|log| !live.log_exports.contains(log))
                .cloned()
                .collect();
            let disable: Vec<String> = (live.log_exports.iter())
                .filter(|log| !desired.contains(log))
                .cloned()
                .collect();
            request.cloudwatch_logs_export_configuration(
                CloudwatchLogsExportConfiguration::builder()
                    .set_enable_log_types(Some(enable).filter(|logs| !logs.is_empty()))
                    .set_disable_log_types(Some(disable).filter(|logs| !logs.is_empty()))
                    .build(),
            )
        }
        // The interval and the role go together: RDS refuses an interval without a role.
        "monitoring_interval" | "monitoring_role_arn" => monitoring(request, spec, resolver),
        "auto_minor_version_upgrade" => {
            request.auto_minor_version_upgrade(spec.auto_minor_version_upgrade)
        }
        "copy_tags_to_snapshot" => request.copy_tags_to_snapshot(true),
        _ => request,
    }
}

/// `MonitoringInterval`, with the role when monitoring is on.
pub fn monitoring(
    request: ModifyDBInstanceFluentBuilder,
    spec: &DbInstanceSecurity,
    resolver: &Resolver,
) -> ModifyDBInstanceFluentBuilder {
    let request = request.monitoring_interval(spec.monitoring_interval_seconds);
    match (&spec.monitoring_role, spec.monitoring_interval_seconds > 0) {
        (Some(role), true) => request.monitoring_role_arn(resolver.get(role)),
        _ => request,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Outputs;

    const ROLE: &str = "arn:aws:iam::123456789012:role/macro-ai-prod-rds-monitoring";

    fn spec() -> DbInstanceSecurity {
        DbInstanceSecurity {
            iam_authentication: true,
            log_exports: vec!["upgrade".into(), "postgresql".into()],
            monitoring_interval_seconds: 60,
            monitoring_role: Some(Ref::new("iam-rds-monitoring-role", "arn")),
            auto_minor_version_upgrade: true,
        }
    }

    fn live() -> DbInstanceSecurityLive {
        DbInstanceSecurityLive {
            master_username: "macroai_admin".into(),
            iam_authentication: true,
            log_exports: vec!["postgresql".into(), "upgrade".into()],
            monitoring_interval_seconds: 60,
            monitoring_role_arn: Some(ROLE.into()),
            auto_minor_version_upgrade: true,
            copy_tags_to_snapshot: true,
        }
    }

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        resolver.set(
            &"iam-rds-monitoring-role".into(),
            Outputs::from([("arn".into(), ROLE.into())]),
        );
        resolver
    }

    fn changes(spec: &DbInstanceSecurity, live: &DbInstanceSecurityLive) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        security_changes(&mut changes, "macroai_admin", spec, live, &resolver());
        changes
    }

    #[test]
    fn converged_settings_diff_empty_whatever_the_log_order() {
        assert!(changes(&spec(), &live()).is_empty());
    }

    #[test]
    fn each_setting_is_an_update_and_the_user_name_a_replacement() {
        let mut live = live();
        live.master_username = "postgres".into();
        live.iam_authentication = false;
        live.log_exports = vec!["postgresql".into()];
        live.monitoring_interval_seconds = 0;
        live.monitoring_role_arn = None;
        live.auto_minor_version_upgrade = false;
        live.copy_tags_to_snapshot = false;
        let found = changes(&spec(), &live);
        let fields: Vec<&str> = found.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, FIELDS);
        assert!(found[0].replace, "master_username");
        assert!(found[1..].iter().all(|change| !change.replace));
        assert_eq!(found[2].old, "postgresql");
        assert_eq!(found[2].new, "postgresql, upgrade");
    }

    #[test]
    fn monitoring_off_ignores_the_role_rds_keeps() {
        let mut spec = spec();
        spec.monitoring_interval_seconds = 0;
        spec.monitoring_role = None;
        let mut live = live();
        live.monitoring_interval_seconds = 0;
        assert!(changes(&spec, &live).is_empty());
        live.monitoring_interval_seconds = 60;
        let found = changes(&spec, &live);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "monitoring_interval");
    }

    #[test]
    fn older_state_reads_back_with_what_older_versions_made() {
        let old = serde_json::json!({});
        let spec: DbInstanceSecurity = serde_json::from_value(old).unwrap();
        assert!(!spec.iam_authentication && spec.log_exports.is_empty());
        assert!(spec.auto_minor_version_upgrade && spec.monitoring_role.is_none());
    }
}
