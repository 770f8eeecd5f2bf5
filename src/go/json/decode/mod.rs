//! Reading JSON the way Go's `encoding/json` reads it, with its error texts, for the modules
//! that report what c/image says about a document it decodes (`policy.json`, auth files,
//! credential helper output).
//!
//! Decoding takes the two steps `json.Unmarshal` takes. [`check_valid`] runs Go's scanner over
//! the whole input first, so syntax errors (`unexpected end of JSON input`, `invalid character
//! 'x' after top-level value`, `invalid character '[' exceeded max depth`) win over everything
//! else; then [`Raw`] walks the validated input and each caller applies the rules of its own Go
//! structures, naming mismatches with [`type_error`] and [`field_type_error`] (keeping the first
//! one, as Go's decoder does, with [`FirstError`]). Strings decode as Go decodes them (each
//! invalid UTF-8 byte and each unpaired surrogate escape becomes U+FFFD), object keys find their
//! struct fields with [`crate::gotext::go_field_named`], and `[]byte` values are base64
//! ([`base64_std_decode`]).
//!
//! Nothing here recurses, so deeply nested input cannot exhaust the stack.

mod scan;
#[cfg(test)]
mod tests;

use std::fmt;

pub(crate) use scan::check_valid;
use scan::is_space;

use crate::gotext::decode_rune;

/// One complete JSON value from input that passed [`check_valid`], without surrounding space.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw<'a>(&'a [u8]);

/// What a raw value is; `Display` names it as Go's `UnmarshalTypeError` does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::Null => "null",
        })
    }
}

fn skip_space(d: &[u8], mut i: usize) -> usize {
    while i < d.len() && is_space(d[i]) {
        i += 1;
    }
    i
}

/// End (exclusive) of the string literal starting at `d[start] == b'"'`.
fn string_end(d: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < d.len() {
        match d[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    d.len()
}

/// End (exclusive) of the value starting at `d[start]`.
fn value_end(d: &[u8], start: usize) -> usize {
    match d.get(start) {
        None => d.len(),
        Some(b'"') => string_end(d, start),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while i < d.len() {
                match d[i] {
                    b'"' => {
                        i = string_end(d, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            d.len()
        }
        Some(_) => {
            let mut i = start;
            while i < d.len() && !matches!(d[i], b',' | b'}' | b']' | b':') && !is_space(d[i]) {
                i += 1;
            }
            i
        }
    }
}

/// Walks the comma-separated items of the validated object or array `d`: `item` gets the index
/// where one starts and returns the index where it ends.
fn for_each_item(d: &[u8], mut item: impl FnMut(usize) -> usize) {
    let mut i = skip_space(d, 1);
    while i < d.len() && !matches!(d[i], b'}' | b']') {
        i = skip_space(d, item(i));
        if i < d.len() && d[i] == b',' {
            i = skip_space(d, i + 1);
        } else {
            break;
        }
    }
}

impl<'a> Raw<'a> {
    /// The top-level value of validated input.
    pub(crate) fn top(data: &'a [u8]) -> Raw<'a> {
        let start = skip_space(data, 0);
        Raw(&data[start..value_end(data, start)])
    }

    pub(crate) fn kind(self) -> Kind {
        match self.0.first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't') | Some(b'f') => Kind::Bool,
            Some(b'n') | None => Kind::Null,
            Some(_) => Kind::Number,
        }
    }

    /// The value's text as it stands in the input.
    pub(crate) fn text(self) -> &'a [u8] {
        self.0
    }

    /// Members of an object, in input order (duplicates kept).
    pub(crate) fn members(self) -> Vec<(String, Raw<'a>)> {
        let d = self.0;
        let mut out = Vec::new();
        if self.kind() == Kind::Object {
            for_each_item(d, |i| {
                let key_end = string_end(d, i);
                let key = unquote(&d[i..key_end]);
                let start = skip_space(d, skip_space(d, key_end) + 1); // after the ':'
                let end = value_end(d, start);
                out.push((key, Raw(&d[start.min(end)..end])));
                end
            });
        }
        out
    }

    /// Elements of an array, in order.
    pub(crate) fn elements(self) -> Vec<Raw<'a>> {
        let d = self.0;
        let mut out = Vec::new();
        if self.kind() == Kind::Array {
            for_each_item(d, |i| {
                let end = value_end(d, i);
                out.push(Raw(&d[i..end]));
                end
            });
        }
        out
    }

    /// The decoded contents of a string value.
    pub(crate) fn string(self) -> String {
        unquote(self.0)
    }

    /// Go's decoding into a `string`: the text of a JSON string, `None` for `null` (which
    /// leaves the destination as it was), or the kind of a value that does not fit.
    pub(crate) fn as_string(self) -> Result<Option<String>, Kind> {
        match self.kind() {
            Kind::String => Ok(Some(self.string())),
            Kind::Null => Ok(None),
            k => Err(k),
        }
    }
}

fn hex4(d: &[u8]) -> Option<u32> {
    let h = d.get(..4)?;
    let s = std::str::from_utf8(h).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Go's `unquote` for a validated string literal (including the quotes): invalid UTF-8 bytes
/// and unpaired surrogate escapes each become U+FFFD.
fn unquote(lit: &[u8]) -> String {
    let inner = lit.get(1..lit.len().saturating_sub(1)).unwrap_or_default();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        if c == b'\\' {
            let Some(&e) = inner.get(i + 1) else { break };
            i += 2;
            match e {
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let Some(r) = hex4(&inner[i..]) else { break };
                    i += 4;
                    if (0xd800..0xe000).contains(&r) {
                        // Try to pair it with a following \uXXXX low surrogate.
                        let pair = if inner[i..].starts_with(b"\\u") {
                            hex4(&inner[i + 2..])
                        } else {
                            None
                        };
                        match pair {
                            Some(r2)
                                if (0xd800..0xdc00).contains(&r)
                                    && (0xdc00..0xe000).contains(&r2) =>
                            {
                                let combined = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
                                out.push(char::from_u32(combined).unwrap_or('\u{fffd}'));
                                i += 6;
                            }
                            _ => out.push('\u{fffd}'),
                        }
                    } else {
                        out.push(char::from_u32(r).unwrap_or('\u{fffd}'));
                    }
                }
                other => out.push(char::from(other)),
            }
        } else if c < 0x80 {
            out.push(char::from(c));
            i += 1;
        } else {
            match decode_rune(&inner[i..]) {
                Some((ch, w)) => {
                    out.push(ch);
                    i += w;
                }
                None => {
                    out.push('\u{fffd}');
                    i += 1;
                }
            }
        }
    }
    out
}

/// `json: cannot unmarshal VALUE into Go value of type TYPE` (VALUE is a [`Kind`], or Go's
/// `number -1` for a number that does not fit).
pub(crate) fn type_error(value: impl fmt::Display, go_type: &str) -> String {
    format!("json: cannot unmarshal {value} into Go value of type {go_type}")
}

/// `json: cannot unmarshal VALUE into Go struct field FIELD of type TYPE`, where FIELD is what
/// Go 1.19 prints there: the struct's name, a dot, and the path of field names to the value.
pub(crate) fn field_type_error(value: impl fmt::Display, field: &str, go_type: &str) -> String {
    format!("json: cannot unmarshal {value} into Go struct field {field} of type {go_type}")
}

/// The first type mismatch of a decode: Go's decoder keeps it (`saveError`), fills in
/// everything else it can, and then returns it.
#[derive(Debug, Default)]
pub(crate) struct FirstError(Option<String>);

impl FirstError {
    /// Keeps a [`type_error`] unless an earlier error is kept.
    pub(crate) fn value(&mut self, value: impl fmt::Display, go_type: &str) {
        if self.0.is_none() {
            self.0 = Some(type_error(value, go_type));
        }
    }

    /// Keeps a [`field_type_error`] unless an earlier error is kept.
    pub(crate) fn field(&mut self, value: impl fmt::Display, field: &str, go_type: &str) {
        if self.0.is_none() {
            self.0 = Some(field_type_error(value, field, go_type));
        }
    }

    /// The decoded value, or the kept error.
    pub(crate) fn finish<T>(self, decoded: T) -> Result<T, String> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(decoded),
        }
    }
}

