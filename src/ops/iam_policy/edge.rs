//! The edge's and the user pool's tables: ACM, Route 53, CloudFront, WAFv2 and Cognito, each
//! only where the environment file turns it on. These services give their resources
//! generated ids (certificates, zones, distributions, pools), so the grants name the
//! resource type, and changes are scoped by the environment's tags where the service
//! supports tag conditions; Route 53 changes are scoped to the environment's record names.

use super::{Grant, Names, Purpose};
use crate::aws::EDGE_REGION;
use serde_json::json;

use Purpose::{Read, Up};

pub fn grants(n: &Names) -> Vec<Grant> {
    let mut all = Vec::new();
    for table in [acm, route53, cloudfront, wafv2, cognito] {
        all.extend(table(n));
    }
    all
}

fn acm(n: &Names) -> Vec<Grant> {
    if n.env.dns.is_none() {
        return Vec::new();
    }
    let mut certificates = vec![n.arn("acm", "certificate/*")];
    if n.env.edge.cloudfront {
        certificates.push(n.arn_in(EDGE_REGION, "acm", "certificate/*"));
    }
    vec![
        Grant::any("AcmList", Read, &["acm:ListCertificates"]),
        Grant::new(
            "AcmRead",
            Read,
            &["acm:DescribeCertificate", "acm:ListTagsForCertificate"],
            certificates.clone(),
        ),
        Grant::any("AcmRequestTagged", Up, &["acm:RequestCertificate"])
            .when(n.tag_condition("aws:RequestTag")),
        Grant::new(
            "AcmTagEnvironmentCertificates",
            Up,
            &["acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"],
            certificates,
        )
        .when(n.tag_condition("aws:ResourceTag")),
    ]
}

fn route53(n: &Names) -> Vec<Grant> {
    let Some(dns) = &n.env.dns else {
        return Vec::new();
    };
    let zones = vec![n.global_arn("route53", "", "hostedzone/*")];
    let mut names: Vec<String> = dns.names().iter().map(|name| name.to_string()).collect();
    names.extend(crate::stack::dns::origin_domain(n.env));
    // The names' own records, and the ACM validation records beneath them (`_x.NAME`).
    let patterns: Vec<String> = names
        .iter()
        .flat_map(|name| [name.clone(), format!("*.{name}")])
        .collect();
    let mut grants = vec![
        Grant::any("Route53List", Read, &["route53:ListHostedZonesByName"]),
        Grant::new(
            "Route53Read",
            Read,
            &[
                "route53:GetHostedZone",
                "route53:ListResourceRecordSets",
                "route53:ListTagsForResource",
            ],
            zones.clone(),
        ),
        Grant::new(
            "Route53ChangeEnvironmentRecords",
            Up,
            &["route53:ChangeResourceRecordSets"],
            zones.clone(),
        )
        .when(json!({"ForAllValues:StringLike": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": patterns,
        }})),
    ];
    if dns.create_zone {
        grants.push(Grant::any(
            "Route53CreateZone",
            Up,
            &["route53:CreateHostedZone"],
        ));
        grants.push(Grant::new(
            "Route53TagZone",
            Up,
            &["route53:ChangeTagsForResource"],
            zones,
        ));
    }
    grants
}

fn cloudfront(n: &Names) -> Vec<Grant> {
    if !n.env.edge.cloudfront {
        return Vec::new();
    }
    let distributions = vec![n.global_arn("cloudfront", &n.account, "distribution/*")];
    let access_controls = vec![n.global_arn("cloudfront", &n.account, "origin-access-control/*")];
    let mut both = distributions.clone();
    both.extend(access_controls.clone());
    vec![
        Grant::any(
            "CloudFrontList",
            Read,
            &[
                "cloudfront:ListDistributions",
                "cloudfront:ListOriginAccessControls",
            ],
        ),
        Grant::new(
            "CloudFrontRead",
            Read,
            &[
                "cloudfront:GetDistribution",
                "cloudfront:ListTagsForResource",
                "cloudfront:GetOriginAccessControl",
            ],
            both.clone(),
        ),
        // CreateDistributionWithTags is authorized as CreateDistribution plus TagResource.
        Grant::new(
            "CloudFrontChange",
            Up,
            &[
                "cloudfront:CreateDistribution",
                "cloudfront:UpdateDistribution",
                "cloudfront:TagResource",
                "cloudfront:UntagResource",
                "cloudfront:CreateOriginAccessControl",
                "cloudfront:UpdateOriginAccessControl",
            ],
            both,
        ),
    ]
}

fn wafv2(n: &Names) -> Vec<Grant> {
    if !n.env.waf.enabled {
        return Vec::new();
    }
    let p = &n.prefix;
    let mut acls = Vec::new();
    let mut rule_sets = Vec::new();
    if n.env.waf.on_alb() {
        acls.push(n.arn("wafv2", &format!("regional/webacl/{p}-*/*")));
        rule_sets.push(n.arn("wafv2", "regional/managedruleset/*/*"));
    }
    if n.env.waf.on_cloudfront() {
        acls.push(n.arn_in(EDGE_REGION, "wafv2", &format!("global/webacl/{p}-*/*")));
        rule_sets.push(n.arn_in(EDGE_REGION, "wafv2", "global/managedruleset/*/*"));
    }
    let load_balancer = n.arn("elasticloadbalancing", &format!("loadbalancer/app/{p}/*"));
    let mut read_resources = acls.clone();
    let mut change_resources = acls.clone();
    change_resources.extend(rule_sets);
    let mut grants = vec![
        Grant::any("WafList", Read, &["wafv2:ListWebACLs"]),
        Grant::new(
            "WafChange",
            Up,
            &[
                "wafv2:CreateWebACL",
                "wafv2:UpdateWebACL",
                "wafv2:TagResource",
                "wafv2:UntagResource",
            ],
            change_resources,
        ),
    ];
    if n.env.waf.on_alb() {
        read_resources.push(load_balancer.clone());
        grants.push(Grant::new(
            "WafAssociateLoadBalancer",
            Up,
            &["wafv2:AssociateWebACL"],
            vec![acls[0].clone(), load_balancer],
        ));
    }
    grants.push(Grant::new(
        "WafRead",
        Read,
        &[
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
            "wafv2:ListTagsForResource",
        ],
        read_resources,
    ));
    grants
}

fn cognito(n: &Names) -> Vec<Grant> {
    if !n.env.cognito.create {
        return Vec::new();
    }
    let pools = vec![n.arn("cognito-idp", "userpool/*")];
    vec![
        Grant::any("CognitoList", Read, &["cognito-idp:ListUserPools"]),
        Grant::new(
            "CognitoRead",
            Read,
            &[
                "cognito-idp:DescribeUserPool",
                "cognito-idp:GetUserPoolMfaConfig",
                "cognito-idp:ListUserPoolClients",
                "cognito-idp:DescribeUserPoolClient",
            ],
            pools.clone(),
        ),
        Grant::any("CognitoCreateTagged", Up, &["cognito-idp:CreateUserPool"])
            .when(n.tag_condition("aws:RequestTag")),
        Grant::new(
            "CognitoChangeEnvironmentPool",
            Up,
            &[
                "cognito-idp:UpdateUserPool",
                "cognito-idp:SetUserPoolMfaConfig",
                "cognito-idp:CreateUserPoolClient",
                "cognito-idp:UpdateUserPoolClient",
            ],
            pools,
        )
        .when(n.tag_condition("aws:ResourceTag")),
    ]
}
