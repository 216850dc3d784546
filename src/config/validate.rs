//! Semantic validation of a parsed environment file: the rules serde's types cannot express
//! (subnets inside the VPC and not overlapping, one subnet per AZ, valid Fargate sizes, allowed
//! CloudWatch retention values, ...). All problems are collected, not just the first, and each
//! message says both what is wrong and what is allowed.
//!
//! `deployment.strategy = "canary"` parses (it is part of the schema) but is refused here:
//! macroctl implements `rolling` and `blue-green` (ECS native blue/green). ECS's own CANARY
//! strategy needs a traffic percentage and a canary bake time the file has no keys for yet.

use std::path::Path;

use ipnet::Ipv4Net;

use super::locate::join;
use super::{
    AutoscalingConfig, DeploymentStrategy, Environment, NetworkConfig, Problem, RawEnvironment,
    RawFile, RawNetwork, ServiceConfig,
};

/// Retention values CloudWatch Logs accepts (days).
pub(super) const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Fargate task sizes: (cpu units, min MiB, max MiB, step MiB).
const FARGATE: [(u32, u32, u32, u32); 7] = [
    (256, 512, 2048, 512), // 512, 1024, 2048 (1536 is not offered)
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            line: None,
            message: message.into(),
        });
    }

    /// [`Problems::range`] for each `(key, value, lo, hi, unit)`.
    fn ranges(&mut self, checks: &[(&str, u32, u32, u32, &str)]) {
        for &(key, value, lo, hi, unit) in checks {
            self.range(key, value, lo, hi, unit);
        }
    }

    /// Pushes unless `lo <= value <= hi`.
    fn range(&mut self, key: &str, value: u32, lo: u32, hi: u32, why: &str) {
        if value < lo || value > hi {
            self.push(
                key,
                format!("{value} is out of range; allowed {lo}..={hi}{why}"),
            );
        }
    }
}

/// Checks `raw` and builds the [`Environment`]; `stem` is the file stem `environment.name` must
/// equal. Problems come back without line numbers (the caller locates them).
pub(super) fn validate(
    raw: RawFile,
    file: &Path,
    stem: &str,
    region_override: Option<&str>,
) -> Result<Environment, Vec<Problem>> {
    let mut p = Problems::default();
    let region = check_environment(&mut p, &raw.environment, stem, region_override);
    let network = check_network(&mut p, &raw.network, &region);
    let database = super::database::resolve(&raw.database, &raw.environment.name, &mut p.0);
    check_cache(&mut p, &raw);
    check_service(&mut p, "services.api", &raw.services.api);
    check_service(&mut p, "services.ui", &raw.services.ui);
    if raw.services.api.container_port == raw.services.ui.container_port {
        p.push(
            "services.ui.container_port",
            format!(
                "{} is also services.api.container_port; the two services need different ports",
                raw.services.ui.container_port
            ),
        );
    }
    check_autoscaling(&mut p, &raw.autoscaling, &raw.services.api);
    check_monitoring(&mut p, &raw);
    for (key, message) in super::alarm_key::check(&raw.monitoring, &region) {
        p.push(key, message);
    }
    check_alarms_and_deployment(&mut p, &raw);
    check_integrations(&mut p, &raw, &region);
    let (storage, cloudtrail) = super::storage::resolve(&raw, &mut p.0);
    let rds_proxy =
        super::rds_proxy::resolve(raw.rds_proxy.as_ref(), &raw.environment.name, &mut p.0);
    for (prefix, service) in [
        ("services.api", &raw.services.api),
        ("services.ui", &raw.services.ui),
    ] {
        for (key, message) in super::capacity::check(prefix, service) {
            p.push(key, message);
        }
    }
    let (flow_logs, problems) =
        super::flow_logs::check(&raw.flow_logs, raw.monitoring.log_retention_days);
    for (key, message) in problems {
        p.push(key, message);
    }
    let load_balancer =
        super::load_balancer::resolve(raw.load_balancer.as_ref(), &raw.environment.name);
    let cognito = super::cognito::check(&raw, &mut p.0);
    let (dns, edge, waf) = super::edge::check(&raw, &mut p.0);
    let security = super::security::resolve(&raw.security, &mut p.0);
    if let Some(url) = &raw.state.url {
        if let Err(err) = crate::state::url::parse(url) {
            p.push("state.url", err.to_string());
        }
    }

    match network {
        Some(network) if p.0.is_empty() => Ok(Environment {
            file: file.to_path_buf(),
            protected: raw
                .environment
                .protected
                .unwrap_or(raw.environment.name == "prod"),
            name: raw.environment.name,
            stack: raw.environment.stack,
            region,
            tags: raw.environment.tags,
            network,
            warnings: super::database::warnings(&database),
            database,
            cache: raw.cache,
            services: raw.services,
            autoscaling: raw.autoscaling,
            monitoring: raw.monitoring,
            alarms: raw.alarms,
            deployment: raw.deployment,
            integrations: raw.integrations,
            storage,
            cloudtrail,
            rds_proxy,
            flow_logs,
            load_balancer,
            cognito,
            dns,
            edge,
            waf,
            security,
            state_url: raw.state.url,
        }),
        _ => Err(p.0),
    }
}

