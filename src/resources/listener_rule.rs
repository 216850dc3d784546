//! A listener rule: requests whose path matches (e.g. `/api/*`) go to a service's target group
//! instead of the listener's default action.
//!
//! A rule has no name: it is a child of its listener, identified by its priority (unique per
//! listener, so a repeated create answers PriorityInUse). It is always looked for among the
//! desired listener's rules, by ARN or by priority, so a rule left on another listener (the
//! HTTP one, once the environment has a certificate) is never taken for it. Created with the
//! identity tags: ELBv2 rules carry tags (AWS and the emulator report them through
//! `DescribeTags`), so ownership is checked on the rule itself.
//!
//! While planning, a rule comes from the environment's listing: one `DescribeRules` per
//! listener of the environment's load balancers, and the tags of all listeners and rules in
//! one `DescribeTags` (20 ARNs a call; see `elb_listing`). A listener the listing does not
//! cover, a recorded ARN the listing lacks, and any read right after a change are read
//! directly (`DescribeRules` of the listener, then `DescribeTags`).
//!
//! Compared: the priority (when found by ARN: `SetRulePriorities`), the conditions (path
//! patterns, in any order; any other condition found is a difference) and the forward target,
//! changed in place by one `ModifyRule` that sends only what differs; each sets the whole
//! desired value, so repeating one is harmless.
//!
//! The production rule of an ECS blue/green service forwards to *both* of the service's target
//! groups (weight 100 to the primary, 0 to the alternate at creation). ECS owns the weights
//! from then on: each deployment moves all traffic to the other group. The forward target is
//! therefore compared as the set of target groups, never their weights, and the actions are
//! only sent again when that set differs, so `up` never shifts traffic back.

use super::elb_listing;
use super::listener::{action_of, actions_summary, ListenerAction};
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, PathPatternConditionConfig, Rule, RuleCondition,
    RulePriorityPair, TargetGroupTuple,
};

const PATH_PATTERN: &str = "path-pattern";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ListenerRuleSpec {
    /// The listener's `arn`.
    pub listener: Ref,
    /// 1-50000, unique per listener.
    pub priority: i32,
    /// e.g. `/api/*`.
    pub path_patterns: Vec<String>,
    /// The target group's `arn`.
    pub target_group: Ref,
    /// ECS blue/green: the service's alternate target group's `arn`. The rule then forwards
    /// to both groups, and ECS sets the weights.
    pub alternate_target_group: Option<Ref>,
}

#[derive(Debug, Clone)]
pub struct ListenerRuleLive {
    pub arn: String,
    pub listener_arn: String,
    pub priority: i32,
    /// [`conditions_summary`] of the rule's conditions.
    pub conditions: String,
    /// The actions, as [`actions_summary`] words them.
    pub actions: String,
    pub tags: Tags,
}

pub struct ListenerRule;

/// `path-pattern: /a, /b` (values sorted), one clause per condition, clauses sorted.
pub fn conditions_summary(conditions: &[RuleCondition]) -> String {
    let mut clauses: Vec<String> = conditions
        .iter()
        .map(|condition| {
            let field = condition.field().unwrap_or("?");
            // AWS reports the values in both places; the emulator only where they were given.
            let mut values: Vec<&str> = condition
                .path_pattern_config()
                .map(|config| config.values().iter().map(String::as_str).collect())
                .or_else(|| {
                    condition
                        .host_header_config()
                        .map(|config| config.values().iter().map(String::as_str).collect())
                })
                .filter(|values: &Vec<&str>| !values.is_empty())
                .unwrap_or_else(|| condition.values().iter().map(String::as_str).collect());
            values.sort_unstable();
            values.dedup();
            format!("{field}: {}", values.join(", "))
        })
        .collect();
    clauses.sort();
    clauses.join("; ")
}

fn desired_conditions(spec: &ListenerRuleSpec) -> Vec<RuleCondition> {
    vec![RuleCondition::builder()
        .field(PATH_PATTERN)
        .path_pattern_config(
            PathPatternConditionConfig::builder()
                .set_values(Some(spec.path_patterns.clone()))
                .build(),
        )
        .build()]
}

/// Forward to the target group; for blue/green to both groups, all traffic to the primary.
fn desired_action(spec: &ListenerRuleSpec, resolver: &Resolver) -> Action {
    let Some(alternate) = &spec.alternate_target_group else {
        return action_of(
            &ListenerAction::Forward(spec.target_group.clone()),
            resolver,
        );
    };
    let group = |reference: &Ref, weight: i32| {
        TargetGroupTuple::builder()
            .target_group_arn(resolver.get(reference))
            .weight(weight)
            .build()
    };
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(
            ForwardActionConfig::builder()
                .target_groups(group(&spec.target_group, 100))
                .target_groups(group(alternate, 0))
                .build(),
        )
        .build()
}

