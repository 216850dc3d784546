//! The environment's Cognito user pool (`<stack>-<env>-user-pool`), where the API's users sign
//! up and in: e-mail as the username (verified automatically), a password policy (a minimum
//! length from the environment file; upper and lower case, digits and symbols required), MFA
//! by software token (TOTP) `OFF`, `OPTIONAL` or `ON`, and deletion protection (`ACTIVE` in
//! prod by default).
//!
//! Identity is by tags: pool names are not unique, and `CreateUserPool` makes a second pool
//! every time it is called, so the kind is `LookFirst` and a pool is found by listing the
//! region's pools (`ListUserPools`, once per run) for those with the deterministic name, then
//! reading them (`DescribeUserPool`, which carries the pool's tags as `UserPoolTags`); the one
//! tagged with this resource's `macroctl:id` is it, and any other of that name is shown to the
//! engine, which refuses it when it is tagged for another environment or untagged.
//!
//! MFA is read with `GetUserPoolMfaConfig` (at the same time as the pool): `DescribeUserPool`
//! reports `MfaConfiguration` but not whether software tokens are enabled. A pool is created
//! with MFA `OFF` (AWS refuses `OPTIONAL`/`ON` at creation without an SMS configuration), and
//! the update the engine makes next turns software-token MFA on with `SetUserPoolMfaConfig`.
//! `UpdateUserPool` resets what it is not given to the defaults, so it is always sent every
//! setting macroctl manages, MFA and the tags included; it is also how tags are set
//! (`UserPoolTags`: moto 5.2.5 has no cognito-idp `TagResource`). `UsernameAttributes` is
//! fixed at creation; moto forgets it on `UpdateUserPool`, so a pool that reports none is
//! taken as unknown there, not as a difference.
//!
//! `destroy`: with deletion protection on, the engine refuses unless
//! `--disable-deletion-protection` (as for the database and the load balancer); with it,
//! `delete` turns the protection off first (`UpdateUserPool`) and then deletes the pool.

use super::inventory::Listing;
use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, TagChanges, Tags, TAG_ID,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_cognitoidentityprovider::types::{
    DeletionProtectionType, PasswordPolicyType, SoftwareTokenMfaConfigType, UserPoolMfaType,
    UserPoolPolicyType, UserPoolType, UsernameAttributeType, VerifiedAttributeType,
};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct UserPoolSpec {
    /// `<stack>-<env>-user-pool`.
    pub name: String,
    pub password_min_length: i32,
    /// `OFF`, `OPTIONAL` or `ON`; software token (TOTP) MFA is enabled unless `OFF`.
    pub mfa: String,
    pub deletion_protection: bool,
}

#[derive(Debug, Clone)]
pub struct UserPoolLive {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub password_min_length: i32,
    /// Upper, lower, digits, symbols all required.
    pub password_complexity: bool,
    pub mfa: String,
    /// Whether software token MFA is enabled (false when AWS reports no configuration).
    pub software_token_mfa: bool,
    pub deletion_protection: bool,
    pub username_attributes: Vec<String>,
    pub auto_verified: Vec<String>,
    pub tags: Tags,
}

pub struct UserPool;

/// The one attribute users sign in with and that Cognito verifies.
const EMAIL: &str = "email";

fn listed(values: &[String]) -> String {
    super::listed(values)
}

/// The pool `id` with its MFA configuration; `None` when it does not exist.
async fn describe(ctx: &Ctx<'_>, id: &str) -> Result<Option<UserPoolLive>, AwsError> {
    let cognito = &ctx.aws.cognito;
    let pool = async {
        cognito
            .describe_user_pool()
            .user_pool_id(id)
            .send()
            .await
            .op("DescribeUserPool")
            .found()
    };
    let mfa = async {
        cognito
            .get_user_pool_mfa_config()
            .user_pool_id(id)
            .send()
            .await
            .op("GetUserPoolMfaConfig")
            .found()
    };
    let (pool, mfa) = futures::try_join!(pool, mfa)?;
    let (Some(pool), Some(mfa)) = (pool, mfa) else {
        return Ok(None);
    };
    let Some(pool) = pool.user_pool() else {
        return Ok(None);
    };
    let mut live = live_of(pool);
    live.mfa = mfa
        .mfa_configuration()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "OFF".into());
    live.software_token_mfa = mfa
        .software_token_mfa_configuration()
        .is_some_and(|token| token.enabled());
    Ok(Some(live))
}

