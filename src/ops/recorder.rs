//! Writes each resource's physical id and outputs to the state file as soon as it is known,
//! and each create's intent before the create is sent.
//!
//! Saving after every change (atomically, see `state`) is what makes a kill at any instant
//! cheap, and the write-ahead intent closes the one gap left: a create that was sent but whose
//! answer never arrived (a kill, a lost response). The next run sees the intent, looks for
//! what the create may have made (by identity, allowing for AWS's eventual consistency), and
//! repeats the create with the same client token only if nothing turns up. Unchanged entries
//! are not rewritten, so a no-op run leaves the file and its serial alone.

use crate::resources::Live;
use crate::state::{
    now_rfc3339, now_rfc3339_millis, Applied, Intent, ResourceState, State, StateError, StateStore,
};
use std::cell::RefCell;

pub struct StateRecorder<'s> {
    store: &'s StateStore,
    state: RefCell<State>,
}

impl<'s> StateRecorder<'s> {
    pub fn new(store: &'s StateStore, state: State) -> Self {
        Self {
            store,
            state: RefCell::new(state),
        }
    }

    /// The pending intent of resource `id`, if a run began a create it did not finish.
    pub fn intent(&self, id: &str) -> Option<Intent> {
        self.state.borrow().intents.get(id).cloned()
    }

    /// The state's lineage (part of client tokens).
    pub fn lineage(&self) -> String {
        self.state.borrow().lineage.clone()
    }

    /// The entry of resource `id`, if recorded.
    pub fn entry(&self, id: &str) -> Option<ResourceState> {
        self.state.borrow().resources.get(id).cloned()
    }

    /// Saves the intent to create `id` before the create is sent.
    pub fn begin(&self, id: &str, intent: &Intent) -> Result<(), StateError> {
        let mut state = self.state.borrow_mut();
        state.intents.insert(id.to_string(), intent.clone());
        self.store.save(&mut state)
    }

    /// Records the physical id a create returned (outputs follow once it is read back), and
    /// ends its intent.
    pub fn created(&self, id: &str, kind: &str, physical_id: &str) -> Result<(), StateError> {
        let mut state = self.state.borrow_mut();
        state.intents.remove(id);
        state.destroyed_at = None;
        let now = now_rfc3339_millis();
        state.resources.insert(
            id.to_string(),
            ResourceState {
                kind: kind.to_string(),
                physical_id: physical_id.to_string(),
                arn: None,
                outputs: Default::default(),
                updated_at: now_rfc3339(),
                created_at: Some(now),
                managed_tags: Vec::new(),
                applied: None,
            },
        );
        self.store.save(&mut state)
    }

    /// Records `live` as resource `id` (with the tag keys macroctl manages on it) and ends any
    /// intent, saving only when something changed. What was last applied to it is kept (for
    /// the same resource): recording what AWS shows does not say the configuration is.
    pub fn record(
        &self,
        id: &str,
        live: &Live,
        managed_tags: Vec<String>,
    ) -> Result<(), StateError> {
        self.put(id, live, managed_tags, None)
    }

    /// Records `live` as resource `id` once it has been converged to `applied` (what `up`
    /// made it), so that a later difference from `applied` reads as drift.
    pub fn record_applied(
        &self,
        id: &str,
        live: &Live,
        managed_tags: Vec<String>,
        applied: Applied,
    ) -> Result<(), StateError> {
        self.put(id, live, managed_tags, Some(applied))
    }

    fn put(
        &self,
        id: &str,
        live: &Live,
        managed_tags: Vec<String>,
        applied: Option<Applied>,
    ) -> Result<(), StateError> {
        let mut state = self.state.borrow_mut();
        let outputs = live.outputs();
        let physical_id = live.physical_id();
        let previous = state.resources.get(id);
        // The entry `created` made moments ago (no outputs yet) is the same resource, though
        // its id may have been the name a create returns rather than the ARN a read reports.
        let same_resource = previous
            .is_some_and(|entry| entry.physical_id == physical_id || entry.outputs.is_empty());
        let applied = match applied {
            Some(applied) => Some(applied),
            None if same_resource => previous.and_then(|entry| entry.applied.clone()),
            None => None,
        };
        let unchanged = previous.is_some_and(|entry| {
            entry.kind == live.kind()
                && entry.physical_id == physical_id
                && entry.outputs == outputs
                && entry.managed_tags == managed_tags
                && entry.applied == applied
        }) && !state.intents.contains_key(id);
        if unchanged {
            return Ok(());
        }
        let created_at = previous
            .filter(|_| same_resource)
            .and_then(|entry| entry.created_at.clone());
        state.intents.remove(id);
        state.destroyed_at = None;
        state.resources.insert(
            id.to_string(),
            ResourceState {
                kind: live.kind().to_string(),
                physical_id,
                arn: None,
                outputs,
                updated_at: now_rfc3339(),
                created_at,
                managed_tags,
                applied,
            },
        );
        self.store.save(&mut state)
    }

    /// Forgets resource `id` (deleted, or found gone), saving only when it was recorded.
    pub fn forget(&self, id: &str) -> Result<(), StateError> {
        let mut state = self.state.borrow_mut();
        let known = state.resources.remove(id).is_some();
        let intended = state.intents.remove(id).is_some();
        if known || intended {
            self.store.save(&mut state)?;
        }
        Ok(())
    }

    /// Records that `destroy` deleted the environment.
    pub fn destroyed(&self) -> Result<(), StateError> {
        let mut state = self.state.borrow_mut();
        state.destroyed_at = Some(now_rfc3339());
        self.store.save(&mut state)
    }

    pub fn into_state(self) -> State {
        self.state.into_inner()
    }
}
