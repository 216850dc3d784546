//! State and the lock in S3, on the realistic emulator (whose S3 makes conditional writes
//! atomic, as S3 does): bad URLs and unfit buckets are refused before anything changes;
//! `state init-backend` makes a fit bucket; two working directories share one state and
//! exactly one run holds the lock; a holder killed with kill -9 gives it up after its lease;
//! a write from a stale version is refused; `state push` / `pull` keep serial and lineage.
//! Everything is checked with the SDK's own S3 calls, not through macroctl.
mod support;

use std::time::{Duration, Instant};
use support::{Emulator, RunOutput, Workspace};

const URL: &str = "s3://macro-state/teams";
const BUCKET: &str = "macro-state";

fn json(run: &RunOutput) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

async fn object(emulator: &Emulator, key: &str) -> Option<Vec<u8>> {
    let s3 = emulator.s3().await;
    match s3.get_object().bucket(BUCKET).key(key).send().await {
        Ok(output) => Some(output.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(_) => None,
    }
}

async fn remote_state(emulator: &Emulator, env: &str) -> serde_json::Value {
    let bytes = object(emulator, &format!("teams/{env}.json"))
        .await
        .unwrap_or_else(|| panic!("no state object for {env}"));
    serde_json::from_slice(&bytes).unwrap()
}

/// Waits (up to 60 s) until the lock object of `env` exists.
async fn wait_for_lock(emulator: &Emulator, env: &str) -> serde_json::Value {
    let started = Instant::now();
    loop {
        if let Some(bytes) = object(emulator, &format!("teams/{env}.lock")).await {
            return serde_json::from_slice(&bytes).unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the lock never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `plan --detailed-exitcode` on the S3 state finds nothing to change.
fn assert_converged(ws: &Workspace) {
    ws.run(&[
        "plan",
        "--env",
        "dev",
        "--state-url",
        URL,
        "--detailed-exitcode",
    ])
    .assert_code(0);
}

fn init(ws: &Workspace) {
    ws.run(&["state", "init-backend", "--state-url", URL])
        .assert_success();
}

#[tokio::test]
async fn bad_urls_and_unfit_buckets_are_clear_errors_that_change_nothing() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    for (url, why) in [
        ("s3://", "names no bucket"),
        ("s3:///x", "names no bucket"),
        ("gs://b", "scheme `gs` is not supported"),
    ] {
        emulator.reset_recording();
        let run = ws.run(&["up", "--env", "dev", "--yes", "--state-url", url]);
        run.assert_code(1);
        assert!(run.stderr.contains(why), "{url}: {}", run.stderr);
        assert!(run.stderr.contains("s3://BUCKET"), "{url}: {}", run.stderr);
        assert_eq!(emulator.recorded_calls(), Vec::new(), "{url}");
    }
    // A bucket that does not exist, and one that is not versioned: named, with the fix.
    emulator.reset_recording();
    let missing = ws.run(&["up", "--env", "dev", "--yes", "--state-url", URL]);
    missing.assert_code(1);
    assert!(
        missing.stderr.contains("macro-state does not exist")
            && missing
                .stderr
                .contains("state init-backend --state-url s3://macro-state/teams"),
        "{}",
        missing.stderr
    );
    emulator
        .s3()
        .await
        .create_bucket()
        .bucket("plain-bucket")
        .send()
        .await
        .unwrap();
    let unversioned = ws.run(&["plan", "--env", "dev", "--state-url", "s3://plain-bucket"]);
    unversioned.assert_code(1);
    assert!(
        unversioned.stderr.contains("not versioned"),
        "{}",
        unversioned.stderr
    );
    assert_eq!(emulator.mutating_calls().len(), 1, "only the test's bucket");
    assert!(!ws.state_dir().join("dev.json").exists());
    // In the environment file, a bad URL names its key.
    ws.edit_env("dev", |text| format!("{text}\n[state]\nurl = \"gs://b\"\n"));
    let bad = ws.run(&["plan", "--env", "dev"]);
    bad.assert_code(1);
    assert!(bad.stderr.contains("state.url"), "{}", bad.stderr);
}

#[tokio::test]
async fn init_backend_makes_a_versioned_encrypted_private_tls_only_bucket_idempotently() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    let first = ws.run(&["state", "init-backend", "--state-url", URL]);
    first.assert_success();
    assert!(
        first.stdout.contains("Created bucket macro-state"),
        "{}",
        first.stdout
    );
    let again = ws.run(&["state", "init-backend", "--state-url", URL]);
    again.assert_success();
    assert!(
        again.stdout.contains("Checked bucket macro-state"),
        "{}",
        again.stdout
    );

    let s3 = emulator.s3().await;
    let versioning = s3
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versioning.status(),
        Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled)
    );
    let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let policy = policy.policy().unwrap();
    assert!(
        policy.contains("aws:SecureTransport") && policy.contains("Deny"),
        "{policy}"
    );
    let access = s3
        .get_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let access = access.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            access.block_public_acls(),
            access.ignore_public_acls(),
            access.block_public_policy(),
            access.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let encryption = s3
        .get_bucket_encryption()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let rules = encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules();
    assert_eq!(
        rules[0]
            .apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm(),
        &aws_sdk_s3::types::ServerSideEncryption::Aes256
    );
    let tags = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    assert!(tags
        .tag_set()
        .iter()
        .any(|tag| tag.key() == "macroctl:purpose" && tag.value() == "state"));
}

