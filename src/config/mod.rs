//! Environment configuration: the typed schema of `envs/<env>.toml`, loading it from disk and
//! turning every mistake in it into a precise, line-numbered message before any AWS call is made.
//!
//! Every per-environment decision (sizes, counts, CIDRs, retention, deployment style) lives in
//! these files so the provisioning code never hard-codes an environment difference. Parsing is
//! strict: unknown keys are rejected, and the `validate` submodule checks the semantic rules (subnets inside
//! the VPC, valid Fargate sizes, ...) collecting all problems at once.

mod alarm_key;
pub mod capacity;
mod cognito;
pub mod database;
pub mod edge;
pub mod flow_logs;
pub mod load_balancer;
mod locate;
pub mod rds_proxy;
mod regions;
pub mod security;
mod storage;
mod validate;

pub use rds_proxy::RdsProxyConfig;
pub use storage::{CloudTrailConfig, StorageConfig};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use serde::Deserialize;

pub use cognito::{CognitoConfig, Mfa};

/// A loaded, fully validated environment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Environment {
    /// The path the configuration was read from (for error messages).
    pub file: PathBuf,
    /// Environment name; equals the file stem (`dev`, `staging`, `prod`).
    pub name: String,
    /// Stack name used as the prefix of resource names (`macro-ai`).
    pub stack: String,
    /// Effective AWS region: the `--region` override when given, else `environment.region`.
    pub region: String,
    /// Extra tags put on every resource.
    pub tags: BTreeMap<String, String>,
    /// `destroy` refuses without `--force-protected` (`environment.protected`; default: true
    /// for `prod`, false otherwise).
    pub protected: bool,
    pub network: NetworkConfig,
    pub database: DatabaseConfig,
    pub cache: CacheConfig,
    pub services: ServicesConfig,
    pub autoscaling: AutoscalingConfig,
    pub monitoring: MonitoringConfig,
    pub alarms: AlarmsConfig,
    pub deployment: DeploymentConfig,
    pub integrations: IntegrationsConfig,
    /// `[storage]`: the S3 buckets (assets, logs, optionally backups).
    pub storage: StorageConfig,
    /// `[cloudtrail]`: the environment's audit trail.
    pub cloudtrail: CloudTrailConfig,
    /// `[rds_proxy]` (optional section; defaults per environment).
    pub rds_proxy: RdsProxyConfig,
    /// `[flow_logs]`: the VPC's flow log (see `flow_logs`).
    pub flow_logs: flow_logs::FlowLogsConfig,
    /// `[load_balancer]`: the ALB's security settings (see `load_balancer`).
    pub load_balancer: load_balancer::LoadBalancerConfig,
    /// `[cognito]`: the user pool macroctl creates, or none (see `cognito`).
    pub cognito: CognitoConfig,
    /// `[dns]`: the app's domain and its Route 53 zone; `None` without a domain (see `edge`).
    pub dns: Option<edge::DnsConfig>,
    /// `[edge]`: the CloudFront distribution in front of the load balancer.
    pub edge: edge::EdgeConfig,
    /// `[waf]`: the web ACL on the distribution and/or the load balancer.
    pub waf: edge::WafConfig,
    /// `[security]`: the secrets' rotation schedule and the controls this environment
    /// deliberately does not meet (see `security`).
    pub security: security::SecurityConfig,
    /// `[state] url`: where the environment's state and lock live (`s3://BUCKET/PREFIX`);
    /// `--state-url` wins over it, and without either the local `--state-dir` is used.
    pub state_url: Option<String>,
    /// What the file allows but should not do (the default master user name): each names its
    /// key, and is reported as a warning (stderr) by every command that opens the environment.
    #[serde(skip)]
    pub warnings: Vec<Problem>,
}

impl Environment {
    /// `<stack>-<name>`, e.g. `macro-ai-staging`: the common prefix for resource names.
    pub fn resource_prefix(&self) -> String {
        format!("{}-{}", self.stack, self.name)
    }
}

