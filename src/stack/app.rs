//! The application layer: IAM roles, ECR repositories, log groups, the ECS cluster, task
//! definitions and services, the load balancer with its target groups, listeners and rules,
//! API auto scaling, and the alerting topic and alarms.
//!
//! Order comes from references: services wait for their task definitions (which wait for
//! roles, log groups, secrets, repositories and the data layer's endpoints), their target
//! groups and the listener rule that routes to them. Everything else starts as early as its own
//! dependencies allow.
//!
//! `deployment.strategy = "blue-green"` adds what ECS native blue/green needs, per service: an
//! alternate target group (`target-group-<svc>-alt`), a production listener rule forwarding to
//! both groups (the API's `/api/*` rule, and a catch-all `/*` rule for the UI, since ECS shifts
//! traffic by a rule's weights, not a listener's default action), and one infrastructure role
//! ECS assumes to do it. Rolling environments declare none of these.

use super::auth::{USER_POOL, USER_POOL_CLIENT};
use super::data::{CACHE, DATABASE, SECRET_API, SECRET_DB};
use super::network::{subnet_id, SG_ALB, SG_API, SG_UI, VPC};
use super::{az_label, Declared, SERVICES};
use crate::config::capacity::{self, FARGATE, FARGATE_SPOT};
use crate::config::{DeploymentStrategy, Environment, ServiceConfig};
use crate::resources::alarm::{AlarmSpec, DimensionValue};
use crate::resources::ecr_repository::EcrRepositorySpec;
use crate::resources::ecs_capacity::CapacityShare;
use crate::resources::ecs_cluster::EcsClusterSpec;
use crate::resources::ecs_service::{EcsServiceSpec, Strategy};
use crate::resources::iam_role::{IamRoleSpec, InlinePolicy, PolicyResource, PolicyStatement};
use crate::resources::listener::{ListenerAction, ListenerSpec};
use crate::resources::listener_rule::ListenerRuleSpec;
use crate::resources::load_balancer::{AccessLogs, LoadBalancerSpec, SecurityAttributes};
use crate::resources::log_group::LogGroupSpec;
use crate::resources::scalable_target::ScalableTargetSpec;
use crate::resources::scaling_policy::ScalingPolicySpec;
use crate::resources::target_group::TargetGroupSpec;
use crate::resources::task_definition::storage::{TMP_PATH, TMP_VOLUME};
use crate::resources::task_definition::{
    ContainerSpec, ImageSource, LogSpec, SecretEnv, TaskDefinitionSpec,
};
use crate::resources::{Ref, Spec};
use crate::state::release::Release;

pub const EXECUTION_ROLE: &str = "iam-task-execution-role";
pub const CLUSTER: &str = "ecs-cluster";
pub const LOAD_BALANCER: &str = "load-balancer";
pub const LISTENER_HTTP: &str = "listener-http";
pub const LISTENER_HTTPS: &str = "listener-https";
pub const ALERTS_TOPIC: &str = "alerts-topic";
pub const ALARM_ALB_5XX: &str = "alarm-alb-5xx";
pub const INFRASTRUCTURE_ROLE: &str = "iam-ecs-infrastructure-role";

/// What ECS needs to shift a load balancer's traffic during blue/green deployments.
const INFRASTRUCTURE_POLICY: &str =
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers";
/// The UI's blue/green production rule: after the API's `/api/*` (priority 10), everything.
const UI_RULE_PRIORITY: i32 = 100;

const EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const XRAY_ACTIONS: [&str; 4] = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
];
const COGNITO_ACTIONS: [&str; 9] = [
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminGetUser",
    "cognito-idp:ListUsers",
    "cognito-idp:SignUp",
    "cognito-idp:ConfirmSignUp",
    "cognito-idp:InitiateAuth",
    "cognito-idp:ForgotPassword",
    "cognito-idp:ConfirmForgotPassword",
    "cognito-idp:GlobalSignOut",
];
const XRAY_DAEMON_IMAGE: &str = "public.ecr.aws/xray/aws-xray-daemon:latest";

pub fn task_definition_id(service: &str) -> String {
    format!("task-definition-{service}")
}

pub fn service_id(service: &str) -> String {
    format!("service-{service}")
}

pub fn repository_id(service: &str) -> String {
    format!("ecr-{service}")
}

pub fn target_group_id(service: &str) -> String {
    format!("target-group-{service}")
}

