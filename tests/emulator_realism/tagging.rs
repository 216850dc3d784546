//! The Resource Groups Tagging API as the launcher's tagging_api.py serves it: paging by
//! ResourcesPerPage, reusable tokens, and the kinds moto's GetResources leaves out.
use super::*;

/// One raw `ResourceGroupsTaggingAPI_20170126.GetResources` call (the harness has no SDK
/// client for the tagging API), as `Emulator::acm_certificate` makes its call: (HTTP status,
/// the answer's JSON).
fn get_resources(emulator: &Emulator, body: &serde_json::Value) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: ResourceGroupsTaggingAPI_20170126.GetResources\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/tagging/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len(),
        port = emulator.port()
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", emulator.port()))
        .expect("cannot connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("cannot set a read timeout");
    stream
        .write_all(request.as_bytes())
        .expect("cannot send GetResources");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("cannot read the GetResources response");
    let (head, payload) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("malformed GetResources response: {response}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {head}"));
    let value = serde_json::from_str(payload.trim())
        .unwrap_or_else(|_| panic!("GetResources did not answer JSON: {response}"));
    (status, value)
}

/// ARN → tags (sorted) of one GetResources page, and its `PaginationToken` (`""` when the
/// answer has none).
type TaggedPage = (Vec<(String, Vec<(String, String)>)>, String);

fn tagged_page(emulator: &Emulator, body: &serde_json::Value) -> TaggedPage {
    let (status, value) = get_resources(emulator, body);
    assert_eq!(status, 200, "GetResources {body}: {value}");
    let mappings = value["ResourceTagMappingList"]
        .as_array()
        .unwrap_or_else(|| panic!("no ResourceTagMappingList in {value}"))
        .iter()
        .map(|mapping| {
            let arn = mapping["ResourceARN"].as_str().expect("ResourceARN");
            let mut tags: Vec<(String, String)> = mapping["Tags"]
                .as_array()
                .expect("Tags")
                .iter()
                .map(|tag| {
                    let key = tag["Key"].as_str().expect("Key");
                    (
                        key.to_string(),
                        tag["Value"].as_str().expect("Value").to_string(),
                    )
                })
                .collect();
            tags.sort();
            (arn.to_string(), tags)
        })
        .collect();
    let token = value["PaginationToken"].as_str().unwrap_or_default();
    (mappings, token.to_string())
}

/// Every page of GetResources `body` (paging with its `PaginationToken`).
fn tagged_pages(emulator: &Emulator, body: &serde_json::Value) -> Vec<TaggedPage> {
    let mut pages = Vec::new();
    let mut request = body.clone();
    loop {
        let page = tagged_page(emulator, &request);
        let token = page.1.clone();
        pages.push(page);
        if token.is_empty() {
            return pages;
        }
        assert!(pages.len() < 100, "GetResources does not stop paging");
        request["PaginationToken"] = serde_json::Value::String(token);
    }
}

/// The stack and environment filters macroctl's inventory sends.
fn environment_filters(stack: &str, env: &str) -> serde_json::Value {
    serde_json::json!([
        { "Key": "macroctl:stack", "Values": [stack] },
        { "Key": "macroctl:env", "Values": [env] },
    ])
}

/// Four tags (as macroctl writes them: stack, environment, two more) for EC2's
/// TagSpecifications.
fn security_group_tags(stack: &str, env: &str, name: &str) -> aws_sdk_ec2::types::TagSpecification {
    let mut spec = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup);
    for (key, value) in [
        ("macroctl:stack", stack),
        ("macroctl:env", env),
        ("macroctl:name", name),
        ("team", "web"),
    ] {
        spec = spec.tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        );
    }
    spec.build()
}

/// 30 security groups tagged stack `shop`, environment `prod` (four tags each), and 3 of
/// environment `dev`, in a new VPC: the 30 ARNs, sorted.
async fn thirty_tagged_security_groups(ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("VpcId")
        .to_string();
    let mut arns = Vec::new();
    for i in 0..33 {
        let env = if i < 30 { "prod" } else { "dev" };
        let name = format!("sg-{i}");
        let id = ec2
            .create_security_group()
            .group_name(&name)
            .description("tagging")
            .vpc_id(&vpc)
            .tag_specifications(security_group_tags("shop", env, &name))
            .send()
            .await
            .expect("CreateSecurityGroup")
            .group_id()
            .expect("GroupId")
            .to_string();
        if i < 30 {
            arns.push(format!(
                "arn:aws:ec2:us-east-1:123456789012:security-group/{id}"
            ));
        }
    }
    arns.sort();
    arns
}

