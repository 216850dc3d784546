//! The environment's CloudFront distribution: HTTPS in front of the load balancer (the UI by
//! default, the API under `/api/*`, never cached) and the assets bucket (the asset paths,
//! cached, read through the Origin Access Control). What it routes where is built in
//! `distribution_config`; this module maps it onto CloudFront's API.
//!
//! **Identity.** A distribution has no name. macroctl gives it the comment `<stack>-<env>` and
//! finds it by that comment (`ListDistributions`) when state does not know its id; the engine
//! then checks its tags (found by comment without macroctl's tags: someone else's, refused).
//! Reads by id are one `GetDistribution` (status, ETag, whole configuration); tags come from
//! the environment's `GetResources`, else `ListTagsForResource`.
//!
//! **Create** is one `CreateDistributionWithTags`, the identity tags included, with the
//! engine's client token as `CallerReference`: CloudFront answers a repeat of a reference with
//! the same configuration with the distribution it made, and with another configuration
//! `DistributionAlreadyExists` (then the engine finds it by comment and adopts it).
//!
//! **Updates** send the whole configuration (`UpdateDistribution` replaces it) with the ETag
//! read as `If-Match`. Someone who changed it in between makes CloudFront answer
//! `PreconditionFailed`; the engine then reads again (new ETag) and sends what still differs.
//!
//! **Deploying.** After every create and update CloudFront reports `InProgress` for minutes,
//! until every edge location has the change: the distribution is `Pending` until `Deployed`,
//! and the engine waits (interruptibly, showing how long). Dependents, the assets bucket whose
//! policy names this distribution, start afterwards.
//!
//! **Deleting.** CloudFront deletes only a distribution that is disabled and whose disabling
//! is deployed. `delete` reads it afresh (the engine may repeat `delete`, and the ETag changes
//! with every change), disables an enabled one, and asks for the deletion only once the
//! disabling is `Deployed`; until then it answers "in use" so the engine's delete loop waits
//! and calls again, as it does for `DependencyViolation` (`DistributionNotDisabled` from
//! CloudFront means the same).

use super::distribution_config::{self, describe};
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags, Value,
};
use crate::aws::{AwsError, ErrorClass, Found, IntoAwsError};
use aws_sdk_cloudfront::types::DistributionConfig;

