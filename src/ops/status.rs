//! The environment's status: every resource's live state plus what people and CI gates ask
//! first: what each service runs and whether its rollout finished, the current release, the
//! database and cache endpoints, the load balancer's address, and alarms in ALARM.
//!
//! The JSON form is a documented, versioned contract (`schema_version`): fields may be added,
//! never renamed or removed without bumping it.

use super::engine::{self, Action, ResourceError};
use super::Session;
use crate::graph::RunSummary;
use crate::resources::Live;
use crate::stack::SERVICES;
use crate::state::release::ReleaseHistory;
use serde::Serialize;

/// Bumped whenever the JSON shape of `status` changes incompatibly.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub schema_version: u32,
    pub env: String,
    pub region: String,
    pub state_serial: u64,
    /// No problem found.
    pub healthy: bool,
    /// Each thing that is not as it should be, in words.
    pub problems: Vec<String>,
    pub release: Option<ReleaseSummary>,
    pub services: Vec<ServiceStatus>,
    pub database: Option<Endpoint>,
    pub cache: Option<Endpoint>,
    pub load_balancer: Option<LoadBalancerStatus>,
    /// Where users reach the app: the domain (and the API's), else the distribution's own
    /// name, else the load balancer's.
    pub urls: Vec<String>,
    pub alarms_in_alarm: Vec<String>,
    pub resources: Vec<ResourceStatus>,
}

