//! WAFv2 web ACLs: the environment's firewall, one per place it stands (`<stack>-<env>-edge`
//! on the CloudFront distribution, `<stack>-<env>-alb` on the load balancer).
//!
//! Every web ACL has the same four rules, in this priority order: three AWS managed rule
//! groups (the common rule set, known bad inputs, the Amazon IP reputation list) and a
//! rate-based rule per client IP. Default action Allow. In `count` mode the rule groups are
//! overridden to Count and the rate rule counts; in `block` mode the rule groups act as AWS
//! wrote them (override None) and the rate rule blocks. So switching a staging environment
//! from trying the rules to enforcing them is one `UpdateWebACL` of the same ACL, never a new
//! one. CloudWatch metrics and sampled requests are on for the ACL and every rule, with metric
//! names derived from the names, so what the rules would have done can be looked at before
//! blocking.
//!
//! Why the calls are what they are:
//!
//! * Names are unique per scope (and region): `CreateWebACL` of a name that exists answers
//!   `WAFDuplicateItemException` (AlreadyExists: the engine looks and adopts), so repeating
//!   the create is harmless; it takes the tags. There is no client token.
//! * The physical id is the ARN, which holds the scope (`regional/` or `global/`), the name
//!   and the id: a recorded ACL is read with `GetWebACL` (name, scope, id) at once. Without a
//!   recorded ARN it is found by name in `ListWebACLs` of its scope first. Its tags come from
//!   the environment's `GetResources` while planning (which lists the region's REGIONAL ACLs,
//!   and in us-east-1 the CLOUDFRONT-scope ones); otherwise, and for a CLOUDFRONT-scope ACL of
//!   an environment elsewhere, from `ListTagsForResource`, sent beside `GetWebACL`.
//! * CLOUDFRONT-scope ACLs live in us-east-1 whatever the environment's region: every call
//!   about one goes through `aws.wafv2_edge` ([`Scope::client`]).
//! * WAF guards changes with a lock token: `UpdateWebACL` (always the whole rule set, default
//!   action and visibility: it replaces what it is not given) and `DeleteWebACL` send the
//!   token the read returned. `WAFOptimisticLockException` (someone changed the ACL since) is
//!   classified so the engine reads again, with a new token, and retries only what still
//!   differs (see `aws::error`). `WAFAssociatedItemException` on delete (a distribution or
//!   load balancer still uses it) is in-use, repeated by `destroy` until it is free.

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsClients, AwsError, Found, IntoAwsError};
use aws_sdk_wafv2::error::BuildError;
use aws_sdk_wafv2::types::{AllowAction, DefaultAction, Rule, Tag, VisibilityConfig};

mod rules;

use rules::{
    default_action_view, desired_views, rule_changes, view_of, visibility, visibility_view,
};
pub use rules::{desired_rules, RuleView, MANAGED_RULE_GROUPS, RATE_RULE};

/// Where a web ACL can be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    /// Load balancers (and other regional resources), in the environment's region.
    Regional,
    /// CloudFront distributions; managed in us-east-1.
    Cloudfront,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Regional => "REGIONAL",
            Scope::Cloudfront => "CLOUDFRONT",
        }
    }

    fn sdk(self) -> aws_sdk_wafv2::types::Scope {
        match self {
            Scope::Regional => aws_sdk_wafv2::types::Scope::Regional,
            Scope::Cloudfront => aws_sdk_wafv2::types::Scope::Cloudfront,
        }
    }

    /// The client that manages ACLs of this scope: CLOUDFRONT ones only answer in us-east-1.
    pub fn client(self, aws: &AwsClients) -> &aws_sdk_wafv2::Client {
        match self {
            Scope::Regional => &aws.wafv2,
            Scope::Cloudfront => &aws.wafv2_edge,
        }
    }
}

/// What the rules do with what they match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Count only (metrics and sampled requests): for trying the rules.
    Count,
    /// Block.
    Block,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WebAclSpec {
    /// `<stack>-<env>-edge` or `<stack>-<env>-alb`.
    pub name: String,
    pub scope: Scope,
    pub mode: Mode,
    /// Requests per 5 minutes from one IP before the rate rule acts.
    pub rate_limit: u32,
}

