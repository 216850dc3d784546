//! The WAFv2 firewall end to end, checked with the emulator's own WAFv2 and ELBv2 clients:
//! staging in eu-west-1 with `[waf] attach = "both"` gets a CLOUDFRONT-scope web ACL in
//! us-east-1 and a REGIONAL one in eu-west-1 associated with the load balancer, each with the
//! three AWS managed rule groups and the rate rule in count mode; a second `up` and an `up`
//! after a lost state change nothing; `mode = "block"` and another rate limit update both
//! ACLs in place (same ids); dev (WAF off) gets none; `destroy` disassociates, then deletes;
//! a web ACL of that name made by hand is refused, not adopted. Every mutating WAF call loses
//! its answer once along the way, and nothing is made twice; WAF's refusal to associate a
//! load balancer it does not know yet (`WAFUnavailableEntityException`) is waited out.
//!
//! The realistic emulator refuses CLOUDFRONT-scope calls outside us-east-1, web ACL ARNs of
//! another region and `DeleteWebACL` while a load balancer is associated
//! (`tests/emulator/wafv2.py`), so these runs succeeding shows the scopes and the order too.
mod support;

use aws_sdk_wafv2::types::{Rule, Scope, WebAcl};
use support::{Emulator, RunOutput, Workspace};

const REGION: &str = "eu-west-1";
const EDGE_ACL: &str = "macro-ai-staging-edge";
const ALB_ACL: &str = "macro-ai-staging-alb";
const MANAGED: [&str; 3] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
];

/// A WAFv2 client of the emulator in `region`.
fn wafv2_in(emulator: &Emulator, region: &str) -> aws_sdk_wafv2::Client {
    crate::sdk_client!(aws_sdk_wafv2, emulator, region)
}

