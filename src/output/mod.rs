//! Everything macroctl shows while it works goes through a [`Reporter`].
//!
//! Core code (the engine, resources) never prints: it reports [`Event`]s. What the user sees
//! depends on where stderr goes: indicatif lines (one per running resource, with elapsed time)
//! on a terminal, plain timestamped lines in CI logs (no spinner spam), JSON lines with
//! `--output json`. Data (plans, status tables, final JSON documents) goes to stdout, and only
//! commands write it.

mod human;
mod json;
pub mod terminal;

pub use human::HumanReporter;
pub use json::JsonReporter;

use serde::Serialize;
use std::io::IsTerminal;
use std::time::Duration;

/// `--output`: human text or machine JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Something that happened during a run, as the engine sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A stage of the command began ("reading 31 resources", "applying 12 changes").
    Phase { message: String },
    /// A resource's action started.
    NodeStarted {
        id: String,
        kind: String,
        action: String,
    },
    /// A resource is waiting on AWS, and on what.
    NodeWaiting {
        id: String,
        kind: String,
        message: String,
    },
    /// A resource's action finished.
    NodeFinished {
        id: String,
        kind: String,
        action: String,
        physical_id: String,
        elapsed_ms: u128,
    },
    /// A resource's action was stopped while it waited (Ctrl-C, SIGTERM, or a failure
    /// elsewhere); the next `up` resumes it.
    NodeStopped {
        id: String,
        kind: String,
        action: String,
        waiting_for: String,
        elapsed_ms: u128,
    },
    /// A resource's action failed.
    NodeFailed {
        id: String,
        kind: String,
        action: String,
        error: String,
        elapsed_ms: u128,
    },
    /// Something the user should know that is not an error.
    Warning { message: String },
    /// A plain note.
    Info { message: String },
}

/// Receives [`Event`]s. Implementations decide how they look.
pub trait Reporter {
    fn report(&self, event: Event);
    /// Called once at the end, so live displays can clear themselves.
    fn finish(&self) {}
}

/// Picks the reporter for this run: JSON lines for `--output json`, otherwise human output,
/// with live progress lines only when stderr is a terminal and logs are not verbose.
pub fn reporter_for(format: OutputFormat, verbosity: u8) -> Box<dyn Reporter> {
    match format {
        OutputFormat::Json => Box::new(JsonReporter),
        OutputFormat::Text => {
            let live = std::io::stderr().is_terminal()
                && verbosity == 0
                && std::env::var_os("NO_PROGRESS").is_none();
            Box::new(HumanReporter::new(live))
        }
    }
}

/// `1.2s`, `3m04s`: elapsed times short enough for a progress line.
pub fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", elapsed.as_secs_f64())
    }
}

/// The current UTC time, RFC 3339, second precision: the prefix of plain log lines.
pub fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    now.format(&format).unwrap_or_default()
}

/// The current UTC time, RFC 3339 with milliseconds: JSON events, where order and overlap
/// of events matter.
pub fn timestamp_millis() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&format).unwrap_or_default()
}

/// A reporter that drops everything: for library callers and tests.
pub struct SilentReporter;

impl Reporter for SilentReporter {
    fn report(&self, _event: Event) {}
}
