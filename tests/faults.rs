//! A fresh staging `up` converges in one run while the emulator misbehaves the way AWS
//! documents that AWS misbehaves (`tests/emulator/faults.py`): responses lost after the call
//! was performed, NotFound for ids just created, IAM roles refused while they propagate,
//! throttling and 5xx — each alone and all together. Afterwards the environment holds exactly
//! what a clean `up` makes (a census through independent SDK calls, equal line for line: no
//! duplicate, rule sets exact), state tracks every tagged resource, and the next `up` makes no
//! mutating call.
mod support;

use serde_json::json;
use std::collections::BTreeSet;
use support::census::{census, duplicates, ec2_ids, Census};
use support::{Emulator, Workspace};

/// Creation times on the realistic emulator: short, but not instant.
const CREATE_SECONDS: &str = "nat=1,rds=1,elasticache=1,alb=1";

/// The census of a clean staging `up`, computed once for this test binary.
async fn clean_census() -> &'static Census {
    static CLEAN: tokio::sync::OnceCell<Census> = tokio::sync::OnceCell::const_new();
    CLEAN
        .get_or_init(|| async {
            let emulator =
                Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", CREATE_SECONDS)]);
            let ws = Workspace::new(&emulator);
            ws.run(&["up", "--env", "staging", "--yes"])
                .assert_success();
            census(&emulator, "macro-ai", "staging").await
        })
        .await
}

/// What a faulty run did: how many mutating requests reached the emulator and the injected
/// fault counts.
struct Faulted {
    mutating_requests: usize,
    counts: serde_json::Value,
}

impl Faulted {
    /// How many times `fault` fired, over every call.
    fn injected(&self, fault: &str) -> u64 {
        self.counts["injected"][fault]
            .as_object()
            .map(|calls| calls.values().filter_map(serde_json::Value::as_u64).sum())
            .unwrap_or(0)
    }
}

/// Runs one staging `up` from empty under `faults`; it must succeed in one run. Then, with
/// the faults gone, checks the environment against a clean run's and that it is converged.
async fn up_under(faults: serde_json::Value) -> Faulted {
    let emulator =
        Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", CREATE_SECONDS)]);
    let ws = Workspace::new(&emulator);
    emulator.set_faults(&faults);
    // The emulator's windows last at most 10 s; a bound well above that, so a run never
    // gives up on a fault that is about to clear (the default, 2 minutes, is for real AWS).
    let up = ws.run(&[
        "up",
        "--env",
        "staging",
        "--yes",
        "--consistency-timeout",
        "40s",
    ]);
    let faulted = Faulted {
        mutating_requests: emulator.mutating_calls().len(),
        counts: emulator.fault_counts(),
    };
    emulator.clear_faults();
    up.assert_success();
    eprintln!(
        "under {faults}: {} mutating requests reached the emulator; injected {}",
        faulted.mutating_requests, faulted.counts["injected"]
    );

    let after = census(&emulator, "macro-ai", "staging").await;
    assert_eq!(
        duplicates(&after),
        Vec::<String>::new(),
        "duplicates under {faults}"
    );
    assert_eq!(&after, clean_census().await, "under {faults}");
    // State tracks every tagged resource, and no create is left half-begun.
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.state_dir().join("staging.json")).unwrap(),
    )
    .unwrap();
    let tracked: BTreeSet<String> = state["resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|entry| entry["physical_id"].as_str().unwrap().to_string())
        .collect();
    for id in ec2_ids(&emulator, "staging").await {
        assert!(
            tracked.contains(&id),
            "{id} is not tracked in state (under {faults})"
        );
    }
    assert!(state.get("intents").is_none(), "{state}");
    ws.run(&["plan", "--env", "staging", "--detailed-exitcode"])
        .assert_code(0);
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert_eq!(
        emulator.mutating_calls(),
        Vec::new(),
        "not converged after the run under {faults}"
    );
    faulted
}

#[tokio::test]
async fn lost_responses_a_quarter_of_mutating_calls() {
    let faulted = up_under(json!({
        "seed": 11,
        "rules": [{"fault": "lose_response", "mutating": true, "probability": 0.25}],
    }))
    .await;
    // The order of calls (and so which ones are lost) varies with concurrency; a quarter
    // makes "at least a tenth" hold with a wide margin (about 3 standard deviations).
    let lost = faulted.injected("lose_response");
    assert!(
        lost as f64 >= 0.10 * faulted.mutating_requests as f64,
        "only {lost} of {} mutating responses were lost",
        faulted.mutating_requests
    );
}

#[tokio::test]
async fn not_found_windows_of_two_seconds_on_every_service() {
    let faulted = up_under(json!({
        "not_found_window": {"seconds": 2.0, "services": ["*"]},
    }))
    .await;
    assert!(
        faulted.injected("not_found_window") > 0,
        "{}",
        faulted.counts
    );
}

#[tokio::test]
async fn iam_propagation_of_ten_seconds() {
    let faulted = up_under(json!({"iam_propagation": {"seconds": 10.0}})).await;
    assert!(
        faulted.injected("iam_propagation") > 0,
        "{}",
        faulted.counts
    );
}

#[tokio::test]
async fn throttling_a_fifth_of_calls_and_five_percent_server_errors() {
    let faulted = up_under(json!({
        "seed": 5,
        "rules": [
            {"fault": "throttle", "probability": 0.2},
            {"fault": "server_error", "status": 500, "probability": 0.03},
            {"fault": "server_error", "status": 503, "probability": 0.03},
        ],
    }))
    .await;
    assert!(faulted.injected("throttle") > 0, "{}", faulted.counts);
    assert!(faulted.injected("server_error") > 0, "{}", faulted.counts);
}

#[tokio::test]
async fn all_faults_together() {
    let faulted = up_under(json!({
        "seed": 3,
        "rules": [
            {"fault": "lose_response", "mutating": true, "probability": 0.15},
            {"fault": "drop_connection", "probability": 0.02},
            {"fault": "throttle", "probability": 0.2},
            {"fault": "server_error", "status": 500, "probability": 0.025},
            {"fault": "server_error", "status": 503, "probability": 0.025},
        ],
        "not_found_window": {"seconds": 2.0, "services": ["*"]},
        "iam_propagation": {"seconds": 10.0},
    }))
    .await;
    for fault in [
        "lose_response",
        "throttle",
        "server_error",
        "not_found_window",
        "iam_propagation",
    ] {
        assert!(faulted.injected(fault) > 0, "{fault}: {}", faulted.counts);
    }
}
