//! Per-environment lock: `<state_dir>/<env>.lock`.
//!
//! Two macroctl runs against the same environment would race on both AWS and the state file,
//! so every mutating run holds this lock. It is an OS advisory lock (`flock` via
//! [`File::try_lock`]), which the kernel releases when the holder exits for any reason, so a
//! `kill -9` or a dead CI job never leaves a stuck lock. The file's content is a JSON
//! [`LockInfo`] naming the holder, readable by other runs so they can say who they wait for.
//! The file is never deleted on release (deleting a flock'ed file races with new lockers);
//! its content is cleared instead, so leftover content means the holder died.
//!
//! Probing the lock (`holder`, `unlock`) briefly takes it, so a concurrent `acquire` with a zero
//! timeout can, within that microsecond window, see it as held.

// `LockError::Held` carries the holder's info by value, as callers match on it; errors are the
// rare path, so the larger `Result` does not matter.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How often a waiting `acquire` retries.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// A holder writes its info right after taking the lock; when we find the lock held but the
/// content empty or partial, re-read a few times this far apart before calling it unknown.
const INFO_RETRIES: u32 = 5;
const INFO_RETRY_DELAY: Duration = Duration::from_millis(20);

/// Who holds (or held) the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub host: String,
    pub user: String,
    pub command: String,
    pub started_at: String,
}

impl LockInfo {
    /// Info describing this process, about to run `command`.
    pub fn current(command: &str) -> Self {
        LockInfo {
            pid: std::process::id(),
            host: hostname(),
            user: username(),
            command: command.to_string(),
            started_at: super::now_rfc3339(),
        }
    }

    /// Placeholder returned by [`holder`] when the lock is held but its content cannot be read
    /// (pid 0; displays as "an unknown process").
    pub fn unknown() -> Self {
        LockInfo {
            pid: 0,
            host: String::new(),
            user: String::new(),
            command: String::new(),
            started_at: String::new(),
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.pid == 0
    }
}

impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unknown() {
            return f.write_str("an unknown process");
        }
        write!(
            f,
            "pid {} on host {} (user {}), running `{}` since {}",
            self.pid, self.host, self.user, self.command, self.started_at
        )
    }
}

/// Formats an optional holder for error messages.
struct HolderDisplay<'a>(&'a Option<LockInfo>);

impl fmt::Display for HolderDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(info) => info.fmt(f),
            None => f.write_str("an unknown process"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "environment `{env}` is locked by {} (lock file {}). Wait for that run to finish and \
         retry, or wait longer with `--lock-timeout 5m`. If you are sure that process is gone, \
         run `macroctl state unlock --env {env}` (with `--force` if the lock is still reported \
         as held)",
        HolderDisplay(.holder),
        .path.display()
    )]
    Held {
        env: String,
        path: PathBuf,
        holder: Option<LockInfo>,
    },

    #[error(
        "cannot use lock file {}: {source}; check that the state directory exists and that you \
         may read and write it",
        .path.display()
    )]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "environment `{env}` is locked by {holder} (lock {url}). Wait for that run to finish and \
         retry, or wait longer with `--lock-timeout 5m`; a lock whose holder died expires with \
         its lease and is then taken over. If you are sure that run is gone, run \
         `macroctl state unlock --env {env} --lock-id {}`",
        .holder.lock_id
    )]
    HeldRemote {
        env: String,
        url: String,
        holder: Box<super::remote_lock::RemoteLockInfo>,
    },

    #[error(
        "the lock of `{env}` ({url}) has lock id {}, not {asked}; nothing was removed. Check the \
         id with `macroctl state show --env {env}`",
        .holder.as_ref().map_or("(none readable)".to_string(), |holder| holder.lock_id.clone())
    )]
    OtherLockId {
        env: String,
        url: String,
        asked: String,
        holder: Option<Box<super::remote_lock::RemoteLockInfo>>,
    },

    #[error("cannot use the lock {url}: {source}; check the state URL, the bucket and your permissions on it")]
    Remote {
        url: String,
        #[source]
        source: crate::aws::AwsError,
    },
}

