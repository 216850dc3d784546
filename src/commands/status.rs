//! `macroctl status`: every resource with its logical id, kind, physical id and live state.
//! Reads only; takes no lock. The JSON shape is versioned (`schema_version`).

use super::{print_json, render, Context};
use crate::cli::EnvArg;
use crate::error::Error;
use crate::exit;
use crate::ops::{engine, Session};
use crate::output::OutputFormat;

/// Bumped whenever the JSON shape of `status` changes incompatibly.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

pub async fn run(context: &Context, args: &EnvArg) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env, reporter, None).await?;
    let plan = engine::read(&session)
        .await
        .map_err(|summary| super::up::failed(&session, &summary))?;
    let rows: Vec<serde_json::Value> = plan
        .resources
        .iter()
        .map(|resource| {
            serde_json::json!({
                "id": resource.id,
                "kind": resource.kind,
                "physical_id": resource.physical_id,
                "state": resource.status.clone().unwrap_or_else(|| "missing".into()),
                "in_sync": resource.action == crate::ops::Action::NoOp,
            })
        })
        .collect();
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "schema_version": STATUS_SCHEMA_VERSION,
            "env": session.env.name,
            "region": session.aws.region,
            "state_serial": session.state.serial,
            "resources": rows,
        }))?,
        OutputFormat::Text => {
            let table: Vec<Vec<String>> = plan
                .resources
                .iter()
                .map(|resource| {
                    vec![
                        resource.id.clone(),
                        resource.kind.to_string(),
                        resource.physical_id.clone().unwrap_or_else(|| "-".into()),
                        resource.status.clone().unwrap_or_else(|| "missing".into()),
                        if resource.action == crate::ops::Action::NoOp {
                            String::new()
                        } else {
                            format!("(differs: {})", resource.action.as_str())
                        },
                    ]
                })
                .collect();
            println!(
                "Environment {} ({}), state serial {}",
                session.env.name, session.aws.region, session.state.serial
            );
            print!(
                "{}",
                render::table(&["ID", "KIND", "PHYSICAL ID", "STATE", ""], &table)
            );
        }
    }
    Ok(exit::SUCCESS)
}
