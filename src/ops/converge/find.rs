//! Finding a resource: by the id recorded in state, else by its identity, looking again
//! while AWS may not show it yet, and refusing what is not this environment's.
//!
//! A recorded resource that was created moments ago and never read back may be invisible for
//! a while (eventual consistency): looking again beats creating a second one. A resource found
//! whose tags name another stack or environment — or, found by name rather than by id, that
//! carries no macroctl tags — is someone else's, and is never adopted or changed.

use super::{Converger, NodeFailure, Observed};
use crate::aws::ErrorClass;
use crate::graph::Node;
use crate::ops::retry::Backoff;
use crate::output::format_elapsed;
use crate::resources::tags::{self, Owner};
use crate::resources::{Ctx, Live, Lookup, Resolver};
use crate::stack::Resource;
use crate::state::age_of;
use std::time::{Duration, Instant};

impl Converger<'_> {
    /// Refuses a resource whose tags say it is not this environment's.
    pub(super) fn check_owner(
        &self,
        node: &Node<Resource>,
        live: &Live,
        found_by_identity: bool,
    ) -> Result<(), NodeFailure> {
        let Some(tags) = live.tags() else {
            return Ok(());
        };
        let env = &self.session.env;
        match tags::owner(tags, &env.stack, &env.name) {
            Owner::Ours => Ok(()),
            Owner::Other { stack, env: other } => Err(NodeFailure::Refused(format!(
                "{} is tagged {}={stack}, {}={other}: it belongs to another stack or environment, and macroctl never adopts or changes it; give this environment other names (stack or env) or remove the other resource",
                live.physical_id(),
                crate::resources::TAG_STACK,
                crate::resources::TAG_ENV,
            ))),
            // Found by name (or under its parent), not by our tags: without macroctl's tags it
            // is someone else's.
            Owner::Untagged if found_by_identity => {
                Err(NodeFailure::Refused(format!(
                    "{} exists but was not made by macroctl (it has no {} / {} tags), so macroctl leaves it alone; delete or rename it, or tag it {}={}, {}={}, {}={} to let macroctl manage it",
                    live.physical_id(),
                    crate::resources::TAG_STACK,
                    crate::resources::TAG_ENV,
                    crate::resources::TAG_STACK,
                    env.stack,
                    crate::resources::TAG_ENV,
                    env.name,
                    crate::resources::TAG_ID,
                    node.id
                )))
            }
            Owner::Untagged => Ok(()),
        }
    }

    /// Reads one resource for a plan: by its recorded id, else by identity.
    pub async fn observe(
        &self,
        node: &Node<Resource>,
        resolver: &Resolver,
    ) -> Result<Observed, NodeFailure> {
        let state = &self.session.state;
        let mut note = None;
        if let Some(entry) = state.resource(node.id.as_str()) {
            let recorded = entry.physical_id.as_str();
            // Created moments ago and never read back (a run killed right after the create
            // answered, say): AWS may not show it yet. Once read back, it was visible.
            let unseen_since_created = entry.outputs.is_empty()
                && entry
                    .created_at
                    .as_deref()
                    .and_then(age_of)
                    .is_some_and(|age| age < self.consistency());
            let mut live = self
                .read(node, &self.cached(), Lookup::Id(recorded), resolver)
                .await?;
            if live.is_none() && unseen_since_created {
                // Looking again beats making a second one.
                live = self
                    .look_again(node, resolver, Lookup::Id(recorded), self.consistency())
                    .await?;
            }
            if let Some(live) = live {
                self.check_owner(node, &live, false)?;
                return Ok(Observed {
                    live: Some(live),
                    note: None,
                });
            }
            note = Some(format!("{recorded}, recorded in state, no longer exists"));
        }
        let live = self
            .read(node, &self.cached(), Lookup::Identity, resolver)
            .await?;
        match &live {
            Some(live) => self.check_owner(node, live, true)?,
            None => {
                if let Some(intent) = state.intents.get(node.id.as_str()) {
                    note = Some(format!(
                        "a create begun at {} did not finish; up looks for what it made before creating",
                        intent.started_at
                    ));
                }
            }
        }
        Ok(Observed { live, note })
    }

    /// Reads the resource: `None` when AWS says it is not there. A read AWS throttled or
    /// failed on its side is repeated with backoff: the SDK's own retries stop when its retry
    /// quota runs out, which heavy throttling drains.
    pub(super) async fn read(
        &self,
        node: &Node<Resource>,
        ctx: &Ctx<'_>,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<Live>, NodeFailure> {
        let resource = &node.payload;
        let mut backoff = Backoff::new();
        loop {
            let err = match resource
                .spec
                .read(ctx, &resource.identity, lookup, resolver)
                .await
            {
                Ok(live) => return Ok(live),
                Err(err) => err,
            };
            match err.class() {
                ErrorClass::NotFound => return Ok(None),
                ErrorClass::Throttled | ErrorClass::Unknown if backoff.attempts() < 10 => {
                    let delay = backoff.next_delay();
                    self.retry_after(node, &err, delay, "reading").await?;
                }
                _ => return Err(err.into()),
            }
        }
    }

    /// Reads a resource directly, again and again, until it shows up or `within` has passed.
    pub(super) async fn look_again(
        &self,
        node: &Node<Resource>,
        resolver: &Resolver,
        lookup: Lookup<'_>,
        within: Duration,
    ) -> Result<Option<Live>, NodeFailure> {
        let started = Instant::now();
        let mut backoff = Backoff::patient();
        loop {
            let live = self.read(node, &self.direct(), lookup, resolver).await?;
            if live.is_some() || started.elapsed() >= within {
                return Ok(live);
            }
            let what = match lookup {
                Lookup::Id(id) => format!("AWS to show {id}"),
                Lookup::Identity => "AWS to show what an unfinished create made".to_string(),
            };
            self.waiting(
                node,
                format!(
                    "waiting for {what} (eventual consistency, {} of at most {})",
                    format_elapsed(started.elapsed()),
                    format_elapsed(within)
                ),
            );
            let delay = backoff
                .next_delay()
                .min(within.saturating_sub(started.elapsed()));
            self.cancel
                .sleep(delay)
                .await
                .map_err(NodeFailure::interrupted(format!("waiting for {what}")))?;
        }
    }
}
