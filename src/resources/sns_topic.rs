//! The SNS topic the CloudWatch alarms notify (`macro-ai-<env>-alerts`), encrypted with a KMS
//! key, with a topic policy that admits CloudWatch alarms of this account only, and an
//! optional e-mail subscription for the on-call address.
//!
//! A topic is read by the ARN recorded in state or returned by `CreateTopic`, else found by
//! listing topics (`ListTopics`, paginated) for one whose ARN ends in `:<name>`; then
//! `GetTopicAttributes` (the key and the policy) and `ListSubscriptionsByTopic` are read at the
//! same time, and its tags come from `ListTagsForResource`. `CreateTopic` makes it with its
//! tags, its key and its policy in one call, and answers the existing topic's ARN when one
//! exists with the same attributes; the subscription is the update the engine makes next.
//!
//! While planning a topic costs two calls of its own, started together:
//! `GetTopicAttributes` and `ListSubscriptionsByTopic` (both answer `NotFound` for a topic
//! that does not exist); the tags come from the environment's one `GetResources` (else, for a
//! topic not tagged for the environment, `ListTagsForResource`). By identity, the topics are
//! listed once per run (`ListTopics`, shared by every topic).
//!
//! Compared:
//! - `KmsMasterKeyId` (the environment's key's ARN, or the configured key, as given) and the
//!   `Policy` (as normalised JSON, not as text: SNS returns it reformatted). A topic made by an
//!   older macroctl (unencrypted, SNS's default policy) is updated in place with
//!   `SetTopicAttributes`, one attribute per call, each a plain set, safe to repeat.
//! - whether an e-mail subscription to the configured address exists
//!   (`ListSubscriptionsByTopic`; one still pending confirmation counts, so the address is not
//!   mailed again on every run). macroctl records the address it subscribed in the topic tag
//!   [`TAG_EMAIL`] (set by `update`, not with the identity tags: the engine leaves tags it does
//!   not manage alone); when the address changes it unsubscribes only that one, never a
//!   subscription someone else added. A subscription still pending confirmation cannot be
//!   removed by anyone (it has no ARN yet); AWS drops it after three days unconfirmed.

use super::inventory::Listing;
use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags, Value,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::output::Event;
use crate::resources::iam_role::normalize_policy;

/// Topic tag naming the e-mail address macroctl subscribed.
pub const TAG_EMAIL: &str = "macroctl:email-subscription";
/// The subscription ARN SNS reports for a subscription not yet confirmed.
pub const PENDING: &str = "PendingConfirmation";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SnsTopicSpec {
    /// The topic name, e.g. `macro-ai-staging-alerts`.
    pub name: String,
    /// The address to notify by e-mail, if any.
    pub email_subscription: Option<String>,
    /// The KMS key the topic is encrypted with: the environment's key's ARN (a `Ref`) or the
    /// configured key. `None` (a spec recorded by an older macroctl): not compared.
    #[serde(default)]
    pub kms_master_key_id: Option<Value>,
    /// The topic policy (JSON). `None` (a spec recorded by an older macroctl): not compared.
    #[serde(default)]
    pub policy: Option<String>,
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
    /// Every tag of the topic, [`TAG_EMAIL`] included.
    pub tags: Tags,
    /// `KmsMasterKeyId` as SNS reports it (`None`: not encrypted).
    pub kms_master_key_id: Option<String>,
    /// The topic policy, normalised.
    pub policy: Option<String>,
}

pub struct SnsTopic;

const NONE: &str = "(none)";
const FIELD: &str = "email_subscription";
const TAG_FIELD: &str = "email_subscription_tag";
const FIELD_KMS: &str = "kms_master_key_id";
const FIELD_POLICY: &str = "policy";
/// The topic attributes macroctl sets (`CreateTopic`, `SetTopicAttributes`).
const ATTRIBUTE_KMS: &str = "KmsMasterKeyId";
const ATTRIBUTE_POLICY: &str = "Policy";

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

/// The key and the policy of the topic `arn`; `None` when the topic does not exist.
async fn attributes(
    ctx: &Ctx<'_>,
    arn: &str,
) -> Result<Option<(Option<String>, Option<String>)>, AwsError> {
    // NotFound: no such topic.
    let Some(output) = ctx
        .aws
        .sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .op("GetTopicAttributes")
        .found()?
    else {
        return Ok(None);
    };
    let attribute = |name: &str| {
        output
            .attributes()
            .and_then(|attributes| attributes.get(name))
            .filter(|value| !value.is_empty())
            .cloned()
    };
    Ok(Some((
        attribute(ATTRIBUTE_KMS),
        attribute(ATTRIBUTE_POLICY).map(|policy| normalize_policy(&policy)),
    )))
}

