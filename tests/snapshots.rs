//! The JSON each command prints is a contract: its shape (every key path and the type of its
//! value) is checked against files in `tests/snapshots/`, so a renamed, removed or retyped
//! field cannot slip through unnoticed. A plan's text is checked the same way, with ids and
//! times filtered out. After an intended change, regenerate them with
//! `MACROCTL_UPDATE_SNAPSHOTS=1 cargo test --test snapshots` and review the diff.
mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use support::{Emulator, RunOutput, Workspace};

/// Maps whose keys are data, not fields (operation names, service names).
const DYNAMIC_MAPS: &[&str] = &[
    "api_calls.by_operation",
    "api_calls.retried",
    "outputs.repositories",
    "releases[].services",
    "services",
];

fn shape(value: &serde_json::Value, path: &str, lines: &mut BTreeSet<String>) {
    use serde_json::Value;
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    lines.insert(format!(
        "{}: {kind}",
        if path.is_empty() { "." } else { path }
    ));
    match value {
        Value::Array(items) => {
            for item in items {
                shape(item, &format!("{path}[]"), lines);
            }
        }
        Value::Object(fields) => {
            let dynamic = DYNAMIC_MAPS.contains(&path);
            for (key, item) in fields {
                let key = if dynamic { "*" } else { key.as_str() };
                let child = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                shape(item, &child, lines);
            }
        }
        _ => {}
    }
}

/// Ids, hashes and times replaced, so a snapshot of text holds across runs.
fn filtered(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|word| {
                let has_digit = word.chars().any(|c| c.is_ascii_digit());
                let id_like = [
                    "vpc-",
                    "subnet-",
                    "sg-",
                    "igw-",
                    "rtb-",
                    "rtbassoc-",
                    "nat-",
                    "eipalloc-",
                ]
                .iter()
                .any(|prefix| word.starts_with(prefix));
                // A run of 8 or more hex digits, letters and digits mixed: an id's tail (an
                // account id, all digits, is not).
                let hex_run = word.split(|c: char| !c.is_ascii_hexdigit()).any(|run| {
                    run.len() >= 8
                        && run.chars().any(|c| c.is_ascii_digit())
                        && run.chars().any(|c| c.is_ascii_alphabetic())
                });
                if word.contains("arn:") || (id_like && has_digit) || hex_run {
                    "<id>".to_string()
                } else if word.contains(".cache.amazonaws.com") {
                    "<cache-endpoint>".to_string()
                } else if word.contains("ecs-svc/") {
                    "<deployment>".to_string()
                } else if word.contains('@') {
                    "<user@host>".to_string()
                } else if word.len() >= 20
                    && word.contains('T')
                    && word.trim_end_matches([':', ',', ')']).ends_with('Z')
                {
                    "<time>".to_string()
                } else {
                    word.to_string()
                }
            })
            .collect();
        out.push_str(words.join(" ").trim_end());
        out.push('\n');
    }
    out
}

/// Compares `actual` with `tests/snapshots/<name>`, or writes it with
/// `MACROCTL_UPDATE_SNAPSHOTS=1`.
fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("MACROCTL_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with MACROCTL_UPDATE_SNAPSHOTS=1 to write it",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "{name} changed; if that is intended, rerun with MACROCTL_UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

fn json_shape(name: &str, run: &RunOutput) {
    let document: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}", run.stdout));
    let mut lines = BTreeSet::new();
    shape(&document, "", &mut lines);
    let mut text = lines.into_iter().collect::<Vec<_>>().join("\n");
    text.push('\n');
    check(&format!("{name}.shape"), &text);
}