/// Validated `[network]` section. All lists are in availability-zone order: element `i` of each
/// subnet list lives in `availability_zones[i]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NetworkConfig {
    pub vpc_cidr: Ipv4Net,
    pub availability_zones: Vec<String>,
    /// 0..=number of AZs; NAT gateway `i` sits in public subnet `i`.
    pub nat_gateways: u32,
    pub public_subnet_cidrs: Vec<Ipv4Net>,
    /// One per AZ when `nat_gateways > 0`, empty when 0 (tasks then run in public subnets).
    pub private_subnet_cidrs: Vec<Ipv4Net>,
    /// Isolated subnets (no route out) for RDS and ElastiCache.
    pub database_subnet_cidrs: Vec<Ipv4Net>,
    /// Who may reach the ALB on ports 80/443.
    pub alb_ingress_cidrs: Vec<Ipv4Net>,
}

impl NetworkConfig {
    /// True when ECS tasks have no NAT route and must run in public subnets with a public IP.
    pub fn tasks_in_public_subnets(&self) -> bool {
        self.nat_gateways == 0
    }
}

/// `[database]`: RDS PostgreSQL (with pgvector); read and checked by the `database` module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DatabaseConfig {
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage_gib: u32,
    pub max_allocated_storage_gib: u32,
    pub storage_type: StorageType,
    pub multi_az: bool,
    pub deletion_protection: bool,
    pub backup_retention_days: u32,
    pub performance_insights: bool,
    /// Apply instance modifications at once (dev, staging) or in the maintenance window (prod);
    /// `up --apply-immediately` overrides `false`.
    pub apply_changes_immediately: bool,
    pub database_name: String,
    pub master_username: String,
    pub port: u16,
    /// The parameter group sets `rds.force_ssl = 1`: clients must use TLS (no FSBP control checks it; encryption in transit).
    pub force_ssl: bool,
    /// IAM database authentication (FSBP RDS.10).
    pub iam_authentication: bool,
    /// Log types exported to CloudWatch Logs (`postgresql`, `upgrade`; FSBP RDS.9).
    pub log_exports: Vec<String>,
    /// Enhanced monitoring every N seconds; 0 is off (FSBP RDS.6).
    pub enhanced_monitoring_interval_seconds: u32,
    /// RDS applies minor engine upgrades in the maintenance window (FSBP RDS.13).
    pub auto_minor_version_upgrade: bool,
}

impl DatabaseConfig {
    /// The major version (`16` for `"16.4"`), e.g. for the parameter group family `postgres16`.
    pub fn major_version(&self) -> Option<u32> {
        validate::major_version(&self.engine_version)
    }
}

/// RDS storage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    Gp3,
    Gp2,
    Io1,
    Io2,
}

impl StorageType {
    /// The value the RDS API expects.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageType::Gp3 => "gp3",
            StorageType::Gp2 => "gp2",
            StorageType::Io1 => "io1",
            StorageType::Io2 => "io2",
        }
    }
}

/// `[cache]`: ElastiCache replication group (one node group).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    pub engine: CacheEngine,
    pub engine_version: String,
    pub node_type: String,
    /// Read replicas per node group, 0..=5.
    pub replicas: u32,
    pub multi_az: bool,
    pub automatic_failover: bool,
    #[serde(default = "default_cache_port")]
    pub port: u16,
}

/// ElastiCache engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheEngine {
    Redis,
    Valkey,
}

impl CacheEngine {
    /// The value the ElastiCache API expects.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheEngine::Redis => "redis",
            CacheEngine::Valkey => "valkey",
        }
    }
}

/// `[services]`: the two ECS Fargate services.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesConfig {
    pub api: ServiceConfig,
    pub ui: ServiceConfig,
}

/// `[services.api]` / `[services.ui]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The one source of truth for the container's port (target group, security groups, task).
    pub container_port: u16,
    /// Fargate CPU units.
    pub cpu: u32,
    /// Fargate memory in MiB (valid for `cpu`).
    pub memory_mib: u32,
    pub desired_count: u32,
    pub health_check_path: String,
    pub health_check_grace_period_seconds: u32,
    /// Full image reference; `None` means the service's ECR repository at `:latest`.
    #[serde(default)]
    pub image: Option<String>,
    /// Where the tasks run: on-demand Fargate, Fargate Spot, or mixed (see `capacity`).
    #[serde(default)]
    pub capacity: capacity::Capacity,
    /// `capacity = "mixed"`: tasks always on on-demand Fargate (default 1).
    #[serde(default)]
    pub on_demand_base: Option<u32>,
    /// `capacity = "mixed"`: percent of the tasks beyond the base on Fargate Spot (default 50).
    #[serde(default)]
    pub spot_percent: Option<u32>,
    /// The app container's root filesystem is read-only, with a writable task volume at
    /// `/tmp` (FSBP ECS.5). Default true; false for an image that writes elsewhere.
    #[serde(default = "on_by_default")]
    pub read_only_root_filesystem: bool,
}

