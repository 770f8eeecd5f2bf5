//! Go's handling of `json.RawMessage`: when a map of raw values is marshalled, the keys are
//! sorted and each value is compacted (whitespace outside strings removed) with `<`, `>`,
//! `&`, U+2028 and U+2029 escaped. Conversions that edit configs as raw maps (schema 1 →
//! schema 2, schema 2 → schema 1 history) need exactly those bytes.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use serde_json::value::RawValue;

/// Go's `json.Compact` with HTML escaping, as `json.Marshal` applies it to a `RawMessage`.
pub fn compact(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            match c {
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                _ => out.push(c),
            }
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                ' ' | '\t' | '\n' | '\r' => {}
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out
}

/// A JSON object read as Go reads it into `map[string]*json.RawMessage`: later duplicate keys
/// win, and the map is written back with sorted keys.
pub struct RawObject(pub BTreeMap<String, String>);

impl RawObject {
    pub fn parse(bytes: &[u8]) -> Result<RawObject> {
        // serde_json's RawValue keeps each value's text verbatim.
        let mut out = BTreeMap::new();
        for (k, v) in parse_raw_entries(bytes)? {
            out.insert(k, v.get().to_string());
        }
        Ok(RawObject(out))
    }

    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// Sets `key` to already-encoded JSON.
    pub fn set(&mut self, key: &str, encoded: Vec<u8>) {
        self.0.insert(
            key.to_string(),
            String::from_utf8_lossy(&encoded).into_owned(),
        );
    }

    /// What Go's `json.Marshal` of the map writes.
    pub fn marshal(&self) -> Vec<u8> {
        let mut out = String::from("{");
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&crate::gojson::to_string_compact(k));
            out.push(':');
            out.push_str(&compact(v));
        }
        out.push('}');
        out.into_bytes()
    }
}

fn parse_raw_entries(bytes: &[u8]) -> Result<Vec<(String, Box<RawValue>)>> {
    use serde::de::{Deserializer, MapAccess, Visitor};
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(String, Box<RawValue>)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut v = Vec::new();
            while let Some(e) = m.next_entry::<String, Box<RawValue>>()? {
                v.push(e);
            }
            Ok(v)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.deserialize_map(Entries).map_err(|e| anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_like_go() {
        assert_eq!(
            compact("{ \"a\" : [1, 2],\n \"b\": \"x y<&>\" }"),
            "{\"a\":[1,2],\"b\":\"x y\\u003c\\u0026\\u003e\"}"
        );
        assert_eq!(compact(r#""a\"b < c""#), r#""a\"b \u003c c""#);
        assert_eq!(compact("\"\u{2028}\""), "\"\\u2028\"");
    }

    #[test]
    fn raw_object_sorts_and_keeps_last_duplicate() {
        let mut o = RawObject::parse(br#"{"z": 1, "a": {"k": "v"}, "z": 2, "id": "x"}"#).unwrap();
        o.remove("id");
        o.set("rootfs", b"{\"type\":\"layers\"}".to_vec());
        assert_eq!(
            String::from_utf8(o.marshal()).unwrap(),
            r#"{"a":{"k":"v"},"rootfs":{"type":"layers"},"z":2}"#
        );
    }
}
