//! Unit tests of the DB instance kind's pure parts: diffs, readiness, deletion and the
//! listing.
use super::*;

fn resolver() -> Resolver {
    let resolver = Resolver::default();
    let outputs = |pairs: &[(&str, &str)]| -> Outputs {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    };
    resolver.set(
        &"db-subnets".into(),
        outputs(&[("name", "macro-ai-dev-db")]),
    );
    resolver.set(
        &"db-parameters".into(),
        outputs(&[("name", "macro-ai-dev-postgres16")]),
    );
    resolver.set(&"sg-db".into(), outputs(&[("group_id", "sg-1")]));
    resolver
}

fn spec() -> DbInstanceSpec {
    DbInstanceSpec {
        identifier: "macro-ai-dev-postgres".into(),
        engine_version: "16.4".into(),
        instance_class: "db.t4g.micro".into(),
        allocated_storage_gib: 20,
        max_allocated_storage_gib: 100,
        storage_type: "gp3".into(),
        multi_az: false,
        deletion_protection: false,
        backup_retention_days: 1,
        performance_insights: false,
        database_name: "app".into(),
        master_username: "app".into(),
        port: 5432,
        apply_immediately: true,
        subnet_group: Ref::new("db-subnets", "name"),
        parameter_group: Ref::new("db-parameters", "name"),
        security_group: Ref::new("sg-db", "group_id"),
        credentials: Ref::new("db-credentials", "arn"),
        security: DbInstanceSecurity {
            iam_authentication: true,
            log_exports: vec!["postgresql".into(), "upgrade".into()],
            monitoring_interval_seconds: 0,
            monitoring_role: None,
            auto_minor_version_upgrade: true,
        },
    }
}

/// What AWS reports for `spec()`, converged.
fn live() -> DbInstanceLive {
    DbInstanceLive {
        identifier: "macro-ai-dev-postgres".into(),
        arn: "arn:aws:rds:us-east-1:123456789012:db:macro-ai-dev-postgres".into(),
        status: "available".into(),
        engine: "postgres".into(),
        engine_version: "16.4".into(),
        instance_class: "db.t4g.micro".into(),
        allocated_storage_gib: 20,
        max_allocated_storage_gib: 100,
        storage_type: "gp3".into(),
        multi_az: false,
        deletion_protection: false,
        backup_retention_days: 1,
        performance_insights: None,
        storage_encrypted: true,
        publicly_accessible: false,
        endpoint: "macro-ai-dev-postgres.abc.us-east-1.rds.amazonaws.com".into(),
        port: 5432,
        subnet_group: "macro-ai-dev-db".into(),
        parameter_group: "macro-ai-dev-postgres16".into(),
        security_groups: vec!["sg-1".into()],
        pending: Vec::new(),
        security: DbInstanceSecurityLive {
            master_username: "app".into(),
            iam_authentication: true,
            log_exports: vec!["postgresql".into(), "upgrade".into()],
            monitoring_interval_seconds: 0,
            monitoring_role_arn: None,
            auto_minor_version_upgrade: true,
            copy_tags_to_snapshot: true,
        },
        tags: Tags::new(),
    }
}

#[test]
fn outputs_are_the_declared_ones() {
    assert!(crate::resources::outputs_are_declared::<DbInstance>(&live()));
}

#[test]
fn a_converged_instance_has_no_changes() {
    assert_eq!(DbInstance::diff(&spec(), &live(), &resolver()), Vec::new());
}

#[test]
fn what_aws_cannot_change_in_place_is_a_replacement() {
    let resolver = resolver();
    let field = |live: DbInstanceLive| DbInstance::diff(&spec(), &live, &resolver);
    // A downgrade, a smaller disk, encryption off: replacements.
    let newer = field(DbInstanceLive {
        engine_version: "16.10".into(),
        ..live()
    });
    assert!(newer[0].replace, "{newer:?}");
    let bigger = field(DbInstanceLive {
        allocated_storage_gib: 50,
        ..live()
    });
    assert!(bigger[0].replace, "{bigger:?}");
    let unencrypted = field(DbInstanceLive {
        storage_encrypted: false,
        ..live()
    });
    assert!(unencrypted[0].replace, "{unencrypted:?}");
    // RDS cannot rename the master user.
    let mut renamed = live();
    renamed.security.master_username = "postgres".into();
    let renamed = field(renamed);
    assert_eq!(renamed[0].field, "master_username");
    assert!(renamed[0].replace, "{renamed:?}");
    // An upgrade, a bigger disk, a longer retention: in place.
    let older = field(DbInstanceLive {
        engine_version: "16.3".into(),
        allocated_storage_gib: 10,
        backup_retention_days: 0,
        ..live()
    });
    assert_eq!(older.len(), 3);
    assert!(older.iter().all(|change| !change.replace), "{older:?}");
}

