//! The application load balancer: internet-facing, IPv4, in the public subnets (one per AZ),
//! behind the `alb` security group. Its listeners and rules are their own kinds.
//!
//! Found by its deterministic name (≤ 32 characters, e.g. `macro-ai-staging`). Compared:
//! subnets (`SetSubnets`), security groups (`SetSecurityGroups`) and IP address type
//! (`SetIpAddressType`) are changed in place; scheme and type cannot be, so they are
//! `replace`. A new load balancer is `provisioning` for a while: creation (and `settle`) waits
//! until it is `active`. Outputs include `arn_suffix` (`app/<name>/<id>`), the `LoadBalancer`
//! dimension CloudWatch alarms need.

use super::{wait_until, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Tag,
};

const SCHEME: &str = "internet-facing";
const LB_TYPE: &str = "application";
const IP_ADDRESS_TYPE: &str = "ipv4";

#[derive(Debug, Clone)]
pub struct LoadBalancerSpec {
    /// AWS name, ≤ 32 characters, e.g. `macro-ai-staging`.
    pub name: String,
    /// The public subnets' `subnet_id`s, one per AZ (at least two).
    pub subnets: Vec<Ref>,
    /// Security groups' `group_id`s.
    pub security_groups: Vec<Ref>,
}

#[derive(Debug, Clone)]
pub struct LoadBalancerLive {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub canonical_hosted_zone_id: String,
    /// `provisioning`, `active`, `active_impaired` or `failed`.
    pub state: String,
    /// Empty when AWS does not report it.
    pub scheme: String,
    pub lb_type: String,
    pub ip_address_type: String,
    pub vpc_id: String,
    /// Sorted.
    pub subnet_ids: Vec<String>,
    /// Sorted.
    pub security_groups: Vec<String>,
}

pub struct LoadBalancer;

/// ELBv2 tag list for a resource's identity; every ELBv2 create call takes it.
pub fn elb_tags(who: &Identity) -> Vec<Tag> {
    who.tags
        .iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// `app/<name>/<id>` from `arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`:
/// CloudWatch's `LoadBalancer` dimension. Empty when the ARN has no `loadbalancer/` part.
pub fn arn_suffix(arn: &str) -> String {
    arn.split_once(":loadbalancer/")
        .map(|(_, suffix)| suffix.to_string())
        .unwrap_or_default()
}

/// Like [`super::compare`], but a live value AWS did not report (empty) is unknown, not a
/// difference.
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

fn live_of(lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer) -> LoadBalancerLive {
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
    }
}

