//! The network layer end to end against the emulator: what `up` builds for each environment,
//! checked through independent SDK calls, and how it behaves on re-runs, changes, kills, lost
//! state and concurrent runs.
mod support;

use aws_sdk_ec2::types::Filter;
use std::collections::{BTreeMap, BTreeSet};
use support::{Emulator, Workspace};

/// What the emulator holds for one environment, read with the SDK, never through macroctl.
struct Observed {
    vpcs: Vec<aws_sdk_ec2::types::Vpc>,
    subnets: Vec<aws_sdk_ec2::types::Subnet>,
    gateways: Vec<aws_sdk_ec2::types::InternetGateway>,
    nats: Vec<aws_sdk_ec2::types::NatGateway>,
    addresses: Vec<aws_sdk_ec2::types::Address>,
    tables: Vec<aws_sdk_ec2::types::RouteTable>,
    groups: Vec<aws_sdk_ec2::types::SecurityGroup>,
}

fn env_filter(env: &str) -> Filter {
    Filter::builder()
        .name("tag:macroctl:env")
        .values(env)
        .build()
}

fn tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(|tag| tag.value())
}

async fn observe(ec2: &aws_sdk_ec2::Client, env: &str) -> Observed {
    let f = || env_filter(env);
    Observed {
        vpcs: ec2
            .describe_vpcs()
            .filters(f())
            .send()
            .await
            .unwrap()
            .vpcs()
            .to_vec(),
        subnets: ec2
            .describe_subnets()
            .filters(f())
            .send()
            .await
            .unwrap()
            .subnets()
            .to_vec(),
        gateways: ec2
            .describe_internet_gateways()
            .filters(f())
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .to_vec(),
        nats: ec2
            .describe_nat_gateways()
            .filter(f())
            .send()
            .await
            .unwrap()
            .nat_gateways()
            .iter()
            .filter(|nat| nat.state().map(|s| s.as_str()) == Some("available"))
            .cloned()
            .collect(),
        addresses: ec2
            .describe_addresses()
            .filters(f())
            .send()
            .await
            .unwrap()
            .addresses()
            .to_vec(),
        tables: ec2
            .describe_route_tables()
            .filters(f())
            .send()
            .await
            .unwrap()
            .route_tables()
            .to_vec(),
        groups: ec2
            .describe_security_groups()
            .filters(f())
            .send()
            .await
            .unwrap()
            .security_groups()
            .to_vec(),
    }
}

impl Observed {
    fn count(&self) -> usize {
        self.vpcs.len()
            + self.subnets.len()
            + self.gateways.len()
            + self.nats.len()
            + self.addresses.len()
            + self.tables.len()
            + self.groups.len()
    }

    fn subnet(&self, logical: &str) -> &aws_sdk_ec2::types::Subnet {
        let found: Vec<_> = self
            .subnets
            .iter()
            .filter(|s| tag(s.tags(), "macroctl:id") == Some(logical))
            .collect();
        assert_eq!(found.len(), 1, "subnet {logical}: {found:?}");
        found[0]
    }

    fn table(&self, logical: &str) -> &aws_sdk_ec2::types::RouteTable {
        let found: Vec<_> = self
            .tables
            .iter()
            .filter(|t| tag(t.tags(), "macroctl:id") == Some(logical))
            .collect();
        assert_eq!(found.len(), 1, "route table {logical}");
        found[0]
    }

    fn group(&self, logical: &str) -> &aws_sdk_ec2::types::SecurityGroup {
        let found: Vec<_> = self
            .groups
            .iter()
            .filter(|g| tag(g.tags(), "macroctl:id") == Some(logical))
            .collect();
        assert_eq!(found.len(), 1, "security group {logical}");
        found[0]
    }

    /// Ingress as (port, peer) pairs: peers are CIDRs or security-group logical ids.
    fn ingress(&self, logical: &str) -> BTreeSet<(i32, String)> {
        let ids: BTreeMap<String, String> = self
            .groups
            .iter()
            .map(|g| {
                (
                    g.group_id().unwrap().to_string(),
                    tag(g.tags(), "macroctl:id").unwrap_or("?").to_string(),
                )
            })
            .collect();
        let mut out = BTreeSet::new();
        for permission in self.group(logical).ip_permissions() {
            assert_eq!(permission.ip_protocol(), Some("tcp"));
            let port = permission.from_port().unwrap();
            assert_eq!(permission.to_port(), Some(port));
            for range in permission.ip_ranges() {
                out.insert((port, range.cidr_ip().unwrap().to_string()));
            }
            for pair in permission.user_id_group_pairs() {
                out.insert((port, ids[pair.group_id().unwrap()].clone()));
            }
            for list in permission.prefix_list_ids() {
                out.insert((port, list.prefix_list_id().unwrap().to_string()));
            }
        }
        out
    }
}

