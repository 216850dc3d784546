//! The S3 state backend: `s3://BUCKET/PREFIX` holds `PREFIX/<env>.json` and `PREFIX/<env>.lock`.
//!
//! A state file on a CI runner's disk is gone with the runner, and with it the release history
//! `rollback` needs; a team needs one state per environment that every laptop and job sees.
//! S3 gives that, and since 2024 conditional writes, which make it safe:
//!
//! * **No lost update.** Every save is a conditional `PutObject`: `If-Match` on the ETag this
//!   run last read or wrote, `If-None-Match: *` for the first. Two writers can never silently
//!   overwrite each other: the second gets `412 PreconditionFailed`, and macroctl stops with an
//!   error naming both serials instead of merging.
//! * **A lost answer is not a conflict.** AWS may perform the `PutObject` and lose the answer;
//!   the SDK's retry then gets 412 for our own write. So a 412 is followed by a read: if the
//!   object is exactly what this run wrote, the write happened and its ETag is taken.
//! * **The bucket is checked**, once per command: it must exist and be versioned (every save
//!   is then a version to go back to) and encrypted; `state init-backend` makes such a bucket.
//!
//! The state API is synchronous (a save happens while a resource's future holds the state),
//! so each S3 call runs to completion on a helper thread with the runtime's handle
//! ([`block_on`]); the runtime's worker threads keep driving the HTTP connections meanwhile.

use super::url::S3Location;
use crate::aws::{AwsError, IntoAwsError};
use aws_sdk_s3::primitives::ByteStream;
use std::future::Future;
use std::sync::Mutex;

/// Runs `future` to completion from synchronous code inside the multi-threaded runtime: on a
/// scoped helper thread, with the runtime's handle (the calling thread may be the one
/// `Runtime::block_on` runs on, where a nested `block_on` is not allowed).
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            std::thread::scope(|scope| {
                scope
                    .spawn(move || handle.block_on(future))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        }
        // No runtime to share (a unit test, a current-thread runtime): a private one.
        _ => std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a private runtime for an S3 call")
                        .block_on(future)
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
    }
}

/// Whether AWS refused a conditional write because its condition did not hold.
pub fn is_precondition_failed(err: &AwsError) -> bool {
    err.code() == Some("PreconditionFailed") || err.status == Some(412)
}

/// An object read from the bucket: its bytes and ETag.
#[derive(Debug, Clone)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub etag: String,
}

/// One environment's state object, and the ETag of the version this run last read or wrote.
#[derive(Debug)]
pub struct RemoteState {
    pub client: aws_sdk_s3::Client,
    pub location: S3Location,
    pub key: String,
    etag: Mutex<Option<String>>,
}

/// Why a remote save did not happen.
#[derive(Debug)]
pub enum SaveError {
    /// Someone else wrote since this run read: what the object holds now.
    Conflict {
        current: Option<Vec<u8>>,
    },
    Aws(AwsError),
}

impl RemoteState {
    pub fn new(client: aws_sdk_s3::Client, location: S3Location, env: &str) -> Self {
        let key = location.key(&format!("{env}.json"));
        Self {
            client,
            location,
            key,
            etag: Mutex::new(None),
        }
    }

    /// `s3://bucket/key`, for messages.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.location.bucket, self.key)
    }

    /// The state object, or `None` when there is none yet; remembers its ETag for the next
    /// conditional write.
    pub fn load(&self) -> Result<Option<Vec<u8>>, AwsError> {
        let found = block_on(get(&self.client, &self.location.bucket, &self.key))?;
        *self.etag.lock().expect("etag lock") = found.as_ref().map(|object| object.etag.clone());
        Ok(found.map(|object| object.bytes))
    }

    /// Writes `bytes` if the object is still the version this run last saw. After a refusal,
    /// an object holding exactly `bytes` is this very write, whose answer was lost.
    pub fn save(&self, bytes: Vec<u8>) -> Result<(), SaveError> {
        let mut etag = self.etag.lock().expect("etag lock");
        let condition = etag.clone();
        let written = block_on(put(
            &self.client,
            &self.location.bucket,
            &self.key,
            bytes.clone(),
            condition.as_deref(),
        ));
        match written {
            Ok(new_etag) => {
                *etag = Some(new_etag);
                Ok(())
            }
            Err(err) if is_precondition_failed(&err) => {
                // Our own write whose answer was lost, retried by the SDK? Then the object
                // is exactly what we sent.
                let current = block_on(get(&self.client, &self.location.bucket, &self.key))
                    .map_err(SaveError::Aws)?;
                match current {
                    Some(object) if object.bytes == bytes => {
                        *etag = Some(object.etag);
                        Ok(())
                    }
                    other => Err(SaveError::Conflict {
                        current: other.map(|object| object.bytes),
                    }),
                }
            }
            Err(err) => Err(SaveError::Aws(err)),
        }
    }
}

/// `GetObject`: `None` for a missing key.
pub async fn get(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Option<Object>, AwsError> {
    let answer = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .op("GetObject");
    let output = match answer {
        Ok(output) => output,
        Err(err) if err.code() == Some("NoSuchKey") => return Ok(None),
        Err(err) => return Err(err),
    };
    let etag = output.e_tag().unwrap_or_default().to_string();
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|err| AwsError::other("GetObject", format!("reading the object: {err}")))?
        .into_bytes()
        .to_vec();
    Ok(Some(Object { bytes, etag }))
}

