//! The desired stack: turns a validated environment into the graph of resources `up` builds.
//!
//! Each layer (network now; data and application later) contributes resources with logical
//! ids, deterministic names and specs. Graph edges are derived from the references in each
//! spec (plus the few ordering needs AWS imposes that no reference expresses), so the order
//! can never disagree with the data flow.

pub mod alerts;
pub mod app;
pub mod auth;
pub mod cdn;
pub mod data;
pub mod dns;
pub mod flow_logs;
pub mod network;
pub mod proxy;
pub mod storage;
pub mod waf;

use crate::config::Environment;
use crate::graph::{Graph, GraphError, LogicalId, Node};
use crate::resources::{Identity, Spec, Tags, TAG_ENV, TAG_ID, TAG_STACK};
use crate::state::release::Release;

/// The application's services, as named in ECS and in logical ids.
pub const SERVICES: [&str; 2] = ["api", "ui"];

/// One desired resource: who it is and what it should look like.
#[derive(Debug, Clone)]
pub struct Resource {
    pub identity: Identity,
    pub spec: Spec,
    /// The layer that declares it: `network`, `storage`, `data` or `application` (plans group
    /// by it).
    pub layer: &'static str,
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
    // The environment's own tags first, so macroctl's identity tags always win.
    let mut tags: Tags = env
        .tags
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    tags.insert("Name".to_string(), name.clone());
    tags.insert(TAG_STACK.to_string(), env.stack.clone());
    tags.insert(TAG_ENV.to_string(), env.name.clone());
    tags.insert(TAG_ID.to_string(), id.to_string());
    Identity {
        id: LogicalId::new(id),
        name,
        tags,
    }
}

/// An account id for callers that need only the graph's logical ids and edges, not names
/// (bucket names contain the account).
pub const ANY_ACCOUNT: &str = "000000000000";

/// What the stack needs to know about the account before it can be built, asked of AWS
/// once per run (`ops::facts`): names and ids no resource of the environment outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The account the credentials belong to (bucket names end in it).
    pub account: String,
    /// The id of the hosted zone `[dns] zone` names, when it refers to an existing zone
    /// (`None` without a domain, and when macroctl creates the zone: then records refer to
    /// the zone resource's output).
    pub zone_id: Option<String>,
    /// The region's managed prefix list of CloudFront's origin-facing addresses
    /// (`com.amazonaws.global.cloudfront.origin-facing`), when CloudFront is on: the only
    /// sources the load balancer admits.
    pub cloudfront_prefix_list: Option<String>,
}

impl Facts {
    /// Facts for callers that need only logical ids and edges (import, drift, secrets).
    pub fn any() -> Self {
        Self {
            account: ANY_ACCOUNT.to_string(),
            zone_id: Some("Z0000000000000000000".to_string()),
            cloudfront_prefix_list: Some("pl-00000000".to_string()),
        }
    }
}

/// The graph of everything `up` manages for `env`, given the account's `facts`; `current`
/// is the release deployed now.
pub fn desired(
    env: &Environment,
    facts: &Facts,
    current: Option<&Release>,
) -> Result<Graph<Resource>, GraphError> {
    let layered: Vec<(&'static str, Declared)> = (network::declare(env, facts).into_iter())
        .chain(proxy::network(env))
        .chain(flow_logs::declare(env))
        .map(|resource| ("network", resource))
        .chain(
            storage::declare(env, &facts.account)
                .into_iter()
                .map(|resource| ("storage", resource)),
        )
        .chain(
            (data::declare(env).into_iter())
                .chain(proxy::data(env))
                .map(|resource| ("data", resource)),
        )
        // Shown with the application in plans: the pool exists for the API.
        .chain((auth::declare(env).into_iter()).map(|resource| ("application", resource)))
        .chain(
            (app::declare(env, &facts.account, current).into_iter())
                .map(|resource| ("application", resource)),
        )
        .chain(
            (dns::declare(env, facts).into_iter())
                .chain(cdn::declare(env, facts))
                .chain(waf::declare(env))
                .map(|resource| ("edge", resource)),
        )
        .collect();
    let layers: std::collections::HashMap<String, &'static str> = layered
        .iter()
        .map(|(layer, resource)| (resource.id.clone(), *layer))
        .collect();
    let declared: Vec<Declared> = layered.into_iter().map(|(_, resource)| resource).collect();
    check_outputs(&declared)?;
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
                    layer: layers.get(&resource.id).copied().unwrap_or("application"),
                    spec: resource.spec,
                },
            }
        })
        .collect();
    Graph::build(nodes)
}

/// Every reference names an output its target's kind declares. (A reference to an id that
/// is not declared at all is left to `Graph::build`, which reports it as a dependency.)
fn check_outputs(declared: &[Declared]) -> Result<(), GraphError> {
    let by_id: std::collections::HashMap<&str, &Spec> = declared
        .iter()
        .map(|resource| (resource.id.as_str(), &resource.spec))
        .collect();
    for resource in declared {
        for reference in resource.spec.refs() {
            let Some(target) = by_id.get(reference.id.as_str()) else {
                continue;
            };
            if !target.declared_outputs().contains(&reference.output) {
                return Err(GraphError::UnknownOutput {
                    node: LogicalId::new(&resource.id),
                    target: reference.id.clone(),
                    output: reference.output.to_string(),
                    kind: target.kind(),
                    outputs: target.declared_outputs().to_vec(),
                });
            }
        }
    }
    Ok(())
}

/// The short AZ label used in logical ids: `a` for `us-east-1a`.
pub fn az_label(region: &str, availability_zone: &str) -> String {
    availability_zone
        .strip_prefix(region)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(availability_zone)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::log_group::LogGroupSpec;
    use crate::resources::vpc::VpcSpec;
    use crate::resources::{subnet::SubnetSpec, Ref};

    fn subnet_referring_to(output: &'static str) -> Declared {
        Declared::new(
            "subnet",
            Spec::Subnet(SubnetSpec {
                vpc: Ref::new("vpc", output),
                cidr: "10.0.0.0/24".into(),
                availability_zone: "us-east-1a".into(),
                map_public_ip_on_launch: false,
            }),
        )
    }

    #[test]
    fn a_reference_to_an_output_the_kind_does_not_declare_fails_before_any_call() {
        let vpc = Declared::new(
            "vpc",
            Spec::Vpc(VpcSpec {
                cidr: "10.0.0.0/16".into(),
            }),
        );
        let error = check_outputs(&[vpc, subnet_referring_to("vpcid")]).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("`subnet` refers to output `vpcid` of `vpc`"),
            "{text}"
        );
        assert!(
            text.contains("ec2:vpc resources have only vpc_id, cidr_block"),
            "{text}"
        );
        let vpc = Declared::new(
            "vpc",
            Spec::Vpc(VpcSpec {
                cidr: "10.0.0.0/16".into(),
            }),
        );
        assert!(check_outputs(&[vpc, subnet_referring_to("vpc_id")]).is_ok());
    }

    #[test]
    fn every_reference_of_every_environment_names_a_declared_output() {
        for name in ["dev", "staging", "prod"] {
            let env = crate::config::load(std::path::Path::new("envs"), name, None).unwrap();
            desired(&env, &Facts::any(), None).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // A log group is referred to by name; its kind declares it.
        let group = Spec::LogGroup(LogGroupSpec {
            name: "/ecs/x".into(),
            retention_days: 7,
        });
        assert!(group.declared_outputs().contains(&"name"));
    }
}
