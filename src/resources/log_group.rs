//! CloudWatch Logs log groups: one per service (`/ecs/macro-ai-<env>-api`), which the ECS
//! tasks' awslogs driver writes to. Created by macroctl (not by the driver) so that retention
//! is set and the group is tagged and removed with the environment.
//!
//! A group is found by its deterministic name (`DescribeLogGroups` with the name as prefix,
//! then an exact-name match). Compared: the retention in days (`PutRetentionPolicy`;
//! `retention_days <= 0` means never expire, which is what an absent retention reports).

use super::{Ctx, FieldChange, Identity, Kind, Outputs, Ref, Resolver};
use crate::aws::{AwsError, IntoAwsError};

#[derive(Debug, Clone)]
pub struct LogGroupSpec {
    /// The log group name, e.g. `/ecs/macro-ai-staging-api`.
    pub name: String,
    /// Days events are kept; 0 (or less) keeps them forever.
    pub retention_days: i32,
}

#[derive(Debug, Clone)]
pub struct LogGroupLive {
    pub name: String,
    /// The group's ARN, without the trailing `:*` DescribeLogGroups adds.
    pub arn: String,
    /// `None`: never expire (CloudWatch Logs reports no retention then).
    pub retention_days: Option<i32>,
}

pub struct LogGroup;

const NEVER: &str = "never expire";

fn desired_retention(spec: &LogGroupSpec) -> Option<i32> {
    (spec.retention_days > 0).then_some(spec.retention_days)
}

fn retention_text(retention: Option<i32>) -> String {
    retention.map_or_else(|| NEVER.to_string(), |days| format!("{days} days"))
}

