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

/// `to_*` and `from_*` for an SDK tag type whose key and value are optional (its builder
/// cannot fail).
macro_rules! optional_tags {
    ($to:ident, $from:ident, $tag:ty) => {
        pub fn $to(tags: &Tags) -> Vec<$tag> {
            tags.iter()
                .map(|(key, value)| <$tag>::builder().key(key).value(value).build())
                .collect()
        }

        pub fn $from(tags: &[$tag]) -> Tags {
            tags.iter()
                .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
                .collect()
        }
    };
}

/// `to_*` and `from_*` for an SDK tag type whose key and value are required (its builder
/// fails without them).
macro_rules! required_tags {
    ($to:ident, $from:ident, $tag:ty) => {
        pub fn $to(tags: &Tags, operation: &str) -> Result<Vec<$tag>, AwsError> {
            tags.iter()
                .map(|(key, value)| {
                    <$tag>::builder()
                        .key(key)
                        .value(value)
                        .build()
                        .map_err(|err| build_error(operation, err))
                })
                .collect()
        }

        pub fn $from(tags: &[$tag]) -> Tags {
            tags.iter()
                .map(|tag| (tag.key().to_string(), tag.value().to_string()))
                .collect()
        }
    };
}

/// `set_*`: one call adding or changing tags, one removing keys, on one resource.
/// `$tags` turns the tags to set into what the add call takes (a `Result`).
macro_rules! tag_setter {
    ($(#[$doc:meta])* $name:ident($client:ty, $id:ident), $add:ident / $remove:ident, $tags:expr, $add_op:literal / $remove_op:literal) => {
        $(#[$doc])*
        pub async fn $name(client: &$client, id: &str, changes: &TagChanges) -> Result<(), AwsError> {
            use crate::aws::IntoAwsError;
            if !changes.set.is_empty() {
                client
                    .$add()
                    .$id(id)
                    .set_tags(Some(($tags)(&changes.set)?))
                    .send()
                    .await
                    .op($add_op)?;
            }
            if !changes.remove.is_empty() {
                client
                    .$remove()
                    .$id(id)
                    .set_tag_keys(Some(changes.remove.clone()))
                    .send()
                    .await
                    .op($remove_op)?;
            }
            Ok(())
        }
    };
}

/// For `tag_setter!`: a conversion that cannot fail, as one that can.
fn infallible<T>(convert: fn(&Tags) -> T) -> impl Fn(&Tags) -> Result<T, AwsError> {
    move |tags| Ok(convert(tags))
}

// --- S3 --------------------------------------------------------------------------------------

required_tags!(to_s3, from_s3, aws_sdk_s3::types::Tag);

// --- EC2 -------------------------------------------------------------------------------------

optional_tags!(to_ec2, from_ec2, aws_sdk_ec2::types::Tag);

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

/// CreateTags / DeleteTags on one EC2 resource (DeleteTags takes keys as value-less tags).
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

optional_tags!(to_rds, from_rds, aws_sdk_rds::types::Tag);
optional_tags!(
    to_elasticache,
    from_elasticache,
    aws_sdk_elasticache::types::Tag
);

tag_setter!(
    /// AddTagsToResource / RemoveTagsFromResource on one RDS resource (by ARN).
    set_rds(aws_sdk_rds::Client, resource_name),
    add_tags_to_resource / remove_tags_from_resource,
    infallible(to_rds),
    "AddTagsToResource" / "RemoveTagsFromResource"
);

tag_setter!(
    /// AddTagsToResource / RemoveTagsFromResource on one ElastiCache resource (by ARN).
    set_elasticache(aws_sdk_elasticache::Client, resource_name),
    add_tags_to_resource / remove_tags_from_resource,
    infallible(to_elasticache),
    "AddTagsToResource" / "RemoveTagsFromResource"
);

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

optional_tags!(to_elb, from_elb, aws_sdk_elasticloadbalancingv2::types::Tag);

tag_setter!(
    /// AddTags / RemoveTags on one ELBv2 resource (by ARN).
    set_elb(aws_sdk_elasticloadbalancingv2::Client, resource_arns),
    add_tags / remove_tags,
    infallible(to_elb),
    "AddTags" / "RemoveTags"
);

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

// --- IAM, ECR, ECS, Secrets Manager, SNS, CloudWatch, Logs -----------------------------------

required_tags!(to_iam, from_iam, aws_sdk_iam::types::Tag);
required_tags!(to_ecr, from_ecr, aws_sdk_ecr::types::Tag);
required_tags!(to_sns, from_sns, aws_sdk_sns::types::Tag);
optional_tags!(to_ecs, from_ecs, aws_sdk_ecs::types::Tag);
optional_tags!(to_secrets, from_secrets, aws_sdk_secretsmanager::types::Tag);
optional_tags!(
    to_cloudwatch,
    from_cloudwatch,
    aws_sdk_cloudwatch::types::Tag
);

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

tag_setter!(
    /// TagRole / UntagRole on one IAM role (by name).
    set_iam(aws_sdk_iam::Client, role_name),
    tag_role / untag_role,
    |tags| to_iam(tags, "TagRole"),
    "TagRole" / "UntagRole"
);

tag_setter!(
    /// TagResource / UntagResource on one ECR repository (by ARN).
    set_ecr(aws_sdk_ecr::Client, resource_arn),
    tag_resource / untag_resource,
    |tags| to_ecr(tags, "TagResource"),
    "TagResource" / "UntagResource"
);

tag_setter!(
    /// TagResource / UntagResource on one ECS resource (by ARN).
    set_ecs(aws_sdk_ecs::Client, resource_arn),
    tag_resource / untag_resource,
    infallible(to_ecs),
    "TagResource" / "UntagResource"
);

tag_setter!(
    /// TagResource / UntagResource on one SNS topic (by ARN).
    set_sns(aws_sdk_sns::Client, resource_arn),
    tag_resource / untag_resource,
    |tags| to_sns(tags, "TagResource"),
    "TagResource" / "UntagResource"
);

tag_setter!(
    /// TagResource / UntagResource on one CloudWatch alarm (by ARN).
    set_cloudwatch(aws_sdk_cloudwatch::Client, resource_arn),
    tag_resource / untag_resource,
    infallible(to_cloudwatch),
    "TagResource" / "UntagResource"
);

tag_setter!(
    /// TagResource / UntagResource on one Secrets Manager secret (by ARN or name).
    set_secrets(aws_sdk_secretsmanager::Client, secret_id),
    tag_resource / untag_resource,
    infallible(to_secrets),
    "TagResource" / "UntagResource"
);

tag_setter!(
    /// TagResource / UntagResource on one CloudWatch Logs log group (by ARN, without `:*`).
    set_logs(aws_sdk_cloudwatchlogs::Client, resource_arn),
    tag_resource / untag_resource,
    infallible(to_map),
    "TagResource" / "UntagResource"
);

// --- KMS ------------------------------------------------------------------------------------

/// KMS tags (`TagKey` / `TagValue`, both required).
pub fn to_kms(tags: &Tags, operation: &str) -> Result<Vec<aws_sdk_kms::types::Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_kms::types::Tag::builder()
                .tag_key(key)
                .tag_value(value)
                .build()
                .map_err(|err| build_error(operation, err))
        })
        .collect()
}

pub fn from_kms(tags: &[aws_sdk_kms::types::Tag]) -> Tags {
    tags.iter()
        .map(|tag| (tag.tag_key().to_string(), tag.tag_value().to_string()))
        .collect()
}

tag_setter!(
    /// TagResource / UntagResource on one KMS key (by key id or ARN).
    set_kms(aws_sdk_kms::Client, key_id),
    tag_resource / untag_resource,
    |tags| to_kms(tags, "TagResource"),
    "TagResource" / "UntagResource"
);

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
