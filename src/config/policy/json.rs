//! Just enough of Go's `encoding/json` to parse `policy.json` the way c/image does, with the
//! same error texts.
//!
//! c/image first hands the whole file to `json.Unmarshal`, which validates the syntax of the
//! entire input (so syntax errors win over everything else), then walks objects token by token
//! ("paranoid" parsing: duplicate and unknown keys are errors) and decodes leaf values with Go's
//! reflection rules (`null` leaves strings alone, `[]byte` is base64, type mismatches produce
//! `json: cannot unmarshal X into Go value of type T`).
//!
//! Everything here works on byte slices of already validated input and never recurses, so
//! deeply nested input cannot exhaust the stack.

use std::collections::HashSet;

pub(super) use super::scan::check_valid;
use super::scan::is_space;
use crate::gotext::{decode_rune, go_float_v};

/// One complete JSON value from input that passed [`check_valid`], without surrounding space.
#[derive(Clone, Copy, Debug)]
pub(super) struct Raw<'a>(&'a [u8]);

/// What a raw value is, named as Go's `UnmarshalTypeError` names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    fn go_name(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::Null => "null",
        }
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

impl<'a> Raw<'a> {
    /// The top-level value of validated input.
    pub(super) fn top(data: &'a [u8]) -> Raw<'a> {
        let start = skip_space(data, 0);
        Raw(&data[start..value_end(data, start)])
    }

    pub(super) fn kind(self) -> Kind {
        match self.0.first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't') | Some(b'f') => Kind::Bool,
            Some(b'n') | None => Kind::Null,
            Some(_) => Kind::Number,
        }
    }

    #[cfg(test)]
    pub(super) fn bytes(self) -> &'a [u8] {
        self.0
    }

    /// Members of an object, in input order (duplicates kept).
    pub(super) fn members(self) -> Vec<(String, Raw<'a>)> {
        let d = self.0;
        let mut out = Vec::new();
        if self.kind() != Kind::Object {
            return out;
        }
        let mut i = skip_space(d, 1);
        while i < d.len() && d[i] == b'"' {
            let key_end = string_end(d, i);
            let key = unquote(&d[i..key_end]);
            i = skip_space(d, key_end);
            i = skip_space(d, i + 1); // ':'
            let end = value_end(d, i);
            out.push((key, Raw(&d[i.min(end)..end])));
            i = skip_space(d, end);
            if i < d.len() && d[i] == b',' {
                i = skip_space(d, i + 1);
            } else {
                break;
            }
        }
        out
    }

    /// Elements of an array, in order.
    pub(super) fn elements(self) -> Vec<Raw<'a>> {
        let d = self.0;
        let mut out = Vec::new();
        if self.kind() != Kind::Array {
            return out;
        }
        let mut i = skip_space(d, 1);
        while i < d.len() && d[i] != b']' {
            let end = value_end(d, i);
            out.push(Raw(&d[i..end]));
            i = skip_space(d, end);
            if i < d.len() && d[i] == b',' {
                i = skip_space(d, i + 1);
            } else {
                break;
            }
        }
        out
    }

    /// The decoded contents of a string value.
    pub(super) fn string(self) -> String {
        unquote(self.0)
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

/// `json: cannot unmarshal KIND into Go value of type TYPE`.
pub(super) fn type_error(value: &str, go_type: &str) -> String {
    format!("json: cannot unmarshal {value} into Go value of type {go_type}")
}

fn field_type_error(value: &str, go_struct: &str, field: &str, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {value} into Go struct field {go_struct}.{field} of type {go_type}"
    )
}

/// How `Decoder.Token` renders a non-object value in c/image's
/// `JSON object expected, got "%s"` (Go's `%s` of a `json.Token`).
fn token_for_message(raw: Raw) -> Result<String, String> {
    Ok(match raw.kind() {
        Kind::Array => "[".to_string(),
        Kind::String => raw.string(),
        Kind::Null => "%!s(<nil>)".to_string(),
        Kind::Bool => format!("%!s(bool={})", raw.0 == b"true"),
        Kind::Number => {
            let text = String::from_utf8_lossy(raw.0);
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => format!("%!s(float64={})", go_float_v(f)),
                _ => return Err(type_error(&format!("number {text}"), "float64")),
            }
        }
        Kind::Object => "{".to_string(),
    })
}

