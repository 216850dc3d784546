//! The operations behind the commands, reachable without the CLI.
//!
//! A [`Session`] is one command's view of one environment: the validated configuration, the
//! desired graph, the state, and the AWS clients. It is opened in the order that keeps bad
//! input cheap: configuration and state are checked before any AWS call is made.

pub mod consequences;
pub mod converge;
pub mod destroy;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod facts;
pub mod iam_policy;
pub mod image_ref;
pub mod import;
pub mod logs;
pub mod one_off;
mod recorder;
pub mod release;
pub mod retry;
pub mod secrets;
pub mod security;
pub mod status;
pub mod tag_reuse;

pub use engine::{Action, Plan, PlannedResource};
pub use recorder::StateRecorder;

use crate::aws::{AwsClients, AwsOptions};
use crate::config::{self, Environment};
use crate::error::Error;
use crate::graph::Graph;
use crate::output::Reporter;
use crate::resources::Inventory;
use crate::stack::{self, Resource};
use crate::state::lock::{self, LockGuard};
use crate::state::release::ReleaseHistory;
use crate::state::url::S3Location;
use crate::state::{State, StateStore};
use std::path::PathBuf;
use std::time::Duration;

/// The global settings every command shares, resolved from flags and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub envs_dir: PathBuf,
    pub state_dir: PathBuf,
    /// `--state-url` / `MACROCTL_STATE_URL`: state and lock in S3 (wins over the environment
    /// file's `[state] url`).
    pub state_url: Option<String>,
    pub aws: AwsOptions,
    pub parallelism: usize,
    pub lock_timeout: Duration,
    pub wait_timeout: Duration,
    /// How long AWS may take to show what was just created or changed (an id answering
    /// NotFound right after its create, a lost response's resource, an IAM role a service
    /// refuses for now) before macroctl takes it at its word.
    pub consistency_timeout: Duration,
    /// `up --apply-immediately`.
    pub apply_immediately: bool,
}

pub struct Session<'r> {
    pub env: Environment,
    pub graph: Graph<Resource>,
    pub store: StateStore,
    pub state: State,
    pub aws: AwsClients,
    pub inventory: Inventory,
    /// The desired specs, for batched listings (`Ctx::desired`).
    desired: Vec<crate::resources::Spec>,
    pub reporter: &'r dyn Reporter,
    pub settings: Settings,
    /// Held for the whole session by commands that change things; released on drop (and by
    /// the OS if the process dies).
    pub lock: Option<LockGuard>,
}

/// Loads and validates the environment file: no AWS call, no state access.
pub fn load_environment(settings: &Settings, env_name: &str) -> Result<Environment, Error> {
    Ok(config::load(
        &settings.envs_dir,
        env_name,
        settings.aws.region.as_deref(),
    )?)
}

