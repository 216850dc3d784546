//! The whole edge at once: staging in eu-west-1 with a domain, CloudFront and WAF on the
//! distribution — the configuration the README walks through. The pieces are tested alone in
//! `dns.rs`, `cdn.rs` and `waf.rs`; this checks that they meet, in two regions, through
//! independent SDK calls:
//!
//! * the distribution's certificate is requested in us-east-1 (CloudFront's region) and the
//!   load balancer's in eu-west-1, covering `origin.<domain>`, both issued through the
//!   validation records macroctl wrote into the zone;
//! * the distribution answers to the domain with its certificate (SNI, `TLSv1.2_2021`),
//!   reaches the load balancer over HTTPS by `origin.<domain>`, and carries the
//!   CLOUDFRONT-scope web ACL;
//! * the domain's A and AAAA aliases point at the distribution, `origin.<domain>` at the load
//!   balancer, whose security group admits only CloudFront's prefix list on 443;
//! * the first answers to the creates (certificate, zone, record, Origin Access Control,
//!   distribution) are lost, and nothing is made twice;
//! * `status` and `up` name `https://<domain>`; a second `up` changes nothing; `destroy`
//!   removes the distribution, both certificates, the web ACL and the zone.
//!
//! Then two edges of the edge: a `dns.zone` that does not exist is refused before anything
//! is made, naming the key and the fix; and Ctrl-C while CloudFront deploys ends the wait at
//! once (the distribution still `InProgress`), and the next `up` waits for the same one.
mod support;

use support::{Emulator, Workspace};

const REGION: &str = "eu-west-1";
const DOMAIN: &str = "app.example.com";

