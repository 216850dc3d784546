//! `macroctl status`: what exists, whether it is healthy, what is deployed. Reads only; takes
//! no lock. `--check` turns "not healthy" into exit 1 for CI gates.

use super::{print_json, render, Context};
use crate::cli::StatusArgs;
use crate::error::Error;
use crate::exit;
use crate::ops::status::{self, StatusReport};
use crate::ops::Session;
use crate::output::OutputFormat;

pub async fn run(context: &Context, args: &StatusArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    let report = status::report(&session)
        .await
        .map_err(|summary| super::up::failed(&session, &summary))?;
    match context.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => print!("{}", text(&report)),
    }
    Ok(if args.check && !report.healthy {
        exit::ERROR
    } else {
        exit::SUCCESS
    })
}

fn text(report: &StatusReport) -> String {
    let mut out = format!(
        "Environment {} ({}), state serial {}: {}\n",
        report.env,
        report.region,
        report.state_serial,
        if report.healthy {
            "healthy"
        } else {
            "NOT healthy"
        }
    );
    for problem in &report.problems {
        out.push_str(&format!("  ! {problem}\n"));
    }
    if let Some(release) = &report.release {
        out.push_str(&format!(
            "Release {} ({}) by {} at {}: {}\n",
            release.id, release.command, release.created_by, release.created_at, release.outcome
        ));
    }
    if let Some(lb) = &report.load_balancer {
        out.push_str(&format!(
            "Load balancer: http://{} ({})\n",
            lb.dns_name, lb.state
        ));
    }
    for (what, endpoint) in [("Database", &report.database), ("Cache", &report.cache)] {
        if let Some(endpoint) = endpoint {
            out.push_str(&format!(
                "{what}: {}:{} ({})\n",
                endpoint.endpoint, endpoint.port, endpoint.status
            ));
        }
    }
    if !report.services.is_empty() {
        let rows: Vec<Vec<String>> = report
            .services
            .iter()
            .map(|service| {
                vec![
                    service.name.clone(),
                    format!(
                        "{}/{}/{}",
                        service.running, service.pending, service.desired
                    ),
                    service.revision.clone().unwrap_or_default(),
                    service.image.clone().unwrap_or_default(),
                    service.rollout_state.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&render::table(
            &[
                "SERVICE",
                "RUN/PEND/DESIRED",
                "REVISION",
                "IMAGE",
                "ROLLOUT",
            ],
            &rows,
        ));
        for service in &report.services {
            for event in service.last_events.iter().take(3) {
                out.push_str(&format!("  {}: {event}\n", service.name));
            }
        }
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = report
        .resources
        .iter()
        .map(|resource| {
            vec![
                resource.id.clone(),
                resource.kind.to_string(),
                resource.physical_id.clone().unwrap_or_else(|| "-".into()),
                resource.state.clone(),
                match (resource.in_sync, resource.drift) {
                    (true, _) => String::new(),
                    (false, true) => "(drift)".into(),
                    (false, false) => "(differs)".into(),
                },
            ]
        })
        .collect();
    out.push_str(&render::table(
        &["ID", "KIND", "PHYSICAL ID", "STATE", ""],
        &rows,
    ));
    out
}