impl<'r> Session<'r> {
    /// Opens a session in the order that keeps bad input cheap: the environment file, then
    /// the lock (when `lock_command` is given), then the state file, then AWS.
    pub async fn open(
        settings: &Settings,
        env_name: &str,
        reporter: &'r dyn Reporter,
        lock_command: Option<&str>,
    ) -> Result<Session<'r>, Error> {
        let env = load_environment(settings, env_name)?;
        for warning in env.warning_lines() {
            reporter.report(crate::output::Event::Warning { message: warning });
        }
        preflight(settings, &env.name)?;
        let aws_error = |source| Error::Aws {
            env: env.name.clone(),
            source,
        };
        // State in S3 needs AWS before the lock; a bad URL is found before any call.
        let remote = remote_location(settings, &env)?;
        let mut aws = None;
        if let Some(location) = &remote {
            let clients = open_aws(settings, &env.region).await.map_err(aws_error)?;
            check_state_bucket(&clients, location).await?;
            aws = Some(clients);
        }
        let lock = match lock_command {
            Some(command) => Some(take_lock(
                settings,
                &env.name,
                remote.as_ref().zip(aws.as_ref()),
                command,
                reporter,
            )?),
            None => None,
        };
        let store = match (&remote, &aws) {
            (Some(location), Some(clients)) => StateStore::remote(
                crate::state::remote::RemoteState::new(
                    clients.state_s3(),
                    location.clone(),
                    &env.name,
                ),
                &env.name,
            ),
            _ => StateStore::new(&settings.state_dir, &env.name),
        };
        let mut state = store.load_or_new(&env.stack)?;
        let aws = match aws {
            Some(aws) => aws,
            None => open_aws(settings, &env.region).await.map_err(aws_error)?,
        };
        if state.releases.is_empty() {
            let cluster = format!("{}-{}", env.stack, env.name);
            if let Some(release) = release::adopt_running(&aws, &cluster)
                .await
                .map_err(aws_error)?
            {
                reporter.report(crate::output::Event::Info {
                    message: format!(
                        "{}: the state holds no release history, but ECS runs the services: rebuilt it from what runs (release {}, command `adopt`), so nothing deployed is changed",
                        env.name, release.id
                    ),
                });
                state.releases.push(release);
            }
        }
        let facts = facts::resolve(&aws, &env).await.map_err(aws_error)?;
        let graph = stack::desired(&env, &facts, state.releases.current())?;
        let inventory = Inventory::new(aws.ec2.clone(), aws.tagging.clone(), &env.stack, &env.name);
        let desired = graph
            .nodes()
            .map(|node| node.payload.spec.clone())
            .collect();
        Ok(Session {
            env,
            graph,
            desired,
            store,
            state,
            aws,
            inventory,
            reporter,
            settings: settings.clone(),
            lock,
        })
    }

    pub fn ctx(&self) -> crate::resources::Ctx<'_> {
        crate::resources::Ctx {
            aws: &self.aws,
            env: &self.env.name,
            stack: &self.env.stack,
            inventory: &self.inventory,
            reporter: self.reporter,
            apply_immediately: self.settings.apply_immediately,
            cached: true,
            desired: &self.desired,
            recorded: &self.state.resources,
        }
    }
}

/// Where `env`'s state lives, when not in the local directory: `--state-url` (or
/// `MACROCTL_STATE_URL`), else the environment file's `[state] url`.
pub fn remote_location(
    settings: &Settings,
    env: &Environment,
) -> Result<Option<S3Location>, Error> {
    state_location(settings, env.state_url.as_deref())
}

/// The S3 location of state: `--state-url` (or `MACROCTL_STATE_URL`), else `file_url` (an
/// environment file's `[state] url`); `None` for the local directory.
pub fn state_location(
    settings: &Settings,
    file_url: Option<&str>,
) -> Result<Option<S3Location>, Error> {
    let url = settings.state_url.as_deref().or(file_url);
    url.map(|url| {
        crate::state::url::parse(url).map_err(|err| Error::Refused {
            message: err.to_string(),
            hint: "fix --state-url / MACROCTL_STATE_URL or the environment file's `[state] url`"
                .into(),
        })
    })
    .transpose()
}

/// The AWS clients, credentials checked.
pub async fn open_aws(
    settings: &Settings,
    region: &str,
) -> Result<AwsClients, crate::aws::AwsError> {
    let aws = AwsClients::load(&settings.aws, region, settings.parallelism).await?;
    aws.check_credentials().await?;
    Ok(aws)
}

/// What can be checked before the first AWS call, for `env`: the `--profile` exists, and the
/// endpoint override answers (a few short tries), so a typo is one clear error at once.
pub fn preflight(settings: &Settings, env: &str) -> Result<(), Error> {
    if let Some(profile) = &settings.aws.profile {
        crate::aws::preflight::check_profile(profile).map_err(|message| Error::Refused {
            message: format!("environment {env}: {message}"),
            hint: "pass an existing --profile (or AWS_PROFILE), or create it with `aws configure --profile NAME`".into(),
        })?;
    }
    if let Some(endpoint) = &settings.aws.endpoint_url {
        crate::aws::preflight::probe_endpoint(endpoint).map_err(|cause| Error::Unreachable {
            env: env.to_string(),
            endpoint: endpoint.clone(),
            cause,
        })?;
    }
    Ok(())
}

