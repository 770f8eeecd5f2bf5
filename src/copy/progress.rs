//! What the engine (and `sync`) report: typed events, never English lines. The CLI renders
//! them (`cli/progress/`): skopeo's plain lines off a terminal, bars on one, JSON lines for
//! scripts, nothing with -q.
//!
//! Bytes are not sent as one event per read: a started blob carries a live counter that
//! renderers sample as often as they draw, so a fast copy pays one atomic add per read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::digest::Digest;
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

/// Why a blob was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The destination said it has it (a HEAD, a file that exists, a mount it made itself).
    Present,
    /// The blob-info cache knew a copy the destination could reuse (a cross-repository mount,
    /// another compression of the same layer).
    Cached,
    /// Another image of this copy (or of this sync) sent it.
    Shared,
}

impl SkipReason {
    pub fn name(self) -> &'static str {
        match self {
            SkipReason::Present => "present",
            SkipReason::Cached => "cached",
            SkipReason::Shared => "shared",
        }
    }
}

/// A blob being copied. Renderers read `bytes` whenever they draw.
#[derive(Debug)]
pub struct BlobRef {
    /// Unique within the process: events about this blob name it.
    pub id: u64,
    pub kind: BlobKind,
    pub digest: Digest,
    pub size: Option<u64>,
    pub bytes: Arc<AtomicU64>,
    pub started: Instant,
}

impl BlobRef {
    pub fn bytes_so_far(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// A log record of `sync` (logrus: level, message, fields sorted by key when printed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub level: Level,
    pub msg: String,
    pub fields: Vec<(&'static str, String)>,
}

impl LogEntry {
    pub fn new(level: Level, msg: impl Into<String>) -> LogEntry {
        LogEntry {
            level,
            msg: msg.into(),
            fields: Vec::new(),
        }
    }

    pub fn field(mut self, key: &'static str, value: impl Into<String>) -> LogEntry {
        self.fields.push((key, value.into()));
        self
    }
}

/// logrus levels skopeo logs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Whether an event is about one image or about a manifest list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Image,
    List,
}

#[derive(Clone, Debug)]
pub enum Event {
    /// A copy begins.
    ImageStarted {
        source: String,
        destination: String,
    },
    /// Reading the source's signatures.
    SignaturesReading {
        scope: Scope,
    },
    /// The source has signatures: checking the destination can store them.
    SignaturesChecking {
        scope: Scope,
        count: usize,
    },
    /// The destination already has this exact image: nothing is copied.
    ImageSkipped {
        digest: Digest,
    },
    /// A list copy: how many of its images are copied.
    ListCopying {
        to_copy: usize,
        total: usize,
    },
    /// One image of a list (`n` of `of`, counted from 1).
    ListInstanceStarted {
        digest: Digest,
        n: usize,
        of: usize,
    },
    BlobStarted {
        blob: Arc<BlobRef>,
    },
    BlobSkipped {
        blob: Arc<BlobRef>,
        reason: SkipReason,
    },
    BlobDone {
        blob: Arc<BlobRef>,
        duration: Duration,
    },
    /// The blob's copy failed or was cancelled.
    BlobAborted {
        blob: Arc<BlobRef>,
    },
    /// The manifest about to be written is being signed.
    ManifestSigning {
        scope: Scope,
        method: crate::signature::sign::SigningMethod,
    },
    /// The manifest is about to be written.
    ManifestWriting {
        scope: Scope,
    },
    ManifestWritten {
        scope: Scope,
        digest: Digest,
        size: u64,
        media_type: String,
    },
    SignaturesStoring {
        scope: Scope,
        count: usize,
    },
    /// A copy ended; `digest` is the top-level manifest's at the destination.
    ImageDone {
        digest: Digest,
        duration: Duration,
    },
    /// A `sync` log record.
    Log(LogEntry),
}

/// One event and the image it belongs to (the source's name, when inside a copy).
#[derive(Clone, Debug)]
pub struct Report {
    pub image: Option<Arc<str>>,
    pub event: Event,
}

pub trait Reporter: Send + Sync {
    fn report(&self, report: Report);
    /// Whether the events of images copied at the same time must arrive one image after the
    /// other (line output reads as skopeo's one-by-one run; bars and JSON draw all at once).
    fn sequential(&self) -> bool {
        false
    }
}

impl dyn Reporter + '_ {
    /// Reports a log record that belongs to no image.
    pub fn log(&self, entry: LogEntry) {
        self.report(Report {
            image: None,
            event: Event::Log(entry),
        });
    }
}

/// Reports nothing (`--quiet`, and library callers that do not care).
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _report: Report) {}
}

static NEXT_BLOB_ID: AtomicU64 = AtomicU64::new(1);

fn new_blob(kind: BlobKind, info: &BlobInfo) -> Arc<BlobRef> {
    Arc::new(BlobRef {
        id: NEXT_BLOB_ID.fetch_add(1, Ordering::Relaxed),
        kind,
        digest: info.digest.clone(),
        size: info.size,
        bytes: Arc::new(AtomicU64::new(0)),
        started: Instant::now(),
    })
}

/// The engine's handle on one blob's copy: exactly one of done / skipped / aborted is
/// reported (aborted when dropped unfinished).
pub(crate) struct BlobTracker<'a> {
    sink: Option<(&'a dyn Reporter, &'a Option<Arc<str>>)>,
    blob: Arc<BlobRef>,
    finished: AtomicBool,
    /// Why the blob was skipped, once it was.
    skipped_for: std::sync::Mutex<Option<SkipReason>>,
}

