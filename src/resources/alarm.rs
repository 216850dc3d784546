//! CloudWatch metric alarms. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct AlarmSpec {}

#[derive(Debug, Clone)]
pub struct AlarmLive {}

pub struct Alarm;

impl Kind for Alarm {
    const KIND: &'static str = "cloudwatch:alarm";
    type Spec = AlarmSpec;
    type Live = AlarmLive;

    fn refs(_spec: &AlarmSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &AlarmSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<AlarmLive>, AwsError> {
        Ok(None)
    }

    fn diff(_spec: &AlarmSpec, _live: &AlarmLive, _resolver: &Resolver) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &AlarmSpec,
        _resolver: &Resolver,
    ) -> Result<AlarmLive, AwsError> {
        Err(AwsError::other(
            "create",
            "cloudwatch:alarm is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &AlarmSpec,
        live: &AlarmLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<AlarmLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &AlarmLive) -> String {
        String::new()
    }

    fn outputs(_live: &AlarmLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &AlarmLive) -> String {
        String::new()
    }
}
