//! The firewall layer: WAFv2 web ACLs with AWS managed rule groups and a rate-based rule, on
//! the distribution (CLOUDFRONT scope, in us-east-1) and/or the load balancer (REGIONAL).
//!
//! Two ACLs rather than one shared: a web ACL has exactly one scope, and CloudFront only takes
//! a CLOUDFRONT-scope one. Both get the same rules and mode from `[waf]`, so `attach = "both"`
//! filters at the edge and again at the load balancer (for traffic that reaches it without
//! CloudFront). The REGIONAL ACL is attached with an association of its own; the CLOUDFRONT
//! one is attached by the distribution, which takes [`cloudfront_acl`] in its configuration.

use super::app::LOAD_BALANCER;
use super::Declared;
use crate::config::edge::WafMode;
use crate::config::Environment;
use crate::resources::web_acl::{Mode, Scope, WebAclSpec};
use crate::resources::web_acl_association::WebAclAssociationSpec;
use crate::resources::{Ref, Spec};

/// The CLOUDFRONT-scope web ACL (`<stack>-<env>-edge`).
pub const EDGE_ACL: &str = "waf-edge";
/// The REGIONAL web ACL (`<stack>-<env>-alb`).
pub const ALB_ACL: &str = "waf-alb";
/// The REGIONAL web ACL's association with the load balancer.
pub const ALB_ASSOCIATION: &str = "waf-alb-association";

fn acl(env: &Environment, suffix: &str, scope: Scope) -> Spec {
    Spec::WebAcl(WebAclSpec {
        name: format!("{}-{}-{suffix}", env.stack, env.name),
        scope,
        mode: match env.waf.mode {
            WafMode::Count => Mode::Count,
            WafMode::Block => Mode::Block,
        },
        rate_limit: env.waf.rate_limit,
    })
}

/// The resources of the firewall layer.
pub(super) fn declare(env: &Environment) -> Vec<Declared> {
    let mut declared = Vec::new();
    if env.waf.on_cloudfront() {
        declared.push(Declared::new(EDGE_ACL, acl(env, "edge", Scope::Cloudfront)));
    }
    if env.waf.on_alb() {
        declared.push(Declared::new(ALB_ACL, acl(env, "alb", Scope::Regional)));
        declared.push(Declared::new(
            ALB_ASSOCIATION,
            Spec::WebAclAssociation(WebAclAssociationSpec {
                web_acl: Ref::new(ALB_ACL, "arn"),
                resource: Ref::new(LOAD_BALANCER, "arn"),
            }),
        ));
    }
    declared
}

/// The CLOUDFRONT-scope web ACL's ARN, for the distribution's `WebACLId`; `None` when the
/// distribution has none.
pub fn cloudfront_acl(env: &Environment) -> Option<Ref> {
    env.waf.on_cloudfront().then(|| Ref::new(EDGE_ACL, "arn"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::edge::WafAttach;

    fn env(name: &str) -> Environment {
        crate::config::load(std::path::Path::new("envs"), name, None).unwrap()
    }

    fn ids(env: &Environment) -> Vec<String> {
        declare(env).into_iter().map(|d| d.id).collect()
    }

    #[test]
    fn each_attachment_gets_its_acl() {
        assert!(ids(&env("dev")).is_empty());
        assert_eq!(cloudfront_acl(&env("dev")), None);

        let staging = env("staging");
        assert_eq!(ids(&staging), [EDGE_ACL]);
        assert_eq!(cloudfront_acl(&staging), Some(Ref::new(EDGE_ACL, "arn")));
        match &declare(&staging)[0].spec {
            Spec::WebAcl(spec) => {
                assert_eq!(spec.name, "macro-ai-staging-edge");
                assert_eq!(spec.scope, Scope::Cloudfront);
                assert_eq!(spec.mode, Mode::Count);
                assert_eq!(spec.rate_limit, 2000);
            }
            other => panic!("{other:?}"),
        }

        let mut both = env("prod");
        both.waf.attach = WafAttach::Both;
        assert_eq!(ids(&both), [EDGE_ACL, ALB_ACL, ALB_ASSOCIATION]);
        match &declare(&both)[1].spec {
            Spec::WebAcl(spec) => {
                assert_eq!(spec.name, "macro-ai-prod-alb");
                assert_eq!(spec.scope, Scope::Regional);
                assert_eq!(spec.mode, Mode::Block);
            }
            other => panic!("{other:?}"),
        }
        let refs = declare(&both)[2].spec.refs();
        assert_eq!(
            refs,
            [Ref::new(ALB_ACL, "arn"), Ref::new(LOAD_BALANCER, "arn")]
        );

        let mut alb_only = env("prod");
        alb_only.waf.attach = WafAttach::Alb;
        assert_eq!(ids(&alb_only), [ALB_ACL, ALB_ASSOCIATION]);
        assert_eq!(cloudfront_acl(&alb_only), None);
    }
}
