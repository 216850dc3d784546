//! The RDS Proxy, where the environment enables it (`[rds_proxy] enabled`; staging and prod by
//! default): its security group, its IAM role, the proxy and the registration of the database
//! as its target.
//!
//! The proxy sits in the database subnets. Its security group admits PostgreSQL from the API
//! tasks only, and the database's group then admits the proxy only (`network` asks
//! [`enabled`]), so nothing reaches the instance around the proxy. The proxy authenticates
//! with the database's credentials secret (TLS required from clients), reading it through a
//! role RDS assumes that may `GetSecretValue` that one secret and nothing else. (The secret is
//! encrypted with the account's AWS-managed Secrets Manager key, whose use through Secrets
//! Manager needs no `kms:Decrypt` grant, so the policy has none.) The API's `DATABASE_HOST` is
//! the proxy's endpoint then (`app` asks [`database_host`]).

use super::data::{DATABASE, SECRET_DB};
use super::network::{subnet_id, SG_API, VPC};
use super::{az_label, Declared};
use crate::config::Environment;
use crate::resources::db_proxy::DbProxySpec;
use crate::resources::db_proxy_target::DbProxyTargetSpec;
use crate::resources::iam_role::{IamRoleSpec, InlinePolicy, PolicyResource, PolicyStatement};
use crate::resources::security_group::{IngressRule, RuleSource, SecurityGroupSpec};
use crate::resources::{Ref, Spec};

pub const SG_DB_PROXY: &str = "sg-db-proxy";
pub const PROXY_ROLE: &str = "iam-rds-proxy-role";
pub const DB_PROXY: &str = "db-proxy";
pub const DB_PROXY_TARGET: &str = "db-proxy-target";

/// Whether the environment puts a proxy in front of its database.
pub fn enabled(env: &Environment) -> bool {
    env.rds_proxy.enabled
}

/// Where the API connects to PostgreSQL: the proxy's endpoint when there is one, else the
/// instance's.
pub fn database_host(env: &Environment) -> Ref {
    if enabled(env) {
        Ref::new(DB_PROXY, "endpoint")
    } else {
        Ref::new(DATABASE, "endpoint")
    }
}

/// The proxy's security group (network layer): PostgreSQL from the API tasks only. The proxy
/// connects out to the instance, so its egress is open (inside the isolated subnets).
pub(super) fn network(env: &Environment) -> Vec<Declared> {
    if !enabled(env) {
        return Vec::new();
    }
    vec![Declared::new(
        SG_DB_PROXY,
        Spec::SecurityGroup(SecurityGroupSpec {
            vpc: Ref::new(VPC, "vpc_id"),
            description: format!("{} {} RDS Proxy", env.stack, env.name),
            ingress: vec![IngressRule {
                port: env.database.port,
                source: RuleSource::SecurityGroup(Ref::new(SG_API, "group_id")),
                description: "API tasks to the RDS Proxy".into(),
            }],
            allow_all_egress: true,
        }),
    )]
}

/// The role, the proxy and its target (data layer).
pub(super) fn data(env: &Environment) -> Vec<Declared> {
    if !enabled(env) {
        return Vec::new();
    }
    let prefix = env.resource_prefix();
    let proxy = &env.rds_proxy;
    let database_subnets: Vec<Ref> = env
        .network
        .availability_zones
        .iter()
        .map(|az| {
            Ref::new(
                subnet_id("database", &az_label(&env.region, az)),
                "subnet_id",
            )
        })
        .collect();
    vec![
        Declared::new(
            PROXY_ROLE,
            Spec::IamRole(IamRoleSpec {
                name: format!("{prefix}-rds-proxy"),
                description: format!("{prefix} rds-proxy (managed by macroctl)"),
                trusted_service: "rds.amazonaws.com".into(),
                managed_policy_arns: Vec::new(),
                inline_policies: vec![InlinePolicy {
                    name: "read-database-secret".into(),
                    statements: vec![PolicyStatement {
                        sid: Some("ReadDatabaseSecret".into()),
                        actions: vec!["secretsmanager:GetSecretValue".into()],
                        resources: vec![PolicyResource::Ref(Ref::new(SECRET_DB, "arn"))],
                    }],
                }],
            }),
        ),
        Declared::new(
            DB_PROXY,
            Spec::DbProxy(DbProxySpec {
                name: format!("{prefix}-db-proxy"),
                engine_family: "POSTGRESQL".into(),
                subnets: database_subnets,
                security_group: Ref::new(SG_DB_PROXY, "group_id"),
                role: Ref::new(PROXY_ROLE, "arn"),
                secret: Ref::new(SECRET_DB, "arn"),
                require_tls: true,
                idle_client_timeout_seconds: proxy.idle_client_timeout_seconds as i32,
                debug_logging: proxy.debug_logging,
            }),
        ),
        Declared::new(
            DB_PROXY_TARGET,
            Spec::DbProxyTarget(DbProxyTargetSpec {
                proxy: Ref::new(DB_PROXY, "name"),
                instance: Ref::new(DATABASE, "identifier"),
                max_connections_percent: proxy.max_connections_percent as i32,
            }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Environment {
        crate::config::load(std::path::Path::new("envs"), name, None).unwrap()
    }

    #[test]
    fn staging_and_prod_have_a_proxy_and_dev_has_none() {
        for name in ["staging", "prod"] {
            let env = env(name);
            let ids: Vec<String> = network(&env)
                .into_iter()
                .chain(data(&env))
                .map(|declared| declared.id)
                .collect();
            assert_eq!(
                ids,
                [SG_DB_PROXY, PROXY_ROLE, DB_PROXY, DB_PROXY_TARGET],
                "{name}"
            );
            assert_eq!(database_host(&env), Ref::new(DB_PROXY, "endpoint"));
        }
        let dev = env("dev");
        assert!(network(&dev).is_empty() && data(&dev).is_empty());
        assert_eq!(database_host(&dev), Ref::new(DATABASE, "endpoint"));
    }

    #[test]
    fn the_role_reads_exactly_the_database_secret() {
        let declared = data(&env("staging"));
        let Spec::IamRole(role) = &declared[0].spec else {
            panic!("not a role");
        };
        assert_eq!(role.trusted_service, "rds.amazonaws.com");
        let statements: Vec<&PolicyStatement> = role
            .inline_policies
            .iter()
            .flat_map(|policy| &policy.statements)
            .collect();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0].actions, ["secretsmanager:GetSecretValue"]);
        assert!(matches!(
            statements[0].resources.as_slice(),
            [PolicyResource::Ref(reference)] if *reference == Ref::new(SECRET_DB, "arn")
        ));
    }
}
