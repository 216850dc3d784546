//! Counting AWS API calls per operation.
//!
//! A converged environment must be re-applied with reads only, and a slow no-op run is one of
//! the pains users of other tools report most. Counting every call the SDK makes (with an
//! interceptor, so no call can be missed) lets `--output json` report reads and writes, and
//! lets benchmarks compare runs.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
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
    counts: Arc<Mutex<BTreeMap<String, u32>>>,
}

/// A snapshot of the calls a run made.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApiCalls {
    pub reads: u32,
    pub writes: u32,
    pub by_operation: BTreeMap<String, u32>,
}

/// Whether an operation only reads. AWS names its read operations consistently.
pub fn is_read_operation(operation: &str) -> bool {
    const READ_PREFIXES: [&str; 5] = ["Describe", "List", "Get", "Search", "Lookup"];
    READ_PREFIXES
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

impl ApiCallCounter {
    fn record(&self, service: &str, operation: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(format!("{service}:{operation}")).or_default() += 1;
        }
    }

    pub fn snapshot(&self) -> ApiCalls {
        let by_operation = self
            .counts
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default();
        let mut calls = ApiCalls {
            by_operation,
            ..ApiCalls::default()
        };
        for (key, count) in &calls.by_operation {
            let operation = key.rsplit(':').next().unwrap_or(key);
            if is_read_operation(operation) {
                calls.reads += count;
            } else {
                calls.writes += count;
            }
        }
        calls
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_reads_and_writes() {
        assert!(is_read_operation("DescribeVpcs"));
        assert!(is_read_operation("ListTagsForResource"));
        assert!(!is_read_operation("CreateVpc"));
        assert!(!is_read_operation("AuthorizeSecurityGroupIngress"));
        let counter = ApiCallCounter::default();
        counter.record("EC2", "DescribeVpcs");
        counter.record("EC2", "DescribeVpcs");
        counter.record("EC2", "CreateVpc");
        let calls = counter.snapshot();
        assert_eq!((calls.reads, calls.writes), (2, 1));
        assert_eq!(calls.by_operation["EC2:DescribeVpcs"], 2);
    }
}
