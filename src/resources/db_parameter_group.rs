//! The RDS DB parameter group for the engine family (`postgres16`). Owning it from the start
//! means tuning PostgreSQL later is a parameter change, not an instance replacement (moving
//! an instance to a new group needs a reboot).
//!
//! Found by its name, which is unique in the account and region and is its physical id.
//! While planning, the environment's groups come from one (paginated)
//! `DescribeDBParameterGroups` without a name (it takes no name filter; AWS's own `default.*`
//! groups come too), kept by the desired names; a recorded name missing from it is read
//! directly, as is everything when a fresh answer is needed (`ctx.cached == false`).
//! `DescribeDBParameterGroups` does not carry tags: they come from the environment's
//! `GetResources` where it has them, else from `ListTagsForResource` on the group's ARN
//! (moto's tagging API does not see DB parameter groups). Nothing is changed in place: the family cannot
//! be (a new major version is a new group, named after it), and macroctl sets no parameters
//! yet.

use super::inventory::Listing;
use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind,
    Kind, Lookup, Outputs, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_rds::types::DbParameterGroup as Group;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DbParameterGroupSpec {
    pub name: String,
    pub family: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct DbParameterGroupLive {
    pub name: String,
    pub arn: String,
    pub family: String,
    pub tags: Tags,
}

pub struct DbParameterGroup;

impl Kind for DbParameterGroup {
    const KIND: &'static str = "rds:db-parameter-group";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat answers DBParameterGroupAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["name"];
    type Spec = DbParameterGroupSpec;
    type Live = DbParameterGroupLive;

    fn refs(_spec: &DbParameterGroupSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbParameterGroupSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<DbParameterGroupLive>, AwsError> {
        // The physical id is the name, and the name carries the major version: a recorded
        // group of another name is the previous major's, which the instance leaves when it is
        // upgraded (a major upgrade needs a group of the new family). It is not this
        // resource, which is then found, or created, by the name the spec gives.
        let name = match lookup {
            Lookup::Id(name) if name != spec.name => return Ok(None),
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
        let arn = group
            .db_parameter_group_arn()
            .unwrap_or_default()
            .to_string();
        let tags = match ctx.inventory.tags_of(ctx, &arn).await? {
            Some(tags) => tags,
            None => tags::list_rds(&ctx.aws.rds, &arn).await?,
        };
        Ok(Some(DbParameterGroupLive {
            name: group
                .db_parameter_group_name()
                .unwrap_or_default()
                .to_string(),
            arn,
            family: group
                .db_parameter_group_family()
                .unwrap_or_default()
                .to_string(),
            tags,
        }))
    }

    fn diff(
        spec: &DbParameterGroupSpec,
        live: &DbParameterGroupLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(&mut changes, "family", &live.family, &spec.family, true);
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &DbParameterGroupSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        ctx.aws
            .rds
            .create_db_parameter_group()
            .db_parameter_group_name(&spec.name)
            .db_parameter_group_family(&spec.family)
            .description(&spec.description)
            .set_tags(Some(tags::to_rds(&who.tags)))
            .send()
            .await
            .op("CreateDBParameterGroup")?;
        Ok(spec.name.clone())
    }

    /// Nothing is updatable: the only compared field, the family, is a replacement.
    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &DbParameterGroupSpec,
        _live: &DbParameterGroupLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        Ok(None)
    }

    fn tags(live: &DbParameterGroupLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &DbParameterGroupLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_rds(&ctx.aws.rds, &live.arn, changes).await
    }

    /// By name. RDS refuses while an instance (one still `deleting` too) uses the group.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &DbParameterGroupLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // DBParameterGroupNotFound: already gone.
        ctx.aws
            .rds
            .delete_db_parameter_group()
            .db_parameter_group_name(&live.name)
            .send()
            .await
            .op("DeleteDBParameterGroup")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &DbParameterGroupLive) -> String {
        live.name.clone()
    }

    fn outputs(live: &DbParameterGroupLive) -> Outputs {
        Outputs::from([("name".into(), live.name.clone())])
    }

    fn status(live: &DbParameterGroupLive) -> String {
        live.family.clone()
    }
}

// --- Reading ---------------------------------------------------------------------------------

/// One group, directly, by name.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<Group>, AwsError> {
    // AWS answers DBParameterGroupNotFound for an unknown name; moto an empty list.
    Ok(ctx
        .aws
        .rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .await
        .op("DescribeDBParameterGroups")
        .found()?
        .and_then(|output| output.db_parameter_groups().first().cloned()))
}

/// This environment's DB parameter groups while planning: every group of the account and
/// region (`DescribeDBParameterGroups` filters by nothing useful here), kept by the desired
/// names.
struct Groups;

impl Listing for Groups {
    type Item = Group;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Group>, AwsError> {
        let names: Vec<&str> = ctx
            .desired_of(|spec| match spec {
                Spec::DbParameterGroup(group) => Some(group),
                _ => None,
            })
            .into_iter()
            .map(|group| group.name.as_str())
            .collect();
        let mut all = Vec::new();
        let mut pages = ctx
            .aws
            .rds
            .describe_db_parameter_groups()
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            all.extend(
                page.op("DescribeDBParameterGroups")?
                    .db_parameter_groups
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
        .filter(|group| names.contains(&group.db_parameter_group_name().unwrap_or_default()))
        .collect()
}

fn pick<'a>(listed: &'a [Group], name: &str) -> Option<&'a Group> {
    listed
        .iter()
        .find(|group| group.db_parameter_group_name() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(family: &str) -> DbParameterGroupLive {
        DbParameterGroupLive {
            name: "macro-ai-dev-postgres16".into(),
            arn: "arn:aws:rds:us-east-1:123456789012:pg:macro-ai-dev-postgres16".into(),
            family: family.into(),
            tags: Tags::new(),
        }
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<DbParameterGroup>(
            &live("postgres16")
        ));
    }

    #[test]
    fn another_family_is_a_replacement() {
        let spec = DbParameterGroupSpec {
            name: "macro-ai-dev-postgres16".into(),
            family: "postgres16".into(),
            description: "PostgreSQL parameters".into(),
        };
        let resolver = Resolver::default();
        assert!(DbParameterGroup::diff(&spec, &live("postgres16"), &resolver).is_empty());
        let changes = DbParameterGroup::diff(&spec, &live("postgres15"), &resolver);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].replace);
    }

    #[test]
    fn the_listing_keeps_the_desired_names() {
        let group = |name: &str| Group::builder().db_parameter_group_name(name).build();
        let listed = vec![
            group("default.postgres16"),
            group("macro-ai-dev-postgres16"),
            group("macro-ai-dev-postgres15"),
        ];
        let kept = named(listed, &["macro-ai-dev-postgres16"]);
        assert_eq!(kept.len(), 1);
        assert!(pick(&kept, "macro-ai-dev-postgres16").is_some());
        assert!(pick(&kept, "macro-ai-dev-postgres15").is_none());
    }
}