/// Go's `base64.CorruptInputError`: the offset of the first byte that is not valid input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CorruptInputError(pub(crate) usize);

impl fmt::Display for CorruptInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "illegal base64 data at input byte {}", self.0)
    }
}

impl From<CorruptInputError> for String {
    fn from(e: CorruptInputError) -> String {
        e.to_string()
    }
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go's `base64.StdEncoding.DecodeString`, which is also how its JSON decoder fills a
/// `[]byte`: the padded standard alphabet, with CR and LF ignored wherever they stand.
pub(crate) fn base64_std_decode(src: &[u8]) -> Result<Vec<u8>, CorruptInputError> {
    let bad = |at: usize| Err(CorruptInputError(at));
    let is_newline = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    while si < src.len() {
        // One quantum of up to four symbols.
        let mut quantum = [0u8; 4];
        let mut len = 4;
        let mut j = 0;
        let mut finished = false;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // Padding is mandatory for the standard encoding.
                return bad(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = base64_value(c) {
                quantum[j] = v;
                j += 1;
                continue;
            }
            if is_newline(c) {
                continue;
            }
            if c != b'=' {
                return bad(si - 1);
            }
            // Padding ends the data.
            match j {
                0 | 1 => return bad(si - 1),
                2 => {
                    while si < src.len() && is_newline(src[si]) {
                        si += 1;
                    }
                    if si == src.len() {
                        return bad(src.len());
                    }
                    if src[si] != b'=' {
                        return bad(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && is_newline(src[si]) {
                si += 1;
            }
            if si < src.len() {
                return bad(si);
            }
            len = j;
            finished = true;
            break;
        }
        let v = (u32::from(quantum[0]) << 18)
            | (u32::from(quantum[1]) << 12)
            | (u32::from(quantum[2]) << 6)
            | u32::from(quantum[3]);
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..len - 1]);
        if finished {
            break;
        }
    }
    Ok(out)
}
