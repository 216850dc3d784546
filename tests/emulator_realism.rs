//! The realistic emulator (tests/emulator/launcher.py): creation delays, ECS rollouts,
//! idempotent creates, the tagging API, and that the plain emulator keeps moto's instant
//! behaviour.
//!
//! Waits poll with generous deadlines; no test asserts how long something took.
mod support;

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName};
use aws_sdk_ecs::types::{
    ContainerDefinition, Deployment, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentRolloutState, LaunchType, Service,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ProtocolEnum,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use support::Emulator;

/// Upper bound for anything that should happen within a few seconds.
const DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);

// ---------------------------------------------------------------------------------------------
// RDS
// ---------------------------------------------------------------------------------------------

async fn create_db(rds: &aws_sdk_rds::Client, id: &str) -> String {
    let out = rds
        .create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("macroctl")
        .master_user_password("not-a-real-password-1")
        .allocated_storage(20)
        .send()
        .await
        .expect("CreateDBInstance");
    out.db_instance()
        .and_then(|db| db.db_instance_status())
        .expect("DBInstanceStatus in CreateDBInstance's answer")
        .to_string()
}

async fn db_status(rds: &aws_sdk_rds::Client, id: &str) -> String {
    let out = rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .expect("DescribeDBInstances");
    out.db_instances()
        .first()
        .and_then(|db| db.db_instance_status())
        .expect("DBInstanceStatus")
        .to_string()
}

#[tokio::test]
async fn rds_instance_is_creating_then_available() {
    // 5 s, after a first RDS call: moto builds its RDS backend on the first call, which on a
    // loaded machine took longer than a 2 s creation time (the create then answered
    // `available`).
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=5")]);
    let rds = emulator.rds().await;
    rds.describe_db_instances()
        .send()
        .await
        .expect("DescribeDBInstances");

    assert_eq!(create_db(&rds, "db-realistic").await, "creating");
    assert_eq!(db_status(&rds, "db-realistic").await, "creating");

    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let status = db_status(&rds, "db-realistic").await;
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "available" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "DB instance not available within {DEADLINE:?}; statuses seen: {seen:?}\n{}",
            emulator.log()
        );
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(seen, ["creating", "available"]);
}

#[tokio::test]
async fn realistic_emulator_without_delays_creates_rds_instantly() {
    let emulator = Emulator::start_realistic(&[]);
    let rds = emulator.rds().await;
    assert_eq!(create_db(&rds, "db-instant").await, "available");
    assert_eq!(db_status(&rds, "db-instant").await, "available");
}

#[tokio::test]
async fn plain_emulator_is_moto_as_installed() {
    let emulator = Emulator::start();
    let rds = emulator.rds().await;
    assert_eq!(create_db(&rds, "db-plain").await, "available");
    assert_eq!(db_status(&rds, "db-plain").await, "available");

    // ECS as moto has it: the service's deployment is COMPLETED or never moves, and there
    // are no events; nothing here advances with time.
    let ecs = emulator.ecs().await;
    let td = register(&ecs, "plain", "x:1").await;
    ecs.create_cluster()
        .cluster_name("c")
        .send()
        .await
        .expect("CreateCluster");
    ecs.create_service()
        .cluster("c")
        .service_name("api")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .send()
        .await
        .expect("CreateService");
    let service = describe(&ecs, "c", "api").await;
    assert!(service.events().is_empty(), "{service:#?}");
}

// ---------------------------------------------------------------------------------------------
// ECS
// ---------------------------------------------------------------------------------------------

async fn register(ecs: &aws_sdk_ecs::Client, family: &str, image: &str) -> String {
    let out = ecs
        .register_task_definition()
        .family(family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .memory(512)
                .essential(true)
                .build(),
        )
        .cpu("256")
        .memory("512")
        .send()
        .await
        .expect("RegisterTaskDefinition");
    out.task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("taskDefinitionArn")
        .to_string()
}

fn deployment_configuration(rollback: bool) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(rollback)
                .build(),
        )
        .maximum_percent(200)
        .minimum_healthy_percent(100)
        .build()
}

async fn create_service(
    ecs: &aws_sdk_ecs::Client,
    task_definition: &str,
    configuration: DeploymentConfiguration,
) -> Service {
    ecs.create_cluster()
        .cluster_name("c")
        .send()
        .await
        .expect("CreateCluster");
    let out = ecs
        .create_service()
        .cluster("c")
        .service_name("api")
        .task_definition(task_definition)
        .desired_count(2)
        .launch_type(LaunchType::Fargate)
        .deployment_configuration(configuration)
        .send()
        .await
        .expect("CreateService");
    out.service().expect("service").clone()
}

