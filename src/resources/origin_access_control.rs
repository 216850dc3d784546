//! The CloudFront Origin Access Control (`<stack>-<env>-assets`) through which the
//! distribution reads the assets bucket: S3, always signing requests with SigV4, so the bucket
//! can stay private and admit only CloudFront acting for this distribution (its policy names
//! the distribution's ARN; see `stack::storage`).
//!
//! An OAC carries no tags (CloudFront has no tagging for it), so ownership rests on the name:
//! OAC names are unique in an account (a second `CreateOriginAccessControl` of a name answers
//! `OriginAccessControlAlreadyExists`, which also makes the create safe to repeat), and
//! macroctl's name contains the stack and the environment, so an OAC of that name is taken to
//! be the environment's, as a bucket or a role of a macroctl name would be if it carried no
//! tags. Its description says which stack and environment made it, for people reading the
//! console. `destroy` deletes it after the distribution (which refers to it) is gone: CloudFront
//! refuses to delete one a distribution still uses (`OriginAccessControlInUse`, waited out).
//!
//! Reads are by id (`GetOriginAccessControl`, which also gives the ETag updates and deletes
//! must send as `If-Match`); by name through `ListOriginAccessControls`, once, when state
//! does not know the id.

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OriginAccessControlSpec {
    /// `<stack>-<env>-assets`: unique in the account, the OAC's identity.
    pub name: String,
    /// For people: which stack and environment made it.
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct OriginAccessControlLive {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `s3`, `mediastore`, ...
    pub origin_type: String,
    /// `sigv4`.
    pub signing_protocol: String,
    /// `always`, `never` or `no-override`.
    pub signing_behavior: String,
    /// The version `If-Match` must name.
    pub etag: String,
}

pub struct OriginAccessControl;

const ORIGIN_TYPE: &str = "s3";
const SIGNING_PROTOCOL: &str = "sigv4";
const SIGNING_BEHAVIOR: &str = "always";

fn config(spec: &OriginAccessControlSpec) -> Result<OriginAccessControlConfig, AwsError> {
    OriginAccessControlConfig::builder()
        .name(&spec.name)
        .description(&spec.description)
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .build()
        .map_err(|err| {
            AwsError::other(
                "CreateOriginAccessControl",
                format!("cannot build the request: {err}"),
            )
        })
}

/// The OAC `id` with its ETag; `None` when CloudFront does not know it.
async fn get(ctx: &Ctx<'_>, id: &str) -> Result<Option<OriginAccessControlLive>, AwsError> {
    // NoSuchOriginAccessControl: absent.
    let Some(out) = (ctx.aws.cloudfront)
        .get_origin_access_control()
        .id(id)
        .send()
        .await
        .op("GetOriginAccessControl")
        .found()?
    else {
        return Ok(None);
    };
    let Some(control) = out.origin_access_control() else {
        return Ok(None);
    };
    let config = control.origin_access_control_config();
    Ok(Some(OriginAccessControlLive {
        id: control.id().to_string(),
        name: config.map(|c| c.name().to_string()).unwrap_or_default(),
        description: (config.and_then(|c| c.description()))
            .unwrap_or_default()
            .to_string(),
        origin_type: config
            .map(|c| c.origin_access_control_origin_type().as_str().to_string())
            .unwrap_or_default(),
        signing_protocol: config
            .map(|c| c.signing_protocol().as_str().to_string())
            .unwrap_or_default(),
        signing_behavior: config
            .map(|c| c.signing_behavior().as_str().to_string())
            .unwrap_or_default(),
        etag: out.e_tag().unwrap_or_default().to_string(),
    }))
}

/// The id of the account's OAC named `name`, if there is one (names are unique).
async fn find_by_name(ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, AwsError> {
    let mut marker: Option<String> = None;
    loop {
        let page = (ctx.aws.cloudfront)
            .list_origin_access_controls()
            .set_marker(marker.take())
            .send()
            .await
            .op("ListOriginAccessControls")?;
        let Some(list) = page.origin_access_control_list() else {
            return Ok(None);
        };
        if let Some(found) = list.items().iter().find(|oac| oac.name() == name) {
            return Ok(Some(found.id().to_string()));
        }
        match list.next_marker() {
            Some(next) if list.is_truncated() && !next.is_empty() => {
                marker = Some(next.to_string())
            }
            _ => return Ok(None),
        }
    }
}

impl Kind for OriginAccessControl {
    const KIND: &'static str = "cloudfront:origin-access-control";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // Names are unique in the account: a repeat answers OriginAccessControlAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["id", "name"];
    type Spec = OriginAccessControlSpec;
    type Live = OriginAccessControlLive;

    fn refs(_spec: &OriginAccessControlSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &OriginAccessControlSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<OriginAccessControlLive>, AwsError> {
        match lookup {
            Lookup::Id(id) => get(ctx, id).await,
            Lookup::Identity => match find_by_name(ctx, &spec.name).await? {
                Some(id) => get(ctx, &id).await,
                None => Ok(None),
            },
        }
    }

    fn diff(
        spec: &OriginAccessControlSpec,
        live: &OriginAccessControlLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        if live.name != spec.name {
            return vec![FieldChange::replace("name", &live.name, &spec.name)];
        }
        let mut changes = Vec::new();
        for (field, old, new) in [
            ("origin_type", &live.origin_type, ORIGIN_TYPE),
            ("signing_protocol", &live.signing_protocol, SIGNING_PROTOCOL),
            ("signing_behavior", &live.signing_behavior, SIGNING_BEHAVIOR),
            ("description", &live.description, spec.description.as_str()),
        ] {
            super::compare(&mut changes, field, old, new, false);
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &OriginAccessControlSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let out = (ctx.aws.cloudfront)
            .create_origin_access_control()
            .origin_access_control_config(config(spec)?)
            .send()
            .await
            .op("CreateOriginAccessControl")?;
        out.origin_access_control()
            .map(|control| control.id().to_string())
            .ok_or_else(|| {
                AwsError::other(
                    "CreateOriginAccessControl",
                    "CloudFront returned no origin access control id",
                )
            })
    }

    /// `UpdateOriginAccessControl` with the whole configuration and the ETag read: a repeat
    /// sets the same; a stale ETag (`PreconditionFailed`) makes the engine read again.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &OriginAccessControlSpec,
        live: &OriginAccessControlLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        (ctx.aws.cloudfront)
            .update_origin_access_control()
            .id(&live.id)
            .if_match(&live.etag)
            .origin_access_control_config(config(spec)?)
            .send()
            .await
            .op("UpdateOriginAccessControl")?;
        Ok(None)
    }

    fn tags(_live: &OriginAccessControlLive) -> Option<&Tags> {
        None
    }

    /// Refused with `OriginAccessControlInUse` while a distribution still names it (the
    /// engine retries); already gone is done.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &OriginAccessControlLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        (ctx.aws.cloudfront)
            .delete_origin_access_control()
            .id(&live.id)
            .if_match(&live.etag)
            .send()
            .await
            .op("DeleteOriginAccessControl")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &OriginAccessControlLive) -> String {
        live.id.clone()
    }

    fn outputs(live: &OriginAccessControlLive) -> Outputs {
        Outputs::from([
            ("id".into(), live.id.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &OriginAccessControlLive) -> String {
        format!(
            "{} {} signing {}",
            live.origin_type, live.signing_protocol, live.signing_behavior
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> OriginAccessControlSpec {
        OriginAccessControlSpec {
            name: "macro-ai-staging-assets".into(),
            description: "macro-ai staging assets bucket (managed by macroctl)".into(),
        }
    }

    fn live() -> OriginAccessControlLive {
        OriginAccessControlLive {
            id: "E2QWRUHAPOMQZL".into(),
            name: "macro-ai-staging-assets".into(),
            description: spec().description,
            origin_type: "s3".into(),
            signing_protocol: "sigv4".into(),
            signing_behavior: "always".into(),
            etag: "E1".into(),
        }
    }

    #[test]
    fn a_converged_oac_diffs_empty_and_signing_off_is_one_change() {
        let resolver = Resolver::default();
        assert!(OriginAccessControl::diff(&spec(), &live(), &resolver).is_empty());
        let lax = OriginAccessControlLive {
            signing_behavior: "no-override".into(),
            ..live()
        };
        let changes = OriginAccessControl::diff(&spec(), &lax, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "signing_behavior");
        assert!(!changes[0].replace);
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        let keys: Vec<String> = OriginAccessControl::outputs(&live()).into_keys().collect();
        assert_eq!(keys, OriginAccessControl::OUTPUTS);
    }
}
