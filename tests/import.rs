//! `import`: a lost state file is rebuilt from what AWS has, with the same physical ids and not
//! one mutating call; `--map` adopts a VPC made by hand (tagged as `up` would tag it, checked
//! with the SDK's own describes) and `up` builds on it; bad mappings are clear errors that tag
//! and record nothing; what belongs to another environment is refused and left as it is.
mod support;

use std::collections::BTreeMap;
use support::inspect::env_value;
use support::{Emulator, Workspace};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn state_path(ws: &Workspace, env: &str) -> std::path::PathBuf {
    ws.state_dir().join(format!("{env}.json"))
}

fn state_of(ws: &Workspace, env: &str) -> serde_json::Value {
    json(&std::fs::read_to_string(state_path(ws, env)).expect("no state file"))
}

/// Logical id → physical id, as the state file records them.
fn physical_ids(state: &serde_json::Value) -> BTreeMap<String, String> {
    state["resources"]
        .as_object()
        .unwrap_or_else(|| panic!("no resources in {state}"))
        .iter()
        .map(|(id, entry)| {
            (
                id.clone(),
                entry["physical_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

/// The tags of one EC2 resource, by DescribeTags.
async fn ec2_tags(ec2: &aws_sdk_ec2::Client, resource: &str) -> BTreeMap<String, String> {
    let answer = ec2
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(resource)
                .build(),
        )
        .send()
        .await
        .unwrap();
    answer
        .tags()
        .iter()
        .map(|tag| {
            (
                tag.key().unwrap_or_default().to_string(),
                tag.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The VPCs with this CIDR block.
async fn vpcs_with_cidr(ec2: &aws_sdk_ec2::Client, cidr: &str) -> Vec<aws_sdk_ec2::types::Vpc> {
    let answer = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("cidr")
                .values(cidr)
                .build(),
        )
        .send()
        .await
        .unwrap();
    answer.vpcs().to_vec()
}

async fn vpc_by_hand(ec2: &aws_sdk_ec2::Client, cidr: &str, tags: &[(&str, &str)]) -> String {
    let mut create = ec2.create_vpc().cidr_block(cidr);
    if !tags.is_empty() {
        let mut spec = aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::Vpc);
        for (key, value) in tags {
            spec = spec.tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key(*key)
                    .value(*value)
                    .build(),
            );
        }
        create = create.tag_specifications(spec.build());
    }
    let answer = create.send().await.unwrap();
    answer.vpc().unwrap().vpc_id().unwrap().to_string()
}

#[tokio::test]
async fn a_lost_state_file_is_imported_with_the_same_ids_and_no_write() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let before = physical_ids(&state_of(&ws, "staging"));
    std::fs::remove_file(state_path(&ws, "staging")).unwrap();
    let _ = std::fs::remove_file(ws.state_dir().join("staging.json.backup"));

    emulator.reset_recording();
    let out = ws.run(&["import", "--env", "staging", "--output", "json"]);
    out.assert_success();
    let mutating = emulator.mutating_calls();
    assert!(
        mutating.is_empty(),
        "import changed something: {mutating:?}"
    );
    let document = json(&out.stdout);
    assert_eq!(document["env"], "staging");
    assert_eq!(document["missing"], serde_json::json!([]), "{}", out.stdout);
    assert_eq!(document["refused"], serde_json::json!([]), "{}", out.stdout);
    assert_eq!(document["failed"], serde_json::json!([]), "{}", out.stdout);
    let imported = ids(&document["imported"]);
    assert_eq!(imported.len(), before.len(), "{}", out.stdout);
    let vpc = &document["imported"][0];
    assert_eq!(vpc["id"], "vpc", "{}", out.stdout);
    assert_eq!(vpc["kind"], "ec2:vpc");
    assert_eq!(vpc["physical_id"], before["vpc"].as_str());
    assert_eq!(vpc["found_by"], "identity");

    // The state file has every resource again, with the ids it had.
    let state = state_of(&ws, "staging");
    assert_eq!(physical_ids(&state), before);
    assert!(state["destroyed_at"].is_null(), "{state}");

    // And nothing is left for up to do.
    let plan = ws.run(&[
        "plan",
        "--env",
        "staging",
        "--detailed-exitcode",
        "--output",
        "json",
    ]);
    plan.assert_code(0);
    let plan = json(&plan.stdout);
    assert_eq!(plan["has_changes"], false, "{plan}");

    // A second import finds everything recorded and writes nothing.
    let serial = state["serial"].clone();
    emulator.reset_recording();
    let again = ws.run(&["import", "--env", "staging"]);
    again.assert_success();
    assert!(emulator.mutating_calls().is_empty());
    assert!(
        again.stdout.contains(&format!(
            "0 imported, {} already recorded, 0 missing",
            before.len()
        )),
        "{}",
        again.stdout
    );
    let state_again = state_of(&ws, "staging");
    assert_eq!(state_again["serial"], serial);
    assert_eq!(state_again["resources"], state["resources"]);
}

#[tokio::test]
async fn a_vpc_made_by_hand_is_mapped_tagged_and_built_on() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let ec2 = emulator.ec2().await;
    let cidr = env_value(&ws, "dev", &["network", "vpc_cidr"]);
    let cidr = cidr.as_str().unwrap();
    let vpc = vpc_by_hand(&ec2, cidr, &[]).await;
    assert!(ec2_tags(&ec2, &vpc).await.is_empty());

    emulator.reset_recording();
    let map = format!("vpc={vpc}");
    let out = ws.run(&["import", "--env", "dev", "--map", &map]);
    out.assert_success();
    assert!(
        out.stdout
            .contains(&format!("vpc  ec2:vpc  {vpc}  (mapped)")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Run `macroctl up --env dev` to create the"),
        "{}",
        out.stdout
    );
    // Tagging is the only change.
    let mutating = emulator.mutating_calls();
    assert!(
        mutating.iter().all(|call| call.action == "CreateTags"),
        "{mutating:?}"
    );
    assert!(!mutating.is_empty());
    let tags = ec2_tags(&ec2, &vpc).await;
    assert_eq!(
        tags.get("macroctl:stack").map(String::as_str),
        Some("macro-ai")
    );
    assert_eq!(tags.get("macroctl:env").map(String::as_str), Some("dev"));
    assert_eq!(tags.get("macroctl:id").map(String::as_str), Some("vpc"));
    assert_eq!(
        tags.get("Name").map(String::as_str),
        Some("macro-ai-dev-vpc")
    );
    let described = vpcs_with_cidr(&ec2, cidr).await;
    assert_eq!(described.len(), 1);
    assert!(described[0]
        .tags()
        .iter()
        .any(|tag| tag.key() == Some("macroctl:env") && tag.value() == Some("dev")));
    let state = state_of(&ws, "dev");
    assert_eq!(physical_ids(&state).get("vpc"), Some(&vpc), "{state}");
    assert_eq!(physical_ids(&state).len(), 1, "{state}");

    // up builds on it: no second VPC, and the subnets are in the mapped one.
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let with_cidr = vpcs_with_cidr(&ec2, cidr).await;
    assert_eq!(with_cidr.len(), 1, "{with_cidr:?}");
    assert_eq!(with_cidr[0].vpc_id(), Some(vpc.as_str()));
    let state = state_of(&ws, "dev");
    let recorded = physical_ids(&state);
    assert_eq!(recorded.get("vpc"), Some(&vpc));
    let subnet = &recorded["subnet-public-a"];
    let subnets = ec2
        .describe_subnets()
        .subnet_ids(subnet)
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets()[0].vpc_id(), Some(vpc.as_str()));

    // Now the state is lost and a log group was retagged as prod's: that one is refused
    // (exit 1, tags unchanged), everything else is recorded — the VPC by its tags now.
    let before = recorded.clone();
    std::fs::remove_file(state_path(&ws, "dev")).unwrap();
    let logs = emulator.logs().await;
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/macro-ai-dev-api")
        .send()
        .await
        .unwrap();
    let group = (groups.log_groups().iter())
        .find(|group| group.log_group_name() == Some("/ecs/macro-ai-dev-api"))
        .expect("no API log group");
    let group_arn = group.arn().unwrap().trim_end_matches(":*").to_string();
    logs.tag_resource()
        .resource_arn(&group_arn)
        .tags("macroctl:env", "prod")
        .send()
        .await
        .unwrap();
    emulator.reset_recording();
    let out = ws.run(&["import", "--env", "dev", "--output", "json"]);
    out.assert_code(1);
    assert!(emulator.mutating_calls().is_empty());
    let document = json(&out.stdout);
    assert_eq!(
        ids(&document["refused"]),
        ["log-group-api"],
        "{}",
        out.stdout
    );
    assert!(
        document["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("macroctl:env=prod"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("log-group-api"), "{}", out.stderr);
    // What is found through the refused log group (the API's task definition, and what
    // needs that) is not looked for: missing, saying why.
    let not_looked_for = [
        "task-definition-api",
        "service-api",
        "autoscaling-target-api",
        "autoscaling-policy-api-cpu",
        "autoscaling-policy-api-memory",
    ];
    let mut missing = ids(&document["missing"]);
    missing.sort();
    let mut expected_missing = not_looked_for.map(String::from).to_vec();
    expected_missing.sort();
    assert_eq!(missing, expected_missing, "{}", out.stdout);
    let task_definition = &document["missing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "task-definition-api")
        .unwrap()["note"];
    assert!(
        task_definition
            .as_str()
            .is_some_and(|note| note.contains("log-group-api, which was refused")),
        "{}",
        out.stdout
    );
    let state = state_of(&ws, "dev");
    let mut expected = before.clone();
    expected.remove("log-group-api");
    for id in not_looked_for {
        expected.remove(id);
    }
    assert_eq!(physical_ids(&state), expected);
    let group_tags = logs
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        group_tags.tags().and_then(|tags| tags.get("macroctl:env")),
        Some(&"prod".to_string())
    );
}

#[tokio::test]
async fn bad_mappings_are_clear_errors_that_tag_and_record_nothing() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let ec2 = emulator.ec2().await;
    let cidr = env_value(&ws, "dev", &["network", "vpc_cidr"]);
    let cidr = cidr.as_str().unwrap();
    let vpc = vpc_by_hand(&ec2, cidr, &[]).await;
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block(cidr.replace(".0.0/16", ".0.0/24"))
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    emulator.reset_recording();

    // An id of another kind, and an id that does not exist: named, nothing touched.
    for physical in [subnet.as_str(), "vpc-doesnotexist"] {
        let map = format!("vpc={physical}");
        let out = ws.run(&["import", "--env", "dev", "--map", &map]);
        out.assert_code(1);
        assert!(
            out.stderr.contains(&format!("--map vpc={physical}")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("ec2:vpc"), "{}", out.stderr);
        assert!(out.stderr.contains("hint:"), "{}", out.stderr);
        assert!(!state_path(&ws, "dev").exists(), "something was recorded");
    }
    assert!(ec2_tags(&ec2, &subnet).await.is_empty());
    assert!(ec2_tags(&ec2, &vpc).await.is_empty());

    // A logical id the environment does not have: before any AWS call.
    let out = ws.run(&["import", "--env", "dev", "--map", "nosuch=vpc-1"]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("environment dev has no resource nosuch"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("macroctl plan --env dev"),
        "{}",
        out.stderr
    );
    let out = ws.run(&["import", "--env", "dev", "--map", "vcp=vpc-1"]);
    out.assert_code(1);
    assert!(out.stderr.contains("did you mean vpc?"), "{}", out.stderr);

    // Not LOGICAL_ID=PHYSICAL_ID: a usage error (exit 1, as every usage error here; 2 means
    // "changes present").
    for bad in ["vpc", "vpc=", "=vpc-1"] {
        let out = ws.run(&["import", "--env", "dev", "--map", bad]);
        out.assert_code(1);
        assert!(out.stderr.contains("--map"), "{}", out.stderr);
        assert!(
            out.stderr.contains("LOGICAL_ID=PHYSICAL_ID"),
            "{}",
            out.stderr
        );
    }
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "{mutating:?}");
    assert!(!state_path(&ws, "dev").exists());

    // One resource cannot be two logical ids: once the VPC is dev's vpc, mapping it as
    // something else is refused.
    let map = format!("vpc={vpc}");
    ws.run(&["import", "--env", "dev", "--map", &map])
        .assert_success();
    let tags = ec2_tags(&ec2, &vpc).await;
    let state = state_of(&ws, "dev");
    let map = format!("internet-gateway={vpc}");
    let out = ws.run(&["import", "--env", "dev", "--map", &map, "--output", "json"]);
    out.assert_code(1);
    let document = json(&out.stdout);
    assert_eq!(
        ids(&document["refused"]),
        ["internet-gateway"],
        "{}",
        out.stdout
    );
    let reason = document["refused"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("state records {vpc} as vpc")),
        "{reason}"
    );
    assert_eq!(
        ids(&document["already_recorded"]),
        ["vpc"],
        "{}",
        out.stdout
    );
    assert_eq!(state_of(&ws, "dev"), state);
    assert_eq!(ec2_tags(&ec2, &vpc).await, tags);
}

#[tokio::test]
async fn a_vpc_of_another_environment_is_refused_and_left_alone() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let ec2 = emulator.ec2().await;
    let cidr = env_value(&ws, "dev", &["network", "vpc_cidr"]);
    let vpc = vpc_by_hand(
        &ec2,
        cidr.as_str().unwrap(),
        &[("macroctl:stack", "macro-ai"), ("macroctl:env", "other")],
    )
    .await;
    let before = ec2_tags(&ec2, &vpc).await;
    emulator.reset_recording();
    let map = format!("vpc={vpc}");
    let out = ws.run(&["import", "--env", "dev", "--map", &map, "--output", "json"]);
    out.assert_code(1);
    let document = json(&out.stdout);
    assert_eq!(ids(&document["refused"]), ["vpc"], "{}", out.stdout);
    let reason = document["refused"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("macroctl:env=other"), "{reason}");
    assert!(reason.contains(&vpc), "{reason}");
    assert_eq!(document["imported"], serde_json::json!([]));
    // Its children are missing, not looked for under an unknown VPC.
    assert!(
        document["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "subnet-public-a"
                && m["note"].as_str().is_some_and(|n| n.contains("vpc"))),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("refused"), "{}", out.stderr);
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "{mutating:?}");
    assert_eq!(ec2_tags(&ec2, &vpc).await, before);
    // Nothing was found, so nothing was recorded.
    if state_path(&ws, "dev").exists() {
        let state = state_of(&ws, "dev");
        assert!(state["resources"].get("vpc").is_none(), "{state}");
    }
}
