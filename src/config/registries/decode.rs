//! Decoding registries.conf TOML the way c/image's Go decoder does: keys match fields exactly
//! or case-insensitively, unknown keys are ignored, and a value of the wrong type fails with the
//! decoder's message (`toml: line 3 (last key "registry.insecure"): incompatible types: TOML
//! value has type string; destination has type boolean`).

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::gotext::go_field_named;
use crate::reference::goutil::go_quote;

/// One endpoint: a registry's own location or one of its mirrors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RawEndpoint {
    pub location: String,
    pub insecure: bool,
    pub pull_from_mirror: String,
}

/// One `[[registry]]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RawRegistry {
    pub prefix: String,
    pub endpoint: RawEndpoint,
    pub mirrors: Vec<RawEndpoint>,
    pub blocked: bool,
    pub mirror_by_digest_only: bool,
}

/// Everything one file sets. `None` is "not present", which matters when drop-ins are merged
/// (a present empty list replaces, an absent one does not).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RawFile {
    pub registries: Option<Vec<RawRegistry>>,
    pub unqualified_search_registries: Option<Vec<String>>,
    pub credential_helpers: Option<Vec<String>>,
    pub short_name_mode: String,
    pub aliases: Option<Vec<(String, String)>>,
    pub v1_search: Option<Vec<String>>,
    pub v1_insecure: Option<Vec<String>>,
    pub v1_block: Option<Vec<String>>,
}

fn non_empty<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_some_and(|v| !v.is_empty())
}

impl RawFile {
    /// Whether the file uses the version 1 tables (`[registries.search]` …).
    pub fn v1_nonempty(&self) -> bool {
        non_empty(&self.v1_search) || non_empty(&self.v1_insecure) || non_empty(&self.v1_block)
    }

    /// Whether the file sets anything of the version 2 format.
    pub fn v2_nonempty(&self) -> bool {
        non_empty(&self.registries)
            || non_empty(&self.unqualified_search_registries)
            || non_empty(&self.credential_helpers)
            || !self.short_name_mode.is_empty()
            || non_empty(&self.aliases)
    }
}

/// Parses and decodes one file's text. Errors are the decoder's one-line messages.
pub(super) fn decode(text: &str) -> Result<RawFile, String> {
    let root = DeTable::parse(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        let msg = e.message().trim().replace('\n', " ");
        format!("toml: line {line}: {msg}")
    })?;
    let d = Decoder { text };
    d.file(root.get_ref())
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The Go type name the decoder uses for a TOML value in its messages.
fn go_type(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "string",
        DeValue::Integer(_) => "int64",
        DeValue::Float(_) => "float64",
        DeValue::Boolean(_) => "bool",
        DeValue::Datetime(_) => "time.Time",
        DeValue::Array(a) => {
            if !a.is_empty() && a.iter().all(|v| matches!(v.get_ref(), DeValue::Table(_))) {
                "[]map[string]interface {}"
            } else {
                "[]interface {}"
            }
        }
        DeValue::Table(_) => "map[string]interface {}",
    }
}

type Value<'a, 'i> = &'a Spanned<DeValue<'i>>;

struct Decoder<'t> {
    text: &'t str,
}

