//! Customer managed KMS keys: the key the environment's alarm topic is encrypted with
//! (`kms-alerts`, alias `alias/<stack>-<env>-alerts`).
//!
//! Why a key of the environment's own, rather than the AWS managed `alias/aws/sns`: CloudWatch
//! alarms can publish to an encrypted topic only when the key's policy lets the
//! `cloudwatch.amazonaws.com` principal use it (`kms:Decrypt`, `kms:GenerateDataKey*`), and the
//! policy of an AWS managed key cannot be changed and does not. A topic encrypted with it
//! takes no alarm notification at all, silently (AWS SNS docs, "Enable compatibility between
//! event sources from AWS services and encrypted topics").
//!
//! **Finding.** By the ARN recorded in state (`DescribeKey`), else by its tags, never by its
//! alias: `CreateKey` takes no client token and nothing in it is unique (`LookFirst`), so a key
//! whose create answered nothing (the response lost, the run killed) has its tags, given at
//! creation, but no alias yet. The tags are the Resource Groups Tagging API's `GetResources`
//! for `kms:key` tagged `macroctl:{stack,env,id}`: while planning, the environment's one
//! listing; otherwise a direct one. A key `PendingDeletion` is as good as gone (it cannot be
//! used, and AWS deletes it when its window ends): it is not found, and `up` makes a new one.
//!
//! **Reading** costs, per key, `DescribeKey`, `GetKeyPolicy`, `GetKeyRotationStatus` and
//! `ListAliases` (for this key), started together (KMS has no call reporting several); the
//! tags come from the environment's `GetResources`, else `ListResourceTags`.
//!
//! **Compared and converged**, each step a plain set, safe to repeat: the key is enabled
//! (`EnableKey`), the key policy (as normalised JSON; `PutKeyPolicy`), the description
//! (`UpdateKeyDescription`), automatic rotation (`EnableKeyRotation`, FSBP KMS.4) and the
//! alias. The alias is this kind's update rather than a kind of its own: it has no tags, no
//! ARN of its own to record and no life apart from its key, and it exists only so people can
//! recognise the key; as a kind it would add a resource, a state entry and a read to every
//! plan for what one field says. It is made with `CreateAlias`, or moved here with
//! `UpdateAlias` when it names a key that is gone, pending deletion or this environment's
//! (never one of someone else's); a lost answer is read again by the engine, which sends only
//! what still differs.
//!
//! **Deleting** (`destroy`): `DeleteAlias` (when it names this key), then
//! `ScheduleKeyDeletion` with the shortest window AWS allows, 7 days (AWS never deletes a key
//! at once; `aws kms cancel-key-deletion` brings it back meanwhile). Pending deletion is gone.

use super::{
    compare, tags, CreateSafety, Ctx, DeleteOptions, Deleted, Deletion, FieldChange, Identity,
    IdentityKind, Kind, Lookup, Outputs, Readiness, Ref, Resolver, TagChanges, Tags, TAG_ENV,
    TAG_ID, TAG_STACK,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::resources::iam_role::normalize_policy;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};

/// Days a scheduled key waits before AWS deletes it: the minimum AWS allows.
pub const DELETION_WINDOW_DAYS: i32 = 7;
/// The only key policy name KMS has.
const POLICY_NAME: &str = "default";
/// What KMS answers a call a key's state does not allow (scheduling a key already pending
/// deletion, say).
const INVALID_STATE: &str = "KMSInvalidStateException";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct KmsKeySpec {
    /// The alias that names the key, e.g. `alias/macro-ai-staging-alerts`.
    pub alias: String,
    pub description: String,
    /// The key policy (JSON).
    pub policy: String,
}

#[derive(Debug, Clone)]
pub struct KmsKeyLive {
    pub key_id: String,
    pub arn: String,
    /// `Enabled`, `Disabled`, `Creating`, ... (never `PendingDeletion`: such a key is gone).
    pub state: String,
    pub description: String,
    /// The key policy, normalised (`None` when KMS reports none).
    pub policy: Option<String>,
    pub rotation: bool,
    /// Every alias that names this key.
    pub aliases: Vec<String>,
    /// The spec's alias, when it names this key (what `destroy` removes).
    pub managed_alias: Option<String>,
    pub tags: Tags,
}

pub struct KmsKey;

