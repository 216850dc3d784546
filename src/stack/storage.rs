//! The storage layer: the environment's S3 buckets (`assets` for the UI's static files, `logs`
//! for ALB access logs and CloudTrail, `backups` where `[storage]` asks) and its CloudTrail
//! trail, optionally also delivering to a CloudWatch Logs group through a role of its own.
//!
//! Bucket names are unique across all of S3, so they end in the account id:
//! `<bucket_prefix>-logs-<account>`. The logs bucket's policy admits exactly what writes to
//! it: the region's Elastic Load Balancing log delivery (its account, or the log-delivery
//! service in regions opened since August 2022) under `alb/AWSLogs/<account>/`, and CloudTrail
//! for this environment's trail only (`aws:SourceArn`) under `AWSLogs/<account>/`. The trail's
//! ARN is deterministic, so the policy can name it before the trail exists, which it must:
//! CloudTrail checks the policy when the trail is created.
//!
//! With CloudFront (`[edge] cloudfront`), the assets bucket admits the distribution reading
//! its objects, and nothing else (`AWS:SourceArn`: that distribution's ARN, known once it
//! exists: the bucket's policy waits for the distribution). So that the API, which uses the
//! bucket, does not wait for CloudFront's deploy too, the API's grants and its
//! `ASSETS_BUCKET` name the bucket by its deterministic name, not through the bucket's
//! outputs. With CloudFront access logs the logs bucket keeps ACLs on
//! (`BucketOwnerPreferred`): CloudFront's standard log delivery (the S3 one the
//! distribution's `Logging` configures) grants itself write access through the bucket's ACL
//! and refuses a bucket without ACLs. The alternative, the newer delivery through CloudWatch
//! Logs (logging v2), would take three more resources in us-east-1 (delivery source,
//! destination, delivery) and is left for later; public access stays blocked either way.

use super::Declared;
use crate::config::Environment;
use crate::resources::iam_role::{IamRoleSpec, InlinePolicy, PolicyResource, PolicyStatement};
use crate::resources::log_group::LogGroupSpec;
use crate::resources::s3_bucket::{self, S3BucketSpec};
use crate::resources::trail::{self, TrailLogs, TrailSpec};
use crate::resources::{Ref, Spec};
use serde_json::{json, Value};

pub const BUCKET_ASSETS: &str = "bucket-assets";
pub const BUCKET_LOGS: &str = "bucket-logs";
pub const BUCKET_BACKUPS: &str = "bucket-backups";
pub const TRAIL: &str = "cloudtrail";
pub const TRAIL_LOG_GROUP: &str = "log-group-cloudtrail";
pub const TRAIL_ROLE: &str = "iam-cloudtrail-logs-role";
/// Where in the logs bucket the load balancer writes.
pub const ALB_LOG_PREFIX: &str = "alb";

/// Elastic Load Balancing's log-delivery account per region, for regions opened before August
/// 2022; newer regions admit the log-delivery service principal instead.
const ELB_LOG_ACCOUNTS: [(&str, &str); 24] = [
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("ap-northeast-3", "383597477331"),
    ("ap-northeast-2", "600734575887"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-northeast-1", "582318560864"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-gov-west-1", "048591011584"),
    ("us-gov-east-1", "190560391635"),
];

/// The name of one of the environment's buckets in `account`.
pub fn bucket_name(env: &Environment, account: &str, role: &str) -> String {
    format!("{}-{role}-{account}", env.storage.bucket_prefix)
}

/// The trail's name.
pub fn trail_name(env: &Environment) -> String {
    format!("{}-trail", env.resource_prefix())
}

