//! `destroy`: everything macroctl made for an environment goes (checked with the SDK's own
//! describes and the tagging API, never through macroctl), the final snapshot stays, state
//! records the environment as destroyed, and `up` makes it again; the safety rails refuse
//! before anything is deleted.
mod support;

use support::census::census;
use support::{Emulator, Workspace};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn state_of(ws: &Workspace, env: &str) -> serde_json::Value {
    let path = ws.state_dir().join(format!("{env}.json"));
    json(&std::fs::read_to_string(path).expect("no state file"))
}

/// Everything the tagging API reports as tagged for `env`.
async fn tagged_for(emulator: &Emulator, env: &str) -> Vec<String> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::for_tests())
        .load()
        .await;
    let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = tagging
            .get_resources()
            .tag_filters(
                aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                    .key("macroctl:env")
                    .values(env)
                    .build(),
            )
            .set_pagination_token(token.take())
            .send()
            .await
            .expect("GetResources");
        arns.extend(
            page.resource_tag_mapping_list()
                .iter()
                .filter_map(|mapping| mapping.resource_arn().map(str::to_string)),
        );
        match page.pagination_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return arns,
        }
    }
}

#[tokio::test]
async fn destroy_deletes_everything_of_dev_and_up_makes_it_again() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let before = census(&emulator, "macro-ai", "dev").await;
    assert!(before.values().any(|lines| !lines.is_empty()));

    // No terminal and no --yes: refused, nothing deleted.
    let refused = ws.run(&["destroy", "--env", "dev"]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(census(&emulator, "macro-ai", "dev").await, before);

    let out = ws.run(&[
        "destroy",
        "--env",
        "dev",
        "--yes",
        "--purge-secrets",
        "--output",
        "json",
    ]);
    out.assert_success();
    let document = json(&out.stdout);
    assert_eq!(document["destroyed"], true, "{}", out.stdout);
    let snapshot = document["final_snapshot"]
        .as_str()
        .unwrap_or_else(|| panic!("no final snapshot named: {}", out.stdout))
        .to_string();
    assert!(snapshot.starts_with("macro-ai-dev-final-"), "{snapshot}");

    // Nothing of dev is left, by the SDK's describes and by the tagging API.
    let after = census(&emulator, "macro-ai", "dev").await;
    let left: Vec<_> = after
        .iter()
        .filter(|(_, lines)| !lines.is_empty())
        .collect();
    assert!(left.is_empty(), "left after destroy: {left:#?}");
    let tagged = tagged_for(&emulator, "dev").await;
    let tagged: Vec<_> = tagged
        .iter()
        .filter(|arn| !arn.contains(&format!(":snapshot:{snapshot}")))
        .collect();
    assert!(tagged.is_empty(), "still tagged for dev: {tagged:#?}");
    let ec2 = emulator.ec2().await;
    let addresses = ec2.describe_addresses().send().await.unwrap();
    assert!(addresses.addresses().is_empty(), "{addresses:?}");
    let interfaces = ec2.describe_network_interfaces().send().await.unwrap();
    assert!(
        interfaces.network_interfaces().is_empty(),
        "orphaned network interfaces: {interfaces:?}"
    );
    // The final snapshot, and only it, stays.
    let rds = emulator.rds().await;
    let snapshots = rds.describe_db_snapshots().send().await.unwrap();
    let names: Vec<_> = (snapshots.db_snapshots().iter())
        .filter_map(|s| s.db_snapshot_identifier())
        .collect();
    assert_eq!(names, [snapshot.as_str()]);

    // State: no resources, destroyed.
    let state = state_of(&ws, "dev");
    assert_eq!(state["resources"], serde_json::json!({}), "{state}");
    assert!(state["destroyed_at"].is_string(), "{state}");

    // Again: nothing to delete, success.
    let again = ws.run(&["destroy", "--env", "dev", "--yes"]);
    again.assert_success();
    assert!(
        again.stdout.contains("nothing to delete"),
        "{}",
        again.stdout
    );

    // And up makes it again.
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let remade = census(&emulator, "macro-ai", "dev").await;
    assert_eq!(
        remade.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    let state = state_of(&ws, "dev");
    assert!(state["destroyed_at"].is_null(), "{state}");
}

/// AWS performs a delete and the answer is lost, or throttles: destroy looks before deleting
/// again, and finishes with nothing left and one final snapshot.
#[tokio::test]
async fn destroy_survives_lost_responses_and_throttling() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    emulator.set_faults(&serde_json::json!({
        "seed": 11,
        "rules": [
            {"fault": "lose_response", "action": "Delete*", "mutating": true, "probability": 0.3},
            {"fault": "lose_response", "action": "Deregister*", "mutating": true, "probability": 0.3},
            {"fault": "lose_response", "action": "Release*", "mutating": true, "probability": 0.3},
            {"fault": "throttle", "probability": 0.1}
        ]
    }));
    let out = ws.run(&["destroy", "--env", "dev", "--yes", "--purge-secrets"]);
    let counts = emulator.fault_counts();
    emulator.clear_faults();
    out.assert_success();
    let lost: u64 = counts["injected"]["lose_response"]
        .as_object()
        .map(|calls| calls.values().filter_map(|n| n.as_u64()).sum())
        .unwrap_or(0);
    assert!(
        lost >= 5,
        "too few lost responses to prove anything: {counts}"
    );
    let after = census(&emulator, "macro-ai", "dev").await;
    let left: Vec<_> = after
        .iter()
        .filter(|(_, lines)| !lines.is_empty())
        .collect();
    assert!(left.is_empty(), "left after destroy: {left:#?}");
    let rds = emulator.rds().await;
    let snapshots = rds.describe_db_snapshots().send().await.unwrap();
    assert_eq!(snapshots.db_snapshots().len(), 1, "{snapshots:?}");
    let state = state_of(&ws, "dev");
    assert_eq!(state["resources"], serde_json::json!({}), "{state}");
}

