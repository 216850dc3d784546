//! S3 buckets: the environment's `assets` (the UI's static files), `logs` (ALB access logs and
//! CloudTrail) and, where asked, `backups` buckets.
//!
//! Every bucket gets the same baseline, the one AWS Foundational Security Best Practices asks
//! for: versioning on, default encryption (SSE-S3), all four public-access blocks, object
//! ownership enforced (ACLs off), a policy that denies requests without TLS (plus whatever
//! else the stack declares: the logs bucket admits ALB log delivery and CloudTrail), lifecycle
//! rules (replaced and deleted versions expire; the logs bucket's objects expire) and tags.
//! Two exceptions a layer may ask for: the assets bucket admits CloudFront reading its
//! objects for one distribution only (`cloudfront_reader`), and the logs bucket of an
//! environment with CloudFront access logs keeps ACLs on (`BucketOwnerPreferred`), because
//! CloudFront's standard log delivery writes through them.
//!
//! A bucket has no single call that reports its configuration: `read` asks its versioning
//! (whose `NoSuchBucket` tells absence), then encryption, public-access block, ownership
//! controls, policy, lifecycle and tags at the same time (the tags from the environment's one `GetResources`
//! while planning). A setting S3 reports as not configured (`NoSuchBucketPolicy`,
//! `NoSuchPublicAccessBlockConfiguration`, ...) reads as absent, so a bucket someone stripped
//! of its baseline diffs against it. The policy is compared as JSON (S3 returns it reformatted).
//!
//! `CreateBucket` makes the bucket with its identity tags (so it is never untagged) and is safe
//! to repeat: the name is unique across S3, and a repeat answers `BucketAlreadyOwnedByYou`
//! (or, in us-east-1, success); the settings are the update the
//! engine makes next, each one a `Put` that sets the whole setting, so repeating any is
//! harmless. A name another account holds (`BucketAlreadyExists`) cannot be ours: the error
//! names `storage.bucket_prefix`. `PutBucketTagging` replaces the whole tag set, so
//! `set_tags` writes the live tags with the changes applied, never only the changes.
//!
//! `delete` empties the bucket first (every object version and delete marker, a thousand per
//! `DeleteObjects`) only with `destroy --delete-bucket-contents`; without it `destroy` refuses
//! before deleting anything when a bucket holds objects (see [`holds_objects`]).

use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::resources::iam_role::{normalize_policy, POLICY_VERSION};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use serde_json::{json, Value};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct S3BucketSpec {
    /// The bucket name, e.g. `macro-ai-staging-logs-123456789012`.
    pub name: String,
    /// Days a replaced or deleted object version is kept.
    pub noncurrent_version_days: u32,
    /// Days after which current objects expire (the logs bucket); `None` keeps them.
    pub expiration_days: Option<u32>,
    /// Policy statements besides the TLS-only denial every bucket gets.
    pub policy_statements: Vec<Value>,
    /// The CloudFront distribution (its ARN) that may read the bucket's objects through its
    /// Origin Access Control: `s3:GetObject` for `cloudfront.amazonaws.com` when
    /// `AWS:SourceArn` is that distribution, and for nothing else.
    #[serde(default)]
    pub cloudfront_reader: Option<Ref>,
    /// Object ownership `BucketOwnerPreferred` (ACLs on) instead of `BucketOwnerEnforced`:
    /// the logs bucket with CloudFront access logs, whose legacy delivery writes through
    /// ACLs (see `stack::storage`).
    #[serde(default)]
    pub acls_for_log_delivery: bool,
}

