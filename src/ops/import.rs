//! `import`: recording in state what AWS already has for an environment, without creating or
//! changing anything — for a lost or never-written state file, or an environment set up by hand.
//!
//! Finding is exactly what `up` does before it creates (`Converger::observe`): by the id state
//! records, else by the kind's identity (tags, a unique name, or a parent and a key), with the
//! same ownership rules (a resource tagged for another stack or environment is refused, one
//! found by name without macroctl's tags is refused). Unlike `engine::read`, one refusal does
//! not end the run: each resource gets its own outcome (imported, already recorded, missing,
//! refused, failed), the rest is still recorded, and a resource that needs a parent which is
//! missing or refused is reported missing rather than looked for under an unknown id.
//!
//! `--map LOGICAL_ID=PHYSICAL_ID` adopts what was made by hand and carries no tags. Mappings are
//! checked first and all at once (`Converger::check_mapped`, reads only): a logical id the
//! environment does not declare, or an id AWS does not know as that kind, is bad input and
//! stops the import before anything is tagged or recorded. A mapped resource that may be
//! adopted is then tagged as `up` would tag it and recorded, before everything else is read, so
//! that its children are found under it.

use super::converge::adopt::Mapped;
use super::converge::{self, Converger, NodeFailure, Observed};
use super::retry::Cancel;
use super::{Session, StateRecorder};
use crate::error::Error;
use crate::graph::{execute, ExecOptions, Graph, LogicalId, Node};
use crate::output::Event;
use crate::resources::{Live, Resolver};
use crate::stack::Resource;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;

/// One `--map LOGICAL_ID=PHYSICAL_ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub id: String,
    pub physical_id: String,
}

/// How a resource was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundBy {
    /// `--map`.
    Map,
    /// The id state records.
    State,
    /// The kind's identity: its tags, its unique name, or its parent and key.
    Identity,
}

/// A resource that exists and is (now) recorded in state.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub id: String,
    pub kind: &'static str,
    pub physical_id: String,
    pub found_by: FoundBy,
}

/// A desired resource AWS does not have: `up` creates it.
#[derive(Debug, Clone, Serialize)]
pub struct Missing {
    pub id: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A resource found but not recorded, because it is not this environment's to take.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    pub id: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    pub reason: String,
}

/// A resource that could not be read (or tagged, or recorded).
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    pub id: String,
    pub kind: &'static str,
    pub error: String,
    pub code: Option<String>,
}

/// What an import found, each list in dependency order.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub env: String,
    /// Recorded by this run.
    pub imported: Vec<Found>,
    /// Recorded before, and still there (left as recorded).
    pub already_recorded: Vec<Found>,
    pub missing: Vec<Missing>,
    pub refused: Vec<Refused>,
    pub failed: Vec<Failed>,
}

impl ImportReport {
    /// Whether every resource found was recorded (missing ones are fine: `up` creates them).
    pub fn is_complete(&self) -> bool {
        self.refused.is_empty() && self.failed.is_empty()
    }
}

/// One resource's outcome.
enum Outcome {
    Imported(Found),
    Recorded(Found),
    Missing(Option<String>),
    Refused {
        physical_id: Option<String>,
        reason: String,
    },
    Failed(NodeFailure),
}

/// Checks the mappings against the environment's graph, before any lock or AWS call: every
/// logical id declared, none mapped twice, no physical id given to two logical ids.
pub fn check_mappings(
    env: &str,
    graph: &Graph<Resource>,
    mappings: &[Mapping],
) -> Result<(), Error> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut physical: HashMap<&str, &str> = HashMap::new();
    for mapping in mappings {
        let id = mapping.id.as_str();
        if graph.node(&LogicalId::new(id)).is_none() {
            let close = closest(id, graph.nodes().map(|node| node.id.as_str()));
            return Err(Error::Usage(format!(
                "--map {id}={}: environment {env} has no resource {id}{}; `macroctl plan --env {env}` lists its logical ids and kinds",
                mapping.physical_id,
                close.map(|c| format!(" (did you mean {c}?)")).unwrap_or_default()
            )));
        }
        if let Some(earlier) = seen.insert(id, &mapping.physical_id) {
            return Err(Error::Usage(format!(
                "--map {id} is given twice ({id}={earlier} and {id}={}): map each logical id once",
                mapping.physical_id
            )));
        }
        if let Some(other) = physical.insert(&mapping.physical_id, id) {
            return Err(Error::Usage(format!(
                "--map {other}={0} and --map {id}={0}: one resource cannot be two; map it to one logical id",
                mapping.physical_id
            )));
        }
    }
    Ok(())
}