#[tokio::test]
async fn two_working_directories_share_one_state_and_one_lock() {
    let emulator = Emulator::start_realistic(&[
        ("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=3"),
        ("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1"),
    ]);
    let laptop = Workspace::new(&emulator);
    let ci = Workspace::new(&emulator);
    init(&laptop);

    // The laptop's up holds the lock; CI's up is refused with exit 3, naming it.
    // Its output goes to a file: a pipe nobody reads until it exits would fill up and stall
    // it (the whole stack's progress is more than a pipe holds).
    let holder_log = laptop.path().join("holder.log");
    let mut holder = laptop
        .command(&["up", "--env", "dev", "--yes", "--state-url", URL])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&holder_log).unwrap())
        .spawn()
        .unwrap();
    let lock = wait_for_lock(&emulator, "dev").await;
    assert_eq!(lock["pid"], holder.id());
    let refused = ci.run(&["up", "--env", "dev", "--yes", "--state-url", URL]);
    refused.assert_code(3);
    assert!(
        refused
            .stderr
            .contains(&format!("locked by pid {}", holder.id()))
            && refused.stderr.contains(lock["lock_id"].as_str().unwrap()),
        "{}",
        refused.stderr
    );
    assert!(
        holder.wait().unwrap().success(),
        "{}",
        std::fs::read_to_string(&holder_log).unwrap_or_default()
    );
    assert!(
        object(&emulator, "teams/dev.lock").await.is_none(),
        "the lock is released"
    );

    // CI sees what the laptop made: nothing to change, and the release history.
    assert_converged(&ci);
    let image = "api=123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-api:2.0.0";
    laptop
        .run(&[
            "deploy",
            "--env",
            "dev",
            "--image",
            image,
            "--state-url",
            URL,
            "--wait-timeout",
            "60s",
        ])
        .assert_success();
    let releases = ci.run(&[
        "releases",
        "--env",
        "dev",
        "--state-url",
        URL,
        "--output",
        "json",
    ]);
    releases.assert_success();
    assert_eq!(json(&releases)["releases"].as_array().unwrap().len(), 2);
    ci.run(&[
        "rollback",
        "--env",
        "dev",
        "--state-url",
        URL,
        "--wait-timeout",
        "60s",
    ])
    .assert_success();
    let state = remote_state(&emulator, "dev").await;
    let releases = state["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 3, "{releases:?}");
    assert_eq!(releases[2]["command"], "rollback");
    // Neither working directory keeps a state file of its own.
    assert!(!laptop.state_dir().join("dev.json").exists());
    assert!(!ci.state_dir().join("dev.json").exists());
    // No secret value is in the state object: the database password is in Secrets Manager.
    let secrets = emulator.secretsmanager().await;
    let credentials = secrets
        .get_secret_value()
        .secret_id("macro-ai/dev/db-credentials")
        .send()
        .await
        .unwrap();
    let password: serde_json::Value =
        serde_json::from_str(credentials.secret_string().unwrap()).unwrap();
    let password = password["password"].as_str().unwrap();
    let bytes = object(&emulator, "teams/dev.json").await.unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(password));
}