#[derive(Debug, Clone)]
pub struct S3BucketLive {
    pub name: String,
    /// `Enabled`, `Suspended`, or `None` for a bucket never versioned.
    pub versioning: Option<String>,
    /// The default encryption algorithm (`AES256`, `aws:kms`), if any.
    pub encryption: Option<String>,
    /// Which of the four public-access blocks are on, as `BlockPublicAcls, IgnorePublicAcls,
    /// BlockPublicPolicy, RestrictPublicBuckets`.
    pub public_access_block: [bool; 4],
    /// `BucketOwnerEnforced`, ..., or `None` when no ownership controls are set.
    pub object_ownership: Option<String>,
    /// The bucket policy, normalised; `None` when the bucket has none.
    pub policy: Option<String>,
    /// The lifecycle rules, described (see [`describe_rule`]), sorted.
    pub lifecycle: Vec<String>,
    pub tags: Tags,
}

pub struct S3Bucket;

/// The lifecycle rule every bucket gets, and the logs bucket's second one.
const RULE_VERSIONS: &str = "expire-noncurrent-versions";
const RULE_OBJECTS: &str = "expire-objects";
/// Days after which an upload never completed is aborted (its parts cost storage).
const ABORT_INCOMPLETE_DAYS: i32 = 7;
const NOT_SET: &str = "(not set)";
const OWNERSHIP: &str = "BucketOwnerEnforced";
const OWNERSHIP_WITH_ACLS: &str = "BucketOwnerPreferred";
const ENCRYPTION: &str = "AES256";
const FIELD_VERSIONING: &str = "versioning";
const FIELD_ENCRYPTION: &str = "encryption";
const FIELD_PUBLIC_ACCESS: &str = "public_access_block";
const FIELD_OWNERSHIP: &str = "object_ownership";
const FIELD_POLICY: &str = "policy";
const FIELD_LIFECYCLE: &str = "lifecycle";

pub fn arn(name: &str) -> String {
    format!("arn:aws:s3:::{name}")
}

/// The statement every bucket's policy starts with: no request without TLS.
fn deny_insecure_transport(name: &str) -> Value {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn(name), format!("{}/*", arn(name))],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })
}

