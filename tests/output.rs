//! What people read: plans show what changes (grouped by layer, values as users write them,
//! what a change restarts), status fits the terminal, `up` says where the application is, and
//! a closed pipe ends a command quietly. Checked on the text and JSON macroctl prints.
mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use support::{Emulator, Workspace};

fn up_dev(ws: &Workspace) -> support::RunOutput {
    let run = ws.run(&["up", "--env", "dev", "--yes"]);
    run.assert_success();
    run
}

#[tokio::test]
async fn plans_show_changes_by_layer_with_their_consequences() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let first = up_dev(&ws);
    // Where the application is, after up.
    assert!(
        first.stdout.contains("Application: http://macro-ai-dev-"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("Push api images to: "),
        "{}",
        first.stdout
    );

    ws.edit_env("dev", |text| {
        let services = text.find("[services.api]").unwrap();
        let (head, tail) = text.split_at(services);
        let tail = tail
            .replacen("cpu = 256", "cpu = 512", 1)
            .replacen("memory_mib = 512", "memory_mib = 1024", 1)
            .replacen("desired_count = 1", "desired_count = 2", 1);
        format!("{head}{tail}").replace(
            "circuit_breaker_rollback = true",
            "circuit_breaker_rollback = false",
        )
    });
    let plan = ws.run(&["plan", "--env", "dev"]);
    plan.assert_success();
    let text = &plan.stdout;
    assert!(text.contains("\napplication:\n"), "{text}");
    assert!(
        !text.contains("\nnetwork:\n"),
        "nothing changes in the network: {text}"
    );
    assert!(
        !text.contains("no-op   vpc"),
        "unchanged resources are not listed: {text}"
    );
    assert!(text.contains("unchanged (--all lists them)."), "{text}");
    assert!(text.contains("      cpu: 256 → 512"), "{text}");
    assert!(
        text.contains("→ registers a new revision and restarts service api (a rolling deployment)"),
        "{text}"
    );
    assert!(
        text.contains("circuit_breaker: on, rolls back → on, no rollback"),
        "{text}"
    );
    assert!(
        text.contains("desired_count 2 in the environment file is not applied: auto scaling owns service api's count"),
        "{text}"
    );
    assert!(!text.contains("Some("), "no Rust debug output: {text}");
    let all = ws.run(&["plan", "--env", "dev", "--all"]);
    assert!(all.stdout.contains("no-op   vpc"), "{}", all.stdout);
    assert!(!all.stdout.contains("--all lists them"), "{}", all.stdout);

    // JSON: every resource, with its layer and consequences.
    let json = ws.run(&["plan", "--env", "dev", "--output", "json"]);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let resources = document["resources"].as_array().unwrap();
    // 52: dev's 44, the VPC flow log with its log group and role, the storage layer's assets
    // and logs buckets and trail, and the Cognito user pool and its app client (issue 13).
    assert_eq!(resources.len(), 52);
    let trail = resources
        .iter()
        .find(|resource| resource["id"] == "cloudtrail")
        .unwrap();
    assert_eq!(trail["layer"], "storage");
    let task = resources
        .iter()
        .find(|resource| resource["id"] == "task-definition-api")
        .unwrap();
    assert_eq!(task["layer"], "application");
    assert!(task["consequences"][0]
        .as_str()
        .unwrap()
        .contains("restarts service api"));
    let vpc = resources
        .iter()
        .find(|resource| resource["id"] == "vpc")
        .unwrap();
    assert_eq!(vpc["layer"], "network");
}

