//! `[load_balancer]` (optional section): the application load balancer's own security
//! settings, the ones AWS Foundational Security Best Practices checks on every ALB.
//!
//! - `drop_invalid_header_fields` (ELB.4): the ALB drops HTTP headers whose names are not
//!   valid (request smuggling and header-injection tricks rely on them). Default on.
//! - `deletion_protection` (ELB.6): AWS refuses to delete the ALB until it is turned off, so a
//!   stray `destroy` or console click cannot take production offline. Default on in `prod`
//!   only: dev and staging are torn down and rebuilt routinely; there `destroy` would need
//!   `--disable-deletion-protection` every time.
//! - `desync_mitigation_mode` (ELB.12): how the ALB treats requests that could be read
//!   differently by it and by the targets (HTTP desync). `defensive` (AWS's default) or
//!   `strictest` meet the control; `monitor` does not.
//!
//! Every key has a default, so a file without the section gets the secure settings.

use serde::Deserialize;

/// The ALB's `routing.http.desync_mitigation_mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DesyncMitigationMode {
    /// Lets every request through, only recording the ambiguous ones (fails ELB.12).
    Monitor,
    /// Blocks requests that are a risk to the targets; AWS's default.
    #[default]
    Defensive,
    /// Blocks every request not compliant with RFC 7230.
    Strictest,
}

impl DesyncMitigationMode {
    /// ELB's value, also the spelling in the environment files.
    pub fn as_str(self) -> &'static str {
        match self {
            DesyncMitigationMode::Monitor => "monitor",
            DesyncMitigationMode::Defensive => "defensive",
            DesyncMitigationMode::Strictest => "strictest",
        }
    }
}

/// `[load_balancer]` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLoadBalancer {
    #[serde(default)]
    drop_invalid_header_fields: Option<bool>,
    #[serde(default)]
    deletion_protection: Option<bool>,
    #[serde(default)]
    desync_mitigation_mode: DesyncMitigationMode,
}

/// Validated `[load_balancer]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadBalancerConfig {
    /// `routing.http.drop_invalid_header_fields.enabled` (FSBP ELB.4).
    pub drop_invalid_header_fields: bool,
    /// `deletion_protection.enabled` (FSBP ELB.6): `destroy` then refuses unless
    /// `--disable-deletion-protection`.
    pub deletion_protection: bool,
    /// `routing.http.desync_mitigation_mode` (FSBP ELB.12).
    pub desync_mitigation_mode: DesyncMitigationMode,
}

/// The section with its per-environment defaults filled in (`env` is `environment.name`).
/// Every value the file can hold is valid, so there is nothing to report.
pub(super) fn resolve(raw: Option<&RawLoadBalancer>, env: &str) -> LoadBalancerConfig {
    let raw = raw.cloned().unwrap_or_default();
    LoadBalancerConfig {
        drop_invalid_header_fields: raw.drop_invalid_header_fields.unwrap_or(true),
        deletion_protection: raw.deletion_protection.unwrap_or(env == "prod"),
        desync_mitigation_mode: raw.desync_mitigation_mode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> RawLoadBalancer {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_are_secure_and_protect_prod_only() {
        for env in ["dev", "staging", "qa"] {
            assert_eq!(
                resolve(None, env),
                LoadBalancerConfig {
                    drop_invalid_header_fields: true,
                    deletion_protection: false,
                    desync_mitigation_mode: DesyncMitigationMode::Defensive,
                }
            );
        }
        assert!(resolve(None, "prod").deletion_protection);
        let written = parsed(
            "drop_invalid_header_fields = false\ndeletion_protection = false\ndesync_mitigation_mode = \"strictest\"",
        );
        let config = resolve(Some(&written), "prod");
        assert!(!config.drop_invalid_header_fields && !config.deletion_protection);
        assert_eq!(config.desync_mitigation_mode.as_str(), "strictest");
    }

    #[test]
    fn bad_values_are_refused_naming_the_allowed_ones() {
        let err = toml::from_str::<RawLoadBalancer>("desync_mitigation_mode = \"strict\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("defensive") && err.contains("strictest"),
            "{err}"
        );
        assert!(toml::from_str::<RawLoadBalancer>("deletion_protect = true").is_err());
        assert!(toml::from_str::<RawLoadBalancer>("deletion_protection = \"yes\"").is_err());
    }
}
