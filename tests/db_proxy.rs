//! RDS Proxy end to end: where the environment enables it, a proxy in the database subnets with
//! TLS required, authenticating with the database secret through a role that may read only
//! that secret, its own security group between the API and the database, the database as its
//! target, and the API connecting to it; all checked through independent SDK calls. Then a
//! second `up` changes nothing, a changed setting changes only the proxy, a lost state is
//! adopted, a fresh role is waited for, and `destroy` removes it all. Dev has no proxy.
mod support;

use serde_json::json;
use support::inspect::*;
use support::{Emulator, Workspace};

const PROXY: &str = "macro-ai-staging-db-proxy";
const ROLE: &str = "macro-ai-staging-rds-proxy";
const DATABASE: &str = "macro-ai-staging-postgres";

/// A security group: (logical id, group id, [(port, source group id)]).
type Group = (String, String, Vec<(i32, String)>);

/// The security groups of `env`.
async fn groups(emulator: &Emulator, env: &str) -> Vec<Group> {
    let ec2 = emulator.ec2().await;
    let listed = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:macroctl:env")
                .values(env)
                .build(),
        )
        .send()
        .await
        .unwrap();
    listed
        .security_groups()
        .iter()
        .map(|group| {
            let logical = (group.tags().iter())
                .find(|tag| tag.key() == Some("macroctl:id"))
                .and_then(|tag| tag.value())
                .unwrap_or_default()
                .to_string();
            let rules = (group.ip_permissions().iter())
                .flat_map(|permission| {
                    let port = permission.from_port().unwrap_or_default();
                    permission
                        .user_id_group_pairs()
                        .iter()
                        .map(move |pair| (port, pair.group_id().unwrap_or_default().to_string()))
                })
                .collect();
            (
                logical,
                group.group_id().unwrap_or_default().to_string(),
                rules,
            )
        })
        .collect()
}

fn group_id(groups: &[Group], logical: &str) -> String {
    (groups.iter())
        .find(|(id, _, _)| id == logical)
        .unwrap_or_else(|| panic!("no security group {logical}"))
        .1
        .clone()
}

fn rules_of(groups: &[Group], logical: &str) -> Vec<(i32, String)> {
    (groups.iter())
        .find(|(id, _, _)| id == logical)
        .unwrap_or_else(|| panic!("no security group {logical}"))
        .2
        .clone()
}

async fn proxy(emulator: &Emulator) -> Option<aws_sdk_rds::types::DbProxy> {
    let rds = emulator.rds().await;
    let listed = rds.describe_db_proxies().send().await.unwrap();
    listed
        .db_proxies()
        .iter()
        .find(|proxy| proxy.db_proxy_name() == Some(PROXY))
        .cloned()
}

/// The API task definition's `DATABASE_HOST`.
async fn database_host(emulator: &Emulator, env: &str) -> String {
    let ecs = emulator.ecs().await;
    let service = ecs
        .describe_services()
        .cluster(format!("macro-ai-{env}"))
        .services("api")
        .send()
        .await
        .unwrap();
    let task_definition = service.services()[0].task_definition().unwrap().to_string();
    let described = ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .unwrap();
    let definition = described.task_definition().unwrap();
    let api = (definition.container_definitions().iter())
        .find(|container| container.name() == Some("api"))
        .unwrap();
    (api.environment().iter())
        .find(|pair| pair.name() == Some("DATABASE_HOST"))
        .and_then(|pair| pair.value())
        .unwrap()
        .to_string()
}

fn mutating(emulator: &Emulator) -> Vec<String> {
    emulator
        .mutating_calls()
        .into_iter()
        .map(|call| format!("{}:{}", call.service, call.action))
        .collect()
}

