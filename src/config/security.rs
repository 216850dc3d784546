//! `[security]` (optional section): how often the generated secrets must be rotated, and the
//! security controls this environment deliberately does not meet.
//!
//! macroctl builds to AWS Foundational Security Best Practices (FSBP) by default
//! (`crate::security` holds the catalogue of controls and how each is met). An environment may
//! depart from a control — dev runs a single-AZ database to save money — but only in the open:
//! `[security.exceptions]` names the control and says why, and `macroctl plan` lists every
//! control the environment does not meet, with its recorded reason or a warning that none is
//! recorded. An exception naming a control macroctl does not know is a typo and refused here,
//! before any AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::locate::join;
use super::Problem;

/// The longest a generated secret may go unrotated by default: FSBP SecretsManager.4's own
/// default (`maxDaysSinceRotation = 90`).
pub const DEFAULT_SECRET_ROTATION_DAYS: u32 = 90;

/// `[security]` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecurity {
    #[serde(default)]
    secret_rotation_days: Option<u32>,
    #[serde(default)]
    exceptions: BTreeMap<String, String>,
}

/// Validated `[security]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityConfig {
    /// Days a generated secret (database password, API keys) may go without `macroctl secret
    /// rotate`; `plan` reports the secrets older than this (FSBP SecretsManager.4).
    pub secret_rotation_days: u32,
    /// Control id (`RDS.5`) → why this environment does not meet it.
    pub exceptions: BTreeMap<String, String>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            secret_rotation_days: DEFAULT_SECRET_ROTATION_DAYS,
            exceptions: BTreeMap::new(),
        }
    }
}

/// The validated section; problems go to `problems` with their dotted keys.
pub(super) fn resolve(raw: &RawSecurity, problems: &mut Vec<Problem>) -> SecurityConfig {
    let mut push = |key: String, message: String| {
        problems.push(Problem {
            key,
            line: None,
            message,
        })
    };
    let days = raw
        .secret_rotation_days
        .unwrap_or(DEFAULT_SECRET_ROTATION_DAYS);
    if !(1..=365).contains(&days) {
        push(
            "security.secret_rotation_days".into(),
            format!("{days} is out of range; allowed 1..=365 (FSBP SecretsManager.4 expects 90 or fewer)"),
        );
    }
    for (id, reason) in &raw.exceptions {
        let key = join("security.exceptions", id);
        if crate::security::control(id).is_none() {
            let hint = crate::security::nearest_control(id)
                .map(|near| format!("did you mean {near}? "))
                .unwrap_or_default();
            push(
                key,
                format!("{id:?} is not a control macroctl knows; {hint}the controls are listed in docs/security.md (ids as in AWS Security Hub, e.g. \"RDS.5\")"),
            );
        } else if reason.trim().is_empty() {
            push(
                key,
                "the reason is empty; say why this environment does not meet the control (it is shown by `macroctl plan`)".into(),
            );
        }
    }
    SecurityConfig {
        secret_rotation_days: days,
        exceptions: raw.exceptions.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(text: &str) -> (SecurityConfig, Vec<Problem>) {
        let raw: RawSecurity = toml::from_str(text).unwrap();
        let mut problems = Vec::new();
        let config = resolve(&raw, &mut problems);
        (config, problems)
    }

    #[test]
    fn defaults_and_recorded_exceptions() {
        let (config, problems) = resolved("");
        assert!(problems.is_empty());
        assert_eq!(config, SecurityConfig::default());
        let (config, problems) =
            resolved("secret_rotation_days = 30\n[exceptions]\n\"RDS.5\" = \"dev is single-AZ\"");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.secret_rotation_days, 30);
        assert_eq!(config.exceptions["RDS.5"], "dev is single-AZ");
    }

    #[test]
    fn unknown_controls_empty_reasons_and_bad_days_are_refused() {
        let (_, problems) = resolved(
            "secret_rotation_days = 0\n[exceptions]\n\"RDS.55\" = \"x\"\n\"RDS.6\" = \" \"",
        );
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "security.secret_rotation_days",
                "security.exceptions.\"RDS.55\"",
                "security.exceptions.\"RDS.6\""
            ]
        );
        assert!(
            problems[1].message.contains("did you mean RDS."),
            "{problems:?}"
        );
        assert!(problems[2].message.contains("reason is empty"));
        assert!(toml::from_str::<RawSecurity>("rotation_days = 3").is_err());
    }
}
