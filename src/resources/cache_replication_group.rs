//! The ElastiCache Redis (or Valkey) replication group: encrypted at rest and in transit, in
//! the `redis` security group, with replicas, multi-AZ and automatic failover where the
//! environment asks for them (prod). Replicas are given as `ReplicasPerNodeGroup`, which both
//! AWS and the emulator understand (moto mishandles `NumCacheClusters`).
//!
//! Found by its id, which is unique in the account and region and is its physical id. While
//! planning, the environment's groups come from one (paginated) `DescribeReplicationGroups`
//! without an id, kept by the desired ids; a recorded id missing from it is read directly, as
//! is everything when a fresh answer is needed (`ctx.cached == false`). No ElastiCache
//! Describe carries tags: they come from the environment's `GetResources` while planning,
//! else from `ListTagsForResource` on the group's ARN. The create does not wait: the group is `Pending` while `creating`, and the
//! engine waits for it.

use super::inventory::Listing;
use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity,
    IdentityKind, Kind, Lookup, Outputs, Readiness, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::output::Event;
use aws_sdk_elasticache::types::{AutomaticFailoverStatus, MultiAzStatus};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CacheReplicationGroupSpec {
    pub id: String,
    pub description: String,
    pub engine: String,
    pub engine_version: String,
    pub node_type: String,
    pub replicas: i32,
    pub multi_az: bool,
    pub automatic_failover: bool,
    pub port: i32,
    pub subnet_group: Ref,
    pub security_group: Ref,
}

#[derive(Debug, Clone)]
pub struct CacheReplicationGroupLive {
    pub id: String,
    pub arn: String,
    pub status: String,
    pub engine: String,
    pub node_type: String,
    pub replicas: i32,
    pub multi_az: bool,
    pub automatic_failover: bool,
    pub at_rest_encryption: bool,
    pub transit_encryption: bool,
    pub endpoint: String,
    pub port: i32,
    /// From `GetResources` or `ListTagsForResource` (see [`CacheReplicationGroup::read`]).
    pub tags: Tags,
}

pub struct CacheReplicationGroup;

fn live_of(group: &aws_sdk_elasticache::types::ReplicationGroup) -> CacheReplicationGroupLive {
    let node_group = group.node_groups().first();
    let members = node_group.map(|node_group| node_group.node_group_members().len());
    let replicas = match members {
        Some(count) if count > 0 => count as i32 - 1,
        _ => (group.member_clusters().len() as i32 - 1).max(0),
    };
    let endpoint = node_group.and_then(|node_group| node_group.primary_endpoint());
    CacheReplicationGroupLive {
        id: group.replication_group_id().unwrap_or_default().to_string(),
        arn: group.arn().unwrap_or_default().to_string(),
        status: group.status().unwrap_or_default().to_string(),
        engine: group.engine().unwrap_or("redis").to_string(),
        node_type: group.cache_node_type().unwrap_or_default().to_string(),
        replicas,
        multi_az: matches!(group.multi_az(), Some(MultiAzStatus::Enabled)),
        automatic_failover: matches!(
            group.automatic_failover(),
            Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
        ),
        at_rest_encryption: group.at_rest_encryption_enabled().unwrap_or(false),
        transit_encryption: group.transit_encryption_enabled().unwrap_or(false),
        endpoint: endpoint
            .and_then(|endpoint| endpoint.address())
            .unwrap_or_default()
            .to_string(),
        port: endpoint
            .and_then(|endpoint| endpoint.port())
            .unwrap_or_default(),
        tags: Tags::new(),
    }
}

/// What a group `status` means for what depends on it.
fn readiness_of(id: &str, status: &str) -> Readiness {
    let why = || format!("replication group {id} is {status}");
    match status {
        "creating" => Readiness::Pending(why()),
        "modifying" | "snapshotting" => Readiness::Busy(why()),
        "create-failed" | "deleting" => Readiness::Failed(why()),
        _ => Readiness::Ready,
    }
}

/// How far a group's deletion has got, by its `status` (a deleted group is simply no longer
/// described).
fn deletion_of(status: &str) -> Deletion {
    match status {
        "deleting" => Deletion::Deleting(status.to_string()),
        _ => Deletion::Present,
    }
}

/// What ElastiCache answers a deletion of a group in a state that refuses it (`creating`,
/// `modifying`, `deleting`).
const INVALID_STATE: &str = "InvalidReplicationGroupState";
const INVALID_STATE_FAULT: &str = "InvalidReplicationGroupStateFault";