/// A known AWS region name (see `regions`): shape alone would let `us-esat-1` through.
fn is_region(s: &str) -> bool {
    super::regions::is_known(s)
}

/// Returns the effective region.
fn check_environment(
    p: &mut Problems,
    env: &RawEnvironment,
    stem: &str,
    region_override: Option<&str>,
) -> String {
    if env.name != stem {
        p.push(
            "environment.name",
            format!(
                "{:?} does not match the file name {stem}.toml; it must equal the file stem ({stem:?})",
                env.name
            ),
        );
    }
    let s = &env.stack;
    let stack_ok = (1..=20).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !stack_ok {
        p.push(
            "environment.stack",
            format!("{s:?} is not a valid stack name; use 1 to 20 lowercase letters, digits and dashes, starting with a letter and not ending with a dash (it prefixes resource names)"),
        );
    }
    if !is_region(&env.region) {
        p.push("environment.region", super::regions::problem(&env.region));
    }
    for (k, v) in &env.tags {
        let key = join("environment.tags", k);
        let tag_chars = |s: &str| {
            s.chars()
                .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c))
        };
        if k.is_empty() || k.chars().count() > 128 || !tag_chars(k) {
            p.push(&key, "tag keys must be 1 to 128 characters of letters, digits, spaces and _ . : / = + - @");
        } else if k.to_ascii_lowercase().starts_with("aws:") {
            p.push(
                &key,
                "tag keys starting with \"aws:\" are reserved by AWS; choose another key",
            );
        }
        if v.chars().count() > 256 || !tag_chars(v) {
            p.push(&key, "tag values must be at most 256 characters of letters, digits, spaces and _ . : / = + - @");
        }
    }
    match region_override {
        Some(r) if !is_region(r) => {
            p.push("--region", super::regions::problem(r));
            r.to_string()
        }
        Some(r) => r.to_string(),
        None => env.region.clone(),
    }
}

/// Parses a CIDR block; host bits must be zero.
fn cidr(p: &mut Problems, key: &str, text: &str) -> Option<Ipv4Net> {
    let Ok(net) = text.parse::<Ipv4Net>() else {
        p.push(
            key,
            format!("{text:?} is not an IPv4 CIDR block; write it as address/prefix, e.g. \"10.20.0.0/16\""),
        );
        return None;
    };
    if net.addr() != net.network() {
        p.push(
            key,
            format!(
                "{text} has host bits set; a CIDR block must start at its network address (did you mean {}?)",
                net.trunc()
            ),
        );
        return None;
    }
    Some(net)
}

