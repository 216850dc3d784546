//! A converged environment is read in batched calls, and `plan` names what is tagged for the
//! environment but no longer declared, of every kind.
//!
//! The call count of a no-op is deterministic, so it is asserted here (on the realistic
//! emulator, whose `GetResources` covers what AWS's does); how long the reads take is not:
//! `make bench` measures that (docs/performance.md).
mod support;

use std::collections::BTreeMap;
use support::{Emulator, RecordedCall, Workspace};

/// What a no-op `plan` of staging costs today: one listing per kind (or API), plus the reads
/// AWS has no batch API for (two VPC attributes, a target group's attributes, a repository's
/// lifecycle policy, a task definition revision, a topic's subscriptions). See
/// docs/performance.md for the breakdown; a change that adds reads must say why there.
/// 42 = 37 + the RDS Proxy's three (DescribeDBProxies; its target's DescribeDBProxyTargets
/// and DescribeDBProxyTargetGroups, read together) + the VPC flow logs' listing
/// (DescribeFlowLogs) and their log group, which lives under `/vpc/`, outside the `/ecs/`
/// groups' listing (a DescribeLogGroups of its own); + the storage layer's 17: the account id
/// (STS GetCallerIdentity, once per run), six reads per bucket for two buckets (S3 has no call
/// reporting several settings or buckets; tags come from GetResources), the trail's three
/// (GetTrail, GetTrailStatus, ListTags) and the load balancer's attributes (access logs); + 3
/// of Cognito: `DescribeUserPool` and `GetUserPoolMfaConfig` of the pool, and
/// `DescribeUserPoolClient` (Cognito has no batch read of either); + 1 for CloudFront's origin-facing prefix list (DescribeManagedPrefixLists, `ops::facts`), which the load balancer admits alone;
/// 1 for the CLOUDFRONT-scope web ACL (`GetWebACL` by its recorded ARN: WAF has no batch
/// read of rules; its tags come from `GetResources`, which in us-east-1 lists it), and 2 of the CDN layer: the distribution's `GetDistribution` (status, ETag and
/// configuration, which `ListDistributions` lacks in part: no logging) and the Origin Access
/// Control's `GetOriginAccessControl` (CloudFront has no batch read of either; the
/// distribution's tags come from `GetResources`); + 1 for the DB parameter group's parameters
/// (`DescribeDBParameters` with `Source=user`, which shows whether `rds.force_ssl` is still
/// set: no API reads several groups' parameters, and `DescribeDBParameterGroups` has none),
/// 1 for the alarm topic's attributes (`GetTopicAttributes`: its KMS key and policy) and 4 for
/// its KMS key (`ListAliases` finds it, `DescribeKey`, `GetKeyPolicy`, `GetKeyRotationStatus`:
/// KMS has no batch read), and 2 for the plan's security section, the age of each secret's
/// current value (`ListSecretVersionIds` per secret: `ListSecrets` has no version dates).
const STAGING_NOOP_CALLS: usize = 74;

/// The operations that read one resource each (no API reads several), and how many of each
/// staging has.
const PER_RESOURCE_READS: &[(&str, usize)] = &[
    ("DescribeVpcAttribute", 2),
    ("DescribeTargetGroupAttributes", 2),
    ("GetLifecyclePolicy", 2),
    ("DescribeTaskDefinition", 2),
    // The `/ecs/` groups' listing, and the flow log group under `/vpc/`.
    ("DescribeLogGroups", 2),
    // The security section: the database credentials and the API keys.
    ("ListSecretVersionIds", 2),
];