/// Holds the environment lock until dropped: the local `flock`, or the S3 lease.
#[derive(Debug)]
pub struct LockGuard {
    file: Option<File>,
    /// The S3 lock, released when the guard drops.
    remote: Option<super::remote_lock::RemoteLock>,
    path: PathBuf,
    info: LockInfo,
    stale: Option<LockInfo>,
}

impl LockGuard {
    /// When the lock file held info from a holder that is gone (no process held the OS lock,
    /// but the file still named one: it crashed or was killed), that info, so the caller can
    /// warn "took over a stale lock from ...".
    pub fn took_over_stale(&self) -> Option<&LockInfo> {
        self.stale.as_ref()
    }

    /// What this guard wrote into the lock file.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl LockGuard {
    /// A guard over a lock held in S3 (`path` is its URL, for messages).
    pub fn remote(lock: super::remote_lock::RemoteLock, url: String) -> Self {
        LockGuard {
            file: None,
            path: PathBuf::from(url),
            info: lock.info.holder.clone(),
            stale: lock.took_over.as_ref().map(|stale| stale.holder.clone()),
            remote: Some(lock),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            // Clear first, then unlock: nobody can observe "free but naming a holder".
            let _ = file.set_len(0);
            let _ = file.unlock();
        }
        // The S3 lock releases itself.
        drop(self.remote.take());
    }
}

/// Result of [`unlock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnlockOutcome {
    /// Nobody held the lock and no holder info was left behind.
    NotLocked,
    /// Nobody held the lock; leftover holder info (None if unreadable) was cleared.
    ClearedStale(Option<LockInfo>),
    /// A live process held the lock and the lock file was removed (`force`).
    ForcedRemoval(Option<LockInfo>),
}

/// Path of the lock file for `env`.
pub fn lock_path(state_dir: &Path, env: &str) -> PathBuf {
    state_dir.join(format!("{env}.lock"))
}

/// Try to take the lock; while held by someone else, poll every 200 ms until `timeout`
/// (`Duration::ZERO` = try once). `on_wait(holder)` is called once, when the lock is first
/// found held and `timeout` > 0.
pub fn acquire(
    state_dir: &Path,
    env: &str,
    command: &str,
    timeout: Duration,
    mut on_wait: impl FnMut(Option<&LockInfo>),
) -> Result<LockGuard, LockError> {
    let path = lock_path(state_dir, env);
    super::create_private_dir(state_dir).map_err(|e| io_err(state_dir, e))?;
    let start = Instant::now();
    let mut waited = false;
    let mut replaced = 0u32;
    loop {
        // Reopen on every attempt: `unlock --force` may have replaced the file meanwhile.
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => {
                if is_current_file(&file, &path)? {
                    return take_over(file, path, command);
                }
                // We locked a file that was unlinked after we opened it; try the new one.
                replaced += 1;
                if replaced > 100 {
                    let msg = "the lock file keeps being removed by another process";
                    return Err(io_err(&path, io::Error::other(msg)));
                }
                continue;
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(io_err(&path, e)),
        }
        drop(file);
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Err(LockError::Held {
                env: env.to_string(),
                holder: read_holder_patiently(&path),
                path,
            });
        }
        if !waited {
            waited = true;
            on_wait(read_holder_patiently(&path).as_ref());
        }
        thread::sleep(POLL_INTERVAL.min(timeout.saturating_sub(start.elapsed())));
    }
}