#[derive(Debug, Serialize)]
pub struct ReleaseSummary {
    pub id: u64,
    pub command: String,
    pub outcome: String,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub task_definition: String,
    pub revision: Option<u64>,
    pub image: Option<String>,
    pub rollout_state: Option<String>,
    pub deployments: usize,
    /// Newest first.
    pub last_events: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Endpoint {
    pub status: String,
    pub endpoint: String,
    pub port: i32,
}

#[derive(Debug, Serialize)]
pub struct LoadBalancerStatus {
    pub dns_name: String,
    pub state: String,
}

#[derive(Debug, Serialize)]
pub struct ResourceStatus {
    pub id: String,
    pub kind: &'static str,
    pub physical_id: Option<String>,
    pub state: String,
    pub in_sync: bool,
    /// Changed outside macroctl (see `plan`).
    pub drift: bool,
}

/// Reads everything and judges it.
pub async fn report(session: &Session<'_>) -> Result<StatusReport, RunSummary<ResourceError>> {
    let plan = engine::read(session).await?;
    let mut problems = Vec::new();
    let mut database = None;
    let mut cache = None;
    let mut load_balancer = None;
    let mut distribution = None;
    let mut resources = Vec::new();
    for resource in &plan.resources {
        if resource.live.is_none() {
            problems.push(format!(
                "{} ({}) does not exist",
                resource.id, resource.kind
            ));
        }
        match &resource.live {
            Some(Live::DbInstance(db)) => {
                if db.status != "available" {
                    problems.push(format!("database is {}", db.status));
                }
                database = Some(Endpoint {
                    status: db.status.clone(),
                    endpoint: db.endpoint.clone(),
                    port: db.port,
                });
            }
            Some(Live::CacheReplicationGroup(group)) => {
                if group.status != "available" {
                    problems.push(format!("cache is {}", group.status));
                }
                cache = Some(Endpoint {
                    status: group.status.clone(),
                    endpoint: group.endpoint.clone(),
                    port: group.port,
                });
            }
            Some(live @ Live::LoadBalancer(_)) => {
                let outputs = live.outputs();
                let status = live.status();
                load_balancer = Some(LoadBalancerStatus {
                    dns_name: outputs.get("dns_name").cloned().unwrap_or_default(),
                    state: status.split(" (").next().unwrap_or_default().to_string(),
                });
            }
            Some(live) if resource.kind == "cloudfront:distribution" => {
                distribution = live.outputs().get("domain_name").cloned();
            }
            _ => {}
        }
        resources.push(ResourceStatus {
            id: resource.id.clone(),
            kind: resource.kind,
            physical_id: resource.physical_id.clone(),
            state: resource.status.clone().unwrap_or_else(|| "missing".into()),
            in_sync: resource.action == Action::NoOp,
            drift: resource.drift,
        });
    }
    let differing: Vec<&str> = (plan.resources.iter())
        .filter(|r| r.live.is_some() && r.action != Action::NoOp && !r.drift)
        .map(|r| r.id.as_str())
        .collect();
    if !differing.is_empty() {
        problems.push(format!(
            "differs from the environment file: {}; `macroctl plan` shows what, `macroctl up` applies it",
            differing.join(", ")
        ));
    }
    let drifted: Vec<&str> = plan.drifted().map(|r| r.id.as_str()).collect();
    if !drifted.is_empty() {
        problems.push(format!(
            "changed outside macroctl (drift): {}; `macroctl plan` shows what, `macroctl up` puts it back",
            drifted.join(", ")
        ));
    }
    let services = services(session, &mut problems).await;
    let alarms_in_alarm = alarms_in_alarm(session, &mut problems).await;
    let release = session.state.releases.latest().map(|release| {
        if matches!(release.outcome.as_str(), "failed" | "rolled-back") {
            problems.push(format!(
                "the latest release ({}) is {}",
                release.id,
                release.outcome.as_str()
            ));
        }
        ReleaseSummary {
            id: release.id,
            command: release.command.clone(),
            outcome: release.outcome.as_str().to_string(),
            created_at: release.created_at.clone(),
            created_by: release.created_by.clone(),
        }
    });
    let urls = app_urls(session, distribution.as_deref(), load_balancer.as_ref());
    Ok(StatusReport {
        schema_version: STATUS_SCHEMA_VERSION,
        env: session.env.name.clone(),
        region: session.aws.region.clone(),
        state_serial: session.state.serial,
        healthy: problems.is_empty(),
        problems,
        release,
        services,
        database,
        cache,
        load_balancer,
        urls,
        alarms_in_alarm,
        resources,
    })
}

/// Where users reach the app, best first: the environment's own names; else the
/// distribution's `*.cloudfront.net` name; else the load balancer's (HTTPS when it has a
/// certificate).
fn app_urls(
    session: &Session<'_>,
    distribution: Option<&str>,
    load_balancer: Option<&LoadBalancerStatus>,
) -> Vec<String> {
    let env = &session.env;
    if let Some(dns) = &env.dns {
        return dns
            .names()
            .iter()
            .map(|name| format!("https://{name}"))
            .collect();
    }
    if let Some(domain) = distribution {
        return vec![format!("https://{domain}")];
    }
    let scheme = if crate::stack::dns::alb_certificate(env).is_some() {
        "https"
    } else {
        "http"
    };
    load_balancer
        .filter(|lb| !lb.dns_name.is_empty())
        .map(|lb| vec![format!("{scheme}://{}", lb.dns_name)])
        .unwrap_or_default()
}

async fn services(session: &Session<'_>, problems: &mut Vec<String>) -> Vec<ServiceStatus> {
    let cluster = format!("{}-{}", session.env.stack, session.env.name);
    let output = match session
        .aws
        .ecs
        .describe_services()
        .cluster(&cluster)
        .set_services(Some(SERVICES.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
    {
        Ok(output) => output,
        Err(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    for service in output
        .services()
        .iter()
        .filter(|s| s.status() == Some("ACTIVE"))
    {
        let name = service.service_name().unwrap_or_default().to_string();
        let task_definition = service.task_definition().unwrap_or_default().to_string();
        let primary = service
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"));
        let rollout_state = primary
            .and_then(|d| d.rollout_state())
            .map(|state| state.as_str().to_string());
        if service.running_count() < service.desired_count() {
            problems.push(format!(
                "service {name}: {}/{} tasks running",
                service.running_count(),
                service.desired_count()
            ));
        }
        if rollout_state
            .as_deref()
            .is_some_and(|state| state != "COMPLETED")
        {
            problems.push(format!(
                "service {name}: rollout {}",
                rollout_state.as_deref().unwrap_or_default()
            ));
        }
        let image = session
            .aws
            .ecs
            .describe_task_definition()
            .task_definition(&task_definition)
            .send()
            .await
            .ok()
            .and_then(|output| {
                output.task_definition().and_then(|definition| {
                    definition
                        .container_definitions()
                        .iter()
                        .find(|container| container.name() == Some(name.as_str()))
                        .and_then(|container| container.image().map(str::to_string))
                })
            });
        out.push(ServiceStatus {
            revision: task_definition
                .rsplit(':')
                .next()
                .and_then(|revision| revision.parse().ok()),
            name,
            desired: service.desired_count(),
            running: service.running_count(),
            pending: service.pending_count(),
            task_definition,
            image,
            rollout_state,
            deployments: service.deployments().len(),
            last_events: service
                .events()
                .iter()
                .take(5)
                .filter_map(|event| event.message().map(str::to_string))
                .collect(),
        });
    }
    out
}

async fn alarms_in_alarm(session: &Session<'_>, problems: &mut Vec<String>) -> Vec<String> {
    let prefix = format!("{}-{}-", session.env.stack, session.env.name);
    let Ok(output) = session
        .aws
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(&prefix)
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .send()
        .await
    else {
        return Vec::new();
    };
    // Checked here too: the emulator ignores the StateValue filter.
    let names: Vec<String> = output
        .metric_alarms()
        .iter()
        .filter(|alarm| alarm.state_value() == Some(&aws_sdk_cloudwatch::types::StateValue::Alarm))
        .filter_map(|alarm| alarm.alarm_name().map(str::to_string))
        .collect();
    for name in &names {
        problems.push(format!("alarm {name} is in ALARM"));
    }
    names
}
