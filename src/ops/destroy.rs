//! `destroy`: deleting everything macroctl manages for an environment, in reverse dependency
//! order, concurrently where independent.
//!
//! The desired graph says what depends on what, so it also says the order in which things
//! can go: a resource is deleted only after everything that depends on it is gone (services
//! before their target groups and security groups, the load balancer before its security
//! group, NAT gateways before their Elastic IPs, the database before its subnet group). The
//! engine runs the graph reversed: every resource waits for its dependents instead of its
//! dependencies. Each deletion is the convergence layer's (`converge::delete`): the kind's
//! call, repeated while AWS still holds what depends on it, then a wait until it is gone.
//!
//! What gets deleted is what a plan finds: by the id recorded in state, else by identity,
//! and only what the ownership check admits (a resource tagged for another stack or
//! environment is refused, never deleted). A resource already gone is not an error. State
//! entries are removed as resources go, so a destroy interrupted or killed at any instant
//! resumes when run again; at the end the state records the environment as destroyed.

use super::converge::{Converger, Removed};
use super::engine::{node_failed, NodeFailure, Plan, ResourceError};
use super::retry::Cancel;
use super::{Session, StateRecorder};
use crate::graph::{execute, ExecOptions, Graph, LogicalId, Node, RunSummary};
use crate::output::Event;
use crate::resources::{DeleteOptions, Resolver};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::time::Instant;

/// One resource `destroy` will delete.
#[derive(Debug, Clone, Serialize)]
pub struct Deletion {
    pub id: String,
    pub kind: &'static str,
    pub physical_id: String,
    pub status: String,
}

