//! Teardown as the launcher's lingering.py serves it (MACROCTL_EMULATOR_LINGER_SECONDS): the
//! network interfaces of a deleted load balancer, NAT gateway, ECS service, RDS instance or
//! ElastiCache replication group keep their subnets and security groups (and a NAT gateway
//! its Elastic IP) from being deleted for a while; without the variable, moto's instant
//! teardown.
use super::*;

use aws_sdk_ec2::types::{DomainType, Filter};
use aws_sdk_ecs::types::{AwsVpcConfiguration, Compatibility, NetworkConfiguration, NetworkMode};

/// The linger time the tests run with (seconds): long enough that the few calls right after
/// a delete fall inside it even on a loaded machine, short enough to wait out.
const LINGER: &str = "5";

/// A VPC with three subnets (two zones, and a spare one nothing uses) and a security group.
struct Network {
    a: String,
    b: String,
    spare: String,
    group: String,
    vpc: String,
}

async fn network(ec2: &aws_sdk_ec2::Client) -> Network {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("VpcId")
        .to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.0.1.0/24", "us-east-1a"),
        ("10.0.2.0/24", "us-east-1b"),
        ("10.0.3.0/24", "us-east-1a"),
    ] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .expect("CreateSubnet")
            .subnet()
            .and_then(|s| s.subnet_id())
            .expect("SubnetId")
            .to_string();
        subnets.push(subnet);
    }
    let group = security_group(ec2, &vpc, "web").await;
    Network {
        a: subnets[0].clone(),
        b: subnets[1].clone(),
        spare: subnets[2].clone(),
        group,
        vpc,
    }
}

async fn security_group(ec2: &aws_sdk_ec2::Client, vpc: &str, name: &str) -> String {
    ec2.create_security_group()
        .group_name(name)
        .description("lingering")
        .vpc_id(vpc)
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id()
        .expect("GroupId")
        .to_string()
}

/// DeleteSubnet answers as AWS does while an interface lingers in the subnet.
#[track_caller]
fn assert_subnet_held(
    result: Result<
        aws_sdk_ec2::operation::delete_subnet::DeleteSubnetOutput,
        SdkError<aws_sdk_ec2::operation::delete_subnet::DeleteSubnetError, HttpResponse>,
    >,
    subnet: &str,
) {
    assert_eq!(
        service_error(result),
        (
            "DependencyViolation".to_string(),
            400,
            format!("The subnet '{subnet}' has dependencies and cannot be deleted.")
        )
    );
}

/// DeleteSecurityGroup answers as AWS does while an interface lingers in the group.
#[track_caller]
fn assert_group_held(
    result: Result<
        aws_sdk_ec2::operation::delete_security_group::DeleteSecurityGroupOutput,
        SdkError<
            aws_sdk_ec2::operation::delete_security_group::DeleteSecurityGroupError,
            HttpResponse,
        >,
    >,
    group: &str,
) {
    assert_eq!(
        service_error(result),
        (
            "DependencyViolation".to_string(),
            400,
            format!("resource {group} has a dependent object")
        )
    );
}

