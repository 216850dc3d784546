//! `secret set` and `secret rotate`: the only ways macroctl changes a secret's value.
//!
//! Values travel from stdin (never argv, which other users can read in `ps`) or from AWS's
//! generator straight into the `PutSecretValue` call; what is reported is the secret's name,
//! the key and the new version id.

use super::Session;
use crate::aws::{AwsError, IntoAwsError};
use crate::resources::secret::{self, SecretValue};
use crate::stack::data::secret_name;
use serde::Serialize;
use serde_json::Value;

/// The keys of the API secret that AWS generates (and `rotate` regenerates).
pub const GENERATED_API_KEYS: [&str; 2] = ["API_KEY", "COOKIE_ENCRYPTION_KEY"];
/// `rotate DB_PASSWORD` regenerates the database master password.
pub const DB_PASSWORD: &str = "DB_PASSWORD";

/// What changed, without the value.
#[derive(Debug, Serialize)]
pub struct SecretChange {
    pub env: String,
    pub secret: String,
    pub key: String,
    pub version_id: String,
}

/// Whether `name` can be a key of the API secret (an environment variable name).
pub fn valid_key(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('A'..='Z'))
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 128
}

/// Stores `value` under `key` in the environment's API secret, keeping the other keys.
pub async fn set(
    session: &Session<'_>,
    key: &str,
    value: SecretValue,
) -> Result<SecretChange, AwsError> {
    let name = secret_name(&session.env, "api");
    let secrets = &session.aws.secrets;
    let mut object = secret::read_object(secrets, &name).await?;
    object.insert(key.to_string(), Value::String(value.expose().to_string()));
    let version_id = secret::write_object(secrets, &name, &object).await?;
    Ok(SecretChange {
        env: session.env.name.clone(),
        secret: name,
        key: key.to_string(),
        version_id,
    })
}

/// Regenerates one generated value: an API key, or the database master password (changed on
/// the instance first, then stored; a failure in between says how to finish).
pub async fn rotate(session: &Session<'_>, key: &str) -> Result<SecretChange, AwsError> {
    let secrets = &session.aws.secrets;
    let fresh = secret::generate(secrets).await?;
    if key == DB_PASSWORD {
        let name = secret_name(&session.env, "db-credentials");
        let mut object = secret::read_object(secrets, &name).await?;
        let identifier = format!("{}-{}-postgres", session.env.stack, session.env.name);
        session
            .aws
            .rds
            .modify_db_instance()
            .db_instance_identifier(&identifier)
            .master_user_password(fresh.expose())
            .apply_immediately(true)
            .send()
            .await
            .op("ModifyDBInstance")?;
        object.insert("password".into(), Value::String(fresh.expose().to_string()));
        let version_id = secret::write_object(secrets, &name, &object).await.map_err(|err| {
            AwsError::other(
                "PutSecretValue",
                format!(
                    "the database password was changed but could not be stored ({err}); run `macroctl secret rotate --env {} {DB_PASSWORD}` again",
                    session.env.name
                ),
            )
        })?;
        return Ok(SecretChange {
            env: session.env.name.clone(),
            secret: name,
            key: key.to_string(),
            version_id,
        });
    }
    let name = secret_name(&session.env, "api");
    let mut object = secret::read_object(secrets, &name).await?;
    object.insert(key.to_string(), Value::String(fresh.expose().to_string()));
    let version_id = secret::write_object(secrets, &name, &object).await?;
    Ok(SecretChange {
        env: session.env.name.clone(),
        secret: name,
        key: key.to_string(),
        version_id,
    })
}

/// The keys (never the values) each of the environment's secrets holds.
pub async fn keys(session: &Session<'_>) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    let mut out = Vec::new();
    for which in ["db-credentials", "api"] {
        let name = secret_name(&session.env, which);
        let object = secret::read_object(&session.aws.secrets, &name).await?;
        out.push((name, object.keys().cloned().collect()));
    }
    Ok(out)
}