/// The declared id nearest to a misspelt one (at most 3 edits away).
fn closest<'a>(wanted: &str, ids: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    ids.map(|id| (edit_distance(wanted, id), id))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, id)| id)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Records in state every desired resource AWS has for the environment (and adopts the mapped
/// ones). Reads only, except the tags a mapping adds. Bad mappings (an id AWS does not know as
/// the node's kind) are an error before anything is tagged or recorded.
pub async fn import(
    session: &Session<'_>,
    mappings: &[Mapping],
    recorder: &StateRecorder<'_>,
) -> Result<ImportReport, Error> {
    let cancel = Cancel::default();
    let converger = Converger::new(session, &cancel);
    let state_outputs = Resolver::default();
    for (id, entry) in &session.state.resources {
        state_outputs.set(&LogicalId::new(id), entry.outputs.clone());
    }
    let mut outcomes = HashMap::new();
    // What mappings adopt, by physical id: a resource cannot become a second logical id.
    let mut adopted_ids: HashMap<String, LogicalId> = HashMap::new();
    let adopted = adopt_mapped(
        session,
        &converger,
        mappings,
        recorder,
        &state_outputs,
        &mut outcomes,
    )
    .await?;
    let lookups = Resolver::default();
    for (id, entry) in &session.state.resources {
        lookups.set(&LogicalId::new(id), entry.outputs.clone());
    }
    for (id, live) in &adopted {
        lookups.set(id, live.outputs());
        adopted_ids.insert(live.physical_id(), id.clone());
    }
    let outcomes = RefCell::new(outcomes);
    let read_order = read_graph(session, mappings);
    // Every resource reads at once (see `engine::read`); `--parallelism` bounds the requests.
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
            let outcomes = &outcomes;
            let adopted_ids = &adopted_ids;
            async move {
                if outcomes.borrow().contains_key(&step.id) {
                    return Ok(());
                }
                let Some(node) = session.graph.node(&step.id) else {
                    return Ok(());
                };
                let outcome =
                    find_one(converger, node, lookups, recorder, outcomes, adopted_ids).await;
                outcomes.borrow_mut().insert(step.id.clone(), outcome);
                Ok::<(), std::convert::Infallible>(())
            }
        },
    )
    .await;
    debug_assert!(summary.is_success());
    Ok(report(session, outcomes.into_inner()))
}

