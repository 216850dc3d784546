//! Tags: the one place that converts them to and from each AWS SDK's own tag type, tells
//! whose a resource is, and works out which tags to change.
//!
//! Every resource macroctl makes carries `Name`, `macroctl:stack`, `macroctl:env`,
//! `macroctl:id` and the environment's own `[environment.tags]`. The stack and env tags are
//! how macroctl recognises its own resources: a resource found by name whose tags name another
//! stack or environment is never adopted or changed ([`owner`]). Tags the environment file no
//! longer lists are removed only if macroctl set them (the keys are kept in state), so tags
//! others add (cost allocation, AWS's own `aws:` tags) are left alone.

use super::{FieldChange, TAG_ENV, TAG_STACK};
use crate::aws::AwsError;
use std::collections::{BTreeMap, HashMap};

/// Tags by key.
pub type Tags = BTreeMap<String, String>;

/// Whose a resource is, by its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Tagged with this stack and environment.
    Ours,
    /// Tagged with another stack or environment.
    Other { stack: String, env: String },
    /// Without macroctl's stack and env tags: not made by macroctl.
    Untagged,
}

/// Whose a resource with these tags is, seen from `stack` / `env`.
pub fn owner(tags: &Tags, stack: &str, env: &str) -> Owner {
    let tag_stack = tags.get(TAG_STACK);
    let tag_env = tags.get(TAG_ENV);
    match (tag_stack, tag_env) {
        (None, None) => Owner::Untagged,
        (Some(s), Some(e)) if s == stack && e == env => Owner::Ours,
        (s, e) => Owner::Other {
            stack: s.cloned().unwrap_or_else(|| "(none)".into()),
            env: e.cloned().unwrap_or_else(|| "(none)".into()),
        },
    }
}

/// What to change on a resource's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Tags to add or to give a new value.
    pub set: Tags,
    /// Keys to remove.
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// The changes that bring `live` to `desired`: every desired tag that is missing or differs,
/// and the removal of keys macroctl set before (`managed`) that are no longer desired.
pub fn changes(desired: &Tags, live: &Tags, managed: &[String]) -> TagChanges {
    let set = desired
        .iter()
        .filter(|(key, value)| live.get(*key) != Some(*value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let remove = managed
        .iter()
        .filter(|key| !desired.contains_key(*key) && live.contains_key(*key))
        .cloned()
        .collect();
    TagChanges { set, remove }
}

/// The field prefix of tag changes in a plan: `tag Team`.
pub const FIELD_PREFIX: &str = "tag ";

/// The tag changes as plan lines.
pub fn field_changes(changes: &TagChanges, live: &Tags) -> Vec<FieldChange> {
    let absent = "(absent)";
    let mut fields: Vec<FieldChange> = changes
        .set
        .iter()
        .map(|(key, value)| {
            FieldChange::update(
                &format!("{FIELD_PREFIX}{key}"),
                live.get(key).map_or(absent, String::as_str),
                value,
            )
        })
        .collect();
    fields.extend(changes.remove.iter().map(|key| {
        FieldChange::update(
            &format!("{FIELD_PREFIX}{key}"),
            live.get(key).map_or("", String::as_str),
            absent,
        )
    }));
    fields
}

/// Whether a plan line is a tag change (applied by `set_tags`, not by the kind's `update`).
pub fn is_tag_field(change: &FieldChange) -> bool {
    change.field.starts_with(FIELD_PREFIX)
}

fn build_error(operation: &str, err: impl std::fmt::Display) -> AwsError {
    AwsError::other(operation, format!("invalid tag: {err}"))
}

// --- EC2 -------------------------------------------------------------------------------------

pub fn to_ec2(tags: &Tags) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub fn from_ec2(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

/// A `TagSpecification` for a create, so a resource is never untagged, even for an instant:
/// a run killed right after a create still finds it by tag.
pub fn ec2_spec(
    tags: &Tags,
    resource_type: aws_sdk_ec2::types::ResourceType,
) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(to_ec2(tags)))
        .build()
}

/// CreateTags / DeleteTags on one EC2 resource.
pub async fn set_ec2(
    ec2: &aws_sdk_ec2::Client,
    resource_id: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        ec2.create_tags()
            .resources(resource_id)
            .set_tags(Some(to_ec2(&changes.set)))
            .send()
            .await
            .op("CreateTags")?;
    }
    if !changes.remove.is_empty() {
        let keys = changes
            .remove
            .iter()
            .map(|key| aws_sdk_ec2::types::Tag::builder().key(key).build())
            .collect();
        ec2.delete_tags()
            .resources(resource_id)
            .set_tags(Some(keys))
            .send()
            .await
            .op("DeleteTags")?;
    }
    Ok(())
}

// --- RDS, ElastiCache ------------------------------------------------------------------------

