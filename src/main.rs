//! The `skiff` binary: parse the command line, run it, print a failure the way skopeo does.
//!
//! It has its own C `main` instead of Rust's: Rust's start-up reads all of /proc/self/maps to
//! place a stack guard for the main thread, a tenth of the run of a short command such as
//! `inspect` of a local archive. The rest of that start-up is done here (`start_up`), and
//! `std::process::exit` does Rust's exit (flushing stdout). A stack overflow is then a
//! plain SIGSEGV, without Rust's message.
// A test build of this file gets the test harness's `main` (it holds no tests).
#![cfg_attr(not(test), no_main)]
#![cfg_attr(test, allow(dead_code))]

use std::io::IsTerminal;

use skiff::cli::{self, Cli};
use skiff::error::{UsageError, exit_code, log_line};

#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start_up();
    // Rust's exit: stdout is flushed.
    std::process::exit(run().into())
}

/// What Rust's start-up does that skiff relies on: a write to a closed pipe or socket is an
/// error, not a fatal signal; and a closed standard descriptor is /dev/null, so that no file
/// or connection opened later takes its number and gets the output.
fn start_up() {
    // SAFETY: setting a signal's disposition and reopening descriptors 0-2, before any
    // thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        for fd in 0..3 {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null != fd && null >= 0 {
                    libc::dup2(null, fd);
                    libc::close(null);
                }
            }
        }
    }
}

fn run() -> u8 {
    limit_malloc_arenas();
    let cli = match cli::parse::parse_from(std::env::args_os().collect()) {
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
        let result = tokio::select! {
            r = async {
                match timeout {
                    Some(t) => tokio::time::timeout(t, work)
                        .await
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("context deadline exceeded"))),
                    None => work.await,
                }
            } => r,
            s = interrupted() => Err(anyhow::anyhow!("interrupted by signal {s}")),
        };
        // Copies cancelled in tasks of their own (sync's images) clean up on the runtime's
        // threads; wait for them, within bounds (a blocked thread must not hang the exit).
        if skiff::transport::pending::outstanding() {
            let cleanups = skiff::transport::pending::all_done();
            tokio::select! {
                _ = tokio::time::timeout(std::time::Duration::from_secs(30), cleanups) => {}
                _ = interrupted() => {}
            }
        }
        result
    });
    // A blocking read may still be stuck (e.g. on a pipe); the work is already cancelled and
    // cleaned up, so do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => 0,
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
fn clap_failure(e: clap::Error) -> u8 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            0
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
fn fatal(err: &anyhow::Error) -> u8 {
    let msg = format!("{err:#}");
    if std::io::stderr().is_terminal() {
        eprintln!("FATA[0000] {msg}");
    } else {
        eprintln!("{}", log_line("fatal", &msg));
    }
    exit_code(err) as u8
}
