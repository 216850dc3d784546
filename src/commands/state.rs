//! `macroctl state show|list|unlock|init-backend|push|pull`: look at state, release locks, and
//! move state between the local directory and S3.
//!
//! Each works on the backend the other commands would use: `--state-url` (or
//! `MACROCTL_STATE_URL`), else the environment file's `[state] url`, else `--state-dir`. Local
//! state needs no AWS call; S3 state needs credentials for the bucket.

use super::{print_json, render, Context};
use crate::cli::{EnvArg, UnlockArgs};
use crate::error::Error;
use crate::exit;
use crate::ops;
use crate::output::OutputFormat;
use crate::state::lock::{self, UnlockOutcome};
use crate::state::remote::{self, RemoteState};
use crate::state::remote_lock;
use crate::state::url::S3Location;
use crate::state::{State, StateStore};

/// Where state is looked for.
enum Backend {
    Local,
    Remote {
        location: S3Location,
        s3: aws_sdk_s3::Client,
    },
}

/// The backend for `env` (or, without one, `--state-url` alone). A bucket that is missing,
/// unversioned or unencrypted is refused here, naming `state init-backend`.
async fn backend(context: &Context, env: Option<&str>) -> Result<Backend, Error> {
    let settings = &context.settings;
    // The environment file may not exist where state is only inspected: then it has no say.
    let environment = env.and_then(|env| ops::load_environment(settings, env).ok());
    let file_url = environment
        .as_ref()
        .and_then(|env| env.state_url.as_deref());
    let Some(location) = ops::state_location(settings, file_url)? else {
        return Ok(Backend::Local);
    };
    let region = environment.map_or_else(|| "us-east-1".to_string(), |env| env.region);
    let aws = ops::open_aws(settings, &region)
        .await
        .map_err(|source| Error::Aws {
            env: env.unwrap_or("(state)").to_string(),
            source,
        })?;
    ops::check_state_bucket(&aws, &location).await?;
    Ok(Backend::Remote {
        location,
        s3: aws.state_s3(),
    })
}

fn store(context: &Context, backend: &Backend, env: &str) -> StateStore {
    match backend {
        Backend::Local => StateStore::new(&context.settings.state_dir, env),
        Backend::Remote { location, s3 } => {
            StateStore::remote(RemoteState::new(s3.clone(), location.clone(), env), env)
        }
    }
}

/// The store of `env`'s state on the backend the other commands would use.
pub(super) async fn state_store(context: &Context, env: &str) -> Result<StateStore, Error> {
    let backend = backend(context, Some(env)).await?;
    Ok(store(context, &backend, env))
}

fn no_state(env: &str, store: &StateStore) -> Error {
    Error::Refused {
        message: format!("environment {env}: no state at {}", store.path().display()),
        hint: format!(
            "run `macroctl up --env {env}` first, or pass the --state-dir / --state-url it used"
        ),
    }
}

pub async fn show(context: &Context, args: &EnvArg) -> Result<i32, Error> {
    let backend = backend(context, Some(&args.env)).await?;
    let store = store(context, &backend, &args.env);
    let Some(state) = store.load()? else {
        return Err(no_state(&args.env, &store));
    };
    let lock = match &backend {
        Backend::Remote { location, s3 } => remote_lock::holder(s3, location, &args.env)?
            .map(|holder| serde_json::to_value(&holder).unwrap_or_default()),
        Backend::Local => lock::holder(&context.settings.state_dir, &args.env)?
            .map(|holder| serde_json::to_value(&holder).unwrap_or_default()),
    };
    match context.format {
        OutputFormat::Json => print_json(&state)?,
        OutputFormat::Text => {
            outln!(
                "Environment {} (stack {}), serial {}, lineage {}, at {}",
                state.env,
                state.stack,
                state.serial,
                state.lineage,
                store.path().display()
            );
            if let Some(lock) = &lock {
                outln!("Locked by: {lock}");
            }
            let rows: Vec<Vec<String>> = state
                .resources
                .iter()
                .map(|(id, entry)| {
                    vec![
                        id.clone(),
                        entry.kind.clone(),
                        entry.physical_id.clone(),
                        entry.updated_at.clone(),
                    ]
                })
                .collect();
            out!(
                "{}",
                render::table(&["ID", "KIND", "PHYSICAL ID", "UPDATED"], &rows)
            );
        }
    }
    Ok(exit::SUCCESS)
}

