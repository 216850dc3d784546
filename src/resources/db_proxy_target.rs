//! The registration of the DB instance in its RDS Proxy's `default` target group, and that
//! target group's connection pool.
//!
//! A kind of its own, not part of the proxy, because AWS makes it one: the proxy must be
//! `available` before a target can be registered, and the target then takes minutes of its
//! own (`REGISTERING`) before the proxy passes connections on. As a node after the proxy and
//! the instance, the engine waits for each in turn and shows which one it waits for.
//!
//! Found through its parents (`Child`): the proxy's name and the instance's identifier, which
//! together are its physical id (`PROXY/INSTANCE`). Targets carry no tags; the proxy's are
//! checked. `DescribeDBProxyTargets` and `DescribeDBProxyTargetGroups` of the proxy are read at
//! the same time. A repeated `RegisterDBProxyTargets` answers
//! `DBProxyTargetAlreadyRegisteredFault` (the engine then looks and adopts), a repeated
//! `DeregisterDBProxyTargets` `DBProxyTargetNotFoundFault` (done). The pool's size
//! (`MaxConnectionsPercent`, and the idle share at half of it, as RDS defaults it) changes with
//! `ModifyDBProxyTargetGroup`, which sets what it is given.

use super::{
    compare, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Readiness, Ref, Resolver, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_rds::types::{ConnectionPoolConfiguration, DbProxyTarget as Target, TargetType};

/// The target group every proxy has, and the only one macroctl uses.
const TARGET_GROUP: &str = "default";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DbProxyTargetSpec {
    /// The proxy's `name`.
    pub proxy: Ref,
    /// The DB instance's `identifier`.
    pub instance: Ref,
    pub max_connections_percent: i32,
}

#[derive(Debug, Clone)]
pub struct DbProxyTargetLive {
    pub proxy: String,
    pub instance: String,
    pub endpoint: String,
    pub port: i32,
    /// `TargetHealth.State`: REGISTERING, AVAILABLE or UNAVAILABLE.
    pub state: String,
    /// `TargetHealth.Reason` and `Description`, when AWS gives them.
    pub reason: String,
    pub max_connections_percent: Option<i32>,
}

pub struct DbProxyTarget;

fn physical_id(proxy: &str, instance: &str) -> String {
    format!("{proxy}/{instance}")
}

/// What a target's health means for the stack.
fn readiness_of(live: &DbProxyTargetLive) -> Readiness {
    let why = || {
        let mut text = format!(
            "DB proxy {} target {} is {}",
            live.proxy,
            live.instance,
            live.state.to_lowercase()
        );
        if !live.reason.is_empty() {
            text.push_str(&format!(" ({})", live.reason));
        }
        text
    };
    match live.state.as_str() {
        "AVAILABLE" => Readiness::Ready,
        "REGISTERING" | "" => Readiness::Pending(why()),
        // The proxy is still scaling up for the target: AWS gets there by itself.
        "UNAVAILABLE" if live.reason.starts_with("PENDING_PROXY_CAPACITY") => {
            Readiness::Pending(why())
        }
        // AUTH_FAILURE (the secret or the role), CONNECTION_FAILED, UNREACHABLE (security
        // groups): waiting does not fix it.
        _ => Readiness::Failed(why()),
    }
}

fn live_of(proxy: &str, target: &Target, pool: Option<i32>) -> DbProxyTargetLive {
    let health = target.target_health();
    let reason = [
        health
            .and_then(|health| health.reason())
            .map(|reason| reason.as_str().to_string()),
        health
            .and_then(|health| health.description())
            .map(str::to_string),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(": ");
    DbProxyTargetLive {
        proxy: proxy.to_string(),
        instance: target.rds_resource_id().unwrap_or_default().to_string(),
        endpoint: target.endpoint().unwrap_or_default().to_string(),
        port: target.port().unwrap_or_default(),
        state: health
            .and_then(|health| health.state())
            .map(|state| state.as_str().to_string())
            .unwrap_or_default(),
        reason,
        max_connections_percent: pool,
    }
}

/// The instance's target of `proxy`, with the target group's pool size; `None` when the proxy
/// or the target is not there.
async fn describe(
    ctx: &Ctx<'_>,
    proxy: &str,
    instance: &str,
) -> Result<Option<DbProxyTargetLive>, AwsError> {
    let rds = &ctx.aws.rds;
    let targets = async {
        rds.describe_db_proxy_targets()
            .db_proxy_name(proxy)
            .target_group_name(TARGET_GROUP)
            .send()
            .await
            .op("DescribeDBProxyTargets")
            .found()
    };
    let groups = async {
        rds.describe_db_proxy_target_groups()
            .db_proxy_name(proxy)
            .target_group_name(TARGET_GROUP)
            .send()
            .await
            .op("DescribeDBProxyTargetGroups")
            .found()
    };
    let (targets, groups) = futures::try_join!(targets, groups)?;
    let Some(targets) = targets else {
        return Ok(None);
    };
    let pool = groups.and_then(|groups| {
        groups
            .target_groups()
            .iter()
            .find(|group| group.target_group_name() == Some(TARGET_GROUP))
            .and_then(|group| group.connection_pool_config())
            .and_then(|config| config.max_connections_percent())
    });
    Ok(targets
        .targets()
        .iter()
        .find(|target| {
            target.rds_resource_id() == Some(instance)
                && target.r#type() == Some(&TargetType::RdsInstance)
        })
        .map(|target| live_of(proxy, target, pool)))
}

impl Kind for DbProxyTarget {
    const KIND: &'static str = "rds:db-proxy-target";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // A repeat answers DBProxyTargetAlreadyRegisteredFault.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["endpoint"];
    type Spec = DbProxyTargetSpec;
    type Live = DbProxyTargetLive;

    fn refs(spec: &DbProxyTargetSpec) -> Vec<Ref> {
        vec![spec.proxy.clone(), spec.instance.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbProxyTargetSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<DbProxyTargetLive>, AwsError> {
        let (proxy, instance) = match lookup {
            Lookup::Id(id) => match id.split_once('/') {
                Some((proxy, instance)) => (proxy.to_string(), instance.to_string()),
                None => return Ok(None),
            },
            Lookup::Identity => {
                match (resolver.known(&spec.proxy), resolver.known(&spec.instance)) {
                    (Some(proxy), Some(instance)) => (proxy, instance),
                    _ => return Ok(None),
                }
            }
        };
        describe(ctx, &proxy, &instance).await
    }

    fn diff(
        spec: &DbProxyTargetSpec,
        live: &DbProxyTargetLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(
            &mut changes,
            "db_proxy",
            &live.proxy,
            &resolver.get(&spec.proxy),
            true,
        );
        compare(
            &mut changes,
            "db_instance",
            &live.instance,
            &resolver.get(&spec.instance),
            true,
        );
        if let Some(percent) = live.max_connections_percent {
            compare(
                &mut changes,
                "max_connections_percent",
                &percent.to_string(),
                &spec.max_connections_percent.to_string(),
                false,
            );
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbProxyTargetSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let proxy = resolver.get(&spec.proxy);
        let instance = resolver.get(&spec.instance);
        ctx.aws
            .rds
            .register_db_proxy_targets()
            .db_proxy_name(&proxy)
            .target_group_name(TARGET_GROUP)
            .db_instance_identifiers(&instance)
            .send()
            .await
            .op("RegisterDBProxyTargets")?;
        Ok(physical_id(&proxy, &instance))
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbProxyTargetSpec,
        live: &DbProxyTargetLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        if changes
            .iter()
            .any(|change| change.field == "max_connections_percent")
        {
            let percent = spec.max_connections_percent;
            ctx.aws
                .rds
                .modify_db_proxy_target_group()
                .db_proxy_name(&live.proxy)
                .target_group_name(TARGET_GROUP)
                .connection_pool_config(
                    ConnectionPoolConfiguration::builder()
                        .max_connections_percent(percent)
                        .max_idle_connections_percent(percent / 2)
                        .build(),
                )
                .send()
                .await
                .op("ModifyDBProxyTargetGroup")?;
        }
        Ok(None)
    }

    fn readiness(live: &DbProxyTargetLive) -> Readiness {
        readiness_of(live)
    }

    fn tags(_live: &DbProxyTargetLive) -> Option<&Tags> {
        None
    }

    /// Deregisters the instance (the proxy's deletion would too, but the instance may stay).
    async fn delete(
        ctx: &Ctx<'_>,
        live: &DbProxyTargetLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // DBProxyNotFoundFault / DBProxyTargetNotFoundFault: already gone.
        ctx.aws
            .rds
            .deregister_db_proxy_targets()
            .db_proxy_name(&live.proxy)
            .target_group_name(TARGET_GROUP)
            .db_instance_identifiers(&live.instance)
            .send()
            .await
            .op("DeregisterDBProxyTargets")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &DbProxyTargetLive) -> String {
        physical_id(&live.proxy, &live.instance)
    }

    fn outputs(live: &DbProxyTargetLive) -> Outputs {
        Outputs::from([("endpoint".into(), live.endpoint.clone())])
    }

    fn status(live: &DbProxyTargetLive) -> String {
        let mut status = live.state.to_lowercase();
        if !live.reason.is_empty() {
            status.push_str(&format!(" ({})", live.reason));
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(state: &str, reason: &str) -> DbProxyTargetLive {
        DbProxyTargetLive {
            proxy: "macro-ai-staging-postgres".into(),
            instance: "macro-ai-staging-postgres".into(),
            endpoint: "db.example".into(),
            port: 5432,
            state: state.into(),
            reason: reason.into(),
            max_connections_percent: Some(100),
        }
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<DbProxyTarget>(
            &live("AVAILABLE", "")
        ));
    }

    #[test]
    fn health_decides_readiness() {
        assert_eq!(readiness_of(&live("AVAILABLE", "")), Readiness::Ready);
        assert!(matches!(
            readiness_of(&live("REGISTERING", "")),
            Readiness::Pending(_)
        ));
        assert!(matches!(
            readiness_of(&live("UNAVAILABLE", "PENDING_PROXY_CAPACITY")),
            Readiness::Pending(_)
        ));
        match readiness_of(&live("UNAVAILABLE", "AUTH_FAILURE: cannot read the secret")) {
            Readiness::Failed(why) => assert!(why.contains("AUTH_FAILURE"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_pool_size_changes_in_place() {
        let resolver = Resolver::default();
        resolver.set(
            &"proxy".into(),
            Outputs::from([("name".into(), "macro-ai-staging-postgres".into())]),
        );
        resolver.set(
            &"db".into(),
            Outputs::from([("identifier".into(), "macro-ai-staging-postgres".into())]),
        );
        let spec = DbProxyTargetSpec {
            proxy: Ref::new("proxy", "name"),
            instance: Ref::new("db", "identifier"),
            max_connections_percent: 100,
        };
        assert!(DbProxyTarget::diff(&spec, &live("AVAILABLE", ""), &resolver).is_empty());
        let smaller = DbProxyTargetSpec {
            max_connections_percent: 50,
            ..spec
        };
        let changes = DbProxyTarget::diff(&smaller, &live("AVAILABLE", ""), &resolver);
        assert_eq!(changes.len(), 1);
        assert!(!changes[0].replace);
    }
}
