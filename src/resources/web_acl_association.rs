//! The REGIONAL web ACL's association with the load balancer: what makes WAF inspect the
//! load balancer's requests.
//!
//! A kind of its own because WAF makes it one: the association is a call of its own
//! (`AssociateWebACL`), made after both the ACL and the load balancer exist, and undone
//! (`DisassociateWebACL`) before either can go. (A CLOUDFRONT-scope ACL has no association
//! call: the distribution carries the ACL's ARN in its own configuration.)
//!
//! It has no id or tags in AWS. It is found through the load balancer (`Child`):
//! `GetWebACLForResource` answers the one web ACL a resource has. Its physical id is
//! `<load balancer ARN>|<web ACL ARN>`, never the load balancer's ARN alone, which state
//! already records for the load balancer. A load balancer has at most one web ACL, and
//! `AssociateWebACL` replaces the one it has: so both creating and pointing it at another ACL
//! are that one call, safe to repeat. The ownership check is the load balancer's.
//!
//! WAF refuses the association for a while after either side was created
//! (`WAFUnavailableEntityException`, or `WAFNonexistentItemException` for a load balancer it
//! does not know yet): both are classified as not found, which the engine waits out when this
//! run made the ACL or the load balancer moments ago (see `aws::error`).

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WebAclAssociationSpec {
    /// The REGIONAL web ACL's `arn`.
    pub web_acl: Ref,
    /// The protected resource's `arn` (the load balancer).
    pub resource: Ref,
}

#[derive(Debug, Clone)]
pub struct WebAclAssociationLive {
    pub resource_arn: String,
    pub web_acl_arn: String,
}

pub struct WebAclAssociation;

fn physical_id(resource_arn: &str, web_acl_arn: &str) -> String {
    format!("{resource_arn}|{web_acl_arn}")
}

/// The web ACL the resource `resource_arn` has; `None` when it has none (or is gone).
async fn describe(
    ctx: &Ctx<'_>,
    resource_arn: &str,
) -> Result<Option<WebAclAssociationLive>, AwsError> {
    // WAFNonexistentItemException: the resource is gone, and so is its association.
    let found = (ctx
        .aws
        .wafv2
        .get_web_acl_for_resource()
        .resource_arn(resource_arn)
        .send()
        .await)
        .op("GetWebACLForResource")
        .found()?;
    Ok(found
        .as_ref()
        .and_then(|out| out.web_acl())
        .map(|acl| WebAclAssociationLive {
            resource_arn: resource_arn.to_string(),
            web_acl_arn: acl.arn().to_string(),
        }))
}

async fn associate(ctx: &Ctx<'_>, web_acl_arn: &str, resource_arn: &str) -> Result<(), AwsError> {
    ctx.aws
        .wafv2
        .associate_web_acl()
        .web_acl_arn(web_acl_arn)
        .resource_arn(resource_arn)
        .send()
        .await
        .op("AssociateWebACL")?;
    Ok(())
}

impl Kind for WebAclAssociation {
    const KIND: &'static str = "wafv2:web-acl-association";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // Associating again sets the same association.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["resource_arn", "web_acl_arn"];
    type Spec = WebAclAssociationSpec;
    type Live = WebAclAssociationLive;

