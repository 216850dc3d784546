//! A listener rule: requests whose path matches (e.g. `/api/*`) go to a service's target group
//! instead of the listener's default action.
//!
//! A rule has no name: it is found among its listener's rules by priority (unique per
//! listener, so the priority is its identity). Compared: the conditions (path patterns, in
//! any order; any other condition found is a difference) and the forward target, both changed
//! in place by one `ModifyRule` (which sends only what differs). Created with the identity
//! tags.
//!
//! The production rule of an ECS blue/green service forwards to *both* of the service's target
//! groups (weight 100 to the primary, 0 to the alternate at creation). ECS owns the weights
//! from then on: each deployment moves all traffic to the other group. The forward target is
//! therefore compared as the set of target groups, never their weights, and the actions are
//! only sent again when that set differs, so `up` never shifts traffic back.

use super::listener::{action_of, actions_summary, ListenerAction};
use super::load_balancer::elb_tags;
use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, PathPatternConditionConfig, RuleCondition,
    TargetGroupTuple,
};

const PATH_PATTERN: &str = "path-pattern";

#[derive(Debug, Clone)]
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

fn live_of(
    rule: &aws_sdk_elasticloadbalancingv2::types::Rule,
    listener_arn: &str,
) -> ListenerRuleLive {
    ListenerRuleLive {
        arn: rule.rule_arn().unwrap_or_default().to_string(),
        listener_arn: listener_arn.to_string(),
        priority: rule
            .priority()
            .and_then(|priority| priority.parse().ok())
            .unwrap_or_default(),
        conditions: conditions_summary(rule.conditions()),
        actions: actions_summary(rule.actions()),
    }
}

impl Kind for ListenerRule {
    const KIND: &'static str = "elbv2:listener-rule";
    type Spec = ListenerRuleSpec;
    type Live = ListenerRuleLive;