fn live_of(pool: &UserPoolType) -> UserPoolLive {
    let policy = pool.policies().and_then(|p| p.password_policy());
    let complexity = policy.is_some_and(|p| {
        p.require_uppercase() && p.require_lowercase() && p.require_numbers() && p.require_symbols()
    });
    UserPoolLive {
        id: pool.id().unwrap_or_default().to_string(),
        arn: pool.arn().unwrap_or_default().to_string(),
        name: pool.name().unwrap_or_default().to_string(),
        password_min_length: policy.and_then(|p| p.minimum_length()).unwrap_or(8),
        password_complexity: complexity,
        mfa: pool
            .mfa_configuration()
            .map(|m| m.as_str().to_string())
            .unwrap_or_else(|| "OFF".into()),
        software_token_mfa: false,
        deletion_protection: pool.deletion_protection() == Some(&DeletionProtectionType::Active),
        username_attributes: (pool.username_attributes().iter())
            .map(|a| a.as_str().to_string())
            .collect(),
        auto_verified: (pool.auto_verified_attributes().iter())
            .map(|a| a.as_str().to_string())
            .collect(),
        tags: pool
            .user_pool_tags()
            .map(super::tags::from_map)
            .unwrap_or_default(),
    }
}

/// `(id, name)` of every pool in the region: `ListUserPools` cannot be narrowed.
struct Pools;

impl Listing for Pools {
    type Item = (String, String);

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<(String, String)>, AwsError> {
        let mut pools = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = ctx
                .aws
                .cognito
                .list_user_pools()
                .max_results(60)
                .set_next_token(next_token.take())
                .send()
                .await
                .op("ListUserPools")?;
            pools.extend(
                page.user_pools()
                    .iter()
                    .filter_map(|pool| Some((pool.id()?.to_string(), pool.name()?.to_string()))),
            );
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
                _ => return Ok(pools),
            }
        }
    }
}

fn policies(spec: &UserPoolSpec) -> UserPoolPolicyType {
    UserPoolPolicyType::builder()
        .password_policy(
            PasswordPolicyType::builder()
                .minimum_length(spec.password_min_length)
                .require_uppercase(true)
                .require_lowercase(true)
                .require_numbers(true)
                .require_symbols(true)
                .temporary_password_validity_days(7)
                .build(),
        )
        .build()
}

fn protection_of(on: bool) -> DeletionProtectionType {
    if on {
        DeletionProtectionType::Active
    } else {
        DeletionProtectionType::Inactive
    }
}

/// What one `UpdateUserPool` sends: every setting macroctl manages (the call resets what it
/// is not given), and the tags (`UserPoolTags`), which it sets too.
struct Settings<'a> {
    password_min_length: i32,
    auto_verified: &'a [String],
    mfa: &'a str,
    deletion_protection: bool,
    tags: &'a Tags,
}

impl<'a> Settings<'a> {
    /// The pool's settings as they are (for changing only the tags or the protection).
    fn of(live: &'a UserPoolLive) -> Self {
        Settings {
            password_min_length: live.password_min_length,
            auto_verified: &live.auto_verified,
            mfa: &live.mfa,
            deletion_protection: live.deletion_protection,
            tags: &live.tags,
        }
    }
}

/// One `UpdateUserPool`; `None` when the pool is gone.
async fn update_pool(
    ctx: &Ctx<'_>,
    id: &str,
    settings: &Settings<'_>,
) -> Result<Option<()>, AwsError> {
    let policies = policies(&UserPoolSpec {
        name: String::new(),
        password_min_length: settings.password_min_length,
        mfa: settings.mfa.to_string(),
        deletion_protection: settings.deletion_protection,
    });
    // ResourceNotFound: gone.
    ctx.aws
        .cognito
        .update_user_pool()
        .user_pool_id(id)
        .policies(policies)
        .set_auto_verified_attributes(Some(
            (settings.auto_verified.iter())
                .map(|a| VerifiedAttributeType::from(a.as_str()))
                .collect(),
        ))
        .mfa_configuration(UserPoolMfaType::from(settings.mfa))
        .deletion_protection(protection_of(settings.deletion_protection))
        .set_user_pool_tags(Some(super::tags::to_map(settings.tags)))
        .send()
        .await
        .op("UpdateUserPool")
        .found()
        .map(|answer| answer.map(|_| ()))
}

