//! `macroctl run` end to end on the realistic emulator, whose one-off tasks start, run the
//! command (`echo`, `sleep`, `exit CODE`), write its lines to CloudWatch Logs and stop with its
//! exit code (`tests/emulator/ecs_tasks.py`). Checked through the SDK: the task ran the
//! service's task definition in the service's subnets and security groups, with the command
//! given; its lines are in its log stream in order and were printed in order; the exit code is
//! macroctl's; a broken image does not start (exit 1, ECS's reason named) and its `-run`
//! revision is reused, never added to the service's family; `--no-wait` prints the ARN; a lost
//! RunTask answer starts one task, not two; a bad `--service` costs no call.
mod support;

use support::{Emulator, Workspace};

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

fn realistic() -> Emulator {
    Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")])
}

async fn one_off_tasks(emulator: &Emulator) -> Vec<aws_sdk_ecs::types::Task> {
    let ecs = emulator.ecs().await;
    let mut arns = Vec::new();
    for status in [
        aws_sdk_ecs::types::DesiredStatus::Running,
        aws_sdk_ecs::types::DesiredStatus::Stopped,
    ] {
        let listed = ecs
            .list_tasks()
            .cluster("macro-ai-dev")
            .started_by("macroctl-run")
            .desired_status(status)
            .send()
            .await
            .unwrap();
        arns.extend(listed.task_arns().iter().cloned());
    }
    if arns.is_empty() {
        return Vec::new();
    }
    ecs.describe_tasks()
        .cluster("macro-ai-dev")
        .set_tasks(Some(arns))
        .send()
        .await
        .unwrap()
        .tasks()
        .to_vec()
}

/// The `api` container of a task definition, read from ECS.
async fn api_container(
    emulator: &Emulator,
    task_definition: &str,
) -> aws_sdk_ecs::types::ContainerDefinition {
    emulator
        .ecs()
        .await
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("api"))
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_one_off_task_streams_its_logs_and_exits_with_its_code() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();

    let ecs = emulator.ecs().await;
    let service = ecs
        .describe_services()
        .cluster("macro-ai-dev")
        .services("api")
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone();

    let failed = ws.run(&[
        "run",
        "--env",
        "dev",
        "--",
        "sh",
        "-c",
        "echo migrating users; sleep 1; echo migration 2 failed; exit 3; echo never",
    ]);
    failed.assert_code(3);
    assert_eq!(failed.stdout, "migrating users\nmigration 2 failed\n");
    assert!(
        failed.stderr.contains("exited with code 3"),
        "{}",
        failed.stderr
    );
    assert!(failed.stderr.contains("RUNNING"), "{}", failed.stderr);

    // What ran, read from ECS: the service's definition, network and the command given.
    let tasks = one_off_tasks(&emulator).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = &tasks[0];
    assert_eq!(task.task_definition_arn(), service.task_definition());
    assert_eq!(task.last_status(), Some("STOPPED"));
    let api = task
        .containers()
        .iter()
        .find(|c| c.name() == Some("api"))
        .unwrap();
    assert_eq!(api.exit_code(), Some(3));
    let command = task.overrides().unwrap().container_overrides()[0].command();
    assert_eq!(command[0], "sh");
    let network = |config: Option<&aws_sdk_ecs::types::NetworkConfiguration>| {
        let vpc = config.unwrap().awsvpc_configuration().unwrap();
        let mut subnets = vpc.subnets().to_vec();
        subnets.sort();
        (
            subnets,
            vpc.security_groups().to_vec(),
            vpc.assign_public_ip().cloned(),
        )
    };
    let task_id = task.task_arn().unwrap().rsplit('/').next().unwrap();
    // moto does not echo a task's network configuration: its ENI is in the service's subnet.
    let eni_subnet = task.attachments()[0]
        .details()
        .iter()
        .find(|d| d.name() == Some("subnetId"))
        .and_then(|d| d.value())
        .unwrap()
        .to_string();
    let (subnets, _, _) = network(service.network_configuration());
    assert!(
        subnets.contains(&eni_subnet),
        "{eni_subnet} not in {subnets:?}"
    );

    // The lines, in order, in the stream the awslogs driver writes.
    let logs = emulator.logs().await;
    let events = logs
        .get_log_events()
        .log_group_name("/ecs/macro-ai-dev-api")
        .log_stream_name(format!("api/api/{task_id}"))
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    let lines: Vec<&str> = events.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(lines, ["migrating users", "migration 2 failed"]);

    // Success is 0; JSON collects the lines.
    let ok = ws.run(&[
        "run", "--env", "dev", "--output", "json", "--", "echo", "all", "done",
    ]);
    ok.assert_success();
    let document: serde_json::Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(document["exit_code"], 0);
    assert_eq!(document["logs"], serde_json::json!(["all done"]));
    assert_eq!(one_off_tasks(&emulator).await.len(), 2);

    // --no-wait: the ARN, of a task ECS knows.
    let started = ws.run(&["run", "--env", "dev", "--no-wait", "--", "sleep", "30"]);
    started.assert_success();
    let arn = started.stdout.trim();
    assert!(arn.starts_with("arn:aws:ecs:"), "{arn}");
    let described = ecs
        .describe_tasks()
        .cluster("macro-ai-dev")
        .tasks(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.tasks().len(), 1);
}

