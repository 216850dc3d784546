//! A load balancer listener: HTTP :80 (forwarding to the UI, or redirecting to HTTPS when the
//! environment has a certificate) and HTTPS :443 with the certificate and a TLS 1.2+ policy.
//!
//! A listener has no name: it is found among its load balancer's listeners by port (the port
//! is its identity, so it is never "changed"). Compared: protocol, certificate, TLS policy
//! (HTTPS only) and the default action, all changed in place by one `ModifyListener`.
//! Actions are compared by what they do (`forward to <arn>`, `redirect to HTTPS:443 (301)`),
//! so the extra fields AWS fills in (weights, `#{host}` defaults) are not differences.

use super::load_balancer::{compare_reported, elb_tags};
use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum,
};

/// TLS 1.2 and 1.3 only: AWS's recommended policy.
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const NO_CERTIFICATE: &str = "(none)";

/// What a listener does with a request no rule matches.
#[derive(Debug, Clone)]
pub enum ListenerAction {
    /// Forward to a target group (its `arn` output).
    Forward(Ref),
    /// `301` to the same URL over HTTPS on 443.
    RedirectToHttps,
}

#[derive(Debug, Clone)]
pub struct ListenerSpec {
    /// The load balancer's `arn`.
    pub load_balancer: Ref,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// Required for HTTPS.
    pub certificate_arn: Option<String>,
    pub default_action: ListenerAction,
}

#[derive(Debug, Clone)]
pub struct ListenerLive {
    pub arn: String,
    pub load_balancer_arn: String,
    pub port: i32,
    pub protocol: String,
    /// The default certificate, if any.
    pub certificate_arn: Option<String>,
    /// Empty when not reported.
    pub ssl_policy: String,
    /// [`action_summary`] of the default actions.
    pub default_action: String,
}

pub struct Listener;

