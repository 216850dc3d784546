//! Route tables and their routes: public (default route to the internet gateway), private
//! per AZ (default route to that AZ's NAT gateway, or to the one NAT gateway there is) and
//! database (no route out). Routes are part of the table's desired state: a changed target is
//! replaced in place, a missing route added, a route macroctl no longer wants removed.

use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::ResourceType;
use std::collections::BTreeMap;

/// Where a route sends its traffic.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum RouteTarget {
    InternetGateway(Ref),
    NatGateway(Ref),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RouteSpec {
    pub destination_cidr: String,
    pub target: RouteTarget,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RouteTableSpec {
    pub vpc: Ref,
    pub routes: Vec<RouteSpec>,
}

#[derive(Debug, Clone)]
pub struct RouteTableLive {
    pub route_table_id: String,
    pub vpc_id: String,
    /// Destination CIDR → target id, for routes other than the VPC's local route.
    pub routes: BTreeMap<String, String>,
    pub tags: Tags,
}

pub struct RouteTable;

const NO_ROUTE: &str = "(none)";

fn desired_routes(spec: &RouteTableSpec, resolver: &Resolver) -> BTreeMap<String, String> {
    spec.routes
        .iter()
        .map(|route| {
            let target = match &route.target {
                RouteTarget::InternetGateway(gateway) => resolver.get(gateway),
                RouteTarget::NatGateway(nat) => resolver.get(nat),
            };
            (route.destination_cidr.clone(), target)
        })
        .collect()
}

pub(crate) fn live_of(table: &aws_sdk_ec2::types::RouteTable) -> RouteTableLive {
    let routes = table
        .routes()
        .iter()
        .filter_map(|route| {
            let destination = route.destination_cidr_block()?;
            let target = route
                .nat_gateway_id()
                .or(route.gateway_id())
                .unwrap_or_default();
            (target != "local").then(|| (destination.to_string(), target.to_string()))
        })
        .collect();
    RouteTableLive {
        route_table_id: table.route_table_id().unwrap_or_default().to_string(),
        vpc_id: table.vpc_id().unwrap_or_default().to_string(),
        routes,
        tags: tags::from_ec2(table.tags()),
    }
}

impl Kind for RouteTable {
    const KIND: &'static str = "ec2:route-table";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // CreateRouteTable takes the intent's client token.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["route_table_id"];
    type Spec = RouteTableSpec;
    type Live = RouteTableLive;

    fn refs(spec: &RouteTableSpec) -> Vec<Ref> {
        let mut refs = vec![spec.vpc.clone()];
        for route in &spec.routes {
            refs.push(match &route.target {
                RouteTarget::InternetGateway(gateway) => gateway.clone(),
                RouteTarget::NatGateway(nat) => nat.clone(),
            });
        }
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &RouteTableSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<RouteTableLive>, AwsError> {
        let found = ctx
            .inventory
            .find::<aws_sdk_ec2::types::RouteTable>(ctx, who, lookup)
            .await?;
        Ok(found.as_ref().map(live_of))
    }

    fn diff(spec: &RouteTableSpec, live: &RouteTableLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let vpc_id = resolver.get(&spec.vpc);
        if live.vpc_id != vpc_id {
            changes.push(FieldChange::replace("vpc_id", &live.vpc_id, vpc_id));
        }
        let desired = desired_routes(spec, resolver);
        for (destination, target) in &desired {
            let current = live.routes.get(destination).map(String::as_str);
            if current != Some(target.as_str()) {
                changes.push(FieldChange::update(
                    &format!("route {destination}"),
                    current.unwrap_or(NO_ROUTE),
                    target,
                ));
            }
        }
        for (destination, target) in &live.routes {
            if !desired.contains_key(destination) {
                changes.push(FieldChange::update(
                    &format!("route {destination}"),
                    target,
                    NO_ROUTE,
                ));
            }
        }
        changes
    }

    /// Creates the (empty) table with the intent's client token; its routes are the update
    /// the engine makes next.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &RouteTableSpec,
        resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .create_route_table()
            .vpc_id(resolver.get(&spec.vpc))
            .client_token(token)
            .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::RouteTable))
            .send()
            .await
            .op("CreateRouteTable")?;
        Ok(output
            .route_table()
            .and_then(|table| table.route_table_id())
            .unwrap_or_default()
            .to_string())
    }

    /// Adds, replaces and removes routes one by one. After a lost response the engine reads
    /// the table again, so a route that is already there is not asked for twice.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RouteTableSpec,
        live: &RouteTableLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let desired = desired_routes(spec, resolver);
        for route in &spec.routes {
            let destination = &route.destination_cidr;
            let Some(target) = desired.get(destination) else {
                continue;
            };
            let current = live.routes.get(destination);
            if current == Some(target) {
                continue;
            }
            macro_rules! send_route {
                ($builder:expr, $operation:literal) => {{
                    let builder = $builder
                        .route_table_id(&live.route_table_id)
                        .destination_cidr_block(destination);
                    let builder = match &route.target {
                        RouteTarget::InternetGateway(_) => builder.gateway_id(target),
                        RouteTarget::NatGateway(_) => builder.nat_gateway_id(target),
                    };
                    builder.send().await.op($operation)?;
                }};
            }
            if current.is_some() {
                send_route!(ctx.aws.ec2.replace_route(), "ReplaceRoute");
            } else {
                send_route!(ctx.aws.ec2.create_route(), "CreateRoute");
            }
        }
        for destination in live.routes.keys() {
            if desired.contains_key(destination) {
                continue;
            }
            ctx.aws
                .ec2
                .delete_route()
                .route_table_id(&live.route_table_id)
                .destination_cidr_block(destination)
                .send()
                .await
                .op("DeleteRoute")?;
        }
        Ok(None)
    }

    fn tags(live: &RouteTableLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &RouteTableLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.route_table_id, changes).await
    }

    /// Its routes go with it; AWS answers DependencyViolation while a subnet is still
    /// associated with it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &RouteTableLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // InvalidRouteTableID.NotFound: already gone.
        ctx.aws
            .ec2
            .delete_route_table()
            .route_table_id(&live.route_table_id)
            .send()
            .await
            .op("DeleteRouteTable")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &RouteTableLive) -> String {
        live.route_table_id.clone()
    }

    fn outputs(live: &RouteTableLive) -> Outputs {
        Outputs::from([("route_table_id".into(), live.route_table_id.clone())])
    }

    fn status(live: &RouteTableLive) -> String {
        match live.routes.len() {
            0 => "local only".into(),
            count => format!("{count} route(s)"),
        }
    }
}
