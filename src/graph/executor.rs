//! Runs a [`Graph`] with bounded concurrency, in dependency order.
//!
//! Provisioning is dominated by waiting on AWS, so independent resources should be created at
//! the same time, while a resource must never start before everything it depends on exists.
//! This executor starts every node as soon as its dependencies have succeeded (at most
//! `parallelism` at once, in topological order so runs are reproducible), stops starting work on
//! the first failure or when asked to stop, always lets in-flight work finish, and reports what
//! happened to every node. It drives all node futures inside the calling task (no `spawn`), so
//! they may borrow from the caller and need not be `Send`.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;

use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;

use super::{Graph, LogicalId, Node};

/// How to run a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecOptions {
    /// Maximum number of nodes running at the same time; 0 is treated as 1.
    pub parallelism: usize,
}

impl ExecOptions {
    /// The concurrency limit actually applied (`parallelism`, at least 1).
    pub fn effective_parallelism(&self) -> usize {
        self.parallelism.max(1)
    }
}

/// What happened to one node.
#[derive(Debug)]
pub enum NodeOutcome<E> {
    Succeeded,
    Failed(E),
    Skipped(SkipReason),
}

/// Why a node never started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Some node failed before this one could start.
    EarlierFailure,
    /// The run was stopped (Ctrl-C) before this one could start.
    Cancelled,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EarlierFailure => "skipped after an earlier failure",
            Self::Cancelled => "skipped because the run was cancelled",
        })
    }
}

/// The result of [`execute`].
#[derive(Debug)]
pub struct RunSummary<E> {
    /// Every node of the graph, in topological order, with its outcome.
    pub outcomes: Vec<(LogicalId, NodeOutcome<E>)>,
    /// `stop` resolved before the run ended. Nodes not yet started are then
    /// `Skipped(Cancelled)`, unless a failure had already halted the run (then they stay
    /// `Skipped(EarlierFailure)`: the reason is always the first cause).
    pub cancelled: bool,
}

impl<E> RunSummary<E> {
    pub fn succeeded(&self) -> Vec<&LogicalId> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, NodeOutcome::Succeeded))
            .map(|(id, _)| id)
            .collect()
    }

    pub fn failed(&self) -> Vec<(&LogicalId, &E)> {
        self.outcomes
            .iter()
            .filter_map(|(id, o)| match o {
                NodeOutcome::Failed(e) => Some((id, e)),
                _ => None,
            })
            .collect()
    }

    pub fn skipped(&self) -> Vec<&LogicalId> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, NodeOutcome::Skipped(_)))
            .map(|(id, _)| id)
            .collect()
    }

    /// No node failed and the run was not cancelled (so every node succeeded).
    pub fn is_success(&self) -> bool {
        !self.cancelled
            && !self
                .outcomes
                .iter()
                .any(|(_, o)| matches!(o, NodeOutcome::Failed(_)))
    }

    /// The outcome of one node, if it is part of the graph.
    pub fn outcome(&self, id: &LogicalId) -> Option<&NodeOutcome<E>> {
        self.outcomes.iter().find(|(i, _)| i == id).map(|(_, o)| o)
    }
}

