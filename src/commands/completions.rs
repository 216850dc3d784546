//! `macroctl completions SHELL` and `macroctl man`: the shell completion script and the man
//! page, both generated from the command line's own definition (`cli.rs`, through
//! `clap_complete` and `clap_mangen`), so they can never disagree with what macroctl accepts.
//! Printed on stdout, for the user to put where their shell or `man` looks:
//! `macroctl completions bash > ~/.local/share/bash-completion/completions/macroctl`,
//! `macroctl man > ~/.local/share/man/man1/macroctl.1`.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;
use crate::exit;
use clap::CommandFactory;

pub fn completions(args: &CompletionsArgs) -> Result<i32, Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "macroctl", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(exit::SUCCESS)
}

pub fn man() -> Result<i32, Error> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(Error::Output)?;
    out!("{}", String::from_utf8_lossy(&page));
    Ok(exit::SUCCESS)
}