/// The hosted zone id of every CloudFront distribution, for Route 53 alias records.
pub const CLOUDFRONT_HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DistributionSpec {
    /// `<stack>-<env>`: how the distribution is found (it has no name).
    pub comment: String,
    /// The load balancer: the UI and the API.
    pub app_origin: AppOrigin,
    /// The assets bucket, through the Origin Access Control.
    pub assets: AssetsOrigin,
    /// Path patterns served from the assets bucket.
    pub asset_paths: Vec<String>,
    /// `PriceClass_100`, `PriceClass_200` or `PriceClass_All`.
    pub price_class: String,
    /// The environment's own names (with `certificate`).
    pub aliases: Vec<String>,
    /// A us-east-1 ACM certificate for `aliases`; `None`: CloudFront's `*.cloudfront.net` one.
    pub certificate: Option<Value>,
    /// The CLOUDFRONT-scope web ACL's ARN.
    pub web_acl: Option<Ref>,
    /// The logs bucket's name, for access logs under `cloudfront/`; `None`: no access logs.
    pub logs_bucket: Option<Ref>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AppOrigin {
    /// `origin.<domain>` (covered by the load balancer's certificate), or its DNS name.
    pub domain: Value,
    /// HTTPS only (TLS 1.2), else HTTP only.
    pub https: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AssetsOrigin {
    /// `<bucket>.s3.<region>.amazonaws.com`.
    pub domain: String,
    /// The Origin Access Control's id.
    pub origin_access_control: Ref,
}

#[derive(Debug, Clone)]
pub struct DistributionLive {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    /// `InProgress` or `Deployed`.
    pub status: String,
    /// The version `If-Match` must name.
    pub etag: String,
    /// The whole configuration, as CloudFront reports it (boxed: it is large).
    pub config: Box<DistributionConfig>,
    pub tags: Tags,
}

pub struct Distribution;

const DEPLOYING: &str = "CloudFront is deploying the distribution (InProgress; minutes on AWS)";

fn to_tags(tags: &Tags, operation: &str) -> Result<aws_sdk_cloudfront::types::Tags, AwsError> {
    let items = tags
        .iter()
        .map(|(key, value)| {
            aws_sdk_cloudfront::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| AwsError::other(operation, format!("invalid tag: {err}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(aws_sdk_cloudfront::types::Tags::builder()
        .set_items(Some(items))
        .build())
}

/// The distribution's tags: from the environment's `GetResources` while planning, else its
/// own `ListTagsForResource`.
async fn tags_of(ctx: &Ctx<'_>, arn: &str) -> Result<Tags, AwsError> {
    if let Some(tags) = ctx.inventory.tags_of(ctx, arn).await? {
        return Ok(tags);
    }
    let out = (ctx.aws.cloudfront)
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok((out.tags().map(|t| t.items()).unwrap_or_default().iter())
        .map(|tag| {
            (
                tag.key().to_string(),
                tag.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// The distribution `id` with its tags; `None` when CloudFront does not know it.
async fn get(ctx: &Ctx<'_>, id: &str) -> Result<Option<DistributionLive>, AwsError> {
    // NoSuchDistribution: absent.
    let Some(out) = (ctx.aws.cloudfront)
        .get_distribution()
        .id(id)
        .send()
        .await
        .op("GetDistribution")
        .found()?
    else {
        return Ok(None);
    };
    let (Some(distribution), Some(config)) = (
        out.distribution(),
        out.distribution().and_then(|d| d.distribution_config()),
    ) else {
        return Ok(None);
    };
    let tags = tags_of(ctx, distribution.arn()).await?;
    Ok(Some(DistributionLive {
        id: distribution.id().to_string(),
        arn: distribution.arn().to_string(),
        domain_name: distribution.domain_name().to_string(),
        status: distribution.status().to_string(),
        etag: out.e_tag().unwrap_or_default().to_string(),
        config: Box::new(config.clone()),
        tags,
    }))
}

/// The id of the distribution with `comment`: the one tagged for this environment when
/// several have it (one made by hand, say), else the first (which the engine's ownership
/// check then refuses, untagged or another environment's).
async fn find_by_comment(ctx: &Ctx<'_>, comment: &str) -> Result<Option<String>, AwsError> {
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = (ctx.aws.cloudfront)
            .list_distributions()
            .set_marker(marker.take())
            .send()
            .await
            .op("ListDistributions")?;
        let Some(list) = page.distribution_list() else {
            break;
        };
        found.extend(
            (list.items().iter())
                .filter(|d| d.comment() == comment)
                .map(|d| (d.id().to_string(), d.arn().to_string())),
        );
        match list.next_marker() {
            Some(next) if list.is_truncated() && !next.is_empty() => {
                marker = Some(next.to_string())
            }
            _ => break,
        }
    }
    if found.len() > 1 {
        for (id, arn) in &found {
            let tags = tags_of(ctx, arn).await?;
            if tags::owner(&tags, ctx.stack, ctx.env) == tags::Owner::Ours {
                return Ok(Some(id.clone()));
            }
        }
    }
    Ok(found.into_iter().next().map(|(id, _)| id))
}

impl Kind for Distribution {
    const KIND: &'static str = "cloudfront:distribution";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The CallerReference is the client token: a repeat returns the same distribution, or
    // answers DistributionAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] =
        &["id", "arn", "domain_name", "canonical_hosted_zone_id"];
    type Spec = DistributionSpec;
    type Live = DistributionLive;

    fn refs(spec: &DistributionSpec) -> Vec<Ref> {
        let mut refs: Vec<Ref> = [spec.app_origin.domain.reference()]
            .into_iter()
            .flatten()
            .collect();
        refs.push(spec.assets.origin_access_control.clone());
        refs.extend(spec.certificate.iter().filter_map(Value::reference));
        refs.extend(spec.web_acl.iter().cloned());
        refs.extend(spec.logs_bucket.iter().cloned());
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DistributionSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<DistributionLive>, AwsError> {
        match lookup {
            Lookup::Id(id) => get(ctx, id).await,
            Lookup::Identity => match find_by_comment(ctx, &spec.comment).await? {
                Some(id) => get(ctx, &id).await,
                None => Ok(None),
            },
        }
    }

    /// Field by field, in the words of `distribution_config::describe`, for what is desired
    /// and what CloudFront reports; a field CloudFront does not report is unknown.
    fn diff(
        spec: &DistributionSpec,
        live: &DistributionLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let desired =
            match distribution_config::build(spec, resolver, live.config.caller_reference()) {
                Ok(config) => describe(&config),
                Err(err) => return vec![FieldChange::update("configuration", "(live)", err)],
            };
        let live_fields = describe(&live.config);
        let absent = || Some("(absent)".to_string());
        let mut changes = Vec::new();
        for (field, want) in &desired {
            let want = want.clone().unwrap_or_default();
            match live_fields.get(field) {
                Some(None) => {} // not reported: unknown
                Some(Some(have)) => super::compare(&mut changes, field, have, &want, false),
                None => changes.push(FieldChange::update(field, "(absent)", want)),
            }
        }
        for (field, have) in &live_fields {
            if !desired.contains_key(field) {
                let have = have.clone().or_else(absent).unwrap_or_default();
                changes.push(FieldChange::update(field, have, "(absent)"));
            }
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &DistributionSpec,
        resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError> {
        let operation = "CreateDistributionWithTags";
        let with_tags = aws_sdk_cloudfront::types::DistributionConfigWithTags::builder()
            .distribution_config(distribution_config::build(spec, resolver, token)?)
            .tags(to_tags(&who.tags, operation)?)
            .build();
        let out = (ctx.aws.cloudfront)
            .create_distribution_with_tags()
            .distribution_config_with_tags(with_tags)
            .send()
            .await
            .op(operation)?;
        out.distribution()
            .map(|d| d.id().to_string())
            .ok_or_else(|| AwsError::other(operation, "CloudFront returned no distribution"))
    }

    /// One `UpdateDistribution` with the whole desired configuration (keeping the
    /// `CallerReference`), conditional on the ETag read.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DistributionSpec,
        live: &DistributionLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let config = distribution_config::build(spec, resolver, live.config.caller_reference())?;
        (ctx.aws.cloudfront)
            .update_distribution()
            .id(&live.id)
            .if_match(&live.etag)
            .distribution_config(config)
            .send()
            .await
            .op("UpdateDistribution")?;
        Ok(None)
    }

    fn readiness(live: &DistributionLive) -> super::Readiness {
        if live.status == "Deployed" {
            super::Readiness::Ready
        } else {
            super::Readiness::Pending(DEPLOYING.to_string())
        }
    }

    fn tags(live: &DistributionLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &DistributionLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        let cloudfront = &ctx.aws.cloudfront;
        if !changes.set.is_empty() {
            cloudfront
                .tag_resource()
                .resource(&live.arn)
                .tags(to_tags(&changes.set, "TagResource")?)
                .send()
                .await
                .op("TagResource")?;
        }
        if !changes.remove.is_empty() {
            let keys = aws_sdk_cloudfront::types::TagKeys::builder()
                .set_items(Some(changes.remove.clone()))
                .build();
            cloudfront
                .untag_resource()
                .resource(&live.arn)
                .tag_keys(keys)
                .send()
                .await
                .op("UntagResource")?;
        }
        Ok(())
    }

    /// Disables it (if enabled), then deletes it once the disabling is deployed; until then
    /// "in use", which the engine waits out and calls again. Each call reads it afresh, since
    /// every change gives it a new ETag.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &DistributionLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        let cloudfront = &ctx.aws.cloudfront;
        let Some(now) = get(ctx, &live.id).await? else {
            return Ok(Deleted::Requested);
        };
        let (mut status, mut etag) = (now.status.clone(), now.etag.clone());
        if now.config.enabled() {
            let mut disabled = *now.config.clone();
            disabled.enabled = false;
            let out = cloudfront
                .update_distribution()
                .id(&now.id)
                .if_match(&now.etag)
                .distribution_config(disabled)
                .send()
                .await
                .op("UpdateDistribution")?;
            status = (out.distribution().map(|d| d.status().to_string()))
                .unwrap_or_else(|| "InProgress".to_string());
            etag = out.e_tag().unwrap_or_default().to_string();
        }
        if status != "Deployed" {
            return Err(AwsError::other(
                "DeleteDistribution",
                format!(
                    "not sent yet: {} is disabled, and CloudFront is still deploying that (InProgress; minutes on AWS); it can be deleted once Deployed",
                    now.id
                ),
            )
            .with_class(ErrorClass::InUse));
        }
        // NoSuchDistribution: already gone.
        cloudfront
            .delete_distribution()
            .id(&now.id)
            .if_match(&etag)
            .send()
            .await
            .op("DeleteDistribution")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &DistributionLive) -> String {
        live.id.clone()
    }

    fn outputs(live: &DistributionLive) -> Outputs {
        Outputs::from([
            ("id".into(), live.id.clone()),
            ("arn".into(), live.arn.clone()),
            ("domain_name".into(), live.domain_name.clone()),
            (
                "canonical_hosted_zone_id".into(),
                CLOUDFRONT_HOSTED_ZONE_ID.to_string(),
            ),
        ])
    }

    fn status(live: &DistributionLive) -> String {
        format!(
            "{}, {} ({})",
            live.status,
            if live.config.enabled() {
                "enabled"
            } else {
                "disabled"
            },
            live.domain_name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::LogicalId;

    fn spec() -> DistributionSpec {
        DistributionSpec {
            comment: "macro-ai-staging".into(),
            app_origin: AppOrigin {
                domain: Value::Ref(Ref::new("load-balancer", "dns_name")),
                https: false,
            },
            assets: AssetsOrigin {
                domain: "assets.s3.us-east-1.amazonaws.com".into(),
                origin_access_control: Ref::new("cloudfront-oac", "id"),
            },
            asset_paths: vec!["/assets/*".into()],
            price_class: "PriceClass_100".into(),
            aliases: Vec::new(),
            certificate: None,
            web_acl: None,
            logs_bucket: Some(Ref::new("bucket-logs", "name")),
        }
    }

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        for (id, output, value) in [
            (
                "load-balancer",
                "dns_name",
                "lb.us-east-1.elb.amazonaws.com",
            ),
            ("cloudfront-oac", "id", "E2OAC"),
            ("bucket-logs", "name", "logs"),
        ] {
            resolver.set(
                &LogicalId::new(id),
                Outputs::from([(output.to_string(), value.to_string())]),
            );
        }
        resolver
    }

    fn live(config: DistributionConfig) -> DistributionLive {
        DistributionLive {
            id: "E1".into(),
            arn: "arn:aws:cloudfront::123456789012:distribution/E1".into(),
            domain_name: "d1.cloudfront.net".into(),
            status: "Deployed".into(),
            etag: "ETAG1".into(),
            config: Box::new(config),
            tags: Tags::new(),
        }
    }

    #[test]
    fn what_was_built_diffs_empty_and_a_price_class_changed_is_one_change() {
        let resolver = resolver();
        let built = distribution_config::build(&spec(), &resolver, "token").unwrap();
        assert!(Distribution::diff(&spec(), &live(built.clone()), &resolver).is_empty());
        let described = describe(&built);
        assert_eq!(
            described["behavior /api/*"].as_deref(),
            Some("→ app, redirect-to-https, cache CachingDisabled, origin request AllViewerExceptHostHeader, DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT (cached GET,HEAD), compressed")
        );
        assert_eq!(
            described["access_logs"].as_deref(),
            Some("s3://logs.s3.amazonaws.com/cloudfront/")
        );
        let mut cheaper = built;
        cheaper.price_class = Some(aws_sdk_cloudfront::types::PriceClass::PriceClassAll);
        let changes = Distribution::diff(&spec(), &live(cheaper), &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "price_class");
        assert_eq!(changes[0].new, "PriceClass_100");
    }

    #[test]
    fn an_s3_origin_reported_without_its_access_settings_is_unknown_not_a_difference() {
        let resolver = resolver();
        let mut built = distribution_config::build(&spec(), &resolver, "token").unwrap();
        // moto drops S3OriginConfig and the OAC id.
        if let Some(origins) = built.origins.as_mut() {
            for origin in &mut origins.items {
                if origin.id == distribution_config::ORIGIN_ASSETS {
                    origin.s3_origin_config = None;
                    origin.origin_access_control_id = None;
                }
            }
        }
        assert!(Distribution::diff(&spec(), &live(built), &resolver).is_empty());
    }

    #[test]
    fn readiness_waits_for_deployed_and_outputs_are_the_declared_ones() {
        let resolver = resolver();
        let built = distribution_config::build(&spec(), &resolver, "token").unwrap();
        let deploying = DistributionLive {
            status: "InProgress".into(),
            ..live(built.clone())
        };
        assert!(matches!(
            Distribution::readiness(&deploying),
            super::super::Readiness::Pending(_)
        ));
        assert_eq!(
            Distribution::readiness(&live(built.clone())),
            super::super::Readiness::Ready
        );
        let mut keys: Vec<String> = Distribution::outputs(&live(built)).into_keys().collect();
        keys.sort();
        let mut declared = Distribution::OUTPUTS.to_vec();
        declared.sort();
        assert_eq!(keys, declared);
    }
}
