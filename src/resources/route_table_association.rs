//! The association of a subnet with its route table. A subnet has at most one explicit
//! association, so the subnet identifies it: no tags are needed (associations cannot carry
//! any), and a changed route table is a `ReplaceRouteTableAssociation`, not a new resource.

use super::{
    compare, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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

/// The explicit association of `subnet_id`, or the association `association_id`, among
/// `tables`.
fn association_in(
    tables: &[aws_sdk_ec2::types::RouteTable],
    matches: impl Fn(&aws_sdk_ec2::types::RouteTableAssociation) -> bool,
) -> Option<RouteTableAssociationLive> {
    tables.iter().find_map(|table| {
        table
            .associations()
            .iter()
            .find(|association| !association.main().unwrap_or(false) && matches(association))
            .map(|association| RouteTableAssociationLive {
                association_id: association
                    .route_table_association_id()
                    .unwrap_or_default()
                    .to_string(),
                route_table_id: table.route_table_id().unwrap_or_default().to_string(),
                subnet_id: association.subnet_id().unwrap_or_default().to_string(),
            })
    })
}

impl Kind for RouteTableAssociation {
    const KIND: &'static str = "ec2:route-table-association";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // A subnet has one explicit association: a repeat answers Resource.AlreadyAssociated.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["association_id"];
    type Spec = RouteTableAssociationSpec;
    type Live = RouteTableAssociationLive;

    fn refs(spec: &RouteTableAssociationSpec) -> Vec<Ref> {
        vec![spec.route_table.clone(), spec.subnet.clone()]
    }

    /// By id, or by the subnet: while planning among this environment's route tables (a
    /// subnet associated with a table macroctl does not own is then simply associated, and
    /// AWS's "already associated" makes the engine look again); else with a direct Describe
    /// filtered by the subnet, whichever table holds it.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RouteTableAssociationSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<RouteTableAssociationLive>, AwsError> {
        use crate::resources::inventory::Ec2Item;
        type Table = aws_sdk_ec2::types::RouteTable;
        let (filter, wanted): (&str, String) = match lookup {
            Lookup::Id(id) => ("association.route-table-association-id", id.to_string()),
            Lookup::Identity => match resolver.known(&spec.subnet) {
                Some(subnet_id) => ("association.subnet-id", subnet_id),
                None => return Ok(None),
            },
        };
        let matches = |association: &aws_sdk_ec2::types::RouteTableAssociation| match lookup {
            Lookup::Id(_) => association.route_table_association_id() == Some(wanted.as_str()),
            Lookup::Identity => association.subnet_id() == Some(wanted.as_str()),
        };
        if ctx.cached {
            if let Some(found) = association_in(ctx.inventory.all::<Table>().await?, matches) {
                return Ok(Some(found));
            }
            if lookup == Lookup::Identity {
                return Ok(None);
            }
        }
        let filters = vec![aws_sdk_ec2::types::Filter::builder()
            .name(filter)
            .values(&wanted)
            .build()];
        let tables = Table::describe(&ctx.aws.ec2, None, filters).await?;
        Ok(association_in(&tables, matches))
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
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .associate_route_table()
            .route_table_id(resolver.get(&spec.route_table))
            .subnet_id(resolver.get(&spec.subnet))
            .send()
            .await
            .op("AssociateRouteTable")?;
        Ok(output.association_id().unwrap_or_default().to_string())
    }

    /// Moves the subnet to the desired table; the association gets a new id.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RouteTableAssociationSpec,
        live: &RouteTableAssociationLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let output = ctx
            .aws
            .ec2
            .replace_route_table_association()
            .association_id(&live.association_id)
            .route_table_id(resolver.get(&spec.route_table))
            .send()
            .await
            .op("ReplaceRouteTableAssociation")?;
        Ok(output.new_association_id().map(str::to_string))
    }

    fn tags(_live: &RouteTableAssociationLive) -> Option<&Tags> {
        None
    }

    /// Disassociates the subnet, which falls back to the VPC's main route table.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &RouteTableAssociationLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // InvalidAssociationID.NotFound: already disassociated.
        ctx.aws
            .ec2
            .disassociate_route_table()
            .association_id(&live.association_id)
            .send()
            .await
            .op("DisassociateRouteTable")
            .found()?;
        Ok(Deleted::Requested)
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