/// The ARN of the topic named `name`, by listing every topic.
async fn find_by_name(ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, AwsError> {
    let suffix = format!(":{name}");
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

/// The e-mail subscriptions of the topic `arn`; `None` when the topic does not exist.
async fn email_subscriptions(
    ctx: &Ctx<'_>,
    arn: &str,
) -> Result<Option<Vec<EmailSubscription>>, AwsError> {
    let mut subscriptions = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        // NotFound: no such topic.
        let Some(page) = ctx
            .aws
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .set_next_token(next_token.take())
            .send()
            .await
            .op("ListSubscriptionsByTopic")
            .found()?
        else {
            return Ok(None);
        };
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
            _ => return Ok(Some(subscriptions)),
        }
    }
}

/// The topic `arn` with its attributes, subscriptions and tags (read at the same time; the tags
/// from the environment's `GetResources` while planning); `None` when it is gone.
async fn describe(ctx: &Ctx<'_>, arn: String) -> Result<Option<SnsTopicLive>, AwsError> {
    let tags = async {
        if let Some(tags) = ctx.inventory.tags_of(ctx, &arn).await? {
            return Ok(Some(tags));
        }
        // ResourceNotFound: deleted since it was found.
        let listed = ctx
            .aws
            .sns
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .op("ListTagsForResource")
            .found()?;
        Ok::<_, AwsError>(listed.map(|listed| tags::from_sns(listed.tags())))
    };
    let (attributes, email_subscriptions, tags) =
        futures::try_join!(attributes(ctx, &arn), email_subscriptions(ctx, &arn), tags)?;
    let (Some((kms_master_key_id, policy)), Some(email_subscriptions), Some(tags)) =
        (attributes, email_subscriptions, tags)
    else {
        return Ok(None);
    };
    Ok(Some(SnsTopicLive {
        name: arn.rsplit(':').next().unwrap_or_default().to_string(),
        managed_email: tags.get(TAG_EMAIL).cloned(),
        arn,
        email_subscriptions,
        tags,
        kms_master_key_id,
        policy,
    }))
}

// --- Batched reads while planning --------------------------------------------------------

/// The ARNs of the region's topics (`ListTopics` cannot be narrowed): one listing per run,
/// for topics looked for by name.
struct Topics;

impl Listing for Topics {
    type Item = String;

    async fn list(ctx: &Ctx<'_>) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
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
            arns.extend(
                page.topics()
                    .iter()
                    .filter_map(|topic| topic.topic_arn().map(str::to_string)),
            );
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
                _ => return Ok(arns),
            }
        }
    }
}

/// The ARN among `arns` of the topic named `name`.
fn named<'a>(arns: &'a [String], name: &str) -> Option<&'a str> {
    let suffix = format!(":{name}");
    arns.iter()
        .map(String::as_str)
        .find(|arn| arn.ends_with(&suffix))
}

impl Kind for SnsTopic {
    const KIND: &'static str = "sns:topic";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // CreateTopic answers the existing topic of that name instead of making a second one.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name"];
    type Spec = SnsTopicSpec;
    type Live = SnsTopicLive;

