//! The RDS security controls (AWS Foundational Security Best Practices) end to end: per
//! environment, what `up` builds is checked through independent SDK calls (DescribeDBInstances,
//! DescribeDBParameters, IAM's GetRole / ListAttachedRolePolicies); a converged plan shows no
//! change; a setting changed in the env file is planned as an update and applied; a console
//! change is drift and put right; a fresh monitoring role is waited for (fault emulator); the
//! default master user name warns and a bad one is refused before any call.
mod support;

use std::collections::BTreeMap;
use support::{Emulator, RunOutput, Workspace};

const MONITORING_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

async fn instance(emulator: &Emulator, env: &str) -> aws_sdk_rds::types::DbInstance {
    emulator
        .rds()
        .await
        .describe_db_instances()
        .db_instance_identifier(format!("macro-ai-{env}-postgres"))
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone()
}

/// The parameters set on the environment's group (`Source=user`).
async fn parameters(emulator: &Emulator, env: &str) -> BTreeMap<String, String> {
    emulator
        .rds()
        .await
        .describe_db_parameters()
        .db_parameter_group_name(format!("macro-ai-{env}-postgres16"))
        .source("user")
        .send()
        .await
        .unwrap()
        .parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_name().unwrap().to_string(),
                p.parameter_value().unwrap().to_string(),
            )
        })
        .collect()
}

fn sorted_logs(db: &aws_sdk_rds::types::DbInstance) -> Vec<String> {
    let mut logs = db.enabled_cloudwatch_logs_exports().to_vec();
    logs.sort();
    logs
}

/// The plan's changes as `(resource id, field)`, and whether each is drift.
fn planned(run: &RunOutput) -> BTreeMap<(String, String), bool> {
    let plan: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", run.stdout, run.stderr));
    let mut changes = BTreeMap::new();
    for resource in plan["resources"].as_array().unwrap() {
        let id = resource["id"].as_str().unwrap().to_string();
        for change in resource["changes"].as_array().unwrap() {
            let field = change["field"].as_str().unwrap().to_string();
            changes.insert((id.clone(), field), change["drift"].as_bool().unwrap());
        }
    }
    changes
}

fn assert_converged(ws: &Workspace, env: &str) {
    let plan = ws.run(&["plan", "--env", env, "--output", "json"]);
    plan.assert_success();
    let changes = planned(&plan);
    assert!(changes.is_empty(), "{changes:?}");
    ws.run(&["plan", "--env", env, "--detailed-exitcode"])
        .assert_code(0);
}

async fn check_environment(env: &str, monitoring: i32) {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let up = ws.run(&["up", "--env", env, "--yes"]);
    up.assert_success();
    assert!(!up.stderr.contains("warning:"), "{}", up.stderr);

    let db = instance(&emulator, env).await;
    assert_eq!(db.master_username(), Some("macroai_admin"), "RDS.25");
    assert_eq!(
        db.iam_database_authentication_enabled(),
        Some(true),
        "RDS.10"
    );
    assert_eq!(sorted_logs(&db), ["postgresql", "upgrade"], "RDS.9");
    assert_eq!(db.auto_minor_version_upgrade(), Some(true), "RDS.13");
    assert_eq!(db.copy_tags_to_snapshot(), Some(true), "RDS.17");
    assert_eq!(db.monitoring_interval(), Some(monitoring), "RDS.6");
    let group = db.db_parameter_groups()[0].db_parameter_group_name();
    assert_eq!(group, Some(format!("macro-ai-{env}-postgres16").as_str()));
    let set = parameters(&emulator, env).await;
    assert_eq!(set.get("rds.force_ssl").map(String::as_str), Some("1"));
    // Asked for as a dynamic parameter, applied at once.
    let modified = emulator.recorded_params("ModifyDBParameterGroup");
    assert_eq!(modified.len(), 1, "{modified:?}");
    assert_eq!(
        modified[0]
            .get("Parameters.Parameter.1.ApplyMethod")
            .map(String::as_str),
        Some("immediate"),
        "{modified:?}"
    );

    let iam = emulator.iam().await;
    let role_name = format!("macro-ai-{env}-rds-monitoring");
    let role = iam.get_role().role_name(&role_name).send().await;
    if monitoring == 0 {
        assert!(role.is_err(), "{env} has no monitoring role: {role:?}");
        assert_eq!(db.monitoring_role_arn(), None);
    } else {
        let role = role.unwrap().role.unwrap();
        assert_eq!(db.monitoring_role_arn(), Some(role.arn()));
        let trust = support::inspect::decode(role.assume_role_policy_document().unwrap());
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"], "monitoring.rds.amazonaws.com",
            "{trust}"
        );
        let attached = iam
            .list_attached_role_policies()
            .role_name(&role_name)
            .send()
            .await
            .unwrap();
        let arns: Vec<&str> = attached
            .attached_policies()
            .iter()
            .filter_map(|policy| policy.policy_arn())
            .collect();
        assert_eq!(arns, [MONITORING_POLICY]);
    }
    assert_converged(&ws, env);
}

