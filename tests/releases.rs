//! Releases end to end on the realistic emulator (ECS rollouts that complete, fail and roll
//! back): deploy, rollback to the last healthy release, waits that give up with a reason,
//! status for CI gates; and deploy/rollback --no-wait against unmodified moto.
mod support;

use support::{Emulator, RunOutput, Workspace};

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

fn realistic() -> Emulator {
    Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")])
}

fn json(run: &RunOutput) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// What the service runs now, read from ECS directly.
async fn service_task_definition(emulator: &Emulator, service: &str) -> String {
    let ecs = emulator.ecs().await;
    let out = ecs
        .describe_services()
        .cluster("macro-ai-dev")
        .services(service)
        .send()
        .await
        .unwrap();
    out.services()[0].task_definition().unwrap().to_string()
}

async fn image_of(emulator: &Emulator, task_definition: &str, container: &str) -> String {
    let ecs = emulator.ecs().await;
    let out = ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .unwrap();
    out.task_definition()
        .unwrap()
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(container))
        .and_then(|c| c.image())
        .unwrap()
        .to_string()
}

fn releases(ws: &Workspace) -> Vec<serde_json::Value> {
    let run = ws.run(&["releases", "--env", "dev", "--output", "json"]);
    run.assert_success();
    json(&run)["releases"].as_array().unwrap().clone()
}

#[tokio::test]
async fn deploy_rollback_and_the_last_healthy_release() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let wait = ["--wait-timeout", "60s", "--output", "json"];

    // Two healthy deploys.
    let api_v1 = format!("{ECR}/macro-ai-dev-api:1.0.0");
    let image = format!("api={api_v1}");
    let mut args = vec!["deploy", "--env", "dev", "--image", &image];
    args.extend(wait);
    let first = ws.run(&args);
    first.assert_success();
    assert_eq!(json(&first)["outcome"], "healthy");
    let v1_task = service_task_definition(&emulator, "api").await;
    assert_eq!(image_of(&emulator, &v1_task, "api").await, api_v1);

    let api_v2 = format!("{ECR}/macro-ai-dev-api:1.1.0");
    let ui_v2 = format!("{ECR}/macro-ai-dev-ui:1.1.0");
    let (image_api, image_ui) = (format!("api={api_v2}"), format!("ui={ui_v2}"));
    let mut args = vec![
        "deploy", "--env", "dev", "--image", &image_api, "--image", &image_ui,
    ];
    args.extend(wait);
    let second = ws.run(&args);
    second.assert_success();
    let v2_api = service_task_definition(&emulator, "api").await;
    let v2_ui = service_task_definition(&emulator, "ui").await;
    assert_ne!(v2_api, v1_task);
    assert_eq!(image_of(&emulator, &v2_ui, "ui").await, ui_v2);

    // A broken image: ECS's circuit breaker rolls it back; deploy says so with exit 4.
    emulator.reset_recording();
    let broken = format!("api={ECR}/macro-ai-dev-api:broken");
    let mut args = vec!["deploy", "--env", "dev", "--image", &broken];
    args.extend(wait);
    let failed = ws.run(&args);
    failed.assert_code(4);
    assert_eq!(json(&failed)["outcome"], "rolled-back");
    assert!(
        failed.stderr.contains("rolled it back"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("tasks failed to start"),
        "{}",
        failed.stderr
    );
    assert_eq!(service_task_definition(&emulator, "api").await, v2_api);
    // Only the application layer was touched.
    let touched: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| format!("{} {}", c.service, c.action))
        .collect();
    assert!(
        touched.iter().all(|c| c.starts_with("ecs ")),
        "a deploy changed more than ECS: {touched:?}"
    );

    let history = releases(&ws);
    let outcomes: Vec<&str> = history
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.last(), Some(&"rolled-back"));
    let healthy_ids: Vec<u64> = history
        .iter()
        // The deploys' (up's release may have settled healthy too, if its rollout finished
        // before the first deploy looked).
        .filter(|r| r["outcome"] == "healthy" && r["command"] == "deploy")
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(healthy_ids.len(), 2, "{history:?}");
    let last_healthy = *healthy_ids.last().unwrap();

    // Rollback: to the last healthy release (the second deploy), not "the previous revision".
    let mut args = vec!["rollback", "--env", "dev"];
    args.extend(wait);
    let rollback = ws.run(&args);
    rollback.assert_success();
    let document = json(&rollback);
    assert_eq!(document["rollback_to"], last_healthy);
    assert_eq!(document["outcome"], "healthy");
    assert_eq!(service_task_definition(&emulator, "api").await, v2_api);
    assert_eq!(service_task_definition(&emulator, "ui").await, v2_ui);

    // And explicitly to the first deploy.
    let first_id = healthy_ids[0].to_string();
    let mut args = vec!["rollback", "--env", "dev", "--to", &first_id];
    args.extend(wait);
    ws.run(&args).assert_success();
    assert_eq!(service_task_definition(&emulator, "api").await, v1_task);
    let history = releases(&ws);
    let last = history.last().unwrap();
    assert_eq!(last["command"], "rollback");
    assert_eq!(last["rollback_to"].as_u64(), Some(healthy_ids[0]));
    assert_eq!(last["outcome"], "healthy");

    // status: versioned JSON with the services, the release and a health verdict.
    let status = ws.run(&["status", "--env", "dev", "--output", "json", "--check"]);
    let document = json(&status);
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["release"]["id"], last["id"]);
    let api = document["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "api")
        .unwrap()
        .clone();
    assert_eq!(api["image"], api_v1);
    assert_eq!(api["task_definition"], v1_task);
    assert!(document["load_balancer"]["dns_name"]
        .as_str()
        .unwrap()
        .contains("elb"));
    assert!(document["database"]["endpoint"].is_string());
    assert_eq!(document["healthy"], true, "{}", document["problems"]);
    status.assert_success();
    assert!(document["alarms_in_alarm"].as_array().unwrap().is_empty());

    // `up` after deploys keeps what is deployed: no new revision, no service update.
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let writes: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert!(
        writes.is_empty(),
        "up undid or repeated a deploy: {writes:?}"
    );
}

