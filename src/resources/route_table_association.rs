//! The association of a subnet with its route table. A subnet has at most one explicit
//! association, so the subnet identifies it: no tags are needed (associations cannot carry
//! any), and a changed route table is a `ReplaceRouteTableAssociation`, not a new resource.

use super::{compare, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};

#[derive(Debug, Clone)]
pub struct RouteTableAssociationSpec {
    pub route_table: Ref,
    pub subnet: Ref,
}

#[derive(Debug, Clone)]
pub struct RouteTableAssociationLive {
    pub association_id: String,
    pub route_table_id: String,
    pub subnet_id: String,
}

pub struct RouteTableAssociation;

impl Kind for RouteTableAssociation {
    const KIND: &'static str = "ec2:route-table-association";
    type Spec = RouteTableAssociationSpec;
    type Live = RouteTableAssociationLive;

    fn refs(spec: &RouteTableAssociationSpec) -> Vec<Ref> {
        vec![spec.route_table.clone(), spec.subnet.clone()]
    }

    /// Finds the subnet's explicit association among this environment's route tables (a
    /// subnet associated with a table macroctl does not own shows up as a difference only
    /// when that table is ours; otherwise association is simply attempted and AWS says why).
    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RouteTableAssociationSpec,
        _recorded: Option<&str>,
        resolver: &Resolver,
    ) -> Result<Option<RouteTableAssociationLive>, AwsError> {
        let Some(subnet_id) = resolver.known(&spec.subnet) else {
            return Ok(None);
        };
        let tables = ctx.inventory.route_tables().await?;
        let found = tables.iter().find_map(|table| {
            table
                .associations()
                .iter()
                .find(|association| {
                    association.subnet_id() == Some(subnet_id.as_str())
                        && !association.main().unwrap_or(false)
                })
                .map(|association| RouteTableAssociationLive {
                    association_id: association
                        .route_table_association_id()
                        .unwrap_or_default()
                        .to_string(),
                    route_table_id: table.route_table_id().unwrap_or_default().to_string(),
                    subnet_id: subnet_id.clone(),
                })
        });
        Ok(found)
    }

    fn diff(
        spec: &RouteTableAssociationSpec,
        live: &RouteTableAssociationLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(
            &mut changes,
            "route_table_id",
            &live.route_table_id,
            &resolver.get(&spec.route_table),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RouteTableAssociationSpec,
        resolver: &Resolver,
    ) -> Result<RouteTableAssociationLive, AwsError> {
        let route_table_id = resolver.get(&spec.route_table);
        let subnet_id = resolver.get(&spec.subnet);
        let output = ctx
            .aws
            .ec2
            .associate_route_table()
            .route_table_id(&route_table_id)
            .subnet_id(&subnet_id)
            .send()
            .await
            .op("AssociateRouteTable")?;
        Ok(RouteTableAssociationLive {
            association_id: output.association_id().unwrap_or_default().to_string(),
            route_table_id,
            subnet_id,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RouteTableAssociationSpec,
        live: &RouteTableAssociationLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<RouteTableAssociationLive, AwsError> {
        let route_table_id = resolver.get(&spec.route_table);
        let output = ctx
            .aws
            .ec2
            .replace_route_table_association()
            .association_id(&live.association_id)
            .route_table_id(&route_table_id)
            .send()
            .await
            .op("ReplaceRouteTableAssociation")?;
        Ok(RouteTableAssociationLive {
            association_id: output
                .new_association_id()
                .unwrap_or(&live.association_id)
                .to_string(),
            route_table_id,
            subnet_id: live.subnet_id.clone(),
        })
    }

    fn physical_id(live: &RouteTableAssociationLive) -> String {
        live.association_id.clone()
    }

    fn outputs(live: &RouteTableAssociationLive) -> Outputs {
        Outputs::from([("association_id".into(), live.association_id.clone())])
    }

    fn status(live: &RouteTableAssociationLive) -> String {
        format!("{} → {}", live.subnet_id, live.route_table_id)
    }
}
