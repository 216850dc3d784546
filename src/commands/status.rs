//! `macroctl status`: what exists, whether it is healthy, what is deployed. Reads only; takes
//! no lock. `--check` turns "not healthy" into exit 1 for CI gates.

use super::{print_json, render, Context};
use crate::cli::StatusArgs;
use crate::error::Error;
use crate::exit;
use crate::ops::status::{self, StatusReport};
use crate::ops::Session;
use crate::output::{terminal, OutputFormat};

pub async fn run(context: &Context, args: &StatusArgs) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, &args.env.env, reporter, None).await?;
    let report = status::report(&session)
        .await
        .map_err(|summary| super::up::failed(&session, &summary))?;
    match context.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => out!("{}", text(&report, args.wide)),
    }
    Ok(if args.check && !report.healthy {
        exit::ERROR
    } else {
        exit::SUCCESS
    })
}

fn text(report: &StatusReport, wide: bool) -> String {
    let width = terminal::width();
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
    for url in &report.urls {
        out.push_str(&format!("App: {url}\n"));
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
                    service
                        .revision
                        .map(|revision| revision.to_string())
                        .unwrap_or_default(),
                    // SERVICE, RUN/PEND/DESIRED, REVISION and ROLLOUT take about 50 columns.
                    if wide {
                        service.image.clone().unwrap_or_default()
                    } else {
                        terminal::abbreviate(
                            service.image.as_deref().unwrap_or_default(),
                            width.saturating_sub(50).max(24),
                        )
                    },
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
                let line = format!("  {}: {event}", service.name);
                let line = if wide {
                    line
                } else {
                    terminal::abbreviate(&line, width)
                };
                out.push_str(&format!("{line}\n"));
            }
        }
    }
    out.push('\n');
    out.push_str(&resources_table(report, wide, width));
    out
}

/// The resources, whether each is as the file says right after its id; fitted to `width`
/// unless `wide`: kinds without their service prefix, the state and physical id shortened in
/// the middle, and below 110 columns only id, sync and state.
fn resources_table(report: &StatusReport, wide: bool, width: usize) -> String {
    let sync =
        |resource: &crate::ops::status::ResourceStatus| match (resource.in_sync, resource.drift) {
            (true, _) => "ok",
            (false, true) => "DRIFT",
            (false, false) => "DIFFERS",
        };
    let kind = |kind: &'static str| -> &'static str {
        if wide {
            kind
        } else {
            kind.split_once(':').map_or(kind, |(_, short)| short)
        }
    };
    let id_width = report
        .resources
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2);
    let kind_width = (report.resources.iter())
        .map(|r| kind(r.kind).len())
        .max()
        .unwrap_or(4);
    let narrow = !wide && width < 110;
    // What is left after ID, SYNC (and KIND) goes to STATE and PHYSICAL ID, 2:3.
    let fixed = id_width + 2 + 9 + if narrow { 0 } else { kind_width + 2 + 2 };
    let left = width.saturating_sub(fixed);
    let (state_width, physical_width) = match (wide, narrow) {
        (true, _) => (usize::MAX, usize::MAX),
        (false, true) => (left.max(16), 0),
        (false, false) => ((left * 2 / 5).max(12), (left * 3 / 5).max(16)),
    };
    let rows: Vec<Vec<String>> = report
        .resources
        .iter()
        .map(|resource| {
            let mut row = vec![resource.id.clone(), sync(resource).to_string()];
            if !narrow {
                row.push(kind(resource.kind).to_string());
            }
            row.push(terminal::abbreviate(&resource.state, state_width));
            if !narrow {
                row.push(terminal::abbreviate(
                    resource.physical_id.as_deref().unwrap_or("-"),
                    physical_width,
                ));
            }
            row
        })
        .collect();
    let header: &[&str] = if narrow {
        &["ID", "SYNC", "STATE"]
    } else {
        &["ID", "SYNC", "KIND", "STATE", "PHYSICAL ID"]
    };
    render::table(header, &rows)
}
