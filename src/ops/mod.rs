//! The operations behind the commands, reachable without the CLI.
//!
//! A [`Session`] is one command's view of one environment: the validated configuration, the
//! desired graph, the state, and the AWS clients. It is opened in the order that keeps bad
//! input cheap: configuration and state are checked before any AWS call is made.

pub mod converge;
pub mod destroy;
pub mod drift;
pub mod engine;
pub mod import;
mod recorder;
pub mod release;
pub mod retry;
pub mod secrets;
pub mod status;

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
use crate::state::{State, StateStore};
use std::path::PathBuf;
use std::time::Duration;

/// The global settings every command shares, resolved from flags and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub envs_dir: PathBuf,
    pub state_dir: PathBuf,
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
        let lock = match lock_command {
            Some(command) => {
                let guard = lock::acquire(
                    &settings.state_dir,
                    &env.name,
                    command,
                    settings.lock_timeout,
                    |holder| {
                        let holder = holder
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "an unknown process".into());
                        reporter.report(crate::output::Event::Info {
                            message: format!(
                                "waiting up to {} for the lock on {} held by {holder}",
                                crate::output::format_elapsed(settings.lock_timeout),
                                env.name
                            ),
                        });
                    },
                )?;
                if let Some(stale) = guard.took_over_stale() {
                    reporter.report(crate::output::Event::Warning {
                        message: format!(
                            "took over a stale lock on {}: its holder ({stale}) is gone",
                            env.name
                        ),
                    });
                }
                Some(guard)
            }
            None => None,
        };
        let store = StateStore::new(&settings.state_dir, &env.name);
        let mut state = store.load_or_new(&env.stack)?;
        let aws_error = |source| Error::Aws {
            env: env.name.clone(),
            source,
        };
        let aws = AwsClients::load(&settings.aws, &env.region, settings.parallelism)
            .await
            .map_err(aws_error)?;
        aws.check_credentials().await.map_err(aws_error)?;
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
        let graph = stack::desired(&env, state.releases.current())?;
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