async fn describe(ecs: &aws_sdk_ecs::Client, cluster: &str, name: &str) -> Service {
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await
        .expect("DescribeServices");
    out.services().first().expect("the service").clone()
}

async fn update(ecs: &aws_sdk_ecs::Client, task_definition: &str) -> Service {
    let out = ecs
        .update_service()
        .cluster("c")
        .service("api")
        .task_definition(task_definition)
        .send()
        .await
        .expect("UpdateService");
    out.service().expect("service").clone()
}

/// Polls DescribeServices until `done` holds; panics with the last state after DEADLINE.
async fn wait_for(
    ecs: &aws_sdk_ecs::Client,
    what: &str,
    done: impl Fn(&Service) -> bool,
) -> Service {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let service = describe(ecs, "c", "api").await;
        if done(&service) {
            return service;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last state:\n{service:#?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

fn primary(service: &Service) -> &Deployment {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .unwrap_or_else(|| panic!("no PRIMARY deployment: {service:#?}"))
}

fn primary_completed_on(service: &Service, task_definition: &str) -> bool {
    service.deployments().iter().any(|d| {
        d.status() == Some("PRIMARY")
            && d.task_definition() == Some(task_definition)
            && d.rollout_state() == Some(&DeploymentRolloutState::Completed)
    })
}

fn messages(service: &Service) -> Vec<String> {
    service
        .events()
        .iter()
        .filter_map(|e| e.message().map(str::to_string))
        .collect()
}

/// Creates the service on `td` and waits for its first rollout to complete.
async fn create_and_settle(
    ecs: &aws_sdk_ecs::Client,
    td: &str,
    configuration: DeploymentConfiguration,
) -> Service {
    let created = create_service(ecs, td, configuration).await;
    assert_eq!(created.task_definition(), Some(td));
    let first = describe(ecs, "c", "api").await;
    assert_eq!(first.deployments().len(), 1, "{first:#?}");
    let deployment = primary(&first);
    assert!(
        deployment.id().unwrap_or("").starts_with("ecs-svc/"),
        "{deployment:#?}"
    );
    assert_eq!(deployment.task_definition(), Some(td));
    assert_eq!(deployment.launch_type(), Some(&LaunchType::Fargate));
    assert!(deployment.created_at().is_some() && deployment.updated_at().is_some());
    if deployment.rollout_state() == Some(&DeploymentRolloutState::InProgress) {
        assert_eq!(deployment.running_count(), 0, "{deployment:#?}");
        assert_eq!(deployment.pending_count(), 2, "{deployment:#?}");
        assert_eq!(first.running_count(), 0, "{first:#?}");
    } else {
        // Only if this machine was very slow between CreateService and the describe.
        assert_eq!(
            deployment.rollout_state(),
            Some(&DeploymentRolloutState::Completed)
        );
    }

    let settled = wait_for(ecs, "the first rollout to complete", |s| {
        primary_completed_on(s, td)
    })
    .await;
    assert_eq!(settled.running_count(), 2, "{settled:#?}");
    assert_eq!(settled.pending_count(), 0, "{settled:#?}");
    assert_eq!(primary(&settled).running_count(), 2);
    let events = messages(&settled);
    assert!(
        events
            .first()
            .is_some_and(|m| m == "(service api) has reached a steady state."),
        "events, newest first: {events:?}"
    );
    assert!(settled
        .events()
        .iter()
        .all(|e| e.id().is_some() && e.created_at().is_some()));
    settled
}

#[tokio::test]
async fn ecs_broken_image_fails_and_rolls_back() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")]);
    let ecs = emulator.ecs().await;
    let good = register(&ecs, "api", "x:1").await;
    let broken = register(&ecs, "api", "x:broken").await;

    let settled = create_and_settle(&ecs, &good, deployment_configuration(true)).await;
    let good_deployment_id = primary(&settled).id().expect("id").to_string();

    let updated = update(&ecs, &broken).await;
    assert_eq!(updated.task_definition(), Some(broken.as_str()));
    let rolling = describe(&ecs, "c", "api").await;
    let new_primary = primary(&rolling);
    if new_primary.task_definition() == Some(broken.as_str()) {
        // Still rolling out (the normal case): the old deployment is ACTIVE and running.
        assert_eq!(
            new_primary.rollout_state(),
            Some(&DeploymentRolloutState::InProgress)
        );
        let active = rolling
            .deployments()
            .iter()
            .find(|d| d.status() == Some("ACTIVE"))
            .unwrap_or_else(|| panic!("no ACTIVE deployment: {rolling:#?}"));
        assert_eq!(active.id(), Some(good_deployment_id.as_str()));
        assert_eq!(active.running_count(), 2);
    }

    let rolled_back = wait_for(&ecs, "the rollback to complete", |s| {
        s.task_definition() == Some(good.as_str()) && primary_completed_on(s, &good)
    })
    .await;
    let failed = rolled_back
        .deployments()
        .iter()
        .find(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed))
        .unwrap_or_else(|| panic!("no FAILED deployment: {rolled_back:#?}"));
    assert_eq!(failed.task_definition(), Some(broken.as_str()));
    assert_eq!(failed.running_count(), 0);
    assert!(failed.failed_tasks() > 0, "{failed:#?}");
    assert_eq!(
        failed.rollout_state_reason(),
        Some("ECS deployment circuit breaker: tasks failed to start.")
    );
    assert_eq!(rolled_back.running_count(), 2, "{rolled_back:#?}");
    let failed_id = failed.id().expect("id");

    let events = messages(&rolled_back);
    let expected_failure =
        format!("(service api) (deployment {failed_id}) deployment failed: tasks failed to start.");
    let expected_rollback =
        format!("(service api) rolling back to deployment {good_deployment_id}.");
    assert!(events.contains(&expected_failure), "events: {events:?}");
    assert!(events.contains(&expected_rollback), "events: {events:?}");
    assert!(events.iter().any(|m| m.contains("rolling back")));
    // Newest first: the steady state after the rollback comes before the failure.
    let position = |m: &str| events.iter().position(|e| e == m).expect("event");
    assert!(position("(service api) has reached a steady state.") < position(&expected_failure));
    assert!(position(&expected_rollback) < position(&expected_failure));
}

#[tokio::test]
async fn ecs_broken_image_without_rollback_stays_failed() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")]);
    let ecs = emulator.ecs().await;
    let good = register(&ecs, "api", "x:1").await;
    let broken = register(&ecs, "api", "registry/x:broken").await;
    create_and_settle(&ecs, &good, deployment_configuration(false)).await;

    update(&ecs, &broken).await;
    let failed = wait_for(&ecs, "the deployment to fail", |s| {
        primary(s).rollout_state() == Some(&DeploymentRolloutState::Failed)
    })
    .await;
    assert_eq!(failed.task_definition(), Some(broken.as_str()));
    assert_eq!(primary(&failed).task_definition(), Some(broken.as_str()));
    assert_eq!(primary(&failed).running_count(), 0);
    // The previous deployment keeps running its tasks.
    let active = failed
        .deployments()
        .iter()
        .find(|d| d.status() == Some("ACTIVE"))
        .unwrap_or_else(|| panic!("no ACTIVE deployment: {failed:#?}"));
    assert_eq!(active.task_definition(), Some(good.as_str()));
    assert_eq!(active.running_count(), 2);
    assert_eq!(failed.running_count(), 2);
    let events = messages(&failed);
    assert!(
        !events.iter().any(|m| m.contains("rolling back")),
        "events: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|m| m.contains("deployment failed: tasks failed to start.")),
        "events: {events:?}"
    );
}