#[derive(Debug, Clone)]
pub struct WebAclLive {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub scope: Scope,
    /// What `UpdateWebACL` and `DeleteWebACL` must send back.
    pub lock_token: String,
    pub default_action: String,
    pub visibility: String,
    /// In priority order.
    pub rules: Vec<RuleView>,
    pub tags: Tags,
}

pub struct WebAcl;

/// (scope, name, id) of a web ACL ARN
/// (`arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID`, `global/` for CLOUDFRONT).
fn parse_arn(arn: &str) -> Option<(Scope, &str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    let scope = match parts.next()? {
        "regional" => Scope::Regional,
        "global" => Scope::Cloudfront,
        _ => return None,
    };
    if parts.next()? != "webacl" {
        return None;
    }
    let (name, id) = (parts.next()?, parts.next()?);
    Some((scope, name, id))
}

/// The whole configuration `CreateWebACL` and `UpdateWebACL` send besides names and tokens.
struct Desired {
    default_action: DefaultAction,
    rules: Vec<Rule>,
    visibility: VisibilityConfig,
}

fn desired(spec: &WebAclSpec, operation: &str) -> Result<Desired, AwsError> {
    let invalid = |err: BuildError| AwsError::other(operation, format!("invalid web ACL: {err}"));
    Ok(Desired {
        default_action: DefaultAction::builder()
            .allow(AllowAction::builder().build())
            .build(),
        rules: desired_rules(spec).map_err(invalid)?,
        visibility: visibility(&spec.name).map_err(invalid)?,
    })
}

fn to_tags(tags: &Tags, operation: &str) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| AwsError::other(operation, format!("invalid tag: {err}")))
        })
        .collect()
}

/// The ARN of the ACL named `name` in `scope`, by listing them; `None` when there is none.
async fn find_by_name(ctx: &Ctx<'_>, scope: Scope, name: &str) -> Result<Option<String>, AwsError> {
    let client = scope.client(ctx.aws);
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_web_acls()
            .scope(scope.sdk())
            .limit(100)
            .set_next_marker(marker.take())
            .send()
            .await
            .op("ListWebACLs")?;
        if let Some(found) = page.web_acls().iter().find(|acl| acl.name() == Some(name)) {
            return Ok(found.arn().map(str::to_string));
        }
        // WAF's last page may still carry a marker; an empty page ends it too.
        match page.next_marker() {
            Some(next) if !next.is_empty() && !page.web_acls().is_empty() => {
                marker = Some(next.to_string())
            }
            _ => return Ok(None),
        }
    }
}

/// The ACL `arn` names, with its rules, lock token and tags; `None` when it does not exist.
async fn describe(ctx: &Ctx<'_>, arn: &str) -> Result<Option<WebAclLive>, AwsError> {
    let Some((scope, name, id)) = parse_arn(arn) else {
        return Ok(None);
    };
    let client = scope.client(ctx.aws);
    let acl = async {
        (client
            .get_web_acl()
            .name(name)
            .scope(scope.sdk())
            .id(id)
            .send()
            .await)
            .op("GetWebACL")
            .found()
    };
    let tags = async {
        if let Some(tags) = ctx.inventory.tags_of(ctx, arn).await? {
            return Ok(tags);
        }
        let listed = (client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await)
            .op("ListTagsForResource")
            .found()?;
        Ok::<Tags, AwsError>(
            (listed.iter())
                .flat_map(|out| out.tag_info_for_resource())
                .flat_map(|info| info.tag_list())
                .map(|tag| (tag.key().to_string(), tag.value().to_string()))
                .collect(),
        )
    };
    // WAFNonexistentItemException: absent.
    let (acl, tags) = futures::try_join!(acl, tags)?;
    let Some(out) = acl else {
        return Ok(None);
    };
    let Some(acl) = out.web_acl() else {
        return Ok(None);
    };
    let mut rules: Vec<RuleView> = acl.rules().iter().map(view_of).collect();
    rules.sort_by_key(|rule| rule.priority);
    Ok(Some(WebAclLive {
        name: acl.name().to_string(),
        id: acl.id().to_string(),
        arn: acl.arn().to_string(),
        scope,
        lock_token: out.lock_token().unwrap_or_default().to_string(),
        default_action: default_action_view(acl.default_action()),
        visibility: visibility_view(acl.visibility_config()),
        rules,
        tags,
    }))
}

