//! ALB listeners (80, and 443 with a certificate). (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct ListenerSpec {}

#[derive(Debug, Clone)]
pub struct ListenerLive {}

pub struct Listener;

impl Kind for Listener {
    const KIND: &'static str = "elbv2:listener";
    type Spec = ListenerSpec;
    type Live = ListenerLive;

    fn refs(_spec: &ListenerSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ListenerSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<ListenerLive>, AwsError> {
        Ok(None)
    }

    fn diff(_spec: &ListenerSpec, _live: &ListenerLive, _resolver: &Resolver) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ListenerSpec,
        _resolver: &Resolver,
    ) -> Result<ListenerLive, AwsError> {
        Err(AwsError::other(
            "create",
            "elbv2:listener is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ListenerSpec,
        live: &ListenerLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<ListenerLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &ListenerLive) -> String {
        String::new()
    }

    fn outputs(_live: &ListenerLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &ListenerLive) -> String {
        String::new()
    }
}