#[tokio::test]
async fn ecs_good_update_completes_and_drops_the_old_deployment() {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")]);
    let ecs = emulator.ecs().await;
    let v1 = register(&ecs, "api", "x:1").await;
    let v2 = register(&ecs, "api", "x:2").await;
    let settled = create_and_settle(&ecs, &v1, deployment_configuration(true)).await;
    let old_id = primary(&settled).id().expect("id").to_string();

    let updated = update(&ecs, &v2).await;
    assert_eq!(updated.task_definition(), Some(v2.as_str()));

    let done = wait_for(&ecs, "the update to complete", |s| {
        primary_completed_on(s, &v2)
    })
    .await;
    assert_eq!(done.task_definition(), Some(v2.as_str()));
    assert_eq!(done.deployments().len(), 1, "{done:#?}");
    assert_ne!(primary(&done).id(), Some(old_id.as_str()));
    assert_eq!(done.running_count(), 2);
    assert_eq!(done.pending_count(), 0);
    let events = messages(&done);
    assert_eq!(
        events.first().map(String::as_str),
        Some("(service api) has reached a steady state."),
        "events: {events:?}"
    );
    let new_id = primary(&done).id().expect("id");
    assert!(
        events.contains(&format!(
            "(service api) (deployment {new_id}) deployment completed."
        )),
        "events: {events:?}"
    );

    // ListServices advances state too, and the cluster counts the service's tasks.
    let listed = ecs
        .list_services()
        .cluster("c")
        .send()
        .await
        .expect("ListServices");
    assert_eq!(listed.service_arns().len(), 1);
    let clusters = ecs
        .describe_clusters()
        .clusters("c")
        .send()
        .await
        .expect("DescribeClusters");
    let cluster = clusters.clusters().first().expect("cluster");
    assert_eq!(cluster.running_tasks_count(), 2);
    assert_eq!(cluster.pending_tasks_count(), 0);
}

