//! Finding what exists: a lost state file is rebuilt without changing what runs, resources of
//! another stack or environment (or made by hand) are never adopted or changed, and the
//! environment's tags follow `[environment.tags]` on every resource.
mod support;

use support::{Emulator, Workspace};

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// Service → (task definition ARN, container image), read from ECS directly.
async fn running(emulator: &Emulator, env: &str) -> Vec<(String, String, String)> {
    let ecs = emulator.ecs().await;
    let services = ecs
        .describe_services()
        .cluster(format!("macro-ai-{env}"))
        .services("api")
        .services("ui")
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for service in services.services() {
        let name = service.service_name().unwrap().to_string();
        let arn = service.task_definition().unwrap().to_string();
        let definition = ecs
            .describe_task_definition()
            .task_definition(&arn)
            .send()
            .await
            .unwrap();
        let image = definition
            .task_definition()
            .unwrap()
            .container_definitions()
            .iter()
            .find(|c| c.name() == Some(name.as_str()))
            .and_then(|c| c.image())
            .unwrap()
            .to_string();
        out.push((name, arn, image));
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_lost_state_file_after_two_deploys_changes_no_service_and_no_task_definition() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let api_v2 = format!("--image=api={ECR}/macro-ai-dev-api:v2");
    let ui_v2 = format!("--image=ui={ECR}/macro-ai-dev-ui:v2");
    ws.run(&["deploy", "--env", "dev", &api_v2, &ui_v2])
        .assert_success();
    let api_v3 = format!("--image=api={ECR}/macro-ai-dev-api:v3");
    ws.run(&["deploy", "--env", "dev", &api_v3])
        .assert_success();
    let before = running(&emulator, "dev").await;
    assert!(before.iter().any(|(_, _, image)| image.ends_with("api:v3")));

    std::fs::remove_file(ws.state_dir().join("dev.json")).unwrap();
    let _ = std::fs::remove_file(ws.state_dir().join("dev.json.backup"));
    let plan = ws.run(&["plan", "--env", "dev", "--detailed-exitcode"]);
    plan.assert_code(0);
    emulator.reset_recording();
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_success();
    assert!(
        up.stderr.contains("rebuilt it from what runs"),
        "{}",
        up.stderr
    );
    let changed: Vec<_> = emulator
        .mutating_calls()
        .into_iter()
        .filter(|call| call.service == "ecs")
        .collect();
    assert!(changed.is_empty(), "up changed ECS: {changed:?}");
    assert_eq!(running(&emulator, "dev").await, before);

    // The history is one adopted release naming what runs.
    let releases = ws.run(&["releases", "--env", "dev", "--output", "json"]);
    releases.assert_success();
    let document: serde_json::Value = serde_json::from_str(&releases.stdout).unwrap();
    let releases = document["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 1, "{releases:?}");
    assert_eq!(releases[0]["command"], "adopt");
    assert!(releases[0]["services"]["api"]["image"]
        .as_str()
        .unwrap()
        .ends_with("api:v3"));
    assert!(releases[0]["services"]["ui"]["image"]
        .as_str()
        .unwrap()
        .ends_with("ui:v2"));
    // And a rollback target is not invented: there is only one release.
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(emulator.mutating_calls().is_empty());
}

#[tokio::test]
async fn resources_of_another_environment_or_made_by_hand_are_never_adopted_or_changed() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    // A log group with dev's name, tagged as prod's.
    let logs = emulator.logs().await;
    logs.create_log_group()
        .log_group_name("/ecs/macro-ai-dev-api")
        .tags("macroctl:stack", "macro-ai")
        .tags("macroctl:env", "prod")
        .send()
        .await
        .unwrap();
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_code(1);
    assert!(up.stderr.contains("log-group-api"), "{}", up.stderr);
    assert!(up.stderr.contains("macroctl:env=prod"), "{}", up.stderr);
    assert!(up.stderr.contains("never adopts"), "{}", up.stderr);
    let group = logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/macro-ai-dev-api")
        .send()
        .await
        .unwrap();
    let group = &group.log_groups()[0];
    assert_eq!(
        group.retention_in_days(),
        None,
        "the other env's group was changed"
    );
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(group.arn().unwrap().trim_end_matches(":*"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().unwrap().get("macroctl:env").map(String::as_str),
        Some("prod")
    );
    assert!(!tags.tags().unwrap().contains_key("macroctl:id"));
    // The refusal came while reading, before anything was created or recorded.
    assert!(!ws.state_dir().join("dev.json").exists());

    // An IAM role with dev's execution role name, made by hand (no macroctl tags).
    logs.delete_log_group()
        .log_group_name("/ecs/macro-ai-dev-api")
        .send()
        .await
        .unwrap();
    let iam = emulator.iam().await;
    iam.create_role()
        .role_name("macro-ai-dev-task-execution")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_code(1);
    assert!(up.stderr.contains("not made by macroctl"), "{}", up.stderr);
    let attached = iam
        .list_attached_role_policies()
        .role_name("macro-ai-dev-task-execution")
        .send()
        .await
        .unwrap();
    assert!(
        attached.attached_policies().is_empty(),
        "the hand-made role was changed"
    );
    let inline = iam
        .list_role_policies()
        .role_name("macro-ai-dev-task-execution")
        .send()
        .await
        .unwrap();
    assert!(
        inline.policy_names().is_empty(),
        "the hand-made role was changed"
    );
}

/// Tags of a sample of resources across services, read with the SDK.
async fn team_tags(emulator: &Emulator) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let ec2 = emulator.ec2().await;
    let vpcs = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:macroctl:env")
                .values("dev")
                .build(),
        )
        .send()
        .await
        .unwrap();
    for vpc in vpcs.vpcs() {
        let team = vpc
            .tags()
            .iter()
            .find(|t| t.key() == Some("team"))
            .and_then(|t| t.value().map(str::to_string));
        out.push(("vpc".to_string(), team));
    }
    let logs = emulator.logs().await;
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/macro-ai-dev-api")
        .send()
        .await
        .unwrap();
    let arn = groups.log_groups()[0]
        .arn()
        .unwrap()
        .trim_end_matches(":*")
        .to_string();
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    out.push((
        "log group".to_string(),
        tags.tags().and_then(|t| t.get("team").cloned()),
    ));
    let iam = emulator.iam().await;
    let role = iam
        .list_role_tags()
        .role_name("macro-ai-dev-task-execution")
        .send()
        .await
        .unwrap();
    out.push((
        "role".to_string(),
        role.tags()
            .iter()
            .find(|t| t.key() == "team")
            .map(|t| t.value().to_string()),
    ));
    let elb = emulator.elb().await;
    let groups = elb
        .describe_target_groups()
        .names("macro-ai-dev-api")
        .send()
        .await
        .unwrap();
    let arn = groups.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let tags = elb.describe_tags().resource_arns(arn).send().await.unwrap();
    out.push((
        "target group".to_string(),
        tags.tag_descriptions()[0]
            .tags()
            .iter()
            .find(|t| t.key() == Some("team"))
            .and_then(|t| t.value().map(str::to_string)),
    ));
    let rds = emulator.rds().await;
    let instances = rds.describe_db_instances().send().await.unwrap();
    out.push((
        "database".to_string(),
        instances.db_instances()[0]
            .tag_list()
            .iter()
            .find(|t| t.key() == Some("team"))
            .and_then(|t| t.value().map(str::to_string)),
    ));
    out
}

