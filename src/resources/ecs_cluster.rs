//! The ECS cluster the services run in, with Container Insights per environment and the
//! Fargate capacity providers (`FARGATE`, `FARGATE_SPOT`) its services' strategies name.
//!
//! Found by its name, which is unique in the account and region. `CreateCluster` is
//! idempotent on AWS (a repeat returns the existing cluster), so a create repeated after a
//! lost response makes nothing twice; it carries the tags and the Container Insights setting.
//! The setting is compared (not reported means unknown) and changed with `UpdateCluster`
//! (the emulator does not implement `UpdateClusterSettings`; AWS takes both). The capacity
//! providers and the default strategy come with the description, are given to
//! `CreateCluster`, and are changed with `PutClusterCapacityProviders` (which sets both: a
//! repeat is harmless); a cluster made before macroctl used them reports none, and gets them
//! on the next `up` (its services' strategies need them first). Tags are read
//! with the description (`include=TAGS`) and changed with TagResource / UntagResource.
//!
//! While planning, one `DescribeClusters` (with settings and tags) asks for the names of every
//! desired cluster of the environment ([`Clusters`]) and each cluster is answered from it: by
//! ARN when listed (else described directly: a cluster renamed since), by name from the
//! listing alone. Tags come with that description at no extra call, so the tagging API is not
//! needed here. Right after a change (`!ctx.cached`) the cluster is described directly.

use super::ecs_capacity::{self, CapacityShare};
use super::inventory::Listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity, IdentityKind,
    Kind, Lookup, Outputs, Readiness, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EcsClusterSpec {
    pub name: String,
    pub container_insights: bool,
    /// The capacity providers the services may use (`FARGATE`, `FARGATE_SPOT`).
    #[serde(default)]
    pub capacity_providers: Vec<String>,
    /// The strategy of a task or service that names none.
    #[serde(default)]
    pub default_strategy: Vec<CapacityShare>,
}

#[derive(Debug, Clone)]
pub struct EcsClusterLive {
    pub arn: String,
    pub name: String,
    pub status: String,
    /// `None` when AWS does not report the setting.
    pub container_insights: Option<bool>,
    pub active_services: i32,
    /// Sorted; empty when none (or none reported).
    pub capacity_providers: Vec<String>,
    /// Sorted by provider.
    pub default_strategy: Vec<CapacityShare>,
    pub tags: Tags,
}

pub struct EcsCluster;

fn insights_setting(on: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if on { "enabled" } else { "disabled" })
        .build()
}

fn live_of(cluster: &aws_sdk_ecs::types::Cluster) -> EcsClusterLive {
    EcsClusterLive {
        arn: cluster.cluster_arn().unwrap_or_default().to_string(),
        name: cluster.cluster_name().unwrap_or_default().to_string(),
        status: cluster.status().unwrap_or_default().to_string(),
        container_insights: cluster
            .settings()
            .iter()
            .find(|setting| setting.name() == Some(&ClusterSettingName::ContainerInsights))
            .and_then(|setting| setting.value())
            // `enabled` or `enhanced`.
            .map(|value| value != "disabled"),
        active_services: cluster.active_services_count(),
        capacity_providers: {
            let mut providers = cluster.capacity_providers().to_vec();
            providers.sort();
            providers
        },
        default_strategy: ecs_capacity::from_ecs(cluster.default_capacity_provider_strategy()),
        tags: tags::from_ecs(cluster.tags()),
    }
}

/// The clusters of `names` (names or ARNs) that exist: not INACTIVE (deleted, which a create
/// brings back). One call takes up to 100.
async fn describe(ctx: &Ctx<'_>, names: &[String]) -> Result<Vec<EcsClusterLive>, AwsError> {
    let output = ctx
        .aws
        .ecs
        .describe_clusters()
        .set_clusters(Some(names.to_vec()))
        .include(ClusterField::Settings)
        .include(ClusterField::Tags)
        .send()
        .await
        .op("DescribeClusters")
        .found()?;
    Ok(output
        .map(|output| {
            output
                .clusters()
                .iter()
                .filter(|found| found.status().is_some_and(|status| status != "INACTIVE"))
                .map(live_of)
                .collect()
        })
        .unwrap_or_default())
}