#[tokio::test]
async fn ecs_create_service_keeps_its_deployment_configuration() {
    let emulator = Emulator::start_realistic(&[]);
    let ecs = emulator.ecs().await;
    let td = register(&ecs, "api", "x:1").await;
    ecs.create_cluster()
        .cluster_name("c")
        .send()
        .await
        .expect("CreateCluster");
    let configuration = DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(true)
                .build(),
        )
        .maximum_percent(150)
        .minimum_healthy_percent(50)
        .build();
    let created = ecs
        .create_service()
        .cluster("c")
        .service_name("api")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .deployment_configuration(configuration)
        .enable_execute_command(true)
        .health_check_grace_period_seconds(45)
        .send()
        .await
        .expect("CreateService");

    for service in [
        created.service().expect("service").clone(),
        describe(&ecs, "c", "api").await,
    ] {
        let config = service
            .deployment_configuration()
            .unwrap_or_else(|| panic!("no deploymentConfiguration: {service:#?}"));
        let breaker = config
            .deployment_circuit_breaker()
            .expect("deploymentCircuitBreaker");
        assert!(breaker.enable() && breaker.rollback(), "{config:#?}");
        assert_eq!(config.maximum_percent(), Some(150));
        assert_eq!(config.minimum_healthy_percent(), Some(50));
        assert!(service.enable_execute_command());
        assert_eq!(service.health_check_grace_period_seconds(), Some(45));
    }

    // Without one, ECS's defaults are reported.
    ecs.create_service()
        .cluster("c")
        .service_name("worker")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .send()
        .await
        .expect("CreateService");
    let worker = describe(&ecs, "c", "worker").await;
    let config = worker
        .deployment_configuration()
        .expect("default deploymentConfiguration");
    assert_eq!(config.maximum_percent(), Some(200));
    assert_eq!(config.minimum_healthy_percent(), Some(100));
    let breaker = config
        .deployment_circuit_breaker()
        .expect("deploymentCircuitBreaker");
    assert!(!breaker.enable() && !breaker.rollback());
}

// ---------------------------------------------------------------------------------------------
// Idempotent creates
// ---------------------------------------------------------------------------------------------

/// (error code, HTTP status, message) of a call that AWS answered with an error.
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

/// A VPC with two subnets (in two zones): (subnet a, subnet b).
async fn two_subnets(ec2: &aws_sdk_ec2::Client) -> (String, String) {
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
    for (cidr, zone) in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")] {
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
    (subnets[0].clone(), subnets[1].clone())
}

async fn create_load_balancer(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    name: &str,
    subnets: &[&str],
) -> String {
    let mut request = elb.create_load_balancer().name(name);
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

fn fixed_response(status: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code(status)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn elb_create_load_balancer_is_idempotent() {
    let emulator = Emulator::start_realistic(&[]);
    let (a, b) = two_subnets(&emulator.ec2().await).await;
    let elb = emulator.elb().await;

    let first = create_load_balancer(&elb, "web", &[&a, &b]).await;
    // The same settings (subnets in another order): the same load balancer.
    let again = create_load_balancer(&elb, "web", &[&b, &a]).await;
    assert_eq!(again, first);
    let listed = elb
        .describe_load_balancers()
        .send()
        .await
        .expect("DescribeLoadBalancers");
    let arns: Vec<_> = listed
        .load_balancers()
        .iter()
        .filter_map(|lb| lb.load_balancer_arn())
        .collect();
    assert_eq!(arns, [first.as_str()]);

    // Other subnets: AWS refuses the name.
    let (code, status, message) = service_error(
        elb.create_load_balancer()
            .name("web")
            .subnets(&a)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), status, message.as_str()),
        (
            "DuplicateLoadBalancerName",
            400,
            "A load balancer with the same name 'web' exists, but with different settings"
        )
    );
    let listed = elb
        .describe_load_balancers()
        .send()
        .await
        .expect("DescribeLoadBalancers");
    assert_eq!(listed.load_balancers().len(), 1);
}

