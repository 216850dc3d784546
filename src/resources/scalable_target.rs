//! Application Auto Scaling scalable target for a service. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct ScalableTargetSpec {}

#[derive(Debug, Clone)]
pub struct ScalableTargetLive {}

pub struct ScalableTarget;

impl Kind for ScalableTarget {
    const KIND: &'static str = "application-autoscaling:scalable-target";
    type Spec = ScalableTargetSpec;
    type Live = ScalableTargetLive;

    fn refs(_spec: &ScalableTargetSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ScalableTargetSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<ScalableTargetLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &ScalableTargetSpec,
        _live: &ScalableTargetLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ScalableTargetSpec,
        _resolver: &Resolver,
    ) -> Result<ScalableTargetLive, AwsError> {
        Err(AwsError::other(
            "create",
            "application-autoscaling:scalable-target is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ScalableTargetSpec,
        live: &ScalableTargetLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<ScalableTargetLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &ScalableTargetLive) -> String {
        String::new()
    }

    fn outputs(_live: &ScalableTargetLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &ScalableTargetLive) -> String {
        String::new()
    }
}
