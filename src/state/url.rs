//! Where state lives: a local directory (the default) or `s3://BUCKET/PREFIX`.
//!
//! Chosen by `--state-url` (or `MACROCTL_STATE_URL`), else the environment file's
//! `[state] url`, else the local `--state-dir`. A URL is checked before anything else is done
//! with it, so a typo (`s3://`, `s3:///x`, `gs://b`) is a clear error, not a request to a
//! bucket named by accident.

use std::fmt;

/// An S3 bucket and key prefix (no leading or trailing `/`; may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    /// The key of `name` under the prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// Why a state URL is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state URL `{url}`: {reason}; expected s3://BUCKET or s3://BUCKET/PREFIX (e.g. s3://acme-macroctl-state/macro-ai)")]
pub struct BadStateUrl {
    pub url: String,
    pub reason: String,
}

/// Parses `s3://BUCKET[/PREFIX]`. The bucket must be a valid S3 bucket name (3-63 lowercase
/// letters, digits, dots and hyphens, starting and ending with a letter or digit).
pub fn parse(url: &str) -> Result<S3Location, BadStateUrl> {
    let bad = |reason: &str| BadStateUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad("it has no scheme"));
    };
    if scheme != "s3" {
        return Err(bad(&format!(
            "the scheme `{scheme}` is not supported (only s3; for a local directory use --state-dir)"
        )));
    }
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(bad("it names no bucket"));
    }
    let valid_chars = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let valid_ends = bucket
        .chars()
        .next()
        .zip(bucket.chars().last())
        .is_some_and(|(first, last)| first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric());
    if !(3..=63).contains(&bucket.len()) || !valid_chars || !valid_ends || bucket.contains("..") {
        return Err(bad(&format!(
            "`{bucket}` is not a valid bucket name (3-63 lowercase letters, digits, dots and hyphens)"
        )));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|part| part == "." || part == "..")
        || prefix.contains("//")
        || prefix.chars().any(|c| c.is_control())
    {
        return Err(bad("the prefix has an empty, `.` or `..` part"));
    }
    Ok(S3Location {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_prefixes() {
        let at = parse("s3://acme-state/macro-ai/teams/").unwrap();
        assert_eq!(at.bucket, "acme-state");
        assert_eq!(at.prefix, "macro-ai/teams");
        assert_eq!(at.key("staging.json"), "macro-ai/teams/staging.json");
        assert_eq!(at.url(), "s3://acme-state/macro-ai/teams");
        let bare = parse("s3://acme-state").unwrap();
        assert_eq!(bare.key("dev.lock"), "dev.lock");
        assert_eq!(parse("s3://acme-state/").unwrap().prefix, "");
    }

    #[test]
    fn what_is_not_a_state_url_says_why() {
        for (url, why) in [
            ("s3://", "no bucket"),
            ("s3:///x", "no bucket"),
            ("gs://b", "scheme `gs`"),
            ("acme-state", "no scheme"),
            ("s3://Acme", "not a valid bucket name"),
            ("s3://ab", "not a valid bucket name"),
            ("s3://-ab", "not a valid bucket name"),
            ("s3://acme/a//b", "prefix"),
            ("s3://acme/a/../b", "prefix"),
        ] {
            let err = parse(url).unwrap_err().to_string();
            assert!(err.contains(why), "{url}: {err}");
            assert!(err.contains("s3://BUCKET"), "{url}: {err}");
        }
    }
}
