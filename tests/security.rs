//! The plan's security section end to end: for each shipped environment the controls it lists as
//! not met are exactly the exceptions its env file records (and none are warned about); an unmet
//! control without an exception, and an exception for a control that is met, are warnings
//! naming the file; an unknown control id is refused before any AWS call; after `up`, the
//! secrets' ages come from their current versions (`ListSecretVersionIds`, one per secret) and
//! no subnet maps public IPs on launch (FSBP EC2.15, checked with the emulator's EC2).
mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use support::{Emulator, RunOutput, Workspace};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn plan_json(ws: &Workspace, env: &str) -> (Value, RunOutput) {
    let run = ws.run(&["plan", "--env", env, "--output", "json"]);
    run.assert_success();
    (json(&run.stdout), run)
}

/// The control ids the plan says are not met.
fn unmet(plan: &Value) -> BTreeSet<String> {
    plan["security"]["findings"]
        .as_array()
        .expect("security.findings")
        .iter()
        .filter(|f| f["status"] == "unmet")
        .map(|f| f["control"].as_str().unwrap().to_string())
        .collect()
}

/// `[security.exceptions]` of the workspace's env file, read independently of macroctl.
fn exceptions(ws: &Workspace, env: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(ws.env_file(env)).unwrap();
    let file: toml::Value = toml::from_str(&text).unwrap();
    file["security"]["exceptions"]
        .as_table()
        .map(|table| table.keys().cloned().collect())
        .unwrap_or_default()
}

fn finding<'a>(plan: &'a Value, control: &str) -> &'a Value {
    plan["security"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control"] == control)
        .unwrap_or_else(|| panic!("no finding for {control}"))
}

#[tokio::test]
async fn each_environment_lists_exactly_its_recorded_exceptions() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    for env in ["dev", "staging", "prod"] {
        let (plan, run) = plan_json(&ws, env);
        let excepted = exceptions(&ws, env);
        assert!(!excepted.is_empty(), "{env}");
        assert_eq!(unmet(&plan), excepted, "{env}");
        for id in &excepted {
            let f = finding(&plan, id);
            assert!(
                f["exception"].as_str().is_some_and(|r| !r.is_empty()),
                "{f}"
            );
            assert!(f["detail"].as_str().is_some_and(|d| !d.is_empty()), "{f}");
        }
        assert_eq!(plan["security"]["stale_exceptions"], serde_json::json!([]));
        assert!(
            !run.stderr.contains("not recorded as exceptions"),
            "{}",
            run.stderr
        );
        // The text plan shows the same, with each exception's reason and how to meet it.
        let text = ws.run(&["plan", "--env", env]);
        text.assert_success();
        assert!(text
            .stdout
            .contains("Security (AWS Foundational Security Best Practices"));
        for id in &excepted {
            assert!(
                text.stdout.contains(id.as_str()),
                "{env}: {id} missing:\n{}",
                text.stdout
            );
        }
        assert_eq!(
            text.stdout.matches("      exception: ").count(),
            excepted.len(),
            "{}",
            text.stdout
        );
    }
    // Settings decide: staging with a Multi-AZ database meets RDS.5, and its exception is stale.
    ws.edit_env("staging", |text| {
        text.replacen("multi_az = false", "multi_az = true", 1)
    });
    let (plan, run) = plan_json(&ws, "staging");
    assert_eq!(finding(&plan, "RDS.5")["status"], "met");
    assert_eq!(
        plan["security"]["stale_exceptions"],
        serde_json::json!(["RDS.5"])
    );
    assert!(
        run.stderr.contains("names control(s) that are met: RDS.5")
            && run.stderr.contains("staging.toml"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn an_unexcepted_control_is_a_warning_and_an_unknown_id_an_error() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        let line = text
            .lines()
            .find(|line| line.starts_with("\"RDS.5\" = "))
            .expect("dev excepts RDS.5")
            .to_string();
        text.replacen(&format!("{line}\n"), "", 1)
    });
    let (plan, run) = plan_json(&ws, "dev");
    let rds5 = finding(&plan, "RDS.5");
    assert_eq!(rds5["status"], "unmet");
    assert!(rds5["exception"].is_null(), "{rds5}");
    assert_eq!(rds5["detail"], "[database] multi_az = true");
    assert!(
        run.stderr
            .contains("not met and not recorded as exceptions: RDS.5")
            && run.stderr.contains("dev.toml"),
        "{}",
        run.stderr
    );
    let text = ws.run(&["plan", "--env", "dev"]);
    assert!(
        text.stdout.contains("no exception recorded"),
        "{}",
        text.stdout
    );

    // A misspelt control id is refused when the file is loaded: no AWS call.
    ws.edit_env("dev", |text| {
        text.replacen("\"RDS.6\" = ", "\"RDS.66\" = ", 1)
    });
    emulator.reset_recording();
    let run = ws.run(&["plan", "--env", "dev"]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("security.exceptions")
            && run.stderr.contains("RDS.66")
            && run.stderr.contains("did you mean")
            && run.stderr.contains("dev.toml"),
        "{}",
        run.stderr
    );
    assert!(emulator.recorded_calls().is_empty());
}

#[tokio::test]
async fn after_up_secret_ages_are_read_and_subnets_assign_no_public_ips() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    emulator.reset_recording();
    let (plan, _) = plan_json(&ws, "dev");
    let age = finding(&plan, "SecretsManager.4");
    assert_eq!(age["status"], "met", "{age}");
    // One ListSecretVersionIds per secret, each for one of the environment's secrets.
    let asked: BTreeSet<String> = emulator
        .recorded_json("ListSecretVersionIds")
        .iter()
        .map(|body| body["SecretId"].as_str().unwrap().to_string())
        .collect();
    let secrets = emulator.secretsmanager().await;
    let listed = secrets.list_secrets().send().await.unwrap();
    let arns: BTreeSet<String> = listed
        .secret_list()
        .iter()
        .filter(|s| s.name().is_some_and(|n| n.starts_with("macro-ai/dev/")))
        .map(|s| s.arn().unwrap().to_string())
        .collect();
    assert_eq!(arns.len(), 2, "{arns:?}");
    assert_eq!(asked, arns);

    // FSBP EC2.15: none of the environment's subnets, public ones included, maps public IPs;
    // dev's tasks (no NAT gateway) get theirs per task.
    let ec2 = emulator.ec2().await;
    let subnets = ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:macroctl:env")
                .values("dev")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(subnets.subnets().len() >= 4);
    for subnet in subnets.subnets() {
        assert_eq!(subnet.map_public_ip_on_launch(), Some(false), "{subnet:?}");
    }
    let ecs = emulator.ecs().await;
    let services = ecs
        .describe_services()
        .cluster("macro-ai-dev")
        .services("api")
        .send()
        .await
        .unwrap();
    let network = services.services()[0]
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .unwrap();
    assert_eq!(
        network.assign_public_ip().map(|a| a.as_str()),
        Some("ENABLED")
    );
}
