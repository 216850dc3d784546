//! ECR repositories: one per service image (`macro-ai-staging-api`), which the deploy pushes
//! to and the task definitions pull from.
//!
//! While planning, the environment's repositories are described together: one
//! `DescribeRepositories` naming every repository the environment declares (up to 100 a call),
//! made by the first repository read and shared by the others (see [`Repositories`]). ECR
//! refuses the whole call when one of the names does not exist (on AWS and on moto alike), so
//! then every repository of the registry is listed (paginated) and the declared ones kept.
//! What the describe does not report stays a read per repository, made at the same time: the
//! lifecycle policy (`GetLifecyclePolicy`) and the tags (from the environment's one
//! `GetResources` when it has the repository, else `ListTagsForResource`; moto's
//! `GetResources` does not cover ECR).
//!
//! Otherwise (right after a change, or when the listing lacks it) a repository is read by its
//! name (`DescribeRepositories`; its tags with `ListTagsForResource`, since the describe does
//! not include them): the one in the ARN recorded in state, else the deterministic name.
//! `CreateRepository` makes it with scan on push and its tags in one call (the name is unique:
//! a repeat answers `RepositoryAlreadyExistsException`); the lifecycle policy is the update the
//! engine makes next, because ECR sets it with a call of its own.
//!
//! Compared: scan on push (`PutImageScanningConfiguration`) and the lifecycle policy, one rule
//! expiring all but the newest `keep_last_images` images, compared *semantically* (parsed
//! JSON, keys in any order, rules by priority) with what `GetLifecyclePolicy` returns; an
//! absent policy is created. `keep_last_images = 0` means no lifecycle policy: every image is
//! kept. Turning scan on push off sends the flag explicitly (see [`explicit_scan_flag`]).
//!
//! Tag mutability (`deployment.immutable_image_tags`, FSBP ECR.2): `IMMUTABLE` repositories
//! refuse a push that would move an existing tag to another image, so a tag names one image
//! for good and a deploy of it always runs what was tested. Created with it; an existing
//! repository is changed with `PutImageTagMutability` (one call, the whole value: safe to
//! repeat). The describe reports it, so it costs no read.

use super::iam_role::canonical_json;
use super::inventory::Listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Repository};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EcrRepositorySpec {
    /// The repository name, e.g. `macro-ai-staging-api`.
    pub name: String,
    pub scan_on_push: bool,
    /// Images kept (any tag status); older ones expire. 0: no lifecycle policy.
    pub keep_last_images: u32,
    /// `IMMUTABLE` tags (else `MUTABLE`). Absent in specs recorded before it: then false,
    /// what macroctl made until then.
    #[serde(default)]
    pub immutable_tags: bool,
}

#[derive(Debug, Clone)]
pub struct EcrRepositoryLive {
    pub name: String,
    pub arn: String,
    pub repository_uri: String,
    /// `None` when ECR does not report the scanning configuration.
    pub scan_on_push: Option<bool>,
    /// The normalised lifecycle policy; `None` when the repository has none.
    pub lifecycle_policy: Option<String>,
    /// `MUTABLE`, `IMMUTABLE` (or one of the `*_WITH_EXCLUSION` forms); `None` when ECR does
    /// not report it.
    pub tag_mutability: Option<String>,
    pub tags: Tags,
}

pub struct EcrRepository;

/// ECR's spelling of the mutability `immutable` asks for.
fn mutability_of(immutable: bool) -> ImageTagMutability {
    if immutable {
        ImageTagMutability::Immutable
    } else {
        ImageTagMutability::Mutable
    }
}

const NO_POLICY: &str = "(none)";

/// The lifecycle policy document for `keep_last_images`, or `None` for 0.
pub fn lifecycle_document(keep_last_images: u32) -> Option<Value> {
    (keep_last_images > 0).then(|| {
        json!({
            "rules": [{
                "rulePriority": 1,
                "description": format!("Keep only the newest {keep_last_images} images"),
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_last_images,
                },
                "action": { "type": "expire" },
            }],
        })
    })
}

