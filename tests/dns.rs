//! DNS and certificates end to end (`[dns]`, without CloudFront): a hosted zone macroctl
//! creates (tagged, its name servers reported), the load balancer's ACM certificate validated
//! through CNAMEs in the zone (the emulator issues it only once they are there), the HTTPS
//! listener with it and port 80 redirecting, alias records to the load balancer, a converged
//! second `up`, a domain change that replaces the certificate and the records and nothing
//! else, and `destroy`; then an existing zone used as it is (never tagged or deleted) and a
//! record someone else made refused, not overwritten; and a created zone whose tagging was
//! interrupted recognised by its comment, adopted and tagged. Everything is checked through
//! independent SDK calls (ACM, Route 53, ELBv2).
mod support;

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use support::{Emulator, Workspace};

fn acm(emulator: &Emulator) -> aws_sdk_acm::Client {
    crate::sdk_client!(aws_sdk_acm, emulator, "us-east-1")
}

fn route53(emulator: &Emulator) -> aws_sdk_route53::Client {
    crate::sdk_client!(aws_sdk_route53, emulator, "us-east-1")
}

/// staging with a domain, without CloudFront and WAF.
fn with_domain(ws: &Workspace, dns: &str) {
    let dns = dns.to_string();
    ws.edit_env("staging", move |text| {
        text.replace("[dns]\n", &format!("[dns]\n{dns}\n"))
            .replace("create_zone = false\n", "")
            .replace("cloudfront = true", "cloudfront = false")
            .replace("attach = \"cloudfront\"", "attach = \"alb\"")
            .replace("[waf]\nenabled = true", "[waf]\nenabled = false")
    });
}

const DESTROY: &[&str] = &[
    "destroy",
    "--env",
    "staging",
    "--yes",
    "--disable-deletion-protection",
    "--skip-final-snapshot",
    "--purge-secrets",
    "--delete-images",
    "--delete-bucket-contents",
];

/// The ids of the public zones named `name`.
async fn zones_named(emulator: &Emulator, name: &str) -> Vec<String> {
    let listed = route53(emulator)
        .list_hosted_zones_by_name()
        .dns_name(name)
        .send()
        .await
        .unwrap();
    (listed.hosted_zones().iter())
        .filter(|zone| zone.name() == format!("{name}."))
        .map(|zone| zone.id().trim_start_matches("/hostedzone/").to_string())
        .collect()
}

/// Every record set of the zone: (name without the dot, type, values or alias target).
async fn records(emulator: &Emulator, zone: &str) -> Vec<(String, String, Vec<String>)> {
    let listed = route53(emulator)
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    (listed.resource_record_sets().iter())
        .map(|set| {
            let values = match set.alias_target() {
                Some(alias) => vec![alias.dns_name().trim_end_matches('.').to_lowercase()],
                None => (set.resource_records().iter())
                    .map(|r| r.value().trim_end_matches('.').to_string())
                    .collect(),
            };
            (
                set.name().trim_end_matches('.').to_string(),
                set.r#type().as_str().to_string(),
                values,
            )
        })
        .collect()
}

/// The ARNs of the certificates for `domain`.
async fn certificates_for(emulator: &Emulator, domain: &str) -> Vec<String> {
    let listed = acm(emulator).list_certificates().send().await.unwrap();
    (listed.certificate_summary_list().iter())
        .filter(|c| c.domain_name() == Some(domain))
        .filter_map(|c| c.certificate_arn().map(str::to_string))
        .collect()
}

async fn load_balancer_dns(emulator: &Emulator) -> (String, String) {
    let elb = emulator.elb().await;
    let lbs = elb
        .describe_load_balancers()
        .names("macro-ai-staging")
        .send()
        .await
        .unwrap();
    let lb = &lbs.load_balancers()[0];
    (
        lb.load_balancer_arn().unwrap().to_string(),
        lb.dns_name().unwrap().to_lowercase(),
    )
}

