//! The errors a command can end with, and how they are shown.
//!
//! Each variant knows its exit code and, where there is one, the hint that tells the user what
//! to do. Printing follows one shape: `error: ...`, then each cause as `caused by: ...`, then
//! `hint: ...`.

use crate::aws::AwsError;
use crate::config::ConfigError;
use crate::exit;
use crate::graph::GraphError;
use crate::state::lock::LockError;
use crate::state::StateError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(Box<ConfigError>),
    #[error(transparent)]
    State(Box<StateError>),
    #[error(transparent)]
    Lock(Box<LockError>),
    #[error("internal error: the resource graph is invalid: {0}")]
    Graph(#[from] GraphError),
    /// Nothing answers at the AWS endpoint.
    #[error("environment {env}: cannot reach AWS at {endpoint}: {cause}")]
    Unreachable {
        env: String,
        endpoint: String,
        cause: String,
    },
    #[error("environment {env}: {source}")]
    Aws {
        env: String,
        #[source]
        source: AwsError,
    },
    /// A resource failed; the run summary has already been shown.
    #[error("environment {env}: {failed} resource(s) failed ({summary})")]
    ResourcesFailed {
        env: String,
        failed: usize,
        summary: String,
    },
    #[error("environment {env}: interrupted; calls already sent finished and were recorded in state{}", pending_text(.pending))]
    Interrupted { env: String, pending: Vec<String> },
    /// The user asked for something macroctl will not do as asked.
    #[error("{message}")]
    Refused { message: String, hint: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

fn pending_text(pending: &[String]) -> String {
    if pending.is_empty() {
        String::new()
    } else {
        format!("; still pending: {}", pending.join(", "))
    }
}

// Boxed: these carry paths and holder details, and errors travel through every `Result`.
impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(Box::new(error))
    }
}

impl From<StateError> for Error {
    fn from(error: StateError) -> Self {
        Error::State(Box::new(error))
    }
}

impl From<LockError> for Error {
    fn from(error: LockError) -> Self {
        Error::Lock(Box::new(error))
    }
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Lock(lock)
                if matches!(
                    **lock,
                    LockError::Held { .. } | LockError::HeldRemote { .. }
                ) =>
            {
                exit::LOCKED
            }
            _ => exit::ERROR,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Aws { source, .. } if source.is_dispatch => Some(
                "check --endpoint-url / AWS_ENDPOINT_URL, the network, and --region".into(),
            ),
            Error::Aws { source, .. } if source.operation.is_empty() => Some(
                "set credentials the usual AWS way: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile, or `aws sso login`".into(),
            ),
            Error::Unreachable { .. } => Some(
                "check --endpoint-url / AWS_ENDPOINT_URL (is the emulator or endpoint running?), the network and --region".into(),
            ),
            Error::ResourcesFailed { .. } => Some(
                "fix the cause and run the same command again: finished resources are recorded, nothing is created twice".into(),
            ),
            Error::Interrupted { .. } => Some(
                "run the same command again: it finds what was created and resumes waiting for it"
                    .into(),
            ),
            Error::Refused { hint, .. } if !hint.is_empty() => Some(hint.clone()),
            _ => None,
        }
    }

    /// Writes the error to stderr in the `error:` / `caused by:` / `hint:` shape.
    pub fn print(&self) {
        eprintln!("error: {self}");
        let mut source = std::error::Error::source(self);
        // Transparent variants already show their source's message.
        if matches!(
            self,
            Error::Config(_) | Error::State(_) | Error::Lock(_) | Error::Aws { .. }
        ) {
            source = source.and_then(std::error::Error::source);
        }
        let mut seen = self.to_string();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !seen.contains(&text) {
                eprintln!("  caused by: {text}");
                seen.push_str(&text);
            }
            source = cause.source();
        }
        if let Some(hint) = self.hint() {
            eprintln!("hint: {hint}");
        }
    }
}
