//! The rules of every web ACL, and how a plan shows them.
//!
//! Desired rules are built as the SDK's own `Rule`s (what `CreateWebACL` and `UpdateWebACL`
//! send), and both they and the live rules are turned into [`RuleView`]s by the same
//! functions, so a converged ACL can never differ from its spec in words only: whatever WAF
//! reports that macroctl does not write (a version pin, excluded rules, a scope-down
//! statement, another action) shows as a difference.

use super::{Mode, WebAclSpec};
use crate::resources::FieldChange;
use aws_sdk_wafv2::error::BuildError;
use aws_sdk_wafv2::types::{
    BlockAction, CountAction, DefaultAction, ManagedRuleGroupStatement, NoneAction, OverrideAction,
    RateBasedStatement, RateBasedStatementAggregateKeyType, Rule, RuleAction, Statement,
    VisibilityConfig,
};

/// The AWS managed rule groups every web ACL runs, in priority order.
pub const MANAGED_RULE_GROUPS: [&str; 3] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
];

/// The rate-based rule's name (it comes after the managed rule groups).
pub const RATE_RULE: &str = "RateLimitPerIP";

/// The vendor of the managed rule groups.
const VENDOR: &str = "AWS";

/// The window the rate limit counts over: 5 minutes, WAF's default.
const RATE_WINDOW_SECONDS: i64 = 300;

/// One rule in the words a plan shows, the same for a desired and a live rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleView {
    pub name: String,
    pub priority: i32,
    pub statement: String,
    pub action: String,
    pub visibility: String,
}

/// The CloudWatch metric name of a rule of the ACL `acl`.
fn rule_metric(acl: &str, rule: &str) -> String {
    format!("{acl}-{rule}")
}

