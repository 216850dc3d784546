//! The storage layer end to end: the S3 buckets and the CloudTrail trail per environment,
//! checked through independent SDK calls (versioning, encryption, public-access blocks,
//! ownership, policies, lifecycle, tags; the trail's settings; the load balancer's access
//! logs; the API's grants on the assets bucket); a second `up` changing nothing; a changed
//! setting changing only its buckets; adoption after a lost state; a bucket tagged for another
//! environment left alone; and `destroy` refusing buckets that hold objects unless
//! `--delete-bucket-contents`.
mod support;

use support::inspect::statements;
use support::{Emulator, Workspace};

/// moto's account.
const ACCOUNT: &str = "123456789012";

fn bucket(env: &str, role: &str) -> String {
    format!("macro-ai-{env}-{role}-{ACCOUNT}")
}

fn policy_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

/// Checks one bucket's baseline, returning its policy document.
async fn check_baseline(s3: &aws_sdk_s3::Client, name: &str, env: &str) -> serde_json::Value {
    let versioning = s3
        .get_bucket_versioning()
        .bucket(name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versioning.status().map(|s| s.as_str()),
        Some("Enabled"),
        "{name}"
    );
    let encryption = s3
        .get_bucket_encryption()
        .bucket(name)
        .send()
        .await
        .unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let block = s3
        .get_public_access_block()
        .bucket(name)
        .send()
        .await
        .unwrap();
    let block = block.public_access_block_configuration().unwrap();
    assert_eq!(
        [
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ],
        [Some(true); 4],
        "{name}"
    );
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(name)
        .send()
        .await
        .unwrap();
    // ACLs off, but for the logs bucket of an environment with CloudFront access logs
    // (staging and prod): CloudFront's standard log delivery writes through ACLs.
    let with_cloudfront_logs = env != "dev" && name.contains("-logs-");
    assert_eq!(
        ownership.ownership_controls().unwrap().rules()[0]
            .object_ownership()
            .as_str(),
        if with_cloudfront_logs {
            "BucketOwnerPreferred"
        } else {
            "BucketOwnerEnforced"
        },
        "{name}"
    );
    let tags = s3.get_bucket_tagging().bucket(name).send().await.unwrap();
    let tag = |key: &str| {
        tags.tag_set()
            .iter()
            .find(|t| t.key() == key)
            .map(|t| t.value().to_string())
    };
    assert_eq!(tag("macroctl:env").as_deref(), Some(env), "{name}");
    assert_eq!(tag("macroctl:stack").as_deref(), Some("macro-ai"));
    let policy = policy_of(
        s3.get_bucket_policy()
            .bucket(name)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    );
    let deny = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "DenyInsecureTransport")
        .unwrap_or_else(|| panic!("{name}: no TLS-only statement: {policy}"));
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Condition"]["Bool"]["aws:SecureTransport"], "false");
    policy
}

/// The lifecycle rules of `name`: id → (expiration days, noncurrent days).
async fn lifecycle(s3: &aws_sdk_s3::Client, name: &str) -> Vec<(String, Option<i32>, Option<i32>)> {
    let out = s3
        .get_bucket_lifecycle_configuration()
        .bucket(name)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<_> = out
        .rules()
        .iter()
        .map(|rule| {
            (
                rule.id().unwrap_or_default().to_string(),
                rule.expiration().and_then(|e| e.days()),
                rule.noncurrent_version_expiration()
                    .and_then(|e| e.noncurrent_days()),
            )
        })
        .collect();
    rules.sort();
    rules
}

