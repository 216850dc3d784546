//! The application layer end to end: IAM, ECR, logs, ECS, the load balancer, auto scaling and
//! alarms per environment, checked through independent SDK calls; least privilege and no
//! plain-text secrets; an image change is one new revision and one service update.
mod support;

use std::collections::BTreeSet;
use support::inspect::*;
use support::{Emulator, Workspace};

async fn check_app_inventory(env: &str) {
    check_app_inventory_on(Emulator::start(), env).await;
}

async fn check_app_inventory_on(emulator: Emulator, env: &str) {
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", env, "--yes"]).assert_success();
    let prefix = format!("macro-ai-{env}");
    let secrets = emulator.secretsmanager().await;
    let secret_arn = |name: &str| {
        let secrets = secrets.clone();
        let id = format!("macro-ai/{env}/{name}");
        async move {
            secrets
                .describe_secret()
                .secret_id(id)
                .send()
                .await
                .unwrap()
                .arn()
                .unwrap()
                .to_string()
        }
    };
    let env_secrets: BTreeSet<String> =
        BTreeSet::from([secret_arn("db-credentials").await, secret_arn("api").await]);

    // IAM: trust, managed policy, least privilege.
    let iam = emulator.iam().await;
    let execution = iam
        .get_role()
        .role_name(format!("{prefix}-task-execution"))
        .send()
        .await
        .unwrap();
    let trust = decode(
        execution
            .role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap(),
    );
    assert!(trust.to_string().contains("ecs-tasks.amazonaws.com"));
    let attached = iam
        .list_attached_role_policies()
        .role_name(format!("{prefix}-task-execution"))
        .send()
        .await
        .unwrap();
    assert!(attached
        .attached_policies()
        .iter()
        .any(|p| p.policy_name() == Some("AmazonECSTaskExecutionRolePolicy")));
    for role in ["task-execution", "api-task", "ui-task"] {
        for (actions, resources) in statements(&iam, &format!("{prefix}-{role}")).await {
            if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                assert_eq!(actions, ["secretsmanager:GetSecretValue"], "{role}");
                assert!(
                    !resources.contains(&"*".to_string()),
                    "{role} grants secrets on *"
                );
                assert_eq!(
                    resources.iter().cloned().collect::<BTreeSet<_>>(),
                    env_secrets,
                    "{role}"
                );
            }
        }
    }
    let api_actions: BTreeSet<String> = statements(&iam, &format!("{prefix}-api-task"))
        .await
        .into_iter()
        .flat_map(|(actions, _)| actions)
        .collect();
    for action in [
        "xray:PutTraceSegments",
        "xray:GetSamplingTargets",
        "cognito-idp:AdminGetUser",
        "cognito-idp:InitiateAuth",
    ] {
        assert!(api_actions.contains(action), "api task role lacks {action}");
    }
    let ui_actions: BTreeSet<String> = statements(&iam, &format!("{prefix}-ui-task"))
        .await
        .into_iter()
        .flat_map(|(actions, _)| actions)
        .collect();
    assert!(
        ui_actions.iter().all(|a| a.starts_with("xray:")),
        "ui: {ui_actions:?}"
    );

    // ECR.
    let ecr = emulator.ecr().await;
    for service in ["api", "ui"] {
        let repos = ecr
            .describe_repositories()
            .repository_names(format!("{prefix}-{service}"))
            .send()
            .await
            .unwrap();
        let repo = &repos.repositories()[0];
        assert_eq!(
            repo.image_scanning_configuration()
                .map(|c| c.scan_on_push()),
            Some(true)
        );
        let lifecycle = ecr
            .get_lifecycle_policy()
            .repository_name(format!("{prefix}-{service}"))
            .send()
            .await
            .unwrap();
        let policy: serde_json::Value =
            serde_json::from_str(lifecycle.lifecycle_policy_text().unwrap()).unwrap();
        assert_eq!(
            policy["rules"][0]["selection"]["countNumber"].as_i64(),
            Some(int(env_value(&ws, env, &["deployment", "ecr_keep_images"])))
        );
    }

    // Logs.
    let logs = emulator.logs().await;
    let retention = int(env_value(&ws, env, &["monitoring", "log_retention_days"]));
    for service in ["api", "ui"] {
        let name = format!("/ecs/{prefix}-{service}");
        let groups = logs
            .describe_log_groups()
            .log_group_name_prefix(&name)
            .send()
            .await
            .unwrap();
        let group = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name.as_str()))
            .unwrap();
        assert_eq!(group.retention_in_days().map(i64::from), Some(retention));
    }

    // Load balancer, target groups, listener and rule.
    let elb = emulator.elb().await;
    let lbs = elb
        .describe_load_balancers()
        .names(&prefix)
        .send()
        .await
        .unwrap();
    let lb = &lbs.load_balancers()[0];
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let lb_arn = lb.load_balancer_arn().unwrap().to_string();
    let mut target_groups = std::collections::BTreeMap::new();
    for (service, port, path) in [("api", 3040, "/api/health"), ("ui", 3000, "/")] {
        let tgs = elb
            .describe_target_groups()
            .names(format!("{prefix}-{service}"))
            .send()
            .await
            .unwrap();
        let tg = &tgs.target_groups()[0];
        assert_eq!(tg.port(), Some(port));
        assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
        assert_eq!(tg.health_check_path(), Some(path));
        let attributes = elb
            .describe_target_group_attributes()
            .target_group_arn(tg.target_group_arn().unwrap())
            .send()
            .await
            .unwrap();
        let delay = attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value());
        assert_eq!(delay, Some("30"), "{service}");
        target_groups.insert(service, tg.target_group_arn().unwrap().to_string());
    }
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    let http = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(80))
        .unwrap();
    let forward = http.default_actions()[0]
        .target_group_arn()
        .map(str::to_string)
        .or_else(|| {
            http.default_actions()[0]
                .forward_config()
                .and_then(|f| f.target_groups().first())
                .and_then(|t| t.target_group_arn().map(str::to_string))
        });
    assert_eq!(forward.as_deref(), Some(target_groups["ui"].as_str()));
    let rules = elb
        .describe_rules()
        .listener_arn(http.listener_arn().unwrap())
        .send()
        .await
        .unwrap();
    let api_rule = rules
        .rules()
        .iter()
        .find(|r| {
            r.conditions()
                .iter()
                .any(|c| format!("{c:?}").contains("/api/*"))
        })
        .expect("a /api/* rule");
    assert!(format!("{:?}", api_rule.actions()).contains(&target_groups["api"]));

    // ECS: cluster, task definitions, services.
    let ecs = emulator.ecs().await;
    let cpu = env_value(&ws, env, &["services", "api", "cpu"])
        .as_integer()
        .unwrap()
        .to_string();
    let memory = env_value(&ws, env, &["services", "api", "memory_mib"])
        .as_integer()
        .unwrap()
        .to_string();
    let desired = int(env_value(&ws, env, &["services", "api", "desired_count"])) as i32;
    let all_secret_values: Vec<String> = {
        let mut values = Vec::new();
        for name in ["db-credentials", "api"] {
            let text = secrets
                .get_secret_value()
                .secret_id(format!("macro-ai/{env}/{name}"))
                .send()
                .await
                .unwrap()
                .secret_string()
                .unwrap()
                .to_string();
            let object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text).unwrap();
            values.extend(
                object
                    .values()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .filter(|v| v.len() > 20),
            );
        }
        values
    };
    for (service, port) in [("api", 3040), ("ui", 3000)] {
        let services = ecs
            .describe_services()
            .cluster(&prefix)
            .services(service)
            .send()
            .await
            .unwrap();
        let live = &services.services()[0];
        assert_eq!(live.desired_count(), desired, "{service}");
        // On Fargate through capacity providers (Fargate Spot, issue 13), not a launch type.
        let providers: Vec<&str> = (live.capacity_provider_strategy().iter())
            .map(|item| item.capacity_provider())
            .collect();
        assert!(
            !providers.is_empty() && providers.iter().all(|p| p.starts_with("FARGATE")),
            "{service}: {providers:?}"
        );
        let deployment = live.deployment_configuration().unwrap();
        let breaker = deployment.deployment_circuit_breaker().unwrap();
        assert!(breaker.enable() && breaker.rollback());
        assert_eq!(deployment.maximum_percent(), Some(200));
        assert_eq!(deployment.minimum_healthy_percent(), Some(100));
        assert!(live.enable_execute_command());
        assert!(live.health_check_grace_period_seconds().is_some());
        assert_eq!(
            live.load_balancers()[0].target_group_arn(),
            Some(target_groups[service].as_str())
        );
        assert_eq!(live.load_balancers()[0].container_port(), Some(port));
        let vpc = live
            .network_configuration()
            .unwrap()
            .awsvpc_configuration()
            .unwrap();
        let public = env == "dev";
        assert_eq!(
            vpc.assign_public_ip().map(|a| a.as_str()),
            Some(if public { "ENABLED" } else { "DISABLED" })
        );

        let definition = ecs
            .describe_task_definition()
            .task_definition(live.task_definition().unwrap())
            .send()
            .await
            .unwrap();
        let definition = definition.task_definition().unwrap();
        assert_eq!(definition.cpu(), Some(cpu.as_str()));
        assert_eq!(definition.memory(), Some(memory.as_str()));
        assert_eq!(
            definition
                .runtime_platform()
                .and_then(|p| p.cpu_architecture())
                .map(|a| a.as_str()),
            Some("ARM64")
        );
        assert_eq!(
            definition.network_mode().map(|m| m.as_str()),
            Some("awsvpc")
        );
        assert!(definition
            .execution_role_arn()
            .unwrap()
            .ends_with(&format!("{prefix}-task-execution")));
        assert!(definition
            .task_role_arn()
            .unwrap()
            .ends_with(&format!("{prefix}-{service}-task")));
        let text = format!("{definition:?}");
        for value in &all_secret_values {
            assert!(
                !text.contains(value.as_str()),
                "a secret value is in the {service} task definition"
            );
        }
        let main = definition
            .container_definitions()
            .iter()
            .find(|c| c.name() == Some(service))
            .unwrap();
        assert_eq!(main.port_mappings()[0].container_port(), Some(port));
        let environment: BTreeSet<(String, String)> = main
            .environment()
            .iter()
            .map(|p| {
                (
                    p.name().unwrap().to_string(),
                    p.value().unwrap().to_string(),
                )
            })
            .collect();
        assert!(environment.contains(&("NODE_ENV".into(), "production".into())));
        assert!(environment
            .iter()
            .all(|(name, _)| name != "_X_AMZN_TRACE_ID"));
        let log = main.log_configuration().unwrap();
        assert_eq!(log.log_driver().as_str(), "awslogs");
        assert_eq!(
            log.options()
                .unwrap()
                .get("awslogs-group")
                .map(String::as_str),
            Some(format!("/ecs/{prefix}-{service}").as_str())
        );
        if service == "api" {
            assert!(environment
                .iter()
                .any(|(name, _)| name == "AWS_XRAY_TRACING_NAME"));
            let secret_refs: BTreeSet<&str> = main.secrets().iter().map(|s| s.name()).collect();
            for name in [
                "DATABASE_PASSWORD",
                "API_KEY",
                "COOKIE_ENCRYPTION_KEY",
                "OPENAI_API_KEY",
            ] {
                assert!(
                    secret_refs.contains(name),
                    "{name} injected from Secrets Manager"
                );
            }
            assert!(main.secrets().iter().all(|s| env_secrets
                .iter()
                .any(|arn| s.value_from().starts_with(arn))));
            let xray = definition
                .container_definitions()
                .iter()
                .find(|c| c.name() == Some("xray-daemon"))
                .unwrap();
            assert_eq!(xray.cpu(), 32);
            assert_eq!(xray.memory(), Some(32));
            assert_eq!(xray.essential(), Some(false));
            assert_eq!(xray.port_mappings()[0].container_port(), Some(2000));
            assert_eq!(
                xray.port_mappings()[0].protocol().map(|p| p.as_str()),
                Some("udp")
            );
        } else {
            assert!(main.secrets().is_empty(), "the UI gets no secrets");
        }
    }

    // Auto scaling for the API.
    let autoscaling = emulator.autoscaling().await;
    let targets = autoscaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_ids(format!("service/{prefix}/api"))
        .send()
        .await
        .unwrap();
    let target = &targets.scalable_targets()[0];
    assert_eq!(
        target.min_capacity() as i64,
        int(env_value(&ws, env, &["autoscaling", "min_capacity"]))
    );
    assert_eq!(
        target.max_capacity() as i64,
        int(env_value(&ws, env, &["autoscaling", "max_capacity"]))
    );
    let policies = autoscaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(format!("service/{prefix}/api"))
        .send()
        .await
        .unwrap();
    let mut targets_seen = BTreeSet::new();
    for policy in policies.scaling_policies() {
        let config = policy
            .target_tracking_scaling_policy_configuration()
            .unwrap();
        targets_seen.insert(config.target_value() as i64);
        if config.target_value() as i64 == 70 {
            assert_eq!(config.scale_in_cooldown(), Some(300));
            assert_eq!(config.scale_out_cooldown(), Some(120));
        }
    }
    assert_eq!(targets_seen, BTreeSet::from([70, 80]));

    // Alarms, where the environment has them.
    let cloudwatch = emulator.cloudwatch().await;
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("{prefix}-"))
        .send()
        .await
        .unwrap();
    if env_value(&ws, env, &["monitoring", "alarms"])
        .as_bool()
        .unwrap()
    {
        let by_metric: std::collections::BTreeMap<String, f64> = alarms
            .metric_alarms()
            .iter()
            .map(|a| (a.metric_name().unwrap().to_string(), a.threshold().unwrap()))
            .collect();
        assert_eq!(by_metric["CPUUtilization"], 80.0);
        assert_eq!(by_metric["MemoryUtilization"], 85.0);
        assert_eq!(by_metric["DatabaseConnections"], 80.0);
        assert_eq!(by_metric["HTTPCode_Target_5XX_Count"], 10.0);
        let sns = emulator.sns().await;
        let topics = sns.list_topics().send().await.unwrap();
        let topic = topics
            .topics()
            .iter()
            .find(|t| {
                t.topic_arn()
                    .unwrap()
                    .ends_with(&format!(":{prefix}-alerts"))
            })
            .unwrap()
            .topic_arn()
            .unwrap()
            .to_string();
        for alarm in alarms.metric_alarms() {
            assert_eq!(alarm.evaluation_periods(), Some(2));
            assert_eq!(alarm.alarm_actions(), std::slice::from_ref(&topic));
            assert_eq!(alarm.treat_missing_data(), Some("notBreaching"));
        }
    } else {
        assert!(alarms.metric_alarms().is_empty());
    }

    // The deployment strategy the environment file chose, checked in what macroctl asked ECS
    // for (the emulator keeps it only partly) and in what ECS and the ELB report.
    let strategy = env_value(&ws, env, &["deployment", "strategy"]);
    let rules = rules.rules();
    if strategy.as_str() == Some("blue-green") {
        let bake = int(env_value(&ws, env, &["deployment", "bake_time_minutes"]));
        // The infrastructure role ECS assumes to shift traffic.
        let role_name = format!("{prefix}-ecs-infrastructure");
        let role = iam.get_role().role_name(&role_name).send().await.unwrap();
        let role = role.role().unwrap();
        let trust = decode(role.assume_role_policy_document().unwrap()).to_string();
        assert!(trust.contains("\"ecs.amazonaws.com\""), "{trust}");
        assert!(!trust.contains("ecs-tasks"), "{trust}");
        let attached = iam
            .list_attached_role_policies()
            .role_name(&role_name)
            .send()
            .await
            .unwrap();
        let attached: Vec<&str> = attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .collect();
        assert_eq!(
            attached,
            ["arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"]
        );
        let role_arn = role.arn().to_string();

        for (service, port, path) in [("api", 3040, "/api/health"), ("ui", 3000, "/")] {
            // The alternate target group: the primary's twin.
            let alt_name = format!("{prefix}-{service}-alt");
            assert!(alt_name.len() <= 32, "{alt_name}");
            let tgs = elb
                .describe_target_groups()
                .names(&alt_name)
                .send()
                .await
                .unwrap();
            let alt = &tgs.target_groups()[0];
            assert_eq!(alt.port(), Some(port));
            assert_eq!(alt.target_type().map(|t| t.as_str()), Some("ip"));
            assert_eq!(alt.health_check_path(), Some(path));
            let alt_arn = alt.target_group_arn().unwrap().to_string();
            let attributes = elb
                .describe_target_group_attributes()
                .target_group_arn(&alt_arn)
                .send()
                .await
                .unwrap();
            assert!(attributes.attributes().iter().any(|a| {
                a.key() == Some("deregistration_delay.timeout_seconds") && a.value() == Some("30")
            }));

            // The production listener rule forwards to both, all traffic to the primary.
            let patterns = if service == "api" {
                vec!["/api/*"]
            } else {
                vec!["/*"]
            };
            let rule = rules
                .iter()
                .find(|r| r.is_default() != Some(true) && path_patterns(r) == patterns)
                .unwrap_or_else(|| panic!("no {patterns:?} rule: {rules:#?}"));
            let mut expected = vec![
                (target_groups[service].clone(), Some(100)),
                (alt_arn.clone(), Some(0)),
            ];
            expected.sort();
            assert_eq!(forward_targets(rule), expected, "{service}");
            let rule_arn = rule.rule_arn().unwrap().to_string();

            // What CreateService and UpdateService were asked for.
            let check_load_balancer = |lb: &serde_json::Value, what: &str| {
                let advanced = &lb["advancedConfiguration"];
                let pair = BTreeSet::from([
                    lb["targetGroupArn"].as_str().unwrap().to_string(),
                    advanced["alternateTargetGroupArn"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                ]);
                assert_eq!(
                    pair,
                    BTreeSet::from([target_groups[service].clone(), alt_arn.clone()]),
                    "{what}"
                );
                assert_eq!(
                    advanced["productionListenerRule"],
                    rule_arn.as_str(),
                    "{what}"
                );
                assert_eq!(advanced["roleArn"], role_arn.as_str(), "{what}");
                assert_eq!(lb["containerPort"], port, "{what}");
            };
            let created = requests_for(&emulator, "CreateService", service);
            assert_eq!(created.len(), 1, "{service}");
            let configuration = &created[0]["deploymentConfiguration"];
            assert_eq!(configuration["strategy"], "BLUE_GREEN", "{service}");
            assert_eq!(configuration["bakeTimeInMinutes"], bake, "{service}");
            let lb = &created[0]["loadBalancers"][0];
            assert_eq!(lb["targetGroupArn"], target_groups[service].as_str());
            check_load_balancer(lb, "CreateService");
            for update in requests_for(&emulator, "UpdateService", service) {
                let configuration = &update["deploymentConfiguration"];
                if !configuration.is_null() {
                    assert_eq!(configuration["strategy"], "BLUE_GREEN", "{update}");
                    assert_eq!(configuration["bakeTimeInMinutes"], bake, "{update}");
                }
                if let Some(lb) = update["loadBalancers"].get(0) {
                    check_load_balancer(lb, "UpdateService");
                }
            }

            // What ECS reports.
            let services = ecs
                .describe_services()
                .cluster(&prefix)
                .services(service)
                .send()
                .await
                .unwrap();
            let live = &services.services()[0];
            let deployment = live.deployment_configuration().unwrap();
            assert_eq!(
                deployment.strategy().map(|s| s.as_str()),
                Some("BLUE_GREEN")
            );
            assert_eq!(deployment.bake_time_in_minutes().map(i64::from), Some(bake));
            let advanced = live.load_balancers()[0].advanced_configuration().unwrap();
            assert_eq!(
                advanced.alternate_target_group_arn(),
                Some(alt_arn.as_str())
            );
            assert_eq!(advanced.production_listener_rule(), Some(rule_arn.as_str()));
            assert_eq!(advanced.role_arn(), Some(role_arn.as_str()));
        }
    } else {
        assert_eq!(strategy.as_str(), Some("rolling"));
        for service in ["api", "ui"] {
            assert!(
                elb.describe_target_groups()
                    .names(format!("{prefix}-{service}-alt"))
                    .send()
                    .await
                    .is_err(),
                "{env} has no alternate target group for {service}"
            );
            for request in requests_for(&emulator, "CreateService", service)
                .into_iter()
                .chain(requests_for(&emulator, "UpdateService", service))
            {
                let strategy = &request["deploymentConfiguration"]["strategy"];
                assert!(
                    strategy.is_null() || strategy == "ROLLING",
                    "{service}: {request}"
                );
                if let Some(lb) = request["loadBalancers"].get(0) {
                    assert!(lb["advancedConfiguration"].is_null(), "{request}");
                }
            }
            let services = ecs
                .describe_services()
                .cluster(&prefix)
                .services(service)
                .send()
                .await
                .unwrap();
            let live = &services.services()[0];
            let strategy = live
                .deployment_configuration()
                .and_then(|d| d.strategy())
                .map(|s| s.as_str());
            assert!(matches!(strategy, None | Some("ROLLING")), "{strategy:?}");
            assert!(live.load_balancers()[0].advanced_configuration().is_none());
        }
        assert!(iam
            .get_role()
            .role_name(format!("{prefix}-ecs-infrastructure"))
            .send()
            .await
            .is_err());
        let custom: Vec<Vec<String>> = rules
            .iter()
            .filter(|r| r.is_default() != Some(true))
            .map(path_patterns)
            .collect();
        assert_eq!(custom, [vec!["/api/*".to_string()]], "{env}");
    }

    // A second up changes nothing.
    emulator.reset_recording();
    ws.run(&["up", "--env", env, "--yes"]).assert_success();
    assert!(
        emulator.mutating_calls().is_empty(),
        "{:?}",
        emulator.mutating_calls()
    );
}

#[tokio::test]
async fn dev_app_inventory() {
    check_app_inventory("dev").await;
}

#[tokio::test]
async fn staging_app_inventory() {
    check_app_inventory("staging").await;
}

#[tokio::test]
async fn prod_app_inventory() {
    check_app_inventory("prod").await;
}

/// Blue/green on the realistic emulator (which keeps what CreateService is given and models
/// rollouts): the same inventory, and the second `up` is just as quiet.
#[tokio::test]
async fn prod_app_inventory_on_the_realistic_emulator() {
    check_app_inventory_on(
        Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")]),
        "prod",
    )
    .await;
}
