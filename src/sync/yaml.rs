//! The YAML source file of `sync --src yaml`: per registry, `images` (repository → tags or
//! digests; none means every tag), `images-by-tag-regex`, `images-by-semver`,
//! `credentials` (`username`, `password`), `tls-verify` and `cert-dir`; and skiff's own
//! `referrers` (true: the registry's images are copied with their OCI 1.1 referrers).
//!
//! Decoded as skopeo's YAML library decodes it: unknown keys ignored, scalars read as their
//! text where a string is expected (`1.10` stays `1.10`), YAML 1.1 booleans (`yes`, `on`),
//! a repeated `images` key merged, entries kept in file order. Errors are worded as that
//! library words them (`yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `foo`
//! into bool`).

use std::fmt;

use anyhow::{Result, anyhow};
use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The whole file: registries in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceConfig {
    pub registries: Vec<(String, RegistryConfig)>,
}

/// One registry's entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryConfig {
    /// Repository → tags or digests (empty: every tag).
    pub images: Vec<(String, Vec<String>)>,
    /// Repository → regular expression the tags must match.
    pub images_by_tag_regex: Vec<(String, String)>,
    /// Repository → semantic version constraint the tags must satisfy.
    pub images_by_semver: Vec<(String, String)>,
    pub username: String,
    pub password: String,
    /// `None` when the file does not say.
    pub tls_verify: Option<bool>,
    pub cert_dir: String,
    /// `referrers: true` (not in skopeo): copy each image's referrers with it.
    pub referrers: bool,
}

/// Reads and decodes the file at `path`.
pub fn load(path: &str) -> Result<SourceConfig> {
    let text = std::fs::read(path)
        .map_err(|e| anyhow!(crate::gotext::go_path_error("open", path.as_ref(), &e)))?;
    let text = String::from_utf8_lossy(&text);
    parse(&text).map_err(|e| anyhow!("Failed to unmarshal {}: {e}", crate::gotext::go_quote(path)))
}

/// Decodes the file's text; the error is the YAML library's (`yaml: …`).
pub fn parse(text: &str) -> Result<SourceConfig, String> {
    // Syntax first, as Go's library reads the whole document before decoding it.
    if let Err(e) = serde_norway::from_str::<IgnoredAny>(text)
        && !e.to_string().starts_with("EOF while parsing")
    {
        return Err(go_yaml_error(&e));
    }
    let de = serde_norway::Deserializer::from_str(text);
    match de.deserialize_any(ConfigVisitor) {
        Ok(c) => Ok(c),
        // An empty document.
        Err(e) if e.to_string().starts_with("EOF while parsing") => Ok(SourceConfig::default()),
        Err(e) => Err(go_yaml_error(&e)),
    }
}

/// Inserts or replaces `key` (a map decoded into a Go map keeps one value per key).
fn upsert<V>(list: &mut Vec<(String, V)>, key: String, value: V) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => list.push((key, value)),
    }
}

/// A scalar read as its text (YAML's null spellings give the empty string).
struct GoString;

impl<'de> DeserializeSeed<'de> for GoString {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(GoStringVisitor)
    }
}

struct GoStringVisitor;

impl Visitor<'_> for GoStringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(match v {
            "~" | "null" | "Null" | "NULL" => String::new(),
            _ => v.to_string(),
        })
    }
}

/// `[]string`: a sequence of scalars; null is empty.
struct GoStrings;

impl<'de> DeserializeSeed<'de> for GoStrings {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GoStrings {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("[]string")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(GoString)? {
            out.push(s);
        }
        Ok(out)
    }
}

/// `map[string]V`, merged into `into` (a repeated key of the enclosing map adds entries).
struct GoMap<'a, V, S> {
    into: &'a mut Vec<(String, V)>,
    value: fn() -> S,
    name: &'static str,
}

impl<'de, V, S> DeserializeSeed<'de> for GoMap<'_, V, S>
where
    S: DeserializeSeed<'de, Value = V>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, V, S> Visitor<'de> for GoMap<'_, V, S>
where
    S: DeserializeSeed<'de, Value = V>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key_seed(GoString)? {
            let v = map.next_value_seed((self.value)())?;
            upsert(self.into, k, v);
        }
        Ok(())
    }
}

/// A string-valued map entry.
struct StringValue;

impl<'de> DeserializeSeed<'de> for StringValue {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        GoString.deserialize(d)
    }
}

/// A boolean, YAML 1.1 spellings included; null leaves it unset.
struct GoBool;

