//! ACM certificates (`acm:certificate`), requested with DNS validation for the app's names:
//! one in the environment's region for the load balancer, one in us-east-1 (`edge`) for
//! CloudFront, which only uses certificates from there.
//!
//! Why it is shaped this way:
//!
//! * **Found by tags.** A certificate has no name of its own (many certificates may cover the
//!   same domain), so the identity is the `macroctl:{stack,env,id}` tags, given at the request:
//!   `ListCertificates` over every status, narrowed to the spec's domain, then
//!   `ListTagsForCertificate` of each candidate.
//! * **Repeat-safe request.** `RequestCertificate` takes an `IdempotencyToken` (≤ 32 word
//!   characters): a repeat within an hour returns the same certificate. The engine's token
//!   (32 hex digits) fits as it is.
//! * **New names, new certificate.** ACM cannot change a certificate's names. A changed domain
//!   or SAN list is handled like a task definition's new revision: `update` requests a new
//!   certificate (token derived from the old ARN and the new names, so a repeat is the same
//!   request) and returns its ARN; what uses the certificate follows through its `Ref`. The
//!   old certificate is still in use by the listener or distribution at that moment, so it is
//!   left and named in a warning; `destroy` deletes it with the current one (same tags).
//! * **Readiness.** Real ACM fills in each name's validation record seconds after the request:
//!   until then the records (outputs) cannot be written, so the certificate is `Pending`.
//!   `PENDING_VALIDATION` with every record known is `Ready`: the records come next, and the
//!   `acm:certificate-validation` waiter waits for `ISSUED`.

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Readiness, Ref, Resolver, TagChanges, Tags, TAG_ENV, TAG_ID, TAG_STACK,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::output::Event;
use aws_sdk_acm::types::{CertificateStatus, ValidationMethod};

/// How many names a certificate's outputs carry validation records for (domain + 2 SANs).
pub const MAX_NAMES: usize = 3;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CertificateSpec {
    /// The certificate's domain name (`app.example.com`).
    pub domain: String,
    /// Further names, in the order their validation records are output (after the domain).
    pub subject_alternative_names: Vec<String>,
    /// In us-east-1 (for CloudFront) rather than the environment's region.
    pub edge: bool,
}

impl CertificateSpec {
    /// The domain, then the SANs: index `i` is output as `validation_<i>_*`.
    pub fn names(&self) -> Vec<String> {
        std::iter::once(self.domain.clone())
            .chain(
                (self.subject_alternative_names.iter())
                    .filter(|name| **name != self.domain)
                    .cloned(),
            )
            .collect()
    }
}

/// A name's DNS validation record, as ACM gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationRecord {
    pub domain: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct CertificateLive {
    pub arn: String,
    pub domain: String,
    /// Without the domain, sorted.
    pub sans: Vec<String>,
    /// `PENDING_VALIDATION`, `ISSUED`, `FAILED`, ...
    pub status: String,
    /// The domain's first, then in the spec's name order (names the spec lacks last);
    /// `None`: not given yet.
    pub records: Vec<(String, Option<ValidationRecord>)>,
    pub in_use_by: Vec<String>,
    pub tags: Tags,
}

pub struct Certificate;

fn client<'a>(ctx: &'a Ctx<'_>, spec: &CertificateSpec) -> &'a aws_sdk_acm::Client {
    if spec.edge {
        &ctx.aws.acm_edge
    } else {
        &ctx.aws.acm
    }
}

fn to_tags(tags: &Tags) -> Result<Vec<aws_sdk_acm::types::Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_acm::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| {
                    AwsError::other("AddTagsToCertificate", format!("invalid tag: {err}"))
                })
        })
        .collect()
}