fn check_network(p: &mut Problems, n: &RawNetwork, region: &str) -> Option<NetworkConfig> {
    let azs = &n.availability_zones;
    let az_count = azs.len();
    if az_count < 2 {
        p.push(
            "network.availability_zones",
            format!("{az_count} availability zone(s) given; at least 2 distinct AZs are required because the ALB and the RDS subnet group need subnets in two AZs"),
        );
    }
    for (i, az) in azs.iter().enumerate() {
        let key = format!("network.availability_zones[{i}]");
        // An unknown region is reported once, not again for every zone.
        let suffix_ok = !is_region(region)
            || az
                .strip_prefix(region)
                .is_some_and(|s| s.len() == 1 && s.bytes().all(|b| b.is_ascii_lowercase()));
        if !suffix_ok {
            p.push(
                &key,
                format!("{az:?} is not an availability zone of region {region}; use the region name plus a zone letter, e.g. \"{region}a\""),
            );
        }
        if azs[..i].contains(az) {
            p.push(
                &key,
                format!("{az:?} is listed twice; the availability zones must be distinct"),
            );
        }
    }
    let nat_max = u32::try_from(az_count).unwrap_or(u32::MAX);
    if n.nat_gateways > nat_max {
        p.push(
            "network.nat_gateways",
            format!("{} NAT gateways but only {az_count} availability zones; allowed 0..={az_count} (at most one per AZ)", n.nat_gateways),
        );
    }

    let vpc = cidr(p, "network.vpc_cidr", &n.vpc_cidr);
    if let Some(v) = vpc {
        if !(16..=28).contains(&v.prefix_len()) {
            p.push(
                "network.vpc_cidr",
                format!(
                    "{v} has a /{} prefix; a VPC block must be between /16 and /28",
                    v.prefix_len()
                ),
            );
        }
    }

    let pairs = [
        (
            "network.public_subnet_cidrs",
            &n.public_subnet_cidrs,
            "public",
        ),
        (
            "network.database_subnet_cidrs",
            &n.database_subnet_cidrs,
            "database",
        ),
        (
            "network.private_subnet_cidrs",
            &n.private_subnet_cidrs,
            "private",
        ),
    ];
    for (key, list, what) in pairs {
        if what == "private" && n.nat_gateways == 0 {
            if !list.is_empty() {
                p.push(key, "must be empty or left out when network.nat_gateways = 0: private subnets reach the internet only through a NAT gateway, so with none they would have no way out (the tasks then run in the public subnets with public IPs); remove this key or set nat_gateways >= 1");
            }
        } else if list.len() != az_count {
            p.push(key, format!("has {} entries but network.availability_zones has {az_count}; give one {what} subnet per AZ, in the same order", list.len()));
        }
    }

    // Parse every subnet, then check containment and overlap across all three lists.
    let mut subnets: Vec<(String, Ipv4Net)> = Vec::new();
    let mut parse_list = |p: &mut Problems, name: &str, list: &[String]| -> Vec<Ipv4Net> {
        let mut out = Vec::new();
        for (i, text) in list.iter().enumerate() {
            let key = format!("network.{name}[{i}]");
            if let Some(net) = cidr(p, &key, text) {
                subnets.push((key, net));
                out.push(net);
            }
        }
        out
    };
    let public = parse_list(p, "public_subnet_cidrs", &n.public_subnet_cidrs);
    let private = parse_list(p, "private_subnet_cidrs", &n.private_subnet_cidrs);
    let database = parse_list(p, "database_subnet_cidrs", &n.database_subnet_cidrs);
    for (i, (key, net)) in subnets.iter().enumerate() {
        if !(16..=28).contains(&net.prefix_len()) {
            p.push(
                key,
                format!(
                    "{net} has a /{} prefix; a subnet must be between /16 and /28",
                    net.prefix_len()
                ),
            );
        }
        if let Some(v) = vpc {
            if !v.contains(net) {
                p.push(
                    key,
                    format!("{net} is outside the VPC {v}; every subnet must lie inside network.vpc_cidr"),
                );
            }
        }
        if let Some((other_key, other)) = subnets[..i]
            .iter()
            .find(|(_, o)| o.contains(&net.network()) || net.contains(&o.network()))
        {
            p.push(
                key,
                format!("{net} overlaps {other_key} ({other}); subnets must not overlap"),
            );
        }
    }

    if n.alb_ingress_cidrs.is_empty() {
        p.push(
            "network.alb_ingress_cidrs",
            "is empty, so nobody could reach the load balancer; list at least one CIDR (\"0.0.0.0/0\" for everyone)",
        );
    }
    let alb: Vec<Ipv4Net> = n
        .alb_ingress_cidrs
        .iter()
        .enumerate()
        .filter_map(|(i, t)| cidr(p, &format!("network.alb_ingress_cidrs[{i}]"), t))
        .collect();

    Some(NetworkConfig {
        vpc_cidr: vpc?,
        availability_zones: azs.clone(),
        nat_gateways: n.nat_gateways,
        public_subnet_cidrs: public,
        private_subnet_cidrs: private,
        database_subnet_cidrs: database,
        alb_ingress_cidrs: alb,
    })
}

