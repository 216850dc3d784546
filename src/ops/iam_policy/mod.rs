//! The IAM policy a CI role needs to run macroctl on one environment (`macroctl iam-policy`).
//!
//! Why generated, not written by hand: the actions are what the code calls, and the resources
//! are the environment's own names, which follow from the environment file (`<stack>-<env>-…`,
//! secrets `<stack>/<env>/…`, buckets `<bucket_prefix>-<role>-<account>`). A hand-written
//! policy drifts from both; this one is checked against every call `up`, `deploy` and
//! `status` make on the emulator (`tests/iam_policy.rs`), so a new call without its permission
//! fails a test, not a CI run.
//!
//! Shape: one table per service ([`services`], [`edge`]), each a list of [`Grant`]s: the
//! [`Purpose`] that needs it, the actions, and the resources scoped to the environment (or
//! `*`, in a grant of its own, for actions the service does not scope by resource; EC2 creates
//! and changes are scoped by the `macroctl:stack` / `macroctl:env` tags instead). The purposes
//! are cumulative: `up` includes `deploy`, which includes `read`. To give a new call its
//! permission, add its action to the grant of its service (or a new grant) in the table.

mod edge;
mod services;

use crate::config::Environment;
use crate::state::url::S3Location;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Which command the policy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// `plan`, `status`, `releases`: read-only actions.
    Read,
    /// `deploy` and `rollback`: read, plus registering task definitions and updating services.
    Deploy,
    /// `up`: everything it may create, change and tag.
    Up,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::Read, Purpose::Deploy, Purpose::Up];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Read => "read",
            Purpose::Deploy => "deploy",
            Purpose::Up => "up",
        }
    }

    /// `up`, `deploy` or `read`; anything else is a usage error naming the choices.
    pub fn parse(text: &str) -> Result<Purpose, String> {
        Purpose::ALL
            .into_iter()
            .find(|purpose| purpose.as_str() == text)
            .ok_or_else(|| {
                format!("unknown --for value `{text}`: use up, deploy or read (read also covers plan, status and releases; deploy also covers rollback)")
            })
    }
}

/// Checks an account id: twelve digits.
pub fn parse_account(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "invalid account id `{text}`: an AWS account id is 12 digits, e.g. 123456789012"
        ))
    }
}

/// The environment's names and ARN parts every table builds on.
pub struct Names<'a> {
    pub env: &'a Environment,
    pub account: String,
    pub region: String,
    /// `<stack>-<env>`: the start of almost every name.
    pub prefix: String,
}

impl Names<'_> {
    /// `arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE`
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            partition(&self.region),
            self.region,
            self.account
        )
    }

    /// An ARN of a service without regions (IAM, CloudFront, Route 53: `arn:aws:iam::ACCOUNT:…`).
    pub fn global_arn(&self, service: &str, account: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}::{account}:{resource}",
            partition(&self.region)
        )
    }

    /// An ARN in `region` (the edge's us-east-1 resources).
    pub fn arn_in(&self, region: &str, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{region}:{}:{resource}",
            partition(region),
            self.account
        )
    }

    /// `arn:aws:iam::ACCOUNT:role/<stack>-<env>-*`: every role macroctl makes for the env.
    pub fn roles(&self) -> String {
        self.global_arn("iam", &self.account, &format!("role/{}-*", self.prefix))
    }

    /// The environment's buckets: `arn:aws:s3:::<bucket_prefix>-*-<account>`.
    pub fn buckets(&self) -> String {
        format!(
            "arn:{}:s3:::{}-*-{}",
            partition(&self.region),
            self.env.storage.bucket_prefix,
            self.account
        )
    }

    /// The tag conditions macroctl's own EC2 resources meet: `aws:ResourceTag/…` (or
    /// `aws:RequestTag/…` on creates) naming this stack and environment.
    pub fn tag_condition(&self, key: &str) -> Value {
        json!({"StringEquals": {
            format!("{key}/macroctl:stack"): self.env.stack,
            format!("{key}/macroctl:env"): self.env.name,
        }})
    }
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// One statement of a table: who needs it, what it allows, on what.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The statement id (unique in the policy; grants of one id are merged).
    pub sid: String,
    pub purpose: Purpose,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub condition: Option<Value>,
}

impl Grant {
    pub fn new(sid: &str, purpose: Purpose, actions: &[&str], resources: Vec<String>) -> Grant {
        Grant {
            sid: sid.to_string(),
            purpose,
            actions: actions.iter().map(|action| action.to_string()).collect(),
            resources,
            condition: None,
        }
    }

    /// A grant on `*`, for actions the service does not scope by resource.
    pub fn any(sid: &str, purpose: Purpose, actions: &[&str]) -> Grant {
        Grant::new(sid, purpose, actions, vec!["*".to_string()])
    }

    pub fn when(mut self, condition: Value) -> Grant {
        self.condition = Some(condition);
        self
    }
}

