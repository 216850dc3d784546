//! The application load balancer. (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct LoadBalancerSpec {}

#[derive(Debug, Clone)]
pub struct LoadBalancerLive {}

pub struct LoadBalancer;

impl Kind for LoadBalancer {
    const KIND: &'static str = "elbv2:load-balancer";
    type Spec = LoadBalancerSpec;
    type Live = LoadBalancerLive;

    fn refs(_spec: &LoadBalancerSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &LoadBalancerSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<LoadBalancerLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &LoadBalancerSpec,
        _live: &LoadBalancerLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &LoadBalancerSpec,
        _resolver: &Resolver,
    ) -> Result<LoadBalancerLive, AwsError> {
        Err(AwsError::other(
            "create",
            "elbv2:load-balancer is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &LoadBalancerSpec,
        live: &LoadBalancerLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<LoadBalancerLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &LoadBalancerLive) -> String {
        String::new()
    }

    fn outputs(_live: &LoadBalancerLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &LoadBalancerLive) -> String {
        String::new()
    }
}
