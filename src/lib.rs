//! macroctl: stands up and runs the Macro AI web stack on AWS by calling AWS APIs directly.
//!
//! Layers, from the outside in: `cli` (clap types) → `commands` (thin) → `ops` (plan, apply,
//! status) → `graph` (dependency-ordered concurrent execution) → `resources` (one module per
//! AWS resource kind) → `aws` (SDK clients). `config` turns `envs/<env>.toml` into a validated
//! environment, `stack` turns that into the desired resource graph, `state` keeps what exists
//! and the environment lock, and `output` is the only place that shows progress.

pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod exit;
pub mod graph;
pub mod ops;
pub mod output;
pub mod resources;
pub mod security;
pub mod stack;
pub mod state;
