//! The ElastiCache cache subnet group: the isolated database subnets Redis nodes live in.

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone)]
pub struct CacheSubnetGroupSpec {
    pub name: String,
    pub description: String,
    pub subnets: Vec<Ref>,
}

#[derive(Debug, Clone)]
pub struct CacheSubnetGroupLive {
    pub name: String,
    pub subnet_ids: Vec<String>,
}

pub struct CacheSubnetGroup;

pub fn elasticache_tags(who: &Identity) -> Vec<aws_sdk_elasticache::types::Tag> {
    who.tags
        .iter()
        .map(|(key, value)| {
            aws_sdk_elasticache::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

impl Kind for CacheSubnetGroup {
    const KIND: &'static str = "elasticache:cache-subnet-group";
    type Spec = CacheSubnetGroupSpec;
    type Live = CacheSubnetGroupLive;

    fn refs(spec: &CacheSubnetGroupSpec) -> Vec<Ref> {
        spec.subnets.clone()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CacheSubnetGroupSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<CacheSubnetGroupLive>, AwsError> {
        let Some(output) = ctx
            .aws
            .elasticache
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(&spec.name)
            .send()
            .await
            .op("DescribeCacheSubnetGroups")
            .found()?
        else {
            return Ok(None);
        };
        Ok(output.cache_subnet_groups().first().map(|group| {
            let mut subnet_ids: Vec<String> = group
                .subnets()
                .iter()
                .filter_map(|subnet| subnet.subnet_identifier().map(str::to_string))
                .collect();
            subnet_ids.sort();
            CacheSubnetGroupLive {
                name: group
                    .cache_subnet_group_name()
                    .unwrap_or_default()
                    .to_string(),
                subnet_ids,
            }
        }))
    }

    fn diff(
        spec: &CacheSubnetGroupSpec,
        live: &CacheSubnetGroupLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let desired = resolver.sorted(&spec.subnets);
        if desired == live.subnet_ids {
            Vec::new()
        } else {
            vec![FieldChange::update(
                "subnet_ids",
                live.subnet_ids.join(","),
                desired.join(","),
            )]
        }
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &CacheSubnetGroupSpec,
        resolver: &Resolver,
    ) -> Result<CacheSubnetGroupLive, AwsError> {
        let subnet_ids = resolver.sorted(&spec.subnets);
        ctx.aws
            .elasticache
            .create_cache_subnet_group()
            .cache_subnet_group_name(&spec.name)
            .cache_subnet_group_description(&spec.description)
            .set_subnet_ids(Some(subnet_ids.clone()))
            .set_tags(Some(elasticache_tags(who)))
            .send()
            .await
            .op("CreateCacheSubnetGroup")?;
        Ok(CacheSubnetGroupLive {
            name: spec.name.clone(),
            subnet_ids,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CacheSubnetGroupSpec,
        live: &CacheSubnetGroupLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<CacheSubnetGroupLive, AwsError> {
        let subnet_ids = resolver.sorted(&spec.subnets);
        ctx.aws
            .elasticache
            .modify_cache_subnet_group()
            .cache_subnet_group_name(&spec.name)
            .set_subnet_ids(Some(subnet_ids.clone()))
            .send()
            .await
            .op("ModifyCacheSubnetGroup")?;
        Ok(CacheSubnetGroupLive {
            subnet_ids,
            ..live.clone()
        })
    }

    fn physical_id(live: &CacheSubnetGroupLive) -> String {
        live.name.clone()
    }

    fn outputs(live: &CacheSubnetGroupLive) -> Outputs {
        Outputs::from([("name".into(), live.name.clone())])
    }

    fn status(live: &CacheSubnetGroupLive) -> String {
        format!("{} subnets", live.subnet_ids.len())
    }
}