/// The certificate issued for `names` (first the domain), its validation CNAMEs in `zone`, the
/// HTTPS listener serving it and port 80 redirecting, and A aliases to the load balancer.
async fn check_served(emulator: &Emulator, zone: &str, names: &[&str]) -> String {
    let arns = certificates_for(emulator, names[0]).await;
    assert_eq!(arns.len(), 1, "{arns:?}");
    let described = acm(emulator)
        .describe_certificate()
        .certificate_arn(&arns[0])
        .send()
        .await
        .unwrap();
    let certificate = described.certificate().unwrap();
    assert_eq!(certificate.status().unwrap().as_str(), "ISSUED");
    let mut sans: Vec<&str> = certificate
        .subject_alternative_names()
        .iter()
        .map(String::as_str)
        .collect();
    sans.sort();
    let mut wanted = names.to_vec();
    wanted.sort();
    assert_eq!(sans, wanted);
    let tags = acm(emulator)
        .list_tags_for_certificate()
        .certificate_arn(&arns[0])
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == "macroctl:id" && t.value() == Some("certificate-alb")));
    let in_zone = records(emulator, zone).await;
    for option in certificate.domain_validation_options() {
        assert_eq!(option.validation_method().unwrap().as_str(), "DNS");
        let record = option.resource_record().unwrap();
        assert!(
            in_zone.iter().any(
                |(name, kind, values)| *name == record.name().trim_end_matches('.')
                    && kind == "CNAME"
                    && values == &[record.value().trim_end_matches('.').to_string()]
            ),
            "no validation CNAME for {}: {in_zone:?}",
            option.domain_name()
        );
    }
    let (lb_arn, lb_dns) = load_balancer_dns(emulator).await;
    for name in names {
        assert!(
            in_zone.iter().any(|(n, kind, values)| n == name
                && kind == "A"
                && values.len() == 1
                && values[0] == lb_dns),
            "no A alias {name} → {lb_dns}: {in_zone:?}"
        );
    }
    let listeners = emulator
        .elb()
        .await
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await
        .unwrap();
    let https = (listeners.listeners().iter())
        .find(|l| l.port() == Some(443))
        .expect("an HTTPS listener");
    assert_eq!(https.protocol().unwrap().as_str(), "HTTPS");
    assert_eq!(
        https.certificates()[0].certificate_arn(),
        Some(arns[0].as_str())
    );
    let http = (listeners.listeners().iter())
        .find(|l| l.port() == Some(80))
        .unwrap();
    assert_eq!(
        http.default_actions()[0].r#type().unwrap().as_str(),
        "redirect"
    );
    arns[0].clone()
}

#[tokio::test]
async fn a_created_zone_a_validated_certificate_https_and_a_domain_change() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    with_domain(
        &ws,
        "domain = \"app.example.com\"\napi_domain = \"api.example.com\"\ncreate_zone = true",
    );
    let up = ws.run(&["up", "--env", "staging", "--yes"]);
    up.assert_success();

    // The zone: created, tagged, its name servers reported.
    let zones = zones_named(&emulator, "example.com").await;
    assert_eq!(zones.len(), 1, "{zones:?}");
    let zone = zones[0].clone();
    let tags = route53(&emulator)
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
        .resource_id(&zone)
        .send()
        .await
        .unwrap();
    let tags: Vec<(String, String)> = (tags.resource_tag_set().unwrap().tags().iter())
        .map(|t| (t.key().unwrap().into(), t.value().unwrap().into()))
        .collect();
    assert!(
        tags.contains(&("macroctl:env".into(), "staging".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("macroctl:id".into(), "dns-zone".into())),
        "{tags:?}"
    );
    let servers = route53(&emulator)
        .get_hosted_zone()
        .id(&zone)
        .send()
        .await
        .unwrap();
    let first_server = &servers.delegation_set().unwrap().name_servers()[0];
    assert!(up.stderr.contains(first_server.as_str()), "{}", up.stderr);
    let status = ws.run(&["status", "--env", "staging", "--wide"]);
    assert!(
        status.stdout.contains(first_server.as_str()),
        "{}",
        status.stdout
    );

    let first = check_served(&emulator, &zone, &["app.example.com", "api.example.com"]).await;

    // Converged: nothing to change, no mutating call.
    emulator.reset_recording();
    let again = ws.run(&["up", "--env", "staging", "--yes", "--output", "json"]);
    again.assert_success();
    let document: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(document["changed"], false, "{}", again.stdout);
    assert_eq!(emulator.mutating_calls(), vec![]);
    let edge_reads: std::collections::BTreeMap<&str, u64> = (document["api_calls"]["by_operation"]
        .as_object()
        .unwrap()
        .iter())
    .filter(|(op, _)| op.starts_with("ACM:") || op.starts_with("Route 53:"))
    .map(|(op, n)| (op.as_str(), n.as_u64().unwrap()))
    .collect();
    // Per resource, nothing listed: the zone (2), the certificate (2), its validation (1),
    // four records (1 each).
    assert_eq!(
        edge_reads,
        std::collections::BTreeMap::from([
            ("ACM:DescribeCertificate", 2),
            ("ACM:ListTagsForCertificate", 1),
            ("Route 53:GetHostedZone", 1),
            ("Route 53:ListResourceRecordSets", 4),
            ("Route 53:ListTagsForResource", 1),
        ])
    );

    // A new domain: a new certificate, the records moved; nothing else changes.
    ws.edit_env("staging", |text| {
        text.replace(
            "domain = \"app.example.com\"",
            "domain = \"www.example.com\"",
        )
    });
    let moved = ws.run(&["up", "--env", "staging", "--yes", "--output", "json"]);
    moved.assert_success();
    let document: serde_json::Value = serde_json::from_str(&moved.stdout).unwrap();
    let changed: Vec<&str> = (document["plan"].as_array().unwrap().iter())
        .filter(|r| r["action"] != "no-op")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"certificate-alb") && changed.contains(&"dns-app"),
        "{changed:?}"
    );
    let allowed = [
        "certificate-alb",
        "certificate-alb-validation",
        "dns-app",
        "dns-validation-app",
        "listener-https",
    ];
    assert!(
        changed.iter().all(|id| allowed.contains(id)),
        "only the certificate and the records change: {changed:?}"
    );
    assert!(
        (document["plan"].as_array().unwrap().iter()).all(|r| r["action"] != "replace"),
        "{}",
        moved.stdout
    );
    let second = check_served(&emulator, &zone, &["www.example.com", "api.example.com"]).await;
    assert_ne!(first, second);
    assert!(
        moved.stderr.contains(&first),
        "the old certificate is named: {}",
        moved.stderr
    );
    let names: Vec<String> = (records(&emulator, &zone).await.into_iter())
        .map(|(name, _, _)| name)
        .collect();
    assert!(
        !names.iter().any(|name| name.ends_with("app.example.com")),
        "{names:?}"
    );

    // Destroy: records, certificate and the zone go.
    ws.run(DESTROY).assert_success();
    assert!(zones_named(&emulator, "example.com").await.is_empty());
    assert!(certificates_for(&emulator, "www.example.com")
        .await
        .is_empty());
    assert!(
        certificates_for(&emulator, "app.example.com")
            .await
            .is_empty(),
        "the certificate the domain change left is deleted too"
    );
}

