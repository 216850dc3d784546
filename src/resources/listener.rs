//! A load balancer listener: HTTP :80 (forwarding to the UI, or redirecting to HTTPS when the
//! environment has a certificate) and HTTPS :443 with the certificate and a TLS 1.2+ policy.
//!
//! A listener has no name: it is a child of its load balancer, identified by its port (one
//! listener per port, so a repeated create answers DuplicateListener or returns the same
//! listener). It is always looked for among the desired load balancer's listeners, by ARN or
//! by port, so a listener of another load balancer is never taken for it. Created with the
//! identity tags: ELBv2 listeners carry tags (AWS and the emulator report them through
//! `DescribeTags`), so ownership is checked on the listener itself.
//!
//! While planning, a listener comes from the environment's listing: one `DescribeListeners`
//! per load balancer the environment declares, and the tags of all listeners and rules in one
//! `DescribeTags` (20 ARNs a call; see `elb_listing`). A load balancer the listing does not
//! cover, a recorded ARN the listing lacks, and any read right after a change are read
//! directly (`DescribeListeners` of the load balancer, then `DescribeTags`).
//!
//! Compared: port (when found by ARN), protocol, certificate, TLS policy (HTTPS only) and the
//! default action, all changed in place by one `ModifyListener` that sends the whole desired
//! configuration (harmless to repeat). Actions are compared by what they do (`forward to
//! <arn>`, `redirect to HTTPS:443 (301)`), so the extra fields AWS fills in (weights, `#{host}`
//! defaults) are not differences.

use super::elb_listing;
use super::load_balancer::compare_reported;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags, Value,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, Listener as ElbListener, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum,
};

/// TLS 1.2 and 1.3 only: AWS's recommended policy.
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const NO_CERTIFICATE: &str = "(none)";

/// What a listener does with a request no rule matches.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum ListenerAction {
    /// Forward to a target group (its `arn` output).
    Forward(Ref),
    /// `301` to the same URL over HTTPS on 443.
    RedirectToHttps,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ListenerSpec {
    /// The load balancer's `arn`.
    pub load_balancer: Ref,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// Required for HTTPS: `integrations.certificate_arn`, or the validation of the
    /// certificate macroctl requests (a `Ref`: the listener waits until ACM issued it). A
    /// plain string in older state reads back as a literal.
    pub certificate_arn: Option<Value>,
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
    pub tags: Tags,
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

fn live_of(listener: &ElbListener, tags: Tags) -> ListenerLive {
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
        tags,
    }
}

/// The listener with its tags; `None` when it was deleted since it was described.
async fn with_tags(
    ctx: &Ctx<'_>,
    listener: &ElbListener,
) -> Result<Option<ListenerLive>, AwsError> {
    let arn = listener.listener_arn().unwrap_or_default();
    let tags = elb_listing::tags_of(ctx, arn, elb_listing::Tagged::Child).await?;
    Ok(tags.map(|tags| live_of(listener, tags)))
}

impl Kind for Listener {
    const KIND: &'static str = "elbv2:listener";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // One listener per port: a repeat with the same settings returns the existing listener,
    // one with other settings answers DuplicateListener.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "port"];
    type Spec = ListenerSpec;
    type Live = ListenerLive;

    fn refs(spec: &ListenerSpec) -> Vec<Ref> {
        let mut refs = vec![spec.load_balancer.clone()];
        refs.extend(spec.certificate_arn.as_ref().and_then(Value::reference));
        if let ListenerAction::Forward(target_group) = &spec.default_action {
            refs.push(target_group.clone());
        }
        refs
    }

    /// Among the desired load balancer's listeners: by ARN, or by port. A recorded listener
    /// that is not on that load balancer (it was replaced) is not this one. While planning
    /// from the environment's listing (see the module docs), else `DescribeListeners`.
    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<ListenerLive>, AwsError> {
        // No load balancer yet: no listener either.
        let Some(load_balancer_arn) = resolver.known(&spec.load_balancer) else {
            return Ok(None);
        };
        let wanted = |listener: &&ElbListener| match lookup {
            Lookup::Id(arn) => listener.listener_arn() == Some(arn),
            Lookup::Identity => listener.port() == Some(spec.port),
        };
        if ctx.cached {
            let listed = elb_listing::listeners(ctx).await?;
            if let Some(listeners) = elb_listing::children_of(&listed, &load_balancer_arn) {
                match listeners.iter().find(wanted) {
                    Some(listener) => return with_tags(ctx, listener).await,
                    // The load balancer's listeners were listed: none is on this port.
                    None if lookup == Lookup::Identity => return Ok(None),
                    // A recorded one that is not there: a direct read tells.
                    None => {}
                }
            }
        }
        let Some(listeners) = elb_listing::listeners_of(ctx, &load_balancer_arn).await? else {
            return Ok(None);
        };
        match listeners.iter().find(wanted) {
            Some(listener) => with_tags(ctx, listener).await,
            None => Ok(None),
        }
    }