/// How a blob's copy that nobody saw ended, to be reported later as if seen.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ending {
    pub bytes: u64,
    /// `None`: sent (done).
    pub skipped: Option<SkipReason>,
}

impl<'a> BlobTracker<'a> {
    pub(crate) fn start(
        reporter: &'a dyn Reporter,
        image: &'a Option<Arc<str>>,
        kind: BlobKind,
        info: &BlobInfo,
    ) -> BlobTracker<'a> {
        let t = BlobTracker {
            sink: Some((reporter, image)),
            blob: new_blob(kind, info),
            finished: AtomicBool::new(false),
            skipped_for: Default::default(),
        };
        t.emit(Event::BlobStarted {
            blob: t.blob.clone(),
        });
        t
    }

    /// A tracker nobody sees, for a blob not yet known (a layer sent while the image is still
    /// arriving is reported later, under its digest).
    pub(crate) fn detached() -> BlobTracker<'static> {
        let placeholder = BlobInfo::new(Digest::sha256_of(b""), None, "");
        BlobTracker {
            sink: None,
            blob: new_blob(BlobKind::Blob, &placeholder),
            finished: AtomicBool::new(false),
            skipped_for: Default::default(),
        }
    }

    /// A tracker nobody sees for a known blob, whose ending is reported later ([`replay`]).
    ///
    /// [`replay`]: Self::replay
    pub(crate) fn unseen(kind: BlobKind, info: &BlobInfo) -> BlobTracker<'static> {
        BlobTracker {
            sink: None,
            blob: new_blob(kind, info),
            finished: AtomicBool::new(false),
            skipped_for: Default::default(),
        }
    }

    /// How an unseen tracker's blob ended, if it did.
    pub(crate) fn ending(&self) -> Option<Ending> {
        self.finished.load(Ordering::SeqCst).then(|| Ending {
            bytes: self.blob.bytes.load(Ordering::Relaxed),
            skipped: *self.skipped_for.lock().unwrap_or_else(|e| e.into_inner()),
        })
    }

    /// Reports `ending` (of the same blob's copy, made unseen) as this tracker's own.
    pub(crate) fn replay(&self, ending: Ending) {
        self.advance(ending.bytes);
        match ending.skipped {
            Some(reason) => self.skipped(reason),
            None => self.done(),
        }
    }

    fn emit(&self, event: Event) {
        if let Some((r, image)) = self.sink {
            r.report(Report {
                image: image.clone(),
                event,
            });
        }
    }

    /// The counter a stream adds the bytes it passes to.
    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        self.blob.bytes.clone()
    }

    /// A new attempt at the blob (a corrupt download read again) counts from zero.
    pub(crate) fn restart(&self) {
        self.blob.bytes.store(0, Ordering::Relaxed);
    }

    pub(crate) fn advance(&self, n: u64) {
        self.blob.bytes.fetch_add(n, Ordering::Relaxed);
    }

    fn finish(&self) -> bool {
        !self.finished.swap(true, Ordering::SeqCst)
    }

    pub(crate) fn skipped(&self, reason: SkipReason) {
        if self.finish() {
            *self.skipped_for.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
            tracing::debug!(
                target: "skiff::copy",
                "Skipping blob {}: {}",
                self.blob.digest,
                match reason {
                    SkipReason::Present => "the destination already has it",
                    SkipReason::Cached => "reused from a location the blob-info cache knows",
                    SkipReason::Shared => "another image of this copy sent it",
                }
            );
            self.emit(Event::BlobSkipped {
                blob: self.blob.clone(),
                reason,
            });
        }
    }

    pub(crate) fn done(&self) {
        if self.finish() {
            self.emit(Event::BlobDone {
                blob: self.blob.clone(),
                duration: self.blob.started.elapsed(),
            });
        }
    }
}

impl Drop for BlobTracker<'_> {
    fn drop(&mut self) {
        if self.finish() {
            self.emit(Event::BlobAborted {
                blob: self.blob.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Reporter for Recorder {
        fn report(&self, r: Report) {
            let what = match r.event {
                Event::BlobStarted { blob } => format!("started {}", blob.id),
                Event::BlobDone { blob, .. } => format!("done {}", blob.bytes_so_far()),
                Event::BlobSkipped { reason, .. } => format!("skipped {}", reason.name()),
                Event::BlobAborted { .. } => "aborted".into(),
                other => format!("{other:?}"),
            };
            let image = r.image.as_deref().unwrap_or("-").to_string();
            self.0.lock().unwrap().push(format!("{image}: {what}"));
        }
    }

    #[test]
    fn a_blob_ends_exactly_once() {
        let rec = Recorder::default();
        let image: Option<Arc<str>> = Some("img".into());
        let info = BlobInfo::new(Digest::sha256_of(b"x"), Some(10), "");
        let t = BlobTracker::start(&rec, &image, BlobKind::Blob, &info);
        let id = t.blob.id;
        t.advance(4);
        t.restart();
        t.advance(10);
        t.done();
        t.skipped(SkipReason::Present);
        drop(t);
        let t = BlobTracker::start(&rec, &image, BlobKind::Config, &info);
        let id2 = t.blob.id;
        drop(t);
        assert_ne!(id, id2);
        assert_eq!(
            *rec.0.lock().unwrap(),
            vec![
                format!("img: started {id}"),
                "img: done 10".to_string(),
                format!("img: started {id2}"),
                "img: aborted".to_string(),
            ]
        );
        // Unreported trackers say nothing, even when dropped unfinished.
        drop(BlobTracker::detached());
        assert_eq!(rec.0.lock().unwrap().len(), 4);
    }
}
