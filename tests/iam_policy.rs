//! `macroctl iam-policy`: the policies are what the commands need, and no more.
//!
//! * The document: JSON, stable, no `*` action, `*` resources only in statements of their
//!   own, the environment's names in the resources, the S3 state backend's statements when
//!   state is in S3, no AWS call with `--account` (one STS call without), usage errors for
//!   bad input.
//! * Completeness: `up`, `deploy` and `status` (and `plan`) of dev, staging and prod run on
//!   the realistic emulator, and every call its recording shows must be an action the policy
//!   for that command grants (S3 calls: on a resource it grants them on too). A new call
//!   without its permission fails here, whether or not moto enforces its service.
//! * Enforcement: the emulator with IAM enforcement on (moto's `INITIAL_NO_AUTH_ACTION_COUNT`,
//!   made faithful by `tests/emulator/iam_enforcement.py`) and a CI user holding only the
//!   generated policy: `up` with the `up` policy, `deploy` with `deploy`'s, `status` and
//!   `plan` with `read`'s succeed, checked through an admin user's independent SDK calls; a
//!   `deploy` with only the `read` policy is refused, names the missing permission and the
//!   fix, and changes nothing; `up` with only `deploy`'s policy is refused too. moto checks
//!   the action of every request of every service macroctl calls (not the signature: see
//!   `iam_enforcement.py`),
//!   and the resource only for IAM roles and S3 buckets/objects (elsewhere it does not know
//!   the request's resource); it evaluates no condition (`aws:RequestTag`, `aws:ResourceTag`,
//!   `iam:PassedToService`) and no implied action (`iam:PassRole`, the tag-on-create
//!   permissions): those parts of the policies are checked here only by the unit tests.
mod support;

use support::{Emulator, RecordedCall, RunOutput, Workspace};

const ACCOUNT: &str = "123456789012";
const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

fn json(run: &RunOutput) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// `macroctl iam-policy --env ENV --for PURPOSE --account 123456789012`, as a document.
fn policy(ws: &Workspace, env: &str, purpose: &str) -> serde_json::Value {
    let run = ws.run(&[
        "iam-policy",
        "--env",
        env,
        "--for",
        purpose,
        "--account",
        ACCOUNT,
    ]);
    run.assert_success();
    json(&run)
}

