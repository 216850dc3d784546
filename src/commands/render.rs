//! Text rendering of plans, run summaries and status tables for stdout.

use crate::graph::RunSummary;
use crate::ops::engine::ResourceError;
use crate::ops::{Action, Plan, PlannedResource};
use crate::output::terminal::{self, Colour};
use std::fmt::Write;

fn marker(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "!",
        Action::NoOp => " ",
    }
}

/// How a plan is shown as text.
#[derive(Debug, Clone, Copy)]
pub struct PlanView {
    /// Unchanged resources too (`--all`, `-v`); else only what changes, and a count.
    pub all: bool,
    /// Columns to fit (see `output::terminal::width`).
    pub width: usize,
    pub colour: bool,
}

impl PlanView {
    /// For stdout: its width and colour; `all` as asked.
    pub fn for_stdout(all: bool) -> Self {
        PlanView {
            all,
            width: terminal::width(),
            colour: terminal::colour(),
        }
    }
}

fn colour_of(action: Action) -> Colour {
    match action {
        Action::Create => Colour::Green,
        Action::Update => Colour::Yellow,
        Action::Replace => Colour::Red,
        Action::NoOp => Colour::Dim,
    }
}

/// The layers in the order they are built.
const LAYERS: [&str; 5] = ["network", "storage", "data", "application", "edge"];

/// The plan: the resources that change (all with `view.all`), grouped by layer, each with its
/// changed fields, what the change does, and notes; then the counts.
pub fn plan_text(plan: &Plan, view: &PlanView) -> String {
    let mut out = String::new();
    let shown: Vec<&PlannedResource> = (plan.resources.iter())
        .filter(|resource| view.all || resource.action != Action::NoOp || resource.note.is_some())
        .collect();
    let id_width = shown.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let kind_width = shown.iter().map(|r| r.kind.len()).max().unwrap_or(0);
    let _ = writeln!(
        out,
        "Plan for environment {} ({} resources):",
        plan.env,
        plan.resources.len()
    );
    for layer in LAYERS {
        let in_layer: Vec<&&PlannedResource> = shown
            .iter()
            .filter(|resource| resource.layer == layer)
            .collect();
        if in_layer.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{layer}:");
        for resource in in_layer {
            resource_text(&mut out, resource, view, id_width, kind_width);
        }
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "\nTagged for {} but no longer in its environment file (left as they are):",
            plan.env
        );
        for tagged in &plan.unmanaged {
            let physical = terminal::abbreviate(&tagged.physical_id, view.width.saturating_sub(40));
            let _ = writeln!(out, "  {}  {}  {physical}", tagged.id, tagged.kind);
        }
    }
    let unchanged = plan.count(Action::NoOp);
    let _ = writeln!(
        out,
        "\n{} to create, {} to update, {} to replace, {unchanged} unchanged{}.",
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Replace),
        if view.all || unchanged == 0 {
            ""
        } else {
            " (--all lists them)"
        }
    );
    let drifted: Vec<&str> = plan.drifted().map(|r| r.id.as_str()).collect();
    if !drifted.is_empty() {
        let _ = writeln!(
            out,
            "Drift: {} resource(s) changed outside macroctl ({}); `macroctl up --env {}` puts them back as the environment file says.",
            drifted.len(),
            drifted.join(", "),
            plan.env
        );
    }
    out
}

/// One resource's line, its changes, consequences and note.
fn resource_text(
    out: &mut String,
    resource: &PlannedResource,
    view: &PlanView,
    id_width: usize,
    kind_width: usize,
) {
    let drift = if resource.drift { "  (drift)" } else { "" };
    // marker, action, id, kind, two spaces between columns
    let used = 2 + 8 + id_width + 2 + kind_width + 2 + drift.len();
    let physical = terminal::abbreviate(
        resource.physical_id.as_deref().unwrap_or(""),
        view.width.saturating_sub(used).max(24),
    );
    let colour = colour_of(resource.action);
    let head = format!(
        "{} {:<7} {:<id_width$}  {:<kind_width$}  {physical}",
        marker(resource.action),
        resource.action.as_str(),
        resource.id,
        resource.kind,
    );
    let _ = writeln!(
        out,
        "{}{}",
        terminal::paint(head.trim_end(), colour, view.colour),
        terminal::paint(drift, Colour::Magenta, view.colour)
    );
    let value_width = view.width.saturating_sub(10).max(30);
    for change in &resource.changes {
        let line = format!(
            "{}: {} → {}",
            change.field,
            terminal::abbreviate(&change.old, value_width / 2),
            terminal::abbreviate(&change.new, value_width / 2)
        );
        let mut suffix = String::new();
        if change.replace {
            suffix.push_str(&terminal::paint(
                " (forces replacement)",
                Colour::Red,
                view.colour,
            ));
        }
        if change.drift {
            suffix.push_str(&terminal::paint(
                " (drift: changed outside macroctl)",
                Colour::Magenta,
                view.colour,
            ));
        }
        let _ = writeln!(out, "      {line}{suffix}");
    }
    for consequence in &resource.consequences {
        let _ = writeln!(out, "      → {consequence}");
    }
    if let Some(note) = &resource.note {
        let _ = writeln!(out, "      note: {note}");
    }
}

