//! Go formatting conventions that leak into c/image's policy error messages: `%q` quoting,
//! the `%!s(float64=…)` rendering of JSON numbers, and the lowercase `strerror` texts Go uses
//! for OS errors (`open /x: no such file or directory`).

use std::io;

/// Go's `strconv.Quote` for arbitrary bytes: invalid UTF-8 bytes become `\xNN`.
pub(crate) fn go_quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    let mut rest = bytes;
    while !rest.is_empty() {
        match decode_rune(rest) {
            Some((c, width)) => {
                push_escaped_rune(&mut out, c, '"');
                rest = &rest[width..];
            }
            None => {
                out.push_str(&format!("\\x{:02x}", rest[0]));
                rest = &rest[1..];
            }
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    go_quote_bytes(s.as_bytes())
}

/// encoding/json's `quoteChar`: how its syntax errors render the offending byte.
pub(crate) fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            // Go converts the byte to the rune U+00XX before quoting it.
            let mut s = String::from("'");
            push_escaped_rune(&mut s, char::from(c), '"');
            s.push('\'');
            s
        }
    }
}

/// Decodes one UTF-8 sequence the way Go's `utf8.DecodeRune` accepts it.
pub(crate) fn decode_rune(bytes: &[u8]) -> Option<(char, usize)> {
    let width = match *bytes.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let chunk = bytes.get(..width)?;
    let s = std::str::from_utf8(chunk).ok()?;
    s.chars().next().map(|c| (c, width))
}

fn push_escaped_rune(out: &mut String, c: char, quote: char) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_go_printable(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str(r"\a"),
        '\u{8}' => out.push_str(r"\b"),
        '\u{c}' => out.push_str(r"\f"),
        '\n' => out.push_str(r"\n"),
        '\r' => out.push_str(r"\r"),
        '\t' => out.push_str(r"\t"),
        '\u{b}' => out.push_str(r"\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// An approximation of Go's `unicode.IsPrint` (Rust has no general-category tables in std):
/// exact for Latin-1, and for the control, format, separator and private-use characters that
/// matter in practice; unassigned code points are treated as printable.
fn is_go_printable(c: char) -> bool {
    let u = c as u32;
    if u == 0x20 {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xad
        | 0x600..=0x605
        | 0x61c
        | 0x6dd
        | 0x70f
        | 0x180e
        | 0x200b..=0x200f
        | 0x202a..=0x202e
        | 0x2060..=0x2064
        | 0x2066..=0x206f
        | 0xd800..=0xdfff
        | 0xe000..=0xf8ff
        | 0xfeff
        | 0xfff9..=0xfffb
        | 0x110bd
        | 0x1d173..=0x1d17a
        | 0xe0001
        | 0xe0020..=0xe007f
        | 0xf0000..=0x10ffff)
}

/// Go's `%v` rendering of a float64: the shortest round-trip digits, in exponent form when the
/// decimal exponent is below -4 or at least 6 (`1e+06`, `123456`, `1.234567e+06`).
pub(crate) fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "1.234567e6", "-5e-7", "0e0".
    let sci = format!("{f:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        // %e form: d[.ddd]e±XX
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// The text Go prints for an OS error: glibc's `strerror` with the first letter lowercased
/// (only when the second one is lowercase too, as Go's generated tables do).
pub(crate) fn go_errno_text(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => {
            let full = io::Error::from_raw_os_error(code).to_string();
            let text = match full.rfind(" (os error ") {
                Some(i) => &full[..i],
                None => full.as_str(),
            };
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(a), Some(b)) if a.is_ascii_uppercase() && b.is_ascii_lowercase() => {
                    let mut s = String::with_capacity(text.len());
                    s.push(a.to_ascii_lowercase());
                    s.push_str(&text[1..]);
                    s
                }
                _ => text.to_string(),
            }
        }
        // Rust refuses paths with NUL bytes before calling the OS; Go reports EINVAL.
        None if err.kind() == io::ErrorKind::InvalidInput => "invalid argument".to_string(),
        None => err.to_string(),
    }
}

/// Go's `*os.PathError` text: `op path: errno text`.
pub(crate) fn go_path_error(op: &str, path: &[u8], err: &io::Error) -> String {
    format!(
        "{op} {}: {}",
        String::from_utf8_lossy(path),
        go_errno_text(err)
    )
}