/// `[autoscaling]`: Application Auto Scaling of the API service's task count.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingConfig {
    pub min_capacity: u32,
    pub max_capacity: u32,
    pub cpu_target_percent: u32,
    pub memory_target_percent: u32,
    pub scale_in_cooldown_seconds: u32,
    pub scale_out_cooldown_seconds: u32,
}

/// `[monitoring]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringConfig {
    /// ECS Container Insights on the cluster.
    pub container_insights: bool,
    /// CloudWatch Logs retention (an allowed CloudWatch value).
    pub log_retention_days: u32,
    /// Create the CloudWatch alarms of `[alarms]`.
    pub alarms: bool,
    /// Optional e-mail subscribed to the alarm SNS topic.
    #[serde(default)]
    pub alarm_email: Option<String>,
    /// An existing KMS key (ARN, key id or alias) the alarm topic is encrypted with, instead of
    /// the customer managed key macroctl makes for it (`alias/<stack>-<env>-alerts`).
    #[serde(default)]
    pub alarm_topic_kms_key: Option<String>,
}

/// `[alarms]`: alarm thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmsConfig {
    pub api_cpu_percent: u32,
    pub api_memory_percent: u32,
    pub db_connections: u32,
    pub alb_5xx_count: u32,
    pub evaluation_periods: u32,
}

/// `[deployment]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentConfig {
    pub strategy: DeploymentStrategy,
    pub circuit_breaker_rollback: bool,
    /// Minutes the new (green) tasks serve before the old ones are removed (blue-green).
    pub bake_time_minutes: u32,
    /// ECR lifecycle policy: keep the last N images.
    pub ecr_keep_images: u32,
    /// ECR repositories refuse to move a tag once pushed (`IMMUTABLE`, FSBP ECR.2): every
    /// image needs a unique tag. Default true.
    #[serde(default = "on_by_default")]
    pub immutable_image_tags: bool,
}

/// How a new task definition is rolled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentStrategy {
    /// ECS rolling update.
    Rolling,
    /// ECS native blue/green (`BLUE_GREEN`), with `bake_time_minutes`.
    BlueGreen,
    /// Parsed, but refused by validation: not implemented.
    Canary,
}

impl DeploymentStrategy {
    /// The spelling used in the configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStrategy::Rolling => "rolling",
            DeploymentStrategy::BlueGreen => "blue-green",
            DeploymentStrategy::Canary => "canary",
        }
    }
}

/// `[integrations]` (optional section).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationsConfig {
    /// ACM certificate for the ALB's 443 listener; without it the ALB listens on 80 only.
    #[serde(default)]
    pub certificate_arn: Option<String>,
    /// Cognito user pool the API talks to (its task role gets access to it).
    #[serde(default)]
    pub cognito_user_pool_arn: Option<String>,
}

/// One problem found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path, e.g. `network.public_subnet_cidrs[1]` (empty for whole-file syntax errors).
    pub key: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Why an environment could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The environment name is malformed or `<envs_dir>/<env>.toml` does not exist.
    #[error("{}", not_found_message(.env, .envs_dir, .available))]
    NotFound {
        env: String,
        envs_dir: PathBuf,
        available: Vec<String>,
    },
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was read but has one or more problems.
    #[error("{}", invalid_message(.file, .problems))]
    Invalid {
        file: PathBuf,
        problems: Vec<Problem>,
    },
}

fn not_found_message(env: &str, envs_dir: &Path, available: &[String]) -> String {
    let dir = envs_dir.display();
    let mut msg = if is_env_name(env) {
        format!("no environment {env:?}: {dir}/{env}.toml does not exist")
    } else {
        format!(
            "{env:?} is not a valid environment name (use lowercase letters, digits and dashes)"
        )
    };
    if available.is_empty() {
        msg.push_str(&format!("; no environment files (*.toml) found in {dir}"));
    } else {
        msg.push_str(&format!(
            "; environments in {dir}: {}",
            available.join(", ")
        ));
    }
    msg.push_str("; use --envs-dir to point at another directory, or create the file");
    msg
}

