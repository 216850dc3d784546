//! The ElastiCache cache subnet group: the isolated database subnets Redis nodes live in.
//!
//! Found by its name, which is unique in the account and region and is its physical id.
//! No ElastiCache Describe carries tags, so they are read with `ListTagsForResource` on the
//! group's ARN. The subnets are compared as a sorted set and changed in place with
//! `ModifyCacheSubnetGroup` (which sets the whole list, so repeating it is harmless).

use super::{
    tags, CreateSafety, Ctx, FieldChange, Identity, IdentityKind, Kind, Lookup, Outputs, Ref,
    Resolver, TagChanges, Tags,
};
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
    pub arn: String,
    pub subnet_ids: Vec<String>,
    pub tags: Tags,
}

pub struct CacheSubnetGroup;

impl Kind for CacheSubnetGroup {
    const KIND: &'static str = "elasticache:cache-subnet-group";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat answers CacheSubnetGroupAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["name"];
    type Spec = CacheSubnetGroupSpec;
    type Live = CacheSubnetGroupLive;

    fn refs(spec: &CacheSubnetGroupSpec) -> Vec<Ref> {
        spec.subnets.clone()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CacheSubnetGroupSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<CacheSubnetGroupLive>, AwsError> {
        // The physical id is the name.
        let name = match lookup {
            Lookup::Id(name) => name,
            Lookup::Identity => &spec.name,
        };
        let Some(output) = ctx
            .aws
            .elasticache
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(name)
            .send()
            .await
            .op("DescribeCacheSubnetGroups")
            .found()?
        else {
            return Ok(None);
        };
        let Some(group) = output.cache_subnet_groups().first() else {
            return Ok(None);
        };
        let mut subnet_ids: Vec<String> = group
            .subnets()
            .iter()
            .filter_map(|subnet| subnet.subnet_identifier().map(str::to_string))
            .collect();
        subnet_ids.sort();
        let arn = group.arn().unwrap_or_default().to_string();
        let tags = tags::list_elasticache(&ctx.aws.elasticache, &arn).await?;
        Ok(Some(CacheSubnetGroupLive {
            name: group
                .cache_subnet_group_name()
                .unwrap_or_default()
                .to_string(),
            arn,
            subnet_ids,
            tags,
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
        _token: &str,
    ) -> Result<String, AwsError> {
        ctx.aws
            .elasticache
            .create_cache_subnet_group()
            .cache_subnet_group_name(&spec.name)
            .cache_subnet_group_description(&spec.description)
            .set_subnet_ids(Some(resolver.sorted(&spec.subnets)))
            .set_tags(Some(tags::to_elasticache(&who.tags)))
            .send()
            .await
            .op("CreateCacheSubnetGroup")?;
        Ok(spec.name.clone())
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &CacheSubnetGroupSpec,
        live: &CacheSubnetGroupLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        if changes.iter().any(|change| change.field == "subnet_ids") {
            ctx.aws
                .elasticache
                .modify_cache_subnet_group()
                .cache_subnet_group_name(&live.name)
                .set_subnet_ids(Some(resolver.sorted(&spec.subnets)))
                .send()
                .await
                .op("ModifyCacheSubnetGroup")?;
        }
        Ok(None)
    }

    fn tags(live: &CacheSubnetGroupLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &CacheSubnetGroupLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_elasticache(&ctx.aws.elasticache, &live.arn, changes).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn live(subnet_ids: &[&str]) -> CacheSubnetGroupLive {
        CacheSubnetGroupLive {
            name: "macro-ai-dev-redis".into(),
            arn: "arn:aws:elasticache:us-east-1:123456789012:subnetgroup:macro-ai-dev-redis".into(),
            subnet_ids: subnet_ids.iter().map(|id| id.to_string()).collect(),
            tags: Tags::new(),
        }
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<CacheSubnetGroup>(
            &live(&[])
        ));
    }

    #[test]
    fn subnets_are_compared_as_a_set() {
        let resolver = Resolver::default();
        resolver.set(
            &"db-a".into(),
            Outputs::from([("subnet_id".into(), "subnet-b".into())]),
        );
        resolver.set(
            &"db-b".into(),
            Outputs::from([("subnet_id".into(), "subnet-a".into())]),
        );
        let spec = CacheSubnetGroupSpec {
            name: "macro-ai-dev-redis".into(),
            description: "cache subnets".into(),
            subnets: vec![Ref::new("db-a", "subnet_id"), Ref::new("db-b", "subnet_id")],
        };
        assert!(
            CacheSubnetGroup::diff(&spec, &live(&["subnet-a", "subnet-b"]), &resolver).is_empty()
        );
        let changes = CacheSubnetGroup::diff(&spec, &live(&["subnet-a"]), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, "subnet-a,subnet-b");
        assert!(!changes[0].replace);
    }
}
