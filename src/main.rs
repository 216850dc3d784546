//! The macroctl binary: parse the command line, run one command, exit with its code.

use clap::Parser;
use macroctl::cli::Cli;
use macroctl::{commands, exit};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Usage errors exit 1, not clap's 2: 2 means "plan found changes" here.
            let code = if err.use_stderr() {
                exit::ERROR
            } else {
                exit::SUCCESS
            };
            let _ = err.print();
            std::process::exit(code);
        }
    };
    commands::init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            std::process::exit(exit::ERROR);
        }
    };
    let code = runtime.block_on(commands::run(cli));
    // Don't wait for lingering SDK tasks: everything that matters has been written.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    std::process::exit(code);
}
