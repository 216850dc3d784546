//! The application load balancer: internet-facing, IPv4, in the public subnets (one per AZ),
//! behind the `alb` security group. Its listeners and rules are their own kinds.
//!
//! Found by its deterministic name (≤ 32 characters, e.g. `macro-ai-staging`), unique in the
//! account and region. While planning it comes from the environment's one
//! `DescribeLoadBalancers` by the names it declares, and its tags from the environment's
//! `GetResources` (see `elb_listing`); right after a change, or when the listing lacks the ARN
//! recorded in state, it is read directly (`DescribeLoadBalancers` by ARN or name, then
//! `DescribeTags`). Created in one `CreateLoadBalancer` with every setting and the
//! identity tags. Compared: subnets (`SetSubnets`), security groups (`SetSecurityGroups`) and
//! IP address type (`SetIpAddressType`) are changed in place; scheme and type cannot be, so
//! they are `replace`. A new load balancer is `provisioning` for minutes on AWS: it is
//! [`Readiness::Pending`] until `active` (the engine waits), and `failed` never recovers.
//! Its security attributes (dropping invalid header fields, deletion protection, desync
//! mitigation) are set and compared in `load_balancer_security.rs`; deletion protection on
//! makes `destroy` refuse without `--disable-deletion-protection` ([`LoadBalancer::protection`]).
//! Outputs include `arn_suffix` (`app/<name>/<id>`), the `LoadBalancer` dimension CloudWatch
//! alarms need.

use super::elb_listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Readiness, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer as ElbLoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum,
};

const SCHEME: &str = "internet-facing";
const LB_TYPE: &str = "application";
const IP_ADDRESS_TYPE: &str = "ipv4";
#[path = "load_balancer_security.rs"]
mod security;
pub use security::SecurityAttributes;
use security::DELETION_PROTECTION;
/// The attributes that send access logs to S3.
const ACCESS_LOGS_ENABLED: &str = "access_logs.s3.enabled";
const ACCESS_LOGS_BUCKET: &str = "access_logs.s3.bucket";
const ACCESS_LOGS_PREFIX: &str = "access_logs.s3.prefix";
/// What DeleteLoadBalancer answers for a load balancer whose deletion protection is on.
const PROTECTED: &str = "OperationNotPermitted";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LoadBalancerSpec {
    /// AWS name, ≤ 32 characters, e.g. `macro-ai-staging`.
    pub name: String,
    /// The public subnets' `subnet_id`s, one per AZ (at least two).
    pub subnets: Vec<Ref>,
    /// Security groups' `group_id`s.
    pub security_groups: Vec<Ref>,
    /// Where access logs go; `None`: off. (Absent in state written before access logs.)
    #[serde(default)]
    pub access_logs: Option<AccessLogs>,
    /// `[load_balancer]`'s attributes. (Absent in state written before them: AWS's defaults.)
    #[serde(default)]
    pub security: SecurityAttributes,
}

/// Access logs to S3: the bucket's `name` and the key prefix.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AccessLogs {
    pub bucket: Ref,
    pub prefix: String,
}

#[derive(Debug, Clone)]
pub struct LoadBalancerLive {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub canonical_hosted_zone_id: String,
    /// `provisioning`, `active`, `active_impaired` or `failed`.
    pub state: String,
    /// Why AWS reports that state, when it says.
    pub state_reason: Option<String>,
    /// Empty when AWS does not report it.
    pub scheme: String,
    pub lb_type: String,
    pub ip_address_type: String,
    pub vpc_id: String,
    /// Sorted.
    pub subnet_ids: Vec<String>,
    /// Sorted.
    pub security_groups: Vec<String>,
    /// The access-log attributes (`access_logs.s3.*`) AWS reports.
    pub access_log_attributes: std::collections::BTreeMap<String, String>,
    /// The security attributes AWS reports (unreported ones at AWS's defaults).
    pub security: SecurityAttributes,
    pub tags: Tags,
}

pub struct LoadBalancer;

/// `app/<name>/<id>` from `arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`:
/// CloudWatch's `LoadBalancer` dimension. Empty when the ARN has no `loadbalancer/` part.
pub fn arn_suffix(arn: &str) -> String {
    arn.split_once(":loadbalancer/")
        .map(|(_, suffix)| suffix.to_string())
        .unwrap_or_default()
}