    fn refs(spec: &ListenerRuleSpec) -> Vec<Ref> {
        let mut refs = vec![spec.listener.clone(), spec.target_group.clone()];
        refs.extend(spec.alternate_target_group.iter().cloned());
        refs
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerRuleSpec,
        recorded: Option<&str>,
        resolver: &Resolver,
    ) -> Result<Option<ListenerRuleLive>, AwsError> {
        let Some(listener_arn) = resolver.known(&spec.listener) else {
            return Ok(None);
        };
        let mut rules = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let result = ctx
                .aws
                .elb
                .describe_rules()
                .listener_arn(&listener_arn)
                .set_marker(marker.take())
                .send()
                .await
                .op("DescribeRules");
            let page = match result {
                Ok(page) => page,
                Err(err) if err.is_not_found() => return Ok(None),
                Err(err) => return Err(err),
            };
            marker = page.next_marker().map(str::to_string);
            rules.extend(page.rules.unwrap_or_default());
            if marker.is_none() {
                break;
            }
        }
        let priority = spec.priority.to_string();
        let found = recorded
            .and_then(|arn| rules.iter().find(|rule| rule.rule_arn() == Some(arn)))
            .or_else(|| {
                rules.iter().find(|rule| {
                    rule.is_default() != Some(true) && rule.priority() == Some(priority.as_str())
                })
            });
        Ok(found.map(|rule| live_of(rule, &listener_arn)))
    }

    fn diff(
        spec: &ListenerRuleSpec,
        live: &ListenerRuleLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
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
    ) -> Result<ListenerRuleLive, AwsError> {
        let listener_arn = resolver.get(&spec.listener);
        let output = ctx
            .aws
            .elb
            .create_rule()
            .listener_arn(&listener_arn)
            .priority(spec.priority)
            .set_conditions(Some(desired_conditions(spec)))
            .actions(desired_action(spec, resolver))
            .set_tags(Some(elb_tags(who)))
            .send()
            .await
            .op("CreateRule")?;
        output
            .rules()
            .first()
            .map(|rule| live_of(rule, &listener_arn))
            .ok_or_else(|| AwsError::other("CreateRule", "AWS returned no rule"))
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerRuleSpec,
        live: &ListenerRuleLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<ListenerRuleLive, AwsError> {
        let changed = |field: &str| changes.iter().any(|change| change.field == field);
        let mut request = ctx.aws.elb.modify_rule().rule_arn(&live.arn);
        if changed("conditions") {
            request = request.set_conditions(Some(desired_conditions(spec)));
        }
        // Not when only the conditions differ: that would reset the weights ECS has set.
        if changed("actions") {
            request = request.actions(desired_action(spec, resolver));
        }
        let output = request.send().await.op("ModifyRule")?;
        Ok(output
            .rules()
            .first()
            .map(|rule| live_of(rule, &live.listener_arn))
            .unwrap_or_else(|| live.clone()))
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
    use super::super::scalable_target::emulator;
    use super::*;

    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/1";

    fn spec_and_resolver() -> (ListenerRuleSpec, Resolver) {
        let resolver = Resolver::default();
        emulator::set(&resolver, "listener", &[("arn", "arn:listener")]);
        emulator::set(&resolver, "tg-api", &[("arn", TG)]);
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
        emulator::set(&resolver, "tg-api-alt", &[("arn", "arn:alt")]);
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

    #[tokio::test]
    #[ignore]
    async fn emulator_create_converge_update() {
        use super::super::listener::{Listener, ListenerSpec};
        use super::super::load_balancer::{LoadBalancer, LoadBalancerSpec};
        use super::super::target_group::{TargetGroup, TargetGroupSpec};
        let aws = emulator::clients().await;
        let inventory = emulator::inventory(&aws);
        let ctx = emulator::ctx(&aws, &inventory);
        let (vpc, subnets, group) = emulator::network(&aws).await;
        let resolver = Resolver::default();
        emulator::set(&resolver, "vpc", &[("vpc_id", &vpc)]);
        emulator::set(&resolver, "a", &[("subnet_id", &subnets[0])]);
        emulator::set(&resolver, "b", &[("subnet_id", &subnets[1])]);
        emulator::set(&resolver, "sg", &[("group_id", &group)]);
        let lb_spec = LoadBalancerSpec {
            name: emulator::unique("lb"),
            subnets: vec![Ref::new("a", "subnet_id"), Ref::new("b", "subnet_id")],
            security_groups: vec![Ref::new("sg", "group_id")],
        };
        let lb = LoadBalancer::create(&ctx, &emulator::who("lb"), &lb_spec, &resolver)
            .await
            .unwrap();
        emulator::set(&resolver, "lb", &[("arn", &lb.arn)]);
        for service in ["ui", "api", "api2"] {
            let tg_spec = TargetGroupSpec {
                name: emulator::unique(service),
                vpc: Ref::new("vpc", "vpc_id"),
                port: 3000,
                health_check_path: "/".into(),
                deregistration_delay_seconds: 30,
            };
            let tg = TargetGroup::create(&ctx, &emulator::who(service), &tg_spec, &resolver)
                .await
                .unwrap();
            emulator::set(&resolver, &format!("tg-{service}"), &[("arn", &tg.arn)]);
        }
        let listener_spec = ListenerSpec {
            load_balancer: Ref::new("lb", "arn"),
            port: 80,
            protocol: "HTTP".into(),
            certificate_arn: None,
            default_action: ListenerAction::Forward(Ref::new("tg-ui", "arn")),
        };
        let listener =
            Listener::create(&ctx, &emulator::who("listener"), &listener_spec, &resolver)
                .await
                .unwrap();
        emulator::set(&resolver, "listener", &[("arn", &listener.arn)]);

        let who = emulator::who("listener-rule-api");
        let (mut spec, _) = spec_and_resolver();
        spec.path_patterns = vec!["/api/*".into()];
        assert!(ListenerRule::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = ListenerRule::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(created.priority, 10);
        assert_eq!(ListenerRule::diff(&spec, &created, &resolver), vec![]);

        let before = emulator::writes(&aws);
        let found = ListenerRule::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.arn, created.arn);
        assert_eq!(ListenerRule::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(emulator::writes(&aws), before);

        spec.target_group = Ref::new("tg-api2", "arn");
        let changes = ListenerRule::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "actions");
        ListenerRule::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        spec.path_patterns.push("/graphql".into());
        let after = ListenerRule::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        let changes = ListenerRule::diff(&spec, &after, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "conditions");
        ListenerRule::update(&ctx, &who, &spec, &after, &changes, &resolver)
            .await
            .unwrap();
        let after = ListenerRule::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ListenerRule::diff(&spec, &after, &resolver), vec![]);
        let tags = aws
            .elb
            .describe_tags()
            .resource_arns(&created.arn)
            .send()
            .await
            .unwrap();
        assert!(!tags.tag_descriptions()[0].tags().is_empty());
    }
}
