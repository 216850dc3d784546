//! NAT gateways: the private subnets' way out (image pulls, AWS APIs, third-party APIs).
//! Each sits in a public subnet of its own AZ with its own elastic IP. Creation passes a
//! client token derived from the environment, the logical id and the state lineage, so a
//! create retried after a crash returns the same gateway instead of making a second one.

use super::{
    compare, ec2_tag_spec, inventory, wait_until, Ctx, FieldChange, Identity, Kind, Outputs, Ref,
    Resolver,
};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ec2::types::ResourceType;

#[derive(Debug, Clone)]
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
}

pub struct NatGateway;

/// A deterministic idempotency token (≤ 64 ASCII characters) for one NAT gateway request.
fn client_token(ctx: &Ctx<'_>, who: &Identity, subnet_id: &str, allocation_id: &str) -> String {
    let digest = super::stable_hash(&[
        ctx.stack,
        ctx.env,
        who.id.as_str(),
        subnet_id,
        allocation_id,
        ctx.lineage,
    ]);
    format!(
        "macroctl-{}-{digest:016x}",
        ctx.env.chars().take(20).collect::<String>()
    )
}

async fn describe(ctx: &Ctx<'_>, nat_gateway_id: &str) -> Result<NatGatewayLive, AwsError> {
    let output = ctx
        .aws
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(nat_gateway_id)
        .send()
        .await
        .op("DescribeNatGateways")?;
    let nat = output.nat_gateways().first().ok_or_else(|| {
        AwsError::other("DescribeNatGateways", format!("{nat_gateway_id} not found"))
    })?;
    Ok(live_of(nat))
}

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
    }
}

/// Waits for `available`; a gateway that turns `failed` is an error with AWS's reason.
async fn wait_available(
    ctx: &Ctx<'_>,
    who: &Identity,
    live: NatGatewayLive,
) -> Result<NatGatewayLive, AwsError> {
    if live.state == "available" {
        return Ok(live);
    }
    let id = live.nat_gateway_id.clone();
    wait_until(
        ctx,
        who,
        NatGateway::KIND,
        &format!("NAT gateway {id} to become available"),
        "DescribeNatGateways",
        || async {
            let current = describe(ctx, &id).await?;
            match current.state.as_str() {
                "available" => Ok(Ok(current)),
                "failed" | "deleted" | "deleting" => Err(AwsError::other(
                    "CreateNatGateway",
                    format!("NAT gateway {id} is {} instead of available", current.state),
                )),
                other => Ok(Err(other.to_string())),
            }
        },
    )
    .await
}

impl Kind for NatGateway {
    const KIND: &'static str = "ec2:nat-gateway";
    type Spec = NatGatewaySpec;
    type Live = NatGatewayLive;

    fn refs(spec: &NatGatewaySpec) -> Vec<Ref> {
        vec![spec.subnet.clone(), spec.elastic_ip.clone()]
    }

    async fn find(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &NatGatewaySpec,
        recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<NatGatewayLive>, AwsError> {
        let gateways = ctx.inventory.nat_gateways().await?;
        let found = inventory::pick(
            gateways,
            who.id.as_str(),
            recorded,
            |nat| nat.nat_gateway_id(),
            |nat| nat.tags(),
            "DescribeNatGateways",
        )?;
        Ok(found.map(live_of))
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
    ) -> Result<NatGatewayLive, AwsError> {
        let subnet_id = resolver.get(&spec.subnet);
        let allocation_id = resolver.get(&spec.elastic_ip);
        let output = ctx
            .aws
            .ec2
            .create_nat_gateway()
            .subnet_id(&subnet_id)
            .allocation_id(&allocation_id)
            .client_token(client_token(ctx, who, &subnet_id, &allocation_id))
            .tag_specifications(ec2_tag_spec(who, ResourceType::Natgateway))
            .send()
            .await
            .op("CreateNatGateway")?;
        let live = output
            .nat_gateway()
            .map(live_of)
            .ok_or_else(|| AwsError::other("CreateNatGateway", "AWS returned no NAT gateway"))?;
        wait_available(ctx, who, live).await
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &NatGatewaySpec,
        live: &NatGatewayLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<NatGatewayLive, AwsError> {
        Ok(live.clone())
    }

    async fn settle(
        ctx: &Ctx<'_>,
        who: &Identity,
        live: NatGatewayLive,
    ) -> Result<NatGatewayLive, AwsError> {
        wait_available(ctx, who, live).await
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
