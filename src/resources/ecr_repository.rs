//! ECR repositories for the API and UI images. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct EcrRepositorySpec {}

#[derive(Debug, Clone)]
pub struct EcrRepositoryLive {}

pub struct EcrRepository;

impl Kind for EcrRepository {
    const KIND: &'static str = "ecr:repository";
    type Spec = EcrRepositorySpec;
    type Live = EcrRepositoryLive;

    fn refs(_spec: &EcrRepositorySpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcrRepositorySpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<EcrRepositoryLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &EcrRepositorySpec,
        _live: &EcrRepositoryLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcrRepositorySpec,
        _resolver: &Resolver,
    ) -> Result<EcrRepositoryLive, AwsError> {
        Err(AwsError::other(
            "create",
            "ecr:repository is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &EcrRepositorySpec,
        live: &EcrRepositoryLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<EcrRepositoryLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &EcrRepositoryLive) -> String {
        String::new()
    }

    fn outputs(_live: &EcrRepositoryLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &EcrRepositoryLive) -> String {
        String::new()
    }
}