impl Kind for UserPool {
    const KIND: &'static str = "cognito:user-pool";
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // CreateUserPool takes no client token and names need not be unique: a repeat makes a
    // second pool, so the engine looks until AWS must show the first.
    const CREATE: CreateSafety = CreateSafety::LookFirst;
    const OUTPUTS: &'static [&'static str] = &["user_pool_id", "arn"];
    type Spec = UserPoolSpec;
    type Live = UserPoolLive;

    fn refs(_spec: &UserPoolSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &UserPoolSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<UserPoolLive>, AwsError> {
        let ids: Vec<String> = match lookup {
            Lookup::Id(id) => return describe(ctx, id).await,
            Lookup::Identity if ctx.cached => (ctx.inventory.listed::<Pools>(ctx).await?.iter())
                .filter(|(_, name)| *name == spec.name)
                .map(|(id, _)| id.clone())
                .collect(),
            Lookup::Identity => (Pools::list(ctx).await?.into_iter())
                .filter(|(_, name)| *name == spec.name)
                .map(|(id, _)| id)
                .collect(),
        };
        let mut found = Vec::new();
        for id in ids {
            if let Some(live) = describe(ctx, &id).await? {
                found.push(live);
            }
        }
        // Ours by its `macroctl:id` (and stack and env, checked by the engine), else whatever
        // else carries the name, for the engine to refuse.
        let ours = found
            .iter()
            .position(|live| live.tags.get(TAG_ID).map(String::as_str) == Some(who.id.as_str()));
        Ok(match ours {
            Some(index) => Some(found.swap_remove(index)),
            None => found.into_iter().next(),
        })
    }

    fn diff(spec: &UserPoolSpec, live: &UserPoolLive, _resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let email = vec![EMAIL.to_string()];
        // Unreported: unknown (moto drops it on UpdateUserPool), not a difference.
        if !live.username_attributes.is_empty() && live.username_attributes != email {
            // Fixed when the pool is made.
            changes.push(FieldChange::replace(
                "username_attributes",
                listed(&live.username_attributes),
                listed(&email),
            ));
        }
        if live.password_min_length != spec.password_min_length {
            changes.push(FieldChange::update(
                "password_min_length",
                live.password_min_length,
                spec.password_min_length,
            ));
        }
        if !live.password_complexity {
            changes.push(FieldChange::update(
                "password_requires",
                "(not all)",
                "upper, lower, digits, symbols",
            ));
        }
        if live.mfa != spec.mfa {
            changes.push(FieldChange::update("mfa", &live.mfa, &spec.mfa));
        }
        let token = spec.mfa != "OFF";
        if live.software_token_mfa != token {
            changes.push(FieldChange::update(
                "software_token_mfa",
                live.software_token_mfa,
                token,
            ));
        }
        if live.auto_verified != email {
            changes.push(FieldChange::update(
                "auto_verified_attributes",
                listed(&live.auto_verified),
                listed(&email),
            ));
        }
        if live.deletion_protection != spec.deletion_protection {
            changes.push(FieldChange::update(
                "deletion_protection",
                live.deletion_protection,
                spec.deletion_protection,
            ));
        }
        changes
    }

    /// One `CreateUserPool` with the tags, MFA off (see the module docs); returns the pool id.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &UserPoolSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .cognito
            .create_user_pool()
            .pool_name(&spec.name)
            .policies(policies(spec))
            .username_attributes(UsernameAttributeType::Email)
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .mfa_configuration(UserPoolMfaType::Off)
            .deletion_protection(protection_of(spec.deletion_protection))
            .set_user_pool_tags(Some(super::tags::to_map(&who.tags)))
            .send()
            .await
            .op("CreateUserPool")?;
        output
            .user_pool()
            .and_then(|pool| pool.id())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateUserPool", "Cognito returned no pool id"))
    }

    /// MFA first (`SetUserPoolMfaConfig`: software token on, then the setting), then the
    /// rest in one `UpdateUserPool` with every managed setting. Both set absolute values, so
    /// repeating them is harmless.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &UserPoolSpec,
        live: &UserPoolLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let cognito = &ctx.aws.cognito;
        let mfa = UserPoolMfaType::from(spec.mfa.as_str());
        if changes
            .iter()
            .any(|c| c.field == "mfa" || c.field == "software_token_mfa")
        {
            cognito
                .set_user_pool_mfa_config()
                .user_pool_id(&live.id)
                .software_token_mfa_configuration(
                    SoftwareTokenMfaConfigType::builder()
                        .enabled(spec.mfa != "OFF")
                        .build(),
                )
                .mfa_configuration(mfa.clone())
                .send()
                .await
                .op("SetUserPoolMfaConfig")?;
        }
        if changes
            .iter()
            .any(|c| c.field != "mfa" && c.field != "software_token_mfa")
        {
            let email = [EMAIL.to_string()];
            let settings = Settings {
                password_min_length: spec.password_min_length,
                auto_verified: &email,
                mfa: &spec.mfa,
                deletion_protection: spec.deletion_protection,
                tags: &live.tags,
            };
            if update_pool(ctx, &live.id, &settings).await?.is_none() {
                return Err(AwsError::other(
                    "UpdateUserPool",
                    format!("user pool {} no longer exists", live.id),
                ));
            }
        }
        Ok(None)
    }

    fn tags(live: &UserPoolLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    /// With `UpdateUserPool`'s `UserPoolTags` and the pool's other settings as they are:
    /// the one tagging call that AWS and the emulator (moto 5.2.5 has no cognito-idp
    /// `TagResource`) both take. Keys others added are kept: the whole set is sent.
    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &UserPoolLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        let mut tags = live.tags.clone();
        tags.extend(changes.set.clone());
        for key in &changes.remove {
            tags.remove(key);
        }
        let settings = Settings {
            tags: &tags,
            ..Settings::of(live)
        };
        update_pool(ctx, &live.id, &settings).await?;
        Ok(())
    }

    /// Turns deletion protection off first when it is on (`destroy` gets that far only with
    /// `--disable-deletion-protection`), then deletes the pool; its app clients go with it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &UserPoolLive,
        options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        let cognito = &ctx.aws.cognito;
        if live.deletion_protection && options.disable_deletion_protection {
            let settings = Settings {
                deletion_protection: false,
                ..Settings::of(live)
            };
            if update_pool(ctx, &live.id, &settings).await?.is_none() {
                return Ok(Deleted::Requested);
            }
        }
        // ResourceNotFound: already gone.
        cognito
            .delete_user_pool()
            .user_pool_id(&live.id)
            .send()
            .await
            .op("DeleteUserPool")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn protection(live: &UserPoolLive) -> Option<&'static str> {
        live.deletion_protection.then_some("deletion_protection")
    }

    fn physical_id(live: &UserPoolLive) -> String {
        live.id.clone()
    }

    fn outputs(live: &UserPoolLive) -> Outputs {
        Outputs::from([
            ("user_pool_id".into(), live.id.clone()),
            ("arn".into(), live.arn.clone()),
        ])
    }

    fn status(live: &UserPoolLive) -> String {
        let mfa = format!("MFA {}", live.mfa.to_lowercase());
        if live.deletion_protection {
            format!("protected, {mfa}")
        } else {
            mfa
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> UserPoolSpec {
        UserPoolSpec {
            name: "macro-ai-test-user-pool".into(),
            password_min_length: 12,
            mfa: "OPTIONAL".into(),
            deletion_protection: false,
        }
    }

    fn live() -> UserPoolLive {
        UserPoolLive {
            id: "us-east-1_abc".into(),
            arn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc".into(),
            name: "macro-ai-test-user-pool".into(),
            password_min_length: 12,
            password_complexity: true,
            mfa: "OPTIONAL".into(),
            software_token_mfa: true,
            deletion_protection: false,
            username_attributes: vec!["email".into()],
            auto_verified: vec!["email".into()],
            tags: Tags::new(),
        }
    }

    #[test]
    fn diff() {
        let resolver = Resolver::default();
        assert!(UserPool::diff(&spec(), &live(), &resolver).is_empty());
        let fresh = UserPoolLive {
            mfa: "OFF".into(),
            software_token_mfa: false,
            ..live()
        };
        let fields: Vec<String> = UserPool::diff(&spec(), &fresh, &resolver)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(fields, ["mfa", "software_token_mfa"]);
        let longer = UserPoolSpec {
            password_min_length: 16,
            deletion_protection: true,
            ..spec()
        };
        let changes = UserPool::diff(&longer, &live(), &resolver);
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| !c.replace));
        let by_phone = UserPoolLive {
            username_attributes: vec!["phone_number".into()],
            ..live()
        };
        assert!(UserPool::diff(&spec(), &by_phone, &resolver)[0].replace);
        let unreported = UserPoolLive {
            username_attributes: Vec::new(),
            ..live()
        };
        assert!(UserPool::diff(&spec(), &unreported, &resolver).is_empty());
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(super::super::outputs_are_declared::<UserPool>(&live()));
    }
}