/// Key states that mean the key is as good as gone.
fn is_gone(state: &str) -> bool {
    matches!(state, "PendingDeletion" | "PendingReplicaDeletion")
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// Every alias naming `key` (`ListAliases` for that key, paginated).
async fn aliases_of(ctx: &Ctx<'_>, key: &str) -> Result<Vec<String>, AwsError> {
    let mut aliases = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = ctx
            .aws
            .kms
            .list_aliases()
            .key_id(key)
            .set_marker(marker.take())
            .send()
            .await
            .op("ListAliases")?;
        aliases.extend(
            page.aliases()
                .iter()
                .filter_map(|alias| alias.alias_name().map(str::to_string)),
        );
        match page.next_marker() {
            Some(next) if page.truncated() && !next.is_empty() => marker = Some(next.to_string()),
            _ => return Ok(aliases),
        }
    }
}

/// The key `alias` names, if the alias exists (`ListAliases` over the account, paginated).
async fn target_of(ctx: &Ctx<'_>, alias: &str) -> Result<Option<String>, AwsError> {
    let mut marker: Option<String> = None;
    loop {
        let page = ctx
            .aws
            .kms
            .list_aliases()
            .set_marker(marker.take())
            .send()
            .await
            .op("ListAliases")?;
        if let Some(entry) = page
            .aliases()
            .iter()
            .find(|entry| entry.alias_name() == Some(alias))
        {
            return Ok(entry.target_key_id().map(str::to_string));
        }
        match page.next_marker() {
            Some(next) if page.truncated() && !next.is_empty() => marker = Some(next.to_string()),
            _ => return Ok(None),
        }
    }
}

/// The tags of `key` (`ListResourceTags`, paginated); `None` when the key does not exist.
async fn list_tags(ctx: &Ctx<'_>, key: &str) -> Result<Option<Tags>, AwsError> {
    let mut all = Tags::new();
    let mut marker: Option<String> = None;
    loop {
        // NotFoundException: no such key.
        let Some(page) = ctx
            .aws
            .kms
            .list_resource_tags()
            .key_id(key)
            .set_marker(marker.take())
            .send()
            .await
            .op("ListResourceTags")
            .found()?
        else {
            return Ok(None);
        };
        all.extend(tags::from_kms(page.tags()));
        match page.next_marker() {
            Some(next) if page.truncated() && !next.is_empty() => marker = Some(next.to_string()),
            _ => return Ok(Some(all)),
        }
    }
}

/// The key `key` (an ARN or a key id) as KMS reports it, its aliases and tags read at the same
/// time; `None` when it does not exist or is pending deletion.
async fn describe(
    ctx: &Ctx<'_>,
    key: &str,
    spec: &KmsKeySpec,
) -> Result<Option<KmsKeyLive>, AwsError> {
    let kms = &ctx.aws.kms;
    let metadata = async {
        // NotFoundException: no such key.
        let described = (kms.describe_key().key_id(key).send().await)
            .op("DescribeKey")
            .found()?;
        Ok::<_, AwsError>(described.and_then(|described| described.key_metadata().cloned()))
    };
    let policy = async {
        let output = (kms.get_key_policy().key_id(key).policy_name(POLICY_NAME))
            .send()
            .await
            .op("GetKeyPolicy")?;
        Ok::<_, AwsError>(output.policy().map(normalize_policy))
    };
    let rotation = async {
        let output =
            (kms.get_key_rotation_status().key_id(key).send().await).op("GetKeyRotationStatus")?;
        Ok::<_, AwsError>(output.key_rotation_enabled())
    };
    let tags = async {
        if key.starts_with("arn:") {
            if let Some(tags) = ctx.inventory.tags_of(ctx, key).await? {
                return Ok(Some(tags));
            }
        }
        list_tags(ctx, key).await
    };
    // All at once; the key's own description decides first (the others may fail for a key
    // that is gone or pending deletion).
    let (metadata, policy, rotation, aliases, tags) =
        futures::join!(metadata, policy, rotation, aliases_of(ctx, key), tags);
    let Some(metadata) = metadata? else {
        return Ok(None);
    };
    let state = metadata
        .key_state()
        .map(|state| state.as_str().to_string())
        .unwrap_or_default();
    if is_gone(&state) {
        return Ok(None);
    }
    let (Some(tags), aliases) = (tags?, aliases?) else {
        return Ok(None);
    };
    Ok(Some(KmsKeyLive {
        key_id: metadata.key_id().to_string(),
        arn: metadata.arn().unwrap_or_default().to_string(),
        state,
        description: metadata.description().unwrap_or_default().to_string(),
        policy: policy?,
        rotation: rotation?,
        managed_alias: aliases.contains(&spec.alias).then(|| spec.alias.clone()),
        aliases,
        tags,
    }))
}

