//! The data layer end to end: secrets, RDS PostgreSQL and ElastiCache Redis per environment,
//! checked through independent SDK calls; modifications, refusals, secret hygiene, and the
//! database and cache being created at the same time.
mod support;

use std::collections::BTreeSet;
use support::{Emulator, RunOutput, Workspace};

/// One value of the workspace's env file, read with a TOML parser of the test's own.
fn env_value(ws: &Workspace, env: &str, section: &str, key: &str) -> toml::Value {
    let text = std::fs::read_to_string(ws.env_file(env)).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    value[section][key].clone()
}

async fn check_data_inventory(env: &str, azs: usize) {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", env, "--yes"]).assert_success();
    let rds = emulator.rds().await;
    let elasticache = emulator.elasticache().await;
    let secrets = emulator.secretsmanager().await;
    let ec2 = emulator.ec2().await;
    let db_value = |key: &str| env_value(&ws, env, "database", key);
    let cache_value = |key: &str| env_value(&ws, env, "cache", key);

    // Security groups by logical id, and the database subnets.
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:macroctl:env")
                .values(env)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let group_id = |logical: &str| -> String {
        groups
            .security_groups()
            .iter()
            .find(|g| {
                g.tags()
                    .iter()
                    .any(|t| t.key() == Some("macroctl:id") && t.value() == Some(logical))
            })
            .and_then(|g| g.group_id())
            .unwrap()
            .to_string()
    };

    // Secrets: both exist, with generated values of the right shape.
    let db_secret_name = format!("macro-ai/{env}/db-credentials");
    let db_secret: serde_json::Value = serde_json::from_str(
        secrets
            .get_secret_value()
            .secret_id(&db_secret_name)
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        db_secret["username"],
        db_value("master_username").as_str().unwrap()
    );
    let password = db_secret["password"].as_str().unwrap();
    assert!(password.len() >= 32);
    assert!(!password.contains(['"', '@', '/', '\\']));
    let api_secret: serde_json::Value = serde_json::from_str(
        secrets
            .get_secret_value()
            .secret_id(format!("macro-ai/{env}/api"))
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap(),
    )
    .unwrap();
    for key in ["API_KEY", "COOKIE_ENCRYPTION_KEY"] {
        assert!(api_secret[key].as_str().unwrap().len() >= 32, "{key}");
    }
    assert_eq!(api_secret["OPENAI_API_KEY"], "REPLACE_WITH_ACTUAL_KEY");
    assert_ne!(api_secret["API_KEY"], api_secret["COOKIE_ENCRYPTION_KEY"]);

    // RDS: the instance with the environment's values.
    let instances = rds
        .describe_db_instances()
        .db_instance_identifier(format!("macro-ai-{env}-postgres"))
        .send()
        .await
        .unwrap();
    let db = &instances.db_instances()[0];
    assert_eq!(db.engine(), Some("postgres"));
    let major: u32 = db
        .engine_version()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(major >= 15);
    assert_eq!(db.engine_version(), db_value("engine_version").as_str());
    assert_eq!(db.db_instance_class(), db_value("instance_class").as_str());
    assert_eq!(db.allocated_storage(), Some(20));
    assert_eq!(db.max_allocated_storage(), Some(100));
    assert_eq!(db.storage_type(), Some("gp3"));
    assert_eq!(db.storage_encrypted(), Some(true));
    assert_eq!(db.publicly_accessible(), Some(false));
    assert_eq!(db.multi_az(), db_value("multi_az").as_bool());
    assert_eq!(
        db.deletion_protection(),
        db_value("deletion_protection").as_bool()
    );
    assert_eq!(
        db.backup_retention_period().map(i64::from),
        db_value("backup_retention_days").as_integer()
    );
    // The emulator does not report Performance Insights: check what was asked for.
    let created = emulator.recorded_params("CreateDBInstance");
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0]
            .get("EnablePerformanceInsights")
            .map(String::as_str),
        Some(if db_value("performance_insights").as_bool().unwrap() {
            "true"
        } else {
            "false"
        })
    );
    assert_eq!(db.master_username(), db_value("master_username").as_str());
    assert_eq!(
        db.vpc_security_groups()[0].vpc_security_group_id(),
        Some(group_id("sg-db").as_str())
    );
    let subnet_group = db.db_subnet_group().unwrap();
    let subnet_azs: BTreeSet<&str> = subnet_group
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_availability_zone().and_then(|az| az.name()))
        .collect();
    assert_eq!(subnet_group.subnets().len(), azs);
    assert!(subnet_azs.len() >= 2, "database subnets span two AZs");
    assert_eq!(
        db.db_parameter_groups()[0].db_parameter_group_name(),
        Some(format!("macro-ai-{env}-postgres{major}").as_str())
    );

    // ElastiCache: the replication group.
    let groups_out = elasticache
        .describe_replication_groups()
        .replication_group_id(format!("macro-ai-{env}-redis"))
        .send()
        .await
        .unwrap();
    let cache = &groups_out.replication_groups()[0];
    assert_eq!(cache.cache_node_type(), cache_value("node_type").as_str());
    assert_eq!(cache.at_rest_encryption_enabled(), Some(true));
    assert_eq!(cache.transit_encryption_enabled(), Some(true));
    let replicas = cache_value("replicas").as_integer().unwrap() as usize;
    assert_eq!(
        cache.node_groups()[0].node_group_members().len(),
        replicas + 1
    );
    let multi_az = cache_value("multi_az").as_bool().unwrap();
    assert_eq!(
        cache.multi_az() == Some(&aws_sdk_elasticache::types::MultiAzStatus::Enabled),
        multi_az
    );
    let failover = cache_value("automatic_failover").as_bool().unwrap();
    assert_eq!(
        cache.automatic_failover()
            == Some(&aws_sdk_elasticache::types::AutomaticFailoverStatus::Enabled),
        failover
    );
    // The emulator keeps no member clusters: check the subnet group and the request.
    let subnet_groups = elasticache
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(format!("macro-ai-{env}-cache"))
        .send()
        .await
        .unwrap();
    assert_eq!(subnet_groups.cache_subnet_groups()[0].subnets().len(), azs);
    let created = emulator.recorded_params("CreateReplicationGroup");
    assert_eq!(created.len(), 1);
    let request = &created[0];
    assert_eq!(
        request.get("CacheSubnetGroupName").map(String::as_str),
        Some(format!("macro-ai-{env}-cache").as_str())
    );
    assert_eq!(
        request
            .get("SecurityGroupIds.SecurityGroupId.1")
            .map(String::as_str),
        Some(group_id("sg-redis").as_str()),
        "{request:?}"
    );
    assert_eq!(
        request.get("Engine").map(String::as_str),
        cache_value("engine").as_str()
    );

    // status shows each one's live status and endpoint.
    let status = ws.run(&["status", "--env", env, "--output", "json"]);
    status.assert_success();
    let document: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let entry = |id: &str| {
        document["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    let endpoint = db.endpoint().unwrap().address().unwrap();
    assert!(entry("database")["state"]
        .as_str()
        .unwrap()
        .contains(endpoint));
    assert!(entry("database")["state"]
        .as_str()
        .unwrap()
        .starts_with("available"));
    assert!(entry("cache")["state"]
        .as_str()
        .unwrap()
        .starts_with("available"));
}

#[tokio::test]
async fn dev_data_inventory() {
    check_data_inventory("dev", 2).await;
}

#[tokio::test]
async fn staging_data_inventory() {
    check_data_inventory("staging", 2).await;
}

#[tokio::test]
async fn prod_data_inventory() {
    check_data_inventory("prod", 3).await;
}

#[tokio::test]
async fn a_backup_retention_change_is_one_modify_and_a_downgrade_is_refused() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );

    ws.edit_env("dev", |text| {
        text.replace("backup_retention_days = 1", "backup_retention_days = 3")
    });
    let plan = ws.run(&["plan", "--env", "dev", "--detailed-exitcode"]);
    plan.assert_code(2);
    assert!(
        plan.stdout.contains("backup_retention_days: 1 → 3"),
        "{}",
        plan.stdout
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let calls: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert_eq!(calls, ["ModifyDBInstance"]);
    let rds = emulator.rds().await;
    let db = rds
        .describe_db_instances()
        .db_instance_identifier("macro-ai-dev-postgres")
        .send()
        .await
        .unwrap();
    assert_eq!(db.db_instances()[0].backup_retention_period(), Some(3));

    // A change AWS cannot make in place: plan says replace, up refuses and calls nothing.
    let version = env_value(&ws, "dev", "database", "engine_version");
    let version = version.as_str().unwrap().to_string();
    ws.edit_env("dev", |text| {
        text.replace(
            &format!("engine_version = \"{version}\""),
            "engine_version = \"15.2\"",
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
        plan.stdout.contains("forces replacement"),
        "{}",
        plan.stdout
    );
    emulator.reset_recording();
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_code(1);
    assert!(up.stderr.contains("database"), "{}", up.stderr);
    assert!(up.stderr.contains("replaced"), "{}", up.stderr);
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
}

/// Every secret value the environment holds, read independently.
async fn secret_values(emulator: &Emulator, env: &str) -> Vec<String> {
    let secrets = emulator.secretsmanager().await;
    let mut values = Vec::new();
    for which in ["db-credentials", "api"] {
        let text = secrets
            .get_secret_value()
            .secret_id(format!("macro-ai/{env}/{which}"))
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap()
            .to_string();
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).unwrap();
        for (key, value) in object {
            if key != "username" && value != "REPLACE_WITH_ACTUAL_KEY" {
                values.push(value.as_str().unwrap().to_string());
            }
        }
    }
    values
}

#[track_caller]
fn assert_no_secret(run: &RunOutput, values: &[String], what: &str) {
    for value in values {
        assert!(
            !run.stdout.contains(value.as_str()),
            "{what}: a secret value is on stdout"
        );
        assert!(
            !run.stderr.contains(value.as_str()),
            "{what}: a secret value is on stderr"
        );
    }
}

#[tokio::test]
async fn secret_values_never_appear_in_state_output_or_logs() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let mut runs = Vec::new();
    let mut up = ws.command(&["up", "--env", "staging", "--yes", "-vvv"]);
    up.env("RUST_LOG", "trace");
    let output = up.output().unwrap();
    runs.push(RunOutput {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    });
    runs[0].assert_success();
    assert!(runs[0].stderr.len() > 10_000, "trace logging was on");
    runs.push(ws.run(&["status", "--env", "staging", "--output", "json", "-vvv"]));
    runs.push(ws.run(&["plan", "--env", "staging", "-vv"]));
    runs.push(ws.run(&["state", "show", "--env", "staging"]));
    runs.push(ws.run(&["secret", "list", "--env", "staging"]));

    // set: the value comes from stdin and is stored; rotate regenerates.
    let mut set = ws.command(&[
        "secret",
        "set",
        "--env",
        "staging",
        "OPENAI_API_KEY",
        "-vvv",
    ]);
    set.env("RUST_LOG", "trace")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = set.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"sk-test-0123456789abcdef0123456789abcdef\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    runs.push(RunOutput {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    });
    runs.last().unwrap().assert_success();
    let before = secret_values(&emulator, "staging").await;
    let rotate = ws.run(&["secret", "rotate", "--env", "staging", "API_KEY", "-vvv"]);
    rotate.assert_success();
    runs.push(rotate);
    let rotate_db = ws.run(&["secret", "rotate", "--env", "staging", "DB_PASSWORD"]);
    rotate_db.assert_success();
    runs.push(rotate_db);
    let after = secret_values(&emulator, "staging").await;
    assert!(after.contains(&"sk-test-0123456789abcdef0123456789abcdef".to_string()));
    assert_eq!(before.len(), after.len());
    let rotated = after.iter().filter(|v| !before.contains(v)).count();
    assert_eq!(
        rotated, 2,
        "API_KEY and the DB password changed, nothing else"
    );

    // Not in anything macroctl wrote: every output of every run, and the state files.
    let mut values = before.clone();
    values.extend(after);
    for (index, run) in runs.iter().enumerate() {
        assert_no_secret(run, &values, &format!("run {index}"));
    }
    for entry in std::fs::read_dir(ws.state_dir()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for value in &values {
            assert!(
                !text.contains(value.as_str()),
                "a secret value is in the state dir"
            );
        }
    }
    // up never overwrites: a second up leaves the values as they are.
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert_eq!(
        secret_values(&emulator, "staging").await.len(),
        values.len() / 2
    );
    let again = secret_values(&emulator, "staging").await;
    assert!(again.contains(&"sk-test-0123456789abcdef0123456789abcdef".to_string()));

    // Refusals: a value on argv is not accepted, rotating a non-generated key is refused.
    let argv = ws.run(&[
        "secret",
        "set",
        "--env",
        "staging",
        "OPENAI_API_KEY",
        "sk-on-argv",
    ]);
    argv.assert_code(1);
    let bad_rotate = ws.run(&["secret", "rotate", "--env", "staging", "OPENAI_API_KEY"]);
    bad_rotate.assert_code(1);
    assert!(
        bad_rotate.stderr.contains("not a generated value"),
        "{}",
        bad_rotate.stderr
    );
}

