//! A census of everything the emulator holds for one environment, read with the SDK (never
//! through macroctl): per kind, one line per resource, named by what is deterministic (names,
//! `Name` tags, rule keys with peers written as group names), so two censuses of the same
//! environment on two emulators compare equal — and a duplicate shows as a repeated line.
//!
//! The fault tests compare a census taken after an `up` under faults with one taken after a
//! clean `up`: "exactly one of every resource, rule sets exact" without hard-coding counts.
#![allow(dead_code)]

use super::Emulator;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Kind → sorted lines (a repeated line is a duplicate resource).
pub type Census = BTreeMap<&'static str, Vec<String>>;

fn name_tag(tags: &[aws_sdk_ec2::types::Tag]) -> String {
    tags.iter()
        .find(|tag| tag.key() == Some("Name"))
        .and_then(|tag| tag.value())
        .unwrap_or("(no Name tag)")
        .to_string()
}

fn env_filter(env: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name("tag:macroctl:env")
        .values(env)
        .build()
}

fn push(census: &mut Census, kind: &'static str, line: String) {
    census.entry(kind).or_default().push(line);
}

/// Everything of `stack`/`env` the emulator holds. `prefix` is `<stack>-<env>`.
pub async fn census(emulator: &Emulator, stack: &str, env: &str) -> Census {
    let prefix = format!("{stack}-{env}");
    let mut census = Census::new();
    ec2_census(emulator, env, &mut census).await;
    elb_census(emulator, &prefix, &mut census).await;
    data_census(emulator, stack, env, &prefix, &mut census).await;
    app_census(emulator, &prefix, &mut census).await;
    storage_census(emulator, &prefix, &mut census).await;
    flow_log_census(emulator, env, &mut census).await;
    cognito_census(emulator, &prefix, &mut census).await;
    waf_census(emulator, &prefix, &mut census).await;
    super::census_edge::edge_census(emulator, env, &prefix, &["us-east-1"], &mut census).await;
    for lines in census.values_mut() {
        lines.sort();
    }
    census
}

/// Every EC2 resource tagged for `env` (NAT gateways that are gone left out).
struct Ec2Listing {
    vpcs: Vec<aws_sdk_ec2::types::Vpc>,
    subnets: Vec<aws_sdk_ec2::types::Subnet>,
    gateways: Vec<aws_sdk_ec2::types::InternetGateway>,
    addresses: Vec<aws_sdk_ec2::types::Address>,
    nats: Vec<aws_sdk_ec2::types::NatGateway>,
    tables: Vec<aws_sdk_ec2::types::RouteTable>,
    groups: Vec<aws_sdk_ec2::types::SecurityGroup>,
}

async fn list_ec2(emulator: &Emulator, env: &str) -> Ec2Listing {
    let ec2 = emulator.ec2().await;
    let f = || env_filter(env);
    let nats = ec2
        .describe_nat_gateways()
        .filter(f())
        .send()
        .await
        .unwrap();
    Ec2Listing {
        vpcs: ec2
            .describe_vpcs()
            .filters(f())
            .send()
            .await
            .unwrap()
            .vpcs()
            .to_vec(),
        subnets: ec2
            .describe_subnets()
            .filters(f())
            .send()
            .await
            .unwrap()
            .subnets()
            .to_vec(),
        gateways: ec2
            .describe_internet_gateways()
            .filters(f())
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .to_vec(),
        addresses: ec2
            .describe_addresses()
            .filters(f())
            .send()
            .await
            .unwrap()
            .addresses()
            .to_vec(),
        // moto ignores tag filters on DescribeNatGateways: check the tag here.
        nats: nats
            .nat_gateways()
            .iter()
            .filter(|nat| {
                nat.tags()
                    .iter()
                    .any(|t| t.key() == Some("macroctl:env") && t.value() == Some(env))
            })
            .filter(|nat| {
                !matches!(
                    nat.state().map(|s| s.as_str()),
                    Some("deleted" | "deleting" | "failed")
                )
            })
            .cloned()
            .collect(),
        tables: ec2
            .describe_route_tables()
            .filters(f())
            .send()
            .await
            .unwrap()
            .route_tables()
            .to_vec(),
        groups: ec2
            .describe_security_groups()
            .filters(f())
            .send()
            .await
            .unwrap()
            .security_groups()
            .to_vec(),
    }
}

