//! Reading, planning and applying: the engine behind `plan`, `up` and `status`.
//!
//! `read` observes every desired resource (in dependency order, concurrently, so references
//! such as a subnet's id are known to what needs them) and decides per resource: create,
//! update (with the changed fields and tags, each marked when it was changed outside macroctl:
//! `drift`), replace, or no-op. `apply` then runs the graph:
//! creates what is missing, waits where AWS is still settling, updates what differs
//! (re-diffing with the now-known ids of new dependencies), and records each result in state
//! as soon as it is known. What happens to each resource — finding, adopting, retrying,
//! reading back, waiting — is the convergence layer's (`converge`). A converged environment
//! is read and nothing else: zero mutating calls.

use super::converge::{self, Converger, Observed};
use super::drift;
use super::retry::Cancel;
use super::{Session, StateRecorder};
use crate::graph::{execute, ExecOptions, LogicalId, Node, RunSummary};
use crate::output::Event;
use crate::resources::inventory::Tagged;
use crate::resources::{tags, FieldChange, Live, Resolver};
use crate::stack::Resource;
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
    /// The logical ids it depends on (the graph's edges: what must exist before it).
    pub depends_on: Vec<String>,
    /// Something worth saying, e.g. that the id recorded in state no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Changed outside macroctl: a field is no longer what `up` made it (see `drift`), or the
    /// resource was deleted.
    pub drift: bool,
    /// The layer that declares it: `network`, `data` or `application`.
    pub layer: &'static str,
    /// What the change does besides itself: restarts a service, waits for the maintenance
    /// window (see `consequences`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consequences: Vec<String>,
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

    /// The resources changed outside macroctl.
    pub fn drifted(&self) -> impl Iterator<Item = &PlannedResource> {
        self.resources.iter().filter(|resource| resource.drift)
    }

    fn get(&self, id: &LogicalId) -> Option<&PlannedResource> {
        self.resources
            .iter()
            .find(|resource| resource.id == id.as_str())
    }
}

pub use super::converge::NodeFailure;

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

    /// Whether the resource was only stopped while waiting (the run was interrupted, or
    /// another resource failed), not failed itself.
    pub fn is_interrupted(&self) -> bool {
        matches!(self.source, NodeFailure::Interrupted(_))
    }
}