/// What `macroctl state unlock` does. If the OS lock is free, clears leftover holder info and
/// returns `ClearedStale` (or `NotLocked` if there was none). If a live process holds it:
/// without `force` returns `Err(LockError::Held)`; with `force` removes the lock file (the live
/// holder keeps a lock on an unlinked file; new runs create a fresh one) → `ForcedRemoval`.
pub fn unlock(state_dir: &Path, env: &str, force: bool) -> Result<UnlockOutcome, LockError> {
    let path = lock_path(state_dir, env);
    let file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(UnlockOutcome::NotLocked),
        Err(e) => return Err(io_err(&path, e)),
    };
    match file.try_lock() {
        Ok(()) => {
            let content = read_content(&file).map_err(|e| io_err(&path, e))?;
            let outcome = if content.iter().all(u8::is_ascii_whitespace) {
                UnlockOutcome::NotLocked
            } else {
                file.set_len(0)
                    .and_then(|()| file.sync_data())
                    .map_err(|e| io_err(&path, e))?;
                UnlockOutcome::ClearedStale(parse_info(&content))
            };
            let _ = file.unlock();
            Ok(outcome)
        }
        Err(TryLockError::WouldBlock) => {
            drop(file);
            let holder = read_holder_patiently(&path);
            if !force {
                return Err(LockError::Held {
                    env: env.to_string(),
                    path,
                    holder,
                });
            }
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path, e)),
            }
            Ok(UnlockOutcome::ForcedRemoval(holder))
        }
        Err(TryLockError::Error(e)) => Err(io_err(&path, e)),
    }
}

/// Read-only peek for `state show` / `status`: the current holder, if the OS lock is held.
/// A held lock whose info cannot be read yields [`LockInfo::unknown`].
pub fn holder(state_dir: &Path, env: &str) -> Result<Option<LockInfo>, LockError> {
    let path = lock_path(state_dir, env);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&path, e)),
    };
    // A shared probe: concurrent peeks do not disturb each other.
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            Ok(None)
        }
        Err(TryLockError::WouldBlock) => {
            drop(file);
            Ok(Some(
                read_holder_patiently(&path).unwrap_or_else(LockInfo::unknown),
            ))
        }
        Err(TryLockError::Error(e)) => Err(io_err(&path, e)),
    }
}

/// We hold the OS lock on `file`: remember any leftover info, then write ours.
fn take_over(mut file: File, path: PathBuf, command: &str) -> Result<LockGuard, LockError> {
    let stale = read_content(&file)
        .ok()
        .and_then(|content| parse_info(&content));
    let info = LockInfo::current(command);
    let mut json = serde_json::to_vec(&info).map_err(|e| io_err(&path, io::Error::other(e)))?;
    json.push(b'\n');
    let written = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(&json))
        .and_then(|()| file.sync_data());
    let guard = LockGuard {
        file: Some(file),
        remote: None,
        path,
        info,
        stale,
    };
    match written {
        Ok(()) => Ok(guard),
        Err(e) => Err(io_err(&guard.path, e)), // dropping the guard releases the lock
    }
}

fn open_lock_file(path: &Path) -> Result<File, LockError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    options.open(path).map_err(|e| io_err(path, e))
}

/// Whether `path` still names the file we have open (it may have been removed or replaced).
fn is_current_file(file: &File, path: &Path) -> Result<bool, LockError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ours = file.metadata().map_err(|e| io_err(path, e))?;
        match fs::metadata(path) {
            Ok(now) => Ok(ours.dev() == now.dev() && ours.ino() == now.ino()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(path, e)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        Ok(true)
    }
}

fn read_content(mut file: &File) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    Ok(buf)
}

fn parse_info(content: &[u8]) -> Option<LockInfo> {
    serde_json::from_slice(content).ok()
}

/// The holder info in the file at `path`, re-reading briefly if it is empty or partial (the
/// holder may have just taken the lock). None if still unreadable.
fn read_holder_patiently(path: &Path) -> Option<LockInfo> {
    for attempt in 0..INFO_RETRIES {
        if attempt > 0 {
            thread::sleep(INFO_RETRY_DELAY);
        }
        if let Some(info) = fs::read(path).ok().and_then(|c| parse_info(&c)) {
            return Some(info);
        }
    }
    None
}

fn io_err(path: &Path, source: io::Error) -> LockError {
    LockError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes; gethostname writes at most that.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
            if !name.is_empty() {
                return name;
            }
        }
    }
    fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

