//! `--report FILE` (copy and sync): one JSON document saying, for each image, where it came
//! from and went, its digest, whether it was copied, skipped (already present) or failed
//! (with a class a script can switch on), the blob bytes sent and how long it took.
//!
//! The file is written whole or not at all: a temporary file next to it, renamed over it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::copy::progress::{Event, Reporter};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Copied,
    /// The destination already had the image; nothing was written.
    Skipped,
    Failed,
    /// `--dry-run`: would be copied.
    Planned,
}

#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// One of `not-found`, `unauthorized`, `policy`, `digest-mismatch`, `network`,
    /// `registry`, `cancelled`, `other`.
    pub class: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReport {
    pub source: String,
    pub destination: String,
    /// The manifest digest at the destination; `null` when the image failed.
    pub digest: Option<String>,
    pub result: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
    /// Blob bytes sent to the destination (blobs it already had are not counted).
    pub bytes_moved: u64,
    pub duration_seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub copied: usize,
    pub skipped: usize,
    pub failed: usize,
    pub planned: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// `copy` or `sync`.
    pub command: &'static str,
    pub images: Vec<ImageReport>,
    pub summary: Summary,
}

impl Report {
    pub fn new(command: &'static str, images: Vec<ImageReport>) -> Report {
        let count = |o: Outcome| images.iter().filter(|i| i.result == o).count();
        let summary = Summary {
            copied: count(Outcome::Copied),
            skipped: count(Outcome::Skipped),
            failed: count(Outcome::Failed),
            planned: count(Outcome::Planned),
        };
        Report {
            command,
            images,
            summary,
        }
    }

    /// Writes the report to `path` atomically (`-`: to stdout).
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = crate::gojson::to_string_pretty(self);
        text.push('\n');
        if path == Path::new("-") {
            use std::io::Write;
            let mut out = crate::stdio::stdout();
            out.write_all(text.as_bytes())?;
            return Ok(out.flush()?);
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let fail = || format!("writing report {:?}", path.display().to_string());
        let mut tmp = tempfile::Builder::new()
            .prefix(".skiff-report-")
            .tempfile_in(dir)
            .with_context(fail)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).with_context(fail)?;
        // A report is for anyone's scripts to read (tempfile makes 0600 files).
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(fail)?;
        tmp.persist(path).map_err(|e| e.error).with_context(fail)?;
        Ok(())
    }
}

/// Refuses a `--report` path whose directory does not exist, before any work is done.
pub fn check_path(path: &Path) -> Result<()> {
    if path == Path::new("-") {
        return Ok(());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "Invalid --report {:?}: {:?} is not a directory",
            path.display().to_string(),
            dir.display().to_string()
        );
    }
    if path.is_dir() {
        anyhow::bail!(
            "Invalid --report {:?}: it is a directory",
            path.display().to_string()
        );
    }
    Ok(())
}

/// The class of a failure, for scripts: what went wrong, not the words.
pub fn error_class(err: &anyhow::Error) -> &'static str {
    use crate::transport::docker::errors::{RegistryError, Unauthorized};
    let chain = || err.chain();
    if chain().any(|e| e.is::<crate::error::ImageNotFound>()) {
        "not-found"
    } else if chain().any(|e| e.is::<Unauthorized>()) {
        "unauthorized"
    } else if err
        .downcast_ref::<crate::config::policy::SourceImageRejected>()
        .is_some()
    {
        "policy"
    } else if chain().any(crate::contract::verify::is_mismatch) {
        "digest-mismatch"
    } else if crate::contract::retry::is_retryable(err) {
        "network"
    } else if chain().any(|e| e.is::<RegistryError>()) {
        "registry"
    } else {
        "other"
    }
}

/// A failure entry for `err`.
pub fn failure(err: &anyhow::Error) -> Failure {
    Failure {
        class: error_class(err),
        message: format!("{err:#}"),
    }
}

/// Passes events on to another reporter, counting the blob bytes sent and noticing an image
/// skipped as already present.
pub struct Tally {
    inner: Arc<dyn Reporter>,
    bytes: Arc<AtomicU64>,
    skipped: AtomicBool,
}

impl Tally {
    pub fn new(inner: Arc<dyn Reporter>) -> Tally {
        Tally {
            inner,
            bytes: Arc::new(AtomicU64::new(0)),
            skipped: AtomicBool::new(false),
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn skipped(&self) -> bool {
        self.skipped.load(Ordering::Relaxed)
    }

    /// The entry for a finished copy.
    pub fn image(
        &self,
        source: String,
        destination: String,
        result: &Result<crate::digest::Digest>,
        took: Duration,
    ) -> ImageReport {
        let (digest, outcome, error) = match result {
            Ok(d) if self.skipped() => (Some(d.to_string()), Outcome::Skipped, None),
            Ok(d) => (Some(d.to_string()), Outcome::Copied, None),
            Err(e) => (None, Outcome::Failed, Some(failure(e))),
        };
        ImageReport {
            source,
            destination,
            digest,
            result: outcome,
            error,
            bytes_moved: self.bytes(),
            duration_seconds: took.as_secs_f64(),
        }
    }
}

impl Reporter for Tally {
    fn report(&self, report: crate::copy::progress::Report) {
        match &report.event {
            Event::ImageSkipped { .. } => self.skipped.store(true, Ordering::Relaxed),
            Event::BlobDone { blob, .. } => {
                self.bytes.fetch_add(blob.bytes_so_far(), Ordering::Relaxed);
            }
            _ => {}
        }
        self.inner.report(report);
    }

    fn sequential(&self) -> bool {
        self.inner.sequential()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_atomic_write() {
        let nf: anyhow::Error = crate::error::ImageNotFound("x".into()).into();
        assert_eq!(error_class(&nf.context("reading manifest")), "not-found");
        let pol = anyhow::anyhow!("no").context(crate::config::policy::SourceImageRejected);
        assert_eq!(error_class(&pol), "policy");
        // An instance of a list: the verdict's context is a layer down.
        let nested = anyhow::anyhow!("no")
            .context(crate::config::policy::SourceImageRejected)
            .context("copying image 1/2 from manifest list");
        assert_eq!(error_class(&nested), "policy");
        assert_eq!(error_class(&anyhow::anyhow!("x")), "other");
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("r.json");
        std::fs::write(&p, "old").unwrap();
        Report::new("copy", vec![]).write(&p).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(v["command"], "copy");
        assert_eq!(v["images"], serde_json::json!([]));
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 1);
    }
}