/// Checks every mapping (reads only), then tags and records those that may be adopted, in
/// dependency order. Returns what was adopted; refusals and failures go to `outcomes`.
async fn adopt_mapped(
    session: &Session<'_>,
    converger: &Converger<'_>,
    mappings: &[Mapping],
    recorder: &StateRecorder<'_>,
    resolver: &Resolver,
    outcomes: &mut HashMap<LogicalId, Outcome>,
) -> Result<Vec<(LogicalId, Live)>, Error> {
    let env = &session.env.name;
    let wanted: HashMap<&str, &str> = (mappings.iter())
        .map(|mapping| (mapping.id.as_str(), mapping.physical_id.as_str()))
        .collect();
    let mut adoptable = Vec::new();
    let mut bad = Vec::new();
    for node in session.graph.nodes() {
        let Some(&physical_id) = wanted.get(node.id.as_str()) else {
            continue;
        };
        let kind = node.payload.spec.kind();
        let recorded = (session.state.resource(node.id.as_str())).map(|e| e.physical_id.as_str());
        let refuse = |reason: String| Outcome::Refused {
            physical_id: Some(physical_id.to_string()),
            reason,
        };
        if let Some(other) = recorded_as(session, node, physical_id) {
            outcomes.insert(node.id.clone(), refuse(taken(physical_id, other)));
            continue;
        }
        match converger
            .check_mapped(node, physical_id, recorded, resolver)
            .await
        {
            Ok(Mapped::Adoptable { live, tags }) => {
                let found = live.physical_id();
                if let Some(other) = recorded_as(session, node, &found) {
                    outcomes.insert(node.id.clone(), refuse(taken(&found, other)));
                    continue;
                }
                resolver.set(&node.id, live.outputs());
                adoptable.push((node, *live, tags, recorded));
            }
            Ok(Mapped::Refused(reason)) => {
                outcomes.insert(node.id.clone(), refuse(reason));
            }
            Ok(Mapped::NotFound { code }) => bad.push(format!(
                "--map {}={physical_id}: AWS has no {kind} with id {physical_id}{}",
                node.id,
                code.map(|code| format!(" ({code})")).unwrap_or_default()
            )),
            Err(err) => bad.push(format!(
                "--map {}={physical_id}: reading it as a {kind} failed: {err}",
                node.id
            )),
        }
    }
    if !bad.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "environment {env}: {}; nothing was tagged or recorded",
                bad.join("; ")
            ),
            hint: format!(
                "give each logical id the physical id of a resource of its kind in {} (what `macroctl state show` records for that kind: an EC2 id such as vpc-0abc…, a name, or an ARN); `macroctl plan --env {env}` lists the logical ids and kinds",
                session.env.region
            ),
        });
    }
    let mut adopted = Vec::new();
    for (node, live, tags, recorded) in adoptable {
        let physical_id = live.physical_id();
        if !tags.is_empty() {
            let keys: Vec<&str> = tags.set.keys().map(String::as_str).collect();
            session.reporter.report(Event::Info {
                message: format!(
                    "tagging {physical_id} as {env}'s {} ({})",
                    node.id,
                    keys.join(", ")
                ),
            });
        }
        if let Err(err) = converger.adopt_mapped(node, &live, &tags).await {
            outcomes.insert(node.id.clone(), Outcome::Failed(err));
            continue;
        }
        recorder.record(
            node.id.as_str(),
            &live,
            converge::managed_tag_keys(&node.payload, &live),
        )?;
        let found = Found {
            id: node.id.to_string(),
            kind: node.payload.spec.kind(),
            physical_id: physical_id.clone(),
            found_by: FoundBy::Map,
        };
        let outcome = if recorded == Some(physical_id.as_str()) {
            Outcome::Recorded(found)
        } else {
            report_imported(session, &found);
            Outcome::Imported(found)
        };
        outcomes.insert(node.id.clone(), outcome);
        adopted.push((node.id.clone(), live));
    }
    Ok(adopted)
}

/// The other logical id state records `physical_id` for, if any.
fn recorded_as<'s>(
    session: &'s Session<'_>,
    node: &Node<Resource>,
    physical_id: &str,
) -> Option<&'s str> {
    (session.state.resources.iter())
        .find(|(id, entry)| id.as_str() != node.id.as_str() && entry.physical_id == physical_id)
        .map(|(id, _)| id.as_str())
}

fn taken(physical_id: &str, other: &str) -> String {
    format!("state records {physical_id} as {other}: one resource cannot be two logical ids")
}

const NOT_LOOKED_FOR: &str = "not looked for";

