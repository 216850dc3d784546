//! ALB listener rules (path routing). (Placeholder: being written.)

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::AwsError;

#[derive(Debug, Clone)]
pub struct ListenerRuleSpec {}

#[derive(Debug, Clone)]
pub struct ListenerRuleLive {}

pub struct ListenerRule;

impl Kind for ListenerRule {
    const KIND: &'static str = "elbv2:listener-rule";
    type Spec = ListenerRuleSpec;
    type Live = ListenerRuleLive;

    fn refs(_spec: &ListenerRuleSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ListenerRuleSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<ListenerRuleLive>, AwsError> {
        Ok(None)
    }

    fn diff(
        _spec: &ListenerRuleSpec,
        _live: &ListenerRuleLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        Vec::new()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ListenerRuleSpec,
        _resolver: &Resolver,
    ) -> Result<ListenerRuleLive, AwsError> {
        Err(AwsError::other(
            "create",
            "elbv2:listener-rule is not written yet",
        ))
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &ListenerRuleSpec,
        live: &ListenerRuleLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<ListenerRuleLive, AwsError> {
        Ok(live.clone())
    }

    fn physical_id(_live: &ListenerRuleLive) -> String {
        String::new()
    }

    fn outputs(_live: &ListenerRuleLive) -> Outputs {
        Outputs::new()
    }

    fn status(_live: &ListenerRuleLive) -> String {
        String::new()
    }
}
