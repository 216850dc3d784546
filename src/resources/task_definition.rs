//! ECS placeholder. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct TaskDefinitionSpec {}

#[derive(Debug, Clone)]
pub struct TaskDefinitionLive {}

pub struct TaskDefinition;

impl Kind for TaskDefinition {
    const KIND: &'static str = "ecs:task-definition";
    type Spec = TaskDefinitionSpec;
    type Live = TaskDefinitionLive;

    fn refs(_spec: &TaskDefinitionSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &TaskDefinitionSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<TaskDefinitionLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &TaskDefinitionSpec,
        _live: &TaskDefinitionLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &TaskDefinitionSpec,
        _resolver: &Resolver,
    ) -> Result<TaskDefinitionLive, AwsError> {
        Err(AwsError::other(
            "create",
            "ecs:task-definition is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &TaskDefinitionSpec,
        live: &TaskDefinitionLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<TaskDefinitionLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &TaskDefinitionLive) -> String {
        String::new()
    }

    fn outputs(_live: &TaskDefinitionLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &TaskDefinitionLive) -> String {
        String::new()
    }
}
