//! Deleting one resource the safe way, for `destroy`: the kind's one call, repeated while
//! AWS still holds what it depends on, then a wait until AWS no longer shows it.
//!
//! Real AWS refuses a subnet or security group with `DependencyViolation` for minutes after
//! the load balancer, service, database or NAT gateway that used it was deleted (their network
//! interfaces linger), refuses a target group that a listener still uses, and takes minutes
//! to delete a database or a NAT gateway. The engine orders deletions (dependents first), and
//! this module makes each one survive what remains: an in-use refusal is retried with backoff
//! until the wait timeout; after a lost response the resource is read, and the call repeated
//! only if it is still there (already deleting or gone counts as done); the wait polls at a twentieth of the time waited and stops at once on Ctrl-C.

use super::{Converger, NodeFailure, Retries};
use crate::aws::ErrorClass;
use crate::graph::Node;
use crate::ops::retry::poll_interval;
use crate::output::format_elapsed;
use crate::resources::{DeleteOptions, Deleted, Deletion, Live, Lookup, Resolver};
use crate::stack::Resource;
use std::time::Instant;

/// How a deletion ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// AWS no longer shows it (or shows it as good as gone).
    Gone,
    /// Kept on purpose, and why (an ECR repository with images).
    Kept(String),
}

/// Lost responses repeated before a deletion's outcome counts as an error.
const MAX_UNKNOWN_OUTCOMES: u32 = 5;

impl Converger<'_> {
    /// Deletes `live` and waits until it is gone.
    pub async fn delete(
        &self,
        node: &Node<Resource>,
        live: Live,
        options: &DeleteOptions,
        resolver: &Resolver,
    ) -> Result<Removed, NodeFailure> {
        match live.deletion() {
            Deletion::Gone => return Ok(Removed::Gone),
            Deletion::Deleting(_) => {}
            Deletion::Present => {
                if let Deleted::Kept(why) = self
                    .request_deletion(node, live.clone(), options, resolver)
                    .await?
                {
                    return Ok(Removed::Kept(why));
                }
            }
        }
        self.wait_gone(node, &live.physical_id(), resolver).await?;
        Ok(Removed::Gone)
    }

    /// The kind's delete call, repeated while AWS says something still uses the resource
    /// (until the wait timeout), after throttling, and after a lost response once a read
    /// shows it still there (then from what is left: a role's policies already removed are
    /// not asked for again).
    async fn request_deletion(
        &self,
        node: &Node<Resource>,
        mut live: Live,
        options: &DeleteOptions,
        resolver: &Resolver,
    ) -> Result<Deleted, NodeFailure> {
        let mut retries = Retries::new();
        let mut unknown_outcomes = 0;
        loop {
            let err = match live.delete(&self.mutating(), options).await {
                Ok(deleted) => return Ok(deleted),
                Err(err) => err,
            };
            if self.wait_out(node, &err, &mut retries).await? {
                unknown_outcomes = 0; // AWS answered: a run of lost answers has ended
                continue;
            }
            match err.class() {
                // Gone already (a kind that did not say so itself).
                ErrorClass::NotFound => return Ok(Deleted::Requested),
                ErrorClass::InUse => {
                    let waited = retries.started.elapsed();
                    let timeout = self.session.settings.wait_timeout;
                    if waited >= timeout {
                        return Err(NodeFailure::Refused(format!(
                            "AWS still refuses to delete {} after {} ({err}); something outside this environment may use it. Raise --wait-timeout, or remove what uses it and run destroy again",
                            live.physical_id(),
                            format_elapsed(waited)
                        )));
                    }
                    let delay = retries.waiting.next_delay();
                    self.retry_after(node, &err, delay, "AWS still holds what depends on it")
                        .await?;
                }
                // The call may have been performed: look before repeating it (a database's
                // repeated delete would ask for a final snapshot the first one already took).
                ErrorClass::Unknown if unknown_outcomes < MAX_UNKNOWN_OUTCOMES => {
                    unknown_outcomes += 1;
                    self.waiting(
                        node,
                        format!("{err}: the outcome is unknown, looking before deleting again"),
                    );
                    let id = live.physical_id();
                    match self
                        .read(node, &self.direct(), Lookup::Id(&id), resolver)
                        .await?
                    {
                        Some(now) if now.deletion() == Deletion::Present => live = now,
                        _ => return Ok(Deleted::Requested),
                    }
                }
                _ => return Err(err.into()),
            }
        }
    }

    /// Reads the resource directly until AWS no longer shows it (or shows it as good as
    /// gone), stoppably, up to the wait timeout.
    async fn wait_gone(
        &self,
        node: &Node<Resource>,
        physical_id: &str,
        resolver: &Resolver,
    ) -> Result<(), NodeFailure> {
        let started = Instant::now();
        loop {
            let live = self
                .read(node, &self.direct(), Lookup::Id(physical_id), resolver)
                .await?;
            let why = match live.as_ref().map(Live::deletion) {
                None | Some(Deletion::Gone) => return Ok(()),
                Some(Deletion::Deleting(status)) => status,
                Some(Deletion::Present) => "still there".to_string(),
            };
            let elapsed = started.elapsed();
            let timeout = self.session.settings.wait_timeout;
            if elapsed >= timeout {
                return Err(NodeFailure::Refused(format!(
                    "gave up after {} waiting for {physical_id} to be deleted (still {why}); raise --wait-timeout, or check it in the AWS console, and run destroy again",
                    format_elapsed(elapsed)
                )));
            }
            self.waiting(
                node,
                format!("deleting: {why} ({})", format_elapsed(elapsed)),
            );
            let delay = poll_interval(elapsed).min(timeout - elapsed);
            self.cancel
                .sleep(delay)
                .await
                .map_err(NodeFailure::interrupted(format!(
                    "waiting for {physical_id} to be deleted"
                )))?;
        }
    }
}
