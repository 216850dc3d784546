//! The CDN layer: the CloudFront distribution in front of the load balancer, and the Origin
//! Access Control through which it reads the assets bucket.

use super::{Declared, Facts};
use crate::config::Environment;
use crate::resources::Ref;

/// The resources of the CDN layer.
pub(super) fn declare(_env: &Environment, _facts: &Facts) -> Vec<Declared> {
    Vec::new()
}

/// What the app's alias records point at when CloudFront is on: the distribution's domain
/// name; `None`: the load balancer.
pub fn alias_target(_env: &Environment) -> Option<Ref> {
    None
}