async fn check_environment(env: &str) {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", env, "--yes"]).assert_success();
    let s3 = emulator.s3().await;
    let prod = env == "prod";

    // The buckets: assets and logs everywhere, backups in prod.
    let listed: Vec<String> = (s3.list_buckets().send().await.unwrap().buckets())
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .filter(|name| name.starts_with(&format!("macro-ai-{env}-")))
        .collect();
    let mut expected = vec![bucket(env, "assets"), bucket(env, "logs")];
    if prod {
        expected.push(bucket(env, "backups"));
    }
    expected.sort();
    let mut listed = listed;
    listed.sort();
    assert_eq!(listed, expected);
    for name in &expected {
        check_baseline(&s3, name, env).await;
    }
    let retention = if prod { 180 } else { 7 };
    let noncurrent = if prod { 30 } else { 7 };
    assert_eq!(
        lifecycle(&s3, &bucket(env, "logs")).await,
        [
            (
                "expire-noncurrent-versions".to_string(),
                None,
                Some(noncurrent)
            ),
            ("expire-objects".to_string(), Some(retention), None),
        ]
    );
    assert_eq!(
        lifecycle(&s3, &bucket(env, "assets")).await,
        [(
            "expire-noncurrent-versions".to_string(),
            None,
            Some(noncurrent)
        )]
    );

    // The logs bucket admits exactly us-east-1's ELB log delivery and this trail.
    let logs = bucket(env, "logs");
    let policy = check_baseline(&s3, &logs, env).await;
    let statements_by_sid = |sid: &str| {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
            .unwrap_or_else(|| panic!("no {sid}: {policy}"))
    };
    let alb = statements_by_sid("AlbAccessLogs");
    assert_eq!(alb["Principal"]["AWS"], "arn:aws:iam::127311923021:root");
    assert_eq!(
        alb["Resource"],
        format!("arn:aws:s3:::{logs}/alb/AWSLogs/{ACCOUNT}/*")
    );
    let trail_arn = format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/macro-ai-{env}-trail");
    let write = statements_by_sid("CloudTrailWrite");
    assert_eq!(
        write["Condition"]["StringEquals"]["aws:SourceArn"],
        trail_arn.as_str()
    );
    assert_eq!(write["Principal"]["Service"], "cloudtrail.amazonaws.com");

    // The trail: multi-region, validated, logging, to the logs bucket.
    let cloudtrail = emulator.cloudtrail().await;
    let trail = cloudtrail
        .get_trail()
        .name(format!("macro-ai-{env}-trail"))
        .send()
        .await
        .unwrap();
    let trail = trail.trail().unwrap();
    assert_eq!(trail.s3_bucket_name(), Some(logs.as_str()));
    assert_eq!(trail.is_multi_region_trail(), Some(true));
    assert_eq!(trail.log_file_validation_enabled(), Some(true));
    let status = cloudtrail
        .get_trail_status()
        .name(format!("macro-ai-{env}-trail"))
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(true));
    if prod {
        assert!(trail
            .cloud_watch_logs_log_group_arn()
            .unwrap()
            .contains(":log-group:/aws/cloudtrail/macro-ai-prod:"));
        let role = trail.cloud_watch_logs_role_arn().unwrap();
        assert!(
            role.ends_with(":role/macro-ai-prod-cloudtrail-logs"),
            "{role}"
        );
        let granted = statements(&emulator.iam().await, "macro-ai-prod-cloudtrail-logs").await;
        for (_, resources) in &granted {
            assert!(!resources.iter().any(|r| r == "*"), "{granted:?}");
        }
    } else {
        assert_eq!(trail.cloud_watch_logs_log_group_arn(), None);
    }

    // The load balancer logs to the logs bucket.
    let elb = emulator.elb().await;
    let lb = elb
        .describe_load_balancers()
        .names(format!("macro-ai-{env}"))
        .send()
        .await
        .unwrap();
    let arn = lb.load_balancers()[0].load_balancer_arn().unwrap();
    let attributes = elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .unwrap();
    let attribute = |key: &str| {
        attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    assert_eq!(attribute("access_logs.s3.enabled").as_deref(), Some("true"));
    assert_eq!(attribute("access_logs.s3.bucket"), Some(logs.clone()));
    assert_eq!(attribute("access_logs.s3.prefix").as_deref(), Some("alb"));

    // The API may use the assets bucket's objects, and nothing else in S3.
    let granted = statements(&emulator.iam().await, &format!("macro-ai-{env}-api-task")).await;
    let s3_grants: Vec<_> = granted
        .iter()
        .filter(|(actions, _)| actions.iter().any(|a| a.starts_with("s3:")))
        .collect();
    assert_eq!(s3_grants.len(), 2, "{granted:?}");
    let assets = bucket(env, "assets");
    for (_, resources) in &s3_grants {
        for resource in resources {
            assert!(
                *resource == format!("arn:aws:s3:::{assets}")
                    || *resource == format!("arn:aws:s3:::{assets}/*"),
                "{resource}"
            );
        }
    }

    // A second up changes nothing.
    emulator.reset_recording();
    ws.run(&["up", "--env", env, "--yes"]).assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
}

#[tokio::test]
async fn dev_has_assets_and_logs_buckets_and_a_trail_that_meet_the_baseline() {
    check_environment("dev").await;
}

#[tokio::test]
async fn prod_adds_a_backups_bucket_and_the_trail_s_cloudwatch_logs() {
    check_environment("prod").await;
}