/// Finds one resource that no mapping named, and records it when found.
async fn find_one(
    converger: &Converger<'_>,
    node: &Node<Resource>,
    lookups: &Resolver,
    recorder: &StateRecorder<'_>,
    outcomes: &RefCell<HashMap<LogicalId, Outcome>>,
    adopted_ids: &HashMap<String, LogicalId>,
) -> Outcome {
    let session = converger.session;
    let resource = &node.payload;
    let recorded = session.state.resource(node.id.as_str());
    if recorded.is_none() {
        // Found through what it refers to: without that, there is nothing to look under.
        let refs = resource.spec.refs();
        if let Some(parent) = refs.iter().find(|r| lookups.known(r).is_none()) {
            // Plainly missing under a missing parent needs no word; under a refused or
            // unreadable one it does: it may well exist.
            let why = match outcomes.borrow().get(&parent.id) {
                Some(Outcome::Refused { .. }) => Some("was refused"),
                Some(Outcome::Failed(_)) => Some("could not be read"),
                Some(Outcome::Missing(Some(note))) if note.starts_with(NOT_LOOKED_FOR) => {
                    Some("was not looked for")
                }
                _ => None,
            };
            return Outcome::Missing(
                why.map(|why| format!("{NOT_LOOKED_FOR}: needs {}, which {why}", parent.id)),
            );
        }
    }
    let live = match converger.observe(node, lookups).await {
        Ok(Observed {
            live: Some(live), ..
        }) => live,
        Ok(Observed { live: None, note }) => return Outcome::Missing(note),
        Err(NodeFailure::Refused(reason)) => {
            return Outcome::Refused {
                physical_id: None,
                reason,
            }
        }
        Err(err) => return Outcome::Failed(err),
    };
    lookups.set(&node.id, live.outputs());
    let physical_id = live.physical_id();
    let found = Found {
        id: node.id.to_string(),
        kind: resource.spec.kind(),
        physical_id: physical_id.clone(),
        found_by: FoundBy::State,
    };
    if recorded.is_some_and(|entry| entry.physical_id == physical_id) {
        return Outcome::Recorded(found);
    }
    let other = recorded_as(session, node, &physical_id)
        .map(str::to_string)
        .or_else(|| adopted_ids.get(&physical_id).map(ToString::to_string));
    if let Some(other) = other {
        return Outcome::Refused {
            physical_id: Some(physical_id.clone()),
            reason: taken(&physical_id, &other),
        };
    }
    let managed = converge::managed_tag_keys(resource, &live);
    if let Err(err) = recorder.record(node.id.as_str(), &live, managed) {
        return Outcome::Failed(err.into());
    }
    let found = Found {
        found_by: FoundBy::Identity,
        ..found
    };
    report_imported(session, &found);
    Outcome::Imported(found)
}

fn report_imported(session: &Session<'_>, found: &Found) {
    session.reporter.report(Event::Info {
        message: format!(
            "{} ({}): found {}, recorded in state",
            found.id, found.kind, found.physical_id
        ),
    });
}

/// The order reads run in, as `engine::read`'s: a resource recorded in state (or mapped, so
/// already settled) depends on nothing; one that is not waits for its dependencies, whose
/// outputs it may need to be found.
fn read_graph(session: &Session<'_>, mappings: &[Mapping]) -> Graph<()> {
    super::engine::read_order(session, |id| {
        mappings.iter().any(|mapping| mapping.id == id)
    })
}

/// The outcomes as lists, in dependency order.
fn report(session: &Session<'_>, mut outcomes: HashMap<LogicalId, Outcome>) -> ImportReport {
    let mut report = ImportReport {
        env: session.env.name.clone(),
        imported: Vec::new(),
        already_recorded: Vec::new(),
        missing: Vec::new(),
        refused: Vec::new(),
        failed: Vec::new(),
    };
    for node in session.graph.nodes() {
        let id = node.id.to_string();
        let kind = node.payload.spec.kind();
        match outcomes.remove(&node.id) {
            Some(Outcome::Imported(found)) => report.imported.push(found),
            Some(Outcome::Recorded(found)) => report.already_recorded.push(found),
            Some(Outcome::Missing(note)) => report.missing.push(Missing { id, kind, note }),
            Some(Outcome::Refused {
                physical_id,
                reason,
            }) => report.refused.push(Refused {
                id,
                kind,
                physical_id,
                reason,
            }),
            Some(Outcome::Failed(err)) => report.failed.push(Failed {
                id,
                kind,
                code: match &err {
                    NodeFailure::Aws(aws) => aws.code().map(str::to_string),
                    _ => None,
                },
                error: err.to_string(),
            }),
            None => report.missing.push(Missing {
                id,
                kind,
                note: None,
            }),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_id_finds_its_neighbour() {
        let ids = ["vpc", "subnet-public-a", "internet-gateway"];
        assert_eq!(closest("vcp", ids.into_iter()), Some("vpc"));
        assert_eq!(
            closest("subnet-publc-a", ids.into_iter()),
            Some("subnet-public-a")
        );
        assert_eq!(closest("database-cluster", ids.into_iter()), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