/// `*` matches any run of characters, as in IAM.
fn glob(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || value.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    if !value.ends_with(last) {
        return false;
    }
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Whether some statement allows `action` on `resource` (`None`: on anything it names).
fn allows(policy: &serde_json::Value, action: &str, resource: Option<&str>) -> bool {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .any(|statement| {
            let listed = |key: &str| -> Vec<String> {
                statement[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            listed("Action").iter().any(|a| a == action)
                && resource
                    .is_none_or(|resource| listed("Resource").iter().any(|r| glob(r, resource)))
        })
}

/// The IAM action (and, for S3, the resource) a recorded call needs; `None` for calls that
/// need no permission (STS GetCallerIdentity).
fn iam_action(call: &RecordedCall) -> Option<(String, Option<String>)> {
    let prefix = match call.service.as_str() {
        "monitoring" => "cloudwatch",
        "tagging" => "tag",
        other => other,
    };
    if call.service == "sts" && call.action == "GetCallerIdentity" {
        return None;
    }
    let Some((method, path)) = call.action.split_once(' ') else {
        return Some((format!("{prefix}:{}", call.action), None));
    };
    let (path, subresource) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let name = match prefix {
        "s3" => {
            let bucket = segments[0];
            let key = segments[1..].join("/");
            let resource = if key.is_empty() {
                format!("arn:aws:s3:::{bucket}")
            } else {
                format!("arn:aws:s3:::{bucket}/{key}")
            };
            let verb = if method == "GET" { "Get" } else { "Put" };
            let action = match (method, subresource, key.is_empty()) {
                ("HEAD", "", true) | ("GET", "", true) => "ListBucket".to_string(),
                ("PUT", "", true) => "CreateBucket".to_string(),
                ("GET", "versions", true) => "ListBucketVersions".to_string(),
                ("POST", "delete", true) => "DeleteObject".to_string(),
                (_, "encryption", true) => format!("{verb}EncryptionConfiguration"),
                (_, "lifecycle", true) => format!("{verb}LifecycleConfiguration"),
                (_, "publicAccessBlock", true) => format!("{verb}BucketPublicAccessBlock"),
                (_, "ownershipControls", true) => format!("{verb}BucketOwnershipControls"),
                (_, "versioning" | "policy" | "tagging" | "acl", true) => {
                    let sub = subresource[..1].to_uppercase() + &subresource[1..];
                    format!("{verb}Bucket{sub}")
                }
                ("GET" | "HEAD", _, false) => "GetObject".to_string(),
                ("PUT", _, false) => "PutObject".to_string(),
                ("DELETE", _, false) => "DeleteObject".to_string(),
                _ => panic!("no IAM action known for the S3 call {call}: add it here"),
            };
            return Some((format!("s3:{action}"), Some(resource)));
        }
        "cloudfront" => {
            let kind = segments.get(1).copied().unwrap_or("");
            match (method, kind, segments.len(), segments.last().copied()) {
                ("GET", "distribution", 2, _) => "ListDistributions",
                ("POST", "distribution", 2, _) => "CreateDistribution",
                ("GET", "distribution", 3, _) => "GetDistribution",
                ("PUT", "distribution", 4, Some("config")) => "UpdateDistribution",
                ("GET", "origin-access-control", 2, _) => "ListOriginAccessControls",
                ("POST", "origin-access-control", 2, _) => "CreateOriginAccessControl",
                ("GET", "origin-access-control", 3, _) => "GetOriginAccessControl",
                ("PUT", "origin-access-control", 4, _) => "UpdateOriginAccessControl",
                ("GET", "tagging", _, _) => "ListTagsForResource",
                ("POST", "tagging", _, _) => "TagResource",
                _ => panic!("no IAM action known for the CloudFront call {call}: add it here"),
            }
            .to_string()
        }
        "route53" => {
            let kind = segments.get(1).copied().unwrap_or("");
            match (method, kind, segments.len(), segments.last().copied()) {
                ("GET", "hostedzonesbyname", _, _) => "ListHostedZonesByName",
                ("GET", "hostedzone", 3, _) => "GetHostedZone",
                ("POST", "hostedzone", 2, _) => "CreateHostedZone",
                ("GET", "hostedzone", 4, Some("rrset")) => "ListResourceRecordSets",
                ("POST", "hostedzone", 4, Some("rrset")) => "ChangeResourceRecordSets",
                ("GET", "tags", _, _) => "ListTagsForResource",
                ("POST", "tags", _, _) => "ChangeTagsForResource",
                _ => panic!("no IAM action known for the Route 53 call {call}: add it here"),
            }
            .to_string()
        }
        _ => panic!("no IAM action known for the REST call {call}: add it here"),
    };
    Some((format!("{prefix}:{name}"), None))
}

/// Every call recorded since the last reset must be allowed by `policy`.
#[track_caller]
fn assert_covered(emulator: &Emulator, policy: &serde_json::Value, what: &str) -> usize {
    let calls = emulator.recorded_calls();
    assert!(!calls.is_empty(), "{what}: nothing was recorded");
    let mut missing: Vec<String> = calls
        .iter()
        .filter_map(|call| {
            let (action, resource) = iam_action(call)?;
            (!allows(policy, &action, resource.as_deref())).then(|| {
                format!(
                    "{action} (for {call}{})",
                    resource.map(|r| format!(" on {r}")).unwrap_or_default()
                )
            })
        })
        .collect();
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "{what} called what its policy does not allow (add it to src/ops/iam_policy):\n  {}",
        missing.join("\n  ")
    );
    calls.len()
}

#[test]
fn the_document_is_scoped_stable_and_needs_no_aws_call_with_an_account() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    for env in ["dev", "staging", "prod"] {
        for purpose in ["read", "deploy", "up"] {
            let document = policy(&ws, env, purpose);
            assert_eq!(document["Version"], "2012-10-17");
            let statements = document["Statement"].as_array().unwrap();
            assert!(statements.len() > 5, "{env} {purpose}: {document}");
            for statement in statements {
                assert_eq!(statement["Effect"], "Allow");
                for action in statement["Action"].as_array().unwrap() {
                    let action = action.as_str().unwrap();
                    assert!(!action.contains('*'), "{env} {purpose}: {action}");
                }
                let resources = statement["Resource"].as_array().unwrap();
                if resources.iter().any(|r| r == "*") {
                    assert_eq!(resources.len(), 1, "{statement}");
                }
                for resource in resources.iter().filter(|r| *r != "*") {
                    let resource = resource.as_str().unwrap();
                    assert!(resource.starts_with("arn:aws:"), "{resource}");
                }
            }
            let text = document.to_string();
            assert!(text.contains(&format!("macro-ai-{env}-")), "{text}");
            for other in ["dev", "staging", "prod"].iter().filter(|o| **o != env) {
                assert!(
                    !text.contains(&format!("macro-ai-{other}-")),
                    "{env}: {text}"
                );
            }
            // Stable: the same document again, and the same in JSON mode.
            let again = ws.run(&[
                "iam-policy",
                "--env",
                env,
                "--for",
                purpose,
                "--account",
                ACCOUNT,
            ]);
            let as_json = ws.run(&[
                "iam-policy",
                "--env",
                env,
                "--for",
                purpose,
                "--account",
                ACCOUNT,
                "--output",
                "json",
            ]);
            let first = ws.run(&[
                "iam-policy",
                "--env",
                env,
                "--for",
                purpose,
                "--account",
                ACCOUNT,
            ]);
            assert_eq!(again.stdout, first.stdout);
            assert_eq!(as_json.stdout, first.stdout);
        }
        // The default is `up`.
        let default = ws.run(&["iam-policy", "--env", env, "--account", ACCOUNT]);
        assert_eq!(json(&default), policy(&ws, env, "up"));
    }
    let read = policy(&ws, "dev", "read");
    assert!(allows(&read, "ecs:DescribeServices", None));
    assert!(!allows(&read, "ecs:UpdateService", None));
    let deploy = policy(&ws, "dev", "deploy");
    assert!(allows(
        &deploy,
        "ecs:UpdateService",
        Some("arn:aws:ecs:us-east-1:123456789012:service/macro-ai-dev/api")
    ));
    assert!(!allows(
        &deploy,
        "ecs:UpdateService",
        Some("arn:aws:ecs:us-east-1:123456789012:service/macro-ai-staging/api")
    ));
    assert!(allows(
        &deploy,
        "iam:PassRole",
        Some("arn:aws:iam::123456789012:role/macro-ai-dev-api-task")
    ));
    assert!(!allows(&deploy, "ec2:CreateVpc", None));
    // With --account, no AWS call at all.
    assert!(
        emulator.recorded_calls().is_empty(),
        "{:?}",
        emulator.recorded_calls()
    );
}

#[test]
fn without_an_account_the_credentials_account_is_asked_of_sts() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let run = ws.run(&["iam-policy", "--env", "staging", "--for", "read"]);
    run.assert_success();
    assert!(run.stdout.contains(":123456789012:"), "{}", run.stdout);
    let calls = emulator.recorded_calls();
    assert_eq!(calls, vec![RecordedCall::new("sts", "GetCallerIdentity")]);
}

