//! One-off tasks (`macroctl run`): a Fargate task with a service's task definition — its
//! network, secrets and roles — optionally another image or command, whose logs are streamed
//! and whose app container's exit code becomes macroctl's, so a failed migration stops the
//! pipeline (copilot-cli#2525, ecspresso#534).
//!
//! **Starting** reads the service (DescribeServices): the task runs where the service's tasks
//! run (its subnets, security groups, public IP setting, capacity provider strategy or launch
//! type, platform version). `RunTask` carries a client token made once per run: the SDK
//! retries a request whose answer was lost with the same token, and ECS starts one task for
//! it, not two. Another image (`--image`) needs a task definition: a revision in a family of
//! its own, `<service family>-run`, so the service's family (what `deploy` and `rollback`
//! move between) never gains a revision the service does not run. Its tags record the task
//! definition and image it was made from; a run with the same pair reuses the family's latest
//! revision instead of registering another.
//!
//! **Waiting** polls DescribeTasks and the container's log stream (GetLogEvents from the
//! head, then forward) every two seconds, printing each line as it arrives. A task ECS does
//! not show yet right after RunTask (`MISSING`) is read again for the consistency window. The
//! wait ends when the task is STOPPED (the stream is read twice more: CloudWatch Logs takes a
//! moment to deliver the last lines), at `--wait-timeout` (the task keeps running, and is
//! said so), or at Ctrl-C / SIGTERM, which stops the task (StopTask) before returning.

use super::Session;
use crate::aws::{AwsError, IntoAwsError};
use crate::output::Event;
use aws_sdk_ecs::types::{
    ContainerOverride, LaunchType, Service, Tag, Task, TaskDefinition, TaskOverride,
};
use std::time::{Duration, Instant};

/// How often the task and its logs are read while waiting.
const POLL: Duration = Duration::from_secs(2);
/// What tells a one-off task definition's source and image (tags).
const TAG_SOURCE: &str = "macroctl:run-source";
const TAG_IMAGE: &str = "macroctl:run-image";
/// Which service a one-off task (and its `-run` task definition) is of.
const TAG_RUN_OF: &str = "macroctl:run-of";
/// The family suffix of one-off task definitions with another image.
const RUN_FAMILY_SUFFIX: &str = "-run";
/// `startedBy` on the tasks (ECS shows it; at most 36 characters).
const STARTED_BY: &str = "macroctl-run";

/// What to run.
#[derive(Debug, Clone)]
pub struct OneOff {
    pub service: String,
    /// Another image for the service's container.
    pub image: Option<String>,
    /// The command (the image's own when empty).
    pub command: Vec<String>,
}

/// A task ECS accepted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Started {
    pub task_arn: String,
    pub task_id: String,
    pub task_definition: String,
    pub cluster: String,
    /// The log group and stream of the service's container, when it logs to CloudWatch.
    pub log_group: Option<String>,
    pub log_stream: Option<String>,
}

/// How the wait for a task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// The service's container exited with this code.
    Exited(i32),
    /// The task stopped without the container exiting: it never started (a bad image, no
    /// capacity, a secret it cannot read). ECS's stop code and reason.
    NotStarted { stop_code: String, reason: String },
    /// `--wait-timeout` passed; the task is still running.
    TimedOut { status: String },
    /// Ctrl-C or SIGTERM: the task was asked to stop.
    Interrupted,
}

#[derive(Debug, thiserror::Error)]
pub enum OneOffError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{0}")]
    Invalid(String),
}

fn cluster(session: &Session<'_>) -> String {
    super::release::cluster_name(session)
}

