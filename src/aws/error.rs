//! AWS errors in the words users need: which operation failed, with which AWS error code.
//!
//! The SDK's error types are generic per operation; macroctl flattens them into one
//! [`AwsError`] that keeps the operation name, the AWS error code (`VpcLimitExceeded`,
//! `Throttling`, ...), the message and the original error as its source. Resource code adds
//! the environment and logical id on top (see `resources::ResourceError`).
//!
//! Every error is also *classified* once, here ([`ErrorClass`]): whether AWS says the thing
//! does not exist, already exists, throttled the call, failed on its side, or whether the
//! outcome is unknown (the response was lost). The engine decides what to do from the class
//! alone (retry, look up, adopt, wait for IAM), so no resource kind matches on message text.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::error::Error as StdError;
use std::fmt;

/// One failed AWS call, or a failure to configure the SDK at all.
#[derive(Debug)]
pub struct AwsError {
    /// The API operation, e.g. `CreateVpc`; empty for configuration failures.
    pub operation: String,
    /// The AWS error code, e.g. `InvalidVpcID.NotFound`, when AWS returned one.
    pub code: Option<String>,
    pub message: String,
    /// Whether the failure is about reaching AWS at all (connection refused, timeout).
    pub is_dispatch: bool,
    /// The HTTP status of AWS's answer, when there was one.
    pub status: Option<u16>,
    /// What kind of failure this is (see [`ErrorClass`]).
    pub class: ErrorClass,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl AwsError {
    pub fn configuration(message: impl Into<String>) -> Self {
        Self {
            operation: String::new(),
            code: None,
            message: message.into(),
            is_dispatch: false,
            status: None,
            class: ErrorClass::Other,
            source: None,
        }
    }

    /// No credentials: the SDK's words, and where the AWS CLI's chain looked (environment
    /// variables, the two files, SSO, instance metadata).
    pub fn credentials(err: &(dyn StdError + 'static)) -> Self {
        let mut message = format!("could not load AWS credentials: {err}");
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        let file = |var: &str, default: &str| {
            std::env::var(var).unwrap_or_else(|_| format!("~/{default}"))
        };
        message.push_str(&format!(
            " (looked at AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, {} and {}, SSO and instance metadata)",
            file("AWS_CONFIG_FILE", ".aws/config"),
            file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
        ));
        Self::configuration(message)
    }

    /// An error macroctl raises itself about an operation (e.g. a wait that timed out).
    pub fn other(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            operation: operation.into(),
            code: None,
            message: message.into(),
            is_dispatch: false,
            status: None,
            class: ErrorClass::Other,
            source: None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether AWS answered that the thing asked about does not exist.
    pub fn is_not_found(&self) -> bool {
        self.class() == ErrorClass::NotFound
    }

    /// What kind of failure this is, for deciding what to do next.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// Whether AWS refused the call for want of a permission (each service has its own code).
    pub fn is_access_denied(&self) -> bool {
        self.code()
            .is_some_and(|code| ACCESS_DENIED_CODES.contains(&code))
    }

    /// The IAM action a refusal names (`User: … is not authorized to perform: ecs:UpdateService
    /// on resource: …`), when it names one.
    pub fn denied_action(&self) -> Option<&str> {
        if !self.is_access_denied() {
            return None;
        }
        let (_, rest) = self.message.split_once("not authorized to perform: ")?;
        let action = rest
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '-'))
            .next()
            .filter(|action| action.contains(':'))?;
        Some(action)
    }

