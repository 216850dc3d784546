//! IAM roles: the ECS task execution role and one task role per service. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct IamRoleSpec {}

#[derive(Debug, Clone)]
pub struct IamRoleLive {}

pub struct IamRole;

impl Kind for IamRole {
    const KIND: &'static str = "iam:role";
    type Spec = IamRoleSpec;
    type Live = IamRoleLive;

    fn refs(_spec: &IamRoleSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &IamRoleSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<IamRoleLive>, AwsError> {
        Ok(None)
    }

    fn diff(_spec: &IamRoleSpec, _live: &IamRoleLive, _resolver: &Resolver) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &IamRoleSpec,
        _resolver: &Resolver,
    ) -> Result<IamRoleLive, AwsError> {
        Err(AwsError::other("create", "iam:role is not written yet"))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &IamRoleSpec,
        live: &IamRoleLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<IamRoleLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &IamRoleLive) -> String {
        String::new()
    }

    fn outputs(_live: &IamRoleLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &IamRoleLive) -> String {
        String::new()
    }
}
