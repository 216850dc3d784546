//! Writes each resource's physical id and outputs to the state file as soon as it is known.
//!
//! Saving after every change (atomically, see `state`) is what makes a kill at any instant
//! cheap: at most the call in flight is unrecorded, and its resource carries tags by which the
//! next run adopts it. Unchanged entries are not rewritten, so a no-op run leaves the file and
//! its serial alone.

use crate::resources::Live;
use crate::state::{now_rfc3339, ResourceState, State, StateError, StateStore};
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

    /// Records `live` as resource `id`, saving only when something changed.
    pub fn record(&self, id: &str, live: &Live) -> Result<(), StateError> {
        let mut state = self.state.borrow_mut();
        let outputs = live.outputs();
        let physical_id = live.physical_id();
        let unchanged = state.resources.get(id).is_some_and(|entry| {
            entry.kind == live.kind()
                && entry.physical_id == physical_id
                && entry.outputs == outputs
        });
        if unchanged {
            return Ok(());
        }
        state.resources.insert(
            id.to_string(),
            ResourceState {
                kind: live.kind().to_string(),
                physical_id,
                arn: None,
                outputs,
                updated_at: now_rfc3339(),
            },
        );
        self.store.save(&mut state)
    }

    pub fn into_state(self) -> State {
        self.state.into_inner()
    }
}
