//! `macroctl diff`: what `up` (or a `deploy --image …`) would change in the task definitions
//! and services, as documents to compare line by line (ecspresso#365, #727).
//!
//! A task definition's document is its compared content (`TaskContent`: sizes, roles, and per
//! container the image, ports, environment, secret references — never values — logs, root
//! filesystem and mounts), live and desired, so a diff shows every changed line with the lines
//! around it. A service's is the fields its plan changes, old and new. For `up` the desired
//! side comes from the same read a plan makes (`engine::read`, no change made); for a deploy,
//! from the service's running task definition with the new image, as `deploy` would register.

use super::engine::Plan;
use super::Session;
use crate::aws::{AwsError, IntoAwsError};
use crate::resources::task_definition::{content_of, desired_content};
use crate::resources::{Live, Resolver, Spec};
use crate::stack::SERVICES;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One resource's two documents.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Document {
    pub id: String,
    pub kind: &'static str,
    /// What AWS has now (`null` when the resource does not exist yet).
    pub before: Value,
    /// What it would be.
    pub after: Value,
    /// Where `before` comes from, for the diff's header (`macro-ai-dev-api:3`).
    pub from: String,
}

/// What `up` would change, from `plan` (read by `engine::read`).
pub fn for_up(session: &Session<'_>, plan: &Plan) -> Vec<Document> {
    let resolver = Resolver::default();
    for resource in &plan.resources {
        if let Some(live) = &resource.live {
            resolver.set(&crate::graph::LogicalId::new(&resource.id), live.outputs());
        }
    }
    let mut documents = Vec::new();
    for resource in &plan.resources {
        let Some(node) = session
            .graph
            .node(&crate::graph::LogicalId::new(&resource.id))
        else {
            continue;
        };
        let from = resource
            .physical_id
            .clone()
            .unwrap_or_else(|| "(none)".into());
        match (&node.payload.spec, &resource.live) {
            (Spec::TaskDefinition(spec), live) => {
                let before = match live {
                    Some(Live::TaskDefinition(live)) => to_value(&live.content),
                    _ => Value::Null,
                };
                let after = to_value(&desired_content(spec, &resolver));
                if before != after {
                    documents.push(Document {
                        id: resource.id.clone(),
                        kind: resource.kind,
                        before,
                        after,
                        from: short(&from),
                    });
                }
            }
            (Spec::EcsService(_), _) if !resource.changes.is_empty() => {
                let mut before = Map::new();
                let mut after = Map::new();
                for change in &resource.changes {
                    before.insert(change.field.clone(), Value::String(change.old.clone()));
                    after.insert(change.field.clone(), Value::String(change.new.clone()));
                }
                documents.push(Document {
                    id: resource.id.clone(),
                    kind: resource.kind,
                    before: Value::Object(before),
                    after: Value::Object(after),
                    from: short(&from),
                });
            }
            _ => {}
        }
    }
    documents
}

/// What `deploy --image` with `images` (service → image) would change.
pub async fn for_deploy(
    session: &Session<'_>,
    images: &BTreeMap<String, String>,
) -> Result<Vec<Document>, AwsError> {
    let running = super::release::describe_services(session).await?;
    let mut documents = Vec::new();
    for service in SERVICES {
        let Some(image) = images.get(service) else {
            continue;
        };
        let Some(live) = running.get(service) else {
            continue;
        };
        let current = live.task_definition().unwrap_or_default().to_string();
        let output = session
            .aws
            .ecs
            .describe_task_definition()
            .task_definition(&current)
            .send()
            .await
            .op("DescribeTaskDefinition")?;
        let Some(definition) = output.task_definition() else {
            continue;
        };
        let content = content_of(definition);
        let mut changed = content.clone();
        if let Some(container) = changed.containers.get_mut(service) {
            container.image = image.clone();
        }
        if changed == content {
            continue;
        }
        let revision = short(&current);
        documents.push(Document {
            id: format!("task-definition-{service}"),
            kind: "task-definition",
            before: to_value(&content),
            after: to_value(&changed),
            from: revision.clone(),
        });
        let next = definition
            .family()
            .map(|family| format!("{family}:(a new revision)"))
            .unwrap_or_default();
        documents.push(Document {
            id: format!("service-{service}"),
            kind: "service",
            before: json!({ "task_definition": revision }),
            after: json!({ "task_definition": next }),
            from: live.service_name().unwrap_or_default().to_string(),
        });
    }
    Ok(documents)
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `arn:…:task-definition/macro-ai-dev-api:3` → `macro-ai-dev-api:3` (other ids as they are).
fn short(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_string()
}

/// The unified diff of a document's two sides (pretty JSON, keys sorted), with three lines of
/// context.
pub fn unified(document: &Document) -> String {
    let pretty = |value: &Value| match value {
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default() + "\n",
    };
    let before = pretty(&document.before);
    let after = pretty(&document.after);
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{} ({})", document.id, document.from),
            &format!("{} (after)", document.id),
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_image_is_one_line_out_and_one_in_with_context() {
        let document = Document {
            id: "task-definition-api".into(),
            kind: "task-definition",
            before: json!({"containers": {"api": {"cpu": 0, "image": "repo:1", "ports": ["3040/tcp"]}}}),
            after: json!({"containers": {"api": {"cpu": 0, "image": "repo:2", "ports": ["3040/tcp"]}}}),
            from: "macro-ai-dev-api:3".into(),
        };
        let text = unified(&document);
        assert!(
            text.starts_with(
                "--- task-definition-api (macro-ai-dev-api:3)\n+++ task-definition-api (after)\n@@"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n-      \"image\": \"repo:1\",\n+      \"image\": \"repo:2\",\n"),
            "{text}"
        );
        assert!(text.contains("\n       \"cpu\": 0,\n"), "{text}");
    }

    #[test]
    fn ids_are_shortened_to_the_revision() {
        assert_eq!(
            short("arn:aws:ecs:us-east-1:123456789012:task-definition/macro-ai-dev-api:3"),
            "macro-ai-dev-api:3"
        );
        assert_eq!(short("(none)"), "(none)");
    }
}