fn invalid_message(file: &Path, problems: &[Problem]) -> String {
    let n = problems.len();
    let plural = if n == 1 { "" } else { "s" };
    let mut out = format!(
        "{}: invalid configuration ({n} problem{plural})",
        file.display()
    );
    for p in problems {
        out.push('\n');
        out.push_str(&ProblemLine { file, problem: p }.to_string());
    }
    out
}

/// Renders `file:line: key: message`.
struct ProblemLine<'a> {
    file: &'a Path,
    problem: &'a Problem,
}

impl fmt::Display for ProblemLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.problem.line {
            write!(f, ":{line}")?;
        }
        if !self.problem.key.is_empty() {
            write!(f, ": {}", self.problem.key)?;
        }
        write!(f, ": {}", self.problem.message)
    }
}

/// The default of the security settings that are on unless the file turns them off.
fn on_by_default() -> bool {
    true
}

fn default_cache_port() -> u16 {
    6379
}

fn default_alb_ingress() -> Vec<String> {
    vec!["0.0.0.0/0".to_string()]
}

/// The file as written (CIDRs still strings); turned into [`Environment`] by validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    environment: RawEnvironment,
    network: RawNetwork,
    database: database::RawDatabase,
    cache: CacheConfig,
    services: ServicesConfig,
    autoscaling: AutoscalingConfig,
    monitoring: MonitoringConfig,
    alarms: AlarmsConfig,
    deployment: DeploymentConfig,
    #[serde(default)]
    integrations: IntegrationsConfig,
    #[serde(default)]
    rds_proxy: Option<rds_proxy::RawRdsProxy>,
    #[serde(default)]
    flow_logs: flow_logs::RawFlowLogs,
    #[serde(default)]
    load_balancer: Option<load_balancer::RawLoadBalancer>,
    cognito: cognito::RawCognito,
    #[serde(default)]
    state: RawState,
    #[serde(default)]
    storage: Option<storage::RawStorage>,
    #[serde(default)]
    cloudtrail: Option<storage::RawCloudTrail>,
    #[serde(default)]
    dns: edge::RawDns,
    #[serde(default)]
    edge: edge::RawEdge,
    #[serde(default)]
    waf: edge::RawWaf,
    #[serde(default)]
    security: security::RawSecurity,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    name: String,
    stack: String,
    region: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    protected: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    vpc_cidr: String,
    availability_zones: Vec<String>,
    nat_gateways: u32,
    public_subnet_cidrs: Vec<String>,
    #[serde(default)]
    private_subnet_cidrs: Vec<String>,
    database_subnet_cidrs: Vec<String>,
    #[serde(default = "default_alb_ingress")]
    alb_ingress_cidrs: Vec<String>,
}

/// True for names of the form `[a-z0-9-]+`.
fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Environments available in `envs_dir`: the stems of its `*.toml` files, sorted.
/// An unreadable or missing directory yields an empty list.
pub fn available_envs(envs_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(envs_dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".toml")?;
            is_env_name(stem).then(|| stem.to_string())
        })
        .collect();
    names.sort();
    names
}

/// Reads `<envs_dir>/<env>.toml`, parses it (unknown keys rejected) and validates it.
/// `region_override` is the `--region` flag: when `Some`, it replaces `environment.region`
/// (availability zones must then start with it).
pub fn load(
    envs_dir: &Path,
    env: &str,
    region_override: Option<&str>,
) -> Result<Environment, ConfigError> {
    let not_found = || ConfigError::NotFound {
        env: env.to_string(),
        envs_dir: envs_dir.to_path_buf(),
        available: available_envs(envs_dir),
    };
    if !is_env_name(env) {
        return Err(not_found());
    }
    let path = envs_dir.join(format!("{env}.toml"));
    let source = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
        Err(source) => return Err(ConfigError::Io { path, source }),
    };
    parse_str(&source, &path, region_override)
}

