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
//! (moto's tagging API does not see DB parameter groups). The family cannot be changed (a new
//! major version is a new group, named after it).
//!
//! Parameters: the spec names the few macroctl sets (`rds.force_ssl`); they are read with one
//! (paginated) `DescribeDBParameters` per group with `Source=user` (only what was set on the
//! group, not the engine's few hundred defaults) and each one that differs is a change
//! (`parameter NAME`), made by one `ModifyDBParameterGroup` with `ApplyMethod=immediate`:
//! every parameter macroctl sets is dynamic, so RDS applies it to the instances using the
//! group without a reboot. Setting a parameter to the value it has is harmless, so a repeat
//! after a lost answer is too. Parameters the spec does not name are left as they are.

use super::inventory::Listing;
use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind,
    Kind, Lookup, Outputs, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup as Group, Parameter};
use std::collections::BTreeMap;

/// How many parameters one `ModifyDBParameterGroup` may change.
const PARAMETERS_PER_CALL: usize = 20;

/// The `FieldChange` prefix of a parameter: `parameter rds.force_ssl`.
const PARAMETER_FIELD: &str = "parameter ";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DbParameterGroupSpec {
    pub name: String,
    pub family: String,
    pub description: String,
    /// Parameter name → value, each a dynamic parameter (`rds.force_ssl` → `1`).
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct DbParameterGroupLive {
    pub name: String,
    pub arn: String,
    pub family: String,
    /// The parameters set on the group (`Source=user`): name → value.
    pub parameters: BTreeMap<String, String>,
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
        let name = group
            .db_parameter_group_name()
            .unwrap_or_default()
            .to_string();
        let tags = async {
            match ctx.inventory.tags_of(ctx, &arn).await? {
                Some(tags) => Ok(tags),
                None => tags::list_rds(&ctx.aws.rds, &arn).await,
            }
        };
        let (tags, parameters) = futures::try_join!(tags, parameters_of(ctx, &name))?;
        // Deleted between the two reads: absent.
        let Some(parameters) = parameters else {
            return Ok(None);
        };
        Ok(Some(DbParameterGroupLive {
            name,
            arn,
            family: group
                .db_parameter_group_family()
                .unwrap_or_default()
                .to_string(),
            parameters,
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
        for (name, value) in &spec.parameters {
            let old = live
                .parameters
                .get(name)
                .map_or("(engine default)", String::as_str);
            compare(
                &mut changes,
                &format!("{PARAMETER_FIELD}{name}"),
                old,
                value,
                false,
            );
        }
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

    /// The changed parameters, `ModifyDBParameterGroup` (20 a call), applied immediately.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbParameterGroupSpec,
        live: &DbParameterGroupLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let parameters: Vec<Parameter> = changes
            .iter()
            .filter_map(|change| change.field.strip_prefix(PARAMETER_FIELD))
            .filter_map(|name| spec.parameters.get_key_value(name))
            .map(|(name, value)| {
                Parameter::builder()
                    .parameter_name(name)
                    .parameter_value(value)
                    .apply_method(ApplyMethod::Immediate)
                    .build()
            })
            .collect();
        for chunk in parameters.chunks(PARAMETERS_PER_CALL) {
            ctx.aws
                .rds
                .modify_db_parameter_group()
                .db_parameter_group_name(&live.name)
                .set_parameters(Some(chunk.to_vec()))
                .send()
                .await
                .op("ModifyDBParameterGroup")?;
        }
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

/// The parameters set on the group (`Source=user`), or `None` when the group is gone.
async fn parameters_of(
    ctx: &Ctx<'_>,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    let mut parameters = BTreeMap::new();
    let mut pages = ctx
        .aws
        .rds
        .describe_db_parameters()
        .db_parameter_group_name(name)
        .source("user")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        // DBParameterGroupNotFound: deleted since it was listed.
        let Some(page) = page.op("DescribeDBParameters").found()? else {
            return Ok(None);
        };
        for parameter in page.parameters() {
            if let (Some(name), Some(value)) =
                (parameter.parameter_name(), parameter.parameter_value())
            {
                parameters.insert(name.to_string(), value.to_string());
            }
        }
    }
    Ok(Some(parameters))
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
            parameters: BTreeMap::from([("rds.force_ssl".into(), "1".into())]),
            tags: Tags::new(),
        }
    }

    fn spec() -> DbParameterGroupSpec {
        DbParameterGroupSpec {
            name: "macro-ai-dev-postgres16".into(),
            family: "postgres16".into(),
            description: "PostgreSQL parameters".into(),
            parameters: BTreeMap::from([("rds.force_ssl".into(), "1".into())]),
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
        let spec = spec();
        let resolver = Resolver::default();
        assert!(DbParameterGroup::diff(&spec, &live("postgres16"), &resolver).is_empty());
        let changes = DbParameterGroup::diff(&spec, &live("postgres15"), &resolver);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].replace);
    }

    #[test]
    fn a_parameter_unset_or_different_is_an_update() {
        let resolver = Resolver::default();
        let mut unset = live("postgres16");
        unset.parameters.clear();
        let changes = DbParameterGroup::diff(&spec(), &unset, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "parameter rds.force_ssl");
        assert_eq!(changes[0].old, "(engine default)");
        assert_eq!(changes[0].new, "1");
        assert!(!changes[0].replace);
        let mut off = spec();
        off.parameters.insert("rds.force_ssl".into(), "0".into());
        let changes = DbParameterGroup::diff(&off, &live("postgres16"), &resolver);
        assert_eq!(
            (changes[0].old.as_str(), changes[0].new.as_str()),
            ("1", "0")
        );
        // Parameters macroctl does not set are left alone.
        let mut tuned = live("postgres16");
        tuned.parameters.insert("work_mem".into(), "8192".into());
        assert!(DbParameterGroup::diff(&spec(), &tuned, &resolver).is_empty());
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
