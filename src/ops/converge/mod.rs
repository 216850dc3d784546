//! The convergence layer: what the engine does for every resource, whatever its kind.
//!
//! Real AWS is not the emulator: it loses responses after performing the call, answers
//! `...NotFound` for an id it has just returned, refuses an IAM role for seconds after
//! creating it, throttles, fails with 5xx, and takes minutes per resource. This module handles
//! all of that once, for every kind, so a kind stays a plain mapping between its spec and the
//! API (see `resources::Kind`):
//!
//! * **Finding** ([`observe`]): the physical id recorded in state first, else the kind's
//!   identity (tags, a unique name, or parent and key). A resource recorded moments ago that
//!   does not show up is looked for again (eventual consistency) instead of taken as deleted.
//! * **Ownership**: a resource found whose tags name another stack or environment — or, found
//!   by name rather than by id, that carries no macroctl tags at all — is refused, never
//!   adopted. (Kinds that carry no tags, like route table associations, belong to a parent
//!   whose tags were checked.)
//! * **Creating** ([`create`]): the intent (token, time) is saved *before* the call; the call
//!   is made once, without the SDK's blind retries; throttling is retried with backoff; an
//!   unknown outcome (lost response, 5xx) and "already exists" are answered by looking for
//!   what the call may have made before trying again; NotFound on something created moments
//!   ago and IAM roles not propagated yet are waited out for a bounded time. The new id is
//!   recorded at once and the resource read back until AWS shows it.
//! * **Updating** ([`update`]): the same retries; after an unknown outcome or a "duplicate"
//!   answer the resource is read again and only what is still different is asked for.
//! * **Settling** ([`settle`]): polling until the resource is ready, at an interval that
//!   grows with the time already waited, stopped at once by the run's [`Cancel`].
//! * **Tags**: editing `[environment.tags]` changes the tags of every existing resource.

pub mod adopt;
mod delete;
mod find;

pub use delete::Removed;

use super::retry::{poll_interval, Backoff, Cancel, Cancelled};
use super::Session;
use crate::aws::{AwsClients, AwsError, ErrorClass};
use crate::graph::{LogicalId, Node};
use crate::output::{format_elapsed, Event};
use crate::resources::tags;
use crate::resources::{
    CreateSafety, Ctx, FieldChange, Live, Lookup, Readiness, Resolver, TagChanges,
};
use crate::stack::Resource;
use crate::state::{age_of, now_rfc3339_millis, Intent};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Why one resource failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeFailure {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("could not record it in state: {0}")]
    State(#[from] crate::state::StateError),
    #[error("{0}")]
    Refused(String),
    /// The run was stopped (Ctrl-C, SIGTERM, or a failure elsewhere) while this resource was
    /// waiting; what it waited for is kept, and the next `up` resumes.
    #[error("stopped while {0}; run the same command again to resume")]
    Interrupted(String),
}

impl NodeFailure {
    pub(super) fn interrupted(what: impl Into<String>) -> impl FnOnce(Cancelled) -> NodeFailure {
        let what = what.into();
        move |_| NodeFailure::Interrupted(what)
    }
}

/// One run's engine: the session, the signal that stops its waits, and what it has changed.
pub struct Converger<'a> {
    pub session: &'a Session<'a>,
    pub cancel: &'a Cancel,
    /// Single-attempt clients for mutating calls (the engine owns their retries).
    once: AwsClients,
    /// Resources created or changed by this run, and when.
    fresh: RefCell<HashMap<LogicalId, Instant>>,
}

/// What reading one resource found.
#[derive(Debug, Clone)]
pub struct Observed {
    pub live: Option<Live>,
    /// Something worth saying, e.g. that the id recorded in state no longer exists.
    pub note: Option<String>,
}

impl<'a> Converger<'a> {
    pub fn new(session: &'a Session<'a>, cancel: &'a Cancel) -> Self {
        Self {
            session,
            cancel,
            once: session.aws.single_attempt(),
            fresh: RefCell::new(HashMap::new()),
        }
    }

    fn consistency(&self) -> Duration {
        self.session.settings.consistency_timeout
    }