pub fn to_rds(tags: &Tags) -> Vec<aws_sdk_rds::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_rds::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub fn from_rds(tags: &[aws_sdk_rds::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

/// AddTagsToResource / RemoveTagsFromResource on one RDS resource (by ARN).
pub async fn set_rds(
    rds: &aws_sdk_rds::Client,
    arn: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(to_rds(&changes.set)))
            .send()
            .await
            .op("AddTagsToResource")?;
    }
    if !changes.remove.is_empty() {
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("RemoveTagsFromResource")?;
    }
    Ok(())
}

pub fn to_elasticache(tags: &Tags) -> Vec<aws_sdk_elasticache::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_elasticache::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub fn from_elasticache(tags: &[aws_sdk_elasticache::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

/// AddTagsToResource / RemoveTagsFromResource on one ElastiCache resource (by ARN).
pub async fn set_elasticache(
    elasticache: &aws_sdk_elasticache::Client,
    arn: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        elasticache
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(to_elasticache(&changes.set)))
            .send()
            .await
            .op("AddTagsToResource")?;
    }
    if !changes.remove.is_empty() {
        elasticache
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("RemoveTagsFromResource")?;
    }
    Ok(())
}

/// The tags of one RDS resource (by ARN): for the kinds whose Describe does not carry them
/// (DB subnet groups, DB parameter groups).
pub async fn list_rds(rds: &aws_sdk_rds::Client, arn: &str) -> Result<Tags, AwsError> {
    use crate::aws::IntoAwsError;
    let output = rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(from_rds(output.tag_list()))
}

/// The tags of one ElastiCache resource (by ARN): no ElastiCache Describe carries them.
pub async fn list_elasticache(
    elasticache: &aws_sdk_elasticache::Client,
    arn: &str,
) -> Result<Tags, AwsError> {
    use crate::aws::IntoAwsError;
    let output = elasticache
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(from_elasticache(output.tag_list()))
}

// --- ELBv2 -----------------------------------------------------------------------------------

pub fn to_elb(tags: &Tags) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub fn from_elb(tags: &[aws_sdk_elasticloadbalancingv2::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

/// AddTags / RemoveTags on one ELBv2 resource (by ARN).
pub async fn set_elb(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    arn: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        elb.add_tags()
            .resource_arns(arn)
            .set_tags(Some(to_elb(&changes.set)))
            .send()
            .await
            .op("AddTags")?;
    }
    if !changes.remove.is_empty() {
        elb.remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("RemoveTags")?;
    }
    Ok(())
}

/// The tags of ELBv2 resources, by ARN (DescribeTags takes up to 20 ARNs).
pub async fn describe_elb(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    arns: &[String],
) -> Result<HashMap<String, Tags>, AwsError> {
    use crate::aws::IntoAwsError;
    let mut all = HashMap::new();
    for chunk in arns.chunks(20) {
        let output = elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .op("DescribeTags")?;
        for description in output.tag_descriptions() {
            if let Some(arn) = description.resource_arn() {
                all.insert(arn.to_string(), from_elb(description.tags()));
            }
        }
    }
    Ok(all)
}

/// The tags of one ELBv2 resource (by ARN): no ELBv2 Describe carries them. A resource AWS
/// does not know fails NotFound (the emulator answers no tags instead).
pub async fn list_elb(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    arn: &str,
) -> Result<Tags, AwsError> {
    let mut all = describe_elb(elb, &[arn.to_string()]).await?;
    Ok(all.remove(arn).unwrap_or_default())
}

// --- IAM, ECR, ECS, Secrets Manager, SNS, CloudWatch -----------------------------------------

pub fn to_iam(tags: &Tags, operation: &str) -> Result<Vec<aws_sdk_iam::types::Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_iam::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| build_error(operation, err))
        })
        .collect()
}

pub fn from_iam(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
    tags.iter()
        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
        .collect()
}

pub fn to_ecr(tags: &Tags, operation: &str) -> Result<Vec<aws_sdk_ecr::types::Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_ecr::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| build_error(operation, err))
        })
        .collect()
}

pub fn from_ecr(tags: &[aws_sdk_ecr::types::Tag]) -> Tags {
    tags.iter()
        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
        .collect()
}

pub fn to_ecs(tags: &Tags) -> Vec<aws_sdk_ecs::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_ecs::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub fn from_ecs(tags: &[aws_sdk_ecs::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

/// TagResource / UntagResource on one ECS resource (by ARN).
pub async fn set_ecs(
    ecs: &aws_sdk_ecs::Client,
    arn: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        ecs.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_ecs(&changes.set)))
            .send()
            .await
            .op("TagResource")?;
    }
    if !changes.remove.is_empty() {
        ecs.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("UntagResource")?;
    }
    Ok(())
}