#[tokio::test]
async fn staging_gets_a_proxy_between_the_api_and_the_database() {
    // Creations take a moment, as on AWS: the proxy is `creating`, its target `REGISTERING`.
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=1")]);
    let ws = Workspace::new(&emulator);
    let up = ws.run(&["up", "--env", "staging", "--yes"]);
    up.assert_success();
    // Progress while waiting for each.
    assert!(
        up.stderr.contains(&format!("DB proxy {PROXY} is creating")),
        "{}",
        up.stderr
    );
    assert!(
        up.stderr.contains(&format!(
            "DB proxy {PROXY} target {DATABASE} is registering"
        )),
        "{}",
        up.stderr
    );

    // The proxy, by the SDK.
    let found = proxy(&emulator).await.expect("no proxy");
    assert_eq!(found.engine_family(), Some("POSTGRESQL"));
    assert_eq!(found.require_tls(), Some(true));
    assert_eq!(found.idle_client_timeout(), Some(1800));
    assert_eq!(found.debug_logging(), Some(false));
    let secrets = emulator.secretsmanager().await;
    let secret_arn = secrets
        .describe_secret()
        .secret_id("macro-ai/staging/db-credentials")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let auth = found.auth();
    assert_eq!(auth.len(), 1, "{auth:?}");
    assert_eq!(auth[0].secret_arn(), Some(secret_arn.as_str()));
    assert_eq!(auth[0].auth_scheme().map(|s| s.as_str()), Some("SECRETS"));
    assert_eq!(auth[0].iam_auth().map(|s| s.as_str()), Some("DISABLED"));

    // In the database subnets.
    let rds = emulator.rds().await;
    let subnet_group = rds
        .describe_db_subnet_groups()
        .db_subnet_group_name("macro-ai-staging-db")
        .send()
        .await
        .unwrap();
    let mut database_subnets: Vec<String> = subnet_group.db_subnet_groups()[0]
        .subnets()
        .iter()
        .filter_map(|subnet| subnet.subnet_identifier().map(str::to_string))
        .collect();
    database_subnets.sort();
    let mut proxy_subnets = found.vpc_subnet_ids().to_vec();
    proxy_subnets.sort();
    assert_eq!(proxy_subnets, database_subnets);

    // Its role: trusted by RDS, reading exactly the database secret.
    let iam = emulator.iam().await;
    let role = iam.get_role().role_name(ROLE).send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(found.role_arn(), Some(role.arn()));
    let trust = decode(role.assume_role_policy_document().unwrap()).to_string();
    assert!(trust.contains("rds.amazonaws.com"), "{trust}");
    let statements = statements(&iam, ROLE).await;
    assert_eq!(
        statements,
        [(
            vec!["secretsmanager:GetSecretValue".to_string()],
            vec![secret_arn.clone()]
        )]
    );

    // Security groups: API -> proxy -> database, and nothing around the proxy.
    let listed_groups = groups(&emulator, "staging").await;
    let api = group_id(&listed_groups, "sg-api");
    let proxy_group = group_id(&listed_groups, "sg-db-proxy");
    assert_eq!(
        found.vpc_security_group_ids(),
        std::slice::from_ref(&proxy_group)
    );
    assert_eq!(
        rules_of(&listed_groups, "sg-db-proxy"),
        [(5432, api.clone())]
    );
    assert_eq!(
        rules_of(&listed_groups, "sg-db"),
        [(5432, proxy_group.clone())]
    );

    // The database is its target, available.
    let targets = rds
        .describe_db_proxy_targets()
        .db_proxy_name(PROXY)
        .send()
        .await
        .unwrap();
    let targets = targets.targets();
    assert_eq!(targets.len(), 1, "{targets:?}");
    assert_eq!(targets[0].rds_resource_id(), Some(DATABASE));
    assert_eq!(
        targets[0]
            .target_health()
            .and_then(|health| health.state())
            .map(|state| state.as_str()),
        Some("AVAILABLE")
    );

    // The API connects to the proxy.
    assert_eq!(
        database_host(&emulator, "staging").await,
        found.endpoint().unwrap()
    );

    // A second up changes nothing.
    emulator.reset_recording();
    let again = ws.run(&["up", "--env", "staging", "--yes"]);
    again.assert_success();
    assert!(mutating(&emulator).is_empty(), "{:?}", mutating(&emulator));

    // A changed setting changes the proxy only.
    ws.edit_env("staging", |text| {
        text.replace(
            "idle_client_timeout_seconds = 1800",
            "idle_client_timeout_seconds = 900",
        )
    });
    let plan = ws.run(&["plan", "--env", "staging"]);
    plan.assert_success();
    assert!(
        plan.stdout
            .contains("idle_client_timeout_seconds: 1800 → 900"),
        "{}",
        plan.stdout
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert_eq!(mutating(&emulator), ["rds:ModifyDBProxy"]);
    let modified = proxy(&emulator).await.unwrap();
    assert_eq!(modified.idle_client_timeout(), Some(900));
    assert_eq!(modified.require_tls(), Some(true));

    // A lost state: found again by name and through its parents, adopted, nothing changed.
    std::fs::remove_file(ws.state_dir().join("staging.json")).unwrap();
    let _ = std::fs::remove_file(ws.state_dir().join("staging.json.backup"));
    emulator.reset_recording();
    ws.run(&["up", "--env", "staging", "--yes"])
        .assert_success();
    assert!(mutating(&emulator).is_empty(), "{:?}", mutating(&emulator));
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.state_dir().join("staging.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["resources"]["db-proxy"]["physical_id"], PROXY);
    assert_eq!(
        state["resources"]["db-proxy-target"]["physical_id"],
        format!("{PROXY}/{DATABASE}")
    );

    // Destroy removes the target, the proxy, its group and its role.
    ws.run(&[
        "destroy",
        "--env",
        "staging",
        "--yes",
        "--disable-deletion-protection",
        "--skip-final-snapshot",
        "--purge-secrets",
        "--delete-images",
    ])
    .assert_success();
    assert!(proxy(&emulator).await.is_none());
    assert!(groups(&emulator, "staging").await.is_empty());
    assert!(iam.get_role().role_name(ROLE).send().await.is_err());
}

#[tokio::test]
async fn a_fresh_role_is_waited_for_before_the_proxy_accepts_it() {
    let emulator = Emulator::start_realistic(&[]);
    // Long enough to outlast what the proxy waits for besides its role (the VPC and the
    // security groups before its own), on a loaded machine too: with 3 s the proxy was
    // sometimes created after the window.
    emulator.set_faults(&json!({"iam_propagation": {"seconds": 10.0}}));
    let ws = Workspace::new(&emulator);
    let up = ws.run(&["up", "--env", "staging", "--yes"]);
    up.assert_success();
    assert!(
        emulator.injected("iam_propagation", "rds:CreateDBProxy") > 0,
        "{}",
        up.stderr
    );
    assert!(
        up.stderr
            .contains("waiting for IAM role iam-rds-proxy-role to propagate"),
        "{}",
        up.stderr
    );
    assert!(proxy(&emulator).await.is_some());
}

#[tokio::test]
async fn dev_has_no_proxy_and_the_api_connects_to_the_database() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let rds = emulator.rds().await;
    let listed = rds.describe_db_proxies().send().await.unwrap();
    assert!(listed.db_proxies().is_empty(), "{listed:?}");
    let groups = groups(&emulator, "dev").await;
    assert!(groups.iter().all(|(id, _, _)| id != "sg-db-proxy"));
    let api = group_id(&groups, "sg-api");
    assert_eq!(rules_of(&groups, "sg-db"), [(5432, api)]);
    let instance = rds
        .describe_db_instances()
        .db_instance_identifier("macro-ai-dev-postgres")
        .send()
        .await
        .unwrap();
    let address = instance.db_instances()[0]
        .endpoint()
        .and_then(|endpoint| endpoint.address())
        .unwrap()
        .to_string();
    assert_eq!(database_host(&emulator, "dev").await, address);
}
