//! Every kind puts right what was changed behind its back: after an `up`, fields of many
//! resources are changed with the SDK (and one resource deleted, and the environment file
//! edited once); `plan` names exactly those fields, marks each `drift` but the file's edit
//! (exit 2 with `--detailed-exitcode`, `in_sync: false` in `status`), `up` sends one
//! fitting call per change (checked in the emulator's recording), the resources read back
//! as desired (checked with the SDK), and the next `up` makes no mutating call. Resources
//! that merely share a prefix with ours are left alone.
mod support;

use std::collections::BTreeSet;
use support::inspect::{env_value, int};
use support::{Emulator, Workspace};

fn state_of(ws: &Workspace) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("staging.json")).unwrap())
        .unwrap()
}

fn physical(state: &serde_json::Value, id: &str) -> String {
    state["resources"][id]["physical_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{id} is not in state"))
        .to_string()
}

/// TCP on `port` from 0.0.0.0/0.
fn tcp_from_anywhere(port: i32) -> aws_sdk_ec2::types::IpPermission {
    aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .ip_ranges(
            aws_sdk_ec2::types::IpRange::builder()
                .cidr_ip("0.0.0.0/0")
                .build(),
        )
        .build()
}

/// TCP on `port` from the managed prefix list `list` (staging's load balancer admits only
/// CloudFront's origin-facing addresses, on 80).
fn tcp_from_prefix_list(port: i32, list: &str) -> aws_sdk_ec2::types::IpPermission {
    aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .prefix_list_ids(
            aws_sdk_ec2::types::PrefixListId::builder()
                .prefix_list_id(list)
                .build(),
        )
        .build()
}

/// The id of CloudFront's origin-facing prefix list.
async fn cloudfront_prefix_list(ec2: &aws_sdk_ec2::Client) -> String {
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
    lists.prefix_lists()[0]
        .prefix_list_id()
        .unwrap()
        .to_string()
}

fn output(state: &serde_json::Value, id: &str, name: &str) -> String {
    state["resources"][id]["outputs"][name]
        .as_str()
        .unwrap_or_else(|| panic!("{id} has no output {name}: {}", state["resources"]))
        .to_string()
}

