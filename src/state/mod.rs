//! Per-environment state file: `<state_dir>/<env>.json`, or `PREFIX/<env>.json` in an S3
//! bucket (`remote`: conditional writes, a lease lock).
//!
//! macroctl talks to AWS APIs directly, so this file is the only record of which physical
//! resources (VPC ids, ARNs, ...) belong to which logical resource of a stack in one
//! environment. Losing or half-writing it would orphan real infrastructure, so:
//!
//! * `save` is atomic and durable (temp file + fsync + rename + directory fsync) and keeps the
//!   previous version as `<env>.json.backup`;
//! * `load` never modifies or deletes a file it cannot parse, and its errors say how to recover;
//! * `serial` counts saves and `lineage` identifies one state history, so copies can be told apart;
//! * before every create, the *intent* (logical id, client token, start time) is saved first —
//!   a write-ahead log, as a saga executor keeps — so a run killed while the create was in
//!   flight tells the next run to look for what it may have made before making anything.
//!
//! Concurrent runs against the same environment are serialized by [`lock`].

pub mod lock;
pub mod release;
pub mod remote;
pub mod remote_lock;
pub mod url;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Version of the state file layout written by this build of macroctl. Version 2 added
/// `intents`, and `created_at` / `managed_tags` per resource; version 3 `applied` per resource.
/// Older files load as they are.
pub const SCHEMA_VERSION: u32 = 3;

/// Everything macroctl knows about one environment of one stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub schema_version: u32,
    /// Incremented on every save.
    pub serial: u64,
    /// UUID v4 made when the state is first created; never changes.
    pub lineage: String,
    /// Stack name, e.g. "macro-ai".
    pub stack: String,
    /// Environment name, e.g. "staging".
    pub env: String,
    /// Keyed by logical id.
    pub resources: BTreeMap<String, ResourceState>,
    /// Release history.
    #[serde(default)]
    pub releases: Vec<release::Release>,
    /// Creates begun but not known to have finished, by logical id (the write-ahead log).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub intents: BTreeMap<String, Intent>,
    /// When `destroy` last finished deleting the environment (RFC 3339 UTC); cleared by the
    /// next `up` that records a resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroyed_at: Option<String>,
}

/// A create macroctl is about to make (or made, without learning the outcome).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    /// e.g. "ec2:vpc".
    pub kind: String,
    /// The client token of this create: the same for every retry of it, new for a new one.
    pub token: String,
    /// RFC 3339 UTC with milliseconds.
    pub started_at: String,
}

/// One provisioned AWS resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceState {
    /// e.g. "ec2:vpc".
    pub kind: String,
    /// e.g. "vpc-0abc...".
    pub physical_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// RFC 3339 UTC.
    pub updated_at: String,
    /// When macroctl created it (RFC 3339 UTC, milliseconds); absent for adopted resources.
    /// A resource created moments ago may not be visible yet (eventual consistency): a read
    /// that misses it then is retried instead of taken as "deleted".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The tag keys macroctl set on it: a key removed from `[environment.tags]` is removed
    /// from the resource, and tags others added are left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_tags: Vec<String>,
    /// What macroctl last made the resource: a live field that differs from it was changed
    /// outside macroctl (drift), one that differs only from the environment file's desire is
    /// an edit of that file. Absent for resources recorded by `import` or by older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<Applied>,
}

