//! The DNS layer: the environment's certificates (ACM, validated through Route 53), its hosted
//! zone when macroctl creates one, and the records that point the app's names at the edge.
//!
//! Other layers ask this one for what they need of it (the functions below), so the edge's
//! pieces stay in their own modules and still meet: the load balancer's listener takes
//! [`alb_certificate`], the distribution takes [`viewer_certificate`] and [`origin_domain`].
//!
//! Without `[dns] domain` it declares nothing. With one:
//!
//! * the zone is the existing one `ops::facts` looked up (a literal id: never in the graph, so
//!   never adopted, tagged or deleted), or `dns-zone`, which macroctl creates;
//! * `certificate-alb` (the environment's region) covers the domain, the API's name and, behind
//!   CloudFront, `origin.<domain>` (the name CloudFront reaches the load balancer by), unless
//!   `integrations.certificate_arn` names one; `certificate-edge` (us-east-1) covers the domain
//!   and the API's name for CloudFront, unless `edge.certificate_arn` names one;
//! * one validation CNAME per name (`dns-validation-<label>`): ACM's validation record for a
//!   name is the same for every certificate of the account, so one record serves both
//!   certificates; it is taken from the load balancer's certificate when macroctl requests it
//!   (it covers every name), else from the edge one;
//! * each certificate's `-validation` waits, after its records, until ACM issued it: that is
//!   what the listener and the distribution refer to;
//! * alias records for the names (`dns-app`, `dns-api`, and `-aaaa` twins behind CloudFront,
//!   which answers over IPv6 too) to the distribution, else to the load balancer; and
//!   `dns-origin` to the load balancer behind CloudFront.

use super::{app, Declared, Facts};
use crate::config::Environment;
use crate::resources::certificate::{CertificateSpec, MAX_NAMES};
use crate::resources::certificate_validation::CertificateValidationSpec;
use crate::resources::dns_record::{RecordSpec, RecordTarget, CLOUDFRONT_ZONE_ID};
use crate::resources::hosted_zone::HostedZoneSpec;
use crate::resources::{Ref, Spec, Value};

/// The hosted zone macroctl creates (`dns.create_zone`).
pub const ZONE: &str = "dns-zone";
/// The load balancer's certificate, in the environment's region.
pub const CERTIFICATE_ALB: &str = "certificate-alb";
/// The distribution's certificate, in us-east-1.
pub const CERTIFICATE_EDGE: &str = "certificate-edge";
/// The domain's A record (its existence in state means the domain points at the app).
pub const APP_RECORD: &str = "dns-app";

fn validation_of(certificate: &str) -> String {
    format!("{certificate}-validation")
}

/// The names the environment answers to, with the label their records' ids use.
fn names(env: &Environment) -> Vec<(&'static str, String)> {
    let Some(dns) = &env.dns else {
        return Vec::new();
    };
    let mut names = vec![("app", dns.domain.clone())];
    names.extend(dns.api_domain.clone().map(|name| ("api", name)));
    names.extend(origin_domain(env).map(|name| ("origin", name)));
    names
}

/// The certificates macroctl requests: (logical id, in us-east-1, names, first the domain).
fn requested(env: &Environment) -> Vec<(&'static str, bool, Vec<String>)> {
    let all = names(env);
    let mut out = Vec::new();
    if env.dns.is_none() {
        return out;
    }
    if env.integrations.certificate_arn.is_none() {
        out.push((
            CERTIFICATE_ALB,
            false,
            all.iter().map(|(_, name)| name.clone()).collect(),
        ));
    }
    if env.edge.cloudfront && env.edge.certificate_arn.is_none() {
        let public = (all.iter())
            .filter(|(label, _)| *label != "origin")
            .map(|(_, name)| name.clone())
            .collect();
        out.push((CERTIFICATE_EDGE, true, public));
    }
    out
}

