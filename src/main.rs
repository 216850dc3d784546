//! The macroctl binary: parse the command line, run one command, exit with its code.

use clap::Parser;
use macroctl::cli::Cli;
use macroctl::{commands, exit};

/// Whether the command line asks for JSON output (read before clap, which failed).
fn json_requested() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|arg| arg == "--output=json")
        || args
            .windows(2)
            .any(|pair| pair[0] == "--output" && pair[1] == "json")
}

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
            // Under `--output json` a usage error is a document on stdout too, as every
            // other error is.
            if err.use_stderr() && json_requested() {
                let document = commands::with_schema_version(serde_json::json!({
                    "error": {
                        "message": err.kind().to_string(),
                        "detail": err.to_string().trim(),
                        "hint": "see `macroctl --help`",
                        "exit_code": code,
                    }
                }));
                let _ = commands::write_stdout(&format!("{document}\n"));
            }
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