fn arns_of(pages: &[TaggedPage]) -> Vec<String> {
    let mut arns: Vec<String> = pages
        .iter()
        .flat_map(|(mappings, _)| mappings.iter().map(|(arn, _)| arn.clone()))
        .collect();
    arns.sort();
    arns
}

#[tokio::test]
async fn tagging_get_resources_honours_resources_per_page() {
    let emulator = Emulator::start_realistic(&[]);
    let ec2 = emulator.ec2().await;
    let expected = thirty_tagged_security_groups(&ec2).await;
    let filters = environment_filters("shop", "prod");

    // 100 per page: the 30 in one page (moto's own paging stops at 24 here), each with its
    // four tags, and an empty token as AWS's last page has.
    let pages = tagged_pages(
        &emulator,
        &serde_json::json!({ "TagFilters": filters, "ResourcesPerPage": 100 }),
    );
    assert_eq!(pages.len(), 1, "{pages:#?}");
    assert_eq!(arns_of(&pages), expected);
    for (arn, tags) in &pages[0].0 {
        let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["macroctl:env", "macroctl:name", "macroctl:stack", "team"],
            "{arn}"
        );
        assert!(
            tags.contains(&("macroctl:env".into(), "prod".into())),
            "{arn}"
        );
    }

    // 7 per page: 7, 7, 7, 7, 2, every one once.
    let pages = tagged_pages(
        &emulator,
        &serde_json::json!({ "TagFilters": filters, "ResourcesPerPage": 7 }),
    );
    let sizes: Vec<usize> = pages.iter().map(|(m, _)| m.len()).collect();
    assert_eq!(sizes, [7, 7, 7, 7, 2]);
    assert_eq!(arns_of(&pages), expected);

    // A token can be used again (a page request retried after a lost response).
    let first = tagged_page(
        &emulator,
        &serde_json::json!({ "TagFilters": filters, "ResourcesPerPage": 10 }),
    );
    let next = serde_json::json!({
        "TagFilters": filters, "ResourcesPerPage": 10, "PaginationToken": first.1,
    });
    let second = tagged_page(&emulator, &next);
    assert_eq!(second.0.len(), 10);
    assert_eq!(tagged_page(&emulator, &next), second);

    // No ResourcesPerPage: AWS's 50. TagsPerPage 100: as many four-tag resources as fit.
    let pages = tagged_pages(&emulator, &serde_json::json!({ "TagFilters": filters }));
    assert_eq!(pages.len(), 1);
    let pages = tagged_pages(
        &emulator,
        &serde_json::json!({ "TagFilters": filters, "TagsPerPage": 100 }),
    );
    let sizes: Vec<usize> = pages.iter().map(|(m, _)| m.len()).collect();
    assert_eq!(sizes, [25, 5]);
    assert_eq!(arns_of(&pages), expected);

    // An unknown token and out-of-range sizes are refused.
    let (status, value) = get_resources(
        &emulator,
        &serde_json::json!({ "PaginationToken": "not-a-token" }),
    );
    assert_eq!(status, 400, "{value}");
    assert!(
        value
            .to_string()
            .contains("PaginationTokenExpiredException"),
        "{value}"
    );
    let (status, value) = get_resources(&emulator, &serde_json::json!({ "ResourcesPerPage": 101 }));
    assert_eq!(status, 400, "{value}");
    assert!(
        value.to_string().contains("InvalidParameterException"),
        "{value}"
    );
}

#[tokio::test]
async fn plain_emulator_get_resources_pages_as_moto_does() {
    // moto's own paging, left as it is by the plain emulator: TagsPerPage 100 applied
    // whether asked or not, one resource short, so 24 four-tag resources a page.
    let emulator = Emulator::start();
    let ec2 = emulator.ec2().await;
    let expected = thirty_tagged_security_groups(&ec2).await;
    let pages = tagged_pages(
        &emulator,
        &serde_json::json!({
            "TagFilters": environment_filters("shop", "prod"), "ResourcesPerPage": 100,
        }),
    );
    let sizes: Vec<usize> = pages.iter().map(|(m, _)| m.len()).collect();
    assert_eq!(sizes, [24, 6]);
    assert_eq!(arns_of(&pages), expected);
}