fn counts(calls: &[RecordedCall]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in calls {
        *counts
            .entry(format!("{}:{}", call.service, call.action))
            .or_insert(0) += 1;
    }
    counts
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn a_converged_plan_reads_each_kind_once() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();

    emulator.reset_recording();
    let out = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    out.assert_success();
    let calls = emulator.recorded_calls();
    let document = json(&out.stdout);
    assert_eq!(document["has_changes"], false, "{}", out.stdout);

    let mutating: Vec<_> = calls.iter().filter(|call| call.is_mutating()).collect();
    assert!(
        mutating.is_empty(),
        "a plan changed something: {mutating:?}"
    );
    // What macroctl reports is what the emulator saw.
    let reported = &document["api_calls"];
    assert_eq!(
        reported["reads"].as_u64().unwrap() + reported["writes"].as_u64().unwrap(),
        calls.len() as u64,
        "macroctl reported {reported}, the emulator recorded {:?}",
        counts(&calls)
    );
    let counts = counts(&calls);
    assert!(
        calls.len() <= STAGING_NOOP_CALLS,
        "{} calls, more than {STAGING_NOOP_CALLS}: {counts:#?}",
        calls.len()
    );
    // Nothing is read resource by resource but what no API reads in batches.
    for (operation, count) in &counts {
        let action = operation.split_once(':').map_or("", |(_, action)| action);
        let allowed = PER_RESOURCE_READS
            .iter()
            .find(|(per_resource, _)| *per_resource == action)
            .map_or(1, |(_, n)| *n);
        assert!(
            *count <= allowed,
            "{operation} was called {count} times (at most {allowed}): {counts:#?}"
        );
    }
    // Tags come from the environment's one GetResources, not a call per resource.
    assert_eq!(counts.get("tagging:GetResources"), Some(&1), "{counts:#?}");
    let per_resource_tags: Vec<_> = counts
        .keys()
        .filter(|operation| operation.ends_with(":ListTagsForResource"))
        .collect();
    assert!(per_resource_tags.is_empty(), "{per_resource_tags:?}");
}

#[tokio::test]
async fn plan_names_resources_tagged_for_the_environment_of_every_kind() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();

    // Made behind macroctl's back with macroctl's tags: a topic, a secret and a role for
    // staging, and a topic for another environment (not staging's business).
    let tags = |env: &str, id: &str| {
        [
            ("macroctl:stack", "macro-ai"),
            ("macroctl:env", env),
            ("macroctl:id", id),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    };
    let sns = emulator.sns().await;
    let mut topic_arns = BTreeMap::new();
    for (name, env, id) in [
        ("macro-ai-staging-stray", "staging", "stray-topic"),
        ("macro-ai-dev-stray", "dev", "dev-topic"),
    ] {
        let mut request = sns.create_topic().name(name);
        for (key, value) in tags(env, id) {
            request = request.tags(
                aws_sdk_sns::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .unwrap(),
            );
        }
        let arn = request.send().await.unwrap().topic_arn.unwrap();
        topic_arns.insert(id, arn);
    }
    let secrets = emulator.secretsmanager().await;
    let mut request = secrets
        .create_secret()
        .name("macro-ai/staging/STRAY")
        .secret_string("not-a-real-secret");
    for (key, value) in tags("staging", "stray-secret") {
        request = request.tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        );
    }
    request.send().await.unwrap();
    let iam = emulator.iam().await;
    let mut request = iam
        .create_role()
        .role_name("macro-ai-staging-stray")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        );
    for (key, value) in tags("staging", "stray-role") {
        request = request.tags(
            aws_sdk_iam::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .unwrap(),
        );
    }
    request.send().await.unwrap();

    let out = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    out.assert_success();
    let document = json(&out.stdout);
    let unmanaged: BTreeMap<String, (String, String)> = document["unmanaged"]
        .as_array()
        .unwrap_or_else(|| panic!("no unmanaged list: {}", out.stdout))
        .iter()
        .map(|tagged| {
            let field = |name: &str| tagged[name].as_str().unwrap_or_default().to_string();
            (field("id"), (field("kind"), field("physical_id")))
        })
        .collect();
    assert_eq!(
        unmanaged.keys().map(String::as_str).collect::<Vec<_>>(),
        ["stray-role", "stray-secret", "stray-topic"],
        "{unmanaged:#?}"
    );
    assert_eq!(unmanaged["stray-role"].0, "iam:role");
    assert_eq!(unmanaged["stray-topic"].0, "sns:topic");
    assert_eq!(unmanaged["stray-topic"].1, topic_arns["stray-topic"]);
    assert_eq!(unmanaged["stray-secret"].0, "secretsmanager:secret");

    // The text plan names them too, and leaves them alone.
    let text = ws.run(&["plan", "--env", "staging"]);
    text.assert_success();
    for id in ["stray-role", "stray-secret", "stray-topic"] {
        assert!(text.stdout.contains(id), "{id} not named:\n{}", text.stdout);
    }
    assert!(!text.stdout.contains("dev-topic"), "{}", text.stdout);
    for arn in topic_arns.values() {
        sns.get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{arn} is gone: {e:?}"));
    }
}