/// Parses and validates configuration text as if read from `file`; `environment.name` must equal
/// the stem of `file`. Used by [`load`]; handy for checking a file without a directory layout.
pub fn parse_str(
    source: &str,
    file: &Path,
    region_override: Option<&str>,
) -> Result<Environment, ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        file: file.to_path_buf(),
        problems,
    };
    let (doc, syntax_errors) = toml::de::DeTable::parse_recoverable(source);
    let index = locate::KeyIndex::build(source, doc.get_ref());
    // Only the first syntax error: the parser's recovery makes later ones mostly echoes of it.
    if let Some(err) = syntax_errors.first() {
        let offset = err.span().map(|s| s.start).unwrap_or(0);
        return Err(invalid(vec![Problem {
            key: locate::syntax_key(source, offset),
            line: Some(locate::line_at(source, offset)),
            message: match err.message() {
                "duplicate key" => {
                    "TOML syntax error: this key or table is defined twice; keep one".to_string()
                }
                m => format!("TOML syntax error: {m}"),
            },
        }]));
    }
    let raw: RawFile = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(err) => return Err(invalid(vec![locate::serde_problem(source, &index, &err)])),
    };
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let locate = |problems: &mut Vec<Problem>| {
        for p in problems.iter_mut() {
            p.line = index.line_of(&p.key);
        }
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    };
    match validate::validate(raw, file, &stem, region_override) {
        Ok(mut env) => {
            locate(&mut env.warnings);
            Ok(env)
        }
        Err(mut problems) => {
            locate(&mut problems);
            Err(invalid(problems))
        }
    }
}

