//! The fault emulator (tests/emulator/faults.py, controlled through `/_macroctl/faults`)
//! misbehaves the way real AWS does: each fault as the AWS SDK sees it, and what really
//! happened checked through an independent call.
//!
//! Clients are built with retries disabled where a test looks at the raw fault. To stay fast,
//! each test checks a group of faults on one emulator, windows last 1.5 s (all waited out
//! together) and rules are counted rather than probable.
mod support;

use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, ResourceType, Tag, TagSpecification,
};
use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetTypeEnum};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use serde_json::json;
use support::Emulator;

/// The not-found, IAM propagation and NAT creation windows the tests configure, and how
/// long to wait for them to be over.
const WINDOW_SECONDS: f64 = 1.5;
const AFTER_WINDOW: Duration = Duration::from_millis(1600);

/// The same client with retries disabled, to see a fault as the SDK gets it.
macro_rules! without_retries {
    ($client:expr, $krate:ident) => {
        $krate::Client::from_conf(
            $client
                .config()
                .to_builder()
                .retry_config(RetryConfig::disabled())
                .build(),
        )
    };
}

/// The same client with the SDK's standard retry (3 attempts), with short backoffs.
macro_rules! with_standard_retries {
    ($client:expr, $krate:ident) => {
        $krate::Client::from_conf(
            $client
                .config()
                .to_builder()
                .retry_config(
                    RetryConfig::standard().with_initial_backoff(Duration::from_millis(10)),
                )
                .build(),
        )
    };
}

/// (error code, HTTP status, message) of a call AWS answered with an error.
#[track_caller]
fn service_error<T: std::fmt::Debug, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> (String, u16, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let err = result.expect_err("the call succeeded");
    let Some(status) = err.raw_response().map(|r| r.status().as_u16()) else {
        panic!("no HTTP answer: {}", DisplayErrorContext(&err));
    };
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    (code, status, message)
}

/// Panics unless the call failed without any HTTP answer (the connection went away).
#[track_caller]
fn assert_no_answer<T: std::fmt::Debug, E: std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
) {
    match result.expect_err("the call succeeded") {
        SdkError::DispatchFailure(failure) => assert!(
            failure.is_io() || failure.is_other(),
            "not an IO failure: {failure:?}"
        ),
        other => panic!("expected a dispatch failure, got {other:?}"),
    }
}

fn tagged(key: &str, value: &str, kind: ResourceType) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key(key).value(value).build())
        .build()
}

fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}

/// IDs of the VPCs tagged `test=value`.
async fn vpcs_tagged(ec2: &aws_sdk_ec2::Client, value: &str) -> Vec<String> {
    let out = ec2
        .describe_vpcs()
        .filters(tag_filter("test", value))
        .send()
        .await
        .expect("DescribeVpcs");
    out.vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect()
}

async fn create_vpc(ec2: &aws_sdk_ec2::Client, cidr: &str, tag: &str) -> String {
    ec2.create_vpc()
        .cidr_block(cidr)
        .tag_specifications(tagged("test", tag, ResourceType::Vpc))
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("VpcId")
        .to_string()
}

async fn create_subnet(ec2: &aws_sdk_ec2::Client, vpc: &str, cidr: &str) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("SubnetId")
        .to_string()
}

async fn allocate_address(ec2: &aws_sdk_ec2::Client) -> String {
    ec2.allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("AllocateAddress")
        .allocation_id()
        .expect("AllocationId")
        .to_string()
}

