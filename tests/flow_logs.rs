//! VPC flow logs end to end, checked with the emulator's own EC2, CloudWatch Logs and IAM
//! clients: the VPC's flow log to `/vpc/<stack>-<env>/flow-logs` through a role scoped to
//! exactly that group, the group's retention, a no-op second `up`, a changed setting replacing
//! only the flow log, adoption after a lost state (never of one tagged for another
//! environment), bad `[flow_logs]` values, and `destroy` removing all three.
mod support;

use serde_json::Value;
use support::{Emulator, RunOutput, Workspace};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn filter(name: &str, value: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name(name)
        .values(value)
        .build()
}

/// The id of the environment's VPC, by its tags.
async fn vpc_id(emulator: &Emulator, env: &str) -> String {
    let ec2 = emulator.ec2().await;
    let vpcs = ec2
        .describe_vpcs()
        .filters(filter("tag:macroctl:env", env))
        .filters(filter("tag:macroctl:id", "vpc"))
        .send()
        .await
        .unwrap();
    vpcs.vpcs()[0].vpc_id().unwrap().to_string()
}

/// Every flow log of the VPC `vpc`.
async fn flow_logs_of(emulator: &Emulator, vpc: &str) -> Vec<aws_sdk_ec2::types::FlowLog> {
    let ec2 = emulator.ec2().await;
    let out = ec2
        .describe_flow_logs()
        .filter(filter("resource-id", vpc))
        .send()
        .await
        .unwrap();
    out.flow_logs().to_vec()
}

fn tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

fn mutating_actions(emulator: &Emulator) -> Vec<String> {
    let mut actions: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|call| call.action.clone())
        .collect();
    actions.sort();
    actions
}

/// What `up` built for `env`: one flow log of all traffic, delivered through the scoped role
/// to the group with `retention` days.
async fn check_flow_log(emulator: &Emulator, env: &str, retention: i32) -> String {
    let group = format!("/vpc/macro-ai-{env}/flow-logs");
    let role_name = format!("macro-ai-{env}-vpc-flow-logs");
    let vpc = vpc_id(emulator, env).await;
    let flow_logs = flow_logs_of(emulator, &vpc).await;
    assert_eq!(flow_logs.len(), 1, "{flow_logs:#?}");
    let flow_log = &flow_logs[0];
    assert_eq!(flow_log.traffic_type().map(|t| t.as_str()), Some("ALL"));
    assert_eq!(flow_log.log_group_name(), Some(group.as_str()));
    assert_eq!(
        flow_log.log_destination_type().map(|t| t.as_str()),
        Some("cloud-watch-logs")
    );
    assert_eq!(flow_log.deliver_logs_status(), Some("SUCCESS"));
    assert_eq!(tag(flow_log.tags(), "macroctl:env"), Some(env));
    assert_eq!(tag(flow_log.tags(), "macroctl:id"), Some("flow-log-vpc"));

    // The role: assumed by the flow logs service, writing to exactly this group.
    let iam = emulator.iam().await;
    let role = iam.get_role().role_name(&role_name).send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(flow_log.deliver_logs_permission_arn(), Some(role.arn()));
    let trust = urlencoding_decode(role.assume_role_policy_document().unwrap());
    let trust = json(&trust);
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"], "vpc-flow-logs.amazonaws.com",
        "{trust}"
    );
    let policies = iam
        .list_role_policies()
        .role_name(&role_name)
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names(), ["deliver-flow-logs"]);
    let attached = iam
        .list_attached_role_policies()
        .role_name(&role_name)
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());
    let document = iam
        .get_role_policy()
        .role_name(&role_name)
        .policy_name("deliver-flow-logs")
        .send()
        .await
        .unwrap();
    let document = json(&urlencoding_decode(document.policy_document()));
    let statements = document["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{document}");
    let mut actions: Vec<&str> = statements[0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents"
        ]
    );
    let logs = emulator.logs().await;
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(&group)
        .send()
        .await
        .unwrap();
    let found = &groups.log_groups()[0];
    assert_eq!(found.log_group_name(), Some(group.as_str()));
    assert_eq!(found.retention_in_days(), Some(retention));
    let group_arn = found.arn().unwrap().trim_end_matches(":*").to_string();
    let mut resources: Vec<&str> = statements[0]["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    resources.sort();
    let streams = format!("{group_arn}:*");
    assert_eq!(resources, [group_arn.as_str(), streams.as_str()]);
    assert!(!resources.contains(&"*"));
    flow_log.flow_log_id().unwrap().to_string()
}

