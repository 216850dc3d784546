//! ECS placeholder. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct EcsServiceSpec {}

#[derive(Debug, Clone)]
pub struct EcsServiceLive {}

pub struct EcsService;

impl Kind for EcsService {
    const KIND: &'static str = "ecs:service";
    type Spec = EcsServiceSpec;
    type Live = EcsServiceLive;

    fn refs(_spec: &EcsServiceSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcsServiceSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<EcsServiceLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &EcsServiceSpec,
        _live: &EcsServiceLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcsServiceSpec,
        _resolver: &Resolver,
    ) -> Result<EcsServiceLive, AwsError> {
        Err(AwsError::other("create", "ecs:service is not written yet"))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcsServiceSpec,
        live: &EcsServiceLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<EcsServiceLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &EcsServiceLive) -> String {
        String::new()
    }

    fn outputs(_live: &EcsServiceLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &EcsServiceLive) -> String {
        String::new()
    }
}
