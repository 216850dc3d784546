//! The controls, service by service, each with the check that reads the environment's settings.
//! The order is the order `plan` and `docs/security.md` list them in. A control listed here
//! must be one AWS Security Hub's FSBP standard has (or an `MC.` one of macroctl's own), with
//! its id spelt as Security Hub spells it, so an exception can be matched against findings.

use super::{Control, Status};
use crate::config::edge::WafAttach;
use crate::config::load_balancer::DesyncMitigationMode;
use crate::config::Environment;

fn met(how: impl Into<String>) -> Status {
    Status::Met(how.into())
}

fn unmet(setting: impl Into<String>) -> Status {
    Status::Unmet(setting.into())
}

fn not_applicable(why: impl Into<String>) -> Status {
    Status::NotApplicable(why.into())
}

/// Met (`how`) when `condition`, else unmet with `setting`.
fn when(condition: bool, how: &str, setting: &str) -> Status {
    if condition {
        met(how)
    } else {
        unmet(setting)
    }
}

fn alarms_off(env: &Environment) -> Option<Status> {
    (!env.monitoring.alarms).then(|| not_applicable("no alarm topic: [monitoring] alarms = false"))
}

fn no_cloudfront(env: &Environment) -> Option<Status> {
    (!env.edge.cloudfront)
        .then(|| not_applicable("no CloudFront distribution: [edge] cloudfront = false"))
}

fn https_at_alb(env: &Environment) -> bool {
    crate::stack::dns::alb_certificate(env).is_some()
}