pub async fn list(context: &Context) -> Result<i32, Error> {
    let backend = backend(context, None).await?;
    let dir = &context.settings.state_dir;
    let envs: Vec<String> = match &backend {
        Backend::Local => {
            let mut envs: Vec<String> = std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter_map(|entry| {
                            let name = entry.file_name().to_string_lossy().to_string();
                            name.strip_suffix(".json").map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            envs.sort();
            envs
        }
        Backend::Remote { location, s3 } => {
            remote::list_envs(s3, location).await.map_err(|source| {
                Error::State(Box::new(crate::state::StateError::Remote {
                    url: location.url(),
                    action: "list",
                    source: Box::new(source),
                }))
            })?
        }
    };
    let mut rows = Vec::new();
    let mut documents = Vec::new();
    for env in envs {
        let store = store(context, &backend, &env);
        let (serial, resources) = match store.load() {
            Ok(Some(state)) => (Some(state.serial), Some(state.resources.len())),
            Ok(None) => continue,
            Err(_) => (None, None),
        };
        let holder = match &backend {
            Backend::Local => lock::holder(dir, &env)?.map(|holder| holder.to_string()),
            Backend::Remote { location, s3 } => {
                remote_lock::holder(s3, location, &env)?.map(|holder| holder.to_string())
            }
        };
        rows.push(vec![
            env.clone(),
            serial.map_or_else(|| "corrupt".into(), |serial| serial.to_string()),
            resources.map_or_else(|| "-".into(), |count| count.to_string()),
            holder.clone().unwrap_or_else(|| "-".into()),
        ]);
        documents.push(serde_json::json!({
            "env": env, "serial": serial, "resources": resources, "corrupt": serial.is_none(),
            "locked_by": holder,
        }));
    }
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({ "environments": documents }))?,
        OutputFormat::Text => out!(
            "{}",
            render::table(&["ENV", "SERIAL", "RESOURCES", "LOCKED BY"], &rows)
        ),
    }
    Ok(exit::SUCCESS)
}

pub async fn unlock(context: &Context, args: &UnlockArgs) -> Result<i32, Error> {
    let env = &args.env.env;
    let message = match backend(context, Some(env)).await? {
        Backend::Remote { location, s3 } => {
            let Some(lock_id) = &args.lock_id else {
                return Err(Error::Refused {
                    message: format!(
                        "environment {env}: its state is in {location}; unlocking it needs the lock's id"
                    ),
                    hint: format!(
                        "pass --lock-id ID (the lock error and `macroctl state show --env {env}` name it)"
                    ),
                });
            };
            match remote_lock::unlock(&s3, &location, env, lock_id)? {
                None => format!("environment {env} was not locked"),
                Some(holder) => format!(
                    "removed the lock {lock_id} on {env} held by {}{}",
                    holder.holder,
                    if holder.expired() {
                        " (its lease had expired)"
                    } else {
                        "; that run may still be going: its next state write will be refused if the state changed"
                    }
                ),
            }
        }
        Backend::Local => {
            if args.lock_id.is_some() {
                return Err(Error::Usage(format!(
                    "--lock-id is for state in S3; environment {env}'s state is in {} (use --force for a live local lock)",
                    context.settings.state_dir.display()
                )));
            }
            match lock::unlock(&context.settings.state_dir, env, args.force)? {
                UnlockOutcome::NotLocked => format!("environment {env} was not locked"),
                UnlockOutcome::ClearedStale(Some(holder)) => {
                    format!("cleared the stale lock on {env} left by {holder}")
                }
                UnlockOutcome::ClearedStale(None) => format!("cleared the stale lock on {env}"),
                UnlockOutcome::ForcedRemoval(holder) => format!(
                    "removed the lock on {env} held by {}; that process may still be running",
                    holder
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "an unknown process".into())
                ),
            }
        }
    };
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({ "env": env, "message": message }))?,
        OutputFormat::Text => outln!("{message}"),
    }
    Ok(exit::SUCCESS)
}

