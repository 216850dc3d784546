//! The RDS DB subnet group: the isolated database subnets (one per AZ, at least two, as RDS
//! requires) the instance may be placed in.

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone)]
pub struct DbSubnetGroupSpec {
    pub name: String,
    pub description: String,
    pub subnets: Vec<Ref>,
}

#[derive(Debug, Clone)]
pub struct DbSubnetGroupLive {
    pub name: String,
    pub subnet_ids: Vec<String>,
    pub status: String,
}

pub struct DbSubnetGroup;

pub fn rds_tags(who: &Identity) -> Vec<aws_sdk_rds::types::Tag> {
    who.tags
        .iter()
        .map(|(key, value)| {
            aws_sdk_rds::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

impl Kind for DbSubnetGroup {
    const KIND: &'static str = "rds:db-subnet-group";
    type Spec = DbSubnetGroupSpec;
    type Live = DbSubnetGroupLive;

    fn refs(spec: &DbSubnetGroupSpec) -> Vec<Ref> {
        spec.subnets.clone()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbSubnetGroupSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<DbSubnetGroupLive>, AwsError> {
        let Some(output) = ctx
            .aws
            .rds
            .describe_db_subnet_groups()
            .db_subnet_group_name(&spec.name)
            .send()
            .await
            .op("DescribeDBSubnetGroups")
            .found()?
        else {
            return Ok(None);
        };
        Ok(output.db_subnet_groups().first().map(|group| {
            let mut subnet_ids: Vec<String> = group
                .subnets()
                .iter()
                .filter_map(|subnet| subnet.subnet_identifier().map(str::to_string))
                .collect();
            subnet_ids.sort();
            DbSubnetGroupLive {
                name: group.db_subnet_group_name().unwrap_or_default().to_string(),
                subnet_ids,
                status: group
                    .subnet_group_status()
                    .unwrap_or("Complete")
                    .to_string(),
            }
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
    ) -> Result<DbSubnetGroupLive, AwsError> {
        let subnet_ids = resolver.sorted(&spec.subnets);
        ctx.aws
            .rds
            .create_db_subnet_group()
            .db_subnet_group_name(&spec.name)
            .db_subnet_group_description(&spec.description)
            .set_subnet_ids(Some(subnet_ids.clone()))
            .set_tags(Some(rds_tags(who)))
            .send()
            .await
            .op("CreateDBSubnetGroup")?;
        Ok(DbSubnetGroupLive {
            name: spec.name.clone(),
            subnet_ids,
            status: "Complete".into(),
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbSubnetGroupSpec,
        live: &DbSubnetGroupLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<DbSubnetGroupLive, AwsError> {
        let subnet_ids = resolver.sorted(&spec.subnets);
        ctx.aws
            .rds
            .modify_db_subnet_group()
            .db_subnet_group_name(&spec.name)
            .set_subnet_ids(Some(subnet_ids.clone()))
            .send()
            .await
            .op("ModifyDBSubnetGroup")?;
        Ok(DbSubnetGroupLive {
            subnet_ids,
            ..live.clone()
        })
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
