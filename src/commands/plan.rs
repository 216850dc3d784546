//! `macroctl plan`: what `up` would change, per resource and field, with what was changed
//! outside macroctl marked `drift`, and the security controls the environment does not meet
//! (`crate::security`). Reads only; takes no lock.

use super::{print_json, render, Context};
use crate::cli::PlanArgs;
use crate::error::Error;
use crate::exit;
use crate::ops::{engine, Session};
use crate::output::{Event, OutputFormat};

pub async fn run(context: &Context, args: &PlanArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    let plan = engine::read(&session)
        .await
        .map_err(|summary| super::up::failed(&session, &summary))?;
    let security = crate::ops::security::assess(&session, &plan)
        .await
        .map_err(|source| Error::Aws {
            env: session.env.name.clone(),
            source,
        })?;
    warn_about(&session, &security);
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": plan.env,
            "has_changes": plan.has_changes(),
            "has_drift": plan.drifted().next().is_some(),
            "resources": plan.resources,
            "unmanaged": plan.unmanaged,
            "security": security,
            "api_calls": session.aws.calls.snapshot(),
        }))?,
        OutputFormat::Text => {
            let view = render::PlanView::for_stdout(args.all || context.verbose > 0);
            out!("{}", render::plan_text(&plan, &view));
            out!("{}", render::security_text(&security, &view));
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES_PRESENT
    } else {
        exit::SUCCESS
    })
}

/// Warnings (stderr) for what the environment file should settle: an unmet control with no
/// exception recorded, and an exception for a control that is met.
fn warn_about(session: &Session<'_>, security: &crate::security::Assessment) {
    let file = session.env.file.display();
    let unexcepted: Vec<&str> = security.unexcepted().map(|f| f.control).collect();
    if !unexcepted.is_empty() {
        session.reporter.report(Event::Warning {
            message: format!(
                "environment {}: {} security control(s) not met and not recorded as exceptions: {}; meet each (the plan says how) or say why in [security.exceptions] of {file}",
                session.env.name,
                unexcepted.len(),
                unexcepted.join(", ")
            ),
        });
    }
    if !security.stale_exceptions.is_empty() {
        session.reporter.report(Event::Warning {
            message: format!(
                "environment {}: [security.exceptions] of {file} names control(s) that are met: {}; remove them",
                session.env.name,
                security.stale_exceptions.join(", ")
            ),
        });
    }
}