/// `"16.4"` → 16; `None` unless the text is dot-separated numbers.
pub(super) fn major_version(v: &str) -> Option<u32> {
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    parts
        .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then_some(major)
}

fn check_cache(p: &mut Problems, raw: &RawFile) {
    let c = &raw.cache;
    if major_version(&c.engine_version).is_none() {
        p.push(
            "cache.engine_version",
            format!(
                "{:?} is not an engine version; write it like \"7.1\"",
                c.engine_version
            ),
        );
    }
    if !(c.node_type.starts_with("cache.") && c.node_type.split('.').count() == 3) {
        p.push(
            "cache.node_type",
            format!(
                "{:?} is not an ElastiCache node type; write it like \"cache.t4g.micro\"",
                c.node_type
            ),
        );
    }
    p.range(
        "cache.replicas",
        c.replicas,
        0,
        5,
        " replicas per node group",
    );
    if c.replicas == 0 {
        if c.multi_az {
            p.push("cache.multi_az", "needs cache.replicas >= 1 (a replica in another AZ to fail over to); set replicas = 1 or multi_az = false");
        }
        if c.automatic_failover {
            p.push("cache.automatic_failover", "needs cache.replicas >= 1 (a replica to promote); set replicas = 1 or automatic_failover = false");
        }
    } else if c.multi_az && !c.automatic_failover {
        p.push(
            "cache.automatic_failover",
            "must be true when cache.multi_az = true (ElastiCache requires it)",
        );
    }
    if c.port == 0 {
        p.push("cache.port", "0 is not a port; allowed 1..=65535");
    }
}

fn check_service(p: &mut Problems, prefix: &str, s: &ServiceConfig) {
    let key = |k: &str| format!("{prefix}.{k}");
    if s.container_port == 0 {
        p.push(key("container_port"), "0 is not a port; allowed 1..=65535");
    }
    match FARGATE.iter().find(|(cpu, ..)| *cpu == s.cpu) {
        None => p.push(
            key("cpu"),
            format!(
                "{} is not a Fargate CPU size; allowed 256, 512, 1024, 2048, 4096, 8192, 16384",
                s.cpu
            ),
        ),
        Some(&(cpu, lo, hi, step)) => {
            let ok = if cpu == 256 {
                [512, 1024, 2048].contains(&s.memory_mib)
            } else {
                (lo..=hi).contains(&s.memory_mib) && (s.memory_mib - lo).is_multiple_of(step)
            };
            if !ok {
                let allowed = if cpu == 256 {
                    "512, 1024 or 2048".to_string()
                } else {
                    format!("{lo}..={hi} in steps of {step}")
                };
                p.push(
                    key("memory_mib"),
                    format!("{} MiB is not a valid Fargate size for cpu = {cpu}; with {cpu} CPU units memory_mib must be {allowed}", s.memory_mib),
                );
            }
        }
    }
    if s.desired_count == 0 {
        p.push(key("desired_count"), "must be at least 1");
    }
    let path = &s.health_check_path;
    if !path.starts_with('/') || path.len() > 1024 || path.chars().any(char::is_whitespace) {
        p.push(
            key("health_check_path"),
            format!("{path:?} is not a URL path; it must start with \"/\" and contain no spaces (e.g. \"/api/health\")"),
        );
    }
    let grace = s.health_check_grace_period_seconds;
    let grace_key = key("health_check_grace_period_seconds");
    p.range(&grace_key, grace, 0, 2_147_483_647, " seconds");
    if let Some(image) = &s.image {
        if image.is_empty() || image.chars().any(char::is_whitespace) {
            p.push(
                key("image"),
                format!("{image:?} is not an image reference; give e.g. \"123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-api:1.2.3\", or leave the key out to use the ECR repository's :latest"),
            );
        }
    }
}