#[tokio::test]
async fn tagging_get_resources_reports_rds_groups_ecr_repositories_and_elastic_ips() {
    let emulator = Emulator::start_realistic(&[]);
    let ec2 = emulator.ec2().await;
    let rds = emulator.rds().await;
    let ecr = emulator.ecr().await;
    let (subnet_a, subnet_b) = two_subnets(&ec2).await;
    let rds_tags = |env: &str| {
        [
            ("macroctl:stack", "shop"),
            ("macroctl:env", env),
            ("team", "data"),
        ]
        .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
    };
    let ecr_tags = |env: &str| {
        [
            ("macroctl:stack", "shop"),
            ("macroctl:env", env),
            ("team", "data"),
        ]
        .map(|(k, v)| {
            aws_sdk_ecr::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("ECR tag")
        })
    };

    let mut request = rds
        .create_db_subnet_group()
        .db_subnet_group_name("shop-db")
        .db_subnet_group_description("tagging")
        .subnet_ids(&subnet_a)
        .subnet_ids(&subnet_b);
    for tag in rds_tags("prod") {
        request = request.tags(tag);
    }
    request.send().await.expect("CreateDBSubnetGroup");
    for (name, env) in [("shop-pg", "prod"), ("shop-pg-dev", "dev")] {
        let mut request = rds
            .create_db_parameter_group()
            .db_parameter_group_name(name)
            .db_parameter_group_family("postgres16")
            .description("tagging");
        for tag in rds_tags(env) {
            request = request.tags(tag);
        }
        request.send().await.expect("CreateDBParameterGroup");
    }
    let mut request = ecr.create_repository().repository_name("shop/api");
    for tag in ecr_tags("prod") {
        request = request.tags(tag);
    }
    request.send().await.expect("CreateRepository");
    ecr.create_repository()
        .repository_name("untagged")
        .send()
        .await
        .expect("CreateRepository untagged");
    let mut spec = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::ElasticIp);
    for (key, value) in [
        ("macroctl:stack", "shop"),
        ("macroctl:env", "prod"),
        ("team", "data"),
    ] {
        spec = spec.tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        );
    }
    let allocation = ec2
        .allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .tag_specifications(spec.build())
        .send()
        .await
        .expect("AllocateAddress")
        .allocation_id()
        .expect("AllocationId")
        .to_string();

    let pages = tagged_pages(
        &emulator,
        &serde_json::json!({
            "TagFilters": environment_filters("shop", "prod"), "ResourcesPerPage": 100,
        }),
    );
    let mut found: Vec<(String, Vec<(String, String)>)> = pages
        .into_iter()
        .flat_map(|(mappings, _)| mappings)
        .collect();
    found.sort();
    let tags: Vec<(String, String)> = [
        ("macroctl:env", "prod"),
        ("macroctl:stack", "shop"),
        ("team", "data"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec();
    let mut expected: Vec<(String, Vec<(String, String)>)> = [
        format!("arn:aws:ec2:us-east-1:123456789012:elastic-ip/{allocation}"),
        "arn:aws:ecr:us-east-1:123456789012:repository/shop/api".to_string(),
        "arn:aws:rds:us-east-1:123456789012:pg:shop-pg".to_string(),
        "arn:aws:rds:us-east-1:123456789012:subgrp:shop-db".to_string(),
    ]
    .into_iter()
    .map(|arn| (arn, tags.clone()))
    .collect();
    expected.sort();
    assert_eq!(found, expected);

    // The other environment's parameter group, under its own filters.
    let (dev, _) = tagged_page(
        &emulator,
        &serde_json::json!({ "TagFilters": environment_filters("shop", "dev") }),
    );
    let dev: Vec<&str> = dev.iter().map(|(arn, _)| arn.as_str()).collect();
    assert_eq!(dev, ["arn:aws:rds:us-east-1:123456789012:pg:shop-pg-dev"]);

    // Resource type filters name the new kinds.
    let (typed, _) = tagged_page(
        &emulator,
        &serde_json::json!({ "ResourceTypeFilters": ["rds:subgrp", "ecr:repository"] }),
    );
    let mut typed: Vec<&str> = typed.iter().map(|(arn, _)| arn.as_str()).collect();
    typed.sort();
    assert_eq!(
        typed,
        [
            "arn:aws:ecr:us-east-1:123456789012:repository/shop/api",
            "arn:aws:rds:us-east-1:123456789012:subgrp:shop-db",
        ]
    );
}
