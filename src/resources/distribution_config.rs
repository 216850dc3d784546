//! The distribution's configuration both ways: built from the spec for CloudFront
//! (`build`), and described in short words per field (`describe`), the same words for what is
//! desired and what CloudFront reports, so the two compare field by field.
//!
//! Why the whole configuration is built, every time: `UpdateDistribution` replaces the entire
//! configuration (what it is not given goes back to CloudFront's defaults), so the update
//! sends everything macroctl manages, with the `CallerReference` CloudFront keeps. The
//! distribution is macroctl's alone; a behaviour or origin added by hand shows as a
//! difference and is removed by the next `up`.
//!
//! Routing: the default behaviour goes to the load balancer (the UI's server decides what may
//! be cached: CloudFront's `UseOriginCacheControlHeaders` policy caches only what its
//! `Cache-Control` allows); `/api/*` to the load balancer too, never cached
//! (`CachingDisabled`); the asset paths to the assets bucket (`CachingOptimized`), signed
//! with the Origin Access Control. What reaches the load balancer carries the viewer's
//! headers, cookies and query strings except `Host` (`AllViewerExceptHostHeader`: the load
//! balancer's certificate and rules know its own name, not the viewer's).

use super::distribution::DistributionSpec;
use super::Resolver;
use crate::aws::AwsError;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomOriginConfig,
    DefaultCacheBehavior, DistributionConfig, HttpVersion, LoggingConfig, Method,
    MinimumProtocolVersion, Origin, OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass,
    S3OriginConfig, SslProtocol, SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use std::collections::BTreeMap;

/// The origin ids: the load balancer (UI and API), and the assets bucket.
pub const ORIGIN_APP: &str = "app";
pub const ORIGIN_ASSETS: &str = "assets";
/// Where in the logs bucket CloudFront writes its access logs.
pub const LOG_PREFIX: &str = "cloudfront/";

/// AWS managed cache and origin request policies (the same ids in every account).
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
pub const USE_ORIGIN_CACHE_CONTROL_HEADERS: &str = "83da9c7e-98b4-4e11-a168-04f0df8e2c65";
pub const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

const MANAGED_POLICIES: [(&str, &str); 4] = [
    (CACHING_DISABLED, "CachingDisabled"),
    (CACHING_OPTIMIZED, "CachingOptimized"),
    (
        USE_ORIGIN_CACHE_CONTROL_HEADERS,
        "UseOriginCacheControlHeaders",
    ),
    (ALL_VIEWER_EXCEPT_HOST_HEADER, "AllViewerExceptHostHeader"),
];

const ALL_METHODS: [Method; 7] = [
    Method::Get,
    Method::Head,
    Method::Options,
    Method::Put,
    Method::Post,
    Method::Patch,
    Method::Delete,
];
const READ_METHODS: [Method; 2] = [Method::Get, Method::Head];

/// A field CloudFront did not report (moto drops an S3 origin's access settings): unknown,
/// never a difference.
pub type Described = BTreeMap<String, Option<String>>;

/// The TLS versions CloudFront uses towards an HTTPS origin.
const ORIGIN_TLS: SslProtocol = SslProtocol::TlSv12;
/// The viewer security policy with a certificate of the environment's own.
const VIEWER_TLS: MinimumProtocolVersion = MinimumProtocolVersion::TlSv122021;

fn build_error(err: impl std::fmt::Display) -> AwsError {
    AwsError::other(
        "CreateDistribution",
        format!("cannot build the distribution configuration: {err}"),
    )
}

/// One behaviour's settings, shared by the default and the path behaviours.
struct Route {
    origin: &'static str,
    cache_policy: &'static str,
    origin_request_policy: Option<&'static str>,
    methods: &'static [Method],
}

const UI: Route = Route {
    origin: ORIGIN_APP,
    cache_policy: USE_ORIGIN_CACHE_CONTROL_HEADERS,
    origin_request_policy: Some(ALL_VIEWER_EXCEPT_HOST_HEADER),
    methods: &ALL_METHODS,
};
const API: Route = Route {
    origin: ORIGIN_APP,
    cache_policy: CACHING_DISABLED,
    origin_request_policy: Some(ALL_VIEWER_EXCEPT_HOST_HEADER),
    methods: &ALL_METHODS,
};
const ASSETS: Route = Route {
    origin: ORIGIN_ASSETS,
    cache_policy: CACHING_OPTIMIZED,
    origin_request_policy: None,
    methods: &READ_METHODS,
};

fn allowed_methods(methods: &[Method]) -> Result<AllowedMethods, AwsError> {
    let cached = CachedMethods::builder()
        .quantity(READ_METHODS.len() as i32)
        .set_items(Some(READ_METHODS.to_vec()))
        .build()
        .map_err(build_error)?;
    AllowedMethods::builder()
        .quantity(methods.len() as i32)
        .set_items(Some(methods.to_vec()))
        .cached_methods(cached)
        .build()
        .map_err(build_error)
}

