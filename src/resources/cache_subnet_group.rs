//! The ElastiCache cache subnet group: the isolated database subnets Redis nodes live in.
//!
//! Found by its name, which is unique in the account and region and is its physical id.
//! While planning, the environment's groups come from one (paginated)
//! `DescribeCacheSubnetGroups` without a name, kept by the desired names; a recorded name
//! missing from it is read directly, as is everything when a fresh answer is needed
//! (`ctx.cached == false`). No ElastiCache Describe carries tags: they come from the
//! environment's `GetResources` while planning, else from `ListTagsForResource` on the
//! group's ARN. The subnets are compared as a sorted set and changed in place with
//! `ModifyCacheSubnetGroup` (which sets the whole list, so repeating it is harmless).

use super::inventory::Listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_elasticache::types::CacheSubnetGroup as Group;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
        let group = if ctx.cached {
            let listed = ctx.inventory.listed::<Groups>(ctx).await?;
            match (pick(&listed, name), lookup) {
                (Some(group), _) => Some(group.clone()),
                // The listing holds every group of the environment's names.
                (None, Lookup::Identity) => None,
                (None, Lookup::Id(_)) => describe(ctx, name).await?,
            }
        } else {
            describe(ctx, name).await?
        };
        let Some(group) = group else {
            return Ok(None);
        };
        let mut subnet_ids: Vec<String> = group
            .subnets()
            .iter()
            .filter_map(|subnet| subnet.subnet_identifier().map(str::to_string))
            .collect();
        subnet_ids.sort();
        let arn = group.arn().unwrap_or_default().to_string();
        let tags = match ctx.inventory.tags_of(ctx, &arn).await? {
            Some(tags) => tags,
            None => tags::list_elasticache(&ctx.aws.elasticache, &arn).await?,
        };
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

    /// By name. ElastiCache refuses (`CacheSubnetGroupInUse`) while a replication group,
    /// one still `deleting` too, is in the group.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &CacheSubnetGroupLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // CacheSubnetGroupNotFoundFault: already gone.
        ctx.aws
            .elasticache
            .delete_cache_subnet_group()
            .cache_subnet_group_name(&live.name)
            .send()
            .await
            .op("DeleteCacheSubnetGroup")
            .found()?;
        Ok(Deleted::Requested)
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

// --- Reading ---------------------------------------------------------------------------------

/// One group, directly, by name.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<Group>, AwsError> {
    Ok(ctx
        .aws
        .elasticache
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(name)
        .send()
        .await
        .op("DescribeCacheSubnetGroups")
        .found()?
        .and_then(|output| output.cache_subnet_groups().first().cloned()))
}

/// This environment's cache subnet groups while planning: every group of the account and
/// region (`DescribeCacheSubnetGroups` takes one name or none), kept by the desired names.
struct Groups;

impl Listing for Groups {
    type Item = Group;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Group>, AwsError> {
        let names: Vec<&str> = ctx
            .desired_of(|spec| match spec {
                Spec::CacheSubnetGroup(group) => Some(group),
                _ => None,
            })
            .into_iter()
            .map(|group| group.name.as_str())
            .collect();
        let mut all = Vec::new();
        let mut pages = ctx
            .aws
            .elasticache
            .describe_cache_subnet_groups()
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            all.extend(
                page.op("DescribeCacheSubnetGroups")?
                    .cache_subnet_groups
                    .unwrap_or_default(),
            );
        }
        Ok(named(all, &names))
    }
}

/// The groups whose names are one of `names`.
fn named(listed: Vec<Group>, names: &[&str]) -> Vec<Group> {
    listed
        .into_iter()
        .filter(|group| names.contains(&group.cache_subnet_group_name().unwrap_or_default()))
        .collect()
}

fn pick<'a>(listed: &'a [Group], name: &str) -> Option<&'a Group> {
    listed
        .iter()
        .find(|group| group.cache_subnet_group_name() == Some(name))
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

    #[test]
    fn the_listing_keeps_the_desired_names() {
        let group = |name: &str| Group::builder().cache_subnet_group_name(name).build();
        let listed = vec![group("default"), group("macro-ai-dev-cache")];
        let kept = named(listed, &["macro-ai-dev-cache"]);
        assert_eq!(kept.len(), 1);
        assert!(pick(&kept, "macro-ai-dev-cache").is_some());
        assert!(pick(&kept, "default").is_none());
    }
}