/// Refuses a state bucket that is missing, unversioned or unencrypted, naming the fix.
pub async fn check_state_bucket(aws: &AwsClients, location: &S3Location) -> Result<(), Error> {
    let problem = crate::state::remote::check_bucket(&aws.state_s3(), location)
        .await
        .map_err(|source| {
            Error::State(Box::new(crate::state::StateError::Remote {
                url: location.url(),
                action: "check the bucket of",
                source: Box::new(source),
            }))
        })?;
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::Refused {
            message: format!("state {}: {problem}", location.url()),
            hint: String::new(),
        }),
    }
}

/// Takes the environment's lock: the local `flock`, or the S3 lease when state is remote.
fn take_lock(
    settings: &Settings,
    env: &str,
    remote: Option<(&S3Location, &AwsClients)>,
    command: &str,
    reporter: &dyn Reporter,
) -> Result<LockGuard, Error> {
    let waiting = |holder: String| {
        reporter.report(crate::output::Event::Info {
            message: format!(
                "waiting up to {} for the lock on {env} held by {holder}",
                crate::output::format_elapsed(settings.lock_timeout),
            ),
        });
    };
    let guard = match remote {
        Some((location, aws)) => {
            let lock = crate::state::remote_lock::acquire(
                &aws.state_s3(),
                location,
                env,
                command,
                settings.lock_timeout,
                |holder| waiting(holder.to_string()),
            )?;
            let url = crate::state::remote_lock::lock_url(location, env);
            if let Some(stale) = &lock.took_over {
                reporter.report(crate::output::Event::Warning {
                    message: format!(
                        "took over the lock on {env} ({url}): its lease had expired, its holder ({stale}) is gone"
                    ),
                });
            }
            return Ok(LockGuard::remote(lock, url));
        }
        None => lock::acquire(
            &settings.state_dir,
            env,
            command,
            settings.lock_timeout,
            |holder| {
                waiting(
                    holder
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "an unknown process".into()),
                )
            },
        )?,
    };
    if let Some(stale) = guard.took_over_stale() {
        reporter.report(crate::output::Event::Warning {
            message: format!("took over a stale lock on {env}: its holder ({stale}) is gone"),
        });
    }
    Ok(guard)
}

impl Drop for Session<'_> {
    /// `-v` shows what the command cost, per service: calls, the SDK's retries, throttled
    /// attempts (and, at `-vv`, every operation that was retried or throttled).
    fn drop(&mut self) {
        for (service, calls) in self.aws.calls.by_service() {
            tracing::info!(
                target: "macroctl::api",
                "{service}: {} call(s), {} retried, {} throttled",
                calls.calls,
                calls.attempts.saturating_sub(calls.calls),
                calls.throttled
            );
        }
        for (operation, calls) in self.aws.calls.snapshot().retried {
            tracing::debug!(
                target: "macroctl::api",
                "{operation}: {} call(s), {} attempt(s), {} throttled",
                calls.calls,
                calls.attempts,
                calls.throttled
            );
        }
    }
}

/// Resolves when the user asks to stop (Ctrl-C, or SIGTERM from a CI runner), after saying so
/// through `reporter` (so a live display does not draw over it). A second request exits at
/// once: state is already saved after every change and the lock is released by the OS, so
/// nothing is lost.
pub async fn interrupted(reporter: &dyn Reporter) {
    let first = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {},
                        _ = terminate.recv() => {},
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    first.await;
    reporter.report(crate::output::Event::Warning {
        message: "interrupt received: stopping every wait now; calls already sent finish and are recorded (press Ctrl-C again to exit at once)".into(),
    });
    tokio::spawn(async {
        let _ = tokio::signal::ctrl_c().await;
        std::process::exit(crate::exit::INTERRUPTED);
    });
}
