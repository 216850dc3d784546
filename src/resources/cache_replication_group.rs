//! The ElastiCache Redis (or Valkey) replication group: encrypted at rest and in transit, in
//! the `redis` security group, with replicas, multi-AZ and automatic failover where the
//! environment asks for them (prod). Replicas are given as `ReplicasPerNodeGroup`, which both
//! AWS and the emulator understand (moto mishandles `NumCacheClusters`).

use super::cache_subnet_group::elasticache_tags;
use super::{compare, wait_until, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_elasticache::types::{AutomaticFailoverStatus, MultiAzStatus};

#[derive(Debug, Clone)]
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
    }
}

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

async fn wait_available(
    ctx: &Ctx<'_>,
    who: &Identity,
    id: &str,
) -> Result<CacheReplicationGroupLive, AwsError> {
    wait_until(
        ctx,
        who,
        CacheReplicationGroup::KIND,
        &format!("replication group {id} to become available"),
        "DescribeReplicationGroups",
        || async {
            match describe(ctx, id).await? {
                Some(live) if live.status == "available" => Ok(Ok(live)),
                Some(live) if matches!(live.status.as_str(), "create-failed" | "deleting") => {
                    Err(AwsError::other(
                        "DescribeReplicationGroups",
                        format!(
                            "replication group {id} is {} instead of available",
                            live.status
                        ),
                    ))
                }
                Some(live) => Ok(Err(live.status)),
                None => Ok(Err("not visible yet".to_string())),
            }
        },
    )
    .await
}

impl Kind for CacheReplicationGroup {
    const KIND: &'static str = "elasticache:replication-group";
    type Spec = CacheReplicationGroupSpec;
    type Live = CacheReplicationGroupLive;

    fn refs(spec: &CacheReplicationGroupSpec) -> Vec<Ref> {
        vec![spec.subnet_group.clone(), spec.security_group.clone()]
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CacheReplicationGroupSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<CacheReplicationGroupLive>, AwsError> {
        describe(ctx, &spec.id).await
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
    ) -> Result<CacheReplicationGroupLive, AwsError> {
        ctx.aws
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
            .set_tags(Some(elasticache_tags(who)))
            .send()
            .await
            .op("CreateReplicationGroup")?;
        wait_available(ctx, who, &spec.id).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &CacheReplicationGroupSpec,
        live: &CacheReplicationGroupLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<CacheReplicationGroupLive, AwsError> {
        let elasticache = &ctx.aws.elasticache;
        if changes.iter().any(|change| change.field == "replicas") {
            if spec.replicas > live.replicas {
                elasticache
                    .increase_replica_count()
                    .replication_group_id(&live.id)
                    .new_replica_count(spec.replicas)
                    .apply_immediately(true)
                    .send()
                    .await
                    .op("IncreaseReplicaCount")?;
            } else {
                elasticache
                    .decrease_replica_count()
                    .replication_group_id(&live.id)
                    .new_replica_count(spec.replicas)
                    .apply_immediately(true)
                    .send()
                    .await
                    .op("DecreaseReplicaCount")?;
            }
            wait_available(ctx, who, &live.id).await?;
        }
        let mut request = elasticache
            .modify_replication_group()
            .replication_group_id(&live.id)
            .apply_immediately(true);
        let mut modify = false;
        for change in changes {
            request = match change.field.as_str() {
                "node_type" => request.cache_node_type(&spec.node_type),
                "multi_az" => request.multi_az_enabled(spec.multi_az),
                "automatic_failover" => request.automatic_failover_enabled(spec.automatic_failover),
                "transit_encryption" => request.transit_encryption_enabled(true),
                _ => continue,
            };
            modify = true;
        }
        if modify {
            request.send().await.op("ModifyReplicationGroup")?;
        }
        wait_available(ctx, who, &live.id).await
    }

    async fn settle(
        ctx: &Ctx<'_>,
        who: &Identity,
        live: CacheReplicationGroupLive,
    ) -> Result<CacheReplicationGroupLive, AwsError> {
        if live.status != "creating" {
            return Ok(live);
        }
        wait_available(ctx, who, &live.id).await
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
