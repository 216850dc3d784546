//! One place that talks to the AWS SDK's configuration.
//!
//! `aws-config` is loaded once per run so profiles, SSO, environment variables and instance
//! metadata all work the way users of the AWS CLI expect; `--region`, `--profile` and
//! `--endpoint-url` (or `AWS_ENDPOINT_URL`) override them. Every client carries an interceptor
//! that counts calls per operation, so a run can report how many reads and writes it made.
//!
//! Two retry policies: reads go through clients whose SDK retries throttling, 5xx and lost
//! connections with backoff (repeating a read is harmless). Mutating calls go through a
//! [`AwsClients::single_attempt`] copy that never repeats a call by itself: a create whose
//! response was lost may well have been performed, and repeating it blindly makes a second
//! VPC or fails as a duplicate. The engine retries those calls itself, looking first.

mod calls;
mod error;
mod in_flight;
pub mod preflight;

pub use calls::{ApiCallCounter, ApiCalls};
pub use error::{
    classify, set_policy_advice, AwsError, ErrorClass, Found, IntoAwsError, PolicyAdvice,
};

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use std::time::Duration;

/// Where and as whom to call AWS: the resolved global flags.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

/// The region CloudFront, its certificates and CLOUDFRONT-scope web ACLs live in, whatever
/// the environment's region (and where Route 53, a global service, is called).
pub const EDGE_REGION: &str = "us-east-1";

/// Declares [`AwsClients`]: one field per service, each client built from the shared
/// configuration with the call counter attached. `regional` clients call the environment's
/// region; `edge` clients call [`EDGE_REGION`] with the same credentials, endpoint override,
/// call counter and in-flight lanes (named after the field, so the two ACM clients queue
/// apart).
macro_rules! clients {
    (regional { $($field:ident => $krate:ident),* $(,)? } edge { $($edge:ident => $ekrate:ident),* $(,)? }) => {
        /// The SDK clients of one run, all sharing one configuration and one call counter.
        #[derive(Clone)]
        pub struct AwsClients {
            $(pub $field: $krate::Client,)*
            $(pub $edge: $ekrate::Client,)*
            pub region: String,
            pub calls: ApiCallCounter,
            shared: aws_config::SdkConfig,
            in_flight: in_flight::InFlight,
            /// `None`: the SDK's retries; `Some(disabled)` on [`AwsClients::single_attempt`].
            retry: Option<RetryConfig>,
            /// The account id, asked of STS once per run and shared by every copy.
            account: std::sync::Arc<tokio::sync::OnceCell<String>>,
        }

        impl AwsClients {
            fn build(shared: &aws_config::SdkConfig, region: String, calls: ApiCallCounter, in_flight: in_flight::InFlight, retry: Option<RetryConfig>, account: std::sync::Arc<tokio::sync::OnceCell<String>>) -> Self {
                let edge_shared = shared
                    .to_builder()
                    .region(aws_config::Region::new(EDGE_REGION))
                    .build();
                Self {
                    $($field: {
                        let mut builder = $krate::config::Builder::from(shared)
                            .interceptor(calls.clone())
                            .http_client(in_flight.for_service(stringify!($field)));
                        if let Some(retry) = &retry {
                            builder = builder.retry_config(retry.clone());
                        }
                        $krate::Client::from_conf(builder.build())
                    },)*
                    $($edge: {
                        let mut builder = $ekrate::config::Builder::from(&edge_shared)
                            .interceptor(calls.clone())
                            .http_client(in_flight.for_service(stringify!($edge)));
                        if let Some(retry) = &retry {
                            builder = builder.retry_config(retry.clone());
                        }
                        $ekrate::Client::from_conf(builder.build())
                    },)*
                    region,
                    calls,
                    shared: shared.clone(),
                    in_flight,
                    retry,
                    account,
                }
            }
        }
    };
}

