//! EC2 reads: batched while planning, direct when only a fresh answer will do.
//!
//! Reading resources one by one makes a no-op run's cost grow with every resource (a common
//! complaint about other tools). So while planning, the first resource of a kind to be read
//! lists *all* resources of that kind tagged with this stack and environment, in one paginated
//! call, and the rest are served from that list: a converged network layer is read in about
//! ten calls, however many subnets and rules it has.
//!
//! A listing is a snapshot, and EC2 is eventually consistent: right after a create, or when
//! looking for what a lost response may have made, the engine asks for a direct read
//! (`ctx.cached == false`): by id, or filtered by the resource's own `macroctl:id` tag.
//!
//! Other services get the same through [`Listing`]: a kind module declares how to list all of
//! this environment's resources of its kind in one call (or one paginated listing), and
//! [`Inventory::listed`] makes that call once per run, whichever resource asks first. The tags
//! of most kinds come from one Resource Groups Tagging API `GetResources` over everything
//! tagged for the environment ([`Inventory::tags_of`]), which also tells what is tagged for
//! the environment but no longer declared.

use super::{Ctx, Identity, Lookup, Tags, TAG_ENV, TAG_ID, TAG_STACK};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ec2::types::{
    Address, Filter, InternetGateway, NatGateway, RouteTable, SecurityGroup, SecurityGroupRule,
    Subnet, Tag, Vpc,
};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

pub struct Inventory {
    ec2: aws_sdk_ec2::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    stack: String,
    env: String,
    /// One cell per [`Listing`] type, made on first use.
    listings: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    /// ARN → tags of everything tagged with this stack and environment (GetResources).
    tagged: OnceCell<HashMap<String, Tags>>,
    vpcs: OnceCell<Vec<Vpc>>,
    subnets: OnceCell<Vec<Subnet>>,
    internet_gateways: OnceCell<Vec<InternetGateway>>,
    addresses: OnceCell<Vec<Address>>,
    nat_gateways: OnceCell<Vec<NatGateway>>,
    route_tables: OnceCell<Vec<RouteTable>>,
    security_groups: OnceCell<Vec<SecurityGroup>>,
}

/// The value of tag `key`, if present.
pub fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(|tag| tag.value())
}

/// An EC2 resource type macroctl finds by its tags.
#[allow(async_fn_in_trait)]
pub trait Ec2Item: Sized + Clone + 'static {
    /// The Describe operation, for error messages.
    const OPERATION: &'static str;
    fn id(&self) -> Option<&str>;
    fn tags(&self) -> &[Tag];
    /// Whether it still exists (a NAT gateway `deleting`, `deleted` or `failed` is history).
    fn exists(&self) -> bool {
        true
    }
    /// The run's listing of this type.
    fn cell(inventory: &Inventory) -> &OnceCell<Vec<Self>>;
    /// One (paginated) Describe: by `ids` when given, with `filters`. Unknown ids are an empty
    /// answer, not an error.
    async fn describe(
        ec2: &aws_sdk_ec2::Client,
        ids: Option<Vec<String>>,
        filters: Vec<Filter>,
    ) -> Result<Vec<Self>, AwsError>;
}

/// Implements [`Ec2Item`] for one SDK type whose Describe has a paginator.
macro_rules! ec2_item {
    ($type:ty, $cell:ident, $describe:ident, $set_ids:ident, $set_filters:ident, $items:ident, $id:ident, $operation:literal) => {
        impl Ec2Item for $type {
            const OPERATION: &'static str = $operation;
            fn id(&self) -> Option<&str> {
                self.$id()
            }
            fn tags(&self) -> &[Tag] {
                self.tags()
            }
            fn cell(inventory: &Inventory) -> &OnceCell<Vec<Self>> {
                &inventory.$cell
            }
            async fn describe(
                ec2: &aws_sdk_ec2::Client,
                ids: Option<Vec<String>>,
                filters: Vec<Filter>,
            ) -> Result<Vec<Self>, AwsError> {
                let mut all = Vec::new();
                let mut pages = ec2
                    .$describe()
                    .$set_ids(ids)
                    .$set_filters(Some(filters))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    match page.op($operation).found()? {
                        Some(page) => all.extend(page.$items.unwrap_or_default()),
                        None => break,
                    }
                }
                Ok(all.into_iter().filter(Ec2Item::exists).collect())
            }
        }
    };
}

