//! The RDS DB parameter group for the engine family (`postgres16`). Owning it from the start
//! means tuning PostgreSQL later is a parameter change, not an instance replacement (moving
//! an instance to a new group needs a reboot).

use super::db_subnet_group::rds_tags;
use super::{compare, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
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
    pub family: String,
}

pub struct DbParameterGroup;

impl Kind for DbParameterGroup {
    const KIND: &'static str = "rds:db-parameter-group";
    type Spec = DbParameterGroupSpec;
    type Live = DbParameterGroupLive;

    fn refs(_spec: &DbParameterGroupSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbParameterGroupSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<DbParameterGroupLive>, AwsError> {
        let Some(output) = ctx
            .aws
            .rds
            .describe_db_parameter_groups()
            .db_parameter_group_name(&spec.name)
            .send()
            .await
            .op("DescribeDBParameterGroups")
            .found()?
        else {
            return Ok(None);
        };
        Ok(output
            .db_parameter_groups()
            .first()
            .map(|group| DbParameterGroupLive {
                name: group
                    .db_parameter_group_name()
                    .unwrap_or_default()
                    .to_string(),
                family: group
                    .db_parameter_group_family()
                    .unwrap_or_default()
                    .to_string(),
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
    ) -> Result<DbParameterGroupLive, AwsError> {
        ctx.aws
            .rds
            .create_db_parameter_group()
            .db_parameter_group_name(&spec.name)
            .db_parameter_group_family(&spec.family)
            .description(&spec.description)
            .set_tags(Some(rds_tags(who)))
            .send()
            .await
            .op("CreateDBParameterGroup")?;
        Ok(DbParameterGroupLive {
            name: spec.name.clone(),
            family: spec.family.clone(),
        })
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &DbParameterGroupSpec,
        live: &DbParameterGroupLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<DbParameterGroupLive, AwsError> {
        Ok(live.clone())
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
