//! `macroctl destroy`: delete everything macroctl manages for an environment, after showing
//! what goes and asking. Holds the environment's lock throughout.
//!
//! The safety rails come first, before anything is deleted: an environment its file marks
//! protected (prod by default) is refused without `--force-protected`; a database or load
//! balancer with deletion protection on is refused, naming the setting, without
//! `--disable-deletion-protection`; without a terminal to ask on, `--yes` is required. The
//! deleting itself is `ops::destroy`'s.

use super::up::{exit_of, failed};
use super::{print_json, render, Context};
use crate::cli::DestroyArgs;
use crate::error::Error;
use crate::ops::destroy::{self, DestroyPlan};
use crate::ops::{self, engine, Session, StateRecorder};
use crate::output::{Event, OutputFormat};
use crate::resources::DeleteOptions;
use std::fmt::Write as _;
use std::io::IsTerminal;

pub async fn run(context: &Context, args: &DestroyArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let session = Session::open(
        &context.settings,
        &args.env.env,
        reporter,
        Some(&context.command_line),
    )
    .await?;
    let env = session.env.name.clone();
    if session.env.protected && !args.force_protected {
        return Err(Error::Refused {
            message: format!(
                "environment {env} is protected ({}: environment.protected{}); refusing to destroy it",
                session.env.file.display(),
                if env == "prod" { ", true for prod unless set" } else { "" }
            ),
            hint: "pass --force-protected if you really mean to delete it".into(),
        });
    }
    reporter.report(Event::Phase {
        message: format!(
            "reading {} resources of environment {env}",
            session.graph.len()
        ),
    });
    let plan = engine::read(&session)
        .await
        .map_err(|summary| failed(&session, &summary))?;
    let doomed = destroy::plan(&session, &plan);
    if !doomed.protected.is_empty() && !args.disable_deletion_protection {
        let named: Vec<String> = (doomed.protected.iter())
            .map(|(id, setting)| format!("{id} ({setting} is on)"))
            .collect();
        return Err(Error::Refused {
            message: format!(
                "environment {env}: deletion protection stops the destroy: {}",
                named.join(", ")
            ),
            hint: "pass --disable-deletion-protection to turn it off and delete them".into(),
        });
    }
    if !args.delete_bucket_contents {
        let full = destroy::buckets_with_contents(&session, &doomed)
            .await
            .map_err(|source| Error::Aws {
                env: env.clone(),
                source,
            })?;
        if !full.is_empty() {
            return Err(Error::Refused {
                message: format!(
                    "environment {env}: S3 buckets that still hold objects stop the destroy: {}; nothing was deleted",
                    full.join(", ")
                ),
                hint: "pass --delete-bucket-contents to delete them with every object version (copy out what you need first)".into(),
            });
        }
    }
    let options = DeleteOptions {
        final_snapshot: (!args.skip_final_snapshot)
            .then(|| final_snapshot_name(&session.env.stack, &env)),
        purge_secrets: args.purge_secrets,
        delete_images: args.delete_images,
        disable_deletion_protection: args.disable_deletion_protection,
        delete_bucket_contents: args.delete_bucket_contents,
    };
    if context.format == OutputFormat::Text {
        out!("{}", plan_text(&doomed, &options, args));
    }
    if !doomed.deletions.is_empty() && !args.yes {
        confirm(&env, doomed.deletions.len())?;
    }
    if let Some(snapshot) = &options.final_snapshot {
        if doomed.deletions.iter().any(|d| d.kind == "rds:db-instance") {
            reporter.report(Event::Info {
                message: format!("the database's final snapshot will be {snapshot}"),
            });
        }
    }
    let recorder = StateRecorder::new(&session.store, session.state.clone());
    let summary = destroy::destroy(
        &session,
        &plan,
        &options,
        &recorder,
        ops::interrupted(reporter),
    )
    .await;
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": env,
            "deletions": doomed.deletions,
            "absent": doomed.absent,
            "undeclared": doomed.undeclared,
            "unmanaged": plan.unmanaged,
            "final_snapshot": options.final_snapshot,
            "result": render::summary_json(&summary),
            "destroyed": summary.is_success(),
            "api_calls": session.aws.calls.snapshot(),
        }))?,
        OutputFormat::Text => {
            out!("{}", render::summary_text(&summary));
            if summary.is_success() {
                outln!("{env} is destroyed; `macroctl up --env {env}` creates it again.");
            }
        }
    }
    exit_of(env, &summary)
}

/// `<stack>-<env>-final-<UTC date-time>`, as RDS snapshot identifiers allow (letters, digits,
/// single hyphens): `macro-ai-dev-final-20261202-031500`.
fn final_snapshot_name(stack: &str, env: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let stamp = now
        .format(&format)
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    format!("{stack}-{env}-final-{stamp}")
}

/// What will go, in order, and what is kept or left.
fn plan_text(doomed: &DestroyPlan, options: &DeleteOptions, args: &DestroyArgs) -> String {
    let mut out = String::new();
    if doomed.deletions.is_empty() {
        let _ = writeln!(out, "Nothing of {} exists: nothing to delete.", doomed.env);
    } else {
        let _ = writeln!(
            out,
            "Deleting {} resources of {} (dependents first):",
            doomed.deletions.len(),
            doomed.env
        );
        for deletion in &doomed.deletions {
            let _ = writeln!(
                out,
                "  - {}  {}  {}",
                deletion.id, deletion.kind, deletion.physical_id
            );
        }
    }
    let has = |kind: &str| doomed.deletions.iter().any(|d| d.kind == kind);
    if has("rds:db-instance") {
        let _ = match &options.final_snapshot {
            Some(name) => writeln!(out, "The database gets a final snapshot: {name}."),
            None => writeln!(
                out,
                "The database gets NO final snapshot (--skip-final-snapshot)."
            ),
        };
    }
    if has("secretsmanager:secret") && !args.purge_secrets {
        let _ = writeln!(
            out,
            "Secrets go into Secrets Manager's 7-day recovery window (--purge-secrets deletes them at once)."
        );
    }
    if has("ecr:repository") && !args.delete_images {
        let _ = writeln!(
            out,
            "ECR repositories that hold images are kept (--delete-images deletes them)."
        );
    }
    if !doomed.undeclared.is_empty() {
        let _ = writeln!(
            out,
            "Recorded in state but no longer in the environment file (left alone): {}",
            doomed.undeclared.join(", ")
        );
    }
    out
}

/// Asks on the terminal for the environment's name; refuses when there is no terminal.
fn confirm(env: &str, count: usize) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused {
            message: format!(
                "environment {env}: refusing to delete {count} resource(s) without confirmation, and there is no terminal to ask on"
            ),
            hint: "pass --yes to delete without asking (as CI jobs do)".into(),
        });
    }
    eprint!("Delete these {count} resources of environment {env}? Type the environment's name ({env}) to continue: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() != env {
        return Err(Error::Refused {
            message: format!("environment {env}: nothing deleted (answer was not `{env}`)"),
            hint: String::new(),
        });
    }
    Ok(())
}
