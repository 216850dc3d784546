//! Release history: what was deployed when, by whom, and whether it became healthy.
//!
//! A release names, for every service, the image and the task definition it runs. Its outcome
//! is what makes `rollback` trustworthy: it returns to the last release that actually became
//! healthy, not blindly to the previous revision. History lives in the environment's state
//! file, next to the resources, and holds no secret. Who made a release is always a name a
//! person can follow up on (never `unknown@host`), even from cron jobs and containers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a release ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Rolling out, or deployed with `--no-wait` and not observed since.
    InProgress,
    /// Every service reached a steady state on this release's task definitions.
    Healthy,
    /// The rollout failed and nothing rolled it back.
    Failed,
    /// The rollout failed and ECS (circuit breaker or deployment alarm) rolled it back.
    RolledBack,
    /// Replaced by a newer release before it was seen to finish.
    Superseded,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::InProgress => "in-progress",
            Outcome::Healthy => "healthy",
            Outcome::Failed => "failed",
            Outcome::RolledBack => "rolled-back",
            Outcome::Superseded => "superseded",
        }
    }
}

/// What one service runs in a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRelease {
    pub image: String,
    pub task_definition: String,
    /// The digest `image` resolved to when the release was made, for images in the
    /// environment's own ECR repositories (`deploy` refuses a tag that has moved since; see
    /// `ops::tag_reuse`). Absent in releases recorded before digests were, and for other
    /// registries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Monotonic within the environment, from 1.
    pub id: u64,
    pub created_at: String,
    /// `user@host`.
    pub created_by: String,
    /// `deploy`, `rollback` or `up`.
    pub command: String,
    /// Service name → what it runs.
    pub services: BTreeMap<String, ServiceRelease>,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// For a rollback: the release it returned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_to: Option<u64>,
    /// Why it failed or was rolled back, in ECS's words where there are some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The release history, oldest first.
pub trait ReleaseHistory {
    fn releases(&self) -> &[Release];

    fn latest(&self) -> Option<&Release> {
        self.releases().last()
    }

    fn next_id(&self) -> u64 {
        self.releases().iter().map(|r| r.id).max().unwrap_or(0) + 1
    }

    /// What each service is meant to run now: the newest release that is healthy or still
    /// rolling out (a failed or rolled-back one is not running).
    fn current(&self) -> Option<&Release> {
        self.releases()
            .iter()
            .rev()
            .find(|release| matches!(release.outcome, Outcome::Healthy | Outcome::InProgress))
    }

    /// Where `rollback` goes without `--to`: the most recent release before the latest one
    /// that became healthy; when none was ever observed (all deployed with `--no-wait`), the
    /// release right before the latest, unless that one failed.
    fn rollback_target(&self) -> Option<&Release> {
        let releases = self.releases();
        let (_, earlier) = releases.split_last()?;
        let latest_services = &releases.last()?.services;
        let differs = |release: &&Release| &release.services != latest_services;
        earlier
            .iter()
            .rev()
            .find(|release| release.outcome == Outcome::Healthy && differs(release))
            .or_else(|| {
                let never_observed = earlier.iter().all(|release| {
                    matches!(release.outcome, Outcome::InProgress | Outcome::Superseded)
                });
                earlier
                    .iter()
                    .rev()
                    .find(|release| differs(release))
                    .filter(|_| never_observed)
            })
    }
}

impl ReleaseHistory for Vec<Release> {
    fn releases(&self) -> &[Release] {
        self
    }
}

/// `user@host` for `created_by`: the host as the lock records it; the user from `$USER` or
/// `$LOGNAME`, else the OS user database (a container or cron job often sets neither), else
/// `uid N`, so that a release never reads `unknown@host`.
pub fn created_by() -> String {
    let host = crate::state::lock::LockInfo::current("").host;
    format!("{}@{host}", user_name())
}

fn user_name() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
        .or_else(os_user_name)
        .unwrap_or_else(|| {
            #[cfg(unix)]
            {
                // SAFETY: getuid has no preconditions and cannot fail.
                format!("uid {}", unsafe { libc::getuid() })
            }
            #[cfg(not(unix))]
            {
                "unknown".to_string()
            }
        })
}

/// The name of the real uid in the OS user database (`getpwuid_r`), when it has one.
#[cfg(unix)]
fn os_user_name() -> Option<String> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut size = 1024usize;
    while size <= 1 << 20 {
        let mut buf = vec![0u8; size];
        // SAFETY: a zeroed passwd is a valid out-parameter; getpwuid_r writes the strings it
        // points to into `buf` (valid for `buf.len()` bytes) and sets `result` to `&pwd` on
        // success or to null when the uid has no entry.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE {
            size *= 4;
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name is a NUL-terminated string inside `buf`, alive here.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }
            .to_string_lossy()
            .trim()
            .to_string();
        return Some(name).filter(|name| !name.is_empty());
    }
    None
}

#[cfg(not(unix))]
fn os_user_name() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: u64, image: &str, outcome: Outcome) -> Release {
        Release {
            id,
            created_at: String::new(),
            created_by: String::new(),
            command: "deploy".into(),
            services: BTreeMap::from([(
                "api".into(),
                ServiceRelease {
                    image: image.into(),
                    task_definition: format!("td:{id}"),
                    digest: None,
                },
            )]),
            outcome,
            finished_at: None,
            rollback_to: None,
            reason: None,
        }
    }

    #[test]
    fn rollback_goes_to_the_last_healthy_release_not_the_previous_one() {
        let history = vec![
            release(1, "a:1", Outcome::Healthy),
            release(2, "a:2", Outcome::Healthy),
            release(3, "a:3", Outcome::Failed),
            release(4, "a:4", Outcome::InProgress),
        ];
        assert_eq!(history.rollback_target().map(|r| r.id), Some(2));
        assert_eq!(history.current().map(|r| r.id), Some(4));
        assert_eq!(history.next_id(), 5);
    }

    #[test]
    fn no_wait_history_falls_back_to_the_release_before() {
        let history = vec![
            release(1, "a:1", Outcome::InProgress),
            release(2, "a:2", Outcome::InProgress),
        ];
        assert_eq!(history.rollback_target().map(|r| r.id), Some(1));
        let failed = vec![
            release(1, "a:1", Outcome::Failed),
            release(2, "a:2", Outcome::Healthy),
        ];
        assert_eq!(failed.rollback_target().map(|r| r.id), None);
        let single = vec![release(1, "a:1", Outcome::Healthy)];
        assert!(single.rollback_target().is_none());
    }

    #[test]
    fn created_by_names_a_user_even_without_user_variables() {
        let who = created_by();
        assert!(!who.starts_with("unknown@") && who.contains('@'), "{who}");
        #[cfg(unix)]
        assert!(os_user_name().is_some() || user_name().starts_with("uid "));
    }

    #[test]
    fn a_rolled_back_release_is_not_current() {
        let history = vec![
            release(1, "a:1", Outcome::Healthy),
            release(2, "a:2", Outcome::RolledBack),
        ];
        assert_eq!(history.current().map(|r| r.id), Some(1));
        assert!(serde_json::to_string(&history[1])
            .unwrap()
            .contains("rolled-back"));
    }
}
