//! `macroctl import`: record in state what AWS already has for an environment (a lost state
//! file, an environment partly made by hand), without creating or changing anything but the
//! tags `--map` adds. Holds the environment's lock, because it writes state.
//!
//! Mappings are checked against the environment file before the lock or any AWS call, so a
//! misspelt logical id costs nothing. The finding and adopting is `ops::import`'s; this module
//! prints what was found and picks the exit: 0 when everything found was recorded (missing
//! resources are `up`'s to create), 1 when something was refused or could not be read (the rest
//! is recorded all the same).

use super::{print_json, Context};
use crate::cli::ImportArgs;
use crate::error::Error;
use crate::ops::import::{self, ImportReport};
use crate::ops::{self, Session, StateRecorder};
use crate::output::{Event, OutputFormat};
use std::fmt::Write as _;

pub async fn run(context: &Context, args: &ImportArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    {
        // Bad mappings fail before the lock and AWS: the logical ids do not depend on releases.
        let env = ops::load_environment(&context.settings, &args.env.env)?;
        let graph = crate::stack::desired(&env, &crate::stack::Facts::any(), None)?;
        import::check_mappings(&env.name, &graph, &args.map)?;
    }
    let session = Session::open(
        &context.settings,
        &args.env.env,
        reporter,
        Some(&context.command_line),
    )
    .await?;
    let env = session.env.name.clone();
    reporter.report(Event::Phase {
        message: format!(
            "looking for the {} resources of environment {env}{}",
            session.graph.len(),
            match args.map.len() {
                0 => String::new(),
                n => format!(" ({n} mapped by hand)"),
            }
        ),
    });
    let recorder = StateRecorder::new(&session.store, session.state.clone());
    let report = import::import(&session, &args.map, &recorder).await?;
    let state = recorder.into_state();
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": env,
            "imported": report.imported,
            "already_recorded": report.already_recorded,
            "missing": report.missing,
            "refused": report.refused,
            "failed": report.failed,
            "state_serial": state.serial,
            "api_calls": session.aws.calls.snapshot(),
        }))?,
        OutputFormat::Text => out!("{}", text(&report)),
    }
    if report.is_complete() {
        return Ok(crate::exit::SUCCESS);
    }
    let mut problems: Vec<String> = Vec::new();
    for refused in &report.refused {
        reporter.report(Event::Warning {
            message: format!(
                "environment {env}, resource {} ({}): refused: {}",
                refused.id, refused.kind, refused.reason
            ),
        });
        problems.push(format!("{}: refused", refused.id));
    }
    for failed in &report.failed {
        reporter.report(Event::Warning {
            message: format!(
                "environment {env}, resource {} ({}): {}",
                failed.id, failed.kind, failed.error
            ),
        });
        problems.push(match &failed.code {
            Some(code) => format!("{}: {code}", failed.id),
            None => failed.id.clone(),
        });
    }
    // Shown above (stdout, and a warning each on stderr): like a failed `up`, no second
    // error document.
    Err(Error::ResourcesFailed {
        env,
        failed: problems.len(),
        summary: format!(
            "{}; the {} found were recorded",
            problems.join(", "),
            report.imported.len() + report.already_recorded.len()
        ),
    })
}

/// The text shown on stdout: what was recorded, what was already, what is missing, what was
/// refused, and what to do next.
fn text(report: &ImportReport) -> String {
    let env = &report.env;
    let mut out = String::new();
    let found = |out: &mut String, title: &str, marker: &str, list: &[import::Found]| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(out, "{title} ({}):", list.len());
        for found in list {
            let how = match found.found_by {
                import::FoundBy::Map => "  (mapped)",
                _ => "",
            };
            let _ = writeln!(
                out,
                "  {marker} {}  {}  {}{how}",
                found.id, found.kind, found.physical_id
            );
        }
    };
    found(&mut out, "Imported into state", "+", &report.imported);
    found(
        &mut out,
        "Already recorded, unchanged",
        "=",
        &report.already_recorded,
    );
    if !report.missing.is_empty() {
        let _ = writeln!(
            out,
            "Missing, `up` creates them ({}):",
            report.missing.len()
        );
        for missing in &report.missing {
            let note = missing
                .note
                .as_ref()
                .map(|note| format!("  ({note})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  - {}  {}{note}", missing.id, missing.kind);
        }
    }
    if !report.refused.is_empty() {
        let _ = writeln!(out, "Refused, not recorded ({}):", report.refused.len());
        for refused in &report.refused {
            let _ = writeln!(
                out,
                "  ! {}  {}  {}",
                refused.id, refused.kind, refused.reason
            );
        }
    }
    if !report.failed.is_empty() {
        let _ = writeln!(out, "Could not be read ({}):", report.failed.len());
        for failed in &report.failed {
            let _ = writeln!(out, "  ! {}  {}  {}", failed.id, failed.kind, failed.error);
        }
    }
    let recorded = report.imported.len() + report.already_recorded.len();
    let _ = writeln!(
        out,
        "{env}: {} imported, {} already recorded, {} missing, {} refused, {} unreadable.",
        report.imported.len(),
        report.already_recorded.len(),
        report.missing.len(),
        report.refused.len(),
        report.failed.len()
    );
    if !report.is_complete() {
        let _ = writeln!(
            out,
            "Resolve what was refused or unreadable, then run `macroctl import --env {env}` again (what was found is recorded)."
        );
    } else if !report.missing.is_empty() {
        let _ = writeln!(
            out,
            "Run `macroctl up --env {env}` to create the {} missing.",
            report.missing.len()
        );
    } else if recorded > 0 && report.is_complete() {
        let _ = writeln!(
            out,
            "Every resource of {env} is recorded; `macroctl plan --env {env}` shows any differences from the file."
        );
    }
    out
}