/// Who delivers the region's load balancer access logs.
fn elb_log_principal(region: &str) -> Value {
    match ELB_LOG_ACCOUNTS.iter().find(|(r, _)| *r == region) {
        Some((_, account)) => json!({"AWS": format!("arn:aws:iam::{account}:root")}),
        None => json!({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    }
}

/// What the logs bucket admits besides TLS-only access.
fn logs_statements(env: &Environment, account: &str, bucket: &str) -> Vec<Value> {
    let bucket_arn = s3_bucket::arn(bucket);
    let mut statements = Vec::new();
    if env.storage.alb_access_logs {
        statements.push(json!({
            "Sid": "AlbAccessLogs",
            "Effect": "Allow",
            "Principal": elb_log_principal(&env.region),
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/{ALB_LOG_PREFIX}/AWSLogs/{account}/*"),
        }));
    }
    if env.cloudtrail.enabled {
        let source = trail::arn(&env.region, account, &trail_name(env));
        statements.push(json!({
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": source}},
        }));
        statements.push(json!({
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/AWSLogs/{account}/*"),
            "Condition": {"StringEquals": {
                "aws:SourceArn": source,
                "s3:x-amz-acl": "bucket-owner-full-control",
            }},
        }));
    }
    statements
}

pub(super) fn declare(env: &Environment, account: &str) -> Vec<Declared> {
    let storage = &env.storage;
    let cloudfront = env.edge.cloudfront;
    let bucket = |role: &str, expiration_days: Option<u32>, statements: Vec<Value>| {
        Spec::S3Bucket(S3BucketSpec {
            name: bucket_name(env, account, role),
            noncurrent_version_days: storage.noncurrent_version_days,
            expiration_days,
            policy_statements: statements,
            cloudfront_reader: (cloudfront && role == "assets")
                .then(|| Ref::new(super::cdn::DISTRIBUTION, "arn")),
            acls_for_log_delivery: cloudfront && env.edge.access_logs && role == "logs",
        })
    };
    let logs_bucket = bucket_name(env, account, "logs");
    let mut out = vec![
        Declared::new(BUCKET_ASSETS, bucket("assets", None, Vec::new())),
        Declared::new(
            BUCKET_LOGS,
            bucket(
                "logs",
                Some(storage.log_expiration_days),
                logs_statements(env, account, &logs_bucket),
            ),
        ),
    ];
    if storage.backups_bucket {
        out.push(Declared::new(
            BUCKET_BACKUPS,
            bucket("backups", None, Vec::new()),
        ));
    }
    if !env.cloudtrail.enabled {
        return out;
    }
    let mut cloudwatch_logs = None;
    if env.cloudtrail.cloudwatch_logs {
        let prefix = env.resource_prefix();
        let group = format!("/aws/cloudtrail/{prefix}");
        out.push(Declared::new(
            TRAIL_LOG_GROUP,
            Spec::LogGroup(LogGroupSpec {
                name: group.clone(),
                retention_days: env.monitoring.log_retention_days as i32,
            }),
        ));
        let streams = format!(
            "arn:aws:logs:{}:{account}:log-group:{group}:log-stream:*",
            env.region
        );
        out.push(Declared::new(
            TRAIL_ROLE,
            Spec::IamRole(IamRoleSpec {
                name: format!("{prefix}-cloudtrail-logs"),
                description: format!("{prefix} cloudtrail-logs (managed by macroctl)"),
                trusted_service: "cloudtrail.amazonaws.com".into(),
                managed_policy_arns: Vec::new(),
                inline_policies: vec![InlinePolicy {
                    name: "write-trail-log-group".into(),
                    statements: vec![PolicyStatement {
                        sid: Some("WriteTrailEvents".into()),
                        actions: vec!["logs:CreateLogStream".into(), "logs:PutLogEvents".into()],
                        resources: vec![PolicyResource::Arn(streams)],
                    }],
                }],
            }),
        ));
        cloudwatch_logs = Some(TrailLogs {
            log_group: Ref::new(TRAIL_LOG_GROUP, "arn"),
            role: Ref::new(TRAIL_ROLE, "arn"),
        });
    }
    out.push(Declared::new(
        TRAIL,
        Spec::Trail(TrailSpec {
            name: trail_name(env),
            bucket: Ref::new(BUCKET_LOGS, "name"),
            cloudwatch_logs,
        }),
    ));
    out
}

/// What the API's task role may do with the assets bucket: its objects, and listing it. By
/// the bucket's deterministic name: a reference would make the role wait for the bucket, whose
/// policy waits for CloudFront's deploy.
pub fn assets_statements(env: &Environment, account: &str) -> Vec<PolicyStatement> {
    let bucket = s3_bucket::arn(&bucket_name(env, account, "assets"));
    vec![
        PolicyStatement {
            sid: Some("AssetObjects".into()),
            actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
                .map(String::from)
                .to_vec(),
            resources: vec![PolicyResource::Arn(format!("{bucket}/*"))],
        },
        PolicyStatement {
            sid: Some("ListAssets".into()),
            actions: vec!["s3:ListBucket".into()],
            resources: vec![PolicyResource::Arn(bucket)],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Environment {
        crate::config::load(std::path::Path::new("envs"), name, None).unwrap()
    }

    #[test]
    fn the_logs_bucket_admits_only_the_region_s_log_delivery_and_this_trail() {
        let env = env("staging");
        let statements = logs_statements(&env, "123456789012", "b");
        assert_eq!(statements.len(), 3);
        assert_eq!(
            statements[0]["Principal"]["AWS"],
            "arn:aws:iam::127311923021:root"
        );
        assert_eq!(
            statements[0]["Resource"],
            "arn:aws:s3:::b/alb/AWSLogs/123456789012/*"
        );
        for statement in &statements[1..] {
            assert_eq!(
                statement["Condition"]["StringEquals"]["aws:SourceArn"],
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/macro-ai-staging-trail"
            );
        }
        // A region opened later: the service principal.
        assert_eq!(
            elb_log_principal("ap-southeast-7")["Service"],
            "logdelivery.elasticloadbalancing.amazonaws.com"
        );
    }

    #[test]
    fn prod_keeps_backups_and_a_trail_log_group_and_dev_does_not() {
        let ids = |name: &str| -> Vec<String> {
            declare(&env(name), "123456789012")
                .into_iter()
                .map(|d| d.id)
                .collect()
        };
        let prod = ids("prod");
        assert!(prod.contains(&BUCKET_BACKUPS.to_string()));
        assert!(prod.contains(&TRAIL_LOG_GROUP.to_string()));
        let dev = ids("dev");
        assert!(!dev.contains(&BUCKET_BACKUPS.to_string()));
        assert!(!dev.contains(&TRAIL_ROLE.to_string()));
        assert!(dev.contains(&TRAIL.to_string()));
    }
}