/// The physical ids of every EC2 resource tagged for `env` (for "state tracks everything").
pub async fn ec2_ids(emulator: &Emulator, env: &str) -> BTreeSet<String> {
    let listing = list_ec2(emulator, env).await;
    let ids = listing
        .vpcs
        .iter()
        .filter_map(|x| x.vpc_id())
        .chain(listing.subnets.iter().filter_map(|x| x.subnet_id()))
        .chain(
            listing
                .gateways
                .iter()
                .filter_map(|x| x.internet_gateway_id()),
        )
        .chain(listing.addresses.iter().filter_map(|x| x.allocation_id()))
        .chain(listing.nats.iter().filter_map(|x| x.nat_gateway_id()))
        .chain(listing.tables.iter().filter_map(|x| x.route_table_id()))
        .chain(listing.groups.iter().filter_map(|x| x.group_id()));
    ids.map(str::to_string).collect()
}

async fn ec2_census(emulator: &Emulator, env: &str, census: &mut Census) {
    let listing = list_ec2(emulator, env).await;
    for vpc in &listing.vpcs {
        push(census, "ec2:vpc", name_tag(vpc.tags()));
    }
    let mut subnet_names: HashMap<String, String> = HashMap::new();
    for subnet in &listing.subnets {
        let name = name_tag(subnet.tags());
        subnet_names.insert(
            subnet.subnet_id().unwrap_or_default().to_string(),
            name.clone(),
        );
        push(census, "ec2:subnet", name);
    }
    let mut target_names: HashMap<String, String> = HashMap::new();
    for gateway in &listing.gateways {
        let name = name_tag(gateway.tags());
        let attached = gateway.attachments().len();
        target_names.insert(
            gateway
                .internet_gateway_id()
                .unwrap_or_default()
                .to_string(),
            name.clone(),
        );
        push(
            census,
            "ec2:internet-gateway",
            format!("{name} attachments={attached}"),
        );
    }
    for address in &listing.addresses {
        push(census, "ec2:elastic-ip", name_tag(address.tags()));
    }
    for nat in &listing.nats {
        let name = name_tag(nat.tags());
        target_names.insert(
            nat.nat_gateway_id().unwrap_or_default().to_string(),
            name.clone(),
        );
        push(census, "ec2:nat-gateway", name);
    }
    let group_names: HashMap<String, String> = listing
        .groups
        .iter()
        .map(|group| {
            (
                group.group_id().unwrap_or_default().to_string(),
                name_tag(group.tags()),
            )
        })
        .collect();
    for table in &listing.tables {
        let name = name_tag(table.tags());
        let mut routes: Vec<String> = table
            .routes()
            .iter()
            .filter(|route| route.gateway_id() != Some("local"))
            .map(|route| {
                let target = route.nat_gateway_id().or(route.gateway_id()).unwrap_or("?");
                format!(
                    "{}→{}",
                    route.destination_cidr_block().unwrap_or("?"),
                    target_names.get(target).map_or(target, String::as_str)
                )
            })
            .collect();
        routes.sort();
        push(
            census,
            "ec2:route-table",
            format!("{name} routes=[{}]", routes.join(",")),
        );
        for association in table.associations() {
            if association.main().unwrap_or(false) {
                continue;
            }
            let subnet = association.subnet_id().unwrap_or("?");
            push(
                census,
                "ec2:route-table-association",
                format!(
                    "{}→{name}",
                    subnet_names.get(subnet).map_or(subnet, String::as_str)
                ),
            );
        }
    }
    let ec2 = emulator.ec2().await;
    let group_ids: Vec<String> = group_names.keys().cloned().collect();
    let rules = if group_ids.is_empty() {
        Vec::new()
    } else {
        ec2.describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .set_values(Some(group_ids))
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .security_group_rules()
            .to_vec()
    };
    for (id, name) in &group_names {
        let mut lines: Vec<String> = rules
            .iter()
            .filter(|rule| rule.group_id() == Some(id.as_str()))
            .map(|rule| {
                let peer = rule
                    .cidr_ipv4()
                    .map(str::to_string)
                    .or_else(|| {
                        rule.referenced_group_info()
                            .and_then(|group| group.group_id())
                            .map(|peer| group_names.get(peer).cloned().unwrap_or(peer.to_string()))
                    })
                    .unwrap_or_else(|| "?".into());
                format!(
                    "{} {} {}-{} {peer}",
                    if rule.is_egress().unwrap_or(false) {
                        "egress"
                    } else {
                        "ingress"
                    },
                    rule.ip_protocol().unwrap_or("?"),
                    rule.from_port().unwrap_or(-1),
                    rule.to_port().unwrap_or(-1),
                )
            })
            .collect();
        lines.sort();
        push(
            census,
            "ec2:security-group",
            format!("{name} rules=[{}]", lines.join(", ")),
        );
    }
}