/// The ARNs of the keys tagged as `who` for this environment: from the environment's
/// `GetResources` while planning, else a direct one narrowed to KMS keys and the id tag.
async fn tagged_keys(ctx: &Ctx<'_>, who: &Identity) -> Result<Vec<String>, AwsError> {
    let is_key = |arn: &str| arn.contains(":kms:") && arn.contains(":key/");
    if ctx.cached {
        let tagged = ctx.inventory.tagged().await?;
        let mut arns: Vec<String> = tagged
            .iter()
            .filter(|(arn, tags)| {
                is_key(arn) && tags.get(TAG_ID).map(String::as_str) == Some(who.id.as_str())
            })
            .map(|(arn, _)| arn.clone())
            .collect();
        arns.sort();
        return Ok(arns);
    }
    let filter = |key: &str, value: &str| {
        aws_sdk_resourcegroupstagging::types::TagFilter::builder()
            .key(key)
            .values(value)
            .build()
    };
    let mut pages = ctx
        .aws
        .tagging
        .get_resources()
        .resource_type_filters("kms:key")
        .tag_filters(filter(TAG_STACK, ctx.stack))
        .tag_filters(filter(TAG_ENV, ctx.env))
        .tag_filters(filter(TAG_ID, who.id.as_str()))
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        arns.extend(
            page.op("GetResources")?
                .resource_tag_mapping_list()
                .iter()
                .filter_map(|mapping| mapping.resource_arn())
                .filter(|arn| is_key(arn))
                .map(str::to_string),
        );
    }
    arns.sort();
    Ok(arns)
}