/// IAM answers policy documents URL-encoded.
fn urlencoding_decode(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn the_vpc_flow_log_is_built_changed_adopted_and_destroyed() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    // dev keeps logs 7 days (monitoring.log_retention_days).
    let first = check_flow_log(&emulator, "dev", 7).await;

    // A second up changes nothing.
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(mutating_actions(&emulator), Vec::<String>::new());

    // Another traffic type and retention: the flow log is replaced, the group's retention
    // changed, nothing else touched.
    ws.edit_env("dev", |text| {
        text.replacen("traffic_type = \"ALL\"", "traffic_type = \"REJECT\"", 1)
            .replacen("# retention_days = 14", "retention_days = 14", 1)
    });
    let plan = ws.run(&["plan", "--env", "dev"]);
    plan.assert_success();
    assert!(plan.stdout.contains("traffic_type"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("deleted and created again"),
        "{}",
        plan.stdout
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(
        mutating_actions(&emulator),
        ["CreateFlowLogs", "DeleteFlowLogs", "PutRetentionPolicy"]
    );
    let vpc = vpc_id(&emulator, "dev").await;
    let flow_logs = flow_logs_of(&emulator, &vpc).await;
    assert_eq!(flow_logs.len(), 1, "{flow_logs:#?}");
    let second = flow_logs[0].flow_log_id().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(
        flow_logs[0].traffic_type().map(|t| t.as_str()),
        Some("REJECT")
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(mutating_actions(&emulator), Vec::<String>::new());

    // A lost state: found again by its tags, nothing made or changed.
    std::fs::remove_file(ws.state_dir().join("dev.json")).unwrap();
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(mutating_actions(&emulator), Vec::<String>::new());
    let state = json(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap());
    assert_eq!(state["resources"]["flow-log-vpc"]["physical_id"], second);
    assert_eq!(state["resources"]["flow-log-vpc"]["kind"], "ec2:flow-log");

    // One tagged for another environment is never adopted: without state, plan creates.
    let ec2 = emulator.ec2().await;
    ec2.create_tags()
        .resources(&second)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("macroctl:env")
                .value("staging")
                .build(),
        )
        .send()
        .await
        .unwrap();
    std::fs::remove_file(ws.state_dir().join("dev.json")).unwrap();
    let plan = ws.run(&["plan", "--env", "dev", "--output", "json"]);
    plan.assert_success();
    let document = json(&plan.stdout);
    let planned = document["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "flow-log-vpc")
        .unwrap_or_else(|| panic!("{}", plan.stdout))
        .clone();
    assert_eq!(planned["action"], "create", "{planned}");
    ec2.create_tags()
        .resources(&second)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("macroctl:env")
                .value("dev")
                .build(),
        )
        .send()
        .await
        .unwrap();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();

    // destroy removes the flow log, its group and its role.
    ws.run(&["destroy", "--env", "dev", "--yes", "--purge-secrets"])
        .assert_success();
    assert!(flow_logs_of(&emulator, &vpc).await.is_empty());
    let logs = emulator.logs().await;
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/vpc/macro-ai-dev/")
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty(), "{groups:?}");
    let iam = emulator.iam().await;
    let role = iam
        .get_role()
        .role_name("macro-ai-dev-vpc-flow-logs")
        .send()
        .await;
    assert!(role.is_err(), "{role:?}");
}

#[tokio::test]
async fn prod_keeps_flow_logs_as_long_as_its_logs_and_off_means_none() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
    check_flow_log(&emulator, "prod", 180).await;

    // Staging without flow logs declares none of the three.
    ws.edit_env("staging", |text| {
        text.replacen("[flow_logs]\n# Record the VPC's traffic (seed: flow logs in every environment).\nenabled = true", "[flow_logs]\nenabled = false", 1)
    });
    let plan = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    plan.assert_success();
    let document = json(&plan.stdout);
    let ids: Vec<&str> = document["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"vpc"), "{ids:?}");
    for absent in ["flow-log-vpc", "log-group-flow-logs", "iam-flow-logs-role"] {
        assert!(!ids.contains(&absent), "{absent} declared: {ids:?}");
    }
}

#[track_caller]
fn assert_refused(run: &RunOutput, fragments: &[&str]) {
    run.assert_code(1);
    for fragment in fragments {
        assert!(
            run.stderr.contains(fragment),
            "`{fragment}` not in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn bad_flow_log_settings_name_the_key_before_any_aws_call() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        text.replacen("traffic_type = \"ALL\"", "traffic_type = \"all\"", 1)
    });
    let run = ws.run(&["plan", "--env", "dev"]);
    assert_refused(
        &run,
        &["dev.toml:", "flow_logs.traffic_type", "ALL", "REJECT"],
    );
    ws.edit_env("dev", |text| {
        text.replacen("traffic_type = \"all\"", "traffic_type = \"ALL\"", 1)
            .replacen("# retention_days = 14", "retention_days = 10", 1)
    });
    let run = ws.run(&["plan", "--env", "dev"]);
    assert_refused(
        &run,
        &[
            "dev.toml:",
            "flow_logs.retention_days",
            "10 is not a CloudWatch Logs retention value",
        ],
    );
    assert!(emulator.recorded_calls().is_empty());
}