async fn elb_census(emulator: &Emulator, prefix: &str, census: &mut Census) {
    let elb = emulator.elb().await;
    let balancers = elb.describe_load_balancers().send().await.unwrap();
    for balancer in balancers.load_balancers() {
        let name = balancer.load_balancer_name().unwrap_or_default();
        if !name.starts_with(prefix) {
            continue;
        }
        push(census, "elbv2:load-balancer", name.to_string());
        let listeners = elb
            .describe_listeners()
            .load_balancer_arn(balancer.load_balancer_arn().unwrap_or_default())
            .send()
            .await
            .unwrap();
        for listener in listeners.listeners() {
            let port = listener.port().unwrap_or_default();
            push(census, "elbv2:listener", format!("{name}:{port}"));
            let rules = elb
                .describe_rules()
                .listener_arn(listener.listener_arn().unwrap_or_default())
                .send()
                .await
                .unwrap();
            for rule in rules.rules() {
                if rule.is_default().unwrap_or(false) {
                    continue;
                }
                push(
                    census,
                    "elbv2:listener-rule",
                    format!("{name}:{port}:{}", rule.priority().unwrap_or("?")),
                );
            }
        }
    }
    let groups = elb.describe_target_groups().send().await.unwrap();
    for group in groups.target_groups() {
        let name = group.target_group_name().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "elbv2:target-group", name.to_string());
        }
    }
}

async fn data_census(
    emulator: &Emulator,
    stack: &str,
    env: &str,
    prefix: &str,
    census: &mut Census,
) {
    let secrets = emulator.secretsmanager().await;
    let listed = secrets.list_secrets().send().await.unwrap();
    let secret_prefix = format!("{stack}/{env}/");
    for secret in listed.secret_list() {
        let name = secret.name().unwrap_or_default();
        if name.starts_with(&secret_prefix) || name.starts_with(prefix) {
            push(census, "secretsmanager:secret", name.to_string());
        }
    }
    let rds = emulator.rds().await;
    for instance in rds
        .describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
    {
        let name = instance.db_instance_identifier().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "rds:db-instance", name.to_string());
        }
    }
    for group in rds
        .describe_db_subnet_groups()
        .send()
        .await
        .unwrap()
        .db_subnet_groups()
    {
        let name = group.db_subnet_group_name().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "rds:db-subnet-group", name.to_string());
        }
    }
    let parameter_groups = rds.describe_db_parameter_groups().send().await.unwrap();
    for group in parameter_groups.db_parameter_groups() {
        let name = group.db_parameter_group_name().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "rds:db-parameter-group", name.to_string());
        }
    }
    // RDS Proxy: each proxy, and each of its targets as `PROXY -> INSTANCE`.
    for proxy in rds.describe_db_proxies().send().await.unwrap().db_proxies() {
        let name = proxy.db_proxy_name().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "rds:db-proxy", name.to_string());
            let targets = rds
                .describe_db_proxy_targets()
                .db_proxy_name(name)
                .send()
                .await
                .unwrap();
            for target in targets.targets() {
                let instance = target.rds_resource_id().unwrap_or_default();
                push(
                    census,
                    "rds:db-proxy-target",
                    format!("{name} -> {instance}"),
                );
            }
        }
    }
    let elasticache = emulator.elasticache().await;
    let groups = elasticache
        .describe_replication_groups()
        .send()
        .await
        .unwrap();
    for group in groups.replication_groups() {
        let name = group.replication_group_id().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "elasticache:replication-group", name.to_string());
        }
    }
    let subnet_groups = elasticache
        .describe_cache_subnet_groups()
        .send()
        .await
        .unwrap();
    for group in subnet_groups.cache_subnet_groups() {
        let name = group.cache_subnet_group_name().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "elasticache:subnet-group", name.to_string());
        }
    }
}

