//! The `skiff` binary: parse the command line, run it, print a failure the way skopeo does.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use skiff::cli::{self, Cli};
use skiff::error::{UsageError, exit_code, log_line};

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_failure(e),
    };
    let timeout = cli.global.command_timeout.filter(|t| !t.is_zero());
    let runtime = match runtime_for(&cli).enable_all().build() {
        Ok(r) => r,
        Err(e) => return fatal(&anyhow::anyhow!("starting the runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        let work = cli::run(cli);
        // Dropping the work on a signal or timeout runs the destinations' clean-up.
        tokio::select! {
            r = async {
                match timeout {
                    Some(t) => tokio::time::timeout(t, work)
                        .await
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("context deadline exceeded"))),
                    None => work.await,
                }
            } => r,
            s = interrupted() => Err(anyhow::anyhow!("interrupted by signal {s}")),
        }
    });
    // A blocking read may still be stuck (e.g. on a pipe); the work is already cancelled and
    // cleaned up, so do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(usage) = e.downcast_ref::<UsageError>() {
                print_command_help();
                let _ = usage;
            }
            fatal(&e)
        }
    }
}

/// Copies keep several streams busy at once and get a worker per core; the other commands
/// make a request or two, and starting worker threads would be a good part of their time.
fn runtime_for(cli: &Cli) -> tokio::runtime::Builder {
    use skiff::cli::Command;
    match cli.command {
        Some(Command::Copy(_) | Command::Sync(_)) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
}

/// glibc gives every thread that allocates its own arena, which keeps freed buffers of all of
/// them resident; skiff's buffers are large and short-lived, so one shared arena keeps the
/// peak memory lower at no measurable CPU cost. Must run before any thread starts.
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets an allocator tunable; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Waits for SIGINT or SIGTERM.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// Help and version go to stdout with success; anything else is skopeo's fatal line.
fn clap_failure(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let msg = e.kind().as_str().map(str::to_string).unwrap_or_default();
            let detail = e.to_string();
            let first = detail
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&msg)
                .trim_start_matches("error: ")
                .to_string();
            fatal(&anyhow::anyhow!(first))
        }
    }
}

fn print_command_help() {
    use clap::CommandFactory;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cmd = Cli::command();
    let sub = args.iter().find(|a| !a.starts_with('-'));
    if let Some(sub) = sub
        && let Some(c) = cmd.find_subcommand_mut(sub)
    {
        let _ = c.clone().write_help(&mut std::io::stderr());
        return;
    }
    let _ = cmd.write_help(&mut std::io::stderr());
}

/// Prints the error as skopeo's logger does and returns the exit status skopeo would use.
fn fatal(err: &anyhow::Error) -> ExitCode {
    let msg = format!("{err:#}");
    if std::io::stderr().is_terminal() {
        eprintln!("FATA[0000] {msg}");
    } else {
        eprintln!("{}", log_line("fatal", &msg));
    }
    ExitCode::from(exit_code(err) as u8)
}