/// The normal form of a lifecycle policy text: canonical JSON with rules ordered by
/// priority. Text that is not JSON is returned as it is, so it only equals itself.
pub fn normalize_lifecycle(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut document) => {
            if let Some(Value::Array(rules)) = document.get_mut("rules") {
                rules.sort_by_key(|rule| {
                    rule.get("rulePriority")
                        .and_then(Value::as_f64)
                        .map(|priority| priority as i64)
                        .unwrap_or(i64::MAX)
                });
            }
            canonical_json(&document)
        }
        Err(_) => text.to_string(),
    }
}

fn desired_lifecycle(spec: &EcrRepositorySpec) -> Option<String> {
    lifecycle_document(spec.keep_last_images).map(|document| canonical_json(&document))
}

/// Writes `"scanOnPush": false` out: the SDK omits a false flag (sending `{}`), which AWS
/// reads as false but the emulator (moto) ignores, leaving scanning on forever.
fn explicit_scan_flag(request: &mut HttpRequest) {
    let Some(Ok(mut body)) = request.body().bytes().map(serde_json::from_slice::<Value>) else {
        return;
    };
    let Some(config) = body
        .get_mut("imageScanningConfiguration")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    config.entry("scanOnPush").or_insert(Value::Bool(false));
    let text = body.to_string();
    request
        .headers_mut()
        .insert("content-length", text.len().to_string());
    *request.body_mut() = SdkBody::from(text);
}

fn live_of(repository: &aws_sdk_ecr::types::Repository) -> EcrRepositoryLive {
    EcrRepositoryLive {
        name: repository.repository_name().unwrap_or_default().to_string(),
        arn: repository.repository_arn().unwrap_or_default().to_string(),
        repository_uri: repository.repository_uri().unwrap_or_default().to_string(),
        scan_on_push: repository
            .image_scanning_configuration()
            .map(|config| config.scan_on_push()),
        lifecycle_policy: None,
        tag_mutability: repository
            .image_tag_mutability()
            .map(|mutability| mutability.as_str().to_string()),
        tags: Tags::new(),
    }
}

/// The repository name in a repository ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME`,
/// where the name may itself contain `/`); anything else is taken as a name.
fn name_of(id: &str) -> &str {
    id.split_once(":repository/").map_or(id, |(_, name)| name)
}

async fn lifecycle_policy(ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, AwsError> {
    // LifecyclePolicyNotFoundException: the repository has none.
    let output = ctx
        .aws
        .ecr
        .get_lifecycle_policy()
        .repository_name(name)
        .send()
        .await
        .op("GetLifecyclePolicy")
        .found()?;
    Ok(output
        .as_ref()
        .and_then(|output| output.lifecycle_policy_text())
        .map(normalize_lifecycle))
}

/// The repository named `name`, by a describe of its own.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<EcrRepositoryLive>, AwsError> {
    // RepositoryNotFoundException: absent.
    let Some(output) = ctx
        .aws
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .op("DescribeRepositories")
        .found()?
    else {
        return Ok(None);
    };
    match output.repositories().first() {
        Some(repository) => complete(ctx, live_of(repository)).await,
        None => Ok(None),
    }
}

/// The repository with its lifecycle policy and tags (read at the same time); `None` when it
/// was deleted since it was described.
async fn complete(
    ctx: &Ctx<'_>,
    mut live: EcrRepositoryLive,
) -> Result<Option<EcrRepositoryLive>, AwsError> {
    let (policy, tags) =
        futures::try_join!(lifecycle_policy(ctx, &live.name), tags_of(ctx, &live))?;
    // No tags to list: deleted since the describe.
    let Some(tags) = tags else {
        return Ok(None);
    };
    live.lifecycle_policy = policy;
    live.tags = tags;
    Ok(Some(live))
}