/// IDs of the NAT gateways in `vpc`.
async fn nat_gateways(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Vec<String> {
    let vpc_filter = Filter::builder().name("vpc-id").values(vpc).build();
    let out = ec2
        .describe_nat_gateways()
        .filter(vpc_filter)
        .send()
        .await
        .expect("DescribeNatGateways");
    out.nat_gateways()
        .iter()
        .filter_map(|n| n.nat_gateway_id().map(str::to_string))
        .collect()
}

/// moto builds its IAM backend (loading every managed policy) while serving its second
/// request, which takes a while on a busy machine: done before a test times a window.
async fn warm_up(emulator: &Emulator) {
    let ec2 = emulator.ec2().await;
    for _ in 0..2 {
        ec2.describe_vpcs().send().await.expect("DescribeVpcs");
    }
}

// ---------------------------------------------------------------------------------------------
// Lost responses and dropped connections
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn connections_close_without_an_answer_after_or_instead_of_the_call() {
    let emulator = Emulator::start_realistic(&[]);
    lose_response_performs_the_call(&emulator).await;
    drop_connection_does_not_perform_it(&emulator).await;
}

async fn lose_response_performs_the_call(emulator: &Emulator) {
    let ec2 = emulator.ec2().await;
    let rule =
        json!({"fault": "lose_response", "service": "ec2", "action": "CreateVpc", "count": 1});
    emulator.set_faults(&json!({ "rules": [rule] }));

    let lost = without_retries!(ec2, aws_sdk_ec2)
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .tag_specifications(tagged("test", "lost", ResourceType::Vpc))
        .send()
        .await;
    assert_no_answer(lost);
    assert_eq!(
        vpcs_tagged(&ec2, "lost").await.len(),
        1,
        "the VPC was created"
    );
    assert_eq!(emulator.injected("lose_response", "ec2:CreateVpc"), 1);

    // With retries on, the SDK sends the create again: the real-AWS duplicate.
    emulator.set_faults(&json!({ "rules": [rule] }));
    let retrying = with_standard_retries!(ec2, aws_sdk_ec2);
    create_vpc(&retrying, "10.21.0.0/16", "retried").await;
    assert_eq!(vpcs_tagged(&ec2, "retried").await.len(), 2);
}

async fn drop_connection_does_not_perform_it(emulator: &Emulator) {
    let ec2 = emulator.ec2().await;
    emulator.set_faults(&json!({"rules": [
        {"fault": "drop_connection", "service": "ec2", "action": "CreateVpc", "count": 1}
    ]}));
    emulator.reset_recording();

    let dropped = without_retries!(ec2, aws_sdk_ec2)
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .tag_specifications(tagged("test", "dropped", ResourceType::Vpc))
        .send()
        .await;
    assert_no_answer(dropped);
    assert!(vpcs_tagged(&ec2, "dropped").await.is_empty());
    let calls = emulator.recorded_calls();
    assert!(
        calls.iter().all(|c| c.action != "CreateVpc"),
        "moto saw the dropped request: {calls:?}"
    );
    assert!(
        calls.iter().all(|c| !c.action.contains("_macroctl")),
        "the control endpoint was recorded: {calls:?}"
    );
    assert_eq!(emulator.injected("drop_connection", "ec2:CreateVpc"), 1);
}

// ---------------------------------------------------------------------------------------------
// Throttling and server errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn throttling_and_server_errors_are_each_protocols_own() {
    let emulator = Emulator::start_realistic(&[]);
    throttle_answers_each_protocols_throttling_error(&emulator).await;
    server_error_answers_500_or_503_in_each_protocol(&emulator).await;
}

async fn throttle_answers_each_protocols_throttling_error(emulator: &Emulator) {
    emulator.set_faults(&json!({"rules": [{"fault": "throttle", "count": 3}]}));

    let ec2 = without_retries!(emulator.ec2().await, aws_sdk_ec2);
    let (code, status, _) = service_error(ec2.describe_vpcs().send().await);
    assert_eq!((code.as_str(), status), ("RequestLimitExceeded", 503));

    let iam = without_retries!(emulator.iam().await, aws_sdk_iam);
    let (code, status, message) = service_error(iam.list_roles().send().await);
    assert_eq!((code.as_str(), status), ("Throttling", 400));
    assert_eq!(message, "Rate exceeded");

    let ecs = without_retries!(emulator.ecs().await, aws_sdk_ecs);
    let (code, status, _) = service_error(ecs.list_clusters().send().await);
    assert_eq!((code.as_str(), status), ("ThrottlingException", 400));

    let counts = emulator.fault_counts();
    assert_eq!(counts["injected"]["throttle"]["iam:ListRoles"], 1);
    assert_eq!(counts["requests"], 3);

    // The SDK's standard retry gets through two throttled attempts.
    emulator.set_faults(&json!({"rules": [{"fault": "throttle", "service": "ec2", "count": 2}]}));
    with_standard_retries!(emulator.ec2().await, aws_sdk_ec2)
        .describe_vpcs()
        .send()
        .await
        .expect("DescribeVpcs after two throttled attempts");
    assert_eq!(emulator.injected("throttle", "ec2:DescribeVpcs"), 2);
}