#[tokio::test]
async fn editing_environment_tags_retags_every_existing_resource_and_leaves_foreign_tags_alone() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(team_tags(&emulator)
        .await
        .iter()
        .all(|(_, team)| team.is_none()));

    // Someone adds a tag of their own to the VPC.
    let ec2 = emulator.ec2().await;
    let vpc_id = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap(),
    )
    .unwrap()["resources"]["vpc"]["physical_id"]
        .as_str()
        .unwrap()
        .to_string();
    ec2.create_tags()
        .resources(&vpc_id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("cost-center")
                .value("42")
                .build(),
        )
        .send()
        .await
        .unwrap();

    ws.edit_env("dev", |text| {
        text.replacen(
            "[environment.tags]",
            "[environment.tags]\nteam = \"web\"",
            1,
        )
    });
    let plan = ws.run(&["plan", "--env", "dev", "--detailed-exitcode"]);
    plan.assert_code(2);
    assert!(plan.stdout.contains("tag team"), "{}", plan.stdout);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    for (what, team) in team_tags(&emulator).await {
        assert_eq!(team.as_deref(), Some("web"), "{what}");
    }
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(emulator.mutating_calls().is_empty());

    // Removing it from the file removes it from the resources; the foreign tag stays.
    ws.edit_env("dev", |text| text.replacen("team = \"web\"\n", "", 1));
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    for (what, team) in team_tags(&emulator).await {
        assert_eq!(team, None, "{what}");
    }
    let vpc = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    assert!(vpc.vpcs()[0]
        .tags()
        .iter()
        .any(|t| t.key() == Some("cost-center") && t.value() == Some("42")));
}