/// The desired configuration a resource was last converged to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applied {
    /// The kind's spec as serialized by this version of macroctl (`resources::Spec`). One a
    /// later layout cannot read is ignored: differences then count as edits, not drift.
    pub spec: serde_json::Value,
    /// The tags macroctl set.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl State {
    /// A fresh, never-saved state: serial 0, new lineage, no resources.
    pub fn new(stack: &str, env: &str) -> Self {
        State {
            schema_version: SCHEMA_VERSION,
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            stack: stack.to_string(),
            env: env.to_string(),
            resources: BTreeMap::new(),
            releases: Vec::new(),
            intents: BTreeMap::new(),
            destroyed_at: None,
        }
    }

    pub fn resource(&self, id: &str) -> Option<&ResourceState> {
        self.resources.get(id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "state file {} is corrupt or unreadable: {detail}. It was left untouched. To recover, \
         restore the last good copy {} (kept by every save) over it, or move the file away and \
         run `macroctl up --env {env}` to re-adopt the existing resources by their tags",
        path.display(),
        backup.display()
    )]
    Corrupt {
        path: PathBuf,
        backup: PathBuf,
        env: String,
        /// The serde error, including line and column.
        detail: String,
    },

    #[error(
        "state file {} has schema version {found}, but this macroctl only understands version \
         {supported} or older; upgrade macroctl to work with this environment",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u64,
        supported: u32,
    },

    #[error(
        "state file {} belongs to {field} `{found}`, not `{expected}`; check --env / the stack \
         name, or move the file away if it was copied here by mistake",
        path.display()
    )]
    Mismatch {
        path: PathBuf,
        /// "stack" or "env".
        field: &'static str,
        expected: String,
        found: String,
    },

    #[error(
        "cannot {action} state file {}: {source}; check that the state directory exists and \
         that you may read and write it",
        path.display()
    )]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    #[error(
        "state {url} was changed by another run since this one read it: this run was at serial \
         {ours}, the state is now at serial {theirs}{}. Nothing was overwritten; run the command \
         again to start from the current state",
        if *.same_lineage { "" } else { " of another lineage (a different state history)" }
    )]
    Conflict {
        url: String,
        ours: u64,
        theirs: u64,
        same_lineage: bool,
    },

    #[error(
        "state {url} is corrupt or unreadable: {detail}. It was left untouched. The bucket is \
         versioned: restore the last good version (`aws s3api list-object-versions`), or move \
         the object away and run `macroctl import --env {env}` to re-adopt the existing resources"
    )]
    CorruptRemote {
        url: String,
        env: String,
        detail: String,
    },

    #[error("cannot {action} state {url}: {source}; check the state URL, the bucket and your permissions on it")]
    Remote {
        url: String,
        action: &'static str,
        #[source]
        source: Box<crate::aws::AwsError>,
    },
}

/// Reads and writes `<state_dir>/<env>.json`.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
    env: String,
    path: PathBuf,
    backup: PathBuf,
    /// The S3 object, when state lives in a bucket (then `path` is its URL, for messages).
    remote: Option<std::sync::Arc<remote::RemoteState>>,
}

/// Just enough of the file to check the schema version before the strict parse, so that a file
/// written by a newer macroctl (possibly with new fields) is reported as TooNew, not Corrupt.
#[derive(Deserialize)]
struct VersionProbe {
    #[serde(default)]
    schema_version: Option<u64>,
}

impl StateStore {
    pub fn new(state_dir: &Path, env: &str) -> Self {
        StateStore {
            dir: state_dir.to_path_buf(),
            env: env.to_string(),
            path: state_dir.join(format!("{env}.json")),
            backup: state_dir.join(format!("{env}.json.backup")),
            remote: None,
        }
    }

    /// The state of `env` in S3.
    pub fn remote(remote: remote::RemoteState, env: &str) -> Self {
        let url = PathBuf::from(remote.url());
        StateStore {
            dir: PathBuf::new(),
            env: env.to_string(),
            backup: url.clone(),
            path: url,
            remote: Some(std::sync::Arc::new(remote)),
        }
    }

    /// The file, or (for S3) the object's URL.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// Where `save` keeps the previous version of the state file.
    pub fn backup_path(&self) -> &Path {
        &self.backup
    }

