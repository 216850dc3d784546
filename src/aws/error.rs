//! AWS errors in the words users need: which operation failed, with which AWS error code.
//!
//! The SDK's error types are generic per operation; macroctl flattens them into one
//! [`AwsError`] that keeps the operation name, the AWS error code (`VpcLimitExceeded`,
//! `Throttling`, ...), the message and the original error as its source. Resource code adds
//! the environment and logical id on top (see `resources::ResourceError`).

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
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl AwsError {
    pub fn configuration(message: impl Into<String>) -> Self {
        Self {
            operation: String::new(),
            code: None,
            message: message.into(),
            is_dispatch: false,
            source: None,
        }
    }

    pub fn credentials(err: &(dyn StdError + 'static)) -> Self {
        let mut message = format!("could not load AWS credentials: {err}");
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Self::configuration(message)
    }

    /// An error macroctl raises itself about an operation (e.g. a wait that timed out).
    pub fn other(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            operation: operation.into(),
            code: None,
            message: message.into(),
            is_dispatch: false,
            source: None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether AWS answered that the thing asked about does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code()
            .is_some_and(|code| code.contains("NotFound") || code.contains("NoSuch"))
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.operation.is_empty() {
            write!(f, "{} failed: ", self.operation)?;
        }
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl StdError for AwsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
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

impl<T, E, R> IntoAwsError<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    fn op(self, operation: &str) -> Result<T, AwsError> {
        self.map_err(|err| {
            let is_dispatch = matches!(
                err,
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
            );
            let code = err.code().map(str::to_string);
            let message = match (err.message(), is_dispatch) {
                (_, true) => format!(
                    "could not reach the AWS endpoint: {}",
                    DisplayErrorContext(&err)
                ),
                (Some(message), false) => message.to_string(),
                (None, false) => DisplayErrorContext(&err).to_string(),
            };
            AwsError {
                operation: operation.to_string(),
                code,
                message,
                is_dispatch,
                source: Some(Box::new(err)),
            }
        })
    }
}
