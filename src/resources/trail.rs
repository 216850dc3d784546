//! The environment's CloudTrail trail (`macro-ai-<env>-trail`): every region's management
//! events, with log file validation, delivered to the environment's logs bucket and, where
//! the environment asks, to a CloudWatch Logs group through a role CloudTrail assumes.
//!
//! A trail is read by name (`GetTrail`, then `GetTrailStatus` for whether it is logging and
//! `ListTags`), since CloudTrail's own calls take the name as well as the ARN (and moto's
//! `UpdateTrail` and `DeleteTrail` only the name); its ARN is the physical id state keeps.
//! `CreateTrail` is safe to repeat (the name is unique in the region: a repeat answers
//! `TrailAlreadyExistsException`) and makes the trail with its tags, not logging: starting it
//! (`StartLogging`) is the update the engine makes next, and so is any setting that differs
//! later (`UpdateTrail` sets what it is given; both are safe to repeat).
//!
//! CloudTrail checks the bucket's policy when the trail is created or changed and refuses one
//! it cannot write to yet (`InsufficientS3BucketPolicyException`), and a CloudWatch Logs role
//! IAM has not propagated (`InvalidCloudWatchLogsRoleArnException`): moments after macroctl
//! wrote them these are propagation, which the engine waits out (see `aws::error`).

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrailSpec {
    /// The trail name, e.g. `macro-ai-staging-trail`.
    pub name: String,
    /// The logs bucket's name.
    pub bucket: Ref,
    /// Also deliver to CloudWatch Logs.
    pub cloudwatch_logs: Option<TrailLogs>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrailLogs {
    /// The log group's ARN (without `:*`).
    pub log_group: Ref,
    /// The role CloudTrail assumes to write to it.
    pub role: Ref,
}

#[derive(Debug, Clone)]
pub struct TrailLive {
    pub name: String,
    pub arn: String,
    pub bucket: String,
    pub multi_region: bool,
    pub log_file_validation: bool,
    pub global_service_events: bool,
    /// Without the `:*` CloudTrail reports.
    pub log_group_arn: Option<String>,
    pub role_arn: Option<String>,
    pub logging: bool,
    pub tags: Tags,
}

pub struct Trail;

const NONE: &str = "(none)";

/// The ARN the trail `name` has in `region` of `account` (what the logs bucket's policy
/// names before the trail exists).
pub fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:{region}:{account}:trail/{name}")
}

fn name_of(id: &str) -> &str {
    id.rsplit_once(":trail/").map_or(id, |(_, name)| name)
}

fn to_tags(tags: &Tags) -> Result<Vec<aws_sdk_cloudtrail::types::Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_cloudtrail::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| AwsError::other("AddTags", format!("invalid tag: {err}")))
        })
        .collect()
}