#[test]
fn state_in_s3_adds_the_backend_statements() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let args = |purpose| {
        let run = ws.run(&[
            "iam-policy",
            "--env",
            "dev",
            "--for",
            purpose,
            "--account",
            ACCOUNT,
            "--state-url",
            "s3://acme-state/macro-ai",
        ]);
        run.assert_success();
        json(&run)
    };
    let read = args("read");
    let state = "arn:aws:s3:::acme-state/macro-ai/dev.json";
    assert!(allows(&read, "s3:GetObject", Some(state)));
    assert!(allows(
        &read,
        "s3:GetBucketVersioning",
        Some("arn:aws:s3:::acme-state")
    ));
    assert!(!allows(&read, "s3:PutObject", Some(state)));
    let deploy = args("deploy");
    assert!(allows(&deploy, "s3:PutObject", Some(state)));
    assert!(allows(
        &deploy,
        "s3:DeleteObject",
        Some("arn:aws:s3:::acme-state/macro-ai/dev.lock")
    ));
    assert!(!allows(
        &deploy,
        "s3:PutObject",
        Some("arn:aws:s3:::acme-state/other/dev.json")
    ));
    // Local state: no state statements.
    assert!(!allows(&policy(&ws, "dev", "deploy"), "s3:PutObject", None));
}

