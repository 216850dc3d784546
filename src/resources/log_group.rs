//! CloudWatch Logs log groups for the services. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct LogGroupSpec {}

#[derive(Debug, Clone)]
pub struct LogGroupLive {}

pub struct LogGroup;

impl Kind for LogGroup {
    const KIND: &'static str = "logs:log-group";
    type Spec = LogGroupSpec;
    type Live = LogGroupLive;

    fn refs(_spec: &LogGroupSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &LogGroupSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<LogGroupLive>, AwsError> {
        Ok(None)
    }

    fn diff(_spec: &LogGroupSpec, _live: &LogGroupLive, _resolver: &Resolver) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &LogGroupSpec,
        _resolver: &Resolver,
    ) -> Result<LogGroupLive, AwsError> {
        Err(AwsError::other(
            "create",
            "logs:log-group is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &LogGroupSpec,
        live: &LogGroupLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<LogGroupLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &LogGroupLive) -> String {
        String::new()
    }

    fn outputs(_live: &LogGroupLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &LogGroupLive) -> String {
        String::new()
    }
}
