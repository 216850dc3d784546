//! Changes to the application layer: `up` leaves traffic where ECS's blue/green deployment
//! shifted it, a certificate gives HTTPS, and an image change is exactly one new task
//! definition revision and one service update.
mod support;

use support::inspect::*;
use support::{Emulator, Workspace};

/// After a blue/green deployment ECS serves production from the alternate target group: it
/// has swapped the service's pair of target groups and moved the rule's weights. `up` leaves
/// that alone, also when it changes the service for an image.
#[tokio::test]
async fn prod_up_leaves_traffic_where_ecs_shifted_it() {
    use aws_sdk_ecs::types::{AdvancedConfiguration, LoadBalancer};
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple,
    };
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
    let (elb, ecs) = (emulator.elb().await, emulator.ecs().await);

    // Do what ECS does at the end of a deployment, for the UI.
    let live = ecs
        .describe_services()
        .cluster("macro-ai-prod")
        .services("ui")
        .send()
        .await
        .unwrap();
    let lb = &live.services()[0].load_balancers()[0];
    let advanced = lb.advanced_configuration().unwrap();
    let (blue, green) = (
        lb.target_group_arn().unwrap().to_string(),
        advanced.alternate_target_group_arn().unwrap().to_string(),
    );
    let rule = advanced.production_listener_rule().unwrap().to_string();
    ecs.update_service()
        .cluster("macro-ai-prod")
        .service("ui")
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(&green)
                .container_name("ui")
                .container_port(3000)
                .advanced_configuration(
                    AdvancedConfiguration::builder()
                        .alternate_target_group_arn(&blue)
                        .production_listener_rule(&rule)
                        .role_arn(advanced.role_arn().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let weight = |arn: &str, weight: i32| {
        TargetGroupTuple::builder()
            .target_group_arn(arn)
            .weight(weight)
            .build()
    };
    elb.modify_rule()
        .rule_arn(&rule)
        .actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .forward_config(
                    ForwardActionConfig::builder()
                        .target_groups(weight(&blue, 0))
                        .target_groups(weight(&green, 100))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let weights = || {
        let elb = elb.clone();
        let rule = rule.clone();
        async move {
            let rules = elb.describe_rules().rule_arns(rule).send().await.unwrap();
            forward_targets(&rules.rules()[0])
        }
    };
    let shifted = weights().await;
    assert!(shifted.contains(&(green.clone(), Some(100))), "{shifted:?}");

    emulator.reset_recording();
    ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );

    // A new image: one revision and one UpdateService that leaves the load balancer alone.
    ws.edit_env("prod", |text| {
        let marker = "[services.ui]";
        assert!(text.contains(marker));
        text.replace(
            marker,
            &format!("{marker}\nimage = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-prod-ui:7.0.0\""),
        )
    });
    emulator.reset_recording();
    ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
    let calls: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert_eq!(
        calls,
        ["RegisterTaskDefinition", "UpdateService"],
        "{calls:?}"
    );
    let update = &emulator.recorded_json("UpdateService")[0];
    assert!(update["loadBalancers"].is_null(), "{update}");
    assert_eq!(update["deploymentConfiguration"]["strategy"], "BLUE_GREEN");
    assert_eq!(weights().await, shifted);
    let live = ecs
        .describe_services()
        .cluster("macro-ai-prod")
        .services("ui")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.services()[0].load_balancers()[0].target_group_arn(),
        Some(green.as_str())
    );
}

/// With a certificate: HTTPS on 443 with it (TLS 1.2+), HTTP on 80 only redirects there, and
/// the `/api/*` rule is on the 443 listener.
#[tokio::test]
async fn a_certificate_gives_https_on_443_and_a_redirect_on_80() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    // moto only accepts a certificate it issued, under an ARN of its choosing: the brief's
    // `arn:aws:acm:us-east-1:123456789012:certificate/abc` fails with CertificateNotFound.
    let certificate = emulator.acm_certificate("staging.example.com");
    assert!(certificate.starts_with("arn:aws:acm:us-east-1:123456789012:certificate/"));
    ws.edit_env("staging", |text| {
        let marker = "# certificate_arn = ";
        assert!(text.contains(marker));
        text.replacen(
            marker,
            &format!("certificate_arn = \"{certificate}\"\n# "),
            1,
        )
    });
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();

    let elb = emulator.elb().await;
    let lbs = elb
        .describe_load_balancers()
        .names("macro-ai-staging")
        .send()
        .await
        .unwrap();
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(lbs.load_balancers()[0].load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let listeners = listeners.listeners();
    assert_eq!(listeners.len(), 2, "{listeners:#?}");
    let https = listeners.iter().find(|l| l.port() == Some(443)).unwrap();
    assert_eq!(https.protocol().map(|p| p.as_str()), Some("HTTPS"));
    let certificates: Vec<&str> = https
        .certificates()
        .iter()
        .filter_map(|c| c.certificate_arn())
        .collect();
    assert_eq!(certificates, [certificate.as_str()]);
    assert_eq!(
        https.ssl_policy(),
        Some("ELBSecurityPolicy-TLS13-1-2-2021-06")
    );
    let http = listeners.iter().find(|l| l.port() == Some(80)).unwrap();
    assert_eq!(http.protocol().map(|p| p.as_str()), Some("HTTP"));
    let redirect = http.default_actions()[0].redirect_config().unwrap();
    assert_eq!(redirect.protocol(), Some("HTTPS"));
    assert_eq!(redirect.port(), Some("443"));
    assert_eq!(redirect.status_code().map(|c| c.as_str()), Some("HTTP_301"));

    let tgs = elb
        .describe_target_groups()
        .names("macro-ai-staging-api")
        .send()
        .await
        .unwrap();
    let api_target = tgs.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let custom_rules = |listener: &aws_sdk_elasticloadbalancingv2::types::Listener| {
        let elb = elb.clone();
        let arn = listener.listener_arn().unwrap().to_string();
        async move {
            let rules = elb.describe_rules().listener_arn(arn).send().await.unwrap();
            rules
                .rules()
                .iter()
                .filter(|r| r.is_default() != Some(true))
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    let on_443 = custom_rules(https).await;
    assert_eq!(on_443.len(), 1, "{on_443:#?}");
    assert_eq!(path_patterns(&on_443[0]), ["/api/*"]);
    assert_eq!(forward_targets(&on_443[0]), [(api_target, None)]);
    assert!(custom_rules(http).await.is_empty(), "80 only redirects");

    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
}

#[tokio::test]
async fn an_image_change_is_one_revision_and_one_service_update() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    ws.edit_env("dev", |text| {
        let marker = "[services.ui]";
        assert!(text.contains(marker));
        text.replace(
            marker,
            &format!("{marker}\nimage = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-ui:7.0.0\""),
        )
    });
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let calls: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert_eq!(
        calls,
        ["RegisterTaskDefinition", "UpdateService"],
        "{calls:?}"
    );
    let ecs = emulator.ecs().await;
    let services = ecs
        .describe_services()
        .cluster("macro-ai-dev")
        .services("ui")
        .send()
        .await
        .unwrap();
    let definition = ecs
        .describe_task_definition()
        .task_definition(services.services()[0].task_definition().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        definition
            .task_definition()
            .unwrap()
            .container_definitions()[0]
            .image(),
        Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-dev-ui:7.0.0")
    );
}
