//! The wait for a certificate's validation (`acm:certificate-validation`), like Terraform's
//! `aws_acm_certificate_validation`: no AWS object of its own, only a node in the graph that
//! is ready once ACM has issued the certificate.
//!
//! Why a node of its own: the certificate is usable by its validation records as soon as ACM
//! gives them (the certificate kind is ready then), but a listener or distribution refuses it
//! until it is `ISSUED`, which takes the records being in Route 53 first. So the records
//! refer to the certificate, this waiter comes after the records, and whatever serves the
//! certificate refers to this waiter's `arn`. Its physical id is the certificate's ARN; it is
//! read with `DescribeCertificate`; creating, changing and deleting it make no AWS call, and
//! `destroy` forgets it at once (the certificate itself is deleted by its own node).

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Readiness, Ref, Resolver, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CertificateValidationSpec {
    /// The certificate's `arn`.
    pub certificate: Ref,
    /// In us-east-1 (the certificate's `edge`).
    pub edge: bool,
    /// The names validated, for the words of the wait.
    pub names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CertificateValidationLive {
    pub arn: String,
    pub status: String,
    pub names: Vec<String>,
}

pub struct CertificateValidation;

impl Kind for CertificateValidation {
    const KIND: &'static str = "acm:certificate-validation";
    // The certificate it waits for is its parent.
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // Makes no call.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn"];
    type Spec = CertificateValidationSpec;
    type Live = CertificateValidationLive;

    fn refs(spec: &CertificateValidationSpec) -> Vec<Ref> {
        vec![spec.certificate.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CertificateValidationSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<CertificateValidationLive>, AwsError> {
        let arn = match lookup {
            Lookup::Id(arn) => arn.to_string(),
            Lookup::Identity => match resolver.known(&spec.certificate) {
                Some(arn) => arn,
                None => return Ok(None),
            },
        };
        let acm = if spec.edge {
            &ctx.aws.acm_edge
        } else {
            &ctx.aws.acm
        };
        let described = (acm
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await)
            .op("DescribeCertificate")
            .found()?;
        Ok(described
            .as_ref()
            .and_then(|out| out.certificate())
            .map(|detail| CertificateValidationLive {
                arn: detail.certificate_arn().unwrap_or(&arn).to_string(),
                status: detail
                    .status()
                    .map(|status| status.as_str().to_string())
                    .unwrap_or_default(),
                names: spec.names.clone(),
            }))
    }

    /// A new certificate (new names) is a new wait: an update that makes no call.
    fn diff(
        spec: &CertificateValidationSpec,
        live: &CertificateValidationLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        super::compare(
            &mut changes,
            "certificate",
            &live.arn,
            &resolver.get(&spec.certificate),
            false,
        );
        changes
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CertificateValidationSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        Ok(resolver.get(&spec.certificate))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CertificateValidationSpec,
        _live: &CertificateValidationLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        Ok(Some(resolver.get(&spec.certificate)))
    }

    fn readiness(live: &CertificateValidationLive) -> Readiness {
        match live.status.as_str() {
            "ISSUED" => Readiness::Ready,
            "FAILED" | "VALIDATION_TIMED_OUT" | "REVOKED" | "EXPIRED" | "INACTIVE" => {
                Readiness::Failed(format!(
                    "certificate {} is {}: ACM did not validate {}",
                    live.arn,
                    live.status,
                    live.names.join(", ")
                ))
            }
            _ => Readiness::Pending(format!(
                "waiting for ACM to validate {} through the DNS records in Route 53",
                live.names.join(", ")
            )),
        }
    }

    fn tags(_live: &CertificateValidationLive) -> Option<&Tags> {
        None
    }

    async fn delete(
        _ctx: &Ctx<'_>,
        _live: &CertificateValidationLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        Ok(Deleted::Requested)
    }

    /// Nothing to delete: gone as soon as `destroy` reaches it.
    fn deletion(_live: &CertificateValidationLive) -> Deletion {
        Deletion::Gone
    }

    fn physical_id(live: &CertificateValidationLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &CertificateValidationLive) -> Outputs {
        Outputs::from([("arn".to_string(), live.arn.clone())])
    }

    fn status(live: &CertificateValidationLive) -> String {
        format!("{} ({})", live.status, live.names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(status: &str) -> CertificateValidationLive {
        CertificateValidationLive {
            arn: "arn:aws:acm:us-east-1:1:certificate/x".into(),
            status: status.into(),
            names: vec!["app.example.com".into()],
        }
    }

    #[test]
    fn ready_only_when_issued() {
        assert_eq!(
            CertificateValidation::readiness(&live("ISSUED")),
            Readiness::Ready
        );
        assert!(matches!(
            CertificateValidation::readiness(&live("PENDING_VALIDATION")),
            Readiness::Pending(why) if why.contains("app.example.com")
        ));
        assert!(matches!(
            CertificateValidation::readiness(&live("FAILED")),
            Readiness::Failed(_)
        ));
        assert_eq!(
            CertificateValidation::deletion(&live("ISSUED")),
            Deletion::Gone
        );
    }
}
