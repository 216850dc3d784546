//! `macroctl diff --env E [--image SERVICE=IMAGE …]`: what `up` would change in the task
//! definitions and services (or, with `--image`, what that `deploy` would), as unified diffs
//! of their JSON documents (see `ops::diff`). Read-only: no lock, no change.
//!
//! The diffs are the data (stdout), coloured when stdout is a terminal and `NO_COLOR` is
//! unset; "no changes" goes to stderr. `--output json` gives `{"env", "changes": [{id, kind,
//! from, before, after}]}`. Exit 0 either way (`plan --detailed-exitcode` is the gate).

use super::{print_json, Context};
use crate::cli::DiffArgs;
use crate::error::Error;
use crate::exit;
use crate::ops::{diff, engine, image_ref, Session};
use crate::output::{Event, OutputFormat};
use std::io::IsTerminal;

pub async fn run(context: &Context, args: &DiffArgs) -> Result<i32, Error> {
    // Checked before the session opens: a bad reference costs no AWS call.
    let images = image_ref::parse_image_flags(&args.images).map_err(Error::Usage)?;
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    let documents = if images.is_empty() {
        let plan = engine::read(&session)
            .await
            .map_err(|summary| super::up::failed(&session, &summary))?;
        diff::for_up(&session, &plan)
    } else {
        diff::for_deploy(&session, &images)
            .await
            .map_err(|source| Error::Aws {
                env: session.env.name.clone(),
                source,
            })?
    };
    if context.format == OutputFormat::Json {
        print_json(&serde_json::json!({
            "env": session.env.name,
            "changes": documents,
        }))?;
        return Ok(exit::SUCCESS);
    }
    if documents.is_empty() {
        reporter.report(Event::Info {
            message: format!(
                "{}: no changes to task definitions or services",
                session.env.name
            ),
        });
        return Ok(exit::SUCCESS);
    }
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for document in &documents {
        let text = diff::unified(document);
        if colour {
            out!("{}", coloured(&text));
        } else {
            out!("{text}");
        }
    }
    Ok(exit::SUCCESS)
}

/// Red for removed lines, green for added, cyan for hunk headers, bold for file headers.
fn coloured(text: &str) -> String {
    text.lines()
        .map(|line| {
            let code = if line.starts_with("+++") || line.starts_with("---") {
                "1"
            } else if line.starts_with('+') {
                "32"
            } else if line.starts_with('-') {
                "31"
            } else if line.starts_with("@@") {
                "36"
            } else {
                return format!("{line}\n");
            };
            format!("\x1b[{code}m{line}\x1b[0m\n")
        })
        .collect()
}
