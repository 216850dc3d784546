//! Cognito end to end: the user pool and app client macroctl creates per environment (password
//! policy, MFA, deletion protection, a public client, tags), the API task role scoped to the
//! pool's ARN and the ids in the API's environment, checked through independent SDK calls; a
//! converged second `up`, a changed setting updating only the pool, adoption after a lost
//! state, a pool of another environment never adopted, `destroy` (prod's deletion protection
//! handled like the database's), and an existing pool referenced instead of created.
mod support;

use aws_sdk_cognitoidentityprovider::types::{DeletionProtectionType, UserPoolMfaType};
use support::inspect::statements;
use support::{Emulator, Workspace};

/// The ids of the pools named `name`.
async fn pools_named(emulator: &Emulator, name: &str) -> Vec<String> {
    let cognito = emulator.cognito().await;
    let listed = cognito
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .unwrap();
    listed
        .user_pools()
        .iter()
        .filter(|pool| pool.name() == Some(name))
        .map(|pool| pool.id().unwrap().to_string())
        .collect()
}

/// The one pool of `env`: (id, ARN).
async fn the_pool(emulator: &Emulator, env: &str) -> (String, String) {
    let ids = pools_named(emulator, &format!("macro-ai-{env}-user-pool")).await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    let pool = emulator
        .cognito()
        .await
        .describe_user_pool()
        .user_pool_id(&ids[0])
        .send()
        .await
        .unwrap();
    let pool = pool.user_pool().unwrap();
    (ids[0].clone(), pool.arn().unwrap().to_string())
}

/// The API container's plain environment, from its task definition's latest revision.
async fn api_environment(emulator: &Emulator, env: &str) -> Vec<(String, String)> {
    let ecs = emulator.ecs().await;
    let task = ecs
        .describe_task_definition()
        .task_definition(format!("macro-ai-{env}-api"))
        .send()
        .await
        .unwrap();
    let container = &task.task_definition().unwrap().container_definitions()[0];
    container
        .environment()
        .iter()
        .map(|pair| {
            (
                pair.name().unwrap().to_string(),
                pair.value().unwrap().to_string(),
            )
        })
        .collect()
}

fn value<'a>(environment: &'a [(String, String)], name: &str) -> Option<&'a str> {
    environment
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The resources of the API task role's Cognito statements.
async fn cognito_resources(emulator: &Emulator, env: &str) -> Vec<Vec<String>> {
    let iam = emulator.iam().await;
    statements(&iam, &format!("macro-ai-{env}-api-task"))
        .await
        .into_iter()
        .filter(|(actions, _)| actions.iter().any(|a| a.starts_with("cognito-idp:")))
        .map(|(_, resources)| resources)
        .collect()
}