/// Conditional `PutObject`: over the version `etag` (`If-Match`), or only where there is no
/// object (`If-None-Match: *`). Returns the new ETag.
pub async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
    etag: Option<&str>,
) -> Result<String, AwsError> {
    let request = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .body(ByteStream::from(bytes));
    let request = match etag {
        Some(etag) => request.if_match(etag),
        None => request.if_none_match("*"),
    };
    let output = request.send().await.op("PutObject")?;
    Ok(output.e_tag().unwrap_or_default().to_string())
}

/// Conditional `DeleteObject` of the version `etag`.
pub async fn delete(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    etag: &str,
) -> Result<(), AwsError> {
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .if_match(etag)
        .send()
        .await
        .op("DeleteObject")
        .map(|_| ())
}

/// What is wrong with a bucket as a state backend, if anything: it must exist, be versioned
/// and encrypted. The words name the command that fixes it.
pub async fn check_bucket(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
) -> Result<Option<String>, AwsError> {
    let bucket = &location.bucket;
    let fix = format!(
        "run `macroctl state init-backend --state-url {}` to create or fix it",
        location.url()
    );
    let versioning = client
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .op("GetBucketVersioning");
    let versioning = match versioning {
        Ok(versioning) => versioning,
        Err(err) if err.code() == Some("NoSuchBucket") || err.status == Some(404) => {
            return Ok(Some(format!(
                "the state bucket {bucket} does not exist; {fix}"
            )))
        }
        Err(err) => return Err(err),
    };
    if versioning.status() != Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled) {
        return Ok(Some(format!(
            "the state bucket {bucket} is not versioned (every save should be a version to go back to); {fix}"
        )));
    }
    let encryption = client
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .op("GetBucketEncryption");
    match encryption {
        Ok(_) => Ok(None),
        Err(err) if err.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {
            Ok(Some(format!(
                "the state bucket {bucket} has no default encryption; {fix}"
            )))
        }
        Err(err) => Err(err),
    }
}

/// What `state init-backend` did to each setting.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    pub bucket: String,
    pub created: bool,
    pub settings: Vec<&'static str>,
}

/// Makes `location`'s bucket fit for state, idempotently: created if missing (in `region`),
/// versioning on, default encryption (SSE-S3), all public access blocked, a policy denying
/// requests without TLS, and tags. A bucket name taken by another account is an error.
pub async fn init_bucket(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
    region: &str,
) -> Result<InitReport, AwsError> {
    use aws_sdk_s3::types::{
        BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
        PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
        VersioningConfiguration,
    };
    let bucket = location.bucket.as_str();
    // S3 answers a create of a bucket one already owns with 200 in us-east-1: ask first.
    let exists = match client
        .head_bucket()
        .bucket(bucket)
        .send()
        .await
        .op("HeadBucket")
    {
        Ok(_) => true,
        Err(err) if err.status == Some(404) || err.is_not_found() => false,
        Err(err) => return Err(err),
    };
    let mut create = client.create_bucket().bucket(bucket);
    // us-east-1 takes no location constraint (and refuses one).
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    let created = !exists
        && match create.send().await.op("CreateBucket") {
            Ok(_) => true,
            // Ours already (a lost answer the SDK retried, or a concurrent init).
            Err(err) if err.code() == Some("BucketAlreadyOwnedByYou") => false,
            Err(err) => return Err(err),
        };
    let built = |what: &str, err: aws_sdk_s3::error::BuildError| {
        AwsError::other(what, format!("building the request: {err}"))
    };
    client
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .op("PutBucketVersioning")?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::Aes256)
                .build()
                .map_err(|err| built("PutBucketEncryption", err))?,
        )
        .build();
    client
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|err| built("PutBucketEncryption", err))?,
        )
        .send()
        .await
        .op("PutBucketEncryption")?;
    client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .op("PutPublicAccessBlock")?;
    client
        .put_bucket_policy()
        .bucket(bucket)
        .policy(tls_only_policy(bucket))
        .send()
        .await
        .op("PutBucketPolicy")?;
    let tag = |key: &str, value: &str| {
        Tag::builder()
            .key(key)
            .value(value)
            .build()
            .map_err(|err| built("PutBucketTagging", err))
    };
    client
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(
            Tagging::builder()
                .tag_set(tag("macroctl:purpose", "state")?)
                .tag_set(tag("Name", bucket)?)
                .build()
                .map_err(|err| built("PutBucketTagging", err))?,
        )
        .send()
        .await
        .op("PutBucketTagging")?;
    Ok(InitReport {
        bucket: bucket.to_string(),
        created,
        settings: vec![
            "versioning enabled",
            "default encryption SSE-S3 (AES256)",
            "public access blocked",
            "policy denying requests without TLS",
            "tags macroctl:purpose=state, Name",
        ],
    })
}

/// Denies every request to the bucket that does not use TLS.
pub fn tls_only_policy(bucket: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    })
    .to_string()
}

/// The environments with state under the prefix (`<env>.json` keys).
pub async fn list_envs(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
) -> Result<Vec<String>, AwsError> {
    let prefix = location.key("");
    let mut envs = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(&location.bucket)
        .prefix(&prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("ListObjectsV2")?;
        for object in page.contents() {
            let Some(name) = object.key().and_then(|key| key.strip_prefix(&prefix)) else {
                continue;
            };
            if let Some(env) = name.strip_suffix(".json").filter(|env| !env.contains('/')) {
                envs.push(env.to_string());
            }
        }
    }
    envs.sort();
    Ok(envs)
}