fn live_of(rule: &Rule, listener_arn: &str, tags: Tags) -> ListenerRuleLive {
    ListenerRuleLive {
        arn: rule.rule_arn().unwrap_or_default().to_string(),
        listener_arn: listener_arn.to_string(),
        priority: rule
            .priority()
            .and_then(|priority| priority.parse().ok())
            .unwrap_or_default(),
        conditions: conditions_summary(rule.conditions()),
        actions: actions_summary(rule.actions()),
        tags,
    }
}

/// The rule with its tags; `None` when it was deleted since it was described.
async fn with_tags(
    ctx: &Ctx<'_>,
    rule: &Rule,
    listener_arn: &str,
) -> Result<Option<ListenerRuleLive>, AwsError> {
    let arn = rule.rule_arn().unwrap_or_default();
    let tags = elb_listing::tags_of(ctx, arn, elb_listing::Tagged::Child).await?;
    Ok(tags.map(|tags| live_of(rule, listener_arn, tags)))
}

impl Kind for ListenerRule {
    const KIND: &'static str = "elbv2:listener-rule";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // One rule per priority and listener: a repeat answers PriorityInUse.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "priority"];
    type Spec = ListenerRuleSpec;
    type Live = ListenerRuleLive;

    fn refs(spec: &ListenerRuleSpec) -> Vec<Ref> {
        let mut refs = vec![spec.listener.clone(), spec.target_group.clone()];
        refs.extend(spec.alternate_target_group.iter().cloned());
        refs
    }

