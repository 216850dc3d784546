//! Subnets: per availability zone a public one (ALB, NAT gateways, and dev's tasks), a
//! private one (tasks, when there are NAT gateways) and an isolated database one (RDS and
//! ElastiCache; no route out at all).

use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind,
    Kind, Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SubnetSpec {
    pub vpc: Ref,
    pub cidr: String,
    pub availability_zone: String,
    /// Public subnets give instances launched in them a public IP.
    pub map_public_ip_on_launch: bool,
}

#[derive(Debug, Clone)]
pub struct SubnetLive {
    pub subnet_id: String,
    pub vpc_id: String,
    pub cidr: String,
    pub availability_zone: String,
    pub map_public_ip_on_launch: bool,
    pub state: String,
    pub tags: Tags,
}

pub struct Subnet;

impl Kind for Subnet {
    const KIND: &'static str = "ec2:subnet";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // Its CIDR is unique in the VPC: a repeated CreateSubnet answers InvalidSubnet.Conflict.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["subnet_id", "availability_zone", "cidr_block"];
    type Spec = SubnetSpec;
    type Live = SubnetLive;

    fn refs(spec: &SubnetSpec) -> Vec<Ref> {
        vec![spec.vpc.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &SubnetSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<SubnetLive>, AwsError> {
        let found = ctx
            .inventory
            .find::<aws_sdk_ec2::types::Subnet>(ctx, who, lookup)
            .await?;
        Ok(found.map(|subnet| SubnetLive {
            subnet_id: subnet.subnet_id().unwrap_or_default().to_string(),
            vpc_id: subnet.vpc_id().unwrap_or_default().to_string(),
            cidr: subnet.cidr_block().unwrap_or_default().to_string(),
            availability_zone: subnet.availability_zone().unwrap_or_default().to_string(),
            map_public_ip_on_launch: subnet.map_public_ip_on_launch().unwrap_or(false),
            state: subnet
                .state()
                .map(|state| state.as_str().to_string())
                .unwrap_or_default(),
            tags: tags::from_ec2(subnet.tags()),
        }))
    }

    fn diff(spec: &SubnetSpec, live: &SubnetLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(
            &mut changes,
            "vpc_id",
            &live.vpc_id,
            &resolver.get(&spec.vpc),
            true,
        );
        compare(&mut changes, "cidr_block", &live.cidr, &spec.cidr, true);
        compare(
            &mut changes,
            "availability_zone",
            &live.availability_zone,
            &spec.availability_zone,
            true,
        );
        compare(
            &mut changes,
            "map_public_ip_on_launch",
            &live.map_public_ip_on_launch.to_string(),
            &spec.map_public_ip_on_launch.to_string(),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &SubnetSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .create_subnet()
            .vpc_id(resolver.get(&spec.vpc))
            .cidr_block(&spec.cidr)
            .availability_zone(&spec.availability_zone)
            .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::Subnet))
            .send()
            .await
            .op("CreateSubnet")?;
        Ok(output
            .subnet()
            .and_then(|subnet| subnet.subnet_id())
            .unwrap_or_default()
            .to_string())
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &SubnetSpec,
        live: &SubnetLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        if changes
            .iter()
            .any(|change| change.field == "map_public_ip_on_launch")
        {
            set_map_public_ip(ctx, &live.subnet_id, spec.map_public_ip_on_launch).await?;
        }
        Ok(None)
    }

    fn tags(live: &SubnetLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &SubnetLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.subnet_id, changes).await
    }

    /// AWS answers DependencyViolation while network interfaces (a load balancer's, a NAT
    /// gateway's, a task's) are left in it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &SubnetLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // InvalidSubnetID.NotFound: already gone.
        ctx.aws
            .ec2
            .delete_subnet()
            .subnet_id(&live.subnet_id)
            .send()
            .await
            .op("DeleteSubnet")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &SubnetLive) -> String {
        live.subnet_id.clone()
    }

    fn outputs(live: &SubnetLive) -> Outputs {
        Outputs::from([
            ("subnet_id".into(), live.subnet_id.clone()),
            ("availability_zone".into(), live.availability_zone.clone()),
            ("cidr_block".into(), live.cidr.clone()),
        ])
    }

    fn status(live: &SubnetLive) -> String {
        live.state.clone()
    }
}

async fn set_map_public_ip(ctx: &Ctx<'_>, subnet_id: &str, on: bool) -> Result<(), AwsError> {
    ctx.aws
        .ec2
        .modify_subnet_attribute()
        .subnet_id(subnet_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .op("ModifySubnetAttribute")?;
    Ok(())
}