/// The policy document for `purpose` on `env`, in `account`, with the S3 state backend's
/// statements when the state lives in `state`. Statements are sorted by id, their actions and
/// resources sorted and de-duplicated, so the same input always prints the same document.
pub fn policy(
    env: &Environment,
    account: &str,
    state: Option<&S3Location>,
    purpose: Purpose,
) -> Value {
    let names = Names {
        env,
        account: account.to_string(),
        region: env.region.clone(),
        prefix: env.resource_prefix(),
    };
    let mut grants = services::grants(&names);
    grants.extend(edge::grants(&names));
    if let Some(state) = state {
        grants.extend(services::state_backend(&names, state));
    }
    document(grants.into_iter().filter(|grant| grant.purpose <= purpose))
}

/// Merges grants of one id and renders the document.
fn document(grants: impl Iterator<Item = Grant>) -> Value {
    let mut merged: BTreeMap<String, Grant> = BTreeMap::new();
    for grant in grants {
        match merged.get_mut(&grant.sid) {
            Some(existing) => {
                debug_assert_eq!(existing.condition, grant.condition, "{}", grant.sid);
                existing.actions.extend(grant.actions);
                existing.resources.extend(grant.resources);
            }
            None => {
                merged.insert(grant.sid.clone(), grant);
            }
        }
    }
    let statements: Vec<Value> = merged
        .into_values()
        .map(|mut grant| {
            grant.actions.sort();
            grant.actions.dedup();
            grant.resources.sort();
            grant.resources.dedup();
            let mut statement = Map::new();
            statement.insert("Sid".into(), json!(grant.sid));
            statement.insert("Effect".into(), json!("Allow"));
            statement.insert("Action".into(), json!(grant.actions));
            statement.insert("Resource".into(), json!(grant.resources));
            if let Some(condition) = grant.condition {
                statement.insert("Condition".into(), condition);
            }
            Value::Object(statement)
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Every action of a policy document (for tests and checks).
pub fn actions(policy: &Value) -> Vec<String> {
    let mut all: Vec<String> = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|statement| statement["Action"].as_array().cloned().unwrap_or_default())
        .filter_map(|action| action.as_str().map(str::to_string))
        .collect();
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Environment {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        crate::config::load(&dir, name, None).expect("the repo's env file loads")
    }

    #[test]
    fn no_wildcard_actions_and_star_resources_only_alone() {
        for name in ["dev", "staging", "prod"] {
            let env = env(name);
            for purpose in Purpose::ALL {
                let policy = policy(&env, "123456789012", None, purpose);
                for statement in policy["Statement"].as_array().unwrap() {
                    for action in statement["Action"].as_array().unwrap() {
                        let action = action.as_str().unwrap();
                        assert!(!action.contains('*'), "{name} {purpose:?}: {action}");
                        assert!(action.contains(':'), "{action}");
                    }
                    let resources = statement["Resource"].as_array().unwrap();
                    if resources.iter().any(|r| r == "*") {
                        assert_eq!(resources.len(), 1, "{statement}");
                    }
                }
            }
        }
    }

    #[test]
    fn purposes_are_cumulative_and_read_only_reads() {
        let env = env("staging");
        let read = actions(&policy(&env, "123456789012", None, Purpose::Read));
        let deploy = actions(&policy(&env, "123456789012", None, Purpose::Deploy));
        let up = actions(&policy(&env, "123456789012", None, Purpose::Up));
        assert!(read.iter().all(|a| deploy.contains(a)));
        assert!(deploy.iter().all(|a| up.contains(a)));
        assert!(deploy.contains(&"ecs:UpdateService".to_string()));
        assert!(!read.contains(&"ecs:UpdateService".to_string()));
        assert!(up.contains(&"ec2:CreateVpc".to_string()));
        assert!(!deploy.contains(&"ec2:CreateVpc".to_string()));
        for action in &read {
            let name = action.split(':').nth(1).unwrap();
            assert!(
                ["Describe", "List", "Get", "Filter"]
                    .iter()
                    .any(|p| name.starts_with(p)),
                "read grants {action}"
            );
        }
    }

    #[test]
    fn resources_name_the_environment() {
        let env = env("prod");
        let text = policy(&env, "210987654321", None, Purpose::Up).to_string();
        assert!(text.contains("arn:aws:iam::210987654321:role/macro-ai-prod-*"));
        assert!(text.contains("secret:macro-ai/prod/*"));
        assert!(!text.contains("macro-ai-staging"));
        assert!(!text.contains("123456789012"));
    }

    #[test]
    fn the_state_backend_is_granted_when_used() {
        let env = env("dev");
        let state = S3Location {
            bucket: "acme-state".into(),
            prefix: "macro-ai".into(),
        };
        let read = policy(&env, "123456789012", Some(&state), Purpose::Read).to_string();
        assert!(read.contains("arn:aws:s3:::acme-state/macro-ai/*"));
        assert!(read.contains("s3:GetObject"));
        assert!(!read.contains("s3:PutObject"));
        let deploy = policy(&env, "123456789012", Some(&state), Purpose::Deploy).to_string();
        assert!(deploy.contains("s3:PutObject"));
    }

    #[test]
    fn bad_input() {
        assert!(Purpose::parse("destroy")
            .unwrap_err()
            .contains("up, deploy or read"));
        assert_eq!(Purpose::parse("deploy"), Ok(Purpose::Deploy));
        assert!(parse_account("12345").is_err());
        assert!(parse_account("12345678901a").is_err());
        assert_eq!(parse_account("123456789012").unwrap(), "123456789012");
    }
}