/// The one live key tagged as `who` (keys pending deletion left out); two are an error to
/// resolve by hand, never something to guess about.
async fn find_by_tags(
    ctx: &Ctx<'_>,
    who: &Identity,
    spec: &KmsKeySpec,
) -> Result<Option<KmsKeyLive>, AwsError> {
    let candidates = tagged_keys(ctx, who).await?;
    let described =
        futures::future::try_join_all(candidates.iter().map(|arn| describe(ctx, arn, spec)))
            .await?;
    let mut alive: Vec<KmsKeyLive> = described.into_iter().flatten().collect();
    match alive.len() {
        0 | 1 => Ok(alive.pop()),
        many => Err(AwsError::other(
            "GetResources",
            format!(
                "{many} KMS keys are tagged {TAG_ID}={}: {}; schedule the extra ones for deletion (aws kms schedule-key-deletion) or remove their tags, and run again",
                who.id,
                alive.iter().map(|key| key.arn.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// Points the spec's alias at `live`: `CreateAlias` when there is none, `UpdateAlias` when it
/// names a key that is gone, pending deletion or this environment's. An alias naming a live
/// key of someone else's is refused: moving it would take it from them.
async fn converge_alias(
    ctx: &Ctx<'_>,
    spec: &KmsKeySpec,
    live: &KmsKeyLive,
) -> Result<(), AwsError> {
    let kms = &ctx.aws.kms;
    let Some(target) = target_of(ctx, &spec.alias).await? else {
        kms.create_alias()
            .alias_name(&spec.alias)
            .target_key_id(&live.key_id)
            .send()
            .await
            .op("CreateAlias")?;
        return Ok(());
    };
    if target == live.key_id {
        return Ok(());
    }
    // NotFoundException: the key it names is gone.
    let other = (kms.describe_key().key_id(&target).send().await)
        .op("DescribeKey")
        .found()?;
    let other_state = other
        .as_ref()
        .and_then(|other| other.key_metadata())
        .and_then(|metadata| metadata.key_state())
        .map(|state| state.as_str().to_string());
    let movable = match other_state {
        None => true,
        Some(state) if is_gone(&state) => true,
        Some(_) => list_tags(ctx, &target)
            .await?
            .is_some_and(|tags| tags::owner(&tags, ctx.stack, ctx.env) == tags::Owner::Ours),
    };
    if !movable {
        return Err(AwsError::other(
            "UpdateAlias",
            format!(
                "the alias {} names the KMS key {target}, which is not this environment's; macroctl leaves it alone. Delete the alias (aws kms delete-alias --alias-name {}) if that key is no longer used, or name another key in monitoring.alarm_topic_kms_key",
                spec.alias, spec.alias
            ),
        ));
    }
    kms.update_alias()
        .alias_name(&spec.alias)
        .target_key_id(&live.key_id)
        .send()
        .await
        .op("UpdateAlias")?;
    Ok(())
}

impl Kind for KmsKey {
    const KIND: &'static str = "kms:key";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // CreateKey takes no client token and nothing in it is unique: a repeat makes a second key.
    const CREATE: CreateSafety = CreateSafety::LookFirst;
    const OUTPUTS: &'static [&'static str] = &["arn", "key_id"];
    type Spec = KmsKeySpec;
    type Live = KmsKeyLive;

    fn refs(_spec: &KmsKeySpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &KmsKeySpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<KmsKeyLive>, AwsError> {
        match lookup {
            Lookup::Id(key) => describe(ctx, key, spec).await,
            Lookup::Identity => find_by_tags(ctx, who, spec).await,
        }
    }

    fn diff(spec: &KmsKeySpec, live: &KmsKeyLive, _resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        if live.state == "Disabled" {
            changes.push(FieldChange::update("state", &live.state, "Enabled"));
        }
        let policy = normalize_policy(&spec.policy);
        if live.policy.as_deref() != Some(policy.as_str()) {
            changes.push(FieldChange::update(
                "policy",
                live.policy.as_deref().unwrap_or("(none)"),
                policy,
            ));
        }
        compare(
            &mut changes,
            "description",
            &live.description,
            &spec.description,
            false,
        );
        if !live.rotation {
            changes.push(FieldChange::update("rotation", on_off(false), on_off(true)));
        }
        if live.managed_alias.is_none() {
            changes.push(FieldChange::update(
                "alias",
                super::listed(&live.aliases),
                &spec.alias,
            ));
        }
        changes
    }

    /// Creates the key with its policy, description and tags. Rotation and the alias are the
    /// update that follows (CreateKey takes neither).
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &KmsKeySpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .kms
            .create_key()
            .description(&spec.description)
            .policy(&spec.policy)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_spec(KeySpec::SymmetricDefault)
            .set_tags(Some(tags::to_kms(&who.tags, "CreateKey")?))
            .send()
            .await
            .op("CreateKey")?;
        output
            .key_metadata()
            .and_then(|metadata| metadata.arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateKey", "KMS returned no key ARN"))
    }

    /// Enables the key (rotation needs it enabled), then sets the policy, the description,
    /// rotation and the alias, as `changes` asks.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &KmsKeySpec,
        live: &KmsKeyLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let kms = &ctx.aws.kms;
        let changed = |field: &str| changes.iter().any(|change| change.field == field);
        let key = live.key_id.as_str();
        if changed("state") {
            kms.enable_key().key_id(key).send().await.op("EnableKey")?;
        }
        if changed("policy") {
            kms.put_key_policy()
                .key_id(key)
                .policy_name(POLICY_NAME)
                .policy(&spec.policy)
                .send()
                .await
                .op("PutKeyPolicy")?;
        }
        if changed("description") {
            kms.update_key_description()
                .key_id(key)
                .description(&spec.description)
                .send()
                .await
                .op("UpdateKeyDescription")?;
        }
        if changed("rotation") {
            kms.enable_key_rotation()
                .key_id(key)
                .send()
                .await
                .op("EnableKeyRotation")?;
        }
        if changed("alias") {
            converge_alias(ctx, spec, live).await?;
        }
        Ok(None)
    }

    fn readiness(live: &KmsKeyLive) -> Readiness {
        match live.state.as_str() {
            // A disabled key is enabled by the update that follows.
            "Enabled" | "Disabled" => Readiness::Ready,
            "Creating" | "Updating" => Readiness::Pending(format!("key {}", live.state)),
            other => Readiness::Failed(format!(
                "KMS key {} is {other}; macroctl cannot use it (see the KMS console)",
                live.arn
            )),
        }
    }

    fn tags(live: &KmsKeyLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &KmsKeyLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_kms(&ctx.aws.kms, &live.key_id, changes).await
    }

    /// Removes the alias (when it names this key), then schedules the key's deletion with the
    /// shortest window. A key already pending deletion (scheduled by an attempt whose answer
    /// was lost) counts as done.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &KmsKeyLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        let kms = &ctx.aws.kms;
        if let Some(alias) = &live.managed_alias {
            // NotFoundException: already removed.
            kms.delete_alias()
                .alias_name(alias)
                .send()
                .await
                .op("DeleteAlias")
                .found()?;
        }
        let scheduled = kms
            .schedule_key_deletion()
            .key_id(&live.key_id)
            .pending_window_in_days(DELETION_WINDOW_DAYS)
            .send()
            .await
            .op("ScheduleKeyDeletion")
            .found();
        match scheduled {
            Ok(_) => Ok(Deleted::Requested),
            Err(err) if err.code() == Some(INVALID_STATE) => {
                // Refused for the key's state: done if that state is pending deletion.
                let now = (kms.describe_key().key_id(&live.key_id).send().await)
                    .op("DescribeKey")
                    .found()?;
                let state = now
                    .as_ref()
                    .and_then(|now| now.key_metadata())
                    .and_then(|metadata| metadata.key_state())
                    .map(|state| state.as_str().to_string());
                match state {
                    Some(state) if !is_gone(&state) => Err(err),
                    _ => Ok(Deleted::Requested),
                }
            }
            Err(err) => Err(err),
        }
    }

    fn deletion(live: &KmsKeyLive) -> Deletion {
        if is_gone(&live.state) {
            Deletion::Gone
        } else {
            Deletion::Present
        }
    }

    fn physical_id(live: &KmsKeyLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &KmsKeyLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("key_id".into(), live.key_id.clone()),
        ])
    }

    fn status(live: &KmsKeyLive) -> String {
        format!(
            "{}, rotation {}, {}",
            live.state,
            on_off(live.rotation),
            super::listed(&live.aliases)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALIAS: &str = "alias/macro-ai-test-alerts";

    fn spec() -> KmsKeySpec {
        KmsKeySpec {
            alias: ALIAS.into(),
            description: "the alarm topic's key".into(),
            policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}"#.into(),
        }
    }

    fn live() -> KmsKeyLive {
        let spec = spec();
        KmsKeyLive {
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            arn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                .into(),
            state: "Enabled".into(),
            description: spec.description.clone(),
            // KMS reformats the policy it keeps.
            policy: Some(normalize_policy(
                r#"{ "Statement" : [ { "Resource" : "*", "Action" : ["kms:*"], "Effect" : "Allow", "Principal" : { "AWS" : "arn:aws:iam::123456789012:root" } } ], "Version" : "2012-10-17" }"#,
            )),
            rotation: true,
            aliases: vec![ALIAS.into()],
            managed_alias: Some(ALIAS.into()),
            tags: Tags::new(),
        }
    }

    #[test]
    fn diff() {
        let resolver = Resolver::default();
        assert!(KmsKey::diff(&spec(), &live(), &resolver).is_empty());
        // Made moments ago: rotation and the alias are still to come.
        let fresh = KmsKeyLive {
            rotation: false,
            aliases: Vec::new(),
            managed_alias: None,
            ..live()
        };
        let fields: Vec<String> = KmsKey::diff(&spec(), &fresh, &resolver)
            .into_iter()
            .map(|change| change.field)
            .collect();
        assert_eq!(fields, ["rotation", "alias"]);
        // Changed by hand: disabled, another policy.
        let changed = KmsKeyLive {
            state: "Disabled".into(),
            policy: Some(normalize_policy(
                r#"{"Version":"2012-10-17","Statement":[]}"#,
            )),
            ..live()
        };
        let changes = KmsKey::diff(&spec(), &changed, &resolver);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["state", "policy"]);
        assert!(changes.iter().all(|change| !change.replace));
    }

    #[test]
    fn a_key_pending_deletion_is_gone() {
        assert!(is_gone("PendingDeletion") && is_gone("PendingReplicaDeletion"));
        assert!(!is_gone("Enabled") && !is_gone("Disabled"));
        let pending = KmsKeyLive {
            state: "PendingDeletion".into(),
            ..live()
        };
        assert_eq!(KmsKey::deletion(&pending), Deletion::Gone);
        assert_eq!(KmsKey::deletion(&live()), Deletion::Present);
        assert_eq!(KmsKey::readiness(&live()), Readiness::Ready);
        assert!(matches!(
            KmsKey::readiness(&KmsKeyLive {
                state: "Unavailable".into(),
                ..live()
            }),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        let keys: Vec<String> = KmsKey::outputs(&live()).into_keys().collect();
        assert_eq!(keys, KmsKey::OUTPUTS);
    }
}
