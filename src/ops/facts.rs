//! What the stack needs to know about the account before it can be built ([`Facts`]), asked
//! of AWS once per run, concurrently, and only where the environment needs it.
//!
//! Why not resources: an existing hosted zone and CloudFront's managed prefix list are not
//! the environment's. macroctl must never create, change, tag or delete them, only use their
//! ids, so they are looked up like the account id rather than put in the graph (where the
//! engine would adopt and `destroy` would delete them).

use crate::aws::{AwsClients, AwsError, IntoAwsError};
use crate::config::edge::ZoneRef;
use crate::config::Environment;
use crate::stack::Facts;

/// The name of the managed prefix list of CloudFront's origin-facing addresses.
pub const CLOUDFRONT_ORIGIN_FACING: &str = "com.amazonaws.global.cloudfront.origin-facing";

/// Looks up what `env` needs: the account; the hosted zone named in `[dns] zone` unless
/// macroctl creates it; CloudFront's prefix list when CloudFront is on.
pub async fn resolve(aws: &AwsClients, env: &Environment) -> Result<Facts, AwsError> {
    let zone = async {
        match &env.dns {
            Some(dns) if !dns.create_zone => existing_zone(aws, env, &dns.zone).await.map(Some),
            _ => Ok(None),
        }
    };
    let prefix_list = async {
        if env.edge.cloudfront {
            cloudfront_prefix_list(aws, env).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (account, zone_id, cloudfront_prefix_list) =
        futures::try_join!(aws.account_id(), zone, prefix_list)?;
    Ok(Facts {
        account,
        zone_id,
        cloudfront_prefix_list,
    })
}

/// The id of the existing public hosted zone `zone` names (by id: checked to exist; by name:
/// the one public zone of that name).
async fn existing_zone(
    aws: &AwsClients,
    env: &Environment,
    zone: &ZoneRef,
) -> Result<String, AwsError> {
    let file = env.file.display();
    match zone {
        ZoneRef::Id(id) => {
            let found = aws
                .route53
                .get_hosted_zone()
                .id(id)
                .send()
                .await
                .op("GetHostedZone");
            match found {
                Ok(_) => Ok(id.clone()),
                Err(err) if err.is_not_found() => Err(AwsError::other(
                    "GetHostedZone",
                    format!("{}: the hosted zone {id} (dns.zone in {file}) does not exist in this account; set dns.zone to an existing zone's id or name, or to a name with dns.create_zone = true", env.name),
                )),
                Err(err) => Err(err),
            }
        }
        ZoneRef::Name(name) => {
            let listed = aws
                .route53
                .list_hosted_zones_by_name()
                .dns_name(name)
                .max_items(100)
                .send()
                .await
                .op("ListHostedZonesByName")?;
            let wanted = format!("{name}.");
            let public: Vec<&str> = listed
                .hosted_zones()
                .iter()
                .filter(|zone| zone.name() == wanted)
                .filter(|zone| !zone.config().is_some_and(|c| c.private_zone()))
                .map(|zone| zone.id().trim_start_matches("/hostedzone/"))
                .collect();
            match public.as_slice() {
                [id] => Ok(id.to_string()),
                [] => Err(AwsError::other(
                    "ListHostedZonesByName",
                    format!("{}: there is no public Route 53 hosted zone named {name} (dns.zone in {file}); create it in Route 53, or set dns.create_zone = true to have macroctl create it", env.name),
                )),
                ids => Err(AwsError::other(
                    "ListHostedZonesByName",
                    format!("{}: {} public hosted zones are named {name} ({}); set dns.zone in {file} to the id of the one to use", env.name, ids.len(), ids.join(", ")),
                )),
            }
        }
    }
}

/// The id of CloudFront's origin-facing prefix list in the environment's region.
async fn cloudfront_prefix_list(aws: &AwsClients, env: &Environment) -> Result<String, AwsError> {
    let listed = aws
        .ec2
        .describe_managed_prefix_lists()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("prefix-list-name")
                .values(CLOUDFRONT_ORIGIN_FACING)
                .build(),
        )
        .send()
        .await
        .op("DescribeManagedPrefixLists")?;
    listed
        .prefix_lists()
        .iter()
        .find(|list| list.prefix_list_name() == Some(CLOUDFRONT_ORIGIN_FACING))
        .and_then(|list| list.prefix_list_id())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::other(
                "DescribeManagedPrefixLists",
                format!("{}: {} has no managed prefix list {CLOUDFRONT_ORIGIN_FACING}, which the load balancer needs to admit only CloudFront; set edge.cloudfront = false in {}", env.name, env.region, env.file.display()),
            )
        })
}
