//! `[storage]` (the environment's S3 buckets) and `[cloudtrail]` (its audit trail).
//!
//! Both sections are optional: every key has a per-environment default taken from the seed
//! deployment plan ("static asset storage and backups", "API audit logging"), so an env file
//! written before these sections existed keeps working and gets the secure baseline. Defaults
//! follow the environment's name: `prod` keeps backups and sends its trail to CloudWatch Logs
//! too, `dev` keeps old object versions for a week instead of a month; any other name gets the
//! staging defaults.
//!
//! Bucket names must be unique across all of S3, so they end in the account id, which is
//! known only when AWS is asked (`<bucket_prefix>-assets-<account>`); the prefix is checked
//! here so that the longest name (`-backups-` plus twelve digits) still fits S3's 63
//! characters.

use super::Problem;
use serde::Deserialize;

/// `[storage]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    bucket_prefix: Option<String>,
    backups_bucket: Option<bool>,
    noncurrent_version_days: Option<u32>,
    log_expiration_days: Option<u32>,
    alb_access_logs: Option<bool>,
}

/// `[cloudtrail]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCloudTrail {
    enabled: Option<bool>,
    cloudwatch_logs: Option<bool>,
}

/// Validated `[storage]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StorageConfig {
    /// Start of every bucket name: `<prefix>-assets-<account>` (default `<stack>-<env>`).
    pub bucket_prefix: String,
    /// Whether to create the `backups` bucket (default: prod only).
    pub backups_bucket: bool,
    /// Days a replaced or deleted object version is kept (default: 7 in dev, else 30).
    pub noncurrent_version_days: u32,
    /// Days ALB access logs and CloudTrail files are kept in the logs bucket (default: the
    /// environment's `monitoring.log_retention_days`).
    pub log_expiration_days: u32,
    /// Whether the load balancer writes access logs to the logs bucket (default: true).
    pub alb_access_logs: bool,
}

/// Validated `[cloudtrail]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CloudTrailConfig {
    /// Whether macroctl creates the environment's trail (default: true; false where the
    /// account already has an organisation trail).
    pub enabled: bool,
    /// Whether the trail also delivers to a CloudWatch Logs group (default: prod only).
    pub cloudwatch_logs: bool,
}

/// The longest suffix a bucket name gets: `-backups-` and a twelve-digit account id.
const LONGEST_SUFFIX: usize = "-backups-".len() + 12;
/// S3's limit on bucket names.
const BUCKET_NAME_MAX: usize = 63;

fn problem(key: &str, message: String) -> Problem {
    Problem {
        key: key.to_string(),
        line: None,
        message,
    }
}

