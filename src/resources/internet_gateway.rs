//! The internet gateway and its attachment to the VPC: the public subnets' way out, and the
//! way in for the load balancer. Created and attached as one resource, because an unattached
//! gateway is of no use: `create` makes it, and the attachment is the update the engine
//! makes next (also mending a gateway a killed run left unattached).

use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind,
    Kind, Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::ResourceType;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InternetGatewaySpec {
    pub vpc: Ref,
}

#[derive(Debug, Clone)]
pub struct InternetGatewayLive {
    pub internet_gateway_id: String,
    /// The VPC it is attached to, if any.
    pub attached_vpc_id: Option<String>,
    pub tags: Tags,
}

pub struct InternetGateway;

/// What DetachInternetGateway answers for a gateway that is not attached to the VPC.
const NOT_ATTACHED: &str = "Gateway.NotAttached";

async fn attach(ctx: &Ctx<'_>, gateway_id: &str, vpc_id: &str) -> Result<(), AwsError> {
    ctx.aws
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(gateway_id)
        .vpc_id(vpc_id)
        .send()
        .await
        .op("AttachInternetGateway")?;
    Ok(())
}

impl Kind for InternetGateway {
    const KIND: &'static str = "ec2:internet-gateway";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // CreateInternetGateway takes no client token.
    const CREATE: CreateSafety = CreateSafety::LookFirst;
    const OUTPUTS: &'static [&'static str] = &["internet_gateway_id"];
    type Spec = InternetGatewaySpec;
    type Live = InternetGatewayLive;

    fn refs(spec: &InternetGatewaySpec) -> Vec<Ref> {
        vec![spec.vpc.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &InternetGatewaySpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<InternetGatewayLive>, AwsError> {
        let found = ctx
            .inventory
            .find::<aws_sdk_ec2::types::InternetGateway>(ctx, who, lookup)
            .await?;
        Ok(found.map(|gateway| InternetGatewayLive {
            internet_gateway_id: gateway
                .internet_gateway_id()
                .unwrap_or_default()
                .to_string(),
            attached_vpc_id: gateway
                .attachments()
                .iter()
                .find(|attachment| {
                    matches!(
                        attachment.state().map(|state| state.as_str()),
                        Some("available" | "attached" | "attaching")
                    )
                })
                .and_then(|attachment| attachment.vpc_id().map(str::to_string)),
            tags: tags::from_ec2(gateway.tags()),
        }))
    }

    fn diff(
        spec: &InternetGatewaySpec,
        live: &InternetGatewayLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(
            &mut changes,
            "attached_vpc_id",
            live.attached_vpc_id.as_deref().unwrap_or("(none)"),
            &resolver.get(&spec.vpc),
            false,
        );
        changes
    }

    /// Creates the gateway; attaching it is the update the engine makes next.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &InternetGatewaySpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .create_internet_gateway()
            .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::InternetGateway))
            .send()
            .await
            .op("CreateInternetGateway")?;
        Ok(output
            .internet_gateway()
            .and_then(|gateway| gateway.internet_gateway_id())
            .unwrap_or_default()
            .to_string())
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &InternetGatewaySpec,
        live: &InternetGatewayLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let vpc_id = resolver.get(&spec.vpc);
        if let Some(old) = &live.attached_vpc_id {
            ctx.aws
                .ec2
                .detach_internet_gateway()
                .internet_gateway_id(&live.internet_gateway_id)
                .vpc_id(old)
                .send()
                .await
                .op("DetachInternetGateway")?;
        }
        attach(ctx, &live.internet_gateway_id, &vpc_id).await?;
        Ok(None)
    }

    fn tags(live: &InternetGatewayLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &InternetGatewayLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.internet_gateway_id, changes).await
    }

    /// Detaches it from its VPC (when attached), then deletes it. A repeat finds it detached
    /// (`Gateway.NotAttached`) or gone (NotFound): both count as done. The detach answers
    /// DependencyViolation while public addresses (elastic IPs, a load balancer's) are
    /// still mapped in the VPC.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &InternetGatewayLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        if let Some(vpc_id) = &live.attached_vpc_id {
            let detached = ctx
                .aws
                .ec2
                .detach_internet_gateway()
                .internet_gateway_id(&live.internet_gateway_id)
                .vpc_id(vpc_id)
                .send()
                .await
                .op("DetachInternetGateway");
            match detached {
                Err(err) if err.code() == Some(NOT_ATTACHED) => {}
                detached => {
                    detached.found()?;
                }
            }
        }
        ctx.aws
            .ec2
            .delete_internet_gateway()
            .internet_gateway_id(&live.internet_gateway_id)
            .send()
            .await
            .op("DeleteInternetGateway")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &InternetGatewayLive) -> String {
        live.internet_gateway_id.clone()
    }

    fn outputs(live: &InternetGatewayLive) -> Outputs {
        Outputs::from([(
            "internet_gateway_id".into(),
            live.internet_gateway_id.clone(),
        )])
    }

    fn status(live: &InternetGatewayLive) -> String {
        match &live.attached_vpc_id {
            Some(vpc) => format!("attached to {vpc}"),
            None => "detached".into(),
        }
    }
}
