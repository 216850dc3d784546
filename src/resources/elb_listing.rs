//! ELBv2 reads while planning: the environment's load balancers, target groups, listeners and
//! rules, each listed once per run and shared by every resource that asks (see
//! [`Listing`]), so a converged load balancer layer costs a handful of calls however many
//! groups, listeners and rules it has.
//!
//! - Load balancers and target groups: `DescribeLoadBalancers` / `DescribeTargetGroups` by the
//!   names the environment declares (20 a call). AWS fails the whole call with NotFound when
//!   one name does not exist (moto: DescribeTargetGroups always; DescribeLoadBalancers only
//!   when the *first* name is missing, the others it skips silently), so a call that fails so
//!   is asked again name by name, and a single name that fails so is absent. What comes back is
//!   kept to the names asked for, whatever the filter did. Their tags come from the
//!   environment's one `GetResources` ([`super::Inventory::tags_of`]).
//! - Listeners: one `DescribeListeners` per load balancer; rules: one `DescribeRules` per
//!   listener, all at once. The parents are the ones state recorded (`Ctx::recorded_ids`),
//!   so children are listed in the same round trip as their parents rather than after them;
//!   only with none recorded (a first run, lost state) are the listed parents used. A parent
//!   AWS no longer knows is left out, and a parent not covered (one found by identity this
//!   run) has its children read directly (see [`children_of`]).
//! - Tags of listeners and rules (which `GetResources` may not report; moto's does not): one
//!   `DescribeTags` over the recorded listeners and rules (or, with none recorded, the listed
//!   ones and non-default rules), 20 ARNs a call. A call that fails NotFound (an ARN deleted
//!   meanwhile) leaves its ARNs out, and those are read one by one.
//!
//! A listing never fails NotFound (the engine would take that for the resource being absent):
//! whatever AWS does not find is left out, and what is left out is read directly by its kind.

use super::inventory::Listing;
use super::{tags, Ctx, Spec, Tags};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{Listener, LoadBalancer, Rule, TargetGroup};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

/// Names a `DescribeLoadBalancers` / `DescribeTargetGroups` takes, ARNs a `DescribeTags` takes.
const PER_CALL: usize = 20;

/// The kinds whose recorded ARNs the listings ask for directly (`Kind::KIND`).
const LOAD_BALANCER: &str = "elbv2:load-balancer";
const LISTENER: &str = "elbv2:listener";
const LISTENER_RULE: &str = "elbv2:listener-rule";

/// The children (listeners, rules) AWS listed under one parent (load balancer, listener).
#[derive(Debug, Clone)]
pub struct Children<C> {
    pub parent: String,
    pub items: Vec<C>,
}

/// The children listed under `parent`; `None` when the listing did not cover it (a parent not
/// listed, or that AWS did not find), and then only a direct read can tell.
pub fn children_of<'a, C>(listed: &'a [Children<C>], parent: &str) -> Option<&'a [C]> {
    listed
        .iter()
        .find(|children| children.parent == parent)
        .map(|children| children.items.as_slice())
}