/// The policy document `spec` asks for.
pub fn policy_document(spec: &S3BucketSpec, resolver: &Resolver) -> String {
    let mut statements = vec![deny_insecure_transport(&spec.name)];
    statements.extend(spec.policy_statements.iter().cloned());
    if let Some(distribution) = &spec.cloudfront_reader {
        statements.push(json!({
            "Sid": "CloudFrontReadsObjects",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": format!("{}/*", arn(&spec.name)),
            "Condition": {"StringEquals": {"AWS:SourceArn": resolver.get(distribution)}},
        }));
    }
    json!({"Version": POLICY_VERSION, "Statement": statements}).to_string()
}

/// The object ownership `spec` asks for.
fn ownership(spec: &S3BucketSpec) -> &'static str {
    if spec.acls_for_log_delivery {
        OWNERSHIP_WITH_ACLS
    } else {
        OWNERSHIP
    }
}

/// One lifecycle rule in short words, the same for a desired and a live rule, so the two
/// compare: `versions 30d, uploads 7d` (a rule of macroctl's), `other-rule: objects 90d`.
fn describe_rule(
    id: &str,
    enabled: bool,
    expiration_days: Option<i32>,
    noncurrent_days: Option<i32>,
    abort_days: Option<i32>,
) -> String {
    let mut parts = Vec::new();
    if let Some(days) = noncurrent_days {
        parts.push(format!("versions {days}d"));
    }
    if let Some(days) = abort_days {
        parts.push(format!("uploads {days}d"));
    }
    if let Some(days) = expiration_days {
        parts.push(format!("objects {days}d"));
    }
    let mut text = parts.join(", ");
    if !enabled {
        text.push_str(" (disabled)");
    }
    if id == RULE_VERSIONS || id == RULE_OBJECTS {
        text
    } else {
        format!("{id}: {text}")
    }
}

/// The lifecycle rules `spec` asks for, described.
fn desired_lifecycle(spec: &S3BucketSpec) -> Vec<String> {
    let mut rules = vec![describe_rule(
        RULE_VERSIONS,
        true,
        None,
        Some(spec.noncurrent_version_days as i32),
        Some(ABORT_INCOMPLETE_DAYS),
    )];
    if let Some(days) = spec.expiration_days {
        rules.push(describe_rule(
            RULE_OBJECTS,
            true,
            Some(days as i32),
            None,
            None,
        ));
    }
    rules.sort();
    rules
}

fn describe_live_rule(rule: &LifecycleRule) -> String {
    describe_rule(
        rule.id().unwrap_or("(no id)"),
        rule.status() == &ExpirationStatus::Enabled,
        rule.expiration().and_then(|e| e.days()),
        rule.noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
        rule.abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
    )
}

fn build_error(operation: &str, err: impl std::fmt::Display) -> AwsError {
    AwsError::other(operation, format!("cannot build the request: {err}"))
}

/// The bucket `name`, with every setting macroctl manages; `None` when it does not exist.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<S3BucketLive>, AwsError> {
    let s3 = ctx.aws.s3();
    // Versioning first: its NoSuchBucket tells that the bucket does not exist (a HeadBucket
    // would cost a call more). AccessDenied means another account holds the name.
    let Some(versioning) = (s3.get_bucket_versioning().bucket(name).send().await)
        .op("GetBucketVersioning")
        .found()?
    else {
        return Ok(None);
    };
    let versioning = versioning.status().map(|s| s.as_str().to_string());
    // The rest at the same time; each "not configured" answer (NoSuch..., ...NotFoundError)
    // reads as absent.
    let encryption = async {
        let out = (s3.get_bucket_encryption().bucket(name).send().await)
            .op("GetBucketEncryption")
            .found()?;
        Ok::<_, AwsError>(out.and_then(|out| {
            let rule = out
                .server_side_encryption_configuration()?
                .rules()
                .first()?;
            let default = rule.apply_server_side_encryption_by_default()?;
            Some(default.sse_algorithm().as_str().to_string())
        }))
    };
    let public_access = async {
        let out = (s3.get_public_access_block().bucket(name).send().await)
            .op("GetPublicAccessBlock")
            .found()?;
        let block = out
            .as_ref()
            .and_then(|out| out.public_access_block_configuration());
        Ok::<_, AwsError>(block.map_or([false; 4], |b| {
            [
                b.block_public_acls().unwrap_or(false),
                b.ignore_public_acls().unwrap_or(false),
                b.block_public_policy().unwrap_or(false),
                b.restrict_public_buckets().unwrap_or(false),
            ]
        }))
    };
    let ownership = async {
        let out = (s3.get_bucket_ownership_controls().bucket(name).send().await)
            .op("GetBucketOwnershipControls")
            .found()?;
        Ok::<_, AwsError>(out.and_then(|out| {
            let rule = out.ownership_controls()?.rules().first()?;
            Some(rule.object_ownership().as_str().to_string())
        }))
    };
    let policy = async {
        let out = (s3.get_bucket_policy().bucket(name).send().await)
            .op("GetBucketPolicy")
            .found()?;
        Ok::<_, AwsError>(out.and_then(|out| out.policy().map(normalize_policy)))
    };
    let lifecycle = async {
        let out = (s3
            .get_bucket_lifecycle_configuration()
            .bucket(name)
            .send()
            .await)
            .op("GetBucketLifecycleConfiguration")
            .found()?;
        let mut rules: Vec<String> = out
            .map(|out| out.rules().iter().map(describe_live_rule).collect())
            .unwrap_or_default();
        rules.sort();
        Ok::<_, AwsError>(rules)
    };
    let tags = async {
        if let Some(tags) = ctx.inventory.tags_of(ctx, &arn(name)).await? {
            return Ok(tags);
        }
        let out = (s3.get_bucket_tagging().bucket(name).send().await)
            .op("GetBucketTagging")
            .found()?;
        Ok::<_, AwsError>(
            out.map(|out| tags::from_s3(out.tag_set()))
                .unwrap_or_default(),
        )
    };
    let (encryption, public_access_block, object_ownership, policy, lifecycle, tags) = futures::try_join!(
        encryption,
        public_access,
        ownership,
        policy,
        lifecycle,
        tags
    )?;
    Ok(Some(S3BucketLive {
        name: name.to_string(),
        versioning,
        encryption,
        public_access_block,
        object_ownership,
        policy,
        lifecycle,
        tags,
    }))
}

/// Whether the bucket `name` holds any object version or delete marker (one
/// `ListObjectVersions` of one key): what `destroy` refuses to delete without
/// `--delete-bucket-contents`. A bucket that is gone holds nothing.
pub async fn holds_objects(ctx: &Ctx<'_>, name: &str) -> Result<bool, AwsError> {
    let out = (ctx.aws.s3())
        .list_object_versions()
        .bucket(name)
        .max_keys(1)
        .send()
        .await
        .op("ListObjectVersions")
        .found()?;
    Ok(out.is_some_and(|out| !out.versions().is_empty() || !out.delete_markers().is_empty()))
}

/// Deletes every object version and delete marker of `name`, a page (≤ 1000) at a time.
/// Stops at the first page S3 lists empty, so it is safe to repeat after any interruption.
async fn empty(ctx: &Ctx<'_>, name: &str) -> Result<(), AwsError> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let s3 = ctx.aws.s3();
    loop {
        // NoSuchBucket: gone already.
        let Some(page) = (s3.list_object_versions().bucket(name).send().await)
            .op("ListObjectVersions")
            .found()?
        else {
            return Ok(());
        };
        let versions = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        let objects = versions
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key?)
                    .set_version_id(version.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        if objects.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|err| build_error("DeleteObjects", err))?;
        s3.delete_objects()
            .bucket(name)
            .delete(delete)
            .send()
            .await
            .op("DeleteObjects")?;
    }
}

/// Applies one setting of `spec` to the bucket (a `Put` of the whole setting).
async fn put_setting(
    ctx: &Ctx<'_>,
    spec: &S3BucketSpec,
    resolver: &Resolver,
    field: &str,
) -> Result<(), AwsError> {
    let s3 = ctx.aws.s3();
    let name = &spec.name;
    match field {
        FIELD_VERSIONING => {
            let config = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build();
            s3.put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(config)
                .send()
                .await
                .op("PutBucketVersioning")?;
        }
        FIELD_ENCRYPTION => {
            let operation = "PutBucketEncryption";
            let default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::Aes256)
                .build()
                .map_err(|err| build_error(operation, err))?;
            let config = ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(default)
                        .build(),
                )
                .build()
                .map_err(|err| build_error(operation, err))?;
            s3.put_bucket_encryption()
                .bucket(name)
                .server_side_encryption_configuration(config)
                .send()
                .await
                .op(operation)?;
        }
        FIELD_PUBLIC_ACCESS => {
            let config = PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build();
            s3.put_public_access_block()
                .bucket(name)
                .public_access_block_configuration(config)
                .send()
                .await
                .op("PutPublicAccessBlock")?;
        }
        FIELD_OWNERSHIP => {
            let operation = "PutBucketOwnershipControls";
            let rule = OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::from(ownership(spec)))
                .build()
                .map_err(|err| build_error(operation, err))?;
            let config = OwnershipControls::builder()
                .rules(rule)
                .build()
                .map_err(|err| build_error(operation, err))?;
            s3.put_bucket_ownership_controls()
                .bucket(name)
                .ownership_controls(config)
                .send()
                .await
                .op(operation)?;
        }
        FIELD_POLICY => {
            s3.put_bucket_policy()
                .bucket(name)
                .policy(policy_document(spec, resolver))
                .send()
                .await
                .op("PutBucketPolicy")?;
        }
        FIELD_LIFECYCLE => {
            let config = lifecycle_configuration(spec)?;
            s3.put_bucket_lifecycle_configuration()
                .bucket(name)
                .lifecycle_configuration(config)
                .send()
                .await
                .op("PutBucketLifecycleConfiguration")?;
        }
        _ => {}
    }
    Ok(())
}

fn lifecycle_configuration(spec: &S3BucketSpec) -> Result<BucketLifecycleConfiguration, AwsError> {
    let operation = "PutBucketLifecycleConfiguration";
    let everything = || LifecycleRuleFilter::builder().prefix("").build();
    let mut rules = vec![LifecycleRule::builder()
        .id(RULE_VERSIONS)
        .status(ExpirationStatus::Enabled)
        .filter(everything())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(spec.noncurrent_version_days as i32)
                .build(),
        )
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(ABORT_INCOMPLETE_DAYS)
                .build(),
        )
        .build()
        .map_err(|err| build_error(operation, err))?];
    if let Some(days) = spec.expiration_days {
        rules.push(
            LifecycleRule::builder()
                .id(RULE_OBJECTS)
                .status(ExpirationStatus::Enabled)
                .filter(everything())
                .expiration(LifecycleExpiration::builder().days(days as i32).build())
                .build()
                .map_err(|err| build_error(operation, err))?,
        );
    }
    BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|err| build_error(operation, err))
}

fn blocks_text(blocks: &[bool; 4]) -> String {
    match blocks.iter().filter(|on| **on).count() {
        4 => "all four on".into(),
        0 => "none".into(),
        n => format!("{n} of 4 on"),
    }
}

impl Kind for S3Bucket {
    const KIND: &'static str = "s3:bucket";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique across S3: a repeat answers BucketAlreadyOwnedByYou (or succeeds).
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name", "objects_arn"];
    type Spec = S3BucketSpec;
    type Live = S3BucketLive;

    fn refs(spec: &S3BucketSpec) -> Vec<Ref> {
        spec.cloudfront_reader.iter().cloned().collect()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &S3BucketSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<S3BucketLive>, AwsError> {
        let name = match lookup {
            Lookup::Id(name) => name,
            Lookup::Identity => spec.name.as_str(),
        };
        describe(ctx, name).await
    }

    fn diff(spec: &S3BucketSpec, live: &S3BucketLive, resolver: &Resolver) -> Vec<FieldChange> {
        if live.name != spec.name {
            return vec![FieldChange::replace("name", &live.name, &spec.name)];
        }
        let mut changes = Vec::new();
        if live.versioning.as_deref() != Some("Enabled") {
            changes.push(FieldChange::update(
                FIELD_VERSIONING,
                live.versioning.as_deref().unwrap_or(NOT_SET),
                "Enabled",
            ));
        }
        // SSE-KMS is at least as strong: left as it is.
        if live.encryption.is_none() {
            changes.push(FieldChange::update(FIELD_ENCRYPTION, NOT_SET, ENCRYPTION));
        }
        if live.public_access_block != [true; 4] {
            changes.push(FieldChange::update(
                FIELD_PUBLIC_ACCESS,
                blocks_text(&live.public_access_block),
                blocks_text(&[true; 4]),
            ));
        }
        if live.object_ownership.as_deref() != Some(ownership(spec)) {
            changes.push(FieldChange::update(
                FIELD_OWNERSHIP,
                live.object_ownership.as_deref().unwrap_or(NOT_SET),
                ownership(spec),
            ));
        }
        let policy = normalize_policy(&policy_document(spec, resolver));
        if live.policy.as_deref() != Some(policy.as_str()) {
            changes.push(FieldChange::update(
                FIELD_POLICY,
                live.policy.as_deref().unwrap_or(NOT_SET),
                policy,
            ));
        }
        let lifecycle = desired_lifecycle(spec);
        if live.lifecycle != lifecycle {
            changes.push(FieldChange::update(
                FIELD_LIFECYCLE,
                super::listed(&live.lifecycle),
                super::listed(&lifecycle),
            ));
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &S3BucketSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
        // The identity tags go with the create, so the bucket is never untagged: one found
        // untagged by its name is not macroctl's.
        let mut configuration = CreateBucketConfiguration::builder()
            .set_tags(Some(tags::to_s3(&who.tags, "CreateBucket")?));
        // us-east-1 takes no location constraint (and refuses its own name as one).
        if ctx.aws.region != "us-east-1" {
            configuration = configuration
                .location_constraint(BucketLocationConstraint::from(ctx.aws.region.as_str()));
        }
        let request = ctx
            .aws
            .s3()
            .create_bucket()
            .bucket(&spec.name)
            .object_ownership(ObjectOwnership::from(ownership(spec)))
            .create_bucket_configuration(configuration.build());
        match request.send().await.op("CreateBucket") {
            Ok(_) => Ok(spec.name.clone()),
            Err(err) if err.code() == Some("BucketAlreadyExists") => Err(AwsError::other(
                "CreateBucket",
                format!(
                    "BucketAlreadyExists: the bucket name {} is taken by another AWS account (bucket names are unique across all of S3); set storage.bucket_prefix in the environment file to a prefix of your own",
                    spec.name
                ),
            )),
            Err(err) => Err(err),
        }
    }

    /// Puts each setting that differs; every `Put` sets the whole setting, so a repeat after
    /// an unclear outcome is harmless. Ownership and public-access blocks go before the
    /// policy, so the bucket is never open while its policy is being written.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &S3BucketSpec,
        _live: &S3BucketLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        for field in [
            FIELD_PUBLIC_ACCESS,
            FIELD_OWNERSHIP,
            FIELD_ENCRYPTION,
            FIELD_VERSIONING,
            FIELD_POLICY,
            FIELD_LIFECYCLE,
        ] {
            if changes.iter().any(|change| change.field == field) {
                put_setting(ctx, spec, resolver, field).await?;
            }
        }
        Ok(None)
    }

    fn tags(live: &S3BucketLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    /// `PutBucketTagging` replaces every tag: it gets the live tags with `changes` applied.
    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &S3BucketLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        let mut all = live.tags.clone();
        for key in &changes.remove {
            all.remove(key);
        }
        all.extend(changes.set.clone());
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(tags::to_s3(&all, "PutBucketTagging")?))
            .build()
            .map_err(|err| build_error("PutBucketTagging", err))?;
        ctx.aws
            .s3()
            .put_bucket_tagging()
            .bucket(&live.name)
            .tagging(tagging)
            .send()
            .await
            .op("PutBucketTagging")?;
        Ok(())
    }

    /// Empties the bucket first when `--delete-bucket-contents` was given, then deletes it.
    /// Without the flag a bucket that holds objects was refused before anything was deleted;
    /// one that gained objects since fails here with S3's `BucketNotEmpty`, named.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &S3BucketLive,
        options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        if options.delete_bucket_contents {
            empty(ctx, &live.name).await?;
        }
        match (ctx.aws.s3().delete_bucket().bucket(&live.name).send().await)
            .op("DeleteBucket")
            .found()
        {
            Ok(_) => Ok(Deleted::Requested),
            Err(err) if err.code() == Some("BucketNotEmpty") => Ok(Deleted::Kept(format!(
                "bucket {} still holds objects; `macroctl destroy --delete-bucket-contents` deletes them (every version) with it",
                live.name
            ))),
            Err(err) => Err(err),
        }
    }

    fn physical_id(live: &S3BucketLive) -> String {
        live.name.clone()
    }

    fn outputs(live: &S3BucketLive) -> Outputs {
        Outputs::from([
            ("arn".into(), arn(&live.name)),
            ("name".into(), live.name.clone()),
            ("objects_arn".into(), format!("{}/*", arn(&live.name))),
        ])
    }

    fn status(live: &S3BucketLive) -> String {
        let versioning = live.versioning.as_deref().unwrap_or("unversioned");
        let encryption = live.encryption.as_deref().unwrap_or("unencrypted");
        format!(
            "versioning {}, {encryption}, public access blocks {}",
            versioning.to_lowercase(),
            blocks_text(&live.public_access_block)
        )
    }
}

#[cfg(test)]
#[path = "s3_bucket_tests.rs"]
mod tests;
