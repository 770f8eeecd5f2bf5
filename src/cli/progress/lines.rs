//! Off a terminal: skopeo's lines, and every `interval` one line per blob still being copied,
//! so a long copy in a CI log shows movement (skopeo prints nothing between its lines).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Command;
use super::text::{self, bytes};
use super::ticker::Ticker;
use crate::copy::progress::{BlobRef, Event, Report, Reporter};

pub struct Lines {
    command: Command,
    active: Arc<Mutex<BTreeMap<u64, Arc<BlobRef>>>>,
    _ticker: Option<Ticker>,
}

/// Progress is best effort: a closed stderr must not fail the copy.
fn write_line(line: &str) {
    crate::stdio::err_line(line);
}

/// `Progress: blob sha256:… 12.0 MiB / 40.0 MiB (30%), 1.2 MiB/s`
pub fn periodic_line(blob: &BlobRef) -> String {
    let done = blob.bytes_so_far();
    let secs = blob.started.elapsed().as_secs_f64().max(0.001);
    let rate = bytes((done as f64 / secs) as u64);
    let of = match blob.size {
        Some(size) if size > 0 => {
            format!(" / {} ({}%)", bytes(size), done.saturating_mul(100) / size)
        }
        _ => String::new(),
    };
    format!(
        "Progress: {} {} {}{of}, {rate}/s",
        blob.kind.name(),
        blob.digest,
        bytes(done)
    )
}

impl Lines {
    pub fn new(interval: Duration, command: Command) -> Lines {
        let active: Arc<Mutex<BTreeMap<u64, Arc<BlobRef>>>> = Arc::default();
        let watched = active.clone();
        let ticker = Ticker::start(interval, move || {
            let blobs: Vec<_> = match watched.lock() {
                Ok(a) => a.values().cloned().collect(),
                Err(_) => return,
            };
            for b in blobs {
                write_line(&periodic_line(&b));
            }
        });
        Lines {
            command,
            active,
            _ticker: ticker,
        }
    }

    fn active(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<BlobRef>>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Reporter for Lines {
    fn report(&self, report: Report) {
        match &report.event {
            Event::BlobStarted { blob } => {
                self.active().insert(blob.id, blob.clone());
                write_line(&format!("Copying {} {}", blob.kind.name(), blob.digest));
            }
            Event::BlobSkipped { blob, .. }
            | Event::BlobDone { blob, .. }
            | Event::BlobAborted { blob } => {
                self.active().remove(&blob.id);
            }
            Event::Log(entry) => {
                let debug = matches!(self.command, Command::Sync { debug: true });
                if text::shown(entry, debug) {
                    write_line(&text::logrus_text(entry));
                }
            }
            other => {
                if let Some(line) = text::step_line(other) {
                    write_line(&line);
                }
            }
        }
    }

    fn sequential(&self) -> bool {
        true
    }
}