#[tokio::test]
async fn a_wait_that_times_out_says_what_it_was_waiting_for() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "120")]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let image = format!("api={ECR}/macro-ai-dev-api:2.0.0");
    let run = ws.run(&[
        "deploy",
        "--env",
        "dev",
        "--image",
        &image,
        "--wait-timeout",
        "3s",
    ]);
    run.assert_code(1);
    assert!(run.stderr.contains("--wait-timeout"), "{}", run.stderr);
    assert!(run.stderr.contains("api:"), "{}", run.stderr);
    assert!(run.stderr.contains("rollout IN_PROGRESS"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    let history = releases(&ws);
    assert_eq!(history.last().unwrap()["outcome"], "in-progress");

    let check = ws.run(&["status", "--env", "dev", "--check"]);
    check.assert_code(1);
    assert!(check.stdout.contains("NOT healthy"), "{}", check.stdout);
}

#[tokio::test]
async fn nothing_to_roll_back_to_is_a_clear_error() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let run = ws.run(&["rollback", "--env", "dev"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("nothing to roll back to"),
        "{}",
        run.stderr
    );
    let missing = ws.run(&["rollback", "--env", "dev", "--to", "42"]);
    missing.assert_code(1);
    assert!(
        missing.stderr.contains("no release 42"),
        "{}",
        missing.stderr
    );
    let bad = ws.run(&["deploy", "--env", "dev", "--image", "web=nginx:1"]);
    bad.assert_code(1);
    assert!(
        bad.stderr.contains("unknown service `web`"),
        "{}",
        bad.stderr
    );
    let malformed = ws.run(&["deploy", "--env", "dev", "--image", "api"]);
    malformed.assert_code(1);
    assert!(
        malformed.stderr.contains("SERVICE=IMAGE"),
        "{}",
        malformed.stderr
    );
}

#[tokio::test]
async fn no_wait_deploy_and_rollback_against_unmodified_moto() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let before = service_task_definition(&emulator, "api").await;
    let image = format!("api={ECR}/macro-ai-dev-api:3.0.0");
    let deploy = ws.run(&["deploy", "--env", "dev", "--image", &image, "--no-wait"]);
    deploy.assert_success();
    let after = service_task_definition(&emulator, "api").await;
    assert_ne!(before, after);
    assert_eq!(
        image_of(&emulator, &after, "api").await,
        format!("{ECR}/macro-ai-dev-api:3.0.0")
    );
    assert!(image_of(&emulator, &after, "xray-daemon")
        .await
        .contains("xray"));
    let history = releases(&ws);
    assert_eq!(history.last().unwrap()["outcome"], "in-progress");

    let rollback = ws.run(&["rollback", "--env", "dev", "--no-wait"]);
    rollback.assert_success();
    assert_eq!(service_task_definition(&emulator, "api").await, before);
}

#[tokio::test]
async fn status_check_fails_on_an_alarm_in_alarm() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    // Let the services' first rollout finish.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ws.run(&["status", "--env", "staging", "--check"]).code != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "staging never became healthy"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let cloudwatch = emulator.cloudwatch().await;
    cloudwatch
        .set_alarm_state()
        .alarm_name("macro-ai-staging-alb-5xx")
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .unwrap();
    let check = ws.run(&["status", "--env", "staging", "--check", "--output", "json"]);
    check.assert_code(1);
    let document = json(&check);
    assert_eq!(document["healthy"], false);
    assert_eq!(
        document["alarms_in_alarm"],
        serde_json::json!(["macro-ai-staging-alb-5xx"])
    );
}
