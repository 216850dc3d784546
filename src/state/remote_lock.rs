//! The environment lock in S3: `PREFIX/<env>.lock`, a lease that works across machines.
//!
//! `flock` only excludes processes on one machine; a laptop and a CI runner need a lock both
//! see. The lock is an object created with `If-None-Match: *` (S3 lets exactly one such create
//! win) naming its holder: a lock id, pid, host, user, command, start time, and a lease. The
//! holder renews the lease (every third of it) with `If-Match` on the lock's ETag, and deletes
//! the object, again conditionally, when done. A holder killed with `kill -9` renews no more:
//! once its lease has run out the lock is stale, and the next run takes it over (with
//! `If-Match`, so only one run can) and says whose it was. `state unlock --env E --lock-id ID`
//! removes exactly the lock named, never one taken since.
//!
//! A create whose answer was lost (the SDK retries it and gets 412) is recognised by the lock
//! id in the object: it is ours. Staleness compares the holder's last renewal with this
//! machine's clock: clocks must agree to well within the lease (NTP does).

// As in `lock`: `LockError::Held` carries the holder by value; errors are the rare path.
#![allow(clippy::result_large_err)]

use super::lock::{LockError, LockInfo};
use super::remote::{self, block_on, is_precondition_failed};
use super::url::S3Location;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a lock stays valid without renewal, unless `MACROCTL_LOCK_LEASE_SECONDS` says
/// otherwise (tests shorten it).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(90);

/// What the lock object holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteLockInfo {
    pub lock_id: String,
    #[serde(flatten)]
    pub holder: LockInfo,
    pub lease_seconds: u64,
    /// RFC 3339 UTC with milliseconds: the last renewal (or the creation).
    pub renewed_at: String,
}

impl RemoteLockInfo {
    /// Whether the lease has run out: its holder stopped renewing it (it died).
    pub fn expired(&self) -> bool {
        super::age_of(&self.renewed_at)
            .is_some_and(|age| age > Duration::from_secs(self.lease_seconds))
    }

    fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a lock serializes")
    }
}

impl std::fmt::Display for RemoteLockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (lock id {}, lease {}s, last renewed {}{})",
            self.holder,
            self.lock_id,
            self.lease_seconds,
            self.renewed_at,
            if self.expired() { ", expired" } else { "" }
        )
    }
}

