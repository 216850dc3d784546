//! The RDS Proxy in front of the PostgreSQL instance: connection pooling, and failover that
//! the API does not see (the seed's "connection pooling and failover").
//!
//! Found by its name, which is unique in the account and region and is its physical id (the
//! ARN ends in a random `prx-…` id, so the name is what macroctl can know beforehand). While
//! planning, the environment's proxies come from one (paginated) `DescribeDBProxies` without a
//! name (it takes no usable filter), kept by the desired names; a recorded name missing from it
//! is read directly, as is everything when a fresh answer is needed (`ctx.cached == false`).
//! `DescribeDBProxies` carries no tags: they come from the environment's `GetResources`, else
//! from `ListTagsForResource`.
//!
//! The proxy is created with TLS required and one authentication entry: the database's
//! credentials secret (`SECRETS`, IAM authentication `DISABLED`), read by the proxy through its
//! own IAM role, which may read exactly that secret. The create does not wait: the proxy is
//! `creating` for minutes on AWS and is `Pending` until `available`. Its subnets and engine
//! family cannot change in place (`replace`); TLS, timeouts, logging, the role, the secret and
//! the security groups change with one `ModifyDBProxy` (which sets what it is given, so
//! repeating it is harmless). The connection pool belongs to the proxy's target group, see
//! `db_proxy_target`.

use super::inventory::Listing;
use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity,
    IdentityKind, Kind, Lookup, Outputs, Readiness, Ref, Resolver, Spec, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_rds::types::{AuthScheme, DbProxy as Proxy, EngineFamily, IamAuthMode, UserAuthConfig};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DbProxySpec {
    pub name: String,
    /// `POSTGRESQL`.
    pub engine_family: String,
    pub subnets: Vec<Ref>,
    pub security_group: Ref,
    /// The role the proxy reads the secret with.
    pub role: Ref,
    /// The database credentials secret the proxy authenticates with.
    pub secret: Ref,
    pub require_tls: bool,
    pub idle_client_timeout_seconds: i32,
    pub debug_logging: bool,
}

#[derive(Debug, Clone)]
pub struct DbProxyLive {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub engine_family: String,
    pub endpoint: String,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub security_groups: Vec<String>,
    pub role_arn: String,
    /// Each authentication entry as `SCHEME:IAM_AUTH:SECRET_ARN`, sorted.
    pub auth: Vec<String>,
    pub require_tls: bool,
    pub idle_client_timeout_seconds: i32,
    pub debug_logging: bool,
    pub tags: Tags,
}

pub struct DbProxy;

/// How one desired authentication entry shows (and compares) as live.
fn auth_entry(secret_arn: &str) -> String {
    format!("SECRETS:DISABLED:{secret_arn}")
}

fn live_of(proxy: &Proxy, tags: Tags) -> DbProxyLive {
    let sorted = |items: &[String]| {
        let mut items = items.to_vec();
        items.sort();
        items
    };
    let mut auth: Vec<String> = proxy
        .auth()
        .iter()
        .map(|entry| {
            format!(
                "{}:{}:{}",
                entry.auth_scheme().map_or("", |scheme| scheme.as_str()),
                entry.iam_auth().map_or("DISABLED", |mode| mode.as_str()),
                entry.secret_arn().unwrap_or_default()
            )
        })
        .collect();
    auth.sort();
    DbProxyLive {
        name: proxy.db_proxy_name().unwrap_or_default().to_string(),
        arn: proxy.db_proxy_arn().unwrap_or_default().to_string(),
        status: proxy
            .status()
            .map_or("available", |status| status.as_str())
            .to_string(),
        engine_family: proxy.engine_family().unwrap_or_default().to_string(),
        endpoint: proxy.endpoint().unwrap_or_default().to_string(),
        vpc_id: proxy.vpc_id().unwrap_or_default().to_string(),
        subnet_ids: sorted(proxy.vpc_subnet_ids()),
        security_groups: sorted(proxy.vpc_security_group_ids()),
        role_arn: proxy.role_arn().unwrap_or_default().to_string(),
        auth,
        require_tls: proxy.require_tls().unwrap_or(false),
        idle_client_timeout_seconds: proxy.idle_client_timeout().unwrap_or(1800),
        debug_logging: proxy.debug_logging().unwrap_or(false),
        tags,
    }
}

