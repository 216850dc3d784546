//! Stopping a run at any moment: Ctrl-C during a long database creation ends the run at once
//! and the next `up` resumes; `kill -9` at twenty instants spread over a whole `up` (network,
//! data and application layers, on the realistic emulator) never leaves a duplicate, an
//! orphan, or a state file that does not parse.
mod support;

use std::io::BufRead;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use support::census::{census, duplicates, ec2_ids};
use support::{Emulator, Workspace};

fn state_of(ws: &Workspace, env: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(ws.state_dir().join(format!("{env}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every physical id and output value the state records.
fn tracked(state: &serde_json::Value) -> std::collections::BTreeSet<String> {
    let mut tracked = std::collections::BTreeSet::new();
    for entry in state["resources"].as_object().unwrap().values() {
        tracked.insert(entry["physical_id"].as_str().unwrap().to_string());
        for value in entry["outputs"].as_object().unwrap().values() {
            tracked.insert(value.as_str().unwrap_or_default().to_string());
        }
    }
    tracked
}

/// Lines of a child's stderr, as they come.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = sender.send(line);
        }
    });
    receiver
}

#[tokio::test]
async fn ctrl_c_during_a_60_second_database_creation_exits_at_once_and_the_next_up_resumes() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=60")]);
    let ws = Workspace::new(&emulator);
    let mut child = ws
        .command(&["up", "--env", "dev", "--yes", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let receiver = lines_of(&mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    loop {
        let line = receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("never waited for the database:\n{}", lines.join("\n")));
        let waiting = line.contains("\"node_waiting\"") && line.contains("\"id\":\"database\"");
        lines.push(line);
        if waiting {
            break;
        }
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let interrupted = Instant::now();
    let status = child.wait().unwrap();
    let took = interrupted.elapsed();
    lines.extend(receiver.iter());
    let stderr = lines.join("\n");
    // The wait for a database that needs another ~55 s ended at once.
    assert!(
        took < Duration::from_secs(2),
        "exited {took:?} after SIGINT\n{stderr}"
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    // The notice went through the reporter (a JSON event), and the error names what is pending.
    assert!(
        stderr.contains("\"warning\"") && stderr.contains("interrupt received"),
        "{stderr}"
    );
    assert!(stderr.contains("still pending: database"), "{stderr}");
    // The database was created and is recorded; nothing after it was started.
    let state = state_of(&ws, "dev");
    let recorded = state["resources"]["database"]["physical_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(state["resources"].get("service-api").is_none());
    assert!(state.get("intents").is_none(), "{state}");
    let rds = emulator.rds().await;
    let instances = rds.describe_db_instances().send().await.unwrap();
    assert_eq!(instances.db_instances().len(), 1);
    assert_eq!(
        instances.db_instances()[0].db_instance_status(),
        Some("creating")
    );

    // The next up waits for the same database (no second one) and converges.
    emulator.reset_recording();
    let resumed = ws.run(&["up", "--env", "dev", "--yes"]);
    resumed.assert_success();
    assert!(
        emulator.recorded_params("CreateDBInstance").is_empty(),
        "the database was created twice"
    );
    let instances = rds.describe_db_instances().send().await.unwrap();
    assert_eq!(instances.db_instances().len(), 1);
    assert_eq!(
        instances.db_instances()[0].db_instance_identifier(),
        Some(recorded.as_str())
    );
    assert_eq!(
        instances.db_instances()[0].db_instance_status(),
        Some("available")
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(emulator.mutating_calls().is_empty());
}

#[tokio::test]
async fn a_failure_elsewhere_ends_the_wait_for_a_60_second_database_at_once() {
    let emulator =
        Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=60,alb=3")]);
    // Every CreateListener fails on AWS's side: the listener fails a few seconds in, while
    // the database still needs most of its minute.
    emulator.set_faults(&serde_json::json!({"rules": [
        {"fault": "server_error", "service": "elasticloadbalancing", "action": "CreateListener"}
    ]}));
    let ws = Workspace::new(&emulator);
    let started = Instant::now();
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    let took = started.elapsed();
    up.assert_code(1);
    assert!(up.stderr.contains("listener-http"), "{}", up.stderr);
    assert!(up.stderr.contains("InternalFailure"), "{}", up.stderr);
    assert!(
        up.stderr.contains("still pending: database"),
        "{}",
        up.stderr
    );
    // Nowhere near the database's minute: its wait ended with the failure.
    assert!(
        took < Duration::from_secs(40),
        "took {took:?}\n{}",
        up.stderr
    );
    let state = state_of(&ws, "dev");
    assert!(state["resources"]["database"]["physical_id"].is_string());
}

/// Kills `up` at `after` into the run; all the while checks that the state file, whenever
/// it exists, parses.
fn up_killed_after(ws: &Workspace, env: &str, after: Duration) {
    let path = ws.state_dir().join(format!("{env}.json"));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::SeqCst) {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .unwrap_or_else(|e| panic!("state file did not parse mid-run: {e}"));
                    reads += 1;
                }
                std::thread::sleep(Duration::from_millis(3));
            }
            reads
        })
    };
    let mut child = ws
        .command(&["up", "--env", env, "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill(); // SIGKILL (a no-op if it already finished)
    child.wait().unwrap();
    done.store(true, Ordering::SeqCst);
    watcher
        .join()
        .expect("the state file was unreadable at some instant");
}

/// `kill -9` at `instants` fractions of a whole `up`, each on a fresh account, each followed
/// by an `up` that must converge to exactly what an uninterrupted `up` makes.
async fn kills_at(instants: &[f64]) {
    let emulator = Emulator::start_realistic(&[(
        "MACROCTL_EMULATOR_CREATE_SECONDS",
        "nat=1,rds=2,elasticache=2,alb=1",
    )]);
    // The reference: one uninterrupted up, timed.
    let ws = Workspace::new(&emulator);
    let started = Instant::now();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let whole = started.elapsed();
    let reference = census(&emulator, "macro-ai", "staging").await;
    assert!(duplicates(&reference).is_empty(), "{reference:#?}");
    for &fraction in instants {
        emulator.reset();
        let ws = Workspace::new(&emulator);
        let at = whole.mul_f64(fraction);
        up_killed_after(&ws, "staging", at);
        // After a kill between a create's intent and its answer, macroctl looks until AWS
        // must show what the create made (no client token: VPC, EIP, internet gateway). The
        // emulator is consistent at once; a short bound keeps the test quick.
        let rerun = ws.run(&[
            "up",
            "--env",
            "staging",
            "--yes",
            "--consistency-timeout",
            "5s",
        ]);
        rerun.assert_success();
        let after = census(&emulator, "macro-ai", "staging").await;
        assert_eq!(
            duplicates(&after),
            Vec::<String>::new(),
            "duplicates after a kill at {at:?} of {whole:?}"
        );
        assert_eq!(after, reference, "kill at {at:?} of {whole:?}");
        // No orphan: every tagged EC2 resource is in state; nothing left half-begun.
        let state = state_of(&ws, "staging");
        let tracked = tracked(&state);
        for id in ec2_ids(&emulator, "staging").await {
            assert!(
                tracked.contains(&id),
                "{id} is not in state (kill at {at:?})"
            );
        }
        assert!(state.get("intents").is_none(), "kill at {at:?}: {state}");
        emulator.reset_recording();
        ws.run(&["up", "--env", "staging", "--yes"])
            .assert_success();
        assert!(
            emulator.mutating_calls().is_empty(),
            "not converged after the kill at {at:?}: {:?}",
            emulator.mutating_calls()
        );
    }
}

/// Twenty instants in all, in two tests so they run side by side: spread evenly over the
/// whole run, each nudged by a different amount.
#[tokio::test]
async fn kill_9_at_ten_early_and_middle_instants_then_up_converges() {
    kills_at(&[0.02, 0.07, 0.13, 0.18, 0.24, 0.29, 0.35, 0.41, 0.46, 0.52]).await;
}

#[tokio::test]
async fn kill_9_at_ten_late_instants_then_up_converges() {
    kills_at(&[0.57, 0.62, 0.68, 0.73, 0.79, 0.84, 0.88, 0.92, 0.96, 0.99]).await;
}