/// `state init-backend`: makes the bucket `--state-url` names fit for state.
pub async fn init_backend(context: &Context) -> Result<i32, Error> {
    let settings = &context.settings;
    let Some(url) = &settings.state_url else {
        return Err(Error::Usage(
            "state init-backend needs --state-url s3://BUCKET/PREFIX (or MACROCTL_STATE_URL)"
                .into(),
        ));
    };
    let location = crate::state::url::parse(url).map_err(|err| Error::Usage(err.to_string()))?;
    let region = settings
        .aws
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".into());
    let aws = ops::open_aws(settings, &region)
        .await
        .map_err(|source| Error::Aws {
            env: "(state)".into(),
            source,
        })?;
    let report = remote::init_bucket(&aws.state_s3(), &location, &region)
        .await
        .map_err(|source| {
            Error::State(Box::new(crate::state::StateError::Remote {
                url: location.url(),
                action: "set up the bucket of",
                source: Box::new(source),
            }))
        })?;
    match context.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            outln!(
                "{} bucket {} in {region}: {}.",
                if report.created { "Created" } else { "Checked" },
                report.bucket,
                report.settings.join(", ")
            );
            outln!(
                "Use it with --state-url {} (or `[state] url = \"{}\"` in the environment file).",
                location.url(),
                location.url()
            );
        }
    }
    Ok(exit::SUCCESS)
}

/// Refuses to replace `existing` with `incoming` when that would lose history: another
/// lineage, or a newer serial. `Ok(true)` when they are the same already.
fn check_copy(
    env: &str,
    incoming: &State,
    existing: Option<&State>,
    to: &str,
) -> Result<bool, Error> {
    let Some(existing) = existing else {
        return Ok(false);
    };
    if existing.lineage != incoming.lineage {
        return Err(Error::Refused {
            message: format!(
                "environment {env}: the state at {to} has another lineage ({}, serial {}) than the one copied ({}, serial {}); refusing to replace one history with another",
                existing.lineage, existing.serial, incoming.lineage, incoming.serial
            ),
            hint: "move one of them away first if you are sure which is right".into(),
        });
    }
    if existing.serial > incoming.serial {
        return Err(Error::Refused {
            message: format!(
                "environment {env}: the state at {to} is newer (serial {}) than the one copied (serial {}); refusing to go back",
                existing.serial, incoming.serial
            ),
            hint: "copy the other way, or move the newer one away first".into(),
        });
    }
    Ok(existing.serial == incoming.serial)
}

/// `state push`: the local state into the S3 backend, serial and lineage kept, under the
/// environment's S3 lock.
pub async fn push(context: &Context, args: &EnvArg) -> Result<i32, Error> {
    copy(context, &args.env, Direction::Push).await
}

/// `state pull`: the S3 state into the local directory, serial and lineage kept.
pub async fn pull(context: &Context, args: &EnvArg) -> Result<i32, Error> {
    copy(context, &args.env, Direction::Pull).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Push,
    Pull,
}

async fn copy(context: &Context, env: &str, direction: Direction) -> Result<i32, Error> {
    let backend = backend(context, Some(env)).await?;
    let Backend::Remote { location, s3 } = &backend else {
        return Err(Error::Usage(format!(
            "state {} needs the S3 backend: pass --state-url s3://BUCKET/PREFIX (or set `[state] url` in {env}'s environment file)",
            if direction == Direction::Push { "push" } else { "pull" }
        )));
    };
    let local = StateStore::new(&context.settings.state_dir, env);
    let remote = store(context, &backend, env);
    // No run may change the remote state meanwhile.
    let _lock = remote_lock::acquire(
        s3,
        location,
        env,
        &context.command_line,
        context.settings.lock_timeout,
        |_| {},
    )?;
    let (from, to) = match direction {
        Direction::Push => (&local, &remote),
        Direction::Pull => (&remote, &local),
    };
    let Some(state) = from.load()? else {
        return Err(no_state(env, from));
    };
    let existing = to.load()?;
    let same = check_copy(
        env,
        &state,
        existing.as_ref(),
        &to.path().display().to_string(),
    )?;
    if !same {
        to.copy_in(&state)?;
    }
    let message = format!(
        "{} state of {env} (serial {}, lineage {}) {} {}",
        if same { "the" } else { "copied the" },
        state.serial,
        state.lineage,
        if same { "is already at" } else { "to" },
        to.path().display()
    );
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": env, "serial": state.serial, "lineage": state.lineage,
            "to": to.path().display().to_string(), "copied": !same,
        }))?,
        OutputFormat::Text => outln!("{message}"),
    }
    Ok(exit::SUCCESS)
}
