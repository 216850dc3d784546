//! Releases: `deploy` and `rollback`, and waiting for ECS to finish what they started.
//!
//! Only the application layer is touched (task definitions and services); the database and
//! the cache are never part of a release. A deploy registers new task definition revisions for
//! the named services only (a copy of what runs, with the new image), points the services at
//! them, records the release, and waits until ECS reports the rollout COMPLETED with every
//! task running and the old deployment drained. When ECS's circuit breaker or a deployment
//! alarm rolls the deployment back, that is what is reported (exit 4), never "success".

use super::Session;
use crate::aws::{AwsError, IntoAwsError};
use crate::output::Event;
use crate::stack::SERVICES;
use crate::state::release::{Outcome, Release, ReleaseHistory, ServiceRelease};
use crate::state::{now_rfc3339, StateError};
use aws_sdk_ecs::types::Service;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// How waiting for a rollout ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RolloutResult {
    Healthy,
    /// ECS rolled the deployment back; the reason in its words.
    RolledBack(String),
    /// The rollout failed and was not rolled back.
    Failed(String),
    /// `--wait-timeout` expired; what was still pending.
    TimedOut(String),
    /// `--no-wait`: not observed.
    NotWaited,
}

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{0}")]
    Invalid(String),
}

pub fn cluster_name(session: &Session<'_>) -> String {
    format!("{}-{}", session.env.stack, session.env.name)
}

/// What ECS's deployments say about `release` now: `Some` once its rollout has ended — every
/// service's PRIMARY deployment is the release's task definition, COMPLETED and alone
/// (healthy), or a deployment of it FAILED (rolled back when ECS has since made another task
/// definition PRIMARY, failed otherwise).
fn observed(
    release: &Release,
    running: &BTreeMap<String, Service>,
) -> Option<(Outcome, Option<String>)> {
    use aws_sdk_ecs::types::DeploymentRolloutState as Rollout;
    let mut completed = !release.services.is_empty();
    for (service, entry) in &release.services {
        let live = running.get(service)?;
        let expected = Some(entry.task_definition.as_str());
        let primary = live
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"));
        let failed = live.deployments().iter().find(|d| {
            d.task_definition() == expected && d.rollout_state() == Some(&Rollout::Failed)
        });
        if let Some(failed) = failed {
            let reason = format!(
                "{service}: {}",
                failed
                    .rollout_state_reason()
                    .unwrap_or("the deployment failed")
            );
            let moved_on = primary.is_some_and(|p| p.task_definition() != expected);
            let outcome = if moved_on {
                Outcome::RolledBack
            } else {
                Outcome::Failed
            };
            return Some((outcome, Some(reason)));
        }
        completed &= primary.is_some_and(|p| {
            p.task_definition() == expected && p.rollout_state() == Some(&Rollout::Completed)
        }) && active_deployments(live) == 1;
    }
    completed.then_some((Outcome::Healthy, None))
}

/// Bookkeeping for a release left `in-progress` (made by `up`, by `deploy --no-wait`, or by a
/// wait that gave up): when `running` shows its rollout has ended, the outcome is recorded.
///
/// Only commands holding the lock record it (`deploy`, `rollback`, `up`, each of which reads
/// the services anyway); `status` and `releases` hold no lock and never write state, so a
/// release they see finish is recorded by the next of those commands. Only the latest release
/// can be in progress: recording a release marks the unfinished ones before it superseded.
fn settle_latest(
    session: &mut Session<'_>,
    running: &BTreeMap<String, Service>,
) -> Result<(), StateError> {
    if session.lock.is_none() {
        return Ok(());
    }
    let Some(latest) = session.state.releases.last_mut() else {
        return Ok(());
    };
    if latest.outcome != Outcome::InProgress {
        return Ok(());
    }
    let Some((outcome, reason)) = observed(latest, running) else {
        return Ok(());
    };
    latest.outcome = outcome;
    latest.reason = reason.or(latest.reason.take());
    latest.finished_at = Some(now_rfc3339());
    session.reporter.report(Event::Info {
        message: format!(
            "release {} (made by `{}`) finished its rollout since: recorded as {}",
            latest.id,
            latest.command,
            outcome.as_str()
        ),
    });
    session.store.save(&mut session.state)
}