/// The names of the environment's desired clusters, sorted.
fn desired_names(ctx: &Ctx<'_>) -> Vec<String> {
    let mut names: Vec<String> = ctx
        .desired_of(|spec| match spec {
            Spec::EcsCluster(cluster) => Some(cluster),
            _ => None,
        })
        .into_iter()
        .map(|cluster| cluster.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every desired cluster of the environment that exists, described by name while planning.
struct Clusters;

impl Listing for Clusters {
    type Item = EcsClusterLive;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<EcsClusterLive>, AwsError> {
        let names = desired_names(ctx);
        let calls = names.chunks(100).map(|chunk| describe(ctx, chunk));
        let listed = futures::future::try_join_all(calls).await?;
        // Only what was asked for, whatever the API answers.
        Ok(listed
            .into_iter()
            .flatten()
            .filter(|live| names.contains(&live.name))
            .collect())
    }
}

/// What the listing says about the cluster `lookup` names: `Some(found)` when it can answer
/// (by ARN: only when listed; by identity: listed or absent), `None` when only a direct read
/// can (an ARN the listing lacks).
fn from_listing(
    listed: &[EcsClusterLive],
    lookup: Lookup<'_>,
    name: &str,
) -> Option<Option<EcsClusterLive>> {
    match lookup {
        Lookup::Id(arn) => listed
            .iter()
            .find(|live| live.arn == arn)
            .cloned()
            .map(Some),
        Lookup::Identity => Some(listed.iter().find(|live| live.name == name).cloned()),
    }
}

impl Kind for EcsCluster {
    const KIND: &'static str = "ecs:cluster";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // CreateCluster returns the existing cluster of that name instead of making a second.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name"];
    type Spec = EcsClusterSpec;
    type Live = EcsClusterLive;

    fn refs(_spec: &EcsClusterSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcsClusterSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<EcsClusterLive>, AwsError> {
        // The listing asked for every desired name (a spec outside `ctx.desired` is read
        // directly).
        if ctx.cached && desired_names(ctx).contains(&spec.name) {
            let listed = ctx.inventory.listed::<Clusters>(ctx).await?;
            if let Some(found) = from_listing(&listed, lookup, &spec.name) {
                return Ok(found);
            }
        }
        let cluster = match lookup {
            Lookup::Id(arn) => arn,
            Lookup::Identity => &spec.name,
        };
        Ok(describe(ctx, &[cluster.to_string()])
            .await?
            .into_iter()
            .next())
    }

    fn diff(
        spec: &EcsClusterSpec,
        live: &EcsClusterLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        if live.name != spec.name {
            changes.push(FieldChange::replace("name", &live.name, &spec.name));
        }
        if let Some(on) = live.container_insights {
            if on != spec.container_insights {
                changes.push(FieldChange::update(
                    "container_insights",
                    on,
                    spec.container_insights,
                ));
            }
        }
        let mut providers = spec.capacity_providers.clone();
        providers.sort();
        let shown = |providers: &[String]| super::listed(providers);
        super::compare(
            &mut changes,
            "capacity_providers",
            &shown(&live.capacity_providers),
            &shown(&providers),
            false,
        );
        super::compare(
            &mut changes,
            "default_capacity_provider_strategy",
            &ecs_capacity::shown(&live.default_strategy),
            &ecs_capacity::shown(&spec.default_strategy),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &EcsClusterSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .ecs
            .create_cluster()
            .cluster_name(&spec.name)
            .settings(insights_setting(spec.container_insights))
            .set_capacity_providers(Some(spec.capacity_providers.clone()))
            .set_default_capacity_provider_strategy(Some(ecs_capacity::to_ecs(
                &spec.default_strategy,
            )))
            .set_tags(Some(tags::to_ecs(&who.tags)))
            .send()
            .await
            .op("CreateCluster")?;
        output
            .cluster()
            .and_then(|cluster| cluster.cluster_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateCluster", "AWS returned no cluster"))
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcsClusterSpec,
        live: &EcsClusterLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        if changes
            .iter()
            .any(|change| change.field == "container_insights")
        {
            ctx.aws
                .ecs
                .update_cluster()
                .cluster(&live.arn)
                .settings(insights_setting(spec.container_insights))
                .send()
                .await
                .op("UpdateCluster")?;
        }
        if changes.iter().any(|change| {
            matches!(
                change.field.as_str(),
                "capacity_providers" | "default_capacity_provider_strategy"
            )
        }) {
            ctx.aws
                .ecs
                .put_cluster_capacity_providers()
                .cluster(&live.arn)
                .set_capacity_providers(Some(spec.capacity_providers.clone()))
                .set_default_capacity_provider_strategy(Some(ecs_capacity::to_ecs(
                    &spec.default_strategy,
                )))
                .send()
                .await
                .op("PutClusterCapacityProviders")?;
        }
        Ok(None)
    }

    fn readiness(live: &EcsClusterLive) -> Readiness {
        match live.status.as_str() {
            "ACTIVE" => Readiness::Ready,
            "PROVISIONING" => Readiness::Pending(format!("ECS cluster {} provisioning", live.name)),
            other => Readiness::Failed(format!(
                "ECS cluster {} is {}",
                live.name,
                other.to_lowercase()
            )),
        }
    }

    fn tags(live: &EcsClusterLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &EcsClusterLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_ecs(&ctx.aws.ecs, &live.arn, changes).await
    }

    /// ECS refuses while services (DRAINING ones too) or tasks are left in the cluster.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &EcsClusterLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // ClusterNotFoundException: already gone.
        ctx.aws
            .ecs
            .delete_cluster()
            .cluster(&live.arn)
            .send()
            .await
            .op("DeleteCluster")
            .found()?;
        Ok(Deleted::Requested)
    }

    /// A deleted cluster stays describable as INACTIVE (which `read` already leaves out).
    fn deletion(live: &EcsClusterLive) -> Deletion {
        match live.status.as_str() {
            "DEPROVISIONING" => Deletion::Deleting(live.status.to_lowercase()),
            "INACTIVE" => Deletion::Gone,
            _ => Deletion::Present,
        }
    }

    fn physical_id(live: &EcsClusterLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &EcsClusterLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &EcsClusterLive) -> String {
        format!(
            "{} ({} services)",
            live.status.to_lowercase(),
            live.active_services
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> EcsClusterLive {
        EcsClusterLive {
            arn: "arn:aws:ecs:us-east-1:1:cluster/macro-ai-staging".into(),
            name: "macro-ai-staging".into(),
            status: "ACTIVE".into(),
            container_insights: Some(true),
            active_services: 2,
            capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            default_strategy: vec![share()],
            tags: Tags::new(),
        }
    }

    fn share() -> CapacityShare {
        CapacityShare {
            provider: "FARGATE".into(),
            base: 0,
            weight: 1,
        }
    }

    fn spec(container_insights: bool) -> EcsClusterSpec {
        EcsClusterSpec {
            name: "macro-ai-staging".into(),
            container_insights,
            capacity_providers: vec!["FARGATE_SPOT".into(), "FARGATE".into()],
            default_strategy: vec![share()],
        }
    }

    #[test]
    fn capacity_providers_are_compared_as_a_set() {
        let resolver = Resolver::default();
        let none = EcsClusterLive {
            capacity_providers: Vec::new(),
            default_strategy: Vec::new(),
            ..live()
        };
        let changes = EcsCluster::diff(&spec(true), &none, &resolver);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["capacity_providers", "default_capacity_provider_strategy"]
        );
        assert_eq!(changes[0].new, "FARGATE, FARGATE_SPOT");
        assert!(changes.iter().all(|change| !change.replace));
    }

    #[test]
    fn container_insights_is_compared_when_reported() {
        let resolver = Resolver::default();
        assert_eq!(EcsCluster::diff(&spec(true), &live(), &resolver), vec![]);
        let changes = EcsCluster::diff(&spec(false), &live(), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "container_insights");
        assert!(!changes[0].replace);
        let unreported = EcsClusterLive {
            container_insights: None,
            ..live()
        };
        assert_eq!(
            EcsCluster::diff(&spec(false), &unreported, &resolver),
            vec![]
        );
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<EcsCluster>(&live()));
    }

    #[test]
    fn planning_answers_from_the_listing() {
        let listed = [live()];
        let arn = live().arn;
        let found = |lookup, name| from_listing(&listed, lookup, name).map(|f| f.map(|l| l.arn));
        assert_eq!(
            found(Lookup::Id(&arn), "macro-ai-staging"),
            Some(Some(arn.clone()))
        );
        // An ARN the listing lacks (renamed since): read directly.
        assert_eq!(found(Lookup::Id("arn:other"), "macro-ai-staging"), None);
        assert_eq!(
            found(Lookup::Identity, "macro-ai-staging"),
            Some(Some(arn.clone()))
        );
        // Every desired name was asked for: not listed is absent.
        assert_eq!(found(Lookup::Identity, "macro-ai-prod"), Some(None));
    }

    #[test]
    fn usable_once_active() {
        assert_eq!(EcsCluster::readiness(&live()), Readiness::Ready);
        let with = |status: &str| EcsClusterLive {
            status: status.into(),
            ..live()
        };
        assert!(matches!(
            EcsCluster::readiness(&with("PROVISIONING")),
            Readiness::Pending(_)
        ));
        assert!(matches!(
            EcsCluster::readiness(&with("FAILED")),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn deletion_by_status() {
        let with = |status: &str| EcsClusterLive {
            status: status.into(),
            ..live()
        };
        assert_eq!(EcsCluster::deletion(&live()), Deletion::Present);
        assert_eq!(
            EcsCluster::deletion(&with("DEPROVISIONING")),
            Deletion::Deleting("deprovisioning".into())
        );
        assert_eq!(EcsCluster::deletion(&with("INACTIVE")), Deletion::Gone);
    }
}