async fn server_error_answers_500_or_503_in_each_protocol(emulator: &Emulator) {
    // Counted rules fire in order: the first request gets the first rule, and so on.
    emulator.set_faults(&json!({"rules": [
        {"fault": "server_error", "service": "ec2", "count": 1},
        {"fault": "server_error", "service": "ec2", "status": 503, "count": 1},
        {"fault": "server_error", "service": "iam", "status": 503, "count": 1},
        {"fault": "server_error", "service": "logs", "status": 500, "count": 1},
        {"fault": "server_error", "service": "logs", "status": 503, "count": 1},
    ]}));
    let ec2 = without_retries!(emulator.ec2().await, aws_sdk_ec2);
    let iam = without_retries!(emulator.iam().await, aws_sdk_iam);
    let logs = without_retries!(emulator.logs().await, aws_sdk_cloudwatchlogs);

    let got = [
        service_error(ec2.describe_vpcs().send().await),
        service_error(ec2.describe_vpcs().send().await),
        service_error(iam.list_roles().send().await),
        service_error(logs.describe_log_groups().send().await),
        service_error(logs.describe_log_groups().send().await),
    ];
    let got: Vec<(&str, u16)> = got.iter().map(|(c, s, _)| (c.as_str(), *s)).collect();
    assert_eq!(
        got,
        [
            ("InternalError", 500),
            ("Unavailable", 503),
            ("ServiceUnavailable", 503),
            ("InternalFailure", 500),
            ("ServiceUnavailableException", 503),
        ]
    );
    ec2.describe_vpcs()
        .send()
        .await
        .expect("the rules are used up");
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_configuration_is_validated_and_its_rules_are_deterministic() {
    let emulator = Emulator::start_realistic(&[(
        "MACROCTL_EMULATOR_FAULTS",
        r#"{"rules": [{"fault": "throttle", "service": "ec2", "count": 1}]}"#,
    )]);
    let ec2 = without_retries!(emulator.ec2().await, aws_sdk_ec2);
    a_bad_configuration_is_refused_naming_the_key(&emulator, &ec2).await;
    rules_skip_count_and_match_mutating_calls(&emulator, &ec2).await;
    rules_with_a_seed_fault_the_same_calls(&emulator, &ec2).await;
}

async fn a_bad_configuration_is_refused_naming_the_key(
    emulator: &Emulator,
    ec2: &aws_sdk_ec2::Client,
) {
    let initial = emulator.fault_counts();
    assert_eq!(initial["config"]["rules"][0]["fault"], "throttle");

    let bad = json!({"rules": [{"fault": "throttle", "probability": 1.5}]});
    let (status, message) = emulator.try_set_faults(&bad).expect_err("accepted");
    assert_eq!(status, 400);
    assert!(message.starts_with("rules[0].probability:"), "{message}");
    let misspelt = json!({"not_found_windw": {"seconds": 1}});
    let (_, message) = emulator.try_set_faults(&misspelt).expect_err("accepted");
    assert!(
        message.starts_with("not_found_windw: unknown key"),
        "{message}"
    );

    // A refused configuration leaves the one in force (from MACROCTL_EMULATOR_FAULTS).
    assert_eq!(emulator.fault_counts()["config"], initial["config"]);
    let throttled = ec2.describe_vpcs().send().await;
    assert_eq!(service_error(throttled).0, "RequestLimitExceeded");
    emulator.clear_faults();
    assert_eq!(emulator.fault_counts()["config"]["rules"], json!([]));
}

async fn rules_skip_count_and_match_mutating_calls(emulator: &Emulator, ec2: &aws_sdk_ec2::Client) {
    emulator.set_faults(&json!({"rules": [
        {"fault": "throttle", "service": "ec2", "mutating": true, "skip": 1, "count": 1}
    ]}));
    ec2.describe_vpcs()
        .send()
        .await
        .expect("a read does not match");
    create_vpc(ec2, "10.40.0.0/16", "skipped").await;
    let second = ec2.create_vpc().cidr_block("10.41.0.0/16").send().await;
    assert_eq!(service_error(second).0, "RequestLimitExceeded");
    create_vpc(ec2, "10.42.0.0/16", "after").await;
}

async fn rules_with_a_seed_fault_the_same_calls(emulator: &Emulator, ec2: &aws_sdk_ec2::Client) {
    let config = json!({"seed": 7, "rules": [{"fault": "throttle", "probability": 0.5}]});
    let mut patterns = Vec::new();
    for _ in 0..2 {
        emulator.set_faults(&config);
        let mut pattern = Vec::new();
        for _ in 0..16 {
            pattern.push(ec2.describe_vpcs().send().await.is_err());
        }
        patterns.push(pattern);
    }
    assert_eq!(patterns[0], patterns[1]);
    assert!(patterns[0].contains(&true) && patterns[0].contains(&false));
}

#[test]
#[should_panic(
    expected = "MACROCTL_EMULATOR_FAULTS: rules[0].count: must be a non-negative integer"
)]
fn a_bad_initial_configuration_stops_the_emulator() {
    Emulator::start_realistic(&[(
        "MACROCTL_EMULATOR_FAULTS",
        r#"{"rules": [{"fault": "throttle", "count": -1}]}"#,
    )]);
}

