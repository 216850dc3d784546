//! `macroctl state show|list|unlock`: look at state files and release locks. No AWS calls.

use super::{print_json, render, Context};
use crate::cli::{EnvArg, UnlockArgs};
use crate::error::Error;
use crate::exit;
use crate::output::OutputFormat;
use crate::state::lock::{self, UnlockOutcome};
use crate::state::StateStore;

pub fn show(context: &Context, args: &EnvArg) -> Result<i32, Error> {
    let store = StateStore::new(&context.settings.state_dir, &args.env);
    let Some(state) = store.load()? else {
        return Err(Error::Refused {
            message: format!(
                "environment {}: no state file at {}",
                args.env,
                store.path().display()
            ),
            hint: format!(
                "run `macroctl up --env {}` first, or pass the --state-dir it used",
                args.env
            ),
        });
    };
    match context.format {
        OutputFormat::Json => print_json(&state)?,
        OutputFormat::Text => {
            println!(
                "Environment {} (stack {}), serial {}, lineage {}",
                state.env, state.stack, state.serial, state.lineage
            );
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
            print!(
                "{}",
                render::table(&["ID", "KIND", "PHYSICAL ID", "UPDATED"], &rows)
            );
        }
    }
    Ok(exit::SUCCESS)
}

pub fn list(context: &Context) -> Result<i32, Error> {
    let dir = &context.settings.state_dir;
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
    let mut rows = Vec::new();
    let mut documents = Vec::new();
    for env in envs {
        let store = StateStore::new(dir, &env);
        let (serial, resources) = match store.load() {
            Ok(Some(state)) => (state.serial.to_string(), state.resources.len().to_string()),
            Ok(None) => continue,
            Err(_) => ("corrupt".into(), "-".into()),
        };
        let holder = lock::holder(dir, &env)?;
        rows.push(vec![
            env.clone(),
            serial.clone(),
            resources.clone(),
            holder
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "-".into()),
        ]);
        documents.push(serde_json::json!({
            "env": env, "serial": serial, "resources": resources, "locked_by": holder,
        }));
    }
    match context.format {
        OutputFormat::Json => print_json(&documents)?,
        OutputFormat::Text => print!(
            "{}",
            render::table(&["ENV", "SERIAL", "RESOURCES", "LOCKED BY"], &rows)
        ),
    }
    Ok(exit::SUCCESS)
}

pub fn unlock(context: &Context, args: &UnlockArgs) -> Result<i32, Error> {
    let env = &args.env.env;
    let outcome = lock::unlock(&context.settings.state_dir, env, args.force)?;
    let message = match &outcome {
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
    };
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({ "env": env, "message": message }))?,
        OutputFormat::Text => println!("{message}"),
    }
    Ok(exit::SUCCESS)
}