/// Retries DeleteSubnet while it answers DependencyViolation, until it succeeds (within
/// [`DEADLINE`]); any other answer fails the test.
async fn delete_subnet_eventually(emulator: &Emulator, ec2: &aws_sdk_ec2::Client, subnet: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match ec2.delete_subnet().subnet_id(subnet).send().await {
            Ok(_) => return,
            Err(err) if err.code() == Some("DependencyViolation") => {}
            Err(err) => panic!("DeleteSubnet {subnet}: {}", DisplayErrorContext(&err)),
        }
        assert!(
            Instant::now() < deadline,
            "subnet {subnet} still held after {DEADLINE:?}\n{}",
            emulator.log()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Like [`delete_subnet_eventually`], for DeleteSecurityGroup.
async fn delete_group_eventually(emulator: &Emulator, ec2: &aws_sdk_ec2::Client, group: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match ec2.delete_security_group().group_id(group).send().await {
            Ok(_) => return,
            Err(err) if err.code() == Some("DependencyViolation") => {}
            Err(err) => panic!("DeleteSecurityGroup {group}: {}", DisplayErrorContext(&err)),
        }
        assert!(
            Instant::now() < deadline,
            "security group {group} still held after {DEADLINE:?}\n{}",
            emulator.log()
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn subnet_exists(ec2: &aws_sdk_ec2::Client, subnet: &str) -> bool {
    ec2.describe_subnets()
        .filters(Filter::builder().name("subnet-id").values(subnet).build())
        .send()
        .await
        .expect("DescribeSubnets")
        .subnets()
        .iter()
        .any(|s| s.subnet_id() == Some(subnet))
}

async fn create_alb(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    name: &str,
    subnets: &[&str],
    group: &str,
) -> String {
    let mut request = elb.create_load_balancer().name(name).security_groups(group);
    for subnet in subnets {
        request = request.subnets(*subnet);
    }
    request
        .send()
        .await
        .expect("CreateLoadBalancer")
        .load_balancers()
        .first()
        .and_then(|lb| lb.load_balancer_arn())
        .expect("LoadBalancerArn")
        .to_string()
}

/// (allocation id, public IP) of a new VPC Elastic IP.
async fn allocate_address(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let out = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("AllocateAddress");
    (
        out.allocation_id().expect("AllocationId").to_string(),
        out.public_ip().expect("PublicIp").to_string(),
    )
}

async fn create_nat(ec2: &aws_sdk_ec2::Client, subnet: &str, allocation: &str) -> String {
    ec2.create_nat_gateway()
        .subnet_id(subnet)
        .allocation_id(allocation)
        .send()
        .await
        .expect("CreateNatGateway")
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .expect("NatGatewayId")
        .to_string()
}

async fn nat_state(ec2: &aws_sdk_ec2::Client, nat: &str) -> String {
    ec2.describe_nat_gateways()
        .nat_gateway_ids(nat)
        .send()
        .await
        .expect("DescribeNatGateways")
        .nat_gateways()
        .first()
        .and_then(|n| n.state())
        .expect("NAT gateway State")
        .as_str()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Load balancers
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn deleted_load_balancer_holds_its_subnets_and_group_for_a_while() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_LINGER_SECONDS", LINGER)]);
    let ec2 = emulator.ec2().await;
    let elb = emulator.elb().await;
    let net = network(&ec2).await;
    let lb = create_alb(&elb, "web", &[&net.a, &net.b], &net.group).await;

    elb.delete_load_balancer()
        .load_balancer_arn(&lb)
        .send()
        .await
        .expect("DeleteLoadBalancer");
    let listed = elb
        .describe_load_balancers()
        .send()
        .await
        .expect("DescribeLoadBalancers");
    assert!(listed.load_balancers().is_empty(), "{listed:?}");

    // At once: the load balancer's subnets and group are held, and stay.
    assert_subnet_held(ec2.delete_subnet().subnet_id(&net.a).send().await, &net.a);
    assert_subnet_held(ec2.delete_subnet().subnet_id(&net.b).send().await, &net.b);
    assert_group_held(
        ec2.delete_security_group()
            .group_id(&net.group)
            .send()
            .await,
        &net.group,
    );
    // By name too.
    assert_group_held(
        ec2.delete_security_group().group_name("web").send().await,
        &net.group,
    );
    assert!(subnet_exists(&ec2, &net.a).await);
    // A subnet the load balancer did not use is not held.
    ec2.delete_subnet()
        .subnet_id(&net.spare)
        .send()
        .await
        .expect("DeleteSubnet of an unused subnet");

    // After the window, AWS (and moto) let them go.
    delete_group_eventually(&emulator, &ec2, &net.group).await;
    delete_subnet_eventually(&emulator, &ec2, &net.a).await;
    delete_subnet_eventually(&emulator, &ec2, &net.b).await;
    assert!(!subnet_exists(&ec2, &net.a).await);
    ec2.delete_vpc()
        .vpc_id(&net.vpc)
        .send()
        .await
        .expect("DeleteVpc once its subnets are gone");
}

// ---------------------------------------------------------------------------------------------
// NAT gateways
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn deleted_nat_gateway_is_deleting_and_holds_its_subnet_and_address() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_LINGER_SECONDS", LINGER)]);
    let ec2 = emulator.ec2().await;
    let net = network(&ec2).await;
    let (allocation, ip) = allocate_address(&ec2).await;
    let nat = create_nat(&ec2, &net.a, &allocation).await;
    assert_eq!(nat_state(&ec2, &nat).await, "available");

    ec2.delete_nat_gateway()
        .nat_gateway_id(&nat)
        .send()
        .await
        .expect("DeleteNatGateway");
    assert_eq!(nat_state(&ec2, &nat).await, "deleting");
    // The state filter sees what Describe reports.
    let deleting = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("state").values("deleting").build())
        .send()
        .await
        .expect("DescribeNatGateways state=deleting");
    assert_eq!(deleting.nat_gateways().len(), 1, "{deleting:?}");
    // Deleting it again changes nothing.
    ec2.delete_nat_gateway()
        .nat_gateway_id(&nat)
        .send()
        .await
        .expect("DeleteNatGateway of a deleting gateway");
    assert_eq!(nat_state(&ec2, &nat).await, "deleting");

    assert_eq!(
        service_error(
            ec2.release_address()
                .allocation_id(&allocation)
                .send()
                .await
        ),
        (
            "InvalidIPAddress.InUse".to_string(),
            400,
            format!("Address {ip} is in use.")
        )
    );
    assert_subnet_held(ec2.delete_subnet().subnet_id(&net.a).send().await, &net.a);
    // The NAT gateway has no security group: the VPC's group is free.
    ec2.delete_security_group()
        .group_id(&net.group)
        .send()
        .await
        .expect("DeleteSecurityGroup of a group the NAT gateway did not use");

    let deadline = Instant::now() + DEADLINE;
    let mut seen = vec!["deleting".to_string()];
    loop {
        let state = nat_state(&ec2, &nat).await;
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "deleted" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "NAT gateway not deleted within {DEADLINE:?}; states seen: {seen:?}\n{}",
            emulator.log()
        );
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(seen, ["deleting", "deleted"]);

    // Once deleted, the address and the subnet are free.
    ec2.release_address()
        .allocation_id(&allocation)
        .send()
        .await
        .expect("ReleaseAddress after the NAT gateway is deleted");
    ec2.delete_subnet()
        .subnet_id(&net.a)
        .send()
        .await
        .expect("DeleteSubnet after the NAT gateway is deleted");
}

// ---------------------------------------------------------------------------------------------
// ECS, RDS, ElastiCache
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn deleted_ecs_service_holds_its_awsvpc_subnets_and_groups() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_LINGER_SECONDS", LINGER)]);
    let ec2 = emulator.ec2().await;
    let ecs = emulator.ecs().await;
    let net = network(&ec2).await;
    let task_definition = ecs
        .register_task_definition()
        .family("api")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("api:1")
                .memory(512)
                .essential(true)
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskDefinition")
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("taskDefinitionArn")
        .to_string();
    ecs.create_cluster()
        .cluster_name("c")
        .send()
        .await
        .expect("CreateCluster");
    ecs.create_service()
        .cluster("c")
        .service_name("api")
        .task_definition(&task_definition)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .subnets(&net.a)
                        .security_groups(&net.group)
                        .build()
                        .expect("AwsVpcConfiguration"),
                )
                .build(),
        )
        .send()
        .await
        .expect("CreateService");

    ecs.delete_service()
        .cluster("c")
        .service("api")
        .force(true)
        .send()
        .await
        .expect("DeleteService");
    assert_subnet_held(ec2.delete_subnet().subnet_id(&net.a).send().await, &net.a);
    assert_group_held(
        ec2.delete_security_group()
            .group_id(&net.group)
            .send()
            .await,
        &net.group,
    );
    ec2.delete_subnet()
        .subnet_id(&net.b)
        .send()
        .await
        .expect("DeleteSubnet of a subnet the service did not use");

    delete_group_eventually(&emulator, &ec2, &net.group).await;
    delete_subnet_eventually(&emulator, &ec2, &net.a).await;
}

