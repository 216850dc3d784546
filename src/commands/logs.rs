//! `macroctl logs --env E SERVICE [--follow] [--since 10m] [--task ID] [--previous]`: the
//! service's log lines merged across its tasks (see `ops::logs`), each with its time and task.
//!
//! Lines are data (stdout): `2026-12-04T19:25:08Z 3f2a1b2c4d5e  message` in text mode; with
//! `--output json` one document `{"lines": [{timestamp, task_id, message}]}`, or, when
//! following, one JSON object per line as it arrives. `--previous` says on stderr which task
//! stopped, when and why (and puts it in the JSON document as `stopped`).

use super::{print_json, Context};
use crate::cli::LogsArgs;
use crate::error::Error;
use crate::exit;
use crate::ops::logs::{self, Line, Query};
use crate::ops::Session;
use crate::output::{Event, OutputFormat};
use crate::stack::SERVICES;

/// How much of a task id a text line shows (ids are 32 hex digits; `--task` takes a prefix).
const TASK_ID_SHOWN: usize = 12;

pub async fn run(context: &Context, args: &LogsArgs) -> Result<i32, Error> {
    if !SERVICES.contains(&args.service.as_str()) {
        return Err(Error::Usage(format!(
            "unknown service `{}`; services are {}",
            args.service,
            SERVICES.join(", ")
        )));
    }
    if args.previous && args.task.is_some() {
        return Err(Error::Usage(
            "--previous picks the task itself: leave out --task".into(),
        ));
    }
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    let env = session.env.name.clone();
    let aws_error = |source| Error::Aws {
        env: env.clone(),
        source,
    };
    let mut stopped = None;
    let (task, since_ms) = if args.previous {
        let last = logs::last_stopped(&session, &args.service)
            .await
            .map_err(aws_error)?
            .ok_or_else(|| Error::Refused {
                message: format!(
                    "environment {env}: service {} has no stopped task that ECS still shows",
                    args.service
                ),
                hint: "ECS keeps stopped tasks for about an hour; without --previous, `macroctl logs` shows every task's lines (--since widens the window)".into(),
            })?;
        reporter.report(Event::Warning {
            message: format!(
                "task {} stopped{}: {}{}",
                last.task_id,
                last.stopped_at
                    .as_ref()
                    .map(|at| format!(" at {at}"))
                    .unwrap_or_default(),
                last.stopped_reason.as_deref().unwrap_or("no reason given"),
                last.exit_code
                    .map(|code| format!(" (exit code {code})"))
                    .unwrap_or_default()
            ),
        });
        let task = Some(last.task_id.clone());
        stopped = Some(last);
        (task, None)
    } else {
        let since = args.since.unwrap_or(std::time::Duration::from_secs(600));
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        (args.task.clone(), Some(now_ms - since.as_millis() as i64))
    };
    let query = Query {
        service: args.service.clone(),
        since_ms,
        task,
    };
    let lines = logs::read(&session, &query).await.map_err(aws_error)?;
    let json = context.format == OutputFormat::Json;
    if json && !args.follow {
        print_json(&serde_json::json!({
            "env": env,
            "service": args.service,
            "stopped": stopped,
            "lines": lines,
        }))?;
        return Ok(exit::SUCCESS);
    }
    let mut closed = false;
    let mut print = |line: &Line| -> bool {
        let text = if json {
            super::with_schema_version(serde_json::json!(line)).to_string()
        } else {
            text_line(line)
        };
        closed = closed || super::write_stdout(&format!("{text}\n")).is_err();
        !closed
    };
    let mut last = since_ms;
    let mut seen = std::collections::HashSet::new();
    for line in &lines {
        last = Some(last.unwrap_or(0).max(line.timestamp));
        seen.insert(line.event_id.clone());
        if !print(line) {
            return Ok(exit::SUCCESS);
        }
    }
    if args.follow {
        logs::follow(&session, &query, seen, last, &mut print)
            .await
            .map_err(aws_error)?;
    }
    Ok(exit::SUCCESS)
}

fn text_line(line: &Line) -> String {
    let at =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(line.timestamp) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| line.timestamp.to_string());
    let id: String = line.task_id.chars().take(TASK_ID_SHOWN).collect();
    format!("{at} {id:<width$}  {}", line.message, width = TASK_ID_SHOWN)
}