/// The ARN of staging's load balancer in eu-west-1.
async fn load_balancer_arn(emulator: &Emulator) -> String {
    let config = aws_sdk_elasticloadbalancingv2::Config::builder()
        .behavior_version(aws_sdk_elasticloadbalancingv2::config::BehaviorVersion::latest())
        .region(aws_sdk_elasticloadbalancingv2::config::Region::new(REGION))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(aws_sdk_elasticloadbalancingv2::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    let elb = aws_sdk_elasticloadbalancingv2::Client::from_conf(config);
    let found = elb
        .describe_load_balancers()
        .names("macro-ai-staging")
        .send()
        .await
        .unwrap();
    found.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string()
}

/// The names of the web ACLs of `scope` the client's region has.
async fn acl_names(waf: &aws_sdk_wafv2::Client, scope: Scope) -> Vec<String> {
    let listed = waf
        .list_web_acls()
        .scope(scope)
        .limit(100)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = listed
        .web_acls()
        .iter()
        .filter_map(|acl| acl.name().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The web ACL `name` of `scope`, as GetWebACL answers, with its tags.
async fn acl(
    waf: &aws_sdk_wafv2::Client,
    scope: Scope,
    name: &str,
) -> (WebAcl, Vec<(String, String)>) {
    let listed = waf
        .list_web_acls()
        .scope(scope.clone())
        .limit(100)
        .send()
        .await
        .unwrap();
    let summary = listed
        .web_acls()
        .iter()
        .find(|acl| acl.name() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in {:?}", listed.web_acls()));
    let got = waf
        .get_web_acl()
        .name(name)
        .scope(scope)
        .id(summary.id().unwrap())
        .send()
        .await
        .unwrap();
    let acl = got.web_acl().unwrap().clone();
    let tags = waf
        .list_tags_for_resource()
        .resource_arn(acl.arn())
        .send()
        .await
        .unwrap();
    let tags = tags
        .tag_info_for_resource()
        .unwrap()
        .tag_list()
        .iter()
        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
        .collect();
    (acl, tags)
}

fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value.as_str())
}

/// Checks every rule of `acl` and its settings for `block` mode or count mode and the
/// rate limit `limit`.
fn check_rules(acl: &WebAcl, block: bool, limit: i64) {
    let name = acl.name();
    assert!(acl.default_action().unwrap().allow().is_some(), "{acl:?}");
    let visibility = acl.visibility_config().unwrap();
    assert_eq!(visibility.metric_name(), name);
    assert!(visibility.cloud_watch_metrics_enabled() && visibility.sampled_requests_enabled());

    let mut rules: Vec<&Rule> = acl.rules().iter().collect();
    rules.sort_by_key(|rule| rule.priority());
    let names: Vec<&str> = rules.iter().map(|rule| rule.name()).collect();
    assert_eq!(
        names,
        [
            "AWS-AWSManagedRulesCommonRuleSet",
            "AWS-AWSManagedRulesKnownBadInputsRuleSet",
            "AWS-AWSManagedRulesAmazonIpReputationList",
            "RateLimitPerIP"
        ]
    );
    let priorities: Vec<i32> = rules.iter().map(|rule| rule.priority()).collect();
    assert_eq!(priorities, [0, 1, 2, 3]);
    for rule in &rules {
        let visibility = rule.visibility_config().unwrap();
        assert_eq!(
            visibility.metric_name(),
            format!("{name}-{}", rule.name()),
            "{rule:?}"
        );
        assert!(visibility.cloud_watch_metrics_enabled() && visibility.sampled_requests_enabled());
    }
    for (rule, group) in rules.iter().zip(MANAGED) {
        let statement = rule.statement().unwrap().managed_rule_group_statement();
        let statement = statement.unwrap_or_else(|| panic!("{rule:?}"));
        assert_eq!((statement.vendor_name(), statement.name()), ("AWS", group));
        assert!(rule.action().is_none(), "{rule:?}");
        let overridden = rule.override_action().unwrap();
        if block {
            // The rule groups act as AWS wrote them.
            assert!(
                overridden.none().is_some() && overridden.count().is_none(),
                "{rule:?}"
            );
        } else {
            assert!(
                overridden.count().is_some() && overridden.none().is_none(),
                "{rule:?}"
            );
        }
    }
    let rate_rule = rules[3];
    let rate = rate_rule
        .statement()
        .unwrap()
        .rate_based_statement()
        .unwrap();
    assert_eq!(rate.limit(), limit);
    assert_eq!(rate.evaluation_window_sec(), 300);
    assert_eq!(rate.aggregate_key_type().as_str(), "IP");
    assert!(rate_rule.override_action().is_none());
    let action = rate_rule.action().unwrap();
    assert_eq!(action.block().is_some(), block, "{rate_rule:?}");
    assert_eq!(action.count().is_some(), !block, "{rate_rule:?}");
}

/// The WAFv2 calls that changed something, sorted.
fn waf_writes(emulator: &Emulator) -> Vec<String> {
    let mut actions: Vec<String> = (emulator.mutating_calls().into_iter())
        .filter(|call| call.service == "wafv2")
        .map(|call| call.action)
        .collect();
    actions.sort();
    actions
}

fn no_writes(emulator: &Emulator, what: &str) {
    let writes = emulator.mutating_calls();
    assert!(writes.is_empty(), "{what} changed something: {writes:?}");
}

fn destroy(ws: &Workspace, env: &str) -> RunOutput {
    ws.run(&[
        "destroy",
        "--env",
        env,
        "--yes",
        "--disable-deletion-protection",
        "--skip-final-snapshot",
        "--purge-secrets",
        "--delete-images",
        "--delete-bucket-contents",
    ])
}

#[tokio::test]
async fn web_acls_are_built_switched_to_blocking_in_place_and_destroyed() {
    // WAF refuses to associate a load balancer or web ACL it does not know yet.
    let emulator =
        Emulator::start_realistic(&[("MACROCTL_EMULATOR_WAF_UNAVAILABLE_SECONDS", "1.5")]);
    let ws = Workspace::new(&emulator);
    ws.edit_env("staging", |text| {
        text.replacen(
            "region = \"us-east-1\"",
            &format!("region = \"{REGION}\""),
            1,
        )
        .replacen(
            "availability_zones = [\"us-east-1a\", \"us-east-1b\"]",
            "availability_zones = [\"eu-west-1a\", \"eu-west-1b\"]",
            1,
        )
        .replacen("attach = \"cloudfront\"", "attach = \"both\"", 1)
    });
    let edge = emulator.wafv2().await; // us-east-1: CLOUDFRONT scope
    let regional = wafv2_in(&emulator, REGION);

    // The first answers to CreateWebACL and AssociateWebACL are lost: the engine finds what
    // they made (a repeated create would answer WAFDuplicateItemException) instead of making
    // a second one.
    emulator.set_faults(&serde_json::json!({"rules": [
        {"fault": "lose_response", "service": "wafv2", "action": "CreateWebACL", "count": 1},
        {"fault": "lose_response", "service": "wafv2", "action": "AssociateWebACL", "count": 1},
        {"fault": "throttle", "service": "wafv2", "action": "GetWebACL", "count": 1}
    ]}));
    let first = ws.run(&["up", "--env", "staging", "--yes"]);
    first.assert_success();
    // Waited out as a resource created moments ago, not reported as a failure.
    assert!(
        first.stderr.contains("WAFUnavailableEntityException"),
        "{}",
        first.stderr
    );
    for call in ["CreateWebACL", "AssociateWebACL"] {
        assert_eq!(
            emulator.injected("lose_response", &format!("wafv2:{call}")),
            1
        );
    }
    emulator.clear_faults();
    // dev turns WAF off: an up of it adds no web ACL anywhere.
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();

    // The CLOUDFRONT-scope ACL is in us-east-1 (its ARN says global); the REGIONAL one in the
    // environment's region, and nowhere else.
    assert_eq!(acl_names(&edge, Scope::Cloudfront).await, [EDGE_ACL]);
    assert_eq!(acl_names(&regional, Scope::Regional).await, [ALB_ACL]);
    assert!(acl_names(&edge, Scope::Regional).await.is_empty());
    let (edge_acl, edge_tags) = acl(&edge, Scope::Cloudfront, EDGE_ACL).await;
    let (alb_acl, alb_tags) = acl(&regional, Scope::Regional, ALB_ACL).await;
    assert!(
        edge_acl.arn().starts_with("arn:aws:wafv2:us-east-1:")
            && edge_acl.arn().contains(":global/webacl/"),
        "{}",
        edge_acl.arn()
    );
    assert!(
        alb_acl.arn().starts_with("arn:aws:wafv2:eu-west-1:")
            && alb_acl.arn().contains(":regional/webacl/"),
        "{}",
        alb_acl.arn()
    );
    for (acl, tags, id) in [
        (&edge_acl, &edge_tags, "waf-edge"),
        (&alb_acl, &alb_tags, "waf-alb"),
    ] {
        check_rules(acl, false, 2000);
        assert_eq!(tag(tags, "macroctl:env"), Some("staging"), "{tags:?}");
        assert_eq!(tag(tags, "macroctl:stack"), Some("macro-ai"), "{tags:?}");
        assert_eq!(tag(tags, "macroctl:id"), Some(id), "{tags:?}");
    }
    // The load balancer has the REGIONAL ACL.
    let balancer = load_balancer_arn(&emulator).await;
    let associated = regional
        .get_web_acl_for_resource()
        .resource_arn(&balancer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        associated.web_acl().map(|acl| acl.arn()),
        Some(alb_acl.arn())
    );

    // A second up, and one after the state file was lost, change nothing: the ACLs are found
    // by name, the association through the load balancer.
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    no_writes(&emulator, "a second up");
    std::fs::remove_file(ws.state_dir().join("staging.json")).unwrap();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    no_writes(&emulator, "an up after the state was lost");

    // Blocking, with a lower limit: the plan names what changes.
    ws.edit_env("staging", |text| {
        text.replacen("mode = \"count\"", "mode = \"block\"", 1)
            .replacen("rate_limit = 2000", "rate_limit = 500", 1)
    });
    let plan = ws.run(&["plan", "--env", "staging"]);
    plan.assert_success();
    for expected in [
        "rules[AWS-AWSManagedRulesCommonRuleSet].action: override count → override none",
        "rules[RateLimitPerIP].action: count → block",
        "at most 2000 requests per 300 s per IP → at most 500 requests per 300 s per IP",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "{expected}:\n{}",
            plan.stdout
        );
    }
    // One UpdateWebACL per ACL, even when the answer to one is lost: the engine reads the
    // ACL again (a new lock token, nothing left to change) instead of repeating the call.
    emulator.set_faults(&serde_json::json!({"rules": [
        {"fault": "lose_response", "service": "wafv2", "action": "UpdateWebACL", "count": 1}
    ]}));
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert_eq!(emulator.injected("lose_response", "wafv2:UpdateWebACL"), 1);
    emulator.clear_faults();
    assert_eq!(waf_writes(&emulator), ["UpdateWebACL", "UpdateWebACL"]);
    let (edge_blocking, _) = acl(&edge, Scope::Cloudfront, EDGE_ACL).await;
    let (alb_blocking, _) = acl(&regional, Scope::Regional, ALB_ACL).await;
    assert_eq!(edge_blocking.id(), edge_acl.id());
    assert_eq!(alb_blocking.id(), alb_acl.id());
    check_rules(&edge_blocking, true, 500);
    check_rules(&alb_blocking, true, 500);
    let plan = ws.run(&["plan", "--env", "staging", "--detailed-exitcode"]);
    plan.assert_success();

    // destroy: the association goes before the REGIONAL ACL (the emulator refuses to delete
    // an ACL still associated), and both ACLs go.
    emulator.reset_recording();
    emulator.set_faults(&serde_json::json!({"rules": [
        {"fault": "lose_response", "service": "wafv2", "action": "DisassociateWebACL", "count": 1},
        {"fault": "lose_response", "service": "wafv2", "action": "DeleteWebACL", "count": 1}
    ]}));
    destroy(&ws, "staging").assert_success();
    for call in ["DisassociateWebACL", "DeleteWebACL"] {
        assert_eq!(
            emulator.injected("lose_response", &format!("wafv2:{call}")),
            1
        );
    }
    emulator.clear_faults();
    let writes: Vec<String> = (emulator.mutating_calls().into_iter())
        .filter(|call| call.service == "wafv2")
        .map(|call| call.action)
        .collect();
    let disassociated = writes.iter().position(|a| a == "DisassociateWebACL");
    assert!(disassociated.is_some(), "{writes:?}");
    assert_eq!(
        writes.iter().filter(|a| *a == "DeleteWebACL").count(),
        2,
        "{writes:?}"
    );
    assert!(acl_names(&edge, Scope::Cloudfront).await.is_empty());
    assert!(acl_names(&regional, Scope::Regional).await.is_empty());

    // A web ACL of staging's name made by hand (no macroctl tags) is refused, and left alone.
    let visibility = aws_sdk_wafv2::types::VisibilityConfig::builder()
        .metric_name("by-hand")
        .cloud_watch_metrics_enabled(false)
        .sampled_requests_enabled(false)
        .build()
        .unwrap();
    regional
        .create_web_acl()
        .name(ALB_ACL)
        .scope(Scope::Regional)
        .default_action(
            aws_sdk_wafv2::types::DefaultAction::builder()
                .block(aws_sdk_wafv2::types::BlockAction::builder().build())
                .build(),
        )
        .visibility_config(visibility)
        .send()
        .await
        .unwrap();
    emulator.reset_recording();
    let refused = ws.run(&["plan", "--env", "staging"]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("waf-alb") && refused.stderr.contains("not made by macroctl"),
        "{}",
        refused.stderr
    );
    no_writes(&emulator, "a refused plan");
    let (by_hand, _) = acl(&regional, Scope::Regional, ALB_ACL).await;
    assert!(by_hand.rules().is_empty());
    assert!(by_hand.default_action().unwrap().block().is_some());
}
