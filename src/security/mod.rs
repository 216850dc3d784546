//! The security controls that apply to what macroctl builds, and whether an environment meets
//! each: the catalogue behind `macroctl plan`'s "security" section and `docs/security.md`.
//!
//! Teams adopt a provisioning tool when what it builds passes their security review, whose
//! reference is AWS Security Hub's Foundational Security Best Practices (FSBP) standard. So
//! every control of that standard that applies to this stack is here under its Security Hub id
//! (`RDS.5`), with a check that reads only the environment file: what macroctl builds follows
//! from the file, so the answer is known before any AWS call, is the same for every run, and
//! names the setting that would change it. Controls beyond FSBP that the stack needs (the
//! database refusing clear-text connections) carry `MC.` ids.
//!
//! A control an environment does not meet is either recorded in `[security.exceptions]` with a
//! reason (a deliberate departure: dev's single-AZ database) or shown as unexcepted, which
//! `plan` warns about. An exception for a control that is met is stale, and warned about too.
//! The one check that needs AWS — how long ago each secret was rotated — is added by
//! [`with_secret_ages`] from the values a plan has read.

mod catalogue;

use crate::config::Environment;
use serde::Serialize;

pub use catalogue::CONTROLS;

/// One control: its Security Hub id, its title, and how an environment's settings meet it.
pub struct Control {
    pub id: &'static str,
    pub title: &'static str,
    check: fn(&Environment) -> Status,
}

/// What the settings do for one control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Met, and how.
    Met(String),
    /// Not met; the setting (or action) that would meet it.
    Unmet(String),
    /// Nothing in the environment is subject to it, and why.
    NotApplicable(String),
}

/// One control's outcome for an environment, as `plan` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub control: &'static str,
    pub title: &'static str,
    /// `met`, `unmet` or `not_applicable`.
    pub status: &'static str,
    /// How it is met, why it does not apply, or what would meet it.
    pub detail: String,
    /// The reason `[security.exceptions]` records, for an unmet control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

/// Every control's outcome, and the exceptions that no longer name an unmet control.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub findings: Vec<Finding>,
    /// Exceptions recorded for controls the environment meets (or that do not apply).
    pub stale_exceptions: Vec<String>,
}

impl Assessment {
    /// The controls not met, in catalogue order.
    pub fn unmet(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.status == "unmet")
    }

    /// Unmet controls the environment file records no exception for.
    pub fn unexcepted(&self) -> impl Iterator<Item = &Finding> {
        self.unmet().filter(|f| f.exception.is_none())
    }

    pub fn count(&self, status: &str) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }
}

/// The control with this id.
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|control| control.id == id)
}

/// The known id closest to a mistyped one (`rds.5`, `RDS5`, `RDS.55`), when one is close.
pub fn nearest_control(id: &str) -> Option<&'static str> {
    let normal = |s: &str| s.to_ascii_lowercase().replace(['.', '-', '_', ' '], "");
    let wanted = normal(id);
    CONTROLS
        .iter()
        .map(|control| (strsim_distance(&normal(control.id), &wanted), control.id))
        .filter(|(distance, _)| *distance <= 1)
        .min()
        .map(|(_, id)| id)
}

/// Levenshtein distance (ids are a few characters: the quadratic table is nothing).
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Every control's outcome for `env`, from its settings alone.
pub fn assess(env: &Environment) -> Assessment {
    let findings: Vec<Finding> = CONTROLS
        .iter()
        .map(|control| finding(env, control, (control.check)(env)))
        .collect();
    let stale_exceptions = env
        .security
        .exceptions
        .keys()
        .filter(|id| {
            findings
                .iter()
                .any(|f| f.control == id.as_str() && f.status != "unmet")
        })
        .cloned()
        .collect();
    Assessment {
        findings,
        stale_exceptions,
    }
}

fn finding(env: &Environment, control: &Control, status: Status) -> Finding {
    let (status, detail) = match status {
        Status::Met(how) => ("met", how),
        Status::Unmet(setting) => ("unmet", setting),
        Status::NotApplicable(why) => ("not_applicable", why),
    };
    Finding {
        control: control.id,
        title: control.title,
        status,
        detail,
        exception: (status == "unmet")
            .then(|| env.security.exceptions.get(control.id).cloned())
            .flatten(),
    }
}

/// The id of the secret-age control, which [`with_secret_ages`] decides from live data.
pub const SECRET_AGE_CONTROL: &str = "SecretsManager.4";

/// `assessment` with SecretsManager.4 decided from the secrets' ages: `ages` is (secret name,
/// days since its value last changed) for each secret a plan read. A secret older than
/// `[security] secret_rotation_days` makes the control unmet, naming the command that rotates it.
pub fn with_secret_ages(
    env: &Environment,
    mut assessment: Assessment,
    ages: &[(String, u64)],
) -> Assessment {
    let limit = u64::from(env.security.secret_rotation_days);
    let overdue: Vec<String> = ages
        .iter()
        .filter(|(_, days)| *days > limit)
        .map(|(name, days)| format!("{name} ({days} days)"))
        .collect();
    let Some(control) = control(SECRET_AGE_CONTROL) else {
        return assessment;
    };
    let status = if overdue.is_empty() {
        (control.check)(env)
    } else {
        Status::Unmet(format!(
            "older than secret_rotation_days = {limit}: {}; run `macroctl secret rotate --env {} KEY --restart` for each (docs/security.md#secret-rotation)",
            overdue.join(", "),
            env.name
        ))
    };
    let updated = finding(env, control, status);
    for f in &mut assessment.findings {
        if f.control == SECRET_AGE_CONTROL {
            *f = updated.clone();
        }
    }
    let unmet = updated.status == "unmet";
    assessment
        .stale_exceptions
        .retain(|id| id != SECRET_AGE_CONTROL || !unmet);
    if !unmet
        && env.security.exceptions.contains_key(SECRET_AGE_CONTROL)
        && !assessment
            .stale_exceptions
            .iter()
            .any(|id| id == SECRET_AGE_CONTROL)
    {
        assessment
            .stale_exceptions
            .push(SECRET_AGE_CONTROL.to_string());
    }
    assessment
}

#[cfg(test)]
mod tests;