#[test]
fn bad_input_is_a_usage_error() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let run = ws.run(&[
        "iam-policy",
        "--env",
        "dev",
        "--for",
        "destroy",
        "--account",
        ACCOUNT,
    ]);
    run.assert_code(1);
    assert!(run.stderr.contains("--for"), "{}", run.stderr);
    assert!(run.stderr.contains("up, deploy or read"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let run = ws.run(&["iam-policy", "--env", "dev", "--account", "12345"]);
    run.assert_code(1);
    assert!(run.stderr.contains("12 digits"), "{}", run.stderr);
    let run = ws.run(&["iam-policy", "--env", "nope", "--account", ACCOUNT]);
    run.assert_code(1);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(emulator.recorded_calls().is_empty());
}

/// up, deploy, status and plan of `env`, each checked against its policy.
async fn completeness(env: &str) {
    let emulator = Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")]);
    let ws = Workspace::new(&emulator);
    let (up, deploy, read) = (
        policy(&ws, env, "up"),
        policy(&ws, env, "deploy"),
        policy(&ws, env, "read"),
    );
    emulator.reset_recording();
    ws.run(&["up", "--env", env, "--yes"]).assert_success();
    assert_covered(&emulator, &up, &format!("up --env {env}"));

    emulator.reset_recording();
    let image = format!("api={ECR}/macro-ai-{env}-api:2.0.0");
    ws.run(&[
        "deploy",
        "--env",
        env,
        "--image",
        &image,
        "--wait-timeout",
        "60s",
    ])
    .assert_success();
    assert_covered(&emulator, &deploy, &format!("deploy --env {env}"));

    emulator.reset_recording();
    let rollback = ws.run(&["rollback", "--env", env, "--wait-timeout", "60s"]);
    assert!(
        rollback.code == 0 || rollback.code == 1,
        "{}",
        rollback.stderr
    );
    assert_covered(&emulator, &deploy, &format!("rollback --env {env}"));

    for command in ["status", "plan"] {
        emulator.reset_recording();
        ws.run(&[command, "--env", env]).assert_success();
        assert_covered(&emulator, &read, &format!("{command} --env {env}"));
    }
}

#[tokio::test]
async fn every_call_of_dev_is_in_its_policy() {
    completeness("dev").await;
}

#[tokio::test]
async fn every_call_of_staging_is_in_its_policy() {
    completeness("staging").await;
}

#[tokio::test]
async fn every_call_of_prod_is_in_its_policy() {
    completeness("prod").await;
}

/// What ECS runs for `service` of `env`, read as the admin user.
async fn running_image(emulator: &Emulator, admin: &support::AccessKey, env: &str) -> String {
    let ecs = sdk_client_as!(aws_sdk_ecs, emulator, "us-east-1", admin);
    let services = ecs
        .describe_services()
        .cluster(format!("macro-ai-{env}"))
        .services("api")
        .send()
        .await
        .unwrap();
    let task_definition = services.services()[0]
        .task_definition()
        .unwrap()
        .to_string();
    let described = ecs
        .describe_task_definition()
        .task_definition(&task_definition)
        .send()
        .await
        .unwrap();
    described
        .task_definition()
        .unwrap()
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("api"))
        .and_then(|c| c.image())
        .unwrap()
        .to_string()
}