async fn check_pool(emulator: &Emulator, env: &str, protected: bool) {
    let cognito = emulator.cognito().await;
    let (id, arn) = the_pool(emulator, env).await;
    let described = cognito
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    let pool = described.user_pool().unwrap();
    let policy = pool.policies().unwrap().password_policy().unwrap();
    assert_eq!(policy.minimum_length(), Some(12), "{env}");
    assert!(
        policy.require_uppercase()
            && policy.require_lowercase()
            && policy.require_numbers()
            && policy.require_symbols(),
        "{env}: {policy:?}"
    );
    let attributes: Vec<&str> = pool
        .username_attributes()
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert_eq!(attributes, ["email"], "{env}");
    let verified: Vec<&str> = (pool.auto_verified_attributes().iter())
        .map(|a| a.as_str())
        .collect();
    assert_eq!(verified, ["email"], "{env}");
    let expected = if protected {
        DeletionProtectionType::Active
    } else {
        DeletionProtectionType::Inactive
    };
    assert_eq!(pool.deletion_protection(), Some(&expected), "{env}");
    let tags = pool.user_pool_tags().unwrap();
    assert_eq!(tags.get("macroctl:env").map(String::as_str), Some(env));
    assert_eq!(
        tags.get("macroctl:stack").map(String::as_str),
        Some("macro-ai")
    );
    assert_eq!(
        tags.get("macroctl:id").map(String::as_str),
        Some("user-pool")
    );

    let mfa = cognito
        .get_user_pool_mfa_config()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        mfa.mfa_configuration(),
        Some(&UserPoolMfaType::Optional),
        "{env}"
    );
    assert!(mfa.software_token_mfa_configuration().unwrap().enabled());

    // One public client: no secret, SRP and refresh only.
    let clients = cognito
        .list_user_pool_clients()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(clients.user_pool_clients().len(), 1, "{clients:?}");
    let client_id = clients.user_pool_clients()[0].client_id().unwrap();
    let client = cognito
        .describe_user_pool_client()
        .user_pool_id(&id)
        .client_id(client_id)
        .send()
        .await
        .unwrap();
    let client = client.user_pool_client().unwrap();
    assert_eq!(
        client.client_name(),
        Some(format!("macro-ai-{env}-api").as_str())
    );
    assert!(client.client_secret().is_none(), "{client:?}");
    let mut flows: Vec<&str> = client
        .explicit_auth_flows()
        .iter()
        .map(|f| f.as_str())
        .collect();
    flows.sort();
    assert_eq!(flows, ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]);

    // The task role names exactly this pool; the API gets both ids.
    assert_eq!(cognito_resources(emulator, env).await, vec![vec![arn]]);
    let environment = api_environment(emulator, env).await;
    assert_eq!(
        value(&environment, "COGNITO_USER_POOL_ID"),
        Some(id.as_str())
    );
    assert_eq!(value(&environment, "COGNITO_CLIENT_ID"), Some(client_id));
}

#[tokio::test]
async fn pool_and_client_per_environment_and_a_converged_second_up() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    for (env, protected) in [("dev", false), ("staging", false)] {
        ws.run(&["up", "--env", env, "--yes"]).assert_success();
        check_pool(&emulator, env, protected).await;
        emulator.reset_recording();
        ws.run(&["up", "--env", env, "--yes"]).assert_success();
        let mutating = emulator.mutating_calls();
        assert!(mutating.is_empty(), "{env}: {mutating:?}");
    }
}

#[tokio::test]
async fn a_changed_password_length_updates_only_the_pool() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    ws.edit_env("dev", |text| {
        text.replacen("password_min_length = 12", "password_min_length = 16", 1)
    });
    let plan = ws.run(&["plan", "--env", "dev", "--detailed-exitcode"]);
    plan.assert_code(2);
    assert!(
        plan.stdout.contains("password_min_length"),
        "{}",
        plan.stdout
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let actions: Vec<String> = (emulator.mutating_calls().into_iter())
        .map(|call| call.action)
        .collect();
    assert_eq!(actions, ["UpdateUserPool"]);
    let (id, _) = the_pool(&emulator, "dev").await;
    let pool = emulator
        .cognito()
        .await
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    let pool = pool.user_pool().unwrap();
    let policy = pool.policies().unwrap().password_policy().unwrap();
    assert_eq!(policy.minimum_length(), Some(16));
    // Nothing else of the pool moved: tags, MFA and the username attribute are kept.
    assert_eq!(
        pool.user_pool_tags()
            .unwrap()
            .get("macroctl:id")
            .map(String::as_str),
        Some("user-pool")
    );
    let attributes: Vec<&str> = pool
        .username_attributes()
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert_eq!(attributes, ["email"]);
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(emulator.mutating_calls().is_empty());
}