    /// The same error, classified as `class` (for answers only a kind can interpret).
    pub fn with_class(mut self, class: ErrorClass) -> Self {
        self.class = class;
        self
    }
}

/// The few kinds of failure the engine tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The thing named does not exist (or is not visible yet: EC2 and IAM are eventually
    /// consistent).
    NotFound,
    /// The thing to create already exists, or the rule / route / association to add is
    /// already there: after a lost response, usually our own earlier attempt.
    AlreadyExists,
    /// AWS refused the call because of its rate; nothing was done.
    Throttled,
    /// The outcome is unknown: the response was lost or AWS failed on its side (5xx) — the
    /// call may or may not have been performed.
    Unknown,
    /// A service refused an IAM role that was created or changed moments ago (IAM is
    /// eventually consistent across services).
    PropagationPending,
    /// Something still uses the resource, or it is in a state that refuses the call for now
    /// (`DependencyViolation` while network interfaces a deleted load balancer left behind
    /// linger, a target group still `ResourceInUse`, an ECS cluster that still has services):
    /// for `destroy`, repeated until the wait timeout.
    InUse,
    /// Anything else: a real error to report.
    Other,
}

/// Error codes meaning "already exists" (or "already done") across the services macroctl
/// uses.
const ALREADY_EXISTS_CODES: &[&str] = &[
    "InvalidSubnet.Conflict",
    "InvalidPermission.Duplicate",
    "InvalidGroup.Duplicate",
    "RouteAlreadyExists",
    "Resource.AlreadyAssociated",
    "DuplicateTargetGroupName",
    "DuplicateLoadBalancerName",
    "DuplicateListener",
    "PriorityInUse",
    "EntityAlreadyExists",
    "ResourceAlreadyExistsException",
    "RepositoryAlreadyExistsException",
    "ResourceExistsException",
    "DBInstanceAlreadyExists",
    "DBInstanceAlreadyExistsFault",
    "DBSubnetGroupAlreadyExists",
    "DBSubnetGroupAlreadyExistsFault",
    "DBParameterGroupAlreadyExists",
    "DBParameterGroupAlreadyExistsFault",
    "DBProxyAlreadyExistsFault",
    "DBProxyTargetAlreadyRegisteredFault",
    "ReplicationGroupAlreadyExists",
    "ReplicationGroupAlreadyExistsFault",
    "CacheSubnetGroupAlreadyExists",
    "CacheSubnetGroupAlreadyExistsFault",
    "IdempotentParameterMismatch",
    "BucketAlreadyOwnedByYou",
    "TrailAlreadyExistsException",
    "FlowLogAlreadyExists",
    // Route 53: a zone with this CallerReference exists (our earlier attempt made it).
    "HostedZoneAlreadyExists",
    // WAFv2: a web ACL of that name exists in the scope.
    "WAFDuplicateItemException",
    // CloudFront: a repeated CallerReference with another configuration, an OAC name taken.
    "DistributionAlreadyExists",
    "OriginAccessControlAlreadyExists",
    // KMS: an alias of that name exists (CreateAlias).
    "AlreadyExistsException",
];

/// Error codes meaning "in use or busy for now; try again later" across the services.
const IN_USE_CODES: &[&str] = &[
    "DependencyViolation",
    "InvalidIPAddress.InUse",
    "ResourceInUse",
    "ResourceInUseException",
    "DeleteConflict",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "ClusterContainsContainerInstancesException",
    "InvalidDBSubnetGroupStateFault",
    "InvalidDBSubnetGroupState",
    "InvalidDBParameterGroupState",
    "InvalidDBParameterGroupStateFault",
    "InvalidDBProxyStateFault",
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    "CacheSubnetGroupInUse",
    "CacheSubnetGroupInUseFault",
    "InvalidReplicationGroupState",
    "InvalidReplicationGroupStateFault",
    "IncorrectState",
    // Route 53: the zone still holds records (its records are deleted first).
    "HostedZoneNotEmpty",
    // S3: a conflicting operation on the bucket is in progress.
    "OperationAborted",
    // WAFv2: a web ACL still associated with a load balancer or used by a distribution.
    "WAFAssociatedItemException",
    // CloudFront deletes a distribution only once its disabling is deployed (minutes), and
    // an origin access control only once no distribution uses it.
    "DistributionNotDisabled",
    "OriginAccessControlInUse",
];

/// Codes with which services refuse a call the caller's policies do not allow: EC2's
/// `UnauthorizedOperation`, SNS's `AuthorizationError`, the query services' `AccessDenied`,
/// the JSON services' `AccessDeniedException`.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "AuthorizationErrorException",
    "UnauthorizedException",
    "AccessDeniedFault",
];

