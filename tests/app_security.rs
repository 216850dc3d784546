//! The application layer's security settings (issue 15: ECR, containers, load balancer), each
//! checked through the SDK, never through macroctl's report: immutable ECR tags (FSBP ECR.2),
//! read-only root filesystems with a `/tmp` task volume (ECS.5), and the load balancer's
//! invalid-header dropping (ELB.4), deletion protection (ELB.6) and desync mitigation (ELB.12);
//! converged plans; changed settings planned and applied; `deploy` refusing a tag that has
//! moved; `destroy` and the load balancer's deletion protection.
mod support;

use std::collections::BTreeMap;
use support::{Emulator, RunOutput, Workspace};

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

fn json(run: &RunOutput) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

fn realistic() -> Emulator {
    Emulator::start_realistic(&[("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", "1")])
}

/// Every repository's tag mutability, by name.
async fn tag_mutability(emulator: &Emulator, env: &str) -> BTreeMap<String, String> {
    let ecr = emulator.ecr().await;
    let names: Vec<String> = ["api", "ui"]
        .iter()
        .map(|service| format!("macro-ai-{env}-{service}"))
        .collect();
    let out = ecr
        .describe_repositories()
        .set_repository_names(Some(names))
        .send()
        .await
        .unwrap();
    out.repositories()
        .iter()
        .map(|repository| {
            (
                repository.repository_name().unwrap().to_string(),
                repository
                    .image_tag_mutability()
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// The task definition a service runs, described.
async fn running_definition(
    emulator: &Emulator,
    env: &str,
    service: &str,
) -> aws_sdk_ecs::types::TaskDefinition {
    let ecs = emulator.ecs().await;
    let services = ecs
        .describe_services()
        .cluster(format!("macro-ai-{env}"))
        .services(service)
        .send()
        .await
        .unwrap();
    let arn = services.services()[0]
        .task_definition()
        .unwrap()
        .to_string();
    ecs.describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone()
}

/// By container name: (read-only root, mounts as `volume:path`).
type ContainerStorage = BTreeMap<String, (bool, Vec<String>)>;

/// Per container: (read-only root, mounts as `volume:path`); and the task volumes.
fn storage_of(definition: &aws_sdk_ecs::types::TaskDefinition) -> (ContainerStorage, Vec<String>) {
    let containers = definition
        .container_definitions()
        .iter()
        .map(|container| {
            let mounts = container
                .mount_points()
                .iter()
                .map(|m| {
                    format!(
                        "{}:{}",
                        m.source_volume().unwrap_or_default(),
                        m.container_path().unwrap_or_default()
                    )
                })
                .collect();
            (
                container.name().unwrap().to_string(),
                (
                    container.readonly_root_filesystem().unwrap_or(false),
                    mounts,
                ),
            )
        })
        .collect();
    let volumes = definition
        .volumes()
        .iter()
        .filter_map(|v| v.name().map(str::to_string))
        .collect();
    (containers, volumes)
}

async fn load_balancer_arn(emulator: &Emulator, env: &str) -> Option<String> {
    let elb = emulator.elb().await;
    let out = elb
        .describe_load_balancers()
        .names(format!("macro-ai-{env}"))
        .send()
        .await
        .ok()?;
    out.load_balancers()
        .first()
        .and_then(|lb| lb.load_balancer_arn())
        .map(str::to_string)
}

/// The load balancer's attributes, as ELBv2 reports them.
async fn lb_attributes(emulator: &Emulator, env: &str) -> BTreeMap<String, String> {
    let arn = load_balancer_arn(emulator, env)
        .await
        .expect("no load balancer");
    let elb = emulator.elb().await;
    elb.describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .unwrap()
        .attributes()
        .iter()
        .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
        .collect()
}

fn attribute(attributes: &BTreeMap<String, String>, key: &str) -> String {
    attributes
        .get(key)
        .cloned()
        .unwrap_or_else(|| panic!("{key} not reported: {attributes:?}"))
}

/// Each control of the app layer, per environment, through the SDK; a second plan changes
/// nothing.
#[tokio::test]
async fn every_environment_meets_the_app_controls() {
    for env in ["dev", "staging", "prod"] {
        // Realistic: it reports the attributes AWS reports without being set.
        let emulator = realistic();
        let ws = Workspace::new(&emulator);
        ws.run(&["up", "--env", env, "--yes"]).assert_success();

        // ECR.2: both repositories IMMUTABLE.
        let mutability = tag_mutability(&emulator, env).await;
        assert_eq!(mutability.len(), 2, "{env}: {mutability:?}");
        for (name, value) in &mutability {
            assert_eq!(value, "IMMUTABLE", "{env}: {name}");
        }

        // ECS.5: every container read-only; the app containers write to /tmp on a task volume.
        for service in ["api", "ui"] {
            let definition = running_definition(&emulator, env, service).await;
            let (containers, volumes) = storage_of(&definition);
            assert_eq!(volumes, ["tmp"], "{env} {service}");
            assert_eq!(
                containers.get(service),
                Some(&(true, vec!["tmp:/tmp".to_string()])),
                "{env} {service}: {containers:?}"
            );
            if service == "api" {
                assert_eq!(
                    containers.get("xray-daemon"),
                    Some(&(true, Vec::new())),
                    "{env}: {containers:?}"
                );
            }
            assert_eq!(containers.len(), if service == "api" { 2 } else { 1 });
        }

        // ELB.4, ELB.6 (prod only), ELB.12.
        let attributes = lb_attributes(&emulator, env).await;
        assert_eq!(
            attribute(
                &attributes,
                "routing.http.drop_invalid_header_fields.enabled"
            ),
            "true",
            "{env}"
        );
        assert_eq!(
            attribute(&attributes, "deletion_protection.enabled"),
            if env == "prod" { "true" } else { "false" },
            "{env}"
        );
        assert_eq!(
            attribute(&attributes, "routing.http.desync_mitigation_mode"),
            "defensive",
            "{env}"
        );

        let plan = ws.run(&["plan", "--env", env, "--detailed-exitcode"]);
        plan.assert_code(0);
    }
}

/// Changed settings plan in-place updates (a changed container setting a new revision) and
/// `up` applies them; a repository made mutable by hand is drift and `up` puts it back.
#[tokio::test]
async fn changed_settings_are_planned_and_applied() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let before = running_definition(&emulator, "dev", "ui").await;

    ws.edit_env("dev", |text| {
        let text = text.replace(
            "immutable_image_tags = true",
            "immutable_image_tags = false",
        );
        // Only the UI's (the second occurrence).
        let at = text.rfind("read_only_root_filesystem = true").unwrap();
        let mut text = text;
        text.replace_range(
            at..at + "read_only_root_filesystem = true".len(),
            "read_only_root_filesystem = false",
        );
        text.replace(
            "drop_invalid_header_fields = true",
            "drop_invalid_header_fields = false",
        )
        .replace(
            "deletion_protection = false\n# monitor",
            "deletion_protection = true\n# monitor",
        )
        .replace(
            "desync_mitigation_mode = \"defensive\"",
            "desync_mitigation_mode = \"strictest\"",
        )
    });
    let plan = ws.run(&["plan", "--env", "dev", "--output", "json"]);
    plan.assert_success();
    let document = json(&plan);
    let planned = |id: &str| {
        document["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} not planned: {}", plan.stdout))
            .clone()
    };
    let fields = |resource: &serde_json::Value| -> Vec<String> {
        resource["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c["field"].as_str().unwrap(),
                    c["old"].as_str().unwrap(),
                    c["new"].as_str().unwrap()
                )
            })
            .collect()
    };
    for service in ["api", "ui"] {
        let repository = planned(&format!("ecr-{service}"));
        assert_eq!(repository["action"], "update", "{repository}");
        assert_eq!(
            fields(&repository),
            ["image_tag_mutability: IMMUTABLE -> MUTABLE"]
        );
    }
    let ui = planned("task-definition-ui");
    assert_eq!(ui["action"], "update", "{ui}");
    assert_eq!(
        fields(&ui),
        [
            "volumes: tmp -> (none)",
            "ui.read_only_root_filesystem: true -> false",
            "ui.mounts: tmp:/tmp -> (none)"
        ]
    );
    assert_eq!(planned("task-definition-api")["action"], "no-op");
    let lb = planned("load-balancer");
    assert_eq!(lb["action"], "update", "{lb}");
    assert_eq!(
        fields(&lb),
        [
            "drop_invalid_header_fields: true -> false",
            "deletion_protection: false -> true",
            "desync_mitigation_mode: defensive -> strictest"
        ]
    );

    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let mut actions: Vec<String> = emulator
        .mutating_calls()
        .iter()
        .map(|c| c.action.clone())
        .collect();
    actions.sort();
    actions.dedup();
    assert_eq!(
        actions,
        [
            "ModifyLoadBalancerAttributes",
            "PutImageTagMutability",
            "RegisterTaskDefinition",
            "UpdateService"
        ]
    );
    for (name, value) in tag_mutability(&emulator, "dev").await {
        assert_eq!(value, "MUTABLE", "{name}");
    }
    let after = running_definition(&emulator, "dev", "ui").await;
    assert_ne!(after.revision(), before.revision());
    let (containers, volumes) = storage_of(&after);
    assert!(volumes.is_empty(), "{volumes:?}");
    assert_eq!(containers["ui"], (false, Vec::new()));
    // The API's task definition was left alone, still read-only.
    let (api, _) = storage_of(&running_definition(&emulator, "dev", "api").await);
    assert_eq!(api["api"], (true, vec!["tmp:/tmp".to_string()]));
    let attributes = lb_attributes(&emulator, "dev").await;
    assert_eq!(
        attribute(
            &attributes,
            "routing.http.drop_invalid_header_fields.enabled"
        ),
        "false"
    );
    assert_eq!(
        attribute(&attributes, "deletion_protection.enabled"),
        "true"
    );
    assert_eq!(
        attribute(&attributes, "routing.http.desync_mitigation_mode"),
        "strictest"
    );
    ws.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .assert_code(0);

    // Back to a read-only UI: one new revision, then nothing (the engine looks for a revision
    // with the desired content before it registers one).
    ws.edit_env("dev", |text| {
        text.replace(
            "read_only_root_filesystem = false",
            "read_only_root_filesystem = true",
        )
    });
    let registered = |emulator: &Emulator| {
        emulator
            .mutating_calls()
            .iter()
            .filter(|c| c.action == "RegisterTaskDefinition")
            .count()
    };
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(registered(&emulator), 1);
    let (containers, volumes) = storage_of(&running_definition(&emulator, "dev", "ui").await);
    assert_eq!(volumes, ["tmp"]);
    assert_eq!(containers["ui"], (true, vec!["tmp:/tmp".to_string()]));
    emulator.reset_recording();
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(registered(&emulator), 0);

    // A repository turned MUTABLE by hand while the file says immutable: drift, put back.
    ws.edit_env("dev", |text| {
        text.replace(
            "immutable_image_tags = false",
            "immutable_image_tags = true",
        )
    });
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let ecr = emulator.ecr().await;
    ecr.put_image_tag_mutability()
        .repository_name("macro-ai-dev-api")
        .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Mutable)
        .send()
        .await
        .unwrap();
    let plan = ws.run(&["plan", "--env", "dev", "--output", "json"]);
    let document = json(&plan);
    let repository = document["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ecr-api")
        .unwrap()
        .clone();
    assert_eq!(repository["action"], "update", "{repository}");
    assert_eq!(repository["changes"][0]["field"], "image_tag_mutability");
    assert_eq!(repository["changes"][0]["drift"], true, "{repository}");
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    assert_eq!(
        tag_mutability(&emulator, "dev").await["macro-ai-dev-api"],
        "IMMUTABLE"
    );
}

