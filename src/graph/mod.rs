//! The dependency graph of the resources `macroctl` provisions.
//!
//! AWS resources depend on each other (a subnet needs its VPC, a route needs its gateway), and
//! creating them one by one is slow. This module turns a flat list of nodes, each naming the
//! logical ids it depends on, into a validated, deterministically ordered DAG: it rejects
//! duplicate ids, dangling dependencies and cycles up front (reporting a concrete cycle path), so
//! the [`executor`] can then run independent resources concurrently without re-checking anything.

pub mod executor;

pub use executor::{execute, ExecOptions, NodeOutcome, RunSummary, SkipReason};

use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// A resource's logical id, e.g. `"vpc"`, `"subnet-public-a"`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct LogicalId(String);

impl LogicalId {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for LogicalId {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for LogicalId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// One unit of work: `payload` may run once every node named in `deps` has succeeded.
#[derive(Debug, Clone)]
pub struct Node<T> {
    pub id: LogicalId,
    pub deps: Vec<LogicalId>,
    pub payload: T,
}

/// Why a list of nodes is not a valid graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("duplicate logical id `{0}`")]
    DuplicateId(LogicalId),
    #[error("`{node}` depends on `{dependency}`, which is not defined")]
    UnknownDependency {
        node: LogicalId,
        dependency: LogicalId,
    },
    /// A resource refers to an output its target's kind does not have (a misspelt output
    /// name would otherwise be sent to AWS as a literal value).
    #[error(
        "`{node}` refers to output `{output}` of `{target}`, but {kind} resources have only {}",
        .outputs.join(", ")
    )]
    UnknownOutput {
        node: LogicalId,
        target: LogicalId,
        output: String,
        kind: &'static str,
        outputs: Vec<&'static str>,
    },
    /// `path` is closed: its first id is repeated at the end (`[a, b, c, a]`), each id depending
    /// on the next one.
    #[error("dependency cycle: {}", join_path(.path))]
    Cycle { path: Vec<LogicalId> },
}

fn join_path(path: &[LogicalId]) -> String {
    path.iter()
        .map(LogicalId::as_str)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// A validated DAG of nodes, stored in topological order.
#[derive(Debug)]
pub struct Graph<T> {
    /// The nodes, in topological order (dependencies before dependents).
    nodes: Vec<Node<T>>,
    /// `nodes[i].id`, kept separately so it can be handed out as a slice.
    order: Vec<LogicalId>,
    /// Logical id -> position in `nodes`.
    index: HashMap<LogicalId, usize>,
    /// Positions of each node's dependencies, de-duplicated.
    deps: Vec<Vec<usize>>,
    /// Positions of each node's dependents, ascending (i.e. in topological order).
    dependents: Vec<Vec<usize>>,
}

impl<T> Graph<T> {
    /// Validates: unique ids, every dependency exists, no cycle (report one concrete cycle path).
    ///
    /// Checks run in that order, and each reports the first offender in insertion order, so the
    /// same input always yields the same error.
    pub fn build(nodes: Vec<Node<T>>) -> Result<Self, GraphError> {
        // Insertion index of each id.
        let mut by_id: HashMap<LogicalId, usize> = HashMap::with_capacity(nodes.len());
        for (i, node) in nodes.iter().enumerate() {
            if by_id.insert(node.id.clone(), i).is_some() {
                return Err(GraphError::DuplicateId(node.id.clone()));
            }
        }

        // Dependencies as insertion indices, de-duplicated, declaration order kept.
        let mut deps_ins: Vec<Vec<usize>> = Vec::with_capacity(nodes.len());
        for node in &nodes {
            let mut ds: Vec<usize> = Vec::with_capacity(node.deps.len());
            for dep in &node.deps {
                let Some(&d) = by_id.get(dep) else {
                    return Err(GraphError::UnknownDependency {
                        node: node.id.clone(),
                        dependency: dep.clone(),
                    });
                };
                if !ds.contains(&d) {
                    ds.push(d);
                }
            }
            deps_ins.push(ds);
        }

        let n = nodes.len();
        let mut dependents_ins: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, ds) in deps_ins.iter().enumerate() {
            for &d in ds {
                dependents_ins[d].push(i);
            }
        }

        // Kahn's algorithm; among the available nodes the earliest inserted goes first.
        let mut pending: Vec<usize> = deps_ins.iter().map(Vec::len).collect();
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
        let mut order_ins: Vec<usize> = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            order_ins.push(i);
            for &j in &dependents_ins[i] {
                pending[j] -= 1;
                if pending[j] == 0 {
                    ready.insert(j);
                }
            }
        }
        if order_ins.len() < n {
            return Err(GraphError::Cycle {
                path: find_cycle(&nodes, &deps_ins, &pending),
            });
        }

        // Re-index everything by topological position.
        let mut pos_of = vec![0usize; n];
        for (pos, &i) in order_ins.iter().enumerate() {
            pos_of[i] = pos;
        }
        let mut slots: Vec<Option<Node<T>>> = nodes.into_iter().map(Some).collect();
        let mut sorted: Vec<Node<T>> = Vec::with_capacity(n);
        let mut deps: Vec<Vec<usize>> = Vec::with_capacity(n);
        for &i in &order_ins {
            // Kahn's algorithm emits every insertion index exactly once, so each slot is still
            // `Some` here; `extend` from the `Option` avoids an unreachable panic path.
            sorted.extend(slots[i].take());
            deps.push(deps_ins[i].iter().map(|&d| pos_of[d]).collect());
        }
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (pos, ds) in deps.iter().enumerate() {
            for &d in ds {
                // `pos` ascends, so every list ends up ascending.
                dependents[d].push(pos);
            }
        }
        let order: Vec<LogicalId> = sorted.iter().map(|node| node.id.clone()).collect();
        let index = order
            .iter()
            .enumerate()
            .map(|(pos, id)| (id.clone(), pos))
            .collect();

        Ok(Self {
            nodes: sorted,
            order,
            index,
            deps,
            dependents,
        })
    }

    /// Deterministic topological order (ties broken by insertion order: whenever several nodes
    /// are available, the one inserted first comes first).
    pub fn topological_order(&self) -> &[LogicalId] {
        &self.order
    }

    pub fn node(&self, id: &LogicalId) -> Option<&Node<T>> {
        self.index.get(id).map(|&pos| &self.nodes[pos])
    }

    /// All nodes, in topological order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node<T>> {
        self.nodes.iter()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Length (number of nodes) of the longest dependency chain; 0 for an empty graph.
    pub fn critical_path_len(&self) -> usize {
        let mut longest: Vec<usize> = Vec::with_capacity(self.nodes.len());
        for ds in &self.deps {
            // Dependencies precede their dependents, so their values are already computed.
            let below = ds.iter().map(|&d| longest[d]).max().unwrap_or(0);
            longest.push(below + 1);
        }
        longest.into_iter().max().unwrap_or(0)
    }

    /// Positions (in topological order) of the dependencies of the node at `pos`.
    pub(crate) fn deps_of(&self, pos: usize) -> &[usize] {
        &self.deps[pos]
    }

    /// Positions (ascending) of the nodes depending on the node at `pos`.
    pub(crate) fn dependents_of(&self, pos: usize) -> &[usize] {
        &self.dependents[pos]
    }
}

