//! Inputs checked before any AWS call (image references, services, regions, secret keys), and
//! release bookkeeping: in-progress releases settle once their rollout is observed, `rollback
//! --to` a release that was not healthy asks for `--force`, `created_by` always names a user.
mod support;

use support::{Emulator, RunOutput, Workspace};

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

#[track_caller]
fn assert_refused(run: &RunOutput, fragments: &[&str]) {
    run.assert_code(1);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for fragment in fragments {
        assert!(
            run.stderr.contains(fragment),
            "expected `{fragment}` in:\n{}",
            run.stderr
        );
    }
}

fn json(run: &RunOutput) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

fn releases(ws: &Workspace) -> Vec<serde_json::Value> {
    let run = ws.run(&["releases", "--env", "dev", "--output", "json"]);
    run.assert_success();
    json(&run)["releases"].as_array().unwrap().clone()
}

#[test]
fn bad_images_services_regions_and_secret_keys_are_refused_before_any_call() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let form = "[REGISTRY[:PORT]/]NAME[:TAG]";
    let cases: &[(&str, &[&str])] = &[
        (
            "api=UPPER/case:tag",
            &["api=UPPER/case:tag", "lowercase", form],
        ),
        (
            "api=repo:tag:extra",
            &["api=repo:tag:extra", "more than one `:`", form],
        ),
        ("api=:tag", &["api=:tag", "no repository name", form]),
        ("api=", &["`api=`", "empty", form]),
        ("api=repo@sha256:abc", &["64 lowercase hex", form]),
        ("worker=repo:1", &["unknown service `worker`", "api, ui"]),
        ("api", &["SERVICE=IMAGE"]),
    ];
    for (image, fragments) in cases {
        let run = ws.run(&["deploy", "--env", "dev", "--image", image]);
        assert_refused(&run, fragments);
    }

    let run = ws.run(&["status", "--env", "dev", "--region", "us-esat-1"]);
    assert_refused(&run, &["--region", "us-esat-1", "did you mean us-east-1?"]);
    ws.edit_env("dev", |text| {
        text.replacen("region = \"us-east-1\"", "region = \"us-esat-1\"", 1)
    });
    let run = ws.run(&["plan", "--env", "dev"]);
    assert_refused(&run, &["environment.region", "did you mean us-east-1?"]);
    ws.edit_env("dev", |text| {
        text.replacen("region = \"us-esat-1\"", "region = \"us-east-1\"", 1)
    });

    let run = ws.run(&["secret", "set", "--env", "dev", "NOT_READ"]);
    assert_refused(&run, &["NOT_READ", "OPENAI_API_KEY", "--force"]);

    let help = ws.run(&["secret", "rotate", "--help"]);
    help.assert_success();
    assert!(
        help.stdout.contains("API_KEY") && help.stdout.contains("DB_PASSWORD"),
        "{}",
        help.stdout
    );
    assert!(!help.stdout.contains("OPENAI"), "{}", help.stdout);
    assert!(help.stdout.contains("--restart"), "{}", help.stdout);
    let run = ws.run(&["secret", "rotate", "--env", "dev", "OPENAI_API_KEY"]);
    assert_refused(
        &run,
        &["not a generated value", "DB_PASSWORD", "secret set"],
    );

    let calls = emulator.recorded_calls();
    assert!(calls.is_empty(), "AWS was called: {calls:?}");
}

#[test]
fn secret_set_force_and_rotate_restart() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();

    let mut forced = ws.command(&["secret", "set", "--env", "dev", "--force", "NOT_READ"]);
    forced.stdin(std::process::Stdio::piped());
    let mut child = forced
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"value\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    emulator.reset_recording();
    let rotate = ws.run(&["secret", "rotate", "--env", "dev", "API_KEY"]);
    rotate.assert_success();
    assert!(
        rotate
            .stderr
            .contains("keep the old API_KEY until they restart")
            && rotate.stderr.contains("--restart"),
        "{}",
        rotate.stderr
    );
    assert!(emulator.recorded_json("UpdateService").is_empty());

    let restart = ws.run(&[
        "secret",
        "rotate",
        "--env",
        "dev",
        "API_KEY",
        "--restart",
        "--output",
        "json",
    ]);
    restart.assert_success();
    assert_eq!(json(&restart)["restarted"], serde_json::json!(["api"]));
    let updates = emulator.recorded_json("UpdateService");
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0]["service"], "api");
    assert_eq!(updates[0]["forceNewDeployment"], true);
}

#[test]
fn releases_settle_and_rollback_onto_an_unhealthy_one_needs_force() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")]);
    let ws = Workspace::new(&emulator);
    let up = ws
        .command(&["up", "--env", "dev", "--yes"])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .output()
        .unwrap();
    assert_eq!(
        up.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let history = releases(&ws);
    assert_eq!(history[0]["command"], "up");
    assert_eq!(history[0]["outcome"], "in-progress");
    let by = history[0]["created_by"].as_str().unwrap();
    assert!(!by.starts_with("unknown@") && by.contains('@'), "{by}");

    // Let the first rollout finish; the next locking command records it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ws.run(&["status", "--env", "dev", "--check"]).code != 0 {
        assert!(std::time::Instant::now() < deadline, "never became healthy");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let wait = ["--wait-timeout", "60s", "--output", "json"];
    let good = format!("api={ECR}/macro-ai-dev-api:1.0.0");
    let mut args = vec!["deploy", "--env", "dev", "--image", &good];
    args.extend(wait);
    ws.run(&args).assert_success();
    let history = releases(&ws);
    assert_eq!(history[0]["outcome"], "healthy", "{history:?}");
    assert_eq!(history[1]["outcome"], "healthy", "{history:?}");

    let broken = format!("api={ECR}/macro-ai-dev-api:broken");
    let mut args = vec!["deploy", "--env", "dev", "--image", &broken];
    args.extend(wait);
    ws.run(&args).assert_code(4);
    let broken_id = releases(&ws).last().unwrap()["id"].as_u64().unwrap();
    let broken_id = broken_id.to_string();

    emulator.reset_recording();
    let refused = ws.run(&["rollback", "--env", "dev", "--to", &broken_id]);
    assert_refused(
        &refused,
        &[&format!("release {broken_id} is rolled-back"), "--force"],
    );
    assert!(emulator.mutating_calls().is_empty());

    let forced = ws.run(&[
        "rollback",
        "--env",
        "dev",
        "--to",
        &broken_id,
        "--force",
        "--no-wait",
    ]);
    forced.assert_success();
}
