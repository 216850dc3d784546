//! One HTTP client for every service, with a limit on the requests in flight to each.
//!
//! Why one client: each SDK client left to itself builds its own HTTP client, and with it its
//! own TLS configuration and connection pool on first use. A plan uses thirteen services
//! (twice: the single-attempt copies), so a run paid for some thirty of them before its first
//! answers; one shared client pays once and reuses connections.
//!
//! Why the limit lives here: `--parallelism` bounds what AWS sees at once. While resources are
//! changed the engine runs at most that many, each making one call at a time; while an
//! environment is read, every resource reads at once (most answers come from one listing per
//! kind that all resources of the kind share, so bounding resources would only make them queue
//! behind each other's cache hits), and this limit keeps the requests actually sent to each
//! service at `--parallelism`. Per service, because that is how AWS rate-limits: by API action
//! within a service, per account and region (EC2's token buckets, ELB's and IAM's per-action
//! limits); ten EC2 reads beside ten ELB reads take nothing from each other's budget. A permit
//! is held for one HTTP attempt only, never across calls, so a wait for one cannot deadlock:
//! whoever holds it finishes its request and lets go.

use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc, `HTTPS_PROXY`/`NO_PROXY`
/// honoured), built once, and a semaphore of `max_in_flight` permits per service.
#[derive(Clone, Debug)]
pub struct InFlight {
    inner: SharedHttpClient,
    max_in_flight: usize,
    per_service: Arc<Mutex<HashMap<&'static str, Arc<Semaphore>>>>,
}

impl InFlight {
    pub fn new(max_in_flight: usize) -> Self {
        let inner = Builder::new().build_with_connector_fn(|settings, components| {
            let mut builder = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ));
            builder.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                builder.set_sleep_impl(components.sleep_impl());
            }
            builder.set_proxy_config(Some(ProxyConfig::from_env()));
            builder.build()
        });
        Self {
            inner,
            max_in_flight: max_in_flight.max(1),
            per_service: Arc::default(),
        }
    }

    /// The shared client without a limit: for what aws-config itself calls while loading
    /// (credential providers, instance metadata).
    pub fn unlimited(&self) -> SharedHttpClient {
        self.inner.clone()
    }

    /// The client for one service's SDK clients (its retrying and single-attempt clients share
    /// the service's permits).
    pub fn for_service(&self, service: &'static str) -> SharedHttpClient {
        let mut per_service = self.per_service.lock().unwrap_or_else(|e| e.into_inner());
        let permits = per_service
            .entry(service)
            .or_insert_with(|| Arc::new(Semaphore::new(self.max_in_flight)))
            .clone();
        SharedHttpClient::new(Limited {
            inner: self.inner.clone(),
            permits,
        })
    }
}

/// An HTTP client whose connectors share one service's semaphore.
#[derive(Debug)]
struct Limited {
    inner: SharedHttpClient,
    permits: Arc<Semaphore>,
}

impl HttpClient for Limited {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: self.permits.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let permits = self.permits.clone();
        HttpConnectorFuture::new(async move {
            // The semaphore is never closed; were it, the request would go without a permit.
            let _permit = permits.acquire_owned().await.ok();
            inner.call(request).await
        })
    }
}