impl<'de> DeserializeSeed<'de> for GoBool {
    type Value = Option<bool>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<bool>, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for GoBool {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("bool")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<bool>, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<bool>, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<bool>, E> {
        match v {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Ok(Some(true)),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Ok(Some(false)),
            _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }
}

/// `credentials`: `username` and `password`.
struct Credentials<'a>(&'a mut RegistryConfig);

impl<'de> DeserializeSeed<'de> for Credentials<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Credentials<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("types.DockerAuthConfig")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key_seed(GoString)? {
            match k.as_str() {
                "username" => self.0.username = map.next_value_seed(GoString)?,
                "password" => self.0.password = map.next_value_seed(GoString)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// One registry's entry (null: an empty entry).
struct Registry;

impl<'de> DeserializeSeed<'de> for Registry {
    type Value = RegistryConfig;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RegistryConfig, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Registry {
    type Value = RegistryConfig;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("main.registrySyncConfig")
    }
    fn visit_unit<E: de::Error>(self) -> Result<RegistryConfig, E> {
        Ok(RegistryConfig::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RegistryConfig, A::Error> {
        let mut rc = RegistryConfig::default();
        while let Some(k) = map.next_key_seed(GoString)? {
            match k.as_str() {
                "images" => map.next_value_seed(GoMap {
                    into: &mut rc.images,
                    value: || GoStrings,
                    name: "map[string][]string",
                })?,
                "images-by-tag-regex" => map.next_value_seed(GoMap {
                    into: &mut rc.images_by_tag_regex,
                    value: || StringValue,
                    name: "map[string]string",
                })?,
                "images-by-semver" => map.next_value_seed(GoMap {
                    into: &mut rc.images_by_semver,
                    value: || StringValue,
                    name: "map[string]string",
                })?,
                "credentials" => map.next_value_seed(Credentials(&mut rc))?,
                "tls-verify" => {
                    if let Some(v) = map.next_value_seed(GoBool)? {
                        rc.tls_verify = Some(v);
                    }
                }
                "cert-dir" => rc.cert_dir = map.next_value_seed(GoString)?,
                "referrers" => rc.referrers = map.next_value_seed(GoBool)?.unwrap_or(false),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(rc)
    }
}

struct ConfigVisitor;

impl<'de> Visitor<'de> for ConfigVisitor {
    type Value = SourceConfig;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("main.sourceConfig")
    }
    fn visit_unit<E: de::Error>(self) -> Result<SourceConfig, E> {
        Ok(SourceConfig::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<SourceConfig, E> {
        Ok(SourceConfig::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SourceConfig, A::Error> {
        let mut cfg = SourceConfig::default();
        while let Some(k) = map.next_key_seed(GoString)? {
            let rc = map.next_value_seed(Registry)?;
            upsert(&mut cfg.registries, k, rc);
        }
        Ok(cfg)
    }
}

/// serde's "invalid type: string \"x\"" as the Go library's "!!str `x`".
fn go_tag_and_value(unexpected: &str) -> String {
    let quoted = |v: &str| {
        if v.chars().count() > 10 {
            let head: String = v.chars().take(7).collect();
            format!(" `{head}...`")
        } else {
            format!(" `{v}`")
        }
    };
    let between = |s: &str, a: char, b: char| {
        s.find(a)
            .and_then(|i| {
                s.rfind(b)
                    .filter(|j| *j > i)
                    .map(|j| s[i + 1..j].to_string())
            })
            .unwrap_or_default()
    };
    if let Some(rest) = unexpected.strip_prefix("string ") {
        let v: String = serde_json::from_str(rest).unwrap_or_else(|_| between(rest, '"', '"'));
        return format!("!!str{}", quoted(&v));
    }
    for (serde_name, tag) in [
        ("integer", "!!int"),
        ("floating point", "!!float"),
        ("boolean", "!!bool"),
    ] {
        if unexpected.starts_with(serde_name) {
            return format!("{tag}{}", quoted(&between(unexpected, '`', '`')));
        }
    }
    match unexpected {
        "map" => "!!map".into(),
        "sequence" => "!!seq".into(),
        "unit value" => "!!null".into(),
        other => other.to_string(),
    }
}

/// A serde_norway error in the words of Go's YAML library.
fn go_yaml_error(e: &serde_norway::Error) -> String {
    let text = e.to_string();
    let line = e.location().map(|l| l.line()).unwrap_or(0);
    let body = text
        .split_once(": invalid ")
        .map(|(_, rest)| format!("invalid {rest}"))
        .unwrap_or_else(|| text.clone());
    if let Some(rest) = body
        .strip_prefix("invalid type: ")
        .or_else(|| body.strip_prefix("invalid value: "))
        && let Some((unexpected, expected)) = rest.rsplit_once(", expected ")
    {
        let expected = expected
            .rsplit_once(" at line ")
            .map_or(expected, |(e, _)| e);
        return format!(
            "yaml: unmarshal errors:\n  line {line}: cannot unmarshal {} into {expected}",
            go_tag_and_value(unexpected)
        );
    }
    // A syntax error from the parser: Go's library names the line of the problem (0-based
    // for parser errors, 1-based for scanner errors), else that of its context.
    let debug = format!("{e:?}");
    if debug.contains("problem:") {
        let problem = between_quotes(&debug, "problem: ").unwrap_or_default();
        // The Debug rendering shows 1-based lines (`Mark { line: L, column: C }`), or only an
        // index when the mark is at line 0, column 0.
        let mark_line = |field: &str| -> usize {
            debug
                .split_once(field)
                .and_then(|(_, r)| r.split_once('}'))
                .and_then(|(mark, _)| mark.split_once("line: "))
                .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let problem_line = mark_line("problem_mark: ");
        let scanner = debug.contains("kind: SCANNER");
        let line = if problem_line > 1 {
            if scanner {
                problem_line
            } else {
                problem_line - 1
            }
        } else {
            mark_line("context_mark: ").saturating_sub(1)
        };
        return if line == 0 {
            format!("yaml: {problem}")
        } else {
            format!("yaml: line {line}: {problem}")
        };
    }
    format!("yaml: {text}")
}

/// The first `"…"` after `prefix` in a Debug rendering, unescaped.
fn between_quotes(s: &str, prefix: &str) -> Option<String> {
    let rest = s.split_once(prefix)?.1;
    let rest = rest.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return Some(out),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests;