#[tokio::test]
async fn a_holder_killed_with_kill_9_gives_up_the_lock_after_its_lease() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=30")]);
    let ws = Workspace::new(&emulator);
    let other = Workspace::new(&emulator);
    init(&ws);
    let mut holder = ws
        .command(&["up", "--env", "dev", "--yes", "--state-url", URL])
        .env("MACROCTL_LOCK_LEASE_SECONDS", "3")
        .spawn()
        .unwrap();
    let lock = wait_for_lock(&emulator, "dev").await;
    // Killed once it has saved something (the state object exists).
    let started = Instant::now();
    while object(&emulator, "teams/dev.json").await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no state saved"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    holder.kill().unwrap(); // SIGKILL: no cleanup runs
    holder.wait().unwrap();
    assert!(
        object(&emulator, "teams/dev.lock").await.is_some(),
        "a killed holder leaves its lock behind"
    );
    // It is shown, with its id; unlocking another id removes nothing.
    let shown = other.run(&["state", "list", "--state-url", URL]);
    shown.assert_success();
    let lock_id = lock["lock_id"].as_str().unwrap();
    assert!(shown.stdout.contains(lock_id), "{}", shown.stdout);
    let wrong = other.run(&[
        "state",
        "unlock",
        "--env",
        "dev",
        "--state-url",
        URL,
        "--lock-id",
        "not-the-id",
    ]);
    wrong.assert_code(1);
    assert!(
        wrong
            .stderr
            .contains(&format!("has lock id {lock_id}, not not-the-id")),
        "{}",
        wrong.stderr
    );
    assert!(object(&emulator, "teams/dev.lock").await.is_some());
    let resumed = other.run(&[
        "up",
        "--env",
        "dev",
        "--yes",
        "--state-url",
        URL,
        "--lock-timeout",
        "90s",
    ]);
    resumed.assert_success();
    assert!(
        resumed.stderr.contains("took over the lock")
            && resumed.stderr.contains(&format!("pid {}", lock["pid"])),
        "{}",
        resumed.stderr
    );
    assert_converged(&other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_from_a_stale_version_is_refused_and_a_lost_answer_is_not_a_conflict() {
    use macroctl::state::remote::RemoteState;
    use macroctl::state::{State, StateError, StateStore};
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    init(&ws);
    let location = macroctl::state::url::parse(URL).unwrap();
    let store = |s3: aws_sdk_s3::Client| {
        StateStore::remote(RemoteState::new(s3, location.clone(), "dev"), "dev")
    };
    let first = store(emulator.s3().await);
    let second = store(emulator.s3().await);
    assert!(first.load().unwrap().is_none());
    assert!(second.load().unwrap().is_none());
    let mut ours = State::new("macro-ai", "dev");
    first.save(&mut ours).unwrap();
    // The second writer read before the first wrote: refused, nothing overwritten.
    let mut theirs = State::new("macro-ai", "dev");
    let err = second.save(&mut theirs).unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("another lineage"), "{err}");
    assert_eq!(
        remote_state(&emulator, "dev").await["lineage"],
        ours.lineage.as_str()
    );
    // Having read the current version, it may write; then the first is the stale one.
    let mut current = second.load().unwrap().unwrap();
    current.destroyed_at = Some("2026-12-01T00:00:00Z".into());
    second.save(&mut current).unwrap();
    let err = first.save(&mut ours).unwrap_err();
    assert!(
        err.to_string()
            .contains("this run was at serial 1, the state is now at serial 2"),
        "{err}"
    );

    // AWS performs a save and loses the answer; the SDK's retry gets 412 for our own write.
    emulator.set_faults(&serde_json::json!({
        "rules": [{"fault": "lose_response", "service": "s3", "action": "PutObject", "count": 1}]
    }));
    let mut state = first.load().unwrap().unwrap();
    first.save(&mut state).unwrap();
    assert_eq!(emulator.injected("lose_response", "s3:PutObject"), 1);
    emulator.clear_faults();
    assert_eq!(remote_state(&emulator, "dev").await["serial"], 3);
}