#[tokio::test]
async fn each_commands_json_keeps_its_shape_and_the_plan_its_text() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let json = ["--output", "json"];
    let with_json = |args: &[&str]| -> RunOutput {
        let mut all = args.to_vec();
        all.extend(json);
        ws.run(&all)
    };

    let up = with_json(&["up", "--env", "dev", "--yes"]);
    up.assert_success();
    json_shape("up", &up);
    let status = with_json(&["status", "--env", "dev"]);
    status.assert_success();
    json_shape("status", &status);
    let image = "api=123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-api:2.0.0";
    let deploy = with_json(&["deploy", "--env", "dev", "--image", image, "--no-wait"]);
    deploy.assert_success();
    json_shape("deploy", &deploy);
    let rollback = with_json(&[
        "rollback",
        "--env",
        "dev",
        "--to",
        "1",
        "--no-wait",
        "--force",
    ]);
    rollback.assert_success();
    json_shape("rollback", &rollback);
    let releases = with_json(&["releases", "--env", "dev"]);
    releases.assert_success();
    json_shape("releases", &releases);
    let error = with_json(&["plan", "--env", "nosuch"]);
    error.assert_code(1);
    json_shape("error", &error);

    // A converged `up` says so, and where the application is.
    let up = ws
        .command(&["up", "--env", "dev", "--yes"])
        .output()
        .unwrap();
    assert!(up.status.success());
    check("up.txt", &filtered(&String::from_utf8_lossy(&up.stdout)));

    // The text of a plan with changes.
    ws.edit_env("dev", |text| {
        text.replacen("retention_days = 7", "retention_days = 14", 1)
            .replace(
                "circuit_breaker_rollback = true",
                "circuit_breaker_rollback = false",
            )
    });
    let plan = ws
        .command(&["plan", "--env", "dev"])
        .env("COLUMNS", "120")
        .output()
        .unwrap();
    assert!(plan.status.success());
    check(
        "plan.txt",
        &filtered(&String::from_utf8_lossy(&plan.stdout)),
    );
    let plan = with_json(&["plan", "--env", "dev"]);
    plan.assert_success();
    json_shape("plan", &plan);

    // The text of the other commands people read most.
    let text = |args: &[&str]| -> String {
        let run = ws.command(args).env("COLUMNS", "120").output().unwrap();
        let mut text = String::from_utf8_lossy(&run.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&run.stderr));
        filtered(&text.replace(&ws.path().display().to_string(), "<workspace>"))
    };
    let serial = |text: String| -> String {
        // The state's serial counts saves: not part of what the text looks like.
        text.lines()
            .map(|line| match line.find("state serial ") {
                Some(at) => {
                    let rest = &line[at + "state serial ".len()..];
                    let digits = rest.chars().take_while(char::is_ascii_digit).count();
                    format!("{}state serial <n>{}", &line[..at], &rest[digits..])
                }
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    // Its BY column is as wide as `user@host`, which differs per machine: spacing not checked.
    let releases: String = text(&["releases", "--env", "dev"])
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    check("releases.txt", &releases);
    check("status.txt", &serial(text(&["status", "--env", "dev"])));
    check("error-unknown-env.txt", &text(&["plan", "--env", "nosuch"]));
    check(
        "error-usage.txt",
        &text(&["plan", "--env", "dev", "--bogus"]),
    );
    let image = "api=123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-api:3.0.0";
    let deploy = ws
        .command(&["deploy", "--env", "dev", "--image", image, "--no-wait"])
        .output()
        .unwrap();
    assert!(deploy.status.success());
    check(
        "deploy.txt",
        &filtered(&String::from_utf8_lossy(&deploy.stdout)),
    );
    let rollback = ws
        .command(&[
            "rollback",
            "--env",
            "dev",
            "--to",
            "2",
            "--no-wait",
            "--force",
        ])
        .output()
        .unwrap();
    assert!(
        rollback.status.success(),
        "{}",
        String::from_utf8_lossy(&rollback.stderr)
    );
    check(
        "rollback.txt",
        &filtered(&String::from_utf8_lossy(&rollback.stdout)),
    );
}

/// `macroctl diff`: nothing after a converged `up`; an env-file edit as a unified diff of the
/// task definition's document (snapshot), with no change made; a deploy's image as one line
/// out and one in, and the service's new revision; the JSON document's sides.
#[tokio::test]
async fn diff_shows_what_up_or_a_deploy_would_change_and_changes_nothing() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let converged = ws.run(&["diff", "--env", "dev"]);
    converged.assert_success();
    assert!(converged.stdout.is_empty(), "{}", converged.stdout);
    assert!(
        converged.stderr.contains("no changes"),
        "{}",
        converged.stderr
    );

    ws.edit_env("dev", |text| {
        text.replacen("memory_mib = 512", "memory_mib = 1024", 1)
            .replacen("desired_count = 1", "desired_count = 2", 1)
    });
    emulator.reset_recording();
    let up_diff = ws.run(&["diff", "--env", "dev"]);
    up_diff.assert_success();
    assert!(
        up_diff
            .stdout
            .contains("-  \"memory\": \"512\",\n+  \"memory\": \"1024\",\n"),
        "{}",
        up_diff.stdout
    );
    check("diff-up.txt", &filtered(&up_diff.stdout));
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-api:2.0.0";
    let deploy_diff = ws.run(&["diff", "--env", "dev", "--image", &format!("api={image}")]);
    deploy_diff.assert_success();
    check("diff-deploy.txt", &filtered(&deploy_diff.stdout));
    let json = ws.run(&[
        "diff",
        "--env",
        "dev",
        "--image",
        &format!("api={image}"),
        "--output",
        "json",
    ]);
    json.assert_success();
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let changes = document["changes"].as_array().unwrap();
    assert_eq!(changes[0]["id"], "task-definition-api");
    assert_eq!(changes[0]["after"]["containers"]["api"]["image"], image);
    assert_ne!(changes[0]["before"]["containers"]["api"]["image"], image);
    assert_eq!(changes[1]["id"], "service-api");
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "diff changed something: {mutating:?}");
}
