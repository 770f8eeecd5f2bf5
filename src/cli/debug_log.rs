//! `--debug`: the library's `tracing` events printed on stderr as skopeo's logger prints its
//! debug lines (`time="…" level=debug msg="…"`). Only skiff's own events are shown: a
//! dependency's traces (HTTP/2 frames, TLS) could carry headers, and headers carry secrets.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

struct LogrusLines;

/// The message, then `key=value` for any other field.
#[derive(Default)]
struct Message {
    msg: String,
    fields: String,
}

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.msg.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.msg, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for LogrusLines {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.target().starts_with("skiff") && *meta.level() <= Level::DEBUG
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut m = Message::default();
        event.record(&mut m);
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            _ => "debug",
        };
        let line = crate::error::log_line(level, &m.msg) + &m.fields;
        crate::stdio::err_line(&line);
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// Prints skiff's debug events from now on (once per process).
pub fn install() {
    let _ = tracing::subscriber::set_global_default(LogrusLines);
}
