//! The alarm topic (`alerts-topic`, `<stack>-<env>-alerts`) and the KMS key it is encrypted
//! with (`kms-alerts`, alias `alias/<stack>-<env>-alerts`), where `monitoring.alarms` is on.
//! Declared with the application layer (`app::declare`), whose alarms notify the topic.
//!
//! **Encrypted with a customer managed key by default** (AWS FSBP SNS.1). Not the AWS managed
//! `alias/aws/sns`: its key policy cannot be changed and does not let CloudWatch use it, so
//! alarms could not publish to the topic and every notification would be dropped, silently.
//! The environment's own key lets exactly CloudWatch, on behalf of this account, use it.
//! `monitoring.alarm_topic_kms_key` names an existing key instead (then none is made).
//!
//! **The topic policy** admits the account to manage the topic, and CloudWatch to publish to
//! it only for this account's alarms in this region (`aws:SourceAccount`, `aws:SourceArn`);
//! nothing else. It replaces SNS's default policy, which admits any principal of the account
//! (`"AWS": "*"` with `AWS:SourceOwner`) to publish and subscribe.

use super::app::ALERTS_TOPIC;
use super::Declared;
use crate::config::Environment;
use crate::resources::iam_role::POLICY_VERSION;
use crate::resources::kms_key::KmsKeySpec;
use crate::resources::sns_topic::SnsTopicSpec;
use crate::resources::{Ref, Spec, Value};
use serde_json::json;

pub const ALERTS_KEY: &str = "kms-alerts";

/// The service principal CloudWatch alarms publish as.
const CLOUDWATCH: &str = "cloudwatch.amazonaws.com";

/// What the account may do to its own topic (SNS's default owner actions, but publishing:
/// only CloudWatch is admitted to publish).
const OWNER_ACTIONS: [&str; 7] = [
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
];

/// The topic, and the key unless the environment names one.
pub(super) fn declare(env: &Environment, account: &str) -> Vec<Declared> {
    let prefix = format!("{}-{}", env.stack, env.name);
    let topic_name = format!("{prefix}-alerts");
    let mut out = Vec::new();
    let key = match &env.monitoring.alarm_topic_kms_key {
        Some(configured) => Value::Literal(configured.clone()),
        None => {
            out.push(Declared::new(
                ALERTS_KEY,
                Spec::KmsKey(KmsKeySpec {
                    alias: format!("alias/{prefix}-alerts"),
                    description: format!(
                        "macroctl {prefix}: encrypts the alarm topic {topic_name}; CloudWatch alarms of this account may use it"
                    ),
                    policy: key_policy(account).to_string(),
                }),
            ));
            Value::Ref(Ref::new(ALERTS_KEY, "arn"))
        }
    };
    let topic_arn = format!("arn:aws:sns:{}:{account}:{topic_name}", env.region);
    out.push(Declared::new(
        ALERTS_TOPIC,
        Spec::SnsTopic(SnsTopicSpec {
            name: topic_name,
            email_subscription: env.monitoring.alarm_email.clone(),
            kms_master_key_id: Some(key),
            policy: Some(topic_policy(&topic_arn, &env.region, account).to_string()),
        }),
    ));
    out
}

/// The alarm key's policy: the account administers it, CloudWatch may use it for this account.
pub fn key_policy(account: &str) -> serde_json::Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [
            {
                // AWS's default key policy, and the one accepted exception to "no `*`": the
                // account's root gives the key to IAM (without it, no IAM policy could grant
                // anything on the key, and a key nobody can manage can never be fixed or
                // deleted). In a key policy `Resource: "*"` is this key alone; its ARN does not
                // exist before CreateKey, which takes the policy.
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                // What an alarm needs to publish to a topic encrypted with this key.
                "Sid": "CloudWatchAlarmsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
        ],
    })
}

/// The alarm topic's policy: the account manages it, CloudWatch alarms of this account and
/// region publish to it.
pub fn topic_policy(topic_arn: &str, region: &str, account: &str) -> serde_json::Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "AccountManagesTheTopic",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": OWNER_ACTIONS,
                "Resource": topic_arn,
            },
            {
                "Sid": "CloudWatchAlarmsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": format!("arn:aws:cloudwatch:{region}:{account}:alarm:*")},
                },
            },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_str;
    use std::path::Path;

    fn staging(edit: impl Fn(String) -> String) -> Environment {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        let src = std::fs::read_to_string(dir.join("staging.toml")).unwrap();
        parse_str(&edit(src), Path::new("staging.toml"), None).unwrap()
    }

    #[test]
    fn the_topic_is_encrypted_with_the_environments_key_by_default() {
        let declared = declare(&staging(|src| src), "123456789012");
        let ids: Vec<&str> = declared.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, [ALERTS_KEY, ALERTS_TOPIC]);
        let Spec::SnsTopic(topic) = &declared[1].spec else {
            panic!("not a topic")
        };
        assert_eq!(
            topic.kms_master_key_id,
            Some(Value::Ref(Ref::new(ALERTS_KEY, "arn")))
        );
        let policy: serde_json::Value =
            serde_json::from_str(topic.policy.as_deref().unwrap()).unwrap();
        let arn = "arn:aws:sns:us-east-1:123456789012:macro-ai-staging-alerts";
        for statement in policy["Statement"].as_array().unwrap() {
            assert_eq!(statement["Resource"], arn);
            assert_ne!(statement["Principal"]["AWS"], "*");
        }
        let Spec::KmsKey(key) = &declared[0].spec else {
            panic!("not a key")
        };
        assert_eq!(key.alias, "alias/macro-ai-staging-alerts");
        assert!(key.policy.contains(CLOUDWATCH));
    }

    #[test]
    fn a_configured_key_is_used_and_none_is_made() {
        let env = staging(|src| {
            src.replacen(
                "[monitoring]\n",
                "[monitoring]\nalarm_topic_kms_key = \"alias/ops-alerts\"\n",
                1,
            )
        });
        let declared = declare(&env, "123456789012");
        assert_eq!(declared.len(), 1);
        let Spec::SnsTopic(topic) = &declared[0].spec else {
            panic!("not a topic")
        };
        assert_eq!(
            topic.kms_master_key_id,
            Some(Value::Literal("alias/ops-alerts".into()))
        );
    }
}
