//! What a kind needs to know and say when `destroy` deletes one of its resources.
//!
//! The engine owns the rest of a deletion, as it owns the rest of a creation: the order
//! (a resource goes only after everything that depends on it is gone), the ownership check,
//! the retries while AWS still holds a dependency (`DependencyViolation` for minutes after a
//! load balancer or service leaves its network interfaces behind), and the wait until the
//! resource is gone. So a kind's `delete` makes the one call (or the few one deletion takes:
//! detach then delete, scale to zero then delete) and returns without waiting; `deletion`
//! says from a live read how far AWS has got.

/// The `destroy` flags that change what a kind's `delete` does.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// RDS: the final snapshot to take (`<stack>-<env>-final-<UTC date-time>`); `None` with
    /// `--skip-final-snapshot`.
    pub final_snapshot: Option<String>,
    /// Secrets Manager: delete at once instead of after the 7-day recovery window
    /// (`--purge-secrets`).
    pub purge_secrets: bool,
    /// ECR: delete a repository that still holds images (`--delete-images`).
    pub delete_images: bool,
    /// RDS, ALB: turn deletion protection off before deleting
    /// (`--disable-deletion-protection`). Without it the engine refuses before deleting
    /// anything (see `Kind::protection`), so a kind sees a protected resource only with it.
    pub disable_deletion_protection: bool,
    /// S3: empty a bucket (every object version) before deleting it
    /// (`--delete-bucket-contents`). Without it `destroy` refuses, before deleting anything,
    /// when a bucket holds objects.
    pub delete_bucket_contents: bool,
}

/// How far a resource is in being deleted, as a live read shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// Not being deleted.
    Present,
    /// AWS is deleting it (`deleting`, `DRAINING`): wait, and do not ask again.
    Deleting(String),
    /// As good as gone, though a read still shows it (a NAT gateway `deleted`, a secret
    /// scheduled for deletion, an ECS cluster `INACTIVE`): nothing more to wait for.
    Gone,
}

/// What a kind's `delete` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// The deletion was asked for (or the resource was already gone): the engine waits until
    /// a read no longer finds it (or finds it [`Deletion::Gone`]).
    Requested,
    /// Kept on purpose, and why, in words for the user (an ECR repository that still holds
    /// images, without `--delete-images`). Its state entry is kept too.
    Kept(String),
}
