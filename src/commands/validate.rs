//! `macroctl validate --env E`: the environment file checked and its settings resolved —
//! every default filled in, per-environment defaults applied, `--region` taken into account —
//! with no AWS call and no state read. For a CI step before `plan` (a malformed file fails in
//! a second, without credentials), and for the question "what does a setting I left out come
//! to here?".
//!
//! The resolved settings are the data (stdout): TOML in text mode, so they read like the env
//! file itself; `{"environment", "file", "warnings", "settings"}` with `--output json`.
//! Warnings (the default master user name, say) go to stderr, as every command prints them.
//! A file that does not validate is the same error, with the same exit code (1), as for any
//! other command.

use super::Context;
use crate::cli::EnvArg;
use crate::error::Error;
use crate::exit;
use crate::ops;
use crate::output::{Event, OutputFormat};

pub fn run(context: &Context, args: &EnvArg) -> Result<i32, Error> {
    let settings = &context.settings;
    let env = ops::load_environment(settings, &args.env)?;
    // The state URL's shape too: it is part of the file, and checking it needs no call.
    ops::remote_location(settings, &env)?;
    let warnings = env.warning_lines();
    for warning in &warnings {
        context.reporter.report(Event::Warning {
            message: warning.clone(),
        });
    }
    match context.format {
        OutputFormat::Json => super::print_json(&serde_json::json!({
            "environment": env.name,
            "file": env.file,
            "warnings": warnings,
            "settings": env,
        }))?,
        OutputFormat::Text => {
            let text = toml::to_string_pretty(&env).map_err(std::io::Error::other)?;
            outln!(
                "# {}: valid; the settings below are resolved (defaults filled in)",
                env.file.display()
            );
            out!("{text}");
        }
    }
    Ok(exit::SUCCESS)
}
