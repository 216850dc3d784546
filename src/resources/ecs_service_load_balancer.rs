//! How an ECS service's load balancer is compared and sent: the target groups as a set (a
//! blue/green pair in either order), and, for blue/green, sent in the orientation ECS has now,
//! so `up` never moves production traffic itself.

use super::{sorted, EcsServiceLive, EcsServiceSpec, Strategy};
use crate::resources::Resolver;
use aws_sdk_ecs::types::{AdvancedConfiguration, LoadBalancer};

/// `a,b → container:port`: the target groups (sorted: which of a blue/green pair is
/// production is ECS's business) and where they send traffic.
fn load_balancer_text(mut target_groups: Vec<String>, container: &str, port: i32) -> String {
    target_groups.sort();
    format!("{} → {container}:{port}", target_groups.join(","))
}

pub(super) fn desired_load_balancers(spec: &EcsServiceSpec, resolver: &Resolver) -> String {
    let mut target_groups = vec![resolver.get(&spec.target_group)];
    if let Strategy::BlueGreen {
        alternate_target_group,
        ..
    } = &spec.strategy
    {
        target_groups.push(resolver.get(alternate_target_group));
    }
    load_balancer_text(target_groups, &spec.container_name, spec.container_port)
}

pub(super) fn live_load_balancers(live: &EcsServiceLive) -> String {
    let texts: Vec<String> = live
        .load_balancers
        .iter()
        .map(|lb| {
            let mut target_groups = vec![lb.target_group_arn.clone()];
            target_groups.extend(
                lb.advanced
                    .as_ref()
                    .and_then(|advanced| advanced.alternate_target_group_arn.clone()),
            );
            load_balancer_text(target_groups, &lb.container_name, lb.container_port)
        })
        .collect();
    sorted(texts).join("; ")
}

/// The load balancer to send. For blue/green, in the orientation ECS has now when the live
/// pair is the desired one (after a deployment the alternate target group is production, and
/// sending the pair the other way round would move traffic back to the old one).
pub(super) fn load_balancer(
    spec: &EcsServiceSpec,
    resolver: &Resolver,
    live: Option<&EcsServiceLive>,
) -> LoadBalancer {
    let primary = resolver.get(&spec.target_group);
    let builder = LoadBalancer::builder()
        .container_name(&spec.container_name)
        .container_port(spec.container_port);
    match &spec.strategy {
        Strategy::Rolling => builder.target_group_arn(primary).build(),
        Strategy::BlueGreen {
            alternate_target_group,
            production_listener_rule,
            role,
            ..
        } => {
            let alternate = resolver.get(alternate_target_group);
            let swapped = live
                .and_then(|live| live.load_balancers.first())
                .is_some_and(|lb| {
                    lb.target_group_arn == alternate
                        && lb
                            .advanced
                            .as_ref()
                            .and_then(|advanced| advanced.alternate_target_group_arn.as_deref())
                            == Some(primary.as_str())
                });
            let (production, alternate) = if swapped {
                (alternate, primary)
            } else {
                (primary, alternate)
            };
            builder
                .target_group_arn(production)
                .advanced_configuration(
                    AdvancedConfiguration::builder()
                        .alternate_target_group_arn(alternate)
                        .production_listener_rule(resolver.get(production_listener_rule))
                        .role_arn(resolver.get(role))
                        .build(),
                )
                .build()
        }
    }
}