#[tokio::test]
async fn a_changed_setting_updates_only_the_buckets_and_a_lost_state_is_adopted() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let s3 = emulator.s3().await;

    ws.edit_env("staging", |text| {
        text.replace(
            "noncurrent_version_days = 30",
            "noncurrent_version_days = 14",
        )
    });
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let changed: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|call| call.to_string())
        .collect();
    // One lifecycle PUT to each bucket, nothing else.
    let mut expected: Vec<String> = ["logs", "assets"]
        .iter()
        .map(|role| format!("s3 PUT /{}/?lifecycle", bucket("staging", role)))
        .collect();
    let mut changed = changed;
    changed.sort();
    expected.sort();
    assert_eq!(changed, expected, "only the two buckets' lifecycles change");
    for role in ["assets", "logs"] {
        assert!(lifecycle(&s3, &bucket("staging", role)).await.contains(&(
            "expire-noncurrent-versions".to_string(),
            None,
            Some(14)
        )));
    }

    // State lost: everything is found again by name, nothing is made twice.
    std::fs::remove_file(ws.state_dir().join("staging.json")).unwrap();
    let _ = std::fs::remove_file(ws.state_dir().join("staging.json.backup"));
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let creates: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|call| call.to_string())
        .filter(|call| call.contains("Create"))
        .collect();
    assert!(creates.is_empty(), "{creates:?}");
    let census = support::census::census(&emulator, "macro-ai", "staging").await;
    assert_eq!(census["s3:bucket"].len(), 2, "{census:?}");
    assert_eq!(census["cloudtrail:trail"].len(), 1);
}

#[tokio::test]
async fn a_bucket_tagged_for_another_environment_is_never_adopted_or_changed() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let s3 = emulator.s3().await;
    let name = bucket("dev", "assets");
    s3.create_bucket().bucket(&name).send().await.unwrap();
    let tags = aws_sdk_s3::types::Tagging::builder()
        .set_tag_set(Some(vec![
            aws_sdk_s3::types::Tag::builder()
                .key("macroctl:stack")
                .value("macro-ai")
                .build()
                .unwrap(),
            aws_sdk_s3::types::Tag::builder()
                .key("macroctl:env")
                .value("qa")
                .build()
                .unwrap(),
        ]))
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket(&name)
        .tagging(tags)
        .send()
        .await
        .unwrap();
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    assert_ne!(up.code, 0);
    assert!(up.stderr.contains(&name), "{}", up.stderr);
    assert!(up.stderr.contains("macroctl:env=qa"), "{}", up.stderr);
    // Untouched: no policy, no versioning.
    assert!(s3.get_bucket_policy().bucket(&name).send().await.is_err());
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), None);
}

#[tokio::test]
async fn destroy_refuses_buckets_that_hold_objects_unless_told_to_delete_them() {
    // Realistic: plain moto never finishes deleting an ElastiCache replication group.
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let s3 = emulator.s3().await;
    let assets = bucket("dev", "assets");
    for version in ["one", "two"] {
        s3.put_object()
            .bucket(&assets)
            .key("index.html")
            .body(version.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }

    let refused = ws.run(&["destroy", "--env", "dev", "--yes", "--purge-secrets"]);
    refused.assert_code(1);
    assert!(refused.stderr.contains(&assets), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--delete-bucket-contents"),
        "{}",
        refused.stderr
    );
    // Nothing was deleted.
    assert!(s3.head_bucket().bucket(&assets).send().await.is_ok());
    let vpcs = emulator.ec2().await.describe_vpcs().send().await.unwrap();
    assert!(vpcs.vpcs().iter().any(|v| v
        .tags()
        .iter()
        .any(|t| t.value() == Some("macro-ai-dev-vpc"))));

    ws.run(&[
        "destroy",
        "--env",
        "dev",
        "--yes",
        "--purge-secrets",
        "--delete-bucket-contents",
    ])
    .assert_success();
    let left: Vec<String> = (s3.list_buckets().send().await.unwrap().buckets())
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .filter(|name| name.starts_with("macro-ai-dev-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let trails = emulator
        .cloudtrail()
        .await
        .describe_trails()
        .send()
        .await
        .unwrap();
    assert!(trails.trail_list().is_empty(), "{:?}", trails.trail_list());
}

#[tokio::test]
async fn a_bucket_policy_written_moments_ago_is_waited_for_by_cloudtrail_and_the_load_balancer() {
    let emulator = Emulator::start_realistic(&[]);
    emulator.set_faults(&serde_json::json!({"iam_propagation": {"seconds": 3.0}}));
    let ws = Workspace::new(&emulator);
    let up = ws.run(&["up", "--env", "dev", "--yes"]);
    up.assert_success();
    for call in [
        "cloudtrail:CreateTrail",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
    ] {
        assert!(
            emulator.injected("iam_propagation", call) > 0,
            "{call} was never refused:\n{}",
            up.stderr
        );
    }
    assert!(
        up.stderr
            .contains("waiting for the policy of bucket bucket-logs to propagate"),
        "{}",
        up.stderr
    );
    // And it got there: the trail logs to the bucket, the load balancer too.
    let trail = emulator
        .cloudtrail()
        .await
        .get_trail()
        .name("macro-ai-dev-trail")
        .send()
        .await
        .unwrap();
    assert_eq!(
        trail.trail().unwrap().s3_bucket_name(),
        Some(bucket("dev", "logs").as_str())
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
}
