//! The security section of a plan: the environment's controls (`crate::security`, decided by
//! its settings) plus the one check that needs AWS, how old each secret's current value is.
//!
//! A secret's age is its `AWSCURRENT` version's creation date (`ListSecretVersionIds`), not the
//! secret's `LastChangedDate`: that one moves on any change (a tag, the description), so it
//! would make a secret never rotated look fresh. One call per secret, made only by `plan` (not
//! by `up`, `status` or the engine's reads), for the secrets the plan found.

use super::Session;
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::ops::engine::Plan;
use crate::security::{self, Assessment};

/// The plan's security assessment, with the secrets' ages from AWS.
pub async fn assess(session: &Session<'_>, plan: &Plan) -> Result<Assessment, AwsError> {
    let secrets = plan.resources.iter().filter_map(|resource| {
        (resource.kind == "secretsmanager:secret")
            .then_some(resource.physical_id.as_deref())
            .flatten()
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let ages = futures::future::try_join_all(secrets.map(|arn| async move {
        let created = current_version_created(session, arn).await?;
        Ok::<_, AwsError>(created.map(|created| {
            let name = secret_name_of(arn);
            (name, ((now - created).max(0) / 86_400) as u64)
        }))
    }))
    .await?;
    let ages: Vec<(String, u64)> = ages.into_iter().flatten().collect();
    Ok(security::with_secret_ages(
        &session.env,
        security::assess(&session.env),
        &ages,
    ))
}

/// When the secret's current value was stored (seconds since the epoch); `None` when the
/// secret is gone or has no current version.
async fn current_version_created(
    session: &Session<'_>,
    arn: &str,
) -> Result<Option<i64>, AwsError> {
    let mut next_token: Option<String> = None;
    loop {
        // ResourceNotFound: deleted since the plan read it.
        let Some(page) = session
            .aws
            .secrets
            .list_secret_version_ids()
            .secret_id(arn)
            .set_next_token(next_token.take())
            .send()
            .await
            .op("ListSecretVersionIds")
            .found()?
        else {
            return Ok(None);
        };
        if let Some(current) = page.versions().iter().find(|version| {
            version
                .version_stages()
                .iter()
                .any(|stage| stage == "AWSCURRENT")
        }) {
            return Ok(current.created_date().map(|date| date.secs()));
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(None),
        }
    }
}

/// `macro-ai/staging/api` from `arn:aws:secretsmanager:…:secret:macro-ai/staging/api-AbCdEf`
/// (AWS appends a dash and six characters to the name).
fn secret_name_of(arn: &str) -> String {
    let name = arn.split_once(":secret:").map_or(arn, |(_, name)| name);
    match name.rsplit_once('-') {
        Some((base, suffix)) if suffix.len() == 6 => base.to_string(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_lose_the_suffix_aws_adds() {
        assert_eq!(
            super::secret_name_of(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:macro-ai/staging/db-credentials-AbCdEf"
            ),
            "macro-ai/staging/db-credentials"
        );
        assert_eq!(super::secret_name_of("plain"), "plain");
    }
}