    fn refs(spec: &SnsTopicSpec) -> Vec<Ref> {
        spec.kms_master_key_id
            .iter()
            .filter_map(Value::reference)
            .collect()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &SnsTopicSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<SnsTopicLive>, AwsError> {
        let arn = match lookup {
            // Existence is what GetTopicAttributes tells.
            Lookup::Id(arn) => Some(arn.to_string()),
            Lookup::Identity if ctx.cached => {
                let arns = ctx.inventory.listed::<Topics>(ctx).await?;
                named(&arns, &spec.name).map(str::to_string)
            }
            Lookup::Identity => find_by_name(ctx, &spec.name).await?,
        };
        match arn {
            Some(arn) => describe(ctx, arn).await,
            None => Ok(None),
        }
    }

    fn diff(spec: &SnsTopicSpec, live: &SnsTopicLive, resolver: &Resolver) -> Vec<FieldChange> {
        if live.name != spec.name {
            return vec![FieldChange::replace("name", &live.name, &spec.name)];
        }
        let mut changes = Vec::new();
        if let Some(key) = &spec.kms_master_key_id {
            let desired = key.get(resolver);
            if live.kms_master_key_id.as_deref() != Some(desired.as_str()) {
                changes.push(FieldChange::update(
                    FIELD_KMS,
                    live.kms_master_key_id
                        .as_deref()
                        .unwrap_or("(not encrypted)"),
                    desired,
                ));
            }
        }
        if let Some(policy) = &spec.policy {
            let desired = normalize_policy(policy);
            if live.policy.as_deref() != Some(desired.as_str()) {
                changes.push(FieldChange::update(
                    FIELD_POLICY,
                    live.policy.as_deref().unwrap_or(NONE),
                    desired,
                ));
            }
        }
        let desired = spec.email_subscription.as_deref();
        let missing = desired.is_some_and(|email| live.subscription(email).is_none());
        if missing || live.stale(desired).is_some() {
            changes.push(FieldChange::update(
                FIELD,
                live.describe_emails(),
                desired.unwrap_or(NONE),
            ));
            return changes;
        }
        match desired {
            // Subscribed, but not (yet) recorded as macroctl's: a run interrupted after
            // subscribing, or an address someone subscribed by hand.
            Some(email) if !live.manages(Some(email)) => changes.push(FieldChange::update(
                TAG_FIELD,
                live.managed_email.as_deref().unwrap_or(NONE),
                email,
            )),
            _ => {}
        }
        changes
    }

    /// Creates the topic with its identity tags, its key and its policy, and returns its ARN.
    /// Only the identity tags go here: AWS answers an existing topic's ARN only when the tags
    /// and attributes asked for match the topic's (it refuses "already exists with different
    /// tags" or "attributes"; moto ignores both), so a repeat after a lost answer, which asks
    /// for the same, gets the same topic, and the e-mail tag is the update's.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &SnsTopicSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let mut request = ctx
            .aws
            .sns
            .create_topic()
            .name(&spec.name)
            .set_tags(Some(tags::to_sns(&who.tags, "CreateTopic")?));
        if let Some(key) = &spec.kms_master_key_id {
            request = request.attributes(ATTRIBUTE_KMS, key.get(resolver));
        }
        if let Some(policy) = &spec.policy {
            request = request.attributes(ATTRIBUTE_POLICY, policy);
        }
        let output = request.send().await.op("CreateTopic")?;
        output
            .topic_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::other("CreateTopic", "SNS returned no topic ARN"))
    }

    /// Sets the key and the policy (one `SetTopicAttributes` each) when they differ, subscribes
    /// the address when it is not, unsubscribes the one macroctl subscribed before when it is
    /// no longer wanted, then records the address in [`TAG_EMAIL`]. Each step is safe to
    /// repeat: setting an attribute sets what it is given, SNS answers a repeated
    /// subscription with the existing one, an unsubscription of what is gone counts as done,
    /// and tagging sets what it is given.
    async fn update(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &SnsTopicSpec,
        live: &SnsTopicLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let sns = &ctx.aws.sns;
        let changed = |field: &str| changes.iter().any(|change| change.field == field);
        // The policy first: it is what lets CloudWatch publish once the key encrypts.
        let attributes = [
            (FIELD_POLICY, ATTRIBUTE_POLICY, spec.policy.clone()),
            (
                FIELD_KMS,
                ATTRIBUTE_KMS,
                spec.kms_master_key_id.as_ref().map(|key| key.get(resolver)),
            ),
        ];
        for (field, attribute, value) in attributes {
            let Some(value) = value.filter(|_| changed(field)) else {
                continue;
            };
            sns.set_topic_attributes()
                .topic_arn(&live.arn)
                .attribute_name(attribute)
                .attribute_value(value)
                .send()
                .await
                .op("SetTopicAttributes")?;
        }
        let desired = spec.email_subscription.as_deref();
        if let Some(email) = desired.filter(|email| live.subscription(email).is_none()) {
            sns.subscribe()
                .topic_arn(&live.arn)
                .protocol("email")
                .endpoint(email)
                .return_subscription_arn(true)
                .send()
                .await
                .op("Subscribe")?;
            ctx.reporter.report(Event::Info {
                message: format!(
                    "{}: subscribed {email} to {}; AWS has mailed it a confirmation link, and it receives alarms once the link is followed",
                    who.id, live.name
                ),
            });
        }
        if let Some(stale) = live.stale(desired) {
            if stale.is_pending() {
                ctx.reporter.report(Event::Warning {
                    message: format!(
                        "{}: the subscription of {} is still pending confirmation and cannot be removed; AWS deletes it after three days unconfirmed",
                        who.id, stale.endpoint
                    ),
                });
            } else {
                // NotFound: already unsubscribed.
                sns.unsubscribe()
                    .subscription_arn(&stale.arn)
                    .send()
                    .await
                    .op("Unsubscribe")
                    .found()?;
            }
        }
        // Record which address macroctl now manages.
        if !live.manages(desired) {
            let changes = match desired {
                Some(email) => TagChanges {
                    set: Tags::from([(TAG_EMAIL.to_string(), email.to_string())]),
                    remove: Vec::new(),
                },
                None => TagChanges {
                    set: Tags::new(),
                    remove: vec![TAG_EMAIL.to_string()],
                },
            };
            tags::set_sns(sns, &live.arn, &changes).await?;
        }
        Ok(None)
    }

    fn tags(live: &SnsTopicLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &SnsTopicLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_sns(&ctx.aws.sns, &live.arn, changes).await
    }

    /// Deletes the topic; its subscriptions (confirmed or pending) go with it.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &SnsTopicLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // NotFound: already gone (AWS also simply succeeds).
        ctx.aws
            .sns
            .delete_topic()
            .topic_arn(&live.arn)
            .send()
            .await
            .op("DeleteTopic")
            .found()?;
        Ok(Deleted::Requested)
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
        format!(
            "{}, e-mail: {}",
            live.kms_master_key_id
                .as_deref()
                .map_or_else(|| "not encrypted".to_string(), |key| format!("KMS {key}")),
            live.describe_emails()
        )
    }
}

