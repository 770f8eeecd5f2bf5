//! How the engine reports what it is doing. The library only emits events; the CLI decides
//! how they look (skopeo's plain lines off a terminal, progress bars on one, nothing with -q).

use crate::types::BlobInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobKind {
    Blob,
    Config,
}

impl BlobKind {
    pub fn name(self) -> &'static str {
        match self {
            BlobKind::Blob => "blob",
            BlobKind::Config => "config",
        }
    }
}

/// Progress of one blob.
pub trait BlobProgress: Send + Sync {
    fn advance(&self, bytes: u64);
    /// The destination already had the blob.
    fn skipped(&self);
    fn done(&self);
}

pub trait Reporter: Send + Sync {
    /// A whole line of status ("Getting image source signatures", …).
    fn message(&self, line: &str);
    /// A blob copy is starting.
    fn blob(&self, kind: BlobKind, info: &BlobInfo) -> Box<dyn BlobProgress>;
}

/// Reports nothing (`--quiet`, and library callers that do not care).
pub struct Silent;

/// Progress nobody sees.
pub(crate) struct NoProgress;

impl BlobProgress for NoProgress {
    fn advance(&self, _bytes: u64) {}
    fn skipped(&self) {}
    fn done(&self) {}
}

impl Reporter for Silent {
    fn message(&self, _line: &str) {}
    fn blob(&self, _kind: BlobKind, _info: &BlobInfo) -> Box<dyn BlobProgress> {
        Box::new(NoProgress)
    }
}

/// skopeo's output when it is not writing to a terminal: one line per step.
pub struct PlainLines<W: std::io::Write + Send> {
    out: std::sync::Mutex<W>,
}

impl<W: std::io::Write + Send> PlainLines<W> {
    pub fn new(out: W) -> Self {
        PlainLines {
            out: std::sync::Mutex::new(out),
        }
    }

    fn line(&self, s: &str) {
        if let Ok(mut out) = self.out.lock() {
            // Progress output is best effort: a closed stderr must not fail the copy.
            let _ = writeln!(out, "{s}");
            let _ = out.flush();
        }
    }
}

impl<W: std::io::Write + Send> Reporter for PlainLines<W> {
    fn message(&self, line: &str) {
        self.line(line);
    }

    fn blob(&self, kind: BlobKind, info: &BlobInfo) -> Box<dyn BlobProgress> {
        self.line(&format!("Copying {} {}", kind.name(), info.digest));
        Box::new(NoProgress)
    }
}