#[tokio::test]
async fn destroy_refuses_protected_environments_and_deletion_protection() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    // prod is protected by default: refused before anything is read or deleted.
    emulator.reset_recording();
    let out = ws.run(&["destroy", "--env", "prod", "--yes"]);
    out.assert_code(1);
    assert!(out.stderr.contains("protected"), "{}", out.stderr);
    assert!(out.stderr.contains("--force-protected"), "{}", out.stderr);
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "{mutating:?}");

    // staging's database has deletion protection on: refused, naming it.
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let before = census(&emulator, "macro-ai", "staging").await;
    emulator.reset_recording();
    let out = ws.run(&["destroy", "--env", "staging", "--yes"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("database (deletion_protection is on)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--disable-deletion-protection"),
        "{}",
        out.stderr
    );
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "{mutating:?}");
    assert_eq!(census(&emulator, "macro-ai", "staging").await, before);
}

/// Runs `destroy` of staging and SIGKILLs it `after` into the run (a no-op if it finished).
fn destroy_killed_after(ws: &Workspace, after: std::time::Duration) {
    let mut child = ws
        .command(&DESTROY_STAGING)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    child.wait().unwrap();
}

const DESTROY_STAGING: [&str; 8] = [
    "destroy",
    "--env",
    "staging",
    "--yes",
    "--disable-deletion-protection",
    "--skip-final-snapshot",
    "--purge-secrets",
    "--delete-images",
];

/// With AWS's teardown behaviour (network interfaces that hold subnets and security groups
/// for seconds after their load balancer, service, database or NAT gateway is deleted; a NAT
/// gateway `deleting`; a cache group `deleting`), a destroy of staging finishes, and one
/// killed at any instant finishes when run again: nothing is left, state is empty.
#[tokio::test]
async fn destroy_killed_at_any_instant_finishes_when_run_again() {
    let emulator = Emulator::start_realistic(&[
        ("MACROCTL_EMULATOR_LINGER_SECONDS", "2"),
        ("MACROCTL_EMULATOR_CREATE_SECONDS", "elasticache=1"),
    ]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let started = std::time::Instant::now();
    let whole = ws.run(&DESTROY_STAGING);
    whole.assert_success();
    let whole_time = started.elapsed();
    // It had to wait for AWS to let go, not only call.
    assert!(
        whole.stderr.contains("DependencyViolation"),
        "no in-use retry seen:\n{}",
        whole.stderr
    );
    for fraction in [0.1, 0.35, 0.6, 0.85] {
        ws.run(&["up", "--env", "staging", "--yes"])
            .assert_success();
        let at = whole_time.mul_f64(fraction);
        destroy_killed_after(&ws, at);
        let again = ws.run(&DESTROY_STAGING);
        again.assert_success();
        let left = census(&emulator, "macro-ai", "staging").await;
        let left: Vec<_> = left.iter().filter(|(_, lines)| !lines.is_empty()).collect();
        assert!(left.is_empty(), "kill at {at:?}: left {left:#?}");
        let state = state_of(&ws, "staging");
        assert_eq!(state["resources"], serde_json::json!({}), "kill at {at:?}");
        assert!(state["destroyed_at"].is_string(), "kill at {at:?}: {state}");
    }
}