#[test]
fn versions_compare_numerically() {
    assert!(version_less("16.4", "16.10"));
    assert!(version_less("16.10", "17.1"));
    assert!(!version_less("16.4", "16.4"));
}

#[test]
fn readiness_by_status() {
    let at = |status: &str| readiness_of("db", status);
    assert_eq!(at("available"), Readiness::Ready);
    assert!(matches!(at("creating"), Readiness::Pending(why) if why.contains("creating")));
    assert!(matches!(at("modifying"), Readiness::Busy(_)));
    assert!(matches!(at("backing-up"), Readiness::Busy(_)));
    assert!(matches!(at("failed"), Readiness::Failed(_)));
    assert!(matches!(
        at("incompatible-parameters"),
        Readiness::Failed(_)
    ));
    assert!(matches!(at("storage-full"), Readiness::Failed(_)));
    assert!(matches!(at("deleting"), Readiness::Failed(_)));
    assert_eq!(at("storage-optimization"), Readiness::Ready);
}

#[test]
fn the_listing_keeps_the_desired_identifiers() {
    let instance = |identifier: &str| DbInstanceLive {
        identifier: identifier.into(),
        ..live()
    };
    let listed = vec![instance("macro-ai-dev-postgres"), instance("someone-elses")];
    let kept = named(listed, &["macro-ai-dev-postgres".to_string()]);
    assert_eq!(kept.len(), 1);
    assert!(pick(&kept, "macro-ai-dev-postgres").is_some());
    assert!(pick(&kept, "someone-elses").is_none());
}

#[test]
fn deletion_by_status() {
    assert_eq!(deletion_of("available"), Deletion::Present);
    assert_eq!(deletion_of("stopped"), Deletion::Present);
    assert_eq!(
        deletion_of("deleting"),
        Deletion::Deleting("deleting".into())
    );
    assert_eq!(
        deletion_of("delete-precheck"),
        Deletion::Deleting("delete-precheck".into())
    );
}

#[test]
fn deletion_protection_is_named_only_when_on() {
    assert_eq!(DbInstance::protection(&live()), None);
    let protected = DbInstanceLive {
        deletion_protection: true,
        ..live()
    };
    assert_eq!(
        DbInstance::protection(&protected),
        Some("deletion_protection")
    );
}

#[test]
fn the_security_settings_read_from_describe_with_pending_changes_counted() {
    use aws_sdk_rds::types::{
        DbInstance as Described, PendingCloudwatchLogsExports, PendingModifiedValues,
    };
    let described = Described::builder()
        .db_instance_identifier("macro-ai-dev-postgres")
        .master_username("app")
        .iam_database_authentication_enabled(false)
        .enabled_cloudwatch_logs_exports("postgresql")
        .monitoring_interval(0)
        .auto_minor_version_upgrade(true)
        .copy_tags_to_snapshot(true)
        .pending_modified_values(
            PendingModifiedValues::builder()
                .iam_database_authentication_enabled(true)
                .pending_cloudwatch_logs_exports(
                    PendingCloudwatchLogsExports::builder()
                        .log_types_to_enable("upgrade")
                        .build(),
                )
                .build(),
        )
        .build();
    let live = live_of(&described);
    assert!(live.security.iam_authentication);
    assert_eq!(live.security.log_exports, ["postgresql", "upgrade"]);
    assert_eq!(
        live.pending,
        ["iam_database_authentication", "cloudwatch_logs_exports"]
    );
    let changes = security::security_changes;
    let mut found = Vec::new();
    changes(
        &mut found,
        "app",
        &spec().security,
        &live.security,
        &resolver(),
    );
    assert!(found.is_empty(), "{found:?}");
}