clients! {
    regional {
        ec2 => aws_sdk_ec2,
        rds => aws_sdk_rds,
        elasticache => aws_sdk_elasticache,
        secrets => aws_sdk_secretsmanager,
        ecs => aws_sdk_ecs,
        elb => aws_sdk_elasticloadbalancingv2,
        iam => aws_sdk_iam,
        ecr => aws_sdk_ecr,
        logs => aws_sdk_cloudwatchlogs,
        cloudwatch => aws_sdk_cloudwatch,
        sns => aws_sdk_sns,
        // The alarm topic's customer managed key.
        kms => aws_sdk_kms,
        cognito => aws_sdk_cognitoidentityprovider,
        autoscaling => aws_sdk_applicationautoscaling,
        tagging => aws_sdk_resourcegroupstagging,
        sts => aws_sdk_sts,
        cloudtrail => aws_sdk_cloudtrail,
        // The load balancer's certificate and REGIONAL web ACLs.
        acm => aws_sdk_acm,
        wafv2 => aws_sdk_wafv2,
    }
    edge {
        // CloudFront's certificate, the distribution, CLOUDFRONT-scope web ACLs, Route 53.
        acm_edge => aws_sdk_acm,
        cloudfront => aws_sdk_cloudfront,
        wafv2_edge => aws_sdk_wafv2,
        route53 => aws_sdk_route53,
    }
}

impl AwsClients {
    /// Loads the shared configuration and builds one client per service, all sending through
    /// one HTTP client, with at most `max_in_flight` requests out to each service at a time
    /// (see `in_flight`).
    pub async fn load(
        options: &AwsOptions,
        default_region: &str,
        max_in_flight: usize,
    ) -> Result<Self, AwsError> {
        let in_flight = in_flight::InFlight::new(max_in_flight);
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(in_flight.unlimited())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(8)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(20)),
            )
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // The region: --region when given, else the environment file's (never a stray
        // AWS_REGION: the environment file says where the environment lives).
        let region = options
            .region
            .clone()
            .unwrap_or_else(|| default_region.to_string());
        loader = loader.region(aws_config::Region::new(region.clone()));
        let shared = loader.load().await;
        if shared.credentials_provider().is_none() {
            return Err(AwsError::configuration(
                "no AWS credentials provider is configured",
            ));
        }
        Ok(Self::build(
            &shared,
            region,
            ApiCallCounter::default(),
            in_flight,
            None,
            Default::default(),
        ))
    }

    /// The same clients (credentials, endpoint, call counter), without the SDK's retries: for
    /// mutating calls, whose retries the engine owns.
    pub fn single_attempt(&self) -> AwsClients {
        Self::build(
            &self.shared,
            self.region.clone(),
            self.calls.clone(),
            self.in_flight.clone(),
            Some(RetryConfig::disabled()),
            self.account.clone(),
        )
    }

    /// An S3 client on the same configuration, HTTP client, call counter and retry policy
    /// (none on a [`AwsClients::single_attempt`] copy), for state in a bucket and for the
    /// environment's buckets. Path-style addressing when an endpoint is given (an emulator has
    /// no per-bucket DNS names). Built on demand: S3 clients are cheap, and a run that uses
    /// no bucket builds none.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        self.s3_on("s3")
    }

    /// An S3 client for the state and its lock, with a lane of requests in flight of its own:
    /// a state write or a lock renewal never queues behind the environment's bucket calls
    /// (a renewal that waits too long loses the lock).
    pub fn state_s3(&self) -> aws_sdk_s3::Client {
        self.s3_on("s3-state")
    }

    fn s3_on(&self, lane: &'static str) -> aws_sdk_s3::Client {
        let mut builder = aws_sdk_s3::config::Builder::from(&self.shared)
            .interceptor(self.calls.clone())
            .http_client(self.in_flight.for_service(lane));
        if let Some(retry) = &self.retry {
            builder = builder.retry_config(retry.clone());
        }
        if self.shared.endpoint_url().is_some() {
            builder = builder.force_path_style(true);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }

    /// The account the credentials belong to (STS `GetCallerIdentity`, asked once per run):
    /// bucket names, the logs bucket's policy and the trail's ARN contain it.
    pub async fn account_id(&self) -> Result<String, AwsError> {
        self.account
            .get_or_try_init(|| async {
                let identity = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .op("GetCallerIdentity")?;
                identity.account().map(str::to_string).ok_or_else(|| {
                    AwsError::other("GetCallerIdentity", "STS returned no account id")
                })
            })
            .await
            .cloned()
    }

    /// Fails early, with the SDK's own words, when no credentials can be found, so a missing
    /// credential is reported once instead of once per resource. Asks the clients' own
    /// provider (loading the configuration a second time cost a plan ~10 ms of start-up).
    pub async fn check_credentials(&self) -> Result<(), AwsError> {
        use aws_credential_types::provider::ProvideCredentials;
        let Some(provider) = self.shared.credentials_provider() else {
            return Err(AwsError::configuration(
                "no AWS credentials provider is configured",
            ));
        };
        provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(|err| AwsError::credentials(&err))
    }
}