#[tokio::test]
async fn an_existing_zone_is_used_as_it_is_and_a_foreign_record_is_refused() {
    let emulator = Emulator::start_realistic(&[]);
    let r53 = route53(&emulator);
    let created = r53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("test-existing-zone")
        .send()
        .await
        .unwrap();
    let zone = created
        .hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string();
    let foreign = ResourceRecordSet::builder()
        .name("app.example.com")
        .r#type(RrType::A)
        .ttl(60)
        .resource_records(
            ResourceRecord::builder()
                .value("192.0.2.1")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let change = |action: ChangeAction| {
        ChangeBatch::builder()
            .changes(
                Change::builder()
                    .action(action)
                    .resource_record_set(foreign.clone())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(change(ChangeAction::Create))
        .send()
        .await
        .unwrap();

    let ws = Workspace::new(&emulator);
    with_domain(&ws, "domain = \"app.example.com\"");
    let refused = ws.run(&["up", "--env", "staging", "--yes"]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("app.example.com") && refused.stderr.contains("never overwrites"),
        "{}",
        refused.stderr
    );
    let kept = records(&emulator, &zone).await;
    assert!(
        kept.iter()
            .any(|(n, kind, v)| n == "app.example.com" && kind == "A" && v == &["192.0.2.1"]),
        "{kept:?}"
    );

    // Its owner removes it: the existing zone is used, never tagged.
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(change(ChangeAction::Delete))
        .send()
        .await
        .unwrap();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    check_served(&emulator, &zone, &["app.example.com"]).await;
    let tags = r53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
        .resource_id(&zone)
        .send()
        .await
        .unwrap();
    assert!(
        tags.resource_tag_set()
            .is_none_or(|set| set.tags().is_empty()),
        "{tags:?}"
    );

    // Destroy leaves the zone, with only its own NS and SOA records.
    ws.run(DESTROY).assert_success();
    let left: Vec<String> = (records(&emulator, &zone).await.into_iter())
        .map(|(_, kind, _)| kind)
        .collect();
    assert_eq!(left, ["NS", "SOA"]);

    // A zone macroctl created but could not tag (killed between CreateHostedZone and
    // ChangeTagsForResource): recognised by the marker in its comment, adopted and tagged,
    // not made twice.
    r53.create_hosted_zone()
        .name("example.net")
        .caller_reference("test-killed-before-tagging")
        .hosted_zone_config(
            aws_sdk_route53::types::HostedZoneConfig::builder()
                .comment("macroctl:stack=macro-ai macroctl:env=staging macroctl:id=dns-zone")
                .build(),
        )
        .send()
        .await
        .unwrap();
    ws.edit_env("staging", |text| {
        text.replace(
            "domain = \"app.example.com\"",
            "domain = \"app.example.net\"\ncreate_zone = true",
        )
    });
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let zones = zones_named(&emulator, "example.net").await;
    assert_eq!(zones.len(), 1, "{zones:?}");
    let tags = r53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
        .resource_id(&zones[0])
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = (tags.resource_tag_set().unwrap().tags().iter())
        .filter_map(|t| t.key())
        .collect();
    for key in ["macroctl:stack", "macroctl:env", "macroctl:id", "Name"] {
        assert!(keys.contains(&key), "{keys:?}");
    }
    check_served(&emulator, &zones[0], &["app.example.net"]).await;
}
