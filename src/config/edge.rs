//! `[dns]`, `[edge]` and `[waf]` (optional sections): HTTPS at the edge.
//!
//! Why three sections: they answer three different questions a user has. `[dns]` is *which
//! name* the app answers to (and which Route 53 zone holds it); `[edge]` is *whether CloudFront
//! stands in front of the load balancer* and how it caches; `[waf]` is *what the firewall
//! does*. Each works without the others: without a domain an environment still gets HTTPS on
//! its distribution's own `*.cloudfront.net` name; without CloudFront a domain points at the
//! load balancer, which then gets a certificate of its own.
//!
//! Defaults follow the environment's name, like the other optional sections: `dev` gets
//! neither CloudFront nor WAF (cheap, quick to tear down); every other environment gets both,
//! with WAF counting in staging (try rules without blocking anyone) and blocking in `prod`.

use super::{Problem, RawFile};
use serde::Deserialize;

/// The rate-based rule's limits WAF accepts (requests per 5 minutes from one IP).
pub const RATE_LIMITS: std::ops::RangeInclusive<u32> = 10..=2_000_000_000;

/// `[dns]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDns {
    domain: Option<String>,
    api_domain: Option<String>,
    zone: Option<String>,
    create_zone: Option<bool>,
}

/// `[edge]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEdge {
    cloudfront: Option<bool>,
    price_class: Option<PriceClass>,
    access_logs: Option<bool>,
    asset_paths: Option<Vec<String>>,
    certificate_arn: Option<String>,
}

/// `[waf]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWaf {
    enabled: Option<bool>,
    mode: Option<WafMode>,
    rate_limit: Option<u32>,
    attach: Option<WafAttach>,
}

/// CloudFront's price classes: which edge locations serve the distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum PriceClass {
    /// North America, Europe and Israel.
    #[serde(rename = "PriceClass_100")]
    Class100,
    /// Adds most of Asia, Africa and the Middle East.
    #[serde(rename = "PriceClass_200")]
    Class200,
    /// Every edge location.
    #[serde(rename = "PriceClass_All")]
    All,
}

impl PriceClass {
    /// CloudFront's value, also the spelling in the environment files.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceClass::Class100 => "PriceClass_100",
            PriceClass::Class200 => "PriceClass_200",
            PriceClass::All => "PriceClass_All",
        }
    }
}

/// What the web ACL's rules do with a request they match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WafMode {
    /// Only count matches (metrics and sampled requests): for trying rules.
    Count,
    /// Block matches.
    Block,
}

impl WafMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WafMode::Count => "count",
            WafMode::Block => "block",
        }
    }
}

/// Where the web ACL is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WafAttach {
    /// The CloudFront distribution (a CLOUDFRONT-scope web ACL, in us-east-1).
    Cloudfront,
    /// The load balancer (a REGIONAL web ACL).
    Alb,
    /// Both: one web ACL of each scope.
    Both,
}

impl WafAttach {
    pub fn as_str(self) -> &'static str {
        match self {
            WafAttach::Cloudfront => "cloudfront",
            WafAttach::Alb => "alb",
            WafAttach::Both => "both",
        }
    }
}

/// How the hosted zone is named in `[dns] zone`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneRef {
    /// A hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`.
    Id(String),
    /// A zone name without the trailing dot, e.g. `example.com`.
    Name(String),
}

/// Validated `[dns]`: present only with a domain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsConfig {
    /// The app's name, e.g. `app.example.com` (lowercase, no trailing dot).
    pub domain: String,
    /// The API's own name, when it has one.
    pub api_domain: Option<String>,
    /// The hosted zone: by id or name (default: the domain's parent).
    pub zone: ZoneRef,
    /// macroctl creates the (public) zone, named `zone`.
    pub create_zone: bool,
}

impl DnsConfig {
    /// Every name the environment answers to: the domain, then the API's.
    pub fn names(&self) -> Vec<&str> {
        std::iter::once(self.domain.as_str())
            .chain(self.api_domain.as_deref())
            .collect()
    }
}

