//! `macroctl releases`: the release history from state (no AWS call for local state).

use super::{print_json, render, Context};
use crate::cli::EnvArg;
use crate::error::Error;
use crate::exit;
use crate::output::OutputFormat;

pub async fn run(context: &Context, args: &EnvArg) -> Result<i32, Error> {
    let store = super::state::state_store(context, &args.env).await?;
    let releases = store
        .load()?
        .map(|state| state.releases)
        .unwrap_or_default();
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": args.env,
            "releases": releases,
        }))?,
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = releases
                .iter()
                .rev()
                .map(|release| {
                    vec![
                        release.id.to_string(),
                        release.created_at.clone(),
                        release.created_by.clone(),
                        match release.rollback_to {
                            Some(to) => format!("rollback→{to}"),
                            None => release.command.clone(),
                        },
                        release.outcome.as_str().to_string(),
                        release
                            .services
                            .iter()
                            .map(|(service, entry)| format!("{service}={}", entry.image))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                })
                .collect();
            if rows.is_empty() {
                outln!("no releases recorded for {}", args.env);
            } else {
                out!(
                    "{}",
                    render::table(
                        &["ID", "CREATED", "BY", "COMMAND", "OUTCOME", "IMAGES"],
                        &rows
                    )
                );
            }
        }
    }
    Ok(exit::SUCCESS)
}