impl Kind for WebAcl {
    const KIND: &'static str = "wafv2:web-acl";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // Names are unique per scope: a repeat answers WAFDuplicateItemException.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "id", "name"];
    type Spec = WebAclSpec;
    type Live = WebAclLive;

    fn refs(_spec: &WebAclSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &WebAclSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<WebAclLive>, AwsError> {
        let arn = match lookup {
            Lookup::Id(arn) => arn.to_string(),
            Lookup::Identity => match find_by_name(ctx, spec.scope, &spec.name).await? {
                Some(arn) => arn,
                None => return Ok(None),
            },
        };
        describe(ctx, &arn).await
    }

    fn diff(spec: &WebAclSpec, live: &WebAclLive, _resolver: &Resolver) -> Vec<FieldChange> {
        if live.scope != spec.scope {
            return vec![FieldChange::replace(
                "scope",
                live.scope.as_str(),
                spec.scope.as_str(),
            )];
        }
        if live.name != spec.name {
            return vec![FieldChange::replace("name", &live.name, &spec.name)];
        }
        let mut changes = Vec::new();
        super::compare(
            &mut changes,
            "default_action",
            &live.default_action,
            "allow",
            false,
        );
        if let Ok(visibility) = visibility(&spec.name) {
            super::compare(
                &mut changes,
                "visibility",
                &live.visibility,
                &visibility_view(Some(&visibility)),
                false,
            );
        }
        match desired_views(spec) {
            Ok(desired) => rule_changes(&mut changes, &live.rules, &desired),
            // Only a missing required field fails a build, and every one is set: shown, not
            // hidden, should it ever happen (`update` then reports it).
            Err(err) => changes.push(FieldChange::update("rules", "(live)", err)),
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &WebAclSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let desired = desired(spec, "CreateWebACL")?;
        let out = spec
            .scope
            .client(ctx.aws)
            .create_web_acl()
            .name(&spec.name)
            .scope(spec.scope.sdk())
            .default_action(desired.default_action)
            .set_rules(Some(desired.rules))
            .visibility_config(desired.visibility)
            .set_tags(Some(to_tags(&who.tags, "CreateWebACL")?))
            .send()
            .await
            .op("CreateWebACL")?;
        out.summary()
            .and_then(|summary| summary.arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateWebACL", "WAF returned no web ACL ARN"))
    }

    /// One `UpdateWebACL` with the whole desired configuration and the lock token of the read:
    /// a repeat sets the same; a stale token is refused (and the engine reads again).
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &WebAclSpec,
        live: &WebAclLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let desired = desired(spec, "UpdateWebACL")?;
        live.scope
            .client(ctx.aws)
            .update_web_acl()
            .name(&live.name)
            .scope(live.scope.sdk())
            .id(&live.id)
            .lock_token(&live.lock_token)
            .default_action(desired.default_action)
            .set_rules(Some(desired.rules))
            .visibility_config(desired.visibility)
            .send()
            .await
            .op("UpdateWebACL")?;
        Ok(None)
    }

    fn tags(live: &WebAclLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &WebAclLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        let client = live.scope.client(ctx.aws);
        if !changes.set.is_empty() {
            client
                .tag_resource()
                .resource_arn(&live.arn)
                .set_tags(Some(to_tags(&changes.set, "TagResource")?))
                .send()
                .await
                .op("TagResource")?;
        }
        if !changes.remove.is_empty() {
            client
                .untag_resource()
                .resource_arn(&live.arn)
                .set_tag_keys(Some(changes.remove.clone()))
                .send()
                .await
                .op("UntagResource")?;
        }
        Ok(())
    }

    async fn delete(
        ctx: &Ctx<'_>,
        live: &WebAclLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // WAFNonexistentItemException: already gone.
        (live
            .scope
            .client(ctx.aws)
            .delete_web_acl()
            .name(&live.name)
            .scope(live.scope.sdk())
            .id(&live.id)
            .lock_token(&live.lock_token)
            .send()
            .await)
            .op("DeleteWebACL")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &WebAclLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &WebAclLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("id".into(), live.id.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &WebAclLive) -> String {
        let blocking = live
            .rules
            .iter()
            .any(|rule| matches!(rule.action.as_str(), "override none" | "block"));
        format!(
            "{}, {} rules",
            if blocking { "blocking" } else { "counting" },
            live.rules.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: Mode, rate_limit: u32) -> WebAclSpec {
        WebAclSpec {
            name: "macro-ai-test-edge".into(),
            scope: Scope::Cloudfront,
            mode,
            rate_limit,
        }
    }

    fn live_of(spec: &WebAclSpec) -> WebAclLive {
        WebAclLive {
            name: spec.name.clone(),
            id: "1234".into(),
            arn: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/macro-ai-test-edge/1234"
                .into(),
            scope: spec.scope,
            lock_token: "token".into(),
            default_action: "allow".into(),
            visibility: visibility_view(Some(&visibility(&spec.name).unwrap())),
            rules: desired_views(spec).unwrap(),
            tags: Tags::new(),
        }
    }

    #[test]
    fn diff_names_each_rule_aspect_that_differs() {
        let counting = spec(Mode::Count, 2000);
        let live = live_of(&counting);
        let resolver = Resolver::default();
        assert!(WebAcl::diff(&counting, &live, &resolver).is_empty());

        let fields: Vec<String> = WebAcl::diff(&spec(Mode::Block, 500), &live, &resolver)
            .into_iter()
            .map(|change| change.field)
            .collect();
        assert_eq!(
            fields,
            [
                "rules[AWS-AWSManagedRulesCommonRuleSet].action",
                "rules[AWS-AWSManagedRulesKnownBadInputsRuleSet].action",
                "rules[AWS-AWSManagedRulesAmazonIpReputationList].action",
                "rules[RateLimitPerIP].statement",
                "rules[RateLimitPerIP].action",
            ]
        );

        // A rule added by hand, one removed, another default action.
        let mut edited = live_of(&counting);
        edited.rules.remove(1);
        edited.rules.push(RuleView {
            name: "by-hand".into(),
            priority: 9,
            statement: "a statement macroctl does not write".into(),
            action: "block".into(),
            visibility: "(none)".into(),
        });
        edited.default_action = "block".into();
        let changes = WebAcl::diff(&counting, &edited, &resolver);
        let fields: Vec<&str> = changes.iter().map(|change| change.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "default_action",
                "rules[AWS-AWSManagedRulesKnownBadInputsRuleSet]",
                "rules[by-hand]"
            ]
        );
        assert!(changes.iter().all(|change| !change.replace));
        assert_eq!(changes[2].new, "(absent)");
    }

    #[test]
    fn another_scope_is_a_replacement() {
        let regional = WebAclSpec {
            scope: Scope::Regional,
            ..spec(Mode::Count, 2000)
        };
        let changes = WebAcl::diff(
            &regional,
            &live_of(&spec(Mode::Count, 2000)),
            &Resolver::default(),
        );
        assert_eq!(changes.len(), 1);
        assert!(changes[0].replace);
    }

    #[test]
    fn an_arn_names_scope_name_and_id() {
        assert_eq!(
            parse_arn(
                "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/macro-ai-prod-alb/ab-12"
            ),
            Some((Scope::Regional, "macro-ai-prod-alb", "ab-12"))
        );
        assert_eq!(
            parse_arn("arn:aws:wafv2:us-east-1:123456789012:global/webacl/macro-ai-prod-edge/cd"),
            Some((Scope::Cloudfront, "macro-ai-prod-edge", "cd"))
        );
        assert_eq!(
            parse_arn("arn:aws:wafv2:us-east-1:123456789012:regional/ipset/x/y"),
            None
        );
        assert_eq!(parse_arn("macro-ai-prod-edge"), None);
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        let keys: Vec<String> = WebAcl::outputs(&live_of(&spec(Mode::Count, 10)))
            .into_keys()
            .collect();
        assert_eq!(keys, WebAcl::OUTPUTS);
    }
}