#[tokio::test]
async fn a_lost_state_adopts_the_pool_and_another_environments_pool_is_never_adopted() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let (id, _) = the_pool(&emulator, "dev").await;
    std::fs::remove_file(ws.state_dir().join("dev.json")).unwrap();
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "{mutating:?}");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap())
            .unwrap();
    assert_eq!(state["resources"]["user-pool"]["physical_id"], id.as_str());
    assert!(state["resources"]["user-pool-client"]["physical_id"].is_string());

    // A pool with staging's name, tagged for another environment: refused, never changed.
    let cognito = emulator.cognito().await;
    let foreign = cognito
        .create_user_pool()
        .pool_name("macro-ai-staging-user-pool")
        .user_pool_tags("macroctl:stack", "macro-ai")
        .user_pool_tags("macroctl:env", "qa")
        .user_pool_tags("macroctl:id", "user-pool")
        .send()
        .await
        .unwrap();
    let foreign_id = foreign.user_pool().unwrap().id().unwrap().to_string();
    emulator.reset_recording();
    let out = ws.run(&["up", "--env", "staging", "--yes"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains(&foreign_id) && out.stderr.contains("another stack or environment"),
        "{}",
        out.stderr
    );
    let touched: Vec<String> = (emulator.mutating_calls().into_iter())
        .filter(|call| call.action.contains("UserPool"))
        .map(|call| call.action)
        .collect();
    assert!(touched.is_empty(), "{touched:?}");
    assert_eq!(
        pools_named(&emulator, "macro-ai-staging-user-pool").await,
        [foreign_id]
    );
}

#[tokio::test]
async fn destroy_removes_client_and_pool_and_prods_protection_needs_the_flag() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    ws.run(&[
        "destroy",
        "--env",
        "dev",
        "--yes",
        "--purge-secrets",
        "--delete-images",
    ])
    .assert_success();
    assert!(pools_named(&emulator, "macro-ai-dev-user-pool")
        .await
        .is_empty());

    ws.run(&["up", "--env", "prod", "--yes"]).assert_success();
    check_pool(&emulator, "prod", true).await;
    emulator.reset_recording();
    let refused = ws.run(&["destroy", "--env", "prod", "--yes", "--force-protected"]);
    refused.assert_code(1);
    assert!(
        refused
            .stderr
            .contains("user-pool (deletion_protection is on)"),
        "{}",
        refused.stderr
    );
    assert!(emulator.mutating_calls().is_empty());
    ws.run(&[
        "destroy",
        "--env",
        "prod",
        "--yes",
        "--force-protected",
        "--disable-deletion-protection",
        "--skip-final-snapshot",
        "--purge-secrets",
        "--delete-images",
    ])
    .assert_success();
    // The emulator refuses to delete a protected pool: it was turned off first.
    let actions: Vec<String> = (emulator.mutating_calls().into_iter())
        .map(|call| call.action)
        .filter(|action| action.contains("UserPool"))
        .collect();
    assert_eq!(
        actions,
        ["DeleteUserPoolClient", "UpdateUserPool", "DeleteUserPool"]
    );
    assert!(pools_named(&emulator, "macro-ai-prod-user-pool")
        .await
        .is_empty());
}

#[tokio::test]
async fn an_existing_pool_is_referenced_and_nothing_is_created() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    let cognito = emulator.cognito().await;
    let existing = cognito
        .create_user_pool()
        .pool_name("company-users")
        .send()
        .await
        .unwrap();
    let existing = existing.user_pool().unwrap();
    let (id, arn) = (existing.id().unwrap(), existing.arn().unwrap());
    ws.edit_env("dev", |text| {
        text.replacen(
            "[integrations]",
            &format!("[integrations]\ncognito_user_pool_arn = \"{arn}\""),
            1,
        )
    });
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert!(pools_named(&emulator, "macro-ai-dev-user-pool")
        .await
        .is_empty());
    let clients = cognito
        .list_user_pool_clients()
        .user_pool_id(id)
        .send()
        .await
        .unwrap();
    assert!(clients.user_pool_clients().is_empty());
    assert_eq!(
        cognito_resources(&emulator, "dev").await,
        vec![vec![arn.to_string()]]
    );
    let environment = api_environment(&emulator, "dev").await;
    assert_eq!(value(&environment, "COGNITO_USER_POOL_ID"), Some(id));
    assert_eq!(value(&environment, "COGNITO_CLIENT_ID"), None);
}
