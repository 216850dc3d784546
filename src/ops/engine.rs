//! Reading, planning and applying: the engine behind `plan`, `up` and `status`.
//!
//! `read` observes every desired resource (in dependency order, concurrently, so references
//! such as a subnet's id are known to what needs them) and decides per resource: create,
//! update (with the changed fields), replace, or no-op. `apply` then runs the graph: creates
//! what is missing, updates what differs (re-diffing with the now-known ids of new
//! dependencies), waits where AWS is still settling, and records each result in state as soon
//! as it is known. A converged environment is read and nothing else: zero mutating calls.

use super::{Session, StateRecorder};
use crate::aws::AwsError;
use crate::graph::{execute, ExecOptions, LogicalId, RunSummary};
use crate::output::Event;
use crate::resources::inventory::Tagged;
use crate::resources::{FieldChange, Live, Resolver};
use crate::state::StateError;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::time::Instant;

/// What `up` will do to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    /// A field AWS cannot change in place differs; `up` refuses.
    Replace,
    NoOp,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::NoOp => "no-op",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedResource {
    pub id: String,
    pub kind: &'static str,
    pub action: Action,
    pub physical_id: Option<String>,
    /// The live status, when the resource exists.
    pub status: Option<String>,
    pub changes: Vec<FieldChange>,
    /// Something worth saying, e.g. that the id recorded in state no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    pub live: Option<Live>,
}

/// The result of reading an environment: per resource what `up` would do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub env: String,
    /// In dependency order.
    pub resources: Vec<PlannedResource>,
    /// Resources tagged as this environment's that the configuration no longer describes.
    pub unmanaged: Vec<Tagged>,
}

impl Plan {
    pub fn count(&self, action: Action) -> usize {
        self.resources
            .iter()
            .filter(|resource| resource.action == action)
            .count()
    }

    pub fn has_changes(&self) -> bool {
        self.resources
            .iter()
            .any(|resource| resource.action != Action::NoOp)
    }

    fn get(&self, id: &LogicalId) -> Option<&PlannedResource> {
        self.resources
            .iter()
            .find(|resource| resource.id == id.as_str())
    }
}

/// Why one resource failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeFailure {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("could not record it in state: {0}")]
    State(#[from] StateError),
    #[error("{0}")]
    Refused(String),
}

/// A resource's failure, naming the environment, the logical id and the kind.
#[derive(Debug, thiserror::Error)]
#[error("environment {env}, resource {id} ({kind}): {source}")]
pub struct ResourceError {
    pub env: String,
    pub id: String,
    pub kind: &'static str,
    #[source]
    pub source: NodeFailure,
}

impl ResourceError {
    /// The AWS error code, when AWS gave one.
    pub fn code(&self) -> Option<&str> {
        match &self.source {
            NodeFailure::Aws(aws) => aws.code(),
            _ => None,
        }
    }
}

/// Observes every desired resource and decides what `up` would do.
pub async fn read(session: &Session<'_>) -> Result<Plan, RunSummary<ResourceError>> {
    let ctx = session.ctx();
    let resolver = Resolver::default();
    let planned: RefCell<HashMap<LogicalId, PlannedResource>> = RefCell::new(HashMap::new());
    let options = ExecOptions {
        parallelism: session.settings.parallelism,
    };
    let summary = execute(
        &session.graph,
        &options,
        std::future::pending::<()>(),
        |node| {
            let ctx = &ctx;
            let resolver = &resolver;
            let planned = &planned;
            async move {
                let resource = &node.payload;
                let kind = resource.spec.kind();
                let recorded = session
                    .state
                    .resource(node.id.as_str())
                    .map(|entry| entry.physical_id.clone());
                let live = resource
                    .spec
                    .find(ctx, &resource.identity, recorded.as_deref(), resolver)
                    .await
                    .map_err(|source| ResourceError {
                        env: session.env.name.clone(),
                        id: node.id.to_string(),
                        kind,
                        source: source.into(),
                    })?;
                let mut note = None;
                let (action, changes) = match &live {
                    None => {
                        if let Some(recorded) = &recorded {
                            note = Some(format!("{recorded}, recorded in state, no longer exists"));
                        }
                        (Action::Create, Vec::new())
                    }
                    Some(live) => {
                        resolver.set(&node.id, live.outputs());
                        let changes = resource.spec.diff(live, resolver);
                        let action = if changes.is_empty() {
                            Action::NoOp
                        } else if changes.iter().any(|change| change.replace) {
                            Action::Replace
                        } else {
                            Action::Update
                        };
                        (action, changes)
                    }
                };
                planned.borrow_mut().insert(
                    node.id.clone(),
                    PlannedResource {
                        id: node.id.to_string(),
                        kind,
                        action,
                        physical_id: live.as_ref().map(Live::physical_id),
                        status: live.as_ref().map(Live::status),
                        changes,
                        note,
                        live,
                    },
                );
                Ok::<(), ResourceError>(())
            }
        },
    )
    .await;
    if !summary.is_success() {
        return Err(summary);
    }
    let mut planned = planned.into_inner();
    let resources = session
        .graph
        .topological_order()
        .iter()
        .filter_map(|id| planned.remove(id))
        .collect();
    let desired: BTreeSet<&str> = session.graph.nodes().map(|node| node.id.as_str()).collect();
    let unmanaged = match session.inventory.all_tagged().await {
        Ok(tagged) => tagged
            .into_iter()
            .filter(|tagged| !desired.contains(tagged.id.as_str()))
            .collect(),
        Err(err) => {
            session.reporter.report(Event::Warning {
                message: format!("could not list unmanaged resources: {err}"),
            });
            Vec::new()
        }
    };
    Ok(Plan {
        env: session.env.name.clone(),
        resources,
        unmanaged,
    })
}

