//! containers/common `pkg/report` behaviour that skopeo applies to `--format` strings, and
//! the template functions that package registers.
//!
//! skopeo 1.9.3 uses only `NormalizeFormat` and `IsJSON` from it; its template has none of
//! the report functions (`{{json .}}` inside a larger format fails with `function "json" not
//! defined`). Later skopeo versions parse through report's formatter, which adds them; they
//! are available here behind an option.

use super::exec::V;
use super::funcs::{Param, string_of};
use super::value::Value;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// report's `NormalizeFormat`: a format starting with `table ` loses every `table `, and has
/// `\t` (backslash, t) and spaces turned into tabs and `\n` into newlines; any other format
/// only gets `\t` and `\n` replaced. A newline is appended unless the result ends with one.
///
/// The replacements scan left to right, trying the patterns in that order at each position,
/// like Go's `strings.NewReplacer`.
pub fn normalize_format(format: &str) -> String {
    let table = format.starts_with("table ");
    let mut out = String::with_capacity(format.len() + 1);
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if table && rest.starts_with("table ") {
            rest = &rest[6..];
        } else if rest.starts_with("\\t") {
            out.push('\t');
            rest = &rest[2..];
        } else if table && c == ' ' {
            out.push('\t');
            rest = &rest[1..];
        } else if rest.starts_with("\\n") {
            out.push('\n');
            rest = &rest[2..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// report's `IsJSON`: the format is `json` or `{{json .}}` (spaces allowed, the dot optional),
/// in which case skopeo prints the whole value as indented JSON instead of using a template.
pub fn is_json_format(format: &str) -> bool {
    // Go's regexp \s is [\t\n\f\r ].
    let ws = |c: char| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ');
    let s = format.trim_matches(ws);
    if s == "json" {
        return true;
    }
    let Some(inner) = s.strip_prefix("{{").and_then(|s| s.strip_suffix("}}")) else {
        return false;
    };
    let inner = inner.trim_matches(ws);
    let Some(after) = inner.strip_prefix("json") else {
        return false;
    };
    let after = after.trim_start_matches(ws);
    after.is_empty() || after == "."
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum ReportFunc {
    Join,
    Json,
    Lower,
    Pad,
    Split,
    Title,
    Truncate,
    Upper,
}

impl ReportFunc {
    pub fn lookup(name: &str) -> Option<ReportFunc> {
        Some(match name {
            "join" => ReportFunc::Join,
            "json" => ReportFunc::Json,
            "lower" => ReportFunc::Lower,
            "pad" => ReportFunc::Pad,
            "split" => ReportFunc::Split,
            "title" => ReportFunc::Title,
            "truncate" => ReportFunc::Truncate,
            "upper" => ReportFunc::Upper,
            _ => return None,
        })
    }

    pub fn params(self) -> &'static [Param] {
        use Param::*;
        match self {
            ReportFunc::Join => &[StrList, Str],
            ReportFunc::Json => &[Any],
            ReportFunc::Lower | ReportFunc::Title | ReportFunc::Upper => &[Str],
            ReportFunc::Pad => &[Str, Int, Int],
            ReportFunc::Split => &[Str, Str],
            ReportFunc::Truncate => &[Str, Int],
        }
    }

    pub fn call(self, args: Vec<V>) -> Result<V, String> {
        let s = |i: usize| {
            args.get(i)
                .cloned()
                .flatten()
                .map(|v| string_of(&v))
                .unwrap_or_default()
        };
        let n = |i: usize| match args.get(i).cloned().flatten().map(|v| v.untyped().clone()) {
            Some(Value::Int(i)) => i,
            _ => 0,
        };
        let out = match self {
            ReportFunc::Join => {
                let items: Vec<String> =
                    match args.first().cloned().flatten().map(|v| v.untyped().clone()) {
                        Some(Value::List(l)) => l.iter().map(string_of).collect(),
                        _ => Vec::new(),
                    };
                items.join(&s(1))
            }
            ReportFunc::Json => {
                let v = args.into_iter().next().flatten();
                crate::gojson::to_string_compact_unescaped(&JsonValue(v.as_ref()))
            }
            ReportFunc::Lower => map_chars(&s(0), |c| c.to_lowercase().collect()),
            ReportFunc::Upper => map_chars(&s(0), |c| c.to_uppercase().collect()),
            ReportFunc::Title => title(&s(0)),
            ReportFunc::Pad => {
                let (src, pre, post) = (s(0), n(1), n(2));
                if src.is_empty() {
                    src
                } else if pre < 0 || post < 0 {
                    return Err("strings: negative Repeat count".into());
                } else {
                    format!(
                        "{}{src}{}",
                        " ".repeat(pre as usize),
                        " ".repeat(post as usize)
                    )
                }
            }
            ReportFunc::Split => {
                let (src, sep) = (s(0), s(1));
                let parts: Vec<Value> = if sep.is_empty() {
                    src.chars().map(|c| Value::String(c.to_string())).collect()
                } else {
                    src.split(sep.as_str()).map(Value::from).collect()
                };
                return Ok(Some(Value::typed("[]string", Value::List(parts))));
            }
            ReportFunc::Truncate => {
                let (src, len) = (s(0), n(1));
                if len < 0 {
                    return Err(format!("runtime error: slice bounds out of range [:{len}]"));
                }
                let len = len as usize;
                if src.len() < len {
                    src
                } else {
                    // Go cuts bytes; a cut inside a character becomes U+FFFD here.
                    String::from_utf8_lossy(&src.as_bytes()[..len]).into_owned()
                }
            }
        };
        Ok(Some(Value::String(out)))
    }
}

/// Go maps each rune to one rune; Rust may expand (ß → SS), so keep those unchanged.
fn map_chars(s: &str, f: impl Fn(char) -> String) -> String {
    s.chars()
        .map(|c| {
            let m = f(c);
            if m.chars().count() == 1 {
                m
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Go's deprecated `strings.Title`: upper-cases the first letter of each word.
fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_sep(prev) {
                let up: String = c.to_uppercase().collect();
                if up.chars().count() == 1 {
                    up
                } else {
                    c.to_string()
                }
            } else {
                c.to_string()
            };
            prev = c;
            out
        })
        .collect()
}

/// Serialises a template value as Go's encoding/json would the Go value it models: maps
/// sorted, struct fields in order under their Go names (json tags are not modelled), times
/// as RFC 3339, nil as `null`.
struct JsonValue<'a>(Option<&'a Value>);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(v) = self.0 else {
            return s.serialize_unit();
        };
        match v.untyped() {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Uint(u) => s.serialize_u64(*u),
            Value::Float(f) => s.serialize_f64(*f),
            Value::String(x) => s.serialize_str(x),
            Value::Time(t) => s.serialize_str(&crate::gojson::go_time_rfc3339nano(t)),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for item in l {
                    seq.serialize_element(&JsonValue(Some(item)))?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, item) in m {
                    map.serialize_entry(k, &JsonValue(Some(item)))?;
                }
                map.end()
            }
            Value::Struct(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, item) in fields {
                    map.serialize_entry(k, &JsonValue(Some(item)))?;
                }
                map.end()
            }
            Value::Typed(..) => s.serialize_unit(),
        }
    }
}