/// What a proxy `status` means for what depends on it.
fn readiness_of(name: &str, status: &str) -> Readiness {
    let why = || format!("DB proxy {name} is {status}");
    match status {
        "available" => Readiness::Ready,
        "creating" | "reactivating" => Readiness::Pending(why()),
        "modifying" => Readiness::Busy(why()),
        // incompatible-network, insufficient-resource-limits, suspended, suspending,
        // deleting: waiting does not make it usable.
        _ => Readiness::Failed(why()),
    }
}

fn deletion_of(status: &str) -> Deletion {
    match status {
        "deleting" => Deletion::Deleting(status.to_string()),
        _ => Deletion::Present,
    }
}

fn auth_config(secret_arn: String) -> UserAuthConfig {
    UserAuthConfig::builder()
        .auth_scheme(AuthScheme::Secrets)
        .iam_auth(IamAuthMode::Disabled)
        .secret_arn(secret_arn)
        .description("database credentials (managed by macroctl)")
        .build()
}

impl Kind for DbProxy {
    const KIND: &'static str = "rds:db-proxy";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // The name is unique: a repeat answers DBProxyAlreadyExistsFault.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["name", "arn", "endpoint"];
    type Spec = DbProxySpec;
    type Live = DbProxyLive;

    fn refs(spec: &DbProxySpec) -> Vec<Ref> {
        let mut refs = spec.subnets.clone();
        refs.extend([
            spec.security_group.clone(),
            spec.role.clone(),
            spec.secret.clone(),
        ]);
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbProxySpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<DbProxyLive>, AwsError> {
        // The physical id is the name.
        let name = match lookup {
            Lookup::Id(name) => name,
            Lookup::Identity => &spec.name,
        };
        let proxy = if ctx.cached {
            let listed = ctx.inventory.listed::<Proxies>(ctx).await?;
            match (pick(&listed, name), lookup) {
                (Some(proxy), _) => Some(proxy.clone()),
                // The listing holds every proxy of the environment's names.
                (None, Lookup::Identity) => None,
                (None, Lookup::Id(_)) => describe(ctx, name).await?,
            }
        } else {
            describe(ctx, name).await?
        };
        let Some(proxy) = proxy else {
            return Ok(None);
        };
        let arn = proxy.db_proxy_arn().unwrap_or_default().to_string();
        let tags = match ctx.inventory.tags_of(ctx, &arn).await? {
            Some(tags) => tags,
            None => tags::list_rds(&ctx.aws.rds, &arn).await?,
        };
        Ok(Some(live_of(&proxy, tags)))
    }

    fn diff(spec: &DbProxySpec, live: &DbProxyLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(
            &mut changes,
            "engine_family",
            &live.engine_family,
            &spec.engine_family,
            true,
        );
        compare(
            &mut changes,
            "vpc_subnet_ids",
            &live.subnet_ids.join(","),
            &resolver.sorted(&spec.subnets).join(","),
            true,
        );
        compare(
            &mut changes,
            "vpc_security_group_ids",
            &live.security_groups.join(","),
            &resolver.get(&spec.security_group),
            false,
        );
        compare(
            &mut changes,
            "role_arn",
            &live.role_arn,
            &resolver.get(&spec.role),
            false,
        );
        compare(
            &mut changes,
            "auth",
            &live.auth.join(","),
            &auth_entry(&resolver.get(&spec.secret)),
            false,
        );
        compare(
            &mut changes,
            "require_tls",
            &live.require_tls.to_string(),
            &spec.require_tls.to_string(),
            false,
        );
        compare(
            &mut changes,
            "idle_client_timeout_seconds",
            &live.idle_client_timeout_seconds.to_string(),
            &spec.idle_client_timeout_seconds.to_string(),
            false,
        );
        compare(
            &mut changes,
            "debug_logging",
            &live.debug_logging.to_string(),
            &spec.debug_logging.to_string(),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &DbProxySpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .rds
            .create_db_proxy()
            .db_proxy_name(&spec.name)
            .engine_family(EngineFamily::from(spec.engine_family.as_str()))
            .auth(auth_config(resolver.get(&spec.secret)))
            .role_arn(resolver.get(&spec.role))
            .set_vpc_subnet_ids(Some(resolver.sorted(&spec.subnets)))
            .vpc_security_group_ids(resolver.get(&spec.security_group))
            .require_tls(spec.require_tls)
            .idle_client_timeout(spec.idle_client_timeout_seconds)
            .debug_logging(spec.debug_logging)
            .set_tags(Some(tags::to_rds(&who.tags)))
            .send()
            .await
            .op("CreateDBProxy")?;
        Ok(output
            .db_proxy()
            .and_then(|proxy| proxy.db_proxy_name())
            .unwrap_or(&spec.name)
            .to_string())
    }

    /// One `ModifyDBProxy` with every changed field.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &DbProxySpec,
        live: &DbProxyLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let mut request = ctx.aws.rds.modify_db_proxy().db_proxy_name(&live.name);
        let mut modified = false;
        for change in changes {
            request = match change.field.as_str() {
                "vpc_security_group_ids" => {
                    request.security_groups(resolver.get(&spec.security_group))
                }
                "role_arn" => request.role_arn(resolver.get(&spec.role)),
                "auth" => request.auth(auth_config(resolver.get(&spec.secret))),
                "require_tls" => request.require_tls(spec.require_tls),
                "idle_client_timeout_seconds" => {
                    request.idle_client_timeout(spec.idle_client_timeout_seconds)
                }
                "debug_logging" => request.debug_logging(spec.debug_logging),
                _ => continue,
            };
            modified = true;
        }
        if modified {
            request.send().await.op("ModifyDBProxy")?;
        }
        Ok(None)
    }

    fn readiness(live: &DbProxyLive) -> Readiness {
        readiness_of(&live.name, &live.status)
    }

    fn tags(live: &DbProxyLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &DbProxyLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_rds(&ctx.aws.rds, &live.arn, changes).await
    }

    /// By name; the proxy's targets go with it. A proxy already `deleting` is not asked again.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &DbProxyLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        if deletion_of(&live.status) != Deletion::Present {
            return Ok(Deleted::Requested);
        }
        // DBProxyNotFoundFault: already gone.
        ctx.aws
            .rds
            .delete_db_proxy()
            .db_proxy_name(&live.name)
            .send()
            .await
            .op("DeleteDBProxy")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn deletion(live: &DbProxyLive) -> Deletion {
        deletion_of(&live.status)
    }