async fn tags_of(acm: &aws_sdk_acm::Client, arn: &str) -> Result<Option<Tags>, AwsError> {
    let listed = (acm
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await)
        .op("ListTagsForCertificate")
        .found()?;
    Ok(listed.map(|out| {
        out.tags()
            .iter()
            .map(|tag| {
                (
                    tag.key().to_string(),
                    tag.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }))
}

/// The certificate `arn` with its tags; `None` when ACM does not know it.
async fn describe(
    acm: &aws_sdk_acm::Client,
    spec: &CertificateSpec,
    arn: &str,
) -> Result<Option<CertificateLive>, AwsError> {
    let described = async {
        (acm.describe_certificate().certificate_arn(arn).send().await)
            .op("DescribeCertificate")
            .found()
    };
    let (described, tags) = futures::try_join!(described, tags_of(acm, arn))?;
    let (Some(described), Some(tags)) = (described, tags) else {
        return Ok(None);
    };
    let Some(detail) = described.certificate() else {
        return Ok(None);
    };
    let domain = detail.domain_name().unwrap_or_default().to_string();
    let mut sans: Vec<String> = (detail.subject_alternative_names().iter())
        .filter(|name| **name != domain)
        .cloned()
        .collect();
    sans.sort();
    let order = spec.names();
    let mut records: Vec<(String, Option<ValidationRecord>)> =
        (detail.domain_validation_options().iter())
            .map(|option| {
                let record = option.resource_record().map(|record| ValidationRecord {
                    domain: option.domain_name().to_string(),
                    name: record.name().to_string(),
                    value: record.value().to_string(),
                });
                (option.domain_name().to_string(), record)
            })
            .collect();
    // The certificate's own domain first (validation_0), then the spec's order.
    records.sort_by_key(|(name, _)| {
        (
            *name != domain,
            order
                .iter()
                .position(|wanted| wanted == name)
                .unwrap_or(usize::MAX),
            name.clone(),
        )
    });
    Ok(Some(CertificateLive {
        arn: detail.certificate_arn().unwrap_or(arn).to_string(),
        domain,
        sans,
        status: detail
            .status()
            .map(|status| status.as_str().to_string())
            .unwrap_or_default(),
        records,
        in_use_by: detail.in_use_by().to_vec(),
        tags,
    }))
}

/// The ARNs of the certificates for `domain`, of every status.
async fn candidates(acm: &aws_sdk_acm::Client, domain: &str) -> Result<Vec<String>, AwsError> {
    let statuses = [
        CertificateStatus::PendingValidation,
        CertificateStatus::Issued,
        CertificateStatus::Inactive,
        CertificateStatus::Expired,
        CertificateStatus::ValidationTimedOut,
        CertificateStatus::Revoked,
        CertificateStatus::Failed,
    ];
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = acm
            .list_certificates()
            .set_certificate_statuses(Some(statuses.to_vec()))
            .set_next_token(next.take())
            .send()
            .await
            .op("ListCertificates")?;
        arns.extend(
            (page.certificate_summary_list().iter())
                .filter(|summary| summary.domain_name() == Some(domain))
                .filter_map(|summary| summary.certificate_arn())
                .map(str::to_string),
        );
        match page.next_token() {
            Some(token) if !token.is_empty() => next = Some(token.to_string()),
            _ => return Ok(arns),
        }
    }
}

/// The other certificates tagged as `live` is (stack, env, logical id): those requested for
/// earlier names, which `update` leaves while they are in use.
async fn left_behind(
    acm: &aws_sdk_acm::Client,
    live: &CertificateLive,
) -> Result<Vec<String>, AwsError> {
    let Some(id) = live.tags.get(TAG_ID) else {
        return Ok(Vec::new());
    };
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = acm
            .list_certificates()
            .set_next_token(next.take())
            .send()
            .await
            .op("ListCertificates")?;
        for arn in (page.certificate_summary_list().iter()).filter_map(|c| c.certificate_arn()) {
            if arn == live.arn {
                continue;
            }
            let Some(tags) = tags_of(acm, arn).await? else {
                continue;
            };
            let same = [TAG_STACK, TAG_ENV]
                .iter()
                .all(|k| tags.get(*k) == live.tags.get(*k));
            if same && tags.get(TAG_ID) == Some(id) {
                arns.push(arn.to_string());
            }
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next = Some(token.to_string()),
            _ => return Ok(arns),
        }
    }
}

fn sorted_sans(spec: &CertificateSpec) -> Vec<String> {
    let mut sans: Vec<String> = spec.names().into_iter().skip(1).collect();
    sans.sort();
    sans
}

/// `RequestCertificate` for the spec's names with DNS validation and the identity's tags.
async fn request(
    ctx: &Ctx<'_>,
    who: &Identity,
    spec: &CertificateSpec,
    token: &str,
) -> Result<String, AwsError> {
    let sans: Vec<String> = spec.names();
    let out = client(ctx, spec)
        .request_certificate()
        .domain_name(&spec.domain)
        // ACM lists the domain among the SANs too; giving it keeps the request canonical.
        .set_subject_alternative_names((sans.len() > 1).then_some(sans))
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(token)
        .set_tags(Some(to_tags(&who.tags)?))
        .send()
        .await
        .op("RequestCertificate")?;
    out.certificate_arn()
        .map(str::to_string)
        .ok_or_else(|| AwsError::other("RequestCertificate", "ACM returned no certificate ARN"))
}

impl Kind for Certificate {
    const KIND: &'static str = "acm:certificate";
    // No unique name: found by the macroctl tags given at the request.
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // The idempotency token makes a repeat (within an hour) return the same certificate.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &[
        "arn",
        "validation_0_name",
        "validation_0_value",
        "validation_1_name",
        "validation_1_value",
        "validation_2_name",
        "validation_2_value",
    ];
    type Spec = CertificateSpec;
    type Live = CertificateLive;

    fn refs(_spec: &CertificateSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &CertificateSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<CertificateLive>, AwsError> {
        let acm = client(ctx, spec);
        match lookup {
            Lookup::Id(arn) => describe(acm, spec, arn).await,
            Lookup::Identity => {
                let wanted = |tags: &Tags, key: &str| tags.get(key) == who.tags.get(key);
                for arn in candidates(acm, &spec.domain).await? {
                    let Some(tags) = tags_of(acm, &arn).await? else {
                        continue;
                    };
                    if [TAG_STACK, TAG_ENV, TAG_ID]
                        .iter()
                        .all(|key| wanted(&tags, key))
                    {
                        return describe(acm, spec, &arn).await;
                    }
                }
                Ok(None)
            }
        }
    }

    fn diff(
        spec: &CertificateSpec,
        live: &CertificateLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        // Changed by requesting a new certificate (see the module docs): not in place, but not
        // refused either.
        super::compare(&mut changes, "domain", &live.domain, &spec.domain, false);
        super::compare(
            &mut changes,
            "subject_alternative_names",
            &super::listed(&live.sans),
            &super::listed(sorted_sans(spec)),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &CertificateSpec,
        _resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError> {
        request(ctx, who, spec, token).await
    }

    /// A new certificate for the new names; the old one is left (still in use) and named.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &CertificateSpec,
        live: &CertificateLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let names = spec.names();
        let mut parts: Vec<&str> = vec![&live.arn];
        parts.extend(names.iter().map(String::as_str));
        let first = super::stable_hash(&parts);
        parts.push("macroctl");
        let token = format!("{first:016x}{:016x}", super::stable_hash(&parts));
        let arn = request(ctx, who, spec, &token).await?;
        ctx.reporter.report(Event::Warning {
            message: format!(
                "{} ({}): requested {arn} for {}; the previous certificate {} (for {}) is left in place while the listener or distribution still uses it: delete it with `aws acm delete-certificate` once `up` has finished (`destroy` deletes it too)",
                who.id,
                Self::KIND,
                names.join(", "),
                live.arn,
                live.domain
            ),
        });
        Ok(Some(arn))
    }

    fn readiness(live: &CertificateLive) -> Readiness {
        match live.status.as_str() {
            "FAILED" | "VALIDATION_TIMED_OUT" | "REVOKED" | "EXPIRED" => {
                Readiness::Failed(format!("certificate {} is {}", live.arn, live.status))
            }
            _ => {
                let missing: Vec<&str> = (live.records.iter())
                    .filter(|(_, record)| record.is_none())
                    .map(|(name, _)| name.as_str())
                    .collect();
                if live.records.is_empty() || !missing.is_empty() {
                    Readiness::Pending(format!(
                        "waiting for ACM to give the DNS validation records of {}",
                        if missing.is_empty() {
                            live.domain.clone()
                        } else {
                            missing.join(", ")
                        }
                    ))
                } else {
                    Readiness::Ready
                }
            }
        }
    }

    fn tags(live: &CertificateLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &CertificateLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        // The ARN names the region: pick the client that serves it.
        let acm = if live.arn.contains(":acm:us-east-1:") {
            &ctx.aws.acm_edge
        } else {
            &ctx.aws.acm
        };
        if !changes.set.is_empty() {
            acm.add_tags_to_certificate()
                .certificate_arn(&live.arn)
                .set_tags(Some(to_tags(&changes.set)?))
                .send()
                .await
                .op("AddTagsToCertificate")?;
        }
        if !changes.remove.is_empty() {
            let removed: Tags = (changes.remove.iter())
                .filter_map(|key| live.tags.get_key_value(key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            acm.remove_tags_from_certificate()
                .certificate_arn(&live.arn)
                .set_tags(Some(to_tags(&removed)?))
                .send()
                .await
                .op("RemoveTagsFromCertificate")?;
        }
        Ok(())
    }

    /// `ResourceInUseException` while a listener or distribution still uses it is retried
    /// by the engine (in use). The certificates earlier names left behind (see the module
    /// docs: same macroctl tags, another ARN) go first; every step is safe to repeat.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &CertificateLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        let acm = if live.arn.contains(":acm:us-east-1:") {
            &ctx.aws.acm_edge
        } else {
            &ctx.aws.acm
        };
        for arn in left_behind(acm, live).await? {
            (acm.delete_certificate().certificate_arn(&arn).send().await)
                .op("DeleteCertificate")
                .found()?;
        }
        (acm.delete_certificate()
            .certificate_arn(&live.arn)
            .send()
            .await)
            .op("DeleteCertificate")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &CertificateLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &CertificateLive) -> Outputs {
        let mut outputs = Outputs::from([("arn".to_string(), live.arn.clone())]);
        for index in 0..MAX_NAMES {
            let record = live
                .records
                .get(index)
                .and_then(|(_, record)| record.as_ref());
            outputs.insert(
                format!("validation_{index}_name"),
                record.map(|r| r.name.clone()).unwrap_or_default(),
            );
            outputs.insert(
                format!("validation_{index}_value"),
                record.map(|r| r.value.clone()).unwrap_or_default(),
            );
        }
        outputs
    }

    fn status(live: &CertificateLive) -> String {
        let names: Vec<&str> = std::iter::once(live.domain.as_str())
            .chain(live.sans.iter().map(String::as_str))
            .collect();
        format!("{} for {}", live.status, names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(domain: &str) -> (String, Option<ValidationRecord>) {
        (
            domain.to_string(),
            Some(ValidationRecord {
                domain: domain.to_string(),
                name: format!("_x.{domain}."),
                value: "_y.acm-validations.aws.".into(),
            }),
        )
    }

    fn live(status: &str) -> CertificateLive {
        CertificateLive {
            arn: "arn:aws:acm:eu-west-1:1:certificate/abc".into(),
            domain: "app.example.com".into(),
            sans: vec!["api.example.com".into()],
            status: status.into(),
            records: vec![record("app.example.com"), record("api.example.com")],
            in_use_by: Vec::new(),
            tags: Tags::new(),
        }
    }

    #[test]
    fn readiness_waits_for_the_records_not_for_issuance() {
        assert_eq!(
            Certificate::readiness(&live("PENDING_VALIDATION")),
            Readiness::Ready
        );
        let mut waiting = live("PENDING_VALIDATION");
        waiting.records[1].1 = None;
        assert!(
            matches!(Certificate::readiness(&waiting), Readiness::Pending(why) if why.contains("api.example.com"))
        );
        assert!(matches!(
            Certificate::readiness(&live("FAILED")),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn outputs_follow_the_spec_order_and_are_the_declared_ones() {
        let outputs = Certificate::outputs(&live("ISSUED"));
        assert_eq!(outputs["validation_0_name"], "_x.app.example.com.");
        assert_eq!(outputs["validation_1_name"], "_x.api.example.com.");
        assert_eq!(outputs["validation_2_name"], "");
        assert!(crate::resources::outputs_are_declared::<Certificate>(
            &live("ISSUED")
        ));
    }

    #[test]
    fn changed_names_are_an_update_that_requests_a_new_certificate() {
        let spec = CertificateSpec {
            domain: "app.example.com".into(),
            subject_alternative_names: vec!["api.example.com".into()],
            edge: false,
        };
        assert!(Certificate::diff(&spec, &live("ISSUED"), &Resolver::default()).is_empty());
        let moved = CertificateSpec {
            domain: "www.example.com".into(),
            ..spec
        };
        let changes = Certificate::diff(&moved, &live("ISSUED"), &Resolver::default());
        assert_eq!(changes.len(), 1);
        assert!(!changes[0].replace);
    }
}