/// Starts the task; returns once ECS has accepted it.
pub async fn start(session: &Session<'_>, request: &OneOff) -> Result<Started, OneOffError> {
    let env = &session.env.name;
    let cluster = cluster(session);
    let service = describe_service(session, &cluster, &request.service)
        .await?
        .ok_or_else(|| {
            OneOffError::Invalid(format!(
                "environment {env}: service {} does not exist; run `macroctl up --env {env}` first",
                request.service
            ))
        })?;
    let current = service.task_definition().unwrap_or_default().to_string();
    let definition = describe_definition(session, &current).await?;
    let task_definition = match &request.image {
        Some(image) => run_definition(session, &request.service, &definition, image).await?,
        None => current,
    };
    let container = definition
        .0
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(request.service.as_str()))
        .ok_or_else(|| {
            OneOffError::Invalid(format!(
                "environment {env}: the task definition of service {} has no container named {}",
                request.service, request.service
            ))
        })?;
    let log_options = container
        .log_configuration()
        .and_then(|log| log.options())
        .cloned()
        .unwrap_or_default();

    let mut overrides = TaskOverride::builder();
    if !request.command.is_empty() {
        overrides = overrides.container_overrides(
            ContainerOverride::builder()
                .name(&request.service)
                .set_command(Some(request.command.clone()))
                .build(),
        );
    }
    let strategy = service.capacity_provider_strategy().to_vec();
    let launch_type = if strategy.is_empty() {
        Some(
            service
                .launch_type()
                .cloned()
                .unwrap_or(LaunchType::Fargate),
        )
    } else {
        None
    };
    let tags = [
        (crate::resources::TAG_STACK, session.env.stack.as_str()),
        (crate::resources::TAG_ENV, env.as_str()),
        (TAG_RUN_OF, request.service.as_str()),
    ]
    .iter()
    .map(|(key, value)| Tag::builder().key(*key).value(*value).build())
    .collect();
    let output = session
        .aws
        .ecs
        .run_task()
        .cluster(&cluster)
        .task_definition(&task_definition)
        .count(1)
        .set_launch_type(launch_type)
        .set_capacity_provider_strategy(Some(strategy).filter(|s| !s.is_empty()))
        .set_platform_version(service.platform_version().map(str::to_string))
        .set_network_configuration(service.network_configuration().cloned())
        .overrides(overrides.build())
        .started_by(STARTED_BY)
        .set_tags(Some(tags))
        .enable_ecs_managed_tags(true)
        .client_token(uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .op("RunTask")?;
    let Some(task) = output.tasks().first() else {
        let reasons: Vec<String> = output
            .failures()
            .iter()
            .map(|f| {
                format!(
                    "{}{}",
                    f.reason().unwrap_or("unknown"),
                    f.detail().map(|d| format!(": {d}")).unwrap_or_default()
                )
            })
            .collect();
        return Err(OneOffError::Invalid(format!(
            "environment {env}: ECS did not start the task for service {}: {}",
            request.service,
            if reasons.is_empty() {
                "no task and no failure in RunTask's answer".to_string()
            } else {
                reasons.join("; ")
            }
        )));
    };
    let task_arn = task.task_arn().unwrap_or_default().to_string();
    let task_id = task_arn.rsplit('/').next().unwrap_or_default().to_string();
    let log_group = log_options.get("awslogs-group").cloned();
    let log_stream = log_options
        .get("awslogs-stream-prefix")
        .filter(|_| log_group.is_some())
        .map(|prefix| format!("{prefix}/{}/{task_id}", request.service));
    Ok(Started {
        task_arn,
        task_id,
        task_definition,
        cluster,
        log_group,
        log_stream,
    })
}

async fn describe_service(
    session: &Session<'_>,
    cluster: &str,
    service: &str,
) -> Result<Option<Service>, AwsError> {
    let output = session
        .aws
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .op("DescribeServices")?;
    Ok(output
        .services()
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
        .cloned())
}

/// A task definition and its tags.
struct Described(TaskDefinition, Vec<Tag>);

