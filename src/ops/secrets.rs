//! `secret set` and `secret rotate`: the only ways macroctl changes a secret's value.
//!
//! Values travel from stdin (never argv, which other users can read in `ps`) or from AWS's
//! generator straight into the `PutSecretValue` call; what is reported is the secret's name,
//! the key and the new version id.
//!
//! A value is only useful when a task definition injects it, and running tasks only see the
//! value they started with: `set` refuses keys nothing reads (unless forced), and `rotate`
//! names the services that read the key and can start their new deployment.

use super::Session;
use crate::aws::{AwsError, IntoAwsError};
use crate::graph::Graph;
use crate::resources::secret::{self, SecretValue};
use crate::resources::Spec;
use crate::stack::data::{secret_name, SECRET_API, SECRET_DB};
use crate::stack::{Resource, SERVICES};
use serde::Serialize;
use serde_json::Value;

/// The keys of the API secret that AWS generates (and `rotate` regenerates).
pub const GENERATED_API_KEYS: [&str; 2] = ["API_KEY", "COOKIE_ENCRYPTION_KEY"];
/// `rotate DB_PASSWORD` regenerates the database master password.
pub const DB_PASSWORD: &str = "DB_PASSWORD";
/// What `secret rotate` accepts (its `--help` lists exactly these).
pub const ROTATABLE_KEYS: [&str; 3] = ["API_KEY", "COOKIE_ENCRYPTION_KEY", DB_PASSWORD];

/// What changed, without the value.
#[derive(Debug, Serialize)]
pub struct SecretChange {
    pub env: String,
    pub secret: String,
    pub key: String,
    pub version_id: String,
    /// The services whose task definitions inject the key.
    pub read_by: Vec<String>,
    /// The services a new deployment was started for (`rotate --restart`).
    pub restarted: Vec<String>,
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
        read_by: Vec::new(),
        restarted: Vec::new(),
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
            read_by: Vec::new(),
            restarted: Vec::new(),
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
        read_by: Vec::new(),
        restarted: Vec::new(),
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

/// `(service, secret logical id, JSON key)` for every secret value a task definition of the
/// desired graph injects.
fn injected(graph: &Graph<Resource>) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for service in SERVICES {
        let id = crate::stack::app::task_definition_id(service);
        let Some(node) = graph.nodes().find(|node| node.id.as_str() == id) else {
            continue;
        };
        let Spec::TaskDefinition(spec) = &node.payload.spec else {
            continue;
        };
        for container in &spec.containers {
            for env in &container.secrets {
                out.push((service, env.secret.id.to_string(), env.key.clone()));
            }
        }
    }
    out
}

/// The keys of the API secret that some task definition injects, sorted.
pub fn api_keys_read(graph: &Graph<Resource>) -> Vec<String> {
    let mut keys: Vec<String> = injected(graph)
        .into_iter()
        .filter(|(_, secret, _)| secret == SECRET_API)
        .map(|(_, _, key)| key)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The services whose task definitions inject the value `rotate key` changes.
pub fn services_reading(graph: &Graph<Resource>, key: &str) -> Vec<String> {
    let (secret, json_key) = if key == DB_PASSWORD {
        (SECRET_DB, "password")
    } else {
        (SECRET_API, key)
    };
    let mut services: Vec<String> = injected(graph)
        .into_iter()
        .filter(|(_, s, k)| s == secret && k == json_key)
        .map(|(service, _, _)| service.to_string())
        .collect();
    services.dedup();
    services
}

/// Starts a new deployment of each service (ECS `UpdateService` with `forceNewDeployment`):
/// new tasks read the secrets' current values; the old ones are drained as in a deploy.
pub async fn restart(session: &Session<'_>, services: &[String]) -> Result<(), AwsError> {
    let cluster = super::release::cluster_name(session);
    for service in services {
        session
            .aws
            .ecs
            .update_service()
            .cluster(&cluster)
            .service(service)
            .force_new_deployment(true)
            .send()
            .await
            .op("UpdateService")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> Graph<Resource> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        let env = crate::config::load(&dir, "dev", None).unwrap();
        crate::stack::desired(&env, &crate::stack::Facts::any(), None).unwrap()
    }

    #[test]
    fn the_keys_tasks_read_are_the_ones_set_accepts() {
        let graph = graph();
        assert_eq!(
            api_keys_read(&graph),
            ["API_KEY", "COOKIE_ENCRYPTION_KEY", "OPENAI_API_KEY"]
        );
        for key in GENERATED_API_KEYS {
            assert!(api_keys_read(&graph).contains(&key.to_string()));
        }
    }

    #[test]
    fn rotated_values_are_read_by_the_api_only() {
        let graph = graph();
        for key in ROTATABLE_KEYS {
            assert_eq!(services_reading(&graph, key), ["api"], "{key}");
        }
    }
}