async fn app_census(emulator: &Emulator, prefix: &str, census: &mut Census) {
    let iam = emulator.iam().await;
    for role in iam.list_roles().send().await.unwrap().roles() {
        let name = role.role_name();
        if !name.starts_with(prefix) {
            continue;
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .unwrap();
        let inline = iam
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .unwrap();
        let mut policies: Vec<String> = attached
            .attached_policies()
            .iter()
            .filter_map(|policy| policy.policy_name().map(str::to_string))
            .chain(
                inline
                    .policy_names()
                    .iter()
                    .map(|name| format!("inline:{name}")),
            )
            .collect();
        policies.sort();
        push(
            census,
            "iam:role",
            format!("{name} policies=[{}]", policies.join(",")),
        );
    }
    let logs = emulator.logs().await;
    let groups = logs.describe_log_groups().send().await.unwrap();
    for group in groups.log_groups() {
        let name = group.log_group_name().unwrap_or_default();
        if name.contains(prefix) {
            push(census, "logs:log-group", name.to_string());
        }
    }
    let ecr = emulator.ecr().await;
    for repository in ecr
        .describe_repositories()
        .send()
        .await
        .unwrap()
        .repositories()
    {
        let name = repository.repository_name().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "ecr:repository", name.to_string());
        }
    }
    let sns = emulator.sns().await;
    for topic in sns.list_topics().send().await.unwrap().topics() {
        let arn = topic.topic_arn().unwrap_or_default();
        let name = arn.rsplit(':').next().unwrap_or_default();
        if name.starts_with(prefix) {
            let subscriptions = sns
                .list_subscriptions_by_topic()
                .topic_arn(arn)
                .send()
                .await
                .unwrap();
            push(
                census,
                "sns:topic",
                format!(
                    "{name} subscriptions={}",
                    subscriptions.subscriptions().len()
                ),
            );
        }
    }
    let cloudwatch = emulator.cloudwatch().await;
    let alarms = cloudwatch.describe_alarms().send().await.unwrap();
    for alarm in alarms.metric_alarms() {
        let name = alarm.alarm_name().unwrap_or_default();
        if name.starts_with(prefix) {
            push(census, "cloudwatch:alarm", name.to_string());
        }
    }
    let ecs = emulator.ecs().await;
    for cluster_arn in ecs.list_clusters().send().await.unwrap().cluster_arns() {
        let cluster = cluster_arn.rsplit('/').next().unwrap_or_default();
        if cluster != prefix {
            continue;
        }
        // A deleted cluster stays, INACTIVE, for a while (moto: for good): it is gone.
        let described = ecs
            .describe_clusters()
            .clusters(cluster_arn)
            .send()
            .await
            .unwrap();
        if described
            .clusters()
            .iter()
            .all(|c| c.status() == Some("INACTIVE"))
        {
            continue;
        }
        push(census, "ecs:cluster", cluster.to_string());
        let services = ecs
            .list_services()
            .cluster(cluster_arn)
            .send()
            .await
            .unwrap();
        for service in services.service_arns() {
            push(
                census,
                "ecs:service",
                service.rsplit('/').next().unwrap_or_default().to_string(),
            );
        }
    }
    let families = ecs
        .list_task_definitions()
        .family_prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut revisions: BTreeMap<String, usize> = BTreeMap::new();
    for arn in families.task_definition_arns() {
        let family = arn
            .rsplit('/')
            .next()
            .and_then(|last| last.rsplit_once(':'))
            .map(|(family, _)| family.to_string())
            .unwrap_or_default();
        *revisions.entry(family).or_default() += 1;
    }
    for (family, count) in revisions {
        push(
            census,
            "ecs:task-definition",
            format!("{family} revisions={count}"),
        );
    }
    let autoscaling = emulator.autoscaling().await;
    let targets = autoscaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    for target in targets.scalable_targets() {
        let id = target.resource_id();
        if id.contains(prefix) {
            push(
                census,
                "application-autoscaling:scalable-target",
                id.to_string(),
            );
        }
    }
    let policies = autoscaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    for policy in policies.scaling_policies() {
        if policy.resource_id().contains(prefix) {
            push(
                census,
                "application-autoscaling:scaling-policy",
                policy.policy_name().to_string(),
            );
        }
    }
}