fn username() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    const CMD: &str = "macroctl up --env staging";

    fn try_once(dir: &Path) -> Result<LockGuard, LockError> {
        acquire(dir, "staging", CMD, Duration::ZERO, |_| {
            panic!("on_wait must not be called with a zero timeout")
        })
    }

    fn content(dir: &Path) -> String {
        fs::read_to_string(lock_path(dir, "staging")).unwrap()
    }

    fn dead_info() -> LockInfo {
        LockInfo {
            pid: 4242,
            host: "ci-7".into(),
            user: "runner".into(),
            command: CMD.into(),
            started_at: "2026-11-28T18:20:00Z".into(),
        }
    }

    #[test]
    fn display_format() {
        assert_eq!(
            dead_info().to_string(),
            "pid 4242 on host ci-7 (user runner), running `macroctl up --env staging` since \
             2026-11-28T18:20:00Z"
        );
        assert_eq!(LockInfo::unknown().to_string(), "an unknown process");
    }

    #[test]
    fn current_info_describes_this_process() {
        let info = LockInfo::current(CMD);
        assert_eq!(info.pid, std::process::id());
        assert!(!info.host.is_empty() && !info.user.is_empty());
        assert_eq!(info.command, CMD);
        assert!(info.started_at.ends_with('Z'));
    }

    #[test]
    fn acquire_writes_info_and_drop_clears_it() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let guard = try_once(&state_dir).unwrap();
        assert!(guard.took_over_stale().is_none());
        assert_eq!(guard.path(), lock_path(&state_dir, "staging"));
        let written: LockInfo = serde_json::from_str(&content(&state_dir)).unwrap();
        assert_eq!(&written, guard.info());
        assert_eq!(written.pid, std::process::id());
        assert_eq!(holder(&state_dir, "staging").unwrap(), Some(written));

        drop(guard);
        assert_eq!(content(&state_dir), "", "file kept, content cleared");
        assert_eq!(holder(&state_dir, "staging").unwrap(), None);
        let again = try_once(&state_dir).unwrap();
        assert!(again.took_over_stale().is_none());
    }

    #[test]
    fn second_acquire_while_held_fails_naming_holder() {
        let dir = tempfile::tempdir().unwrap();
        let _guard = try_once(dir.path()).unwrap();
        let err = try_once(dir.path()).unwrap_err();
        let LockError::Held { env, path, holder } = &err else {
            panic!("expected Held, got {err:?}");
        };
        assert_eq!(env, "staging");
        assert_eq!(path, &lock_path(dir.path(), "staging"));
        assert_eq!(holder.as_ref().map(|h| h.pid), Some(std::process::id()));
        let msg = err.to_string();
        for needle in [
            format!("pid {}", std::process::id()),
            path.display().to_string(),
            "--lock-timeout 5m".to_string(),
            "macroctl state unlock --env staging".to_string(),
        ] {
            assert!(msg.contains(&needle), "{needle:?} not in {msg}");
        }
    }

    #[test]
    fn timeout_waits_then_fails() {
        let dir = tempfile::tempdir().unwrap();
        let _guard = try_once(dir.path()).unwrap();
        let mut waits = Vec::new();
        let start = Instant::now();
        let err = acquire(
            dir.path(),
            "staging",
            CMD,
            Duration::from_millis(300),
            |h| waits.push(h.map(|h| h.pid)),
        )
        .unwrap_err();
        let elapsed = start.elapsed();
        assert!(matches!(err, LockError::Held { .. }), "{err:?}");
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
        assert_eq!(waits, vec![Some(std::process::id())]);
    }

    #[test]
    fn waiting_acquire_succeeds_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let guard = try_once(dir.path()).unwrap();
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            drop(guard);
        });
        let mut waits = 0;
        let got = acquire(dir.path(), "staging", CMD, Duration::from_secs(5), |_| {
            waits += 1
        });
        releaser.join().unwrap();
        let got = got.unwrap();
        assert_eq!(waits, 1);
        assert!(
            got.took_over_stale().is_none(),
            "clean release is not stale"
        );
    }

    #[test]
    fn stale_info_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(dir.path(), "staging");
        fs::write(&path, serde_json::to_vec(&dead_info()).unwrap()).unwrap();
        assert_eq!(holder(dir.path(), "staging").unwrap(), None, "not held");

        let guard = try_once(dir.path()).unwrap();
        assert_eq!(guard.took_over_stale(), Some(&dead_info()));
        let now: LockInfo = serde_json::from_str(&content(dir.path())).unwrap();
        assert_eq!(now.pid, std::process::id());
        drop(guard);

        fs::write(
            &path,
            "garbage that is longer than the info we will write ....",
        )
        .unwrap();
        let guard = try_once(dir.path()).unwrap();
        assert!(guard.took_over_stale().is_none());
        let now: LockInfo = serde_json::from_str(&content(dir.path())).unwrap();
        assert_eq!(now.pid, std::process::id(), "old content fully replaced");
    }

    #[test]
    fn unlock_when_free() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            unlock(dir.path(), "staging", false).unwrap(),
            UnlockOutcome::NotLocked
        );

        drop(try_once(dir.path()).unwrap());
        assert_eq!(
            unlock(dir.path(), "staging", false).unwrap(),
            UnlockOutcome::NotLocked
        );

        let path = lock_path(dir.path(), "staging");
        fs::write(&path, serde_json::to_vec(&dead_info()).unwrap()).unwrap();
        assert_eq!(
            unlock(dir.path(), "staging", false).unwrap(),
            UnlockOutcome::ClearedStale(Some(dead_info()))
        );
        assert_eq!(content(dir.path()), "");
        assert!(path.exists());

        fs::write(&path, "not json").unwrap();
        assert_eq!(
            unlock(dir.path(), "staging", true).unwrap(),
            UnlockOutcome::ClearedStale(None)
        );
        assert_eq!(content(dir.path()), "");
    }

    #[test]
    fn unlock_live_lock_needs_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(dir.path(), "staging");
        let old = try_once(dir.path()).unwrap();
        let before = content(dir.path());

        let err = unlock(dir.path(), "staging", false).unwrap_err();
        assert!(
            matches!(&err, LockError::Held { holder: Some(h), .. } if h.pid == std::process::id())
        );
        assert_eq!(content(dir.path()), before, "live lock left alone");

        let outcome = unlock(dir.path(), "staging", true).unwrap();
        assert_eq!(
            outcome,
            UnlockOutcome::ForcedRemoval(Some(old.info().clone()))
        );
        assert!(!path.exists());

        // A new run gets a fresh file; the old holder releasing later does not disturb it.
        let new = try_once(dir.path()).unwrap();
        drop(old);
        let shown = holder(dir.path(), "staging").unwrap().unwrap();
        assert_eq!(&shown, new.info());
        assert!(try_once(dir.path()).is_err());
    }

    #[test]
    fn held_with_unreadable_info_is_unknown_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(dir.path(), "staging");
        let raw = open_lock_file(&path).unwrap();
        raw.try_lock().unwrap();

        assert_eq!(
            holder(dir.path(), "staging").unwrap(),
            Some(LockInfo::unknown())
        );
        let err = try_once(dir.path()).unwrap_err();
        assert!(matches!(err, LockError::Held { holder: None, .. }));
        assert!(err.to_string().contains("an unknown process"), "{err}");
        drop(raw);
        assert!(try_once(dir.path()).is_ok());
    }

    /// A real second process holds the lock (via util-linux `flock`), then is killed.
    #[test]
    fn lock_held_by_another_process() {
        let has_flock = Command::new("flock")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_flock {
            eprintln!("skipping: `flock` not available");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(dir.path(), "staging");
        fs::write(&path, serde_json::to_vec(&dead_info()).unwrap()).unwrap();

        // The shell opens fd 9, locks it, then becomes `sleep` keeping fd 9 (same pid).
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("exec 9<\"$1\"; flock -x 9 && echo locked && exec sleep 30")
            .arg("sh")
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        io::BufRead::read_line(
            &mut io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "locked");

        let err = try_once(dir.path()).unwrap_err();
        assert!(matches!(&err, LockError::Held { holder: Some(h), .. } if h.pid == 4242));
        assert_eq!(holder(dir.path(), "staging").unwrap(), Some(dead_info()));
        assert!(unlock(dir.path(), "staging", false).is_err());

        child.kill().unwrap();
        child.wait().unwrap();
        let guard = acquire(dir.path(), "staging", CMD, Duration::from_secs(5), |_| {}).unwrap();
        assert_eq!(guard.took_over_stale(), Some(&dead_info()));
    }
}