/// The seed values each environment must get, independent of macroctl's code.
struct Expected {
    env: &'static str,
    vpc_cidr: &'static str,
    azs: &'static [&'static str],
    nat_gateways: usize,
}

const DEV: Expected = Expected {
    env: "dev",
    vpc_cidr: "10.10.0.0/16",
    azs: &["us-east-1a", "us-east-1b"],
    nat_gateways: 0,
};
const STAGING: Expected = Expected {
    env: "staging",
    vpc_cidr: "10.20.0.0/16",
    azs: &["us-east-1a", "us-east-1b"],
    nat_gateways: 1,
};
const PROD: Expected = Expected {
    env: "prod",
    vpc_cidr: "10.30.0.0/16",
    azs: &["us-east-1a", "us-east-1b", "us-east-1c"],
    nat_gateways: 3,
};

/// The env file's subnet CIDRs for one tier, read with a TOML parser of the test's own.
fn cidrs(ws: &Workspace, env: &str, key: &str) -> Vec<String> {
    let text = std::fs::read_to_string(ws.env_file(env)).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    value["network"]
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().map(|c| c.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

async fn check_inventory(expected: &Expected) {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", expected.env, "--yes"])
        .assert_success();
    let ec2 = emulator.ec2().await;
    let seen = observe(&ec2, expected.env).await;

    // VPC with DNS support and hostnames.
    assert_eq!(seen.vpcs.len(), 1);
    let vpc = &seen.vpcs[0];
    let vpc_id = vpc.vpc_id().unwrap();
    assert_eq!(vpc.cidr_block(), Some(expected.vpc_cidr));
    assert_eq!(
        tag(vpc.tags(), "Name"),
        Some(format!("macro-ai-{}-vpc", expected.env).as_str())
    );
    assert_eq!(tag(vpc.tags(), "macroctl:stack"), Some("macro-ai"));
    for attribute in [
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport,
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames,
    ] {
        let out = ec2
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(attribute.clone())
            .send()
            .await
            .unwrap();
        let on = out
            .enable_dns_support()
            .or(out.enable_dns_hostnames())
            .and_then(|v| v.value());
        assert_eq!(on, Some(true), "{attribute:?}");
    }

    // Subnets: public and database in every AZ; private only with NAT gateways.
    let has_private = expected.nat_gateways > 0;
    let tiers = if has_private { 3 } else { 2 };
    assert_eq!(seen.subnets.len(), expected.azs.len() * tiers);
    for (tier, key) in [
        ("public", "public_subnet_cidrs"),
        ("private", "private_subnet_cidrs"),
        ("database", "database_subnet_cidrs"),
    ] {
        let wanted = cidrs(&ws, expected.env, key);
        if tier == "private" && !has_private {
            assert!(wanted.is_empty());
            continue;
        }
        assert_eq!(wanted.len(), expected.azs.len(), "{tier}");
        for (az, cidr) in expected.azs.iter().zip(&wanted) {
            let subnet = seen.subnet(&format!("subnet-{tier}-{}", &az[az.len() - 1..]));
            assert_eq!(subnet.vpc_id(), Some(vpc_id));
            assert_eq!(subnet.availability_zone(), Some(*az));
            assert_eq!(subnet.cidr_block(), Some(cidr.as_str()));
            // FSBP EC2.15: no subnet hands out public IPs, public ones included.
            assert_eq!(subnet.map_public_ip_on_launch(), Some(false), "{tier} {az}");
            let mask: u8 = cidr.rsplit('/').next().unwrap().parse().unwrap();
            assert_eq!(mask, if tier == "database" { 28 } else { 24 });
        }
    }

    // Internet gateway, attached.
    assert_eq!(seen.gateways.len(), 1);
    let igw = seen.gateways[0].internet_gateway_id().unwrap();
    assert_eq!(
        seen.gateways[0].attachments()[0].vpc_id(),
        Some(vpc_id),
        "internet gateway attached to the VPC"
    );

    // NAT gateways: one per AZ up to the count, each in its own AZ's public subnet, with an EIP.
    assert_eq!(seen.nats.len(), expected.nat_gateways);
    assert_eq!(seen.addresses.len(), expected.nat_gateways);
    let mut nat_azs = BTreeSet::new();
    let mut nat_by_az = BTreeMap::new();
    for nat in &seen.nats {
        let subnet = seen
            .subnets
            .iter()
            .find(|s| s.subnet_id() == nat.subnet_id())
            .unwrap();
        assert!(tag(subnet.tags(), "macroctl:id")
            .unwrap()
            .starts_with("subnet-public-"));
        let az = subnet.availability_zone().unwrap().to_string();
        nat_by_az.insert(az.clone(), nat.nat_gateway_id().unwrap().to_string());
        nat_azs.insert(az);
        let allocation = nat.nat_gateway_addresses()[0].allocation_id().unwrap();
        assert!(seen
            .addresses
            .iter()
            .any(|a| a.allocation_id() == Some(allocation)));
    }
    assert_eq!(
        nat_azs.len(),
        expected.nat_gateways,
        "each NAT in its own AZ"
    );

    // Route tables.
    let default_target = |table: &aws_sdk_ec2::types::RouteTable| -> Option<String> {
        table
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .map(|r| r.nat_gateway_id().or(r.gateway_id()).unwrap().to_string())
    };
    let associated = |table: &aws_sdk_ec2::types::RouteTable| -> BTreeSet<String> {
        table
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect()
    };
    let subnets_of = |tier: &str| -> BTreeSet<String> {
        expected
            .azs
            .iter()
            .map(|az| {
                seen.subnet(&format!("subnet-{tier}-{}", &az[az.len() - 1..]))
                    .subnet_id()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let public = seen.table("route-table-public");
    assert_eq!(default_target(public).as_deref(), Some(igw));
    assert_eq!(associated(public), subnets_of("public"));
    let database = seen.table("route-table-database");
    assert_eq!(
        default_target(database),
        None,
        "database subnets have no way out"
    );
    assert_eq!(database.routes().len(), 1, "only the local route");
    assert_eq!(associated(database), subnets_of("database"));
    let private_tables = seen
        .tables
        .iter()
        .filter(|t| {
            tag(t.tags(), "macroctl:id").is_some_and(|id| id.starts_with("route-table-private-"))
        })
        .count();
    assert_eq!(
        private_tables,
        if has_private { expected.azs.len() } else { 0 }
    );
    if has_private {
        for az in expected.azs {
            let label = &az[az.len() - 1..];
            let table = seen.table(&format!("route-table-private-{label}"));
            let nat = default_target(table).unwrap();
            let want = nat_by_az
                .get(*az)
                .cloned()
                .unwrap_or_else(|| nat_by_az.values().next().unwrap().clone());
            assert_eq!(
                nat, want,
                "private {az} routes to its AZ's NAT, or the one NAT"
            );
            let subnet = seen.subnet(&format!("subnet-private-{label}"));
            assert_eq!(
                associated(table),
                BTreeSet::from([subnet.subnet_id().unwrap().to_string()])
            );
        }
    }

    // Security groups: ports from the services' container ports, sources by group.
    // Staging and prod put an RDS Proxy (with its own group) between the API and the database.
    let proxied = expected.env != "dev";
    assert_eq!(seen.groups.len(), if proxied { 6 } else { 5 });
    let pairs = |items: &[(i32, &str)]| -> BTreeSet<(i32, String)> {
        items.iter().map(|(p, s)| (*p, s.to_string())).collect()
    };
    // Dev is open to the allowed CIDRs; staging and prod sit behind CloudFront, and their load
    // balancer admits only its origin-facing prefix list, on HTTP (no certificate here).
    if expected.env == "dev" {
        assert_eq!(
            seen.ingress("sg-alb"),
            pairs(&[(80, "0.0.0.0/0"), (443, "0.0.0.0/0")])
        );
    } else {
        let lists = ec2
            .describe_managed_prefix_lists()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("prefix-list-name")
                    .values("com.amazonaws.global.cloudfront.origin-facing")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let cloudfront = lists.prefix_lists()[0].prefix_list_id().unwrap();
        assert_eq!(seen.ingress("sg-alb"), pairs(&[(80, cloudfront)]));
    }
    assert_eq!(seen.ingress("sg-api"), pairs(&[(3040, "sg-alb")]));
    assert_eq!(seen.ingress("sg-ui"), pairs(&[(3000, "sg-alb")]));
    if proxied {
        assert_eq!(seen.ingress("sg-db-proxy"), pairs(&[(5432, "sg-api")]));
        assert_eq!(seen.ingress("sg-db"), pairs(&[(5432, "sg-db-proxy")]));
    } else {
        assert_eq!(seen.ingress("sg-db"), pairs(&[(5432, "sg-api")]));
    }
    assert_eq!(seen.ingress("sg-redis"), pairs(&[(6379, "sg-api")]));
    for logical in ["sg-db", "sg-redis"] {
        assert!(
            seen.group(logical).ip_permissions_egress().is_empty(),
            "{logical} has no egress"
        );
    }
    for logical in ["sg-alb", "sg-api", "sg-ui"] {
        assert_eq!(seen.group(logical).vpc_id(), Some(vpc_id));
        assert!(!seen.group(logical).ip_permissions_egress().is_empty());
    }
}

#[tokio::test]
async fn dev_network_inventory() {
    check_inventory(&DEV).await;
}

#[tokio::test]
async fn staging_network_inventory() {
    check_inventory(&STAGING).await;
}

#[tokio::test]
async fn prod_network_inventory() {
    check_inventory(&PROD).await;
}

#[tokio::test]
async fn second_up_makes_no_mutating_call() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let state = std::fs::read_to_string(ws.state_dir().join("staging.json")).unwrap();
    emulator.reset_recording();

    let again = ws.run(&["up", "--env", "staging", "--yes"]);
    again.assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
    assert!(
        !emulator.recorded_calls().is_empty(),
        "the second up did read"
    );
    assert!(again.stdout.contains("up to date"), "{}", again.stdout);
    // Nothing changed, so the state file was not rewritten.
    let after = std::fs::read_to_string(ws.state_dir().join("staging.json")).unwrap();
    assert_eq!(state, after);

    let plan = ws.run(&["plan", "--env", "staging", "--detailed-exitcode"]);
    plan.assert_code(0);
    assert!(emulator.mutating_calls().is_empty());
}

#[tokio::test]
async fn a_changed_ingress_cidr_adds_and_removes_exactly_its_rules() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let ec2 = emulator.ec2().await;
    let before = observe(&ec2, "dev").await;
    let group_id = before.group("sg-alb").group_id().unwrap().to_string();

    let original = std::fs::read_to_string(ws.env_file("dev")).unwrap();
    ws.edit_env("dev", |text| {
        let edited = text.replace(
            "alb_ingress_cidrs = [\"0.0.0.0/0\"]",
            "alb_ingress_cidrs = [\"0.0.0.0/0\", \"10.99.0.0/16\"]",
        );
        assert_ne!(
            edited, text,
            "dev.toml has alb_ingress_cidrs = [\"0.0.0.0/0\"]"
        );
        edited
    });
    let plan = ws.run(&["plan", "--env", "dev", "--detailed-exitcode"]);
    plan.assert_code(2);
    assert!(plan.stdout.contains("~ update  sg-alb"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("0 to create, 1 to update"),
        "{}",
        plan.stdout
    );

    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let calls: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert_eq!(calls, ["AuthorizeSecurityGroupIngress"]);
    let after = observe(&ec2, "dev").await;
    assert_eq!(after.group("sg-alb").group_id(), Some(group_id.as_str()));
    assert_eq!(after.count(), before.count(), "nothing else created");
    let ingress = after.ingress("sg-alb");
    assert!(ingress.contains(&(80, "10.99.0.0/16".into())));
    assert!(ingress.contains(&(443, "10.99.0.0/16".into())));

    // And back: exactly the two new rules are revoked, in one call.
    std::fs::write(ws.env_file("dev"), original).unwrap();
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let calls: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert_eq!(calls, ["RevokeSecurityGroupIngress"]);
    assert_eq!(observe(&ec2, "dev").await.ingress("sg-alb").len(), 2);
}

#[tokio::test]
async fn deleted_state_is_rebuilt_by_adopting_everything() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let state_file = ws.state_dir().join("staging.json");
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    std::fs::remove_file(&state_file).unwrap();

    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    let ids = |state: &serde_json::Value| -> BTreeMap<String, String> {
        state["resources"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, entry)| {
                (
                    id.clone(),
                    entry["physical_id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        ids(&before),
        ids(&after),
        "every resource adopted with its old id"
    );
    assert_ne!(
        before["lineage"], after["lineage"],
        "a new state has a new lineage"
    );
}

#[tokio::test]
async fn status_lists_every_resource_as_json() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let status = ws.run(&["status", "--env", "dev", "--output", "json"]);
    status.assert_success();
    let document: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["env"], "dev");
    let resources = document["resources"].as_array().unwrap();
    let ec2 = emulator.ec2().await;
    let seen = observe(&ec2, "dev").await;
    let vpc = resources.iter().find(|r| r["id"] == "vpc").unwrap();
    assert_eq!(vpc["kind"], "ec2:vpc");
    assert_eq!(vpc["physical_id"], seen.vpcs[0].vpc_id().unwrap());
    assert_eq!(vpc["state"], "available");
    // Every resource in state is listed, the network's 18 EC2 ones among them (dev: 1 VPC,
    // 1 IGW, 4 subnets, 2 route tables, 4 associations, 5 groups, and the VPC's flow log).
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap())
            .unwrap();
    assert_eq!(
        resources.len(),
        state["resources"].as_object().unwrap().len()
    );
    let network = resources
        .iter()
        .filter(|r| r["kind"].as_str().unwrap().starts_with("ec2:"))
        .count();
    assert_eq!(network, 18);
    assert!(resources.iter().all(|r| r["physical_id"].is_string()));

    let text = ws.run(&["status", "--env", "dev"]);
    text.assert_success();
    assert!(text.stdout.contains("sg-redis"), "{}", text.stdout);
}
