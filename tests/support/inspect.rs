//! Reading what the emulator holds for the application layer, for the app tests: environment
//! file values, IAM policy statements, listener-rule targets, recorded ECS requests.
#![allow(dead_code)]

use super::{Emulator, Workspace};
use std::collections::BTreeSet;

pub fn env_value(ws: &Workspace, env: &str, path: &[&str]) -> toml::Value {
    let text = std::fs::read_to_string(ws.env_file(env)).unwrap();
    let mut value: toml::Value = toml::from_str(&text).unwrap();
    for key in path {
        value = value[*key].clone();
    }
    value
}

pub fn int(value: toml::Value) -> i64 {
    value.as_integer().unwrap()
}

/// IAM returns policy documents URL-encoded.
pub fn decode(text: &str) -> serde_json::Value {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    serde_json::from_slice(&out).unwrap_or_else(|_| serde_json::from_str(text).unwrap())
}

pub fn as_list(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Every statement of every inline policy of a role: (actions, resources).
pub async fn statements(iam: &aws_sdk_iam::Client, role: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let names = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    for name in names.policy_names() {
        let policy = iam
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .unwrap();
        let document = decode(policy.policy_document());
        let list = match &document["Statement"] {
            serde_json::Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for statement in list {
            out.push((
                as_list(&statement["Action"]),
                as_list(&statement["Resource"]),
            ));
        }
    }
    out
}

/// The target group ARNs a listener rule forwards to, with their weights (sorted).
pub fn forward_targets(
    rule: &aws_sdk_elasticloadbalancingv2::types::Rule,
) -> Vec<(String, Option<i32>)> {
    let mut targets: Vec<(String, Option<i32>)> = Vec::new();
    for action in rule.actions() {
        if let Some(config) = action.forward_config() {
            for group in config.target_groups() {
                targets.push((
                    group.target_group_arn().unwrap().to_string(),
                    group.weight(),
                ));
            }
        } else if let Some(arn) = action.target_group_arn() {
            targets.push((arn.to_string(), None));
        }
    }
    targets.sort();
    targets.dedup_by(|a, b| a.0 == b.0);
    targets
}

/// A rule's path patterns, wherever the emulator reports them.
pub fn path_patterns(rule: &aws_sdk_elasticloadbalancingv2::types::Rule) -> Vec<String> {
    rule.conditions()
        .iter()
        .flat_map(|c| {
            let mut values: Vec<String> = c.values().to_vec();
            if let Some(config) = c.path_pattern_config() {
                values.extend(config.values().iter().cloned());
            }
            values
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The one recorded request of `action` for `service` (`serviceName` or `service`).
pub fn requests_for(emulator: &Emulator, action: &str, service: &str) -> Vec<serde_json::Value> {
    emulator
        .recorded_json(action)
        .into_iter()
        .filter(|body| body["serviceName"] == service || body["service"] == service)
        .collect()
}