/// The services as ECS runs them now.
pub(super) async fn describe_services(
    session: &Session<'_>,
) -> Result<BTreeMap<String, Service>, AwsError> {
    let output = session
        .aws
        .ecs
        .describe_services()
        .cluster(cluster_name(session))
        .set_services(Some(SERVICES.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
        .op("DescribeServices")?;
    Ok(output
        .services()
        .iter()
        .filter(|service| service.status() == Some("ACTIVE"))
        .filter_map(|service| Some((service.service_name()?.to_string(), service.clone())))
        .collect())
}

/// The image of the container named like the service in a task definition.
async fn image_of(
    session: &Session<'_>,
    service: &str,
    task_definition: &str,
) -> Result<String, AwsError> {
    let output = session
        .aws
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .op("DescribeTaskDefinition")?;
    Ok(output
        .task_definition()
        .and_then(|definition| {
            definition
                .container_definitions()
                .iter()
                .find(|container| container.name() == Some(service))
                .and_then(|container| container.image())
        })
        .unwrap_or_default()
        .to_string())
}

/// Registers a copy of `task_definition` with the service's container image replaced.
async fn register_with_image(
    session: &Session<'_>,
    service: &str,
    task_definition: &str,
    image: &str,
) -> Result<String, AwsError> {
    let ecs = &session.aws.ecs;
    let current = ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .op("DescribeTaskDefinition")?;
    let definition = current.task_definition().ok_or_else(|| {
        AwsError::other(
            "DescribeTaskDefinition",
            format!("{task_definition} not found"),
        )
    })?;
    register_copy(
        session,
        definition,
        definition.family().unwrap_or_default(),
        service,
        image,
        current.tags().to_vec(),
    )
    .await
}

/// Registers a copy of `definition` in `family`, with `image` in the container named
/// `container` and these tags; returns the new revision's ARN. Everything else (roles,
/// network mode, volumes, sizes, platform) is the definition's own.
pub(super) async fn register_copy(
    session: &Session<'_>,
    definition: &aws_sdk_ecs::types::TaskDefinition,
    family: &str,
    container: &str,
    image: &str,
    tags: Vec<aws_sdk_ecs::types::Tag>,
) -> Result<String, AwsError> {
    let containers = definition
        .container_definitions()
        .iter()
        .map(|each| {
            let mut copy = each.clone();
            if each.name() == Some(container) {
                copy.image = Some(image.to_string());
            }
            copy
        })
        .collect();
    let output = session
        .aws
        .ecs
        .register_task_definition()
        .family(family)
        .set_task_role_arn(definition.task_role_arn().map(str::to_string))
        .set_execution_role_arn(definition.execution_role_arn().map(str::to_string))
        .set_network_mode(definition.network_mode().cloned())
        .set_container_definitions(Some(containers))
        // The task volumes the containers mount (a read-only root's /tmp).
        .set_volumes(Some(definition.volumes().to_vec()))
        .set_requires_compatibilities(Some(definition.requires_compatibilities().to_vec()))
        .set_cpu(definition.cpu().map(str::to_string))
        .set_memory(definition.memory().map(str::to_string))
        .set_runtime_platform(definition.runtime_platform().cloned())
        .set_tags(Some(tags).filter(|tags| !tags.is_empty()))
        .send()
        .await
        .op("RegisterTaskDefinition")?;
    Ok(output
        .task_definition()
        .and_then(|definition| definition.task_definition_arn())
        .unwrap_or_default()
        .to_string())
}

async fn point_service_at(
    session: &Session<'_>,
    service: &str,
    task_definition: &str,
) -> Result<(), AwsError> {
    session
        .aws
        .ecs
        .update_service()
        .cluster(cluster_name(session))
        .service(service)
        .task_definition(task_definition)
        .send()
        .await
        .op("UpdateService")?;
    Ok(())
}

/// Appends `release` (marking unfinished earlier ones superseded), points the recorded task
/// definitions at the revisions it runs, and saves the state.
fn record(session: &mut Session<'_>, release: Release) -> Result<(), StateError> {
    for earlier in &mut session.state.releases {
        if earlier.outcome == Outcome::InProgress {
            earlier.outcome = Outcome::Superseded;
        }
    }
    record_task_definitions(&mut session.state, &release);
    session.state.releases.push(release);
    session.store.save(&mut session.state)
}

/// The recorded task definition of each service of `release` becomes the revision the release
/// runs: the next `plan` then reads that revision (and shows nothing to change) instead of the
/// one `up` last registered, which would read like a deploy to undo.
fn record_task_definitions(state: &mut crate::state::State, release: &Release) {
    for (service, entry) in &release.services {
        let id = crate::stack::app::task_definition_id(service);
        let Some(resource) = state.resources.get_mut(&id) else {
            continue;
        };
        if resource.physical_id == entry.task_definition {
            continue;
        }
        let arn = &entry.task_definition;
        resource.physical_id = arn.clone();
        resource.outputs.insert("arn".into(), arn.clone());
        if let Some((family, revision)) = arn
            .rsplit('/')
            .next()
            .and_then(|tail| tail.rsplit_once(':'))
        {
            resource.outputs.insert("family".into(), family.to_string());
            resource
                .outputs
                .insert("revision".into(), revision.to_string());
        }
        resource.created_at = None;
        resource.updated_at = now_rfc3339();
    }
}

/// The digest the current release recorded for `service`, when it still runs
/// `task_definition` (a service a release does not change keeps what it ran).
fn known_digest(session: &Session<'_>, service: &str, task_definition: &str) -> Option<String> {
    session
        .state
        .releases
        .current()
        .and_then(|release| release.services.get(service))
        .filter(|entry| entry.task_definition == task_definition)
        .and_then(|entry| entry.digest.clone())
}

/// Sets the outcome of release `id` and saves the state.
pub fn finish(
    session: &mut Session<'_>,
    id: u64,
    result: &RolloutResult,
) -> Result<(), StateError> {
    let (outcome, reason) = match result {
        RolloutResult::Healthy => (Outcome::Healthy, None),
        RolloutResult::RolledBack(reason) => (Outcome::RolledBack, Some(reason.clone())),
        RolloutResult::Failed(reason) => (Outcome::Failed, Some(reason.clone())),
        RolloutResult::TimedOut(_) | RolloutResult::NotWaited => return Ok(()),
    };
    if let Some(release) = session.state.releases.iter_mut().find(|r| r.id == id) {
        release.outcome = outcome;
        release.reason = reason;
        release.finished_at = Some(now_rfc3339());
    }
    session.store.save(&mut session.state)
}

/// `deploy`: new revisions for the services in `images`, then (unless `wait` is false) waits.
pub async fn deploy(
    session: &mut Session<'_>,
    images: &BTreeMap<String, String>,
    wait: bool,
) -> Result<(Release, RolloutResult), ReleaseError> {
    for service in images.keys() {
        if !SERVICES.contains(&service.as_str()) {
            return Err(ReleaseError::Invalid(format!(
                "unknown service `{service}` in --image; services are {}",
                SERVICES.join(", ")
            )));
        }
    }
    let running = describe_services(session).await?;
    settle_latest(session, &running)?;
    // Before anything changes: a tag that moved since an earlier release is refused.
    let digests = super::tag_reuse::check(session, images).await?;
    let mut services = BTreeMap::new();
    let mut changed = Vec::new();
    for service in SERVICES {
        let Some(live) = running.get(service) else {
            return Err(ReleaseError::Invalid(format!(
                "environment {}: service {service} does not exist; run `macroctl up --env {}` first",
                session.env.name, session.env.name
            )));
        };
        let current = live.task_definition().unwrap_or_default().to_string();
        let entry = match images.get(service) {
            Some(image) => {
                let task_definition =
                    register_with_image(session, service, &current, image).await?;
                changed.push((service.to_string(), task_definition.clone()));
                ServiceRelease {
                    image: image.clone(),
                    task_definition,
                    digest: digests.get(service).cloned(),
                }
            }
            None => ServiceRelease {
                image: image_of(session, service, &current).await?,
                digest: known_digest(session, service, &current),
                task_definition: current,
            },
        };
        services.insert(service.to_string(), entry);
    }
    let release = Release {
        id: session.state.releases.next_id(),
        created_at: now_rfc3339(),
        created_by: crate::state::release::created_by(),
        command: "deploy".into(),
        services,
        outcome: Outcome::InProgress,
        finished_at: None,
        rollback_to: None,
        reason: None,
    };
    record(session, release.clone())?;
    for (service, task_definition) in &changed {
        point_service_at(session, service, task_definition).await?;
    }
    let result = if wait {
        wait_for_rollout(session, &changed).await?
    } else {
        RolloutResult::NotWaited
    };
    finish(session, release.id, &result)?;
    Ok((release, result))
}

/// `rollback`: every service back to `to`, or to the last healthy release before the latest.
/// `--to` a release that did not become healthy is refused unless `force`.
pub async fn rollback(
    session: &mut Session<'_>,
    to: Option<u64>,
    force: bool,
    wait: bool,
) -> Result<(Release, RolloutResult), ReleaseError> {
    // Read first: the outcomes the target is chosen by may have settled since.
    let running = describe_services(session).await?;
    settle_latest(session, &running)?;
    let history = &session.state.releases;
    let target = match to {
        Some(id) => history.iter().find(|release| release.id == id).cloned().ok_or_else(|| {
            ReleaseError::Invalid(format!(
                "environment {}: there is no release {id}; `macroctl releases --env {}` lists them",
                session.env.name, session.env.name
            ))
        })?,
        None => history.rollback_target().cloned().ok_or_else(|| {
            ReleaseError::Invalid(format!(
                "environment {}: nothing to roll back to: no earlier release became healthy ({} release(s) recorded); pass --to RELEASE to choose one",
                session.env.name,
                history.len()
            ))
        })?,
    };
    if to.is_some() && target.outcome != Outcome::Healthy && !force {
        let why = target
            .reason
            .as_deref()
            .map(|reason| format!(" ({reason})"))
            .unwrap_or_default();
        return Err(ReleaseError::Invalid(format!(
            "environment {}: release {} is {}{why}, not healthy: rolling back onto it may not leave the services healthy; choose a healthy release (`macroctl releases --env {}`), or pass --force to return to it anyway",
            session.env.name,
            target.id,
            target.outcome.as_str(),
            session.env.name
        )));
    }
    let mut changed = Vec::new();
    for (service, wanted) in &target.services {
        let current = running
            .get(service)
            .and_then(|live| live.task_definition())
            .unwrap_or_default();
        if current != wanted.task_definition {
            changed.push((service.clone(), wanted.task_definition.clone()));
        }
    }
    let release = Release {
        id: session.state.releases.next_id(),
        created_at: now_rfc3339(),
        created_by: crate::state::release::created_by(),
        command: "rollback".into(),
        services: target.services.clone(),
        outcome: Outcome::InProgress,
        finished_at: None,
        rollback_to: Some(target.id),
        reason: None,
    };
    record(session, release.clone())?;
    for (service, task_definition) in &changed {
        point_service_at(session, service, task_definition).await?;
    }
    // Wait for every service of the target, not only those changed here: after ECS rolled a
    // deployment back by itself, the service is on the right task definition but its own
    // rollback deployment may still be rolling out.
    let all: Vec<(String, String)> = target
        .services
        .iter()
        .map(|(service, entry)| (service.clone(), entry.task_definition.clone()))
        .collect();
    let result = if wait {
        wait_for_rollout(session, &all).await?
    } else {
        RolloutResult::NotWaited
    };
    finish(session, release.id, &result)?;
    Ok((release, result))
}

/// Deployments still running tasks: PRIMARY and ACTIVE (INACTIVE ones are history).
fn active_deployments(live: &Service) -> usize {
    live.deployments()
        .iter()
        .filter(|d| matches!(d.status(), Some("PRIMARY" | "ACTIVE")))
        .count()
}

/// One line per service: what a wait is still waiting for.
fn progress(service: &str, live: &Service, expected: &str) -> String {
    let primary = live
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    format!(
        "{service}: {}/{} running, {} pending, rollout {}, {} deployment(s){}",
        live.running_count(),
        live.desired_count(),
        live.pending_count(),
        primary
            .and_then(|d| d.rollout_state())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "unknown".into()),
        active_deployments(live),
        if live.task_definition() == Some(expected) {
            ""
        } else {
            " (not yet on the new task definition)"
        }
    )
}

/// Waits until each `(service, task definition)` is rolled out, ECS rolled it back, it failed,
/// or `--wait-timeout` expires. Shows progress and new service events as they arrive.
pub async fn wait_for_rollout(
    session: &Session<'_>,
    changed: &[(String, String)],
) -> Result<RolloutResult, AwsError> {
    let started = Instant::now();
    let timeout = session.settings.wait_timeout;
    let mut seen_events: HashSet<String> = HashSet::new();
    let mut first = true;
    let mut last_progress: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let running = describe_services(session).await?;
        let mut pending = Vec::new();
        for (service, expected) in changed {
            let Some(live) = running.get(service) else {
                return Ok(RolloutResult::Failed(format!(
                    "service {service} disappeared"
                )));
            };
            for event in live.events().iter().rev() {
                let id = event.id().unwrap_or_default().to_string();
                if seen_events.insert(id) && !first {
                    session.reporter.report(Event::Info {
                        message: format!("{service}: {}", event.message().unwrap_or_default()),
                    });
                }
            }
            let ours = live
                .deployments()
                .iter()
                .find(|deployment| deployment.task_definition() == Some(expected.as_str()));
            let primary = live
                .deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"));
            let failed = ours
                .and_then(|deployment| deployment.rollout_state())
                .is_some_and(|state| state.as_str() == "FAILED");
            let reason = || {
                ours.and_then(|d| d.rollout_state_reason())
                    .map(str::to_string)
                    .or_else(|| {
                        live.events()
                            .iter()
                            .find(|e| {
                                e.message().is_some_and(|m| {
                                    m.contains("failed") || m.contains("rolling back")
                                })
                            })
                            .and_then(|e| e.message().map(str::to_string))
                    })
                    .unwrap_or_else(|| "the deployment failed".into())
            };
            let rollback_on = live
                .deployment_configuration()
                .and_then(|c| c.deployment_circuit_breaker())
                .is_some_and(|breaker| breaker.rollback())
                || live
                    .deployment_configuration()
                    .and_then(|c| c.alarms())
                    .is_some_and(|alarms| alarms.rollback());
            let moved_away = primary.and_then(|d| d.task_definition()) != Some(expected.as_str())
                && live.task_definition() != Some(expected.as_str());
            if moved_away || (failed && rollback_on) {
                return Ok(RolloutResult::RolledBack(format!(
                    "{service}: {}",
                    reason()
                )));
            }
            if failed {
                return Ok(RolloutResult::Failed(format!("{service}: {}", reason())));
            }
            let done = primary.is_some_and(|d| {
                d.task_definition() == Some(expected.as_str())
                    && d.rollout_state().map(|s| s.as_str()) == Some("COMPLETED")
                    && d.running_count() == d.desired_count()
            }) && active_deployments(live) == 1
                && live.running_count() == live.desired_count();
            if !done {
                pending.push(progress(service, live, expected));
            }
        }
        first = false;
        if pending.is_empty() {
            return Ok(RolloutResult::Healthy);
        }
        for line in &pending {
            let service = line.split(':').next().unwrap_or_default().to_string();
            if last_progress.get(&service) != Some(line) {
                session.reporter.report(Event::NodeWaiting {
                    id: format!("service-{service}"),
                    kind: "ecs:service".into(),
                    message: format!(
                        "{line} ({})",
                        crate::output::format_elapsed(started.elapsed())
                    ),
                });
                last_progress.insert(service, line.clone());
            }
        }
        if started.elapsed() >= timeout {
            return Ok(RolloutResult::TimedOut(pending.join("; ")));
        }
        tokio::time::sleep(Duration::from_secs(2).min(timeout.saturating_sub(started.elapsed())))
            .await;
    }
}

