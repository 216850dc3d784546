//! Batched reads of everything this environment owns in EC2.
//!
//! Reading resources one by one makes a no-op run's cost grow with every resource (a common
//! complaint about other tools). Instead, the first resource of a kind to be read lists *all*
//! resources of that kind tagged with this stack and environment, in one paginated call, and
//! the rest are served from that list. A converged network layer is read in about ten calls,
//! however many subnets and rules it has.

use super::{TAG_ENV, TAG_ID, TAG_STACK};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ec2::types::{
    Address, Filter, InternetGateway, NatGateway, RouteTable, SecurityGroup, SecurityGroupRule,
    Subnet, Tag, Vpc,
};
use tokio::sync::OnceCell;

pub struct Inventory {
    ec2: aws_sdk_ec2::Client,
    stack: String,
    env: String,
    vpcs: OnceCell<Vec<Vpc>>,
    subnets: OnceCell<Vec<Subnet>>,
    internet_gateways: OnceCell<Vec<InternetGateway>>,
    addresses: OnceCell<Vec<Address>>,
    nat_gateways: OnceCell<Vec<NatGateway>>,
    route_tables: OnceCell<Vec<RouteTable>>,
    security_groups: OnceCell<Vec<SecurityGroup>>,
    security_group_rules: OnceCell<Vec<SecurityGroupRule>>,
}

/// The value of tag `key`, if present.
pub fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(|tag| tag.value())
}

/// Picks this resource out of a tagged list: by the physical id recorded in state, else by its
/// `macroctl:id` tag. Two untracked resources with the same logical id is an error to resolve
/// by hand, never something to guess about.
pub fn pick<'a, T>(
    items: &'a [T],
    logical_id: &str,
    recorded: Option<&str>,
    id_of: impl Fn(&T) -> Option<&str>,
    tags_of: impl Fn(&T) -> &[Tag],
    operation: &str,
) -> Result<Option<&'a T>, AwsError> {
    if let Some(recorded) = recorded {
        if let Some(item) = items.iter().find(|item| id_of(item) == Some(recorded)) {
            return Ok(Some(item));
        }
    }
    let tagged: Vec<&T> = items
        .iter()
        .filter(|item| tag_value(tags_of(item), TAG_ID) == Some(logical_id))
        .collect();
    match tagged.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(AwsError::other(
            operation,
            format!(
                "{} resources are tagged {TAG_ID}={logical_id}: {}; delete the extra ones (or remove their tags) and run again",
                many.len(),
                many.iter()
                    .filter_map(|item| id_of(item))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

impl Inventory {
    pub fn new(ec2: aws_sdk_ec2::Client, stack: &str, env: &str) -> Self {
        Self {
            ec2,
            stack: stack.to_string(),
            env: env.to_string(),
            vpcs: OnceCell::new(),
            subnets: OnceCell::new(),
            internet_gateways: OnceCell::new(),
            addresses: OnceCell::new(),
            nat_gateways: OnceCell::new(),
            route_tables: OnceCell::new(),
            security_groups: OnceCell::new(),
            security_group_rules: OnceCell::new(),
        }
    }

    /// Whether tags mark a resource as this stack's and environment's.
    fn owns(&self, tags: &[Tag]) -> bool {
        tag_value(tags, TAG_STACK) == Some(self.stack.as_str())
            && tag_value(tags, TAG_ENV) == Some(self.env.as_str())
    }

    fn owned_filters(&self) -> Vec<Filter> {
        vec![
            Filter::builder()
                .name(format!("tag:{TAG_STACK}"))
                .values(&self.stack)
                .build(),
            Filter::builder()
                .name(format!("tag:{TAG_ENV}"))
                .values(&self.env)
                .build(),
        ]
    }

    pub async fn vpcs(&self) -> Result<&[Vpc], AwsError> {
        self.vpcs
            .get_or_try_init(|| async {
                let mut all = Vec::new();
                let mut pages = self
                    .ec2
                    .describe_vpcs()
                    .set_filters(Some(self.owned_filters()))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    all.extend(page.op("DescribeVpcs")?.vpcs.unwrap_or_default());
                }
                Ok(all)
            })
            .await
            .map(Vec::as_slice)
    }

    pub async fn subnets(&self) -> Result<&[Subnet], AwsError> {
        self.subnets
            .get_or_try_init(|| async {
                let mut all = Vec::new();
                let mut pages = self
                    .ec2
                    .describe_subnets()
                    .set_filters(Some(self.owned_filters()))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    all.extend(page.op("DescribeSubnets")?.subnets.unwrap_or_default());
                }
                Ok(all)
            })
            .await
            .map(Vec::as_slice)
    }

    pub async fn internet_gateways(&self) -> Result<&[InternetGateway], AwsError> {
        self.internet_gateways
            .get_or_try_init(|| async {
                let mut all = Vec::new();
                let mut pages = self
                    .ec2
                    .describe_internet_gateways()
                    .set_filters(Some(self.owned_filters()))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    all.extend(
                        page.op("DescribeInternetGateways")?
                            .internet_gateways
                            .unwrap_or_default(),
                    );
                }
                Ok(all)
            })
            .await
            .map(Vec::as_slice)
    }

    pub async fn addresses(&self) -> Result<&[Address], AwsError> {
        self.addresses
            .get_or_try_init(|| async {
                let output = self
                    .ec2
                    .describe_addresses()
                    .set_filters(Some(self.owned_filters()))
                    .send()
                    .await
                    .op("DescribeAddresses")?;
                Ok(output.addresses.unwrap_or_default())
            })
            .await
            .map(Vec::as_slice)
    }

    /// NAT gateways that still exist: `deleting`, `deleted` and `failed` ones are history.
    pub async fn nat_gateways(&self) -> Result<&[NatGateway], AwsError> {
        self.nat_gateways
            .get_or_try_init(|| async {
                let mut all = Vec::new();
                let mut pages = self
                    .ec2
                    .describe_nat_gateways()
                    .set_filter(Some(self.owned_filters()))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    all.extend(
                        page.op("DescribeNatGateways")?
                            .nat_gateways
                            .unwrap_or_default()
                            .into_iter()
                            // moto ignores tag filters on this call: check the tags here too.
                            .filter(|nat| self.owns(nat.tags()))
                            .filter(|nat| {
                                matches!(
                                    nat.state().map(|state| state.as_str()),
                                    Some("pending" | "available")
                                )
                            }),
                    );
                }
                Ok(all)
            })
            .await
            .map(Vec::as_slice)
    }

    pub async fn route_tables(&self) -> Result<&[RouteTable], AwsError> {
        self.route_tables
            .get_or_try_init(|| async {
                let mut all = Vec::new();
                let mut pages = self
                    .ec2
                    .describe_route_tables()
                    .set_filters(Some(self.owned_filters()))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    all.extend(
                        page.op("DescribeRouteTables")?
                            .route_tables
                            .unwrap_or_default(),
                    );
                }
                Ok(all)
            })
            .await
            .map(Vec::as_slice)
    }

    pub async fn security_groups(&self) -> Result<&[SecurityGroup], AwsError> {
        self.security_groups
            .get_or_try_init(|| async {
                let mut all = Vec::new();
                let mut pages = self
                    .ec2
                    .describe_security_groups()
                    .set_filters(Some(self.owned_filters()))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    all.extend(
                        page.op("DescribeSecurityGroups")?
                            .security_groups
                            .unwrap_or_default(),
                    );
                }
                Ok(all)
            })
            .await
            .map(Vec::as_slice)
    }

    /// The rules of all this environment's security groups, in one call.
    pub async fn security_group_rules(&self) -> Result<&[SecurityGroupRule], AwsError> {
        self.security_group_rules
            .get_or_try_init(|| async {
                let group_ids: Vec<String> = self
                    .security_groups()
                    .await?
                    .iter()
                    .filter_map(|group| group.group_id().map(str::to_string))
                    .collect();
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
            })
            .await
            .map(Vec::as_slice)
    }
}