fn check_autoscaling(p: &mut Problems, a: &AutoscalingConfig, api: &ServiceConfig) {
    if a.min_capacity < 1 {
        p.push(
            "autoscaling.min_capacity",
            "must be at least 1 so the API always has a task",
        );
    }
    if a.max_capacity < a.min_capacity {
        p.push(
            "autoscaling.max_capacity",
            format!(
                "{} is below autoscaling.min_capacity ({}); it must be >= min_capacity",
                a.max_capacity, a.min_capacity
            ),
        );
    } else if api.desired_count < a.min_capacity || api.desired_count > a.max_capacity {
        p.push(
            "services.api.desired_count",
            format!("{} is outside the autoscaling range; it must lie within autoscaling.min_capacity..=autoscaling.max_capacity ({}..={})", api.desired_count, a.min_capacity, a.max_capacity),
        );
    }
    #[rustfmt::skip]
    let checks = [
        ("autoscaling.cpu_target_percent", a.cpu_target_percent, 1, 100, " percent"),
        ("autoscaling.memory_target_percent", a.memory_target_percent, 1, 100, " percent"),
        ("autoscaling.scale_in_cooldown_seconds", a.scale_in_cooldown_seconds, 0, 86_400, " seconds"),
        ("autoscaling.scale_out_cooldown_seconds", a.scale_out_cooldown_seconds, 0, 86_400, " seconds"),
    ];
    p.ranges(&checks);
}

fn check_monitoring(p: &mut Problems, raw: &RawFile) {
    let m = &raw.monitoring;
    if !LOG_RETENTION_DAYS.contains(&m.log_retention_days) {
        let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
        p.push(
            "monitoring.log_retention_days",
            format!(
                "{} is not a CloudWatch Logs retention value; allowed: {}",
                m.log_retention_days,
                allowed.join(", ")
            ),
        );
    }
    if let Some(email) = &m.alarm_email {
        let ok = email
            .split_once('@')
            .is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.contains('@'))
            && !email.chars().any(char::is_whitespace);
        if !ok {
            p.push(
                "monitoring.alarm_email",
                format!("{email:?} is not an e-mail address like \"ops@example.com\""),
            );
        } else if !m.alarms {
            p.push("monitoring.alarm_email", "is set but monitoring.alarms = false, so no alarm would ever notify it; set alarms = true or remove alarm_email");
        }
    }
}

fn check_alarms_and_deployment(p: &mut Problems, raw: &RawFile) {
    let (a, d) = (&raw.alarms, &raw.deployment);
    #[rustfmt::skip]
    let checks = [
        ("alarms.api_cpu_percent", a.api_cpu_percent, 1, 100, " percent"),
        ("alarms.api_memory_percent", a.api_memory_percent, 1, 100, " percent"),
        ("alarms.db_connections", a.db_connections, 1, u32::MAX, " connections"),
        ("alarms.alb_5xx_count", a.alb_5xx_count, 1, u32::MAX, " responses"),
        ("alarms.evaluation_periods", a.evaluation_periods, 1, 1440, " one-minute periods"),
        ("deployment.bake_time_minutes", d.bake_time_minutes, 0, 1440, " minutes"),
        ("deployment.ecr_keep_images", d.ecr_keep_images, 1, 10_000, " images"),
    ];
    p.ranges(&checks);
    match d.strategy {
        DeploymentStrategy::Rolling => {}
        DeploymentStrategy::BlueGreen => {
            // Target group names are at most 32 characters; the longest blue/green one is
            // the API's alternate group.
            let name = format!(
                "{}-{}-api-alt",
                raw.environment.stack, raw.environment.name
            );
            if name.len() > 32 {
                p.push(
                    "deployment.strategy",
                    format!("\"blue-green\" needs an alternate target group named {name:?}, which is {} characters; AWS allows 32, so shorten environment.stack or the environment name by {}, or use \"rolling\"", name.len(), name.len() - 32),
                );
            }
        }
        DeploymentStrategy::Canary => p.push(
            "deployment.strategy",
            "\"canary\" is not supported yet; use \"rolling\" (tasks replaced in place) or \"blue-green\" (ECS native blue/green: all traffic moves to the new tasks at once and the old ones are kept for deployment.bake_time_minutes)",
        ),
    }
}

