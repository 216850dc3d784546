//! Target-tracking scaling policies. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct ScalingPolicySpec {}

#[derive(Debug, Clone)]
pub struct ScalingPolicyLive {}

pub struct ScalingPolicy;

impl Kind for ScalingPolicy {
    const KIND: &'static str = "application-autoscaling:scaling-policy";
    type Spec = ScalingPolicySpec;
    type Live = ScalingPolicyLive;

    fn refs(_spec: &ScalingPolicySpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ScalingPolicySpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<ScalingPolicyLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &ScalingPolicySpec,
        _live: &ScalingPolicyLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ScalingPolicySpec,
        _resolver: &Resolver,
    ) -> Result<ScalingPolicyLive, AwsError> {
        Err(AwsError::other(
            "create",
            "application-autoscaling:scaling-policy is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ScalingPolicySpec,
        live: &ScalingPolicyLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<ScalingPolicyLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &ScalingPolicyLive) -> String {
        String::new()
    }

    fn outputs(_live: &ScalingPolicyLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &ScalingPolicyLive) -> String {
        String::new()
    }
}