ec2_item!(
    Vpc,
    vpcs,
    describe_vpcs,
    set_vpc_ids,
    set_filters,
    vpcs,
    vpc_id,
    "DescribeVpcs"
);
ec2_item!(
    Subnet,
    subnets,
    describe_subnets,
    set_subnet_ids,
    set_filters,
    subnets,
    subnet_id,
    "DescribeSubnets"
);
ec2_item!(
    InternetGateway,
    internet_gateways,
    describe_internet_gateways,
    set_internet_gateway_ids,
    set_filters,
    internet_gateways,
    internet_gateway_id,
    "DescribeInternetGateways"
);
ec2_item!(
    RouteTable,
    route_tables,
    describe_route_tables,
    set_route_table_ids,
    set_filters,
    route_tables,
    route_table_id,
    "DescribeRouteTables"
);
ec2_item!(
    SecurityGroup,
    security_groups,
    describe_security_groups,
    set_group_ids,
    set_filters,
    security_groups,
    group_id,
    "DescribeSecurityGroups"
);

impl Ec2Item for NatGateway {
    const OPERATION: &'static str = "DescribeNatGateways";
    fn id(&self) -> Option<&str> {
        self.nat_gateway_id()
    }
    fn tags(&self) -> &[Tag] {
        self.tags()
    }
    fn exists(&self) -> bool {
        matches!(
            self.state().map(|state| state.as_str()),
            Some("pending" | "available")
        )
    }
    fn cell(inventory: &Inventory) -> &OnceCell<Vec<Self>> {
        &inventory.nat_gateways
    }
    async fn describe(
        ec2: &aws_sdk_ec2::Client,
        ids: Option<Vec<String>>,
        filters: Vec<Filter>,
    ) -> Result<Vec<Self>, AwsError> {
        let mut all = Vec::new();
        let mut pages = ec2
            .describe_nat_gateways()
            .set_nat_gateway_ids(ids)
            .set_filter(Some(filters))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page.op(Self::OPERATION).found()? {
                Some(page) => all.extend(page.nat_gateways.unwrap_or_default()),
                None => break,
            }
        }
        Ok(all.into_iter().filter(Ec2Item::exists).collect())
    }
}

impl Ec2Item for Address {
    const OPERATION: &'static str = "DescribeAddresses";
    fn id(&self) -> Option<&str> {
        self.allocation_id()
    }
    fn tags(&self) -> &[Tag] {
        self.tags()
    }
    fn cell(inventory: &Inventory) -> &OnceCell<Vec<Self>> {
        &inventory.addresses
    }
    async fn describe(
        ec2: &aws_sdk_ec2::Client,
        ids: Option<Vec<String>>,
        filters: Vec<Filter>,
    ) -> Result<Vec<Self>, AwsError> {
        Ok(ec2
            .describe_addresses()
            .set_allocation_ids(ids)
            .set_filters(Some(filters))
            .send()
            .await
            .op(Self::OPERATION)
            .found()?
            .and_then(|output| output.addresses)
            .unwrap_or_default())
    }
}

fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}

/// All of this environment's resources of one kind, listed in one call (or one paginated
/// listing) per run. A kind module implements it for a marker type of its own; the items are
/// whatever the API answers (e.g. `aws_sdk_cloudwatch::types::MetricAlarm`).
#[allow(async_fn_in_trait)]
pub trait Listing: 'static {
    type Item: Clone + Send + Sync + 'static;
    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Self::Item>, AwsError>;
}