fn flag(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

pub(super) fn visibility_view(config: Option<&VisibilityConfig>) -> String {
    match config {
        None => "(none)".to_string(),
        Some(config) => format!(
            "metric {}, cloudwatch {}, sampled requests {}",
            config.metric_name(),
            flag(config.cloud_watch_metrics_enabled()),
            flag(config.sampled_requests_enabled())
        ),
    }
}

pub(super) fn visibility(metric: &str) -> Result<VisibilityConfig, BuildError> {
    VisibilityConfig::builder()
        .metric_name(metric)
        .cloud_watch_metrics_enabled(true)
        .sampled_requests_enabled(true)
        .build()
}

/// What a rule's statement does, in words; anything macroctl does not write is named as such,
/// so it differs from every desired statement.
fn statement_view(statement: Option<&Statement>) -> String {
    let Some(statement) = statement else {
        return "(none)".to_string();
    };
    if let Some(group) = statement.managed_rule_group_statement() {
        let mut text = format!(
            "managed rule group {}/{}",
            group.vendor_name(),
            group.name()
        );
        if let Some(version) = group.version() {
            text.push_str(&format!(" version {version}"));
        }
        for (what, count) in [
            ("excluded rules", group.excluded_rules().len()),
            ("rule action overrides", group.rule_action_overrides().len()),
            ("configs", group.managed_rule_group_configs().len()),
        ] {
            if count > 0 {
                text.push_str(&format!(", {count} {what}"));
            }
        }
        if group.scope_down_statement().is_some() {
            text.push_str(", scoped down");
        }
        return text;
    }
    if let Some(rate) = statement.rate_based_statement() {
        // An ACL made before evaluation windows existed reports none: the 5 minutes.
        let window = match rate.evaluation_window_sec() {
            0 => RATE_WINDOW_SECONDS,
            seconds => seconds,
        };
        let mut text = format!(
            "at most {} requests per {} s per {}",
            rate.limit(),
            window,
            match rate.aggregate_key_type() {
                RateBasedStatementAggregateKeyType::Ip => "IP".to_string(),
                other => other.as_str().to_string(),
            }
        );
        if rate.scope_down_statement().is_some() || !rate.custom_keys().is_empty() {
            text.push_str(", scoped down");
        }
        return text;
    }
    "a statement macroctl does not write".to_string()
}

fn action_view(rule: &Rule) -> String {
    if let Some(action) = rule.override_action() {
        return match (action.count(), action.none()) {
            (Some(_), _) => "override count",
            (None, Some(_)) => "override none",
            _ => "override (empty)",
        }
        .to_string();
    }
    match rule.action() {
        Some(action) if action.block().is_some() => "block",
        Some(action) if action.count().is_some() => "count",
        Some(action) if action.allow().is_some() => "allow",
        Some(action) if action.captcha().is_some() => "captcha",
        Some(action) if action.challenge().is_some() => "challenge",
        Some(_) => "(other action)",
        None => "(none)",
    }
    .to_string()
}

/// A rule as a plan shows it.
pub fn view_of(rule: &Rule) -> RuleView {
    RuleView {
        name: rule.name().to_string(),
        priority: rule.priority(),
        statement: statement_view(rule.statement()),
        action: action_view(rule),
        visibility: visibility_view(rule.visibility_config()),
    }
}

pub(super) fn default_action_view(action: Option<&DefaultAction>) -> String {
    match action {
        Some(action) if action.allow().is_some() => "allow",
        Some(action) if action.block().is_some() => "block",
        _ => "(none)",
    }
    .to_string()
}

/// The rule name of a managed rule group (the console's: `AWS-<group>`).
fn managed_rule_name(group: &str) -> String {
    format!("{VENDOR}-{group}")
}

/// The rules `spec` asks for, in priority order.
pub fn desired_rules(spec: &WebAclSpec) -> Result<Vec<Rule>, BuildError> {
    let override_action = match spec.mode {
        Mode::Count => OverrideAction::builder()
            .count(CountAction::builder().build())
            .build(),
        Mode::Block => OverrideAction::builder()
            .none(NoneAction::builder().build())
            .build(),
    };
    let mut rules = Vec::new();
    for (priority, group) in (0..).zip(MANAGED_RULE_GROUPS) {
        let name = managed_rule_name(group);
        let statement = ManagedRuleGroupStatement::builder()
            .vendor_name(VENDOR)
            .name(group)
            .build()?;
        rules.push(
            Rule::builder()
                .name(&name)
                .priority(priority)
                .statement(
                    Statement::builder()
                        .managed_rule_group_statement(statement)
                        .build(),
                )
                .override_action(override_action.clone())
                .visibility_config(visibility(&rule_metric(&spec.name, &name))?)
                .build()?,
        );
    }
    let rate = RateBasedStatement::builder()
        .limit(i64::from(spec.rate_limit))
        .evaluation_window_sec(RATE_WINDOW_SECONDS)
        .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
        .build()?;
    let action = match spec.mode {
        Mode::Count => RuleAction::builder()
            .count(CountAction::builder().build())
            .build(),
        Mode::Block => RuleAction::builder()
            .block(BlockAction::builder().build())
            .build(),
    };
    rules.push(
        Rule::builder()
            .name(RATE_RULE)
            .priority(MANAGED_RULE_GROUPS.len() as i32)
            .statement(Statement::builder().rate_based_statement(rate).build())
            .action(action)
            .visibility_config(visibility(&rule_metric(&spec.name, RATE_RULE))?)
            .build()?,
    );
    Ok(rules)
}

/// The desired rules as a plan shows them.
pub(super) fn desired_views(spec: &WebAclSpec) -> Result<Vec<RuleView>, BuildError> {
    Ok(desired_rules(spec)?.iter().map(view_of).collect())
}

/// Rule by rule: a rule missing or extra as a whole, else each aspect that differs.
pub(super) fn rule_changes(
    changes: &mut Vec<FieldChange>,
    live: &[RuleView],
    desired: &[RuleView],
) {
    let whole = |rule: &RuleView| {
        format!(
            "priority {}: {}, {}, {}",
            rule.priority, rule.statement, rule.action, rule.visibility
        )
    };
    for want in desired {
        let field = |aspect: &str| format!("rules[{}].{aspect}", want.name);
        match live.iter().find(|rule| rule.name == want.name) {
            None => changes.push(FieldChange::update(
                &format!("rules[{}]", want.name),
                "(absent)",
                whole(want),
            )),
            Some(have) => {
                if have.priority != want.priority {
                    changes.push(FieldChange::update(
                        &field("priority"),
                        have.priority,
                        want.priority,
                    ));
                }
                for (aspect, old, new) in [
                    ("statement", &have.statement, &want.statement),
                    ("action", &have.action, &want.action),
                    ("visibility", &have.visibility, &want.visibility),
                ] {
                    crate::resources::compare(changes, &field(aspect), old, new, false);
                }
            }
        }
    }
    for extra in live
        .iter()
        .filter(|rule| !desired.iter().any(|want| want.name == rule.name))
    {
        changes.push(FieldChange::update(
            &format!("rules[{}]", extra.name),
            whole(extra),
            "(absent)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::web_acl::Scope;

    fn spec(mode: Mode, rate_limit: u32) -> WebAclSpec {
        WebAclSpec {
            name: "macro-ai-test-edge".into(),
            scope: Scope::Cloudfront,
            mode,
            rate_limit,
        }
    }

    #[test]
    fn the_rules_in_priority_order_with_their_actions_per_mode() {
        let counting = desired_views(&spec(Mode::Count, 2000)).unwrap();
        let names: Vec<&str> = counting.iter().map(|rule| rule.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "AWS-AWSManagedRulesCommonRuleSet",
                "AWS-AWSManagedRulesKnownBadInputsRuleSet",
                "AWS-AWSManagedRulesAmazonIpReputationList",
                "RateLimitPerIP"
            ]
        );
        let priorities: Vec<i32> = counting.iter().map(|rule| rule.priority).collect();
        assert_eq!(priorities, [0, 1, 2, 3]);
        let actions: Vec<&str> = counting.iter().map(|rule| rule.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "override count",
                "override count",
                "override count",
                "count"
            ]
        );
        assert_eq!(
            counting[3].statement,
            "at most 2000 requests per 300 s per IP"
        );
        assert_eq!(
            counting[0].visibility,
            "metric macro-ai-test-edge-AWS-AWSManagedRulesCommonRuleSet, cloudwatch on, sampled requests on"
        );
        let blocking = desired_views(&spec(Mode::Block, 2000)).unwrap();
        let actions: Vec<&str> = blocking.iter().map(|rule| rule.action.as_str()).collect();
        assert_eq!(
            actions,
            ["override none", "override none", "override none", "block"]
        );
    }
}
