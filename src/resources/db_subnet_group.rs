//! The RDS DB subnet group: the isolated database subnets (one per AZ, at least two, as RDS
//! requires) the instance may be placed in.
//!
//! Found by its name, which is unique in the account and region and is its physical id.
//! While planning, the environment's groups come from one (paginated) `DescribeDBSubnetGroups`
//! without a name (it takes no filter), kept by the desired names; a recorded name missing
//! from it is read directly, as is everything when a fresh answer is needed
//! (`ctx.cached == false`). `DescribeDBSubnetGroups` does not carry tags: they come from the
//! environment's `GetResources` where it has them, else from `ListTagsForResource` on the
//! group's ARN (moto's tagging API does not see DB subnet groups). The subnets are compared as a sorted set and changed in place with
//! `ModifyDBSubnetGroup` (which sets the whole list, so repeating it is harmless).

use super::inventory::Listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_rds::types::DbSubnetGroup as Group;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DbSubnetGroupSpec {
    pub name: String,
    pub description: String,
    pub subnets: Vec<Ref>,
}

#[derive(Debug, Clone)]
pub struct DbSubnetGroupLive {
    pub name: String,
    pub arn: String,
    pub subnet_ids: Vec<String>,
    pub status: String,
    pub tags: Tags,
}

pub struct DbSubnetGroup;

impl Kind for DbSubnetGroup {
    const KIND: &'static str = "rds:db-subnet-group";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat answers DBSubnetGroupAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["name"];
    type Spec = DbSubnetGroupSpec;
    type Live = DbSubnetGroupLive;

    fn refs(spec: &DbSubnetGroupSpec) -> Vec<Ref> {
        spec.subnets.clone()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbSubnetGroupSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<DbSubnetGroupLive>, AwsError> {
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
        let arn = group.db_subnet_group_arn().unwrap_or_default().to_string();
        let tags = match ctx.inventory.tags_of(ctx, &arn).await? {
            Some(tags) => tags,
            None => tags::list_rds(&ctx.aws.rds, &arn).await?,
        };
        Ok(Some(DbSubnetGroupLive {
            name: group.db_subnet_group_name().unwrap_or_default().to_string(),
            arn,
            subnet_ids,
            status: group
                .subnet_group_status()
                .unwrap_or("Complete")
                .to_string(),
            tags,
        }))
    }

    fn diff(
        spec: &DbSubnetGroupSpec,
        live: &DbSubnetGroupLive,
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
        spec: &DbSubnetGroupSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        ctx.aws
            .rds
            .create_db_subnet_group()
            .db_subnet_group_name(&spec.name)
            .db_subnet_group_description(&spec.description)
            .set_subnet_ids(Some(resolver.sorted(&spec.subnets)))
            .set_tags(Some(tags::to_rds(&who.tags)))
            .send()
            .await
            .op("CreateDBSubnetGroup")?;
        Ok(spec.name.clone())
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbSubnetGroupSpec,
        live: &DbSubnetGroupLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        if changes.iter().any(|change| change.field == "subnet_ids") {
            ctx.aws
                .rds
                .modify_db_subnet_group()
                .db_subnet_group_name(&live.name)
                .set_subnet_ids(Some(resolver.sorted(&spec.subnets)))
                .send()
                .await
                .op("ModifyDBSubnetGroup")?;
        }
        Ok(None)
    }

    fn tags(live: &DbSubnetGroupLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &DbSubnetGroupLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_rds(&ctx.aws.rds, &live.arn, changes).await
    }

    /// By name. RDS refuses while an instance (one still `deleting` too) is in the group.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &DbSubnetGroupLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // DBSubnetGroupNotFoundFault: already gone.
        ctx.aws
            .rds
            .delete_db_subnet_group()
            .db_subnet_group_name(&live.name)
            .send()
            .await
            .op("DeleteDBSubnetGroup")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &DbSubnetGroupLive) -> String {
        live.name.clone()
    }

    fn outputs(live: &DbSubnetGroupLive) -> Outputs {
        Outputs::from([("name".into(), live.name.clone())])
    }

    fn status(live: &DbSubnetGroupLive) -> String {
        format!(
            "{} ({} subnets)",
            live.status.to_lowercase(),
            live.subnet_ids.len()
        )
    }
}

// --- Reading ---------------------------------------------------------------------------------

/// One group, directly, by name.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<Group>, AwsError> {
    Ok(ctx
        .aws
        .rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
        .op("DescribeDBSubnetGroups")
        .found()?
        .and_then(|output| output.db_subnet_groups().first().cloned()))
}

/// This environment's DB subnet groups while planning: every group of the account and region
/// (`DescribeDBSubnetGroups` takes no name filter), kept by the desired names.
struct Groups;

impl Listing for Groups {
    type Item = Group;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Group>, AwsError> {
        let names: Vec<&str> = ctx
            .desired_of(|spec| match spec {
                Spec::DbSubnetGroup(group) => Some(group),
                _ => None,
            })
            .into_iter()
            .map(|group| group.name.as_str())
            .collect();
        let mut all = Vec::new();
        let mut pages = ctx
            .aws
            .rds
            .describe_db_subnet_groups()
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            all.extend(
                page.op("DescribeDBSubnetGroups")?
                    .db_subnet_groups
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
        .filter(|group| names.contains(&group.db_subnet_group_name().unwrap_or_default()))
        .collect()
}

fn pick<'a>(listed: &'a [Group], name: &str) -> Option<&'a Group> {
    listed
        .iter()
        .find(|group| group.db_subnet_group_name() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(subnet_ids: &[&str]) -> DbSubnetGroupLive {
        DbSubnetGroupLive {
            name: "macro-ai-dev-db".into(),
            arn: "arn:aws:rds:us-east-1:123456789012:subgrp:macro-ai-dev-db".into(),
            subnet_ids: subnet_ids.iter().map(|id| id.to_string()).collect(),
            status: "Complete".into(),
            tags: Tags::new(),
        }
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<DbSubnetGroup>(
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
        let spec = DbSubnetGroupSpec {
            name: "macro-ai-dev-db".into(),
            description: "database subnets".into(),
            subnets: vec![Ref::new("db-a", "subnet_id"), Ref::new("db-b", "subnet_id")],
        };
        assert!(DbSubnetGroup::diff(&spec, &live(&["subnet-a", "subnet-b"]), &resolver).is_empty());
        let changes = DbSubnetGroup::diff(&spec, &live(&["subnet-a"]), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, "subnet-a,subnet-b");
        assert!(!changes[0].replace);
    }

    #[test]
    fn the_listing_keeps_the_desired_names() {
        let group = |name: &str| Group::builder().db_subnet_group_name(name).build();
        let listed = vec![
            group("macro-ai-dev-db"),
            group("macro-ai-dev-db-old"),
            group("default"),
        ];
        let kept = named(listed, &["macro-ai-dev-db"]);
        assert_eq!(kept.len(), 1);
        assert!(pick(&kept, "macro-ai-dev-db").is_some());
        assert!(pick(&kept, "macro-ai-dev-db-old").is_none());
    }
}