/// Observes every desired resource and decides what `up` would do.
///
/// Reading is what a CI job pays on every push, so it is not done in dependency order: a
/// resource recorded in state is read at once (its id is known, and its parents' outputs, which
/// a child needs to find itself, are taken from state); only a resource state does not know
/// waits for what it depends on (to find it, it may need their live outputs). Most reads are
/// answered from batched listings shared by every resource of a kind, so a converged
/// environment is read in a few round trips. The diff then runs in dependency order, against
/// live outputs.
pub async fn read(session: &Session<'_>) -> Result<Plan, RunSummary<ResourceError>> {
    let cancel = Cancel::default();
    let converger = Converger::new(session, &cancel);
    let lookups = Resolver::default();
    for (id, entry) in &session.state.resources {
        lookups.set(&LogicalId::new(id), entry.outputs.clone());
    }
    let observed: RefCell<HashMap<LogicalId, Observed>> = RefCell::new(HashMap::new());
    let read_order = read_graph(session);
    // Every resource reads at once: most reads wait on a listing that all resources of a
    // kind share, so queueing resources would only delay cache hits. `--parallelism` still
    // bounds the requests AWS sees, in the shared HTTP client (`aws::in_flight`).
    let options = ExecOptions {
        parallelism: session.graph.len().max(1),
    };
    let summary = execute(
        &read_order,
        &options,
        std::future::pending::<()>(),
        |step| {
            let converger = &converger;
            let lookups = &lookups;
            let observed = &observed;
            async move {
                let Some(node) = session.graph.node(&step.id) else {
                    return Ok(());
                };
                let found =
                    converger
                        .observe(node, lookups)
                        .await
                        .map_err(|source| ResourceError {
                            env: session.env.name.clone(),
                            id: node.id.to_string(),
                            kind: node.payload.spec.kind(),
                            source,
                        })?;
                if let Some(live) = &found.live {
                    lookups.set(&node.id, live.outputs());
                }
                observed.borrow_mut().insert(node.id.clone(), found);
                Ok::<(), ResourceError>(())
            }
        },
    )
    .await;
    if !summary.is_success() {
        return Err(summary);
    }
    let mut observed = observed.into_inner();
    let resolver = Resolver::default();
    let resources = session
        .graph
        .nodes()
        .filter_map(|node| {
            let found = observed.remove(&node.id)?;
            Some(planned(session, node, found, &resolver))
        })
        .collect();
    let desired: BTreeSet<&str> = session.graph.nodes().map(|node| node.id.as_str()).collect();
    let unmanaged = match crate::resources::all_tagged(&session.ctx()).await {
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

/// The order reads run in: a resource recorded in state depends on nothing; one that is not
/// waits for its dependencies (see [`read`]).
fn read_graph(session: &Session<'_>) -> crate::graph::Graph<()> {
    read_order(session, |_| false)
}

/// [`read_graph`], with the resources `settled` says are known some other way (mapped by
/// `import`) reading at once too.
pub(super) fn read_order(
    session: &Session<'_>,
    settled: impl Fn(&str) -> bool,
) -> crate::graph::Graph<()> {
    let nodes = session
        .graph
        .nodes()
        .map(|node| {
            let known =
                session.state.resource(node.id.as_str()).is_some() || settled(node.id.as_str());
            Node {
                id: node.id.clone(),
                deps: if known { Vec::new() } else { node.deps.clone() },
                payload: (),
            }
        })
        .collect();
    crate::graph::Graph::build(nodes).expect("a subgraph of a valid graph is valid")
}

/// What `up` would do to one resource, from what was found (`resolver` holds the live outputs
/// of everything before it in dependency order, and gets its own).
fn planned(
    session: &Session<'_>,
    node: &Node<Resource>,
    found: Observed,
    resolver: &Resolver,
) -> PlannedResource {
    let resource = &node.payload;
    let entry = session.state.resource(node.id.as_str());
    let (action, changes, drift) = match &found.live {
        // Recorded and seen, yet gone: deleted outside macroctl (a create that was never read
        // back may simply not show yet).
        None => (
            Action::Create,
            Vec::new(),
            entry.is_some_and(|entry| !entry.outputs.is_empty()),
        ),
        Some(live) => {
            resolver.set(&node.id, live.outputs());
            let managed = entry
                .map(|entry| entry.managed_tags.clone())
                .unwrap_or_default();
            let mut changes = converge::field_changes(resource, live, resolver);
            let tag_changes = converge::tag_changes(resource, live, &managed);
            if let Some(live_tags) = live.tags() {
                changes.extend(tags::field_changes(&tag_changes, live_tags));
            }
            let applied = entry.and_then(|entry| entry.applied.as_ref());
            let drift = drift::mark(&mut changes, applied, resource, live, resolver);
            let action = if changes.is_empty() {
                Action::NoOp
            } else if changes.iter().any(|change| change.replace) {
                Action::Replace
            } else {
                Action::Update
            };
            (action, changes, drift)
        }
    };
    let consequences = super::consequences::of(session, node, action, &changes);
    let unapplied = super::consequences::unapplied(node, found.live.as_ref());
    PlannedResource {
        id: node.id.to_string(),
        kind: resource.spec.kind(),
        layer: resource.layer,
        consequences,
        action,
        physical_id: found.live.as_ref().map(Live::physical_id),
        status: found.live.as_ref().map(Live::status),
        changes,
        depends_on: node.deps.iter().map(|dep| dep.to_string()).collect(),
        note: match (&found.note, drift && found.live.is_none()) {
            (Some(note), true) => Some(format!(
                "{note}: deleted outside macroctl; up creates it again"
            )),
            _ => found.note.or(unapplied),
        },
        drift,
        live: found.live,
    }
}

/// Applies `plan`: creates, updates and settles resources in dependency order, recording each
/// in state as soon as it is known. On the first failure, or when `stop` resolves (Ctrl-C,
/// SIGTERM), nothing new starts and every wait in progress ends at once; calls already sent
/// finish and are recorded.
pub async fn apply(
    session: &Session<'_>,
    plan: &Plan,
    recorder: &StateRecorder<'_>,
    stop: impl Future<Output = ()>,
) -> RunSummary<ResourceError> {
    let cancel = Cancel::default();
    let converger = Converger::new(session, &cancel);
    let resolver = Resolver::default();
    let options = ExecOptions {
        parallelism: session.settings.parallelism,
    };
    let stop = async {
        stop.await;
        cancel.fire();
    };
    execute(&session.graph, &options, stop, |node| {
        let converger = &converger;
        let resolver = &resolver;
        let cancel = &cancel;
        async move {
            let kind = node.payload.spec.kind();
            let started = Instant::now();
            let mut action = Action::NoOp;
            let outcome = apply_node(
                converger,
                node,
                plan.get(&node.id),
                resolver,
                recorder,
                &mut action,
            )
            .await;
            let elapsed_ms = started.elapsed().as_millis();
            match outcome {
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
                Err(source) => Err(node_failed(
                    session,
                    node,
                    action.as_str(),
                    source,
                    elapsed_ms,
                    cancel,
                )),
            }
        }
    })
    .await
}

/// Reports a resource that was stopped while waiting, or failed (then nothing new starts and
/// waits elsewhere end: `cancel` fires), and names it as the environment's resource.
pub(super) fn node_failed(
    session: &Session<'_>,
    node: &Node<Resource>,
    action: &str,
    source: NodeFailure,
    elapsed_ms: u128,
    cancel: &Cancel,
) -> ResourceError {
    let kind = node.payload.spec.kind();
    let event = match &source {
        NodeFailure::Interrupted(waiting_for) => Event::NodeStopped {
            id: node.id.to_string(),
            kind: kind.to_string(),
            action: action.to_string(),
            waiting_for: waiting_for.clone(),
            elapsed_ms,
        },
        _ => {
            cancel.fire();
            Event::NodeFailed {
                id: node.id.to_string(),
                kind: kind.to_string(),
                action: action.to_string(),
                error: source.to_string(),
                elapsed_ms,
            }
        }
    };
    session.reporter.report(event);
    ResourceError {
        env: session.env.name.clone(),
        id: node.id.to_string(),
        kind,
        source,
    }
}

/// One resource: create it when the plan found none, wait until it is ready, apply what
/// differs (fields, then tags), and record it.
async fn apply_node(
    converger: &Converger<'_>,
    node: &Node<Resource>,
    planned: Option<&PlannedResource>,
    resolver: &Resolver,
    recorder: &StateRecorder<'_>,
    action: &mut Action,
) -> Result<Live, NodeFailure> {
    let session = converger.session;
    let resource = &node.payload;
    let (live, changed) = match planned.and_then(|planned| planned.live.clone()) {
        Some(live) => (live, false),
        None => {
            *action = Action::Create;
            report_start(session, &node.id, resource.spec.kind(), *action);
            (converger.create(node, resolver, recorder).await?, true)
        }
    };
    let mut live = converger.settle(node, live, changed, resolver).await?;
    // Re-diff with the ids of dependencies created in this run: "(known after apply)" becomes
    // either nothing or a concrete change. Some changes take more than one round (AWS takes
    // one ElastiCache change at a time): diff again after each, while it makes progress.
    let mut previous: Option<Vec<FieldChange>> = None;
    for _round in 0..MAX_UPDATE_ROUNDS {
        let changes = converge::field_changes(resource, &live, resolver);
        if changes.is_empty() {
            break;
        }
        if let Some(change) = changes.iter().find(|change| change.replace) {
            *action = Action::Replace;
            return Err(converge::refuse_replace(&live, change));
        }
        if previous.as_ref() == Some(&changes) {
            session.reporter.report(Event::Warning {
                message: format!(
                    "{} ({}): still differs after it was updated: {}; AWS may apply it later",
                    node.id,
                    resource.spec.kind(),
                    changes
                        .iter()
                        .map(|change| change.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            break;
        }
        if *action == Action::NoOp {
            *action = Action::Update;
            report_start(session, &node.id, resource.spec.kind(), *action);
        }
        previous = Some(changes.clone());
        live = converger.update(node, live, changes, resolver).await?;
        live = converger.settle(node, live, true, resolver).await?;
    }
    let managed = recorder
        .entry(node.id.as_str())
        .map(|entry| entry.managed_tags)
        .unwrap_or_default();
    let tag_changes = converge::tag_changes(resource, &live, &managed);
    if !tag_changes.is_empty() {
        if *action == Action::NoOp {
            *action = Action::Update;
            report_start(session, &node.id, resource.spec.kind(), *action);
        }
        converger.set_tags(node, &live, &tag_changes).await?;
    }
    resolver.set(&node.id, live.outputs());
    let managed = converge::managed_tag_keys(resource, &live);
    let applied_before = recorder
        .entry(node.id.as_str())
        .is_some_and(|entry| entry.applied.is_some());
    if *action == Action::NoOp && applied_before {
        // Unchanged: what was applied still describes it (a field it differs in was not in
        // the diff), and the state file of a converged environment stays as it is.
        recorder.record(node.id.as_str(), &live, managed)?;
    } else {
        recorder.record_applied(node.id.as_str(), &live, managed, drift::applied(resource))?;
    }
    Ok(live)
}

/// Updates of one resource in one run, at most (each is followed by a wait and a new diff).
const MAX_UPDATE_ROUNDS: usize = 3;

fn report_start(session: &Session<'_>, id: &LogicalId, kind: &str, action: Action) {
    session.reporter.report(Event::NodeStarted {
        id: id.to_string(),
        kind: kind.to_string(),
        action: action.as_str().to_string(),
    });
}