/// Why `prefix` cannot start a bucket name, if it cannot.
fn prefix_problem(prefix: &str) -> Option<String> {
    let max = BUCKET_NAME_MAX - LONGEST_SUFFIX;
    if prefix.len() < 3 || prefix.len() > max {
        return Some(format!(
            "{prefix:?} is {} characters; allowed 3..={max}, so that `<prefix>-backups-<account id>` fits S3's {BUCKET_NAME_MAX}",
            prefix.len()
        ));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if !prefix.chars().all(allowed) {
        return Some(format!(
            "{prefix:?} has characters S3 bucket names cannot use; use lowercase letters, digits and dashes"
        ));
    }
    if !prefix.starts_with(|c: char| c.is_ascii_alphanumeric()) || prefix.contains("--") {
        return Some(format!(
            "{prefix:?} must start with a letter or digit and have no double dashes"
        ));
    }
    None
}

/// `[storage]` and `[cloudtrail]` of `raw`, pushing the problems found.
pub(super) fn resolve(
    raw: &super::RawFile,
    problems: &mut Vec<Problem>,
) -> (StorageConfig, CloudTrailConfig) {
    let env = &raw.environment;
    let (config, found) = storage(
        raw.storage.as_ref(),
        &env.stack,
        &env.name,
        raw.monitoring.log_retention_days,
    );
    problems.extend(found);
    (config, cloudtrail(raw.cloudtrail.as_ref(), &env.name))
}

/// Resolves `[storage]` for environment `env` of `stack`, with `log_retention_days` the
/// environment's own, returning the problems found.
pub(super) fn storage(
    raw: Option<&RawStorage>,
    stack: &str,
    env: &str,
    log_retention_days: u32,
) -> (StorageConfig, Vec<Problem>) {
    let default = RawStorage::default();
    let raw = raw.unwrap_or(&default);
    let mut problems = Vec::new();
    let bucket_prefix = raw
        .bucket_prefix
        .clone()
        .unwrap_or_else(|| format!("{stack}-{env}"));
    if let Some(message) = prefix_problem(&bucket_prefix) {
        let key = if raw.bucket_prefix.is_some() {
            "storage.bucket_prefix"
        } else {
            // The default comes from these two: name the fix.
            "environment.stack"
        };
        let message = if raw.bucket_prefix.is_some() {
            message
        } else {
            format!("the default storage.bucket_prefix {message}; set storage.bucket_prefix")
        };
        problems.push(problem(key, message));
    }
    let noncurrent_version_days =
        raw.noncurrent_version_days
            .unwrap_or(if env == "dev" { 7 } else { 30 });
    if !(1..=3650).contains(&noncurrent_version_days) {
        problems.push(problem(
            "storage.noncurrent_version_days",
            format!("{noncurrent_version_days} is out of range; allowed 1..=3650 (days)"),
        ));
    }
    let log_expiration_days = raw.log_expiration_days.unwrap_or(log_retention_days);
    if !(1..=3650).contains(&log_expiration_days) {
        problems.push(problem(
            "storage.log_expiration_days",
            format!("{log_expiration_days} is out of range; allowed 1..=3650 (days)"),
        ));
    }
    let config = StorageConfig {
        bucket_prefix,
        backups_bucket: raw.backups_bucket.unwrap_or(env == "prod"),
        noncurrent_version_days,
        log_expiration_days,
        alb_access_logs: raw.alb_access_logs.unwrap_or(true),
    };
    (config, problems)
}

/// Resolves `[cloudtrail]` for environment `env`.
pub(super) fn cloudtrail(raw: Option<&RawCloudTrail>, env: &str) -> CloudTrailConfig {
    let default = RawCloudTrail::default();
    let raw = raw.unwrap_or(&default);
    CloudTrailConfig {
        enabled: raw.enabled.unwrap_or(true),
        cloudwatch_logs: raw.cloudwatch_logs.unwrap_or(env == "prod"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_environment() {
        let (dev, problems) = storage(None, "macro-ai", "dev", 7);
        assert!(problems.is_empty());
        assert_eq!(dev.bucket_prefix, "macro-ai-dev");
        assert!(!dev.backups_bucket && dev.alb_access_logs);
        assert_eq!(
            (dev.noncurrent_version_days, dev.log_expiration_days),
            (7, 7)
        );
        let (prod, _) = storage(None, "macro-ai", "prod", 180);
        assert!(prod.backups_bucket);
        assert_eq!(
            (prod.noncurrent_version_days, prod.log_expiration_days),
            (30, 180)
        );
        assert!(cloudtrail(None, "prod").cloudwatch_logs);
        assert!(!cloudtrail(None, "staging").cloudwatch_logs);
        assert!(cloudtrail(None, "dev").enabled);
    }

    #[test]
    fn a_prefix_that_cannot_start_a_bucket_name_is_refused_by_key() {
        for bad in [
            "ab",
            "Macro",
            "macro_ai",
            "-macro",
            "macro--ai",
            &"a".repeat(43),
        ] {
            let raw = RawStorage {
                bucket_prefix: Some(bad.to_string()),
                ..RawStorage::default()
            };
            let (_, problems) = storage(Some(&raw), "macro-ai", "dev", 7);
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].key, "storage.bucket_prefix", "{bad}");
        }
        // The longest allowed prefix still makes a valid backups bucket name.
        let longest = "a".repeat(BUCKET_NAME_MAX - LONGEST_SUFFIX);
        assert!(prefix_problem(&longest).is_none());
        assert_eq!(format!("{longest}-backups-123456789012").len(), 63);
        // A long stack and env make a default too long: the fix is named.
        let (_, problems) = storage(None, "a-very-long-stack-nm", "a-long-environment-name", 7);
        assert_eq!(problems[0].key, "environment.stack");
        assert!(problems[0].message.contains("set storage.bucket_prefix"));
    }

    #[test]
    fn day_counts_are_checked() {
        let raw = RawStorage {
            noncurrent_version_days: Some(0),
            log_expiration_days: Some(4000),
            ..RawStorage::default()
        };
        let (_, problems) = storage(Some(&raw), "macro-ai", "dev", 7);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "storage.noncurrent_version_days",
                "storage.log_expiration_days"
            ]
        );
    }
}
