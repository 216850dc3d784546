//! ECS placeholder. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct EcsClusterSpec {}

#[derive(Debug, Clone)]
pub struct EcsClusterLive {}

pub struct EcsCluster;

impl Kind for EcsCluster {
    const KIND: &'static str = "ecs:cluster";
    type Spec = EcsClusterSpec;
    type Live = EcsClusterLive;

    fn refs(_spec: &EcsClusterSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcsClusterSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<EcsClusterLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &EcsClusterSpec,
        _live: &EcsClusterLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcsClusterSpec,
        _resolver: &Resolver,
    ) -> Result<EcsClusterLive, AwsError> {
        Err(AwsError::other("create", "ecs:cluster is not written yet"))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcsClusterSpec,
        live: &EcsClusterLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<EcsClusterLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &EcsClusterLive) -> String {
        String::new()
    }

    fn outputs(_live: &EcsClusterLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &EcsClusterLive) -> String {
        String::new()
    }
}