/// A resource tagged as this environment's, as found in the inventory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tagged {
    pub id: String,
    pub kind: &'static str,
    pub physical_id: String,
}

impl Inventory {
    /// Every resource of every kind tagged with this stack and environment.
    pub async fn all_tagged(&self) -> Result<Vec<Tagged>, AwsError> {
        fn collect<T>(
            out: &mut Vec<Tagged>,
            kind: &'static str,
            items: &[T],
            id_of: impl Fn(&T) -> Option<&str>,
            tags_of: impl Fn(&T) -> &[Tag],
        ) {
            for item in items {
                if let Some(id) = tag_value(tags_of(item), TAG_ID) {
                    out.push(Tagged {
                        id: id.to_string(),
                        kind,
                        physical_id: id_of(item).unwrap_or_default().to_string(),
                    });
                }
            }
        }
        let mut out = Vec::new();
        collect(
            &mut out,
            "ec2:vpc",
            self.vpcs().await?,
            |x| x.vpc_id(),
            |x| x.tags(),
        );
        collect(
            &mut out,
            "ec2:subnet",
            self.subnets().await?,
            |x| x.subnet_id(),
            |x| x.tags(),
        );
        collect(
            &mut out,
            "ec2:internet-gateway",
            self.internet_gateways().await?,
            |x| x.internet_gateway_id(),
            |x| x.tags(),
        );
        collect(
            &mut out,
            "ec2:elastic-ip",
            self.addresses().await?,
            |x| x.allocation_id(),
            |x| x.tags(),
        );
        collect(
            &mut out,
            "ec2:nat-gateway",
            self.nat_gateways().await?,
            |x| x.nat_gateway_id(),
            |x| x.tags(),
        );
        collect(
            &mut out,
            "ec2:route-table",
            self.route_tables().await?,
            |x| x.route_table_id(),
            |x| x.tags(),
        );
        collect(
            &mut out,
            "ec2:security-group",
            self.security_groups().await?,
            |x| x.group_id(),
            |x| x.tags(),
        );
        Ok(out)
    }
}
