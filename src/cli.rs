//! The command line: clap types only. Global flags are accepted before or after the
//! subcommand (`macroctl --output json status --env dev` and `macroctl status --env dev
//! --output json` mean the same).

use crate::ops::import::Mapping;
use crate::output::OutputFormat;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "macroctl",
    version,
    about = "Stand up and run the Macro AI stack on AWS",
    long_about = "Stand up and run the Macro AI stack on AWS (VPC, ECS Fargate behind an ALB, RDS PostgreSQL, \
ElastiCache Redis, Secrets Manager, CloudWatch) by calling AWS APIs directly.\n\n\
Exit codes: 0 success · 1 error · 2 plan --detailed-exitcode found changes · 3 lock held by someone else · \
4 deployment rolled back · run and db: the task's own exit code once it ran."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding the environment files (<env>.toml)
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "envs",
        env = "MACROCTL_ENVS_DIR"
    )]
    pub envs_dir: PathBuf,
    /// Directory holding state files and locks
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = ".macroctl",
        env = "MACROCTL_STATE_DIR"
    )]
    pub state_dir: PathBuf,
    /// Keep state and the lock in S3 (s3://BUCKET/PREFIX) instead of --state-dir; wins over
    /// the environment file's `[state] url`
    #[arg(long, global = true, value_name = "URL", env = "MACROCTL_STATE_URL")]
    pub state_url: Option<String>,
    /// Send AWS calls to this endpoint (an emulator, a VPC endpoint)
    #[arg(long, global = true, value_name = "URL", env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// AWS region; defaults to the environment file's `environment.region`
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Output format: human text, or JSON (a final document on stdout, JSON-lines events on stderr)
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// More logs on stderr (-v, -vv, -vvv); RUST_LOG works too
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// How many resources may be changed at once, and AWS requests in flight per service
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// How long to wait for another run's lock on the environment (e.g. 30s, 5m); 0 = fail at once
    #[arg(long, global = true, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    pub lock_timeout: Duration,
    /// How long to wait for resources to become available or a rollout to finish (e.g. 20m);
    /// default 15m for deploy/rollback, 30m otherwise
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub wait_timeout: Option<Duration>,
    /// How long AWS may take to show what was just created or changed (an id that answers
    /// NotFound right after its create, an IAM role ECS refuses for now) before macroctl
    /// believes it (e.g. 30s, 5m)
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        default_value = "2m",
        env = "MACROCTL_CONSISTENCY_TIMEOUT",
        value_parser = parse_duration
    )]
    pub consistency_timeout: Duration,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what `up` would change, resource by resource, field by field
    Plan(PlanArgs),
    /// Create or update everything the environment file describes
    Up(UpArgs),
    /// Delete everything macroctl manages for the environment (asks first)
    Destroy(DestroyArgs),
    /// Record in state what AWS already has for the environment (creates nothing; --map
    /// adopts what was made by hand)
    Import(ImportArgs),
    /// Show what exists, whether it is healthy, and what is deployed
    Status(StatusArgs),
    /// Inspect the state file or release a lock
    #[command(subcommand)]
    State(StateCommand),
    /// Deploy new images: register task definitions, update the services, wait for ECS
    Deploy(DeployArgs),
    /// Return the services to the last healthy release (or --to RELEASE)
    Rollback(RollbackArgs),
    /// List the release history
    Releases(EnvArg),
    /// Set or rotate a secret value (values are read from stdin, never printed)
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Print the IAM policy a CI role needs to run `up`, `deploy` or the read-only commands on
    /// the environment, scoped to the environment's resources
    IamPolicy(IamPolicyArgs),
    /// Run a one-off task with a service's task definition (a migration), stream its logs and
    /// exit with its exit code: `macroctl run --env staging -- npm run migrate`
    Run(RunArgs),
    /// Show what `up` (or, with --image, a deploy) would change in the task definitions and
    /// services, as unified diffs of their JSON documents
    Diff(DiffArgs),
    /// Show a service's logs, merged across its tasks (--follow for new lines)
    Logs(LogsArgs),
    /// Database chores run inside the VPC as one-off tasks
    #[command(subcommand)]
    Db(DbCommand),
    /// Check the environment file and print its resolved settings (defaults filled in), with
    /// no AWS call
    Validate(EnvArg),
    /// Print the shell completion script, e.g. `macroctl completions bash >
    /// ~/.local/share/bash-completion/completions/macroctl`
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `macroctl man > ~/.local/share/man/man1/macroctl.1`
    Man,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The service whose task definition the task uses: its network, secrets and roles
    #[arg(long, default_value = "api", value_name = "SERVICE")]
    pub service: String,
    /// Another image for the service's container (e.g. a database client); its own otherwise
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Print the task's ARN once ECS has accepted it, and exit without waiting
    #[arg(long)]
    pub no_wait: bool,
    /// The command and its arguments, after `--`; without one, the image's own command
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// SERVICE=IMAGE: show what this deploy would change instead of what `up` would
    /// (repeatable)
    #[arg(long = "image", value_name = "SERVICE=IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The service: api or ui
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// Keep printing new lines until Ctrl-C
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Lines from this long ago on (e.g. 30s, 10m, 2h, 1d; default 10m)
    #[arg(long, value_name = "DURATION", value_parser = crate::ops::logs::parse_since)]
    pub since: Option<Duration>,
    /// Only the task whose id starts with this
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// The most recently stopped task: its stop reason and all its lines
    #[arg(long)]
    pub previous: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Install pgvector in the environment's database (`CREATE EXTENSION IF NOT EXISTS
    /// vector;`) from a one-off task of the api service, with a PostgreSQL client image and
    /// the api's database credentials (from its secret, through ECS)
    EnablePgvector(EnablePgvectorArgs),
}