    /// For reads that may answer from this run's listings.
    fn cached(&self) -> Ctx<'_> {
        self.session.ctx()
    }

    /// For reads that must see AWS as it is now.
    fn direct(&self) -> Ctx<'_> {
        Ctx {
            cached: false,
            ..self.session.ctx()
        }
    }

    /// For mutating calls: one attempt each.
    fn mutating(&self) -> Ctx<'_> {
        Ctx {
            aws: &self.once,
            cached: false,
            ..self.session.ctx()
        }
    }

    fn mark_fresh(&self, id: &LogicalId) {
        self.fresh.borrow_mut().insert(id.clone(), Instant::now());
    }

    /// Whether the resource, or one it refers to, was created or changed by this run within
    /// the consistency timeout: then a NotFound may be AWS not showing it yet.
    fn touches_fresh(&self, node: &Node<Resource>) -> bool {
        let fresh = self.fresh.borrow();
        let recent = |id: &LogicalId| {
            fresh
                .get(id)
                .is_some_and(|at| at.elapsed() < self.consistency())
        };
        recent(&node.id) || node.deps.iter().any(recent)
    }

    /// The grants this resource refers to that this run created or changed moments ago, in
    /// words: IAM roles (`IAM role iam-task-role-api`), and S3 buckets, whose policy a service
    /// checks (CloudTrail, ELB access logs: `the policy of bucket bucket-logs`).
    fn fresh_grants(&self, node: &Node<Resource>) -> Vec<String> {
        let fresh = self.fresh.borrow();
        node.deps
            .iter()
            .filter(|id| {
                fresh
                    .get(*id)
                    .is_some_and(|at| at.elapsed() < self.consistency())
            })
            .filter_map(|id| {
                let dep = self.session.graph.node(id)?;
                match dep.payload.spec.kind() {
                    "iam:role" => Some(format!("IAM role {id}")),
                    "s3:bucket" => Some(format!("the policy of bucket {id}")),
                    _ => None,
                }
            })
            .collect()
    }

    fn waiting(&self, node: &Node<Resource>, message: String) {
        self.session.reporter.report(Event::NodeWaiting {
            id: node.id.to_string(),
            kind: node.payload.spec.kind().to_string(),
            message,
        });
    }

    /// Creates the resource: intent first, one call at a time, retried the safe way, then
    /// read back. Returns what AWS shows.
    pub async fn create(
        &self,
        node: &Node<Resource>,
        resolver: &Resolver,
        recorder: &super::StateRecorder<'_>,
    ) -> Result<Live, NodeFailure> {
        let resource = &node.payload;
        let spec = &resource.spec;
        let id = node.id.as_str();
        let safety = spec.create_safety();
        let (intent, resumed) = match recorder.intent(id) {
            Some(intent) => (intent, true),
            None => {
                let started_at = now_rfc3339_millis();
                let intent = Intent {
                    kind: spec.kind().to_string(),
                    token: client_token(
                        &self.session.env.stack,
                        &self.session.env.name,
                        id,
                        &recorder.lineage(),
                        &started_at,
                    ),
                    started_at,
                };
                recorder.begin(id, &intent)?;
                (intent, false)
            }
        };
        if resumed {
            // A run stopped while this create was in flight: it may have been performed.
            let within = match safety {
                CreateSafety::LookFirst => self
                    .consistency()
                    .saturating_sub(age_of(&intent.started_at).unwrap_or_default()),
                CreateSafety::Idempotent => Duration::ZERO,
            };
            if let Some(live) = self
                .look_again(node, resolver, Lookup::Identity, within)
                .await?
            {
                return self.adopt(node, live, recorder);
            }
        }
        let mut retries = Retries::new();
        let mut unknown_outcomes = 0;
        loop {
            let attempt = spec
                .create(
                    &self.mutating(),
                    &resource.identity,
                    resolver,
                    &intent.token,
                )
                .await;
            let err = match attempt {
                Ok(physical_id) => {
                    recorder.created(id, spec.kind(), &physical_id)?;
                    self.mark_fresh(&node.id);
                    return self.read_back(node, resolver, &physical_id).await;
                }
                Err(err) => err,
            };
            if self.wait_out(node, &err, &mut retries).await? {
                // AWS answered: a run of lost answers has ended.
                unknown_outcomes = 0;
                continue;
            }
            match err.class() {
                ErrorClass::AlreadyExists => {
                    // Usually our own earlier attempt whose answer was lost; AWS may need a
                    // moment to show it.
                    match self
                        .look_again(node, resolver, Lookup::Identity, self.consistency())
                        .await?
                    {
                        Some(live) => return self.adopt(node, live, recorder),
                        None => return Err(err.into()),
                    }
                }
                // Five lost answers in a row: AWS is not answering this call, say so.
                ErrorClass::Unknown if unknown_outcomes < 5 => {
                    unknown_outcomes += 1;
                    let within = match safety {
                        CreateSafety::LookFirst => self.consistency(),
                        CreateSafety::Idempotent => Duration::ZERO,
                    };
                    self.waiting(
                        node,
                        format!("{err}: the outcome is unknown, looking before trying again"),
                    );
                    if let Some(live) = self
                        .look_again(node, resolver, Lookup::Identity, within)
                        .await?
                    {
                        return self.adopt(node, live, recorder);
                    }
                }
                _ => return Err(err.into()),
            }
        }
    }

    /// Waits before repeating a call AWS refused for now — throttled; NotFound for something
    /// this run created or changed moments ago (eventual consistency); an IAM role this run
    /// created or changed that a service does not accept yet — and says so. `Ok(false)` when
    /// `err` is none of these (or they have been waited out long enough): a real error, or one
    /// the caller handles.
    async fn wait_out(
        &self,
        node: &Node<Resource>,
        err: &AwsError,
        retries: &mut Retries,
    ) -> Result<bool, NodeFailure> {
        let within_window = retries.started.elapsed() < self.consistency();
        let (delay, why) = match err.class() {
            ErrorClass::Throttled if retries.throttled.attempts() < 10 => {
                (retries.throttled.next_delay(), "throttled".to_string())
            }
            ErrorClass::NotFound if within_window && self.touches_fresh(node) => (
                retries.waiting.next_delay(),
                "AWS does not show a resource created or changed moments ago yet".to_string(),
            ),
            ErrorClass::PropagationPending if within_window => {
                let grants = self.fresh_grants(node);
                if grants.is_empty() {
                    return Ok(false);
                }
                (
                    retries.waiting.next_delay(),
                    format!("waiting for {} to propagate", grants.join(", ")),
                )
            }
            _ => return Ok(false),
        };
        self.retry_after(node, err, delay, &why).await?;
        Ok(true)
    }

    /// Reports why a call is repeated and waits before it (stoppably).
    async fn retry_after(
        &self,
        node: &Node<Resource>,
        err: &AwsError,
        delay: Duration,
        why: &str,
    ) -> Result<(), NodeFailure> {
        self.waiting(
            node,
            format!("retrying in {}: {why} ({err})", format_elapsed(delay)),
        );
        self.cancel
            .sleep(delay)
            .await
            .map_err(NodeFailure::interrupted(format!(
                "retrying {} ({why})",
                err.operation
            )))
    }

    /// Takes over a resource found after an unfinished create: checks it is ours, records it.
    fn adopt(
        &self,
        node: &Node<Resource>,
        live: Live,
        recorder: &super::StateRecorder<'_>,
    ) -> Result<Live, NodeFailure> {
        self.check_owner(node, &live, true)?;
        recorder.created(node.id.as_str(), live.kind(), &live.physical_id())?;
        self.mark_fresh(&node.id);
        Ok(live)
    }

    /// Reads a resource just created or changed, until AWS shows it.
    async fn read_back(
        &self,
        node: &Node<Resource>,
        resolver: &Resolver,
        physical_id: &str,
    ) -> Result<Live, NodeFailure> {
        let live = self
            .look_again(node, resolver, Lookup::Id(physical_id), self.consistency())
            .await?;
        live.ok_or_else(|| {
            NodeFailure::Refused(format!(
                "AWS still does not show {physical_id} {} after its creation; run `up` again (it will be found, not created twice)",
                format_elapsed(self.consistency())
            ))
        })
    }

    /// Applies field changes, retried the safe way, and reads the result back.
    pub async fn update(
        &self,
        node: &Node<Resource>,
        live: Live,
        changes: Vec<FieldChange>,
        resolver: &Resolver,
    ) -> Result<Live, NodeFailure> {
        let resource = &node.payload;
        let mut live = live;
        let mut changes = changes;
        let mut retries = Retries::new();
        let mut rereads = 0;
        loop {
            let attempt = resource
                .spec
                .update(
                    &self.mutating(),
                    &resource.identity,
                    &live,
                    &changes,
                    resolver,
                )
                .await;
            let err = match attempt {
                Ok(new_id) => {
                    self.mark_fresh(&node.id);
                    let physical_id = new_id.unwrap_or_else(|| live.physical_id());
                    return self.read_after_update(node, resolver, &physical_id).await;
                }
                Err(err) => err,
            };
            if self.wait_out(node, &err, &mut retries).await? {
                continue;
            }
            match err.class() {
                ErrorClass::AlreadyExists | ErrorClass::Unknown if rereads < 8 => {
                    // Part of it may be done already (a rule added, a route created, whose
                    // answer was lost): read again and ask only for what is still missing.
                    rereads += 1;
                    if err.class() == ErrorClass::AlreadyExists && rereads > 1 {
                        // AWS says it is there but does not show it yet.
                        let delay = retries.waiting.next_delay();
                        self.retry_after(node, &err, delay, "AWS does not show it yet")
                            .await?;
                    }
                    live = self
                        .read_after_update(node, resolver, &live.physical_id())
                        .await?;
                    changes = field_changes(resource, &live, resolver);
                    if changes.is_empty() {
                        return Ok(live);
                    }
                    if let Some(change) = changes.iter().find(|change| change.replace) {
                        return Err(refuse_replace(&live, change));
                    }
                }
                _ => return Err(err.into()),
            }
        }
    }

    /// After a change: by id (the new one, when the change made a new version), falling back
    /// to the identity (a replaced association has a new id the call's answer may not carry).
    async fn read_after_update(
        &self,
        node: &Node<Resource>,
        resolver: &Resolver,
        physical_id: &str,
    ) -> Result<Live, NodeFailure> {
        if let Some(live) = self
            .look_again(node, resolver, Lookup::Id(physical_id), Duration::ZERO)
            .await?
        {
            return Ok(live);
        }
        if let Some(live) = self
            .read(node, &self.direct(), Lookup::Identity, resolver)
            .await?
        {
            return Ok(live);
        }
        self.read_back(node, resolver, physical_id).await
    }

    /// Brings the resource's tags to the desired ones, retried the safe way (tagging is
    /// idempotent).
    pub async fn set_tags(
        &self,
        node: &Node<Resource>,
        live: &Live,
        changes: &TagChanges,
    ) -> Result<(), NodeFailure> {
        let mut retries = Retries::new();
        let mut unknown_outcomes = 0;
        loop {
            let err = match live.set_tags(&self.mutating(), changes).await {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            if self.wait_out(node, &err, &mut retries).await? {
                unknown_outcomes = 0;
                continue;
            }
            // Tagging is idempotent: an unknown outcome is simply repeated.
            if err.class() != ErrorClass::Unknown || unknown_outcomes >= 5 {
                return Err(err.into());
            }
            unknown_outcomes += 1;
        }
    }

    /// Waits until the resource is ready for its dependents. `changed`: this run created or
    /// changed it, so a resource still applying the change (`Busy`) is waited for too.
    pub async fn settle(
        &self,
        node: &Node<Resource>,
        live: Live,
        changed: bool,
        resolver: &Resolver,
    ) -> Result<Live, NodeFailure> {
        let started = Instant::now();
        let mut live = live;
        loop {
            let why = match live.readiness() {
                Readiness::Ready => return Ok(live),
                Readiness::Busy(_) if !changed => return Ok(live),
                Readiness::Busy(why) | Readiness::Pending(why) => why,
                Readiness::Failed(why) => {
                    return Err(NodeFailure::Refused(format!(
                        "{why}; it will not become usable by waiting"
                    )))
                }
            };
            let elapsed = started.elapsed();
            let timeout = self.session.settings.wait_timeout;
            if elapsed >= timeout {
                return Err(NodeFailure::Refused(format!(
                    "gave up after {} waiting for {} to become ready (still {why}); raise --wait-timeout, or check it in the AWS console",
                    format_elapsed(elapsed),
                    live.physical_id()
                )));
            }
            self.waiting(
                node,
                format!("waiting: {why} ({})", format_elapsed(elapsed)),
            );
            let delay = poll_interval(elapsed).min(timeout - elapsed);
            self.cancel
                .sleep(delay)
                .await
                .map_err(NodeFailure::interrupted(format!("waiting: {why}")))?;
            let physical_id = live.physical_id();
            live = self
                .read(node, &self.direct(), Lookup::Id(&physical_id), resolver)
                .await?
                .ok_or_else(|| {
                    NodeFailure::Refused(format!(
                        "{physical_id} disappeared while macroctl waited for it ({why})"
                    ))
                })?;
        }
    }
}

