//! The desired stack: turns a validated environment into the graph of resources `up` builds.
//!
//! Each layer (network now; data and application later) contributes resources with logical
//! ids, deterministic names and specs. Graph edges are derived from the references in each
//! spec (plus the few ordering needs AWS imposes that no reference expresses), so the order
//! can never disagree with the data flow.

pub mod app;
pub mod data;
pub mod network;

use crate::config::Environment;
use crate::graph::{Graph, GraphError, LogicalId, Node};
use crate::resources::{Identity, Spec, TAG_ENV, TAG_ID, TAG_STACK};
use crate::state::release::Release;

/// The application's services, as named in ECS and in logical ids.
pub const SERVICES: [&str; 2] = ["api", "ui"];

/// One desired resource: who it is and what it should look like.
#[derive(Debug, Clone)]
pub struct Resource {
    pub identity: Identity,
    pub spec: Spec,
}

/// A resource as a layer declares it, before identity and edges are filled in.
pub(crate) struct Declared {
    pub id: String,
    pub spec: Spec,
    /// Ordering needs that no reference in the spec expresses.
    pub after: Vec<String>,
}

impl Declared {
    pub fn new(id: impl Into<String>, spec: Spec) -> Self {
        Self {
            id: id.into(),
            spec,
            after: Vec::new(),
        }
    }

    pub fn after(mut self, id: impl Into<String>) -> Self {
        self.after.push(id.into());
        self
    }
}

/// The identity every resource of `env` gets: `Name` `<stack>-<env>-<id>` and the macroctl tags.
pub fn identity(env: &Environment, id: &str) -> Identity {
    let name = format!("{}-{}-{id}", env.stack, env.name);
    let mut tags = vec![
        ("Name".to_string(), name.clone()),
        (TAG_STACK.to_string(), env.stack.clone()),
        (TAG_ENV.to_string(), env.name.clone()),
        (TAG_ID.to_string(), id.to_string()),
    ];
    for (key, value) in &env.tags {
        if !tags.iter().any(|(existing, _)| existing == key) {
            tags.push((key.clone(), value.clone()));
        }
    }
    Identity {
        id: LogicalId::new(id),
        name,
        tags,
    }
}

/// The graph of everything `up` manages for `env`; `current` is the release deployed now.
pub fn desired(
    env: &Environment,
    current: Option<&Release>,
) -> Result<Graph<Resource>, GraphError> {
    let mut declared = network::declare(env);
    declared.extend(data::declare(env));
    declared.extend(app::declare(env, current));
    let nodes = declared
        .into_iter()
        .map(|resource| {
            let mut deps: Vec<LogicalId> = resource
                .spec
                .refs()
                .into_iter()
                .map(|reference| reference.id)
                .chain(resource.after.iter().map(LogicalId::new))
                .collect();
            deps.sort();
            deps.dedup();
            Node {
                id: LogicalId::new(&resource.id),
                deps,
                payload: Resource {
                    identity: identity(env, &resource.id),
                    spec: resource.spec,
                },
            }
        })
        .collect();
    Graph::build(nodes)
}

/// The short AZ label used in logical ids: `a` for `us-east-1a`.
pub fn az_label(region: &str, availability_zone: &str) -> String {
    availability_zone
        .strip_prefix(region)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(availability_zone)
        .to_string()
}
