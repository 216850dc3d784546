//! ALB target groups (type ip) for the services. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct TargetGroupSpec {}

#[derive(Debug, Clone)]
pub struct TargetGroupLive {}

pub struct TargetGroup;

impl Kind for TargetGroup {
    const KIND: &'static str = "elbv2:target-group";
    type Spec = TargetGroupSpec;
    type Live = TargetGroupLive;

    fn refs(_spec: &TargetGroupSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &TargetGroupSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<TargetGroupLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &TargetGroupSpec,
        _live: &TargetGroupLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &TargetGroupSpec,
        _resolver: &Resolver,
    ) -> Result<TargetGroupLive, AwsError> {
        Err(AwsError::other(
            "create",
            "elbv2:target-group is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &TargetGroupSpec,
        live: &TargetGroupLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<TargetGroupLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &TargetGroupLive) -> String {
        String::new()
    }

    fn outputs(_live: &TargetGroupLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &TargetGroupLive) -> String {
        String::new()
    }
}