#[tokio::test]
async fn deleted_rds_instance_and_replication_group_hold_their_subnets_and_groups() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_LINGER_SECONDS", LINGER)]);
    let ec2 = emulator.ec2().await;
    let rds = emulator.rds().await;
    let elasticache = emulator.elasticache().await;
    let net = network(&ec2).await;
    let db_group = security_group(&ec2, &net.vpc, "db").await;
    let cache_group = security_group(&ec2, &net.vpc, "cache").await;

    rds.create_db_subnet_group()
        .db_subnet_group_name("shop-db")
        .db_subnet_group_description("lingering")
        .subnet_ids(&net.a)
        .subnet_ids(&net.b)
        .send()
        .await
        .expect("CreateDBSubnetGroup");
    rds.create_db_instance()
        .db_instance_identifier("shop-db")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("macroctl")
        .master_user_password("not-a-real-password-1")
        .allocated_storage(20)
        .db_subnet_group_name("shop-db")
        .vpc_security_group_ids(&db_group)
        .send()
        .await
        .expect("CreateDBInstance");
    elasticache
        .create_cache_subnet_group()
        .cache_subnet_group_name("shop-cache")
        .cache_subnet_group_description("lingering")
        .subnet_ids(&net.spare)
        .send()
        .await
        .expect("CreateCacheSubnetGroup");
    elasticache
        .create_replication_group()
        .replication_group_id("shop-cache")
        .replication_group_description("lingering")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .num_cache_clusters(1)
        .cache_subnet_group_name("shop-cache")
        .security_group_ids(&cache_group)
        .send()
        .await
        .expect("CreateReplicationGroup");

    rds.delete_db_instance()
        .db_instance_identifier("shop-db")
        .skip_final_snapshot(true)
        .send()
        .await
        .expect("DeleteDBInstance");
    assert_subnet_held(ec2.delete_subnet().subnet_id(&net.a).send().await, &net.a);
    assert_subnet_held(ec2.delete_subnet().subnet_id(&net.b).send().await, &net.b);
    assert_group_held(
        ec2.delete_security_group().group_id(&db_group).send().await,
        &db_group,
    );
    // The replication group still exists: nothing of it is held yet.
    ec2.delete_security_group()
        .group_id(&net.group)
        .send()
        .await
        .expect("DeleteSecurityGroup of a group nothing used");

    elasticache
        .delete_replication_group()
        .replication_group_id("shop-cache")
        .send()
        .await
        .expect("DeleteReplicationGroup");
    assert_subnet_held(
        ec2.delete_subnet().subnet_id(&net.spare).send().await,
        &net.spare,
    );
    assert_group_held(
        ec2.delete_security_group()
            .group_id(&cache_group)
            .send()
            .await,
        &cache_group,
    );

    delete_group_eventually(&emulator, &ec2, &db_group).await;
    delete_group_eventually(&emulator, &ec2, &cache_group).await;
    for subnet in [&net.a, &net.b, &net.spare] {
        delete_subnet_eventually(&emulator, &ec2, subnet).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Off by default
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn without_linger_seconds_teardown_is_moto_instant() {
    let emulator = Emulator::start_realistic(&[]);
    let ec2 = emulator.ec2().await;
    let elb = emulator.elb().await;
    let net = network(&ec2).await;
    let lb = create_alb(&elb, "web", &[&net.a, &net.b], &net.group).await;
    let (allocation, _) = allocate_address(&ec2).await;
    let nat = create_nat(&ec2, &net.spare, &allocation).await;

    elb.delete_load_balancer()
        .load_balancer_arn(&lb)
        .send()
        .await
        .expect("DeleteLoadBalancer");
    ec2.delete_nat_gateway()
        .nat_gateway_id(&nat)
        .send()
        .await
        .expect("DeleteNatGateway");
    assert_eq!(nat_state(&ec2, &nat).await, "deleted");

    ec2.release_address()
        .allocation_id(&allocation)
        .send()
        .await
        .expect("ReleaseAddress at once");
    ec2.delete_security_group()
        .group_id(&net.group)
        .send()
        .await
        .expect("DeleteSecurityGroup at once");
    for subnet in [&net.a, &net.b, &net.spare] {
        ec2.delete_subnet()
            .subnet_id(subnet)
            .send()
            .await
            .expect("DeleteSubnet at once");
    }
}