#[tokio::test]
async fn changes_made_behind_macroctls_back_are_planned_field_by_field_and_put_right() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let logs = emulator.logs().await;
    // A log group whose name only starts with ours is not ours.
    logs.create_log_group()
        .log_group_name("/ecs/macro-ai-staging-api-worker")
        .send()
        .await
        .unwrap();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let state = state_of(&ws);
    let no_op = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    let no_op: serde_json::Value = serde_json::from_str(&no_op.stdout).unwrap();
    assert_eq!(no_op["has_drift"], false);

    // --- Change things behind macroctl's back. ---
    let ec2 = emulator.ec2().await;
    let vpc = physical(&state, "vpc");
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let subnet = physical(&state, "subnet-public-a");
    ec2.modify_subnet_attribute()
        .subnet_id(&subnet)
        .map_public_ip_on_launch(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let alb_group = physical(&state, "sg-alb");
    ec2.authorize_security_group_ingress()
        .group_id(&alb_group)
        .ip_permissions(tcp_from_anywhere(22))
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name("/ecs/macro-ai-staging-api")
        .retention_in_days(1)
        .send()
        .await
        .unwrap();
    let elb = emulator.elb().await;
    let target_group = physical(&state, "target-group-api");
    elb.modify_target_group()
        .target_group_arn(&target_group)
        .health_check_path("/elsewhere")
        .send()
        .await
        .unwrap();
    elb.modify_target_group_attributes()
        .target_group_arn(&target_group)
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("10")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let iam = emulator.iam().await;
    let execution_role = "macro-ai-staging-task-execution";
    let attached = iam
        .list_attached_role_policies()
        .role_name(execution_role)
        .send()
        .await
        .unwrap();
    let managed = attached.attached_policies()[0]
        .policy_arn()
        .unwrap()
        .to_string();
    iam.detach_role_policy()
        .role_name(execution_role)
        .policy_arn(&managed)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(execution_role)
        .policy_name("added-by-hand")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let ecr = emulator.ecr().await;
    ecr.put_lifecycle_policy()
        .repository_name("macro-ai-staging-api")
        .lifecycle_policy_text(
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":99},"action":{"type":"expire"}}]}"#,
        )
        .send()
        .await
        .unwrap();
    let cloudwatch = emulator.cloudwatch().await;
    let alarm_name = output(&state, "alarm-api-cpu", "name");
    let alarm = cloudwatch
        .describe_alarms()
        .alarm_names(&alarm_name)
        .send()
        .await
        .unwrap()
        .metric_alarms()[0]
        .clone();
    cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm_name)
        .set_alarm_description(alarm.alarm_description().map(str::to_string))
        .set_metric_name(alarm.metric_name().map(str::to_string))
        .set_namespace(alarm.namespace().map(str::to_string))
        .set_statistic(alarm.statistic().cloned())
        .set_dimensions(Some(alarm.dimensions().to_vec()))
        .set_period(alarm.period())
        .set_evaluation_periods(alarm.evaluation_periods())
        .set_comparison_operator(alarm.comparison_operator().cloned())
        .set_treat_missing_data(alarm.treat_missing_data().map(str::to_string))
        .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
        .set_ok_actions(Some(alarm.ok_actions().to_vec()))
        .threshold(99.5)
        .send()
        .await
        .unwrap();
    let autoscaling = emulator.autoscaling().await;
    autoscaling
        .register_scalable_target()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id("service/macro-ai-staging/api")
        .scalable_dimension(
            aws_sdk_applicationautoscaling::types::ScalableDimension::EcsServiceDesiredCount,
        )
        .max_capacity(9)
        .send()
        .await
        .unwrap();
    let cpu_policy = autoscaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .policy_names("macro-ai-staging-api-cpu")
        .send()
        .await
        .unwrap()
        .scaling_policies()
        .iter()
        .find(|policy| policy.policy_name() == "macro-ai-staging-api-cpu")
        .unwrap()
        .clone();
    let mut tracking = cpu_policy
        .target_tracking_scaling_policy_configuration()
        .unwrap()
        .clone();
    tracking.target_value = 55.5;
    autoscaling
        .put_scaling_policy()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id("service/macro-ai-staging/api")
        .scalable_dimension(
            aws_sdk_applicationautoscaling::types::ScalableDimension::EcsServiceDesiredCount,
        )
        .policy_name("macro-ai-staging-api-cpu")
        .policy_type(aws_sdk_applicationautoscaling::types::PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(tracking)
        .send()
        .await
        .unwrap();
    let rule = physical(&state, "listener-rule-api");
    elb.modify_rule()
        .rule_arn(&rule)
        .conditions(
            aws_sdk_elasticloadbalancingv2::types::RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    aws_sdk_elasticloadbalancingv2::types::PathPatternConditionConfig::builder()
                        .values("/elsewhere/*")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rds = emulator.rds().await;
    rds.modify_db_instance()
        .db_instance_identifier("macro-ai-staging-postgres")
        .backup_retention_period(35)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();

    // A rule removed, a count changed in the console, a tag removed, a resource deleted.
    let cloudfront = cloudfront_prefix_list(&ec2).await;
    ec2.revoke_security_group_ingress()
        .group_id(&alb_group)
        .ip_permissions(tcp_from_prefix_list(80, &cloudfront))
        .send()
        .await
        .unwrap();
    let ecs = emulator.ecs().await;
    ecs.update_service()
        .cluster("macro-ai-staging")
        .service("ui")
        .desired_count(5)
        .send()
        .await
        .unwrap();
    let public_b = physical(&state, "subnet-public-b");
    ec2.delete_tags()
        .resources(&public_b)
        .tags(aws_sdk_ec2::types::Tag::builder().key("Name").build())
        .send()
        .await
        .unwrap();
    let db_alarm = output(&state, "alarm-db-connections", "name");
    cloudwatch
        .delete_alarms()
        .alarm_names(&db_alarm)
        .send()
        .await
        .unwrap();
    // And one edit of the environment file: a difference, not drift.
    ws.edit_env("staging", |text| {
        text.replace("api_memory_percent = 85", "api_memory_percent = 86")
    });

    // --- plan names exactly what changed, and tells drift from the edit. ---
    ws.run(&["plan", "--env", "staging", "--detailed-exitcode"])
        .assert_code(2);
    let text = ws.run(&["plan", "--env", "staging"]);
    text.assert_success();
    assert!(
        text.stdout.contains(
            "ingress tcp 22 from 0.0.0.0/0: allowed → (absent) (drift: changed outside macroctl)"
        ),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Drift: "), "{}", text.stdout);
    let status = ws.run(&["status", "--env", "staging", "--output", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let resource_status = |status: &serde_json::Value, id: &str| {
        status["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|resource| resource["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in status"))
            .clone()
    };
    for (id, drift) in [
        ("sg-alb", true),
        ("service-ui", true),
        ("alarm-api-memory", false),
    ] {
        let resource = resource_status(&status, id);
        assert_eq!(resource["in_sync"], false, "{resource}");
        assert_eq!(resource["drift"], drift, "{resource}");
    }
    assert_eq!(status["healthy"], false);
    let plan = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    plan.assert_success();
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let changed: BTreeSet<(String, String)> = plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|resource| {
            let id = resource["id"].as_str().unwrap().to_string();
            resource["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |change| (id.clone(), change["field"].as_str().unwrap().to_string()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("vpc", "enable_dns_hostnames"),
        ("subnet-public-a", "map_public_ip_on_launch"),
        ("sg-alb", "ingress tcp 22 from 0.0.0.0/0"),
        ("log-group-api", "retention_days"),
        ("target-group-api", "health_check_path"),
        ("target-group-api", "deregistration_delay_seconds"),
        (
            "iam-task-execution-role",
            &format!("managed_policy {managed}"),
        ),
        ("iam-task-execution-role", "inline_policy added-by-hand"),
        ("ecr-api", "lifecycle_policy"),
        ("alarm-api-cpu", "threshold"),
        ("autoscaling-target-api", "max_capacity"),
        ("autoscaling-policy-api-cpu", "target_value"),
        ("listener-rule-api", "conditions"),
        ("database", "backup_retention_days"),
        ("sg-alb", &format!("ingress tcp 80 from {cloudfront}")),
        ("service-ui", "desired_count"),
        ("subnet-public-b", "tag Name"),
        ("alarm-api-memory", "threshold"),
    ]
    .iter()
    .map(|(id, field)| (id.to_string(), field.to_string()))
    .collect();
    assert_eq!(changed, expected);
    // Every change is drift but the environment file's edit; the deleted alarm is drift too.
    let resources = plan["resources"].as_array().unwrap();
    for resource in resources {
        let id = resource["id"].as_str().unwrap();
        for change in resource["changes"].as_array().unwrap() {
            let edited = id == "alarm-api-memory";
            assert_eq!(change["drift"], !edited, "{id}: {change}");
        }
        let expected_drift = match id {
            "alarm-api-memory" => false,
            "alarm-db-connections" => true,
            _ => !resource["changes"].as_array().unwrap().is_empty(),
        };
        assert_eq!(resource["drift"], expected_drift, "{resource}");
        let expected_action = match id {
            "alarm-db-connections" => "create",
            _ if resource["changes"].as_array().unwrap().is_empty() => "no-op",
            _ => "update",
        };
        assert_eq!(resource["action"], expected_action, "{resource}");
    }
    assert_eq!(plan["has_drift"], true);
    // Drift costs no read of its own: the same calls as the no-op plan (the deleted alarm is
    // looked for by name, in the same batched listing).
    assert_eq!(plan["api_calls"]["writes"], 0);
    assert!(
        plan["api_calls"]["reads"].as_u64() <= no_op["api_calls"]["reads"].as_u64(),
        "drifted plan: {}, no-op plan: {}",
        plan["api_calls"],
        no_op["api_calls"]
    );

    // --- up puts each right with one fitting call. ---
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let mut calls: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|call| call.action.clone())
        .collect();
    calls.sort();
    assert_eq!(
        calls,
        [
            "AttachRolePolicy",
            "AuthorizeSecurityGroupIngress",
            "CreateTags",
            "DeleteRolePolicy",
            "ModifyDBInstance",
            "ModifyRule",
            "ModifySubnetAttribute",
            "ModifyTargetGroup",
            "ModifyTargetGroupAttributes",
            "ModifyVpcAttribute",
            "PutLifecyclePolicy",
            // The edited threshold, the drifted one, the deleted alarm recreated.
            "PutMetricAlarm",
            "PutMetricAlarm",
            "PutMetricAlarm",
            "PutRetentionPolicy",
            "PutScalingPolicy",
            "RegisterScalableTarget",
            "RevokeSecurityGroupIngress",
            "UpdateService",
        ]
    );
    let hostnames = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hostnames.enable_dns_hostnames().unwrap().value(),
        Some(true)
    );
    let group = logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/macro-ai-staging-api")
        .send()
        .await
        .unwrap();
    for found in group.log_groups() {
        match found.log_group_name().unwrap() {
            "/ecs/macro-ai-staging-api" => assert_eq!(
                i64::from(found.retention_in_days().unwrap()),
                int(env_value(
                    &ws,
                    "staging",
                    &["monitoring", "log_retention_days"]
                ))
            ),
            // The look-alike keeps what it had: nothing set, no macroctl tags.
            other => {
                assert_eq!(other, "/ecs/macro-ai-staging-api-worker");
                assert_eq!(found.retention_in_days(), None);
                let tags = logs
                    .list_tags_for_resource()
                    .resource_arn(found.arn().unwrap().trim_end_matches(":*"))
                    .send()
                    .await
                    .unwrap();
                assert!(tags.tags().is_none_or(|tags| tags.is_empty()), "{tags:?}");
            }
        }
    }
    let groups = elb
        .describe_target_group_attributes()
        .target_group_arn(&target_group)
        .send()
        .await
        .unwrap();
    let delay = groups
        .attributes()
        .iter()
        .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
        .and_then(|a| a.value())
        .unwrap()
        .to_string();
    assert_eq!(delay, "30");
    let inline = iam
        .list_role_policies()
        .role_name(execution_role)
        .send()
        .await
        .unwrap();
    assert!(!inline
        .policy_names()
        .iter()
        .any(|name| name == "added-by-hand"));
    let alarm = cloudwatch
        .describe_alarms()
        .alarm_names(&alarm_name)
        .send()
        .await
        .unwrap();
    assert_ne!(alarm.metric_alarms()[0].threshold(), Some(99.5));
    let db = rds
        .describe_db_instances()
        .db_instance_identifier("macro-ai-staging-postgres")
        .send()
        .await
        .unwrap();
    assert_eq!(
        i64::from(db.db_instances()[0].backup_retention_period().unwrap()),
        int(env_value(
            &ws,
            "staging",
            &["database", "backup_retention_days"]
        ))
    );

    let ui = ecs
        .describe_services()
        .cluster("macro-ai-staging")
        .services("ui")
        .send()
        .await
        .unwrap();
    assert_eq!(
        i64::from(ui.services()[0].desired_count()),
        int(env_value(
            &ws,
            "staging",
            &["services", "ui", "desired_count"]
        ))
    );
    let subnet_tags = ec2
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(&public_b)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        subnet_tags
            .tags()
            .iter()
            .any(|tag| tag.key() == Some("Name")),
        "{subnet_tags:?}"
    );
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_names(&db_alarm)
        .alarm_names(output(&state, "alarm-api-memory", "name"))
        .send()
        .await
        .unwrap();
    let thresholds: Vec<(String, f64)> = alarms
        .metric_alarms()
        .iter()
        .map(|alarm| {
            (
                alarm.alarm_name().unwrap().to_string(),
                alarm.threshold().unwrap(),
            )
        })
        .collect();
    assert_eq!(thresholds.len(), 2, "{thresholds:?}");
    assert!(thresholds.contains(&(output(&state, "alarm-api-memory", "name"), 86.0)));
    let alb = ec2
        .describe_security_groups()
        .group_ids(&alb_group)
        .send()
        .await
        .unwrap();
    let ports: BTreeSet<i32> = alb.security_groups()[0]
        .ip_permissions()
        .iter()
        .filter_map(|permission| permission.from_port())
        .collect();
    assert_eq!(ports, BTreeSet::from([80]));

    // --- Converged: no drift, nothing to change, no mutating call. ---
    ws.run(&["plan", "--env", "staging", "--detailed-exitcode"])
        .assert_code(0);
    let status = ws.run(&["status", "--env", "staging", "--output", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    for resource in status["resources"].as_array().unwrap() {
        assert_eq!(resource["in_sync"], true, "{resource}");
        assert_eq!(resource["drift"], false, "{resource}");
    }
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert_eq!(emulator.mutating_calls(), Vec::new());
}
