//! The authentication layer: the environment's Cognito user pool and the API's app client,
//! declared only when `[cognito] create` is true (an environment that references an existing
//! pool through `integrations.cognito_user_pool_arn` gets nothing here).
//!
//! A layer of its own rather than part of the application layer: the pool holds the users,
//! outlives deployments and depends on nothing in the VPC, so it starts at once. The API's
//! task role and task definition refer to it (`app.rs`), so they wait for it. Plans show it
//! under `application`, the layer it serves.

use super::Declared;
use crate::config::Environment;
use crate::resources::user_pool::UserPoolSpec;
use crate::resources::user_pool_client::UserPoolClientSpec;
use crate::resources::{Ref, Spec};

pub const USER_POOL: &str = "user-pool";
pub const USER_POOL_CLIENT: &str = "user-pool-client";

pub(super) fn declare(env: &Environment) -> Vec<Declared> {
    let cognito = &env.cognito;
    if !cognito.create {
        return Vec::new();
    }
    let prefix = env.resource_prefix();
    vec![
        Declared::new(
            USER_POOL,
            Spec::UserPool(UserPoolSpec {
                name: format!("{prefix}-{USER_POOL}"),
                password_min_length: cognito.password_min_length as i32,
                mfa: cognito.mfa.as_str().into(),
                deletion_protection: cognito.deletion_protection,
            }),
        ),
        Declared::new(
            USER_POOL_CLIENT,
            Spec::UserPoolClient(UserPoolClientSpec {
                pool: Ref::new(USER_POOL, "user_pool_id"),
                name: format!("{prefix}-api"),
            }),
        ),
    ]
}
