//! Security groups and their rules: `alb` (80/443 from the allowed CIDRs, or with CloudFront
//! one port from CloudFront's origin-facing prefix list only), `api` and `ui`
//! (their container port, from `alb` only), `db` (5432 from `api`, no egress) and `redis`
//! (6379 from `api`, no egress). Ports come from the services' configuration, so the group
//! can never open a port the container does not listen on.
//!
//! Rules are reconciled one by one: adding a CIDR authorizes one rule, removing one revokes
//! exactly that rule (by its rule id), and the group itself is never recreated.

use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags, UNKNOWN,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::{IpPermission, IpRange, PrefixListId, ResourceType, UserIdGroupPair};
use std::collections::BTreeMap;

/// Who a rule admits.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum RuleSource {
    Cidr(String),
    SecurityGroup(Ref),
    /// A managed prefix list by id (`pl-...`): CloudFront's origin-facing addresses. One rule
    /// whatever the list holds, but it counts as the list's maximum entries against the
    /// group's rules quota.
    PrefixList(String),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IngressRule {
    pub port: u16,
    pub source: RuleSource,
    pub description: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc: Ref,
    pub description: String,
    pub ingress: Vec<IngressRule>,
    /// Keep AWS's default "all traffic to anywhere" egress rule; data stores get none.
    pub allow_all_egress: bool,
}