async fn describe_definition(session: &Session<'_>, arn: &str) -> Result<Described, AwsError> {
    let output = session
        .aws
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .op("DescribeTaskDefinition")?;
    let definition = output
        .task_definition()
        .cloned()
        .ok_or_else(|| AwsError::other("DescribeTaskDefinition", format!("{arn} not found")))?;
    Ok(Described(definition, output.tags().to_vec()))
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// The `-run` family's revision for `source` with `image` in the service's container: the
/// latest one when it was made from the same pair, else a new one.
async fn run_definition(
    session: &Session<'_>,
    service: &str,
    source: &Described,
    image: &str,
) -> Result<String, AwsError> {
    let Described(definition, tags) = source;
    let source_arn = definition.task_definition_arn().unwrap_or_default();
    let family = format!(
        "{}{RUN_FAMILY_SUFFIX}",
        definition.family().unwrap_or_default()
    );
    match describe_definition(session, &family).await {
        Ok(Described(latest, latest_tags))
            if tag(&latest_tags, TAG_SOURCE) == Some(source_arn)
                && tag(&latest_tags, TAG_IMAGE) == Some(image) =>
        {
            return Ok(latest.task_definition_arn().unwrap_or_default().to_string());
        }
        Ok(_) => {}
        // A family that was never registered: the first run with another image.
        Err(err) if err.code() == Some("ClientException") || err.is_not_found() => {}
        Err(err) => return Err(err),
    }
    let mut run_tags: Vec<Tag> = tags
        .iter()
        .filter(|t| {
            matches!(
                t.key(),
                Some(crate::resources::TAG_STACK | crate::resources::TAG_ENV)
            )
        })
        .cloned()
        .collect();
    for (key, value) in [
        (TAG_SOURCE, source_arn),
        (TAG_IMAGE, image),
        (TAG_RUN_OF, service),
    ] {
        run_tags.push(Tag::builder().key(key).value(value).build());
    }
    super::release::register_copy(session, definition, &family, service, image, run_tags).await
}

/// Reads a log stream forward from where it was left.
struct LogReader {
    group: String,
    stream: String,
    token: Option<String>,
}

impl LogReader {
    /// The lines delivered since the last read (none while the stream does not exist yet).
    async fn read(&mut self, session: &Session<'_>) -> Result<Vec<(i64, String)>, AwsError> {
        let mut lines = Vec::new();
        loop {
            let result = session
                .aws
                .logs
                .get_log_events()
                .log_group_name(&self.group)
                .log_stream_name(&self.stream)
                .start_from_head(true)
                .set_next_token(self.token.clone())
                .send()
                .await
                .op("GetLogEvents");
            let output = match result {
                Ok(output) => output,
                // The awslogs driver makes the stream when the container first writes.
                Err(err) if err.is_not_found() => return Ok(lines),
                Err(err) => return Err(err),
            };
            let events = output.events();
            lines.extend(events.iter().map(|e| {
                (
                    e.timestamp().unwrap_or_default(),
                    e.message().unwrap_or_default().to_string(),
                )
            }));
            let next = output.next_forward_token().map(str::to_string);
            // The same token back: nothing more for now.
            let done = events.is_empty() || next == self.token;
            self.token = next;
            if done {
                return Ok(lines);
            }
        }
    }
}

/// Waits for the task to stop, handing each log line to `line` as it arrives.
pub async fn wait(
    session: &Session<'_>,
    started: &Started,
    service: &str,
    line: &mut dyn FnMut(&str),
) -> Result<Ended, AwsError> {
    let interrupt = super::interrupted(session.reporter);
    tokio::pin!(interrupt);
    let begun = Instant::now();
    let timeout = session.settings.wait_timeout;
    let mut logs = match (&started.log_group, &started.log_stream) {
        (Some(group), Some(stream)) => Some(LogReader {
            group: group.clone(),
            stream: stream.clone(),
            token: None,
        }),
        _ => None,
    };
    let mut last_status = String::new();
    loop {
        let task = describe_task(session, started).await?;
        if let Some(reader) = logs.as_mut() {
            for (_, text) in reader.read(session).await? {
                line(&text);
            }
        }
        match &task {
            Some(task) => {
                let status = task.last_status().unwrap_or("PENDING").to_string();
                if status != last_status {
                    session.reporter.report(Event::Info {
                        message: format!(
                            "task {} ({service}): {status} ({})",
                            started.task_id,
                            crate::output::format_elapsed(begun.elapsed())
                        ),
                    });
                    last_status = status.clone();
                }
                if status == "STOPPED" {
                    if let Some(reader) = logs.as_mut() {
                        // CloudWatch Logs delivers the last lines a moment after the stop.
                        for _ in 0..2 {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            for (_, text) in reader.read(session).await? {
                                line(&text);
                            }
                        }
                    }
                    return Ok(ended(task, service));
                }
            }
            None if begun.elapsed() > session.settings.consistency_timeout => {
                return Err(AwsError::other(
                    "DescribeTasks",
                    format!(
                        "task {} is not known to ECS {} after RunTask returned it",
                        started.task_arn,
                        crate::output::format_elapsed(begun.elapsed())
                    ),
                ));
            }
            None => {}
        }
        if begun.elapsed() >= timeout {
            return Ok(Ended::TimedOut {
                status: last_status,
            });
        }
        let nap = POLL.min(timeout.saturating_sub(begun.elapsed()));
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = &mut interrupt => {
                stop(session, started, "macroctl run was interrupted (Ctrl-C or SIGTERM)").await?;
                return Ok(Ended::Interrupted);
            }
        }
    }
}

