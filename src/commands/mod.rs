//! One module per command, each a thin layer: turn arguments into a call to `ops`, print the
//! result (data on stdout, in text or JSON), and pick the exit code.
//!
//! Data goes to stdout through [`out!`] / [`outln!`], which end the command quietly when the
//! reader has gone (`macroctl state show | head -1`): a closed pipe is not an error, and never
//! a panic (`println!` panics on it).

/// Writes to stdout, as `print!` does; a closed pipe ends the command quietly (exit 0).
macro_rules! out {
    ($($arg:tt)*) => { $crate::commands::write_stdout(&format!($($arg)*))? };
}

/// Writes a line to stdout, as `println!` does; see [`out!`].
macro_rules! outln {
    () => { $crate::commands::write_stdout("\n")? };
    ($($arg:tt)*) => { $crate::commands::write_stdout(&format!("{}\n", format!($($arg)*)))? };
}

mod completions;
mod deploy;
mod destroy;
mod diff;
mod iam_policy;
mod import;
mod logs;
mod plan;
mod releases;
mod render;
mod run;
mod secret;
mod state;
mod status;
mod up;
mod validate;

use crate::aws::AwsOptions;
use crate::cli::{Cli, Command, GlobalArgs, StateCommand};
use crate::error::Error;
use crate::exit;
use crate::ops::Settings;
use crate::output::{reporter_for, OutputFormat, Reporter};

/// Logs go to stderr through `tracing`; `-v` raises macroctl's level, `RUST_LOG` overrides.
/// AWS SDK internals stay quiet unless asked for with RUST_LOG, even at -vvv.
pub fn init_logging(verbosity: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbosity {
        0 => "error,macroctl=warn",
        1 => "warn,macroctl=info",
        2 => "warn,macroctl=debug",
        _ => "info,macroctl=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_target(true)
        .try_init();
}

/// How long `up` waits for a resource (RDS multi-AZ creation can take 20 minutes).
const DEFAULT_WAIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// How long `deploy` and `rollback` wait for a rollout.
const DEFAULT_ROLLOUT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn settings(global: &GlobalArgs) -> Settings {
    Settings {
        envs_dir: global.envs_dir.clone(),
        state_dir: global.state_dir.clone(),
        state_url: global.state_url.clone().filter(|url| !url.is_empty()),
        aws: AwsOptions {
            region: global.region.clone(),
            profile: global.profile.clone(),
            endpoint_url: global.endpoint_url.clone().filter(|url| !url.is_empty()),
        },
        parallelism: usize::from(global.parallelism),
        lock_timeout: global.lock_timeout,
        wait_timeout: global.wait_timeout.unwrap_or(DEFAULT_WAIT_TIMEOUT),
        consistency_timeout: global.consistency_timeout,
        apply_immediately: false,
    }
}

/// What a command needs besides its own arguments.
pub struct Context {
    pub settings: Settings,
    pub format: OutputFormat,
    pub reporter: Box<dyn Reporter>,
    /// The command line, recorded in the lock so others see who holds it.
    pub command_line: String,
    /// `-v` count: at 1 and above, plans list unchanged resources too.
    pub verbose: u8,
}

/// Runs the command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let mut settings = settings(&cli.global);
    if let Command::Up(args) = &cli.command {
        settings.apply_immediately = args.apply_immediately;
    }
    if matches!(cli.command, Command::Deploy(_) | Command::Rollback(_))
        && cli.global.wait_timeout.is_none()
    {
        settings.wait_timeout = DEFAULT_ROLLOUT_TIMEOUT;
    }
    if let Some(advice) = policy_advice(&cli.command) {
        crate::aws::set_policy_advice(advice);
    }
    let context = Context {
        settings,
        format: cli.global.output,
        reporter: reporter_for(cli.global.output, cli.global.verbose),
        command_line: command_line(),
        verbose: cli.global.verbose,
    };
    let result = match &cli.command {
        Command::Plan(args) => plan::run(&context, args).await,
        Command::Up(args) => up::run(&context, args).await,
        Command::Destroy(args) => destroy::run(&context, args).await,
        Command::Import(args) => import::run(&context, args).await,
        Command::Status(args) => status::run(&context, args).await,
        Command::State(StateCommand::Show(args)) => state::show(&context, args).await,
        Command::State(StateCommand::List) => state::list(&context).await,
        Command::State(StateCommand::Unlock(args)) => state::unlock(&context, args).await,
        Command::State(StateCommand::InitBackend) => state::init_backend(&context).await,
        Command::State(StateCommand::Push(args)) => state::push(&context, args).await,
        Command::State(StateCommand::Pull(args)) => state::pull(&context, args).await,
        Command::Secret(command) => secret::run(&context, command).await,
        Command::Deploy(args) => deploy::deploy(&context, args).await,
        Command::Rollback(args) => deploy::rollback(&context, args).await,
        Command::Releases(args) => releases::run(&context, args).await,
        Command::IamPolicy(args) => iam_policy::run(&context, args).await,
        Command::Run(args) => run::run(&context, args).await,
        Command::Logs(args) => logs::run(&context, args).await,
        Command::Diff(args) => diff::run(&context, args).await,
        Command::Db(crate::cli::DbCommand::EnablePgvector(args)) => {
            run::enable_pgvector(&context, args).await
        }
        Command::Validate(args) => validate::run(&context, args),
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
    };
    context.reporter.finish();
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): what it wanted, it got.
        Err(Error::Output(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => exit::SUCCESS,
        Err(err) => {
            let reported = matches!(
                err,
                Error::ResourcesFailed { .. } | Error::Interrupted { .. }
            );
            if context.format == OutputFormat::Json && !reported {
                let document = serde_json::json!({
                    "schema_version": JSON_SCHEMA_VERSION,
                    "error": {
                        "message": err.to_string(),
                        "hint": err.hint(),
                        "exit_code": err.exit_code(),
                    }
                });
                let _ = write_stdout(&format!("{document}\n"));
            }
            err.print();
            err.exit_code()
        }
    }
}