/// A rule as AWS reports it.
#[derive(Debug, Clone)]
pub struct LiveRule {
    pub rule_id: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct SecurityGroupLive {
    pub group_id: String,
    pub group_name: String,
    pub description: String,
    pub vpc_id: String,
    /// Rule key (see [`rule_key`]) → rule.
    pub ingress: BTreeMap<String, LiveRule>,
    pub egress: BTreeMap<String, LiveRule>,
    pub tags: Tags,
}

pub struct SecurityGroup;

const ALL_EGRESS: &str = "all traffic to 0.0.0.0/0";

/// A rule's identity: protocol, ports and peer. Descriptions are compared separately.
pub fn rule_key(protocol: &str, from: i32, to: i32, peer: &str) -> String {
    let protocol = match protocol {
        "-1" => "all",
        other => other,
    };
    if protocol == "all" {
        return format!("all traffic from {peer}");
    }
    if from == to {
        format!("{protocol} {from} from {peer}")
    } else {
        format!("{protocol} {from}-{to} from {peer}")
    }
}

/// The key of a desired rule (see [`rule_key`]).
fn rule_key_of(rule: &IngressRule, resolver: &Resolver) -> String {
    let peer = match &rule.source {
        RuleSource::Cidr(cidr) | RuleSource::PrefixList(cidr) => cidr.clone(),
        RuleSource::SecurityGroup(group) => resolver.get(group),
    };
    let port = i32::from(rule.port);
    rule_key("tcp", port, port, &peer)
}

/// Whether a live rule carries the desired description. moto keeps no description on rules
/// from a prefix list: one reported without any is unknown there, not a difference.
fn described_as(key: &str, live: &LiveRule, desired: Option<&String>) -> bool {
    desired.is_some_and(|desired| {
        live.description == *desired || (live.description.is_empty() && key.contains(" from pl-"))
    })
}

fn desired_ingress(spec: &SecurityGroupSpec, resolver: &Resolver) -> BTreeMap<String, String> {
    spec.ingress
        .iter()
        .map(|rule| (rule_key_of(rule, resolver), rule.description.clone()))
        .collect()
}

/// The group's rules. While planning, from the group's own permission lists (in the batched
/// DescribeSecurityGroups: no call of their own); they carry no rule ids, which `update` reads
/// only when it has something to revoke. Otherwise from DescribeSecurityGroupRules, whose
/// descriptions of rules that reference another group are taken from the permissions too (moto
/// omits them).
async fn live_rules(
    ctx: &Ctx<'_>,
    group: &aws_sdk_ec2::types::SecurityGroup,
) -> Result<(BTreeMap<String, LiveRule>, BTreeMap<String, LiveRule>), AwsError> {
    let (from_permissions, egress_from_permissions) = permission_rules(group);
    if ctx.cached {
        return Ok((from_permissions, egress_from_permissions));
    }
    let group_id = group.group_id().unwrap_or_default();
    let rules = ctx.inventory.security_group_rules(group_id).await?;
    let (mut ingress, egress) = split_rules(rules.iter());
    for (key, rule) in &mut ingress {
        if rule.description.is_empty() {
            if let Some(listed) = from_permissions.get(key) {
                rule.description = listed.description.clone();
            }
        }
    }
    Ok((ingress, egress))
}

/// A group's rules as its `IpPermissions` / `IpPermissionsEgress` list them (without ids).
fn permission_rules(
    group: &aws_sdk_ec2::types::SecurityGroup,
) -> (BTreeMap<String, LiveRule>, BTreeMap<String, LiveRule>) {
    let rules = |permissions: &[IpPermission]| -> BTreeMap<String, LiveRule> {
        let mut rules = BTreeMap::new();
        for permission in permissions {
            let protocol = permission.ip_protocol().unwrap_or("-1");
            let from = permission.from_port().unwrap_or(-1);
            let to = permission.to_port().unwrap_or(-1);
            let peers = permission
                .ip_ranges()
                .iter()
                .map(|range| (range.cidr_ip(), range.description()))
                .chain(
                    permission
                        .ipv6_ranges()
                        .iter()
                        .map(|range| (range.cidr_ipv6(), range.description())),
                )
                .chain(
                    permission
                        .user_id_group_pairs()
                        .iter()
                        .map(|pair| (pair.group_id(), pair.description())),
                )
                .chain(
                    permission
                        .prefix_list_ids()
                        .iter()
                        .map(|list| (list.prefix_list_id(), list.description())),
                );
            for (peer, description) in peers {
                let Some(peer) = peer else { continue };
                rules.insert(
                    rule_key(protocol, from, to, peer),
                    LiveRule {
                        rule_id: String::new(),
                        description: description.unwrap_or_default().to_string(),
                    },
                );
            }
        }
        rules
    };
    let egress = rules(group.ip_permissions_egress())
        .into_iter()
        .map(|(key, rule)| (key.replacen(" from ", " to ", 1), rule))
        .collect();
    (rules(group.ip_permissions()), egress)
}

/// The rule ids of the group's rules, by key (for revoking rules read without them).
async fn rule_ids(
    ctx: &Ctx<'_>,
    group_id: &str,
) -> Result<(BTreeMap<String, LiveRule>, BTreeMap<String, LiveRule>), AwsError> {
    let rules = ctx.inventory.security_group_rules(group_id).await?;
    Ok(split_rules(rules.iter()))
}

fn split_rules<'a>(
    rules: impl Iterator<Item = &'a aws_sdk_ec2::types::SecurityGroupRule>,
) -> (BTreeMap<String, LiveRule>, BTreeMap<String, LiveRule>) {
    let mut ingress = BTreeMap::new();
    let mut egress = BTreeMap::new();
    for rule in rules {
        let peer = rule
            .cidr_ipv4()
            .or(rule.cidr_ipv6())
            .or(rule
                .referenced_group_info()
                .and_then(|group| group.group_id()))
            .or(rule.prefix_list_id())
            .unwrap_or("?");
        let key = rule_key(
            rule.ip_protocol().unwrap_or("-1"),
            rule.from_port().unwrap_or(-1),
            rule.to_port().unwrap_or(-1),
            peer,
        );
        let live = LiveRule {
            rule_id: rule
                .security_group_rule_id()
                .unwrap_or_default()
                .to_string(),
            description: rule.description().unwrap_or_default().to_string(),
        };
        if rule.is_egress().unwrap_or(false) {
            egress.insert(key.replacen(" from ", " to ", 1), live);
        } else {
            ingress.insert(key, live);
        }
    }
    (ingress, egress)
}

fn desired_egress(spec: &SecurityGroupSpec) -> Vec<String> {
    if spec.allow_all_egress {
        vec![ALL_EGRESS.to_string()]
    } else {
        Vec::new()
    }
}

impl Kind for SecurityGroup {
    const KIND: &'static str = "ec2:security-group";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // The group name is unique in its VPC.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["group_id", "group_name"];
    type Spec = SecurityGroupSpec;
    type Live = SecurityGroupLive;

