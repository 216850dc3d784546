//! `macroctl plan`: what `up` would change, per resource and field, with what was changed
//! outside macroctl marked `drift`. Reads only; takes no lock.

use super::{print_json, render, Context};
use crate::cli::PlanArgs;
use crate::error::Error;
use crate::exit;
use crate::ops::{engine, Session};
use crate::output::OutputFormat;

pub async fn run(context: &Context, args: &PlanArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    let plan = engine::read(&session)
        .await
        .map_err(|summary| super::up::failed(&session, &summary))?;
    match context.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "env": plan.env,
            "has_changes": plan.has_changes(),
            "has_drift": plan.drifted().next().is_some(),
            "resources": plan.resources,
            "unmanaged": plan.unmanaged,
            "api_calls": session.aws.calls.snapshot(),
        }))?,
        OutputFormat::Text => out!(
            "{}",
            render::plan_text(
                &plan,
                &render::PlanView::for_stdout(args.all || context.verbose > 0)
            )
        ),
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES_PRESENT
    } else {
        exit::SUCCESS
    })
}
