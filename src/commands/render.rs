//! Text rendering of plans, run summaries and status tables for stdout.

use crate::graph::RunSummary;
use crate::ops::engine::ResourceError;
use crate::ops::{Action, Plan};
use std::fmt::Write;

fn marker(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "!",
        Action::NoOp => " ",
    }
}

/// The plan, one line per resource, changed fields indented below their resource.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let id_width = plan
        .resources
        .iter()
        .map(|resource| resource.id.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "Plan for environment {}:", plan.env);
    for resource in &plan.resources {
        let line = format!(
            "{} {:<7} {:<id_width$}  {:<28} {}{}",
            marker(resource.action),
            resource.action.as_str(),
            resource.id,
            resource.kind,
            resource.physical_id.as_deref().unwrap_or(""),
            if resource.drift { "  (drift)" } else { "" }
        );
        let _ = writeln!(out, "{}", line.trim_end());
        for change in &resource.changes {
            let _ = writeln!(
                out,
                "      {}: {} → {}{}{}",
                change.field,
                change.old,
                change.new,
                if change.replace {
                    " (forces replacement)"
                } else {
                    ""
                },
                if change.drift {
                    " (drift: changed outside macroctl)"
                } else {
                    ""
                }
            );
        }
        if let Some(note) = &resource.note {
            let _ = writeln!(out, "      note: {note}");
        }
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "\nTagged for {} but no longer in its environment file (left as they are):",
            plan.env
        );
        for tagged in &plan.unmanaged {
            let _ = writeln!(
                out,
                "  {}  {}  {}",
                tagged.id, tagged.kind, tagged.physical_id
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{} to create, {} to update, {} to replace, {} unchanged.",
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Replace),
        plan.count(Action::NoOp)
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