/// Like [`super::compare`], but a live value AWS did not report (empty) is unknown, not a
/// difference. Used by the other ELBv2 kinds too, whose Describe answers leave fields out.
pub(crate) fn compare_reported(
    changes: &mut Vec<FieldChange>,
    field: &str,
    old: &str,
    new: &str,
    replace: bool,
) {
    if !old.is_empty() {
        super::compare(changes, field, old, new, replace);
    }
}

fn sorted(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut values: Vec<String> = values.collect();
    values.sort();
    values.dedup();
    values
}

fn desired_subnets(spec: &LoadBalancerSpec, resolver: &Resolver) -> Vec<String> {
    sorted(spec.subnets.iter().map(|subnet| resolver.get(subnet)))
}

fn desired_security_groups(spec: &LoadBalancerSpec, resolver: &Resolver) -> Vec<String> {
    sorted(spec.security_groups.iter().map(|group| resolver.get(group)))
}

/// The load balancer with its tags; `None` when it was deleted since it was described.
async fn with_tags(
    ctx: &Ctx<'_>,
    lb: &ElbLoadBalancer,
) -> Result<Option<LoadBalancerLive>, AwsError> {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let (tags, attributes) = futures::try_join!(
        elb_listing::tags_of(ctx, arn, elb_listing::Tagged::Top),
        attributes(ctx, arn)
    )?;
    let (Some(tags), Some(attributes)) = (tags, attributes) else {
        return Ok(None);
    };
    let mut live = live_of(lb, tags);
    live.security = SecurityAttributes::from_attributes(&attributes);
    live.access_log_attributes = attributes
        .into_iter()
        .filter(|(key, _)| key.starts_with("access_logs.s3."))
        .collect();
    Ok(Some(live))
}

/// The load balancer's attributes; `None` when it is gone.
async fn attributes(
    ctx: &Ctx<'_>,
    arn: &str,
) -> Result<Option<std::collections::BTreeMap<String, String>>, AwsError> {
    let output = ctx
        .aws
        .elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .op("DescribeLoadBalancerAttributes")
        .found()?;
    Ok(output.map(|output| {
        (output.attributes().iter())
            .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
            .collect()
    }))
}

/// The access-log attributes `spec` asks for: on, to the bucket and prefix; or off.
fn desired_access_logs(
    spec: &LoadBalancerSpec,
    resolver: &Resolver,
) -> Vec<(&'static str, String)> {
    match &spec.access_logs {
        Some(logs) => vec![
            (ACCESS_LOGS_ENABLED, "true".to_string()),
            (ACCESS_LOGS_BUCKET, resolver.get(&logs.bucket)),
            (ACCESS_LOGS_PREFIX, logs.prefix.clone()),
        ],
        None => vec![(ACCESS_LOGS_ENABLED, "false".to_string())],
    }
}

/// Whether the load balancer's deletion protection is on; `None` when it is gone.
async fn deletion_protected(ctx: &Ctx<'_>, arn: &str) -> Result<Option<bool>, AwsError> {
    let attributes = attributes(ctx, arn).await?;
    Ok(attributes.map(|all| all.get(DELETION_PROTECTION).map(String::as_str) == Some("true")))
}

fn live_of(lb: &ElbLoadBalancer, tags: Tags) -> LoadBalancerLive {
    LoadBalancerLive {
        arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        canonical_hosted_zone_id: lb
            .canonical_hosted_zone_id()
            .unwrap_or_default()
            .to_string(),
        state: lb
            .state()
            .and_then(|state| state.code())
            .map(|code| code.as_str().to_string())
            .unwrap_or_default(),
        state_reason: lb
            .state()
            .and_then(|state| state.reason())
            .filter(|reason| !reason.is_empty())
            .map(str::to_string),
        scheme: lb
            .scheme()
            .map(|scheme| scheme.as_str().to_string())
            .unwrap_or_default(),
        lb_type: lb
            .r#type()
            .map(|kind| kind.as_str().to_string())
            .unwrap_or_default(),
        ip_address_type: lb
            .ip_address_type()
            .map(|kind| kind.as_str().to_string())
            .unwrap_or_default(),
        vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
        subnet_ids: sorted(
            lb.availability_zones()
                .iter()
                .filter_map(|zone| zone.subnet_id().map(str::to_string)),
        ),
        security_groups: sorted(lb.security_groups().iter().cloned()),
        access_log_attributes: Default::default(),
        security: SecurityAttributes::default(),
        tags,
    }
}

