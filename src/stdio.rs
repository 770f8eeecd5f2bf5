//! Writing to the process's stdout and stderr without ever panicking.
//!
//! skopeo (Go) dies of SIGPIPE when a write to its stdout or stderr finds the reader gone
//! (`skopeo copy … 2>&1 | head -2`). skiff ignores SIGPIPE so that a closed socket is an
//! error, so it remembers such a write instead: the command is then cancelled like an
//! interrupt (its destination cleaned up) and the binary ends by SIGPIPE, quietly, as skopeo
//! does. `eprintln!` would panic there, and a panic out of skiff's C `main` aborts.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);
static CLOSED_NOTICE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Whether a write to stdout or stderr found its reader gone.
pub fn reader_gone() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Resolves once a write to stdout or stderr has found its reader gone.
pub async fn wait_reader_gone() {
    loop {
        let notified = CLOSED_NOTICE.notified();
        if reader_gone() {
            return;
        }
        notified.await;
    }
}

/// Notes a failed write to stdout or stderr made some other way.
pub fn note_write_failure(err: &io::Error) {
    if err.kind() == io::ErrorKind::BrokenPipe {
        CLOSED.store(true, Ordering::SeqCst);
        CLOSED_NOTICE.notify_waiters();
    }
}

/// A standard stream whose failed writes are noted (a gone reader) and still returned.
pub struct Watched<W>(W);

pub fn stdout() -> Watched<io::Stdout> {
    Watched(io::stdout())
}

pub fn stderr() -> Watched<io::Stderr> {
    Watched(io::stderr())
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).inspect_err(note_write_failure)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).inspect_err(note_write_failure)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().inspect_err(note_write_failure)
    }
}

/// One line on stderr; a failure is noted, never a panic.
pub fn err_line(line: &str) {
    let mut err = stderr();
    let _ = writeln!(err, "{line}").and_then(|_| err.flush());
}
