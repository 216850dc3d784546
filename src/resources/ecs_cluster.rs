//! The ECS cluster the services run in, with Container Insights per environment.

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName};

#[derive(Debug, Clone)]
pub struct EcsClusterSpec {
    pub name: String,
    pub container_insights: bool,
}

#[derive(Debug, Clone)]
pub struct EcsClusterLive {
    pub arn: String,
    pub name: String,
    pub status: String,
    /// `None` when AWS does not report the setting.
    pub container_insights: Option<bool>,
    pub active_services: i32,
}

pub struct EcsCluster;

pub fn ecs_tags(who: &Identity) -> Vec<aws_sdk_ecs::types::Tag> {
    who.tags
        .iter()
        .map(|(key, value)| {
            aws_sdk_ecs::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

fn insights_setting(on: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if on { "enabled" } else { "disabled" })
        .build()
}

impl Kind for EcsCluster {
    const KIND: &'static str = "ecs:cluster";
    type Spec = EcsClusterSpec;
    type Live = EcsClusterLive;

    fn refs(_spec: &EcsClusterSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcsClusterSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<EcsClusterLive>, AwsError> {
        let output = ctx
            .aws
            .ecs
            .describe_clusters()
            .clusters(&spec.name)
            .include(ClusterField::Settings)
            .send()
            .await
            .op("DescribeClusters")?;
        Ok(output
            .clusters()
            .iter()
            .find(|cluster| cluster.status() == Some("ACTIVE"))
            .map(|cluster| EcsClusterLive {
                arn: cluster.cluster_arn().unwrap_or_default().to_string(),
                name: cluster.cluster_name().unwrap_or_default().to_string(),
                status: cluster.status().unwrap_or_default().to_string(),
                container_insights: cluster
                    .settings()
                    .iter()
                    .find(|setting| setting.name() == Some(&ClusterSettingName::ContainerInsights))
                    .and_then(|setting| setting.value())
                    .map(|value| value != "disabled"),
                active_services: cluster.active_services_count(),
            }))
    }

    fn diff(
        spec: &EcsClusterSpec,
        live: &EcsClusterLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        match live.container_insights {
            Some(on) if on != spec.container_insights => vec![FieldChange::update(
                "container_insights",
                on,
                spec.container_insights,
            )],
            _ => Vec::new(),
        }
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &EcsClusterSpec,
        _resolver: &Resolver,
    ) -> Result<EcsClusterLive, AwsError> {
        let output = ctx
            .aws
            .ecs
            .create_cluster()
            .cluster_name(&spec.name)
            .settings(insights_setting(spec.container_insights))
            .set_tags(Some(ecs_tags(who)))
            .send()
            .await
            .op("CreateCluster")?;
        let cluster = output.cluster();
        Ok(EcsClusterLive {
            arn: cluster
                .and_then(|cluster| cluster.cluster_arn())
                .unwrap_or_default()
                .to_string(),
            name: spec.name.clone(),
            status: "ACTIVE".into(),
            container_insights: Some(spec.container_insights),
            active_services: 0,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &EcsClusterSpec,
        live: &EcsClusterLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<EcsClusterLive, AwsError> {
        ctx.aws
            .ecs
            .update_cluster_settings()
            .cluster(&live.name)
            .settings(insights_setting(spec.container_insights))
            .send()
            .await
            .op("UpdateClusterSettings")?;
        Ok(EcsClusterLive {
            container_insights: Some(spec.container_insights),
            ..live.clone()
        })
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
