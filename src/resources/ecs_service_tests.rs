//! Unit tests of the ECS service kind's pure parts: strategy, load balancer orientation,
//! diffs with unreported values.
use super::*;

const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/1";
const ALT: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api-alt/2";
const RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/lb/1/2/3";
const ROLE: &str = "arn:aws:iam::1:role/infra";

fn resolver() -> Resolver {
    let resolver = Resolver::default();
    for (id, output, value) in [
        ("cluster", "arn", "arn:cluster"),
        ("td", "arn", "arn:td:1"),
        ("subnet", "subnet_id", "subnet-1"),
        ("sg", "group_id", "sg-1"),
        ("tg", "arn", TG),
        ("alt", "arn", ALT),
        ("rule", "arn", RULE),
        ("role", "arn", ROLE),
    ] {
        resolver.set(
            &id.into(),
            Outputs::from([(output.to_string(), value.to_string())]),
        );
    }
    resolver
}

fn blue_green() -> Strategy {
    Strategy::BlueGreen {
        bake_time_minutes: 5,
        alternate_target_group: Ref::new("alt", "arn"),
        production_listener_rule: Ref::new("rule", "arn"),
        role: Ref::new("role", "arn"),
    }
}

fn spec(strategy: Strategy) -> EcsServiceSpec {
    EcsServiceSpec {
        name: "api".into(),
        cluster: Ref::new("cluster", "arn"),
        task_definition: Ref::new("td", "arn"),
        desired_count: 2,
        desired_count_managed: false,
        subnets: vec![Ref::new("subnet", "subnet_id")],
        security_groups: vec![Ref::new("sg", "group_id")],
        assign_public_ip: false,
        target_group: Ref::new("tg", "arn"),
        container_name: "api".into(),
        container_port: 3040,
        health_check_grace_period_seconds: 60,
        enable_execute_command: true,
        circuit_breaker_rollback: true,
        maximum_percent: 200,
        minimum_healthy_percent: 100,
        deployment_alarms: Vec::new(),
        strategy,
        capacity: vec![spot()],
    }
}

/// What ECS reports for a converged blue/green service.
fn live() -> EcsServiceLive {
    EcsServiceLive {
        arn: "arn:service".into(),
        name: "api".into(),
        cluster_arn: "arn:cluster".into(),
        status: "ACTIVE".into(),
        task_definition: "arn:td:1".into(),
        desired_count: 2,
        running_count: 2,
        pending_count: 0,
        subnets: vec!["subnet-1".into()],
        security_groups: vec!["sg-1".into()],
        assign_public_ip: false,
        load_balancers: vec![LiveLoadBalancer {
            target_group_arn: TG.into(),
            container_name: "api".into(),
            container_port: 3040,
            advanced: Some(LiveAdvanced {
                alternate_target_group_arn: Some(ALT.into()),
                production_listener_rule: Some(RULE.into()),
                role_arn: Some(ROLE.into()),
            }),
        }],
        health_check_grace_period_seconds: Some(60),
        enable_execute_command: true,
        circuit_breaker: Some((true, true)),
        maximum_percent: Some(200),
        minimum_healthy_percent: Some(100),
        deployment_alarms: None,
        strategy: Some("BLUE_GREEN".into()),
        bake_time_minutes: Some(5),
        rollout_state: Some("COMPLETED".into()),
        capacity: vec![spot()],
        launch_type: None,
        tags: Tags::new(),
    }
}

fn spot() -> CapacityShare {
    CapacityShare {
        provider: "FARGATE_SPOT".into(),
        base: 0,
        weight: 1,
    }
}

#[test]
fn a_service_by_launch_type_moves_to_its_strategy() {
    let resolver = resolver();
    let spec = spec(blue_green());
    assert!(EcsService::diff(&spec, &live(), &resolver).is_empty());
    let by_launch_type = EcsServiceLive {
        capacity: Vec::new(),
        launch_type: Some("FARGATE".into()),
        ..live()
    };
    let changes = EcsService::diff(&spec, &by_launch_type, &resolver);
    assert_eq!(fields(changes.clone()), ["capacity_provider_strategy"]);
    assert_eq!(
        (changes[0].old.as_str(), changes[0].new.as_str()),
        ("launch type FARGATE", "FARGATE_SPOT weight 1")
    );
    // A spec applied before strategies existed means the launch type.
    let old = EcsServiceSpec {
        capacity: Vec::new(),
        ..spec
    };
    assert!(EcsService::diff(&old, &by_launch_type, &resolver).is_empty());
}