/// The blue/green alternate target group of a service.
pub fn alternate_target_group_id(service: &str) -> String {
    format!("target-group-{service}-alt")
}

/// The listener rule routing production traffic to a service.
pub fn listener_rule_id(service: &str) -> String {
    format!("listener-rule-{service}")
}

fn actions(list: &[&str]) -> Vec<String> {
    list.iter().map(|action| action.to_string()).collect()
}

fn secrets_statement() -> PolicyStatement {
    PolicyStatement {
        sid: Some("ReadEnvironmentSecrets".into()),
        actions: actions(&["secretsmanager:GetSecretValue"]),
        resources: vec![
            PolicyResource::Ref(Ref::new(SECRET_DB, "arn")),
            PolicyResource::Ref(Ref::new(SECRET_API, "arn")),
        ],
    }
}

fn role(
    env: &Environment,
    id: &str,
    name: &str,
    policies: Vec<InlinePolicy>,
    managed: Vec<String>,
) -> Declared {
    let prefix = format!("{}-{}", env.stack, env.name);
    Declared::new(
        id,
        Spec::IamRole(IamRoleSpec {
            name: format!("{prefix}-{name}"),
            description: format!("{prefix} {name} (managed by macroctl)"),
            trusted_service: "ecs-tasks.amazonaws.com".into(),
            managed_policy_arns: managed,
            inline_policies: policies,
        }),
    )
}

/// The image a service runs: the environment file's when it pins one (then `up` enforces it),
/// else the current release's (what `deploy`/`rollback` put there, which `up` keeps), else
/// `:latest` of its ECR repository.
fn image(service: &str, config: &ServiceConfig, current: Option<&Release>) -> ImageSource {
    if let Some(image) = &config.image {
        return ImageSource::Literal(image.clone());
    }
    match current.and_then(|release| release.services.get(service)) {
        Some(entry) => ImageSource::Literal(entry.image.clone()),
        None => ImageSource::Repository {
            repository: Ref::new(repository_id(service), "repository_uri"),
            tag: "latest".into(),
        },
    }
}