fn default_behavior(route: &Route) -> Result<DefaultCacheBehavior, AwsError> {
    DefaultCacheBehavior::builder()
        .target_origin_id(route.origin)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(allowed_methods(route.methods)?)
        .compress(true)
        .cache_policy_id(route.cache_policy)
        .set_origin_request_policy_id(route.origin_request_policy.map(str::to_string))
        .build()
        .map_err(build_error)
}

fn path_behavior(path: &str, route: &Route) -> Result<CacheBehavior, AwsError> {
    CacheBehavior::builder()
        .path_pattern(path)
        .target_origin_id(route.origin)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(allowed_methods(route.methods)?)
        .compress(true)
        .cache_policy_id(route.cache_policy)
        .set_origin_request_policy_id(route.origin_request_policy.map(str::to_string))
        .build()
        .map_err(build_error)
}

/// The `Host` CloudFront's legacy standard logging takes for a bucket.
pub fn logging_host(bucket: &str) -> String {
    format!("{bucket}.s3.amazonaws.com")
}

/// The whole configuration `spec` asks for, under `caller_reference`.
pub fn build(
    spec: &DistributionSpec,
    resolver: &Resolver,
    caller_reference: &str,
) -> Result<DistributionConfig, AwsError> {
    let app = &spec.app_origin;
    let policy = if app.https {
        OriginProtocolPolicy::HttpsOnly
    } else {
        OriginProtocolPolicy::HttpOnly
    };
    let app_origin = Origin::builder()
        .id(ORIGIN_APP)
        .domain_name(app.domain.get(resolver))
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(policy)
                .origin_ssl_protocols(
                    OriginSslProtocols::builder()
                        .quantity(1)
                        .items(ORIGIN_TLS)
                        .build()
                        .map_err(build_error)?,
                )
                .build()
                .map_err(build_error)?,
        )
        .build()
        .map_err(build_error)?;
    let assets_origin = Origin::builder()
        .id(ORIGIN_ASSETS)
        .domain_name(&spec.assets.domain)
        // Origin Access Control signs; the legacy identity (OAI) stays empty.
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .origin_access_control_id(resolver.get(&spec.assets.origin_access_control))
        .build()
        .map_err(build_error)?;
    let mut behaviors = vec![path_behavior("/api/*", &API)?];
    for path in &spec.asset_paths {
        behaviors.push(path_behavior(path, &ASSETS)?);
    }
    let aliases = Aliases::builder()
        .quantity(spec.aliases.len() as i32)
        .set_items((!spec.aliases.is_empty()).then(|| spec.aliases.clone()))
        .build()
        .map_err(build_error)?;
    let certificate = match &spec.certificate {
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn.get(resolver))
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(VIEWER_TLS)
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    };
    let logging = match &spec.logs_bucket {
        Some(bucket) => LoggingConfig::builder()
            .enabled(true)
            .include_cookies(false)
            .bucket(logging_host(&resolver.get(bucket)))
            .prefix(LOG_PREFIX)
            .build(),
        None => LoggingConfig::builder()
            .enabled(false)
            .include_cookies(false)
            .bucket("")
            .prefix("")
            .build(),
    };
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment(&spec.comment)
        .enabled(true)
        .aliases(aliases)
        .origins(
            Origins::builder()
                .quantity(2)
                .items(app_origin)
                .items(assets_origin)
                .build()
                .map_err(build_error)?,
        )
        .default_cache_behavior(default_behavior(&UI)?)
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(behaviors.len() as i32)
                .set_items(Some(behaviors))
                .build()
                .map_err(build_error)?,
        )
        .price_class(PriceClass::from(spec.price_class.as_str()))
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(true)
        .viewer_certificate(certificate)
        .web_acl_id(
            spec.web_acl
                .as_ref()
                .map_or(String::new(), |acl| resolver.get(acl)),
        )
        .logging(logging)
        .build()
        .map_err(build_error)
}

fn policy_name(id: &str) -> String {
    MANAGED_POLICIES
        .iter()
        .find(|(known, _)| *known == id)
        .map_or_else(|| id.to_string(), |(_, name)| name.to_string())
}

fn methods(methods: Option<&AllowedMethods>) -> String {
    let sorted = |items: &[Method]| {
        let mut names: Vec<&str> = items.iter().map(Method::as_str).collect();
        names.sort_unstable();
        names.join(",")
    };
    match methods {
        None => "(not set)".into(),
        Some(allowed) => format!(
            "{} (cached {})",
            sorted(allowed.items()),
            allowed
                .cached_methods()
                .map_or_else(|| "(not set)".into(), |cached| sorted(cached.items()))
        ),
    }
}