#[derive(Debug, Args)]
pub struct EnablePgvectorArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The image with `psql` (default: the official postgres image of the database's major
    /// version, from the ECR Public Gallery)
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell the script is for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The command the policy is for: up (everything up calls; includes deploy), deploy
    /// (deploy and rollback; includes read) or read (plan, status, releases)
    #[arg(
        long = "for",
        value_name = "up|deploy|read",
        default_value = "up",
        value_parser = crate::ops::iam_policy::Purpose::parse
    )]
    pub purpose: crate::ops::iam_policy::Purpose,
    /// The account the policy is for (12 digits); without it, the configured credentials'
    /// account (STS GetCallerIdentity)
    #[arg(long, value_name = "ID", value_parser = crate::ops::iam_policy::parse_account)]
    pub account: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// SERVICE=IMAGE, e.g. api=123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-api:1.4.2 (repeatable)
    #[arg(long = "image", value_name = "SERVICE=IMAGE", required = true)]
    pub images: Vec<String>,
    /// Register and update, record the release as in-progress, and exit without waiting
    #[arg(long)]
    pub no_wait: bool,
    /// First run COMMAND (`sh -c COMMAND`) in a one-off task of the api service, with the api
    /// image being deployed, and deploy only if it exits 0 (database migrations)
    #[arg(long, value_name = "COMMAND")]
    pub before: Option<String>,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The release to return to (default: the last one that became healthy)
    #[arg(long, value_name = "RELEASE")]
    pub to: Option<u64>,
    /// With --to: return to a release that did not become healthy (failed, rolled back,
    /// superseded or never observed)
    #[arg(long)]
    pub force: bool,
    /// Update the services and exit without waiting
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a value read from stdin under NAME in the API secret (only keys a task reads,
    /// e.g. OPENAI_API_KEY, unless --force)
    Set(SecretSetArgs),
    /// Regenerate a generated value: API_KEY, COOKIE_ENCRYPTION_KEY or DB_PASSWORD
    Rotate(SecretRotateArgs),
    /// List the keys (not the values) of the environment's secrets
    List(EnvArg),
}

#[derive(Debug, Args)]
pub struct SecretSetArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The key, e.g. OPENAI_API_KEY
    pub name: String,
    /// Store a key that no task definition reads (nothing injects it until one does)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SecretRotateArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The generated value to regenerate: API_KEY, COOKIE_ENCRYPTION_KEY or DB_PASSWORD
    pub name: String,
    /// Then start a new deployment of the services that read it, so that running tasks pick
    /// up the new value (without it they keep the old one until they restart)
    #[arg(long)]
    pub restart: bool,
}

