//! Human progress output on stderr.
//!
//! On a terminal: one indicatif line per running resource with its elapsed time and what it
//! waits on; finished resources scroll above as permanent lines. Anywhere else (CI logs,
//! files, `-v`): plain lines prefixed with a UTC timestamp, one per event, never a spinner.

use super::{format_elapsed, timestamp, Event, Reporter};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

pub struct HumanReporter {
    live: Option<Live>,
}

struct Live {
    multi: MultiProgress,
    bars: RefCell<HashMap<String, ProgressBar>>,
}

impl Live {
    /// The spinner line of resource `id`, made on first use.
    fn bar(&self, id: &str, kind: &str) -> ProgressBar {
        let mut bars = self.bars.borrow_mut();
        if let Some(bar) = bars.get(id) {
            return bar.clone();
        }
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed:>5}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(format!("{id} ({kind})"));
        bar.enable_steady_tick(Duration::from_millis(120));
        bars.insert(id.to_string(), bar.clone());
        bar
    }
}

impl HumanReporter {
    pub fn new(live: bool) -> Self {
        let live = live.then(|| Live {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: RefCell::new(HashMap::new()),
        });
        Self { live }
    }

    fn line(&self, text: String) {
        match &self.live {
            Some(live) => {
                let _ = live.multi.println(text);
            }
            None => eprintln!("{} {text}", timestamp()),
        }
    }
}

fn describe(event: &Event) -> String {
    match event {
        Event::Phase { message } | Event::Info { message } => message.clone(),
        Event::Warning { message } => format!("warning: {message}"),
        Event::NodeStarted { id, kind, action } => format!("{id} ({kind}): {action} started"),
        Event::NodeWaiting { id, message, .. } => format!("{id}: {message}"),
        Event::NodeFinished {
            id,
            kind,
            action,
            physical_id,
            elapsed_ms,
        } => format!(
            "{id} ({kind}): {action} done [{physical_id}] in {}",
            format_elapsed(Duration::from_millis(*elapsed_ms as u64))
        ),
        Event::NodeStopped {
            id,
            kind,
            action,
            waiting_for,
            elapsed_ms,
        } => format!(
            "{id} ({kind}): {action} stopped after {} while {waiting_for}; `up` resumes it",
            format_elapsed(Duration::from_millis(*elapsed_ms as u64))
        ),
        Event::NodeFailed {
            id,
            kind,
            action,
            error,
            elapsed_ms,
        } => format!(
            "{id} ({kind}): {action} FAILED after {}: {error}",
            format_elapsed(Duration::from_millis(*elapsed_ms as u64))
        ),
    }
}

impl Reporter for HumanReporter {
    fn report(&self, event: Event) {
        let Some(live) = &self.live else {
            self.line(describe(&event));
            return;
        };
        match &event {
            Event::NodeStarted { id, kind, action } => {
                live.bar(id, kind).set_message(format!("{action}…"));
            }
            // A wait of something no run started here (a service's rollout during `deploy`)
            // gets its own line too.
            Event::NodeWaiting { id, kind, message } => {
                live.bar(id, kind).set_message(message.clone());
            }
            Event::NodeFinished { id, .. }
            | Event::NodeFailed { id, .. }
            | Event::NodeStopped { id, .. } => {
                if let Some(bar) = live.bars.borrow_mut().remove(id) {
                    bar.finish_and_clear();
                }
                self.line(describe(&event));
            }
            _ => self.line(describe(&event)),
        }
    }

    fn finish(&self) {
        if let Some(live) = &self.live {
            for (_, bar) in live.bars.borrow_mut().drain() {
                bar.finish_and_clear();
            }
        }
    }
}