async fn describe_task(session: &Session<'_>, started: &Started) -> Result<Option<Task>, AwsError> {
    let output = session
        .aws
        .ecs
        .describe_tasks()
        .cluster(&started.cluster)
        .tasks(&started.task_arn)
        .send()
        .await
        .op("DescribeTasks")?;
    Ok(output.tasks().first().cloned())
}

/// Asks ECS to stop the task (SIGTERM to its containers, SIGKILL 30 s later).
pub async fn stop(session: &Session<'_>, started: &Started, reason: &str) -> Result<(), AwsError> {
    session
        .aws
        .ecs
        .stop_task()
        .cluster(&started.cluster)
        .task(&started.task_arn)
        .reason(reason)
        .send()
        .await
        .op("StopTask")?;
    Ok(())
}

/// How a STOPPED task ended: the service container's exit code, or why it never ran.
fn ended(task: &Task, service: &str) -> Ended {
    let container = task.containers().iter().find(|c| c.name() == Some(service));
    if let Some(code) = container.and_then(|c| c.exit_code()) {
        return Ended::Exited(code);
    }
    let stop_code = task
        .stop_code()
        .map(|code| code.as_str().to_string())
        .unwrap_or_else(|| "unknown".into());
    let reason = container
        .and_then(|c| c.reason())
        .or(task.stopped_reason())
        .unwrap_or("ECS gave no reason")
        .to_string();
    Ended::NotStarted { stop_code, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Container, TaskStopCode};

    fn task(exit: Option<i32>, reason: Option<&str>) -> Task {
        Task::builder()
            .containers(
                Container::builder()
                    .name("api")
                    .set_exit_code(exit)
                    .set_reason(reason.map(str::to_string))
                    .build(),
            )
            .containers(Container::builder().name("xray").exit_code(0).build())
            .stop_code(TaskStopCode::TaskFailedToStart)
            .stopped_reason("Task failed to start")
            .build()
    }

    #[test]
    fn the_service_containers_exit_code_is_the_end() {
        assert_eq!(ended(&task(Some(3), None), "api"), Ended::Exited(3));
        assert_eq!(ended(&task(Some(0), None), "api"), Ended::Exited(0));
    }

    #[test]
    fn a_task_that_never_ran_says_why() {
        assert_eq!(
            ended(
                &task(None, Some("CannotPullContainerError: not found")),
                "api"
            ),
            Ended::NotStarted {
                stop_code: "TaskFailedToStart".into(),
                reason: "CannotPullContainerError: not found".into()
            }
        );
        // Another container's exit code is not the service's.
        assert_eq!(
            ended(&task(None, None), "api"),
            Ended::NotStarted {
                stop_code: "TaskFailedToStart".into(),
                reason: "Task failed to start".into()
            }
        );
    }
}