/// What a refused permission's message tells the user to do: which policy to regenerate.
/// Set once per process by the command (`commands::run`); a process runs one command on one
/// environment.
#[derive(Debug, Clone)]
pub struct PolicyAdvice {
    pub env: String,
    /// The `macroctl iam-policy --for` value that covers the command, when one does.
    pub purpose: Option<&'static str>,
}

static POLICY_ADVICE: std::sync::OnceLock<PolicyAdvice> = std::sync::OnceLock::new();

/// Records, for this process, the environment and command access-denied messages advise on.
pub fn set_policy_advice(advice: PolicyAdvice) {
    let _ = POLICY_ADVICE.set(advice);
}

/// `— add it to the CI role's policy (macroctl iam-policy --env E --for P)`.
fn policy_advice() -> String {
    match POLICY_ADVICE.get() {
        Some(PolicyAdvice {
            env,
            purpose: Some(purpose),
        }) => format!(
            "add it to the CI role's policy (macroctl iam-policy --env {env} --for {purpose})"
        ),
        Some(PolicyAdvice { env, purpose: None }) => format!(
            "add it to the policy of the role macroctl runs as (macroctl iam-policy --env {env} covers up, deploy and the read-only commands, not this one)"
        ),
        None => "add it to the policy of the role macroctl runs as (see `macroctl iam-policy`)"
            .to_string(),
    }
}

/// Codes meaning "not there (yet)" in a service that does not say `NotFound`: WAF's answer
/// for what does not exist, and the one it gives while a web ACL or load balancer created
/// moments ago has not reached it (`AssociateWebACL`). As NotFound, the engine waits those
/// out when this run made either side moments ago.
const NOT_FOUND_CODES: &[&str] = &[
    "WAFNonexistentItemException",
    "WAFUnavailableEntityException",
];

/// Codes with which a conditional change is refused because the version it names (a
/// CloudFront ETag sent as `If-Match`, a WAF lock token) is no longer the current one:
/// someone changed the resource since it was read. Nothing was done; like an unknown outcome,
/// the engine reads again and sends only what still differs, with the new version.
const STALE_VERSION_CODES: &[&str] = &[
    "PreconditionFailed",
    "InvalidIfMatchVersion",
    "WAFOptimisticLockException",
];

/// Codes with which a service refuses a grant macroctl wrote moments ago (a bucket policy, a
/// role) that has not reached it yet: CloudTrail checks the logs bucket's policy and its
/// CloudWatch Logs role when a trail is created or changed.
const GRANT_NOT_YET_CODES: &[&str] = &[
    "InsufficientS3BucketPolicyException",
    "InvalidCloudWatchLogsRoleArnException",
    "InvalidCloudWatchLogsLogGroupArnException",
];

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
];

const SERVER_ERROR_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServiceError",
    "InternalServiceErrorException",
    "ServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    // KMS failing on its side, or waiting on a service it depends on.
    "KMSInternalException",
    "DependencyTimeoutException",
];

/// Words with which services refuse a role IAM has not propagated to them yet (ECS, RDS,
/// ELB, Application Auto Scaling), lower-cased.
const PROPAGATION_PHRASES: &[&str] = &[
    "role is not valid",
    "unable to assume role",
    "unable to assume the role",
    "unable to assume iam role",
    "was unable to assume the role",
    "iam role arn value is invalid",
    "not authorized to perform: iam:passrole",
    // ELB, enabling access logs to a bucket whose new policy has not reached it.
    "access denied for bucket",
];