    fn refs(spec: &SecurityGroupSpec) -> Vec<Ref> {
        let mut refs = vec![spec.vpc.clone()];
        refs.extend(spec.ingress.iter().filter_map(|rule| match &rule.source {
            RuleSource::SecurityGroup(group) => Some(group.clone()),
            RuleSource::Cidr(_) | RuleSource::PrefixList(_) => None,
        }));
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &SecurityGroupSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<SecurityGroupLive>, AwsError> {
        let Some(group) = ctx
            .inventory
            .find::<aws_sdk_ec2::types::SecurityGroup>(ctx, who, lookup)
            .await?
        else {
            return Ok(None);
        };
        let (ingress, egress) = live_rules(ctx, &group).await?;
        Ok(Some(SecurityGroupLive {
            group_id: group.group_id().unwrap_or_default().to_string(),
            group_name: group.group_name().unwrap_or_default().to_string(),
            description: group.description().unwrap_or_default().to_string(),
            vpc_id: group.vpc_id().unwrap_or_default().to_string(),
            ingress,
            egress,
            tags: tags::from_ec2(group.tags()),
        }))
    }

    fn diff(
        spec: &SecurityGroupSpec,
        live: &SecurityGroupLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let vpc_id = resolver.get(&spec.vpc);
        if live.vpc_id != vpc_id {
            changes.push(FieldChange::replace("vpc_id", &live.vpc_id, vpc_id));
        }
        if live.description != spec.description {
            changes.push(FieldChange::replace(
                "description",
                &live.description,
                &spec.description,
            ));
        }
        let desired = desired_ingress(spec, resolver);
        for (key, description) in &desired {
            match live.ingress.get(key) {
                None => changes.push(FieldChange::update(
                    &format!("ingress {key}"),
                    "(absent)",
                    "allowed",
                )),
                Some(rule) if !described_as(key, rule, Some(description)) => {
                    changes.push(FieldChange::update(
                        &format!("ingress {key} description"),
                        &rule.description,
                        description,
                    ))
                }
                Some(_) => {}
            }
        }
        for key in live.ingress.keys() {
            if !desired.contains_key(key) {
                changes.push(FieldChange::update(
                    &format!("ingress {key}"),
                    "allowed",
                    "(absent)",
                ));
            }
        }
        let egress = desired_egress(spec);
        for key in &egress {
            if !live.egress.contains_key(key) {
                changes.push(FieldChange::update(
                    &format!("egress {key}"),
                    "(absent)",
                    "allowed",
                ));
            }
        }
        for key in live.egress.keys() {
            if !egress.contains(key) {
                changes.push(FieldChange::update(
                    &format!("egress {key}"),
                    "allowed",
                    "(absent)",
                ));
            }
        }
        changes
    }

    /// Creates the group (its name is unique in the VPC: a repeat answers
    /// InvalidGroup.Duplicate); its rules are the update the engine makes next.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &SecurityGroupSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .create_security_group()
            .group_name(&who.name)
            .description(&spec.description)
            .vpc_id(resolver.get(&spec.vpc))
            .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::SecurityGroup))
            .send()
            .await
            .op("CreateSecurityGroup")?;
        Ok(output.group_id().unwrap_or_default().to_string())
    }

    /// Revokes unwanted rules by rule id, then authorizes the missing ones. After a lost
    /// response (a rule that turns out to be there already: InvalidPermission.Duplicate) the
    /// engine reads the rules again and asks only for what is still missing.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &SecurityGroupSpec,
        live: &SecurityGroupLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let desired = desired_ingress(spec, resolver);
        let egress = desired_egress(spec);
        // Rules read while planning have no ids; revoking needs them.
        let revokes = live
            .ingress
            .iter()
            .any(|(key, rule)| !described_as(key, rule, desired.get(key)))
            || live.egress.keys().any(|key| !egress.contains(key));
        let ids = if revokes
            && live
                .ingress
                .values()
                .chain(live.egress.values())
                .any(|rule| rule.rule_id.is_empty())
        {
            Some(rule_ids(ctx, &live.group_id).await?)
        } else {
            None
        };
        let id_of = |key: &str, rule: &LiveRule, egress: bool| -> String {
            ids.as_ref()
                .and_then(|(ingress_ids, egress_ids)| {
                    if egress { egress_ids } else { ingress_ids }.get(key)
                })
                .map_or_else(|| rule.rule_id.clone(), |found| found.rule_id.clone())
        };
        // Revoke what is no longer wanted (or whose description changed), by rule id.
        let stale: Vec<String> = live
            .ingress
            .iter()
            .filter(|(key, rule)| !described_as(key, rule, desired.get(*key)))
            .map(|(key, rule)| id_of(key, rule, false))
            .filter(|id| !id.is_empty())
            .collect();
        if !stale.is_empty() {
            ctx.aws
                .ec2
                .revoke_security_group_ingress()
                .group_id(&live.group_id)
                .set_security_group_rule_ids(Some(stale))
                .send()
                .await
                .op("RevokeSecurityGroupIngress")?;
        }
        // Authorize what is missing (a rule whose description differs was revoked above).
        let missing: Vec<IpPermission> = spec
            .ingress
            .iter()
            .filter(|rule| {
                let key = rule_key_of(rule, resolver);
                !(live.ingress.get(&key))
                    .is_some_and(|live| described_as(&key, live, Some(&rule.description)))
            })
            .map(|rule| permission(rule, resolver))
            .collect();
        if !missing.is_empty() {
            ctx.aws
                .ec2
                .authorize_security_group_ingress()
                .group_id(&live.group_id)
                .set_ip_permissions(Some(missing))
                .send()
                .await
                .op("AuthorizeSecurityGroupIngress")?;
        }
        // Egress: data stores keep none.
        let unwanted: Vec<String> = live
            .egress
            .iter()
            .filter(|(key, _)| !egress.contains(*key))
            .map(|(key, rule)| id_of(key, rule, true))
            .filter(|id| !id.is_empty())
            .collect();
        if !unwanted.is_empty() {
            ctx.aws
                .ec2
                .revoke_security_group_egress()
                .group_id(&live.group_id)
                .set_security_group_rule_ids(Some(unwanted))
                .send()
                .await
                .op("RevokeSecurityGroupEgress")?;
        }
        if spec.allow_all_egress && !live.egress.contains_key(ALL_EGRESS) {
            ctx.aws
                .ec2
                .authorize_security_group_egress()
                .group_id(&live.group_id)
                .ip_permissions(
                    IpPermission::builder()
                        .ip_protocol("-1")
                        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                        .build(),
                )
                .send()
                .await
                .op("AuthorizeSecurityGroupEgress")?;
        }
        Ok(None)
    }

    fn tags(live: &SecurityGroupLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &SecurityGroupLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.group_id, changes).await
    }

    /// Its rules go with it. The groups whose rules refer to this one depend on it, so they
    /// are gone first; AWS answers DependencyViolation while network interfaces (a load
    /// balancer's, a task's, a database's) still use it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &SecurityGroupLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // InvalidGroup.NotFound: already gone.
        ctx.aws
            .ec2
            .delete_security_group()
            .group_id(&live.group_id)
            .send()
            .await
            .op("DeleteSecurityGroup")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &SecurityGroupLive) -> String {
        live.group_id.clone()
    }

    fn outputs(live: &SecurityGroupLive) -> Outputs {
        Outputs::from([
            ("group_id".into(), live.group_id.clone()),
            ("group_name".into(), live.group_name.clone()),
        ])
    }

    fn status(live: &SecurityGroupLive) -> String {
        format!(
            "{} ingress, {} egress rule(s)",
            live.ingress.len(),
            live.egress.len()
        )
    }
}

fn permission(rule: &IngressRule, resolver: &Resolver) -> IpPermission {
    let builder = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(i32::from(rule.port))
        .to_port(i32::from(rule.port));
    match &rule.source {
        RuleSource::Cidr(cidr) => builder
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(cidr)
                    .description(&rule.description)
                    .build(),
            )
            .build(),
        RuleSource::PrefixList(list) => builder
            .prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(list)
                    .description(&rule.description)
                    .build(),
            )
            .build(),
        RuleSource::SecurityGroup(group) => {
            let group_id = resolver.get(group);
            debug_assert_ne!(group_id, UNKNOWN);
            builder
                .user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id(group_id)
                        .description(&rule.description)
                        .build(),
                )
                .build()
        }
    }
}
