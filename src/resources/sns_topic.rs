//! The SNS topic the CloudWatch alarms notify (`macro-ai-<env>-alerts`), with an optional
//! e-mail subscription for the on-call address.
//!
//! A topic is found by the ARN recorded in state (`GetTopicAttributes`), else by listing
//! topics (`ListTopics`, paginated) for one whose ARN ends in `:<name>`. Compared: whether an
//! e-mail subscription to the configured address exists (`ListSubscriptionsByTopic`; one still
//! pending confirmation counts, so the address is not mailed again on every run). macroctl
//! records the address it subscribed in the topic tag [`TAG_EMAIL`]; when the address changes
//! it unsubscribes only that one, never a subscription someone else added. A subscription still
//! pending confirmation cannot be removed by anyone (it has no ARN yet); AWS drops it after
//! three days unconfirmed.

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};
use crate::output::Event;

/// Topic tag naming the e-mail address macroctl subscribed.
pub const TAG_EMAIL: &str = "macroctl:email-subscription";
/// The subscription ARN SNS reports for a subscription not yet confirmed.
pub const PENDING: &str = "PendingConfirmation";

#[derive(Debug, Clone)]
pub struct SnsTopicSpec {
    /// The topic name, e.g. `macro-ai-staging-alerts`.
    pub name: String,
    /// The address to notify by e-mail, if any.
    pub email_subscription: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailSubscription {
    pub endpoint: String,
    /// The subscription ARN, or [`PENDING`] while it awaits confirmation.
    pub arn: String,
}

impl EmailSubscription {
    pub fn is_pending(&self) -> bool {
        !self.arn.starts_with("arn:")
    }
}

#[derive(Debug, Clone)]
pub struct SnsTopicLive {
    pub arn: String,
    pub name: String,
    /// Every e-mail subscription of the topic, whoever made it.
    pub email_subscriptions: Vec<EmailSubscription>,
    /// The address macroctl subscribed (tag [`TAG_EMAIL`]).
    pub managed_email: Option<String>,
}

pub struct SnsTopic;

const NONE: &str = "(none)";
const FIELD: &str = "email_subscription";
const TAG_FIELD: &str = "email_subscription_tag";

fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl SnsTopicLive {
    fn subscription(&self, email: &str) -> Option<&EmailSubscription> {
        self.email_subscriptions
            .iter()
            .find(|subscription| same_email(&subscription.endpoint, email))
    }

    /// Whether the [`TAG_EMAIL`] tag records `email` (or its absence).
    fn manages(&self, email: Option<&str>) -> bool {
        match (self.managed_email.as_deref(), email) {
            (Some(managed), Some(email)) => same_email(managed, email),
            (None, None) => true,
            _ => false,
        }
    }

    /// The address macroctl subscribed that is no longer wanted, while still subscribed.
    fn stale(&self, desired: Option<&str>) -> Option<&EmailSubscription> {
        let managed = self.managed_email.as_deref()?;
        if desired.is_some_and(|desired| same_email(desired, managed)) {
            return None;
        }
        self.subscription(managed)
    }

    fn describe_emails(&self) -> String {
        if self.email_subscriptions.is_empty() {
            return NONE.to_string();
        }
        self.email_subscriptions
            .iter()
            .map(|subscription| {
                if subscription.is_pending() {
                    format!("{} (pending confirmation)", subscription.endpoint)
                } else {
                    subscription.endpoint.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn sns_tag(key: &str, value: &str, operation: &str) -> Result<aws_sdk_sns::types::Tag, AwsError> {
    aws_sdk_sns::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|err| AwsError::other(operation, err.to_string()))
}

/// The topic's ARN: the recorded one if it still exists, else found by name.
async fn topic_arn(
    ctx: &Ctx<'_>,
    name: &str,
    recorded: Option<&str>,
) -> Result<Option<String>, AwsError> {
    let suffix = format!(":{name}");
    if let Some(recorded) = recorded.filter(|arn| arn.ends_with(&suffix)) {
        let result = ctx
            .aws
            .sns
            .get_topic_attributes()
            .topic_arn(recorded)
            .send()
            .await
            .op("GetTopicAttributes");
        match result {
            Ok(_) => return Ok(Some(recorded.to_string())),
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(err),
        }
    }
    let mut next_token: Option<String> = None;
    loop {
        let page = ctx
            .aws
            .sns
            .list_topics()
            .set_next_token(next_token.take())
            .send()
            .await
            .op("ListTopics")?;
        if let Some(arn) = page
            .topics()
            .iter()
            .filter_map(|topic| topic.topic_arn())
            .find(|arn| arn.ends_with(&suffix))
        {
            return Ok(Some(arn.to_string()));
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(None),
        }
    }
}

async fn email_subscriptions(ctx: &Ctx<'_>, arn: &str) -> Result<Vec<EmailSubscription>, AwsError> {
    let mut subscriptions = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = ctx
            .aws
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .set_next_token(next_token.take())
            .send()
            .await
            .op("ListSubscriptionsByTopic")?;
        subscriptions.extend(
            page.subscriptions()
                .iter()
                .filter(|subscription| subscription.protocol() == Some("email"))
                .map(|subscription| EmailSubscription {
                    endpoint: subscription.endpoint().unwrap_or_default().to_string(),
                    arn: subscription
                        .subscription_arn()
                        .unwrap_or(PENDING)
                        .to_string(),
                }),
        );
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(subscriptions),
        }
    }
}

impl Kind for SnsTopic {
    const KIND: &'static str = "sns:topic";
    type Spec = SnsTopicSpec;
    type Live = SnsTopicLive;

    fn refs(_spec: &SnsTopicSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &SnsTopicSpec,
        recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<SnsTopicLive>, AwsError> {
        let Some(arn) = topic_arn(ctx, &spec.name, recorded).await? else {
            return Ok(None);
        };
        let email_subscriptions = email_subscriptions(ctx, &arn).await?;
        let tags = ctx
            .aws
            .sns
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .op("ListTagsForResource")?;
        let managed_email = tags
            .tags()
            .iter()
            .find(|tag| tag.key() == TAG_EMAIL)
            .map(|tag| tag.value().to_string());
        Ok(Some(SnsTopicLive {
            name: arn.rsplit(':').next().unwrap_or_default().to_string(),
            arn,
            email_subscriptions,
            managed_email,
        }))
    }

    fn diff(spec: &SnsTopicSpec, live: &SnsTopicLive, _resolver: &Resolver) -> Vec<FieldChange> {
        let desired = spec.email_subscription.as_deref();
        let missing = desired.is_some_and(|email| live.subscription(email).is_none());
        if missing || live.stale(desired).is_some() {
            return vec![FieldChange::update(
                FIELD,
                live.describe_emails(),
                desired.unwrap_or(NONE),
            )];
        }
        match desired {
            // Subscribed, but not (yet) recorded as macroctl's: a run interrupted after
            // subscribing, or an address someone subscribed by hand.
            Some(email) if !live.manages(Some(email)) => vec![FieldChange::update(
                TAG_FIELD,
                live.managed_email.as_deref().unwrap_or(NONE),
                email,
            )],
            _ => Vec::new(),
        }
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &SnsTopicSpec,
        resolver: &Resolver,
    ) -> Result<SnsTopicLive, AwsError> {
        let tags = who
            .tags
            .iter()
            .map(|(key, value)| sns_tag(key, value, "CreateTopic"))
            .collect::<Result<Vec<_>, _>>()?;
        // Idempotent by name: an existing topic with the same tags is returned as it is (so
        // only the identity tags, which never change, go here; the e-mail tag is set below).
        let output = ctx
            .aws
            .sns
            .create_topic()
            .name(&spec.name)
            .set_tags(Some(tags))
            .send()
            .await
            .op("CreateTopic")?;
        let arn = output
            .topic_arn()
            .ok_or_else(|| AwsError::other("CreateTopic", "SNS returned no topic ARN"))?
            .to_string();
        let live = SnsTopicLive {
            arn: arn.clone(),
            name: spec.name.clone(),
            email_subscriptions: email_subscriptions(ctx, &arn).await?,
            managed_email: None,
        };
        let changes = Self::diff(spec, &live, resolver);
        if changes.is_empty() {
            return Ok(live);
        }
        Self::update(ctx, who, spec, &live, &changes, resolver).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &SnsTopicSpec,
        live: &SnsTopicLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<SnsTopicLive, AwsError> {
        let sns = &ctx.aws.sns;
        let mut live = live.clone();
        let desired = spec.email_subscription.as_deref();
        if let Some(email) = desired.filter(|email| live.subscription(email).is_none()) {
            let output = sns
                .subscribe()
                .topic_arn(&live.arn)
                .protocol("email")
                .endpoint(email)
                .return_subscription_arn(true)
                .send()
                .await
                .op("Subscribe")?;
            live.email_subscriptions.push(EmailSubscription {
                endpoint: email.to_string(),
                arn: output.subscription_arn().unwrap_or(PENDING).to_string(),
            });
            ctx.reporter.report(Event::Info {
                message: format!(
                    "{}: subscribed {email} to {}; AWS has mailed it a confirmation link, and it receives alarms once the link is followed",
                    who.id, live.name
                ),
            });
        }
        if let Some(stale) = live.stale(desired).cloned() {
            if stale.is_pending() {
                ctx.reporter.report(Event::Warning {
                    message: format!(
                        "{}: the subscription of {} is still pending confirmation and cannot be removed; AWS deletes it after three days unconfirmed",
                        who.id, stale.endpoint
                    ),
                });
            } else {
                let result = sns
                    .unsubscribe()
                    .subscription_arn(&stale.arn)
                    .send()
                    .await
                    .op("Unsubscribe");
                match result {
                    Ok(_) => {}
                    Err(err) if err.is_not_found() => {}
                    Err(err) => return Err(err),
                }
            }
            live.email_subscriptions
                .retain(|subscription| subscription != &stale);
        }
        // Record which address macroctl now manages.
        if !live.manages(desired) {
            match desired {
                Some(email) => {
                    sns.tag_resource()
                        .resource_arn(&live.arn)
                        .tags(sns_tag(TAG_EMAIL, email, "TagResource")?)
                        .send()
                        .await
                        .op("TagResource")?;
                }
                None => {
                    sns.untag_resource()
                        .resource_arn(&live.arn)
                        .tag_keys(TAG_EMAIL)
                        .send()
                        .await
                        .op("UntagResource")?;
                }
            }
            live.managed_email = desired.map(str::to_string);
        }
        Ok(live)
    }

    fn physical_id(live: &SnsTopicLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &SnsTopicLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &SnsTopicLive) -> String {
        format!("e-mail: {}", live.describe_emails())
    }
}

#[cfg(test)]
mod tests {
    use super::super::log_group::test_emulator::{identity, unique, Emulator};
    use super::*;

    fn live(subscriptions: &[(&str, &str)], managed: Option<&str>) -> SnsTopicLive {
        SnsTopicLive {
            arn: "arn:aws:sns:us-east-1:123456789012:macro-ai-test-alerts".into(),
            name: "macro-ai-test-alerts".into(),
            email_subscriptions: subscriptions
                .iter()
                .map(|(endpoint, arn)| EmailSubscription {
                    endpoint: endpoint.to_string(),
                    arn: arn.to_string(),
                })
                .collect(),
            managed_email: managed.map(str::to_string),
        }
    }

    fn spec(email: Option<&str>) -> SnsTopicSpec {
        SnsTopicSpec {
            name: "macro-ai-test-alerts".into(),
            email_subscription: email.map(str::to_string),
        }
    }

    #[test]
    fn diff() {
        let resolver = Resolver::default();
        let confirmed = "arn:aws:sns:us-east-1:123456789012:macro-ai-test-alerts:1";
        // Subscribed (pending counts), or nothing wanted and nothing managed: no change.
        let pending = live(&[("ops@example.com", PENDING)], Some("ops@example.com"));
        assert!(SnsTopic::diff(&spec(Some("OPS@example.com")), &pending, &resolver).is_empty());
        let foreign = live(&[("someone@example.com", confirmed)], None);
        assert!(SnsTopic::diff(&spec(None), &foreign, &resolver).is_empty());
        // Missing.
        let changes = SnsTopic::diff(&spec(Some("new@example.com")), &foreign, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].old.as_str(), changes[0].new.as_str()),
            ("someone@example.com", "new@example.com")
        );
        // No longer wanted, and macroctl made it.
        let managed = live(&[("ops@example.com", confirmed)], Some("ops@example.com"));
        let changes = SnsTopic::diff(&spec(None), &managed, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, NONE);
        // Subscribed but not recorded as macroctl's: only the tag changes.
        let untracked = live(&[("ops@example.com", confirmed)], None);
        let changes = SnsTopic::diff(&spec(Some("ops@example.com")), &untracked, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, TAG_FIELD);
        // The managed address already gone: nothing to remove.
        let gone = live(&[], Some("ops@example.com"));
        assert!(SnsTopic::diff(&spec(None), &gone, &resolver).is_empty());
    }

    /// Against moto: create, converge (empty diff, no writes), change one field.
    #[tokio::test]
    #[ignore = "needs a moto server: MACROCTL_MOTO_ENDPOINT"]
    async fn emulator_create_converge_update() {
        let emulator = Emulator::connect().await;
        let ctx = emulator.ctx();
        let resolver = Resolver::default();
        let mut spec = spec(Some("ops@example.com"));
        spec.name = unique("macro-ai-test-alerts");
        let who = identity("sns-alerts", &spec.name);
        assert!(SnsTopic::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = SnsTopic::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(created.email_subscriptions.len(), 1);
        let writes = emulator.writes();
        let found = SnsTopic::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(SnsTopic::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(found.managed_email.as_deref(), Some("ops@example.com"));
        // Found by listing when nothing is recorded.
        let listed = SnsTopic::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(listed.arn, created.arn);
        assert_eq!(emulator.writes(), writes);
        // Someone else's subscription is left alone; ours moves to the new address.
        emulator
            .aws
            .sns
            .subscribe()
            .topic_arn(&created.arn)
            .protocol("email")
            .endpoint("someone@example.com")
            .send()
            .await
            .unwrap();
        spec.email_subscription = Some("oncall@example.com".into());
        let found = SnsTopic::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        let changes = SnsTopic::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        SnsTopic::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let found = SnsTopic::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert!(SnsTopic::diff(&spec, &found, &resolver).is_empty());
        let mut endpoints: Vec<&str> = found
            .email_subscriptions
            .iter()
            .map(|subscription| subscription.endpoint.as_str())
            .collect();
        endpoints.sort();
        assert_eq!(endpoints, vec!["oncall@example.com", "someone@example.com"]);
        assert_eq!(found.managed_email.as_deref(), Some("oncall@example.com"));
        // Creating again (an interrupted run) converges instead of failing.
        let again = SnsTopic::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(again.arn, created.arn);
        assert!(SnsTopic::diff(&spec, &again, &resolver).is_empty());
    }
}
