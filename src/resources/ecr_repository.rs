//! ECR repositories: one per service image (`macro-ai-staging-api`), which the deploy pushes
//! to and the task definitions pull from.
//!
//! A repository is found by its deterministic name (`DescribeRepositories`). Compared: scan
//! on push (`PutImageScanningConfiguration`) and the lifecycle policy, one rule expiring all
//! but the newest `keep_last_images` images, compared *semantically* (parsed JSON, keys in any
//! order, rules by priority) with what `GetLifecyclePolicy` returns; an absent policy is
//! created. `keep_last_images = 0` means no lifecycle policy: every image is kept.
//! Turning scan on push off sends the flag explicitly (see [`explicit_scan_flag`]).

use super::iam_role::canonical_json;
use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ecr::types::ImageScanningConfiguration;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct EcrRepositorySpec {
    /// The repository name, e.g. `macro-ai-staging-api`.
    pub name: String,
    pub scan_on_push: bool,
    /// Images kept (any tag status); older ones expire. 0: no lifecycle policy.
    pub keep_last_images: u32,
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
}

pub struct EcrRepository;

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

fn ecr_tags(who: &Identity) -> Result<Vec<aws_sdk_ecr::types::Tag>, AwsError> {
    who.tags
        .iter()
        .map(|(key, value)| {
            aws_sdk_ecr::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| AwsError::other("CreateRepository", err.to_string()))
        })
        .collect()
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
    }
}

async fn lifecycle_policy(ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, AwsError> {
    let result = ctx
        .aws
        .ecr
        .get_lifecycle_policy()
        .repository_name(name)
        .send()
        .await
        .op("GetLifecyclePolicy");
    match result {
        Ok(output) => Ok(output.lifecycle_policy_text().map(normalize_lifecycle)),
        // LifecyclePolicyNotFoundException
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<EcrRepositoryLive>, AwsError> {
    let result = ctx
        .aws
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .op("DescribeRepositories");
    let output = match result {
        Ok(output) => output,
        // RepositoryNotFoundException
        Err(err) if err.is_not_found() => return Ok(None),
        Err(err) => return Err(err),
    };
    let Some(mut live) = output.repositories().first().map(live_of) else {
        return Ok(None);
    };
    live.lifecycle_policy = lifecycle_policy(ctx, name).await?;
    Ok(Some(live))
}

impl Kind for EcrRepository {
    const KIND: &'static str = "ecr:repository";
    type Spec = EcrRepositorySpec;
    type Live = EcrRepositoryLive;

    fn refs(_spec: &EcrRepositorySpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcrRepositorySpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<EcrRepositoryLive>, AwsError> {
        // The name is deterministic; the recorded ARN ends with it.
        describe(ctx, &spec.name).await
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

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &EcrRepositorySpec,
        resolver: &Resolver,
    ) -> Result<EcrRepositoryLive, AwsError> {
        let result = ctx
            .aws
            .ecr
            .create_repository()
            .repository_name(&spec.name)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(spec.scan_on_push)
                    .build(),
            )
            .set_tags(Some(ecr_tags(who)?))
            .send()
            .await
            .op("CreateRepository");
        let live = match result {
            Ok(output) => output
                .repository()
                .map(live_of)
                .ok_or_else(|| AwsError::other("CreateRepository", "ECR returned no repository"))?,
            // Created by an interrupted run (or concurrently): converge what is there.
            Err(err) if err.code() == Some("RepositoryAlreadyExistsException") => {
                describe(ctx, &spec.name).await?.ok_or(err)?
            }
            Err(err) => return Err(err),
        };
        let changes = Self::diff(spec, &live, resolver);
        if changes.is_empty() {
            return Ok(live);
        }
        Self::update(ctx, who, spec, &live, &changes, resolver).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcrRepositorySpec,
        live: &EcrRepositoryLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<EcrRepositoryLive, AwsError> {
        let ecr = &ctx.aws.ecr;
        let mut live = live.clone();
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
                    live.scan_on_push = Some(spec.scan_on_push);
                }
                "lifecycle_policy" => match lifecycle_document(spec.keep_last_images) {
                    Some(document) => {
                        ecr.put_lifecycle_policy()
                            .repository_name(&live.name)
                            .lifecycle_policy_text(document.to_string())
                            .send()
                            .await
                            .op("PutLifecyclePolicy")?;
                        live.lifecycle_policy = Some(canonical_json(&document));
                    }
                    None => {
                        let result = ecr
                            .delete_lifecycle_policy()
                            .repository_name(&live.name)
                            .send()
                            .await
                            .op("DeleteLifecyclePolicy");
                        match result {
                            Ok(_) => {}
                            Err(err) if err.is_not_found() => {}
                            Err(err) => return Err(err),
                        }
                        live.lifecycle_policy = None;
                    }
                },
                _ => {}
            }
        }
        Ok(live)
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
        format!("{} ({scan}, {lifecycle})", live.repository_uri)
    }
}

#[cfg(test)]
mod tests {
    use super::super::log_group::test_emulator::{identity, unique, Emulator};
    use super::*;

    fn spec() -> EcrRepositorySpec {
        EcrRepositorySpec {
            name: "macro-ai-test-api".into(),
            scan_on_push: true,
            keep_last_images: 10,
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
        let keep_all = EcrRepositorySpec {
            keep_last_images: 0,
            ..spec.clone()
        };
        let changes = EcrRepository::diff(&keep_all, &live(&spec), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, NO_POLICY);
    }

    /// Against moto: create, converge (empty diff, no writes), change one field.
    #[tokio::test]
    #[ignore = "needs a moto server: MACROCTL_MOTO_ENDPOINT"]
    async fn emulator_create_converge_update() {
        let emulator = Emulator::connect().await;
        let ctx = emulator.ctx();
        let resolver = Resolver::default();
        let mut spec = spec();
        spec.name = unique("macro-ai-test-api");
        let who = identity("ecr-api", &spec.name);
        assert!(EcrRepository::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = EcrRepository::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert!(created.repository_uri.ends_with(&spec.name));
        let writes = emulator.writes();
        let found = EcrRepository::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(EcrRepository::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(emulator.writes(), writes);
        assert_eq!(
            EcrRepository::outputs(&found),
            EcrRepository::outputs(&created)
        );
        // Creating again (an interrupted run) converges instead of failing.
        EcrRepository::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        spec.keep_last_images = 5;
        let changes = EcrRepository::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "lifecycle_policy");
        EcrRepository::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let found = EcrRepository::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert!(EcrRepository::diff(&spec, &found, &resolver).is_empty());
        spec.scan_on_push = false;
        let changes = EcrRepository::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        EcrRepository::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let found = EcrRepository::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert!(EcrRepository::diff(&spec, &found, &resolver).is_empty());
        assert_eq!(found.scan_on_push, Some(false));
    }
}