#[derive(Debug, Args)]
pub struct EnvArg {
    /// The environment: the name of a file <envs-dir>/<env>.toml
    #[arg(long, short = 'e', value_name = "ENV", env = "MACROCTL_ENV")]
    pub env: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Exit 1 when anything is not healthy (for CI gates)
    #[arg(long)]
    pub check: bool,
    /// Show ids and states whole, however wide the terminal
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// List unchanged resources too (also with -v)
    #[arg(long)]
    pub all: bool,
    /// Exit 0 when there is nothing to change, 2 when there is, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// List unchanged resources in the plan too (also with -v)
    #[arg(long)]
    pub all: bool,
    /// Apply without asking for confirmation (required without a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Apply database modifications now, even where the environment defers them to the
    /// maintenance window (prod)
    #[arg(long)]
    pub apply_immediately: bool,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Delete without asking for confirmation (required without a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Destroy an environment its file marks protected (`environment.protected`; prod by default)
    #[arg(long)]
    pub force_protected: bool,
    /// Turn off RDS and load balancer deletion protection to delete them
    #[arg(long)]
    pub disable_deletion_protection: bool,
    /// Delete the database without a final snapshot
    #[arg(long)]
    pub skip_final_snapshot: bool,
    /// Delete secrets at once instead of after Secrets Manager's 7-day recovery window
    #[arg(long)]
    pub purge_secrets: bool,
    /// Delete ECR repositories that still hold images (kept otherwise)
    #[arg(long)]
    pub delete_images: bool,
    /// Delete S3 buckets that hold objects, with every object version (refused otherwise)
    #[arg(long)]
    pub delete_bucket_contents: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Adopt a resource made by hand: LOGICAL_ID=PHYSICAL_ID, e.g. vpc=vpc-0abc1234 (repeatable;
    /// `macroctl plan --env ENV` lists the logical ids). It is tagged as the environment's.
    #[arg(long = "map", value_name = "LOGICAL_ID=PHYSICAL_ID", value_parser = parse_mapping)]
    pub map: Vec<Mapping>,
}

/// Parses `LOGICAL_ID=PHYSICAL_ID`: both sides non-empty, no blanks around them. The physical
/// id may itself hold `=` (only the first one splits).
pub fn parse_mapping(text: &str) -> Result<Mapping, String> {
    const FORM: &str = "expected LOGICAL_ID=PHYSICAL_ID, e.g. vpc=vpc-0abc1234";
    let Some((id, physical_id)) = text.split_once('=') else {
        return Err(format!("no `=` in `{text}`: {FORM}"));
    };
    let (id, physical_id) = (id.trim(), physical_id.trim());
    if id.is_empty() {
        return Err(format!("the logical id is empty in `{text}`: {FORM}"));
    }
    if physical_id.is_empty() {
        return Err(format!("the physical id is empty in `{text}`: {FORM}"));
    }
    Ok(Mapping {
        id: id.to_string(),
        physical_id: physical_id.to_string(),
    })
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Print the environment's state (ids and outputs; never a secret)
    Show(EnvArg),
    /// List the environments that have state, with serial and lock holder
    List,
    /// Release the environment's lock when its holder is gone
    Unlock(UnlockArgs),
    /// Create (or fix) the S3 bucket --state-url names: versioned, encrypted, private, TLS only
    InitBackend,
    /// Copy the local state (--state-dir) to the S3 backend (--state-url or `[state] url`)
    Push(EnvArg),
    /// Copy the environment's state from the S3 backend to the local --state-dir
    Pull(EnvArg),
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Remove the lock even though a live process holds it (local state)
    #[arg(long)]
    pub force: bool,
    /// Remove exactly the S3 lock with this id (`state show` and the lock error name it)
    #[arg(long, value_name = "ID")]
    pub lock_id: Option<String>,
}

/// Parses `0`, `90`, `90s`, `5m`, `2h` (and combinations like `1m30s`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("invalid duration `{text}`: use e.g. 30s, 5m, 1h")),
        };
        let value: u64 = number
            .parse()
            .map_err(|_| format!("invalid duration `{text}`: use e.g. 30s, 5m, 1h"))?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!(
            "invalid duration `{text}`: a number needs a unit (s, m, h)"
        ));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("1m3").is_err());
    }

    #[test]
    fn mappings() {
        let vpc = Mapping {
            id: "vpc".into(),
            physical_id: "vpc-123".into(),
        };
        assert_eq!(parse_mapping("vpc=vpc-123"), Ok(vpc));
        assert_eq!(
            parse_mapping("role=arn:a=b").map(|m| m.physical_id),
            Ok("arn:a=b".to_string())
        );
        for bad in ["vpc", "=vpc-123", "vpc=", " = ", ""] {
            let err = parse_mapping(bad).unwrap_err();
            assert!(err.contains("LOGICAL_ID=PHYSICAL_ID"), "{bad}: {err}");
        }
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
