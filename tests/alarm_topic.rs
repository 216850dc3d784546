//! The alarm topic's encryption and policy end to end (AWS FSBP SNS.1, KMS.4), checked through
//! the emulator's own SNS and KMS: `up` of staging encrypts the topic with a customer managed
//! key of the environment's (rotation on, a key policy letting only this account's CloudWatch
//! use it), the topic policy admits only CloudWatch to publish, a console change to either is
//! drift and put right, and `destroy` schedules the key's deletion; a key named in the env file
//! is used and none is made; the AWS managed `alias/aws/sns` is refused before any call; prod's
//! topic is encrypted with prod's own key, and dev (alarms off) has neither.
mod support;

use support::{Emulator, Workspace};

const ACCOUNT: &str = "123456789012";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:macro-ai-staging-alerts";
const ALIAS: &str = "alias/macro-ai-staging-alerts";

fn kms(emulator: &Emulator) -> aws_sdk_kms::Client {
    sdk_client!(aws_sdk_kms, emulator, "us-east-1")
}

async fn topic_attributes(emulator: &Emulator) -> std::collections::HashMap<String, String> {
    emulator
        .sns()
        .await
        .get_topic_attributes()
        .topic_arn(TOPIC_ARN)
        .send()
        .await
        .unwrap()
        .attributes()
        .cloned()
        .unwrap_or_default()
}

/// The key the alias names, if the alias exists.
async fn aliased_key(kms: &aws_sdk_kms::Client) -> Option<String> {
    let aliases = kms.list_aliases().send().await.unwrap();
    aliases
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some(ALIAS))
        .and_then(|a| a.target_key_id().map(str::to_string))
}

async fn key_metadata(kms: &aws_sdk_kms::Client, key_id: &str) -> aws_sdk_kms::types::KeyMetadata {
    kms.describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
}

/// Whether KMS rotates the key automatically (FSBP KMS.4).
async fn rotation_enabled(kms: &aws_sdk_kms::Client, key_id: &str) -> bool {
    kms.get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled()
}

