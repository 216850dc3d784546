//! Route tables and their routes: public (default route to the internet gateway), private
//! per AZ (default route to that AZ's NAT gateway, or to the one NAT gateway there is) and
//! database (no route out). Routes are part of the table's desired state: a changed target is
//! replaced in place, a missing route added, a route macroctl no longer wants removed.

use super::{ec2_tag_spec, inventory, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ec2::types::ResourceType;
use std::collections::BTreeMap;

/// Where a route sends its traffic.
#[derive(Debug, Clone)]
pub enum RouteTarget {
    InternetGateway(Ref),
    NatGateway(Ref),
}

#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub destination_cidr: String,
    pub target: RouteTarget,
}

#[derive(Debug, Clone)]
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

fn live_of(table: &aws_sdk_ec2::types::RouteTable) -> RouteTableLive {
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
    }
}

impl Kind for RouteTable {
    const KIND: &'static str = "ec2:route-table";
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

    async fn find(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &RouteTableSpec,
        recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<RouteTableLive>, AwsError> {
        let tables = ctx.inventory.route_tables().await?;
        let found = inventory::pick(
            tables,
            who.id.as_str(),
            recorded,
            |table| table.route_table_id(),
            |table| table.tags(),
            "DescribeRouteTables",
        )?;
        Ok(found.map(live_of))
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

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &RouteTableSpec,
        resolver: &Resolver,
    ) -> Result<RouteTableLive, AwsError> {
        let vpc_id = resolver.get(&spec.vpc);
        let output = ctx
            .aws
            .ec2
            .create_route_table()
            .vpc_id(&vpc_id)
            .tag_specifications(ec2_tag_spec(who, ResourceType::RouteTable))
            .send()
            .await
            .op("CreateRouteTable")?;
        let live = RouteTableLive {
            route_table_id: output
                .route_table()
                .and_then(|table| table.route_table_id())
                .unwrap_or_default()
                .to_string(),
            vpc_id,
            routes: BTreeMap::new(),
        };
        let changes = Self::diff(spec, &live, resolver);
        Self::update(ctx, who, spec, &live, &changes, resolver).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RouteTableSpec,
        live: &RouteTableLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<RouteTableLive, AwsError> {
        let mut live = live.clone();
        let desired = desired_routes(spec, resolver);
        for route in &spec.routes {
            let destination = &route.destination_cidr;
            let Some(target) = desired.get(destination) else {
                continue;
            };
            let current = live.routes.get(destination).cloned();
            if current.as_deref() == Some(target.as_str()) {
                continue;
            }
            let exists = current.is_some();
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
            if exists {
                send_route!(ctx.aws.ec2.replace_route(), "ReplaceRoute");
            } else {
                send_route!(ctx.aws.ec2.create_route(), "CreateRoute");
            }
            live.routes.insert(destination.clone(), target.clone());
        }
        let extra: Vec<String> = live
            .routes
            .keys()
            .filter(|destination| !desired.contains_key(*destination))
            .cloned()
            .collect();
        for destination in extra {
            ctx.aws
                .ec2
                .delete_route()
                .route_table_id(&live.route_table_id)
                .destination_cidr_block(&destination)
                .send()
                .await
                .op("DeleteRoute")?;
            live.routes.remove(&destination);
        }
        Ok(live)
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
