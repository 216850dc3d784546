//! `macroctl logs`: a service's CloudWatch Logs, merged across its tasks (copilot-cli#3272).
//!
//! Each service's container writes, through the awslogs driver, to the group
//! `/ecs/<stack>-<env>-<service>`, one stream per task: `<service>/<service>/<task id>` (the
//! X-Ray sidecar's are `xray/xray/<task id>` and are left out). One `FilterLogEvents` over the
//! group, limited to the service container's streams (`logStreamNamePrefix`, and checked
//! again here), gives every task's lines in time order, each with its task id.
//!
//! **Following** asks again every two seconds from the last line's time; AWS may return a
//! line twice at that boundary, so event ids already shown are skipped. Ctrl-C ends it (exit
//! 0: following ends only that way).
//!
//! **`--previous`**: the service's most recently stopped task (ListTasks of its task
//! definition family, `desiredStatus=STOPPED`; ECS keeps stopped tasks about an hour), its
//! stop reason and exit code, and its whole stream — what crashed, and why.

use super::Session;
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_ecs::types::DesiredStatus;
use std::collections::HashSet;
use std::time::Duration;

/// How often `--follow` asks for new lines.
const FOLLOW_POLL: Duration = Duration::from_secs(2);

/// One log line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Line {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub task_id: String,
    pub message: String,
    #[serde(skip)]
    pub event_id: String,
}

/// Which lines.
#[derive(Debug, Clone)]
pub struct Query {
    pub service: String,
    /// Only lines at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Only the task whose id starts with this.
    pub task: Option<String>,
}

/// The service's last stopped task.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stopped {
    pub task_id: String,
    pub stopped_at: Option<String>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// The service container's exit code, when it ran.
    pub exit_code: Option<i32>,
}

pub fn log_group(session: &Session<'_>, service: &str) -> String {
    format!("/ecs/{}-{}-{service}", session.env.stack, session.env.name)
}

fn stream_prefix(query: &Query) -> String {
    format!(
        "{0}/{0}/{1}",
        query.service,
        query.task.as_deref().unwrap_or_default()
    )
}

/// Every line matching `query` from `since_ms` on, in time order.
pub async fn read(session: &Session<'_>, query: &Query) -> Result<Vec<Line>, AwsError> {
    let group = log_group(session, &query.service);
    let prefix = stream_prefix(query);
    let mut lines = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let output = session
            .aws
            .logs
            .filter_log_events()
            .log_group_name(&group)
            .log_stream_name_prefix(&prefix)
            .set_start_time(query.since_ms)
            .set_next_token(token.clone())
            .send()
            .await
            .op("FilterLogEvents")?;
        for event in output.events() {
            let stream = event.log_stream_name().unwrap_or_default();
            let Some(task_id) = stream.strip_prefix(&format!("{0}/{0}/", query.service)) else {
                continue;
            };
            if !stream.starts_with(&prefix) {
                continue;
            }
            lines.push(Line {
                timestamp: event.timestamp().unwrap_or_default(),
                task_id: task_id.to_string(),
                message: event.message().unwrap_or_default().to_string(),
                event_id: event.event_id().unwrap_or_default().to_string(),
            });
        }
        token = output.next_token().map(str::to_string);
        if token.is_none() || output.events().is_empty() {
            break;
        }
    }
    lines.sort_by_key(|line| line.timestamp);
    Ok(lines)
}

/// Prints lines as they arrive until interrupted; `seen` holds what was already shown.
pub async fn follow(
    session: &Session<'_>,
    query: &Query,
    mut seen: HashSet<String>,
    mut since_ms: Option<i64>,
    print: &mut dyn FnMut(&Line) -> bool,
) -> Result<(), AwsError> {
    let interrupt = super::interrupted(session.reporter);
    tokio::pin!(interrupt);
    loop {
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_POLL) => {}
            () = &mut interrupt => return Ok(()),
        }
        let query = Query {
            since_ms,
            ..query.clone()
        };
        for line in read(session, &query).await? {
            since_ms = Some(since_ms.unwrap_or(0).max(line.timestamp));
            if seen.insert(line.event_id.clone()) && !print(&line) {
                return Ok(());
            }
        }
    }
}

/// The service's most recently stopped task, if ECS still shows one.
pub async fn last_stopped(
    session: &Session<'_>,
    service: &str,
) -> Result<Option<Stopped>, AwsError> {
    let cluster = super::release::cluster_name(session);
    let family = format!("{}-{}-{service}", session.env.stack, session.env.name);
    let listed = session
        .aws
        .ecs
        .list_tasks()
        .cluster(&cluster)
        .family(&family)
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .op("ListTasks")?;
    if listed.task_arns().is_empty() {
        return Ok(None);
    }
    let described = session
        .aws
        .ecs
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(listed.task_arns().iter().take(100).cloned().collect()))
        .send()
        .await
        .op("DescribeTasks")?;
    let last = described
        .tasks()
        .iter()
        .filter(|task| task.last_status() == Some("STOPPED"))
        .max_by_key(|task| task.stopped_at().map(|t| t.secs()).unwrap_or_default());
    Ok(last.map(|task| {
        let container = task.containers().iter().find(|c| c.name() == Some(service));
        Stopped {
            task_id: task
                .task_arn()
                .and_then(|arn| arn.rsplit('/').next())
                .unwrap_or_default()
                .to_string(),
            stopped_at: task
                .stopped_at()
                .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            stop_code: task.stop_code().map(|c| c.as_str().to_string()),
            stopped_reason: container
                .and_then(|c| c.reason())
                .or(task.stopped_reason())
                .map(str::to_string),
            exit_code: container.and_then(|c| c.exit_code()),
        }
    }))
}

/// `10m`, `2h`, `30s`, `1d` → a duration (for `--since`).
pub fn parse_since(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; expected e.g. 30s, 10m, 2h or 1d"))?;
    let seconds = match unit {
        "s" => value,
        "m" | "" => value * 60,
        "h" => value * 3600,
        "d" => value * 86_400,
        _ => {
            return Err(format!(
                "{text:?} is not a duration; expected e.g. 30s, 10m, 2h or 1d"
            ))
        }
    };
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_seconds_minutes_hours_and_days() {
        assert_eq!(parse_since("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_since("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_since("10"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_since("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_since("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_since("ten").unwrap_err().contains("10m"));
        assert!(parse_since("5w").is_err());
    }
}
