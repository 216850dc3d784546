//! `[rds_proxy]`: whether the environment puts an RDS Proxy in front of its database, and how
//! the proxy pools connections.
//!
//! A section of its own (not keys of `[database]`) because the proxy is a resource of its own
//! with its own settings, and because an environment file written before the proxy existed
//! must keep loading: the whole section is optional, and every key has a per-environment
//! default (the seed's: connection pooling and failover where it pays, staging and prod; dev
//! connects to the instance directly, saving the proxy's cost).

use serde::Deserialize;

use super::Problem;

/// The idle client timeout RDS Proxy uses when none is given (seconds).
pub const DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS: u32 = 1800;
/// What RDS Proxy accepts for the idle client timeout (seconds: 1 second to 8 hours).
const IDLE_CLIENT_TIMEOUT_RANGE: (u32, u32) = (1, 28_800);

/// The validated `[rds_proxy]` section.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RdsProxyConfig {
    /// Put a proxy in front of the database; the API then connects to the proxy's endpoint.
    pub enabled: bool,
    /// Seconds a client connection may sit idle before the proxy closes it.
    pub idle_client_timeout_seconds: u32,
    /// How much of the database's `max_connections` the proxy may open (percent, 1..=100).
    pub max_connections_percent: u32,
    /// Log the proxy's SQL statements (for troubleshooting only: it logs query text).
    pub debug_logging: bool,
}

impl RdsProxyConfig {
    /// The defaults for an environment of this name: enabled in staging and prod.
    pub fn defaults_for(env: &str) -> Self {
        Self {
            enabled: matches!(env, "staging" | "prod"),
            idle_client_timeout_seconds: DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS,
            max_connections_percent: 100,
            debug_logging: false,
        }
    }
}

/// `[rds_proxy]` as written: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRdsProxy {
    enabled: Option<bool>,
    idle_client_timeout_seconds: Option<u32>,
    max_connections_percent: Option<u32>,
    debug_logging: Option<bool>,
}

fn problem(key: &str, message: String) -> Problem {
    Problem {
        key: format!("rds_proxy.{key}"),
        line: None,
        message,
    }
}

/// Fills in the defaults for `env` and checks the ranges; problems name the key.
pub(super) fn resolve(
    raw: Option<&RawRdsProxy>,
    env: &str,
    problems: &mut Vec<Problem>,
) -> RdsProxyConfig {
    let defaults = RdsProxyConfig::defaults_for(env);
    let Some(raw) = raw else {
        return defaults;
    };
    let config = RdsProxyConfig {
        enabled: raw.enabled.unwrap_or(defaults.enabled),
        idle_client_timeout_seconds: raw
            .idle_client_timeout_seconds
            .unwrap_or(defaults.idle_client_timeout_seconds),
        max_connections_percent: raw
            .max_connections_percent
            .unwrap_or(defaults.max_connections_percent),
        debug_logging: raw.debug_logging.unwrap_or(defaults.debug_logging),
    };
    let (lo, hi) = IDLE_CLIENT_TIMEOUT_RANGE;
    let timeout = config.idle_client_timeout_seconds;
    if !(lo..=hi).contains(&timeout) {
        problems.push(problem(
            "idle_client_timeout_seconds",
            format!(
                "{timeout} is out of range; RDS Proxy allows {lo}..={hi} seconds (8 hours); the default is {DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS}"
            ),
        ));
    }
    let percent = config.max_connections_percent;
    if !(1..=100).contains(&percent) {
        problems.push(problem(
            "max_connections_percent",
            format!(
                "{percent} is out of range; allowed 1..=100 (percent of the database's max_connections the proxy may use; the default is 100)"
            ),
        ));
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn envs_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("envs")
    }

    #[test]
    fn shipped_files_enable_the_proxy_in_staging_and_prod_only() {
        for (env, enabled) in [("dev", false), ("staging", true), ("prod", true)] {
            let loaded = crate::config::load(&envs_dir(), env, None).unwrap();
            assert_eq!(loaded.rds_proxy.enabled, enabled, "{env}");
            assert_eq!(loaded.rds_proxy.idle_client_timeout_seconds, 1800, "{env}");
            assert_eq!(loaded.rds_proxy.max_connections_percent, 100, "{env}");
            assert!(!loaded.rds_proxy.debug_logging, "{env}");
        }
    }

    #[test]
    fn a_file_without_the_section_gets_the_environment_s_defaults() {
        let mut problems = Vec::new();
        assert!(resolve(None, "prod", &mut problems).enabled);
        assert!(!resolve(None, "dev", &mut problems).enabled);
        assert!(!resolve(None, "qa", &mut problems).enabled);
        assert!(problems.is_empty());
    }

    #[test]
    fn out_of_range_values_name_the_file_and_key() {
        let source = std::fs::read_to_string(envs_dir().join("staging.toml")).unwrap();
        let source = source
            .replace(
                "max_connections_percent = 100",
                "max_connections_percent = 0",
            )
            .replace(
                "idle_client_timeout_seconds = 1800",
                "idle_client_timeout_seconds = 30000",
            );
        let text = crate::config::parse_str(&source, Path::new("envs/staging.toml"), None)
            .unwrap_err()
            .to_string();
        assert!(text.contains("envs/staging.toml:"), "{text}");
        assert!(
            text.contains("rds_proxy.max_connections_percent: 0 is out of range; allowed 1..=100"),
            "{text}"
        );
        assert!(
            text.contains("rds_proxy.idle_client_timeout_seconds: 30000 is out of range"),
            "{text}"
        );
        let unknown = source.replace("debug_logging = false", "debug_loging = false");
        let text = crate::config::parse_str(&unknown, Path::new("envs/staging.toml"), None)
            .unwrap_err()
            .to_string();
        assert!(text.contains("debug_loging"), "{text}");
    }
}
