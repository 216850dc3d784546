//! The API's app client of the environment's user pool (`<stack>-<env>-api`): a public client
//! (no secret: the UI signs in from the browser, where no secret stays secret), with the SRP
//! and refresh-token auth flows only (no plain password flow), and Cognito's answer to an
//! unknown user made indistinguishable from a wrong password.
//!
//! A child of its pool: found by listing the pool's clients (`ListUserPoolClients`) for its
//! name, the client name being unique within the pool by macroctl's choice (Cognito does not
//! enforce it, so `CreateUserPoolClient` is `LookFirst`); then read with
//! `DescribeUserPoolClient`. App clients carry no tags; their pool's were checked. A client
//! made with a secret cannot lose it, so a secret is a replacement.

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, PreventUserExistenceErrorTypes, UserPoolClientType,
};

/// The auth flows the client allows: SRP sign-in and token refresh.
pub const AUTH_FLOWS: [&str; 2] = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"];

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct UserPoolClientSpec {
    pub pool: Ref,
    /// Unique within the pool: `<stack>-<env>-api`.
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct UserPoolClientLive {
    pub client_id: String,
    pub pool_id: String,
    pub name: String,
    pub has_secret: bool,
    /// Sorted.
    pub auth_flows: Vec<String>,
    pub prevent_user_existence_errors: bool,
}

pub struct UserPoolClient;

fn live_of(client: &UserPoolClientType) -> UserPoolClientLive {
    let mut auth_flows: Vec<String> = (client.explicit_auth_flows().iter())
        .map(|flow| flow.as_str().to_string())
        .collect();
    auth_flows.sort();
    UserPoolClientLive {
        client_id: client.client_id().unwrap_or_default().to_string(),
        pool_id: client.user_pool_id().unwrap_or_default().to_string(),
        name: client.client_name().unwrap_or_default().to_string(),
        has_secret: client.client_secret().is_some_and(|s| !s.is_empty()),
        auth_flows,
        prevent_user_existence_errors: client.prevent_user_existence_errors()
            == Some(&PreventUserExistenceErrorTypes::Enabled),
    }
}

/// The client `id` of pool `pool`; `None` when either is gone.
async fn describe(
    ctx: &Ctx<'_>,
    pool: &str,
    id: &str,
) -> Result<Option<UserPoolClientLive>, AwsError> {
    // ResourceNotFound: no such pool or client.
    let output = ctx
        .aws
        .cognito
        .describe_user_pool_client()
        .user_pool_id(pool)
        .client_id(id)
        .send()
        .await
        .op("DescribeUserPoolClient")
        .found()?;
    Ok(output.and_then(|o| o.user_pool_client().map(live_of)))
}

/// The id of the pool's client named `name`.
async fn find(ctx: &Ctx<'_>, pool: &str, name: &str) -> Result<Option<String>, AwsError> {
    let mut next_token: Option<String> = None;
    loop {
        let Some(page) = ctx
            .aws
            .cognito
            .list_user_pool_clients()
            .user_pool_id(pool)
            .max_results(60)
            .set_next_token(next_token.take())
            .send()
            .await
            .op("ListUserPoolClients")
            .found()?
        else {
            return Ok(None);
        };
        if let Some(id) = (page.user_pool_clients().iter())
            .find(|client| client.client_name() == Some(name))
            .and_then(|client| client.client_id())
        {
            return Ok(Some(id.to_string()));
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(None),
        }
    }
}

fn flows() -> Vec<ExplicitAuthFlowsType> {
    AUTH_FLOWS
        .iter()
        .map(|flow| ExplicitAuthFlowsType::from(*flow))
        .collect()
}

impl Kind for UserPoolClient {
    const KIND: &'static str = "cognito:user-pool-client";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // No client token, and names need not be unique within a pool.
    const CREATE: CreateSafety = CreateSafety::LookFirst;
    const OUTPUTS: &'static [&'static str] = &["client_id"];
    type Spec = UserPoolClientSpec;
    type Live = UserPoolClientLive;

    fn refs(spec: &UserPoolClientSpec) -> Vec<Ref> {
        vec![spec.pool.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &UserPoolClientSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<UserPoolClientLive>, AwsError> {
        // No pool yet: no client either.
        let Some(pool) = resolver.known(&spec.pool) else {
            return Ok(None);
        };
        let id = match lookup {
            Lookup::Id(id) => id.to_string(),
            Lookup::Identity => match find(ctx, &pool, &spec.name).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        describe(ctx, &pool, &id).await
    }

    fn diff(
        spec: &UserPoolClientSpec,
        live: &UserPoolClientLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        if let Some(pool) = resolver.known(&spec.pool) {
            if live.pool_id != pool {
                changes.push(FieldChange::replace("user_pool", &live.pool_id, pool));
            }
        }
        if live.has_secret {
            changes.push(FieldChange::replace("client_secret", "(set)", "(none)"));
        }
        let flows: Vec<String> = AUTH_FLOWS.iter().map(|f| f.to_string()).collect();
        if live.auth_flows != flows {
            changes.push(FieldChange::update(
                "explicit_auth_flows",
                super::listed(&live.auth_flows),
                super::listed(&flows),
            ));
        }
        if !live.prevent_user_existence_errors {
            changes.push(FieldChange::update(
                "prevent_user_existence_errors",
                "LEGACY",
                "ENABLED",
            ));
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &UserPoolClientSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let output = ctx
            .aws
            .cognito
            .create_user_pool_client()
            .user_pool_id(resolver.get(&spec.pool))
            .client_name(&spec.name)
            .generate_secret(false)
            .set_explicit_auth_flows(Some(flows()))
            .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
            .send()
            .await
            .op("CreateUserPoolClient")?;
        output
            .user_pool_client()
            .and_then(|client| client.client_id())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateUserPoolClient", "Cognito returned no client id"))
    }

    /// One `UpdateUserPoolClient` with everything macroctl sets (it resets what it is not
    /// given); absolute values, so a repeat is harmless.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &UserPoolClientSpec,
        live: &UserPoolClientLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        ctx.aws
            .cognito
            .update_user_pool_client()
            .user_pool_id(&live.pool_id)
            .client_id(&live.client_id)
            .client_name(&spec.name)
            .set_explicit_auth_flows(Some(flows()))
            .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
            .send()
            .await
            .op("UpdateUserPoolClient")?;
        Ok(None)
    }

    /// App clients carry no tags.
    fn tags(_live: &UserPoolClientLive) -> Option<&Tags> {
        None
    }

    async fn delete(
        ctx: &Ctx<'_>,
        live: &UserPoolClientLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // ResourceNotFound: already gone (with its pool, say).
        ctx.aws
            .cognito
            .delete_user_pool_client()
            .user_pool_id(&live.pool_id)
            .client_id(&live.client_id)
            .send()
            .await
            .op("DeleteUserPoolClient")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &UserPoolClientLive) -> String {
        live.client_id.clone()
    }

    fn outputs(live: &UserPoolClientLive) -> Outputs {
        Outputs::from([("client_id".into(), live.client_id.clone())])
    }

    fn status(live: &UserPoolClientLive) -> String {
        let secret = if live.has_secret { "secret" } else { "public" };
        if live.auth_flows == AUTH_FLOWS {
            format!("{secret}, SRP + refresh")
        } else {
            format!("{secret}, {}", super::listed(&live.auth_flows))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> UserPoolClientLive {
        UserPoolClientLive {
            client_id: "abc123".into(),
            pool_id: "us-east-1_abc".into(),
            name: "macro-ai-test-api".into(),
            has_secret: false,
            auth_flows: AUTH_FLOWS.iter().map(|f| f.to_string()).collect(),
            prevent_user_existence_errors: true,
        }
    }

    #[test]
    fn diff() {
        let resolver = Resolver::default();
        let spec = UserPoolClientSpec {
            pool: Ref::new("user-pool", "user_pool_id"),
            name: "macro-ai-test-api".into(),
        };
        assert!(UserPoolClient::diff(&spec, &live(), &resolver).is_empty());
        let secret = UserPoolClientLive {
            has_secret: true,
            ..live()
        };
        assert!(UserPoolClient::diff(&spec, &secret, &resolver)[0].replace);
        let password = UserPoolClientLive {
            auth_flows: vec!["ALLOW_USER_PASSWORD_AUTH".into()],
            ..live()
        };
        assert!(!UserPoolClient::diff(&spec, &password, &resolver)[0].replace);
        assert!(super::super::outputs_are_declared::<UserPoolClient>(&live()));
    }
}
