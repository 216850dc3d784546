//! The network layer: VPC, subnets per AZ, internet gateway, NAT gateways with their elastic
//! IPs, route tables and associations, and the five security groups.
//!
//! Dev has no NAT gateway (the seed plan's cost choice): it gets no private subnets, and its
//! tasks run in the public subnets with public IPs. It still spans two AZs, because the ALB
//! and RDS refuse subnets in fewer.
//!
//! With CloudFront in front (`[edge] cloudfront`), the load balancer admits only CloudFront:
//! one rule from the managed prefix list of CloudFront's origin-facing addresses
//! (`Facts::cloudfront_prefix_list`), on the one port the distribution uses (443 when it
//! reaches the load balancer over HTTPS, else 80), instead of `network.alb_ingress_cidrs`.
//! One port because a prefix list counts as its maximum entries (about 55 for that list)
//! against the group's quota of inbound rules (60 by default): both ports would not fit.

use super::{az_label, Declared, Facts};
use crate::config::Environment;
use crate::resources::elastic_ip::ElasticIpSpec;
use crate::resources::internet_gateway::InternetGatewaySpec;
use crate::resources::nat_gateway::NatGatewaySpec;
use crate::resources::route_table::{RouteSpec, RouteTableSpec, RouteTarget};
use crate::resources::route_table_association::RouteTableAssociationSpec;
use crate::resources::security_group::{IngressRule, RuleSource, SecurityGroupSpec};
use crate::resources::subnet::SubnetSpec;
use crate::resources::vpc::VpcSpec;
use crate::resources::{Ref, Spec};

pub const VPC: &str = "vpc";
pub const INTERNET_GATEWAY: &str = "internet-gateway";
pub const ROUTE_TABLE_PUBLIC: &str = "route-table-public";
pub const ROUTE_TABLE_DATABASE: &str = "route-table-database";
pub const SG_ALB: &str = "sg-alb";
pub const SG_API: &str = "sg-api";
pub const SG_UI: &str = "sg-ui";
pub const SG_DB: &str = "sg-db";
pub const SG_REDIS: &str = "sg-redis";

const DEFAULT_ROUTE: &str = "0.0.0.0/0";

pub fn subnet_id(tier: &str, az: &str) -> String {
    format!("subnet-{tier}-{az}")
}

fn group(id: &str) -> Ref {
    Ref::new(id, "group_id")
}