/// The ARNs of the certificates for `DOMAIN`'s names in `region`, by their macroctl id.
async fn certificates(emulator: &Emulator, region: &str) -> Vec<(String, String, Vec<String>)> {
    let acm = crate::sdk_client!(aws_sdk_acm, emulator, region);
    let listed = acm.list_certificates().send().await.unwrap();
    let mut found = Vec::new();
    for summary in listed.certificate_summary_list() {
        let arn = summary.certificate_arn().unwrap().to_string();
        let tags = acm
            .list_tags_for_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .unwrap();
        let id = (tags.tags().iter())
            .find(|t| t.key() == "macroctl:id")
            .and_then(|t| t.value())
            .unwrap_or_default()
            .to_string();
        let described = acm
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .unwrap();
        let certificate = described.certificate().unwrap();
        assert_eq!(
            certificate.status().unwrap().as_str(),
            "ISSUED",
            "{id} in {region}"
        );
        let mut names = certificate.subject_alternative_names().to_vec();
        names.sort();
        found.push((id, arn, names));
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_domain_behind_cloudfront_and_waf_in_two_regions() {
    let emulator = Emulator::start_realistic(&[]);
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
        .replacen("[dns]\n", &format!("[dns]\ndomain = \"{DOMAIN}\"\n"), 1)
        .replacen("create_zone = false", "create_zone = true", 1)
    });
    // AWS performs these creates but their answers are lost; a read is throttled. Nothing may
    // be made twice (each assertion below counts what exists).
    let lose = |service: &str, action: &str| serde_json::json!({"fault": "lose_response", "service": service, "action": action, "count": 1});
    emulator.set_faults(&serde_json::json!({"rules": [
        lose("acm", "RequestCertificate"),
        lose("route53", "CreateHostedZone"),
        lose("route53", "ChangeResourceRecordSets"),
        lose("cloudfront", "CreateOriginAccessControl"),
        lose("cloudfront", "CreateDistributionWithTags"),
        {"fault": "throttle", "service": "route53", "action": "ListResourceRecordSets", "count": 1},
    ]}));
    let up = ws.run(&["up", "--env", "staging", "--yes"]);
    up.assert_success();
    emulator.set_faults(&serde_json::json!({"rules": []}));
    for action in [
        "RequestCertificate",
        "CreateHostedZone",
        "ChangeResourceRecordSets",
        "CreateOriginAccessControl",
        "CreateDistributionWithTags",
    ] {
        assert!(
            up.stderr
                .lines()
                .any(|line| line.contains(action) && line.contains("outcome is unknown")),
            "{action}'s lost answer was not met: {}",
            up.stderr
        );
    }
    assert!(
        up.stdout.contains(&format!("https://{DOMAIN}")),
        "{}",
        up.stdout
    );

    // Certificates: CloudFront's in us-east-1 for the domain; the load balancer's in the
    // environment's region, also for the name CloudFront reaches it by.
    let edge = certificates(&emulator, "us-east-1").await;
    let regional = certificates(&emulator, REGION).await;
    assert_eq!(edge.len(), 1, "{edge:?}");
    assert_eq!(edge[0].0, "certificate-edge");
    assert!(edge[0].2.contains(&DOMAIN.to_string()), "{edge:?}");
    assert_eq!(regional.len(), 1, "{regional:?}");
    assert_eq!(regional[0].0, "certificate-alb");
    assert!(
        regional[0].2.contains(&format!("origin.{DOMAIN}")),
        "{regional:?}"
    );

    // The distribution: the domain, its certificate, TLS 1.2+, HTTPS to origin.<domain>, the
    // web ACL.
    let cloudfront = crate::sdk_client!(aws_sdk_cloudfront, emulator, "us-east-1");
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let summaries = listed.distribution_list().unwrap().items();
    assert_eq!(summaries.len(), 1);
    let id = summaries[0].id().to_string();
    let controls = cloudfront
        .list_origin_access_controls()
        .send()
        .await
        .unwrap();
    assert_eq!(
        controls.origin_access_control_list().unwrap().items().len(),
        1,
        "{controls:?}"
    );
    let distribution_domain = summaries[0].domain_name().to_string();
    let config = cloudfront
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap();
    let config = config.distribution_config().unwrap();
    let aliases = config.aliases().unwrap().items();
    assert_eq!(aliases, [DOMAIN.to_string()]);
    let viewer = config.viewer_certificate().unwrap();
    assert_eq!(viewer.acm_certificate_arn(), Some(edge[0].1.as_str()));
    assert_eq!(viewer.ssl_support_method().unwrap().as_str(), "sni-only");
    assert_eq!(
        viewer.minimum_protocol_version().unwrap().as_str(),
        "TLSv1.2_2021"
    );
    let origins = config.origins().unwrap().items();
    let alb_origin = origins
        .iter()
        .find(|origin| origin.custom_origin_config().is_some())
        .expect("the load balancer's origin");
    assert_eq!(alb_origin.domain_name(), format!("origin.{DOMAIN}"));
    assert_eq!(
        alb_origin
            .custom_origin_config()
            .unwrap()
            .origin_protocol_policy()
            .as_str(),
        "https-only"
    );
    let wafv2 = crate::sdk_client!(aws_sdk_wafv2, emulator, "us-east-1");
    let acls = wafv2
        .list_web_acls()
        .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
        .send()
        .await
        .unwrap();
    let acl = (acls.web_acls().iter())
        .find(|acl| acl.name() == Some("macro-ai-staging-edge"))
        .expect("the CLOUDFRONT-scope web ACL");
    assert_eq!(config.web_acl_id(), acl.arn());

    // DNS: the domain → the distribution (IPv4 and IPv6), origin.<domain> → the load balancer.
    let route53 = crate::sdk_client!(aws_sdk_route53, emulator, "us-east-1");
    let zones = route53
        .list_hosted_zones_by_name()
        .dns_name("example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(zones.hosted_zones().len(), 1, "{zones:?}");
    let zone = zones.hosted_zones()[0]
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string();
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let alias = |name: &str, kind: &str| {
        (sets.resource_record_sets().iter())
            .find(|set| set.name().trim_end_matches('.') == name && set.r#type().as_str() == kind)
            .and_then(|set| set.alias_target())
            .map(|target| target.dns_name().trim_end_matches('.').to_lowercase())
    };
    assert_eq!(
        alias(DOMAIN, "A").as_deref(),
        Some(distribution_domain.as_str())
    );
    assert_eq!(
        alias(DOMAIN, "AAAA").as_deref(),
        Some(distribution_domain.as_str())
    );
    let elb = crate::sdk_client!(aws_sdk_elasticloadbalancingv2, emulator, REGION);
    let lbs = elb
        .describe_load_balancers()
        .names("macro-ai-staging")
        .send()
        .await
        .unwrap();
    let lb = &lbs.load_balancers()[0];
    assert_eq!(
        alias(&format!("origin.{DOMAIN}"), "A"),
        Some(lb.dns_name().unwrap().to_lowercase())
    );
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let https = (listeners.listeners().iter())
        .find(|l| l.port() == Some(443))
        .expect("an HTTPS listener");
    assert_eq!(
        https.certificates()[0].certificate_arn(),
        Some(regional[0].1.as_str())
    );

    // The load balancer admits CloudFront alone, on 443.
    let ec2 = crate::sdk_client!(aws_sdk_ec2, emulator, REGION);
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("macro-ai-staging-sg-alb")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let permissions = groups.security_groups()[0].ip_permissions();
    assert_eq!(permissions.len(), 1, "{permissions:?}");
    assert_eq!(permissions[0].from_port(), Some(443));
    assert!(permissions[0].ip_ranges().is_empty(), "{permissions:?}");
    assert_eq!(permissions[0].prefix_list_ids().len(), 1);

    let status = ws.run(&["status", "--env", "staging"]);
    assert!(
        status.stdout.contains(&format!("App: https://{DOMAIN}")),
        "{}",
        status.stdout
    );

    // Converged: a second `up` calls nothing that changes anything.
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert_eq!(emulator.mutating_calls(), vec![]);

    // destroy: the distribution (disabled first), both certificates, the web ACL, the zone.
    ws.run(&[
        "destroy",
        "--env",
        "staging",
        "--yes",
        "--disable-deletion-protection",
        "--skip-final-snapshot",
        "--purge-secrets",
        "--delete-images",
        "--delete-bucket-contents",
    ])
    .assert_success();
    let listed = cloudfront.list_distributions().send().await.unwrap();
    assert!(listed.distribution_list().unwrap().items().is_empty());
    for region in ["us-east-1", REGION] {
        let acm = crate::sdk_client!(aws_sdk_acm, emulator, region);
        let left = acm.list_certificates().send().await.unwrap();
        assert!(
            left.certificate_summary_list().is_empty(),
            "{region}: {left:?}"
        );
    }
    let acls = wafv2
        .list_web_acls()
        .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
        .send()
        .await
        .unwrap();
    assert!(acls.web_acls().is_empty());
    let zones = route53
        .list_hosted_zones_by_name()
        .dns_name("example.com")
        .send()
        .await
        .unwrap();
    assert!(
        !(zones.hosted_zones().iter()).any(|zone| zone.name() == "example.com."),
        "{zones:?}"
    );
}

#[tokio::test]
async fn a_zone_that_does_not_exist_is_named_with_the_fix_before_anything_is_made() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.edit_env("staging", |text| {
        text.replacen("[dns]\n", "[dns]\ndomain = \"app.missing.example\"\n", 1)
    });
    for command in ["plan", "up"] {
        let args: &[&str] = if command == "up" {
            &["up", "--env", "staging", "--yes"]
        } else {
            &["plan", "--env", "staging"]
        };
        let run = ws.run(args);
        assert_ne!(run.code, 0, "{command}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("no public Route 53 hosted zone named missing.example")
                && run.stderr.contains("dns.zone")
                && run.stderr.contains("dns.create_zone = true"),
            "{command}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // Nothing was made.
    let vpcs = emulator.ec2().await.describe_vpcs().send().await.unwrap();
    assert!(
        !(vpcs.vpcs().iter()).any(|vpc| vpc.tags().iter().any(|t| t.key() == Some("macroctl:env"))),
        "{vpcs:?}"
    );
}

/// Lines of a child's stderr, as they come.
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = sender.send(line);
        }
    });
    receiver
}

