//! `macroctl logs` on the realistic emulator, whose one-off tasks write their lines to the
//! service's log group as the awslogs driver does (`tests/emulator/ecs_tasks.py`): the lines
//! of every task of `api` merged in time order with their task ids; `--task` and `--previous`
//! (the last stopped task's stop reason and exit code, and only its lines); the JSON document;
//! `--follow` printing lines of a task started after it, and ending cleanly on Ctrl-C.
mod support;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{Emulator, Workspace};

/// The ids of the one-off tasks, in the order they were started.
async fn task_ids(emulator: &Emulator) -> Vec<String> {
    let ecs = emulator.ecs().await;
    let listed = ecs
        .list_tasks()
        .cluster("macro-ai-dev")
        .started_by("macroctl-run")
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .unwrap();
    let described = ecs
        .describe_tasks()
        .cluster("macro-ai-dev")
        .set_tasks(Some(listed.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    let mut tasks = described.tasks().to_vec();
    tasks.sort_by_key(|t| t.created_at().map(|c| c.as_nanos()).unwrap_or_default());
    tasks
        .iter()
        .map(|t| {
            t.task_arn()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn logs_merge_the_tasks_lines_and_show_the_last_stopped_task() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    ws.run(&[
        "run",
        "--env",
        "dev",
        "--",
        "sh",
        "-c",
        "echo first-a; sleep 1; echo first-b",
    ])
    .assert_success();
    ws.run(&[
        "run",
        "--env",
        "dev",
        "--",
        "sh",
        "-c",
        "echo second-a; exit 4",
    ])
    .assert_code(4);
    let ids = task_ids(&emulator).await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    let short = |id: &str| id.chars().take(12).collect::<String>();

    let all = ws.run(&["logs", "--env", "dev", "api"]);
    all.assert_success();
    let lines: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", all.stdout);
    for (line, (task, text)) in lines.iter().zip([
        (&ids[0], "first-a"),
        (&ids[0], "first-b"),
        (&ids[1], "second-a"),
    ]) {
        assert!(line.ends_with(text), "{line}");
        assert!(line.contains(&short(task)), "{line} is not of {task}");
        assert!(line.starts_with("20"), "a time first: {line}");
    }

    let one = ws.run(&["logs", "--env", "dev", "api", "--task", &ids[0][..8]]);
    one.assert_success();
    assert_eq!(one.stdout.lines().count(), 2, "{}", one.stdout);
    assert!(!one.stdout.contains("second-a"));

    let previous = ws.run(&["logs", "--env", "dev", "api", "--previous"]);
    previous.assert_success();
    assert_eq!(previous.stdout.lines().count(), 1, "{}", previous.stdout);
    assert!(previous.stdout.contains("second-a"));
    for part in [
        ids[1].as_str(),
        "exit code 4",
        "Essential container in task exited",
    ] {
        assert!(
            previous.stderr.contains(part),
            "{part}: {}",
            previous.stderr
        );
    }

    let json = ws.run(&["logs", "--env", "dev", "api", "--output", "json"]);
    json.assert_success();
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let lines = document["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["task_id"], ids[1].as_str());
    assert_eq!(lines[2]["message"], "second-a");

    // Nothing of ui; a bad service costs no call.
    let ui = ws.run(&["logs", "--env", "dev", "ui"]);
    ui.assert_success();
    assert!(ui.stdout.is_empty(), "{}", ui.stdout);
    emulator.reset_recording();
    let bad = ws.run(&["logs", "--env", "dev", "worker"]);
    bad.assert_code(1);
    assert!(bad.stderr.contains("api, ui"), "{}", bad.stderr);
    assert!(emulator.recorded_calls().is_empty());
}

#[tokio::test]
async fn follow_prints_new_lines_until_interrupted() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let mut follower = ws
        .command(&["logs", "--env", "dev", "api", "--follow", "--since", "1m"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = follower.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    ws.run(&[
        "run",
        "--env",
        "dev",
        "--no-wait",
        "--",
        "sh",
        "-c",
        "echo live-1; sleep 2; echo live-2",
    ])
    .assert_success();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.ends_with("live-2")) {
        let line = receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("--follow did not print both lines: {seen:?}"));
        seen.push(line);
    }
    assert!(seen[0].ends_with("live-1"), "{seen:?}");
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(follower.id() as i32, libc::SIGINT);
    }
    let status = follower.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
