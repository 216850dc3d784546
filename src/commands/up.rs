//! `macroctl up`: plan, confirm, apply. Holds the environment's lock throughout.

use super::{print_json, render, Context};
use crate::cli::UpArgs;
use crate::error::Error;
use crate::exit;
use crate::graph::RunSummary;
use crate::ops::engine::ResourceError;
use crate::ops::{self, engine, Action, Session, StateRecorder};
use crate::output::{Event, OutputFormat};
use std::io::IsTerminal;

pub async fn run(context: &Context, args: &UpArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let mut session = Session::open(
        &context.settings,
        &args.env.env,
        reporter,
        Some(&context.command_line),
    )
    .await?;
    let env = session.env.name.clone();
    reporter.report(Event::Phase {
        message: format!(
            "reading {} resources of environment {env}",
            session.graph.len()
        ),
    });
    let plan = engine::read(&session)
        .await
        .map_err(|summary| failed(&session, &summary))?;
    if context.format == OutputFormat::Text {
        out!(
            "{}",
            render::plan_text(
                &plan,
                &render::PlanView::for_stdout(args.all || context.verbose > 0)
            )
        );
    }
    if let Some(resource) = plan
        .resources
        .iter()
        .find(|resource| resource.action == Action::Replace)
    {
        let fields: Vec<String> = resource
            .changes
            .iter()
            .filter(|change| change.replace)
            .map(|change| format!("{} ({} → {})", change.field, change.old, change.new))
            .collect();
        return Err(Error::Refused {
            message: format!(
                "environment {env}: {} ({}) would have to be replaced to change {}; macroctl never replaces a resource as part of `up`",
                resource.id,
                resource.kind,
                fields.join(", ")
            ),
            hint: "put the old value back in the environment file, or replace the resource deliberately (delete it, then run `up`)".into(),
        });
    }
    if plan.has_changes() && !args.yes {
        confirm(&env, &plan)?;
    }
    if plan.has_changes() {
        reporter.report(Event::Phase {
            message: format!(
                "applying to {env}: {} to create, {} to update",
                plan.count(Action::Create),
                plan.count(Action::Update)
            ),
        });
    }
    let recorder = StateRecorder::new(&session.store, session.state.clone());
    let summary = engine::apply(&session, &plan, &recorder, ops::interrupted(reporter)).await;
    let state = recorder.into_state();
    session.state = state.clone();
    if summary.is_success() && plan.has_changes() {
        match ops::release::record_up(&mut session).await {
            Ok(Some(release)) => reporter.report(Event::Info {
                message: format!(
                    "recorded release {} (services changed by up; not waited for: `macroctl status --env {env}` shows the rollout)",
                    release.id
                ),
            }),
            Ok(None) => {}
            Err(err) => reporter.report(Event::Warning {
                message: format!("could not record the release: {err}"),
            }),
        }
    }
    let outputs = outputs(&session.env, &session.state);
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": env,
            "changed": plan.has_changes(),
            "plan": plan.resources,
            "result": render::summary_json(&summary),
            "outputs": outputs,
            "state_serial": session.state.serial,
            "api_calls": session.aws.calls.snapshot(),
        }))?,
        OutputFormat::Text => {
            if plan.has_changes() || !summary.is_success() {
                out!("{}", render::summary_text(&summary));
            } else {
                outln!("{env} is up to date: nothing to change.");
            }
            out!("{}", outputs_text(&outputs));
        }
    }
    exit_of(env, &summary)
}

/// Where the application is, for people and scripts: the URL, the database and cache
/// endpoints, and the repositories to push images to (from what state recorded).
fn outputs(env: &crate::config::Environment, state: &crate::state::State) -> serde_json::Value {
    let output = |id: &str, name: &str| {
        state
            .resource(id)
            .and_then(|entry| entry.outputs.get(name))
            .cloned()
    };
    let endpoint = |id: &str| {
        output(id, "endpoint").map(|endpoint| {
            serde_json::json!({
                "endpoint": endpoint,
                "port": output(id, "port").and_then(|port| port.parse::<u16>().ok()),
            })
        })
    };
    let scheme = if state.resource(crate::stack::app::LISTENER_HTTPS).is_some() {
        "https"
    } else {
        "http"
    };
    let repositories: serde_json::Map<String, serde_json::Value> = crate::stack::SERVICES
        .iter()
        .filter_map(|service| {
            output(&format!("ecr-{service}"), "repository_uri")
                .map(|uri| (service.to_string(), serde_json::Value::String(uri)))
        })
        .collect();
    serde_json::json!({
        // The domain once its record exists; else, behind CloudFront (where the load balancer
        // admits only CloudFront), the distribution's name (always HTTPS).
        "url": (env.dns.as_ref())
            .filter(|_| state.resource(crate::stack::dns::APP_RECORD).is_some())
            .map(|dns| format!("https://{}", dns.domain))
            .or_else(|| output(crate::stack::cdn::DISTRIBUTION, "domain_name")
            .map(|name| format!("https://{name}")))
            .or_else(|| output("load-balancer", "dns_name").map(|dns| format!("{scheme}://{dns}"))),
        "database": endpoint("database"),
        "cache": endpoint("cache"),
        "repositories": repositories,
    })
}