/// One behaviour in words: `→ app, redirect-to-https, cache CachingDisabled, origin request
/// AllViewerExceptHostHeader, DELETE,GET,... (cached GET,HEAD), compressed`.
#[allow(clippy::too_many_arguments)]
fn behavior(
    origin: &str,
    viewer: &ViewerProtocolPolicy,
    cache: Option<&str>,
    origin_request: Option<&str>,
    allowed: Option<&AllowedMethods>,
    compress: Option<bool>,
) -> String {
    let origin_request = origin_request
        .filter(|id| !id.is_empty())
        .map_or_else(|| "none".to_string(), policy_name);
    format!(
        "→ {origin}, {}, cache {}, origin request {origin_request}, {}{}",
        viewer.as_str(),
        cache
            .filter(|id| !id.is_empty())
            .map_or_else(|| "(legacy settings)".to_string(), policy_name),
        methods(allowed),
        if compress == Some(true) {
            ", compressed"
        } else {
            ""
        }
    )
}

fn flag(on: bool) -> String {
    if on { "on" } else { "off" }.to_string()
}

/// Every field macroctl manages, in words, for a plan's lines.
pub fn describe(config: &DistributionConfig) -> Described {
    let mut out = Described::new();
    let mut put = |field: &str, value: Option<String>| {
        out.insert(field.to_string(), value);
    };
    put("comment", Some(config.comment().to_string()));
    put("enabled", Some(flag(config.enabled())));
    put(
        "price_class",
        Some(
            config
                .price_class()
                .map_or("(not set)", |p| p.as_str())
                .to_string(),
        ),
    );
    put(
        "http_version",
        Some(
            config
                .http_version()
                .map_or("(not set)", |v| v.as_str())
                .to_string(),
        ),
    );
    put(
        "ipv6",
        Some(flag(config.is_ipv6_enabled().unwrap_or(false))),
    );
    let mut aliases: Vec<&str> = config
        .aliases()
        .map(|a| a.items().iter().map(String::as_str).collect())
        .unwrap_or_default();
    aliases.sort_unstable();
    put("aliases", Some(super::listed(aliases)));
    let certificate = match config.viewer_certificate() {
        Some(c) if c.acm_certificate_arn().is_some_and(|arn| !arn.is_empty()) => format!(
            "ACM {}, {}, {}",
            c.acm_certificate_arn().unwrap_or_default(),
            c.ssl_support_method().map_or("(not set)", |m| m.as_str()),
            c.minimum_protocol_version()
                .map_or("(not set)", |v| v.as_str())
        ),
        Some(c) if c.cloud_front_default_certificate() == Some(true) => {
            "CloudFront's *.cloudfront.net certificate".to_string()
        }
        _ => "(not set)".to_string(),
    };
    put("viewer_certificate", Some(certificate));
    put(
        "web_acl",
        Some(super::shown(
            config.web_acl_id().filter(|id| !id.is_empty()),
        )),
    );
    let logging = match config.logging() {
        Some(l) if l.enabled() => format!("s3://{}/{}", l.bucket(), l.prefix()),
        _ => "off".to_string(),
    };
    put("access_logs", Some(logging));
    for origin in config.origins().map(|o| o.items()).unwrap_or_default() {
        let id = origin.id();
        put(
            &format!("origin {id}"),
            Some(origin.domain_name().to_string()),
        );
        let access = match (origin.custom_origin_config(), origin.s3_origin_config()) {
            (Some(custom), _) => {
                let mut tls: Vec<&str> = (custom.origin_ssl_protocols())
                    .map(|p| p.items().iter().map(SslProtocol::as_str).collect())
                    .unwrap_or_default();
                tls.sort_unstable();
                Some(format!(
                    "{} (ports {}/{}, {})",
                    custom.origin_protocol_policy().as_str(),
                    custom.http_port(),
                    custom.https_port(),
                    tls.join(",")
                ))
            }
            (None, Some(s3)) => Some(format!(
                "S3, origin access control {}, identity {}",
                super::shown(
                    origin
                        .origin_access_control_id()
                        .filter(|id| !id.is_empty())
                ),
                super::shown(Some(s3.origin_access_identity()).filter(|id| !id.is_empty()))
            )),
            // Not reported (moto): unknown.
            (None, None) => None,
        };
        put(&format!("origin {id} access"), access);
    }
    if let Some(default) = config.default_cache_behavior() {
        put(
            "behavior default",
            Some(behavior(
                default.target_origin_id(),
                default.viewer_protocol_policy(),
                default.cache_policy_id(),
                default.origin_request_policy_id(),
                default.allowed_methods(),
                default.compress(),
            )),
        );
    }
    for path in config
        .cache_behaviors()
        .map(|b| b.items())
        .unwrap_or_default()
    {
        put(
            &format!("behavior {}", path.path_pattern()),
            Some(behavior(
                path.target_origin_id(),
                path.viewer_protocol_policy(),
                path.cache_policy_id(),
                path.origin_request_policy_id(),
                path.allowed_methods(),
                path.compress(),
            )),
        );
    }
    out
}
