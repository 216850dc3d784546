//! The regional core's tables: network (EC2), data (RDS, ElastiCache, Secrets Manager),
//! application (IAM, ECS, ECR, ELB, CloudWatch Logs, CloudWatch, SNS, Application Auto
//! Scaling), storage (S3, CloudTrail), the tagging API, and the S3 state backend. One function
//! per service; each lists what `read`, `deploy` and `up` call, by [`Purpose`].

use super::{Grant, Names, Purpose};
use crate::stack::SERVICES;
use crate::state::url::S3Location;
use serde_json::json;

use Purpose::{Deploy, Read, Up};

pub fn grants(n: &Names) -> Vec<Grant> {
    let mut all = Vec::new();
    for table in [
        ec2,
        rds,
        elasticache,
        secrets,
        iam,
        ecs,
        ecr,
        elb,
        logs,
        cloudwatch,
        sns,
        kms,
        autoscaling,
        s3,
        cloudtrail,
        tagging,
    ] {
        all.extend(table(n));
    }
    all
}

/// EC2 scopes almost nothing by ARN: its Describe calls take no resource, creates are
/// scoped by the tags the request carries, changes by the tags the resource has.
fn ec2(n: &Names) -> Vec<Grant> {
    const CREATES: [&str; 8] = [
        "CreateVpc",
        "CreateSubnet",
        "CreateInternetGateway",
        "CreateRouteTable",
        "CreateSecurityGroup",
        "CreateNatGateway",
        "AllocateAddress",
        "CreateFlowLogs",
    ];
    let create_actions: Vec<String> = CREATES.iter().map(|c| format!("ec2:{c}")).collect();
    let create_actions: Vec<&str> = create_actions.iter().map(String::as_str).collect();
    let mut grants = vec![
        Grant::any(
            "Ec2Describe",
            Read,
            &[
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeSubnets",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeNatGateways",
                "ec2:DescribeAddresses",
                "ec2:DescribeFlowLogs",
                "ec2:DescribeManagedPrefixLists",
            ],
        ),
        Grant::any("Ec2CreateTaggedForEnvironment", Up, &create_actions)
            .when(n.tag_condition("aws:RequestTag")),
        // Tags at creation need ec2:CreateTags, for the create actions only.
        Grant::any("Ec2TagOnCreate", Up, &["ec2:CreateTags"])
            .when(json!({"StringEquals": {"ec2:CreateAction": CREATES}})),
        Grant::any(
            "Ec2ChangeEnvironmentResources",
            Up,
            &[
                "ec2:AttachInternetGateway",
                "ec2:AssociateRouteTable",
                "ec2:ReplaceRouteTableAssociation",
                "ec2:DisassociateRouteTable",
                "ec2:CreateRoute",
                "ec2:ReplaceRoute",
                "ec2:DeleteRoute",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:ModifyVpcAttribute",
                "ec2:ModifySubnetAttribute",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
        )
        .when(n.tag_condition("aws:ResourceTag")),
    ];
    // The creates above also name resources they do not create (the VPC of a subnet, the
    // subnet and address of a NAT gateway), which carry the environment's tags too.
    grants.push(
        Grant::any("Ec2CreateInEnvironmentResources", Up, &create_actions)
            .when(n.tag_condition("aws:ResourceTag")),
    );
    grants
}

fn rds(n: &Names) -> Vec<Grant> {
    let p = &n.prefix;
    let named = vec![
        n.arn("rds", &format!("db:{p}-*")),
        n.arn("rds", &format!("subgrp:{p}-*")),
        n.arn("rds", &format!("pg:{p}-*")),
    ];
    let mut create_resources = named.clone();
    // CreateDBInstance also names the engine's default option group.
    create_resources.push(n.arn("rds", "og:default:*"));
    let mut grants = vec![
        Grant::any(
            "RdsDescribe",
            Read,
            &[
                "rds:DescribeDBInstances",
                "rds:DescribeDBSubnetGroups",
                "rds:DescribeDBParameterGroups",
                "rds:DescribeDBParameters",
                "rds:DescribeDBProxies",
                "rds:DescribeDBProxyTargetGroups",
                "rds:DescribeDBProxyTargets",
            ],
        ),
        Grant::new(
            "RdsReadTags",
            Read,
            &["rds:ListTagsForResource"],
            named.clone(),
        ),
        Grant::new(
            "RdsChangeEnvironment",
            Up,
            &[
                "rds:CreateDBSubnetGroup",
                "rds:ModifyDBSubnetGroup",
                "rds:CreateDBParameterGroup",
                "rds:ModifyDBParameterGroup",
                "rds:CreateDBInstance",
                "rds:ModifyDBInstance",
                "rds:AddTagsToResource",
                "rds:RemoveTagsFromResource",
            ],
            create_resources,
        ),
    ];
    if n.env.rds_proxy.enabled {
        // Proxies have generated ids (`db-proxy:prx-…`): scoped by their tags instead.
        let proxies = vec![n.arn("rds", "db-proxy:*"), n.arn("rds", "target-group:*")];
        grants.push(
            Grant::new(
                "RdsProxyCreateTagged",
                Up,
                &["rds:CreateDBProxy", "rds:AddTagsToResource"],
                vec![n.arn("rds", "db-proxy:*")],
            )
            .when(n.tag_condition("aws:RequestTag")),
        );
        grants.push(
            Grant::new(
                "RdsProxyChange",
                Up,
                &[
                    "rds:ModifyDBProxy",
                    "rds:ModifyDBProxyTargetGroup",
                    "rds:RegisterDBProxyTargets",
                ],
                proxies.clone(),
            )
            .when(n.tag_condition("aws:ResourceTag")),
        );
        grants.push(Grant::new(
            "RdsProxyReadTags",
            Read,
            &["rds:ListTagsForResource"],
            proxies,
        ));
        // RegisterDBProxyTargets names the instance too.
        grants.push(Grant::new(
            "RdsChangeEnvironment",
            Up,
            &["rds:RegisterDBProxyTargets"],
            vec![],
        ));
    }
    grants
}

fn elasticache(n: &Names) -> Vec<Grant> {
    let p = &n.prefix;
    let named = vec![
        n.arn("elasticache", &format!("subnetgroup:{p}-*")),
        n.arn("elasticache", &format!("replicationgroup:{p}-*")),
        n.arn("elasticache", &format!("cluster:{p}-*")),
    ];
    let mut create_resources = named.clone();
    // CreateReplicationGroup names the engine's default parameter group.
    create_resources.push(n.arn("elasticache", "parametergroup:default.*"));
    vec![
        Grant::any(
            "ElastiCacheDescribe",
            Read,
            &[
                "elasticache:DescribeCacheSubnetGroups",
                "elasticache:DescribeReplicationGroups",
            ],
        ),
        Grant::new(
            "ElastiCacheReadTags",
            Read,
            &["elasticache:ListTagsForResource"],
            named,
        ),
        Grant::new(
            "ElastiCacheChangeEnvironment",
            Up,
            &[
                "elasticache:CreateCacheSubnetGroup",
                "elasticache:ModifyCacheSubnetGroup",
                "elasticache:CreateReplicationGroup",
                "elasticache:ModifyReplicationGroup",
                "elasticache:IncreaseReplicaCount",
                "elasticache:DecreaseReplicaCount",
                "elasticache:AddTagsToResource",
                "elasticache:RemoveTagsFromResource",
            ],
            create_resources,
        ),
    ]
}

fn secrets(n: &Names) -> Vec<Grant> {
    let secrets = vec![n.arn(
        "secretsmanager",
        &format!("secret:{}/{}/*", n.env.stack, n.env.name),
    )];
    vec![
        Grant::any("SecretsList", Read, &["secretsmanager:ListSecrets"]),
        Grant::new(
            "SecretsRead",
            Read,
            &[
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                // The secrets' ages, for the plan's rotation control.
                "secretsmanager:ListSecretVersionIds",
            ],
            secrets.clone(),
        ),
        // GetRandomPassword reads no secret: it has no resource.
        Grant::any("SecretsGenerate", Up, &["secretsmanager:GetRandomPassword"]),
        Grant::new(
            "SecretsChange",
            Up,
            &[
                "secretsmanager:CreateSecret",
                "secretsmanager:UpdateSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
            ],
            secrets,
        ),
    ]
}

fn iam(n: &Names) -> Vec<Grant> {
    let roles = vec![n.roles()];
    let aws = |policy: &str| {
        format!(
            "arn:{}:iam::aws:policy/{policy}",
            super::partition(&n.region)
        )
    };
    let mut passed_to = vec!["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"];
    if n.env.flow_logs.enabled {
        passed_to.push("vpc-flow-logs.amazonaws.com");
    }
    if n.env.rds_proxy.enabled {
        passed_to.push("rds.amazonaws.com");
    }
    if n.env.cloudtrail.enabled && n.env.cloudtrail.cloudwatch_logs {
        passed_to.push("cloudtrail.amazonaws.com");
    }
    // The database's enhanced monitoring role.
    passed_to.push("monitoring.rds.amazonaws.com");
    let service_linked = [
        "ecs.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "rds.amazonaws.com",
        "elasticache.amazonaws.com",
    ];
    vec![
        Grant::new(
            "IamReadRoles",
            Read,
            &[
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
            ],
            roles.clone(),
        ),
        // The listing of what is tagged for the environment (the tagging API does not list
        // IAM): account-wide reads with no resource.
        Grant::any(
            "IamListRoles",
            Read,
            &["iam:ListRoles", "iam:GetAccountAuthorizationDetails"],
        ),
        Grant::new(
            "IamChangeRoles",
            Up,
            &[
                "iam:CreateRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            roles.clone(),
        ),
        // Only the AWS managed policies the stack attaches.
        Grant::new(
            "IamAttachManagedPolicies",
            Up,
            &["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            roles.clone(),
        )
        .when(json!({"ArnEquals": {"iam:PolicyARN": [
            aws("service-role/AmazonECSTaskExecutionRolePolicy"),
            aws("AmazonECSInfrastructureRolePolicyForLoadBalancers"),
        ]}})),
        Grant::new("IamPassRoles", Deploy, &["iam:PassRole"], roles)
            .when(json!({"StringEquals": {"iam:PassedToService": passed_to}})),
        Grant::new(
            "IamServiceLinkedRoles",
            Up,
            &["iam:CreateServiceLinkedRole"],
            vec![n.global_arn("iam", &n.account, "role/aws-service-role/*")],
        )
        .when(json!({"StringEquals": {"iam:AWSServiceName": service_linked}})),
    ]
}

fn ecs(n: &Names) -> Vec<Grant> {
    let p = &n.prefix;
    let cluster = n.arn("ecs", &format!("cluster/{p}"));
    let services: Vec<String> = SERVICES
        .iter()
        .map(|service| n.arn("ecs", &format!("service/{p}/{service}")))
        .collect();
    let families = n.arn("ecs", &format!("task-definition/{p}-*:*"));
    let mut everything = services.clone();
    everything.push(cluster.clone());
    everything.push(families.clone());
    vec![
        Grant::new(
            "EcsRead",
            Read,
            &[
                "ecs:DescribeClusters",
                "ecs:DescribeServices",
                "ecs:ListTagsForResource",
            ],
            everything.clone(),
        ),
        // Task definitions are read and registered without resource-level permissions.
        Grant::any(
            "EcsTaskDefinitions",
            Read,
            &["ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"],
        ),
        Grant::any(
            "EcsRegisterTaskDefinitions",
            Deploy,
            &["ecs:RegisterTaskDefinition"],
        ),
        Grant::new(
            "EcsUpdateServices",
            Deploy,
            &["ecs:UpdateService"],
            services.clone(),
        ),
        // `run` and `deploy --before`: one-off tasks of the environment's task definitions,
        // in its cluster, followed and (on Ctrl-C) stopped.
        Grant::new(
            "EcsRunOneOffTasks",
            Deploy,
            &["ecs:RunTask"],
            vec![families.clone()],
        )
        .when(serde_json::json!({"ArnEquals": {"ecs:cluster": cluster}})),
        Grant::new(
            "EcsStopOneOffTasks",
            Deploy,
            &["ecs:StopTask"],
            vec![n.arn("ecs", &format!("task/{p}/*"))],
        ),
        // `logs --previous` and following a one-off task.
        Grant::new(
            "EcsReadTasks",
            Read,
            &["ecs:DescribeTasks"],
            vec![n.arn("ecs", &format!("task/{p}/*"))],
        ),
        Grant::new(
            "EcsListTasks",
            Read,
            &["ecs:ListTasks"],
            vec![n.arn("ecs", &format!("container-instance/{p}/*"))],
        )
        .when(serde_json::json!({"ArnEquals": {"ecs:cluster": cluster}})),
        Grant::new(
            "EcsTagEnvironment",
            Deploy,
            &["ecs:TagResource"],
            everything.clone(),
        ),
        Grant::new(
            "EcsChangeEnvironment",
            Up,
            &[
                "ecs:CreateCluster",
                "ecs:UpdateCluster",
                "ecs:PutClusterCapacityProviders",
                "ecs:CreateService",
                "ecs:UntagResource",
            ],
            everything,
        ),
    ]
}

fn ecr(n: &Names) -> Vec<Grant> {
    let repositories = vec![n.arn("ecr", &format!("repository/{}-*", n.prefix))];
    vec![
        Grant::any("EcrDescribe", Read, &["ecr:DescribeRepositories"]),
        Grant::new(
            "EcrRead",
            Read,
            &["ecr:GetLifecyclePolicy", "ecr:ListTagsForResource"],
            repositories.clone(),
        ),
        // deploy's check of the image it is given.
        Grant::new(
            "EcrDescribeImages",
            Deploy,
            &["ecr:DescribeImages"],
            repositories.clone(),
        ),
        Grant::new(
            "EcrChange",
            Up,
            &[
                "ecr:CreateRepository",
                "ecr:PutLifecyclePolicy",
                "ecr:DeleteLifecyclePolicy",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutImageTagMutability",
                "ecr:TagResource",
                "ecr:UntagResource",
            ],
            repositories,
        ),
    ]
}

fn elb(n: &Names) -> Vec<Grant> {
    let p = &n.prefix;
    let arn = |resource: String| n.arn("elasticloadbalancing", &resource);
    let resources = vec![
        arn(format!("loadbalancer/app/{p}/*")),
        arn(format!("listener/app/{p}/*")),
        arn(format!("listener-rule/app/{p}/*")),
        arn(format!("targetgroup/{p}-*/*")),
    ];
    vec![
        Grant::any(
            "ElbDescribe",
            Read,
            &[
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTags",
            ],
        ),
        Grant::new(
            "ElbChange",
            Up,
            &[
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            resources,
        ),
    ]
}

fn logs(n: &Names) -> Vec<Grant> {
    let p = &n.prefix;
    let mut groups = vec![format!("/ecs/{p}-*")];
    if n.env.flow_logs.enabled {
        groups.push(format!("/vpc/{p}/*"));
    }
    if n.env.cloudtrail.enabled && n.env.cloudtrail.cloudwatch_logs {
        groups.push(format!("{p}-*"));
    }
    // Tagging takes the group's ARN without `:*`, the other calls the ARN with it.
    let resources: Vec<String> = groups
        .iter()
        .flat_map(|group| {
            let arn = n.arn("logs", &format!("log-group:{group}"));
            [format!("{arn}:*"), arn]
        })
        .collect();
    vec![
        Grant::any("LogsDescribe", Read, &["logs:DescribeLogGroups"]),
        Grant::new(
            "LogsRead",
            Read,
            &["logs:ListTagsForResource"],
            resources.clone(),
        ),
        // The services' and one-off tasks' lines (`logs`, `run`, `deploy --before`).
        Grant::new(
            "LogsReadTaskLogs",
            Read,
            &["logs:FilterLogEvents", "logs:GetLogEvents"],
            resources.clone(),
        ),
        Grant::new(
            "LogsChange",
            Up,
            &[
                "logs:CreateLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ],
            resources,
        ),
    ]
}

fn cloudwatch(n: &Names) -> Vec<Grant> {
    let alarms = vec![n.arn("cloudwatch", &format!("alarm:{}-*", n.prefix))];
    vec![
        Grant::any("CloudWatchDescribe", Read, &["cloudwatch:DescribeAlarms"]),
        Grant::new(
            "CloudWatchRead",
            Read,
            &["cloudwatch:ListTagsForResource"],
            alarms.clone(),
        ),
        Grant::new(
            "CloudWatchChange",
            Up,
            &[
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            alarms,
        ),
    ]
}

fn sns(n: &Names) -> Vec<Grant> {
    // The topic, and its subscriptions (`<topic ARN>:<id>`, which Unsubscribe names).
    let topics = vec![n.arn("sns", &format!("{}-*", n.prefix))];
    vec![
        Grant::any("SnsList", Read, &["sns:ListTopics"]),
        Grant::new(
            "SnsRead",
            Read,
            &[
                "sns:GetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTagsForResource",
            ],
            topics.clone(),
        ),
        Grant::new(
            "SnsChange",
            Up,
            &[
                "sns:CreateTopic",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:TagResource",
                "sns:UntagResource",
            ],
            topics,
        ),
    ]
}

/// The alarm topic's key: its id is generated, so key actions are scoped by the key's
/// `macroctl:*` tags (or, on CreateKey, the tags the request carries); alias actions need both
/// the alias, by name, and the key, by its tags.
fn kms(n: &Names) -> Vec<Grant> {
    let keys = vec![n.arn("kms", "key/*")];
    let aliases = vec![n.arn("kms", &format!("alias/{}-*", n.prefix))];
    vec![
        Grant::any("KmsListAliases", Read, &["kms:ListAliases"]),
        Grant::new(
            "KmsReadEnvironmentKeys",
            Read,
            &[
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
            ],
            keys.clone(),
        )
        .when(n.tag_condition("aws:ResourceTag")),
        Grant::any(
            "KmsCreateTaggedForEnvironment",
            Up,
            &["kms:CreateKey", "kms:TagResource"],
        )
        .when(n.tag_condition("aws:RequestTag")),
        Grant::new(
            "KmsChangeEnvironmentKeys",
            Up,
            &[
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:EnableKey",
                "kms:EnableKeyRotation",
                "kms:PutKeyPolicy",
                "kms:ScheduleKeyDeletion",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateAlias",
                "kms:UpdateKeyDescription",
            ],
            keys,
        )
        .when(n.tag_condition("aws:ResourceTag")),
        Grant::new(
            "KmsEnvironmentAliases",
            Up,
            &["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            aliases,
        ),
    ]
}

/// Scalable targets and policies have generated ARNs, and the service takes the ECS service
/// as a resource id, not an ARN: no resource-level scoping.
fn autoscaling(_n: &Names) -> Vec<Grant> {
    vec![
        Grant::any(
            "AutoScalingDescribe",
            Read,
            &[
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
            ],
        ),
        Grant::any(
            "AutoScalingChange",
            Up,
            &[
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:TagResource",
            ],
        ),
    ]
}

fn s3(n: &Names) -> Vec<Grant> {
    let buckets = vec![n.buckets()];
    vec![
        Grant::new(
            "S3ReadBuckets",
            Read,
            &[
                "s3:ListBucket",
                "s3:GetBucketVersioning",
                "s3:GetEncryptionConfiguration",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketOwnershipControls",
                "s3:GetBucketPolicy",
                "s3:GetLifecycleConfiguration",
                "s3:GetBucketTagging",
                "s3:GetBucketAcl",
            ],
            buckets.clone(),
        ),
        Grant::new(
            "S3ChangeBuckets",
            Up,
            &[
                "s3:CreateBucket",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutLifecycleConfiguration",
                "s3:PutBucketTagging",
                "s3:PutBucketAcl",
            ],
            buckets,
        ),
    ]
}

fn cloudtrail(n: &Names) -> Vec<Grant> {
    if !n.env.cloudtrail.enabled {
        return Vec::new();
    }
    let trail = vec![n.arn(
        "cloudtrail",
        &format!("trail/{}", crate::stack::storage::trail_name(n.env)),
    )];
    vec![
        Grant::new(
            "CloudTrailRead",
            Read,
            &[
                "cloudtrail:GetTrail",
                "cloudtrail:GetTrailStatus",
                "cloudtrail:ListTags",
            ],
            trail.clone(),
        ),
        Grant::new(
            "CloudTrailChange",
            Up,
            &[
                "cloudtrail:CreateTrail",
                "cloudtrail:UpdateTrail",
                "cloudtrail:StartLogging",
                "cloudtrail:AddTags",
                "cloudtrail:RemoveTags",
            ],
            trail,
        ),
    ]
}

/// The Resource Groups Tagging API: the one listing of everything tagged for the environment.
fn tagging(_n: &Names) -> Vec<Grant> {
    vec![Grant::any("TaggingRead", Read, &["tag:GetResources"])]
}

/// The S3 state backend (README: "IAM permissions the S3 backend needs"): the bucket check,
/// reading state (every command), saving it and taking the lock (`deploy` and `up`).
pub fn state_backend(n: &Names, state: &S3Location) -> Vec<Grant> {
    let partition = super::partition(&n.region);
    let bucket = vec![format!("arn:{partition}:s3:::{}", state.bucket)];
    let objects = vec![format!(
        "arn:{partition}:s3:::{}",
        if state.prefix.is_empty() {
            format!("{}/*", state.bucket)
        } else {
            format!("{}/{}/*", state.bucket, state.prefix)
        }
    )];
    vec![
        Grant::new(
            "StateBucketCheck",
            Read,
            &["s3:GetBucketVersioning", "s3:GetEncryptionConfiguration"],
            bucket,
        ),
        Grant::new("StateRead", Read, &["s3:GetObject"], objects.clone()),
        Grant::new(
            "StateWriteAndLock",
            Deploy,
            &["s3:PutObject", "s3:DeleteObject"],
            objects,
        ),
    ]
}