/// The class of an AWS answer (or of a failure to get one).
pub fn classify(
    code: Option<&str>,
    message: &str,
    status: Option<u16>,
    is_dispatch: bool,
) -> ErrorClass {
    if is_dispatch {
        return ErrorClass::Unknown;
    }
    let lower = message.to_ascii_lowercase();
    if let Some(code) = code {
        if THROTTLING_CODES.contains(&code) {
            return ErrorClass::Throttled;
        }
        if ALREADY_EXISTS_CODES.contains(&code) {
            return ErrorClass::AlreadyExists;
        }
        if IN_USE_CODES.contains(&code) {
            return ErrorClass::InUse;
        }
        if GRANT_NOT_YET_CODES.contains(&code) {
            return ErrorClass::PropagationPending;
        }
        if STALE_VERSION_CODES.contains(&code) {
            return ErrorClass::Unknown;
        }
        if PROPAGATION_PHRASES
            .iter()
            .any(|phrase| lower.contains(phrase))
            && matches!(
                code,
                "ClientException"
                    | "InvalidParameterException"
                    | "InvalidParameterValue"
                    | "InvalidParameterCombination"
                    | "ValidationException"
                    | "AccessDeniedException"
                    | "AccessDenied"
                    | "InvalidConfigurationRequest"
            )
        {
            return ErrorClass::PropagationPending;
        }
        if NOT_FOUND_CODES.contains(&code) {
            return ErrorClass::NotFound;
        }
        if code.contains("NotFound") || code.contains("NoSuch") || code == "NotFound" {
            return ErrorClass::NotFound;
        }
        if SERVER_ERROR_CODES.contains(&code) {
            return ErrorClass::Unknown;
        }
    }
    match status {
        Some(429) => ErrorClass::Throttled,
        Some(500..=599) => ErrorClass::Unknown,
        _ => ErrorClass::Other,
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.operation.is_empty() {
            write!(f, "{} failed: ", self.operation)?;
        }
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message)?,
            None => write!(f, "{}", self.message)?,
        }
        if self.is_access_denied() {
            let action = match self.denied_action() {
                Some(action) => action.to_string(),
                None => format!("the IAM action of {}", self.operation),
            };
            write!(f, "; not allowed: {action} — {}", policy_advice())?;
        }
        Ok(())
    }
}

