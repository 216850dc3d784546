//! Drift: what was changed outside macroctl, told apart from what the environment file changed.
//!
//! A plan's changes come from diffing the environment file's desire against the live
//! resource, which alone cannot tell an edited file from a change made in the console. So when
//! `up` has converged a resource, state keeps what it converged it to (`applied`: the kind's
//! spec and the tags macroctl set). `plan` diffs that too, against the same live resource: a
//! field that differs from what macroctl applied was changed behind its back (drift); a field
//! that differs only from the file's desire is the file's edit. A field both moved is drift
//! (the live value is not what macroctl left), and `up` still makes it what the file says.
//!
//! Both diffs run on what the plan's reads fetched: drift costs no AWS call. A resource with
//! nothing applied recorded (adopted by `import`, or recorded by an older macroctl) has no
//! drift, only differences; the next `up` records what it applies.

use crate::resources::{FieldChange, Live, Resolver, Spec};
use crate::stack::Resource;
use crate::state::Applied;
use std::collections::BTreeSet;

/// What `up` converged `resource` to, for state.
pub fn applied(resource: &Resource) -> Applied {
    Applied {
        spec: serde_json::to_value(&resource.spec).unwrap_or(serde_json::Value::Null),
        tags: resource.identity.tags.clone(),
    }
}

/// Marks each of `changes` (the plan's, fields and tags) that was changed outside macroctl:
/// the live value differs from what macroctl last applied. Returns whether any was.
pub fn mark(
    changes: &mut [FieldChange],
    applied: Option<&Applied>,
    resource: &Resource,
    live: &Live,
    resolver: &Resolver,
) -> bool {
    let Some(applied) = applied else {
        return false;
    };
    let moved = moved_fields(applied, resource, live, resolver);
    let mut any = false;
    for change in changes {
        change.drift = moved.contains(&change.field);
        any |= change.drift;
    }
    any
}

/// The fields (and `tag K` lines) whose live value is no longer what macroctl applied.
fn moved_fields(
    applied: &Applied,
    resource: &Resource,
    live: &Live,
    resolver: &Resolver,
) -> BTreeSet<String> {
    let mut moved = BTreeSet::new();
    match serde_json::from_value::<Spec>(applied.spec.clone()) {
        Ok(spec) if spec.kind() == resource.spec.kind() => {
            moved.extend(spec.diff(live, resolver).into_iter().map(|c| c.field));
        }
        Ok(_) => {}
        Err(err) => tracing::debug!(
            "{}: the applied spec in state is not readable by this version ({err}); its differences count as edits",
            resource.identity.id
        ),
    }
    if let Some(live_tags) = live.tags() {
        moved.extend(
            (applied.tags.iter())
                .filter(|(key, value)| live_tags.get(*key) != Some(*value))
                .map(|(key, _)| format!("{}{key}", crate::resources::tags::FIELD_PREFIX)),
        );
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind's spec survives the trip through state: what is read back is what was
    /// written (else drift would silently go unnoticed for that kind).
    #[test]
    fn every_spec_of_every_environment_reads_back_as_written() {
        for name in ["dev", "staging", "prod"] {
            let env = crate::config::load(std::path::Path::new("envs"), name, None).unwrap();
            let graph = crate::stack::desired(&env, &crate::stack::Facts::any(), None).unwrap();
            for node in graph.nodes() {
                let applied = applied(&node.payload);
                let text = serde_json::to_string(&applied).unwrap();
                let again: Applied = serde_json::from_str(&text).unwrap();
                let spec: Spec = serde_json::from_value(again.spec)
                    .unwrap_or_else(|e| panic!("{name} {}: {e}", node.id));
                assert_eq!(
                    format!("{spec:?}"),
                    format!("{:?}", node.payload.spec),
                    "{name} {}",
                    node.id
                );
                assert_eq!(again.tags, node.payload.identity.tags);
            }
        }
    }

    #[test]
    fn a_reference_to_an_output_no_kind_declares_is_unreadable() {
        let text = r#"{"id": "vpc", "output": "no_such_output"}"#;
        let err = serde_json::from_str::<crate::resources::Ref>(text).unwrap_err();
        assert!(err.to_string().contains("no_such_output"), "{err}");
        let good: crate::resources::Ref =
            serde_json::from_str(r#"{"id": "vpc", "output": "vpc_id"}"#).unwrap();
        assert_eq!(good.output, "vpc_id");
    }
}