#[tokio::test]
async fn dev_meets_the_rds_controls_without_enhanced_monitoring() {
    check_environment("dev", 0).await;
}

#[tokio::test]
async fn staging_meets_the_rds_controls_without_enhanced_monitoring() {
    check_environment("staging", 0).await;
}

#[tokio::test]
async fn prod_meets_the_rds_controls_with_enhanced_monitoring_and_its_role() {
    check_environment("prod", 60).await;
}

#[tokio::test]
async fn settings_changed_in_the_env_file_are_planned_as_updates_and_applied() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    ws.edit_env("dev", |text| {
        text.replace("force_ssl = true", "force_ssl = false")
            .replace("iam_authentication = true", "iam_authentication = false")
            .replace(
                "log_exports = [\"postgresql\", \"upgrade\"]",
                "log_exports = [\"postgresql\"]",
            )
            .replace(
                "auto_minor_version_upgrade = true",
                "auto_minor_version_upgrade = false",
            )
            .replace(
                "enhanced_monitoring_interval_seconds = 0",
                "enhanced_monitoring_interval_seconds = 30",
            )
    });
    let plan = ws.run(&["plan", "--env", "dev", "--output", "json"]);
    plan.assert_success();
    let expected: BTreeMap<(String, String), bool> = [
        ("db-parameter-group", "parameter rds.force_ssl"),
        ("database", "iam_database_authentication"),
        ("database", "cloudwatch_logs_exports"),
        ("database", "auto_minor_version_upgrade"),
        ("database", "monitoring_interval"),
        ("database", "monitoring_role_arn"),
    ]
    .iter()
    .map(|(id, field)| ((id.to_string(), field.to_string()), false))
    .collect();
    assert_eq!(planned(&plan), expected);
    let text = ws.run(&["plan", "--env", "dev"]);
    for line in [
        "parameter rds.force_ssl: 1 → 0",
        "iam_database_authentication: true → false",
        "cloudwatch_logs_exports: postgresql, upgrade → postgresql",
        "monitoring_interval: 0 → 30",
    ] {
        assert!(text.stdout.contains(line), "{line}\n{}", text.stdout);
    }
    assert!(
        text.stdout.contains("+ create  iam-rds-monitoring-role"),
        "{}",
        text.stdout
    );

    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    // One ModifyDBInstance with every change, one ModifyDBParameterGroup.
    let modified = emulator.recorded_params("ModifyDBInstance");
    assert_eq!(modified.len(), 1, "{modified:?}");
    let request = &modified[0];
    let param = |key: &str| request.get(key).map(String::as_str);
    assert_eq!(param("EnableIAMDatabaseAuthentication"), Some("false"));
    assert_eq!(param("AutoMinorVersionUpgrade"), Some("false"));
    assert_eq!(param("MonitoringInterval"), Some("30"));
    assert_eq!(
        param("CloudwatchLogsExportConfiguration.DisableLogTypes.member.1"),
        Some("upgrade"),
        "{request:?}"
    );
    assert_eq!(
        param("CloudwatchLogsExportConfiguration.EnableLogTypes.member.1"),
        None,
        "{request:?}"
    );
    assert_eq!(emulator.recorded_params("ModifyDBParameterGroup").len(), 1);

    let db = instance(&emulator, "dev").await;
    assert_eq!(db.iam_database_authentication_enabled(), Some(false));
    assert_eq!(sorted_logs(&db), ["postgresql"]);
    assert_eq!(db.auto_minor_version_upgrade(), Some(false));
    assert_eq!(db.monitoring_interval(), Some(30));
    let role = emulator
        .iam()
        .await
        .get_role()
        .role_name("macro-ai-dev-rds-monitoring")
        .send()
        .await
        .unwrap();
    assert_eq!(db.monitoring_role_arn(), role.role().map(|role| role.arn()));
    let set = parameters(&emulator, "dev").await;
    assert_eq!(set.get("rds.force_ssl").map(String::as_str), Some("0"));
    assert_converged(&ws, "dev");

    // Back on: the log type is enabled again, and only it.
    ws.edit_env("dev", |text| {
        text.replace(
            "log_exports = [\"postgresql\"]",
            "log_exports = [\"upgrade\", \"postgresql\"]",
        )
    });
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let modified = emulator.recorded_params("ModifyDBInstance");
    assert_eq!(modified.len(), 1, "{modified:?}");
    assert_eq!(
        modified[0]
            .get("CloudwatchLogsExportConfiguration.EnableLogTypes.member.1")
            .map(String::as_str),
        Some("upgrade"),
        "{modified:?}"
    );
    let db = instance(&emulator, "dev").await;
    assert_eq!(sorted_logs(&db), ["postgresql", "upgrade"]);
    assert_converged(&ws, "dev");
}