pub fn to_secrets(tags: &Tags) -> Vec<aws_sdk_secretsmanager::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_secretsmanager::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub fn from_secrets(tags: &[aws_sdk_secretsmanager::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

pub fn to_sns(tags: &Tags, operation: &str) -> Result<Vec<aws_sdk_sns::types::Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_sns::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| build_error(operation, err))
        })
        .collect()
}

pub fn from_sns(tags: &[aws_sdk_sns::types::Tag]) -> Tags {
    tags.iter()
        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
        .collect()
}

pub fn to_cloudwatch(tags: &Tags) -> Vec<aws_sdk_cloudwatch::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_cloudwatch::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub fn from_cloudwatch(tags: &[aws_sdk_cloudwatch::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

/// CloudWatch Logs and Application Auto Scaling take tags as a plain map.
pub fn to_map(tags: &Tags) -> HashMap<String, String> {
    tags.iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

pub fn from_map(tags: &HashMap<String, String>) -> Tags {
    tags.iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// TagRole / UntagRole on one IAM role (by name).
pub async fn set_iam(
    iam: &aws_sdk_iam::Client,
    role_name: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        iam.tag_role()
            .role_name(role_name)
            .set_tags(Some(to_iam(&changes.set, "TagRole")?))
            .send()
            .await
            .op("TagRole")?;
    }
    if !changes.remove.is_empty() {
        iam.untag_role()
            .role_name(role_name)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("UntagRole")?;
    }
    Ok(())
}

/// TagResource / UntagResource on one ECR repository (by ARN).
pub async fn set_ecr(
    ecr: &aws_sdk_ecr::Client,
    arn: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        ecr.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_ecr(&changes.set, "TagResource")?))
            .send()
            .await
            .op("TagResource")?;
    }
    if !changes.remove.is_empty() {
        ecr.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("UntagResource")?;
    }
    Ok(())
}

/// TagResource / UntagResource on one SNS topic (by ARN).
pub async fn set_sns(
    sns: &aws_sdk_sns::Client,
    arn: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        sns.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_sns(&changes.set, "TagResource")?))
            .send()
            .await
            .op("TagResource")?;
    }
    if !changes.remove.is_empty() {
        sns.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("UntagResource")?;
    }
    Ok(())
}

/// TagResource / UntagResource on one CloudWatch alarm (by ARN).
pub async fn set_cloudwatch(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    arn: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        cloudwatch
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_cloudwatch(&changes.set)))
            .send()
            .await
            .op("TagResource")?;
    }
    if !changes.remove.is_empty() {
        cloudwatch
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("UntagResource")?;
    }
    Ok(())
}

/// TagResource / UntagResource on one Secrets Manager secret (by ARN or name).
pub async fn set_secrets(
    secrets: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    changes: &TagChanges,
) -> Result<(), AwsError> {
    use crate::aws::IntoAwsError;
    if !changes.set.is_empty() {
        secrets
            .tag_resource()
            .secret_id(secret_id)
            .set_tags(Some(to_secrets(&changes.set)))
            .send()
            .await
            .op("TagResource")?;
    }
    if !changes.remove.is_empty() {
        secrets
            .untag_resource()
            .secret_id(secret_id)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .op("UntagResource")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn owner_by_stack_and_env_tags() {
        let ours = tags(&[(TAG_STACK, "macro-ai"), (TAG_ENV, "staging")]);
        assert_eq!(owner(&ours, "macro-ai", "staging"), Owner::Ours);
        assert_eq!(
            owner(&ours, "macro-ai", "prod"),
            Owner::Other {
                stack: "macro-ai".into(),
                env: "staging".into()
            }
        );
        assert_eq!(
            owner(&tags(&[("Team", "x")]), "macro-ai", "prod"),
            Owner::Untagged
        );
        let half = tags(&[(TAG_STACK, "macro-ai")]);
        assert!(matches!(
            owner(&half, "macro-ai", "prod"),
            Owner::Other { .. }
        ));
    }

    #[test]
    fn changes_set_what_differs_and_remove_only_what_macroctl_set() {
        let desired = tags(&[("Name", "a"), ("Team", "web"), ("CostCenter", "7")]);
        let live = tags(&[
            ("Name", "a"),
            ("Team", "platform"),
            ("Owner", "someone"),
            ("Old", "x"),
        ]);
        let managed = vec!["Name".to_string(), "Team".to_string(), "Old".to_string()];
        let changes = changes(&desired, &live, &managed);
        assert_eq!(changes.set, tags(&[("Team", "web"), ("CostCenter", "7")]));
        // `Owner` was added by someone else: left alone.
        assert_eq!(changes.remove, vec!["Old".to_string()]);
        let fields = field_changes(&changes, &live);
        assert_eq!(fields.len(), 3);
        assert!(fields.iter().all(is_tag_field));
        assert!(super::changes(&desired, &desired, &managed).is_empty());
    }
}
