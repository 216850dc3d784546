//! NAT gateways: the private subnets' way out (image pulls, AWS APIs, third-party APIs).
//! Each sits in a public subnet of its own AZ with its own elastic IP. Creation passes the
//! client token of the create's intent (kept in state), so a create repeated after a lost
//! response or a crash returns the same gateway instead of making a second one.

use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity,
    IdentityKind, Kind, Lookup, Outputs, Readiness, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::ResourceType;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NatGatewaySpec {
    pub subnet: Ref,
    pub elastic_ip: Ref,
}

#[derive(Debug, Clone)]
pub struct NatGatewayLive {
    pub nat_gateway_id: String,
    pub subnet_id: String,
    pub allocation_id: String,
    pub state: String,
    /// Why AWS failed it, when it did.
    pub failure: Option<String>,
    pub tags: Tags,
}

pub struct NatGateway;

fn live_of(nat: &aws_sdk_ec2::types::NatGateway) -> NatGatewayLive {
    NatGatewayLive {
        nat_gateway_id: nat.nat_gateway_id().unwrap_or_default().to_string(),
        subnet_id: nat.subnet_id().unwrap_or_default().to_string(),
        allocation_id: nat
            .nat_gateway_addresses()
            .first()
            .and_then(|address| address.allocation_id())
            .unwrap_or_default()
            .to_string(),
        state: nat
            .state()
            .map(|state| state.as_str().to_string())
            .unwrap_or_default(),
        failure: nat.failure_message().map(str::to_string),
        tags: tags::from_ec2(nat.tags()),
    }
}

/// How far a gateway's deletion has got: `deleted` ones stay listed for about an hour, as
/// history. (The inventory's reads already leave out gateways `deleting` and `deleted`.)
fn deletion_of(state: &str) -> Deletion {
    match state {
        "deleting" => Deletion::Deleting(state.to_string()),
        "deleted" => Deletion::Gone,
        _ => Deletion::Present,
    }
}

impl Kind for NatGateway {
    const KIND: &'static str = "ec2:nat-gateway";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // CreateNatGateway takes the intent's client token: a repeat returns the same gateway.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["nat_gateway_id"];
    type Spec = NatGatewaySpec;
    type Live = NatGatewayLive;

    fn refs(spec: &NatGatewaySpec) -> Vec<Ref> {
        vec![spec.subnet.clone(), spec.elastic_ip.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &NatGatewaySpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<NatGatewayLive>, AwsError> {
        let found = ctx
            .inventory
            .find::<aws_sdk_ec2::types::NatGateway>(ctx, who, lookup)
            .await?;
        Ok(found.as_ref().map(live_of))
    }

    fn diff(spec: &NatGatewaySpec, live: &NatGatewayLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(
            &mut changes,
            "subnet_id",
            &live.subnet_id,
            &resolver.get(&spec.subnet),
            true,
        );
        compare(
            &mut changes,
            "allocation_id",
            &live.allocation_id,
            &resolver.get(&spec.elastic_ip),
            true,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &NatGatewaySpec,
        resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .create_nat_gateway()
            .subnet_id(resolver.get(&spec.subnet))
            .allocation_id(resolver.get(&spec.elastic_ip))
            .client_token(token)
            .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::Natgateway))
            .send()
            .await
            .op("CreateNatGateway")?;
        output
            .nat_gateway()
            .and_then(|nat| nat.nat_gateway_id())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateNatGateway", "AWS returned no NAT gateway"))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &NatGatewaySpec,
        _live: &NatGatewayLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        Ok(None)
    }

    /// A gateway is usable once `available` (1–2 minutes on AWS); `failed` is final.
    fn readiness(live: &NatGatewayLive) -> Readiness {
        match live.state.as_str() {
            "available" => Readiness::Ready,
            "failed" | "deleted" | "deleting" => Readiness::Failed(format!(
                "NAT gateway {} is {}{}",
                live.nat_gateway_id,
                live.state,
                live.failure
                    .as_deref()
                    .map(|why| format!(": {why}"))
                    .unwrap_or_default()
            )),
            other => Readiness::Pending(format!("NAT gateway {} {other}", live.nat_gateway_id)),
        }
    }

    fn tags(live: &NatGatewayLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &NatGatewayLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.nat_gateway_id, changes).await
    }

    /// DeleteNatGateway answers at once; the gateway is `deleting` for about a minute, and
    /// its elastic IP and network interface are freed once it is `deleted`.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &NatGatewayLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // NatGatewayNotFound: already gone.
        ctx.aws
            .ec2
            .delete_nat_gateway()
            .nat_gateway_id(&live.nat_gateway_id)
            .send()
            .await
            .op("DeleteNatGateway")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn deletion(live: &NatGatewayLive) -> Deletion {
        deletion_of(&live.state)
    }

    fn physical_id(live: &NatGatewayLive) -> String {
        live.nat_gateway_id.clone()
    }

    fn outputs(live: &NatGatewayLive) -> Outputs {
        Outputs::from([("nat_gateway_id".into(), live.nat_gateway_id.clone())])
    }

    fn status(live: &NatGatewayLive) -> String {
        live.state.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletion_by_state() {
        assert_eq!(deletion_of("available"), Deletion::Present);
        assert_eq!(deletion_of("pending"), Deletion::Present);
        assert_eq!(
            deletion_of("deleting"),
            Deletion::Deleting("deleting".into())
        );
        assert_eq!(deletion_of("deleted"), Deletion::Gone);
    }
}
