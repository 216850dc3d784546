//! `[flow_logs]` (optional section): VPC flow logs, the record of which connections reached
//! the environment's network interfaces and whether the security groups let them in. The seed
//! plan asks for them in every environment; they go to a CloudWatch Logs group of their own,
//! kept like the environment's other logs unless `retention_days` says otherwise.
//!
//! Every key has a default, so a file without the section gets flow logs of all traffic with
//! the environment's log retention.

use serde::Deserialize;

use super::validate::LOG_RETENTION_DAYS;

/// Which traffic a flow log records (EC2's `TrafficType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TrafficType {
    /// Accepted and rejected traffic.
    #[default]
    All,
    /// Only what the security groups and network ACLs let through.
    Accept,
    /// Only what they turned away.
    Reject,
}

impl TrafficType {
    /// EC2's value, also the spelling in the environment files.
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficType::All => "ALL",
            TrafficType::Accept => "ACCEPT",
            TrafficType::Reject => "REJECT",
        }
    }
}

/// `[flow_logs]` as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlowLogs {
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default)]
    traffic_type: TrafficType,
    #[serde(default)]
    retention_days: Option<u32>,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for RawFlowLogs {
    fn default() -> Self {
        Self {
            enabled: true,
            traffic_type: TrafficType::All,
            retention_days: None,
        }
    }
}

/// Validated `[flow_logs]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlowLogsConfig {
    /// Whether the VPC gets a flow log (with its log group and IAM role).
    pub enabled: bool,
    pub traffic_type: TrafficType,
    /// Days the flow log group keeps events: `retention_days`, else
    /// `monitoring.log_retention_days`.
    pub retention_days: u32,
}

/// The validated section, and its problems as (key, message).
pub(super) fn check(
    raw: &RawFlowLogs,
    log_retention_days: u32,
) -> (FlowLogsConfig, Vec<(String, String)>) {
    let mut problems = Vec::new();
    if let Some(days) = raw.retention_days {
        if !LOG_RETENTION_DAYS.contains(&days) {
            let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
            problems.push((
                "flow_logs.retention_days".to_string(),
                format!(
                    "{days} is not a CloudWatch Logs retention value; allowed: {} (or leave the key out to keep flow logs as long as monitoring.log_retention_days)",
                    allowed.join(", ")
                ),
            ));
        }
    }
    let config = FlowLogsConfig {
        enabled: raw.enabled,
        traffic_type: raw.traffic_type,
        retention_days: raw.retention_days.unwrap_or(log_retention_days),
    };
    (config, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> RawFlowLogs {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_follow_the_environment() {
        let (config, problems) = check(&RawFlowLogs::default(), 30);
        assert!(problems.is_empty());
        assert_eq!(
            config,
            FlowLogsConfig {
                enabled: true,
                traffic_type: TrafficType::All,
                retention_days: 30
            }
        );
        let (config, _) = check(
            &parsed("traffic_type = \"REJECT\"\nretention_days = 14"),
            30,
        );
        assert_eq!(
            (config.traffic_type, config.retention_days),
            (TrafficType::Reject, 14)
        );
        assert!(!check(&parsed("enabled = false"), 7).0.enabled);
    }

    #[test]
    fn bad_values_name_the_key_and_the_allowed_ones() {
        let (_, problems) = check(&parsed("retention_days = 10"), 30);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "flow_logs.retention_days");
        assert!(
            problems[0].1.contains("allowed: 1, 3, 5, 7, 14"),
            "{problems:?}"
        );
        let err = toml::from_str::<RawFlowLogs>("traffic_type = \"all\"").unwrap_err();
        assert!(err.to_string().contains("ALL"), "{err}");
        assert!(toml::from_str::<RawFlowLogs>("traffic = \"ALL\"").is_err());
    }
}
