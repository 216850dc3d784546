//! `macroctl run --env E [--service api] [--image IMAGE] [--no-wait] -- COMMAND ARGS…`: a
//! one-off task with a service's task definition (see `ops::one_off`), its logs streamed, and
//! the app container's exit code as macroctl's own, so `macroctl run -- npm run migrate` in a
//! pipeline fails when the migration does.
//!
//! The task's log lines are data (stdout), as `docker run` prints a container's output;
//! progress (the task's status as it changes) goes to stderr. With `--output json` the lines
//! are collected into the final document instead, `{task_arn, exit_code, logs, …}`.
//!
//! Exit codes: the container's code once it ran (0..=255); 1 when the task could not start
//! (a bad image, no capacity, a secret it cannot read: ECS's stop code and reason are shown),
//! when the wait timed out (the task keeps running) and for every other error; 130 after
//! Ctrl-C, which stops the task. No lock is taken: a one-off task changes nothing macroctl
//! records (the `-run` task definition family is not part of the stack).

use super::{print_json, Context};
use crate::cli::RunArgs;
use crate::error::Error;
use crate::exit;
use crate::ops::image_ref;
use crate::ops::one_off::{self, Ended, OneOff, OneOffError, Started};
use crate::ops::Session;
use crate::output::{Event, OutputFormat};
use crate::stack::SERVICES;

pub async fn run(context: &Context, args: &RunArgs) -> Result<i32, Error> {
    if !SERVICES.contains(&args.service.as_str()) {
        return Err(Error::Usage(format!(
            "unknown service `{}` in --service; services are {}",
            args.service,
            SERVICES.join(", ")
        )));
    }
    if let Some(image) = &args.image {
        image_ref::parse(image).map_err(|problem| Error::Usage(format!("--image: {problem}")))?;
    }
    let request = OneOff {
        service: args.service.clone(),
        image: args.image.clone(),
        command: args.command.clone(),
    };
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    run_one_off(context, &session, &request, !args.no_wait)
        .await
        .map_err(|err| into_error(&session.env.name, err))
}

/// The SQL `db enable-pgvector` runs.
const ENABLE_PGVECTOR: &str = "CREATE EXTENSION IF NOT EXISTS vector;";

/// `macroctl db enable-pgvector`: `psql` in a one-off task of the api service, which has the
/// database's address and credentials (`DATABASE_*`, the password injected by ECS from the
/// secret: it is never in the command, the output or state). TLS is required (`sslmode=require`,
/// as `rds.force_ssl` demands); in staging and prod the host is the RDS Proxy's. Safe to repeat.
pub async fn enable_pgvector(
    context: &Context,
    args: &crate::cli::EnablePgvectorArgs,
) -> Result<i32, Error> {
    if let Some(image) = &args.image {
        image_ref::parse(image).map_err(|problem| Error::Usage(format!("--image: {problem}")))?;
    }
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    let image = args.image.clone().unwrap_or_else(|| {
        format!(
            "public.ecr.aws/docker/library/postgres:{}-alpine",
            session.env.database.major_version().unwrap_or(16)
        )
    });
    let script = format!(
        "export PGPASSWORD=\"$DATABASE_PASSWORD\" && psql \"host=$DATABASE_HOST port=$DATABASE_PORT dbname=$DATABASE_NAME user=$DATABASE_USERNAME sslmode=require\" -v ON_ERROR_STOP=1 -c \"{ENABLE_PGVECTOR}\""
    );
    let request = OneOff {
        service: "api".into(),
        image: Some(image),
        command: vec!["sh".into(), "-c".into(), script],
    };
    run_one_off(context, &session, &request, true)
        .await
        .map_err(|err| into_error(&session.env.name, err))
}

/// The command's error for a one-off task's.
pub fn into_error(env: &str, err: OneOffError) -> Error {
    match err {
        OneOffError::Aws(source) => Error::Aws {
            env: env.to_string(),
            source,
        },
        OneOffError::Invalid(message) => Error::Refused {
            message,
            hint: String::new(),
        },
    }
}

/// Starts the task and, unless `--no-wait`, follows it to the end and says how it ended.
async fn run_one_off(
    context: &Context,
    session: &Session<'_>,
    request: &OneOff,
    wait: bool,
) -> Result<i32, OneOffError> {
    let (started, ended, logs) = start_and_follow(context, session, request, wait).await?;
    let Some(ended) = ended else {
        match context.format {
            OutputFormat::Json => print_json(&serde_json::json!({ "task": started }))
                .map_err(|e| OneOffError::Invalid(e.to_string()))?,
            OutputFormat::Text => write_line(&started.task_arn)?,
        }
        return Ok(exit::SUCCESS);
    };
    report(context, session, &started, &ended, logs)
}