    fn refs(spec: &WebAclAssociationSpec) -> Vec<Ref> {
        vec![spec.web_acl.clone(), spec.resource.clone()]
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &WebAclAssociationSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<WebAclAssociationLive>, AwsError> {
        let resource = match lookup {
            Lookup::Id(id) => match id.split_once('|') {
                Some((resource, _)) => resource.to_string(),
                None => return Ok(None),
            },
            Lookup::Identity => match resolver.known(&spec.resource) {
                Some(resource) => resource,
                None => return Ok(None),
            },
        };
        describe(ctx, &resource).await
    }

    fn diff(
        spec: &WebAclAssociationSpec,
        live: &WebAclAssociationLive,
        resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        super::compare(
            &mut changes,
            "resource",
            &live.resource_arn,
            &resolver.get(&spec.resource),
            true,
        );
        // AssociateWebACL replaces the ACL a resource has.
        super::compare(
            &mut changes,
            "web_acl",
            &live.web_acl_arn,
            &resolver.get(&spec.web_acl),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &WebAclAssociationSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let web_acl = resolver.get(&spec.web_acl);
        let resource = resolver.get(&spec.resource);
        associate(ctx, &web_acl, &resource).await?;
        Ok(physical_id(&resource, &web_acl))
    }

    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &WebAclAssociationSpec,
        live: &WebAclAssociationLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let web_acl = resolver.get(&spec.web_acl);
        associate(ctx, &web_acl, &live.resource_arn).await?;
        Ok(Some(physical_id(&live.resource_arn, &web_acl)))
    }

    /// Associations carry no tags; the load balancer's are checked.
    fn tags(_live: &WebAclAssociationLive) -> Option<&Tags> {
        None
    }

    async fn delete(
        ctx: &Ctx<'_>,
        live: &WebAclAssociationLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // Disassociating a resource without a web ACL succeeds; one that is gone answers
        // WAFNonexistentItemException: either way, done.
        (ctx.aws
            .wafv2
            .disassociate_web_acl()
            .resource_arn(&live.resource_arn)
            .send()
            .await)
            .op("DisassociateWebACL")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &WebAclAssociationLive) -> String {
        physical_id(&live.resource_arn, &live.web_acl_arn)
    }

    fn outputs(live: &WebAclAssociationLive) -> Outputs {
        Outputs::from([
            ("resource_arn".into(), live.resource_arn.clone()),
            ("web_acl_arn".into(), live.web_acl_arn.clone()),
        ])
    }

    fn status(live: &WebAclAssociationLive) -> String {
        let name = live
            .web_acl_arn
            .rsplit('/')
            .nth(1)
            .unwrap_or(&live.web_acl_arn);
        format!("on {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LB: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/macro-ai-test/50dc";
    const ACL: &str = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/macro-ai-test-alb/ab";

    fn resolver(acl: &str) -> Resolver {
        let resolver = Resolver::default();
        resolver.set(
            &crate::graph::LogicalId::new("load-balancer"),
            Outputs::from([("arn".to_string(), LB.to_string())]),
        );
        resolver.set(
            &crate::graph::LogicalId::new("waf-alb"),
            Outputs::from([("arn".to_string(), acl.to_string())]),
        );
        resolver
    }

    fn spec() -> WebAclAssociationSpec {
        WebAclAssociationSpec {
            web_acl: Ref::new("waf-alb", "arn"),
            resource: Ref::new("load-balancer", "arn"),
        }
    }

    #[test]
    fn another_acl_on_the_load_balancer_is_an_update() {
        let live = WebAclAssociationLive {
            resource_arn: LB.into(),
            web_acl_arn: ACL.into(),
        };
        assert!(WebAclAssociation::diff(&spec(), &live, &resolver(ACL)).is_empty());
        let other = format!("{ACL}-other");
        let changes = WebAclAssociation::diff(&spec(), &live, &resolver(&other));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "web_acl");
        assert!(!changes[0].replace);
        assert_eq!(WebAclAssociation::status(&live), "on macro-ai-test-alb");
    }

    #[test]
    fn the_physical_id_is_not_the_load_balancer_s() {
        let live = WebAclAssociationLive {
            resource_arn: LB.into(),
            web_acl_arn: ACL.into(),
        };
        let id = WebAclAssociation::physical_id(&live);
        assert_ne!(id, LB);
        assert_eq!(id.split_once('|'), Some((LB, ACL)));
        let keys: Vec<String> = WebAclAssociation::outputs(&live).into_keys().collect();
        assert_eq!(keys, WebAclAssociation::OUTPUTS);
    }
}