fn outputs_text(outputs: &serde_json::Value) -> String {
    let mut text = String::new();
    if let Some(url) = outputs["url"].as_str() {
        text.push_str(&format!("\nApplication: {url}\n"));
    }
    for (what, key) in [("Database", "database"), ("Cache", "cache")] {
        if let Some(endpoint) = outputs[key]["endpoint"].as_str() {
            let port = outputs[key]["port"]
                .as_u64()
                .map_or_else(String::new, |port| format!(":{port}"));
            text.push_str(&format!("{what}: {endpoint}{port}\n"));
        }
    }
    if let Some(repositories) = outputs["repositories"].as_object() {
        for (service, uri) in repositories {
            text.push_str(&format!(
                "Push {service} images to: {}\n",
                uri.as_str().unwrap_or_default()
            ));
        }
    }
    text
}

/// The exit of a run that changes things: success; interrupted (Ctrl-C, SIGTERM) with what was
/// pending; or the failures, already shown on stderr.
pub(super) fn exit_of(env: String, summary: &RunSummary<ResourceError>) -> Result<i32, Error> {
    let real_failures = summary
        .failed()
        .iter()
        .any(|(_, error)| !error.is_interrupted());
    if summary.cancelled && !real_failures {
        return Err(Error::Interrupted {
            pending: pending(summary),
            env,
        });
    }
    if !summary.is_success() {
        return Err(already_reported(&env, summary));
    }
    Ok(exit::SUCCESS)
}

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(env: &str, plan: &ops::Plan) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused {
            message: format!(
                "environment {env}: refusing to apply {} change(s) without confirmation, and there is no terminal to ask on",
                plan.resources.iter().filter(|r| r.action != Action::NoOp).count()
            ),
            hint: "pass --yes to apply without asking (as CI jobs do)".into(),
        });
    }
    eprint!("Apply these changes to environment {env}? Type `yes` to continue: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        return Err(Error::Refused {
            message: format!("environment {env}: not applied (answer was not `yes`)"),
            hint: String::new(),
        });
    }
    Ok(())
}

/// What stopped resources were waiting for: `database (waiting for DB instance creating)`.
fn pending(summary: &RunSummary<ResourceError>) -> Vec<String> {
    summary
        .failed()
        .iter()
        .filter_map(|(id, error)| match &error.source {
            engine::NodeFailure::Interrupted(what) => Some(format!("{id} ({what})")),
            _ => None,
        })
        .collect()
}

fn already_reported(env: &str, summary: &RunSummary<ResourceError>) -> Error {
    let failed: Vec<_> = summary
        .failed()
        .into_iter()
        .filter(|(_, error)| !error.is_interrupted())
        .collect();
    let mut text: Vec<String> = failed
        .iter()
        .map(|(id, error)| match error.code() {
            Some(code) => format!("{id}: {code}"),
            None => id.to_string(),
        })
        .collect();
    let pending = pending(summary);
    if !pending.is_empty() {
        text.push(format!("still pending: {}", pending.join(", ")));
    }
    Error::ResourcesFailed {
        env: env.to_string(),
        failed: failed.len(),
        summary: text.join("; "),
    }
}

/// Turns a failed read into an error, after showing each failure on stderr.
pub fn failed(session: &Session<'_>, summary: &RunSummary<ResourceError>) -> Error {
    // AWS could not be reached at all: one error, not one per resource.
    let failures = summary.failed();
    let unreachable: Vec<&crate::aws::AwsError> = (failures.iter())
        .filter_map(|(_, error)| match &error.source {
            crate::ops::engine::NodeFailure::Aws(aws) if aws.is_dispatch => Some(aws),
            _ => None,
        })
        .collect();
    if let (Some(first), true) = (unreachable.first(), unreachable.len() == failures.len()) {
        return Error::Unreachable {
            env: session.env.name.clone(),
            endpoint: session
                .settings
                .aws
                .endpoint_url
                .clone()
                .unwrap_or_else(|| format!("the {} endpoints", session.aws.region)),
            cause: format!(
                "{} ({} resource(s) could not be read)",
                first,
                failures.len()
            ),
        };
    }
    for (_, error) in summary.failed() {
        session.reporter.report(Event::Warning {
            message: error.to_string(),
        });
    }
    already_reported(&session.env.name, summary)
}