/// The lease length for new locks.
pub fn lease() -> Duration {
    std::env::var("MACROCTL_LOCK_LEASE_SECONDS")
        .ok()
        .and_then(|value| value.parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .map_or(DEFAULT_LEASE, Duration::from_secs)
}

/// A held lock: renewed in the background until dropped, then deleted.
#[derive(Debug)]
pub struct RemoteLock {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    etag: Arc<Mutex<String>>,
    renewal: Option<tokio::task::JoinHandle<()>>,
    pub info: RemoteLockInfo,
    /// The expired lock this one replaced.
    pub took_over: Option<RemoteLockInfo>,
}

fn lock_key(location: &S3Location, env: &str) -> String {
    location.key(&format!("{env}.lock"))
}

/// `s3://bucket/PREFIX/<env>.lock`.
pub fn lock_url(location: &S3Location, env: &str) -> String {
    format!("s3://{}/{}", location.bucket, lock_key(location, env))
}

fn remote_error(location: &S3Location, env: &str, source: crate::aws::AwsError) -> LockError {
    LockError::Remote {
        url: lock_url(location, env),
        source,
    }
}

/// Takes the lock, waiting up to `timeout` while another live run holds it; takes over a lock
/// whose lease ran out. `on_wait(holder)` is called once, when the lock is first found held.
pub fn acquire(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
    env: &str,
    command: &str,
    timeout: Duration,
    mut on_wait: impl FnMut(&RemoteLockInfo),
) -> Result<RemoteLock, LockError> {
    let key = lock_key(location, env);
    let bucket = location.bucket.clone();
    let lease = lease();
    let mine = RemoteLockInfo {
        lock_id: uuid::Uuid::new_v4().to_string(),
        holder: LockInfo::current(command),
        lease_seconds: lease.as_secs(),
        renewed_at: super::now_rfc3339_millis(),
    };
    let start = Instant::now();
    let mut waited = false;
    loop {
        let mut mine = mine.clone();
        mine.renewed_at = super::now_rfc3339_millis();
        let created = block_on(remote::put(client, &bucket, &key, mine.bytes(), None));
        let refused = match created {
            Ok(etag) => return Ok(RemoteLock::held(client, bucket, key, etag, mine, None)),
            Err(err) if is_precondition_failed(&err) => err,
            Err(err) => return Err(remote_error(location, env, err)),
        };
        let current = block_on(remote::get(client, &bucket, &key))
            .map_err(|err| remote_error(location, env, err))?;
        let Some(current) = current else {
            continue; // released meanwhile
        };
        let theirs: Option<RemoteLockInfo> = serde_json::from_slice(&current.bytes).ok();
        match &theirs {
            // Our own create, whose answer was lost and which the SDK repeated.
            Some(theirs) if theirs.lock_id == mine.lock_id => {
                return Ok(RemoteLock::held(
                    client,
                    bucket,
                    key,
                    current.etag,
                    mine,
                    None,
                ))
            }
            // Its holder stopped renewing: take it over, if nobody else does first.
            Some(theirs) if theirs.expired() => {
                match block_on(remote::put(
                    client,
                    &bucket,
                    &key,
                    mine.bytes(),
                    Some(&current.etag),
                )) {
                    Ok(etag) => {
                        let stale = Some(theirs.clone());
                        return Ok(RemoteLock::held(client, bucket, key, etag, mine, stale));
                    }
                    Err(err) if is_precondition_failed(&err) => continue,
                    Err(err) => return Err(remote_error(location, env, err)),
                }
            }
            _ => {}
        }
        let _ = refused;
        let holder = theirs.unwrap_or_else(|| RemoteLockInfo {
            lock_id: "(unreadable)".into(),
            holder: LockInfo::unknown(),
            lease_seconds: 0,
            renewed_at: String::new(),
        });
        if start.elapsed() >= timeout {
            return Err(LockError::HeldRemote {
                env: env.to_string(),
                url: lock_url(location, env),
                holder: Box::new(holder),
            });
        }
        if !waited {
            waited = true;
            on_wait(&holder);
        }
        std::thread::sleep(Duration::from_secs(1).min(timeout.saturating_sub(start.elapsed())));
    }
}

impl RemoteLock {
    fn held(
        client: &aws_sdk_s3::Client,
        bucket: String,
        key: String,
        etag: String,
        info: RemoteLockInfo,
        took_over: Option<RemoteLockInfo>,
    ) -> Self {
        let etag = Arc::new(Mutex::new(etag));
        let renewal = tokio::runtime::Handle::try_current().ok().map(|handle| {
            handle.spawn(renew(
                client.clone(),
                bucket.clone(),
                key.clone(),
                Arc::clone(&etag),
                info.clone(),
            ))
        });
        RemoteLock {
            client: client.clone(),
            bucket,
            key,
            etag,
            renewal,
            info,
            took_over,
        }
    }
}

/// Renews the lease every third of it, while the lock is ours.
async fn renew(
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    etag: Arc<Mutex<String>>,
    mut info: RemoteLockInfo,
) {
    let every = Duration::from_secs(info.lease_seconds.max(3) / 3);
    loop {
        tokio::time::sleep(every).await;
        info.renewed_at = super::now_rfc3339_millis();
        let current = etag.lock().expect("lock etag").clone();
        match remote::put(&client, &bucket, &key, info.bytes(), Some(&current)).await {
            Ok(new) => *etag.lock().expect("lock etag") = new,
            Err(err) if is_precondition_failed(&err) => {
                tracing::error!(
                    "the lock s3://{bucket}/{key} was taken over by another run (this run's lease ran out?); state writes are still conditional, so nothing is overwritten"
                );
                return;
            }
            // Transient: the next renewal, well within the lease, tries again.
            Err(err) => tracing::warn!("renewing the lock s3://{bucket}/{key}: {err}"),
        }
    }
}

impl Drop for RemoteLock {
    fn drop(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
        }
        let etag = self.etag.lock().expect("lock etag").clone();
        // Only the version we hold: a lock taken over meanwhile is not ours to remove.
        if let Err(err) = block_on(remote::delete(&self.client, &self.bucket, &self.key, &etag)) {
            if !is_precondition_failed(&err) {
                tracing::warn!(
                    "could not release the lock s3://{}/{}: {err}; it expires with its lease",
                    self.bucket,
                    self.key
                );
            }
        }
    }
}

/// The lock's holder, if any (for `state show`).
pub fn holder(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
    env: &str,
) -> Result<Option<RemoteLockInfo>, LockError> {
    let current = block_on(remote::get(
        client,
        &location.bucket,
        &lock_key(location, env),
    ))
    .map_err(|err| remote_error(location, env, err))?;
    Ok(current.and_then(|object| serde_json::from_slice(&object.bytes).ok()))
}

/// Removes the lock `lock_id` (`state unlock --env E --lock-id ID`): `Ok(None)` when there is
/// no lock, `Ok(Some(holder))` when it was removed; a lock with another id is refused.
pub fn unlock(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
    env: &str,
    lock_id: &str,
) -> Result<Option<RemoteLockInfo>, LockError> {
    let key = lock_key(location, env);
    let current = block_on(remote::get(client, &location.bucket, &key))
        .map_err(|err| remote_error(location, env, err))?;
    let Some(current) = current else {
        return Ok(None);
    };
    let holder: Option<RemoteLockInfo> = serde_json::from_slice(&current.bytes).ok();
    let matches = holder
        .as_ref()
        .is_some_and(|holder| holder.lock_id == lock_id)
        || (holder.is_none() && lock_id == "(unreadable)");
    if !matches {
        return Err(LockError::OtherLockId {
            env: env.to_string(),
            url: lock_url(location, env),
            asked: lock_id.to_string(),
            holder: holder.map(Box::new),
        });
    }
    match block_on(remote::delete(
        client,
        &location.bucket,
        &key,
        &current.etag,
    )) {
        Ok(()) => Ok(Some(holder.unwrap_or_else(|| RemoteLockInfo {
            lock_id: lock_id.to_string(),
            holder: LockInfo::unknown(),
            lease_seconds: 0,
            renewed_at: String::new(),
        }))),
        // Renewed or taken over between the read and the delete: read again.
        Err(err) if is_precondition_failed(&err) => unlock(client, location, env, lock_id),
        Err(err) => Err(remote_error(location, env, err)),
    }
}