/// The plan's changes to `id`, as field names.
fn planned_fields(ws: &Workspace, id: &str) -> Vec<String> {
    let run = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    run.assert_success();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == id)
        .flat_map(|r| r["changes"].as_array().unwrap().clone())
        .map(|c| c["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_alarm_topic_is_encrypted_with_the_environments_key_and_admits_only_cloudwatch() {
    // The realistic launcher: plain moto never finishes deleting a replication group.
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let kms = kms(&emulator);

    // The key: the alias names it, rotation is on, only CloudWatch of this account may use it.
    let key_id = aliased_key(&kms).await.expect("the alias was made");
    let key = key_metadata(&kms, &key_id).await;
    assert_eq!(key.key_state().map(|s| s.as_str()), Some("Enabled"));
    let rotation = rotation_enabled(&kms, &key_id).await;
    assert!(rotation, "KMS.4");
    let policy = kms
        .get_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let cloudwatch = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Principal"]["Service"] == "cloudwatch.amazonaws.com")
        .expect("a statement for CloudWatch");
    assert_eq!(
        cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    let tags = kms
        .list_resource_tags()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let env_tag = tags
        .tags()
        .iter()
        .find(|t| t.tag_key() == "macroctl:env")
        .map(|t| t.tag_value().to_string());
    assert_eq!(env_tag.as_deref(), Some("staging"));

    // The topic: encrypted with that key; only CloudWatch publishes, nobody at large.
    let attributes = topic_attributes(&emulator).await;
    assert_eq!(
        attributes.get("KmsMasterKeyId"),
        key.arn().map(str::to_string).as_ref(),
        "SNS.1: {attributes:?}"
    );
    let policy: serde_json::Value = serde_json::from_str(&attributes["Policy"]).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    for statement in statements {
        assert_ne!(statement["Principal"], "*", "{policy}");
        assert_ne!(statement["Principal"]["AWS"], "*", "{policy}");
        assert_eq!(statement["Resource"], TOPIC_ARN, "{policy}");
    }
    let publishers: Vec<&serde_json::Value> = statements
        .iter()
        .filter(|s| {
            let publishes = |action: &serde_json::Value| {
                action.as_str().is_some_and(|a| {
                    ["sns:publish", "sns:*", "*"].contains(&a.to_ascii_lowercase().as_str())
                })
            };
            publishes(&s["Action"])
                || s["Action"]
                    .as_array()
                    .is_some_and(|actions| actions.iter().any(publishes))
        })
        .collect();
    assert_eq!(publishers.len(), 1, "{policy}");
    assert_eq!(
        publishers[0]["Principal"]["Service"],
        "cloudwatch.amazonaws.com"
    );
    assert_eq!(
        publishers[0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    assert!(planned_fields(&ws, "alerts-topic").is_empty());
    assert!(planned_fields(&ws, "kms-alerts").is_empty());

    // Console changes: the topic moved to the AWS managed key, rotation off. Drift, put right.
    let sns = emulator.sns().await;
    sns.set_topic_attributes()
        .topic_arn(TOPIC_ARN)
        .attribute_name("KmsMasterKeyId")
        .attribute_value("alias/aws/sns")
        .send()
        .await
        .unwrap();
    kms.disable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        planned_fields(&ws, "alerts-topic"),
        ["kms_master_key_id"],
        "the topic's key is drift"
    );
    assert!(
        !planned_fields(&ws, "kms-alerts").is_empty(),
        "rotation off"
    );
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let attributes = topic_attributes(&emulator).await;
    assert_eq!(
        attributes.get("KmsMasterKeyId"),
        key.arn().map(str::to_string).as_ref()
    );
    let rotation = rotation_enabled(&kms, &key_id).await;
    assert!(rotation);
    assert_eq!(aliased_key(&kms).await.as_deref(), Some(key_id.as_str()));

    // destroy: the alias goes, the key is scheduled for deletion (AWS never deletes at once).
    ws.run(&[
        "destroy",
        "--env",
        "staging",
        "--yes",
        "--disable-deletion-protection",
        "--skip-final-snapshot",
        "--purge-secrets",
        "--delete-images",
    ])
    .assert_success();
    assert_eq!(aliased_key(&kms).await, None);
    let key = key_metadata(&kms, &key_id).await;
    assert_eq!(key.key_state().map(|s| s.as_str()), Some("PendingDeletion"));
    assert!(key.deletion_date().is_some());
}

#[tokio::test]
async fn a_key_named_in_the_env_file_is_used_and_the_aws_managed_one_is_refused() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);

    // alias/aws/sns: refused before any call, naming the key and why.
    ws.edit_env("staging", |text| {
        text.replacen(
            "[monitoring]\n",
            "[monitoring]\nalarm_topic_kms_key = \"alias/aws/sns\"\n",
            1,
        )
    });
    emulator.reset_recording();
    let refused = ws.run(&["plan", "--env", "staging"]);
    refused.assert_code(1);
    for part in [
        "monitoring.alarm_topic_kms_key",
        "alias/aws/sns",
        "cloudwatch.amazonaws.com",
    ] {
        assert!(refused.stderr.contains(part), "{part}: {}", refused.stderr);
    }
    assert!(!refused.stderr.contains("panicked"), "{}", refused.stderr);
    assert!(emulator.recorded_calls().is_empty());

    // A customer managed key of the team's: used, and macroctl makes none.
    let kms = kms(&emulator);
    let own = kms
        .create_key()
        .description("the ops team's alarm key")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let own_arn = own.arn().unwrap().to_string();
    ws.edit_env("staging", |text| {
        text.replace(
            "alarm_topic_kms_key = \"alias/aws/sns\"",
            &format!("alarm_topic_kms_key = \"{own_arn}\""),
        )
    });
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let attributes = topic_attributes(&emulator).await;
    assert_eq!(attributes.get("KmsMasterKeyId"), Some(&own_arn));
    let keys = kms.list_keys().send().await.unwrap();
    assert_eq!(keys.keys().len(), 1, "no key was made: {keys:?}");
    assert_eq!(aliased_key(&kms).await, None);
}

/// prod's topic too (dev has no alarms, so no topic: SNS.1 does not apply there).
#[tokio::test]
async fn prod_encrypts_its_alarm_topic_with_its_own_key() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
    let kms = kms(&emulator);
    let aliases = kms.list_aliases().send().await.unwrap();
    let key_id = aliases
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/macro-ai-prod-alerts"))
        .and_then(|a| a.target_key_id())
        .expect("prod's alias")
        .to_string();
    let key = key_metadata(&kms, &key_id).await;
    let rotation = rotation_enabled(&kms, &key_id).await;
    assert!(rotation, "KMS.4");
    let attributes = emulator
        .sns()
        .await
        .get_topic_attributes()
        .topic_arn("arn:aws:sns:us-east-1:123456789012:macro-ai-prod-alerts")
        .send()
        .await
        .unwrap()
        .attributes()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        attributes.get("KmsMasterKeyId").map(String::as_str),
        key.arn(),
        "SNS.1"
    );
    // dev: alarms off, no topic and no key of its own.
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let aliases = kms.list_aliases().send().await.unwrap();
    assert!(!aliases
        .aliases()
        .iter()
        .any(|a| a.alias_name() == Some("alias/macro-ai-dev-alerts")));
}