/// The repository with the lifecycle policy already read, and its tags.
async fn with_tags(
    ctx: &Ctx<'_>,
    mut live: EcrRepositoryLive,
    policy: Option<String>,
) -> Result<Option<EcrRepositoryLive>, AwsError> {
    let Some(tags) = tags_of(ctx, &live).await? else {
        return Ok(None);
    };
    live.lifecycle_policy = policy;
    live.tags = tags;
    Ok(Some(live))
}

/// The repository's tags: from the environment's `GetResources` while planning, else listed;
/// `None` when the repository no longer exists.
async fn tags_of(ctx: &Ctx<'_>, live: &EcrRepositoryLive) -> Result<Option<Tags>, AwsError> {
    if let Some(tags) = ctx.inventory.tags_of(ctx, &live.arn).await? {
        return Ok(Some(tags));
    }
    let listed = ctx
        .aws
        .ecr
        .list_tags_for_resource()
        .resource_arn(&live.arn)
        .send()
        .await
        .op("ListTagsForResource")
        .found()?;
    Ok(listed.map(|listed| tags::from_ecr(listed.tags())))
}

// --- Batched reads while planning --------------------------------------------------------

/// The environment's repositories, described together: one listing per run.
struct Repositories;

impl Listing for Repositories {
    type Item = Repository;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Repository>, AwsError> {
        let names: Vec<String> = desired_names(ctx).into_iter().map(str::to_string).collect();
        let mut all = Vec::new();
        for chunk in names.chunks(MAX_NAMES) {
            // Answered for all the names or for none: a name that does not exist fails it.
            match ctx
                .aws
                .ecr
                .describe_repositories()
                .set_repository_names(Some(chunk.to_vec()))
                .send()
                .await
                .op("DescribeRepositories")
                .found()?
            {
                Some(output) => all.extend(output.repositories.unwrap_or_default()),
                None => {
                    all = every_repository(ctx).await?;
                    break;
                }
            }
        }
        all.retain(|repository| {
            repository
                .repository_name()
                .is_some_and(|name| names.iter().any(|wanted| wanted == name))
        });
        Ok(all)
    }
}

/// Names a `DescribeRepositories` takes at most.
const MAX_NAMES: usize = 100;

/// Every repository of the registry (paginated).
async fn every_repository(ctx: &Ctx<'_>) -> Result<Vec<Repository>, AwsError> {
    ctx.aws
        .ecr
        .describe_repositories()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .op("DescribeRepositories")
}

/// The names of every repository the environment declares.
fn desired_names<'a>(ctx: &'a Ctx<'_>) -> BTreeSet<&'a str> {
    ctx.desired_of(|spec| match spec {
        Spec::EcrRepository(repository) => Some(repository),
        _ => None,
    })
    .into_iter()
    .map(|repository| repository.name.as_str())
    .collect()
}

/// What the listing says of the repository `name`: `Some(found)` when it decides (found or,
/// for an identity lookup of a declared name, absent), `None` when only a direct read can
/// tell.
fn pick(
    listed: &[Repository],
    name: &str,
    lookup: Lookup<'_>,
    declared: bool,
) -> Option<Option<EcrRepositoryLive>> {
    match listed
        .iter()
        .find(|repository| repository.repository_name() == Some(name))
    {
        Some(repository) => Some(Some(live_of(repository))),
        None if lookup == Lookup::Identity && declared => Some(None),
        None => None,
    }
}

/// What DeleteRepository answers, without `force`, for a repository that still holds images.
const NOT_EMPTY: &str = "RepositoryNotEmptyException";

/// What a DeleteRepository's answer means: a repository that still holds images is kept (the
/// user did not ask for them to go), one already gone is deleted.
fn deleted_of<T>(answer: Result<T, AwsError>) -> Result<Deleted, AwsError> {
    match answer {
        Err(err) if err.code() == Some(NOT_EMPTY) => Ok(Deleted::Kept(
            "holds images; --delete-images deletes them".to_string(),
        )),
        answer => answer.found().map(|_| Deleted::Requested),
    }
}