/// c/image's `ParanoidUnmarshalJSONObject`: `raw` must be an object; each key is offered to
/// `field` in input order after the duplicate check; `field` returns `None` for an unknown key,
/// otherwise the result of decoding the value.
pub(super) fn paranoid_object<'a, F>(raw: Raw<'a>, mut field: F) -> Result<(), String>
where
    F: FnMut(&str, Raw<'a>) -> Option<Result<(), String>>,
{
    if raw.kind() != Kind::Object {
        let token = token_for_message(raw)?;
        return Err(format!("JSON object expected, got \"{token}\""));
    }
    let mut seen: HashSet<String> = HashSet::new();
    for (key, value) in raw.members() {
        if !seen.insert(key.clone()) {
            return Err(format!("Duplicate key \"{key}\""));
        }
        match field(&key, value) {
            None => return Err(format!("Unknown key \"{key}\"")),
            Some(r) => r?,
        }
    }
    Ok(())
}

/// c/image's `ParanoidUnmarshalJSONObjectExactFields`: like [`paranoid_object`], but only
/// `fields` are accepted and all of them must be present. (Go reports the first missing field
/// in map iteration order, i.e. not deterministically; we report them in `fields` order, which
/// is what c/image does most of the time.)
pub(super) fn exact_fields<'a, F>(raw: Raw<'a>, fields: &[&str], mut field: F) -> Result<(), String>
where
    F: FnMut(&str, Raw<'a>) -> Result<(), String>,
{
    let mut seen: Vec<&str> = Vec::new();
    paranoid_object(raw, |key, value| {
        let known = fields.iter().find(|f| **f == key)?;
        seen.push(known);
        Some(field(key, value))
    })?;
    for f in fields {
        if !seen.contains(f) {
            return Err(format!("Key \"{f}\" missing in a JSON object"));
        }
    }
    Ok(())
}

/// Decoding into a Go `string`-kinded value (`go_type` names it in errors): `null` leaves the
/// destination unchanged (`None`).
pub(super) fn decode_string(raw: Raw, go_type: &str) -> Result<Option<String>, String> {
    match raw.kind() {
        Kind::String => Ok(Some(raw.string())),
        Kind::Null => Ok(None),
        k => Err(type_error(k.go_name(), go_type)),
    }
}

/// Decoding into a Go `[]string`: `null` gives a nil slice (`None`); `null` elements are "".
pub(super) fn decode_string_slice(raw: Raw) -> Result<Option<Vec<String>>, String> {
    match raw.kind() {
        Kind::Null => Ok(None),
        Kind::Array => {
            let mut first_err = None;
            let mut out = Vec::new();
            for e in raw.elements() {
                match e.kind() {
                    Kind::String => out.push(e.string()),
                    Kind::Null => out.push(String::new()),
                    k => {
                        first_err.get_or_insert_with(|| type_error(k.go_name(), "string"));
                        out.push(String::new());
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(Some(out)),
            }
        }
        k => Err(type_error(k.go_name(), "[]string")),
    }
}

/// Decoding into a Go `[]byte`: a base64 string (standard alphabet, padded), or an array of
/// numbers 0–255; `null` gives a nil slice (`None`).
pub(super) fn decode_bytes(raw: Raw) -> Result<Option<Vec<u8>>, String> {
    match raw.kind() {
        Kind::Null => Ok(None),
        Kind::String => base64_std_decode(raw.string().as_bytes())
            .map(Some)
            .map_err(|pos| format!("illegal base64 data at input byte {pos}")),
        Kind::Array => {
            let mut first_err = None;
            let mut out = Vec::new();
            for e in raw.elements() {
                let mut byte = 0u8;
                match e.kind() {
                    Kind::Null => {}
                    Kind::Number => {
                        let text = String::from_utf8_lossy(e.0);
                        match text.parse::<u8>() {
                            Ok(b) if text.bytes().all(|c| c.is_ascii_digit()) => byte = b,
                            _ => {
                                first_err.get_or_insert_with(|| {
                                    type_error(&format!("number {text}"), "uint8")
                                });
                            }
                        }
                    }
                    k => {
                        first_err.get_or_insert_with(|| type_error(k.go_name(), "uint8"));
                    }
                }
                out.push(byte);
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(Some(out)),
            }
        }
        k => Err(type_error(k.go_name(), "[]uint8")),
    }
}

/// Decoding into a Go `[]json.RawMessage`: `null` gives an empty list.
pub(super) fn decode_raw_list(raw: Raw) -> Result<Vec<Raw>, String> {
    match raw.kind() {
        Kind::Null => Ok(Vec::new()),
        Kind::Array => Ok(raw.elements()),
        k => Err(type_error(k.go_name(), "[]json.RawMessage")),
    }
}

/// Decoding into c/image's `prCommon`/`prmCommon` (a struct with one `type` string field, matched
/// case-insensitively as Go does, other keys ignored): returns the type ("" if absent).
pub(super) fn decode_type_field(
    raw: Raw,
    go_struct: &str,
    go_field_type: &str,
) -> Result<String, String> {
    match raw.kind() {
        Kind::Null => Ok(String::new()),
        Kind::Object => {
            let mut value = String::new();
            let mut first_err = None;
            for (key, v) in raw.members() {
                if !key.eq_ignore_ascii_case("type") {
                    continue;
                }
                match v.kind() {
                    Kind::String => value = v.string(),
                    Kind::Null => {}
                    k => {
                        first_err.get_or_insert_with(|| {
                            field_type_error(k.go_name(), go_struct, "type", go_field_type)
                        });
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(value),
            }
        }
        k => Err(type_error(k.go_name(), &format!("signature.{go_struct}"))),
    }
}

/// Go's `base64.StdEncoding.Decode` (CR and LF are ignored); the error is the offset Go reports
/// in `illegal base64 data at input byte N`.
fn base64_std_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    fn value(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    while si < src.len() {
        // One quantum of up to four symbols.
        let mut buf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing_err = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // Padding is mandatory for the standard encoding.
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = value(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let val = (u32::from(buf[0]) << 18)
            | (u32::from(buf[1]) << 12)
            | (u32::from(buf[2]) << 6)
            | u32::from(buf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(pos) = trailing_err {
            return Err(pos);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_go() {
        assert_eq!(base64_std_decode(b""), Ok(vec![]));
        assert_eq!(base64_std_decode(b"aGVsbG8="), Ok(b"hello".to_vec()));
        assert_eq!(base64_std_decode(b"aGVs\nbG8="), Ok(b"hello".to_vec()));
        assert_eq!(base64_std_decode(b"aGVsbA=="), Ok(b"hell".to_vec()));
        assert_eq!(base64_std_decode(b"abc"), Err(0));
        assert_eq!(base64_std_decode(b"ab=c"), Err(2));
        assert_eq!(base64_std_decode(b"a!=="), Err(1));
        assert_eq!(base64_std_decode(b"aGVsbG8"), Err(4));
        assert_eq!(base64_std_decode(b"aGVsbA="), Err(7));
        assert_eq!(base64_std_decode(b"aGVsbG8=x"), Err(8));
        assert_eq!(base64_std_decode(b"=abc"), Err(0));
    }

    #[test]
    fn unquote_matches_go() {
        assert_eq!(unquote(br#""a\u00e9\ud800x""#), "a\u{e9}\u{fffd}x");
        assert_eq!(unquote(br#""\ud83d\ude00""#), "\u{1f600}");
        assert_eq!(unquote(br#""\ud83dx\ude00""#), "\u{fffd}x\u{fffd}");
        assert_eq!(unquote(b"\"\xe2\x82x\""), "\u{fffd}\u{fffd}x");
        assert_eq!(unquote(br#""\"\\\/\b\f\n\r\t""#), "\"\\/\u{8}\u{c}\n\r\t");
    }

    #[test]
    fn members_and_elements() {
        let data = br#" { "a" : [1, "x" ,{"b":[]}] , "c":null } "#;
        check_valid(data).unwrap();
        let top = Raw::top(data);
        let m = top.members();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "a");
        let e = m[0].1.elements();
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].string(), "x");
        assert_eq!(e[2].bytes(), br#"{"b":[]}"#);
        assert_eq!(m[1].1.kind(), Kind::Null);
        let empty = b"[ ]";
        assert!(Raw::top(empty).elements().is_empty());
        assert!(Raw::top(b"{}").members().is_empty());
    }
}
