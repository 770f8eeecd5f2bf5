//! The words of skopeo's progress output, shared by the line and bar renderers.

use crate::copy::progress::{Event, Level, LogEntry, Scope};
use crate::signature::sign::SigningMethod;

/// skopeo's line for an event that has one (blob lines are drawn by each renderer).
pub fn step_line(event: &Event) -> Option<String> {
    let image = |scope: &Scope| *scope == Scope::Image;
    Some(match event {
        Event::SignaturesReading { scope } if image(scope) => {
            "Getting image source signatures".into()
        }
        Event::SignaturesReading { .. } => "Getting image list signatures".into(),
        Event::SignaturesChecking { scope, .. } if image(scope) => {
            "Checking if image destination supports signatures".into()
        }
        Event::SignaturesChecking { .. } => {
            "Checking if image list destination supports signatures".into()
        }
        Event::ImageSkipped { .. } => "Skipping: image already present at destination".into(),
        Event::ListCopying { to_copy, total } => {
            format!("Copying {to_copy} of {total} images in list")
        }
        Event::ListInstanceStarted { digest, n, of } => {
            format!("Copying image {digest} ({n}/{of})")
        }
        Event::ManifestSigning { method, .. } => match method {
            SigningMethod::Simple => "Signing manifest using simple signing".into(),
            SigningMethod::Sigstore => "Signing manifest using a sigstore signature".into(),
        },
        Event::ManifestWriting { scope } if image(scope) => {
            "Writing manifest to image destination".into()
        }
        Event::ManifestWriting { .. } => "Writing manifest list to image destination".into(),
        Event::SignaturesStoring { scope, .. } if image(scope) => "Storing signatures".into(),
        Event::SignaturesStoring { .. } => "Storing list signatures".into(),
        _ => return None,
    })
}

/// logrus quotes a value unless it is made of letters, digits and `-._/@^+`.
fn logrus_value(v: &str) -> String {
    let bare = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/@^+".contains(c));
    if bare {
        v.to_string()
    } else {
        crate::gotext::go_quote(v)
    }
}

fn with_fields(mut line: String, e: &LogEntry) -> String {
    let mut fields = e.fields.clone();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in fields {
        line.push(' ');
        line.push_str(k);
        line.push('=');
        line.push_str(&logrus_value(&v));
    }
    line
}

/// logrus' text format (off a terminal): `time="…" level=info msg="…" key=value…`.
pub fn logrus_text(e: &LogEntry) -> String {
    with_fields(crate::error::log_line(e.level.name(), &e.msg), e)
}

/// logrus' terminal format: `INFO[0012] message                                  key=value`.
pub fn logrus_terminal(e: &LogEntry, seconds: u64) -> String {
    let level = e.level.name().to_ascii_uppercase();
    let line = format!("{}[{seconds:04}] {:<44} ", &level[..4], e.msg);
    with_fields(line, e)
}

/// Whether a sync log record is shown.
pub fn shown(e: &LogEntry, debug: bool) -> bool {
    e.level != Level::Debug || debug
}

/// Sizes as skopeo's bars print them (binary units, one decimal).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The first 12 hex digits of a digest, as skopeo's bars name blobs.
pub fn short_hex(d: &crate::digest::Digest) -> String {
    d.hex().chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_look_like_logrus() {
        let e = LogEntry::new(Level::Info, "Copying image ref 1/2")
            .field("to", "dir:/x/app:b")
            .field("from", "docker://h:5000/ns/app:b");
        let line = logrus_text(&e);
        assert!(line.starts_with("time=\""), "{line}");
        assert!(
            line.ends_with(
                " level=info msg=\"Copying image ref 1/2\" from=\"docker://h:5000/ns/app:b\" to=\"dir:/x/app:b\""
            ),
            "{line}"
        );
        assert!(!shown(&LogEntry::new(Level::Debug, "x"), false));
        let line =
            logrus_text(&LogEntry::new(Level::Info, "Getting tags").field("image", "h/ns/app"));
        assert!(
            line.ends_with("msg=\"Getting tags\" image=h/ns/app"),
            "{line}"
        );
    }

    #[test]
    fn sizes_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