    /// Missing file → `Ok(None)`. Unreadable / not JSON / wrong shape → [`StateError::Corrupt`];
    /// schema too new → [`StateError::TooNew`]; env inside the file differs →
    /// [`StateError::Mismatch`]. Never modifies the file.
    pub fn load(&self) -> Result<Option<State>, StateError> {
        let bytes = match &self.remote {
            Some(remote) => match remote.load() {
                Ok(Some(bytes)) => bytes,
                Ok(None) => return Ok(None),
                Err(source) => {
                    return Err(StateError::Remote {
                        url: remote.url(),
                        action: "read",
                        source: Box::new(source),
                    })
                }
            },
            None => match fs::read(&self.path) {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    return Err(self.corrupt(e.to_string()))
                }
                Err(e) => return Err(self.io("read", e)),
            },
        };
        self.parse(&bytes).map(Some)
    }

    /// The state in `bytes`, checked: schema version, shape, environment.
    fn parse(&self, bytes: &[u8]) -> Result<State, StateError> {
        let probe: VersionProbe =
            serde_json::from_slice(bytes).map_err(|e| self.corrupt(e.to_string()))?;
        if let Some(found) = probe.schema_version {
            if found > u64::from(SCHEMA_VERSION) {
                return Err(StateError::TooNew {
                    path: self.path.clone(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
        }
        let state: State =
            serde_json::from_slice(bytes).map_err(|e| self.corrupt(e.to_string()))?;
        if state.env != self.env {
            return Err(self.mismatch("env", &self.env, &state.env));
        }
        Ok(state)
    }

    /// Load the state, or make a fresh one (not yet saved) if there is no file.
    /// Also checks that an existing file belongs to `stack`.
    pub fn load_or_new(&self, stack: &str) -> Result<State, StateError> {
        match self.load()? {
            Some(state) if state.stack != stack => Err(self.mismatch("stack", stack, &state.stack)),
            Some(state) => Ok(state),
            None => Ok(State::new(stack, &self.env)),
        }
    }

    /// Atomic durable write: serial += 1, pretty JSON to a temp file in the same dir, fsync,
    /// best-effort atomic copy of the previous file to `<env>.json.backup`, rename over the
    /// target, fsync the directory. Creates the state dir if missing. File mode 0600.
    /// On error `state.serial` is left unchanged.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        if state.env != self.env {
            return Err(self.mismatch("env", &self.env, &state.env));
        }
        let previous_serial = state.serial;
        state.serial = previous_serial.saturating_add(1);
        state.schema_version = SCHEMA_VERSION;
        let result = match &self.remote {
            Some(remote) => self.write_remote(remote, state, previous_serial),
            None => self.write(state),
        };
        if result.is_err() {
            state.serial = previous_serial;
        }
        result
    }

    fn write(&self, state: &State) -> Result<(), StateError> {
        let mut json = serde_json::to_vec_pretty(state)
            .map_err(|e| self.io("serialize", io::Error::other(e)))?;
        json.push(b'\n');

        create_private_dir(&self.dir).map_err(|e| StateError::Io {
            path: self.dir.clone(),
            action: "create the directory of",
            source: e,
        })?;

        let tmp = self.temp_path(&format!("{}.json", self.env));
        let written = write_new_private(&tmp, |f| f.write_all(&json));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(self.io("write a temporary copy of", e));
        }

        self.backup_previous();

        if let Err(e) = fs::rename(&tmp, &self.path) {
            let _ = fs::remove_file(&tmp);
            return Err(self.io("replace", e));
        }
        sync_dir(&self.dir).map_err(|e| self.io("flush the directory of", e))
    }

    /// Writes `state` as it is, serial included (`state push` / `state pull`): after a `load`
    /// of this store, so a remote write is conditional on the version read.
    pub fn copy_in(&self, state: &State) -> Result<(), StateError> {
        if state.env != self.env {
            return Err(self.mismatch("env", &self.env, &state.env));
        }
        match &self.remote {
            Some(remote) => self.write_remote(remote, state, state.serial),
            None => self.write(state),
        }
    }

    /// The conditional write of `state` to S3 (see `remote`): a version someone else wrote
    /// since this run read is a conflict naming both serials.
    fn write_remote(
        &self,
        remote: &remote::RemoteState,
        state: &State,
        previous_serial: u64,
    ) -> Result<(), StateError> {
        let mut json = serde_json::to_vec_pretty(state)
            .map_err(|e| self.io("serialize", io::Error::other(e)))?;
        json.push(b'\n');
        match remote.save(json) {
            Ok(()) => Ok(()),
            Err(remote::SaveError::Conflict { current }) => {
                let theirs = current
                    .as_deref()
                    .and_then(|bytes| serde_json::from_slice::<State>(bytes).ok());
                Err(StateError::Conflict {
                    url: remote.url(),
                    ours: previous_serial,
                    theirs: theirs.as_ref().map_or(0, |theirs| theirs.serial),
                    same_lineage: theirs.is_none_or(|theirs| theirs.lineage == state.lineage),
                })
            }
            Err(remote::SaveError::Aws(source)) => Err(StateError::Remote {
                url: remote.url(),
                action: "write",
                source: Box::new(source),
            }),
        }
    }

    /// Copy the current file (if any) to the backup path via a temp file + rename, so the
    /// backup is always a complete file. Best effort: a failed backup never blocks a save.
    fn backup_previous(&self) {
        let mut src = match File::open(&self.path) {
            Ok(f) => f,
            Err(_) => return,
        };
        let tmp = self.temp_path(&format!("{}.json.backup", self.env));
        let copied = write_new_private(&tmp, |f| io::copy(&mut src, f).map(|_| ()))
            .and_then(|()| fs::rename(&tmp, &self.backup));
        if copied.is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    fn temp_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ))
    }

    fn corrupt(&self, detail: String) -> StateError {
        if let Some(remote) = &self.remote {
            return StateError::CorruptRemote {
                url: remote.url(),
                env: self.env.clone(),
                detail,
            };
        }
        StateError::Corrupt {
            path: self.path.clone(),
            backup: self.backup.clone(),
            env: self.env.clone(),
            detail,
        }
    }

    fn mismatch(&self, field: &'static str, expected: &str, found: &str) -> StateError {
        StateError::Mismatch {
            path: self.path.clone(),
            field,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    fn io(&self, action: &'static str, source: io::Error) -> StateError {
        StateError::Io {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

/// Current time as RFC 3339 UTC with milliseconds, e.g. `2026-11-28T18:20:00.123Z`.
pub fn now_rfc3339_millis() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&format).unwrap_or_else(|_| now.to_string())
}

/// How long ago an RFC 3339 time was; `None` when it does not parse (or is in the future).
pub fn age_of(rfc3339: &str) -> Option<std::time::Duration> {
    let then = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?;
    let age = time::OffsetDateTime::now_utc() - then;
    age.try_into().ok()
}

/// Current time as RFC 3339 UTC with second precision, e.g. `2026-11-28T18:20:00Z`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    now.format(&format).unwrap_or_else(|_| now.to_string())
}

/// Create `dir` (and parents) if missing; new directories get mode 0700 on Unix.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Create a new file (failing if it exists) with mode 0600, fill it and fsync it.
fn write_new_private(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    fill(&mut file)?;
    file.sync_all()
}

/// Make a rename inside `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vpc() -> ResourceState {
        ResourceState {
            kind: "ec2:vpc".into(),
            physical_id: "vpc-0abc".into(),
            arn: None,
            outputs: BTreeMap::from([("cidr".to_string(), "10.0.0.0/16".to_string())]),
            updated_at: now_rfc3339(),
            created_at: None,
            managed_tags: Vec::new(),
            applied: None,
        }
    }

    fn dir_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn missing_file_loads_as_none_and_load_or_new_is_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path(), "staging");
        assert_eq!(store.path(), dir.path().join("staging.json"));
        assert!(store.load().unwrap().is_none());
        let s = store.load_or_new("macro-ai").unwrap();
        assert_eq!(
            (s.serial, s.stack.as_str(), s.env.as_str()),
            (0, "macro-ai", "staging")
        );
        assert_eq!(s.schema_version, SCHEMA_VERSION);
        assert!(uuid::Uuid::parse_str(&s.lineage).is_ok());
        assert!(!store.path().exists(), "load_or_new must not write");
    }

    #[test]
    fn save_load_roundtrip_increments_serial_and_keeps_lineage() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(&dir.path().join("nested/state"), "staging");
        let mut s = store.load_or_new("macro-ai").unwrap();
        let lineage = s.lineage.clone();
        s.resources.insert("vpc".into(), vpc());
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, 1);

        let mut loaded = store.load().unwrap().unwrap();
        assert_eq!(loaded.serial, 1);
        assert_eq!(loaded.lineage, lineage);
        assert_eq!(loaded.resource("vpc"), s.resource("vpc"));
        assert!(loaded.resource("nope").is_none());

        store.save(&mut loaded).unwrap();
        store.save(&mut loaded).unwrap();
        let again = store.load_or_new("macro-ai").unwrap();
        assert_eq!(again.serial, 3);
        assert_eq!(again.lineage, lineage);
    }

    #[test]
    fn save_is_atomic_private_and_keeps_backup() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path(), "prod");
        let mut s = State::new("macro-ai", "prod");
        store.save(&mut s).unwrap();
        assert_eq!(dir_names(dir.path()), vec!["prod.json"]);

        let first = fs::read_to_string(store.path()).unwrap();
        s.resources.insert("vpc".into(), vpc());
        store.save(&mut s).unwrap();
        assert_eq!(dir_names(dir.path()), vec!["prod.json", "prod.json.backup"]);
        assert_eq!(fs::read_to_string(store.backup_path()).unwrap(), first);
        assert!(fs::read_to_string(store.path())
            .unwrap()
            .contains("vpc-0abc"));

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for p in [store.path(), store.backup_path()] {
                let mode = fs::metadata(p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", p.display());
            }
        }
    }

    #[test]
    fn corrupt_file_is_reported_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path(), "staging");
        let garbage = "{\n  \"schema_version\": 1,\n  \"serial\": oops\n}";
        fs::write(store.path(), garbage).unwrap();

        let err = store.load().unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&store.path().display().to_string()), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("staging.json.backup"), "{msg}");
        assert!(msg.contains("macroctl up --env staging"), "{msg}");
        assert!(store.load_or_new("macro-ai").is_err());
        assert_eq!(fs::read_to_string(store.path()).unwrap(), garbage);
        assert_eq!(dir_names(dir.path()), vec!["staging.json"]);
    }

    #[test]
    fn wrong_shape_and_invalid_utf8_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path(), "staging");
        for bytes in [&b""[..], b"[1, 2]", b"{\"schema_version\": 1}", b"\xff\xfe"] {
            fs::write(store.path(), bytes).unwrap();
            let err = store.load().unwrap_err();
            assert!(
                matches!(err, StateError::Corrupt { .. }),
                "{bytes:?}: {err:?}"
            );
            assert_eq!(fs::read(store.path()).unwrap(), bytes);
        }
    }

    #[test]
    fn unknown_field_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path(), "staging");
        let mut s = State::new("macro-ai", "staging");
        s.resources.insert("vpc".into(), vpc());
        store.save(&mut s).unwrap();

        let mut v: serde_json::Value =
            serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
        v["resources"]["vpc"]["surprise"] = serde_json::json!(true);
        fs::write(store.path(), serde_json::to_vec(&v).unwrap()).unwrap();
        let err = store.load().unwrap_err();
        assert!(err.to_string().contains("surprise"), "{err}");

        v["resources"]["vpc"]
            .as_object_mut()
            .unwrap()
            .remove("surprise");
        v["extra_top"] = serde_json::json!(1);
        fs::write(store.path(), serde_json::to_vec(&v).unwrap()).unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }) && err.to_string().contains("extra_top"));
    }

    #[test]
    fn too_new_schema_is_rejected_even_with_new_fields() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path(), "staging");
        let json = r#"{"schema_version": 4, "future_field": [], "serial": 1}"#;
        fs::write(store.path(), json).unwrap();
        let err = store.load().unwrap_err();
        assert!(
            matches!(
                err,
                StateError::TooNew {
                    found: 4,
                    supported: SCHEMA_VERSION,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade macroctl"));
        assert_eq!(fs::read_to_string(store.path()).unwrap(), json);
    }

    #[test]
    fn env_and_stack_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let prod = StateStore::new(dir.path(), "prod");
        let mut s = State::new("macro-ai", "prod");
        prod.save(&mut s).unwrap();

        let err = prod.load_or_new("other-stack").unwrap_err();
        assert!(
            matches!(err, StateError::Mismatch { field: "stack", .. }),
            "{err:?}"
        );

        fs::copy(prod.path(), dir.path().join("staging.json")).unwrap();
        let staging = StateStore::new(dir.path(), "staging");
        let err = staging.load().unwrap_err();
        assert!(
            matches!(err, StateError::Mismatch { field: "env", .. }),
            "{err:?}"
        );

        let err = staging.save(&mut s).unwrap_err();
        assert!(matches!(err, StateError::Mismatch { .. }));
        assert_eq!(s.serial, 1, "failed save must not bump serial");
    }

    #[test]
    fn releases_default_and_arn_skipped_when_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path(), "dev");
        let mut s = State::new("macro-ai", "dev");
        s.resources.insert("vpc".into(), vpc());
        store.save(&mut s).unwrap();
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains("\"arn\""));

        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v.as_object_mut().unwrap().remove("releases");
        fs::write(store.path(), v.to_string()).unwrap();
        assert!(store.load().unwrap().unwrap().releases.is_empty());
    }

    #[test]
    fn now_is_rfc3339_utc_seconds() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z'));
        time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339).unwrap();
    }
}
