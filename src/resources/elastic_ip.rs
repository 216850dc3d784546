//! Elastic IPs: the fixed public address of each NAT gateway (allow-listed by third parties,
//! so it outlives NAT gateway replacements).

use super::{ec2_tag_spec, inventory, Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ec2::types::{DomainType, ResourceType};

#[derive(Debug, Clone)]
pub struct ElasticIpSpec;

#[derive(Debug, Clone)]
pub struct ElasticIpLive {
    pub allocation_id: String,
    pub public_ip: String,
    pub association_id: Option<String>,
}

pub struct ElasticIp;

impl Kind for ElasticIp {
    const KIND: &'static str = "ec2:elastic-ip";
    type Spec = ElasticIpSpec;
    type Live = ElasticIpLive;

    fn refs(_spec: &ElasticIpSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &ElasticIpSpec,
        recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<ElasticIpLive>, AwsError> {
        let addresses = ctx.inventory.addresses().await?;
        let found = inventory::pick(
            addresses,
            who.id.as_str(),
            recorded,
            |address| address.allocation_id(),
            |address| address.tags(),
            "DescribeAddresses",
        )?;
        Ok(found.map(|address| ElasticIpLive {
            allocation_id: address.allocation_id().unwrap_or_default().to_string(),
            public_ip: address.public_ip().unwrap_or_default().to_string(),
            association_id: address.association_id().map(str::to_string),
        }))
    }

    fn diff(
        _spec: &ElasticIpSpec,
        _live: &ElasticIpLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &ElasticIpSpec,
        _resolver: &Resolver,
    ) -> Result<ElasticIpLive, AwsError> {
        let output = ctx
            .aws
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(ec2_tag_spec(who, ResourceType::ElasticIp))
            .send()
            .await
            .op("AllocateAddress")?;
        Ok(ElasticIpLive {
            allocation_id: output.allocation_id().unwrap_or_default().to_string(),
            public_ip: output.public_ip().unwrap_or_default().to_string(),
            association_id: None,
        })
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ElasticIpSpec,
        live: &ElasticIpLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<ElasticIpLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(live: &ElasticIpLive) -> String {
        live.allocation_id.clone()
    }

    fn outputs(live: &ElasticIpLive) -> Outputs {
        Outputs::from([
            ("allocation_id".into(), live.allocation_id.clone()),
            ("public_ip".into(), live.public_ip.clone()),
        ])
    }

    fn status(live: &ElasticIpLive) -> String {
        match &live.association_id {
            Some(_) => format!("{} (associated)", live.public_ip),
            None => format!("{} (unassociated)", live.public_ip),
        }
    }
}
