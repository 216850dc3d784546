//! `macroctl secret set|rotate|list`: change or inspect the environment's secrets without a
//! value ever appearing in argv, output or logs.

use super::{print_json, Context};
use crate::cli::{SecretArgs, SecretCommand};
use crate::error::Error;
use crate::exit;
use crate::ops::secrets::{self, DB_PASSWORD, GENERATED_API_KEYS};
use crate::ops::Session;
use crate::output::OutputFormat;
use crate::resources::secret::SecretValue;
use std::io::{IsTerminal, Read};

pub async fn run(context: &Context, command: &SecretCommand) -> Result<i32, Error> {
    let (args, key): (&SecretArgs, Option<&str>) = match command {
        SecretCommand::Set(args) | SecretCommand::Rotate(args) => (args, Some(args.name.as_str())),
        SecretCommand::List(env) => {
            return list(context, &env.env).await;
        }
    };
    let key = key.unwrap_or_default();
    let rotating = matches!(command, SecretCommand::Rotate(_));
    if rotating && key != DB_PASSWORD && !GENERATED_API_KEYS.contains(&key) {
        return Err(Error::Usage(format!(
            "`{key}` is not a generated value; rotate one of {}, {DB_PASSWORD} (or store your own value with `macroctl secret set`)",
            GENERATED_API_KEYS.join(", ")
        )));
    }
    if !rotating && !secrets::valid_key(key) {
        return Err(Error::Usage(format!(
            "`{key}` is not a valid key: use an environment variable name like OPENAI_API_KEY (A-Z, 0-9, _)"
        )));
    }
    // Read the value before taking the lock or calling AWS, so a mistake costs nothing.
    let value = if rotating {
        None
    } else {
        Some(read_value(key)?)
    };
    let reporter = context.reporter.as_ref();
    let session = Session::open(
        &context.settings,
        &args.env.env,
        reporter,
        Some(&context.command_line),
    )
    .await?;
    let env = session.env.name.clone();
    let aws_error = |source| Error::Aws {
        env: env.clone(),
        source,
    };
    let change = match value {
        Some(value) => secrets::set(&session, key, value)
            .await
            .map_err(aws_error)?,
        None => secrets::rotate(&session, key).await.map_err(aws_error)?,
    };
    match context.format {
        OutputFormat::Json => print_json(&change)?,
        OutputFormat::Text => outln!(
            "{} {} in secret {} (version {})",
            if rotating { "rotated" } else { "set" },
            change.key,
            change.secret,
            change.version_id
        ),
    }
    Ok(exit::SUCCESS)
}

/// Reads the value from stdin: all of it, less one trailing newline. On a terminal, without
/// echo.
fn read_value(key: &str) -> Result<SecretValue, Error> {
    let stdin = std::io::stdin();
    let mut text = String::new();
    if stdin.is_terminal() {
        eprint!("value for {key} (input hidden, then Enter): ");
        let _echo_off = EchoOff::new();
        stdin.read_line(&mut text)?;
        eprintln!();
    } else {
        stdin.lock().read_to_string(&mut text)?;
    }
    let value = text.strip_suffix('\n').unwrap_or(&text);
    let value = value.strip_suffix('\r').unwrap_or(value);
    if value.is_empty() {
        return Err(Error::Usage(format!(
            "no value for {key} on stdin; pipe it in, e.g. `printf %s \"$OPENAI_API_KEY\" | macroctl secret set --env ENV {key}`"
        )));
    }
    Ok(SecretValue::new(value.to_string()))
}

async fn list(context: &Context, env_name: &str) -> Result<i32, Error> {
    let reporter = context.reporter.as_ref();
    let session = Session::open(&context.settings, env_name, reporter, None).await?;
    let keys = secrets::keys(&session).await.map_err(|source| Error::Aws {
        env: session.env.name.clone(),
        source,
    })?;
    match context.format {
        OutputFormat::Json => print_json(
            &keys
                .iter()
                .map(|(name, keys)| serde_json::json!({ "secret": name, "keys": keys }))
                .collect::<Vec<_>>(),
        )?,
        OutputFormat::Text => {
            for (name, keys) in keys {
                outln!("{name}: {}", keys.join(", "));
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// Turns terminal echo off while alive (Unix); restores it on drop.
struct EchoOff {
    #[cfg(unix)]
    saved: Option<libc::termios>,
}

impl EchoOff {
    fn new() -> Self {
        #[cfg(unix)]
        {
            // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed, then filled, termios struct.
            unsafe {
                let mut term: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(0, &mut term) != 0 {
                    return Self { saved: None };
                }
                let saved = term;
                term.c_lflag &= !libc::ECHO;
                libc::tcsetattr(0, libc::TCSANOW, &term);
                Self { saved: Some(saved) }
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = &self.saved {
            // SAFETY: restores the attributes read in `new`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, saved);
            }
        }
    }
}