/// The enforced run of `env`: see the module docs.
async fn enforced(env: &str) {
    let offline = Emulator::start();
    let generator = Workspace::new(&offline);
    let (up, deploy, read) = (
        policy(&generator, env, "up").to_string(),
        policy(&generator, env, "deploy").to_string(),
        policy(&generator, env, "read").to_string(),
    );
    drop(offline);

    let (emulator, users) =
        Emulator::start_iam_enforced(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")], &up).await;
    let mut ws = Workspace::new(&emulator);
    ws.use_credentials(&users.ci);
    let secret_not_shown = |run: &RunOutput| {
        assert!(
            !run.stdout.contains(&users.ci.secret),
            "the secret key was printed"
        );
        assert!(
            !run.stderr.contains(&users.ci.secret),
            "the secret key was printed"
        );
    };

    // up with up's policy.
    let up_run = ws.run(&["up", "--env", env, "--yes"]);
    secret_not_shown(&up_run);
    up_run.assert_success();
    let ec2 = sdk_client_as!(aws_sdk_ec2, emulator, "us-east-1", users.admin);
    let vpcs = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:macroctl:env")
                .values(env)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "up made the environment's VPC");
    let iam = sdk_client_as!(aws_sdk_iam, emulator, "us-east-1", users.admin);
    let roles = iam.list_roles().send().await.unwrap();
    assert!(
        roles
            .roles()
            .iter()
            .any(|role| role.role_name().starts_with(&format!("macro-ai-{env}-"))),
        "up made the environment's roles"
    );
    let before = running_image(&emulator, &users.admin, env).await;

    // deploy with only the read policy: refused, named, nothing changed.
    emulator.set_ci_policy(&users, &read).await;
    let image = format!("{ECR}/macro-ai-{env}-api:2.0.0");
    let image_arg = format!("api={image}");
    let deploy_args = [
        "deploy",
        "--env",
        env,
        "--image",
        &image_arg,
        "--wait-timeout",
        "60s",
    ];
    let refused = ws.run(&deploy_args);
    secret_not_shown(&refused);
    refused.assert_code(1);
    for fragment in [
        &format!("environment {env}") as &str,
        "AccessDeniedException",
        // deploy's first call beyond the read policy: its check that the tag names one image.
        "not allowed: ecr:DescribeImages",
        &format!("macroctl iam-policy --env {env} --for deploy"),
    ] {
        assert!(
            refused.stderr.contains(fragment),
            "expected `{fragment}` in:\n{}",
            refused.stderr
        );
    }
    assert!(!refused.stderr.contains("panicked"), "{}", refused.stderr);
    assert_eq!(running_image(&emulator, &users.admin, env).await, before);

    // With deploy's policy, it is deployed.
    emulator.set_ci_policy(&users, &deploy).await;
    let deployed = ws.run(&deploy_args);
    secret_not_shown(&deployed);
    deployed.assert_success();
    assert_eq!(running_image(&emulator, &users.admin, env).await, image);

    // The read-only commands with the read policy.
    emulator.set_ci_policy(&users, &read).await;
    for command in ["status", "plan"] {
        let run = ws.run(&[command, "--env", env]);
        secret_not_shown(&run);
        run.assert_success();
    }
    let releases = ws.run(&["releases", "--env", env]);
    releases.assert_success();
    assert!(releases.stdout.contains("2.0.0"), "{}", releases.stdout);

    // up with only deploy's policy: refused at a call deploy does not need.
    emulator.set_ci_policy(&users, &deploy).await;
    ws.edit_env(env, |text| {
        text.replacen(
            "[environment.tags]",
            "[environment.tags]\nreview = \"iam\"",
            1,
        )
    });
    let refused_up = ws.run(&["up", "--env", env, "--yes"]);
    secret_not_shown(&refused_up);
    refused_up.assert_code(1);
    assert!(
        refused_up.stderr.contains("not allowed: ")
            && refused_up
                .stderr
                .contains(&format!("macroctl iam-policy --env {env} --for up")),
        "{}",
        refused_up.stderr
    );
}

#[tokio::test]
async fn dev_runs_with_only_the_generated_policies() {
    enforced("dev").await;
}

#[tokio::test]
async fn staging_runs_with_only_the_generated_policies() {
    enforced("staging").await;
}
