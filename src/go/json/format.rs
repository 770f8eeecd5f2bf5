//! A serde_json `Formatter` that writes strings and floats the way Go's encoding/json does.

use serde_json::ser::{CharEscape, Formatter};
use std::io::{self, Write};

/// Wraps a serde_json formatter (compact or pretty) and replaces string escaping and float
/// formatting with Go 1.19's rules; layout (indentation, separators) comes from `inner`.
#[derive(Debug, Clone)]
pub struct GoFormatter<F> {
    inner: F,
    escape_html: bool,
}

impl<F> GoFormatter<F> {
    /// Go's default: `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026`.
    pub fn new(inner: F) -> Self {
        GoFormatter {
            inner,
            escape_html: true,
        }
    }

    /// Like a Go `json.Encoder` after `SetEscapeHTML(false)`.
    pub fn without_html_escaping(inner: F) -> Self {
        GoFormatter {
            inner,
            escape_html: false,
        }
    }
}

/// Formats a float as Go's encoding/json does: the shortest decimal that round-trips, in
/// plain notation, or in exponent notation (`1e+21`, `1e-7`) when the magnitude is below 1e-6
/// or at least 1e21 (JavaScript's rule, which Go copies). `bits32` selects float32 precision.
/// Go refuses to encode NaN and infinities; this returns `None` for them and the formatter
/// writes `null` (serde_json already does so before asking the formatter).
pub fn go_float(value: f64, bits32: bool) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    let abs = value.abs();
    let (small, large) = if bits32 {
        let a = abs as f32;
        (a < 1e-6, a >= 1e21)
    } else {
        (abs < 1e-6, abs >= 1e21)
    };
    let use_exp = abs != 0.0 && (small || large);
    let text = match (use_exp, bits32) {
        (false, false) => format!("{value}"),
        (false, true) => format!("{}", value as f32),
        (true, false) => go_exponent(&format!("{value:e}")),
        (true, true) => go_exponent(&format!("{:e}", value as f32)),
    };
    Some(text)
}

// Rust writes `1e21` / `1.5e-7`; Go's `strconv` writes `1e+21` / `1.5e-07`, and encoding/json
// then shortens a two-digit negative exponent with a leading zero (`e-07` -> `e-7`). So:
// positive exponents get a sign and at least two digits, negative ones stay as they are.
fn go_exponent(rust: &str) -> String {
    match rust.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => {
            if exp.len() < 2 {
                format!("{mantissa}e+0{exp}")
            } else {
                format!("{mantissa}e+{exp}")
            }
        }
        _ => rust.to_string(),
    }
}

impl<F: Formatter> GoFormatter<F> {
    fn write_escaped<W: ?Sized + Write>(&self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escape: &[u8] = match c {
                '<' if self.escape_html => b"\\u003c",
                '>' if self.escape_html => b"\\u003e",
                '&' if self.escape_html => b"\\u0026",
                // Go escapes these always: they end lines in JavaScript source.
                '\u{2028}' => b"\\u2028",
                '\u{2029}' => b"\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escape)?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

impl<F: Formatter> Formatter for GoFormatter<F> {
    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        match go_float(f64::from(value), true) {
            Some(s) => writer.write_all(s.as_bytes()),
            None => writer.write_all(b"null"),
        }
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        match go_float(value, false) {
            Some(s) => writer.write_all(s.as_bytes()),
            None => writer.write_all(b"null"),
        }
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.write_escaped(writer, fragment)
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        // Go 1.19 has short forms only for these five; \b and \f came in Go 1.22.
        let byte = match char_escape {
            CharEscape::Quote => return writer.write_all(b"\\\""),
            CharEscape::ReverseSolidus => return writer.write_all(b"\\\\"),
            CharEscape::LineFeed => return writer.write_all(b"\\n"),
            CharEscape::CarriageReturn => return writer.write_all(b"\\r"),
            CharEscape::Tab => return writer.write_all(b"\\t"),
            CharEscape::Solidus => return writer.write_all(b"/"),
            CharEscape::Backspace => 0x08,
            CharEscape::FormFeed => 0x0c,
            CharEscape::AsciiControl(b) => b,
        };
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let esc = [
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0x0f)],
        ];
        writer.write_all(&esc)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_value(writer)
    }
}
