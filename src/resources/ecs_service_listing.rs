//! ECS services while planning: per desired cluster, one `DescribeServices` (`include=TAGS`,
//! at most 10 names a call) asking for the names of every desired service of the
//! environment, made by the first service read and shared by the others.

use super::{cluster_name, describe, EcsServiceLive};
use crate::aws::AwsError;
use crate::resources::inventory::Listing;
use crate::resources::{Ctx, Lookup, Spec};

/// The environment's desired cluster names and service names, each sorted.
pub(super) fn desired_names(ctx: &Ctx<'_>) -> (Vec<String>, Vec<String>) {
    let mut clusters = Vec::new();
    let mut services = Vec::new();
    for spec in ctx.desired {
        match spec {
            Spec::EcsCluster(cluster) => clusters.push(cluster.name.clone()),
            Spec::EcsService(service) => services.push(service.name.clone()),
            _ => {}
        }
    }
    for names in [&mut clusters, &mut services] {
        names.sort();
        names.dedup();
    }
    (clusters, services)
}

/// Every desired service of the environment that exists, per desired cluster: what planning
/// reads services from.
pub(super) struct Services;

/// The services listed in one cluster (by name), all of its desired names asked for.
#[derive(Debug, Clone)]
pub(super) struct ClusterServices {
    pub(super) cluster: String,
    pub(super) services: Vec<EcsServiceLive>,
}

impl Listing for Services {
    type Item = ClusterServices;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<ClusterServices>, AwsError> {
        let (clusters, names) = desired_names(ctx);
        let calls = clusters.iter().map(|cluster| {
            let names = &names;
            async move {
                let chunks = names.chunks(10).map(|chunk| describe(ctx, cluster, chunk));
                let found = futures::future::try_join_all(chunks).await?;
                // Only what was asked for, in the cluster asked, whatever the API answers.
                let services = found
                    .into_iter()
                    .flatten()
                    .filter(|live| {
                        names.contains(&live.name)
                            && cluster_name(&live.cluster_arn) == cluster.as_str()
                    })
                    .collect();
                Ok::<_, AwsError>(ClusterServices {
                    cluster: cluster.clone(),
                    services,
                })
            }
        });
        futures::future::try_join_all(calls).await
    }
}

/// What the listing says about the service `lookup` names (by identity: `name` in `cluster`,
/// a name or ARN): `Some(found)` when it can answer, `None` when only a direct read can (an
/// ARN not listed, a cluster or name the listing did not ask for).
pub(super) fn from_listing(
    listed: &[ClusterServices],
    lookup: Lookup<'_>,
    cluster: &str,
    name: &str,
) -> Option<Option<EcsServiceLive>> {
    match lookup {
        Lookup::Id(arn) => listed
            .iter()
            .flat_map(|listed| &listed.services)
            .find(|live| live.arn == arn)
            .map(|live| Some(live.clone())),
        Lookup::Identity => listed
            .iter()
            .find(|listed| listed.cluster == cluster_name(cluster))
            .map(|listed| listed.services.iter().find(|l| l.name == name).cloned()),
    }
}
