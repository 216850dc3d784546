//! The exit codes, in one place, so scripts can rely on them.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success (for `plan --detailed-exitcode`: no changes) |
//! | 1 | error: bad input, AWS failure, refused operation |
//! | 2 | `plan --detailed-exitcode` found changes |
//! | 3 | the environment's lock is held by someone else |
//! | 4 | a deployment failed and was rolled back |
//!
//! `run` and `db enable-pgvector` exit with the task's own exit code once its container ran
//! (0..=255, so 2, 3 or 4 there are the command's), and 1 when it did not run.

pub const SUCCESS: i32 = 0;
pub const ERROR: i32 = 1;
pub const CHANGES_PRESENT: i32 = 2;
pub const LOCKED: i32 = 3;
pub const ROLLED_BACK: i32 = 4;
/// Interrupted twice (Ctrl-C, Ctrl-C): the conventional 128 + SIGINT.
pub const INTERRUPTED: i32 = 130;