    fn physical_id(live: &DbProxyLive) -> String {
        live.name.clone()
    }

    fn outputs(live: &DbProxyLive) -> Outputs {
        Outputs::from([
            ("name".into(), live.name.clone()),
            ("arn".into(), live.arn.clone()),
            ("endpoint".into(), live.endpoint.clone()),
        ])
    }

    fn status(live: &DbProxyLive) -> String {
        format!("{} {}", live.status, live.endpoint)
    }
}

// --- Reading ---------------------------------------------------------------------------------

/// One proxy, directly, by name.
async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<Proxy>, AwsError> {
    Ok(ctx
        .aws
        .rds
        .describe_db_proxies()
        .db_proxy_name(name)
        .send()
        .await
        .op("DescribeDBProxies")
        .found()?
        .and_then(|output| output.db_proxies().first().cloned()))
}

/// This environment's proxies while planning: every proxy of the account and region, kept by
/// the desired names.
struct Proxies;

impl Listing for Proxies {
    type Item = Proxy;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Proxy>, AwsError> {
        let names: Vec<&str> = ctx
            .desired_of(|spec| match spec {
                Spec::DbProxy(proxy) => Some(proxy),
                _ => None,
            })
            .into_iter()
            .map(|proxy| proxy.name.as_str())
            .collect();
        let mut all = Vec::new();
        let mut pages = ctx
            .aws
            .rds
            .describe_db_proxies()
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            all.extend(page.op("DescribeDBProxies")?.db_proxies.unwrap_or_default());
        }
        Ok(named(all, &names))
    }
}

