//! Go `encoding/json` compatible output.
//!
//! skopeo prints its JSON with Go's `json.MarshalIndent(v, "", "    ")` and writes manifests with
//! `json.Marshal`; skiff must produce the same bytes. serde_json does the structure, and
//! [`GoFormatter`] changes the parts where Go differs from serde_json's defaults: string
//! escaping (HTML characters, U+2028/U+2029, `\u00XX` for control characters as Go 1.19 does)
//! and float formatting.
//!
//! Field and entry order is the order in which the value serialises itself: Go writes struct
//! fields in declaration order and map entries sorted by key, so model Go maps as `BTreeMap`
//! (byte-wise key order, the same as Go's sort) and Go structs as Rust structs.
//!
//! Go times are handled by [`go_time_rfc3339nano`], [`parse_go_time`] and [`go_time_string`].
//!
//! Reading JSON as Go's decoder reads it, with its error texts, is the `decode` module.

pub(crate) mod decode;
mod format;
mod time;

#[cfg(test)]
mod tests;

pub use format::{GoFormatter, go_float};
pub use time::{go_time, go_time_option, go_time_rfc3339nano, go_time_string, parse_go_time};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, PrettyFormatter, Serializer};

/// What Go's `json.MarshalIndent(v, "", "    ")` prints, without a trailing newline.
///
/// A value that cannot be serialised (a failing `Serialize` impl, a map with non-string keys)
/// yields `null`; use [`try_to_string_pretty`] to see the error.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> String {
    try_to_string_pretty(value).unwrap_or_else(|_| "null".to_string())
}

/// What Go's `json.Marshal` prints (HTML characters escaped). Errors yield `null`.
pub fn to_string_compact<T: Serialize + ?Sized>(value: &T) -> String {
    bytes_to_string(to_vec_compact(value))
}

/// [`to_string_compact`] as bytes, for writing manifests and `index.json` exactly as Go does.
pub fn to_vec_compact<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    try_to_vec(value, GoFormatter::new(CompactFormatter)).unwrap_or_else(|_| b"null".to_vec())
}

/// Go's `json.Encoder` with `SetEscapeHTML(false)`, trailing newline removed: what the
/// containers/common report template function `json` prints. `<`, `>` and `&` stay literal;
/// U+2028 and U+2029 are still escaped, as Go always does. Errors yield `null`.
pub fn to_string_compact_unescaped<T: Serialize + ?Sized>(value: &T) -> String {
    let out = try_to_vec(value, GoFormatter::without_html_escaping(CompactFormatter));
    bytes_to_string(out.unwrap_or_else(|_| b"null".to_vec()))
}

/// [`to_string_pretty`], reporting serialisation errors.
pub fn try_to_string_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let fmt = GoFormatter::new(PrettyFormatter::with_indent(b"    "));
    try_to_vec(value, fmt).map(bytes_to_string)
}

/// [`to_vec_compact`], reporting serialisation errors.
pub fn try_to_vec_compact<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    try_to_vec(value, GoFormatter::new(CompactFormatter))
}

fn try_to_vec<T, F>(value: &T, formatter: GoFormatter<F>) -> Result<Vec<u8>, serde_json::Error>
where
    T: Serialize + ?Sized,
    F: serde_json::ser::Formatter,
{
    let mut out = Vec::with_capacity(128);
    let mut ser = Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

// The formatter only ever writes valid UTF-8 (it copies `&str` fragments and ASCII), so the
// lossy conversion never replaces anything; it just avoids an `unwrap`.
fn bytes_to_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
