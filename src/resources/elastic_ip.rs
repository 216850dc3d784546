//! Elastic IPs: the fixed public address of each NAT gateway (allow-listed by third parties,
//! so it outlives NAT gateway replacements).

use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::{DomainType, ResourceType};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ElasticIpSpec;

#[derive(Debug, Clone)]
pub struct ElasticIpLive {
    pub allocation_id: String,
    pub public_ip: String,
    pub association_id: Option<String>,
    pub tags: Tags,
}

pub struct ElasticIp;

impl Kind for ElasticIp {
    const KIND: &'static str = "ec2:elastic-ip";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // AllocateAddress takes no client token: a blind repeat would allocate a second address.
    const CREATE: CreateSafety = CreateSafety::LookFirst;
    const OUTPUTS: &'static [&'static str] = &["allocation_id", "public_ip"];
    type Spec = ElasticIpSpec;
    type Live = ElasticIpLive;

    fn refs(_spec: &ElasticIpSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        _spec: &ElasticIpSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<ElasticIpLive>, AwsError> {
        let found = ctx
            .inventory
            .find::<aws_sdk_ec2::types::Address>(ctx, who, lookup)
            .await?;
        Ok(found.map(|address| ElasticIpLive {
            allocation_id: address.allocation_id().unwrap_or_default().to_string(),
            public_ip: address.public_ip().unwrap_or_default().to_string(),
            association_id: address.association_id().map(str::to_string),
            tags: tags::from_ec2(address.tags()),
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
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tags::ec2_spec(&who.tags, ResourceType::ElasticIp))
            .send()
            .await
            .op("AllocateAddress")?;
        Ok(output.allocation_id().unwrap_or_default().to_string())
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ElasticIpSpec,
        _live: &ElasticIpLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        Ok(None)
    }

    fn tags(live: &ElasticIpLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &ElasticIpLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ec2(&ctx.aws.ec2, &live.allocation_id, changes).await
    }

    /// Releases the address by its allocation id. While its NAT gateway is still being
    /// deleted AWS refuses (the address is still in use), and the engine asks again.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &ElasticIpLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // InvalidAllocationID.NotFound: already released.
        ctx.aws
            .ec2
            .release_address()
            .allocation_id(&live.allocation_id)
            .send()
            .await
            .op("ReleaseAddress")
            .found()?;
        Ok(Deleted::Requested)
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