#[tokio::test]
async fn console_changes_are_drift_and_up_puts_them_right() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let rds = emulator.rds().await;
    rds.modify_db_instance()
        .db_instance_identifier("macro-ai-dev-postgres")
        .enable_iam_database_authentication(false)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    rds.modify_db_parameter_group()
        .db_parameter_group_name("macro-ai-dev-postgres16")
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("rds.force_ssl")
                .parameter_value("0")
                .apply_method(aws_sdk_rds::types::ApplyMethod::Immediate)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = ws.run(&["plan", "--env", "dev", "--output", "json"]);
    plan.assert_success();
    let expected: BTreeMap<(String, String), bool> = [
        (("db-parameter-group", "parameter rds.force_ssl"), true),
        (("database", "iam_database_authentication"), true),
    ]
    .iter()
    .map(|((id, field), drift)| ((id.to_string(), field.to_string()), *drift))
    .collect();
    assert_eq!(planned(&plan), expected);

    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let db = instance(&emulator, "dev").await;
    assert_eq!(db.iam_database_authentication_enabled(), Some(true));
    let set = parameters(&emulator, "dev").await;
    assert_eq!(set.get("rds.force_ssl").map(String::as_str), Some("1"));
    assert_converged(&ws, "dev");
}

#[tokio::test]
async fn a_new_master_user_name_for_an_existing_instance_is_a_replacement_up_refuses() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    ws.edit_env("dev", |text| {
        text.replace(
            "master_username = \"macroai_admin\"",
            "master_username = \"app_owner\"",
        )
    });
    let plan = ws.run(&["plan", "--env", "dev"]);
    plan.assert_success();
    assert!(
        plan.stdout.contains("! replace database"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("master_username: macroai_admin → app_owner"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("forces replacement"),
        "{}",
        plan.stdout
    );
    emulator.reset_recording();
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_code(1);
    assert!(up.stderr.contains("database"), "{}", up.stderr);
    assert!(up.stderr.contains("master_username"), "{}", up.stderr);
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
    let db = instance(&emulator, "dev").await;
    assert_eq!(db.master_username(), Some("macroai_admin"));
}

#[tokio::test]
async fn the_default_master_user_name_warns_on_stderr_and_a_bad_one_is_refused() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        text.replace(
            "master_username = \"macroai_admin\"",
            "master_username = \"postgres\"",
        )
    });
    let plan = ws.run(&["plan", "--env", "dev"]);
    plan.assert_success();
    let file = ws.env_file("dev").display().to_string();
    let warning = plan
        .stderr
        .lines()
        .find(|line| line.contains("warning:"))
        .unwrap_or_else(|| panic!("no warning:\n{}", plan.stderr));
    for part in [
        file.as_str(),
        "database.master_username",
        "\"postgres\"",
        "RDS.25",
        "\"macroai_admin\"",
    ] {
        assert!(warning.contains(part), "{part}: {warning}");
    }
    assert!(!plan.stdout.contains("warning"), "{}", plan.stdout);
    // JSON: the warning is an event on stderr, stdout stays one document.
    let json = ws.run(&["plan", "--env", "dev", "--output", "json"]);
    json.assert_success();
    let _: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        json.stderr.contains("database.master_username"),
        "{}",
        json.stderr
    );
    // Accepted: up builds it with that name.
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let db = instance(&emulator, "dev").await;
    assert_eq!(db.master_username(), Some("postgres"));

    for bad in ["1admin", "admin-user", "user"] {
        ws.edit_env("dev", |text| {
            let start = text.find("master_username = ").unwrap();
            let end = start + text[start..].find('\n').unwrap();
            format!(
                "{}master_username = \"{bad}\"{}",
                &text[..start],
                &text[end..]
            )
        });
        emulator.reset_recording();
        let run = ws.run(&["plan", "--env", "dev"]);
        run.assert_code(1);
        assert!(run.stderr.contains(&file), "{bad}: {}", run.stderr);
        assert!(
            run.stderr.contains("database.master_username"),
            "{bad}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(bad), "{bad}: {}", run.stderr);
        assert!(
            run.stderr.contains("macroai_admin"),
            "{bad}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(
            emulator.recorded_calls().is_empty(),
            "{bad}: {:?}",
            emulator.recorded_calls()
        );
    }
}

