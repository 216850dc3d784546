//! `[cognito]` (optional section): whether macroctl makes the environment's Cognito user pool
//! and app client, and how the pool is set up.
//!
//! Why a section of its own: the seed says Cognito is "already implemented" in some accounts,
//! so an environment either references an existing pool (`integrations.cognito_user_pool_arn`,
//! today's setting, which keeps working unchanged) or has macroctl create one. `create`
//! defaults to true exactly when no pool is referenced: an environment file that names a pool
//! means that pool, and one that names none gets its own (the API task role's Cognito
//! permissions then name that pool's ARN, never `*`). Naming a pool *and* asking to create one
//! is refused as ambiguous. The pool settings (`deletion_protection`, `mfa`,
//! `password_min_length`) apply only to a pool macroctl creates; with a referenced pool they
//! are validated but unused, so uncommenting the ARN in a shipped file is the whole switch.

use super::{Problem, RawFile};
use serde::Deserialize;

/// Password lengths Cognito accepts for a user pool's password policy.
pub const PASSWORD_LENGTHS: std::ops::RangeInclusive<u32> = 8..=99;

/// `[cognito]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCognito {
    create: Option<bool>,
    deletion_protection: Option<bool>,
    mfa: Option<Mfa>,
    password_min_length: Option<u32>,
    /// The app client of a referenced pool (only without `create`): passed to the API as
    /// `COGNITO_CLIENT_ID`.
    client_id: Option<String>,
}

/// A user pool's MFA setting (`MfaConfiguration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Mfa {
    #[serde(rename = "OFF")]
    Off,
    #[serde(rename = "OPTIONAL")]
    Optional,
    #[serde(rename = "ON")]
    On,
}

impl Mfa {
    /// The value the Cognito API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Mfa::Off => "OFF",
            Mfa::Optional => "OPTIONAL",
            Mfa::On => "ON",
        }
    }
}

/// Validated `[cognito]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CognitoConfig {
    /// macroctl creates and manages the user pool and its app client.
    pub create: bool,
    /// The pool's deletion protection (`ACTIVE`); default true for `prod`.
    pub deletion_protection: bool,
    /// Default `OPTIONAL` (software token, TOTP).
    pub mfa: Mfa,
    /// Default 12; upper and lower case, digits and symbols are always required.
    pub password_min_length: u32,
    /// A referenced pool's app client id, when given.
    pub client_id: Option<String>,
}

/// Checks `[cognito]` against `integrations` and returns it with its defaults filled in.
pub(super) fn check(raw: &RawFile, problems: &mut Vec<Problem>) -> CognitoConfig {
    let c = &raw.cognito;
    let mut push = |key: &str, message: String| {
        problems.push(Problem {
            key: key.to_string(),
            line: None,
            message,
        })
    };
    let referenced = raw.integrations.cognito_user_pool_arn.is_some();
    if referenced && c.create == Some(true) {
        push(
            "cognito.create",
            "true, but integrations.cognito_user_pool_arn names an existing pool; either remove that key (macroctl then creates the pool) or set cognito.create = false to use the existing one".into(),
        );
    }
    let create = c.create.unwrap_or(!referenced);
    let length = c.password_min_length.unwrap_or(12);
    if !PASSWORD_LENGTHS.contains(&length) {
        push(
            "cognito.password_min_length",
            format!(
                "{length} is out of range; Cognito accepts {}..={}",
                PASSWORD_LENGTHS.start(),
                PASSWORD_LENGTHS.end()
            ),
        );
    }
    if let Some(id) = &c.client_id {
        if create {
            push(
                "cognito.client_id",
                "only for a referenced pool (cognito.create = false); macroctl makes the app client of a pool it creates, so remove this key".into(),
            );
        } else if !referenced {
            push(
                "cognito.client_id",
                "needs integrations.cognito_user_pool_arn, the pool the client belongs to".into(),
            );
        } else if id.is_empty()
            || id.len() > 128
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+')
        {
            push(
                "cognito.client_id",
                format!("{id:?} is not an app client id (1 to 128 letters and digits, as Cognito shows it)"),
            );
        }
    }
    CognitoConfig {
        create,
        deletion_protection: c
            .deletion_protection
            .unwrap_or(raw.environment.name == "prod"),
        mfa: c.mfa.unwrap_or(Mfa::Optional),
        password_min_length: length,
        client_id: c.client_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const ARN: &str = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf";

    fn env_with(env: &str, edits: &[(&str, &str)]) -> Result<super::super::Environment, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        let mut src = std::fs::read_to_string(dir.join(format!("{env}.toml"))).unwrap();
        for (from, to) in edits {
            assert!(src.contains(from), "{from}");
            src = src.replacen(from, to, 1);
        }
        let file = format!("{env}.toml");
        super::super::parse_str(&src, Path::new(&file), None).map_err(|err| err.to_string())
    }

    fn referenced(line: &str) -> String {
        format!("[integrations]\ncognito_user_pool_arn = \"{ARN}\"\n{line}")
    }

    #[test]
    fn defaults_per_environment() {
        for (env, protected) in [("dev", false), ("staging", false), ("prod", true)] {
            let e = env_with(env, &[]).unwrap();
            assert!(e.cognito.create, "{env}");
            assert_eq!(e.cognito.deletion_protection, protected, "{env}");
            assert_eq!(e.cognito.mfa, super::Mfa::Optional);
            assert_eq!(e.cognito.password_min_length, 12);
        }
        let e = env_with("dev", &[("[integrations]", &referenced(""))]).unwrap();
        assert!(
            !e.cognito.create,
            "a referenced pool is not created by default"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let err = env_with(
            "dev",
            &[("password_min_length = 12", "password_min_length = 7")],
        )
        .unwrap_err();
        assert!(
            err.contains("cognito.password_min_length: 7 is out of range; Cognito accepts 8..=99"),
            "{err}"
        );
        let err = env_with("dev", &[("mfa = \"OPTIONAL\"", "mfa = \"SOMETIMES\"")]).unwrap_err();
        assert!(err.contains("cognito.mfa"), "{err}");
        let err = env_with(
            "dev",
            &[
                ("[cognito]", "[cognito]\ncreate = true"),
                ("[integrations]", &referenced("")),
            ],
        )
        .unwrap_err();
        assert!(
            err.contains("cognito.create: true, but integrations.cognito_user_pool_arn"),
            "{err}"
        );
        let err = env_with("dev", &[("[cognito]", "[cognito]\nclient_id = \"abc\"")]).unwrap_err();
        assert!(
            err.contains("cognito.client_id: only for a referenced pool"),
            "{err}"
        );
    }
}