fn fields(changes: Vec<FieldChange>) -> Vec<String> {
    changes.into_iter().map(|change| change.field).collect()
}

#[test]
fn converged_blue_green_has_no_diff_in_either_orientation() {
    let (spec, resolver) = (spec(blue_green()), resolver());
    assert_eq!(EcsService::diff(&spec, &live(), &resolver), vec![]);
    // After a deployment ECS serves production from the alternate group.
    let mut swapped = live();
    swapped.load_balancers[0].target_group_arn = ALT.into();
    swapped.load_balancers[0]
        .advanced
        .as_mut()
        .unwrap()
        .alternate_target_group_arn = Some(TG.into());
    assert_eq!(EcsService::diff(&spec, &swapped, &resolver), vec![]);
    // Re-sent in the orientation ECS has, not the declared one.
    let sent = load_balancer(&spec, &resolver, Some(&swapped));
    assert_eq!(sent.target_group_arn(), Some(ALT));
    let advanced = sent.advanced_configuration().unwrap();
    assert_eq!(advanced.alternate_target_group_arn(), Some(TG));
    assert_eq!(advanced.production_listener_rule(), Some(RULE));
    assert_eq!(advanced.role_arn(), Some(ROLE));
    let fresh = load_balancer(&spec, &resolver, None);
    assert_eq!(fresh.target_group_arn(), Some(TG));
}

#[test]
fn values_not_reported_are_unknown() {
    let (spec, resolver) = (spec(blue_green()), resolver());
    let mut live = live();
    live.strategy = None;
    live.bake_time_minutes = None;
    let advanced = live.load_balancers[0].advanced.as_mut().unwrap();
    advanced.production_listener_rule = None;
    advanced.role_arn = None;
    assert_eq!(EcsService::diff(&spec, &live, &resolver), vec![]);
    let rolling = self::spec(Strategy::Rolling);
    live.load_balancers[0].advanced = None;
    assert_eq!(EcsService::diff(&rolling, &live, &resolver), vec![]);
}

#[test]
fn strategy_and_blue_green_settings_are_compared() {
    let resolver = resolver();
    let blue_green_spec = spec(blue_green());
    // A rolling service turned blue/green.
    let mut rolling_live = live();
    rolling_live.strategy = Some("ROLLING".into());
    rolling_live.bake_time_minutes = None;
    rolling_live.load_balancers[0].advanced = None;
    assert_eq!(
        fields(EcsService::diff(&blue_green_spec, &rolling_live, &resolver)),
        ["load_balancers", "deployment_strategy"]
    );
    // And back.
    assert_eq!(
        fields(EcsService::diff(
            &spec(Strategy::Rolling),
            &live(),
            &resolver
        )),
        ["load_balancers", "deployment_strategy"]
    );
    let mut other = live();
    other.bake_time_minutes = Some(10);
    let advanced = other.load_balancers[0].advanced.as_mut().unwrap();
    advanced.production_listener_rule = Some("arn:other-rule".into());
    advanced.role_arn = Some("arn:other-role".into());
    let changes = EcsService::diff(&blue_green_spec, &other, &resolver);
    assert_eq!(
        fields(changes.clone()),
        [
            "production_listener_rule",
            "infrastructure_role",
            "bake_time_minutes"
        ]
    );
    assert!(changes.iter().all(|change| !change.replace));
}

#[test]
fn blue_green_is_sent_in_the_deployment_configuration_and_refs() {
    let resolver = resolver();
    let configuration = deployment_configuration(&spec(blue_green()), &resolver);
    assert_eq!(
        configuration.strategy(),
        Some(&DeploymentStrategy::BlueGreen)
    );
    assert_eq!(configuration.bake_time_in_minutes(), Some(5));
    let rolling = deployment_configuration(&spec(Strategy::Rolling), &resolver);
    assert_eq!(rolling.strategy(), Some(&DeploymentStrategy::Rolling));
    assert_eq!(rolling.bake_time_in_minutes(), None);
    let refs = EcsService::refs(&spec(blue_green()));
    for id in ["alt", "rule", "role"] {
        assert!(
            refs.iter().any(|r| r.id.to_string() == id),
            "{id}: {refs:?}"
        );
    }
    assert_eq!(EcsService::refs(&spec(Strategy::Rolling)).len(), 5);
}