#[cfg(test)]
mod tests {
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
            tags: managed
                .map(|email| Tags::from([(TAG_EMAIL.to_string(), email.to_string())]))
                .unwrap_or_default(),
            kms_master_key_id: Some(KEY.into()),
            policy: Some(normalize_policy(POLICY)),
        }
    }

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:macro-ai-test-alerts"}]}"#;

    fn spec(email: Option<&str>) -> SnsTopicSpec {
        SnsTopicSpec {
            name: "macro-ai-test-alerts".into(),
            email_subscription: email.map(str::to_string),
            kms_master_key_id: Some(Value::Literal(KEY.into())),
            policy: Some(POLICY.into()),
        }
    }

    #[test]
    fn the_key_and_the_policy_are_compared() {
        let resolver = Resolver::default();
        // SNS's default, unencrypted: both are updated in place.
        let old = SnsTopicLive {
            kms_master_key_id: None,
            policy: Some(normalize_policy(
                r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish"],"Resource":"arn:aws:sns:us-east-1:123456789012:macro-ai-test-alerts"}]}"#,
            )),
            ..live(&[], None)
        };
        let changes = SnsTopic::diff(&spec(None), &old, &resolver);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, [FIELD_KMS, FIELD_POLICY]);
        assert!(changes.iter().all(|change| !change.replace));
        // The same policy, reformatted, is no change.
        let reformatted = SnsTopicLive {
            policy: Some(normalize_policy(&POLICY.replace(',', " , "))),
            ..live(&[], None)
        };
        assert!(SnsTopic::diff(&spec(None), &reformatted, &resolver).is_empty());
        // A key not made yet differs (known after apply).
        let pending_key = SnsTopicSpec {
            kms_master_key_id: Some(Value::Ref(Ref::new("kms-alerts", "arn"))),
            ..spec(None)
        };
        let changes = SnsTopic::diff(&pending_key, &live(&[], None), &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, crate::resources::UNKNOWN);
        // A spec recorded by an older macroctl compares neither.
        let older = SnsTopicSpec {
            kms_master_key_id: None,
            policy: None,
            ..spec(None)
        };
        assert!(SnsTopic::diff(&older, &old, &resolver).is_empty());
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
        // Another topic recorded under this id: it would have to be replaced.
        let renamed = SnsTopicSpec {
            name: "macro-ai-other-alerts".into(),
            ..spec(None)
        };
        let changes = SnsTopic::diff(&renamed, &gone, &resolver);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].replace && changes[0].field == "name");
    }

    #[test]
    fn outputs_are_the_declared_ones() {
        let live = live(&[], None);
        let keys: Vec<String> = SnsTopic::outputs(&live).into_keys().collect();
        assert_eq!(keys, SnsTopic::OUTPUTS);
    }

    #[test]
    fn topics_are_found_by_the_end_of_their_arn() {
        let arns = vec![
            "arn:aws:sns:us-east-1:123456789012:macro-ai-test-alerts-old".to_string(),
            "arn:aws:sns:us-east-1:123456789012:macro-ai-test-alerts".to_string(),
        ];
        assert_eq!(named(&arns, "macro-ai-test-alerts"), Some(arns[1].as_str()));
        assert_eq!(named(&arns, "test-alerts"), None);
        assert_eq!(named(&arns, "macro-ai-test"), None);
    }
}