/// An image manifest whose digest (on the emulator, the hash of its layers) differs per
/// `layer`.
fn manifest(layer: char) -> String {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 100,
            "digest": format!("sha256:{}", "c".repeat(64)),
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 100,
            "digest": format!("sha256:{}", layer.to_string().repeat(64)),
        }],
    })
    .to_string()
}

async fn push(emulator: &Emulator, repository: &str, tag: &str, layer: char) -> String {
    let ecr = emulator.ecr().await;
    let out = ecr
        .put_image()
        .repository_name(repository)
        .image_tag(tag)
        .image_manifest(manifest(layer))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutImage {repository}:{tag}: {e:?}"));
    out.image()
        .and_then(|image| image.image_id())
        .and_then(|id| id.image_digest())
        .unwrap()
        .to_string()
}

async fn revisions(emulator: &Emulator, family: &str) -> usize {
    let ecs = emulator.ecs().await;
    ecs.list_task_definitions()
        .family_prefix(family)
        .send()
        .await
        .unwrap()
        .task_definition_arns()
        .len()
}

/// A tag re-pointed at another image after a release deployed it is refused by the next
/// deploy, before anything changes; a unique tag deploys. ECR in the emulator refuses to move
/// a tag of an IMMUTABLE repository.
#[tokio::test]
async fn deploy_refuses_a_tag_that_has_moved() {
    let emulator = realistic();
    let ws = Workspace::new(&emulator);

    // The emulator's ECR honours IMMUTABLE: re-pushing a tag with another image is refused.
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    push(&emulator, "macro-ai-dev-ui", "1.0.0", 'a').await;
    let ecr = emulator.ecr().await;
    let repush = ecr
        .put_image()
        .repository_name("macro-ai-dev-ui")
        .image_tag("1.0.0")
        .image_manifest(manifest('b'))
        .send()
        .await;
    let err = repush.expect_err("IMMUTABLE repository let a tag move");
    let code = err.as_service_error().and_then(|e| {
        use aws_sdk_ecr::error::ProvideErrorMetadata;
        e.code().map(str::to_string)
    });
    // AWS answers ImageTagAlreadyExistsException; moto 5.2.5 ImageAlreadyExistsException.
    assert!(
        matches!(
            code.as_deref(),
            Some("ImageTagAlreadyExistsException" | "ImageAlreadyExistsException")
        ),
        "{err:?}"
    );

    // Mutable tags, so the test can move one.
    ws.edit_env("dev", |text| {
        text.replace(
            "immutable_image_tags = true",
            "immutable_image_tags = false",
        )
    });
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let first = push(&emulator, "macro-ai-dev-api", "1.0.0", 'a').await;
    let image = format!("api={ECR}/macro-ai-dev-api:1.0.0");
    let deploy = [
        "deploy",
        "--env",
        "dev",
        "--image",
        &image,
        "--wait-timeout",
        "60s",
    ];
    ws.run(&deploy).assert_success();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap())
            .unwrap();
    let latest = state["releases"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        latest["services"]["api"]["digest"],
        first.as_str(),
        "{latest}"
    );
    let running = running_definition(&emulator, "dev", "api").await;
    let registered = revisions(&emulator, "macro-ai-dev-api").await;

    // The same tag, now another image.
    let second = push(&emulator, "macro-ai-dev-api", "1.0.0", 'b').await;
    assert_ne!(first, second);
    emulator.reset_recording();
    let refused = ws.run(&deploy);
    refused.assert_code(1);
    for part in [
        "environment dev",
        "service api",
        "macro-ai-dev-api:1.0.0",
        first.as_str(),
        second.as_str(),
        "unique tag, e.g. the git SHA",
    ] {
        assert!(refused.stderr.contains(part), "{part}: {}", refused.stderr);
    }
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "a refused deploy changed {mutating:?}");
    let now = running_definition(&emulator, "dev", "api").await;
    assert_eq!(now.task_definition_arn(), running.task_definition_arn());
    assert_eq!(revisions(&emulator, "macro-ai-dev-api").await, registered);
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap())
            .unwrap();
    assert_eq!(
        after["releases"], state["releases"],
        "a release was recorded"
    );

    // A unique tag deploys, recording its digest.
    let third = push(&emulator, "macro-ai-dev-api", "1.0.1", 'c').await;
    let unique = format!("api={ECR}/macro-ai-dev-api:1.0.1");
    ws.run(&[
        "deploy",
        "--env",
        "dev",
        "--image",
        &unique,
        "--wait-timeout",
        "60s",
    ])
    .assert_success();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.state_dir().join("dev.json")).unwrap())
            .unwrap();
    let latest = state["releases"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        latest["services"]["api"]["digest"],
        third.as_str(),
        "{latest}"
    );
    // The deployed revision kept the read-only root and its /tmp volume.
    let (containers, volumes) = storage_of(&running_definition(&emulator, "dev", "api").await);
    assert_eq!(volumes, ["tmp"]);
    assert_eq!(containers["api"], (true, vec!["tmp:/tmp".to_string()]));
    ws.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .assert_code(0);
}

