//! The load balancer's security attributes (`[load_balancer]`), a part of the load balancer
//! kind kept apart so that the kind stays a readable size.
//!
//! Three attributes AWS Foundational Security Best Practices checks: dropping invalid header
//! fields (ELB.4), deletion protection (ELB.6) and the desync mitigation mode (ELB.12).
//! `CreateLoadBalancer` takes no attributes, so they are the update the engine makes right
//! after the create; each change is one `ModifyLoadBalancerAttributes` setting the whole
//! value (safe to repeat). They come from the `DescribeLoadBalancerAttributes` the kind
//! makes for the access logs anyway: no extra read. An attribute the answer leaves out
//! (AWS reports every one; moto only those set) is taken at AWS's default, which is what a
//! load balancer has until someone sets it.

use super::super::FieldChange;
use aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute;
use std::collections::BTreeMap;

pub(super) const DROP_INVALID_HEADER_FIELDS: &str =
    "routing.http.drop_invalid_header_fields.enabled";
/// The attribute that protects a load balancer from deletion.
pub(super) const DELETION_PROTECTION: &str = "deletion_protection.enabled";
pub(super) const DESYNC_MITIGATION_MODE: &str = "routing.http.desync_mitigation_mode";

/// The security attributes, desired or live. The default is AWS's for a new load balancer,
/// which is also what a spec recorded before these settings existed means.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecurityAttributes {
    pub drop_invalid_header_fields: bool,
    pub deletion_protection: bool,
    /// `monitor`, `defensive` or `strictest`.
    pub desync_mitigation_mode: String,
}

impl Default for SecurityAttributes {
    fn default() -> Self {
        Self {
            drop_invalid_header_fields: false,
            deletion_protection: false,
            desync_mitigation_mode: "defensive".into(),
        }
    }
}

impl SecurityAttributes {
    /// From a `DescribeLoadBalancerAttributes` answer; unreported ones at AWS's default.
    pub fn from_attributes(attributes: &BTreeMap<String, String>) -> Self {
        let defaults = Self::default();
        let flag = |key: &str, default: bool| {
            attributes
                .get(key)
                .map_or(default, |value| value.eq_ignore_ascii_case("true"))
        };
        Self {
            drop_invalid_header_fields: flag(
                DROP_INVALID_HEADER_FIELDS,
                defaults.drop_invalid_header_fields,
            ),
            deletion_protection: flag(DELETION_PROTECTION, defaults.deletion_protection),
            desync_mitigation_mode: attributes
                .get(DESYNC_MITIGATION_MODE)
                .filter(|mode| !mode.is_empty())
                .cloned()
                .unwrap_or(defaults.desync_mitigation_mode),
        }
    }

    /// The attribute a plan field names, with its desired value.
    fn attribute(&self, field: &str) -> Option<(&'static str, String)> {
        match field {
            "drop_invalid_header_fields" => Some((
                DROP_INVALID_HEADER_FIELDS,
                self.drop_invalid_header_fields.to_string(),
            )),
            "deletion_protection" => {
                Some((DELETION_PROTECTION, self.deletion_protection.to_string()))
            }
            "desync_mitigation_mode" => {
                Some((DESYNC_MITIGATION_MODE, self.desync_mitigation_mode.clone()))
            }
            _ => None,
        }
    }
}

/// One change per attribute that differs (all in place).
pub(super) fn diff(
    changes: &mut Vec<FieldChange>,
    desired: &SecurityAttributes,
    live: &SecurityAttributes,
) {
    if live.drop_invalid_header_fields != desired.drop_invalid_header_fields {
        changes.push(FieldChange::update(
            "drop_invalid_header_fields",
            live.drop_invalid_header_fields,
            desired.drop_invalid_header_fields,
        ));
    }
    if live.deletion_protection != desired.deletion_protection {
        changes.push(FieldChange::update(
            "deletion_protection",
            live.deletion_protection,
            desired.deletion_protection,
        ));
    }
    if live.desync_mitigation_mode != desired.desync_mitigation_mode {
        changes.push(FieldChange::update(
            "desync_mitigation_mode",
            &live.desync_mitigation_mode,
            &desired.desync_mitigation_mode,
        ));
    }
}

/// The attributes to send for `changes` (those that name a security attribute), in one
/// `ModifyLoadBalancerAttributes`; empty when none does.
pub(super) fn attributes_for(
    desired: &SecurityAttributes,
    changes: &[FieldChange],
) -> Vec<LoadBalancerAttribute> {
    changes
        .iter()
        .filter_map(|change| desired.attribute(&change.field))
        .map(|(key, value)| {
            LoadBalancerAttribute::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreported_attributes_are_aws_defaults() {
        assert_eq!(
            SecurityAttributes::from_attributes(&BTreeMap::new()),
            SecurityAttributes::default()
        );
        let reported: BTreeMap<String, String> = [
            (DROP_INVALID_HEADER_FIELDS, "true"),
            (DELETION_PROTECTION, "true"),
            (DESYNC_MITIGATION_MODE, "strictest"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
        let live = SecurityAttributes::from_attributes(&reported);
        assert!(live.drop_invalid_header_fields && live.deletion_protection);
        assert_eq!(live.desync_mitigation_mode, "strictest");
    }

    #[test]
    fn each_differing_attribute_is_one_in_place_change_and_one_attribute_to_send() {
        let desired = SecurityAttributes {
            drop_invalid_header_fields: true,
            deletion_protection: true,
            desync_mitigation_mode: "defensive".into(),
        };
        let mut changes = Vec::new();
        diff(&mut changes, &desired, &desired);
        assert!(changes.is_empty());
        diff(&mut changes, &desired, &SecurityAttributes::default());
        let fields: Vec<(&str, &str, bool)> = changes
            .iter()
            .map(|change| (change.field.as_str(), change.new.as_str(), change.replace))
            .collect();
        assert_eq!(
            fields,
            [
                ("drop_invalid_header_fields", "true", false),
                ("deletion_protection", "true", false)
            ]
        );
        let sent: Vec<(String, String)> = attributes_for(&desired, &changes)
            .iter()
            .map(|a| (a.key().unwrap().to_string(), a.value().unwrap().to_string()))
            .collect();
        assert_eq!(
            sent,
            [
                (DROP_INVALID_HEADER_FIELDS.to_string(), "true".to_string()),
                (DELETION_PROTECTION.to_string(), "true".to_string())
            ]
        );
        let other = [FieldChange::update("subnets", "a", "b")];
        assert!(attributes_for(&desired, &other).is_empty());
    }
}