impl StdError for AwsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// The messages of an error's causes, innermost last, without the SDK's wrappers' Debug
/// output: `connection refused (os error 111)` rather than `DispatchFailure(...)`.
pub fn root_causes(err: &(dyn StdError + 'static)) -> String {
    let mut messages: Vec<String> = Vec::new();
    let mut current = err.source();
    while let Some(cause) = current {
        let text = cause.to_string();
        // Wrappers repeat what they wrap, or say only "io error" / "dispatch failure".
        if !text.is_empty() && !messages.iter().any(|seen| seen.contains(&text)) {
            messages.push(text);
        }
        current = cause.source();
    }
    let useful: Vec<&String> = messages
        .iter()
        .filter(|text| !matches!(text.as_str(), "io error" | "dispatch failure" | "other"))
        .collect();
    match useful.as_slice() {
        [] => err.to_string(),
        // The innermost two say what happened (e.g. "tcp connect error: Connection refused").
        [.., outer, inner] => format!("{outer}: {inner}"),
        [only] => only.to_string(),
    }
}

/// Turns "AWS says it does not exist" into `Ok(None)`: how every kind's `find` reads.
pub trait Found<T> {
    fn found(self) -> Result<Option<T>, AwsError>;
}

impl<T> Found<T> for Result<T, AwsError> {
    fn found(self) -> Result<Option<T>, AwsError> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// Converts an SDK result's error into an [`AwsError`] naming the operation.
pub trait IntoAwsError<T> {
    fn op(self, operation: &str) -> Result<T, AwsError>;
}

impl<T, E> IntoAwsError<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    fn op(self, operation: &str) -> Result<T, AwsError> {
        self.map_err(|err| {
            let is_dispatch = matches!(
                err,
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
            );
            let code = err.code().map(str::to_string);
            let status = match &err {
                SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
                SdkError::ResponseError(response) => Some(response.raw().status().as_u16()),
                _ => None,
            };
            // A response that arrived but could not be read leaves the outcome unknown too.
            let unreadable = matches!(err, SdkError::ResponseError(_));
            let class = classify(
                err.code(),
                err.message().unwrap_or_default(),
                status,
                is_dispatch || unreadable,
            );
            let message = match (err.message(), is_dispatch) {
                (_, true) => {
                    // The whole SDK context (a Debug dump) only at -vv.
                    tracing::debug!("{operation}: {}", DisplayErrorContext(&err));
                    format!("could not reach the AWS endpoint: {}", root_causes(&err))
                }
                (Some(message), false) => message.to_string(),
                // No message from AWS (an answer the SDK could not read): the causes in words,
                // the SDK's Debug context only at -vv.
                (None, false) => {
                    tracing::debug!("{operation}: {}", DisplayErrorContext(&err));
                    root_causes(&err)
                }
            };
            AwsError {
                operation: operation.to_string(),
                code,
                message,
                is_dispatch,
                status,
                class,
                source: Some(Box::new(err)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(code: &str, message: &str, status: u16) -> ErrorClass {
        classify(Some(code), message, Some(status), false)
    }

    #[test]
    fn answers_that_mean_our_earlier_attempt_worked_are_already_exists() {
        for code in [
            "InvalidSubnet.Conflict",
            "InvalidPermission.Duplicate",
            "RouteAlreadyExists",
            "Resource.AlreadyAssociated",
            "DuplicateTargetGroupName",
            "EntityAlreadyExists",
            "ResourceAlreadyExistsException",
            "DBInstanceAlreadyExists",
            "ReplicationGroupAlreadyExists",
            "ResourceExistsException",
        ] {
            assert_eq!(class(code, "", 400), ErrorClass::AlreadyExists, "{code}");
        }
    }

    #[test]
    fn throttling_in_every_protocol() {
        assert_eq!(
            class("RequestLimitExceeded", "Request limit exceeded.", 503),
            ErrorClass::Throttled
        );
        assert_eq!(
            class("Throttling", "Rate exceeded", 400),
            ErrorClass::Throttled
        );
        assert_eq!(
            class("ThrottlingException", "Rate exceeded", 400),
            ErrorClass::Throttled
        );
        assert_eq!(classify(None, "", Some(429), false), ErrorClass::Throttled);
    }

    #[test]
    fn lost_responses_and_server_errors_leave_the_outcome_unknown() {
        assert_eq!(classify(None, "", None, true), ErrorClass::Unknown);
        assert_eq!(
            class("InternalError", "An internal error has occurred", 500),
            ErrorClass::Unknown
        );
        assert_eq!(class("ServiceUnavailable", "", 503), ErrorClass::Unknown);
        assert_eq!(
            classify(Some("Weird"), "", Some(502), false),
            ErrorClass::Unknown
        );
    }

    #[test]
    fn services_refusing_a_fresh_role_are_propagation_pending() {
        assert_eq!(
            class("ClientException", "Role is not valid", 400),
            ErrorClass::PropagationPending
        );
        assert_eq!(
            class(
                "InvalidParameterException",
                "Unable to assume role and validate the specified targetGroupArn.",
                400
            ),
            ErrorClass::PropagationPending
        );
        assert_eq!(
            class(
                "InvalidParameterValue",
                "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING",
                400
            ),
            ErrorClass::PropagationPending
        );
        // The same codes with other words are ordinary errors.
        assert_eq!(
            class("ClientException", "Container image is invalid", 400),
            ErrorClass::Other
        );
        assert_eq!(
            class("InvalidParameterException", "bad subnet", 400),
            ErrorClass::Other
        );
    }

    #[test]
    fn not_found_in_every_service_s_words() {
        for code in [
            "InvalidVpcID.NotFound",
            "NatGatewayNotFound",
            "TargetGroupNotFound",
            "DBInstanceNotFound",
            "NoSuchEntity",
            "ResourceNotFoundException",
            "ServiceNotFoundException",
        ] {
            assert_eq!(class(code, "", 400), ErrorClass::NotFound, "{code}");
        }
        assert_eq!(
            class("ValidationError", "bad value", 400),
            ErrorClass::Other
        );
    }

    #[test]
    fn refusals_name_the_missing_permission() {
        let denied = |code: &str, message: &str| AwsError {
            operation: "UpdateService".into(),
            code: Some(code.into()),
            message: message.into(),
            is_dispatch: false,
            status: Some(400),
            class: classify(Some(code), message, Some(400), false),
            source: None,
        };
        let err = denied(
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:us-east-1:123456789012:service/x/api",
        );
        assert_eq!(err.denied_action(), Some("ecs:UpdateService"));
        assert_eq!(err.class(), ErrorClass::Other);
        let text = err.to_string();
        assert!(text.contains("AccessDeniedException"), "{text}");
        assert!(text.contains("not allowed: ecs:UpdateService"), "{text}");
        assert!(text.contains("macroctl iam-policy"), "{text}");
        let ec2 = denied(
            "UnauthorizedOperation",
            "You are not authorized to perform this operation. User: arn:aws:iam::1:user/ci is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:us-east-1:1:vpc/*",
        );
        assert_eq!(ec2.denied_action(), Some("ec2:CreateVpc"));
        // No action in the words: the operation is named instead.
        let bare = denied("AccessDenied", "Access Denied");
        assert_eq!(bare.denied_action(), None);
        assert!(bare.to_string().contains("the IAM action of UpdateService"));
        // Other errors are left as they are.
        let other = denied("ValidationError", "not authorized to perform: x:Y");
        assert!(!other.to_string().contains("not allowed"));
    }

    #[test]
    fn waf_answers() {
        assert_eq!(
            class("WAFDuplicateItemException", "", 400),
            ErrorClass::AlreadyExists
        );
        assert_eq!(
            class("WAFNonexistentItemException", "", 400),
            ErrorClass::NotFound
        );
        // A web ACL or load balancer created moments ago, not yet known to WAF.
        assert_eq!(
            class("WAFUnavailableEntityException", "", 400),
            ErrorClass::NotFound
        );
        assert_eq!(
            class("WAFAssociatedItemException", "", 400),
            ErrorClass::InUse
        );
        // A stale lock token: read again, then retry.
        assert_eq!(
            class("WAFOptimisticLockException", "", 400),
            ErrorClass::Unknown
        );
        assert_eq!(
            class("WAFInvalidParameterException", "", 400),
            ErrorClass::Other
        );
    }

    #[test]
    fn cloudfront_answers() {
        assert_eq!(
            class("DistributionAlreadyExists", "", 409),
            ErrorClass::AlreadyExists
        );
        assert_eq!(
            class("OriginAccessControlAlreadyExists", "", 409),
            ErrorClass::AlreadyExists
        );
        assert_eq!(class("DistributionNotDisabled", "", 409), ErrorClass::InUse);
        assert_eq!(
            class("OriginAccessControlInUse", "", 409),
            ErrorClass::InUse
        );
        // A stale ETag: read again, then change what still differs.
        assert_eq!(class("PreconditionFailed", "", 412), ErrorClass::Unknown);
        assert_eq!(class("InvalidIfMatchVersion", "", 400), ErrorClass::Unknown);
        assert_eq!(class("NoSuchDistribution", "", 404), ErrorClass::NotFound);
    }

    #[test]
    fn rds_proxy_answers() {
        // CreateDBProxy refusing a role IAM has not propagated yet.
        assert_eq!(
            class(
                "InvalidParameterValue",
                "IAM role ARN value is invalid or does not include the required permissions for: DB proxy secret access (arn:aws:iam::123456789012:role/x)",
                400
            ),
            ErrorClass::PropagationPending
        );
        assert_eq!(
            class("DBProxyAlreadyExistsFault", "", 400),
            ErrorClass::AlreadyExists
        );
        assert_eq!(
            class("DBProxyTargetAlreadyRegisteredFault", "", 400),
            ErrorClass::AlreadyExists
        );
        assert_eq!(class("DBProxyNotFoundFault", "", 404), ErrorClass::NotFound);
        assert_eq!(
            class("DBProxyTargetNotFoundFault", "", 404),
            ErrorClass::NotFound
        );
        assert_eq!(
            class("InvalidDBProxyStateFault", "", 400),
            ErrorClass::InUse
        );
    }
}