/// What one action does, in words that compare equal however AWS spells the details.
pub fn action_summary(action: &Action) -> String {
    match action.r#type() {
        Some(ActionTypeEnum::Forward) => {
            let mut arns: Vec<&str> = action
                .forward_config()
                .map(|config| {
                    config
                        .target_groups()
                        .iter()
                        .filter_map(|group| group.target_group_arn())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(arn) = action.target_group_arn() {
                arns.push(arn);
            }
            arns.sort_unstable();
            arns.dedup();
            format!("forward to {}", arns.join(","))
        }
        Some(ActionTypeEnum::Redirect) => {
            let config = action.redirect_config();
            format!(
                "redirect to {}:{} ({})",
                config.and_then(|c| c.protocol()).unwrap_or("#{protocol}"),
                config.and_then(|c| c.port()).unwrap_or("#{port}"),
                config
                    .and_then(|c| c.status_code())
                    .map(|code| code.as_str())
                    .unwrap_or_default()
            )
        }
        Some(other) => other.as_str().to_string(),
        None => "(none)".to_string(),
    }
}

/// [`action_summary`] of a list of actions (a rule's or a listener's).
pub fn actions_summary(actions: &[Action]) -> String {
    let mut actions: Vec<&Action> = actions.iter().collect();
    actions.sort_by_key(|action| action.order().unwrap_or(i32::MAX));
    actions
        .iter()
        .map(|action| action_summary(action))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The SDK action for a desired action.
pub fn action_of(action: &ListenerAction, resolver: &Resolver) -> Action {
    match action {
        ListenerAction::Forward(target_group) => Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(resolver.get(target_group))
            .build(),
        ListenerAction::RedirectToHttps => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build(),
    }
}

fn desired_action(spec: &ListenerSpec, resolver: &Resolver) -> String {
    action_summary(&action_of(&spec.default_action, resolver))
}

fn is_https(protocol: &str) -> bool {
    protocol.eq_ignore_ascii_case("HTTPS")
}

fn live_of(listener: &aws_sdk_elasticloadbalancingv2::types::Listener) -> ListenerLive {
    let certificates = listener.certificates();
    let certificate_arn = certificates
        .iter()
        .find(|certificate| certificate.is_default() == Some(true))
        .or(certificates.first())
        .and_then(|certificate| certificate.certificate_arn())
        .map(str::to_string);
    ListenerLive {
        arn: listener.listener_arn().unwrap_or_default().to_string(),
        load_balancer_arn: listener.load_balancer_arn().unwrap_or_default().to_string(),
        port: listener.port().unwrap_or_default(),
        protocol: listener
            .protocol()
            .map(|protocol| protocol.as_str().to_string())
            .unwrap_or_default(),
        certificate_arn,
        ssl_policy: listener.ssl_policy().unwrap_or_default().to_string(),
        default_action: actions_summary(listener.default_actions()),
    }
}

impl Kind for Listener {
    const KIND: &'static str = "elbv2:listener";
    type Spec = ListenerSpec;
    type Live = ListenerLive;

    fn refs(spec: &ListenerSpec) -> Vec<Ref> {
        let mut refs = vec![spec.load_balancer.clone()];
        if let ListenerAction::Forward(target_group) = &spec.default_action {
            refs.push(target_group.clone());
        }
        refs
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerSpec,
        recorded: Option<&str>,
        resolver: &Resolver,
    ) -> Result<Option<ListenerLive>, AwsError> {
        // No load balancer yet: no listener either.
        let Some(load_balancer_arn) = resolver.known(&spec.load_balancer) else {
            return Ok(None);
        };
        let mut listeners = Vec::new();
        let mut pages = ctx
            .aws
            .elb
            .describe_listeners()
            .load_balancer_arn(&load_balancer_arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page.op("DescribeListeners") {
                Ok(page) => listeners.extend(page.listeners.unwrap_or_default()),
                Err(err) if err.is_not_found() => return Ok(None),
                Err(err) => return Err(err),
            }
        }
        let found = recorded
            .and_then(|arn| {
                listeners
                    .iter()
                    .find(|listener| listener.listener_arn() == Some(arn))
            })
            .or_else(|| {
                listeners
                    .iter()
                    .find(|listener| listener.port() == Some(spec.port))
            });
        Ok(found.map(live_of))
    }

    fn diff(spec: &ListenerSpec, live: &ListenerLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare_reported(
            &mut changes,
            "protocol",
            &live.protocol,
            &spec.protocol.to_ascii_uppercase(),
            false,
        );
        super::compare(
            &mut changes,
            "certificate_arn",
            live.certificate_arn.as_deref().unwrap_or(NO_CERTIFICATE),
            desired_certificate(spec).unwrap_or(NO_CERTIFICATE),
            false,
        );
        // AWS keeps (and reports) a policy on HTTP listeners too; it only matters for HTTPS.
        if is_https(&spec.protocol) && is_https(&live.protocol) {
            compare_reported(
                &mut changes,
                "ssl_policy",
                &live.ssl_policy,
                SSL_POLICY,
                false,
            );
        }
        super::compare(
            &mut changes,
            "default_action",
            &live.default_action,
            &desired_action(spec, resolver),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &ListenerSpec,
        resolver: &Resolver,
    ) -> Result<ListenerLive, AwsError> {
        let https = is_https(&spec.protocol);
        let output = ctx
            .aws
            .elb
            .create_listener()
            .load_balancer_arn(resolver.get(&spec.load_balancer))
            .port(spec.port)
            .protocol(ProtocolEnum::from(
                spec.protocol.to_ascii_uppercase().as_str(),
            ))
            .set_ssl_policy(https.then(|| SSL_POLICY.to_string()))
            .set_certificates(certificates(spec))
            .default_actions(action_of(&spec.default_action, resolver))
            .set_tags(Some(elb_tags(who)))
            .send()
            .await
            .op("CreateListener")?;
        output
            .listeners()
            .first()
            .map(live_of)
            .ok_or_else(|| AwsError::other("CreateListener", "AWS returned no listener"))
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerSpec,
        live: &ListenerLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<ListenerLive, AwsError> {
        let https = is_https(&spec.protocol);
        let output = ctx
            .aws
            .elb
            .modify_listener()
            .listener_arn(&live.arn)
            .protocol(ProtocolEnum::from(
                spec.protocol.to_ascii_uppercase().as_str(),
            ))
            .set_ssl_policy(https.then(|| SSL_POLICY.to_string()))
            .set_certificates(certificates(spec))
            .default_actions(action_of(&spec.default_action, resolver))
            .send()
            .await
            .op("ModifyListener")?;
        Ok(output
            .listeners()
            .first()
            .map(live_of)
            .unwrap_or_else(|| live.clone()))
    }

    fn physical_id(live: &ListenerLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &ListenerLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("port".into(), live.port.to_string()),
        ])
    }

    fn status(live: &ListenerLive) -> String {
        format!("{} :{} → {}", live.protocol, live.port, live.default_action)
    }
}

/// The certificate an HTTPS listener should have (an HTTP listener has none).
fn desired_certificate(spec: &ListenerSpec) -> Option<&str> {
    spec.certificate_arn
        .as_deref()
        .filter(|_| is_https(&spec.protocol))
}

fn certificates(spec: &ListenerSpec) -> Option<Vec<Certificate>> {
    desired_certificate(spec).map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

#[cfg(test)]
mod tests {
    use super::super::scalable_target::emulator;
    use super::super::target_group::{TargetGroup, TargetGroupSpec};
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::{ForwardActionConfig, TargetGroupTuple};

    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/ui/1";

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        emulator::set(&resolver, "lb", &[("arn", "arn:lb")]);
        emulator::set(&resolver, "tg-ui", &[("arn", TG)]);
        resolver
    }

    fn spec(protocol: &str, action: ListenerAction) -> ListenerSpec {
        ListenerSpec {
            load_balancer: Ref::new("lb", "arn"),
            port: 80,
            protocol: protocol.into(),
            certificate_arn: is_https(protocol).then(|| "arn:cert".to_string()),
            default_action: action,
        }
    }

    fn live(protocol: &str, action: &str) -> ListenerLive {
        ListenerLive {
            arn: "arn:listener".into(),
            load_balancer_arn: "arn:lb".into(),
            port: 80,
            protocol: protocol.into(),
            certificate_arn: is_https(protocol).then(|| "arn:cert".to_string()),
            ssl_policy: SSL_POLICY.into(),
            default_action: action.into(),
        }
    }

    #[test]
    fn forward_is_the_same_however_aws_spells_it() {
        let plain = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(TG)
            .build();
        let weighted = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(TG)
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(
                        TargetGroupTuple::builder()
                            .target_group_arn(TG)
                            .weight(1)
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(action_summary(&plain), action_summary(&weighted));
        assert_eq!(action_summary(&plain), format!("forward to {TG}"));
        let redirect = action_of(&ListenerAction::RedirectToHttps, &resolver());
        assert_eq!(
            action_summary(&redirect),
            "redirect to HTTPS:443 (HTTP_301)"
        );
    }

    #[test]
    fn converged_listener_has_no_diff() {
        let resolver = resolver();
        let http = spec("HTTP", ListenerAction::Forward(Ref::new("tg-ui", "arn")));
        let mut converged = live("HTTP", &format!("forward to {TG}"));
        converged.ssl_policy = "ELBSecurityPolicy-2016-08".into();
        assert_eq!(Listener::diff(&http, &converged, &resolver), vec![]);
        let https = spec("HTTPS", ListenerAction::Forward(Ref::new("tg-ui", "arn")));
        let converged = live("HTTPS", &format!("forward to {TG}"));
        assert_eq!(Listener::diff(&https, &converged, &resolver), vec![]);
    }

    #[test]
    fn action_certificate_and_policy_are_compared() {
        let resolver = resolver();
        let https = spec("HTTPS", ListenerAction::RedirectToHttps);
        let mut old = live("HTTPS", &format!("forward to {TG}"));
        old.certificate_arn = Some("arn:old".into());
        old.ssl_policy = "ELBSecurityPolicy-2016-08".into();
        let fields: Vec<String> = Listener::diff(&https, &old, &resolver)
            .into_iter()
            .map(|change| change.field)
            .collect();
        assert_eq!(fields, ["certificate_arn", "ssl_policy", "default_action"]);
    }

    #[tokio::test]
    #[ignore]
    async fn emulator_create_converge_update() {
        use super::super::load_balancer::{LoadBalancer, LoadBalancerSpec};
        let aws = emulator::clients().await;
        let inventory = emulator::inventory(&aws);
        let ctx = emulator::ctx(&aws, &inventory);
        let (vpc, subnets, group) = emulator::network(&aws).await;
        let resolver = Resolver::default();
        emulator::set(&resolver, "vpc", &[("vpc_id", &vpc)]);
        emulator::set(&resolver, "a", &[("subnet_id", &subnets[0])]);
        emulator::set(&resolver, "b", &[("subnet_id", &subnets[1])]);
        emulator::set(&resolver, "sg", &[("group_id", &group)]);
        let lb_spec = LoadBalancerSpec {
            name: emulator::unique("lb"),
            subnets: vec![Ref::new("a", "subnet_id"), Ref::new("b", "subnet_id")],
            security_groups: vec![Ref::new("sg", "group_id")],
        };
        let lb = LoadBalancer::create(&ctx, &emulator::who("lb"), &lb_spec, &resolver)
            .await
            .unwrap();
        emulator::set(&resolver, "lb", &[("arn", &lb.arn)]);
        let tg_spec = TargetGroupSpec {
            name: emulator::unique("ui"),
            vpc: Ref::new("vpc", "vpc_id"),
            port: 3000,
            health_check_path: "/".into(),
            deregistration_delay_seconds: 30,
        };
        let tg = TargetGroup::create(&ctx, &emulator::who("tg-ui"), &tg_spec, &resolver)
            .await
            .unwrap();
        emulator::set(&resolver, "tg-ui", &[("arn", &tg.arn)]);

        let who = emulator::who("listener-http");
        let mut spec = spec("HTTP", ListenerAction::Forward(Ref::new("tg-ui", "arn")));
        assert!(Listener::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = Listener::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(Listener::diff(&spec, &created, &resolver), vec![]);

        let before = emulator::writes(&aws);
        let found = Listener::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.arn, created.arn);
        assert_eq!(Listener::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(emulator::writes(&aws), before);

        spec.default_action = ListenerAction::RedirectToHttps;
        let changes = Listener::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "default_action");
        Listener::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let after = Listener::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.default_action, "redirect to HTTPS:443 (HTTP_301)");
        assert_eq!(Listener::diff(&spec, &after, &resolver), vec![]);
    }

    #[tokio::test]
    #[ignore]
    async fn emulator_https_certificate_change() {
        use super::super::load_balancer::{LoadBalancer, LoadBalancerSpec};
        let aws = emulator::clients().await;
        let inventory = emulator::inventory(&aws);
        let ctx = emulator::ctx(&aws, &inventory);
        let (_, subnets, group) = emulator::network(&aws).await;
        let resolver = Resolver::default();
        emulator::set(&resolver, "a", &[("subnet_id", &subnets[0])]);
        emulator::set(&resolver, "b", &[("subnet_id", &subnets[1])]);
        emulator::set(&resolver, "sg", &[("group_id", &group)]);
        let lb_spec = LoadBalancerSpec {
            name: emulator::unique("lb"),
            subnets: vec![Ref::new("a", "subnet_id"), Ref::new("b", "subnet_id")],
            security_groups: vec![Ref::new("sg", "group_id")],
        };
        let lb = LoadBalancer::create(&ctx, &emulator::who("lb"), &lb_spec, &resolver)
            .await
            .unwrap();
        emulator::set(&resolver, "lb", &[("arn", &lb.arn)]);
        let mut certificates = Vec::new();
        for name in ["one", "two"] {
            let uploaded = aws
                .iam
                .upload_server_certificate()
                .server_certificate_name(emulator::unique(name))
                .certificate_body("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
                .private_key("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----")
                .send()
                .await
                .unwrap();
            certificates.push(
                uploaded
                    .server_certificate_metadata()
                    .unwrap()
                    .arn()
                    .to_string(),
            );
        }
        let who = emulator::who("listener-https");
        let mut spec = ListenerSpec {
            load_balancer: Ref::new("lb", "arn"),
            port: 443,
            protocol: "HTTPS".into(),
            certificate_arn: Some(certificates[0].clone()),
            default_action: ListenerAction::RedirectToHttps,
        };
        let created = Listener::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(Listener::diff(&spec, &created, &resolver), vec![]);
        let found = Listener::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.ssl_policy, SSL_POLICY);
        assert_eq!(Listener::diff(&spec, &found, &resolver), vec![]);
        spec.certificate_arn = Some(certificates[1].clone());
        let changes = Listener::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "certificate_arn");
        Listener::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let after = Listener::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(Listener::diff(&spec, &after, &resolver), vec![]);
    }
}