fn live_of(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> LogGroupLive {
    let arn = group.arn().or(group.log_group_arn()).unwrap_or_default();
    LogGroupLive {
        name: group.log_group_name().unwrap_or_default().to_string(),
        arn: arn.strip_suffix(":*").unwrap_or(arn).to_string(),
        retention_days: group.retention_in_days().filter(|days| *days > 0),
    }
}

async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<LogGroupLive>, AwsError> {
    let mut next_token: Option<String> = None;
    loop {
        let page = ctx
            .aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(next_token.take())
            .send()
            .await
            .op("DescribeLogGroups")?;
        if let Some(group) = page
            .log_groups()
            .iter()
            .find(|group| group.log_group_name() == Some(name))
        {
            return Ok(Some(live_of(group)));
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(None),
        }
    }
}

impl Kind for LogGroup {
    const KIND: &'static str = "logs:log-group";
    type Spec = LogGroupSpec;
    type Live = LogGroupLive;

    fn refs(_spec: &LogGroupSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn find(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LogGroupSpec,
        _recorded: Option<&str>,
        _resolver: &Resolver,
    ) -> Result<Option<LogGroupLive>, AwsError> {
        // The name is deterministic; the recorded ARN ends with it.
        describe(ctx, &spec.name).await
    }

    fn diff(spec: &LogGroupSpec, live: &LogGroupLive, _resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        if live.name != spec.name {
            changes.push(FieldChange::replace("name", &live.name, &spec.name));
        }
        let desired = desired_retention(spec);
        if live.retention_days != desired {
            changes.push(FieldChange::update(
                "retention_days",
                retention_text(live.retention_days),
                retention_text(desired),
            ));
        }
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &LogGroupSpec,
        resolver: &Resolver,
    ) -> Result<LogGroupLive, AwsError> {
        let result = ctx
            .aws
            .logs
            .create_log_group()
            .log_group_name(&spec.name)
            .set_tags(Some(who.tags.iter().cloned().collect()))
            .send()
            .await
            .op("CreateLogGroup");
        match result {
            Ok(_) => {}
            // Created by an interrupted run (or concurrently): converge what is there.
            Err(err) if err.code() == Some("ResourceAlreadyExistsException") => {}
            Err(err) => return Err(err),
        }
        // CreateLogGroup returns nothing: read the ARN (and any retention) back.
        let live = describe(ctx, &spec.name).await?.ok_or_else(|| {
            AwsError::other(
                "DescribeLogGroups",
                format!("log group {} is not visible after its creation", spec.name),
            )
        })?;
        let changes = Self::diff(spec, &live, resolver);
        if changes.is_empty() {
            return Ok(live);
        }
        Self::update(ctx, who, spec, &live, &changes, resolver).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &LogGroupSpec,
        live: &LogGroupLive,
        changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<LogGroupLive, AwsError> {
        let mut live = live.clone();
        if !changes
            .iter()
            .any(|change| change.field == "retention_days")
        {
            return Ok(live);
        }
        match desired_retention(spec) {
            Some(days) => {
                ctx.aws
                    .logs
                    .put_retention_policy()
                    .log_group_name(&live.name)
                    .retention_in_days(days)
                    .send()
                    .await
                    .op("PutRetentionPolicy")?;
            }
            None => {
                ctx.aws
                    .logs
                    .delete_retention_policy()
                    .log_group_name(&live.name)
                    .send()
                    .await
                    .op("DeleteRetentionPolicy")?;
            }
        }
        live.retention_days = desired_retention(spec);
        Ok(live)
    }

    fn physical_id(live: &LogGroupLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &LogGroupLive) -> Outputs {
        Outputs::from([
            ("name".into(), live.name.clone()),
            ("arn".into(), live.arn.clone()),
        ])
    }

    fn status(live: &LogGroupLive) -> String {
        format!("retention {}", retention_text(live.retention_days))
    }
}

/// Clients for a running moto server, for the `#[ignore]`d emulator tests of this module and
/// its neighbours: `MACROCTL_MOTO_ENDPOINT=http://127.0.0.1:<port>` (moto started with
/// `MOTO_IAM_LOAD_MANAGED_POLICIES=true`) and `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
/// set to `testing`.
#[cfg(test)]
pub(crate) mod test_emulator {
    use crate::aws::{AwsClients, AwsOptions};
    use crate::output::SilentReporter;
    use crate::resources::{Ctx, Identity, Inventory, TAG_ENV, TAG_ID, TAG_STACK};
    use std::time::Duration;

    pub struct Emulator {
        pub aws: AwsClients,
        inventory: Inventory,
        reporter: SilentReporter,
    }

    impl Emulator {
        pub async fn connect() -> Self {
            let endpoint = std::env::var("MACROCTL_MOTO_ENDPOINT")
                .expect("MACROCTL_MOTO_ENDPOINT must name a running moto_server");
            let options = AwsOptions {
                endpoint_url: Some(endpoint),
                ..AwsOptions::default()
            };
            let aws = AwsClients::load(&options, "us-east-1")
                .await
                .expect("AWS clients");
            let inventory = Inventory::new(aws.ec2.clone(), "macro-ai", "test");
            Self {
                aws,
                inventory,
                reporter: SilentReporter,
            }
        }

        pub fn ctx(&self) -> Ctx<'_> {
            Ctx {
                aws: &self.aws,
                env: "test",
                stack: "macro-ai",
                lineage: "test-lineage",
                inventory: &self.inventory,
                reporter: &self.reporter,
                wait_timeout: Duration::from_secs(30),
                apply_immediately: false,
            }
        }

        /// Mutating calls made so far.
        pub fn writes(&self) -> u32 {
            self.aws.calls.snapshot().writes
        }
    }

    /// A name no other test run uses, so runs can share one server.
    pub fn unique(prefix: &str) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        format!("{prefix}-{}", &id[..8])
    }

    pub fn identity(id: &str, name: &str) -> Identity {
        Identity {
            id: id.into(),
            name: name.to_string(),
            tags: vec![
                ("Name".into(), name.to_string()),
                (TAG_STACK.into(), "macro-ai".into()),
                (TAG_ENV.into(), "test".into()),
                (TAG_ID.into(), id.to_string()),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_emulator::{identity, unique, Emulator};
    use super::*;

    fn spec() -> LogGroupSpec {
        LogGroupSpec {
            name: "/ecs/macro-ai-test-api".into(),
            retention_days: 30,
        }
    }

    #[test]
    fn diff_and_arn() {
        let resolver = Resolver::default();
        let group = aws_sdk_cloudwatchlogs::types::LogGroup::builder()
            .log_group_name("/ecs/macro-ai-test-api")
            .arn("arn:aws:logs:us-east-1:123456789012:log-group:/ecs/macro-ai-test-api:*")
            .retention_in_days(30)
            .build();
        let live = live_of(&group);
        assert_eq!(
            live.arn,
            "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/macro-ai-test-api"
        );
        assert!(LogGroup::diff(&spec(), &live, &resolver).is_empty());
        let forever = LogGroupLive {
            retention_days: None,
            ..live.clone()
        };
        let changes = LogGroup::diff(&spec(), &forever, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].old.as_str(), changes[0].new.as_str()),
            (NEVER, "30 days")
        );
        let keep_forever = LogGroupSpec {
            retention_days: 0,
            ..spec()
        };
        assert!(LogGroup::diff(&keep_forever, &forever, &resolver).is_empty());
        assert_eq!(LogGroup::diff(&keep_forever, &live, &resolver).len(), 1);
    }

    /// Against moto: create, converge (empty diff, no writes), change one field.
    #[tokio::test]
    #[ignore = "needs a moto server: MACROCTL_MOTO_ENDPOINT"]
    async fn emulator_create_converge_update() {
        let emulator = Emulator::connect().await;
        let ctx = emulator.ctx();
        let resolver = Resolver::default();
        let mut spec = spec();
        spec.name = format!("/ecs/{}", unique("macro-ai-test-api"));
        let who = identity("log-group-api", &spec.name);
        // A group whose name merely starts with ours is not ours.
        let longer = format!("{}-worker", spec.name);
        emulator
            .aws
            .logs
            .create_log_group()
            .log_group_name(&longer)
            .send()
            .await
            .unwrap();
        assert!(LogGroup::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .is_none());
        let created = LogGroup::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert!(!created.arn.ends_with(":*"));
        assert!(created.arn.ends_with(&spec.name));
        let writes = emulator.writes();
        let found = LogGroup::find(&ctx, &who, &spec, Some(&created.arn), &resolver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(LogGroup::diff(&spec, &found, &resolver), vec![]);
        assert_eq!(emulator.writes(), writes);
        assert_eq!(LogGroup::outputs(&found), LogGroup::outputs(&created));
        // Creating again (an interrupted run) converges instead of failing.
        LogGroup::create(&ctx, &who, &spec, &resolver)
            .await
            .unwrap();
        assert_eq!(emulator.writes(), writes + 1);
        spec.retention_days = 90;
        let changes = LogGroup::diff(&spec, &found, &resolver);
        assert_eq!(changes.len(), 1, "{changes:?}");
        LogGroup::update(&ctx, &who, &spec, &found, &changes, &resolver)
            .await
            .unwrap();
        let found = LogGroup::find(&ctx, &who, &spec, None, &resolver)
            .await
            .unwrap()
            .unwrap();
        assert!(LogGroup::diff(&spec, &found, &resolver).is_empty());
        assert_eq!(found.retention_days, Some(90));
        let tags = emulator
            .aws
            .logs
            .list_tags_for_resource()
            .resource_arn(&found.arn)
            .send()
            .await
            .unwrap();
        assert_eq!(
            tags.tags()
                .and_then(|tags| tags.get(crate::resources::TAG_ID))
                .map(String::as_str),
            Some("log-group-api")
        );
    }
}
