//! Waiting, done so that it can always be stopped: a cancel signal, backoff for retries, and
//! the polling interval for resources that take minutes.
//!
//! Every sleep in the engine goes through [`Cancel::sleep`]. When the user presses Ctrl-C, a
//! CI runner sends SIGTERM, or another resource fails, the signal fires and every wait ends at
//! once (calls already sent to AWS finish and are recorded; nothing new is sent), so a run
//! never sits out a 10-minute database creation before it exits. The next `up` finds what was
//! created and resumes waiting for it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// A one-shot signal that stops every wait.
#[derive(Debug, Default)]
pub struct Cancel {
    fired: AtomicBool,
    notify: Notify,
}

/// A wait was stopped by [`Cancel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl Cancel {
    pub fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Resolves once the signal has fired.
    pub async fn fired(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_fired() {
                return;
            }
            notified.await;
        }
    }

    /// Sleeps for `duration`, unless the signal fires first.
    pub async fn sleep(&self, duration: Duration) -> Result<(), Cancelled> {
        if self.is_fired() {
            return Err(Cancelled);
        }
        tokio::select! {
            () = tokio::time::sleep(duration) => Ok(()),
            () = self.fired() => Err(Cancelled),
        }
    }
}

/// Exponential backoff with jitter, for repeating a call AWS refused for now (throttling, a
/// role not propagated yet, an id not visible yet).
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    attempts: u32,
}

impl Backoff {
    /// From 200 ms, doubling, up to 20 s: the SDK's own standard-mode shape.
    pub fn new() -> Self {
        Self {
            next: Duration::from_millis(200),
            max: Duration::from_secs(20),
            attempts: 0,
        }
    }

    /// A slower start, for waiting on AWS to catch up (eventual consistency, IAM).
    pub fn patient() -> Self {
        Self {
            next: Duration::from_millis(500),
            max: Duration::from_secs(5),
            attempts: 0,
        }
    }

    /// How many delays were handed out.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The next delay: between half and all of the current step (jitter spreads concurrent
    /// retries apart), then the step doubles.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.next;
        self.next = (self.next * 2).min(self.max);
        self.attempts += 1;
        step.mul_f64(0.5 + 0.5 * jitter())
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

/// A number in [0, 1), different on every call (no cryptographic quality needed).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// How long to wait before looking again at a resource that has been becoming ready for
/// `elapsed`: a twentieth of that (so a resource that becomes ready is seen within about 5% of
/// its creation time, not the up to 100% a doubling interval overshoots by), at least half a
/// second and at most 30 seconds. A 10-minute database costs about 100 reads.
pub fn poll_interval(elapsed: Duration) -> Duration {
    (elapsed / 20).clamp(Duration::from_millis(500), Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_fired_cancel_ends_a_long_sleep_at_once() {
        let cancel = Cancel::default();
        let started = tokio::time::Instant::now();
        let sleeping = cancel.sleep(Duration::from_secs(600));
        let firing = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            cancel.fire();
        };
        let (slept, ()) = tokio::join!(sleeping, firing);
        assert_eq!(slept, Err(Cancelled));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        // Once fired, every later sleep ends at once too.
        assert_eq!(cancel.sleep(Duration::from_secs(600)).await, Err(Cancelled));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unfired_cancel_lets_the_sleep_run() {
        let cancel = Cancel::default();
        let started = tokio::time::Instant::now();
        assert_eq!(cancel.sleep(Duration::from_secs(3)).await, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_its_cap() {
        let mut backoff = Backoff::new();
        let delays: Vec<Duration> = (0..10).map(|_| backoff.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(100) && delays[0] <= Duration::from_millis(200));
        assert!(
            delays[3] >= Duration::from_millis(800) && delays[3] <= Duration::from_millis(1600)
        );
        assert!(delays[9] >= Duration::from_secs(10) && delays[9] <= Duration::from_secs(20));
        assert_eq!(backoff.attempts(), 10);
    }

    #[test]
    fn polling_overshoots_a_resource_by_at_most_a_twentieth_of_its_creation_time() {
        for ready_at in [5u64, 30, 60, 300, 600] {
            let ready_at = Duration::from_secs(ready_at);
            let mut now = Duration::ZERO;
            let mut polls = 0;
            while now < ready_at {
                now += poll_interval(now);
                polls += 1;
            }
            let overshoot = now - ready_at;
            assert!(
                overshoot <= ready_at / 20 + Duration::from_millis(500),
                "ready at {ready_at:?}, seen at {now:?}"
            );
            assert!(polls <= 110, "{polls} polls for {ready_at:?}");
        }
        assert_eq!(poll_interval(Duration::ZERO), Duration::from_millis(500));
        assert_eq!(
            poll_interval(Duration::from_secs(3600)),
            Duration::from_secs(30)
        );
    }
}
