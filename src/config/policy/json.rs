//! How c/image decodes `policy.json`, on top of the shared Go JSON reader
//! ([`crate::gojson::decode`]), with the same error texts.
//!
//! c/image first hands the whole file to `json.Unmarshal`, which validates the syntax of the
//! entire input (so syntax errors win over everything else), then walks objects token by token
//! ("paranoid" parsing: duplicate and unknown keys are errors) and decodes leaf values with Go's
//! reflection rules (`null` leaves strings alone, `[]byte` is base64, type mismatches produce
//! `json: cannot unmarshal X into Go value of type T`).

use std::collections::HashSet;

use crate::gojson::decode::{FirstError, Kind, base64_std_decode, type_error};
pub(crate) use crate::gojson::decode::{Raw, check_valid};
use crate::gotext::{go_field_named, go_float_v};

/// How `Decoder.Token` renders a non-object value in c/image's
/// `JSON object expected, got "%s"` (Go's `%s` of a `json.Token`).
fn token_for_message(raw: Raw) -> Result<String, String> {
    Ok(match raw.kind() {
        Kind::Array => "[".to_string(),
        Kind::String => raw.string(),
        Kind::Null => "%!s(<nil>)".to_string(),
        Kind::Bool => format!("%!s(bool={})", raw.text() == b"true"),
        Kind::Number => {
            let text = String::from_utf8_lossy(raw.text());
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => format!("%!s(float64={})", go_float_v(f)),
                _ => return Err(type_error(format!("number {text}"), "float64")),
            }
        }
        Kind::Object => "{".to_string(),
    })
}

/// c/image's `ParanoidUnmarshalJSONObject`: `raw` must be an object; each key is offered to
/// `field` in input order after the duplicate check; `field` returns `None` for an unknown key,
/// otherwise the result of decoding the value.
pub(crate) fn paranoid_object<'a, F>(raw: Raw<'a>, mut field: F) -> Result<(), String>
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
pub(crate) fn exact_fields<'a, F>(raw: Raw<'a>, fields: &[&str], mut field: F) -> Result<(), String>
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
pub(crate) fn decode_string(raw: Raw, go_type: &str) -> Result<Option<String>, String> {
    raw.as_string().map_err(|k| type_error(k, go_type))
}

/// Decoding into a Go `[]string`: `null` gives a nil slice (`None`); `null` elements are "".
pub(crate) fn decode_string_slice(raw: Raw) -> Result<Option<Vec<String>>, String> {
    match raw.kind() {
        Kind::Null => Ok(None),
        Kind::Array => {
            let mut errs = FirstError::default();
            let mut out = Vec::new();
            for e in raw.elements() {
                match e.as_string() {
                    Ok(s) => out.push(s.unwrap_or_default()),
                    Err(k) => {
                        errs.value(k, "string");
                        out.push(String::new());
                    }
                }
            }
            errs.finish(Some(out))
        }
        k => Err(type_error(k, "[]string")),
    }
}

/// Decoding into a Go `[][]byte`: an array of `[]byte` values; `null` gives `None`.
pub(crate) fn decode_bytes_slice(raw: Raw) -> Result<Option<Vec<Vec<u8>>>, String> {
    match raw.kind() {
        Kind::Null => Ok(None),
        Kind::Array => raw
            .elements()
            .into_iter()
            .map(|e| decode_bytes(e).map(Option::unwrap_or_default))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        k => Err(type_error(k, "[][]uint8")),
    }
}

/// Decoding into a Go `[]byte`: a base64 string (standard alphabet, padded), or an array of
/// numbers 0–255; `null` gives a nil slice (`None`).
pub(crate) fn decode_bytes(raw: Raw) -> Result<Option<Vec<u8>>, String> {
    match raw.kind() {
        Kind::Null => Ok(None),
        Kind::String => Ok(Some(base64_std_decode(raw.string().as_bytes())?)),
        Kind::Array => {
            let mut errs = FirstError::default();
            let mut out = Vec::new();
            for e in raw.elements() {
                let mut byte = 0u8;
                match e.kind() {
                    Kind::Null => {}
                    Kind::Number => {
                        let text = String::from_utf8_lossy(e.text());
                        match text.parse::<u8>() {
                            Ok(b) if text.bytes().all(|c| c.is_ascii_digit()) => byte = b,
                            _ => errs.value(format!("number {text}"), "uint8"),
                        }
                    }
                    k => errs.value(k, "uint8"),
                }
                out.push(byte);
            }
            errs.finish(Some(out))
        }
        k => Err(type_error(k, "[]uint8")),
    }
}

/// Decoding into a Go `[]json.RawMessage`: `null` gives an empty list.
pub(crate) fn decode_raw_list(raw: Raw) -> Result<Vec<Raw>, String> {
    match raw.kind() {
        Kind::Null => Ok(Vec::new()),
        Kind::Array => Ok(raw.elements()),
        k => Err(type_error(k, "[]json.RawMessage")),
    }
}

/// Decoding into c/image's `prCommon`/`prmCommon` (a struct with one `type` string field, matched
/// case-insensitively as Go does, other keys ignored): returns the type ("" if absent).
pub(crate) fn decode_type_field(
    raw: Raw,
    go_struct: &str,
    go_field_type: &str,
) -> Result<String, String> {
    match raw.kind() {
        Kind::Null => Ok(String::new()),
        Kind::Object => {
            let mut value = String::new();
            let mut errs = FirstError::default();
            for (key, v) in raw.members() {
                if go_field_named(&key, &["type"]).is_none() {
                    continue;
                }
                match v.as_string() {
                    Ok(Some(s)) => value = s,
                    Ok(None) => {}
                    Err(k) => errs.field(k, &format!("{go_struct}.type"), go_field_type),
                }
            }
            errs.finish(value)
        }
        k => Err(type_error(k, &format!("signature.{go_struct}"))),
    }
}