impl Kind for LoadBalancer {
    const KIND: &'static str = "elbv2:load-balancer";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat with the same settings returns the existing load balancer,
    // one with other settings answers DuplicateLoadBalancerName.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &[
        "arn",
        "arn_suffix",
        "dns_name",
        "name",
        "canonical_hosted_zone_id",
    ];
    type Spec = LoadBalancerSpec;
    type Live = LoadBalancerLive;

    fn refs(spec: &LoadBalancerSpec) -> Vec<Ref> {
        spec.subnets
            .iter()
            .chain(spec.security_groups.iter())
            .chain(spec.access_logs.iter().map(|logs| &logs.bucket))
            .cloned()
            .collect()
    }

    /// While planning from the environment's listing (see the module docs), else by ARN or by
    /// name (`DescribeLoadBalancers`); then its tags.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LoadBalancerSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<LoadBalancerLive>, AwsError> {
        let (arn, name) = match lookup {
            // Not an ARN: not something this kind records.
            Lookup::Id(arn) if !arn.starts_with("arn:") => return Ok(None),
            Lookup::Id(arn) => (Some(arn), None),
            Lookup::Identity => (None, Some(spec.name.as_str())),
        };
        let wanted = |lb: &&ElbLoadBalancer| {
            arn.is_none_or(|arn| lb.load_balancer_arn() == Some(arn))
                && name.is_none_or(|name| lb.load_balancer_name() == Some(name))
        };
        if ctx.cached {
            let listed = elb_listing::load_balancers(ctx).await?;
            match listed.iter().find(wanted) {
                Some(lb) => return with_tags(ctx, lb).await,
                // Listed by its name: it does not exist.
                None if name.is_some() && elb_listing::lists_load_balancer(ctx, &spec.name) => {
                    return Ok(None)
                }
                // By ARN (its name may have changed): a direct read tells.
                None => {}
            }
        }
        let request = ctx.aws.elb.describe_load_balancers();
        let request = match arn {
            Some(arn) => request.load_balancer_arns(arn),
            None => request.names(&spec.name),
        };
        let Some(output) = request.send().await.op("DescribeLoadBalancers").found()? else {
            return Ok(None);
        };
        match output.load_balancers().iter().find(wanted) {
            Some(lb) => with_tags(ctx, lb).await,
            None => Ok(None),
        }
    }

    fn diff(
        spec: &LoadBalancerSpec,
        live: &LoadBalancerLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare_reported(&mut changes, "scheme", &live.scheme, SCHEME, true);
        compare_reported(&mut changes, "type", &live.lb_type, LB_TYPE, true);
        compare_reported(
            &mut changes,
            "ip_address_type",
            &live.ip_address_type,
            IP_ADDRESS_TYPE,
            false,
        );
        super::compare(
            &mut changes,
            "subnets",
            &live.subnet_ids.join(","),
            &desired_subnets(spec, resolver).join(","),
            false,
        );
        super::compare(
            &mut changes,
            "security_groups",
            &live.security_groups.join(","),
            &desired_security_groups(spec, resolver).join(","),
            false,
        );
        // Unreported attributes (AWS reports every one; an emulator may not) count as off.
        let desired = desired_access_logs(spec, resolver);
        let live_value = |key: &str| {
            live.access_log_attributes
                .get(key)
                .cloned()
                .unwrap_or_else(|| {
                    if key == ACCESS_LOGS_ENABLED {
                        "false"
                    } else {
                        ""
                    }
                    .to_string()
                })
        };
        if desired.iter().any(|(key, value)| &live_value(key) != value) {
            let show = |values: Vec<(&str, String)>| match values.as_slice() {
                [(_, on), (_, bucket), (_, prefix), ..] if on == "true" => {
                    format!("s3://{bucket}/{prefix}")
                }
                _ => "off".to_string(),
            };
            let live_values = [ACCESS_LOGS_ENABLED, ACCESS_LOGS_BUCKET, ACCESS_LOGS_PREFIX]
                .into_iter()
                .map(|key| (key, live_value(key)))
                .collect();
            changes.push(FieldChange::update(
                "access_logs",
                show(live_values),
                show(desired),
            ));
        }
        security::diff(&mut changes, &spec.security, &live.security);
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &LoadBalancerSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .elb
            .create_load_balancer()
            .name(&spec.name)
            .set_subnets(Some(desired_subnets(spec, resolver)))
            .set_security_groups(Some(desired_security_groups(spec, resolver)))
            .scheme(LoadBalancerSchemeEnum::InternetFacing)
            .r#type(LoadBalancerTypeEnum::Application)
            .ip_address_type(IpAddressType::Ipv4)
            .set_tags(Some(tags::to_elb(&who.tags)))
            .send()
            .await
            .op("CreateLoadBalancer")?;
        output
            .load_balancers()
            .first()
            .and_then(|lb| lb.load_balancer_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateLoadBalancer", "AWS returned no load balancer"))
    }

    /// Each call sets the whole desired value, so repeating one is harmless.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LoadBalancerSpec,
        live: &LoadBalancerLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let attributes = security::attributes_for(&spec.security, changes);
        if !attributes.is_empty() {
            ctx.aws
                .elb
                .modify_load_balancer_attributes()
                .load_balancer_arn(&live.arn)
                .set_attributes(Some(attributes))
                .send()
                .await
                .op("ModifyLoadBalancerAttributes")?;
        }
        for change in changes {
            match change.field.as_str() {
                "subnets" => {
                    ctx.aws
                        .elb
                        .set_subnets()
                        .load_balancer_arn(&live.arn)
                        .set_subnets(Some(desired_subnets(spec, resolver)))
                        .send()
                        .await
                        .op("SetSubnets")?;
                }
                "security_groups" => {
                    ctx.aws
                        .elb
                        .set_security_groups()
                        .load_balancer_arn(&live.arn)
                        .set_security_groups(Some(desired_security_groups(spec, resolver)))
                        .send()
                        .await
                        .op("SetSecurityGroups")?;
                }
                "access_logs" => {
                    let attributes = desired_access_logs(spec, resolver)
                        .into_iter()
                        .map(|(key, value)| {
                            LoadBalancerAttribute::builder()
                                .key(key)
                                .value(value)
                                .build()
                        })
                        .collect();
                    ctx.aws
                        .elb
                        .modify_load_balancer_attributes()
                        .load_balancer_arn(&live.arn)
                        .set_attributes(Some(attributes))
                        .send()
                        .await
                        .op("ModifyLoadBalancerAttributes")?;
                }
                "ip_address_type" => {
                    ctx.aws
                        .elb
                        .set_ip_address_type()
                        .load_balancer_arn(&live.arn)
                        .ip_address_type(IpAddressType::Ipv4)
                        .send()
                        .await
                        .op("SetIpAddressType")?;
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Routes traffic once `active` (`active_impaired` too: it only lacks capacity to scale);
    /// `provisioning` takes minutes on AWS; `failed` is final.
    fn readiness(live: &LoadBalancerLive) -> Readiness {
        let reason = live
            .state_reason
            .as_deref()
            .map(|why| format!(": {why}"))
            .unwrap_or_default();
        match live.state.as_str() {
            "active" | "active_impaired" => Readiness::Ready,
            "failed" => Readiness::Failed(format!("load balancer {} is failed{reason}", live.name)),
            "" => Readiness::Pending(format!("load balancer {} has no state yet", live.name)),
            other => Readiness::Pending(format!("load balancer {} is {other}{reason}", live.name)),
        }
    }

    fn tags(live: &LoadBalancerLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &LoadBalancerLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_elb(&ctx.aws.elb, &live.arn, changes).await
    }

    /// With `--disable-deletion-protection`, reads the protection (see
    /// [`LoadBalancer::protection`]) and turns it off when it is on; then deletes the load
    /// balancer (its listeners and rules go with it). Without the flag, AWS's refusal of a
    /// protected one is the error, naming the flag. Its network interfaces linger for minutes
    /// afterwards, holding its subnets and security groups.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &LoadBalancerLive,
        options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        let elb = &ctx.aws.elb;
        if options.disable_deletion_protection {
            match deletion_protected(ctx, &live.arn).await? {
                None => return Ok(Deleted::Requested),
                Some(true) => {
                    let off = LoadBalancerAttribute::builder()
                        .key(DELETION_PROTECTION)
                        .value("false")
                        .build();
                    elb.modify_load_balancer_attributes()
                        .load_balancer_arn(&live.arn)
                        .attributes(off)
                        .send()
                        .await
                        .op("ModifyLoadBalancerAttributes")
                        .found()?;
                }
                Some(false) => {}
            }
        }
        let answer = elb
            .delete_load_balancer()
            .load_balancer_arn(&live.arn)
            .send()
            .await
            .op("DeleteLoadBalancer");
        match answer {
            Err(mut err) if err.code() == Some(PROTECTED) => {
                err.message = format!(
                    "{}; `destroy --disable-deletion-protection` turns it off",
                    err.message
                );
                Err(err)
            }
            // LoadBalancerNotFound: already gone.
            answer => answer.found().map(|_| Deleted::Requested),
        }
    }

    /// From the attributes every read includes (`DescribeLoadBalancerAttributes`, made for
    /// the access logs): `destroy` refuses before deleting anything while it is on. `delete`
    /// reads it again when it may turn it off, since it may have changed since.
    fn protection(live: &LoadBalancerLive) -> Option<&'static str> {
        live.security
            .deletion_protection
            .then_some("load_balancer.deletion_protection")
    }

    fn physical_id(live: &LoadBalancerLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &LoadBalancerLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("arn_suffix".into(), arn_suffix(&live.arn)),
            ("dns_name".into(), live.dns_name.clone()),
            ("name".into(), live.name.clone()),
            (
                "canonical_hosted_zone_id".into(),
                live.canonical_hosted_zone_id.clone(),
            ),
        ])
    }

    fn status(live: &LoadBalancerLive) -> String {
        format!("{} ({})", live.state, live.dns_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::LogicalId;

    fn live() -> LoadBalancerLive {
        LoadBalancerLive {
            arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/macro-ai-staging/50dc6c495c0c9188".into(),
            name: "macro-ai-staging".into(),
            dns_name: "macro-ai-staging-1.us-east-1.elb.amazonaws.com".into(),
            canonical_hosted_zone_id: "Z35SXDOTRQ7X7K".into(),
            state: "active".into(),
            state_reason: None,
            scheme: SCHEME.into(),
            lb_type: LB_TYPE.into(),
            ip_address_type: IP_ADDRESS_TYPE.into(),
            vpc_id: "vpc-1".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            security_groups: vec!["sg-1".into()],
            access_log_attributes: [(ACCESS_LOGS_ENABLED.to_string(), "false".to_string())].into(),
            security: SecurityAttributes::default(),
            tags: Tags::new(),
        }
    }

    fn spec_and_resolver() -> (LoadBalancerSpec, Resolver) {
        let resolver = Resolver::default();
        for (id, output, value) in [
            ("public-a", "subnet_id", "subnet-a"),
            ("public-b", "subnet_id", "subnet-b"),
            ("sg-alb", "group_id", "sg-1"),
        ] {
            resolver.set(
                &LogicalId::from(id),
                Outputs::from([(output.to_string(), value.to_string())]),
            );
        }
        let spec = LoadBalancerSpec {
            name: "macro-ai-staging".into(),
            subnets: vec![
                Ref::new("public-b", "subnet_id"),
                Ref::new("public-a", "subnet_id"),
            ],
            security_groups: vec![Ref::new("sg-alb", "group_id")],
            access_logs: None,
            security: SecurityAttributes::default(),
        };
        (spec, resolver)
    }

    #[test]
    fn access_logs_are_one_change_naming_the_bucket_and_prefix() {
        let (mut spec, resolver) = spec_and_resolver();
        resolver.set(
            &LogicalId::from("bucket-logs"),
            Outputs::from([("name".to_string(), "logs-bucket".to_string())]),
        );
        spec.access_logs = Some(AccessLogs {
            bucket: Ref::new("bucket-logs", "name"),
            prefix: "alb".into(),
        });
        let changes = LoadBalancer::diff(&spec, &live(), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].old.as_str(), changes[0].new.as_str()),
            ("off", "s3://logs-bucket/alb")
        );
        let mut logging = live();
        logging.access_log_attributes = desired_access_logs(&spec, &resolver)
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect();
        assert!(LoadBalancer::diff(&spec, &logging, &resolver).is_empty());
    }

    #[test]
    fn security_attributes_are_compared_and_deletion_protection_stops_destroy() {
        let (mut spec, resolver) = spec_and_resolver();
        spec.security.drop_invalid_header_fields = true;
        spec.security.deletion_protection = true;
        let fields: Vec<String> = LoadBalancer::diff(&spec, &live(), &resolver)
            .into_iter()
            .map(|change| format!("{}: {} -> {}", change.field, change.old, change.new))
            .collect();
        assert_eq!(
            fields,
            [
                "drop_invalid_header_fields: false -> true",
                "deletion_protection: false -> true"
            ]
        );
        assert_eq!(LoadBalancer::protection(&live()), None);
        let protected = LoadBalancerLive {
            security: spec.security.clone(),
            ..live()
        };
        assert!(LoadBalancer::diff(&spec, &protected, &resolver).is_empty());
        assert_eq!(
            LoadBalancer::protection(&protected),
            Some("load_balancer.deletion_protection")
        );
    }

    #[test]
    fn arn_suffix_is_the_part_after_loadbalancer() {
        assert_eq!(
            arn_suffix(&live().arn),
            "app/macro-ai-staging/50dc6c495c0c9188"
        );
        assert_eq!(arn_suffix("not-an-arn"), "");
    }

    #[test]
    fn converged_load_balancer_has_no_diff_whatever_the_order() {
        let (spec, resolver) = spec_and_resolver();
        assert!(LoadBalancer::diff(&spec, &live(), &resolver).is_empty());
    }

    #[test]
    fn unreported_fields_are_not_differences() {
        let (spec, resolver) = spec_and_resolver();
        let live = LoadBalancerLive {
            scheme: String::new(),
            lb_type: String::new(),
            ip_address_type: String::new(),
            ..live()
        };
        assert!(LoadBalancer::diff(&spec, &live, &resolver).is_empty());
    }

    #[test]
    fn subnets_and_groups_update_scheme_replaces() {
        let (spec, resolver) = spec_and_resolver();
        let live = LoadBalancerLive {
            scheme: "internal".into(),
            subnet_ids: vec!["subnet-a".into()],
            security_groups: vec!["sg-0".into()],
            ..live()
        };
        let changes = LoadBalancer::diff(&spec, &live, &resolver);
        let fields: Vec<(&str, bool)> = changes
            .iter()
            .map(|change| (change.field.as_str(), change.replace))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("scheme", true),
                ("subnets", false),
                ("security_groups", false)
            ]
        );
        assert_eq!(changes[1].new, "subnet-a,subnet-b");
    }

    #[test]
    fn outputs_carry_the_cloudwatch_dimension() {
        let outputs = LoadBalancer::outputs(&live());
        assert_eq!(
            outputs["arn_suffix"],
            "app/macro-ai-staging/50dc6c495c0c9188"
        );
        assert_eq!(outputs["name"], "macro-ai-staging");
        assert_eq!(
            LoadBalancer::status(&live()),
            "active (macro-ai-staging-1.us-east-1.elb.amazonaws.com)"
        );
        let mut declared = LoadBalancer::OUTPUTS.to_vec();
        declared.sort_unstable();
        assert_eq!(
            outputs.keys().map(String::as_str).collect::<Vec<_>>(),
            declared
        );
    }

    #[test]
    fn usable_once_active_and_failed_is_final() {
        let with_state = |state: &str| LoadBalancerLive {
            state: state.into(),
            ..live()
        };
        assert_eq!(LoadBalancer::readiness(&live()), Readiness::Ready);
        assert_eq!(
            LoadBalancer::readiness(&with_state("active_impaired")),
            Readiness::Ready
        );
        assert!(matches!(
            LoadBalancer::readiness(&with_state("provisioning")),
            Readiness::Pending(_)
        ));
        let failed = LoadBalancerLive {
            state_reason: Some("no capacity".into()),
            ..with_state("failed")
        };
        assert_eq!(
            LoadBalancer::readiness(&failed),
            Readiness::Failed("load balancer macro-ai-staging is failed: no capacity".into())
        );
    }
}
