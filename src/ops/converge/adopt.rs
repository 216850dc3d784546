//! Adopting a resource made by hand (`import --map LOGICAL_ID=PHYSICAL_ID`): checking that the
//! named resource may become this environment's, then giving it the environment's tags.
//!
//! Everything `observe` refuses stays refused here: a resource tagged for another stack or
//! environment is never touched. What a mapping adds is trust in an *untagged* resource, because
//! a person named it. So the checks are about not stealing or duplicating: the id must read as
//! the node's kind; it must not already be another logical id's (its `macroctl:id` tag); the
//! environment must not already have that resource (recorded in state and still there, or
//! found by its identity), or there would be two; and it must not differ from the environment
//! file in what AWS cannot change in place (`up` would then refuse it anyway). Only then are
//! the tags `up` would set applied, with the engine's safe retries. Kinds that carry no tags
//! (route table associations, scaling policies, scalable targets) cannot be marked as ours, so
//! they are refused: they are found through their parent.

use super::{field_changes, tag_changes, Converger, NodeFailure};
use crate::aws::ErrorClass;
use crate::graph::Node;
use crate::resources::{tags, Live, Lookup, Resolver, TagChanges, TAG_ID, UNKNOWN};
use crate::stack::Resource;

/// What checking a mapped physical id found.
#[derive(Debug)]
pub enum Mapped {
    /// It may become the node: `tags` are what it still needs to carry.
    Adoptable { live: Box<Live>, tags: TagChanges },
    /// AWS has no resource of the node's kind with that id (or the id cannot be one: a
    /// malformed id of another kind). The AWS error code, when AWS answered with one.
    NotFound { code: Option<String> },
    /// It exists but must not become the node; why, in words.
    Refused(String),
}

impl Converger<'_> {
    /// Reads `physical_id` as `node`'s kind and checks that it may be adopted as `node`.
    /// `recorded` is the physical id state holds for `node`, if any. Reads only, directly (a
    /// fresh answer, not the run's listings). An AWS error other than "not found" is returned
    /// as it is.
    pub async fn check_mapped(
        &self,
        node: &Node<Resource>,
        physical_id: &str,
        recorded: Option<&str>,
        resolver: &Resolver,
    ) -> Result<Mapped, NodeFailure> {
        let resource = &node.payload;
        let kind = resource.spec.kind();
        let ctx = self.direct();
        let live = match resource
            .spec
            .read(&ctx, &resource.identity, Lookup::Id(physical_id), resolver)
            .await
        {
            Ok(Some(live)) => live,
            Ok(None) => return Ok(Mapped::NotFound { code: None }),
            Err(err) if err.class() == ErrorClass::NotFound || is_malformed(err.code()) => {
                return Ok(Mapped::NotFound {
                    code: err.code().map(str::to_string),
                })
            }
            Err(err) => return Err(err.into()),
        };
        let found = live.physical_id();
        let Some(live_tags) = live.tags() else {
            return Ok(Mapped::Refused(format!(
                "a {kind} carries no tags, so macroctl cannot mark {found} as this environment's; it is found through its parent: map the parent instead (or leave it to `up`)"
            )));
        };
        // Someone else's: never touched.
        if let Err(NodeFailure::Refused(reason)) = self.check_owner(node, &live, false) {
            return Ok(Mapped::Refused(reason));
        }
        if let Some(other) = live_tags
            .get(TAG_ID)
            .filter(|other| *other != node.id.as_str())
        {
            if tags::owner(live_tags, &self.session.env.stack, &self.session.env.name)
                == tags::Owner::Ours
            {
                return Ok(Mapped::Refused(format!(
                    "{found} is tagged {TAG_ID}={other}: it is this environment's {other}, not {}",
                    node.id
                )));
            }
        }
        if let Some(recorded) = recorded.filter(|recorded| *recorded != found) {
            if self
                .read(node, &ctx, Lookup::Id(recorded), resolver)
                .await?
                .is_some()
            {
                return Ok(Mapped::Refused(format!(
                    "state already records {} as {recorded}, which exists; adopting {found} as well would make two (delete {recorded} first, or leave the mapping out)",
                    node.id
                )));
            }
        }
        // The environment's own copy, found by its tags or name: adopting this one would make
        // two. Only when everything it is found through is known.
        let findable = (resource.spec.refs().iter()).all(|r| resolver.known(r).is_some());
        if findable {
            match self.read(node, &ctx, Lookup::Identity, resolver).await {
                Ok(Some(other)) if other.physical_id() != found => {
                    return Ok(Mapped::Refused(format!(
                        "this environment's {} already exists: {} (found by its tags or name); map that one, or delete it first",
                        node.id,
                        other.physical_id()
                    )));
                }
                Ok(_) => {}
                Err(NodeFailure::Aws(err)) if err.class() == ErrorClass::Other => {
                    return Ok(Mapped::Refused(format!(
                        "looking for this environment's {} failed: {err}",
                        node.id
                    )));
                }
                Err(err) => return Err(err),
            }
        }
        let replace: Vec<String> = field_changes(resource, &live, resolver)
            .into_iter()
            .filter(|change| change.replace && change.old != UNKNOWN && change.new != UNKNOWN)
            .map(|change| format!("{} ({} → {})", change.field, change.old, change.new))
            .collect();
        if !replace.is_empty() {
            return Ok(Mapped::Refused(format!(
                "{found} differs from the environment file in what AWS cannot change in place: {}; `up` would have to replace it (map a resource that matches the file, or change the file)",
                replace.join(", ")
            )));
        }
        let tags = tag_changes(resource, &live, &[]);
        Ok(Mapped::Adoptable {
            live: Box::new(live),
            tags,
        })
    }

    /// Gives an adoptable mapped resource the tags `up` would set (nothing else changes), with
    /// the engine's retries (tagging is idempotent).
    pub async fn adopt_mapped(
        &self,
        node: &Node<Resource>,
        live: &Live,
        tags: &TagChanges,
    ) -> Result<(), NodeFailure> {
        if tags.is_empty() {
            return Ok(());
        }
        self.set_tags(node, live, tags).await?;
        self.mark_fresh(&node.id);
        Ok(())
    }
}

/// An id AWS cannot even parse as one of this kind (`vpc=subnet-123`:
/// `InvalidVpcID.Malformed`, or a generic `InvalidParameterValue`): for a mapping, that is the
/// same as "no such resource".
fn is_malformed(code: Option<&str>) -> bool {
    code.is_some_and(|code| code.ends_with(".Malformed") || code == "InvalidParameterValue")
}
