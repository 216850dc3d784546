//! `deploy` refuses a tag that has moved: with mutable tags (or a tag re-pushed before the
//! repository became immutable), `deploy --image api=REPO:1.4.2` may name a tag an earlier
//! release deployed that now points at another image. Deploying it would run something
//! other than what was tested under that name, and a rollback to the earlier release would
//! quietly run the new image too (ECS pulls the tag again for every new task).
//!
//! So every release records, per service, the digest its image resolved to when it was made,
//! for images in the environment's own ECR repositories (found by the repository URIs
//! recorded in state; `DescribeImages` by tag). Before anything changes, `deploy` resolves
//! each named image the same way and compares it with every earlier release that deployed
//! the same reference: a different digest is refused, naming the environment, the service,
//! the tag, both digests and the fix (push a unique tag). Releases recorded before digests
//! were (their `digest` absent) cannot be compared and are passed over; an image outside the
//! environment's repositories (another registry) is not resolved.

use crate::aws::{AwsClients, AwsError, Found, IntoAwsError};
use crate::ops::release::ReleaseError;
use crate::state::release::Release;
use crate::state::State;
use aws_sdk_ecr::types::ImageIdentifier;
use std::collections::BTreeMap;

/// The repository name and tag of `image` when it names a tag in one of the environment's own
/// repositories (`<repository_uri>:<tag>`, a repository URI state recorded); `None` otherwise,
/// and for references pinned by digest, which cannot move.
pub fn own_repository_tag<'a>(state: &State, image: &'a str) -> Option<(String, &'a str)> {
    if image.contains('@') {
        return None;
    }
    let (uri, tag) = image.rsplit_once(':')?;
    if tag.contains('/') {
        return None;
    }
    crate::stack::SERVICES.iter().find_map(|service| {
        let resource = state
            .resources
            .get(&crate::stack::app::repository_id(service))?;
        let recorded = resource.outputs.get("repository_uri")?;
        let name = resource.outputs.get("name")?;
        (recorded == uri).then(|| (name.clone(), tag))
    })
}

/// The digest the tag points at now; `None` when the repository has no image with that tag.
pub async fn resolve(
    aws: &AwsClients,
    repository: &str,
    tag: &str,
) -> Result<Option<String>, AwsError> {
    // ImageNotFoundException / RepositoryNotFoundException: nothing to resolve.
    let output = aws
        .ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await
        .op("DescribeImages")
        .found()?;
    Ok(output.and_then(|output| {
        output
            .image_details()
            .iter()
            .find_map(|detail| detail.image_digest().map(str::to_string))
    }))
}

/// The digest of each image `deploy` names that lies in the environment's own repositories,
/// by service; refused (before anything changes) when one of them is a tag an earlier
/// release deployed at another digest.
pub async fn check(
    session: &crate::ops::Session<'_>,
    images: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ReleaseError> {
    let mut digests = BTreeMap::new();
    for (service, image) in images {
        let Some((repository, tag)) = own_repository_tag(&session.state, image) else {
            continue;
        };
        let Some(digest) = resolve(&session.aws, &repository, tag).await? else {
            continue;
        };
        let history = &session.state.releases;
        if let Some(refusal) = moved_tag(&session.env.name, history, service, image, &digest) {
            return Err(ReleaseError::Invalid(refusal));
        }
        digests.insert(service.clone(), digest);
    }
    Ok(digests)
}

/// The refusal, when an earlier release deployed `image` for any service at another digest
/// than `digest`: the message names the environment, the service, the tag, both digests and
/// the fix.
pub fn moved_tag(
    env: &str,
    history: &[Release],
    service: &str,
    image: &str,
    digest: &str,
) -> Option<String> {
    history.iter().rev().find_map(|release| {
        release.services.values().find_map(|entry| {
            let earlier = entry.digest.as_deref()?;
            (entry.image == image && earlier != digest).then(|| {
                format!(
                    "environment {env}: service {service}: tag `{image}` has moved: release {} deployed it at {earlier}, it now points at {digest}; deploying it would run another image under the same name (and a rollback to release {} would run the new one too). Push a unique tag, e.g. the git SHA (`docker tag ... REPO:$(git rev-parse --short HEAD)`), and deploy that; `deployment.immutable_image_tags = true` makes ECR refuse moving a tag",
                    release.id, release.id
                )
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::release::{Outcome, ServiceRelease};

    fn release(id: u64, image: &str, digest: Option<&str>) -> Release {
        Release {
            id,
            created_at: String::new(),
            created_by: String::new(),
            command: "deploy".into(),
            services: BTreeMap::from([(
                "api".into(),
                ServiceRelease {
                    image: image.into(),
                    task_definition: format!("td:{id}"),
                    digest: digest.map(str::to_string),
                },
            )]),
            outcome: Outcome::Healthy,
            finished_at: None,
            rollback_to: None,
            reason: None,
        }
    }

    #[test]
    fn a_tag_deployed_at_another_digest_is_refused_naming_everything() {
        let history = [
            release(1, "r/api:1", None),
            release(2, "r/api:2", Some("sha256:aaa")),
        ];
        let refused =
            moved_tag("staging", &history, "api", "r/api:2", "sha256:bbb").expect("refused");
        for part in [
            "environment staging",
            "service api",
            "`r/api:2`",
            "release 2",
            "sha256:aaa",
            "sha256:bbb",
            "unique tag, e.g. the git SHA",
        ] {
            assert!(refused.contains(part), "{part}: {refused}");
        }
        // The same digest, another tag, or a release without a digest: nothing to refuse.
        assert_eq!(
            moved_tag("staging", &history, "api", "r/api:2", "sha256:aaa"),
            None
        );
        assert_eq!(
            moved_tag("staging", &history, "api", "r/api:3", "sha256:bbb"),
            None
        );
        assert_eq!(
            moved_tag("staging", &history, "api", "r/api:1", "sha256:bbb"),
            None
        );
    }

    #[test]
    fn only_tags_in_the_environments_own_repositories_are_resolved() {
        let mut state = State::new("macro-ai", "staging");
        let uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-staging-api";
        let resource = serde_json::from_value(serde_json::json!({
            "kind": "ecr:repository",
            "physical_id": "arn:aws:ecr:us-east-1:123456789012:repository/macro-ai-staging-api",
            "outputs": { "repository_uri": uri, "name": "macro-ai-staging-api" },
            "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        state
            .resources
            .insert(crate::stack::app::repository_id("api"), resource);
        assert_eq!(
            own_repository_tag(&state, &format!("{uri}:1.4.2")),
            Some(("macro-ai-staging-api".to_string(), "1.4.2"))
        );
        assert_eq!(
            own_repository_tag(&state, "public.ecr.aws/nginx/nginx:1.27"),
            None
        );
        let pinned = format!("{uri}@sha256:{}", "a".repeat(64));
        assert_eq!(own_repository_tag(&state, &pinned), None);
        assert_eq!(own_repository_tag(&state, uri), None);
    }
}