/// Starts the task and, when `wait`, follows it to its end: its log lines are printed on
/// stdout as they arrive (text), or collected and returned (JSON). Shared with
/// `deploy --before`.
pub async fn start_and_follow(
    context: &Context,
    session: &Session<'_>,
    request: &OneOff,
    wait: bool,
) -> Result<(Started, Option<Ended>, Vec<String>), OneOffError> {
    let env = &session.env.name;
    let what = if request.command.is_empty() {
        "its image's command".to_string()
    } else {
        format!("`{}`", shell_join(&request.command))
    };
    session.reporter.report(Event::Phase {
        message: format!(
            "running {what} in a one-off task of {} in {env}{}",
            request.service,
            request
                .image
                .as_ref()
                .map(|image| format!(" with image {image}"))
                .unwrap_or_default()
        ),
    });
    let started = one_off::start(session, request).await?;
    session.reporter.report(Event::Info {
        message: format!(
            "task {} started (task definition {})",
            started.task_arn, started.task_definition
        ),
    });
    if !wait {
        return Ok((started, None, Vec::new()));
    }
    let json = context.format == OutputFormat::Json;
    let mut collected = Vec::new();
    let mut closed = false;
    let mut print = |text: &str| {
        if json {
            collected.push(text.to_string());
        } else if !closed && write_line(text).is_err() {
            // The reader went away (`| head`): the task is still followed to its end.
            closed = true;
        }
    };
    let ended = one_off::wait(session, &started, &request.service, &mut print).await?;
    Ok((started, Some(ended), collected))
}

/// `sh -c 'echo a; exit 3'`: the command as a shell would need it typed.
fn shell_join(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_line(text: &str) -> Result<(), OneOffError> {
    super::write_stdout(&format!("{text}\n")).map_err(|e| OneOffError::Invalid(e.to_string()))
}

/// Says how the task ended and picks the exit code.
fn report(
    context: &Context,
    session: &Session<'_>,
    started: &Started,
    ended: &Ended,
    logs: Vec<String>,
) -> Result<i32, OneOffError> {
    let env = &session.env.name;
    let (code, message) = match ended {
        Ended::Exited(code) => (
            (*code).clamp(0, 255),
            format!("task {} exited with code {code}", started.task_id),
        ),
        Ended::NotStarted { stop_code, reason } => (
            exit::ERROR,
            format!(
                "environment {env}: task {} did not run: {stop_code}: {reason}",
                started.task_id
            ),
        ),
        Ended::TimedOut { status } => (
            exit::ERROR,
            format!(
                "environment {env}: task {} still {} after --wait-timeout; it keeps running (stop it with `aws ecs stop-task --cluster {} --task {}`)",
                started.task_id,
                if status.is_empty() { "starting" } else { status },
                started.cluster,
                started.task_arn
            ),
        ),
        Ended::Interrupted => (
            exit::INTERRUPTED,
            format!(
                "environment {env}: interrupted: task {} was asked to stop",
                started.task_id
            ),
        ),
    };
    // A task that ran (or was stopped) is a document; one that did not run is an error,
    // and its error document.
    if context.format == OutputFormat::Json
        && matches!(ended, Ended::Exited(_) | Ended::Interrupted)
    {
        let exit_code = match ended {
            Ended::Exited(code) => Some(*code),
            _ => None,
        };
        print_json(&serde_json::json!({
            "task": started,
            "exit_code": exit_code,
            "interrupted": matches!(ended, Ended::Interrupted),
            "logs": logs,
        }))
        .map_err(|e| OneOffError::Invalid(e.to_string()))?;
    }
    match ended {
        Ended::Exited(0) => session.reporter.report(Event::Info { message }),
        Ended::Exited(_) | Ended::Interrupted => session.reporter.report(Event::Warning { message }),
        Ended::NotStarted { .. } => {
            return Err(OneOffError::Invalid(format!(
                "{message}; check the image exists and the task's roles can pull it and read its secrets"
            )))
        }
        Ended::TimedOut { .. } => return Err(OneOffError::Invalid(message)),
    }
    Ok(code)
}