/// With the load balancer's deletion protection on, `destroy` refuses before deleting
/// anything, naming the setting; with `--disable-deletion-protection` it turns it off and
/// deletes. The emulator refuses to delete a protected load balancer, as ELBv2 does.
#[tokio::test]
async fn destroy_and_the_load_balancers_deletion_protection() {
    let emulator = Emulator::start_realistic(&[]);
    let ws = Workspace::new(&emulator);
    ws.edit_env("dev", |text| {
        text.replace(
            "deletion_protection = false\n# monitor",
            "deletion_protection = true\n# monitor",
        )
    });
    ws.run(&["up", "--env", "dev", "--yes"]).assert_success();
    let arn = load_balancer_arn(&emulator, "dev").await.unwrap();

    // The emulator refuses the delete itself (so the test below can fail).
    let elb = emulator.elb().await;
    let direct = elb
        .delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await;
    assert!(direct.is_err(), "a protected load balancer was deleted");

    emulator.reset_recording();
    let refused = ws.run(&["destroy", "--env", "dev", "--yes", "--purge-secrets"]);
    refused.assert_code(1);
    assert!(
        refused
            .stderr
            .contains("load-balancer (load_balancer.deletion_protection is on)"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--disable-deletion-protection"),
        "{}",
        refused.stderr
    );
    let mutating = emulator.mutating_calls();
    assert!(mutating.is_empty(), "{mutating:?}");
    assert_eq!(load_balancer_arn(&emulator, "dev").await, Some(arn));

    ws.run(&[
        "destroy",
        "--env",
        "dev",
        "--yes",
        "--purge-secrets",
        "--disable-deletion-protection",
    ])
    .assert_success();
    assert_eq!(load_balancer_arn(&emulator, "dev").await, None);
}