/// Validated `[edge]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EdgeConfig {
    /// A CloudFront distribution in front of the load balancer.
    pub cloudfront: bool,
    pub price_class: PriceClass,
    /// CloudFront access logs to the logs bucket (under `cloudfront/`).
    pub access_logs: bool,
    /// Path patterns served from the assets bucket through Origin Access Control.
    pub asset_paths: Vec<String>,
    /// An existing us-east-1 certificate for the distribution instead of one macroctl
    /// requests.
    pub certificate_arn: Option<String>,
}

/// Validated `[waf]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WafConfig {
    pub enabled: bool,
    pub mode: WafMode,
    /// Requests per 5 minutes from one IP before the rate-based rule acts.
    pub rate_limit: u32,
    pub attach: WafAttach,
}

impl WafConfig {
    /// A CLOUDFRONT-scope web ACL on the distribution.
    pub fn on_cloudfront(&self) -> bool {
        self.enabled && matches!(self.attach, WafAttach::Cloudfront | WafAttach::Both)
    }

    /// A REGIONAL web ACL on the load balancer.
    pub fn on_alb(&self) -> bool {
        self.enabled && matches!(self.attach, WafAttach::Alb | WafAttach::Both)
    }
}

/// Whether `name` is a DNS name Route 53 and ACM accept: 2+ labels of letters, digits and
/// inner dashes, each 1..=63 long, 253 at most in all, lowercase.
pub fn is_dns_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Whether `name` is `zone` or lies inside it.
pub fn within(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

fn is_zone_id(value: &str) -> bool {
    value.len() > 1
        && value.len() <= 32
        && value.starts_with('Z')
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The three validated sections, with problems pushed as (key, message).
pub(super) fn check(
    raw: &RawFile,
    problems: &mut Vec<Problem>,
) -> (Option<DnsConfig>, EdgeConfig, WafConfig) {
    let mut push = |key: &str, message: String| {
        problems.push(Problem {
            key: key.to_string(),
            line: None,
            message,
        })
    };
    let env = raw.environment.name.as_str();
    let dev = env == "dev";
    let d = &raw.dns;
    let dns = match &d.domain {
        None => {
            for (key, set) in [
                ("dns.api_domain", d.api_domain.is_some()),
                ("dns.zone", d.zone.is_some()),
                ("dns.create_zone", d.create_zone == Some(true)),
            ] {
                if set {
                    push(key, "needs dns.domain (the app's name, e.g. \"app.example.com\"); set it, or remove this key".into());
                }
            }
            None
        }
        Some(domain) => {
            let domain = domain.trim_end_matches('.').to_string();
            let mut ok = true;
            if !is_dns_name(&domain) {
                push("dns.domain", format!("{domain:?} is not a DNS name like \"app.example.com\" (lowercase letters, digits, dashes; at least two labels)"));
                ok = false;
            }
            let api_domain = d
                .api_domain
                .as_ref()
                .map(|n| n.trim_end_matches('.').to_string());
            if let Some(api) = &api_domain {
                if !is_dns_name(api) {
                    push(
                        "dns.api_domain",
                        format!("{api:?} is not a DNS name like \"api.example.com\""),
                    );
                    ok = false;
                } else if *api == domain {
                    push(
                        "dns.api_domain",
                        "equals dns.domain; leave it out to serve the API under /api on the domain"
                            .into(),
                    );
                    ok = false;
                }
            }
            let zone = match &d.zone {
                Some(zone) if is_zone_id(zone) => ZoneRef::Id(zone.clone()),
                Some(zone) => ZoneRef::Name(zone.trim_end_matches('.').to_string()),
                None => ZoneRef::Name(
                    domain
                        .split_once('.')
                        .map_or(domain.as_str(), |(_, parent)| parent)
                        .to_string(),
                ),
            };
            let create_zone = d.create_zone.unwrap_or(false);
            match &zone {
                ZoneRef::Name(name) => {
                    if !is_dns_name(name) {
                        push("dns.zone", format!("{name:?} is neither a hosted zone id (\"Z0123456789ABCDEFGHIJ\") nor a zone name (\"example.com\")"));
                        ok = false;
                    } else {
                        for (key, value) in [
                            ("dns.domain", Some(&domain)),
                            ("dns.api_domain", api_domain.as_ref()),
                        ] {
                            if let Some(value) = value {
                                if !within(value, name) {
                                    push(key, format!("{value:?} is not inside the zone {name:?}; set dns.zone to the zone that holds it"));
                                    ok = false;
                                }
                            }
                        }
                    }
                }
                ZoneRef::Id(id) if create_zone => {
                    push("dns.create_zone", format!("dns.zone is a zone id ({id}); to create a zone, set dns.zone to its name (\"example.com\")"));
                    ok = false;
                }
                ZoneRef::Id(_) => {}
            }
            ok.then_some(DnsConfig {
                domain,
                api_domain,
                zone,
                create_zone,
            })
        }
    };

    let e = &raw.edge;
    let cloudfront = e.cloudfront.unwrap_or(!dev);
    let asset_paths = e
        .asset_paths
        .clone()
        .unwrap_or_else(|| vec!["/assets/*".to_string()]);
    for (i, path) in asset_paths.iter().enumerate() {
        if !path.starts_with('/') || path.len() > 255 || path.starts_with("/api") {
            push(&format!("edge.asset_paths[{i}]"), format!("{path:?} is not a CloudFront path pattern for assets: it must start with '/', be at most 255 characters, and not be under /api (the API's)"));
        }
    }
    if let Some(arn) = &e.certificate_arn {
        let region = arn.split(':').nth(3).unwrap_or_default();
        if !arn.starts_with("arn:aws") || !arn.contains(":acm:") || !arn.contains(":certificate/") {
            push("edge.certificate_arn", format!("{arn:?} is not an ACM certificate ARN like \"arn:aws:acm:us-east-1:123456789012:certificate/…\""));
        } else if region != "us-east-1" {
            push("edge.certificate_arn", format!("the certificate is in {region}; CloudFront only uses ACM certificates from us-east-1"));
        }
        if !cloudfront {
            push("edge.certificate_arn", "is for the CloudFront distribution, but edge.cloudfront is false; use integrations.certificate_arn for the load balancer".into());
        }
        if raw.dns.domain.is_none() {
            push(
                "edge.certificate_arn",
                "needs dns.domain: the certificate is for the app's own name".into(),
            );
        }
    }
    let edge = EdgeConfig {
        cloudfront,
        price_class: e.price_class.unwrap_or(if env == "prod" {
            PriceClass::All
        } else {
            PriceClass::Class100
        }),
        access_logs: e.access_logs.unwrap_or(true),
        asset_paths,
        certificate_arn: e.certificate_arn.clone(),
    };

    let w = &raw.waf;
    let rate_limit = w.rate_limit.unwrap_or(2000);
    if !RATE_LIMITS.contains(&rate_limit) {
        push(
            "waf.rate_limit",
            format!(
                "{rate_limit} is outside {}..={} (requests per 5 minutes from one IP)",
                RATE_LIMITS.start(),
                RATE_LIMITS.end()
            ),
        );
    }
    let attach = w.attach.unwrap_or(if cloudfront {
        WafAttach::Cloudfront
    } else {
        WafAttach::Alb
    });
    let enabled = w.enabled.unwrap_or(!dev);
    if enabled && !cloudfront && attach != WafAttach::Alb {
        push(
            "waf.attach",
            format!(
                "{:?} needs CloudFront, but edge.cloudfront is false; use \"alb\"",
                attach.as_str()
            ),
        );
    }
    let waf = WafConfig {
        enabled,
        mode: w.mode.unwrap_or(if env == "prod" {
            WafMode::Block
        } else {
            WafMode::Count
        }),
        rate_limit,
        attach,
    };
    (dns, edge, waf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_checked_by_label() {
        assert!(is_dns_name("app.example.com"));
        assert!(is_dns_name("a-b.example.co.uk"));
        for bad in [
            "example",
            "App.example.com",
            "-a.example.com",
            "a..com",
            "a_b.com",
        ] {
            assert!(!is_dns_name(bad), "{bad}");
        }
        assert!(within("app.example.com", "example.com"));
        assert!(within("example.com", "example.com"));
        assert!(!within("badexample.com", "example.com"));
        assert!(is_zone_id("Z0123456789ABCDEFGHIJ"));
        assert!(!is_zone_id("example.com"));
    }
}

#[cfg(test)]
mod env_tests {
    use super::super::{parse_str, ConfigError, Environment};
    use super::*;
    use std::path::Path;

    fn shipped(env: &str) -> String {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        std::fs::read_to_string(dir.join(format!("{env}.toml"))).unwrap()
    }

    fn load(env: &str, extra: &str) -> Result<Environment, Vec<String>> {
        // Later keys of a section cannot repeat earlier ones, so variants replace the
        // shipped sections.
        let src = shipped(env);
        let cut = src
            .find("\n# HTTPS at the edge")
            .expect("the shipped file has [dns]");
        let text = format!("{}\n{extra}", &src[..cut]);
        match parse_str(&text, Path::new(&format!("{env}.toml")), None) {
            Ok(env) => Ok(env),
            Err(ConfigError::Invalid { problems, .. }) => Err(problems
                .into_iter()
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect()),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn defaults_follow_the_environment_name() {
        let dev = load("dev", "").unwrap();
        assert!(!dev.edge.cloudfront && !dev.waf.enabled && dev.dns.is_none());
        let staging = load("staging", "").unwrap();
        assert!(staging.edge.cloudfront && staging.waf.on_cloudfront());
        assert_eq!(staging.waf.mode, WafMode::Count);
        assert_eq!(staging.edge.price_class, PriceClass::Class100);
        let prod = load("prod", "").unwrap();
        assert_eq!(prod.waf.mode, WafMode::Block);
        assert_eq!(prod.edge.price_class, PriceClass::All);
        // The shipped files spell out the same defaults.
        for env in ["dev", "staging", "prod"] {
            let shipped =
                super::super::parse_str(&shipped(env), Path::new(&format!("{env}.toml")), None)
                    .unwrap();
            let defaults = load(env, "").unwrap();
            assert_eq!(
                (&shipped.edge, &shipped.waf, &shipped.dns),
                (&defaults.edge, &defaults.waf, &defaults.dns),
                "{env}"
            );
        }
    }

    #[test]
    fn a_domain_gets_its_parent_zone_unless_told() {
        let env = load("staging", "[dns]\ndomain = \"app.example.com\"\n").unwrap();
        let dns = env.dns.unwrap();
        assert_eq!(dns.zone, ZoneRef::Name("example.com".into()));
        assert_eq!(dns.names(), ["app.example.com"]);
        let env = load(
            "staging",
            "[dns]\ndomain = \"app.example.com.\"\napi_domain = \"api.example.com\"\nzone = \"Z0123456789ABCDEFGHIJ\"\n",
        )
        .unwrap();
        let dns = env.dns.unwrap();
        assert_eq!(dns.domain, "app.example.com");
        assert_eq!(dns.zone, ZoneRef::Id("Z0123456789ABCDEFGHIJ".into()));
    }

    #[test]
    fn bad_edge_settings_name_the_key_and_the_fix() {
        for (extra, key, words) in [
            ("[dns]\ndomain = \"App.example.com\"\n", "dns.domain", "not a DNS name"),
            ("[dns]\ndomain = \"app.example.com\"\nzone = \"other.com\"\n", "dns.domain", "not inside the zone"),
            ("[dns]\napi_domain = \"api.example.com\"\n", "dns.api_domain", "needs dns.domain"),
            ("[dns]\ndomain = \"app.example.com\"\nzone = \"Z0123456789ABCDEFGHIJ\"\ncreate_zone = true\n", "dns.create_zone", "zone id"),
            ("[edge]\ncloudfront = false\n[waf]\nattach = \"cloudfront\"\n", "waf.attach", "use \"alb\""),
            ("[waf]\nrate_limit = 5\n", "waf.rate_limit", "outside 10..="),
            ("[edge]\nasset_paths = [\"assets/*\"]\n", "edge.asset_paths[0]", "must start with '/'"),
            ("[dns]\ndomain = \"app.example.com\"\n[edge]\ncertificate_arn = \"arn:aws:acm:eu-west-1:123456789012:certificate/x\"\n", "edge.certificate_arn", "only uses ACM certificates from us-east-1"),
            ("[edge]\nprice_class = \"PriceClass_300\"\n", "edge.price_class", "PriceClass_100"),
        ] {
            let problems = match load("staging", extra) {
                Err(problems) => problems,
                Ok(_) => panic!("{extra:?} was accepted"),
            };
            assert!(
                problems.iter().any(|p| p.starts_with(key) && p.contains(words)),
                "{extra:?}: {problems:?}"
            );
        }
    }
}