    /// Among the desired listener's rules: by ARN, or by priority (never the default rule).
    /// While planning from the environment's listing (see the module docs), else
    /// `DescribeRules`.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerRuleSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<ListenerRuleLive>, AwsError> {
        // No listener yet: no rule either.
        let Some(listener_arn) = resolver.known(&spec.listener) else {
            return Ok(None);
        };
        let priority = spec.priority.to_string();
        let wanted = |rule: &&Rule| match lookup {
            Lookup::Id(arn) => rule.rule_arn() == Some(arn),
            Lookup::Identity => {
                rule.is_default() != Some(true) && rule.priority() == Some(priority.as_str())
            }
        };
        if ctx.cached {
            let listed = elb_listing::rules(ctx).await?;
            if let Some(rules) = elb_listing::children_of(&listed, &listener_arn) {
                match rules.iter().find(wanted) {
                    Some(rule) => return with_tags(ctx, rule, &listener_arn).await,
                    // The listener's rules were listed: none has this priority.
                    None if lookup == Lookup::Identity => return Ok(None),
                    // A recorded one that is not there: a direct read tells.
                    None => {}
                }
            }
        }
        let Some(rules) = elb_listing::rules_of(ctx, &listener_arn).await? else {
            return Ok(None);
        };
        match rules.iter().find(wanted) {
            Some(rule) => with_tags(ctx, rule, &listener_arn).await,
            None => Ok(None),
        }
    }

    fn diff(
        spec: &ListenerRuleSpec,
        live: &ListenerRuleLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        // Only a rule found by ARN can differ: found by identity, it has this priority.
        super::compare(
            &mut changes,
            "priority",
            &live.priority.to_string(),
            &spec.priority.to_string(),
            false,
        );
        super::compare(
            &mut changes,
            "conditions",
            &live.conditions,
            &conditions_summary(&desired_conditions(spec)),
            false,
        );
        super::compare(
            &mut changes,
            "actions",
            &live.actions,
            &actions_summary(&[desired_action(spec, resolver)]),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &ListenerRuleSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .elb
            .create_rule()
            .listener_arn(resolver.get(&spec.listener))
            .priority(spec.priority)
            .set_conditions(Some(desired_conditions(spec)))
            .actions(desired_action(spec, resolver))
            .set_tags(Some(tags::to_elb(&who.tags)))
            .send()
            .await
            .op("CreateRule")?;
        output
            .rules()
            .first()
            .and_then(|rule| rule.rule_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateRule", "AWS returned no rule"))
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerRuleSpec,
        live: &ListenerRuleLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let changed = |field: &str| changes.iter().any(|change| change.field == field);
        if changed("priority") {
            ctx.aws
                .elb
                .set_rule_priorities()
                .rule_priorities(
                    RulePriorityPair::builder()
                        .rule_arn(&live.arn)
                        .priority(spec.priority)
                        .build(),
                )
                .send()
                .await
                .op("SetRulePriorities")?;
        }
        if !changed("conditions") && !changed("actions") {
            return Ok(None);
        }
        let mut request = ctx.aws.elb.modify_rule().rule_arn(&live.arn);
        if changed("conditions") {
            request = request.set_conditions(Some(desired_conditions(spec)));
        }
        // Not when only the conditions differ: that would reset the weights ECS has set.
        if changed("actions") {
            request = request.actions(desired_action(spec, resolver));
        }
        request.send().await.op("ModifyRule")?;
        Ok(None)
    }

    fn tags(live: &ListenerRuleLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &ListenerRuleLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_elb(&ctx.aws.elb, &live.arn, changes).await
    }

    /// Its listener's other rules and default action take the traffic it matched.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &ListenerRuleLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // RuleNotFound: already gone.
        ctx.aws
            .elb
            .delete_rule()
            .rule_arn(&live.arn)
            .send()
            .await
            .op("DeleteRule")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &ListenerRuleLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &ListenerRuleLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("priority".into(), live.priority.to_string()),
        ])
    }

    fn status(live: &ListenerRuleLive) -> String {
        format!("#{} {} → {}", live.priority, live.conditions, live.actions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::LogicalId;

    fn set_arn(resolver: &Resolver, id: &str, arn: &str) {
        resolver.set(
            &LogicalId::from(id),
            Outputs::from([("arn".to_string(), arn.to_string())]),
        );
    }

    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/1";

    fn spec_and_resolver() -> (ListenerRuleSpec, Resolver) {
        let resolver = Resolver::default();
        set_arn(&resolver, "listener", "arn:listener");
        set_arn(&resolver, "tg-api", TG);
        let spec = ListenerRuleSpec {
            listener: Ref::new("listener", "arn"),
            priority: 10,
            path_patterns: vec!["/api/*".into(), "/api".into()],
            target_group: Ref::new("tg-api", "arn"),
            alternate_target_group: None,
        };
        (spec, resolver)
    }

    fn live() -> ListenerRuleLive {
        ListenerRuleLive {
            arn: "arn:rule".into(),
            listener_arn: "arn:listener".into(),
            priority: 10,
            conditions: "path-pattern: /api, /api/*".into(),
            actions: format!("forward to {TG}"),
            tags: Tags::new(),
        }
    }

    #[test]
    fn conditions_read_from_either_place() {
        let legacy = RuleCondition::builder()
            .field(PATH_PATTERN)
            .values("/api/*")
            .values("/api")
            .build();
        let (spec, _) = spec_and_resolver();
        assert_eq!(
            conditions_summary(&[legacy]),
            conditions_summary(&desired_conditions(&spec))
        );
    }

    #[test]
    fn converged_rule_has_no_diff() {
        let (spec, resolver) = spec_and_resolver();
        assert_eq!(ListenerRule::diff(&spec, &live(), &resolver), vec![]);
    }

    #[test]
    fn paths_and_target_are_compared() {
        let (mut spec, resolver) = spec_and_resolver();
        spec.path_patterns = vec!["/v2/*".into()];
        let live = ListenerRuleLive {
            actions: "forward to arn:other".into(),
            ..live()
        };
        let changes = ListenerRule::diff(&spec, &live, &resolver);
        let fields: Vec<&str> = changes.iter().map(|change| change.field.as_str()).collect();
        assert_eq!(fields, ["conditions", "actions"]);
        assert_eq!(changes[0].new, "path-pattern: /v2/*");
    }

    #[test]
    fn blue_green_rule_forwards_to_both_groups_whatever_the_weights() {
        let (mut spec, resolver) = spec_and_resolver();
        set_arn(&resolver, "tg-api-alt", "arn:alt");
        spec.alternate_target_group = Some(Ref::new("tg-api-alt", "arn"));
        let action = desired_action(&spec, &resolver);
        let weights: Vec<(Option<&str>, Option<i32>)> = action
            .forward_config()
            .unwrap()
            .target_groups()
            .iter()
            .map(|group| (group.target_group_arn(), group.weight()))
            .collect();
        assert_eq!(weights, [(Some(TG), Some(100)), (Some("arn:alt"), Some(0))]);
        assert!(ListenerRule::refs(&spec).contains(&Ref::new("tg-api-alt", "arn")));
        // ECS moved all traffic to the alternate group: still converged.
        let shifted = ListenerRuleLive {
            actions: format!("forward to arn:alt,{TG}"),
            ..live()
        };
        assert_eq!(ListenerRule::diff(&spec, &shifted, &resolver), vec![]);
        // The plain rule (rolling) is a difference.
        let changes = ListenerRule::diff(&spec, &live(), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "actions");
    }

    #[test]
    fn a_rule_found_by_arn_at_another_priority_is_moved() {
        let (spec, resolver) = spec_and_resolver();
        let moved = ListenerRuleLive {
            priority: 20,
            ..live()
        };
        assert_eq!(
            ListenerRule::diff(&spec, &moved, &resolver),
            vec![FieldChange::update("priority", "20", "10")]
        );
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<ListenerRule>(
            &live()
        ));
    }
}
