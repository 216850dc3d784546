//! The CDN layer: the CloudFront distribution in front of the load balancer, and the Origin
//! Access Control through which it reads the assets bucket.
//!
//! Only where `[edge] cloudfront` (staging and prod by default). The distribution serves the
//! app on HTTPS at the edge: the UI and `/api/*` from the load balancer, the asset paths from
//! the assets bucket (see `resources::distribution_config` for what is cached). The pieces
//! of other layers meet here: the certificate and the name CloudFront reaches the load
//! balancer by come from `dns`, the web ACL from `waf`; the load balancer in turn admits only
//! CloudFront (`network`, on [`origin_port`]), and the assets bucket only this distribution
//! (`storage`).
//!
//! Order: the distribution comes after the load balancer (its origin) and the logs bucket
//! (CloudFront checks the bucket it logs to), and before the assets bucket, whose policy names
//! the distribution's ARN. CloudFront does not check an S3 origin's bucket when a distribution
//! is created, so the bucket may come after it.

use super::{Declared, Facts};
use crate::config::Environment;
use crate::resources::distribution::{AppOrigin, AssetsOrigin, DistributionSpec};
use crate::resources::origin_access_control::OriginAccessControlSpec;
use crate::resources::{Ref, Spec, Value};

pub const DISTRIBUTION: &str = "cloudfront-distribution";
pub const ORIGIN_ACCESS_CONTROL: &str = "cloudfront-oac";

/// Whether CloudFront reaches the load balancer over HTTPS: only by a name the load
/// balancer's certificate covers ([`super::dns::origin_domain`]); its own DNS name is not
/// (CloudFront checks the origin's certificate against the name it connects to).
pub fn origin_https(env: &Environment) -> bool {
    super::dns::origin_domain(env).is_some()
}

/// The port CloudFront sends to the load balancer on, and the only one the load balancer
/// admits CloudFront's addresses on.
pub fn origin_port(env: &Environment) -> u16 {
    if origin_https(env) {
        443
    } else {
        80
    }
}

/// The resources of the CDN layer.
pub(super) fn declare(env: &Environment, facts: &Facts) -> Vec<Declared> {
    let edge = &env.edge;
    if !edge.cloudfront {
        return Vec::new();
    }
    let prefix = env.resource_prefix();
    let assets_bucket = super::storage::bucket_name(env, &facts.account, "assets");
    let app_domain = match super::dns::origin_domain(env) {
        Some(name) => Value::Literal(name),
        None => Value::Ref(Ref::new(super::app::LOAD_BALANCER, "dns_name")),
    };
    let certificate = super::dns::viewer_certificate(env);
    // The environment's own names need its own certificate.
    let aliases = match (&certificate, &env.dns) {
        (Some(_), Some(dns)) => dns.names().into_iter().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    vec![
        Declared::new(
            ORIGIN_ACCESS_CONTROL,
            Spec::OriginAccessControl(OriginAccessControlSpec {
                name: format!("{prefix}-assets"),
                description: format!(
                    "{} {} assets bucket (managed by macroctl)",
                    env.stack, env.name
                ),
            }),
        ),
        Declared::new(
            DISTRIBUTION,
            Spec::Distribution(DistributionSpec {
                comment: prefix,
                app_origin: AppOrigin {
                    domain: app_domain,
                    https: origin_https(env),
                },
                assets: AssetsOrigin {
                    domain: format!("{assets_bucket}.s3.{}.amazonaws.com", env.region),
                    origin_access_control: Ref::new(ORIGIN_ACCESS_CONTROL, "id"),
                },
                asset_paths: edge.asset_paths.clone(),
                price_class: edge.price_class.as_str().to_string(),
                aliases,
                certificate,
                web_acl: super::waf::cloudfront_acl(env),
                logs_bucket: edge
                    .access_logs
                    .then(|| Ref::new(super::storage::BUCKET_LOGS, "name")),
            }),
        )
        // Its origin: also when CloudFront reaches it by a name of the environment's own.
        .after(super::app::LOAD_BALANCER),
    ]
}

/// What the app's alias records point at when CloudFront is on: the distribution's domain
/// name (its hosted zone is the distribution's `canonical_hosted_zone_id` output); `None`: the
/// load balancer.
pub fn alias_target(env: &Environment) -> Option<Ref> {
    env.edge
        .cloudfront
        .then(|| Ref::new(DISTRIBUTION, "domain_name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::security_group::RuleSource;

    fn env(name: &str) -> Environment {
        crate::config::load(std::path::Path::new("envs"), name, None).unwrap()
    }

    #[test]
    fn staging_gets_a_distribution_behind_which_only_cloudfront_reaches_the_load_balancer() {
        let env = env("staging");
        let declared = declare(&env, &Facts::any());
        let ids: Vec<&str> = declared.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, [ORIGIN_ACCESS_CONTROL, DISTRIBUTION]);
        let Spec::Distribution(spec) = &declared[1].spec else {
            panic!("not a distribution")
        };
        assert_eq!(spec.comment, "macro-ai-staging");
        assert_eq!(
            spec.assets.domain,
            "macro-ai-staging-assets-000000000000.s3.us-east-1.amazonaws.com"
        );
        assert!(!spec.app_origin.https);
        assert!(spec.logs_bucket.is_some());
        assert_eq!(alias_target(&env).unwrap().output, "domain_name");

        let network = super::super::network::declare(&env, &Facts::any());
        let alb = network.iter().find(|d| d.id == "sg-alb").unwrap();
        let Spec::SecurityGroup(group) = &alb.spec else {
            panic!("not a group")
        };
        assert_eq!(group.ingress.len(), 1);
        assert_eq!(group.ingress[0].port, 80);
        assert!(
            matches!(&group.ingress[0].source, RuleSource::PrefixList(id) if id == "pl-00000000")
        );
    }

    #[test]
    fn dev_has_no_distribution_and_keeps_its_cidrs() {
        let env = env("dev");
        assert!(declare(&env, &Facts::any()).is_empty());
        assert!(alias_target(&env).is_none());
        let network = super::super::network::declare(&env, &Facts::any());
        let alb = network.iter().find(|d| d.id == "sg-alb").unwrap();
        let Spec::SecurityGroup(group) = &alb.spec else {
            panic!("not a group")
        };
        assert!(group
            .ingress
            .iter()
            .all(|rule| matches!(rule.source, RuleSource::Cidr(_))));
        assert!(!group.ingress.is_empty());
    }
}