/// For access-denied messages: the environment, and which `iam-policy --for` covers the
/// command (`None` for commands it does not cover: destroy, import, secret, state).
fn policy_advice(command: &Command) -> Option<crate::aws::PolicyAdvice> {
    use crate::cli::SecretCommand;
    let (env, purpose) = match command {
        Command::Up(args) => (&args.env.env, Some("up")),
        Command::Deploy(args) => (&args.env.env, Some("deploy")),
        Command::Rollback(args) => (&args.env.env, Some("deploy")),
        Command::Plan(args) => (&args.env.env, Some("read")),
        Command::Status(args) => (&args.env.env, Some("read")),
        Command::Releases(args) => (&args.env, Some("read")),
        Command::Destroy(args) => (&args.env.env, None),
        Command::Import(args) => (&args.env.env, None),
        Command::Run(args) => (&args.env.env, None),
        Command::Logs(args) => (&args.env.env, Some("read")),
        Command::Diff(args) => (&args.env.env, Some("read")),
        Command::Db(crate::cli::DbCommand::EnablePgvector(args)) => (&args.env.env, None),
        Command::Secret(
            SecretCommand::Set(crate::cli::SecretSetArgs { env, .. })
            | SecretCommand::Rotate(crate::cli::SecretRotateArgs { env, .. }),
        ) => (&env.env, None),
        Command::Secret(SecretCommand::List(args)) => (&args.env, None),
        Command::State(
            StateCommand::Show(args) | StateCommand::Push(args) | StateCommand::Pull(args),
        ) => (&args.env, None),
        Command::State(StateCommand::Unlock(args)) => (&args.env.env, None),
        Command::State(StateCommand::List | StateCommand::InitBackend)
        | Command::IamPolicy(_)
        | Command::Validate(_)
        | Command::Completions(_)
        | Command::Man => return None,
    };
    Some(crate::aws::PolicyAdvice {
        env: env.clone(),
        purpose,
    })
}

/// `macroctl up --env staging`: argv joined, for the lock's holder description.
fn command_line() -> String {
    let mut args = std::env::args();
    let _ = args.next();
    std::iter::once("macroctl".to_string())
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The version of every command's JSON document (and error document): bumped when a field
/// is renamed or removed; fields may be added without it.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Prints a JSON document on stdout, with its `schema_version` first.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
    let value = serde_json::to_value(value).map_err(std::io::Error::other)?;
    let text =
        serde_json::to_string_pretty(&with_schema_version(value)).map_err(std::io::Error::other)?;
    outln!("{text}");
    Ok(())
}

/// `value` with `schema_version` (an object's own, if it has one, is kept).
pub fn with_schema_version(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(fields) if fields.contains_key("schema_version") => {
            serde_json::Value::Object(fields)
        }
        serde_json::Value::Object(fields) => {
            let mut versioned = serde_json::Map::new();
            versioned.insert("schema_version".into(), JSON_SCHEMA_VERSION.into());
            versioned.extend(fields);
            serde_json::Value::Object(versioned)
        }
        other => other,
    }
}

/// Writes `text` to stdout and flushes it. A closed pipe is [`Error::Output`] of kind
/// `BrokenPipe`, which [`run`] ends with exit 0 and no message.
pub fn write_stdout(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(Error::Output)
}

pub use exit::SUCCESS;
