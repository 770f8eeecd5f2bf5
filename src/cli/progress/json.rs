//! `--progress=json`: one JSON object per line on stderr for each event, plus a
//! `blob_progress` object per active blob every interval. The schema is in the README
//! ("Progress as JSON"); fields are only added, never renamed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::ticker::Ticker;
use super::{Command, text};
use crate::copy::progress::{BlobRef, Event, Report, Reporter, Scope};
use crate::signature::sign::SigningMethod;

/// The blobs being copied, with their image.
type Active = BTreeMap<u64, (Arc<BlobRef>, Option<Arc<str>>)>;

pub struct Json {
    command: Command,
    active: Arc<Mutex<Active>>,
    _ticker: Option<Ticker>,
}

fn emit(image: Option<&str>, name: &str, fields: Value) {
    let mut obj = Map::new();
    obj.insert("event".into(), name.into());
    if let Some(image) = image {
        obj.insert("image".into(), image.into());
    }
    if let Value::Object(f) = fields {
        obj.extend(f);
    }
    crate::stdio::err_line(&Value::Object(obj).to_string());
}

fn blob_fields(b: &BlobRef) -> Value {
    json!({"id": b.id, "kind": b.kind.name(), "digest": b.digest.to_string(), "size": b.size})
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

fn scope(s: &Scope) -> &'static str {
    match s {
        Scope::Image => "image",
        Scope::List => "list",
    }
}

fn millis(d: &Duration) -> u64 {
    d.as_millis() as u64
}

impl Json {
    pub fn new(interval: Duration, command: Command) -> Json {
        let active: Arc<Mutex<Active>> = Arc::default();
        let watched = active.clone();
        let ticker = Ticker::start(interval, move || {
            let blobs: Vec<_> = match watched.lock() {
                Ok(a) => a.values().cloned().collect(),
                Err(_) => return,
            };
            for (b, image) in blobs {
                let fields = with(blob_fields(&b), json!({"bytes": b.bytes_so_far()}));
                emit(image.as_deref(), "blob_progress", fields);
            }
        });
        Json {
            command,
            active,
            _ticker: ticker,
        }
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Active> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Reporter for Json {
    fn report(&self, report: Report) {
        let image = report.image.as_deref();
        let (name, fields) = match &report.event {
            Event::ImageStarted {
                source,
                destination,
            } => (
                "image_started",
                json!({"source": source, "destination": destination}),
            ),
            Event::SignaturesReading { scope: s } => {
                ("signatures_reading", json!({"scope": scope(s)}))
            }
            Event::SignaturesChecking { scope: s, count } => (
                "signatures_checking",
                json!({"scope": scope(s), "count": count}),
            ),
            Event::ImageSkipped { digest } => {
                ("image_skipped", json!({"digest": digest.to_string()}))
            }
            Event::ListCopying { to_copy, total } => {
                ("list_copying", json!({"to_copy": to_copy, "total": total}))
            }
            Event::ListInstanceStarted { digest, n, of } => (
                "list_instance_started",
                json!({"digest": digest.to_string(), "n": n, "of": of}),
            ),
            Event::BlobStarted { blob } => {
                self.active()
                    .insert(blob.id, (blob.clone(), report.image.clone()));
                ("blob_started", blob_fields(blob))
            }
            Event::BlobSkipped { blob, reason } => {
                self.active().remove(&blob.id);
                (
                    "blob_skipped",
                    with(blob_fields(blob), json!({"reason": reason.name()})),
                )
            }
            Event::BlobDone { blob, duration } => {
                self.active().remove(&blob.id);
                (
                    "blob_done",
                    with(
                        blob_fields(blob),
                        json!({"bytes": blob.bytes_so_far(), "duration_ms": millis(duration)}),
                    ),
                )
            }
            Event::BlobAborted { blob } => {
                self.active().remove(&blob.id);
                (
                    "blob_aborted",
                    with(blob_fields(blob), json!({"bytes": blob.bytes_so_far()})),
                )
            }
            Event::ManifestSigning { scope: s, method } => (
                "manifest_signing",
                json!({"scope": scope(s), "method": match method {
                    SigningMethod::Simple => "simple-signing",
                    SigningMethod::Sigstore => "sigstore",
                }}),
            ),
            Event::ManifestWriting { scope: s } => ("manifest_writing", json!({"scope": scope(s)})),
            Event::ManifestWritten {
                scope: s,
                digest,
                size,
                media_type,
            } => (
                "manifest_written",
                json!({"scope": scope(s), "digest": digest.to_string(), "size": size, "media_type": media_type}),
            ),
            Event::SignaturesStoring { scope: s, count } => (
                "signatures_storing",
                json!({"scope": scope(s), "count": count}),
            ),
            Event::ImageDone { digest, duration } => (
                "image_done",
                json!({"digest": digest.to_string(), "duration_ms": millis(duration)}),
            ),
            Event::Log(entry) => {
                let debug = matches!(self.command, Command::Sync { debug: true });
                if !text::shown(entry, debug) {
                    return;
                }
                let fields: Map<String, Value> = entry
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::from(v.as_str())))
                    .collect();
                (
                    "log",
                    json!({"level": entry.level.name(), "msg": entry.msg, "fields": fields}),
                )
            }
        };
        emit(image, name, fields);
    }
}