impl Decoder<'_> {
    fn err(&self, v: Value<'_, '_>, path: &str, msg: String) -> String {
        let line = line_of(self.text, v.span().start);
        format!("toml: line {line} (last key {}): {msg}", go_quote(path))
    }

    fn incompatible(&self, v: Value<'_, '_>, path: &str, dest: &str) -> String {
        let msg = format!(
            "incompatible types: TOML value has type {}; destination has type {dest}",
            go_type(v.get_ref())
        );
        self.err(v, path, msg)
    }

    fn string(&self, v: Value<'_, '_>, path: &str) -> Result<String, String> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            _ => Err(self.incompatible(v, path, "string")),
        }
    }

    fn boolean(&self, v: Value<'_, '_>, path: &str) -> Result<bool, String> {
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            _ => Err(self.incompatible(v, path, "boolean")),
        }
    }

    fn strings(&self, v: Value<'_, '_>, path: &str) -> Result<Vec<String>, String> {
        match v.get_ref() {
            DeValue::Array(items) => items.iter().map(|i| self.string(i, path)).collect(),
            _ => Err(self.incompatible(v, path, "slice")),
        }
    }

    /// A value that must be a table decoding into the Go struct `go_struct`.
    fn table<'a, 'i>(
        &self,
        v: &'a Spanned<DeValue<'i>>,
        path: &str,
        go_struct: &str,
    ) -> Result<&'a DeTable<'i>, String> {
        match v.get_ref() {
            DeValue::Table(t) => Ok(t),
            other => Err(self.err(
                v,
                path,
                format!(
                    "type mismatch for {go_struct}: expected table but found {}",
                    go_type(other)
                ),
            )),
        }
    }

    /// A value that must be an array of tables decoding into `[]go_struct`.
    fn tables<'a, 'i>(
        &self,
        v: &'a Spanned<DeValue<'i>>,
        path: &str,
        go_struct: &str,
    ) -> Result<Vec<&'a DeTable<'i>>, String> {
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .map(|i| self.table(i, path, go_struct))
                .collect(),
            _ => Err(self.incompatible(v, path, "slice")),
        }
    }

    fn file(&self, root: &DeTable<'_>) -> Result<RawFile, String> {
        const FIELDS: &[&str] = &[
            "registry",
            "unqualified-search-registries",
            "credential-helpers",
            "short-name-mode",
            "aliases",
            "registries",
        ];
        let mut out = RawFile::default();
        for (key, value) in root.iter() {
            let Some(name) = go_field_named(key.get_ref(), FIELDS) else {
                continue;
            };
            let path = name;
            match name {
                "registry" => {
                    let mut regs = Vec::new();
                    for t in self.tables(value, path, "sysregistriesv2.Registry")? {
                        regs.push(self.registry(t)?);
                    }
                    out.registries = Some(regs);
                }
                "unqualified-search-registries" => {
                    out.unqualified_search_registries = Some(self.strings(value, path)?)
                }
                "credential-helpers" => out.credential_helpers = Some(self.strings(value, path)?),
                "short-name-mode" => out.short_name_mode = self.string(value, path)?,
                "aliases" => {
                    // The Go decoder silently ignores an `aliases` that is not a table.
                    if let DeValue::Table(t) = value.get_ref() {
                        let mut aliases = Vec::new();
                        for (k, v) in t.iter() {
                            let p = format!("aliases.{}", k.get_ref());
                            aliases.push((k.get_ref().to_string(), self.string(v, &p)?));
                        }
                        out.aliases = Some(aliases);
                    }
                }
                _ => self.v1(value, &mut out)?,
            }
        }
        Ok(out)
    }

    fn v1(&self, value: Value<'_, '_>, out: &mut RawFile) -> Result<(), String> {
        let t = self.table(value, "registries", "sysregistriesv2.V1TOMLConfig")?;
        for (key, value) in t.iter() {
            let Some(name) = go_field_named(key.get_ref(), &["search", "insecure", "block"]) else {
                continue;
            };
            let path = format!("registries.{name}");
            let inner = self.table(value, &path, "sysregistriesv2.V1TOMLregistries")?;
            let mut list = None;
            for (k, v) in inner.iter() {
                if go_field_named(k.get_ref(), &["registries"]).is_some() {
                    list = Some(self.strings(v, &format!("{path}.registries"))?);
                }
            }
            let slot = match name {
                "search" => &mut out.v1_search,
                "insecure" => &mut out.v1_insecure,
                _ => &mut out.v1_block,
            };
            if list.is_some() {
                *slot = list;
            }
        }
        Ok(())
    }

    fn endpoint_field(
        &self,
        name: &str,
        value: Value<'_, '_>,
        path: &str,
        ep: &mut RawEndpoint,
    ) -> Result<(), String> {
        match name {
            "location" => ep.location = self.string(value, path)?,
            "insecure" => ep.insecure = self.boolean(value, path)?,
            _ => ep.pull_from_mirror = self.string(value, path)?,
        }
        Ok(())
    }

    fn registry(&self, t: &DeTable<'_>) -> Result<RawRegistry, String> {
        const FIELDS: &[&str] = &[
            "prefix",
            "location",
            "insecure",
            "pull-from-mirror",
            "mirror",
            "blocked",
            "mirror-by-digest-only",
        ];
        let mut reg = RawRegistry::default();
        for (key, value) in t.iter() {
            let Some(name) = go_field_named(key.get_ref(), FIELDS) else {
                continue;
            };
            let path = format!("registry.{name}");
            match name {
                "prefix" => reg.prefix = self.string(value, &path)?,
                "mirror" => {
                    let mut mirrors = Vec::new();
                    for m in self.tables(value, &path, "sysregistriesv2.Endpoint")? {
                        mirrors.push(self.mirror(m)?);
                    }
                    reg.mirrors = mirrors;
                }
                "blocked" => reg.blocked = self.boolean(value, &path)?,
                "mirror-by-digest-only" => {
                    reg.mirror_by_digest_only = self.boolean(value, &path)?
                }
                _ => self.endpoint_field(name, value, &path, &mut reg.endpoint)?,
            }
        }
        Ok(reg)
    }

    fn mirror(&self, t: &DeTable<'_>) -> Result<RawEndpoint, String> {
        let mut ep = RawEndpoint::default();
        for (key, value) in t.iter() {
            let fields = &["location", "insecure", "pull-from-mirror"];
            let Some(name) = go_field_named(key.get_ref(), fields) else {
                continue;
            };
            let path = format!("registry.mirror.{name}");
            self.endpoint_field(name, value, &path, &mut ep)?;
        }
        Ok(ep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_table() {
        let f = decode(
            r#"
unqualified-search-registries = ["a.com", "b.com"]
credential-helpers = ["pass"]
short-name-mode = "enforcing"
[aliases]
"x" = "a.com/x"
[[registry]]
prefix = "p.com/ns"
location = "l.com/other"
insecure = true
blocked = false
mirror-by-digest-only = true
[[registry.mirror]]
location = "m.com"
insecure = true
pull-from-mirror = "tag-only"
"#,
        )
        .unwrap();
        assert_eq!(
            f.unqualified_search_registries.as_deref(),
            Some(&["a.com".to_string(), "b.com".to_string()][..])
        );
        assert_eq!(f.credential_helpers, Some(vec!["pass".to_string()]));
        assert_eq!(f.short_name_mode, "enforcing");
        assert_eq!(f.aliases, Some(vec![("x".into(), "a.com/x".into())]));
        let r = &f.registries.as_ref().unwrap()[0];
        assert_eq!(r.prefix, "p.com/ns");
        assert_eq!(r.endpoint.location, "l.com/other");
        assert!(r.endpoint.insecure && !r.blocked && r.mirror_by_digest_only);
        assert_eq!(
            r.mirrors,
            vec![RawEndpoint {
                location: "m.com".into(),
                insecure: true,
                pull_from_mirror: "tag-only".into()
            }]
        );
        assert!(f.v2_nonempty() && !f.v1_nonempty());
    }

    #[test]
    fn keys_match_case_insensitively_and_unknown_keys_are_ignored() {
        let f = decode("Unqualified-Search-Registries = [\"a.com\"]\nfoo = 1\n[[Registry]]\nLocation = \"x.com\"\nBLOCKED = true\nbar = \"y\"\n").unwrap();
        assert_eq!(f.unqualified_search_registries, Some(vec!["a.com".into()]));
        let r = &f.registries.unwrap()[0];
        assert_eq!(r.endpoint.location, "x.com");
        assert!(r.blocked);
    }

    #[test]
    fn v1_tables() {
        let f = decode("[registries.search]\nregistries = [\"a.com\"]\n[registries.block]\nregistries = [\"b.com\"]\n").unwrap();
        assert!(f.v1_nonempty() && !f.v2_nonempty());
        assert_eq!(f.v1_search, Some(vec!["a.com".into()]));
        assert_eq!(f.v1_block, Some(vec!["b.com".into()]));
        let empty = decode("[registries.search]\nregistries = []\n").unwrap();
        assert!(!empty.v1_nonempty());
    }

    #[test]
    fn type_errors_use_the_go_decoder_wording() {
        let cases = [
            (
                "[[registry]]\nlocation = \"a\"\ninsecure = \"yes\"",
                "toml: line 3 (last key \"registry.insecure\"): incompatible types: TOML value has type string; destination has type boolean",
            ),
            (
                "[[registry]]\nlocation = 5",
                "toml: line 2 (last key \"registry.location\"): incompatible types: TOML value has type int64; destination has type string",
            ),
            (
                "[[registry]]\nlocation = \"a\"\nmirror = \"x\"",
                "toml: line 3 (last key \"registry.mirror\"): incompatible types: TOML value has type string; destination has type slice",
            ),
            (
                "unqualified-search-registries = [1]",
                "toml: line 1 (last key \"unqualified-search-registries\"): incompatible types: TOML value has type int64; destination has type string",
            ),
            (
                "[registry]\nlocation = \"a\"",
                "toml: line 1 (last key \"registry\"): incompatible types: TOML value has type map[string]interface {}; destination has type slice",
            ),
            (
                "registry = [\"x\"]",
                "toml: line 1 (last key \"registry\"): type mismatch for sysregistriesv2.Registry: expected table but found string",
            ),
            (
                "registry = [{location=\"a\", mirror=[1]}]",
                "toml: line 1 (last key \"registry.mirror\"): type mismatch for sysregistriesv2.Endpoint: expected table but found int64",
            ),
            (
                "registry = [{location=1.5}]",
                "toml: line 1 (last key \"registry.location\"): incompatible types: TOML value has type float64; destination has type string",
            ),
            (
                "registry = [{location=[]}]",
                "toml: line 1 (last key \"registry.location\"): incompatible types: TOML value has type []interface {}; destination has type string",
            ),
            (
                "registry = [{location=1979-05-27T07:32:00Z}]",
                "toml: line 1 (last key \"registry.location\"): incompatible types: TOML value has type time.Time; destination has type string",
            ),
            (
                "registries = 5",
                "toml: line 1 (last key \"registries\"): type mismatch for sysregistriesv2.V1TOMLConfig: expected table but found int64",
            ),
            (
                "[registries]\nsearch = 5",
                "toml: line 2 (last key \"registries.search\"): type mismatch for sysregistriesv2.V1TOMLregistries: expected table but found int64",
            ),
            (
                "[registries.search]\nregistries = \"a\"",
                "toml: line 2 (last key \"registries.search.registries\"): incompatible types: TOML value has type string; destination has type slice",
            ),
            (
                "[aliases]\na = [1]",
                "toml: line 2 (last key \"aliases.a\"): incompatible types: TOML value has type []interface {}; destination has type string",
            ),
            (
                "short-name-mode = 1",
                "toml: line 1 (last key \"short-name-mode\"): incompatible types: TOML value has type int64; destination has type string",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(decode(text).unwrap_err(), want, "for {text:?}");
        }
    }

    #[test]
    fn a_non_table_aliases_is_ignored_as_go_does() {
        assert_eq!(decode("aliases = 5").unwrap().aliases, None);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = decode("a = 1\nx = [").unwrap_err();
        assert!(err.starts_with("toml: line 2"), "{err}");
        assert!(!err.contains('\n'));
    }
}