/// The environment's buckets (with their tag count: a bucket made twice cannot show, S3 names
/// are unique, but one left untagged does) and trails.
async fn storage_census(emulator: &Emulator, prefix: &str, census: &mut Census) {
    let s3 = emulator.s3().await;
    let buckets = s3.list_buckets().send().await.unwrap();
    for bucket in buckets.buckets() {
        let name = bucket.name().unwrap_or_default();
        if !name.starts_with(&format!("{prefix}-")) {
            continue;
        }
        let tags = match s3.get_bucket_tagging().bucket(name).send().await {
            Ok(out) => out.tag_set().len(),
            Err(_) => 0,
        };
        push(census, "s3:bucket", format!("{name} tags={tags}"));
    }
    let trails = emulator
        .cloudtrail()
        .await
        .describe_trails()
        .send()
        .await
        .unwrap();
    for trail in trails.trail_list() {
        let name = trail.name().unwrap_or_default();
        if name.starts_with(&format!("{prefix}-")) {
            push(census, "cloudtrail:trail", name.to_string());
        }
    }
}

/// The environment's user pools (by name, with their settings) and each pool's app clients.
async fn cognito_census(emulator: &Emulator, prefix: &str, census: &mut Census) {
    let cognito = emulator.cognito().await;
    let pools = cognito
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .unwrap();
    for pool in pools.user_pools() {
        let name = pool.name().unwrap_or_default();
        if !name.starts_with(prefix) {
            continue;
        }
        let id = pool.id().unwrap_or_default();
        let described = cognito
            .describe_user_pool()
            .user_pool_id(id)
            .send()
            .await
            .unwrap();
        let described = described.user_pool().unwrap();
        let length = (described.policies())
            .and_then(|p| p.password_policy())
            .and_then(|p| p.minimum_length());
        let protection = described
            .deletion_protection()
            .map(|p| p.as_str().to_string());
        push(
            census,
            "cognito:user-pool",
            format!("{name} min_length={length:?} deletion_protection={protection:?}"),
        );
        let clients = cognito
            .list_user_pool_clients()
            .user_pool_id(id)
            .send()
            .await
            .unwrap();
        for client in clients.user_pool_clients() {
            push(
                census,
                "cognito:user-pool-client",
                format!("{name}/{}", client.client_name().unwrap_or_default()),
            );
        }
    }
}

/// The environment's VPC flow logs, by their tags (the VPC and group they deliver from and to).
async fn flow_log_census(emulator: &Emulator, env: &str, census: &mut Census) {
    let ec2 = emulator.ec2().await;
    let flow_logs = ec2
        .describe_flow_logs()
        .filter(env_filter(env))
        .send()
        .await
        .unwrap();
    for flow_log in flow_logs.flow_logs() {
        push(
            census,
            "ec2:flow-log",
            format!(
                "{} traffic={} group={}",
                name_tag(flow_log.tags()),
                flow_log
                    .traffic_type()
                    .map(|t| t.as_str())
                    .unwrap_or_default(),
                flow_log.log_group_name().unwrap_or_default()
            ),
        );
    }
}

/// The environment's web ACLs of both scopes (by name and scope) and which web ACL each of its
/// load balancers has.
async fn waf_census(emulator: &Emulator, prefix: &str, census: &mut Census) {
    use aws_sdk_wafv2::types::Scope;
    let waf = emulator.wafv2().await;
    for scope in [Scope::Regional, Scope::Cloudfront] {
        let listed = waf
            .list_web_acls()
            .scope(scope.clone())
            .limit(100)
            .send()
            .await
            .unwrap();
        for acl in listed.web_acls() {
            let name = acl.name().unwrap_or_default();
            if name.starts_with(prefix) {
                push(
                    census,
                    "wafv2:web-acl",
                    format!("{name} {}", scope.as_str()),
                );
            }
        }
    }
    let balancers = emulator
        .elb()
        .await
        .describe_load_balancers()
        .send()
        .await
        .unwrap();
    for balancer in balancers.load_balancers() {
        let name = balancer.load_balancer_name().unwrap_or_default();
        if !name.starts_with(prefix) {
            continue;
        }
        let found = waf
            .get_web_acl_for_resource()
            .resource_arn(balancer.load_balancer_arn().unwrap_or_default())
            .send()
            .await
            .unwrap();
        if let Some(acl) = found.web_acl() {
            push(
                census,
                "wafv2:web-acl-association",
                format!("{name} -> {}", acl.name()),
            );
        }
    }
}

/// Lines that appear more than once: duplicate resources.
pub fn duplicates(census: &Census) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, lines) in census {
        for pair in lines.windows(2) {
            if pair[0] == pair[1] {
                out.push(format!("{kind}: {}", pair[0]));
            }
        }
    }
    out
}