/// The trail `name` with its status and tags; `None` when it does not exist.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<TrailLive>, AwsError> {
    let cloudtrail = &ctx.aws.cloudtrail;
    // TrailNotFoundException: absent.
    let Some(out) = (cloudtrail.get_trail().name(name).send().await)
        .op("GetTrail")
        .found()?
    else {
        return Ok(None);
    };
    let Some(trail) = out.trail() else {
        return Ok(None);
    };
    let arn = trail.trail_arn().unwrap_or_default().to_string();
    let status = async {
        (cloudtrail.get_trail_status().name(name).send().await)
            .op("GetTrailStatus")
            .found()
    };
    let tags = async {
        let listed = (cloudtrail.list_tags().resource_id_list(&arn).send().await)
            .op("ListTags")
            .found()?;
        let tags: Tags = listed
            .iter()
            .flat_map(|out| out.resource_tag_list())
            .flat_map(|resource| resource.tags_list())
            .map(|tag| {
                (
                    tag.key().to_string(),
                    tag.value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        Ok::<_, AwsError>(tags)
    };
    let (status, tags) = futures::try_join!(status, tags)?;
    let Some(status) = status else {
        return Ok(None);
    };
    let strip = |arn: &str| arn.strip_suffix(":*").unwrap_or(arn).to_string();
    Ok(Some(TrailLive {
        name: trail.name().unwrap_or(name).to_string(),
        arn,
        bucket: trail.s3_bucket_name().unwrap_or_default().to_string(),
        multi_region: trail.is_multi_region_trail().unwrap_or(false),
        log_file_validation: trail.log_file_validation_enabled().unwrap_or(false),
        global_service_events: trail.include_global_service_events().unwrap_or(false),
        log_group_arn: trail.cloud_watch_logs_log_group_arn().map(strip),
        role_arn: trail.cloud_watch_logs_role_arn().map(str::to_string),
        logging: status.is_logging().unwrap_or(false),
        tags,
    }))
}

/// The CloudWatch Logs group and role `spec` asks for, resolved.
fn desired_logs(spec: &TrailSpec, resolver: &Resolver) -> (Option<String>, Option<String>) {
    match &spec.cloudwatch_logs {
        Some(logs) => (
            Some(resolver.get(&logs.log_group)),
            Some(resolver.get(&logs.role)),
        ),
        None => (None, None),
    }
}

fn flag(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

impl Kind for Trail {
    const KIND: &'static str = "cloudtrail:trail";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique in the region: a repeat answers TrailAlreadyExistsException.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name"];
    type Spec = TrailSpec;
    type Live = TrailLive;

    fn refs(spec: &TrailSpec) -> Vec<Ref> {
        let mut refs = vec![spec.bucket.clone()];
        if let Some(logs) = &spec.cloudwatch_logs {
            refs.push(logs.log_group.clone());
            refs.push(logs.role.clone());
        }
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &TrailSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<TrailLive>, AwsError> {
        let name = match lookup {
            Lookup::Id(id) => name_of(id),
            Lookup::Identity => spec.name.as_str(),
        };
        describe(ctx, name).await
    }

    fn diff(spec: &TrailSpec, live: &TrailLive, resolver: &Resolver) -> Vec<FieldChange> {
        if live.name != spec.name {
            return vec![FieldChange::replace("name", &live.name, &spec.name)];
        }
        let mut changes = Vec::new();
        super::compare(
            &mut changes,
            "s3_bucket",
            &live.bucket,
            &resolver.get(&spec.bucket),
            false,
        );
        for (field, on) in [
            ("multi_region", live.multi_region),
            ("log_file_validation", live.log_file_validation),
            ("global_service_events", live.global_service_events),
        ] {
            if !on {
                changes.push(FieldChange::update(field, flag(on), flag(true)));
            }
        }
        let (group, role) = desired_logs(spec, resolver);
        super::compare(
            &mut changes,
            "cloudwatch_logs_group",
            live.log_group_arn.as_deref().unwrap_or(NONE),
            group.as_deref().unwrap_or(NONE),
            false,
        );
        super::compare(
            &mut changes,
            "cloudwatch_logs_role",
            live.role_arn.as_deref().unwrap_or(NONE),
            role.as_deref().unwrap_or(NONE),
            false,
        );
        if !live.logging {
            changes.push(FieldChange::update("logging", flag(false), flag(true)));
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &TrailSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let (group, role) = desired_logs(spec, resolver);
        let out = ctx
            .aws
            .cloudtrail
            .create_trail()
            .name(&spec.name)
            .s3_bucket_name(resolver.get(&spec.bucket))
            .is_multi_region_trail(true)
            .enable_log_file_validation(true)
            .include_global_service_events(true)
            .set_cloud_watch_logs_log_group_arn(group.map(|arn| format!("{arn}:*")))
            .set_cloud_watch_logs_role_arn(role)
            .set_tags_list(Some(to_tags(&who.tags)?))
            .send()
            .await
            .op("CreateTrail")?;
        out.trail_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateTrail", "CloudTrail returned no trail ARN"))
    }

    /// `UpdateTrail` with every setting when any differs, then `StartLogging` when the trail
    /// is not logging; both set what they are given, so a repeat is harmless.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &TrailSpec,
        live: &TrailLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let cloudtrail = &ctx.aws.cloudtrail;
        if changes.iter().any(|change| change.field != "logging") {
            let (group, role) = desired_logs(spec, resolver);
            cloudtrail
                .update_trail()
                .name(&live.name)
                .s3_bucket_name(resolver.get(&spec.bucket))
                .is_multi_region_trail(true)
                .enable_log_file_validation(true)
                .include_global_service_events(true)
                // An empty value removes the CloudWatch Logs delivery.
                .cloud_watch_logs_log_group_arn(
                    group.map_or(String::new(), |arn| format!("{arn}:*")),
                )
                .cloud_watch_logs_role_arn(role.unwrap_or_default())
                .send()
                .await
                .op("UpdateTrail")?;
        }
        if !live.logging {
            cloudtrail
                .start_logging()
                .name(&live.name)
                .send()
                .await
                .op("StartLogging")?;
        }
        Ok(None)
    }

    fn tags(live: &TrailLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &TrailLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        let cloudtrail = &ctx.aws.cloudtrail;
        if !changes.set.is_empty() {
            cloudtrail
                .add_tags()
                .resource_id(&live.arn)
                .set_tags_list(Some(to_tags(&changes.set)?))
                .send()
                .await
                .op("AddTags")?;
        }
        if !changes.remove.is_empty() {
            let keys: Tags = changes
                .remove
                .iter()
                .filter_map(|key| live.tags.get_key_value(key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            cloudtrail
                .remove_tags()
                .resource_id(&live.arn)
                .set_tags_list(Some(to_tags(&keys)?))
                .send()
                .await
                .op("RemoveTags")?;
        }
        Ok(())
    }

    async fn delete(
        ctx: &Ctx<'_>,
        live: &TrailLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // TrailNotFoundException: already gone.
        (ctx.aws
            .cloudtrail
            .delete_trail()
            .name(&live.name)
            .send()
            .await)
            .op("DeleteTrail")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &TrailLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &TrailLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &TrailLive) -> String {
        format!(
            "{} to s3://{}",
            if live.logging {
                "logging"
            } else {
                "not logging"
            },
            live.bucket
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> TrailLive {
        TrailLive {
            name: "macro-ai-test-trail".into(),
            arn: arn("us-east-1", "123456789012", "macro-ai-test-trail"),
            bucket: "logs".into(),
            multi_region: true,
            log_file_validation: true,
            global_service_events: true,
            log_group_arn: None,
            role_arn: None,
            logging: true,
            tags: Tags::new(),
        }
    }

    #[test]
    fn diff_names_what_differs() {
        let resolver = Resolver::default();
        resolver.set(
            &crate::graph::LogicalId::new("bucket-logs"),
            Outputs::from([("name".to_string(), "logs".to_string())]),
        );
        let spec = TrailSpec {
            name: "macro-ai-test-trail".into(),
            bucket: Ref::new("bucket-logs", "name"),
            cloudwatch_logs: None,
        };
        assert!(Trail::diff(&spec, &live(), &resolver).is_empty());
        let stopped = TrailLive {
            logging: false,
            log_file_validation: false,
            ..live()
        };
        let fields: Vec<String> = Trail::diff(&spec, &stopped, &resolver)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(fields, ["log_file_validation", "logging"]);
    }

    #[test]
    fn a_trail_is_called_by_the_name_in_its_arn() {
        let arn = arn("eu-west-1", "123456789012", "macro-ai-prod-trail");
        assert_eq!(
            arn,
            "arn:aws:cloudtrail:eu-west-1:123456789012:trail/macro-ai-prod-trail"
        );
        assert_eq!(name_of(&arn), "macro-ai-prod-trail");
        assert_eq!(name_of("macro-ai-prod-trail"), "macro-ai-prod-trail");
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        let keys: Vec<String> = Trail::outputs(&live()).into_keys().collect();
        assert_eq!(keys, Trail::OUTPUTS);
    }
}
