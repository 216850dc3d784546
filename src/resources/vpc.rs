//! The VPC: the network everything else lives in, with DNS support and DNS hostnames on
//! (RDS and ElastiCache endpoints and ECS service discovery resolve through them).

use super::{
    compare, ec2_tag_spec, inventory, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver,
};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};

#[derive(Debug, Clone)]
pub struct VpcSpec {
    pub cidr: String,
}

#[derive(Debug, Clone)]
pub struct VpcLive {
    pub vpc_id: String,
    pub cidr: String,
    pub state: String,
    pub dns_support: bool,
    pub dns_hostnames: bool,
}

pub struct Vpc;

async fn read_attribute(
    ctx: &Ctx<'_>,
    vpc_id: &str,
    attribute: VpcAttributeName,
) -> Result<bool, AwsError> {
    let output = ctx
        .aws
        .ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(attribute.clone())
        .send()
        .await
        .op("DescribeVpcAttribute")?;
    let value = match attribute {
        VpcAttributeName::EnableDnsHostnames => output.enable_dns_hostnames,
        _ => output.enable_dns_support,
    };
    Ok(value.and_then(|value| value.value).unwrap_or(false))
}

async fn set_attribute(
    ctx: &Ctx<'_>,
    vpc_id: &str,
    attribute: VpcAttributeName,
) -> Result<(), AwsError> {
    let on = AttributeBooleanValue::builder().value(true).build();
    let request = ctx.aws.ec2.modify_vpc_attribute().vpc_id(vpc_id);
    let request = match attribute {
        VpcAttributeName::EnableDnsHostnames => request.enable_dns_hostnames(on),
        _ => request.enable_dns_support(on),
    };
    request.send().await.op("ModifyVpcAttribute")?;
    Ok(())
}

impl Kind for Vpc {
    const KIND: &'static str = "ec2:vpc";
    type Spec = VpcSpec;
    type Live = VpcLive;

    fn refs(_spec: &VpcSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &VpcSpec,
        recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<VpcLive>, AwsError> {
        let vpcs = ctx.inventory.vpcs().await?;
        let Some(vpc) = inventory::pick(
            vpcs,
            who.id.as_str(),
            recorded,
            |vpc| vpc.vpc_id(),
            |vpc| vpc.tags(),
            "DescribeVpcs",
        )?
        else {
            return Ok(None);
        };
        let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
        let dns_support = read_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsSupport).await?;
        let dns_hostnames =
            read_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsHostnames).await?;
        Ok(Some(VpcLive {
            cidr: vpc.cidr_block().unwrap_or_default().to_string(),
            state: vpc
                .state()
                .map(|state| state.as_str().to_string())
                .unwrap_or_default(),
            vpc_id,
            dns_support,
            dns_hostnames,
        }))
    }

    fn diff(spec: &VpcSpec, live: &VpcLive, _resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(&mut changes, "cidr_block", &live.cidr, &spec.cidr, true);
        compare(
            &mut changes,
            "enable_dns_support",
            &live.dns_support.to_string(),
            "true",
            false,
        );
        compare(
            &mut changes,
            "enable_dns_hostnames",
            &live.dns_hostnames.to_string(),
            "true",
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &VpcSpec,
        _resolver: &Resolver,
    ) -> Result<VpcLive, AwsError> {
        let output = ctx
            .aws
            .ec2
            .create_vpc()
            .cidr_block(&spec.cidr)
            .tag_specifications(ec2_tag_spec(who, ResourceType::Vpc))
            .send()
            .await
            .op("CreateVpc")?;
        let vpc_id = output
            .vpc()
            .and_then(|vpc| vpc.vpc_id())
            .unwrap_or_default()
            .to_string();
        set_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsSupport).await?;
        set_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsHostnames).await?;
        Ok(VpcLive {
            vpc_id,
            cidr: spec.cidr.clone(),
            state: "available".into(),
            dns_support: true,
            dns_hostnames: true,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &VpcSpec,
        live: &VpcLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<VpcLive, AwsError> {
        let mut live = live.clone();
        for change in changes {
            match change.field.as_str() {
                "enable_dns_support" => {
                    set_attribute(ctx, &live.vpc_id, VpcAttributeName::EnableDnsSupport).await?;
                    live.dns_support = true;
                }
                "enable_dns_hostnames" => {
                    set_attribute(ctx, &live.vpc_id, VpcAttributeName::EnableDnsHostnames).await?;
                    live.dns_hostnames = true;
                }
                _ => {}
            }
        }
        Ok(live)
    }

    fn physical_id(live: &VpcLive) -> String {
        live.vpc_id.clone()
    }

    fn outputs(live: &VpcLive) -> Outputs {
        Outputs::from([
            ("vpc_id".into(), live.vpc_id.clone()),
            ("cidr_block".into(), live.cidr.clone()),
        ])
    }

    fn status(live: &VpcLive) -> String {
        live.state.clone()
    }
}
