//! Deleting a task definition family for good, for `destroy`.
//!
//! A deregistered revision is INACTIVE, which ECS keeps (and the tagging API lists) for as
//! long as it exists; since 2023 `DeleteTaskDefinitions` removes INACTIVE revisions for good.
//! A family accumulates a revision per release, and every one carries the environment's
//! tags, so destroying the environment deletes them all, not only the one state records. The
//! family name is `<stack>-<env>-<service>`, the environment's own, and only revisions of
//! exactly that family are touched.

use super::missing_is_not_found;
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::resources::Ctx;
use aws_sdk_ecs::types::TaskDefinitionStatus;

/// `DeleteTaskDefinitions` takes at most this many revisions a call.
const PER_DELETE: usize = 10;

/// The ARNs of the family's revisions in `status` (exactly this family, not others that
/// share its name as a prefix).
async fn revisions(
    ctx: &Ctx<'_>,
    family: &str,
    status: TaskDefinitionStatus,
) -> Result<Vec<String>, AwsError> {
    let arns: Vec<String> = ctx
        .aws
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(status)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .op("ListTaskDefinitions")?;
    Ok(arns
        .into_iter()
        .filter(|arn| family_of(arn) == Some(family))
        .collect())
}

/// `arn:aws:ecs:r:a:task-definition/FAMILY:REVISION` → `FAMILY`.
fn family_of(arn: &str) -> Option<&str> {
    let (_, name) = arn.rsplit_once('/')?;
    Some(name.rsplit_once(':')?.0)
}

/// Deregisters every ACTIVE revision of `family`, then deletes every INACTIVE one. Safe to
/// repeat: a revision already deregistered or deleted is skipped or answers NotFound.
pub async fn delete_family(ctx: &Ctx<'_>, family: &str) -> Result<(), AwsError> {
    for arn in revisions(ctx, family, TaskDefinitionStatus::Active).await? {
        ctx.aws
            .ecs
            .deregister_task_definition()
            .task_definition(&arn)
            .send()
            .await
            .op("DeregisterTaskDefinition")
            .map_err(missing_is_not_found)
            .found()?;
    }
    let inactive = revisions(ctx, family, TaskDefinitionStatus::Inactive).await?;
    for chunk in inactive.chunks(PER_DELETE) {
        // Revisions it could not delete come back as failures (gone already, or still
        // ACTIVE after a concurrent deploy); the engine's wait then tells.
        ctx.aws
            .ecs
            .delete_task_definitions()
            .set_task_definitions(Some(chunk.to_vec()))
            .send()
            .await
            .op("DeleteTaskDefinitions")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::family_of;

    #[test]
    fn the_family_is_the_name_before_the_revision() {
        let arn = "arn:aws:ecs:us-east-1:1:task-definition/macro-ai-dev-api:12";
        assert_eq!(family_of(arn), Some("macro-ai-dev-api"));
        assert_eq!(family_of("nonsense"), None);
    }
}