impl Kind for EcrRepository {
    const KIND: &'static str = "ecr:repository";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // Repository names are unique in the registry: a repeat answers
    // RepositoryAlreadyExistsException.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name", "repository_uri"];
    type Spec = EcrRepositorySpec;
    type Live = EcrRepositoryLive;

    fn refs(_spec: &EcrRepositorySpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcrRepositorySpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<EcrRepositoryLive>, AwsError> {
        let name = match lookup {
            // The ARN recorded in state or returned by CreateRepository.
            Lookup::Id(id) => name_of(id),
            Lookup::Identity => &spec.name,
        };
        if ctx.cached {
            // The lifecycle policy needs only the name: read beside the listing.
            let (listed, policy) = futures::join!(
                ctx.inventory.listed::<Repositories>(ctx),
                lifecycle_policy(ctx, name)
            );
            let declared = desired_names(ctx).contains(name);
            match pick(&listed?, name, lookup, declared) {
                Some(Some(live)) => return with_tags(ctx, live, policy?).await,
                Some(None) => return Ok(None),
                None => {}
            }
        }
        describe(ctx, name).await
    }

    fn diff(
        spec: &EcrRepositorySpec,
        live: &EcrRepositoryLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        if live.name != spec.name {
            changes.push(FieldChange::replace("name", &live.name, &spec.name));
        }
        if let Some(scan_on_push) = live.scan_on_push {
            if scan_on_push != spec.scan_on_push {
                changes.push(FieldChange::update(
                    "scan_on_push",
                    scan_on_push,
                    spec.scan_on_push,
                ));
            }
        }
        if let Some(mutability) = &live.tag_mutability {
            let desired = mutability_of(spec.immutable_tags);
            if mutability != desired.as_str() {
                changes.push(FieldChange::update(
                    "image_tag_mutability",
                    mutability,
                    desired.as_str(),
                ));
            }
        }
        let desired = desired_lifecycle(spec);
        if live.lifecycle_policy != desired {
            changes.push(FieldChange::update(
                "lifecycle_policy",
                live.lifecycle_policy.as_deref().unwrap_or(NO_POLICY),
                desired.as_deref().unwrap_or(NO_POLICY),
            ));
        }
        changes
    }

    /// Creates the repository with scan on push, its tag mutability and its tags; the lifecycle policy is the
    /// update the engine makes next. Returns the repository's ARN.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &EcrRepositorySpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        // A false flag is omitted by the SDK here too, which is harmless on create: scanning
        // is off unless asked for, on AWS and on moto.
        let output = ctx
            .aws
            .ecr
            .create_repository()
            .repository_name(&spec.name)
            .image_tag_mutability(mutability_of(spec.immutable_tags))
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(spec.scan_on_push)
                    .build(),
            )
            .set_tags(Some(tags::to_ecr(&who.tags, "CreateRepository")?))
            .send()
            .await
            .op("CreateRepository")?;
        output
            .repository()
            .and_then(|repository| repository.repository_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateRepository", "ECR returned no repository"))
    }

