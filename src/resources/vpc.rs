//! The VPC: the network everything else lives in, with DNS support and DNS hostnames on
//! (RDS and ElastiCache endpoints and ECS service discovery resolve through them).

use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind,
    Kind, Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    pub tags: Tags,
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
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // CreateVpc takes no client token and nothing in it is unique.
    const CREATE: CreateSafety = CreateSafety::LookFirst;
    const OUTPUTS: &'static [&'static str] = &["vpc_id", "cidr_block"];
    type Spec = VpcSpec;
    type Live = VpcLive;

    fn refs(_spec: &VpcSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &VpcSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<VpcLive>, AwsError> {
        let attributes = |vpc_id: String| async move {
            futures::try_join!(
                read_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsSupport),
                read_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsHostnames),
            )
        };
        let find = ctx
            .inventory
            .find::<aws_sdk_ec2::types::Vpc>(ctx, who, lookup);
        // A recorded id: the attributes are read beside the listing (one round trip, not
        // two); what they answer counts only if the VPC is there.
        let (vpc, (dns_support, dns_hostnames)) = match lookup {
            Lookup::Id(id) => {
                let (vpc, read) = futures::join!(find, attributes(id.to_string()));
                let Some(vpc) = vpc? else {
                    return Ok(None);
                };
                (vpc, read?)
            }
            Lookup::Identity => {
                let Some(vpc) = find.await? else {
                    return Ok(None);
                };
                let read = attributes(vpc.vpc_id().unwrap_or_default().to_string()).await?;
                (vpc, read)
            }
        };
        let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
        Ok(Some(VpcLive {
            cidr: vpc.cidr_block().unwrap_or_default().to_string(),
            state: vpc
                .state()
                .map(|state| state.as_str().to_string())
                .unwrap_or_default(),
            vpc_id,
            dns_support,
            dns_hostnames,
            tags: tags::from_ec2(vpc.tags()),
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
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .create_vpc()
            .cidr_block(&spec.cidr)
            .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::Vpc))
            .send()
            .await
            .op("CreateVpc")?;
        Ok(output
            .vpc()
            .and_then(|vpc| vpc.vpc_id())
            .unwrap_or_default()
            .to_string())
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &VpcSpec,
        live: &VpcLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        for change in changes {
            match change.field.as_str() {
                "enable_dns_support" => {
                    set_attribute(ctx, &live.vpc_id, VpcAttributeName::EnableDnsSupport).await?
                }
                "enable_dns_hostnames" => {
                    set_attribute(ctx, &live.vpc_id, VpcAttributeName::EnableDnsHostnames).await?
                }
                _ => {}
            }
        }
        Ok(None)
    }

    fn tags(live: &VpcLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(ctx: &Ctx<'_>, live: &VpcLive, changes: &TagChanges) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.vpc_id, changes).await
    }

    /// Its main route table and default security group go with it; AWS answers
    /// DependencyViolation while anything else is left in it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &VpcLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // InvalidVpcID.NotFound: already gone.
        ctx.aws
            .ec2
            .delete_vpc()
            .vpc_id(&live.vpc_id)
            .send()
            .await
            .op("DeleteVpc")
            .found()?;
        Ok(Deleted::Requested)
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
