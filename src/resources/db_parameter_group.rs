//! The RDS DB parameter group for the engine family (`postgres16`). Owning it from the start
//! means tuning PostgreSQL later is a parameter change, not an instance replacement (moving
//! an instance to a new group needs a reboot).
//!
//! Found by its name, which is unique in the account and region and is its physical id.
//! `DescribeDBParameterGroups` does not carry tags, so they are read with
//! `ListTagsForResource` on the group's ARN. Nothing is changed in place: the family cannot
//! be (a new major version is a new group, named after it), and macroctl sets no parameters
//! yet.

use super::{
    compare, tags, CreateSafety, Ctx, FieldChange, Identity, IdentityKind, Kind, Lookup, Outputs,
    Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone)]
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
        let Some(output) = ctx
            .aws
            .rds
            .describe_db_parameter_groups()
            .db_parameter_group_name(name)
            .send()
            .await
            .op("DescribeDBParameterGroups")
            .found()?
        else {
            return Ok(None);
        };
        // AWS answers DBParameterGroupNotFound for an unknown name; moto an empty list.
        let Some(group) = output.db_parameter_groups().first() else {
            return Ok(None);
        };
        let arn = group
            .db_parameter_group_arn()
            .unwrap_or_default()
            .to_string();
        let tags = tags::list_rds(&ctx.aws.rds, &arn).await?;
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
}
