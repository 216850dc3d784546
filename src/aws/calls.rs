//! Counting AWS API calls per operation: calls, attempts (the SDK's retries) and throttled
//! attempts.
//!
//! A converged environment must be re-applied with reads only, and a slow no-op run is one of
//! the pains users of other tools report most; throttling is the other (and users ask which API
//! was throttled). Counting every call the SDK makes (with an interceptor, so no call can be
//! missed) lets `--output json` report reads and writes, retries and throttles per operation,
//! `-v` log them per service, and benchmarks compare runs.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Shared, cloneable counter of calls made, keyed by `Service:Operation`.
#[derive(Debug, Clone, Default)]
pub struct ApiCallCounter {
    counts: Arc<Mutex<BTreeMap<String, OperationCalls>>>,
}

/// What one operation cost in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OperationCalls {
    /// Calls made (each may take several attempts).
    pub calls: u32,
    /// HTTP attempts: calls plus the SDK's retries.
    pub attempts: u32,
    /// Attempts AWS answered with a throttling error.
    pub throttled: u32,
}

/// A snapshot of the calls a run made.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApiCalls {
    pub reads: u32,
    pub writes: u32,
    /// Attempts beyond the first of each call (the SDK's retries).
    pub retries: u32,
    /// Attempts AWS throttled.
    pub throttled: u32,
    /// `Service:Operation` → calls.
    pub by_operation: BTreeMap<String, u32>,
    /// `Service:Operation` → calls, attempts and throttled attempts, for the operations that
    /// were retried or throttled.
    pub retried: BTreeMap<String, OperationCalls>,
}

/// Whether an operation only reads. AWS names its read operations consistently.
pub fn is_read_operation(operation: &str) -> bool {
    // `Head`: S3's HeadBucket / HeadObject.
    const READ_PREFIXES: [&str; 6] = ["Describe", "List", "Get", "Search", "Lookup", "Head"];
    READ_PREFIXES
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

/// Error codes of throttling answers, as they appear in error bodies of every protocol.
const THROTTLING_MARKERS: [&str; 6] = [
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
];

impl ApiCallCounter {
    fn update(&self, key: String, change: impl FnOnce(&mut OperationCalls)) {
        if let Ok(mut counts) = self.counts.lock() {
            change(counts.entry(key).or_default());
        }
    }

    fn record(&self, service: &str, operation: &str) {
        self.update(format!("{service}:{operation}"), |calls| calls.calls += 1);
    }

    pub fn snapshot(&self) -> ApiCalls {
        let counts = self
            .counts
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default();
        let mut snapshot = ApiCalls::default();
        for (key, calls) in counts {
            let operation = key.rsplit(':').next().unwrap_or(&key);
            if is_read_operation(operation) {
                snapshot.reads += calls.calls;
            } else {
                snapshot.writes += calls.calls;
            }
            let retries = calls.attempts.saturating_sub(calls.calls);
            snapshot.retries += retries;
            snapshot.throttled += calls.throttled;
            if retries > 0 || calls.throttled > 0 {
                snapshot.retried.insert(key.clone(), calls);
            }
            snapshot.by_operation.insert(key, calls.calls);
        }
        snapshot
    }

    /// Per service: calls, retries and throttled attempts (for `-v`).
    pub fn by_service(&self) -> BTreeMap<String, OperationCalls> {
        let counts = self
            .counts
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default();
        let mut services: BTreeMap<String, OperationCalls> = BTreeMap::new();
        for (key, calls) in counts {
            let service = key.split(':').next().unwrap_or(&key).to_string();
            let total = services.entry(service).or_default();
            total.calls += calls.calls;
            total.attempts += calls.attempts;
            total.throttled += calls.throttled;
        }
        services
    }
}

fn key_of(cfg: &ConfigBag) -> Option<String> {
    cfg.load::<Metadata>()
        .map(|metadata| format!("{}:{}", metadata.service(), metadata.name()))
}

impl Intercept for ApiCallCounter {
    fn name(&self) -> &'static str {
        "macroctl::ApiCallCounter"
    }

    /// Runs once per operation (not per retry), after the operation's metadata is known.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.record(metadata.service(), metadata.name());
        }
        Ok(())
    }

    /// Runs once per attempt.
    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(key) = key_of(cfg) {
            self.update(key, |calls| calls.attempts += 1);
        }
        Ok(())
    }

    /// After each attempt: a throttling answer is an HTTP error whose body names one of the
    /// throttling codes (EC2 answers 503, the query and JSON services 400, some 429).
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response() else {
            return Ok(());
        };
        let status = response.status().as_u16();
        if status < 400 {
            return Ok(());
        }
        let throttled = status == 429
            || response
                .body()
                .bytes()
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .is_some_and(|body| THROTTLING_MARKERS.iter().any(|code| body.contains(code)))
            || response
                .headers()
                .get("x-amzn-errortype")
                .is_some_and(|kind| kind.contains("Throttl"));
        if throttled {
            if let Some(key) = key_of(cfg) {
                self.update(key, |calls| calls.throttled += 1);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_reads_and_writes() {
        assert!(is_read_operation("DescribeVpcs"));
        assert!(is_read_operation("ListTagsForResource"));
        assert!(is_read_operation("HeadBucket"));
        assert!(!is_read_operation("CreateVpc"));
        assert!(!is_read_operation("AuthorizeSecurityGroupIngress"));
        let counter = ApiCallCounter::default();
        counter.record("EC2", "DescribeVpcs");
        counter.record("EC2", "DescribeVpcs");
        counter.record("EC2", "CreateVpc");
        counter.update("EC2:DescribeVpcs".into(), |calls| {
            calls.attempts += 5;
            calls.throttled += 2;
        });
        counter.update("EC2:CreateVpc".into(), |calls| calls.attempts += 1);
        let calls = counter.snapshot();
        assert_eq!((calls.reads, calls.writes), (2, 1));
        assert_eq!(calls.by_operation["EC2:DescribeVpcs"], 2);
        assert_eq!((calls.retries, calls.throttled), (3, 2));
        assert_eq!(
            calls.retried["EC2:DescribeVpcs"],
            OperationCalls {
                calls: 2,
                attempts: 5,
                throttled: 2
            }
        );
        assert!(!calls.retried.contains_key("EC2:CreateVpc"));
        assert_eq!(counter.by_service()["EC2"].attempts, 6);
    }
}
