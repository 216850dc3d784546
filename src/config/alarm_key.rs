//! `monitoring.alarm_topic_kms_key`: an existing KMS key for the alarm topic, instead of the
//! customer managed key macroctl makes for it.
//!
//! Checked here for its shape only (a key ARN, a key id, an alias name or an alias ARN, in the
//! environment's region): whether the key exists, and whether its policy lets CloudWatch use it,
//! is the key owner's business (docs/configuration.md says what the policy needs). One value is
//! refused outright, whatever its form: the AWS managed keys (`alias/aws/...`, `alias/aws/sns`
//! above all). CloudWatch alarms cannot publish to a topic encrypted with one (their key
//! policies cannot be changed to let `cloudwatch.amazonaws.com` use them), so every alarm
//! notification would be dropped, silently.

use super::MonitoringConfig;

pub(super) const KEY: &str = "monitoring.alarm_topic_kms_key";

/// A key id: a UUID, or `mrk-` and 32 hex digits (a multi-Region key).
fn is_key_id(id: &str) -> bool {
    if let Some(hex) = id.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|group| group.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An alias name after `alias/`: letters, digits, `/`, `_` and `-`, at most 250 characters.
fn is_alias_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 250
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
}

/// What is wrong with `value` as a key for the alarm topic in `region`, if anything.
pub(super) fn problem(value: &str, region: &str) -> Option<String> {
    let example = "a key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID), a key id, \"alias/NAME\" or an alias ARN";
    let (arn_region, resource) = match value.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            match parts.as_slice() {
                [partition, "kms", r, account, resource]
                    if partition.starts_with("aws")
                        && !r.is_empty()
                        && account.len() == 12
                        && account.chars().all(|c| c.is_ascii_digit()) =>
                {
                    (Some(*r), *resource)
                }
                _ => {
                    return Some(format!(
                        "{value:?} is not a KMS key ARN; expected {example}"
                    ))
                }
            }
        }
        None => (None, value),
    };
    if let Some(alias) = resource.strip_prefix("alias/") {
        if alias == "aws" || alias.starts_with("aws/") {
            return Some(format!(
                "{value:?} is an AWS managed key, whose key policy cannot be changed: it does not let CloudWatch (cloudwatch.amazonaws.com) use it, so CloudWatch alarms could not publish to the topic and every alarm notification would be dropped. Remove the key to let macroctl make a customer managed key for the topic, or name a customer managed key whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*"
            ));
        }
        if !is_alias_name(alias) {
            return Some(format!(
                "{value:?} is not a valid alias; alias names have letters, digits, '/', '_' and '-' only"
            ));
        }
    } else {
        let id = match arn_region {
            Some(_) => match resource.strip_prefix("key/") {
                Some(id) => id,
                None => {
                    return Some(format!(
                        "{value:?} names neither a key nor an alias; expected {example}"
                    ))
                }
            },
            None => resource,
        };
        if !is_key_id(id) {
            return Some(format!("{value:?} is not a KMS key; expected {example}"));
        }
    }
    match arn_region {
        Some(r) if r != region => Some(format!(
            "the key is in {r} but the stack is in {region}; an SNS topic can only be encrypted with a KMS key of its own region"
        )),
        _ => None,
    }
}

/// The problems of `[monitoring]`'s key setting, as `(key, message)`.
pub(super) fn check(monitoring: &MonitoringConfig, region: &str) -> Vec<(String, String)> {
    let Some(value) = &monitoring.alarm_topic_kms_key else {
        return Vec::new();
    };
    if let Some(message) = problem(value, region) {
        return vec![(KEY.to_string(), message)];
    }
    if !monitoring.alarms {
        return vec![(
            KEY.to_string(),
            "is set but monitoring.alarms = false, so there is no alarm topic to encrypt; set alarms = true or remove alarm_topic_kms_key".to_string(),
        )];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const REGION: &str = "us-east-1";
    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn keys_and_aliases_of_every_form_are_accepted() {
        for value in [
            KEY_ID.to_string(),
            format!("mrk-{}", "a".repeat(32)),
            format!("arn:aws:kms:us-east-1:123456789012:key/{KEY_ID}"),
            "alias/ops-alerts".to_string(),
            "arn:aws:kms:us-east-1:123456789012:alias/ops/alerts".to_string(),
        ] {
            assert_eq!(problem(&value, REGION), None, "{value}");
        }
    }

    #[test]
    fn malformed_foreign_and_aws_managed_keys_are_refused() {
        let refused = |value: &str, words: &str| {
            let message = problem(value, REGION).unwrap_or_else(|| panic!("{value} accepted"));
            assert!(message.contains(words), "{value}: {message}");
        };
        refused("alias/aws/sns", "AWS managed key");
        refused("alias/aws/sns", "cloudwatch.amazonaws.com");
        refused(
            "arn:aws:kms:us-east-1:123456789012:alias/aws/sns",
            "AWS managed",
        );
        refused("1234", "is not a KMS key");
        refused(
            "arn:aws:sns:us-east-1:123456789012:key/x",
            "is not a KMS key ARN",
        );
        refused(
            "arn:aws:kms:us-east-1:123456789012:grant/x",
            "names neither",
        );
        refused("alias/has space", "not a valid alias");
        refused(
            &format!("arn:aws:kms:eu-west-1:123456789012:key/{KEY_ID}"),
            "is in eu-west-1 but the stack is in us-east-1",
        );
    }

    #[test]
    fn the_env_file_names_the_file_and_the_key() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        let src = std::fs::read_to_string(dir.join("staging.toml")).unwrap();
        let with = |value: &str| {
            let text = src.replacen(
                "[monitoring]\n",
                &format!("[monitoring]\nalarm_topic_kms_key = {value:?}\n"),
                1,
            );
            super::super::parse_str(&text, Path::new("envs/staging.toml"), None)
        };
        let err = with("alias/aws/sns").unwrap_err().to_string();
        assert!(
            err.contains("envs/staging.toml:") && err.contains(&format!(": {KEY}: ")),
            "{err}"
        );
        assert!(err.contains("CloudWatch alarms could not publish"), "{err}");
        let env = with("alias/ops-alerts").unwrap();
        assert_eq!(
            env.monitoring.alarm_topic_kms_key.as_deref(),
            Some("alias/ops-alerts")
        );
    }
}