/// When the state has no release history but ECS runs the services (the state file was lost,
/// or the environment was made before releases were recorded), the history is rebuilt from
/// what runs: one release, `command: "adopt"`, naming each service's task definition and
/// image. Without it, `up` would "correct" every service to the environment file's default
/// image — silently deploying whatever `:latest` is — instead of keeping what `deploy` and
/// `rollback` put there.
pub async fn adopt_running(
    aws: &crate::aws::AwsClients,
    cluster: &str,
) -> Result<Option<Release>, AwsError> {
    let output = aws
        .ecs
        .describe_services()
        .cluster(cluster)
        .set_services(Some(SERVICES.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
        .op("DescribeServices");
    let output = match output {
        Ok(output) => output,
        Err(err) if err.is_not_found() => return Ok(None),
        Err(err) => return Err(err),
    };
    let running: Vec<&Service> = output
        .services()
        .iter()
        .filter(|service| service.status() == Some("ACTIVE"))
        .collect();
    if running.is_empty() {
        return Ok(None);
    }
    let mut services = BTreeMap::new();
    let mut settled = true;
    for live in running {
        let name = live.service_name().unwrap_or_default().to_string();
        let task_definition = live.task_definition().unwrap_or_default().to_string();
        let definition = aws
            .ecs
            .describe_task_definition()
            .task_definition(&task_definition)
            .send()
            .await
            .op("DescribeTaskDefinition")?;
        let image = definition
            .task_definition()
            .and_then(|definition| {
                definition
                    .container_definitions()
                    .iter()
                    .find(|container| container.name() == Some(name.as_str()))
                    .and_then(|container| container.image())
            })
            .unwrap_or_default()
            .to_string();
        settled &= live
            .deployments()
            .iter()
            .find(|deployment| deployment.status() == Some("PRIMARY"))
            .is_some_and(|primary| {
                primary.rollout_state()
                    == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed)
            });
        services.insert(
            name,
            ServiceRelease {
                image,
                task_definition,
                digest: None,
            },
        );
    }
    let now = now_rfc3339();
    Ok(Some(Release {
        id: 1,
        created_at: now.clone(),
        created_by: crate::state::release::created_by(),
        command: "adopt".into(),
        services,
        outcome: if settled {
            Outcome::Healthy
        } else {
            Outcome::InProgress
        },
        finished_at: settled.then_some(now),
        rollback_to: None,
        reason: Some("rebuilt from what ECS runs: the state held no release history".into()),
    }))
}

/// After `up`: when the services now run something the release history does not describe (the
/// first `up`, or an `up` that changed a task definition), records it as a release so that
/// history is complete and `rollback` has somewhere to return to. Not waited for.
pub async fn record_up(session: &mut Session<'_>) -> Result<Option<Release>, ReleaseError> {
    let running = describe_services(session).await?;
    if running.is_empty() {
        return Ok(None);
    }
    settle_latest(session, &running)?;
    let mut services = BTreeMap::new();
    for (service, live) in &running {
        let task_definition = live.task_definition().unwrap_or_default().to_string();
        let known = session
            .state
            .releases
            .current()
            .and_then(|release| release.services.get(service))
            .filter(|entry| entry.task_definition == task_definition)
            .map(|entry| entry.image.clone());
        let image = match known {
            Some(image) => image,
            None => image_of(session, service, &task_definition).await?,
        };
        services.insert(
            service.clone(),
            ServiceRelease {
                image,
                digest: known_digest(session, service, &task_definition),
                task_definition,
            },
        );
    }
    if session
        .state
        .releases
        .current()
        .is_some_and(|release| release.services == services)
    {
        return Ok(None);
    }
    let release = Release {
        id: session.state.releases.next_id(),
        created_at: now_rfc3339(),
        created_by: crate::state::release::created_by(),
        command: "up".into(),
        services,
        outcome: Outcome::InProgress,
        finished_at: None,
        rollback_to: None,
        reason: None,
    };
    record(session, release.clone())?;
    Ok(Some(release))
}