/// Succeeded / failed / stopped / skipped, with each failure's error and what each stopped
/// resource was waiting for.
pub fn summary_text(summary: &RunSummary<ResourceError>) -> String {
    let mut out = String::new();
    let (stopped, failed): (Vec<_>, Vec<_>) = summary
        .failed()
        .into_iter()
        .partition(|(_, error)| error.is_interrupted());
    let skipped = summary.skipped();
    let _ = writeln!(
        out,
        "{} succeeded, {} failed, {} stopped while waiting, {} skipped{}",
        summary.succeeded().len(),
        failed.len(),
        stopped.len(),
        skipped.len(),
        if summary.cancelled {
            " (interrupted)"
        } else {
            ""
        }
    );
    for (_, error) in failed {
        let _ = writeln!(out, "  failed: {error}");
    }
    for (id, error) in stopped {
        let _ = writeln!(out, "  pending: {id} ({}): {}", error.kind, error.source);
    }
    if !skipped.is_empty() {
        let names: Vec<&str> = skipped.iter().map(|id| id.as_str()).collect();
        let _ = writeln!(out, "  skipped: {}", names.join(", "));
    }
    out
}

/// JSON for a run summary.
pub fn summary_json(summary: &RunSummary<ResourceError>) -> serde_json::Value {
    serde_json::json!({
        "succeeded": summary.succeeded().iter().map(|id| id.as_str()).collect::<Vec<_>>(),
        "failed": summary.failed().iter().filter(|(_, error)| !error.is_interrupted()).map(|(id, error)| serde_json::json!({
            "id": id.as_str(),
            "kind": error.kind,
            "error": error.source.to_string(),
            "aws_error_code": error.code(),
        })).collect::<Vec<_>>(),
        "pending": summary.failed().iter().filter(|(_, error)| error.is_interrupted()).map(|(id, error)| serde_json::json!({
            "id": id.as_str(),
            "kind": error.kind,
            "waiting_for": error.source.to_string(),
        })).collect::<Vec<_>>(),
        "skipped": summary.skipped().iter().map(|id| id.as_str()).collect::<Vec<_>>(),
        "cancelled": summary.cancelled,
    })
}

/// A plain aligned table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|title| title.len()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(index) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut text = String::new();
        for (index, cell) in cells.iter().enumerate() {
            let width = widths.get(index).copied().unwrap_or(0);
            let _ = write!(text, "{cell:<width$}  ");
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(header.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// The plan's security section: the controls the environment does not meet, each with its
/// recorded exception (or a warning that none is recorded) and the setting that would meet it;
/// with `view.all`, the met ones and how too.
pub fn security_text(assessment: &crate::security::Assessment, view: &PlanView) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nSecurity (AWS Foundational Security Best Practices, docs/security.md): {} met, {} not met, {} not applicable.",
        assessment.count("met"),
        assessment.count("unmet"),
        assessment.count("not_applicable"),
    );
    let width = view.width.max(40);
    for finding in &assessment.findings {
        let unmet = finding.status == "unmet";
        if !unmet && !view.all {
            continue;
        }
        let marker = match finding.status {
            "met" => "ok",
            "unmet" => "--",
            _ => "n/a",
        };
        let head = terminal::abbreviate(
            &format!("{marker:>3} {:<17} {}", finding.control, finding.title),
            width,
        );
        let colour = match (unmet, finding.exception.is_some()) {
            (true, false) => Colour::Red,
            (true, true) => Colour::Yellow,
            _ => Colour::Dim,
        };
        let _ = writeln!(out, "{}", terminal::paint(&head, colour, view.colour));
        if unmet {
            match &finding.exception {
                Some(reason) => {
                    let _ = writeln!(out, "      exception: {reason}");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "      no exception recorded: meet it, or say why in [security.exceptions]"
                    );
                }
            }
            let _ = writeln!(out, "      to meet:   {}", finding.detail);
        } else {
            let _ = writeln!(out, "      {}", finding.detail);
        }
    }
    if !assessment.stale_exceptions.is_empty() {
        let _ = writeln!(
            out,
            "Exceptions for controls that are met (remove them from [security.exceptions]): {}",
            assessment.stale_exceptions.join(", ")
        );
    }
    out
}