type ListingCell<L> = OnceCell<Arc<Vec<<L as Listing>::Item>>>;

impl Inventory {
    pub fn new(
        ec2: aws_sdk_ec2::Client,
        tagging: aws_sdk_resourcegroupstagging::Client,
        stack: &str,
        env: &str,
    ) -> Self {
        Self {
            ec2,
            tagging,
            stack: stack.to_string(),
            env: env.to_string(),
            listings: Mutex::new(HashMap::new()),
            tagged: OnceCell::new(),
            vpcs: OnceCell::new(),
            subnets: OnceCell::new(),
            internet_gateways: OnceCell::new(),
            addresses: OnceCell::new(),
            nat_gateways: OnceCell::new(),
            route_tables: OnceCell::new(),
            security_groups: OnceCell::new(),
        }
    }

    /// The run's listing `L`: listed by the first caller, shared by every later one.
    pub async fn listed<L: Listing>(&self, ctx: &Ctx<'_>) -> Result<Arc<Vec<L::Item>>, AwsError> {
        let cell: Arc<ListingCell<L>> = {
            let mut listings = self.listings.lock().unwrap_or_else(|e| e.into_inner());
            let any = listings
                .entry(TypeId::of::<L>())
                .or_insert_with(|| Arc::new(ListingCell::<L>::new()))
                .clone();
            any.downcast()
                .unwrap_or_else(|_| unreachable!("one cell type per listing type"))
        };
        cell.get_or_try_init(|| async { L::list(ctx).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Everything tagged with this stack and environment, by ARN, in one paginated
    /// `GetResources`.
    pub async fn tagged(&self) -> Result<&HashMap<String, Tags>, AwsError> {
        self.tagged
            .get_or_try_init(|| async {
                let filter = |key: &str, value: &str| {
                    aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                        .key(key)
                        .values(value)
                        .build()
                };
                let mut pages = self
                    .tagging
                    .get_resources()
                    .tag_filters(filter(TAG_STACK, &self.stack))
                    .tag_filters(filter(TAG_ENV, &self.env))
                    .resources_per_page(100)
                    .into_paginator()
                    .send();
                let mut all = HashMap::new();
                while let Some(page) = pages.next().await {
                    for mapping in page.op("GetResources")?.resource_tag_mapping_list() {
                        let Some(arn) = mapping.resource_arn() else {
                            continue;
                        };
                        let tags = mapping
                            .tags()
                            .iter()
                            .map(|tag| (tag.key().to_string(), tag.value().to_string()))
                            .collect();
                        all.insert(arn.to_string(), tags);
                    }
                }
                Ok(all)
            })
            .await
    }

    /// The tags of the resource `arn` while planning, from the environment's `GetResources`;
    /// `None` when it is not there (not tagged for this environment, or of a kind the tagging
    /// API does not see), and whenever `ctx` wants a direct read: the kind then reads the
    /// tags itself.
    pub async fn tags_of(&self, ctx: &Ctx<'_>, arn: &str) -> Result<Option<Tags>, AwsError> {
        if !ctx.cached {
            return Ok(None);
        }
        Ok(self.tagged().await?.get(arn).cloned())
    }

    /// Whether tags mark a resource as this stack's and environment's. (Checked here too:
    /// moto ignores tag filters on some Describe calls, DescribeNatGateways among them.)
    fn owns(&self, tags: &[Tag]) -> bool {
        tag_value(tags, TAG_STACK) == Some(self.stack.as_str())
            && tag_value(tags, TAG_ENV) == Some(self.env.as_str())
    }

    fn owned_filters(&self) -> Vec<Filter> {
        vec![
            tag_filter(TAG_STACK, &self.stack),
            tag_filter(TAG_ENV, &self.env),
        ]
    }

    /// Every resource of type `T` tagged with this stack and environment: one listing per run.
    pub async fn all<T: Ec2Item>(&self) -> Result<&[T], AwsError> {
        T::cell(self)
            .get_or_try_init(|| async {
                let all = T::describe(&self.ec2, None, self.owned_filters()).await?;
                Ok(all
                    .into_iter()
                    .filter(|item| self.owns(item.tags()))
                    .collect())
            })
            .await
            .map(Vec::as_slice)
    }

    /// The one resource of type `T` that `lookup` names. By id: from the listing while
    /// planning, else (or when the listing lacks it) a direct Describe by id. By identity: the
    /// resource tagged `macroctl:id=<logical id>` with this stack and env, from the listing or
    /// a direct Describe filtered by those tags. Two such resources is an error to resolve by
    /// hand, never something to guess about.
    pub async fn find<T: Ec2Item>(
        &self,
        ctx: &Ctx<'_>,
        who: &Identity,
        lookup: Lookup<'_>,
    ) -> Result<Option<T>, AwsError> {
        match lookup {
            Lookup::Id(id) => {
                if ctx.cached {
                    let listed = self.all::<T>().await?;
                    if let Some(item) = listed.iter().find(|item| item.id() == Some(id)) {
                        return Ok(Some(item.clone()));
                    }
                }
                let found = T::describe(&self.ec2, Some(vec![id.to_string()]), Vec::new()).await?;
                Ok(found.into_iter().find(|item| item.id() == Some(id)))
            }
            Lookup::Identity => {
                let mine = |item: &&T| {
                    self.owns(item.tags())
                        && tag_value(item.tags(), TAG_ID) == Some(who.id.as_str())
                };
                let candidates: Vec<T> = if ctx.cached {
                    self.all::<T>()
                        .await?
                        .iter()
                        .filter(mine)
                        .cloned()
                        .collect()
                } else {
                    let mut filters = self.owned_filters();
                    filters.push(tag_filter(TAG_ID, who.id.as_str()));
                    let found = T::describe(&self.ec2, None, filters).await?;
                    found.iter().filter(mine).cloned().collect()
                };
                match candidates.as_slice() {
                    [] => Ok(None),
                    [one] => Ok(Some(one.clone())),
                    many => Err(AwsError::other(
                        T::OPERATION,
                        format!(
                            "{} resources are tagged {TAG_ID}={}: {}; delete the extra ones (or remove their tags) and run again",
                            many.len(),
                            who.id,
                            many.iter()
                                .filter_map(Ec2Item::id)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
        }
    }

    /// The rules of security group `group_id`, read directly (while planning, the groups'
    /// own permission lists serve instead: `security_group::live_rules`).
    pub async fn security_group_rules(
        &self,
        group_id: &str,
    ) -> Result<Vec<SecurityGroupRule>, AwsError> {
        let rules = self.describe_rules(vec![group_id.to_string()]).await?;
        Ok(rules
            .into_iter()
            .filter(|rule| rule.group_id() == Some(group_id))
            .collect())
    }

    async fn describe_rules(
        &self,
        group_ids: Vec<String>,
    ) -> Result<Vec<SecurityGroupRule>, AwsError> {
        if group_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut all = Vec::new();
        let mut pages = self
            .ec2
            .describe_security_group_rules()
            .filters(
                Filter::builder()
                    .name("group-id")
                    .set_values(Some(group_ids))
                    .build(),
            )
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            all.extend(
                page.op("DescribeSecurityGroupRules")?
                    .security_group_rules
                    .unwrap_or_default(),
            );
        }
        Ok(all)
    }
}

/// A resource tagged as this environment's, as found in the inventory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tagged {
    pub id: String,
    /// `ec2:vpc`, `elasticloadbalancing:targetgroup`, ...: the service and the resource type
    /// of its ARN (any kind of resource can carry the tags, not only the kinds macroctl makes).
    pub kind: String,
    pub physical_id: String,
}

/// `service:type` and the id of an ARN (`arn:aws:ec2:r:a:vpc/vpc-1` → `ec2:vpc`, `vpc-1`).
pub(crate) fn kind_and_id_of_arn(arn: &str) -> (String, String) {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, _) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    );
    let resource = parts.next().unwrap_or_default();
    // The resource type ends at the first `/` or `:` (`secret:NAME/WITH/SLASHES`); an ARN
    // without one names its service's only type (SNS: `arn:aws:sns:r:a:TOPIC`).
    let (kind, name) = match resource.find(['/', ':']) {
        Some(end) => (&resource[..end], &resource[end + 1..]),
        None if service == Some("sns") => ("topic", resource),
        None => (resource, resource),
    };
    // EC2 resources go by their ids (`vpc-1`), the others by their ARNs.
    let id = if service == Some("ec2") { name } else { arn };
    (
        format!("{}:{kind}", service.unwrap_or_default()),
        id.to_string(),
    )
}

impl Inventory {
    /// Every resource tagged with this stack and environment: what `GetResources` sees, and
    /// the EC2 resources of this run's listings (read anyway while planning).
    pub async fn all_tagged(&self) -> Result<Vec<Tagged>, AwsError> {
        fn collect<T: Ec2Item>(out: &mut Vec<Tagged>, kind: &str, items: &[T]) {
            for item in items {
                if let Some(id) = tag_value(item.tags(), TAG_ID) {
                    out.push(Tagged {
                        id: id.to_string(),
                        kind: kind.to_string(),
                        physical_id: item.id().unwrap_or_default().to_string(),
                    });
                }
            }
        }
        let mut out = Vec::new();
        collect(&mut out, "ec2:vpc", self.all::<Vpc>().await?);
        collect(&mut out, "ec2:subnet", self.all::<Subnet>().await?);
        collect(
            &mut out,
            "ec2:internet-gateway",
            self.all::<InternetGateway>().await?,
        );
        collect(&mut out, "ec2:elastic-ip", self.all::<Address>().await?);
        collect(&mut out, "ec2:nat-gateway", self.all::<NatGateway>().await?);
        collect(&mut out, "ec2:route-table", self.all::<RouteTable>().await?);
        collect(
            &mut out,
            "ec2:security-group",
            self.all::<SecurityGroup>().await?,
        );
        for (arn, tags) in self.tagged().await? {
            let Some(id) = tags.get(TAG_ID) else {
                continue;
            };
            let (kind, physical_id) = kind_and_id_of_arn(arn);
            if !out.iter().any(|known| known.physical_id == physical_id) {
                out.push(Tagged {
                    id: id.clone(),
                    kind,
                    physical_id,
                });
            }
        }
        out.sort_by(|a, b| (&a.id, &a.physical_id).cmp(&(&b.id, &b.physical_id)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::kind_and_id_of_arn;

    #[test]
    fn arns_name_their_kind_and_id() {
        assert_eq!(
            kind_and_id_of_arn("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc"),
            ("ec2:vpc".to_string(), "vpc-0abc".to_string())
        );
        let group = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/macro-ai-dev-api/73e2";
        assert_eq!(
            kind_and_id_of_arn(group),
            (
                "elasticloadbalancing:targetgroup".to_string(),
                group.to_string()
            )
        );
        let secret = "arn:aws:secretsmanager:us-east-1:1:secret:macro-ai/dev/API_KEY-AbCdEf";
        assert_eq!(kind_and_id_of_arn(secret).0, "secretsmanager:secret");
        let topic = "arn:aws:sns:us-east-1:1:macro-ai-dev-alarms";
        assert_eq!(kind_and_id_of_arn(topic).0, "sns:topic");
        let db = "arn:aws:rds:us-east-1:1:db:macro-ai-dev-postgres";
        assert_eq!(
            kind_and_id_of_arn(db),
            ("rds:db".to_string(), db.to_string())
        );
    }
}