pub(super) fn declare(env: &Environment, facts: &Facts) -> Vec<Declared> {
    let network = &env.network;
    let vpc = Ref::new(VPC, "vpc_id");
    let gateway = Ref::new(INTERNET_GATEWAY, "internet_gateway_id");
    let azs: Vec<String> = network
        .availability_zones
        .iter()
        .map(|az| az_label(&env.region, az))
        .collect();
    let mut out = vec![
        Declared::new(
            VPC,
            Spec::Vpc(VpcSpec {
                cidr: network.vpc_cidr.to_string(),
            }),
        ),
        Declared::new(
            INTERNET_GATEWAY,
            Spec::InternetGateway(InternetGatewaySpec { vpc: vpc.clone() }),
        ),
    ];

    // Subnets, one of each tier per AZ.
    // No subnet maps public IPs on launch (FSBP EC2.15), public ones included: nothing
    // launched there needs one by default. The NAT gateways have their Elastic IPs, the load
    // balancer its own addresses, and ECS tasks that must run in public subnets (no NAT
    // gateway) ask for a public IP per task (`assignPublicIp`, see `app`).
    let tiers: [(&str, &Vec<ipnet::Ipv4Net>); 3] = [
        ("public", &network.public_subnet_cidrs),
        ("private", &network.private_subnet_cidrs),
        ("database", &network.database_subnet_cidrs),
    ];
    for (tier, cidrs) in tiers {
        for ((az, full_az), cidr) in azs.iter().zip(&network.availability_zones).zip(cidrs) {
            out.push(Declared::new(
                subnet_id(tier, az),
                Spec::Subnet(SubnetSpec {
                    vpc: vpc.clone(),
                    cidr: cidr.to_string(),
                    availability_zone: full_az.clone(),
                    map_public_ip_on_launch: false,
                }),
            ));
        }
    }

    // NAT gateways, each with its elastic IP, in the public subnets of the first N AZs.
    let nat_azs: Vec<&String> = azs.iter().take(network.nat_gateways as usize).collect();
    for az in &nat_azs {
        let eip = format!("eip-nat-{az}");
        out.push(Declared::new(eip.clone(), Spec::ElasticIp(ElasticIpSpec)));
        out.push(
            Declared::new(
                format!("nat-gateway-{az}"),
                Spec::NatGateway(NatGatewaySpec {
                    subnet: Ref::new(subnet_id("public", az), "subnet_id"),
                    elastic_ip: Ref::new(eip, "allocation_id"),
                }),
            )
            // A NAT gateway needs the VPC's internet gateway attached to reach anything.
            .after(INTERNET_GATEWAY),
        );
    }

    // Route tables and associations.
    out.push(Declared::new(
        ROUTE_TABLE_PUBLIC,
        Spec::RouteTable(RouteTableSpec {
            vpc: vpc.clone(),
            routes: vec![RouteSpec {
                destination_cidr: DEFAULT_ROUTE.into(),
                target: RouteTarget::InternetGateway(gateway),
            }],
        }),
    ));
    out.push(Declared::new(
        ROUTE_TABLE_DATABASE,
        Spec::RouteTable(RouteTableSpec {
            vpc: vpc.clone(),
            routes: Vec::new(),
        }),
    ));
    for az in &azs {
        let mut associate = |tier: &str, table: &str| {
            out.push(Declared::new(
                format!("route-assoc-{tier}-{az}"),
                Spec::RouteTableAssociation(RouteTableAssociationSpec {
                    route_table: Ref::new(table, "route_table_id"),
                    subnet: Ref::new(subnet_id(tier, az), "subnet_id"),
                }),
            ));
        };
        associate("public", ROUTE_TABLE_PUBLIC);
        associate("database", ROUTE_TABLE_DATABASE);
    }
    if !nat_azs.is_empty() {
        for az in &azs {
            // Its own AZ's NAT gateway when there is one, else the first.
            let nat_az = nat_azs
                .iter()
                .find(|nat_az| **nat_az == az)
                .unwrap_or(&nat_azs[0]);
            let table = format!("route-table-private-{az}");
            out.push(Declared::new(
                table.clone(),
                Spec::RouteTable(RouteTableSpec {
                    vpc: vpc.clone(),
                    routes: vec![RouteSpec {
                        destination_cidr: DEFAULT_ROUTE.into(),
                        target: RouteTarget::NatGateway(Ref::new(
                            format!("nat-gateway-{nat_az}"),
                            "nat_gateway_id",
                        )),
                    }],
                }),
            ));
            out.push(Declared::new(
                format!("route-assoc-private-{az}"),
                Spec::RouteTableAssociation(RouteTableAssociationSpec {
                    route_table: Ref::new(table, "route_table_id"),
                    subnet: Ref::new(subnet_id("private", az), "subnet_id"),
                }),
            ));
        }
    }

    // Security groups. Ports come from the services' configuration: one source of truth.
    let api_port = env.services.api.container_port;
    let ui_port = env.services.ui.container_port;
    let stack_env = format!("{} {}", env.stack, env.name);
    let mut security_group = |id: &str, description: String, ingress, allow_all_egress| {
        out.push(Declared::new(
            id,
            Spec::SecurityGroup(SecurityGroupSpec {
                vpc: vpc.clone(),
                description,
                ingress,
                allow_all_egress,
            }),
        ));
    };
    let mut alb_ingress = Vec::new();
    let cloudfront_list = facts.cloudfront_prefix_list.as_ref();
    match cloudfront_list.filter(|_| env.edge.cloudfront) {
        Some(list) => {
            let port = super::cdn::origin_port(env);
            let what = if port == 443 { "HTTPS" } else { "HTTP" };
            alb_ingress.push(IngressRule {
                port,
                source: RuleSource::PrefixList(list.clone()),
                description: format!("CloudFront to the load balancer ({what})"),
            });
        }
        None => {
            for cidr in &network.alb_ingress_cidrs {
                for (port, what) in [(80, "HTTP"), (443, "HTTPS")] {
                    alb_ingress.push(IngressRule {
                        port,
                        source: RuleSource::Cidr(cidr.to_string()),
                        description: format!("{what} to the load balancer"),
                    });
                }
            }
        }
    }
    security_group(
        SG_ALB,
        format!("{stack_env} load balancer"),
        alb_ingress,
        true,
    );
    security_group(
        SG_API,
        format!("{stack_env} API tasks"),
        vec![IngressRule {
            port: api_port,
            source: RuleSource::SecurityGroup(group(SG_ALB)),
            description: "load balancer to the API container port".into(),
        }],
        true,
    );
    security_group(
        SG_UI,
        format!("{stack_env} UI tasks"),
        vec![IngressRule {
            port: ui_port,
            source: RuleSource::SecurityGroup(group(SG_ALB)),
            description: "load balancer to the UI container port".into(),
        }],
        true,
    );
    security_group(
        SG_DB,
        format!("{stack_env} PostgreSQL"),
        // With an RDS Proxy, only the proxy reaches the instance.
        vec![if super::proxy::enabled(env) {
            IngressRule {
                port: env.database.port,
                source: RuleSource::SecurityGroup(group(super::proxy::SG_DB_PROXY)),
                description: "RDS Proxy to PostgreSQL".into(),
            }
        } else {
            IngressRule {
                port: env.database.port,
                source: RuleSource::SecurityGroup(group(SG_API)),
                description: "API tasks to PostgreSQL".into(),
            }
        }],
        false,
    );
    security_group(
        SG_REDIS,
        format!("{stack_env} Redis"),
        vec![IngressRule {
            port: env.cache.port,
            source: RuleSource::SecurityGroup(group(SG_API)),
            description: "API tasks to Redis".into(),
        }],
        false,
    );
    out
}
