//! IAM roles while planning: the environment's roles (those it declares, and the others tagged
//! for it, for `plan` to name as unmanaged) from two account-wide listings made at
//! the same time, `GetAccountAuthorizationDetails` filtered to roles (trust policy, inline
//! policies with their documents, attached managed policies, tags) and `ListRoles` (the
//! description, which the former does not report). Both are paginated; moto answers them in
//! one page each and reports every field used here. AWS URL-encodes every policy document in
//! the answer, moto the inline ones only: [`normalize_policy`] takes either.

use super::{normalize_policy, IamRoleLive};
use crate::aws::{AwsError, IntoAwsError};
use crate::resources::inventory::{kind_and_id_of_arn, Listing, Tagged};
use crate::resources::{tags, Ctx, Lookup, Spec, TAG_ENV, TAG_ID, TAG_STACK};
use aws_sdk_iam::types::{EntityType, RoleDetail};
use std::collections::{BTreeSet, HashMap};

/// What the run's listing says of the role `name`: `Some(found)` when it decides (found or,
/// for an identity lookup of a declared name, absent), `None` when only a direct read can tell
/// (the listing lacks the role named by a recorded id, or IAM refused the listing to this
/// caller: `iam:GetAccountAuthorizationDetails` is often withheld).
pub(super) async fn listed(
    ctx: &Ctx<'_>,
    name: &str,
    lookup: Lookup<'_>,
) -> Result<Option<Option<IamRoleLive>>, AwsError> {
    match ctx.inventory.listed::<Roles>(ctx).await {
        Ok(listed) => Ok(pick(
            &listed,
            name,
            lookup,
            desired_names(ctx).contains(name),
        )),
        Err(err) if denied(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The environment's roles, as `GetAccountAuthorizationDetails` (roles only) and `ListRoles`
/// report them: one listing per run.
struct Roles;

impl Listing for Roles {
    type Item = IamRoleLive;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<IamRoleLive>, AwsError> {
        let iam = &ctx.aws.iam;
        let details = async {
            let mut pages = iam
                .get_account_authorization_details()
                .filter(EntityType::Role)
                .into_paginator()
                .send();
            let mut all = Vec::new();
            while let Some(page) = pages.next().await {
                all.extend(
                    page.op("GetAccountAuthorizationDetails")?
                        .role_detail_list
                        .unwrap_or_default(),
                );
            }
            Ok::<_, AwsError>(all)
        };
        let roles = async {
            iam.list_roles()
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .op("ListRoles")
        };
        let (details, roles) = futures::try_join!(details, roles)?;
        let descriptions: HashMap<String, String> = roles
            .into_iter()
            .filter_map(|role| Some((role.role_name, role.description?)))
            .collect();
        let names = desired_names(ctx);
        // The declared roles, and the others tagged for this environment (which `plan` names
        // as unmanaged: the tagging API does not list IAM roles).
        Ok(details
            .iter()
            .map(|detail| live_of_detail(detail, &descriptions))
            .filter(|role| names.contains(role.name.as_str()) || tagged_for(ctx, role))
            .collect())
    }
}

/// Whether the role's tags name this stack and environment.
fn tagged_for(ctx: &Ctx<'_>, role: &IamRoleLive) -> bool {
    role.tags.get(TAG_STACK).map(String::as_str) == Some(ctx.stack)
        && role.tags.get(TAG_ENV).map(String::as_str) == Some(ctx.env)
}

/// The roles tagged for this environment with a logical id, from the run's listing (none
/// when IAM refuses the listing to this caller: a plan then cannot name unmanaged roles).
pub async fn tagged_roles(ctx: &Ctx<'_>) -> Result<Vec<Tagged>, AwsError> {
    let listed = match ctx.inventory.listed::<Roles>(ctx).await {
        Ok(listed) => listed,
        Err(err) if denied(&err) => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    Ok(listed
        .iter()
        .filter(|role| tagged_for(ctx, role))
        .filter_map(|role| {
            let (kind, physical_id) = kind_and_id_of_arn(&role.arn);
            Some(Tagged {
                id: role.tags.get(TAG_ID)?.clone(),
                kind,
                physical_id,
            })
        })
        .collect())
}

/// The role names of every role the environment declares.
fn desired_names<'a>(ctx: &'a Ctx<'_>) -> BTreeSet<&'a str> {
    ctx.desired_of(|spec| match spec {
        Spec::IamRole(role) => Some(role),
        _ => None,
    })
    .into_iter()
    .map(|role| role.name.as_str())
    .collect()
}

/// A role as `GetAccountAuthorizationDetails` reports it, with the description `ListRoles`
/// reported (none: unknown, as when `GetRole` reports none).
fn live_of_detail(detail: &RoleDetail, descriptions: &HashMap<String, String>) -> IamRoleLive {
    let name = detail.role_name().unwrap_or_default();
    IamRoleLive {
        name: name.to_string(),
        arn: detail.arn().unwrap_or_default().to_string(),
        description: descriptions.get(name).cloned(),
        trust_policy: detail.assume_role_policy_document().map(normalize_policy),
        managed_policy_arns: (detail.attached_managed_policies().iter())
            .filter_map(|policy| policy.policy_arn().map(str::to_string))
            .collect(),
        inline_policies: (detail.role_policy_list().iter())
            .filter_map(|policy| {
                let document = normalize_policy(policy.policy_document()?);
                Some((policy.policy_name()?.to_string(), document))
            })
            .collect(),
        tags: tags::from_iam(detail.tags()),
    }
}

/// What the listing says of the role `name`: `Some(found)` when it decides (found or, for
/// an identity lookup of a declared name, absent), `None` when only a direct read can tell.
fn pick(
    listed: &[IamRoleLive],
    name: &str,
    lookup: Lookup<'_>,
    declared: bool,
) -> Option<Option<IamRoleLive>> {
    match listed.iter().find(|role| role.name == name) {
        Some(role) => Some(Some(role.clone())),
        None if lookup == Lookup::Identity && declared => Some(None),
        None => None,
    }
}

/// Whether IAM refused the listing to this caller (then roles are read one by one).
fn denied(err: &AwsError) -> bool {
    matches!(err.code(), Some("AccessDenied" | "AccessDeniedException"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::types::{AttachedPolicy, PolicyDetail, Tag};

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const INLINE: &str = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%5B%22s3%3AGet%2A%22%5D%2C%20%22Resource%22%3A%20%22%2A%22%7D%5D%7D";

    fn detail(name: &str) -> RoleDetail {
        RoleDetail::builder()
            .role_name(name)
            .arn(format!("arn:aws:iam::123456789012:role/{name}"))
            .assume_role_policy_document(TRUST)
            .role_policy_list(
                PolicyDetail::builder()
                    .policy_name("read")
                    .policy_document(INLINE)
                    .build(),
            )
            .attached_managed_policies(
                AttachedPolicy::builder()
                    .policy_arn("arn:aws:iam::aws:policy/ReadOnly")
                    .build(),
            )
            .tags(
                Tag::builder()
                    .key("macroctl:env")
                    .value("test")
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn a_listed_role_is_what_the_direct_reads_report() {
        let descriptions = HashMap::from([("a".to_string(), "role a".to_string())]);
        let live = live_of_detail(&detail("a"), &descriptions);
        assert_eq!(live.arn, "arn:aws:iam::123456789012:role/a");
        assert_eq!(live.description.as_deref(), Some("role a"));
        assert_eq!(live.trust_policy, Some(normalize_policy(TRUST)));
        let read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":["*"]}]}"#;
        assert_eq!(live.inline_policies["read"], normalize_policy(read));
        assert!(live
            .managed_policy_arns
            .contains("arn:aws:iam::aws:policy/ReadOnly"));
        assert_eq!(live.tags["macroctl:env"], "test");
        // No description listed: unknown, as when GetRole reports none.
        assert_eq!(
            live_of_detail(&detail("b"), &descriptions).description,
            None
        );
    }

    #[test]
    fn the_listing_decides_unless_a_recorded_id_is_missing_from_it() {
        let listed = vec![live_of_detail(&detail("a"), &HashMap::new())];
        let found = |name, lookup, declared| {
            pick(&listed, name, lookup, declared).map(|role| role.map(|role| role.name))
        };
        assert_eq!(found("a", Lookup::Identity, true), Some(Some("a".into())));
        assert_eq!(found("a", Lookup::Id("arn"), true), Some(Some("a".into())));
        // A declared name the listing lacks does not exist.
        assert_eq!(found("b", Lookup::Identity, true), Some(None));
        // Only a direct read tells: a recorded id, or a name the listing did not look for.
        assert_eq!(found("b", Lookup::Id("arn"), true), None);
        assert_eq!(found("b", Lookup::Identity, false), None);
        let mut refused = AwsError::other("GetAccountAuthorizationDetails", "not authorized");
        assert!(!denied(&refused));
        refused.code = Some("AccessDenied".into());
        assert!(denied(&refused));
    }
}
