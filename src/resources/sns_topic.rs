//! The SNS topic alarms notify. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct SnsTopicSpec {}

#[derive(Debug, Clone)]
pub struct SnsTopicLive {}

pub struct SnsTopic;

impl Kind for SnsTopic {
    const KIND: &'static str = "sns:topic";
    type Spec = SnsTopicSpec;
    type Live = SnsTopicLive;

    fn refs(_spec: &SnsTopicSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &SnsTopicSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<SnsTopicLive>, AwsError> {
        Ok(None)
    }

    fn diff(_spec: &SnsTopicSpec, _live: &SnsTopicLive, _resolver: &Resolver) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &SnsTopicSpec,
        _resolver: &Resolver,
    ) -> Result<SnsTopicLive, AwsError> {
        Err(AwsError::other("create", "sns:topic is not written yet"))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &SnsTopicSpec,
        live: &SnsTopicLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<SnsTopicLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &SnsTopicLive) -> String {
        String::new()
    }

    fn outputs(_live: &SnsTopicLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &SnsTopicLive) -> String {
        String::new()
    }
}
