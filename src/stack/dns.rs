//! The DNS layer: the environment's certificates (ACM, validated through Route 53), its hosted
//! zone when macroctl creates one, and the records that point the app's names at the edge.
//!
//! Other layers ask this one for what they need of it (the functions below), so the edge's
//! pieces stay in their own modules and still meet: the load balancer's listener takes
//! [`alb_certificate`], the distribution takes [`viewer_certificate`] and [`origin_domain`].

use super::{Declared, Facts};
use crate::config::Environment;
use crate::resources::Value;

/// The resources of the DNS layer.
pub(super) fn declare(_env: &Environment, _facts: &Facts) -> Vec<Declared> {
    Vec::new()
}

/// The certificate the load balancer's HTTPS listener serves: one macroctl requests and
/// validates for the domain, else `integrations.certificate_arn`; `None`: HTTP only.
pub fn alb_certificate(env: &Environment) -> Option<Value> {
    env.integrations.certificate_arn.clone().map(Value::Literal)
}

/// The us-east-1 certificate the distribution serves for the domain; `None`: CloudFront's
/// own `*.cloudfront.net` certificate.
pub fn viewer_certificate(_env: &Environment) -> Option<Value> {
    None
}

/// The name CloudFront reaches the load balancer by over HTTPS (`origin.<domain>`, covered by
/// the load balancer's certificate); `None`: the load balancer's own DNS name, over HTTP.
pub fn origin_domain(_env: &Environment) -> Option<String> {
    None
}
