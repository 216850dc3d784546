//! CloudFront in front of staging, end to end on the realistic emulator, checked with the SDK
//! (never through macroctl): the distribution with its two origins and three kinds of
//! behaviour, the Origin Access Control, logging, the assets bucket admitting only this
//! distribution, the load balancer admitting only CloudFront's prefix list; the wait for
//! `Deployed`; a second `up` that changes nothing; a price class changed behind macroctl's
//! back shown as drift and put back; dev without any of it; and `destroy` disabling the
//! distribution before deleting it.
mod support;

use support::{Emulator, RecordedCall, Workspace};

const ACCOUNT: &str = "123456789012";
const ASSETS: &str = "macro-ai-staging-assets-123456789012";
const LOGS: &str = "macro-ai-staging-logs-123456789012";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn cloudfront(emulator: &Emulator) -> aws_sdk_cloudfront::Client {
    let config = aws_sdk_cloudfront::Config::builder()
        .behavior_version(aws_sdk_cloudfront::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudfront::config::Region::new("us-east-1"))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(aws_sdk_cloudfront::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_cloudfront::Client::from_conf(config)
}

/// The distributions whose comment is `comment`: (id, arn).
async fn distributions(cf: &aws_sdk_cloudfront::Client, comment: &str) -> Vec<(String, String)> {
    let out = cf.list_distributions().send().await.unwrap();
    (out.distribution_list()
        .map(|l| l.items())
        .unwrap_or_default())
    .iter()
    .filter(|d| d.comment() == comment)
    .map(|d| (d.id().to_string(), d.arn().to_string()))
    .collect()
}

fn methods(allowed: Option<&aws_sdk_cloudfront::types::AllowedMethods>) -> Vec<String> {
    let mut names: Vec<String> = (allowed.map(|a| a.items()).unwrap_or_default())
        .iter()
        .map(|m| m.as_str().to_string())
        .collect();
    names.sort();
    names
}

/// The ingress of the security group named `name`: (port, peers as strings).
async fn ingress(ec2: &aws_sdk_ec2::Client, name: &str) -> Vec<(i32, Vec<String>)> {
    let out = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values(name)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let group = &out.security_groups()[0];
    let mut rules: Vec<(i32, Vec<String>)> = (group.ip_permissions().iter())
        .map(|permission| {
            let mut peers: Vec<String> = (permission.ip_ranges().iter())
                .filter_map(|r| r.cidr_ip().map(str::to_string))
                .chain(
                    (permission.prefix_list_ids().iter())
                        .filter_map(|p| p.prefix_list_id().map(str::to_string)),
                )
                .chain(
                    (permission.user_id_group_pairs().iter())
                        .filter_map(|p| p.group_id().map(str::to_string)),
                )
                .collect();
            peers.sort();
            (permission.from_port().unwrap_or(-1), peers)
        })
        .collect();
    rules.sort();
    rules
}

fn cloudfront_calls(emulator: &Emulator) -> Vec<String> {
    emulator
        .recorded_calls()
        .into_iter()
        .filter(|call| call.service == "cloudfront")
        .map(|RecordedCall { action, .. }| action)
        .collect()
}

/// What the distribution, its Origin Access Control, the assets and logs buckets and the
/// load balancer's group look like after staging's `up`.
async fn check_staging(emulator: &Emulator, id: &str, arn: &str) {
    let cf = cloudfront(emulator);
    let config = cf.get_distribution_config().id(id).send().await.unwrap();
    let config = config.distribution_config().unwrap();
    assert!(config.enabled());
    assert_eq!(config.price_class().unwrap().as_str(), "PriceClass_100");
    assert_eq!(config.http_version().unwrap().as_str(), "http2and3");
    assert_eq!(config.is_ipv6_enabled(), Some(true));
    assert_eq!(
        config
            .viewer_certificate()
            .unwrap()
            .cloud_front_default_certificate(),
        Some(true)
    );
    assert_eq!(config.web_acl_id().unwrap_or_default(), "", "[waf] is off");
    let logging = config.logging().unwrap();
    assert!(logging.enabled());
    assert_eq!(logging.bucket(), format!("{LOGS}.s3.amazonaws.com"));
    assert_eq!(logging.prefix(), "cloudfront/");

    // Two origins: the load balancer over HTTP (no domain of its own), the bucket through OAC.
    let elb = emulator.elb().await;
    let balancers = elb
        .describe_load_balancers()
        .names("macro-ai-staging")
        .send()
        .await
        .unwrap();
    let alb_dns = balancers.load_balancers()[0]
        .dns_name()
        .unwrap()
        .to_string();
    let origins = config.origins().unwrap().items();
    assert_eq!(origins.len(), 2);
    let app = origins.iter().find(|o| o.id() == "app").unwrap();
    assert_eq!(app.domain_name(), alb_dns);
    let custom = app.custom_origin_config().unwrap();
    assert_eq!(custom.origin_protocol_policy().as_str(), "http-only");
    let assets = origins.iter().find(|o| o.id() == "assets").unwrap();
    assert_eq!(
        assets.domain_name(),
        format!("{ASSETS}.s3.us-east-1.amazonaws.com")
    );
    assert_eq!(
        assets.s3_origin_config().unwrap().origin_access_identity(),
        ""
    );
    let oac_id = assets.origin_access_control_id().unwrap();
    let oac = cf
        .get_origin_access_control()
        .id(oac_id)
        .send()
        .await
        .unwrap();
    let oac = oac
        .origin_access_control()
        .unwrap()
        .origin_access_control_config()
        .unwrap();
    assert_eq!(oac.name(), "macro-ai-staging-assets");
    assert_eq!(oac.signing_behavior().as_str(), "always");
    assert_eq!(oac.signing_protocol().as_str(), "sigv4");
    assert_eq!(oac.origin_access_control_origin_type().as_str(), "s3");

    // The UI by default, the API never cached, the assets cached; all redirected to HTTPS.
    let default = config.default_cache_behavior().unwrap();
    assert_eq!(default.target_origin_id(), "app");
    assert_eq!(
        default.viewer_protocol_policy().as_str(),
        "redirect-to-https"
    );
    let behaviors = config.cache_behaviors().unwrap().items();
    let paths: Vec<&str> = behaviors.iter().map(|b| b.path_pattern()).collect();
    assert_eq!(paths, ["/api/*", "/assets/*"]);
    let api = &behaviors[0];
    assert_eq!(api.target_origin_id(), "app");
    assert_eq!(api.cache_policy_id(), Some(CACHING_DISABLED));
    assert_eq!(api.origin_request_policy_id(), Some(ALL_VIEWER_EXCEPT_HOST));
    assert_eq!(api.viewer_protocol_policy().as_str(), "redirect-to-https");
    assert_eq!(
        methods(api.allowed_methods()),
        ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    );
    let static_files = &behaviors[1];
    assert_eq!(static_files.target_origin_id(), "assets");
    assert_eq!(static_files.cache_policy_id(), Some(CACHING_OPTIMIZED));
    assert_eq!(methods(static_files.allowed_methods()), ["GET", "HEAD"]);
    assert_eq!(
        static_files.viewer_protocol_policy().as_str(),
        "redirect-to-https"
    );

    let tags = cf
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .unwrap();
    let tag = |key: &str| {
        (tags.tags().unwrap().items().iter())
            .find(|t| t.key() == key)
            .and_then(|t| t.value().map(str::to_string))
    };
    assert_eq!(tag("macroctl:env").as_deref(), Some("staging"));
    assert_eq!(
        tag("macroctl:id").as_deref(),
        Some("cloudfront-distribution")
    );

    // The assets bucket: CloudFront may read objects for this distribution, and only it.
    let s3 = emulator.s3().await;
    let policy = s3.get_bucket_policy().bucket(ASSETS).send().await.unwrap();
    let policy = json(policy.policy().unwrap());
    let statements = policy["Statement"].as_array().unwrap();
    let admitting: Vec<&serde_json::Value> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(admitting.len(), 1, "{policy}");
    let read = admitting[0];
    assert_eq!(read["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert_eq!(read["Action"], "s3:GetObject");
    assert_eq!(read["Resource"], format!("arn:aws:s3:::{ASSETS}/*"));
    assert_eq!(read["Condition"]["StringEquals"]["AWS:SourceArn"], arn);
    assert!(arn.starts_with(&format!("arn:aws:cloudfront::{ACCOUNT}:distribution/")));
    // The logs bucket keeps ACLs on for CloudFront's log delivery.
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(LOGS)
        .send()
        .await
        .unwrap();
    let rule = &ownership.ownership_controls().unwrap().rules()[0];
    assert_eq!(rule.object_ownership().as_str(), "BucketOwnerPreferred");

    // The load balancer admits CloudFront's origin-facing addresses only, on HTTP.
    let ec2 = emulator.ec2().await;
    let lists = ec2
        .describe_managed_prefix_lists()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("prefix-list-name")
                .values("com.amazonaws.global.cloudfront.origin-facing")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let list = lists.prefix_lists()[0]
        .prefix_list_id()
        .unwrap()
        .to_string();
    assert_eq!(
        ingress(&ec2, "macro-ai-staging-sg-alb").await,
        [(80, vec![list])]
    );
}

#[tokio::test]
async fn staging_is_served_through_cloudfront_converges_and_is_destroyed_with_it() {
    let emulator =
        Emulator::start_realistic(&[("MACROCTL_EMULATOR_CLOUDFRONT_DEPLOY_SECONDS", "2")]);
    let ws = Workspace::new(&emulator);
    // The web ACL is another layer's; without it the distribution has none.
    ws.edit_env("staging", |text| {
        text.replace("[waf]\nenabled = true", "[waf]\nenabled = false")
    });
    let cf = cloudfront(&emulator);

    let up = ws.run(&["up", "--env", "staging", "--yes"]);
    up.assert_success();
    assert!(up.stdout.contains("\nedge:\n"), "{}", up.stdout);
    assert!(
        up.stdout.contains("+ create  cloudfront-distribution"),
        "{}",
        up.stdout
    );
    assert!(
        up.stderr.contains(
            "cloudfront-distribution: waiting: CloudFront is deploying the distribution (InProgress"
        ),
        "no wait for Deployed shown: {}",
        up.stderr
    );
    let found = distributions(&cf, "macro-ai-staging").await;
    assert_eq!(found.len(), 1, "{found:?}");
    let (id, arn) = found[0].clone();
    // Ready means deployed: the assets bucket, whose policy names it, came after.
    let now = cf.get_distribution().id(&id).send().await.unwrap();
    assert_eq!(now.distribution().unwrap().status(), "Deployed");
    // The app is where CloudFront serves it (the load balancer admits only CloudFront).
    let domain = now.distribution().unwrap().domain_name();
    assert!(
        up.stdout
            .contains(&format!("Application: https://{domain}\n")),
        "{}",
        up.stdout
    );
    check_staging(&emulator, &id, &arn).await;

    // A second up changes nothing.
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "a converged up changed {mutating:?}");

    // Dev has no CloudFront: no distribution, and its load balancer keeps the CIDRs.
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(distributions(&cf, "macro-ai-dev").await.is_empty());
    let ec2 = emulator.ec2().await;
    assert_eq!(
        ingress(&ec2, "macro-ai-dev-sg-alb").await,
        [
            (80, vec!["0.0.0.0/0".to_string()]),
            (443, vec!["0.0.0.0/0".to_string()])
        ]
    );

    // Drift: the price class changed with the SDK shows in the plan, and up puts it back.
    let current = cf.get_distribution_config().id(&id).send().await.unwrap();
    let mut changed = current.distribution_config().unwrap().clone();
    changed.price_class = Some(aws_sdk_cloudfront::types::PriceClass::PriceClassAll);
    cf.update_distribution()
        .id(&id)
        .if_match(current.e_tag().unwrap())
        .distribution_config(changed)
        .send()
        .await
        .unwrap();
    let plan = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    plan.assert_success();
    let document = json(&plan.stdout);
    let planned: Vec<&serde_json::Value> = (document["resources"].as_array().unwrap().iter())
        .filter(|r| r["action"] != "no-op")
        .collect();
    assert_eq!(planned.len(), 1, "{}", plan.stdout);
    assert_eq!(planned[0]["id"], "cloudfront-distribution");
    let changes = planned[0]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{}", plan.stdout);
    assert_eq!(changes[0]["field"], "price_class");
    assert_eq!(changes[0]["old"], "PriceClass_All");
    assert_eq!(changes[0]["new"], "PriceClass_100");
    assert_eq!(changes[0]["drift"], true);
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let restored = cf.get_distribution_config().id(&id).send().await.unwrap();
    let restored = restored.distribution_config().unwrap();
    assert_eq!(restored.price_class().unwrap().as_str(), "PriceClass_100");
    let writes: Vec<String> = (emulator.mutating_calls().into_iter())
        .map(|call| format!("{}:{}", call.service, call.action))
        .collect();
    assert_eq!(
        writes,
        [format!(
            "cloudfront:PUT /2020-05-31/distribution/{id}/config"
        )]
    );

    // Destroy: disabled first, deleted once that is deployed; its OAC after it.
    emulator.reset_recording();
    ws.run(&[
        "destroy",
        "--env",
        "staging",
        "--yes",
        "--purge-secrets",
        "--skip-final-snapshot",
        "--delete-bucket-contents",
        "--disable-deletion-protection",
    ])
    .assert_success();
    let calls = cloudfront_calls(&emulator);
    let disable = calls
        .iter()
        .position(|c| *c == format!("PUT /2020-05-31/distribution/{id}/config"))
        .unwrap_or_else(|| panic!("never disabled: {calls:?}"));
    let delete = calls
        .iter()
        .position(|c| *c == format!("DELETE /2020-05-31/distribution/{id}"))
        .unwrap_or_else(|| panic!("never deleted: {calls:?}"));
    assert!(disable < delete, "{calls:?}");
    assert!(distributions(&cf, "macro-ai-staging").await.is_empty());
    let controls = cf.list_origin_access_controls().send().await.unwrap();
    let left: Vec<&str> = (controls.origin_access_control_list().map(|l| l.items()))
        .unwrap_or_default()
        .iter()
        .map(|c| c.name())
        .collect();
    assert!(!left.contains(&"macro-ai-staging-assets"), "{left:?}");
}
