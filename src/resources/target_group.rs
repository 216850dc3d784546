//! A target group for one ECS service (`api` or `ui`): HTTP to the container port, target
//! type `ip` (Fargate tasks register by their ENI address), health-checked on the service's
//! health path.
//!
//! Found by its deterministic name (≤ 32 characters), unique in the account and region.
//! While planning it comes from the environment's one `DescribeTargetGroups` by the names it
//! declares, and its tags from the environment's `GetResources` (see `elb_listing`); right
//! after a change, or when the listing lacks the ARN recorded in state, it is read directly
//! (`DescribeTargetGroups` by ARN or name, then `DescribeTags`). Its attributes are one
//! `DescribeTargetGroupAttributes` per group either way (no API reads several), made
//! concurrently with the other resources' reads.
//!
//! `CreateTargetGroup` sets everything it can (health check, identity tags); attributes
//! cannot be given to it, so a new group has AWS's 300 s deregistration delay, which the
//! engine reads back, diffs and sets with the update. Compared: the health check (path,
//! interval, timeout, thresholds, matcher: `ModifyTargetGroup`) and the deregistration delay
//! (an attribute, `ModifyTargetGroupAttributes`; 30 s instead of AWS's 300 s, so deployments
//! do not wait five minutes per task). Port, protocol, VPC and target type cannot change in
//! place: `replace`. Values AWS does not report are unknown, never differences.

use super::elb_listing;
use super::load_balancer::compare_reported;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup as ElbTargetGroup, TargetGroupAttribute, TargetTypeEnum,
};

const PROTOCOL: &str = "HTTP";
const PROTOCOL_VERSION: &str = "HTTP1";
const TARGET_TYPE: &str = "ip";
const HEALTH_CHECK_PORT: &str = "traffic-port";
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TargetGroupSpec {
    /// AWS name, ≤ 32 characters, e.g. `macro-ai-staging-api`.
    pub name: String,
    /// The VPC's `vpc_id`.
    pub vpc: Ref,
    /// The service's container port.
    pub port: i32,
    pub health_check_path: String,
    /// 30 for the services (AWS's default is 300).
    pub deregistration_delay_seconds: i32,
}

/// Health check tuning: every 15 s with a 5 s timeout, healthy after 2 passes, unhealthy
/// after 3 failures (a failing task is out of rotation in 45 s), `200` only.
const HEALTH_CHECK_INTERVAL_SECONDS: i32 = 15;
const HEALTH_CHECK_TIMEOUT_SECONDS: i32 = 5;
const HEALTHY_THRESHOLD: i32 = 2;
const UNHEALTHY_THRESHOLD: i32 = 3;
const HEALTH_CHECK_MATCHER: &str = "200";

/// What AWS reports; `None` / empty where it reports nothing.
#[derive(Debug, Clone)]
pub struct TargetGroupLive {
    pub arn: String,
    pub name: String,
    pub vpc_id: String,
    pub port: Option<i32>,
    pub protocol: String,
    pub protocol_version: String,
    pub target_type: String,
    pub health_check_protocol: String,
    pub health_check_port: String,
    pub health_check_enabled: Option<bool>,
    pub health_check_path: String,
    pub health_check_interval_seconds: Option<i32>,
    pub health_check_timeout_seconds: Option<i32>,
    pub healthy_threshold: Option<i32>,
    pub unhealthy_threshold: Option<i32>,
    pub health_check_matcher: String,
    pub deregistration_delay_seconds: Option<i32>,
    /// Load balancers routing to it (shown by `status`).
    pub load_balancers: usize,
    pub tags: Tags,
}

pub struct TargetGroup;

/// `targetgroup/<name>/<id>` from the ARN: CloudWatch's `TargetGroup` dimension.
pub fn arn_suffix(arn: &str) -> String {
    arn.find(":targetgroup/")
        .map(|at| arn[at + 1..].to_string())
        .unwrap_or_default()
}