// ---------------------------------------------------------------------------------------------
// Time windows: eventual consistency, IAM propagation, creation times
// ---------------------------------------------------------------------------------------------

/// Each window gets checked while it lasts and once it is over; the windows run together so
/// the test waits once.
#[tokio::test]
async fn windows_refuse_new_resources_and_roles_until_they_are_over() {
    let emulator = Emulator::start_realistic(&[]);
    warm_up(&emulator).await;
    let ec2 = without_retries!(emulator.ec2().await, aws_sdk_ec2);
    let vpc_for_nat = create_vpc(&ec2, "10.50.0.0/16", "nat").await;
    let subnet = create_subnet(&ec2, &vpc_for_nat, "10.50.1.0/24").await;
    let allocation = allocate_address(&ec2).await;
    emulator.set_faults(&json!({
        "not_found_window": {"seconds": WINDOW_SECONDS, "services": ["ec2", "elasticloadbalancing"]},
        "iam_propagation": {"seconds": WINDOW_SECONDS},
        "create_seconds": {"nat": WINDOW_SECONDS},
    }));

    let vpc = a_new_vpc_is_not_found(&emulator, &ec2).await;
    a_new_target_group_is_not_found_by_name(&emulator, &vpc_for_nat).await;
    let role = a_new_role_cannot_be_passed_to_ecs(&emulator).await;
    let out = ec2
        .create_nat_gateway()
        .subnet_id(&subnet)
        .allocation_id(&allocation)
        .send()
        .await
        .expect("CreateNatGateway");
    let nat = out.nat_gateway().expect("NatGateway");
    assert_eq!(nat.state().map(|s| s.as_str()), Some("pending"));
    let nat_id = nat.nat_gateway_id().expect("NatGatewayId").to_string();

    tokio::time::sleep(AFTER_WINDOW).await;
    enable_dns(&ec2, &vpc)
        .await
        .expect("ModifyVpcAttribute after the window");
    assert_eq!(vpcs_tagged(&ec2, "fresh").await, [vpc]);
    let elb = emulator.elb().await;
    let found = elb.describe_target_groups().names("web-tg").send().await;
    assert_eq!(found.expect("after the window").target_groups().len(), 1);
    register_task_definition(&emulator.ecs().await, &role)
        .await
        .expect("RegisterTaskDefinition after propagation");
    let described = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .expect("DescribeNatGateways");
    let state = described.nat_gateways()[0].state().map(|s| s.as_str());
    assert_eq!(state, Some("available"), "create_seconds set at run time");
}

async fn enable_dns(
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
) -> Result<
    aws_sdk_ec2::operation::modify_vpc_attribute::ModifyVpcAttributeOutput,
    SdkError<aws_sdk_ec2::operation::modify_vpc_attribute::ModifyVpcAttributeError, HttpResponse>,
