//! Fargate Spot end to end, checked with the emulator's own ECS client: the cluster's capacity
//! providers, each service's capacity provider strategy per environment (dev on Spot, prod
//! on-demand), a no-op second `up`, a changed `capacity` updating only its service (with the
//! new deployment ECS requires), adoption after a lost state, and bad values.
mod support;

use support::{Emulator, RunOutput, Workspace};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// (provider, base, weight), sorted.
type Strategy = Vec<(String, i32, i32)>;

fn strategy_of(items: &[aws_sdk_ecs::types::CapacityProviderStrategyItem]) -> Strategy {
    let mut strategy: Strategy = items
        .iter()
        .map(|item| {
            (
                item.capacity_provider().to_string(),
                item.base(),
                item.weight(),
            )
        })
        .collect();
    strategy.sort();
    strategy
}

fn share(provider: &str, base: i32, weight: i32) -> (String, i32, i32) {
    (provider.to_string(), base, weight)
}

/// The cluster's capacity providers, and each service's strategy and launch type.
async fn capacity(
    emulator: &Emulator,
    env: &str,
) -> (Vec<String>, Vec<(String, Strategy, Option<String>)>) {
    let ecs = emulator.ecs().await;
    let cluster = format!("macro-ai-{env}");
    let clusters = ecs
        .describe_clusters()
        .clusters(&cluster)
        .send()
        .await
        .unwrap();
    let mut providers = clusters.clusters()[0].capacity_providers().to_vec();
    providers.sort();
    let services = ecs
        .describe_services()
        .cluster(&cluster)
        .services("api")
        .services("ui")
        .send()
        .await
        .unwrap();
    let mut per_service: Vec<_> = services
        .services()
        .iter()
        .map(|service| {
            (
                service.service_name().unwrap().to_string(),
                strategy_of(service.capacity_provider_strategy()),
                service.launch_type().map(|t| t.as_str().to_string()),
            )
        })
        .collect();
    per_service.sort();
    (providers, per_service)
}

fn mutating_actions(emulator: &Emulator) -> Vec<String> {
    let mut actions: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|call| call.action.clone())
        .collect();
    actions.sort();
    actions
}

const BOTH: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

#[tokio::test]
async fn dev_runs_on_spot_and_a_changed_capacity_updates_only_its_service() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let spot = vec![share("FARGATE_SPOT", 0, 1)];
    let (providers, services) = capacity(&emulator, "dev").await;
    assert_eq!(providers, BOTH);
    assert_eq!(
        services,
        [
            ("api".to_string(), spot.clone(), None),
            ("ui".to_string(), spot.clone(), None)
        ]
    );
    // Created with a strategy, never with a launch type (ECS refuses both at once).
    for created in emulator.recorded_json("CreateService") {
        assert!(created.get("launchType").is_none(), "{created}");
    }

    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(mutating_actions(&emulator), Vec::<String>::new());

    // The UI moves to on-demand: one UpdateService, of the UI, forcing the new deployment
    // ECS requires for a changed strategy.
    ws.edit_env("dev", |text| {
        let ui = text.find("[services.ui]").unwrap();
        let (head, tail) = text.split_at(ui);
        format!(
            "{head}{}",
            tail.replacen("capacity = \"spot\"", "capacity = \"on-demand\"", 1)
        )
    });
    let plan = ws.run(&["plan", "--env", "dev"]);
    plan.assert_success();
    assert!(
        plan.stdout.contains("capacity_provider_strategy"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("restarts service ui"),
        "{}",
        plan.stdout
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(mutating_actions(&emulator), ["UpdateService"]);
    let update = &emulator.recorded_json("UpdateService")[0];
    assert_eq!(update["service"], "ui", "{update}");
    assert_eq!(update["forceNewDeployment"], true, "{update}");
    let (_, services) = capacity(&emulator, "dev").await;
    assert_eq!(
        services,
        [
            ("api".to_string(), spot.clone(), None),
            ("ui".to_string(), vec![share("FARGATE", 0, 1)], None)
        ]
    );
    let ecs = emulator.ecs().await;
    let ui = ecs
        .describe_services()
        .cluster("macro-ai-dev")
        .services("ui")
        .send()
        .await
        .unwrap();
    let primary = ui.services()[0]
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .unwrap()
        .clone();
    assert_eq!(
        strategy_of(primary.capacity_provider_strategy()),
        [share("FARGATE", 0, 1)]
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(mutating_actions(&emulator), Vec::<String>::new());

    // A lost state: the cluster and services are adopted as they are.
    std::fs::remove_file(ws.state_dir().join("dev.json")).unwrap();
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(mutating_actions(&emulator), Vec::<String>::new());
    let state = json(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap());
    assert!(state["resources"]["service-ui"]["physical_id"].is_string());
}

#[tokio::test]
async fn prod_runs_on_demand_and_staging_mixes() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
    let on_demand = vec![share("FARGATE", 0, 1)];
    let (providers, services) = capacity(&emulator, "prod").await;
    assert_eq!(providers, BOTH);
    assert_eq!(
        services,
        [
            ("api".to_string(), on_demand.clone(), None),
            ("ui".to_string(), on_demand.clone(), None)
        ]
    );

    // Staging: one API task always on on-demand, the rest half on Spot; the UI on Spot.
    let plan = ws.run(&["plan", "--env", "staging", "--output", "json"]);
    plan.assert_success();
    let document = json(&plan.stdout);
    assert!(document["resources"].is_array(), "{}", plan.stdout);
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    let (_, services) = capacity(&emulator, "staging").await;
    assert_eq!(
        services,
        [
            (
                "api".to_string(),
                vec![share("FARGATE", 1, 1), share("FARGATE_SPOT", 0, 1)],
                None
            ),
            ("ui".to_string(), vec![share("FARGATE_SPOT", 0, 1)], None)
        ]
    );
}

#[track_caller]
fn assert_refused(run: &RunOutput, fragments: &[&str]) {
    run.assert_code(1);
    for fragment in fragments {
        assert!(
            run.stderr.contains(fragment),
            "`{fragment}` not in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn bad_capacity_settings_name_the_key_before_any_aws_call() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        text.replacen("capacity = \"spot\"", "capacity = \"cheap\"", 1)
    });
    let run = ws.run(&["plan", "--env", "dev"]);
    assert_refused(
        &run,
        &[
            "dev.toml:",
            "services.api.capacity",
            "on-demand",
            "spot",
            "mixed",
        ],
    );
    ws.edit_env("dev", |text| {
        text.replacen(
            "capacity = \"cheap\"",
            "capacity = \"spot\"\nspot_percent = 60",
            1,
        )
    });
    let run = ws.run(&["plan", "--env", "dev"]);
    assert_refused(
        &run,
        &[
            "dev.toml:",
            "services.api.spot_percent",
            "capacity = \"mixed\"",
        ],
    );
    assert!(emulator.recorded_calls().is_empty());
}