fn named(listed: Vec<Proxy>, names: &[&str]) -> Vec<Proxy> {
    listed
        .into_iter()
        .filter(|proxy| names.contains(&proxy.db_proxy_name().unwrap_or_default()))
        .collect()
}

fn pick<'a>(listed: &'a [Proxy], name: &str) -> Option<&'a Proxy> {
    listed
        .iter()
        .find(|proxy| proxy.db_proxy_name() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DbProxySpec {
        DbProxySpec {
            name: "macro-ai-staging-postgres".into(),
            engine_family: "POSTGRESQL".into(),
            subnets: vec![Ref::new("db-a", "subnet_id"), Ref::new("db-b", "subnet_id")],
            security_group: Ref::new("sg", "group_id"),
            role: Ref::new("role", "arn"),
            secret: Ref::new("secret", "arn"),
            require_tls: true,
            idle_client_timeout_seconds: 1800,
            debug_logging: false,
        }
    }

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        let set = |id: &str, output: &str, value: &str| {
            resolver.set(&id.into(), Outputs::from([(output.into(), value.into())]))
        };
        set("db-a", "subnet_id", "subnet-b");
        set("db-b", "subnet_id", "subnet-a");
        set("sg", "group_id", "sg-1");
        set("role", "arn", "arn:aws:iam::123456789012:role/proxy");
        set(
            "secret",
            "arn",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
        );
        resolver
    }

    fn live() -> DbProxyLive {
        DbProxyLive {
            name: "macro-ai-staging-postgres".into(),
            arn: "arn:aws:rds:us-east-1:123456789012:db-proxy:prx-1".into(),
            status: "available".into(),
            engine_family: "POSTGRESQL".into(),
            endpoint: "macro-ai-staging-postgres.proxy-1.us-east-1.rds.amazonaws.com".into(),
            vpc_id: "vpc-1".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            security_groups: vec!["sg-1".into()],
            role_arn: "arn:aws:iam::123456789012:role/proxy".into(),
            auth: vec![auth_entry(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
            )],
            require_tls: true,
            idle_client_timeout_seconds: 1800,
            debug_logging: false,
            tags: Tags::new(),
        }
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<DbProxy>(&live()));
    }

    #[test]
    fn converged_is_no_change_and_settings_change_in_place() {
        assert!(DbProxy::diff(&spec(), &live(), &resolver()).is_empty());
        let mut changed = live();
        changed.require_tls = false;
        changed.idle_client_timeout_seconds = 600;
        let changes = DbProxy::diff(&spec(), &changed, &resolver());
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["require_tls", "idle_client_timeout_seconds"]);
        assert!(changes.iter().all(|c| !c.replace));
    }

    #[test]
    fn other_subnets_or_engine_mean_a_new_proxy() {
        let mut moved = live();
        moved.subnet_ids = vec!["subnet-c".into()];
        moved.engine_family = "MYSQL".into();
        let changes = DbProxy::diff(&spec(), &moved, &resolver());
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| c.replace));
    }

    #[test]
    fn status_decides_readiness() {
        assert_eq!(readiness_of("p", "available"), Readiness::Ready);
        assert!(matches!(
            readiness_of("p", "creating"),
            Readiness::Pending(_)
        ));
        assert!(matches!(readiness_of("p", "modifying"), Readiness::Busy(_)));
        assert!(matches!(
            readiness_of("p", "incompatible-network"),
            Readiness::Failed(_)
        ));
        assert_eq!(
            deletion_of("deleting"),
            Deletion::Deleting("deleting".into())
        );
    }
}