#[tokio::test]
async fn local_state_moves_to_s3_and_back_with_its_serial_and_lineage() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let local: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap())
            .unwrap();
    init(&ws);
    let pushed = ws.run(&["state", "push", "--env", "dev", "--state-url", URL]);
    pushed.assert_success();
    let remote = remote_state(&emulator, "dev").await;
    assert_eq!(remote["serial"], local["serial"]);
    assert_eq!(remote["lineage"], local["lineage"]);
    assert_eq!(remote["resources"], local["resources"]);
    let again = ws.run(&["state", "push", "--env", "dev", "--state-url", URL]);
    again.assert_success();
    assert!(again.stdout.contains("already"), "{}", again.stdout);
    assert_converged(&ws);

    // The remote state moves on (a tag edit, applied through S3); the old local copy may
    // not replace it.
    ws.edit_env("dev", |text| {
        text.replace("[environment.tags]", "[environment.tags]\nteam = \"web\"")
    });
    ws.run(&["up", "--env", "dev", "--yes", "--state-url", URL])
        .assert_success();
    let newer = remote_state(&emulator, "dev").await;
    assert!(newer["serial"].as_u64() > local["serial"].as_u64());
    let refused = ws.run(&["state", "push", "--env", "dev", "--state-url", URL]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("is newer"), "{}", refused.stderr);
    assert_eq!(
        remote_state(&emulator, "dev").await["serial"],
        newer["serial"]
    );

    // Pulled into a fresh directory: the same serial and lineage.
    let fresh = Workspace::new(&emulator);
    fresh
        .run(&["state", "pull", "--env", "dev", "--state-url", URL])
        .assert_success();
    let pulled: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fresh.state_dir().join("dev.json")).unwrap())
            .unwrap();
    assert_eq!(pulled["serial"], newer["serial"]);
    assert_eq!(pulled["lineage"], local["lineage"]);
    let listed = fresh.run(&["state", "list", "--state-url", URL, "--output", "json"]);
    listed.assert_success();
    assert_eq!(json(&listed)["environments"][0]["env"], "dev");
    assert_eq!(json(&listed)["environments"][0]["serial"], pulled["serial"]);

    // A live lock (renewed just now) holds runs off; `state unlock --lock-id` removes exactly it.
    let lock = serde_json::json!({
        "lock_id": "4b1d-laptop", "pid": 4242, "host": "laptop", "user": "ana",
        "command": "macroctl up --env dev", "started_at": "2026-12-02T00:00:00Z",
        "lease_seconds": 3600, "renewed_at": macroctl::state::now_rfc3339_millis(),
    });
    emulator
        .s3()
        .await
        .put_object()
        .bucket(BUCKET)
        .key("teams/dev.lock")
        .body(aws_sdk_s3::primitives::ByteStream::from(
            lock.to_string().into_bytes(),
        ))
        .send()
        .await
        .unwrap();
    let held = fresh.run(&["up", "--env", "dev", "--yes", "--state-url", URL]);
    held.assert_code(3);
    assert!(
        held.stderr.contains("pid 4242 on host laptop")
            && held.stderr.contains("--lock-id 4b1d-laptop"),
        "{}",
        held.stderr
    );
    let unlocked = fresh.run(&[
        "state",
        "unlock",
        "--env",
        "dev",
        "--state-url",
        URL,
        "--lock-id",
        "4b1d-laptop",
    ]);
    unlocked.assert_success();
    assert!(
        unlocked.stdout.contains("removed the lock 4b1d-laptop"),
        "{}",
        unlocked.stdout
    );
    assert!(object(&emulator, "teams/dev.lock").await.is_none());
    fresh
        .run(&["up", "--env", "dev", "--yes", "--state-url", URL])
        .assert_success();
}