/// The hosted zone's id: the existing zone's, or the one macroctl creates.
fn zone(env: &Environment, facts: &Facts) -> Option<Value> {
    let dns = env.dns.as_ref()?;
    if dns.create_zone {
        Some(Ref::new(ZONE, "zone_id").into())
    } else {
        facts.zone_id.clone().map(Value::Literal)
    }
}

fn output_name(index: usize, part: &str) -> &'static str {
    const NAMES: [[&str; 2]; MAX_NAMES] = [
        ["validation_0_name", "validation_0_value"],
        ["validation_1_name", "validation_1_value"],
        ["validation_2_name", "validation_2_value"],
    ];
    NAMES[index][usize::from(part == "value")]
}

/// The resources of the DNS layer.
pub(super) fn declare(env: &Environment, facts: &Facts) -> Vec<Declared> {
    let (Some(dns), Some(zone)) = (&env.dns, zone(env, facts)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if dns.create_zone {
        if let crate::config::edge::ZoneRef::Name(name) = &dns.zone {
            out.push(Declared::new(
                ZONE,
                Spec::HostedZone(HostedZoneSpec { name: name.clone() }),
            ));
        }
    }
    let certificates = requested(env);
    for (id, edge, names) in &certificates {
        out.push(Declared::new(
            *id,
            Spec::Certificate(CertificateSpec {
                domain: names[0].clone(),
                subject_alternative_names: names[1..].to_vec(),
                edge: *edge,
            }),
        ));
    }
    // One validation record per name, from the first certificate that covers it.
    let mut record_of_name: Vec<(String, String)> = Vec::new();
    for (label, name) in names(env) {
        let source = (certificates.iter())
            .find_map(|(id, _, names)| Some((*id, names.iter().position(|n| *n == name)?)));
        let Some((certificate, index)) = source else {
            continue;
        };
        let id = format!("dns-validation-{label}");
        out.push(Declared::new(
            &id,
            Spec::Record(RecordSpec {
                zone: zone.clone(),
                name: Ref::new(certificate, output_name(index, "name")).into(),
                record_type: "CNAME".into(),
                target: RecordTarget::Value(
                    Ref::new(certificate, output_name(index, "value")).into(),
                ),
            }),
        ));
        record_of_name.push((name, id));
    }
    for (id, edge, names) in &certificates {
        let mut validation = Declared::new(
            validation_of(id),
            Spec::CertificateValidation(CertificateValidationSpec {
                certificate: Ref::new(*id, "arn"),
                edge: *edge,
                names: names.clone(),
            }),
        );
        for (name, record) in &record_of_name {
            if names.contains(name) {
                validation = validation.after(record);
            }
        }
        out.push(validation);
    }
    let load_balancer = RecordTarget::Alias {
        dns_name: Ref::new(app::LOAD_BALANCER, "dns_name").into(),
        zone: Ref::new(app::LOAD_BALANCER, "canonical_hosted_zone_id").into(),
    };
    let public = match super::cdn::alias_target(env) {
        Some(distribution) => RecordTarget::Alias {
            dns_name: distribution.into(),
            zone: Value::Literal(CLOUDFRONT_ZONE_ID.into()),
        },
        None => load_balancer.clone(),
    };
    let ipv6 = super::cdn::alias_target(env).is_some();
    let mut alias = |id: &str, name: &str, record_type: &str, target: &RecordTarget| {
        out.push(Declared::new(
            id,
            Spec::Record(RecordSpec {
                zone: zone.clone(),
                name: Value::Literal(name.to_string()),
                record_type: record_type.into(),
                target: target.clone(),
            }),
        ));
    };
    for (label, name) in names(env) {
        let id = format!("dns-{label}");
        if label == "origin" {
            alias(&id, &name, "A", &load_balancer);
            continue;
        }
        alias(&id, &name, "A", &public);
        if ipv6 {
            alias(&format!("{id}-aaaa"), &name, "AAAA", &public);
        }
    }
    out
}

/// The certificate the load balancer's HTTPS listener serves: the one macroctl requests and
/// validates for the domain (its validation's `arn`, so the listener waits for the issue),
/// else `integrations.certificate_arn`; `None`: HTTP only.
pub fn alb_certificate(env: &Environment) -> Option<Value> {
    match (&env.integrations.certificate_arn, &env.dns) {
        (Some(arn), _) => Some(Value::Literal(arn.clone())),
        (None, Some(_)) => Some(Ref::new(validation_of(CERTIFICATE_ALB), "arn").into()),
        (None, None) => None,
    }
}

/// The us-east-1 certificate the distribution serves for the domain; `None`: CloudFront's
/// own `*.cloudfront.net` certificate.
pub fn viewer_certificate(env: &Environment) -> Option<Value> {
    if !env.edge.cloudfront || env.dns.is_none() {
        return None;
    }
    Some(match &env.edge.certificate_arn {
        Some(arn) => Value::Literal(arn.clone()),
        None => Ref::new(validation_of(CERTIFICATE_EDGE), "arn").into(),
    })
}

/// The name CloudFront reaches the load balancer by over HTTPS (`origin.<domain>`, covered by
/// the load balancer's certificate); `None`: the load balancer's own DNS name, over HTTP.
pub fn origin_domain(env: &Environment) -> Option<String> {
    let dns = env.dns.as_ref()?;
    env.edge
        .cloudfront
        .then(|| format!("origin.{}", dns.domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(edit: impl FnOnce(&mut Environment)) -> Environment {
        let mut env = crate::config::load(std::path::Path::new("envs"), "staging", None).unwrap();
        edit(&mut env);
        env
    }

    fn with_domain(cloudfront: bool) -> Environment {
        env(|env| {
            env.dns = Some(crate::config::edge::DnsConfig {
                domain: "app.example.com".into(),
                api_domain: Some("api.example.com".into()),
                zone: crate::config::edge::ZoneRef::Name("example.com".into()),
                create_zone: true,
            });
            env.edge.cloudfront = cloudfront;
            env.integrations.certificate_arn = None;
        })
    }

    fn ids(declared: &[Declared]) -> Vec<&str> {
        declared.iter().map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn without_a_domain_nothing_is_declared() {
        let env = env(|env| env.dns = None);
        assert!(declare(&env, &Facts::any()).is_empty());
        assert_eq!(origin_domain(&env), None);
        assert_eq!(viewer_certificate(&env), None);
    }

    #[test]
    fn the_load_balancer_gets_a_certificate_and_the_names_point_at_it() {
        let env = with_domain(false);
        let declared = declare(&env, &Facts::any());
        assert_eq!(
            ids(&declared),
            [
                "dns-zone",
                "certificate-alb",
                "dns-validation-app",
                "dns-validation-api",
                "certificate-alb-validation",
                "dns-app",
                "dns-api"
            ]
        );
        assert_eq!(
            alb_certificate(&env),
            Some(Ref::new("certificate-alb-validation", "arn").into())
        );
        let validation = &declared[4];
        assert_eq!(
            validation.after,
            ["dns-validation-app", "dns-validation-api"]
        );
    }

    #[test]
    fn behind_cloudfront_two_certificates_share_the_validation_records() {
        let env = with_domain(true);
        let declared = declare(&env, &Facts::any());
        let ids = ids(&declared);
        assert!(ids.contains(&"certificate-edge"));
        assert!(ids.contains(&"dns-origin"));
        assert_eq!(
            ids.iter()
                .filter(|id| id.starts_with("dns-validation-"))
                .count(),
            3
        );
        let edge = declared
            .iter()
            .find(|d| d.id == "certificate-edge-validation")
            .unwrap();
        assert_eq!(edge.after, ["dns-validation-app", "dns-validation-api"]);
        assert_eq!(
            origin_domain(&env).as_deref(),
            Some("origin.app.example.com")
        );
    }
}