#[tokio::test]
async fn the_database_and_the_cache_are_created_at_the_same_time() {
    let emulator =
        Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=3,elasticache=3")]);
    let ws = Workspace::new(&emulator);
    let run = ws.run(&["up", "--env", "dev", "--yes", "--output", "json"]);
    run.assert_success();
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let time = |kind: &str, id: &str| -> String {
        events
            .iter()
            .find(|e| e["type"] == kind && e["id"] == id)
            .map(|e| e["time"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {kind} event for {id}: {}", run.stderr))
    };
    let (db_start, db_end) = (
        time("node_started", "database"),
        time("node_finished", "database"),
    );
    let (cache_start, cache_end) = (
        time("node_started", "cache"),
        time("node_finished", "cache"),
    );
    // RFC 3339 UTC with a fixed width compares correctly as text.
    assert!(
        db_start < cache_end,
        "the database started before the cache finished"
    );
    assert!(
        cache_start < db_end,
        "the cache started before the database finished"
    );
    // Waits were shown, with what was waited on.
    assert!(
        events.iter().any(|e| e["type"] == "node_waiting"
            && e["id"] == "database"
            && e["message"].as_str().unwrap().contains("creating")),
        "{}",
        run.stderr
    );
    let rds = emulator.rds().await;
    let db = rds
        .describe_db_instances()
        .db_instance_identifier("macro-ai-dev-postgres")
        .send()
        .await
        .unwrap();
    assert_eq!(db.db_instances()[0].db_instance_status(), Some("available"));
}
