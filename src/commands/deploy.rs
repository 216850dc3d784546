//! `macroctl deploy` and `macroctl rollback`: change what the services run, wait for ECS to
//! finish, and say truthfully how it ended (exit 4 when ECS rolled the deployment back).

use super::{print_json, Context};
use crate::cli::{DeployArgs, RollbackArgs};
use crate::error::Error;
use crate::exit;
use crate::ops::image_ref;
use crate::ops::one_off::{Ended, OneOff};
use crate::ops::release::{self, ReleaseError, RolloutResult};
use crate::ops::Session;
use crate::output::{Event, OutputFormat};
use crate::state::release::Release;

pub async fn deploy(context: &Context, args: &DeployArgs) -> Result<i32, Error> {
    // Checked before the session opens: a bad reference costs no AWS call.
    let images = image_ref::parse_image_flags(&args.images).map_err(Error::Usage)?;
    if images.is_empty() {
        return Err(Error::Usage(
            "deploy needs at least one --image SERVICE=IMAGE".into(),
        ));
    }
    let reporter = context.reporter.as_ref();
    let mut session = Session::open(
        &context.settings,
        &args.env.env,
        reporter,
        Some(&context.command_line),
    )
    .await?;
    reporter.report(Event::Phase {
        message: format!(
            "deploying to {}: {}",
            session.env.name,
            images
                .iter()
                .map(|(s, i)| format!("{s}={i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    if let Some(before) = &args.before {
        if let Some(code) = run_before(context, &session, before, images.get("api")).await? {
            return Ok(code);
        }
    }
    let outcome = release::deploy(&mut session, &images, !args.no_wait).await;
    finish(context, &session, outcome)
}

/// `deploy --before COMMAND`: `sh -c COMMAND` in a one-off task of the api service, with the
/// api image being deployed when there is one (migrations ship with the code that needs
/// them). Deploying goes on only when it exits 0; otherwise the error says why and nothing
/// is deployed. `Some(code)`: end now with that code (interrupted).
async fn run_before(
    context: &Context,
    session: &Session<'_>,
    before: &str,
    api_image: Option<&String>,
) -> Result<Option<i32>, Error> {
    let env = &session.env.name;
    let request = OneOff {
        service: "api".into(),
        image: api_image.cloned(),
        command: vec!["sh".into(), "-c".into(), before.to_string()],
    };
    let (started, ended, logs) = super::run::start_and_follow(context, session, &request, true)
        .await
        .map_err(|err| super::run::into_error(env, err))?;
    // Under --output json the task's lines are events (stdout holds the release document).
    for line in logs {
        context.reporter.report(Event::Info {
            message: format!("--before: {line}"),
        });
    }
    let refused = |what: String| {
        Error::Refused {
        message: format!(
            "environment {env}: the --before command `{before}` {what} (task {}): nothing was deployed",
            started.task_id
        ),
        hint: "fix the command or what it found, then run the same deploy again".into(),
    }
    };
    match ended {
        Some(Ended::Exited(0)) => {
            context.reporter.report(Event::Info {
                message: "the --before command exited 0: deploying".into(),
            });
            Ok(None)
        }
        Some(Ended::Exited(code)) => Err(refused(format!("exited with code {code}"))),
        Some(Ended::NotStarted { stop_code, reason }) => {
            Err(refused(format!("did not run: {stop_code}: {reason}")))
        }
        Some(Ended::TimedOut { .. }) | None => Err(refused(format!(
            "had not finished after --wait-timeout {}; it keeps running",
            crate::output::format_elapsed(session.settings.wait_timeout)
        ))),
        Some(Ended::Interrupted) => {
            eprintln!("error: environment {env}: interrupted: the --before task was asked to stop; nothing was deployed");
            Ok(Some(exit::INTERRUPTED))
        }
    }
}

pub async fn rollback(context: &Context, args: &RollbackArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let mut session = Session::open(
        &context.settings,
        &args.env.env,
        reporter,
        Some(&context.command_line),
    )
    .await?;
    let outcome = release::rollback(&mut session, args.to, args.force, !args.no_wait).await;
    finish(context, &session, outcome)
}

/// Prints the release and its result; picks the exit code.
fn finish(
    context: &Context,
    session: &Session<'_>,
    outcome: Result<(Release, RolloutResult), ReleaseError>,
) -> Result<i32, Error> {
    let env = session.env.name.clone();
    let (release, result) = outcome.map_err(|err| match err {
        ReleaseError::Aws(source) => Error::Aws {
            env: env.clone(),
            source,
        },
        ReleaseError::State(state) => Error::from(state),
        ReleaseError::Invalid(message) => Error::Refused {
            message,
            hint: String::new(),
        },
    })?;
    let (word, detail, code) = match &result {
        RolloutResult::Healthy => ("healthy", String::new(), exit::SUCCESS),
        RolloutResult::NotWaited => (
            "in-progress",
            "not waited for (--no-wait)".into(),
            exit::SUCCESS,
        ),
        RolloutResult::RolledBack(reason) => ("rolled-back", reason.clone(), exit::ROLLED_BACK),
        RolloutResult::Failed(reason) => ("failed", reason.clone(), exit::ERROR),
        RolloutResult::TimedOut(pending) => (
            "in-progress",
            format!(
                "gave up after --wait-timeout {} still waiting for: {pending}",
                crate::output::format_elapsed(session.settings.wait_timeout)
            ),
            exit::ERROR,
        ),
    };
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": env,
            "release": release.id,
            "command": release.command,
            "rollback_to": release.rollback_to,
            "services": release.services,
            "outcome": word,
            "detail": detail,
            "exit_code": code,
        }))?,
        OutputFormat::Text => {
            let services: Vec<String> = release
                .services
                .iter()
                .map(|(service, entry)| format!("{service}={}", entry.image))
                .collect();
            let target = release
                .rollback_to
                .map(|id| format!(" (back to release {id})"))
                .unwrap_or_default();
            outln!(
                "release {} on {env}{target}: {} → {word}",
                release.id,
                services.join(", ")
            );
            if !detail.is_empty() {
                outln!("  {detail}");
            }
        }
    }
    match &result {
        RolloutResult::RolledBack(_) => eprintln!(
            "error: environment {env}: the deployment failed and ECS rolled it back ({detail}); release {} recorded as rolled-back",
            release.id
        ),
        RolloutResult::Failed(_) | RolloutResult::TimedOut(_) => {
            eprintln!("error: environment {env}: release {}: {detail}", release.id)
        }
        _ => {}
    }
    Ok(code)
}