/// What `destroy` would do, from a plan: in the order resources go.
#[derive(Debug, Clone, Serialize)]
pub struct DestroyPlan {
    pub env: String,
    /// What exists and will be deleted, dependents first.
    pub deletions: Vec<Deletion>,
    /// Declared resources that do not exist (nothing to do).
    pub absent: Vec<String>,
    /// Resources whose deletion protection is on: `(id, setting)`.
    pub protected: Vec<(String, &'static str)>,
    /// State entries the environment file no longer declares (left alone, named).
    pub undeclared: Vec<String>,
}

/// The plan's resources in deletion order: the graph's topological order reversed.
pub fn plan(session: &Session<'_>, plan: &Plan) -> DestroyPlan {
    let mut deletions = Vec::new();
    let mut absent = Vec::new();
    let mut protected = Vec::new();
    for resource in plan.resources.iter().rev() {
        match &resource.live {
            Some(live) => {
                if let Some(setting) = live.protection() {
                    protected.push((resource.id.clone(), setting));
                }
                deletions.push(Deletion {
                    id: resource.id.clone(),
                    kind: resource.kind,
                    physical_id: live.physical_id(),
                    status: live.status(),
                });
            }
            None => absent.push(resource.id.clone()),
        }
    }
    let undeclared = session
        .state
        .resources
        .keys()
        .filter(|id| session.graph.node(&LogicalId::new(id.as_str())).is_none())
        .cloned()
        .collect();
    DestroyPlan {
        env: plan.env.clone(),
        deletions,
        absent,
        protected,
        undeclared,
    }
}

/// The buckets among `doomed`'s deletions that hold objects (one `ListObjectVersions` each,
/// at the same time): what `destroy` refuses to delete without `--delete-bucket-contents`.
pub async fn buckets_with_contents(
    session: &Session<'_>,
    doomed: &DestroyPlan,
) -> Result<Vec<String>, crate::aws::AwsError> {
    let ctx = session.ctx();
    let buckets = doomed
        .deletions
        .iter()
        .filter(|deletion| deletion.kind == "s3:bucket");
    let checks = buckets.map(|deletion| async {
        let holds = crate::resources::s3_bucket::holds_objects(&ctx, &deletion.physical_id).await?;
        Ok::<_, crate::aws::AwsError>(
            holds.then(|| format!("{} ({})", deletion.id, deletion.physical_id)),
        )
    });
    let found = futures::future::try_join_all(checks).await?;
    Ok(found.into_iter().flatten().collect())
}

/// The graph with every edge turned round: a resource waits for what depends on it.
fn reversed(session: &Session<'_>) -> Graph<()> {
    let mut dependents: HashMap<&LogicalId, Vec<LogicalId>> = HashMap::new();
    for node in session.graph.nodes() {
        for dep in &node.deps {
            dependents.entry(dep).or_default().push(node.id.clone());
        }
    }
    let nodes = session
        .graph
        .nodes()
        .map(|node| Node {
            id: node.id.clone(),
            deps: dependents.remove(&node.id).unwrap_or_default(),
            payload: (),
        })
        .collect();
    Graph::build(nodes).expect("the reverse of a valid graph is valid")
}

/// Deletes what `plan` found, dependents first, recording each deletion in state as it
/// happens. When `stop` resolves (Ctrl-C, SIGTERM) nothing new starts and every wait ends at
/// once; a later `destroy` resumes. On success the state records the environment as destroyed.
pub async fn destroy(
    session: &Session<'_>,
    plan: &Plan,
    options: &DeleteOptions,
    recorder: &StateRecorder<'_>,
    stop: impl Future<Output = ()>,
) -> RunSummary<ResourceError> {
    let cancel = Cancel::default();
    let converger = Converger::new(session, &cancel);
    // What a wait's reads need to find a child through its parent: the outputs found.
    let resolver = Resolver::default();
    for resource in &plan.resources {
        if let Some(live) = &resource.live {
            resolver.set(&LogicalId::new(resource.id.as_str()), live.outputs());
        }
    }
    let lives: HashMap<&str, _> = (plan.resources.iter())
        .filter_map(|resource| Some((resource.id.as_str(), resource.live.clone()?)))
        .collect();
    let order = reversed(session);
    let exec = ExecOptions {
        parallelism: session.settings.parallelism,
    };
    let stop = async {
        stop.await;
        cancel.fire();
    };
    let summary = execute(&order, &exec, stop, |step| {
        let converger = &converger;
        let resolver = &resolver;
        let cancel = &cancel;
        let live = lives.get(step.id.as_str()).cloned();
        async move {
            let node = session
                .graph
                .node(&step.id)
                .expect("the reversed graph has the graph's nodes");
            let kind = node.payload.spec.kind();
            let fail = |source: NodeFailure| ResourceError {
                env: session.env.name.clone(),
                id: node.id.to_string(),
                kind,
                source,
            };
            let Some(live) = live else {
                // Not there: nothing to delete, nothing to remember.
                return recorder
                    .forget(node.id.as_str())
                    .map_err(|err| fail(err.into()));
            };
            let started = Instant::now();
            session.reporter.report(Event::NodeStarted {
                id: node.id.to_string(),
                kind: kind.to_string(),
                action: "delete".to_string(),
            });
            let physical_id = live.physical_id();
            let outcome = converger.delete(node, live, options, resolver).await;
            let elapsed_ms = started.elapsed().as_millis();
            match outcome {
                Ok(Removed::Gone) => {
                    recorder
                        .forget(node.id.as_str())
                        .map_err(|err| fail(err.into()))?;
                    session.reporter.report(Event::NodeFinished {
                        id: node.id.to_string(),
                        kind: kind.to_string(),
                        action: "delete".to_string(),
                        physical_id,
                        elapsed_ms,
                    });
                    Ok(())
                }
                Ok(Removed::Kept(why)) => {
                    session.reporter.report(Event::Warning {
                        message: format!("{} ({kind}) {physical_id} kept: {why}", node.id),
                    });
                    Ok(())
                }
                Err(source) => Err(node_failed(
                    session, node, "delete", source, elapsed_ms, cancel,
                )),
            }
        }
    })
    .await;
    if summary.is_success() {
        if let Err(err) = recorder.destroyed() {
            session.reporter.report(Event::Warning {
                message: format!("could not record the environment as destroyed: {err}"),
            });
        }
    }
    summary
}