#[tokio::test]
async fn ctrl_c_while_cloudfront_deploys_stops_the_wait_and_the_next_up_resumes_it() {
    // A deploy long enough that the wait is certainly interrupted, not finished.
    let emulator =
        Emulator::start_realistic(&[("MACROCTL_EMULATOR_CLOUDFRONT_DEPLOY_SECONDS", "25")]);
    let ws = Workspace::new(&emulator);
    let mut child = ws
        .command(&["up", "--env", "staging", "--yes", "--output", "json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let receiver = lines_of(&mut child);
    let mut lines = Vec::new();
    loop {
        let line = receiver
            .recv_timeout(std::time::Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("never waited for CloudFront:\n{}", lines.join("\n")));
        let waiting = line.contains("\"node_waiting\"")
            && line.contains("\"id\":\"cloudfront-distribution\"");
        lines.push(line);
        if waiting {
            break;
        }
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    lines.extend(receiver.iter());
    let stderr = lines.join("\n");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("still pending") && stderr.contains("cloudfront-distribution"),
        "{stderr}"
    );
    // It stopped while CloudFront was still deploying: the wait ended, not the deploy.
    let cloudfront = crate::sdk_client!(aws_sdk_cloudfront, emulator, "us-east-1");
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let items = listed.distribution_list().unwrap().items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status(), "InProgress", "{stderr}");
    let id = items[0].id().to_string();

    // The next `up` waits for the same distribution (no second one) and converges.
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let items = listed.distribution_list().unwrap().items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id(), id);
    assert_eq!(items[0].status(), "Deployed");
    assert!(
        (emulator.mutating_calls().iter()).all(|call| !call.action.contains("Distribution")),
        "{:?}",
        emulator.mutating_calls()
    );
}
