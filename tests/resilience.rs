//! Crashes, kills and concurrent runs: a kill -9 at any point of `up` followed by another
//! `up` leaves no duplicate and no orphan; two runs on one environment never overlap. (Ctrl-C
//! and kills over the data and application layers: `interrupts.rs`.)
mod support;

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};
use support::{Emulator, Workspace};

fn state_serial(ws: &Workspace, env: &str) -> u64 {
    std::fs::read_to_string(ws.state_dir().join(format!("{env}.json")))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|state| state["serial"].as_u64())
        .unwrap_or(0)
}

/// Counts of this environment's tagged resources per kind, read with the SDK.
async fn counts(emulator: &Emulator, env: &str) -> [usize; 7] {
    let ec2 = emulator.ec2().await;
    let f = || {
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:macroctl:env")
            .values(env)
            .build()
    };
    [
        ec2.describe_vpcs()
            .filters(f())
            .send()
            .await
            .unwrap()
            .vpcs()
            .len(),
        ec2.describe_subnets()
            .filters(f())
            .send()
            .await
            .unwrap()
            .subnets()
            .len(),
        ec2.describe_internet_gateways()
            .filters(f())
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .len(),
        ec2.describe_nat_gateways()
            .filter(f())
            .send()
            .await
            .unwrap()
            .nat_gateways()
            .iter()
            .filter(|nat| nat.state().map(|s| s.as_str()) != Some("deleted"))
            .count(),
        ec2.describe_addresses()
            .filters(f())
            .send()
            .await
            .unwrap()
            .addresses()
            .len(),
        ec2.describe_route_tables()
            .filters(f())
            .send()
            .await
            .unwrap()
            .route_tables()
            .len(),
        ec2.describe_security_groups()
            .filters(f())
            .send()
            .await
            .unwrap()
            .security_groups()
            .len(),
    ]
}

/// prod: 1 VPC, 9 subnets, 1 internet gateway, 3 NAT gateways, 3 EIPs, 5 route tables, 6 groups
/// (the RDS Proxy's included).
const PROD_COUNTS: [usize; 7] = [1, 9, 1, 3, 3, 5, 6];

#[tokio::test]
async fn kill_9_during_up_then_up_leaves_no_duplicates_or_orphans() {
    // Kill after the k-th state write: early, in the middle, and late in the run.
    for kill_after in [1u64, 8, 20] {
        let emulator = Emulator::start();
        let ws = Workspace::new(&emulator);
        let mut child = ws
            .command(&["up", "--env", "prod", "--yes", "--parallelism", "1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while state_serial(&ws, "prod") < kill_after {
            assert!(
                Instant::now() < deadline,
                "up never reached serial {kill_after}"
            );
            if child.try_wait().unwrap().is_some() {
                panic!("up finished before it could be killed at serial {kill_after}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let partial = counts(&emulator, "prod").await;
        assert_ne!(
            partial, PROD_COUNTS,
            "the kill left work undone (kill at {kill_after})"
        );

        // A kill right after an intent was saved leaves a create that may or may not have
        // been sent; for a VPC (no client token) macroctl looks until AWS must show it. moto
        // is consistent at once, so a short bound keeps the test quick.
        let rerun = ws.run(&[
            "up",
            "--env",
            "prod",
            "--yes",
            "--consistency-timeout",
            "5s",
        ]);
        rerun.assert_success();
        assert!(rerun.stderr.contains("stale lock"), "{}", rerun.stderr);
        assert_eq!(
            counts(&emulator, "prod").await,
            PROD_COUNTS,
            "kill at {kill_after}"
        );

        // No orphan: everything tagged for prod is recorded in state.
        let state: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(ws.state_dir().join("prod.json")).unwrap(),
        )
        .unwrap();
        let recorded: std::collections::BTreeSet<String> = state["resources"]
            .as_object()
            .unwrap()
            .values()
            .map(|entry| entry["physical_id"].as_str().unwrap().to_string())
            .collect();
        let ec2 = emulator.ec2().await;
        let vpcs = ec2.describe_vpcs().send().await.unwrap();
        for vpc in vpcs.vpcs() {
            if vpc.tags().iter().any(|t| t.key() == Some("macroctl:env")) {
                assert!(recorded.contains(vpc.vpc_id().unwrap()));
            }
        }
        let groups = ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:macroctl:env")
                    .values("prod")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        for group in groups.security_groups() {
            assert!(recorded.contains(group.group_id().unwrap()));
        }
        // Every resource of the stack is recorded, once.
        let plan = ws.run(&["plan", "--env", "prod", "--output", "json"]);
        plan.assert_success();
        let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
        assert_eq!(
            plan["has_changes"], false,
            "converged after the kill at {kill_after}"
        );
        assert_eq!(
            state["resources"].as_object().unwrap().len(),
            plan["resources"].as_array().unwrap().len()
        );

        emulator.reset_recording();
        ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
        assert!(
            emulator.mutating_calls().is_empty(),
            "converged after the kill at {kill_after}"
        );
    }
}

/// A TCP listener that accepts connections and never answers: an AWS endpoint that hangs.
fn black_hole() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { break };
            let mut buffer = [0u8; 4096];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
            let _ = stream.read(&mut buffer);
            held.push(stream);
        }
    });
    (address, handle)
}

#[tokio::test]
async fn a_second_up_exits_3_naming_the_holder_and_a_killed_holder_leaves_no_stuck_lock() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let (hanging_endpoint, _listener) = black_hole();
    // The first run hangs on its first AWS call, holding the lock.
    let mut first = ws
        .command(&["up", "--env", "staging", "--yes"])
        .env("AWS_ENDPOINT_URL", &hanging_endpoint)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock_file = ws.state_dir().join("staging.lock");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&lock_file)
        .map(|text| !text.contains(&first.id().to_string()))
        .unwrap_or(true)
    {
        assert!(
            Instant::now() < deadline,
            "the first up never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let second = ws.run(&["up", "--env", "staging", "--yes"]);
    second.assert_code(3);
    assert!(
        second.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("macroctl up --env staging"),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("state unlock"), "{}", second.stderr);
    assert!(!second.stderr.contains("panicked"));

    // Waiting with --lock-timeout also ends in 3 when the holder stays.
    let waited = ws.run(&["up", "--env", "staging", "--yes", "--lock-timeout", "1s"]);
    waited.assert_code(3);
    assert!(waited.stderr.contains("waiting"), "{}", waited.stderr);

    // Reads take no lock.
    ws.run(&["plan", "--env", "staging"]).assert_success();

    // kill -9 the holder: the OS releases its lock, and the next run says it took it over.
    first.kill().unwrap();
    first.wait().unwrap();
    let third = ws.run(&["up", "--env", "staging", "--yes"]);
    third.assert_success();
    assert!(third.stderr.contains("stale lock"), "{}", third.stderr);

    // state unlock on a free lock is harmless.
    let unlock = ws.run(&["state", "unlock", "--env", "staging"]);
    unlock.assert_success();
    assert!(unlock.stdout.contains("not locked"), "{}", unlock.stdout);
}