/// Finds one cycle among the nodes Kahn's algorithm could not order (`pending[i] > 0`).
///
/// Each such node has at least one dependency that is itself unordered, so walking from the
/// earliest inserted one along its first unordered dependency must revisit a node; the walk
/// from that node's first visit is the cycle.
fn find_cycle<T>(nodes: &[Node<T>], deps: &[Vec<usize>], pending: &[usize]) -> Vec<LogicalId> {
    let stuck = |i: usize| pending[i] > 0;
    let mut seen_at: HashMap<usize, usize> = HashMap::new();
    let mut walk: Vec<usize> = Vec::new();
    let mut cur = (0..nodes.len()).find(|&i| stuck(i));
    while let Some(i) = cur {
        if let Some(&start) = seen_at.get(&i) {
            let mut path: Vec<LogicalId> =
                walk[start..].iter().map(|&j| nodes[j].id.clone()).collect();
            path.push(nodes[i].id.clone());
            return path;
        }
        seen_at.insert(i, walk.len());
        walk.push(i);
        cur = deps[i].iter().copied().find(|&d| stuck(d));
    }
    // Unreachable when called as documented; fall back to the walk itself rather than panic.
    walk.into_iter().map(|j| nodes[j].id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, deps: &[&str]) -> Node<()> {
        Node {
            id: id.into(),
            deps: deps.iter().map(|&d| d.into()).collect(),
            payload: (),
        }
    }

    fn ids(order: &[LogicalId]) -> Vec<&str> {
        order.iter().map(LogicalId::as_str).collect()
    }

    #[test]
    fn logical_id_basics() {
        let id = LogicalId::new("subnet-public-a");
        assert_eq!(id.as_str(), "subnet-public-a");
        assert_eq!(id.to_string(), "subnet-public-a");
        assert_eq!(LogicalId::from("vpc"), LogicalId::from(String::from("vpc")));
    }

    #[test]
    fn duplicate_id_is_rejected() {
        let err = Graph::build(vec![node("a", &[]), node("b", &[]), node("a", &[])]).unwrap_err();
        assert!(matches!(&err, GraphError::DuplicateId(id) if id.as_str() == "a"));
        assert_eq!(err.to_string(), "duplicate logical id `a`");
    }

    #[test]
    fn unknown_dependency_is_rejected() {
        let err = Graph::build(vec![node("a", &[]), node("b", &["a", "nope"])]).unwrap_err();
        match &err {
            GraphError::UnknownDependency { node, dependency } => {
                assert_eq!(node.as_str(), "b");
                assert_eq!(dependency.as_str(), "nope");
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn three_node_cycle_is_reported_with_its_path() {
        let err = Graph::build(vec![
            node("ok", &[]),
            node("a", &["ok", "b"]),
            node("b", &["c"]),
            node("c", &["a"]),
        ])
        .unwrap_err();
        match &err {
            GraphError::Cycle { path } => assert_eq!(ids(path), ["a", "b", "c", "a"]),
            other => panic!("unexpected error {other:?}"),
        }
        assert_eq!(err.to_string(), "dependency cycle: a -> b -> c -> a");
    }

    #[test]
    fn cycle_behind_a_dependent_reports_only_the_cycle() {
        // `x` is stuck because it depends on the cycle, but is not part of it.
        let err = Graph::build(vec![
            node("x", &["a"]),
            node("a", &["b"]),
            node("b", &["a"]),
        ])
        .unwrap_err();
        match &err {
            GraphError::Cycle { path } => assert_eq!(ids(path), ["a", "b", "a"]),
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let err = Graph::build(vec![node("a", &["a"])]).unwrap_err();
        assert_eq!(err.to_string(), "dependency cycle: a -> a");
    }

    #[test]
    fn topological_order_is_deterministic_and_respects_deps() {
        let build = || {
            Graph::build(vec![
                node("route", &["igw", "vpc"]),
                node("vpc", &[]),
                node("sg", &["vpc"]),
                node("igw", &["vpc"]),
                node("key", &[]),
            ])
            .unwrap()
        };
        let g = build();
        // Among available nodes the earliest inserted goes first.
        assert_eq!(
            ids(g.topological_order()),
            ["vpc", "sg", "igw", "route", "key"]
        );
        for _ in 0..20 {
            assert_eq!(build().topological_order(), g.topological_order());
        }
        let pos = |id: &LogicalId| g.topological_order().iter().position(|x| x == id);
        for n in g.nodes() {
            for d in &n.deps {
                assert!(pos(d) < pos(&n.id), "{d} must precede {}", n.id);
            }
        }
        let via_nodes: Vec<&LogicalId> = g.nodes().map(|n| &n.id).collect();
        assert_eq!(via_nodes, g.topological_order().iter().collect::<Vec<_>>());
    }

    #[test]
    fn independent_nodes_keep_insertion_order() {
        let g = Graph::build(vec![node("c", &[]), node("a", &[]), node("b", &[])]).unwrap();
        assert_eq!(ids(g.topological_order()), ["c", "a", "b"]);
    }

    #[test]
    fn lookup_and_len() {
        let g = Graph::build(vec![node("a", &[]), node("b", &["a", "a"])]).unwrap();
        assert_eq!(g.len(), 2);
        assert!(!g.is_empty());
        let b = g.node(&"b".into()).unwrap();
        assert_eq!(b.deps.len(), 2, "node keeps its deps as given");
        assert!(g.node(&"zz".into()).is_none());
        // Duplicate dependency edges are collapsed internally.
        assert_eq!(g.deps_of(1), &[0]);
        assert_eq!(g.dependents_of(0), &[1]);

        let empty = Graph::<()>::build(Vec::new()).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.critical_path_len(), 0);
    }

    #[test]
    fn critical_path_len_counts_nodes_of_longest_chain() {
        let single = Graph::build(vec![node("a", &[])]).unwrap();
        assert_eq!(single.critical_path_len(), 1);

        let flat = Graph::build(vec![node("a", &[]), node("b", &[]), node("c", &[])]).unwrap();
        assert_eq!(flat.critical_path_len(), 1);

        // Diamond a -> {b, c} -> d (3 deep) next to an independent chain e -> f -> g -> h.
        let g = Graph::build(vec![
            node("a", &[]),
            node("b", &["a"]),
            node("c", &["a"]),
            node("d", &["b", "c"]),
            node("e", &[]),
            node("f", &["e"]),
            node("g", &["f"]),
            node("h", &["g"]),
        ])
        .unwrap();
        assert_eq!(g.critical_path_len(), 4);

        let diamond = Graph::build(vec![
            node("a", &[]),
            node("b", &["a"]),
            node("c", &["a"]),
            node("d", &["b", "c"]),
        ])
        .unwrap();
        assert_eq!(diamond.critical_path_len(), 3);
    }
}