/// The backoffs of one call's retries, and when its first attempt was made.
struct Retries {
    throttled: Backoff,
    waiting: Backoff,
    started: Instant,
}

impl Retries {
    fn new() -> Self {
        Self {
            throttled: Backoff::new(),
            waiting: Backoff::patient(),
            started: Instant::now(),
        }
    }
}

/// The field changes `up` makes for a resource: the kind's own, then its tags.
pub fn field_changes(resource: &Resource, live: &Live, resolver: &Resolver) -> Vec<FieldChange> {
    resource.spec.diff(live, resolver)
}

/// The tag changes that bring `live` to `resource`'s desired tags, given the keys macroctl set
/// on it before.
pub fn tag_changes(resource: &Resource, live: &Live, managed: &[String]) -> TagChanges {
    match live.tags() {
        Some(live_tags) => tags::changes(&resource.identity.tags, live_tags, managed),
        None => TagChanges::default(),
    }
}

/// The keys macroctl manages on a resource of this kind (none where it carries no tags).
pub fn managed_tag_keys(resource: &Resource, live: &Live) -> Vec<String> {
    match live.tags() {
        Some(_) => resource.identity.tags.keys().cloned().collect(),
        None => Vec::new(),
    }
}

pub fn refuse_replace(live: &Live, change: &FieldChange) -> NodeFailure {
    NodeFailure::Refused(format!(
        "{} would have to be replaced to change {} ({} → {}); macroctl does not replace resources in place",
        live.physical_id(),
        change.field,
        change.old,
        change.new
    ))
}