impl Environment {
    /// The file's warnings as `file:line: key: message`, for a reporter.
    pub fn warning_lines(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(|problem| {
                ProblemLine {
                    file: &self.file,
                    problem,
                }
                .to_string()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envs_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("envs")
    }

    fn shipped(env: &str) -> Environment {
        match load(&envs_dir(), env, None) {
            Ok(e) => e,
            Err(e) => panic!("{env}.toml does not load:\n{e}"),
        }
    }

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn available_lists_shipped_envs() {
        assert_eq!(available_envs(&envs_dir()), ["dev", "prod", "staging"]);
        assert!(available_envs(Path::new("/nonexistent/dir")).is_empty());
    }

    #[test]
    fn dev_loads_with_seed_values() {
        let e = shipped("dev");
        assert_eq!((e.name.as_str(), e.stack.as_str()), ("dev", "macro-ai"));
        assert_eq!(e.region, "us-east-1");
        assert_eq!(e.network.vpc_cidr, net("10.10.0.0/16"));
        assert_eq!(e.network.availability_zones, ["us-east-1a", "us-east-1b"]);
        assert_eq!(e.network.nat_gateways, 0);
        assert!(e.network.private_subnet_cidrs.is_empty());
        assert!(e.network.tasks_in_public_subnets());
        assert_eq!(e.network.alb_ingress_cidrs, [net("0.0.0.0/0")]);
        assert_eq!(e.database.instance_class, "db.t4g.micro");
        assert_eq!(e.database.backup_retention_days, 1);
        assert!(!e.database.multi_az && !e.database.deletion_protection);
        assert_eq!(e.database.major_version(), Some(16));
        assert_eq!(e.database.port, 5432);
        assert_eq!(e.cache.port, 6379);
        assert_eq!(e.cache.replicas, 0);
        let api = &e.services.api;
        assert_eq!((api.cpu, api.memory_mib, api.desired_count), (256, 512, 1));
        assert_eq!(api.container_port, 3040);
        assert_eq!(e.services.ui.container_port, 3000);
        assert_eq!(e.monitoring.log_retention_days, 7);
        assert!(!e.monitoring.alarms && !e.monitoring.container_insights);
        assert_eq!(e.deployment.strategy, DeploymentStrategy::Rolling);
        assert_eq!(e.resource_prefix(), "macro-ai-dev");
    }

    #[test]
    fn staging_loads_with_seed_values() {
        let e = shipped("staging");
        assert_eq!(e.network.nat_gateways, 1);
        assert_eq!(e.network.availability_zones.len(), 2);
        assert_eq!(e.network.private_subnet_cidrs.len(), 2);
        assert_eq!(e.database.instance_class, "db.t4g.small");
        assert_eq!(e.database.backup_retention_days, 7);
        assert!(e.database.deletion_protection && !e.database.multi_az);
        let api = &e.services.api;
        assert_eq!((api.cpu, api.memory_mib, api.desired_count), (512, 1024, 2));
        assert_eq!(e.monitoring.log_retention_days, 30);
        assert!(e.monitoring.alarms && e.monitoring.container_insights);
        assert!(e.autoscaling.min_capacity <= 2 && e.autoscaling.max_capacity >= 2);
    }

    #[test]
    fn prod_loads_with_seed_values() {
        let e = shipped("prod");
        assert_eq!(e.network.nat_gateways, 3);
        assert_eq!(e.network.availability_zones.len(), 3);
        assert_eq!(e.network.database_subnet_cidrs.len(), 3);
        assert_eq!(e.database.instance_class, "db.r6g.large");
        assert_eq!(e.database.backup_retention_days, 30);
        assert!(e.database.multi_az && e.database.performance_insights);
        assert_eq!(e.database.storage_type, StorageType::Gp3);
        assert_eq!(e.cache.node_type, "cache.r7g.large");
        assert!(e.cache.multi_az && e.cache.automatic_failover && e.cache.replicas == 1);
        let api = &e.services.api;
        assert_eq!(
            (api.cpu, api.memory_mib, api.desired_count),
            (1024, 2048, 3)
        );
        assert_eq!(
            (e.autoscaling.min_capacity, e.autoscaling.max_capacity),
            (2, 10)
        );
        assert_eq!(e.autoscaling.cpu_target_percent, 70);
        assert_eq!(e.monitoring.log_retention_days, 180);
        assert_eq!(e.alarms.api_cpu_percent, 80);
        assert_eq!(e.alarms.alb_5xx_count, 10);
        assert_eq!(e.deployment.strategy, DeploymentStrategy::BlueGreen);
        assert_eq!(e.deployment.bake_time_minutes, 5);
    }

    #[test]
    fn region_override_replaces_region_and_checks_azs() {
        let e = load(&envs_dir(), "dev", Some("us-east-1")).unwrap();
        assert_eq!(e.region, "us-east-1");
        let err = load(&envs_dir(), "dev", Some("eu-west-1")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("network.availability_zones[0]"), "{text}");
        assert!(text.contains("eu-west-1"), "{text}");
    }

    #[test]
    fn missing_env_lists_available() {
        let err = load(&envs_dir(), "qa", None).unwrap_err();
        match &err {
            ConfigError::NotFound { available, .. } => {
                assert_eq!(available, &["dev", "prod", "staging"])
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("qa.toml does not exist"), "{text}");
        assert!(text.contains("dev, prod, staging"), "{text}");
        assert!(text.contains("--envs-dir"), "{text}");
        let bad = load(&envs_dir(), "../dev", None).unwrap_err().to_string();
        assert!(bad.contains("not a valid environment name"), "{bad}");
        let none = load(Path::new("/nonexistent"), "dev", None).unwrap_err();
        assert!(none.to_string().contains("no environment files"), "{none}");
    }

    #[test]
    fn display_names_file_and_lines() {
        let src = std::fs::read_to_string(envs_dir().join("staging.toml")).unwrap();
        let src = src.replace("\"10.20.1.0/24\"", "\"10.30.1.0/24\"");
        let err = parse_str(&src, Path::new("envs/staging.toml"), None).unwrap_err();
        let text = err.to_string();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("envs/staging.toml: invalid configuration (1 problem)")
        );
        let line = lines.next().unwrap();
        assert!(
            line.starts_with("envs/staging.toml:")
                && line.contains(": network.public_subnet_cidrs[1]: 10.30.1.0/24 is outside the VPC 10.20.0.0/16"),
            "{line}"
        );
    }

    /// Truncated and garbled versions of a real file must yield errors, never panics.
    #[test]
    fn garbled_input_never_panics() {
        let src = std::fs::read_to_string(envs_dir().join("prod.toml")).unwrap();
        let file = Path::new("prod.toml");
        let bytes = src.as_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            let text = String::from_utf8_lossy(&bytes[..cut]);
            let _ = parse_str(&text, file, None).map_err(|e| e.to_string());
        }
        let mut state: u32 = 12345;
        for _ in 0..300 {
            let mut b = bytes.to_vec();
            for _ in 0..3 {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let i = (state as usize >> 8) % b.len();
                let junk = b"=[]\"'.{}#\n 0x-";
                b[i] = junk[(state as usize >> 3) % junk.len()];
            }
            let text = String::from_utf8_lossy(&b);
            let _ = parse_str(&text, file, Some("x")).map_err(|e| e.to_string());
        }
        assert!(parse_str("", file, None).is_err());
        assert!(parse_str("\u{feff}[[[", file, None).is_err());
    }
}