    /// Each change is one call that is safe to repeat: the scanning configuration, the tag
    /// mutability and the lifecycle policy are put whole; deleting a policy already gone counts as done.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcrRepositorySpec,
        live: &EcrRepositoryLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let ecr = &ctx.aws.ecr;
        for change in changes {
            match change.field.as_str() {
                "scan_on_push" => {
                    ecr.put_image_scanning_configuration()
                        .repository_name(&live.name)
                        .image_scanning_configuration(
                            ImageScanningConfiguration::builder()
                                .scan_on_push(spec.scan_on_push)
                                .build(),
                        )
                        .customize()
                        .mutate_request(explicit_scan_flag)
                        .send()
                        .await
                        .op("PutImageScanningConfiguration")?;
                }
                "image_tag_mutability" => {
                    ecr.put_image_tag_mutability()
                        .repository_name(&live.name)
                        .image_tag_mutability(mutability_of(spec.immutable_tags))
                        .send()
                        .await
                        .op("PutImageTagMutability")?;
                }
                "lifecycle_policy" => match lifecycle_document(spec.keep_last_images) {
                    Some(document) => {
                        ecr.put_lifecycle_policy()
                            .repository_name(&live.name)
                            .lifecycle_policy_text(document.to_string())
                            .send()
                            .await
                            .op("PutLifecyclePolicy")?;
                    }
                    None => {
                        // LifecyclePolicyNotFoundException: already gone.
                        ecr.delete_lifecycle_policy()
                            .repository_name(&live.name)
                            .send()
                            .await
                            .op("DeleteLifecyclePolicy")
                            .found()?;
                    }
                },
                _ => {}
            }
        }
        Ok(None)
    }

    fn tags(live: &EcrRepositoryLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &EcrRepositoryLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ecr(&ctx.aws.ecr, &live.arn, changes).await
    }

    /// Deletes the repository; with `--delete-images` (`force`) its images too, else one that
    /// still holds images is kept.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &EcrRepositoryLive,
        options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // RepositoryNotFoundException: already gone.
        deleted_of(
            ctx.aws
                .ecr
                .delete_repository()
                .repository_name(&live.name)
                .force(options.delete_images)
                .send()
                .await
                .op("DeleteRepository"),
        )
    }

    fn physical_id(live: &EcrRepositoryLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &EcrRepositoryLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
            ("repository_uri".into(), live.repository_uri.clone()),
        ])
    }

    fn status(live: &EcrRepositoryLive) -> String {
        let scan = match live.scan_on_push {
            Some(true) => "scan on push",
            Some(false) => "no scan on push",
            None => "scan on push unknown",
        };
        let lifecycle = if live.lifecycle_policy.is_some() {
            "lifecycle policy"
        } else {
            "no lifecycle policy"
        };
        let tags = match live.tag_mutability.as_deref() {
            Some(mutability) => format!(", {} tags", mutability.to_lowercase()),
            None => String::new(),
        };
        format!("{} ({scan}, {lifecycle}{tags})", live.repository_uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_with_images_is_kept_and_one_already_gone_is_deleted() {
        let answer = |code: &str| {
            let mut err = AwsError::other("DeleteRepository", "");
            err.code = Some(code.to_string());
            deleted_of::<()>(Err(err.with_class(crate::aws::classify(
                Some(code),
                "",
                Some(400),
                false,
            ))))
        };
        assert!(matches!(
            answer("RepositoryNotEmptyException"),
            Ok(Deleted::Kept(why)) if why.contains("--delete-images")
        ));
        assert_eq!(
            answer("RepositoryNotFoundException").ok(),
            Some(Deleted::Requested)
        );
        assert!(answer("AccessDeniedException").is_err());
        assert_eq!(deleted_of(Ok(())).ok(), Some(Deleted::Requested));
    }

    fn spec() -> EcrRepositorySpec {
        EcrRepositorySpec {
            name: "macro-ai-test-api".into(),
            scan_on_push: true,
            keep_last_images: 10,
            immutable_tags: true,
        }
    }

    fn live(spec: &EcrRepositorySpec) -> EcrRepositoryLive {
        EcrRepositoryLive {
            name: spec.name.clone(),
            arn: format!(
                "arn:aws:ecr:us-east-1:123456789012:repository/{}",
                spec.name
            ),
            repository_uri: format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{}", spec.name),
            scan_on_push: Some(spec.scan_on_push),
            lifecycle_policy: desired_lifecycle(spec),
            tag_mutability: Some(mutability_of(spec.immutable_tags).as_str().to_string()),
            tags: Tags::new(),
        }
    }

    #[test]
    fn lifecycle_policy_is_compared_semantically() {
        let reformatted = r#"{
            "rules": [ { "action": {"type": "expire"},
                         "selection": {"countNumber": 10.0, "countType": "imageCountMoreThan", "tagStatus": "any"},
                         "description": "Keep only the newest 10 images", "rulePriority": 1 } ]
        }"#;
        assert_eq!(
            Some(normalize_lifecycle(reformatted)),
            desired_lifecycle(&spec())
        );
        let other = reformatted.replace("10.0", "11");
        assert_ne!(
            Some(normalize_lifecycle(&other)),
            desired_lifecycle(&spec())
        );
        assert_eq!(normalize_lifecycle("not json"), "not json");
        assert!(lifecycle_document(0).is_none());
    }

    #[test]
    fn diff() {
        let spec = spec();
        let resolver = Resolver::default();
        assert!(EcrRepository::diff(&spec, &live(&spec), &resolver).is_empty());
        let unknown = EcrRepositoryLive {
            scan_on_push: None,
            tag_mutability: None,
            ..live(&spec)
        };
        assert!(EcrRepository::diff(&spec, &unknown, &resolver).is_empty());
        let absent = EcrRepositoryLive {
            scan_on_push: Some(false),
            lifecycle_policy: None,
            ..live(&spec)
        };
        let fields: Vec<String> = EcrRepository::diff(&spec, &absent, &resolver)
            .into_iter()
            .map(|change| format!("{}: {}", change.field, change.old))
            .collect();
        assert_eq!(
            fields,
            vec!["scan_on_push: false", "lifecycle_policy: (none)"]
        );
        let mutable = EcrRepositoryLive {
            tag_mutability: Some("MUTABLE".into()),
            ..live(&spec)
        };
        let changes = EcrRepository::diff(&spec, &mutable, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (
                changes[0].field.as_str(),
                changes[0].old.as_str(),
                changes[0].new.as_str()
            ),
            ("image_tag_mutability", "MUTABLE", "IMMUTABLE")
        );
        assert!(!changes[0].replace);
        let keep_all = EcrRepositorySpec {
            keep_last_images: 0,
            ..spec.clone()
        };
        let changes = EcrRepository::diff(&keep_all, &live(&spec), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, NO_POLICY);
    }

    #[test]
    fn outputs_are_the_declared_ones_and_ids_name_the_repository() {
        let live = live(&spec());
        let keys: Vec<String> = EcrRepository::outputs(&live).into_keys().collect();
        assert_eq!(keys, EcrRepository::OUTPUTS);
        assert_eq!(name_of(&live.arn), "macro-ai-test-api");
        assert_eq!(
            name_of("arn:aws:ecr:us-east-1:123456789012:repository/team/api"),
            "team/api"
        );
        assert_eq!(name_of("macro-ai-test-api"), "macro-ai-test-api");
    }

    #[test]
    fn the_listing_decides_unless_a_recorded_id_is_missing_from_it() {
        let listed = vec![Repository::builder()
            .repository_name("macro-ai-test-api")
            .repository_arn("arn:aws:ecr:us-east-1:123456789012:repository/macro-ai-test-api")
            .build()];
        let found = |name, lookup, declared| {
            pick(&listed, name, lookup, declared).map(|live| live.map(|live| live.arn))
        };
        let arn = "arn:aws:ecr:us-east-1:123456789012:repository/macro-ai-test-api";
        assert_eq!(
            found("macro-ai-test-api", Lookup::Identity, true),
            Some(Some(arn.into()))
        );
        assert_eq!(
            found("macro-ai-test-api", Lookup::Id(arn), true),
            Some(Some(arn.into()))
        );
        assert_eq!(
            found("macro-ai-test-ui", Lookup::Identity, true),
            Some(None)
        );
        assert_eq!(found("macro-ai-test-ui", Lookup::Id("x"), true), None);
        assert_eq!(found("macro-ai-test-ui", Lookup::Identity, false), None);
    }
}
