//! What a planned change does beyond the field it changes, in words a plan shows under it.
//!
//! A new task definition revision restarts the service that runs it (a rolling deployment);
//! a database modification is applied now or in the maintenance window; some service fields
//! start a new deployment. People approving a plan need to know that, and the diff alone does
//! not say it. A file value that `up` will not apply (a desired count auto scaling owns) is
//! said too, so "0 to update" is not a puzzle.

use super::engine::Action;
use super::Session;
use crate::graph::Node;
use crate::resources::{FieldChange, Live, Spec};
use crate::stack::Resource;

/// Service fields whose change makes ECS start a new deployment (tasks are replaced).
const REDEPLOYING_SERVICE_FIELDS: &[&str] = &[
    "task_definition",
    "subnets",
    "security_groups",
    "assign_public_ip",
    "load_balancers",
    "enable_execute_command",
    "capacity_provider_strategy",
];

/// The consequences of `changes` to `node` (planned `action`).
pub fn of(
    session: &Session<'_>,
    node: &Node<Resource>,
    action: Action,
    changes: &[FieldChange],
) -> Vec<String> {
    let mut said = Vec::new();
    if changes.iter().any(|change| change.replace) {
        said.push(
            "replaces the resource: `up` refuses, see the field marked (forces replacement)".into(),
        );
    }
    let changed = action == Action::Update && !changes.is_empty();
    match &node.payload.spec {
        Spec::TaskDefinition(_) if changed => {
            for service in services_running(session, node) {
                said.push(format!(
                    "registers a new revision and restarts service {service} (a rolling deployment)"
                ));
            }
        }
        Spec::EcsService(spec)
            if changed
                && changes
                    .iter()
                    .any(|change| REDEPLOYING_SERVICE_FIELDS.contains(&change.field.as_str())) =>
        {
            if let Some(change) = changes.iter().find(|c| c.field == "task_definition") {
                said.push(images_of(session, &spec.name, change));
            }
            said.push(format!(
                "restarts service {} (a new deployment replaces its tasks)",
                spec.name
            ));
        }
        Spec::DbInstance(spec) if changed => {
            let now = spec.apply_immediately || session.settings.apply_immediately;
            said.push(if now {
                "applied now; a class, storage or engine change restarts the database".into()
            } else {
                "applied in the next maintenance window (`up --apply-immediately` applies it now)"
                    .into()
            });
        }
        Spec::FlowLog(_)
            if changed
                && changes.iter().any(|change| {
                    !change
                        .field
                        .starts_with(crate::resources::tags::FIELD_PREFIX)
                }) =>
        {
            said.push("a flow log cannot be changed: it is deleted and created again with the new settings (the log group keeps its records)".into());
        }
        Spec::CacheReplicationGroup(_) if changed => {
            said.push("applied now; a node type or engine change restarts the cache".into());
        }
        _ => {}
    }
    said
}

/// A value of the file that `up` does not apply, and why (shown even when nothing changes).
pub fn unapplied(node: &Node<Resource>, live: Option<&Live>) -> Option<String> {
    match (&node.payload.spec, live) {
        (Spec::EcsService(spec), Some(Live::EcsService(live)))
            if spec.desired_count_managed && live.desired_count != spec.desired_count =>
        {
            Some(format!(
                "desired_count {} in the environment file is not applied: auto scaling owns service {}'s count (now {}; set autoscaling.min/max_capacity instead)",
                spec.desired_count, spec.name, live.desired_count
            ))
        }
        _ => None,
    }
}

/// A change of the task definition a service runs, as the images it means: from the release
/// history, which names each revision's image; a revision no release names was registered
/// outside macroctl.
fn images_of(session: &Session<'_>, service: &str, change: &FieldChange) -> String {
    let image = |arn: &str| -> String {
        if arn == crate::resources::UNKNOWN {
            return "the revision this run registers".into();
        }
        session
            .state
            .releases
            .iter()
            .rev()
            .filter_map(|release| release.services.get(service))
            // By family:revision: ECS may name it by ARN or, given it so, by short name.
            .find(|running| short_revision(&running.task_definition) == short_revision(arn))
            .map_or_else(
                || format!("{} (not registered by macroctl)", short_revision(arn)),
                |running| running.image.clone(),
            )
    };
    format!(
        "image of {service}: {} → {}",
        image(&change.old),
        image(&change.new)
    )
}

/// `macro-ai-dev-api:12` of a task definition ARN.
fn short_revision(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The services whose task definition is `node`.
fn services_running(session: &Session<'_>, node: &Node<Resource>) -> Vec<String> {
    session
        .graph
        .nodes()
        .filter(|other| other.deps.contains(&node.id))
        .filter_map(|other| match &other.payload.spec {
            Spec::EcsService(service) => Some(service.name.clone()),
            _ => None,
        })
        .collect()
}