/// The changes `ModifyReplicationGroup` applies (the replica count has calls of its own).
const MODIFIED_FIELDS: &[&str] = &[
    "node_type",
    "multi_az",
    "automatic_failover",
    "transit_encryption",
];

impl Kind for CacheReplicationGroup {
    const KIND: &'static str = "elasticache:replication-group";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The id is unique: a repeat answers ReplicationGroupAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["id", "arn", "endpoint", "port"];
    type Spec = CacheReplicationGroupSpec;
    type Live = CacheReplicationGroupLive;

    fn refs(spec: &CacheReplicationGroupSpec) -> Vec<Ref> {
        vec![spec.subnet_group.clone(), spec.security_group.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CacheReplicationGroupSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<CacheReplicationGroupLive>, AwsError> {
        // The physical id is the group id.
        let id = match lookup {
            Lookup::Id(id) => id,
            Lookup::Identity => &spec.id,
        };
        let live = if ctx.cached {
            let listed = ctx.inventory.listed::<Groups>(ctx).await?;
            match (pick(&listed, id), lookup) {
                (Some(live), _) => Some(live.clone()),
                // The listing holds every group of the environment's ids.
                (None, Lookup::Identity) => None,
                (None, Lookup::Id(_)) => describe(ctx, id).await?,
            }
        } else {
            describe(ctx, id).await?
        };
        let Some(mut live) = live else {
            return Ok(None);
        };
        live.tags = match ctx.inventory.tags_of(ctx, &live.arn).await? {
            Some(tags) => tags,
            // ReplicationGroupNotFoundFault: deleted since it was described (the end of a
            // `deleting` group).
            None => match tags::list_elasticache(&ctx.aws.elasticache, &live.arn)
                .await
                .found()?
            {
                Some(tags) => tags,
                None => return Ok(None),
            },
        };
        Ok(Some(live))
    }

    fn diff(
        spec: &CacheReplicationGroupSpec,
        live: &CacheReplicationGroupLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let mut field = |name: &str, old: String, new: String, replace: bool| {
            compare(&mut changes, name, &old, &new, replace)
        };
        field("engine", live.engine.clone(), spec.engine.clone(), true);
        field(
            "node_type",
            live.node_type.clone(),
            spec.node_type.clone(),
            false,
        );
        field(
            "replicas",
            live.replicas.to_string(),
            spec.replicas.to_string(),
            false,
        );
        field(
            "multi_az",
            live.multi_az.to_string(),
            spec.multi_az.to_string(),
            false,
        );
        field(
            "automatic_failover",
            live.automatic_failover.to_string(),
            spec.automatic_failover.to_string(),
            false,
        );
        field(
            "at_rest_encryption",
            live.at_rest_encryption.to_string(),
            "true".into(),
            true,
        );
        field(
            "transit_encryption",
            live.transit_encryption.to_string(),
            "true".into(),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &CacheReplicationGroupSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .elasticache
            .create_replication_group()
            .replication_group_id(&spec.id)
            .replication_group_description(&spec.description)
            .engine(&spec.engine)
            .engine_version(&spec.engine_version)
            .cache_node_type(&spec.node_type)
            .num_node_groups(1)
            .replicas_per_node_group(spec.replicas)
            .multi_az_enabled(spec.multi_az)
            .automatic_failover_enabled(spec.automatic_failover)
            .at_rest_encryption_enabled(true)
            .transit_encryption_enabled(true)
            .port(spec.port)
            .cache_subnet_group_name(resolver.get(&spec.subnet_group))
            .security_group_ids(resolver.get(&spec.security_group))
            .set_tags(Some(tags::to_elasticache(&who.tags)))
            .send()
            .await
            .op("CreateReplicationGroup")?;
        Ok(output
            .replication_group()
            .and_then(|group| group.replication_group_id())
            .unwrap_or(&spec.id)
            .to_string())
    }

    /// Makes *one* of the calls the changes need, because ElastiCache takes no other change to
    /// a group while it is `modifying`: more replicas first (multi-AZ and failover need them),
    /// else `ModifyReplicationGroup` (turning failover off must come before going down to no
    /// replica), else fewer replicas. Each call sets absolute values, so repeating it is
    /// harmless. What is left shows in the next diff.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &CacheReplicationGroupSpec,
        live: &CacheReplicationGroupLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let elasticache = &ctx.aws.elasticache;
        let replicas = changes.iter().any(|change| change.field == "replicas");
        let modified: Vec<&str> = changes
            .iter()
            .map(|change| change.field.as_str())
            .filter(|field| MODIFIED_FIELDS.contains(field))
            .collect();
        let left_for_later = |first: &str, rest: &str| {
            ctx.reporter.report(Event::Info {
                message: format!(
                    "{}: {first} is changed first; ElastiCache takes no other change to the group while it applies that, so the change of {rest} waits for the next `up`",
                    who.id
                ),
            });
        };
        if replicas && spec.replicas > live.replicas {
            elasticache
                .increase_replica_count()
                .replication_group_id(&live.id)
                .new_replica_count(spec.replicas)
                .apply_immediately(true)
                .send()
                .await
                .op("IncreaseReplicaCount")?;
            if !modified.is_empty() {
                left_for_later("the replica count", &modified.join(", "));
            }
            return Ok(None);
        }
        if !modified.is_empty() {
            let mut request = elasticache
                .modify_replication_group()
                .replication_group_id(&live.id)
                .apply_immediately(true);
            for field in &modified {
                request = match *field {
                    "node_type" => request.cache_node_type(&spec.node_type),
                    "multi_az" => request.multi_az_enabled(spec.multi_az),
                    "automatic_failover" => {
                        request.automatic_failover_enabled(spec.automatic_failover)
                    }
                    _ => request.transit_encryption_enabled(true),
                };
            }
            request.send().await.op("ModifyReplicationGroup")?;
            if replicas {
                left_for_later(&modified.join(", "), "the replica count");
            }
            return Ok(None);
        }
        if replicas {
            elasticache
                .decrease_replica_count()
                .replication_group_id(&live.id)
                .new_replica_count(spec.replicas)
                .apply_immediately(true)
                .send()
                .await
                .op("DecreaseReplicaCount")?;
        }
        Ok(None)
    }

    fn readiness(live: &CacheReplicationGroupLive) -> Readiness {
        readiness_of(&live.id, &live.status)
    }

    fn tags(live: &CacheReplicationGroupLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &CacheReplicationGroupLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_elasticache(&ctx.aws.elasticache, &live.arn, changes).await
    }

    /// Deletes the group with all its nodes (`RetainPrimaryCluster=false`) and no final
    /// snapshot. A group already `deleting` is not asked again: ElastiCache would refuse it
    /// (`InvalidReplicationGroupState`, as it refuses a group `creating` or `modifying`,
    /// which the engine asks again later).
    async fn delete(
        ctx: &Ctx<'_>,
        live: &CacheReplicationGroupLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        if deletion_of(&live.status) != Deletion::Present {
            return Ok(Deleted::Requested);
        }
        let answer = ctx
            .aws
            .elasticache
            .delete_replication_group()
            .replication_group_id(&live.id)
            .retain_primary_cluster(false)
            .send()
            .await
            .op("DeleteReplicationGroup");
        match answer {
            // Refused for its state: after a lost answer (the engine repeats the call with the
            // live it had) the group may be deleting already, which only a read tells.
            Err(err) if matches!(err.code(), Some(INVALID_STATE | INVALID_STATE_FAULT)) => {
                match describe(ctx, &live.id).await? {
                    Some(now) if deletion_of(&now.status) == Deletion::Present => Err(err),
                    _ => Ok(Deleted::Requested),
                }
            }
            // ReplicationGroupNotFoundFault: already gone.
            answer => answer.found().map(|_| Deleted::Requested),
        }
    }

    fn deletion(live: &CacheReplicationGroupLive) -> Deletion {
        deletion_of(&live.status)
    }

    fn physical_id(live: &CacheReplicationGroupLive) -> String {
        live.id.clone()
    }

    fn outputs(live: &CacheReplicationGroupLive) -> Outputs {
        Outputs::from([
            ("id".into(), live.id.clone()),
            ("arn".into(), live.arn.clone()),
            ("endpoint".into(), live.endpoint.clone()),
            ("port".into(), live.port.to_string()),
        ])
    }

    fn status(live: &CacheReplicationGroupLive) -> String {
        format!("{} {}:{}", live.status, live.endpoint, live.port)
    }
}

// --- Reading ---------------------------------------------------------------------------------

/// One group, directly, by id (without its tags).
async fn describe(ctx: &Ctx<'_>, id: &str) -> Result<Option<CacheReplicationGroupLive>, AwsError> {
    Ok(ctx
        .aws
        .elasticache
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .op("DescribeReplicationGroups")
        .found()?
        .and_then(|output| output.replication_groups().first().map(live_of)))
}

/// This environment's replication groups while planning (without their tags): every group of
/// the account and region (`DescribeReplicationGroups` takes one id or none), kept by the
/// desired ids.
struct Groups;

impl Listing for Groups {
    type Item = CacheReplicationGroupLive;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<CacheReplicationGroupLive>, AwsError> {
        let ids: Vec<&str> = ctx
            .desired_of(|spec| match spec {
                Spec::CacheReplicationGroup(group) => Some(group),
                _ => None,
            })
            .into_iter()
            .map(|group| group.id.as_str())
            .collect();
        let mut all = Vec::new();
        let mut pages = ctx
            .aws
            .elasticache
            .describe_replication_groups()
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            all.extend(
                page.op("DescribeReplicationGroups")?
                    .replication_groups()
                    .iter()
                    .map(live_of),
            );
        }
        Ok(named(all, &ids))
    }
}

/// The groups whose ids are one of `ids`.
fn named(listed: Vec<CacheReplicationGroupLive>, ids: &[&str]) -> Vec<CacheReplicationGroupLive> {
    listed
        .into_iter()
        .filter(|live| ids.contains(&live.id.as_str()))
        .collect()
}

fn pick<'a>(
    listed: &'a [CacheReplicationGroupLive],
    id: &str,
) -> Option<&'a CacheReplicationGroupLive> {
    listed.iter().find(|live| live.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CacheReplicationGroupSpec {
        CacheReplicationGroupSpec {
            id: "macro-ai-dev-redis".into(),
            description: "Redis".into(),
            engine: "redis".into(),
            engine_version: "7.1".into(),
            node_type: "cache.t4g.micro".into(),
            replicas: 1,
            multi_az: true,
            automatic_failover: true,
            port: 6379,
            subnet_group: Ref::new("cache-subnets", "name"),
            security_group: Ref::new("sg-redis", "group_id"),
        }
    }

    fn live() -> CacheReplicationGroupLive {
        CacheReplicationGroupLive {
            id: "macro-ai-dev-redis".into(),
            arn: "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:macro-ai-dev-redis"
                .into(),
            status: "available".into(),
            engine: "redis".into(),
            node_type: "cache.t4g.micro".into(),
            replicas: 1,
            multi_az: true,
            automatic_failover: true,
            at_rest_encryption: true,
            transit_encryption: true,
            endpoint: "master.macro-ai-dev-redis.abc.use1.cache.amazonaws.com".into(),
            port: 6379,
            tags: Tags::new(),
        }
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<
            CacheReplicationGroup,
        >(&live()));
    }

    #[test]
    fn diff_replaces_only_what_cannot_change_in_place() {
        let resolver = Resolver::default();
        assert!(CacheReplicationGroup::diff(&spec(), &live(), &resolver).is_empty());
        let changes = CacheReplicationGroup::diff(
            &spec(),
            &CacheReplicationGroupLive {
                replicas: 0,
                at_rest_encryption: false,
                ..live()
            },
            &resolver,
        );
        let replace: Vec<(&str, bool)> = changes
            .iter()
            .map(|change| (change.field.as_str(), change.replace))
            .collect();
        assert_eq!(replace, [("replicas", false), ("at_rest_encryption", true)]);
    }

    #[test]
    fn readiness_by_status() {
        let at = |status: &str| readiness_of("redis", status);
        assert_eq!(at("available"), Readiness::Ready);
        assert!(matches!(at("creating"), Readiness::Pending(why) if why.contains("creating")));
        assert!(matches!(at("modifying"), Readiness::Busy(_)));
        assert!(matches!(at("create-failed"), Readiness::Failed(_)));
    }

    #[test]
    fn deletion_by_status() {
        assert_eq!(deletion_of("available"), Deletion::Present);
        assert_eq!(deletion_of("modifying"), Deletion::Present);
        assert_eq!(
            deletion_of("deleting"),
            Deletion::Deleting("deleting".into())
        );
    }

    #[test]
    fn the_listing_keeps_the_desired_ids() {
        let group = |id: &str| CacheReplicationGroupLive {
            id: id.into(),
            ..live()
        };
        let listed = vec![group("macro-ai-dev-redis"), group("macro-ai-dev-redis-old")];
        let kept = named(listed, &["macro-ai-dev-redis"]);
        assert_eq!(kept.len(), 1);
        assert!(pick(&kept, "macro-ai-dev-redis").is_some());
        assert!(pick(&kept, "macro-ai-dev-redis-old").is_none());
    }
}