/// Runs `run(node)` for every node once all its dependencies have succeeded. Ready nodes run
/// concurrently, at most `opts.parallelism` at a time, started in topological order. On the
/// first failure nothing new starts; nodes already running are awaited to completion and
/// recorded; all not-started nodes are `Skipped(EarlierFailure)`. When `stop` resolves (Ctrl-C),
/// the same path: nothing new starts, running nodes finish and are recorded, the rest are
/// `Skipped(Cancelled)`, `cancelled = true`. `stop` is never polled again once it has resolved,
/// nor at all for an empty graph.
///
/// The futures run inside the calling task; they may borrow from the caller and from the node
/// itself (`'g`), and need not be `Send`.
pub async fn execute<'g, T, E, F, Fut, S>(
    graph: &'g Graph<T>,
    opts: &ExecOptions,
    stop: S,
    run: F,
) -> RunSummary<E>
where
    F: Fn(&'g Node<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    S: Future<Output = ()>,
{
    let n = graph.len();
    let parallelism = opts.effective_parallelism();
    // Positions below are indices into the topological order.
    let mut unmet: Vec<usize> = (0..n).map(|pos| graph.deps_of(pos).len()).collect();
    let mut ready: BTreeSet<usize> = (0..n).filter(|&pos| unmet[pos] == 0).collect();
    let mut results: Vec<Option<NodeOutcome<E>>> = (0..n).map(|_| None).collect();
    let mut running = FuturesUnordered::new();
    // Set once nothing new may start; the first cause wins.
    let mut halt: Option<SkipReason> = None;
    // Set once `stop` has resolved; from then on it is never polled again.
    let mut cancelled = false;
    let mut stop = std::pin::pin!(stop);

    loop {
        if halt.is_none() && !ready.is_empty() {
            // Honour a stop that is already due before starting anything new.
            if !cancelled && stop.as_mut().now_or_never().is_some() {
                cancelled = true;
                halt = Some(SkipReason::Cancelled);
            } else {
                while running.len() < parallelism {
                    let Some(pos) = ready.pop_first() else { break };
                    let fut = run(&graph.nodes[pos]);
                    running.push(fut.map(move |result| (pos, result)));
                }
            }
        }
        if running.is_empty() {
            break;
        }

        let event = if cancelled {
            Event::Finished(running.next().await)
        } else {
            tokio::select! {
                biased;
                () = stop.as_mut() => Event::Stop,
                finished = running.next() => Event::Finished(finished),
            }
        };
        match event {
            Event::Stop => {
                cancelled = true;
                halt.get_or_insert(SkipReason::Cancelled);
            }
            // `running` was checked non-empty above, so `next()` yields `Some`; `None` would
            // only mean there is nothing left to wait for.
            Event::Finished(None) => break,
            Event::Finished(Some((pos, Ok(())))) => {
                results[pos] = Some(NodeOutcome::Succeeded);
                for &dependent in graph.dependents_of(pos) {
                    unmet[dependent] -= 1;
                    if unmet[dependent] == 0 {
                        ready.insert(dependent);
                    }
                }
            }
            Event::Finished(Some((pos, Err(e)))) => {
                results[pos] = Some(NodeOutcome::Failed(e));
                halt.get_or_insert(SkipReason::EarlierFailure);
            }
        }
    }

    // Without a halt every node of a DAG eventually runs, so the fallback reason is never used.
    let reason = halt.unwrap_or(SkipReason::EarlierFailure);
    let outcomes = graph
        .topological_order()
        .iter()
        .cloned()
        .zip(results)
        .map(|(id, r)| (id, r.unwrap_or(NodeOutcome::Skipped(reason))))
        .collect();
    RunSummary {
        outcomes,
        cancelled,
    }
}

/// What woke the executor loop.
enum Event<R> {
    Stop,
    Finished(Option<R>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::time::{sleep, Instant};

    #[derive(Debug, Clone, Copy)]
    struct Job {
        ms: u64,
        fail: bool,
    }

    fn job(id: &str, deps: &[&str], ms: u64) -> Node<Job> {
        Node {
            id: id.into(),
            deps: deps.iter().map(|&d| d.into()).collect(),
            payload: Job { ms, fail: false },
        }
    }

    fn failing(id: &str, deps: &[&str], ms: u64) -> Node<Job> {
        Node {
            payload: Job { ms, fail: true },
            ..job(id, deps, ms)
        }
    }

    #[derive(Debug, Clone)]
    struct Span {
        id: String,
        start: Duration,
        end: Duration,
    }

    /// Fake node runner recording start order, spans and the peak concurrency.
    struct Recorder {
        t0: Instant,
        starts: RefCell<Vec<String>>,
        spans: RefCell<Vec<Span>>,
        now_running: Cell<usize>,
        max_running: Cell<usize>,
    }

    impl Recorder {
        fn new() -> Self {
            Self {
                t0: Instant::now(),
                starts: RefCell::default(),
                spans: RefCell::default(),
                now_running: Cell::new(0),
                max_running: Cell::new(0),
            }
        }

        /// A non-`Send`, non-`'static` future borrowing both the recorder and the node.
        async fn run(&self, node: &Node<Job>) -> Result<(), String> {
            let start = self.t0.elapsed();
            self.starts.borrow_mut().push(node.id.to_string());
            self.now_running.set(self.now_running.get() + 1);
            self.max_running
                .set(self.max_running.get().max(self.now_running.get()));
            sleep(Duration::from_millis(node.payload.ms)).await;
            self.now_running.set(self.now_running.get() - 1);
            self.spans.borrow_mut().push(Span {
                id: node.id.to_string(),
                start,
                end: self.t0.elapsed(),
            });
            if node.payload.fail {
                Err(format!("{} failed", node.id))
            } else {
                Ok(())
            }
        }

        fn span(&self, id: &str) -> Span {
            let spans = self.spans.borrow();
            spans.iter().find(|s| s.id == id).cloned().unwrap()
        }

        fn started(&self, id: &str) -> bool {
            self.starts.borrow().iter().any(|s| s == id)
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn opts(parallelism: usize) -> ExecOptions {
        ExecOptions { parallelism }
    }

    fn never() -> std::future::Pending<()> {
        std::future::pending()
    }

    fn skip_reason<E>(summary: &RunSummary<E>, id: &str) -> Option<SkipReason> {
        match summary.outcome(&id.into()) {
            Some(NodeOutcome::Skipped(r)) => Some(*r),
            _ => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_node_starts_before_its_deps_ended() {
        let g = Graph::build(vec![
            job("vpc", &[], 30),
            job("igw", &["vpc"], 5),
            job("subnet-a", &["vpc"], 20),
            job("subnet-b", &["vpc"], 10),
            job("route", &["igw", "subnet-a", "subnet-b"], 10),
            job("key", &[], 50),
            job("instance", &["key", "route"], 10),
        ])
        .unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(8), never(), |n| rec.run(n)).await;

        assert!(summary.is_success());
        assert_eq!(summary.succeeded().len(), g.len());
        let ids: Vec<&LogicalId> = summary.outcomes.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, g.topological_order().iter().collect::<Vec<_>>());
        for node in g.nodes() {
            let span = rec.span(node.id.as_str());
            for dep in &node.deps {
                let dep_span = rec.span(dep.as_str());
                assert!(
                    span.start >= dep_span.end,
                    "{} started at {:?} before {dep} ended at {:?}",
                    node.id,
                    span.start,
                    dep_span.end
                );
            }
        }
        // Critical path vpc(30) -> subnet-a(20) -> route(10) -> instance(10).
        assert_eq!(rec.t0.elapsed(), ms(70));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded_by_parallelism() {
        let nodes = (0..10).map(|i| job(&format!("n{i}"), &[], 10)).collect();
        let g = Graph::build(nodes).unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(3), never(), |n| rec.run(n)).await;

        assert!(summary.is_success());
        assert_eq!(rec.max_running.get(), 3);
        // ceil(10 / 3) waves of 10ms.
        assert_eq!(rec.t0.elapsed(), ms(40));
    }

    #[tokio::test(start_paused = true)]
    async fn parallelism_zero_runs_serially() {
        let g = Graph::build(vec![
            job("a", &[], 10),
            job("b", &[], 10),
            job("c", &[], 10),
        ])
        .unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(0), never(), |n| rec.run(n)).await;

        assert!(summary.is_success());
        assert_eq!(rec.max_running.get(), 1);
        assert_eq!(rec.t0.elapsed(), ms(30));
    }

    #[tokio::test(start_paused = true)]
    async fn independent_chains_overlap() {
        let g = Graph::build(vec![
            job("a1", &[], 10),
            job("a2", &["a1"], 10),
            job("a3", &["a2"], 10),
            job("b1", &[], 10),
            job("b2", &["b1"], 10),
        ])
        .unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(4), never(), |n| rec.run(n)).await;

        assert!(summary.is_success());
        assert_eq!(rec.span("b1").start, ms(0));
        // b2 runs alongside a2, not after chain a.
        assert_eq!(rec.span("b2").start, ms(10));
        assert_eq!(rec.span("a2").start, ms(10));
        assert_eq!(rec.t0.elapsed(), ms(10) * g.critical_path_len() as u32);
    }

    #[tokio::test(start_paused = true)]
    async fn ready_nodes_start_in_topological_order() {
        let g = Graph::build(vec![
            job("d", &["a"], 10),
            job("c", &[], 10),
            job("a", &[], 10),
            job("b", &["c"], 10),
        ])
        .unwrap();
        for _ in 0..3 {
            let rec = Recorder::new();
            execute(&g, &opts(1), never(), |n| rec.run(n)).await;
            let expected: Vec<String> = g
                .topological_order()
                .iter()
                .map(|id| id.to_string())
                .collect();
            assert_eq!(*rec.starts.borrow(), expected);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn first_failure_stops_new_starts_and_drains_running() {
        let g = Graph::build(vec![
            failing("bad", &[], 10),
            job("slow", &[], 30),
            job("queued", &[], 10),
            job("after-bad", &["bad"], 10),
            job("after-slow", &["slow"], 10),
        ])
        .unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(2), never(), |n| rec.run(n)).await;

        assert!(!summary.is_success());
        assert!(!summary.cancelled);
        // The running sibling was awaited and recorded.
        assert!(matches!(
            summary.outcome(&"slow".into()),
            Some(NodeOutcome::Succeeded)
        ));
        assert_eq!(rec.span("slow").end, ms(30));
        assert_eq!(rec.t0.elapsed(), ms(30));
        let failed = summary.failed();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0.as_str(), "bad");
        assert_eq!(failed[0].1, "bad failed");
        for id in ["queued", "after-bad", "after-slow"] {
            assert!(!rec.started(id), "{id} must not start");
            assert_eq!(
                skip_reason(&summary, id),
                Some(SkipReason::EarlierFailure),
                "{id}"
            );
        }
        assert_eq!(summary.skipped().len(), 3);
        assert_eq!(summary.succeeded().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn stop_lets_running_finish_and_cancels_the_rest() {
        let g = Graph::build(vec![
            job("a", &[], 20),
            job("b", &[], 20),
            job("c", &["a"], 10),
            job("d", &[], 10),
        ])
        .unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(2), sleep(ms(15)), |n| rec.run(n)).await;

        assert!(summary.cancelled);
        assert!(!summary.is_success());
        assert_eq!(summary.succeeded().len(), 2);
        assert_eq!(rec.span("a").end, ms(20));
        assert_eq!(rec.span("b").end, ms(20));
        assert_eq!(rec.t0.elapsed(), ms(20));
        for id in ["c", "d"] {
            assert!(!rec.started(id), "{id} must not start");
            assert_eq!(skip_reason(&summary, id), Some(SkipReason::Cancelled));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stop_already_due_starts_nothing() {
        let g = Graph::build(vec![job("a", &[], 10), job("b", &["a"], 10)]).unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(4), std::future::ready(()), |n| rec.run(n)).await;

        assert!(summary.cancelled);
        assert!(rec.starts.borrow().is_empty());
        assert_eq!(summary.skipped().len(), 2);
        assert_eq!(skip_reason(&summary, "a"), Some(SkipReason::Cancelled));
    }

    #[tokio::test(start_paused = true)]
    async fn stop_during_failure_drain_keeps_failure_as_reason() {
        let g = Graph::build(vec![
            failing("bad", &[], 5),
            job("slow", &[], 30),
            job("rest", &[], 10),
        ])
        .unwrap();
        let rec = Recorder::new();
        let summary = execute(&g, &opts(2), sleep(ms(10)), |n| rec.run(n)).await;

        assert!(summary.cancelled);
        assert_eq!(
            skip_reason(&summary, "rest"),
            Some(SkipReason::EarlierFailure)
        );
        assert!(matches!(
            summary.outcome(&"slow".into()),
            Some(NodeOutcome::Succeeded)
        ));
    }

    /// A stop future that panics if polled after it completed, or at all when `armed` is false.
    struct StrictStop {
        sleep: Pin<Box<tokio::time::Sleep>>,
        done: bool,
        armed: bool,
    }

    impl Future for StrictStop {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            assert!(self.armed, "stop polled although the graph is empty");
            assert!(!self.done, "stop polled again after it fired");
            let ready = self.sleep.as_mut().poll(cx).is_ready();
            if ready {
                self.done = true;
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stop_is_not_polled_after_it_fired() {
        let g = Graph::build(vec![
            job("a", &[], 10),
            job("b", &[], 30),
            job("c", &["a"], 10),
        ])
        .unwrap();
        let stop = StrictStop {
            sleep: Box::pin(sleep(ms(5))),
            done: false,
            armed: true,
        };
        let rec = Recorder::new();
        let summary = execute(&g, &opts(2), stop, |n| rec.run(n)).await;

        assert!(summary.cancelled);
        assert_eq!(summary.succeeded().len(), 2);
        assert_eq!(skip_reason(&summary, "c"), Some(SkipReason::Cancelled));
    }

    #[tokio::test(start_paused = true)]
    async fn empty_graph_succeeds_without_polling_stop() {
        let g = Graph::<Job>::build(Vec::new()).unwrap();
        let stop = StrictStop {
            sleep: Box::pin(sleep(ms(5))),
            done: false,
            armed: false,
        };
        let summary: RunSummary<String> = execute(&g, &opts(2), stop, |_| async { Ok(()) }).await;
        assert!(summary.is_success());
        assert!(summary.outcomes.is_empty());
    }

    #[test]
    fn skip_reason_serializes_kebab_case() {
        let json = serde_json::to_string(&[SkipReason::EarlierFailure, SkipReason::Cancelled]);
        assert_eq!(json.unwrap(), r#"["earlier-failure","cancelled"]"#);
    }
}
