//! The census of the edge's CloudFront, ACM and Route 53 resources (see `census`): what a
//! lost answer to a create could make twice. Distributions have no name, so a line is the
//! comment macroctl gives them; certificates are named by their domain and macroctl id, zones
//! by their name.
#![allow(dead_code)]

use super::census::Census;
use super::Emulator;

/// Adds the distributions and Origin Access Controls of `prefix` (`<stack>-<env>`), the
/// certificates tagged for `env` in `regions` (the environment's and us-east-1), and the
/// hosted zones macroctl made for it.
pub async fn edge_census(
    emulator: &Emulator,
    env: &str,
    prefix: &str,
    regions: &[&'static str],
    census: &mut Census,
) {
    let cloudfront = crate::sdk_client!(aws_sdk_cloudfront, emulator, "us-east-1");
    let listed = cloudfront.list_distributions().send().await.unwrap();
    for summary in listed.distribution_list().map_or(&[][..], |l| l.items()) {
        if summary.comment() == prefix {
            census
                .entry("cloudfront:distribution")
                .or_default()
                .push(summary.comment().to_string());
        }
    }
    let controls = cloudfront
        .list_origin_access_controls()
        .send()
        .await
        .unwrap();
    for control in controls
        .origin_access_control_list()
        .map_or(&[][..], |l| l.items())
    {
        if control.name().starts_with(prefix) {
            census
                .entry("cloudfront:origin-access-control")
                .or_default()
                .push(control.name().to_string());
        }
    }
    for region in regions {
        let acm = crate::sdk_client!(aws_sdk_acm, emulator, *region);
        let listed = acm.list_certificates().send().await.unwrap();
        for summary in listed.certificate_summary_list() {
            let arn = summary.certificate_arn().unwrap_or_default();
            let tags = acm
                .list_tags_for_certificate()
                .certificate_arn(arn)
                .send()
                .await
                .unwrap();
            let tag = |key: &str| {
                (tags.tags().iter())
                    .find(|t| t.key() == key)
                    .and_then(|t| t.value())
                    .map(str::to_string)
            };
            if tag("macroctl:env").as_deref() == Some(env) {
                census.entry("acm:certificate").or_default().push(format!(
                    "{region} {} {}",
                    summary.domain_name().unwrap_or_default(),
                    tag("macroctl:id").unwrap_or_default()
                ));
            }
        }
    }
    let route53 = crate::sdk_client!(aws_sdk_route53, emulator, "us-east-1");
    let zones = route53.list_hosted_zones().send().await.unwrap();
    for zone in zones.hosted_zones() {
        let comment = zone.config().and_then(|c| c.comment()).unwrap_or_default();
        if comment.contains(&format!("macroctl:env={env}")) {
            census
                .entry("route53:hosted-zone")
                .or_default()
                .push(zone.name().to_string());
        }
    }
}