#[tokio::test]
async fn log_types_and_intervals_rds_does_not_accept_are_refused_before_any_call() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        text.replace(
            "log_exports = [\"postgresql\", \"upgrade\"]",
            "log_exports = [\"postgresql\", \"audit\"]",
        )
        .replace(
            "enhanced_monitoring_interval_seconds = 0",
            "enhanced_monitoring_interval_seconds = 20",
        )
    });
    let run = ws.run(&["plan", "--env", "dev"]);
    run.assert_code(1);
    for part in [
        "database.log_exports[1]",
        "\"audit\"",
        "database.enhanced_monitoring_interval_seconds",
        "0 (off), 1, 5, 10, 15, 30 or 60",
    ] {
        assert!(run.stderr.contains(part), "{part}: {}", run.stderr);
    }
    assert!(emulator.recorded_calls().is_empty());
}

#[tokio::test]
async fn an_env_file_without_the_security_keys_gets_the_secure_defaults() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        text.lines()
            .filter(|line| {
                ![
                    "force_ssl",
                    "iam_authentication",
                    "log_exports",
                    "enhanced_monitoring_interval_seconds",
                    "auto_minor_version_upgrade",
                ]
                .iter()
                .any(|key| line.starts_with(key))
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let db = instance(&emulator, "dev").await;
    assert_eq!(db.iam_database_authentication_enabled(), Some(true));
    assert_eq!(sorted_logs(&db), ["postgresql", "upgrade"]);
    assert_eq!(db.monitoring_interval(), Some(0));
    let set = parameters(&emulator, "dev").await;
    assert_eq!(set.get("rds.force_ssl").map(String::as_str), Some("1"));
}

/// RDS refuses a just-created monitoring role for seconds on AWS ("IAM role ARN value is
/// invalid ... ENHANCED_MONITORING"): the fault emulator refuses it for a while after the role
/// is created or changed, and `up` waits, for a new instance (CreateDBInstance) as for an
/// existing one that turns monitoring on (ModifyDBInstance).
#[tokio::test]
async fn a_fresh_monitoring_role_is_waited_for_before_a_new_instance_accepts_it() {
    let emulator = Emulator::start_realistic(&[]);
    // Long enough to outlast what the instance waits for besides the role (its subnet group,
    // parameter group, security group and secret).
    emulator.set_faults(&serde_json::json!({"iam_propagation": {"seconds": 10.0}}));
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        text.replace(
            "enhanced_monitoring_interval_seconds = 0",
            "enhanced_monitoring_interval_seconds = 60",
        )
    });
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_success();
    assert!(
        emulator.injected("iam_propagation", "rds:CreateDBInstance") > 0,
        "{}",
        up.stderr
    );
    assert_monitored_by_the_role(&emulator, &up).await;
}

#[tokio::test]
async fn a_fresh_monitoring_role_is_waited_for_before_an_existing_instance_accepts_it() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    emulator.set_faults(&serde_json::json!({"iam_propagation": {"seconds": 3.0}}));
    ws.edit_env("dev", |text| {
        text.replace(
            "enhanced_monitoring_interval_seconds = 0",
            "enhanced_monitoring_interval_seconds = 60",
        )
    });
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_success();
    assert!(
        emulator.injected("iam_propagation", "rds:ModifyDBInstance") > 0,
        "{}",
        up.stderr
    );
    assert_monitored_by_the_role(&emulator, &up).await;
}

async fn assert_monitored_by_the_role(emulator: &Emulator, up: &RunOutput) {
    assert!(
        up.stderr
            .contains("waiting for IAM role iam-rds-monitoring-role to propagate"),
        "{}",
        up.stderr
    );
    let db = instance(emulator, "dev").await;
    assert_eq!(db.monitoring_interval(), Some(60));
    assert!(db
        .monitoring_role_arn()
        .is_some_and(|arn| arn.ends_with("role/macro-ai-dev-rds-monitoring")));
    // One instance, whatever the refused attempts.
    let all = emulator
        .rds()
        .await
        .describe_db_instances()
        .send()
        .await
        .unwrap();
    assert_eq!(all.db_instances().len(), 1);
}