/// Applies `plan`: creates, updates and settles resources in dependency order, recording each
/// in state as soon as it is known. Stops starting new work on the first failure or on `stop`.
pub async fn apply(
    session: &Session<'_>,
    plan: &Plan,
    recorder: &StateRecorder<'_>,
    stop: impl Future<Output = ()>,
) -> RunSummary<ResourceError> {
    let ctx = session.ctx();
    let resolver = Resolver::default();
    let options = ExecOptions {
        parallelism: session.settings.parallelism,
    };
    execute(&session.graph, &options, stop, |node| {
        let ctx = &ctx;
        let resolver = &resolver;
        async move {
            let resource = &node.payload;
            let who = &resource.identity;
            let kind = resource.spec.kind();
            let fail = |source: NodeFailure| ResourceError {
                env: session.env.name.clone(),
                id: node.id.to_string(),
                kind,
                source,
            };
            let planned = plan.get(&node.id);
            let started = Instant::now();
            let mut action = Action::NoOp;
            let outcome: Result<Live, NodeFailure> = async {
                match planned.and_then(|planned| planned.live.clone()) {
                    None => {
                        action = Action::Create;
                        report_start(session, &node.id, kind, action);
                        Ok(resource.spec.create(ctx, who, resolver).await?)
                    }
                    Some(live) => {
                        let live = resource.spec.settle(ctx, who, live).await?;
                        let changes = resource.spec.diff(&live, resolver);
                        if changes.is_empty() {
                            return Ok(live);
                        }
                        if let Some(change) = changes.iter().find(|change| change.replace) {
                            action = Action::Replace;
                            return Err(NodeFailure::Refused(format!(
                                "{} would have to be replaced to change {} ({} → {}); macroctl does not replace resources in place",
                                live.physical_id(), change.field, change.old, change.new
                            )));
                        }
                        action = Action::Update;
                        report_start(session, &node.id, kind, action);
                        Ok(resource
                            .spec
                            .update(ctx, who, &live, &changes, resolver)
                            .await?)
                    }
                }
            }
            .await;
            let elapsed_ms = started.elapsed().as_millis();
            let result = outcome.and_then(|live| {
                resolver.set(&node.id, live.outputs());
                recorder.record(node.id.as_str(), &live)?;
                Ok(live)
            });
            match result {
                Ok(live) => {
                    if action != Action::NoOp {
                        session.reporter.report(Event::NodeFinished {
                            id: node.id.to_string(),
                            kind: kind.to_string(),
                            action: action.as_str().to_string(),
                            physical_id: live.physical_id(),
                            elapsed_ms,
                        });
                    }
                    Ok(())
                }
                Err(source) => {
                    let error = fail(source);
                    session.reporter.report(Event::NodeFailed {
                        id: node.id.to_string(),
                        kind: kind.to_string(),
                        action: action.as_str().to_string(),
                        error: error.source.to_string(),
                        elapsed_ms,
                    });
                    Err(error)
                }
            }
        }
    })
    .await
}

fn report_start(session: &Session<'_>, id: &LogicalId, kind: &str, action: Action) {
    session.reporter.report(Event::NodeStarted {
        id: id.to_string(),
        kind: kind.to_string(),
        action: action.as_str().to_string(),
    });
}