#[tokio::test]
async fn status_fits_the_terminal_and_up_reports_its_outputs_as_json() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let up = ws.run(&["up", "--env", "dev", "--yes", "--output", "json"]);
    up.assert_success();
    let document: serde_json::Value = serde_json::from_str(&up.stdout).unwrap();
    let outputs = &document["outputs"];
    assert!(
        outputs["url"].as_str().unwrap().starts_with("http://"),
        "{outputs}"
    );
    assert_eq!(outputs["database"]["port"], 5432);
    assert!(outputs["cache"]["endpoint"].is_string(), "{outputs}");
    assert!(outputs["repositories"]["ui"]
        .as_str()
        .unwrap()
        .ends_with("/macro-ai-dev-ui"));

    for columns in ["80", "120", "160"] {
        let status = ws
            .command(&["status", "--env", "dev"])
            .env("COLUMNS", columns)
            .output()
            .unwrap();
        let text = String::from_utf8(status.stdout).unwrap();
        let table = text.split("\nID ").nth(1).expect("a resource table");
        let widest = table
            .lines()
            .map(|line| line.chars().count())
            .max()
            .unwrap();
        let columns: usize = columns.parse().unwrap();
        assert!(widest <= columns, "{widest} > {columns}:\n{table}");
        assert!(table.contains("ok"), "{table}");
    }
    // --wide: whole ids.
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap())
            .unwrap();
    let arn = state["resources"]["target-group-api"]["physical_id"]
        .as_str()
        .unwrap();
    let wide = ws
        .command(&["status", "--env", "dev", "--wide"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&wide.stdout).contains(arn));
}

#[tokio::test]
async fn a_closed_pipe_ends_a_command_quietly() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    up_dev(&ws);
    for args in [
        &["state", "show", "--env", "dev", "--output", "json"][..],
        &["state", "show", "--env", "dev"][..],
        &["plan", "--env", "dev", "--all"][..],
    ] {
        let mut child = ws
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, as `| head -1` does, then go away.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!first.is_empty());
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_and_an_unknown_profile_are_one_clear_error() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    // A port nothing listens on (bound, then released).
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let run = ws
        .command(&["plan", "--env", "dev"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach AWS at {endpoint}")) && stderr.contains("refused"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 1, "one error: {stderr}");
    assert!(!stderr.contains("DispatchFailure"), "no SDK dump: {stderr}");
    // Found before any AWS call: the SDK's retries never start.
    assert!(!stderr.contains("retrying"), "{stderr}");

    let run = ws.run(&["plan", "--env", "dev", "--profile", "reall"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("AWS profile `reall` is not in"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn every_json_document_has_a_schema_version_even_a_usage_error() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let usage = ws.run(&["plan", "--env", "dev", "--bogus", "--output", "json"]);
    usage.assert_code(1);
    let document: serde_json::Value = serde_json::from_str(&usage.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", usage.stdout));
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["error"]["exit_code"], 1);
    assert!(document["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("--bogus"));
    let refused = ws.run(&["plan", "--env", "nosuch", "--output", "json"]);
    refused.assert_code(1);
    let document: serde_json::Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(document["schema_version"], 1);
    for args in [
        &["releases", "--env", "dev", "--output", "json"][..],
        &["state", "list", "--output", "json"][..],
        &["plan", "--env", "dev", "--output", "json"][..],
    ] {
        let run = ws.run(args);
        run.assert_success();
        let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(document["schema_version"], 1, "{args:?}: {}", run.stdout);
    }
}

#[tokio::test]
async fn a_service_on_another_revision_is_planned_as_the_images_it_means() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    up_dev(&ws);
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-api:2.0.0";
    ws.run(&[
        "deploy",
        "--env",
        "dev",
        "--image",
        &format!("api={image}"),
        "--no-wait",
    ])
    .assert_success();
    // Someone puts the service back on revision 1 by hand.
    let ecs = emulator.ecs().await;
    ecs.update_service()
        .cluster("macro-ai-dev")
        .service("api")
        .task_definition("macro-ai-dev-api:1")
        .send()
        .await
        .unwrap();
    let plan = ws.run(&["plan", "--env", "dev"]);
    plan.assert_success();
    assert!(
        plan.stdout.contains(&format!(
            "→ image of api: 123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-api:latest → {image}"
        )),
        "{}",
        plan.stdout
    );
}