/// The load balancer by ARN or by name; `None` when AWS says it does not exist.
async fn describe(
    ctx: &Ctx<'_>,
    arn: Option<&str>,
    name: Option<&str>,
) -> Result<Option<LoadBalancerLive>, AwsError> {
    let result = ctx
        .aws
        .elb
        .describe_load_balancers()
        .set_load_balancer_arns(arn.map(|arn| vec![arn.to_string()]))
        .set_names(name.map(|name| vec![name.to_string()]))
        .send()
        .await
        .op("DescribeLoadBalancers");
    match result {
        Ok(output) => Ok(output
            .load_balancers()
            .iter()
            .find(|lb| {
                arn.is_none_or(|arn| lb.load_balancer_arn() == Some(arn))
                    && name.is_none_or(|name| lb.load_balancer_name() == Some(name))
            })
            .map(live_of)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// Waits until the load balancer routes traffic (`active`); `failed` is an error.
async fn wait_active(
    ctx: &Ctx<'_>,
    who: &Identity,
    live: LoadBalancerLive,
) -> Result<LoadBalancerLive, AwsError> {
    if is_usable(&live.state) {
        return Ok(live);
    }
    let arn = live.arn.clone();
    let name = live.name.clone();
    wait_until(
        ctx,
        who,
        LoadBalancer::KIND,
        &format!("load balancer {name} to become active"),
        "DescribeLoadBalancers",
        || async {
            match describe(ctx, Some(&arn), None).await? {
                Some(current) if is_usable(&current.state) => Ok(Ok(current)),
                Some(current) if current.state == "failed" => Err(AwsError::other(
                    "CreateLoadBalancer",
                    format!("load balancer {name} is failed instead of active"),
                )),
                Some(current) if current.state.is_empty() => Ok(Err("unknown".to_string())),
                Some(current) => Ok(Err(current.state)),
                None => Ok(Err("not visible yet".to_string())),
            }
        },
    )
    .await
}

/// `active_impaired` still routes traffic (it only lacks capacity to scale).
fn is_usable(state: &str) -> bool {
    matches!(state, "active" | "active_impaired")
}

impl Kind for LoadBalancer {
    const KIND: &'static str = "elbv2:load-balancer";
    type Spec = LoadBalancerSpec;
    type Live = LoadBalancerLive;

    fn refs(spec: &LoadBalancerSpec) -> Vec<Ref> {
        spec.subnets
            .iter()
            .chain(spec.security_groups.iter())
            .cloned()
            .collect()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LoadBalancerSpec,
        recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<LoadBalancerLive>, AwsError> {
        if let Some(arn) = recorded.filter(|arn| arn.starts_with("arn:")) {
            if let Some(live) = describe(ctx, Some(arn), None).await? {
                return Ok(Some(live));
            }
        }
        describe(ctx, None, Some(&spec.name)).await
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
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &LoadBalancerSpec,
        resolver: &Resolver,
    ) -> Result<LoadBalancerLive, AwsError> {
        // Same name and configuration: AWS returns the existing load balancer, so a create
        // retried after a crash does not make a second one.
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
            .set_tags(Some(elb_tags(who)))
            .send()
            .await
            .op("CreateLoadBalancer")?;
        let live = output
            .load_balancers()
            .first()
            .map(live_of)
            .ok_or_else(|| {
                AwsError::other("CreateLoadBalancer", "AWS returned no load balancer")
            })?;
        wait_active(ctx, who, live).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LoadBalancerSpec,
        live: &LoadBalancerLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<LoadBalancerLive, AwsError> {
        let mut updated = live.clone();
        for change in changes {
            match change.field.as_str() {
                "subnets" => {
                    let subnets = desired_subnets(spec, resolver);
                    ctx.aws
                        .elb
                        .set_subnets()
                        .load_balancer_arn(&live.arn)
                        .set_subnets(Some(subnets.clone()))
                        .send()
                        .await
                        .op("SetSubnets")?;
                    updated.subnet_ids = subnets;
                }
                "security_groups" => {
                    let groups = desired_security_groups(spec, resolver);
                    ctx.aws
                        .elb
                        .set_security_groups()
                        .load_balancer_arn(&live.arn)
                        .set_security_groups(Some(groups.clone()))
                        .send()
                        .await
                        .op("SetSecurityGroups")?;
                    updated.security_groups = groups;
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
                    updated.ip_address_type = IP_ADDRESS_TYPE.to_string();
                }
                _ => {}
            }
        }
        Ok(updated)
    }

    async fn settle(
        ctx: &Ctx<'_>,
        who: &Identity,
        live: LoadBalancerLive,
    ) -> Result<LoadBalancerLive, AwsError> {
        wait_active(ctx, who, live).await
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
    use super::super::scalable_target::emulator;
    use super::*;

    fn live() -> LoadBalancerLive {
        LoadBalancerLive {
            arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/macro-ai-staging/50dc6c495c0c9188".into(),
            name: "macro-ai-staging".into(),
            dns_name: "macro-ai-staging-1.us-east-1.elb.amazonaws.com".into(),
            canonical_hosted_zone_id: "Z35SXDOTRQ7X7K".into(),
            state: "active".into(),
            scheme: SCHEME.into(),
            lb_type: LB_TYPE.into(),
            ip_address_type: IP_ADDRESS_TYPE.into(),
            vpc_id: "vpc-1".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            security_groups: vec!["sg-1".into()],
        }
    }

    fn spec_and_resolver() -> (LoadBalancerSpec, Resolver) {
        let resolver = Resolver::default();
        emulator::set(&resolver, "public-a", &[("subnet_id", "subnet-a")]);
        emulator::set(&resolver, "public-b", &[("subnet_id", "subnet-b")]);
        emulator::set(&resolver, "sg-alb", &[("group_id", "sg-1")]);
        let spec = LoadBalancerSpec {
            name: "macro-ai-staging".into(),
            subnets: vec![
                Ref::new("public-b", "subnet_id"),
                Ref::new("public-a", "subnet_id"),
            ],
            security_groups: vec![Ref::new("sg-alb", "group_id")],
        };
        (spec, resolver)
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
    }

    /// Run with an emulator: `MACROCTL_TEST_ENDPOINT=http://127.0.0.1:PORT cargo test -- --ignored`.
    #[tokio::test]
    #[ignore]
    async fn emulator_create_converge_update() {
        let aws = emulator::clients().await;
        let inventory = emulator::inventory(&aws);
        let ctx = emulator::ctx(&aws, &inventory);
        let (vpc, subnets, group) = emulator::network(&aws).await;
        let resolver = Resolver::default();
        emulator::set(&resolver, "public-a", &[("subnet_id", &subnets[0])]);
        emulator::set(&resolver, "public-b", &[("subnet_id", &subnets[1])]);
        emulator::set(&resolver, "sg-alb", &[("group_id", &group)]);
        let who = emulator::who("alb");
        let mut spec = LoadBalancerSpec {
            name: emulator::unique("macro-ai"),
            subnets: vec![
                Ref::new("public-a", "subnet_id"),
                Ref::new("public-b", "subnet_id"),
            ],
            security_groups: vec![Ref::new("sg-alb", "group_id")],
        };
        assert!(LoadBalancer::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = LoadBalancer::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(created.state, "active");
        assert_eq!(created.vpc_id, vpc);
        assert!(LoadBalancer::diff(&spec, &created, &resolver).is_empty());
        let outputs = LoadBalancer::outputs(&created);
        assert!(outputs["arn_suffix"].starts_with(&format!("app/{}/", spec.name)));

        // A second run: reads only, nothing to change.
        let before = emulator::writes(&aws);
        let found = LoadBalancer::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        let found = LoadBalancer::settle(&ctx, &who, found).await.unwrap();
        assert_eq!(found.arn, created.arn);
        assert_eq!(LoadBalancer::diff(&spec, &found, &resolver), vec![]);
        let by_name = LoadBalancer::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_name.arn, created.arn);
        assert_eq!(emulator::writes(&aws), before);

        // One more security group: exactly that change, applied in place.
        let other = aws
            .ec2
            .create_security_group()
            .group_name(emulator::unique("alb2"))
            .description("alb2")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .group_id
            .unwrap();
        emulator::set(&resolver, "sg-extra", &[("group_id", &other)]);
        spec.security_groups.push(Ref::new("sg-extra", "group_id"));
        let changes = LoadBalancer::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "security_groups");
        assert!(!changes[0].replace);
        LoadBalancer::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let after = LoadBalancer::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(LoadBalancer::diff(&spec, &after, &resolver), vec![]);
        let tags = aws
            .elb
            .describe_tags()
            .resource_arns(&created.arn)
            .send()
            .await
            .unwrap();
        let keys: Vec<&str> = tags.tag_descriptions()[0]
            .tags()
            .iter()
            .filter_map(|tag| tag.key())
            .collect();
        assert!(keys.contains(&crate::resources::TAG_ID), "{keys:?}");
    }
}