/// A client token for one create intent: 32 hex characters (every API's limits allow that:
/// EC2 ≤ 64, ECS ≤ 36, Secrets Manager 32–64), the same for every retry of the intent and new
/// for a new one (the start time is part of it, as is the state's lineage).
pub fn client_token(stack: &str, env: &str, id: &str, lineage: &str, started_at: &str) -> String {
    let first = crate::resources::stable_hash(&[stack, env, id, lineage, started_at]);
    let second = crate::resources::stable_hash(&[started_at, lineage, id, env, stack, "macroctl"]);
    format!("{first:016x}{second:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tokens_are_stable_per_intent_and_new_per_intent() {
        let a = client_token(
            "macro-ai",
            "staging",
            "vpc",
            "lineage",
            "2026-12-01T10:00:00.000Z",
        );
        let again = client_token(
            "macro-ai",
            "staging",
            "vpc",
            "lineage",
            "2026-12-01T10:00:00.000Z",
        );
        let later = client_token(
            "macro-ai",
            "staging",
            "vpc",
            "lineage",
            "2026-12-01T10:00:00.001Z",
        );
        let other = client_token(
            "macro-ai",
            "prod",
            "vpc",
            "lineage",
            "2026-12-01T10:00:00.000Z",
        );
        assert_eq!(a, again);
        assert_ne!(a, later);
        assert_ne!(a, other);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