#[tokio::test]
async fn elb_create_listener_is_idempotent() {
    let emulator = Emulator::start_realistic(&[]);
    let (a, b) = two_subnets(&emulator.ec2().await).await;
    let elb = emulator.elb().await;
    let lb = create_load_balancer(&elb, "web", &[&a, &b]).await;

    let create = |status: &'static str| {
        elb.create_listener()
            .load_balancer_arn(&lb)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(fixed_response(status))
            .send()
    };
    let arn_of =
        |out: aws_sdk_elasticloadbalancingv2::operation::create_listener::CreateListenerOutput| {
            out.listeners()
                .first()
                .and_then(|l| l.listener_arn())
                .expect("ListenerArn")
                .to_string()
        };
    let first = arn_of(create("404").await.expect("CreateListener"));
    let again = arn_of(create("404").await.expect("CreateListener again"));
    assert_eq!(again, first);
    let listed = elb
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await
        .expect("DescribeListeners");
    let arns: Vec<_> = listed
        .listeners()
        .iter()
        .filter_map(|l| l.listener_arn())
        .collect();
    assert_eq!(arns, [first.as_str()]);

    // Another default action on the same port: AWS refuses it.
    let (code, status, message) = service_error(create("503").await);
    assert_eq!(
        (code.as_str(), status, message.as_str()),
        (
            "DuplicateListener",
            400,
            "A listener already exists on this port for this load balancer"
        )
    );
    let listed = elb
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await
        .expect("DescribeListeners");
    assert_eq!(listed.listeners().len(), 1);
}

#[tokio::test]
async fn ecs_create_cluster_returns_the_existing_cluster() {
    let emulator = Emulator::start_realistic(&[]);
    let ecs = emulator.ecs().await;
    let insights = ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value("enabled")
        .build();
    let tag = aws_sdk_ecs::types::Tag::builder()
        .key("team")
        .value("web")
        .build();
    let first = ecs
        .create_cluster()
        .cluster_name("c")
        .settings(insights)
        .tags(tag)
        .send()
        .await
        .expect("CreateCluster")
        .cluster()
        .cloned()
        .expect("cluster");

    // A repeat without settings or tags gets the first cluster, unchanged.
    let again = ecs
        .create_cluster()
        .cluster_name("c")
        .send()
        .await
        .expect("CreateCluster again")
        .cluster()
        .cloned()
        .expect("cluster");
    let described = ecs
        .describe_clusters()
        .clusters("c")
        .include(ClusterField::Settings)
        .include(ClusterField::Tags)
        .send()
        .await
        .expect("DescribeClusters");
    let described = described.clusters().first().cloned().expect("cluster");
    for cluster in [&again, &described] {
        assert_eq!(cluster.cluster_arn(), first.cluster_arn());
        let settings: Vec<_> = cluster
            .settings()
            .iter()
            .map(|s| (s.name().map(|n| n.as_str().to_string()), s.value()))
            .collect();
        assert_eq!(
            settings,
            [(Some("containerInsights".to_string()), Some("enabled"))],
            "{cluster:#?}"
        );
    }
    let tags = ecs
        .list_tags_for_resource()
        .resource_arn(first.cluster_arn().expect("clusterArn"))
        .send()
        .await
        .expect("ListTagsForResource");
    let tags: Vec<_> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [(Some("team"), Some("web"))]);
    let listed = ecs.list_clusters().send().await.expect("ListClusters");
    assert_eq!(listed.cluster_arns().len(), 1);
}

// The Resource Groups Tagging API (tests/emulator_realism/tagging.rs).
#[path = "emulator_realism/tagging.rs"]
mod tagging;

// Teardown: lingering network interfaces (tests/emulator_realism/lingering.rs).
#[path = "emulator_realism/lingering.rs"]
mod lingering;