/// The children `list` finds under each of `parents`, all listed at once; a parent AWS does
/// not find (`list` answers `None`) is left out.
async fn under<'a, C, F, Fut>(parents: &'a [String], list: F) -> Result<Vec<Children<C>>, AwsError>
where
    F: Fn(&'a str) -> Fut,
    Fut: Future<Output = Result<Option<Vec<C>>, AwsError>>,
{
    let listed = parents.iter().map(|parent| {
        let listing = list(parent);
        async move {
            Ok::<_, AwsError>(listing.await?.map(|items| Children {
                parent: parent.clone(),
                items,
            }))
        }
    });
    Ok(futures::future::try_join_all(listed)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// What `describe` finds of `names`, `PER_CALL` names a call: a call AWS fails with NotFound
/// (one of its names does not exist) is asked again name by name, and one name that fails so
/// does not exist. Never fails NotFound.
pub async fn by_names<T, F, Fut>(names: &[String], describe: F) -> Result<Vec<T>, AwsError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, AwsError>>,
{
    let mut all = Vec::new();
    for chunk in names.chunks(PER_CALL) {
        match describe(chunk.to_vec()).await.found()? {
            Some(found) => all.extend(found),
            None if chunk.len() == 1 => {}
            None => {
                for name in chunk {
                    all.extend(
                        describe(vec![name.clone()])
                            .await
                            .found()?
                            .unwrap_or_default(),
                    );
                }
            }
        }
    }
    Ok(all)
}

/// The names the environment declares of one kind, sorted and without repeats.
fn declared(ctx: &Ctx<'_>, name: impl Fn(&Spec) -> Option<&str>) -> Vec<String> {
    let names: BTreeSet<&str> = ctx.desired.iter().filter_map(name).collect();
    names.into_iter().map(str::to_string).collect()
}

fn load_balancer_names(ctx: &Ctx<'_>) -> Vec<String> {
    declared(ctx, |spec| match spec {
        Spec::LoadBalancer(lb) => Some(lb.name.as_str()),
        _ => None,
    })
}

fn target_group_names(ctx: &Ctx<'_>) -> Vec<String> {
    declared(ctx, |spec| match spec {
        Spec::TargetGroup(group) => Some(group.name.as_str()),
        _ => None,
    })
}

/// Whether the load balancer listing asked for `name`: then a name it lacks does not exist.
pub fn lists_load_balancer(ctx: &Ctx<'_>, name: &str) -> bool {
    load_balancer_names(ctx).iter().any(|listed| listed == name)
}

/// Whether the target group listing asked for `name`: then a name it lacks does not exist.
pub fn lists_target_group(ctx: &Ctx<'_>, name: &str) -> bool {
    target_group_names(ctx).iter().any(|listed| listed == name)
}

struct LoadBalancers;

impl Listing for LoadBalancers {
    type Item = LoadBalancer;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<LoadBalancer>, AwsError> {
        let names = load_balancer_names(ctx);
        let mut all = by_names(&names, |chunk| async move {
            let output = ctx
                .aws
                .elb
                .describe_load_balancers()
                .set_names(Some(chunk))
                .send()
                .await
                .op("DescribeLoadBalancers")?;
            Ok(output.load_balancers.unwrap_or_default())
        })
        .await?;
        all.retain(|lb| {
            lb.load_balancer_name()
                .is_some_and(|n| names.iter().any(|w| w == n))
        });
        Ok(all)
    }
}

/// The environment's load balancers, by the names it declares: one listing per run.
pub async fn load_balancers(ctx: &Ctx<'_>) -> Result<Arc<Vec<LoadBalancer>>, AwsError> {
    ctx.inventory.listed::<LoadBalancers>(ctx).await
}

struct TargetGroups;

impl Listing for TargetGroups {
    type Item = TargetGroup;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<TargetGroup>, AwsError> {
        let names = target_group_names(ctx);
        let mut all = by_names(&names, |chunk| async move {
            let output = ctx
                .aws
                .elb
                .describe_target_groups()
                .set_names(Some(chunk))
                .send()
                .await
                .op("DescribeTargetGroups")?;
            Ok(output.target_groups.unwrap_or_default())
        })
        .await?;
        all.retain(|group| {
            group
                .target_group_name()
                .is_some_and(|n| names.iter().any(|w| w == n))
        });
        Ok(all)
    }
}

/// The environment's target groups, by the names it declares: one listing per run.
pub async fn target_groups(ctx: &Ctx<'_>) -> Result<Arc<Vec<TargetGroup>>, AwsError> {
    ctx.inventory.listed::<TargetGroups>(ctx).await
}

/// The load balancer's listeners; `None` when AWS says the load balancer does not exist.
pub async fn listeners_of(
    ctx: &Ctx<'_>,
    load_balancer_arn: &str,
) -> Result<Option<Vec<Listener>>, AwsError> {
    let mut listeners = Vec::new();
    let mut pages = ctx
        .aws
        .elb
        .describe_listeners()
        .load_balancer_arn(load_balancer_arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page.op("DescribeListeners").found()? {
            Some(page) => listeners.extend(page.listeners.unwrap_or_default()),
            None => return Ok(None),
        }
    }
    Ok(Some(listeners))
}

struct Listeners;

impl Listing for Listeners {
    type Item = Children<Listener>;

    /// Under the load balancers state recorded (known without a call, so listed at once), or
    /// with none recorded (state lost, a first run) under those the listing finds.
    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Children<Listener>>, AwsError> {
        let mut parents = ctx.recorded_ids(LOAD_BALANCER);
        if parents.is_empty() {
            parents = (load_balancers(ctx).await?.iter())
                .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
                .collect();
        }
        under(&parents, |parent| listeners_of(ctx, parent)).await
    }
}

/// The listeners of the environment's load balancers, by load balancer: one listing per run.
pub async fn listeners(ctx: &Ctx<'_>) -> Result<Arc<Vec<Children<Listener>>>, AwsError> {
    ctx.inventory.listed::<Listeners>(ctx).await
}

/// The listener's rules (its default rule too); `None` when AWS says the listener does not
/// exist.
pub async fn rules_of(ctx: &Ctx<'_>, listener_arn: &str) -> Result<Option<Vec<Rule>>, AwsError> {
    let mut rules = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let Some(page) = ctx
            .aws
            .elb
            .describe_rules()
            .listener_arn(listener_arn)
            .set_marker(marker.take())
            .send()
            .await
            .op("DescribeRules")
            .found()?
        else {
            return Ok(None);
        };
        marker = page.next_marker().map(str::to_string);
        rules.extend(page.rules.unwrap_or_default());
        if marker.is_none() {
            return Ok(Some(rules));
        }
    }
}

struct Rules;

impl Listing for Rules {
    type Item = Children<Rule>;

    /// Under the listeners state recorded, or with none recorded under those listed.
    async fn list(ctx: &Ctx<'_>) -> Result<Vec<Children<Rule>>, AwsError> {
        let mut parents = ctx.recorded_ids(LISTENER);
        if parents.is_empty() {
            parents = (listeners(ctx).await?.iter())
                .flat_map(|of| &of.items)
                .filter_map(|listener| listener.listener_arn().map(str::to_string))
                .collect();
        }
        under(&parents, |parent| rules_of(ctx, parent)).await
    }
}

/// The rules of the environment's listeners, by listener: one listing per run.
pub async fn rules(ctx: &Ctx<'_>) -> Result<Arc<Vec<Children<Rule>>>, AwsError> {
    ctx.inventory.listed::<Rules>(ctx).await
}

/// The ARNs whose tags the listing reads: every listed listener and non-default rule.
fn child_arns(listeners: &[Children<Listener>], rules: &[Children<Rule>]) -> Vec<String> {
    let listeners = listeners
        .iter()
        .flat_map(|of| &of.items)
        .filter_map(Listener::listener_arn);
    let rules = rules
        .iter()
        .flat_map(|of| &of.items)
        .filter(|rule| rule.is_default() != Some(true))
        .filter_map(Rule::rule_arn);
    let arns: BTreeSet<&str> = listeners.chain(rules).collect();
    arns.into_iter().map(str::to_string).collect()
}

struct ChildTags;

impl Listing for ChildTags {
    /// (ARN, its tags), for every ARN AWS answered for.
    type Item = (String, Tags);

    /// Of the listeners and rules state recorded (at once), or with none recorded of those
    /// listed.
    async fn list(ctx: &Ctx<'_>) -> Result<Vec<(String, Tags)>, AwsError> {
        let mut arns = ctx.recorded_ids(LISTENER);
        arns.extend(ctx.recorded_ids(LISTENER_RULE));
        if arns.is_empty() {
            arns = child_arns(&listeners(ctx).await?, &rules(ctx).await?);
        }
        let described = arns
            .chunks(PER_CALL)
            .map(|chunk| described_tags(ctx, chunk));
        Ok(futures::future::try_join_all(described)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}

/// The tags of `chunk` (at most `PER_CALL` ARNs) in one `DescribeTags`; none when one of them
/// no longer exists (AWS fails the call), and then each is read by itself.
async fn described_tags(ctx: &Ctx<'_>, chunk: &[String]) -> Result<Vec<(String, Tags)>, AwsError> {
    let Some(output) = ctx
        .aws
        .elb
        .describe_tags()
        .set_resource_arns(Some(chunk.to_vec()))
        .send()
        .await
        .op("DescribeTags")
        .found()?
    else {
        return Ok(Vec::new());
    };
    Ok((output.tag_descriptions().iter())
        .filter_map(|description| {
            let arn = description.resource_arn()?;
            chunk
                .iter()
                .any(|asked| asked == arn)
                .then(|| (arn.to_string(), tags::from_elb(description.tags())))
        })
        .collect())
}

/// Which ELBv2 resource the tags are of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    /// A load balancer or target group: `GetResources` reports it.
    Top,
    /// A listener or rule: in the listing's one `DescribeTags`.
    Child,
}

/// The tags of the ELBv2 resource `arn`; `None` when AWS says it does not exist. While
/// planning: for a listener or rule from the listing's `DescribeTags` (of recorded ARNs, so
/// made in the first round trip: whether `GetResources` reports listeners and rules is not
/// documented, and waiting for it to find out would cost a round trip), else from the
/// environment's `GetResources`; else, and always outside planning, its own `DescribeTags`.
pub async fn tags_of(ctx: &Ctx<'_>, arn: &str, kind: Tagged) -> Result<Option<Tags>, AwsError> {
    if ctx.cached && kind == Tagged::Child {
        let listed = ctx.inventory.listed::<ChildTags>(ctx).await?;
        if let Some((_, tags)) = listed.iter().find(|(listed, _)| listed == arn) {
            return Ok(Some(tags.clone()));
        }
    }
    if let Some(tags) = ctx.inventory.tags_of(ctx, arn).await? {
        return Ok(Some(tags));
    }
    tags::list_elb(&ctx.aws.elb, arn).await.found()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ErrorClass;
    use std::cell::RefCell;

    fn not_found() -> AwsError {
        AwsError::other(
            "DescribeTargetGroups",
            "One or more target groups not found",
        )
        .with_class(ErrorClass::NotFound)
    }

    /// `by_names` against names of which only `existing` exist, as AWS answers: NotFound when
    /// any name asked for is missing. Returns what was found and the calls made.
    fn run_by_names(names: &[&str], existing: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
        let calls = RefCell::new(Vec::new());
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let found = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(by_names(&names, |chunk: Vec<String>| {
                calls.borrow_mut().push(chunk.clone());
                let answer = if chunk.iter().all(|name| existing.contains(&name.as_str())) {
                    Ok(chunk)
                } else {
                    Err(not_found())
                };
                async move { answer }
            }))
            .unwrap();
        (found, calls.into_inner())
    }

    #[test]
    fn names_are_asked_together_when_all_exist() {
        let (found, calls) = run_by_names(&["a", "b"], &["a", "b"]);
        assert_eq!(found, ["a", "b"]);
        assert_eq!(calls.len(), 1);
    }

    #[test]
    fn a_missing_name_is_asked_again_one_by_one() {
        let (found, calls) = run_by_names(&["a", "b", "c"], &["a", "c"]);
        assert_eq!(found, ["a", "c"]);
        assert_eq!(calls.len(), 4);
        // A single missing name is simply absent.
        let (found, calls) = run_by_names(&["a"], &[]);
        assert!(found.is_empty());
        assert_eq!(calls.len(), 1);
    }

    #[test]
    fn names_are_asked_twenty_a_call() {
        let names: Vec<String> = (0..45).map(|i| format!("tg-{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (found, calls) = run_by_names(&refs, &refs);
        assert_eq!(found.len(), 45);
        let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
        assert_eq!(sizes, [20, 20, 5]);
    }

    #[test]
    fn other_errors_fail_the_listing() {
        let names = vec!["a".to_string()];
        let result = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(by_names(&names, |_| async {
                Err::<Vec<String>, _>(AwsError::other("DescribeTargetGroups", "boom"))
            }));
        assert!(result.is_err());
    }

    fn listener(arn: &str) -> Listener {
        Listener::builder().listener_arn(arn).port(80).build()
    }

    fn rule(arn: &str, default: bool) -> Rule {
        Rule::builder().rule_arn(arn).is_default(default).build()
    }

    #[test]
    fn children_are_known_only_for_listed_parents() {
        let listed = vec![
            Children {
                parent: "arn:lb-1".to_string(),
                items: vec![listener("arn:l-1")],
            },
            Children {
                parent: "arn:lb-2".to_string(),
                items: vec![],
            },
        ];
        assert_eq!(children_of(&listed, "arn:lb-1").map(<[_]>::len), Some(1));
        // Listed with no listeners: it has none.
        assert_eq!(children_of(&listed, "arn:lb-2").map(<[_]>::len), Some(0));
        // Not listed: unknown.
        assert!(children_of(&listed, "arn:lb-3").is_none());
    }

    #[test]
    fn tags_are_read_for_listeners_and_rules_but_default_rules() {
        let listeners = vec![Children {
            parent: "arn:lb".to_string(),
            items: vec![listener("arn:l-2"), listener("arn:l-1")],
        }];
        let rules = vec![Children {
            parent: "arn:l-1".to_string(),
            items: vec![rule("arn:r-1", false), rule("arn:r-default", true)],
        }];
        assert_eq!(
            child_arns(&listeners, &rules),
            ["arn:l-1", "arn:l-2", "arn:r-1"]
        );
    }
}