> {
    ec2.modify_vpc_attribute()
        .vpc_id(vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
}

/// A VPC just created: ModifyVpcAttribute does not find it, DescribeVpcs by tag leaves it
/// out. Returns its ID.
async fn a_new_vpc_is_not_found(emulator: &Emulator, ec2: &aws_sdk_ec2::Client) -> String {
    let vpc = create_vpc(ec2, "10.51.0.0/16", "fresh").await;
    let (code, status, message) = service_error(enable_dns(ec2, &vpc).await);
    assert_eq!((code.as_str(), status), ("InvalidVpcID.NotFound", 400));
    assert_eq!(message, format!("The vpc ID '{vpc}' does not exist"));
    assert!(vpcs_tagged(ec2, "fresh").await.is_empty());
    assert_eq!(emulator.injected("not_found_window", "ec2:DescribeVpcs"), 1);
    vpc
}

/// A target group just created is not found by name; creating it again reaches moto.
async fn a_new_target_group_is_not_found_by_name(emulator: &Emulator, vpc: &str) {
    let elb = without_retries!(emulator.elb().await, aws_sdk_elasticloadbalancingv2);
    let create = || {
        elb.create_target_group()
            .name("web-tg")
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id(vpc)
            .target_type(TargetTypeEnum::Ip)
            .send()
    };
    create().await.expect("CreateTargetGroup");
    emulator.reset_recording();

    let by_name = elb.describe_target_groups().names("web-tg").send().await;
    assert_eq!(service_error(by_name).0, "TargetGroupNotFound");
    // moto's own answer to a second create of the same name.
    assert_eq!(service_error(create().await).0, "DuplicateTargetGroupName");
    let actions: Vec<String> = emulator
        .recorded_calls()
        .into_iter()
        .map(|c| c.action)
        .collect();
    assert_eq!(actions, ["CreateTargetGroup"], "what reached moto");
}

async fn register_task_definition(
    ecs: &aws_sdk_ecs::Client,
    execution_role: &str,
) -> Result<
    aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionOutput,
    SdkError<
        aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionError,
        HttpResponse,
    >,
> {
    let container = aws_sdk_ecs::types::ContainerDefinition::builder()
        .name("web")
        .image("nginx:1")
        .memory(128)
        .build();
    ecs.register_task_definition()
        .family("web")
        .execution_role_arn(execution_role)
        .container_definitions(container)
        .send()
        .await
}

/// A role just created is not valid for ECS yet. Returns its ARN.
async fn a_new_role_cannot_be_passed_to_ecs(emulator: &Emulator) -> String {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let created = emulator
        .iam()
        .await
        .create_role()
        .role_name("web-execution")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("CreateRole");
    let role = created.role().expect("Role").arn().to_string();
    let ecs = without_retries!(emulator.ecs().await, aws_sdk_ecs);
    let (code, status, message) = service_error(register_task_definition(&ecs, &role).await);
    assert_eq!((code.as_str(), status), ("ClientException", 400));
    assert_eq!(message, "Role is not valid");
    assert_eq!(
        emulator.injected("iam_propagation", "ecs:RegisterTaskDefinition"),
        1
    );
    role
}

// ---------------------------------------------------------------------------------------------
// Client tokens
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn client_tokens_make_a_retried_create_idempotent() {
    let emulator = Emulator::start_realistic(&[]);
    let ec2 = without_retries!(emulator.ec2().await, aws_sdk_ec2);
    let vpc = create_vpc(&ec2, "10.70.0.0/16", "tokens").await;
    let subnets = [
        create_subnet(&ec2, &vpc, "10.70.1.0/24").await,
        create_subnet(&ec2, &vpc, "10.70.2.0/24").await,
    ];
    let allocation = allocate_address(&ec2).await;
    let create_nat = |subnet: &str, token: &str| {
        ec2.create_nat_gateway()
            .subnet_id(subnet)
            .allocation_id(&allocation)
            .client_token(token)
            .send()
    };

    let first = nat_id(create_nat(&subnets[0], "token-1").await.expect("first"));
    let again = nat_id(
        create_nat(&subnets[0], "token-1")
            .await
            .expect("same token"),
    );
    assert_eq!(first, again);
    assert_eq!(nat_gateways(&ec2, &vpc).await, [first.as_str()]);
    let (code, status, _) = service_error(create_nat(&subnets[1], "token-1").await);
    assert_eq!(
        (code.as_str(), status),
        ("IdempotentParameterMismatch", 400)
    );

    // A create whose answer was lost counts: the SDK's retry gets the same gateway.
    emulator.set_faults(&json!({"rules": [
        {"fault": "lose_response", "service": "ec2", "action": "CreateNatGateway", "count": 1}
    ]}));
    let retrying = with_standard_retries!(emulator.ec2().await, aws_sdk_ec2);
    let out = retrying
        .create_nat_gateway()
        .subnet_id(&subnets[1])
        .allocation_id(allocate_address(&ec2).await)
        .send()
        .await
        .expect("CreateNatGateway with one lost answer");
    let second = nat_id(out);
    let mut all = nat_gateways(&ec2, &vpc).await;
    all.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(all, expected);
    let counts = emulator.fault_counts();
    assert_eq!(
        counts["injected"]["lose_response"]["ec2:CreateNatGateway"],
        1
    );
    assert_eq!(counts["replayed"]["ec2:CreateNatGateway"], 1);
}

fn nat_id(out: aws_sdk_ec2::operation::create_nat_gateway::CreateNatGatewayOutput) -> String {
    out.nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .expect("NatGatewayId")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Latency
// ---------------------------------------------------------------------------------------------

/// The latency the test injects: long enough to stand out from moto's own time on a busy
/// machine; the bounds below are loose for the same reason.
const LATENCY_MS: u64 = 300;

fn unix_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs_f64()
}

/// `latency_ms` (here from MACROCTL_EMULATOR_FAULTS) makes every AWS call wait in its own
/// thread: one call takes at least that long, two sent together about as long in all, not
/// twice; the control endpoint does not wait. The first call's arrival is reported, for
/// measuring a client's start-up, and forgotten with the configuration.
#[tokio::test]
async fn latency_delays_each_call_and_concurrent_calls_overlap() {
    let config = json!({ "latency_ms": LATENCY_MS }).to_string();
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_FAULTS", config.as_str())]);
    let latency = Duration::from_millis(LATENCY_MS);
    let counts = emulator.fault_counts();
    assert_eq!(counts["config"]["latency_ms"], json!(300.0));
    assert!(counts["first_request_at"].is_null(), "{counts}");

    let ec2 = emulator.ec2().await;
    let before = unix_seconds();
    let started = std::time::Instant::now();
    ec2.describe_vpcs().send().await.expect("DescribeVpcs");
    let one = started.elapsed();
    let after = unix_seconds();
    assert!(one >= latency, "one call took {one:?}");
    let first = emulator.fault_counts()["first_request_at"]
        .as_f64()
        .expect("first_request_at after a call");
    assert!(
        before - 0.001 <= first && first <= after - latency.as_secs_f64() + 0.001,
        "the first call arrived at {first}, sent at {before}, answered at {after}"
    );

    warm_up(&emulator).await;
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(ec2.describe_vpcs().send(), ec2.describe_vpcs().send());
    a.expect("DescribeVpcs");
    b.expect("DescribeVpcs");
    let two = started.elapsed();
    assert!(two >= latency, "two concurrent calls took {two:?}");
    assert!(
        two < latency.mul_f64(1.8),
        "two concurrent calls took {two:?}: they waited one after the other"
    );

    let started = std::time::Instant::now();
    emulator.fault_counts();
    let control = started.elapsed();
    assert!(control < latency, "the control endpoint took {control:?}");

    let (status, message) = emulator
        .try_set_faults(&json!({"latency_ms": -1}))
        .expect_err("a negative latency was accepted");
    assert_eq!(status, 400);
    assert!(
        message.starts_with("latency_ms: must be at least 0"),
        "{message}"
    );
    emulator.set_faults(&json!({}));
    let counts = emulator.fault_counts();
    assert!(counts["first_request_at"].is_null(), "{counts}");
    assert_eq!(counts["config"]["latency_ms"], json!(0.0));
}