    fn diff(spec: &ListenerSpec, live: &ListenerLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        // Only a listener found by ARN can differ: found by identity, it is on this port.
        super::compare(
            &mut changes,
            "port",
            &live.port.to_string(),
            &spec.port.to_string(),
            false,
        );
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
            desired_certificate(spec, resolver)
                .as_deref()
                .unwrap_or(NO_CERTIFICATE),
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
        _token: &str,
    ) -> Result<String, AwsError> {
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
            .set_certificates(certificates(spec, resolver))
            .default_actions(action_of(&spec.default_action, resolver))
            .set_tags(Some(tags::to_elb(&who.tags)))
            .send()
            .await
            .op("CreateListener")?;
        output
            .listeners()
            .first()
            .and_then(|listener| listener.listener_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateListener", "AWS returned no listener"))
    }

    /// One `ModifyListener` with the whole desired configuration, whatever differs.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &ListenerSpec,
        live: &ListenerLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let https = is_https(&spec.protocol);
        ctx.aws
            .elb
            .modify_listener()
            .listener_arn(&live.arn)
            .port(spec.port)
            .protocol(ProtocolEnum::from(
                spec.protocol.to_ascii_uppercase().as_str(),
            ))
            .set_ssl_policy(https.then(|| SSL_POLICY.to_string()))
            .set_certificates(certificates(spec, resolver))
            .default_actions(action_of(&spec.default_action, resolver))
            .send()
            .await
            .op("ModifyListener")?;
        Ok(None)
    }

    fn tags(live: &ListenerLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &ListenerLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_elb(&ctx.aws.elb, &live.arn, changes).await
    }

    /// Its rules go with it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &ListenerLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // ListenerNotFound: already gone.
        ctx.aws
            .elb
            .delete_listener()
            .listener_arn(&live.arn)
            .send()
            .await
            .op("DeleteListener")
            .found()?;
        Ok(Deleted::Requested)
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
fn desired_certificate(spec: &ListenerSpec, resolver: &Resolver) -> Option<String> {
    (spec.certificate_arn.as_ref())
        .filter(|_| is_https(&spec.protocol))
        .map(|arn| arn.get(resolver))
}

fn certificates(spec: &ListenerSpec, resolver: &Resolver) -> Option<Vec<Certificate>> {
    desired_certificate(spec, resolver)
        .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::LogicalId;
    use aws_sdk_elasticloadbalancingv2::types::{ForwardActionConfig, TargetGroupTuple};

    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/ui/1";

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        for (id, arn) in [("lb", "arn:lb"), ("tg-ui", TG)] {
            resolver.set(
                &LogicalId::from(id),
                Outputs::from([("arn".to_string(), arn.to_string())]),
            );
        }
        resolver
    }

    fn spec(protocol: &str, action: ListenerAction) -> ListenerSpec {
        ListenerSpec {
            load_balancer: Ref::new("lb", "arn"),
            port: 80,
            protocol: protocol.into(),
            certificate_arn: is_https(protocol).then(|| Value::Literal("arn:cert".to_string())),
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
            tags: Tags::new(),
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

    #[test]
    fn a_listener_found_by_arn_on_another_port_is_moved() {
        let resolver = resolver();
        let http = spec("HTTP", ListenerAction::Forward(Ref::new("tg-ui", "arn")));
        let moved = ListenerLive {
            port: 8080,
            ..live("HTTP", &format!("forward to {TG}"))
        };
        assert_eq!(
            Listener::diff(&http, &moved, &resolver),
            vec![FieldChange::update("port", "8080", "80")]
        );
    }

    #[test]
    fn a_certificate_recorded_as_a_string_reads_back_as_a_literal() {
        let old = r#"{"load_balancer":{"id":"lb","output":"arn"},"port":443,"protocol":"HTTPS","certificate_arn":"arn:cert","default_action":"RedirectToHttps"}"#;
        let spec: ListenerSpec = serde_json::from_str(old).unwrap();
        assert_eq!(
            spec.certificate_arn,
            Some(Value::Literal("arn:cert".into()))
        );
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        assert!(crate::resources::outputs_are_declared::<Listener>(&live(
            "HTTP",
            "forward to x"
        )));
    }
}