/// `current`: the release currently deployed, whose images and task definitions `up` keeps
/// (a `macroctl deploy` or `rollback` is not undone by the next `up`).
/// `account`: what the assets bucket's name ends in, and whom the alarm topic and its key admit.
pub(super) fn declare(
    env: &Environment,
    account: &str,
    current: Option<&Release>,
) -> Vec<Declared> {
    let prefix = format!("{}-{}", env.stack, env.name);
    let mut out = Vec::new();
    let alarms_on = env.monitoring.alarms;
    let blue_green = env.deployment.strategy == DeploymentStrategy::BlueGreen;
    let secret = |name: &str, secret: &str, key: &str| SecretEnv {
        name: name.into(),
        secret: Ref::new(secret, "arn"),
        key: key.into(),
    };

    // IAM: one execution role (pulls images, writes logs, reads exactly this environment's
    // secrets) and a least-privilege task role per service.
    out.push(role(
        env,
        EXECUTION_ROLE,
        "task-execution",
        vec![InlinePolicy {
            name: "read-environment-secrets".into(),
            statements: vec![secrets_statement()],
        }],
        vec![EXECUTION_POLICY.into()],
    ));
    // Cognito: the pool macroctl made, else the referenced one, else no Cognito permissions
    // at all (never `*`).
    let cognito_resource = if env.cognito.create {
        Some(PolicyResource::Ref(Ref::new(USER_POOL, "arn")))
    } else {
        (env.integrations.cognito_user_pool_arn.clone()).map(PolicyResource::Arn)
    };
    let xray = || InlinePolicy {
        name: "xray".into(),
        statements: vec![PolicyStatement {
            sid: Some("XRayTracing".into()),
            actions: actions(&XRAY_ACTIONS),
            resources: vec![PolicyResource::Any],
        }],
    };
    let mut api_policies = vec![
        InlinePolicy {
            name: "read-environment-secrets".into(),
            statements: vec![secrets_statement()],
        },
        xray(),
        InlinePolicy {
            name: "assets-bucket".into(),
            statements: super::storage::assets_statements(env, account),
        },
    ];
    api_policies.extend(cognito_resource.map(|pool| InlinePolicy {
        name: "cognito".into(),
        statements: vec![PolicyStatement {
            sid: Some("CognitoUserPool".into()),
            actions: actions(&COGNITO_ACTIONS),
            resources: vec![pool],
        }],
    }));
    out.push(role(
        env,
        "iam-task-role-api",
        "api-task",
        api_policies,
        Vec::new(),
    ));
    out.push(role(
        env,
        "iam-task-role-ui",
        "ui-task",
        vec![xray()],
        Vec::new(),
    ));
    if blue_green {
        // Assumed by ECS itself (not by tasks) to move traffic between target groups.
        out.push(Declared::new(
            INFRASTRUCTURE_ROLE,
            Spec::IamRole(IamRoleSpec {
                name: format!("{prefix}-ecs-infrastructure"),
                description: format!("{prefix} ecs-infrastructure (managed by macroctl)"),
                trusted_service: "ecs.amazonaws.com".into(),
                managed_policy_arns: vec![INFRASTRUCTURE_POLICY.into()],
                inline_policies: Vec::new(),
            }),
        ));
    }

    // ECR and logs, per service.
    for service in SERVICES {
        out.push(Declared::new(
            repository_id(service),
            Spec::EcrRepository(EcrRepositorySpec {
                name: format!("{prefix}-{service}"),
                scan_on_push: true,
                keep_last_images: env.deployment.ecr_keep_images,
                immutable_tags: env.deployment.immutable_image_tags,
            }),
        ));
        out.push(Declared::new(
            format!("log-group-{service}"),
            Spec::LogGroup(LogGroupSpec {
                name: format!("/ecs/{prefix}-{service}"),
                retention_days: env.monitoring.log_retention_days as i32,
            }),
        ));
    }

    // Load balancer, target groups, listeners, the /api/* rule.
    let public_subnets: Vec<Ref> = env
        .network
        .availability_zones
        .iter()
        .map(|az| Ref::new(subnet_id("public", &az_label(&env.region, az)), "subnet_id"))
        .collect();
    let task_subnets: Vec<Ref> = env
        .network
        .availability_zones
        .iter()
        .map(|az| {
            let tier = if env.network.tasks_in_public_subnets() {
                "public"
            } else {
                "private"
            };
            Ref::new(subnet_id(tier, &az_label(&env.region, az)), "subnet_id")
        })
        .collect();
    out.push(Declared::new(
        LOAD_BALANCER,
        Spec::LoadBalancer(LoadBalancerSpec {
            name: prefix.clone(),
            subnets: public_subnets,
            security_groups: vec![Ref::new(SG_ALB, "group_id")],
            access_logs: env.storage.alb_access_logs.then(|| AccessLogs {
                bucket: Ref::new(super::storage::BUCKET_LOGS, "name"),
                prefix: super::storage::ALB_LOG_PREFIX.into(),
            }),
            security: SecurityAttributes {
                drop_invalid_header_fields: env.load_balancer.drop_invalid_header_fields,
                deletion_protection: env.load_balancer.deletion_protection,
                desync_mitigation_mode: env.load_balancer.desync_mitigation_mode.as_str().into(),
            },
        }),
    ));
    for service in SERVICES {
        let config = if service == "api" {
            &env.services.api
        } else {
            &env.services.ui
        };
        let target_group = |name: String| {
            Spec::TargetGroup(TargetGroupSpec {
                name,
                vpc: Ref::new(VPC, "vpc_id"),
                port: i32::from(config.container_port),
                health_check_path: config.health_check_path.clone(),
                deregistration_delay_seconds: 30,
            })
        };
        out.push(Declared::new(
            target_group_id(service),
            target_group(format!("{prefix}-{service}")),
        ));
        if blue_green {
            // ≤ 32 characters: validation checks `<stack>-<env>-api-alt` fits.
            out.push(Declared::new(
                alternate_target_group_id(service),
                target_group(format!("{prefix}-{service}-alt")),
            ));
        }
    }
    let alternate =
        |service: &str| blue_green.then(|| Ref::new(alternate_target_group_id(service), "arn"));
    let ui_target = Ref::new(target_group_id("ui"), "arn");
    let front_listener = match super::dns::alb_certificate(env) {
        Some(certificate) => {
            out.push(Declared::new(
                LISTENER_HTTP,
                Spec::Listener(ListenerSpec {
                    load_balancer: Ref::new(LOAD_BALANCER, "arn"),
                    port: 80,
                    protocol: "HTTP".into(),
                    certificate_arn: None,
                    default_action: ListenerAction::RedirectToHttps,
                }),
            ));
            out.push(Declared::new(
                LISTENER_HTTPS,
                Spec::Listener(ListenerSpec {
                    load_balancer: Ref::new(LOAD_BALANCER, "arn"),
                    port: 443,
                    protocol: "HTTPS".into(),
                    certificate_arn: Some(certificate),
                    default_action: ListenerAction::Forward(ui_target),
                }),
            ));
            LISTENER_HTTPS
        }
        None => {
            out.push(Declared::new(
                LISTENER_HTTP,
                Spec::Listener(ListenerSpec {
                    load_balancer: Ref::new(LOAD_BALANCER, "arn"),
                    port: 80,
                    protocol: "HTTP".into(),
                    certificate_arn: None,
                    default_action: ListenerAction::Forward(ui_target),
                }),
            ));
            LISTENER_HTTP
        }
    };
    out.push(Declared::new(
        listener_rule_id("api"),
        Spec::ListenerRule(ListenerRuleSpec {
            listener: Ref::new(front_listener, "arn"),
            priority: 10,
            path_patterns: vec!["/api/*".into()],
            target_group: Ref::new(target_group_id("api"), "arn"),
            alternate_target_group: alternate("api"),
        }),
    ));
    if blue_green {
        // ECS shifts traffic through a listener rule's weights; the listener's default action
        // (still the UI's primary group) is then never reached.
        out.push(Declared::new(
            listener_rule_id("ui"),
            Spec::ListenerRule(ListenerRuleSpec {
                listener: Ref::new(front_listener, "arn"),
                priority: UI_RULE_PRIORITY,
                path_patterns: vec!["/*".into()],
                target_group: Ref::new(target_group_id("ui"), "arn"),
                alternate_target_group: alternate("ui"),
            }),
        ));
    }

    // Alerting: the topic (and its KMS key) and the alarms (the 5XX alarm also gates
    // deployments).
    if alarms_on {
        out.extend(super::alerts::declare(env, account));
        let alarm = |id: &str,
                     description: &str,
                     namespace: &str,
                     metric: &str,
                     dimensions: Vec<(String, DimensionValue)>,
                     statistic: &str,
                     threshold: u32| {
            Declared::new(
                id,
                Spec::Alarm(AlarmSpec {
                    name: format!("{prefix}-{}", id.trim_start_matches("alarm-")),
                    description: description.into(),
                    namespace: namespace.into(),
                    metric_name: metric.into(),
                    dimensions,
                    statistic: statistic.into(),
                    period_seconds: 60,
                    evaluation_periods: env.alarms.evaluation_periods as i32,
                    threshold: f64::from(threshold),
                    comparison: "GreaterThanThreshold".into(),
                    treat_missing_data: "notBreaching".into(),
                    alarm_actions: vec![Ref::new(ALERTS_TOPIC, "arn")],
                    ok_actions: vec![Ref::new(ALERTS_TOPIC, "arn")],
                }),
            )
        };
        let literal = |key: &str, value: String| (key.to_string(), DimensionValue::Literal(value));
        let service_dimensions = || {
            vec![
                literal("ClusterName", prefix.clone()),
                literal("ServiceName", "api".into()),
            ]
        };
        out.push(alarm(
            "alarm-api-cpu",
            "API CPU above threshold",
            "AWS/ECS",
            "CPUUtilization",
            service_dimensions(),
            "Average",
            env.alarms.api_cpu_percent,
        ));
        out.push(alarm(
            "alarm-api-memory",
            "API memory above threshold",
            "AWS/ECS",
            "MemoryUtilization",
            service_dimensions(),
            "Average",
            env.alarms.api_memory_percent,
        ));
        out.push(alarm(
            "alarm-db-connections",
            "Database connections above threshold",
            "AWS/RDS",
            "DatabaseConnections",
            vec![literal(
                "DBInstanceIdentifier",
                format!("{prefix}-postgres"),
            )],
            "Average",
            env.alarms.db_connections,
        ));
        out.push(alarm(
            ALARM_ALB_5XX,
            "Targets answering 5XX",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            vec![(
                "LoadBalancer".into(),
                DimensionValue::Ref(Ref::new(LOAD_BALANCER, "arn_suffix")),
            )],
            "Sum",
            env.alarms.alb_5xx_count,
        ));
    }

    // ECS: the cluster, a task definition and a service per service.
    out.push(Declared::new(
        CLUSTER,
        Spec::EcsCluster(EcsClusterSpec {
            name: prefix.clone(),
            container_insights: env.monitoring.container_insights,
            capacity_providers: vec![FARGATE.into(), FARGATE_SPOT.into()],
            default_strategy: vec![CapacityShare {
                provider: FARGATE.into(),
                base: 0,
                weight: 1,
            }],
        }),
    ));
    for service in SERVICES {
        let config = if service == "api" {
            &env.services.api
        } else {
            &env.services.ui
        };
        let mut containers = vec![ContainerSpec {
            name: service.into(),
            image: image(service, config, current),
            cpu: 0,
            memory_mib: None,
            essential: true,
            ports: vec![(i32::from(config.container_port), "tcp".into())],
            environment: vec![
                ("NODE_ENV".into(), "production".into()),
                ("PORT".into(), config.container_port.to_string()),
            ],
            environment_refs: Vec::new(),
            secrets: Vec::new(),
            log: Some(LogSpec {
                group: Ref::new(format!("log-group-{service}"), "name"),
                stream_prefix: service.into(),
            }),
            // A read-only root writes its temporary files to a task volume at /tmp.
            read_only_root_filesystem: config.read_only_root_filesystem,
            mount_points: if config.read_only_root_filesystem {
                vec![(TMP_VOLUME.into(), TMP_PATH.into())]
            } else {
                Vec::new()
            },
        }];
        if service == "api" {
            let api = &mut containers[0];
            api.environment
                .push(("AWS_XRAY_TRACING_NAME".into(), format!("{prefix}-api")));
            api.environment_refs = vec![
                ("DATABASE_HOST".into(), super::proxy::database_host(env)),
                ("DATABASE_PORT".into(), Ref::new(DATABASE, "port")),
                ("REDIS_HOST".into(), Ref::new(CACHE, "endpoint")),
                ("REDIS_PORT".into(), Ref::new(CACHE, "port")),
            ];
            // By name: the bucket waits for CloudFront's deploy (see `storage`).
            api.environment.push((
                "ASSETS_BUCKET".into(),
                super::storage::bucket_name(env, account, "assets"),
            ));
            api.environment
                .push(("DATABASE_NAME".into(), env.database.database_name.clone()));
            // The user pool's and app client's ids (not secrets).
            if env.cognito.create {
                api.environment_refs.extend([
                    (
                        "COGNITO_USER_POOL_ID".into(),
                        Ref::new(USER_POOL, "user_pool_id"),
                    ),
                    (
                        "COGNITO_CLIENT_ID".into(),
                        Ref::new(USER_POOL_CLIENT, "client_id"),
                    ),
                ]);
            } else if let Some(arn) = &env.integrations.cognito_user_pool_arn {
                let id = arn.rsplit('/').next().unwrap_or_default();
                api.environment
                    .push(("COGNITO_USER_POOL_ID".into(), id.to_string()));
                if let Some(client) = &env.cognito.client_id {
                    api.environment
                        .push(("COGNITO_CLIENT_ID".into(), client.clone()));
                }
            }
            api.secrets = vec![
                secret("DATABASE_USERNAME", SECRET_DB, "username"),
                secret("DATABASE_PASSWORD", SECRET_DB, "password"),
                secret("API_KEY", SECRET_API, "API_KEY"),
                secret("COOKIE_ENCRYPTION_KEY", SECRET_API, "COOKIE_ENCRYPTION_KEY"),
                secret("OPENAI_API_KEY", SECRET_API, "OPENAI_API_KEY"),
            ];
            containers.push(ContainerSpec {
                name: "xray-daemon".into(),
                image: ImageSource::Literal(XRAY_DAEMON_IMAGE.into()),
                cpu: 32,
                memory_mib: Some(32),
                essential: false,
                ports: vec![(2000, "udp".into())],
                environment: vec![("AWS_REGION".into(), env.region.clone())],
                environment_refs: Vec::new(),
                secrets: Vec::new(),
                log: Some(LogSpec {
                    group: Ref::new("log-group-api", "name"),
                    stream_prefix: "xray".into(),
                }),
                // The daemon writes nothing to disk: always read-only (FSBP ECS.5).
                read_only_root_filesystem: true,
                mount_points: Vec::new(),
            });
        }
        out.push(Declared::new(
            task_definition_id(service),
            Spec::TaskDefinition(TaskDefinitionSpec {
                family: format!("{prefix}-{service}"),
                preferred_arn: current
                    .and_then(|release| release.services.get(service))
                    .map(|entry| entry.task_definition.clone()),
                region: env.region.clone(),
                cpu: config.cpu.to_string(),
                memory: config.memory_mib.to_string(),
                execution_role: Ref::new(EXECUTION_ROLE, "arn"),
                task_role: Ref::new(format!("iam-task-role-{service}"), "arn"),
                volumes: if config.read_only_root_filesystem {
                    vec![TMP_VOLUME.into()]
                } else {
                    Vec::new()
                },
                containers,
            }),
        ));
        let deployment_alarms = if alarms_on && service == "api" {
            vec![Ref::new(ALARM_ALB_5XX, "name")]
        } else {
            Vec::new()
        };
        let mut declared = Declared::new(
            service_id(service),
            Spec::EcsService(EcsServiceSpec {
                name: service.into(),
                cluster: Ref::new(CLUSTER, "arn"),
                task_definition: Ref::new(task_definition_id(service), "arn"),
                desired_count: config.desired_count as i32,
                desired_count_managed: service == "api",
                subnets: task_subnets.clone(),
                security_groups: vec![Ref::new(
                    if service == "api" { SG_API } else { SG_UI },
                    "group_id",
                )],
                assign_public_ip: env.network.tasks_in_public_subnets(),
                target_group: Ref::new(target_group_id(service), "arn"),
                container_name: service.into(),
                container_port: i32::from(config.container_port),
                health_check_grace_period_seconds: config.health_check_grace_period_seconds as i32,
                enable_execute_command: true,
                circuit_breaker_rollback: env.deployment.circuit_breaker_rollback,
                maximum_percent: 200,
                minimum_healthy_percent: 100,
                deployment_alarms,
                strategy: if blue_green {
                    Strategy::BlueGreen {
                        bake_time_minutes: env.deployment.bake_time_minutes as i32,
                        alternate_target_group: Ref::new(alternate_target_group_id(service), "arn"),
                        production_listener_rule: Ref::new(listener_rule_id(service), "arn"),
                        role: Ref::new(INFRASTRUCTURE_ROLE, "arn"),
                    }
                } else {
                    Strategy::Rolling
                },
                capacity: capacity::strategy(config)
                    .into_iter()
                    .map(|share| CapacityShare {
                        provider: share.provider.into(),
                        base: share.base as i32,
                        weight: share.weight as i32,
                    })
                    .collect(),
            }),
        )
        // The target group must be routed to before a service can register in it.
        .after(front_listener)
        .after(listener_rule_id("api"));
        if service == "api" {
            declared = declared.after("iam-task-role-api");
        }
        out.push(declared);
    }

    // API auto scaling: CPU and memory target tracking.
    let autoscaling = &env.autoscaling;
    out.push(Declared::new(
        "autoscaling-target-api",
        Spec::ScalableTarget(ScalableTargetSpec {
            cluster: Ref::new(CLUSTER, "name"),
            service: Ref::new(service_id("api"), "name"),
            min_capacity: autoscaling.min_capacity as i32,
            max_capacity: autoscaling.max_capacity as i32,
        }),
    ));
    for (id, metric, target) in [
        (
            "autoscaling-policy-api-cpu",
            "ECSServiceAverageCPUUtilization",
            autoscaling.cpu_target_percent,
        ),
        (
            "autoscaling-policy-api-memory",
            "ECSServiceAverageMemoryUtilization",
            autoscaling.memory_target_percent,
        ),
    ] {
        out.push(Declared::new(
            id,
            Spec::ScalingPolicy(ScalingPolicySpec {
                name: format!("{prefix}-{}", id.trim_start_matches("autoscaling-policy-")),
                target: Ref::new("autoscaling-target-api", "resource_id"),
                predefined_metric: metric.into(),
                target_value: f64::from(target),
                scale_in_cooldown_seconds: autoscaling.scale_in_cooldown_seconds as i32,
                scale_out_cooldown_seconds: autoscaling.scale_out_cooldown_seconds as i32,
            }),
        ));
    }
    out
}