pub static CONTROLS: &[Control] = &[
    // --- Network -------------------------------------------------------------------------
    Control {
        id: "EC2.6",
        title: "VPC flow logging should be enabled in all VPCs",
        check: |env| {
            when(
                env.flow_logs.enabled,
                "the VPC's flow log goes to CloudWatch Logs ([flow_logs] enabled)",
                "[flow_logs] enabled = true",
            )
        },
    },
    Control {
        id: "EC2.15",
        title: "Subnets should not automatically assign public IP addresses",
        check: |_| met("no subnet maps public IPs on launch; tasks that need one (no NAT gateway) ask for it per task (assignPublicIp)"),
    },
    Control {
        id: "EC2.18",
        title: "Security groups should only allow unrestricted incoming traffic for authorized ports",
        check: |_| met("only the load balancer's group admits traffic from outside the VPC, on 80 and 443; every other group admits only the groups in front of it"),
    },
    Control {
        id: "EC2.2",
        title: "VPC default security groups should not allow inbound or outbound traffic",
        check: |_| unmet("not managed by macroctl yet: remove the rules of the VPC's default security group (nothing macroctl builds uses it)"),
    },
    // --- Load balancer -------------------------------------------------------------------
    Control {
        id: "ELB.1",
        title: "Application Load Balancer should be configured to redirect all HTTP requests to HTTPS",
        check: |env| {
            when(
                https_at_alb(env),
                "port 80 redirects to the HTTPS listener on 443",
                "[dns] domain (macroctl requests the certificate) or [integrations] certificate_arn",
            )
        },
    },
    Control {
        id: "ELB.4",
        title: "Application Load Balancer should be configured to drop invalid HTTP headers",
        check: |env| {
            when(
                env.load_balancer.drop_invalid_header_fields,
                "invalid header fields are dropped ([load_balancer] drop_invalid_header_fields)",
                "[load_balancer] drop_invalid_header_fields = true",
            )
        },
    },
    Control {
        id: "ELB.5",
        title: "Application and Classic Load Balancers logging should be enabled",
        check: |env| {
            when(
                env.storage.alb_access_logs,
                "access logs go to the logs bucket ([storage] alb_access_logs)",
                "[storage] alb_access_logs = true",
            )
        },
    },
    Control {
        id: "ELB.6",
        title: "Application Load Balancer deletion protection should be enabled",
        check: |env| {
            when(
                env.load_balancer.deletion_protection,
                "deletion protection on ([load_balancer] deletion_protection; destroy turns it off only with --disable-deletion-protection)",
                "[load_balancer] deletion_protection = true",
            )
        },
    },
    Control {
        id: "ELB.12",
        title: "Application Load Balancer should be configured with defensive or strictest desync mitigation mode",
        check: |env| {
            when(
                env.load_balancer.desync_mitigation_mode != DesyncMitigationMode::Monitor,
                "desync mitigation defensive or strictest ([load_balancer] desync_mitigation_mode)",
                "[load_balancer] desync_mitigation_mode = \"defensive\" or \"strictest\"",
            )
        },
    },
    Control {
        id: "ELB.13",
        title: "Load balancers should span multiple Availability Zones",
        check: |env| {
            met(format!(
                "one public subnet in each of {} AZs (the file must name at least two)",
                env.network.availability_zones.len()
            ))
        },
    },
    Control {
        id: "ELB.16",
        title: "Application Load Balancers should be associated with an AWS WAF web ACL",
        check: |env| {
            when(
                env.waf.enabled && matches!(env.waf.attach, WafAttach::Alb | WafAttach::Both),
                "the load balancer's web ACL ([waf] attach = \"alb\" or \"both\")",
                "[waf] enabled = true and attach = \"alb\" or \"both\"",
            )
        },
    },
    // --- Containers ----------------------------------------------------------------------
    Control {
        id: "ECS.2",
        title: "ECS services should not have public IP addresses assigned to them automatically",
        check: |env| {
            when(
                !env.network.tasks_in_public_subnets(),
                "tasks run in private subnets, reaching out through the NAT gateways",
                "[network] nat_gateways = 1 or more (tasks then run in private subnets)",
            )
        },
    },
    Control {
        id: "ECS.4",
        title: "ECS containers should run as non-privileged",
        check: |_| met("no container is privileged (Fargate does not allow it)"),
    },
    Control {
        id: "ECS.5",
        title: "ECS containers should be limited to read-only access to root filesystems",
        check: |env| {
            when(
                env.services.api.read_only_root_filesystem && env.services.ui.read_only_root_filesystem,
                "every container's root filesystem is read-only (the X-Ray sidecar always; the app containers per [services.*] read_only_root_filesystem, with a writable /tmp volume)",
                "[services.api] and [services.ui] read_only_root_filesystem = true",
            )
        },
    },
    Control {
        id: "ECS.8",
        title: "Secrets should not be passed as container environment variables",
        check: |_| met("secrets reach containers through ECS `secrets` from Secrets Manager, never as plain environment values"),
    },
    Control {
        id: "ECS.9",
        title: "ECS task definitions should have a logging configuration",
        check: |_| met("every container logs to CloudWatch Logs (awslogs)"),
    },
    Control {
        id: "ECS.12",
        title: "ECS clusters should use Container Insights",
        check: |env| {
            when(
                env.monitoring.container_insights,
                "Container Insights is on ([monitoring] container_insights)",
                "[monitoring] container_insights = true",
            )
        },
    },
    Control {
        id: "ECR.1",
        title: "ECR private repositories should have image scanning configured",
        check: |_| met("every repository scans images on push"),
    },
    Control {
        id: "ECR.2",
        title: "ECR private repositories should have tag immutability configured",
        check: |env| {
            when(
                env.deployment.immutable_image_tags,
                "tags are immutable ([deployment] immutable_image_tags); deploy needs a unique tag per image",
                "[deployment] immutable_image_tags = true",
            )
        },
    },
    Control {
        id: "ECR.3",
        title: "ECR repositories should have at least one lifecycle policy configured",
        check: |env| {
            when(
                env.deployment.ecr_keep_images > 0,
                "a lifecycle policy keeps the last [deployment] ecr_keep_images images",
                "[deployment] ecr_keep_images = 1 or more",
            )
        },
    },
    // --- Database ------------------------------------------------------------------------
    Control {
        id: "RDS.2",
        title: "RDS DB instances should prohibit public access",
        check: |_| met("not publicly accessible, in isolated subnets with no route out"),
    },
    Control {
        id: "RDS.3",
        title: "RDS DB instances should have encryption at rest enabled",
        check: |_| met("storage encrypted (StorageEncrypted), always"),
    },
    Control {
        id: "RDS.5",
        title: "RDS DB instances should be configured with multiple Availability Zones",
        check: |env| {
            when(
                env.database.multi_az,
                "a standby in a second AZ ([database] multi_az)",
                "[database] multi_az = true",
            )
        },
    },
    Control {
        id: "RDS.6",
        title: "Enhanced monitoring should be configured for RDS DB instances",
        check: |env| {
            when(
                env.database.enhanced_monitoring_interval_seconds > 0,
                "enhanced monitoring every [database] enhanced_monitoring_interval_seconds, with its monitoring role",
                "[database] enhanced_monitoring_interval_seconds = 60 (or 1, 5, 10, 15, 30)",
            )
        },
    },
    Control {
        id: "RDS.7",
        title: "RDS clusters should have deletion protection enabled",
        check: |env| {
            when(
                env.database.deletion_protection,
                "deletion protection on ([database] deletion_protection)",
                "[database] deletion_protection = true",
            )
        },
    },
    Control {
        id: "RDS.9",
        title: "RDS DB instances should publish logs to CloudWatch Logs",
        check: |env| {
            let exported = |log: &str| env.database.log_exports.iter().any(|l| l == log);
            when(
                exported("postgresql") && exported("upgrade"),
                "the postgresql and upgrade logs go to CloudWatch Logs ([database] log_exports)",
                "[database] log_exports = [\"postgresql\", \"upgrade\"]",
            )
        },
    },
    Control {
        id: "RDS.10",
        title: "IAM authentication should be configured for RDS instances",
        check: |env| {
            when(
                env.database.iam_authentication,
                "IAM database authentication on ([database] iam_authentication)",
                "[database] iam_authentication = true",
            )
        },
    },
    Control {
        id: "RDS.11",
        title: "RDS instances should have automatic backups enabled",
        check: |env| {
            when(
                env.database.backup_retention_days >= 7,
                "automated backups kept [database] backup_retention_days (7 or more)",
                "[database] backup_retention_days = 7 or more",
            )
        },
    },
    Control {
        id: "RDS.13",
        title: "RDS automatic minor version upgrades should be enabled",
        check: |env| {
            when(
                env.database.auto_minor_version_upgrade,
                "minor versions upgrade in the maintenance window ([database] auto_minor_version_upgrade)",
                "[database] auto_minor_version_upgrade = true",
            )
        },
    },
    Control {
        id: "RDS.17",
        title: "RDS DB instances should be configured to copy tags to snapshots",
        check: |_| met("tags are copied to snapshots (CopyTagsToSnapshot), always"),
    },
    Control {
        id: "RDS.23",
        title: "RDS instances should not use a database engine default port",
        check: |env| {
            when(
                env.database.port != 5432,
                "[database] port is not PostgreSQL's 5432",
                "[database] port = another port than 5432 (the API reads it from the stack)",
            )
        },
    },
    Control {
        id: "RDS.25",
        title: "RDS database instances should use a custom administrator username",
        check: |env| {
            when(
                env.database.master_username != "postgres",
                "[database] master_username is not the engine's default",
                "[database] master_username = a name other than \"postgres\" (on an existing database this replaces it)",
            )
        },
    },
    Control {
        id: "MC.RDS-TLS",
        title: "The database should refuse connections without TLS (rds.force_ssl)",
        check: |env| {
            when(
                env.database.force_ssl,
                "the parameter group sets rds.force_ssl = 1 ([database] force_ssl)",
                "[database] force_ssl = true",
            )
        },
    },
    // --- Cache ---------------------------------------------------------------------------
    Control {
        id: "ElastiCache.3",
        title: "ElastiCache replication groups should have automatic failover enabled",
        check: |env| {
            when(
                env.cache.automatic_failover,
                "a replica takes over automatically ([cache] automatic_failover)",
                "[cache] replicas = 1 or more and automatic_failover = true",
            )
        },
    },
    Control {
        id: "ElastiCache.4",
        title: "ElastiCache replication groups should be encrypted at rest",
        check: |_| met("at-rest encryption on, always"),
    },
    Control {
        id: "ElastiCache.5",
        title: "ElastiCache replication groups should be encrypted in transit",
        check: |_| met("in-transit encryption (TLS) on, always"),
    },
    Control {
        id: "ElastiCache.7",
        title: "ElastiCache clusters should not use the default subnet group",
        check: |_| met("the environment's own subnet group of isolated subnets"),
    },
    // --- Secrets, alarms, audit ----------------------------------------------------------
    Control {
        id: "SecretsManager.1",
        title: "Secrets Manager secrets should have automatic rotation enabled",
        check: |_| unmet("not offered: Secrets Manager rotates only through a rotation Lambda function, which macroctl does not deploy; the secrets are rotated on a schedule with `macroctl secret rotate` instead (SecretsManager.4, docs/security.md#secret-rotation)"),
    },
    Control {
        id: super::SECRET_AGE_CONTROL,
        title: "Secrets Manager secrets should be rotated within a specified number of days",
        check: |env| {
            let days = env.security.secret_rotation_days;
            when(
                days <= 90,
                "rotated with `macroctl secret rotate` at least every [security] secret_rotation_days; `plan` lists any secret older than that",
                "[security] secret_rotation_days = 90 or fewer",
            )
        },
    },
    Control {
        id: "SNS.1",
        title: "SNS topics should be encrypted at-rest using AWS KMS",
        check: |env| {
            alarms_off(env).unwrap_or_else(|| match &env.monitoring.alarm_topic_kms_key {
                Some(key) => met(format!("the alarm topic is encrypted with {key} ([monitoring] alarm_topic_kms_key)")),
                None => met("the alarm topic is encrypted with the environment's own KMS key, whose policy lets CloudWatch alarms publish (the AWS managed alias/aws/sns would not)"),
            })
        },
    },
    Control {
        id: "KMS.4",
        title: "AWS KMS key rotation should be enabled",
        check: |env| {
            if alarms_off(env).is_some() || env.monitoring.alarm_topic_kms_key.is_some() {
                not_applicable("macroctl makes no KMS key (no alarms, or [monitoring] alarm_topic_kms_key names the user's own)")
            } else {
                met("the alarm topic's key rotates yearly (EnableKeyRotation)")
            }
        },
    },
    Control {
        id: "CloudTrail.1",
        title: "CloudTrail should be enabled and configured with at least one multi-Region trail",
        check: |env| {
            when(
                env.cloudtrail.enabled,
                "the environment's trail records every region's management events",
                "[cloudtrail] enabled = true (or rely on an organisation trail and record this exception)",
            )
        },
    },
    Control {
        id: "CloudTrail.2",
        title: "CloudTrail should have encryption at-rest enabled",
        check: |env| {
            if env.cloudtrail.enabled {
                unmet("not offered: the trail's files are encrypted by the logs bucket's S3-managed key (SSE-S3), not a KMS key")
            } else {
                not_applicable("no trail: [cloudtrail] enabled = false")
            }
        },
    },
    Control {
        id: "CloudTrail.4",
        title: "CloudTrail log file validation should be enabled",
        check: |env| {
            if env.cloudtrail.enabled {
                met("log file validation on, always")
            } else {
                not_applicable("no trail: [cloudtrail] enabled = false")
            }
        },
    },
    Control {
        id: "CloudTrail.5",
        title: "CloudTrail trails should be integrated with Amazon CloudWatch Logs",
        check: |env| {
            if !env.cloudtrail.enabled {
                not_applicable("no trail: [cloudtrail] enabled = false")
            } else {
                when(
                    env.cloudtrail.cloudwatch_logs,
                    "the trail also delivers to a CloudWatch Logs group ([cloudtrail] cloudwatch_logs)",
                    "[cloudtrail] cloudwatch_logs = true",
                )
            }
        },
    },
    // --- Storage -------------------------------------------------------------------------
    Control {
        id: "S3.5",
        title: "S3 general purpose buckets should require requests to use SSL",
        check: |_| met("every bucket policy denies requests without TLS (aws:SecureTransport)"),
    },
    Control {
        id: "S3.8",
        title: "S3 general purpose buckets should block public access",
        check: |_| met("every bucket blocks all public access"),
    },
    Control {
        id: "S3.14",
        title: "S3 general purpose buckets should have versioning enabled",
        check: |_| met("every bucket is versioned"),
    },
    Control {
        id: "S3.13",
        title: "S3 general purpose buckets should have Lifecycle configurations",
        check: |_| met("noncurrent versions expire after [storage] noncurrent_version_days; logs after log_expiration_days"),
    },
    // --- Edge ----------------------------------------------------------------------------
    Control {
        id: "CloudFront.3",
        title: "CloudFront distributions should require encryption in transit",
        check: |env| no_cloudfront(env).unwrap_or_else(|| met("viewers are redirected to HTTPS (TLS 1.2 or later)")),
    },
    Control {
        id: "CloudFront.5",
        title: "CloudFront distributions should have logging enabled",
        check: |env| {
            no_cloudfront(env).unwrap_or_else(|| {
                when(
                    env.edge.access_logs,
                    "access logs go to the logs bucket ([edge] access_logs)",
                    "[edge] access_logs = true",
                )
            })
        },
    },
    Control {
        id: "CloudFront.6",
        title: "CloudFront distributions should have WAF enabled",
        check: |env| {
            no_cloudfront(env).unwrap_or_else(|| {
                when(
                    env.waf.enabled && matches!(env.waf.attach, WafAttach::Cloudfront | WafAttach::Both),
                    "the distribution's web ACL ([waf] attach = \"cloudfront\" or \"both\")",
                    "[waf] enabled = true and attach = \"cloudfront\" or \"both\"",
                )
            })
        },
    },
    Control {
        id: "CloudFront.7",
        title: "CloudFront distributions should use custom SSL/TLS certificates",
        check: |env| {
            no_cloudfront(env).unwrap_or_else(|| {
                when(
                    env.dns.is_some(),
                    "the domain's ACM certificate ([dns] domain)",
                    "[dns] domain (served on the distribution's own *.cloudfront.net name until then)",
                )
            })
        },
    },
    Control {
        id: "CloudFront.9",
        title: "CloudFront distributions should encrypt traffic to custom origins",
        check: |env| {
            no_cloudfront(env).unwrap_or_else(|| {
                when(
                    https_at_alb(env),
                    "CloudFront reaches the load balancer over HTTPS only",
                    "[dns] domain or [integrations] certificate_arn (the load balancer then has an HTTPS listener CloudFront uses)",
                )
            })
        },
    },
    Control {
        id: "CloudFront.13",
        title: "CloudFront distributions should use origin access control",
        check: |env| no_cloudfront(env).unwrap_or_else(|| met("the assets bucket is read through Origin Access Control only")),
    },
    Control {
        id: "WAF.10",
        title: "AWS WAF web ACLs should have at least one rule or rule group",
        check: |env| {
            if env.waf.enabled {
                met("AWS managed rule groups and a rate limit")
            } else {
                not_applicable("no web ACL: [waf] enabled = false")
            }
        },
    },
    Control {
        id: "WAF.11",
        title: "AWS WAF web ACL logging should be enabled",
        check: |env| {
            if env.waf.enabled {
                unmet("not offered yet: web ACL logging (sampled requests and CloudWatch metrics are on)")
            } else {
                not_applicable("no web ACL: [waf] enabled = false")
            }
        },
    },
    Control {
        id: "Cognito.1",
        title: "Cognito user pools should have threat protection activated with full function enforcement mode for standard authentication",
        check: |env| {
            if env.cognito.create {
                unmet("not offered: threat protection needs Cognito's Plus feature plan, which macroctl does not buy for you")
            } else {
                not_applicable("macroctl creates no user pool ([cognito] create = false)")
            }
        },
    },
];
