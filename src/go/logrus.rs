//! The lines skopeo's logger (logrus) prints on stderr: its text format off a terminal
//! (`time="…" level=info msg="…" key=value`) and its terminal form (`INFO[0003] msg  key=value`).

use crate::go::text::go_quote;

/// A value as logrus writes it: bare when made of letters, digits and `-._/@^+`, otherwise
/// quoted with Go's `%q`.
pub fn quote(v: &str) -> String {
    let bare = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/@^+".contains(c));
    if bare { v.to_string() } else { go_quote(v) }
}

/// logrus' timestamp: RFC 3339 in the local zone, seconds only, `Z` for UTC.
fn now() -> String {
    let time = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%:z");
    time.to_string().replace("+00:00", "Z")
}

/// The text format: `time="…" level=LEVEL msg=MSG` and the fields, in the order given
/// (logrus sorts them by key; callers pass them sorted).
pub fn text_line(level: &str, msg: &str, fields: &[(&str, &str)]) -> String {
    let mut line = format!("time=\"{}\" level={level} msg={}", now(), quote(msg));
    push_fields(&mut line, fields);
    line
}

/// The terminal form: the level's first four capitals, the seconds since start, the message
/// padded to 44 columns, then the fields.
pub fn terminal_line(level: &str, elapsed_secs: u64, msg: &str, fields: &[(&str, &str)]) -> String {
    let level = level.to_ascii_uppercase();
    let mut line = format!(
        "{}[{elapsed_secs:04}] {msg:<44} ",
        &level[..level.len().min(4)]
    );
    push_fields(&mut line, fields);
    line
}

fn push_fields(line: &mut String, fields: &[(&str, &str)]) {
    for (k, v) in fields {
        line.push(' ');
        line.push_str(k);
        line.push('=');
        line.push_str(&quote(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_as_logrus_quotes_them() {
        assert_eq!(
            quote("docker.io/library/busybox"),
            "docker.io/library/busybox"
        );
        assert_eq!(quote("busybox:1.36"), "\"busybox:1.36\"");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("x=y"), "\"x=y\"");
    }

    #[test]
    fn text_and_terminal_lines() {
        let l = text_line("info", "Copying image", &[("from", "dir:/x")]);
        assert!(l.starts_with("time=\""), "{l}");
        assert!(
            l.ends_with(" level=info msg=\"Copying image\" from=\"dir:/x\""),
            "{l}"
        );
        let t = terminal_line("warning", 3, "hi", &[("k", "v")]);
        assert_eq!(t, format!("WARN[0003] {:<44}  k=v", "hi"));
    }
}