#[tokio::test]
async fn a_broken_image_does_not_start_and_its_definition_is_reused() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let ecs = emulator.ecs().await;
    let family_revisions = |family: &'static str| {
        let ecs = ecs.clone();
        async move {
            ecs.list_task_definitions()
                .family_prefix(family)
                .send()
                .await
                .unwrap()
                .task_definition_arns()
                .iter()
                .filter(|arn| arn.contains(&format!("/{family}:")))
                .count()
        }
    };
    let service_revisions = family_revisions("macro-ai-dev-api").await;

    let image = format!("{ECR}/macro-ai-dev-api:broken");
    for _ in 0..2 {
        let run = ws.run(&["run", "--env", "dev", "--image", &image, "--", "echo", "hi"]);
        run.assert_code(1);
        for part in [
            "environment dev",
            "did not run",
            "TaskFailedToStart",
            "CannotPullContainerError",
        ] {
            assert!(run.stderr.contains(part), "{part}: {}", run.stderr);
        }
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    // One revision in the -run family, made with that image; none added to the service's.
    assert_eq!(family_revisions("macro-ai-dev-api-run").await, 1);
    assert_eq!(
        family_revisions("macro-ai-dev-api").await,
        service_revisions
    );
    let api = api_container(&emulator, "macro-ai-dev-api-run").await;
    assert_eq!(api.image(), Some(image.as_str()));

    // Bad input costs no call.
    emulator.reset_recording();
    let bad = ws.run(&["run", "--env", "dev", "--service", "worker", "--", "true"]);
    bad.assert_code(1);
    assert!(bad.stderr.contains("worker"), "{}", bad.stderr);
    assert!(bad.stderr.contains("api, ui"), "{}", bad.stderr);
    assert!(emulator.recorded_calls().is_empty());
}

#[tokio::test]
async fn a_lost_run_task_answer_starts_one_task() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    emulator.set_faults(&serde_json::json!({
        "rules": [{"fault": "lose_response", "service": "ecs", "action": "RunTask", "count": 1}]
    }));
    let run = ws.run(&["run", "--env", "dev", "--", "echo", "once"]);
    run.assert_success();
    assert_eq!(run.stdout, "once\n");
    assert_eq!(emulator.injected("lose_response", "ecs:RunTask"), 1);
    assert_eq!(one_off_tasks(&emulator).await.len(), 1);
}

#[tokio::test]
async fn deploy_before_deploys_only_when_the_command_succeeds() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let ecs = emulator.ecs().await;
    let running = || {
        let ecs = ecs.clone();
        async move {
            ecs.describe_services()
                .cluster("macro-ai-dev")
                .services("api")
                .send()
                .await
                .unwrap()
                .services()[0]
                .task_definition()
                .unwrap()
                .to_string()
        }
    };
    let releases = |ws: &Workspace| {
        let run = ws.run(&["releases", "--env", "dev", "--output", "json"]);
        run.assert_success();
        let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        document["releases"].as_array().unwrap().len()
    };
    let before = running().await;
    let recorded = releases(&ws);
    let image = format!("{ECR}/macro-ai-dev-api:2.0.0");
    let image_arg = format!("api={image}");

    let refused = ws.run(&[
        "deploy",
        "--env",
        "dev",
        "--image",
        &image_arg,
        "--before",
        "echo migrating; exit 5",
    ]);
    refused.assert_code(1);
    for part in ["exited with code 5", "nothing was deployed", "--before"] {
        assert!(refused.stderr.contains(part), "{part}: {}", refused.stderr);
    }
    assert!(refused.stdout.contains("migrating"), "{}", refused.stdout);
    assert_eq!(running().await, before, "nothing was deployed");
    assert_eq!(releases(&ws), recorded, "no release was recorded");
    // The migration ran with the image being deployed.
    let tasks = one_off_tasks(&emulator).await;
    assert_eq!(tasks.len(), 1);
    let api = api_container(&emulator, tasks[0].task_definition_arn().unwrap()).await;
    assert_eq!(api.image(), Some(image.as_str()));

    let deployed = ws.run(&[
        "deploy",
        "--env",
        "dev",
        "--image",
        &image_arg,
        "--before",
        "echo migrated",
    ]);
    deployed.assert_success();
    assert!(deployed.stdout.contains("migrated"), "{}", deployed.stdout);
    assert_ne!(running().await, before);
    assert_eq!(releases(&ws), recorded + 1);
}

#[tokio::test]
async fn enable_pgvector_runs_psql_inside_the_vpc_without_showing_the_password() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let run = ws.run(&["db", "enable-pgvector", "--env", "dev", "-vv"]);
    run.assert_success();
    assert_eq!(run.stdout, "CREATE EXTENSION\n");

    let tasks = one_off_tasks(&emulator).await;
    assert_eq!(tasks.len(), 1);
    let api = api_container(&emulator, tasks[0].task_definition_arn().unwrap()).await;
    assert_eq!(
        api.image(),
        Some("public.ecr.aws/docker/library/postgres:16-alpine")
    );
    // The credentials come from the secret through ECS, as the api's do.
    assert!(api
        .secrets()
        .iter()
        .any(|s| s.name() == "DATABASE_PASSWORD"));
    let command = tasks[0].overrides().unwrap().container_overrides()[0]
        .command()
        .join(" ");
    assert!(
        command.contains("CREATE EXTENSION IF NOT EXISTS vector;"),
        "{command}"
    );
    assert!(command.contains("sslmode=require"), "{command}");

    let secret = emulator
        .secretsmanager()
        .await
        .get_secret_value()
        .secret_id("macro-ai/dev/db-credentials")
        .send()
        .await
        .unwrap();
    let credentials: serde_json::Value =
        serde_json::from_str(secret.secret_string().unwrap()).unwrap();
    let password = credentials["password"].as_str().unwrap();
    assert!(!command.contains(password));
    assert!(!run.stdout.contains(password) && !run.stderr.contains(password));
}
