//! Unit tests of `s3_bucket`: the baseline's diff, the policy document, the outputs.

use super::*;

fn spec(expiration: Option<u32>) -> S3BucketSpec {
    S3BucketSpec {
        name: "macro-ai-test-logs-123456789012".into(),
        noncurrent_version_days: 30,
        expiration_days: expiration,
        policy_statements: vec![json!({"Sid": "Extra", "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl", "Resource": arn("macro-ai-test-logs-123456789012")})],
        cloudfront_reader: None,
        acls_for_log_delivery: false,
    }
}

fn converged(spec: &S3BucketSpec) -> S3BucketLive {
    S3BucketLive {
        name: spec.name.clone(),
        versioning: Some("Enabled".into()),
        encryption: Some("AES256".into()),
        public_access_block: [true; 4],
        object_ownership: Some(OWNERSHIP.into()),
        policy: Some(normalize_policy(&policy_document(
            spec,
            &Resolver::default(),
        ))),
        lifecycle: desired_lifecycle(spec),
        tags: Tags::new(),
    }
}

#[test]
fn a_converged_bucket_diffs_empty_and_each_gap_is_one_change() {
    let resolver = Resolver::default();
    let spec = spec(Some(90));
    assert!(S3Bucket::diff(&spec, &converged(&spec), &resolver).is_empty());
    let mut stripped = converged(&spec);
    stripped.public_access_block = [true, true, false, true];
    stripped.policy = None;
    let fields: Vec<String> = S3Bucket::diff(&spec, &stripped, &resolver)
        .into_iter()
        .map(|c| c.field)
        .collect();
    assert_eq!(fields, [FIELD_PUBLIC_ACCESS, FIELD_POLICY]);
    // Another retention: only the lifecycle.
    let shorter = S3BucketSpec {
        expiration_days: Some(30),
        ..spec.clone()
    };
    let changes = S3Bucket::diff(&shorter, &converged(&spec), &resolver);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].new, "objects 30d, versions 30d, uploads 7d");
    // KMS is kept.
    let mut kms = converged(&spec);
    kms.encryption = Some("aws:kms".into());
    assert!(S3Bucket::diff(&spec, &kms, &resolver).is_empty());
}

#[test]
fn the_policy_denies_requests_without_tls_to_the_bucket_and_its_objects() {
    let document: Value =
        serde_json::from_str(&policy_document(&spec(None), &Resolver::default())).unwrap();
    let first = &document["Statement"][0];
    assert_eq!(first["Effect"], "Deny");
    assert_eq!(first["Condition"]["Bool"]["aws:SecureTransport"], "false");
    assert_eq!(
        first["Resource"][1],
        "arn:aws:s3:::macro-ai-test-logs-123456789012/*"
    );
    assert_eq!(document["Statement"][1]["Sid"], "Extra");
}

#[test]
fn outputs_are_the_declared_ones() {
    let spec = spec(None);
    let keys: Vec<String> = S3Bucket::outputs(&converged(&spec)).into_keys().collect();
    assert_eq!(keys, S3Bucket::OUTPUTS);
}

#[test]
fn cloudfront_reads_objects_only_for_the_distribution_named() {
    let resolver = Resolver::default();
    let distribution = "arn:aws:cloudfront::123456789012:distribution/E1";
    let outputs = Outputs::from([("arn".to_string(), distribution.to_string())]);
    resolver.set(&crate::graph::LogicalId::new("cdn"), outputs);
    let assets = S3BucketSpec {
        cloudfront_reader: Some(Ref::new("cdn", "arn")),
        acls_for_log_delivery: true,
        ..spec(None)
    };
    let document: Value = serde_json::from_str(&policy_document(&assets, &resolver)).unwrap();
    let read = &document["Statement"][2];
    assert_eq!(read["Action"], "s3:GetObject");
    assert_eq!(
        read["Condition"]["StringEquals"]["AWS:SourceArn"],
        distribution
    );
    let changes = S3Bucket::diff(&assets, &converged(&spec(None)), &resolver);
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, [FIELD_OWNERSHIP, FIELD_POLICY]);
}