fn text(value: Option<i32>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn live_of(
    group: &ElbTargetGroup,
    deregistration_delay_seconds: Option<i32>,
    tags: Tags,
) -> TargetGroupLive {
    let name = |value: Option<&str>| value.unwrap_or_default().to_string();
    TargetGroupLive {
        arn: name(group.target_group_arn()),
        name: name(group.target_group_name()),
        vpc_id: name(group.vpc_id()),
        port: group.port(),
        protocol: name(group.protocol().map(|p| p.as_str())),
        protocol_version: name(group.protocol_version()),
        target_type: name(group.target_type().map(|t| t.as_str())),
        health_check_protocol: name(group.health_check_protocol().map(|p| p.as_str())),
        health_check_port: name(group.health_check_port()),
        health_check_enabled: group.health_check_enabled(),
        health_check_path: name(group.health_check_path()),
        health_check_interval_seconds: group.health_check_interval_seconds(),
        health_check_timeout_seconds: group.health_check_timeout_seconds(),
        healthy_threshold: group.healthy_threshold_count(),
        unhealthy_threshold: group.unhealthy_threshold_count(),
        health_check_matcher: name(group.matcher().and_then(|m| m.http_code())),
        deregistration_delay_seconds,
        load_balancers: group.load_balancer_arns().len(),
        tags,
    }
}

/// The group's attributes; `None` when AWS says the group does not exist.
async fn attributes(
    ctx: &Ctx<'_>,
    arn: &str,
) -> Result<Option<Vec<TargetGroupAttribute>>, AwsError> {
    let output = ctx
        .aws
        .elb
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .op("DescribeTargetGroupAttributes")
        .found()?;
    Ok(output.map(|output| output.attributes.unwrap_or_default()))
}

/// The deregistration delay among the attributes; `None` when not reported.
fn deregistration_delay(attributes: &[TargetGroupAttribute]) -> Option<i32> {
    attributes
        .iter()
        .find(|attribute| attribute.key() == Some(DEREGISTRATION_DELAY))
        .and_then(|attribute| attribute.value())
        .and_then(|value| value.trim().parse().ok())
}

/// The target group by ARN or by name, with its attributes and tags; `None` when absent.
/// While planning from the environment's listing (see the module docs), else described
/// directly.
async fn describe(
    ctx: &Ctx<'_>,
    arn: Option<&str>,
    name: Option<&str>,
) -> Result<Option<TargetGroupLive>, AwsError> {
    let wanted = |group: &&ElbTargetGroup| {
        arn.is_none_or(|arn| group.target_group_arn() == Some(arn))
            && name.is_none_or(|name| group.target_group_name() == Some(name))
    };
    if ctx.cached {
        // A recorded ARN: its attributes are read beside the listing (one round trip, not
        // two); they count only if the listing has the group.
        let (listed, known) = match arn {
            Some(arn) => {
                let (listed, read) =
                    futures::join!(elb_listing::target_groups(ctx), attributes(ctx, arn));
                (listed?, Some(read))
            }
            None => (elb_listing::target_groups(ctx).await?, None),
        };
        match listed.iter().find(wanted) {
            Some(group) => {
                let attributes = match known {
                    Some(read) => read?,
                    None => attributes(ctx, group.target_group_arn().unwrap_or_default()).await?,
                };
                return with_details(ctx, group, attributes).await;
            }
            // Listed by its name: it does not exist.
            None if name.is_some_and(|name| elb_listing::lists_target_group(ctx, name)) => {
                return Ok(None)
            }
            // By ARN (its name may have changed): a direct read tells.
            None => {}
        }
    }
    let Some(output) = ctx
        .aws
        .elb
        .describe_target_groups()
        .set_target_group_arns(arn.map(|arn| vec![arn.to_string()]))
        .set_names(name.map(|name| vec![name.to_string()]))
        .send()
        .await
        .op("DescribeTargetGroups")
        .found()?
    else {
        return Ok(None);
    };
    match output.target_groups().iter().find(wanted) {
        Some(group) => {
            let read = attributes(ctx, group.target_group_arn().unwrap_or_default()).await?;
            with_details(ctx, group, read).await
        }
        None => Ok(None),
    }
}

/// The group with its attributes (one call per group: no API reads several; `None`: AWS said
/// the group does not exist) and tags; `None` when it was deleted since it was described.
async fn with_details(
    ctx: &Ctx<'_>,
    group: &ElbTargetGroup,
    attributes: Option<Vec<TargetGroupAttribute>>,
) -> Result<Option<TargetGroupLive>, AwsError> {
    let arn = group.target_group_arn().unwrap_or_default();
    let Some(attributes) = attributes else {
        return Ok(None);
    };
    let Some(tags) = elb_listing::tags_of(ctx, arn, elb_listing::Tagged::Top).await? else {
        return Ok(None);
    };
    Ok(Some(live_of(
        group,
        deregistration_delay(&attributes),
        tags,
    )))
}

/// Fields `ModifyTargetGroup` changes.
const HEALTH_CHECK_FIELDS: [&str; 9] = [
    "health_check_protocol",
    "health_check_port",
    "health_check_enabled",
    "health_check_path",
    "health_check_interval_seconds",
    "health_check_timeout_seconds",
    "healthy_threshold",
    "unhealthy_threshold",
    "health_check_matcher",
];

impl Kind for TargetGroup {
    const KIND: &'static str = "elbv2:target-group";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat with the same settings returns the existing group, one
    // with other settings answers DuplicateTargetGroupName.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "arn_suffix", "name"];
    type Spec = TargetGroupSpec;
    type Live = TargetGroupLive;

    fn refs(spec: &TargetGroupSpec) -> Vec<Ref> {
        vec![spec.vpc.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &TargetGroupSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<TargetGroupLive>, AwsError> {
        match lookup {
            // Not an ARN: not something this kind records.
            Lookup::Id(arn) if !arn.starts_with("arn:") => Ok(None),
            Lookup::Id(arn) => describe(ctx, Some(arn), None).await,
            Lookup::Identity => describe(ctx, None, Some(&spec.name)).await,
        }
    }

    fn diff(
        spec: &TargetGroupSpec,
        live: &TargetGroupLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let vpc_id = resolver.get(&spec.vpc);
        super::compare(&mut changes, "vpc_id", &live.vpc_id, &vpc_id, true);
        let enabled = live.health_check_enabled.map(|on| on.to_string());
        // (field, live, desired, replace); an empty live value was not reported.
        let fields: [(&str, String, String, bool); 14] = [
            ("port", text(live.port), spec.port.to_string(), true),
            ("protocol", live.protocol.clone(), PROTOCOL.into(), true),
            (
                "protocol_version",
                live.protocol_version.clone(),
                PROTOCOL_VERSION.into(),
                true,
            ),
            (
                "target_type",
                live.target_type.clone(),
                TARGET_TYPE.into(),
                true,
            ),
            (
                "health_check_protocol",
                live.health_check_protocol.clone(),
                PROTOCOL.into(),
                false,
            ),
            (
                "health_check_port",
                live.health_check_port.clone(),
                HEALTH_CHECK_PORT.into(),
                false,
            ),
            (
                "health_check_enabled",
                enabled.unwrap_or_default(),
                "true".into(),
                false,
            ),
            (
                "health_check_path",
                live.health_check_path.clone(),
                spec.health_check_path.clone(),
                false,
            ),
            (
                "health_check_interval_seconds",
                text(live.health_check_interval_seconds),
                HEALTH_CHECK_INTERVAL_SECONDS.to_string(),
                false,
            ),
            (
                "health_check_timeout_seconds",
                text(live.health_check_timeout_seconds),
                HEALTH_CHECK_TIMEOUT_SECONDS.to_string(),
                false,
            ),
            (
                "healthy_threshold",
                text(live.healthy_threshold),
                HEALTHY_THRESHOLD.to_string(),
                false,
            ),
            (
                "unhealthy_threshold",
                text(live.unhealthy_threshold),
                UNHEALTHY_THRESHOLD.to_string(),
                false,
            ),
            (
                "health_check_matcher",
                live.health_check_matcher.clone(),
                HEALTH_CHECK_MATCHER.into(),
                false,
            ),
            (
                "deregistration_delay_seconds",
                text(live.deregistration_delay_seconds),
                spec.deregistration_delay_seconds.to_string(),
                false,
            ),
        ];
        for (field, old, new, replace) in fields {
            compare_reported(&mut changes, field, &old, &new, replace);
        }
        changes
    }

    /// The group with its health check and tags; the deregistration delay (an attribute,
    /// which CreateTargetGroup does not take) is the update that follows.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &TargetGroupSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .elb
            .create_target_group()
            .name(&spec.name)
            .protocol(ProtocolEnum::Http)
            .protocol_version(PROTOCOL_VERSION)
            .port(spec.port)
            .vpc_id(resolver.get(&spec.vpc))
            .target_type(TargetTypeEnum::Ip)
            .health_check_enabled(true)
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_port(HEALTH_CHECK_PORT)
            .health_check_path(&spec.health_check_path)
            .health_check_interval_seconds(HEALTH_CHECK_INTERVAL_SECONDS)
            .health_check_timeout_seconds(HEALTH_CHECK_TIMEOUT_SECONDS)
            .healthy_threshold_count(HEALTHY_THRESHOLD)
            .unhealthy_threshold_count(UNHEALTHY_THRESHOLD)
            .matcher(Matcher::builder().http_code(HEALTH_CHECK_MATCHER).build())
            .set_tags(Some(tags::to_elb(&who.tags)))
            .send()
            .await
            .op("CreateTargetGroup")?;
        output
            .target_groups()
            .first()
            .and_then(|group| group.target_group_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateTargetGroup", "AWS returned no target group"))
    }

    /// Both calls set the whole desired value, so repeating one is harmless.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &TargetGroupSpec,
        live: &TargetGroupLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let health_check = changes
            .iter()
            .any(|change| HEALTH_CHECK_FIELDS.contains(&change.field.as_str()));
        if health_check {
            ctx.aws
                .elb
                .modify_target_group()
                .target_group_arn(&live.arn)
                .health_check_enabled(true)
                .health_check_protocol(ProtocolEnum::Http)
                .health_check_port(HEALTH_CHECK_PORT)
                .health_check_path(&spec.health_check_path)
                .health_check_interval_seconds(HEALTH_CHECK_INTERVAL_SECONDS)
                .health_check_timeout_seconds(HEALTH_CHECK_TIMEOUT_SECONDS)
                .healthy_threshold_count(HEALTHY_THRESHOLD)
                .unhealthy_threshold_count(UNHEALTHY_THRESHOLD)
                .matcher(Matcher::builder().http_code(HEALTH_CHECK_MATCHER).build())
                .send()
                .await
                .op("ModifyTargetGroup")?;
        }
        if changes
            .iter()
            .any(|change| change.field == "deregistration_delay_seconds")
        {
            set_deregistration_delay(ctx, &live.arn, spec.deregistration_delay_seconds).await?;
        }
        Ok(None)
    }

    fn tags(live: &TargetGroupLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &TargetGroupLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_elb(&ctx.aws.elb, &live.arn, changes).await
    }

    /// AWS answers ResourceInUse while a listener or rule still forwards to it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &TargetGroupLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // TargetGroupNotFound: already gone.
        ctx.aws
            .elb
            .delete_target_group()
            .target_group_arn(&live.arn)
            .send()
            .await
            .op("DeleteTargetGroup")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &TargetGroupLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &TargetGroupLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("arn_suffix".into(), arn_suffix(&live.arn)),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &TargetGroupLive) -> String {
        format!(
            "{} :{} {}, {} load balancer(s)",
            live.protocol,
            text(live.port),
            live.health_check_path,
            live.load_balancers
        )
    }
}

async fn set_deregistration_delay(ctx: &Ctx<'_>, arn: &str, seconds: i32) -> Result<(), AwsError> {
    ctx.aws
        .elb
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .await
        .op("ModifyTargetGroupAttributes")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::LogicalId;

    const ARN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/macro-ai-staging-api/73e2d6bc24d8a067";

    fn spec_and_resolver() -> (TargetGroupSpec, Resolver) {
        let resolver = Resolver::default();
        resolver.set(
            &LogicalId::from("vpc"),
            Outputs::from([("vpc_id".to_string(), "vpc-1".to_string())]),
        );
        let spec = TargetGroupSpec {
            name: "macro-ai-staging-api".into(),
            vpc: Ref::new("vpc", "vpc_id"),
            port: 3030,
            health_check_path: "/health".into(),
            deregistration_delay_seconds: 30,
        };
        (spec, resolver)
    }

    fn live() -> TargetGroupLive {
        TargetGroupLive {
            arn: ARN.into(),
            name: "macro-ai-staging-api".into(),
            vpc_id: "vpc-1".into(),
            port: Some(3030),
            protocol: "HTTP".into(),
            protocol_version: "HTTP1".into(),
            target_type: "ip".into(),
            health_check_protocol: "HTTP".into(),
            health_check_port: "traffic-port".into(),
            health_check_enabled: Some(true),
            health_check_path: "/health".into(),
            health_check_interval_seconds: Some(15),
            health_check_timeout_seconds: Some(5),
            healthy_threshold: Some(2),
            unhealthy_threshold: Some(3),
            health_check_matcher: "200".into(),
            deregistration_delay_seconds: Some(30),
            load_balancers: 1,
            tags: Tags::new(),
        }
    }

    #[test]
    fn arn_suffix_starts_at_targetgroup() {
        assert_eq!(
            arn_suffix(ARN),
            "targetgroup/macro-ai-staging-api/73e2d6bc24d8a067"
        );
        assert_eq!(arn_suffix("nope"), "");
    }

    #[test]
    fn converged_group_has_no_diff() {
        let (spec, resolver) = spec_and_resolver();
        assert_eq!(TargetGroup::diff(&spec, &live(), &resolver), vec![]);
    }

    #[test]
    fn unreported_values_are_unknown() {
        let (spec, resolver) = spec_and_resolver();
        let live = TargetGroupLive {
            protocol_version: String::new(),
            health_check_enabled: None,
            health_check_matcher: String::new(),
            deregistration_delay_seconds: None,
            healthy_threshold: None,
            ..live()
        };
        assert_eq!(TargetGroup::diff(&spec, &live, &resolver), vec![]);
    }

    #[test]
    fn health_check_and_delay_update_port_replaces() {
        let (spec, resolver) = spec_and_resolver();
        let live = TargetGroupLive {
            port: Some(80),
            health_check_path: "/".into(),
            deregistration_delay_seconds: Some(300),
            ..live()
        };
        let changes = TargetGroup::diff(&spec, &live, &resolver);
        let fields: Vec<(&str, bool)> = changes
            .iter()
            .map(|change| (change.field.as_str(), change.replace))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("port", true),
                ("health_check_path", false),
                ("deregistration_delay_seconds", false)
            ]
        );
    }

    #[test]
    fn a_new_group_with_aws_default_delay_needs_the_update() {
        let (spec, resolver) = spec_and_resolver();
        let created = TargetGroupLive {
            deregistration_delay_seconds: Some(300),
            ..live()
        };
        let changes = TargetGroup::diff(&spec, &created, &resolver);
        assert_eq!(
            changes,
            vec![FieldChange::update(
                "deregistration_delay_seconds",
                "300",
                "30"
            )]
        );
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<TargetGroup>(
            &live()
        ));
    }
}
