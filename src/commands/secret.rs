//! `macroctl secret set|rotate|list`: change or inspect the environment's secrets without a
//! value ever appearing in argv, output or logs.

use super::{print_json, Context};
use crate::cli::{SecretCommand, SecretRotateArgs, SecretSetArgs};
use crate::error::Error;
use crate::exit;
use crate::ops::secrets::{self, ROTATABLE_KEYS};
use crate::ops::Session;
use crate::output::{Event, OutputFormat};
use crate::resources::secret::SecretValue;
use std::io::{IsTerminal, Read};

pub async fn run(context: &Context, command: &SecretCommand) -> Result<i32, Error> {
    match command {
        SecretCommand::Set(args) => set(context, args).await,
        SecretCommand::Rotate(args) => rotate(context, args).await,
        SecretCommand::List(env) => list(context, &env.env).await,
    }
}

async fn set(context: &Context, args: &SecretSetArgs) -> Result<i32, Error> {
    let key = args.name.as_str();
    if !secrets::valid_key(key) {
        return Err(Error::Usage(format!(
            "`{key}` is not a valid key: use an environment variable name like OPENAI_API_KEY (A-Z, 0-9, _)"
        )));
    }
    // Whether a task reads the key follows from the environment file alone: no AWS call.
    let env = crate::ops::load_environment(&context.settings, &args.env.env)?;
    let read = secrets::api_keys_read(&crate::stack::desired(
        &env,
        &crate::stack::Facts::any(),
        None,
    )?);
    if !read.iter().any(|k| k == key) && !args.force {
        return Err(Error::Refused {
            message: format!(
                "environment {}: no task reads `{key}`: the task definitions inject only {} from secret {}, so the value would never reach a container",
                env.name,
                read.join(", "),
                crate::stack::data::secret_name(&env, "api"),
            ),
            hint: format!(
                "check the spelling; to store it anyway (for a task definition that will read it), add --force: `macroctl secret set --env {} --force {key}`",
                env.name
            ),
        });
    }
    // Read the value before taking the lock or calling AWS, so a mistake costs nothing.
    let value = read_value(key)?;
    let reporter = context.reporter.as_ref();
    let session = Session::open(
        &context.settings,
        &args.env.env,
        reporter,
        Some(&context.command_line),
    )
    .await?;
    let mut change = secrets::set(&session, key, value)
        .await
        .map_err(|source| Error::Aws {
            env: session.env.name.clone(),
            source,
        })?;
    change.read_by = secrets::services_reading(&session.graph, key);
    print_change(context, "set", &change)?;
    if !change.read_by.is_empty() {
        reporter.report(Event::Warning {
            message: format!(
                "running tasks of {} keep the old value of {key} until they restart",
                change.read_by.join(", ")
            ),
        });
    }
    Ok(exit::SUCCESS)
}

async fn rotate(context: &Context, args: &SecretRotateArgs) -> Result<i32, Error> {
    let key = args.name.as_str();
    if !ROTATABLE_KEYS.contains(&key) {
        return Err(Error::Usage(format!(
            "`{key}` is not a generated value; rotate one of {} (or store your own value with `macroctl secret set`)",
            ROTATABLE_KEYS.join(", ")
        )));
    }
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
    let mut change = secrets::rotate(&session, key).await.map_err(aws_error)?;
    change.read_by = secrets::services_reading(&session.graph, key);
    if args.restart {
        secrets::restart(&session, &change.read_by)
            .await
            .map_err(aws_error)?;
        change.restarted = change.read_by.clone();
    }
    print_change(context, "rotated", &change)?;
    let services = change.read_by.join(", ");
    if change.read_by.is_empty() {
        return Ok(exit::SUCCESS);
    }
    if args.restart {
        reporter.report(Event::Info {
            message: format!(
                "started a new deployment of {services}: new tasks read the new {key}, the old ones are drained; `macroctl status --env {env}` shows the rollout"
            ),
        });
    } else {
        let cluster = crate::ops::release::cluster_name(&session);
        let commands: Vec<String> = change
            .read_by
            .iter()
            .map(|service| {
                format!(
                    "`aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment`"
                )
            })
            .collect();
        reporter.report(Event::Warning {
            message: format!(
                "running tasks of {services} keep the old {key} until they restart; restart them with `macroctl secret rotate --env {env} {key} --restart` next time, or now with {}",
                commands.join(" and ")
            ),
        });
    }
    Ok(exit::SUCCESS)
}

fn print_change(
    context: &Context,
    verb: &str,
    change: &secrets::SecretChange,
) -> Result<(), Error> {
    match context.format {
        OutputFormat::Json => print_json(change)?,
        OutputFormat::Text => outln!(
            "{verb} {} in secret {} (version {})",
            change.key,
            change.secret,
            change.version_id
        ),
    }
    Ok(())
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