/// Checks `arn:<partition>:<service>:<region>:<account>:<resource_prefix>...`; returns its region.
fn check_arn<'a>(
    p: &mut Problems,
    key: &str,
    arn: &'a str,
    service: &str,
    resource_prefix: &str,
    example: &str,
) -> Option<&'a str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && is_region(parts[3])
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].len() > resource_prefix.len()
        && parts[5].starts_with(resource_prefix);
    if ok {
        Some(parts[3])
    } else {
        p.push(
            key,
            format!("{arn:?} is not a {service} ARN like \"{example}\""),
        );
        None
    }
}

fn check_integrations(p: &mut Problems, raw: &RawFile, region: &str) {
    let i = &raw.integrations;
    if let Some(arn) = &i.certificate_arn {
        let example = "arn:aws:acm:us-east-1:123456789012:certificate/…";
        let key = "integrations.certificate_arn";
        if let Some(r) = check_arn(p, key, arn, "acm", "certificate/", example) {
            if r != region {
                p.push(key, format!("the certificate is in {r} but the stack is in {region}; an ALB can only use an ACM certificate from its own region"));
            }
        }
    }
    if let Some(arn) = &i.cognito_user_pool_arn {
        let example = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf";
        check_arn(
            p,
            "integrations.cognito_user_pool_arn",
            arn,
            "cognito-idp",
            "userpool/",
            example,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prod_with(from: &str, to: &str) -> Result<Environment, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        let src = std::fs::read_to_string(dir.join("prod.toml")).unwrap();
        assert!(src.contains(from), "{from}");
        super::super::parse_str(&src.replacen(from, to, 1), Path::new("prod.toml"), None)
            .map_err(|err| err.to_string())
    }

    #[test]
    fn canary_is_refused_naming_the_key_and_the_alternatives() {
        let err = prod_with("strategy = \"blue-green\"", "strategy = \"canary\"").unwrap_err();
        assert!(
            err.contains(": deployment.strategy: \"canary\" is not supported"),
            "{err}"
        );
        assert!(
            err.contains("\"rolling\"") && err.contains("\"blue-green\""),
            "{err}"
        );
        assert!(prod_with("strategy = \"blue-green\"", "strategy = \"rolling\"").is_ok());
    }

    #[test]
    fn blue_green_names_must_fit_target_group_names() {
        // `macro-ai-prod-api-alt` is 21 characters; a 20-character stack makes it 33.
        let long = "stack = \"abcdefghijklmnopqrst\"";
        let err = prod_with("stack = \"macro-ai\"", long).unwrap_err();
        assert!(err.contains("deployment.strategy"), "{err}");
        assert!(
            err.contains("\"abcdefghijklmnopqrst-prod-api-alt\", which is 33"),
            "{err}"
        );
        let ok = "stack = \"abcdefghijklmnopqrs\"";
        assert!(prod_with("stack = \"macro-ai\"", ok).is_ok());
    }

    #[test]
    fn fargate_table_and_helpers() {
        let ok = |cpu, memory_mib| {
            let mut p = Problems::default();
            let svc = ServiceConfig {
                container_port: 1,
                cpu,
                memory_mib,
                desired_count: 1,
                health_check_path: "/".into(),
                health_check_grace_period_seconds: 0,
                image: None,
                capacity: Default::default(),
                on_demand_base: None,
                spot_percent: None,
                read_only_root_filesystem: true,
            };
            check_service(&mut p, "s", &svc);
            p.0.is_empty()
        };
        for (cpu, mem) in [
            (256, 512),
            (256, 2048),
            (512, 4096),
            (1024, 8192),
            (2048, 16384),
            (4096, 30720),
        ] {
            assert!(ok(cpu, mem), "{cpu}/{mem}");
        }
        for (cpu, mem) in [
            (256, 1536),
            (256, 4096),
            (512, 512),
            (1024, 2500),
            (4096, 4096),
            (128, 512),
        ] {
            assert!(!ok(cpu, mem), "{cpu}/{mem}");
        }
        assert_eq!(major_version("16.4"), Some(16));
        assert_eq!(major_version("15"), Some(15));
        assert_eq!(major_version("16."), None);
        assert_eq!(major_version("v16"), None);
        assert!(is_region("us-east-1") && is_region("us-gov-west-1"));
        assert!(!is_region("us-east") && !is_region("US-EAST-1") && !is_region(""));
    }
}
