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
    let catch = CaughtSignals::not_ignored_by_parent();
    let ending = run(catch);
    end(ending)
}

/// How the run ends: an exit status, or death by a signal after the clean-up (as a shell
/// expects of an interrupted command: it then reports 128 + the signal, 130 for SIGINT).
enum Ending {
    Status(u8),
    Signal(libc::c_int),
}

fn end(ending: Ending) -> ! {
    use std::io::Write;
    // What is still buffered for stdout goes out now, so that a gone reader is noticed.
    let _ = skiff::stdio::stdout().flush();
    let signal = match ending {
        // skopeo (Go) dies of SIGPIPE at a write to a stdout or stderr whose reader is gone.
        _ if skiff::stdio::reader_gone() => libc::SIGPIPE,
        Ending::Signal(s) => s,
        // Rust's exit: stdout is flushed.
        Ending::Status(code) => std::process::exit(code.into()),
    };
    // SAFETY: restoring a signal's default action and raising it in this thread; the
    // runtime is shut down and nothing else needs to run.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    std::process::exit(128 + signal)
}

/// The interrupting signals skiff catches to clean up: SIGINT and SIGTERM, unless the parent
/// set them to be ignored (`trap "" INT`, `nohup`), in which case they stay ignored.
#[derive(Clone, Copy)]
struct CaughtSignals {
    int: bool,
    term: bool,
}

impl CaughtSignals {
    /// Must run before any handler is installed: it reads the inherited dispositions.
    fn not_ignored_by_parent() -> CaughtSignals {
        let ignored = |sig| {
            // SAFETY: reading a signal's disposition into a zeroed struct.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                    && old.sa_sigaction == libc::SIG_IGN
            }
        };
        CaughtSignals {
            int: !ignored(libc::SIGINT),
            term: !ignored(libc::SIGTERM),
        }
    }
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

fn run(catch: CaughtSignals) -> Ending {
    limit_malloc_arenas();
    let cli = match cli::parse::parse_from(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => return Ending::Status(clap_failure(e)),
    };
    // An ordinary user's store is written as root of a user namespace, as skopeo does it.
    if skiff::transport::storage::userns::needed_for(cli.images_opened()) {
        return match skiff::transport::storage::userns::reexec() {
            Ok(code) => Ending::Status(code.clamp(0, 255) as u8),
            Err(e) => Ending::Status(fatal(&e)),
        };
    }
    let timeout = cli.global.command_timeout.filter(|t| !t.is_zero());
    let runtime = match runtime_for(&cli).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            return Ending::Status(fatal(&anyhow::anyhow!("starting the runtime: {e}")));
        }
    };
    let result = runtime.block_on(async move {
        let interrupt = interrupted(catch);
        let work = cli::run(cli);
        // Dropping the work on a signal, a gone reader or a timeout runs the destinations'
        // clean-up.
        let result = tokio::select! {
            r = async {
                match timeout {
                    Some(t) => tokio::time::timeout(t, work)
                        .await
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("context deadline exceeded"))),
                    None => work.await,
                }
            } => r.map_err(Stop::Failed),
            s = interrupt => Err(Stop::Signal(s)),
            _ = skiff::stdio::wait_reader_gone() => Err(Stop::ReaderGone),
        };
        // Copies cancelled in tasks of their own (sync's images) clean up on the runtime's
        // threads; wait for them, within bounds (a blocked thread must not hang the exit; a
        // second signal ends the wait).
        if skiff::transport::pending::outstanding() {
            let cleanups = skiff::transport::pending::all_done();
            tokio::select! {
                _ = tokio::time::timeout(std::time::Duration::from_secs(30), cleanups) => {}
                _ = interrupted(catch) => {}
            }
        }
        result
    });
    // A blocking read may still be stuck (e.g. on a pipe); the work is already cancelled and
    // cleaned up, so do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => Ending::Status(0),
        Err(Stop::Signal(s)) => Ending::Signal(s),
        // `end` dies of SIGPIPE.
        Err(Stop::ReaderGone) => Ending::Status(1),
        // A command that failed at writing its output: nothing more to say, `end` dies of
        // SIGPIPE.
        Err(Stop::Failed(_)) if skiff::stdio::reader_gone() => Ending::Status(1),
        Err(Stop::Failed(e)) => {
            if e.downcast_ref::<UsageError>().is_some() {
                print_command_help();
            }
            Ending::Status(fatal(&e))
        }
    }
}

/// Why the command stopped before finishing.
enum Stop {
    Failed(anyhow::Error),
    Signal(libc::c_int),
    ReaderGone,
}

/// Copies keep several streams busy at once and get a worker per core; the other commands
/// make a request or two, and starting worker threads would be a good part of their time.
fn runtime_for(cli: &Cli) -> tokio::runtime::Builder {
    use skiff::cli::Command;
    match cli.command {
        // The proxy streams blobs into pipes while it answers further requests.
        Some(Command::Copy(_) | Command::Sync(_) | Command::ExperimentalImageProxy(_)) => {
            tokio::runtime::Builder::new_multi_thread()
        }
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

/// Listens for SIGINT and SIGTERM, of those `catch` lets skiff catch, from now on (before the
/// work starts); the future resolves with the first that arrives. Must be called inside the
/// runtime.
fn interrupted(catch: CaughtSignals) -> impl std::future::Future<Output = libc::c_int> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |caught: bool, kind: SignalKind| {
        let listener = caught.then(|| signal(kind).ok()).flatten();
        async move {
            match listener {
                Some(mut l) => {
                    l.recv().await;
                    kind.as_raw_value()
                }
                None => std::future::pending().await,
            }
        }
    };
    let int = listen(catch.int, SignalKind::interrupt());
    let term = listen(catch.term, SignalKind::terminate());
    async move {
        tokio::select! {
            s = int => s,
            s = term => s,
        }
    }
}

/// Help and version go to stdout with success; anything else is skopeo's fatal line.
fn clap_failure(e: clap::Error) -> u8 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            if let Err(err) = e.print() {
                skiff::stdio::note_write_failure(&err);
            }
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            if let Err(err) = e.print() {
                skiff::stdio::note_write_failure(&err);
            }
            0
        }
        _ => fatal(&anyhow::anyhow!(cli::parse::failure_message(&e))),
    }
}

fn print_command_help() {
    use clap::CommandFactory;
    let sub = cli::parse::subcommand_name(&std::env::args_os().collect::<Vec<_>>());
    let mut cmd = Cli::command();
    // Built, the subcommands' usage lines name the program (`skiff copy`).
    cmd.build();
    if let Some(sub) = sub
        && let Some(c) = cmd.find_subcommand_mut(&sub)
    {
        let _ = c.clone().write_help(&mut skiff::stdio::stderr());
        return;
    }
    let _ = cmd.write_help(&mut skiff::stdio::stderr());
}

/// Prints the error as skopeo's logger does and returns the exit status skopeo would use.
fn fatal(err: &anyhow::Error) -> u8 {
    let msg = format!("{err:#}");
    if std::io::stderr().is_terminal() {
        skiff::stdio::err_line(&format!("FATA[0000] {msg}"));
    } else {
        skiff::stdio::err_line(&log_line("fatal", &msg));
    }
    exit_code(err) as u8
}