#[test]
fn desired_count_owned_by_auto_scaling_is_not_compared() {
    let resolver = resolver();
    let mut scaled = live();
    scaled.desired_count = 7;
    let mut managed = spec(blue_green());
    assert_eq!(
        fields(EcsService::diff(&managed, &scaled, &resolver)),
        ["desired_count"]
    );
    managed.desired_count_managed = true;
    assert_eq!(EcsService::diff(&managed, &scaled, &resolver), vec![]);
}

#[test]
fn what_create_service_drops_shows_as_updates() {
    // The emulator's CreateService keeps no deployment configuration, ECS Exec or grace
    // period: the engine's read-back diff asks `update` for them.
    let resolver = resolver();
    let mut created = live();
    created.health_check_grace_period_seconds = None;
    created.enable_execute_command = false;
    created.circuit_breaker = None;
    created.maximum_percent = None;
    created.minimum_healthy_percent = None;
    created.strategy = None;
    created.bake_time_minutes = None;
    let changes = EcsService::diff(&spec(blue_green()), &created, &resolver);
    assert_eq!(
        fields(changes.clone()),
        [
            "health_check_grace_period_seconds",
            "enable_execute_command",
            "circuit_breaker",
            "maximum_percent",
            "minimum_healthy_percent"
        ]
    );
    assert!(changes.iter().all(|change| !change.replace));
}

#[test]
fn the_cluster_is_read_from_new_style_arns_only() {
    assert_eq!(
        cluster_of_arn("arn:aws:ecs:us-east-1:1:service/macro-ai-staging/api"),
        Some("macro-ai-staging")
    );
    assert_eq!(cluster_of_arn("arn:aws:ecs:us-east-1:1:service/api"), None);
}

#[test]
fn outputs_are_the_declared_ones_and_draining_is_final() {
    assert!(crate::resources::outputs_are_declared::<EcsService>(&live()));
    assert_eq!(EcsService::readiness(&live()), Readiness::Ready);
    let draining = EcsServiceLive {
        status: "DRAINING".into(),
        ..live()
    };
    assert!(matches!(
        EcsService::readiness(&draining),
        Readiness::Failed(_)
    ));
}

#[test]
fn planning_answers_from_the_listing_of_the_cluster_asked() {
    let in_staging = EcsServiceLive {
        arn: "arn:aws:ecs:us-east-1:1:service/macro-ai-staging/api".into(),
        ..live()
    };
    let listed = [
        listing::ClusterServices {
            cluster: "macro-ai-staging".into(),
            services: vec![in_staging.clone()],
        },
        listing::ClusterServices {
            cluster: "macro-ai-other".into(),
            services: Vec::new(),
        },
    ];
    let staging = "arn:aws:ecs:us-east-1:1:cluster/macro-ai-staging";
    let found = |lookup, cluster, name| {
        from_listing(&listed, lookup, cluster, name).map(|found| found.map(|live| live.arn))
    };
    assert_eq!(
        found(Lookup::Identity, staging, "api"),
        Some(Some(in_staging.arn.clone()))
    );
    // Every desired name was asked for in that cluster: not listed is absent.
    assert_eq!(found(Lookup::Identity, staging, "ui"), Some(None));
    assert_eq!(found(Lookup::Identity, "macro-ai-other", "api"), Some(None));
    // A cluster the listing did not ask about: only a direct read can tell.
    assert_eq!(found(Lookup::Identity, "elsewhere", "api"), None);
    // By ARN: only an exact match, else a direct read.
    assert_eq!(
        found(Lookup::Id(&in_staging.arn), staging, "api"),
        Some(Some(in_staging.arn.clone()))
    );
    let other_cluster = "arn:aws:ecs:us-east-1:1:service/macro-ai-other/api";
    assert_eq!(found(Lookup::Id(other_cluster), staging, "api"), None);
    assert_eq!(cluster_name(staging), "macro-ai-staging");
    assert_eq!(cluster_name("macro-ai-staging"), "macro-ai-staging");
}

#[test]
fn deletion_by_status() {
    assert_eq!(deletion_of("ACTIVE"), Deletion::Present);
    assert_eq!(
        deletion_of("DRAINING"),
        Deletion::Deleting("draining".into())
    );
    assert_eq!(deletion_of("INACTIVE"), Deletion::Gone);
}

#[test]
fn an_inactive_service_is_not_found() {
    let answer = |code: &str| {
        let mut err = AwsError::other("DeleteService", "");
        err.code = Some(code.to_string());
        inactive_is_not_found(err).class()
    };
    assert_eq!(answer("ServiceNotActiveException"), ErrorClass::NotFound);
    assert_eq!(answer("InvalidParameterException"), ErrorClass::Other);
}
