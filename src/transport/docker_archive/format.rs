//! The files of a `docker save`-formatted archive besides the blobs: `manifest.json` (one item
//! per image), the legacy per-layer metadata (`<id>/VERSION`, `<id>/json`, `<id>/layer.tar`)
//! and `repositories`, computed exactly as c/image computes them so that skiff's archives hold
//! the same bytes as skopeo's.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::reference::DockerReference;

pub const MANIFEST_FILE: &str = "manifest.json";
pub const REPOSITORIES_FILE: &str = "repositories";
pub const LEGACY_LAYER_FILE: &str = "layer.tar";
pub const LEGACY_CONFIG_FILE: &str = "json";
pub const LEGACY_VERSION_FILE: &str = "VERSION";

/// The largest `manifest.json` read (c/image's limit).
pub const MAX_MANIFEST_JSON: u64 = 1 << 20;
/// The largest config read.
pub const MAX_CONFIG: u64 = 4 << 20;

/// One element of `manifest.json`, with Go's field names and order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestItem {
    #[serde(rename = "Config", default)]
    pub config: String,
    #[serde(rename = "RepoTags", default, deserialize_with = "null_as_empty")]
    pub repo_tags: Vec<String>,
    #[serde(rename = "Layers", default, deserialize_with = "null_as_empty")]
    pub layers: Vec<String>,
    #[serde(
        rename = "Parent",
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub parent: String,
    #[serde(
        rename = "LayerSources",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub layer_sources: Option<serde_json::Value>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Parses `manifest.json` (`null` is an empty list, as for Go).
pub fn parse_manifest_json(bytes: &[u8]) -> Result<Vec<ManifestItem>> {
    let parsed: Option<Vec<ManifestItem>> = serde_json::from_slice(bytes)
        .map_err(|e| anyhow!("decoding tar manifest.json: {}", go_json_error(bytes, &e)))?;
    Ok(parsed.unwrap_or_default())
}

/// A JSON error in Go's words where the syntax is at fault, serde's otherwise.
pub fn go_json_error(bytes: &[u8], e: &serde_json::Error) -> String {
    match crate::gojson::decode::check_valid(bytes) {
        Err(go) => go.to_string(),
        Ok(()) => e.to_string(),
    }
}

/// Where c/image puts a config and a layer in the archives it writes.
pub fn config_path(digest: &Digest) -> String {
    format!("{}.json", digest.hex())
}

pub fn layer_path(digest: &Digest) -> String {
    format!("{}.tar", digest.hex())
}

/// Go's `json.Compact` with HTML escaping, as `json.Marshal` applies it to a
/// `json.RawMessage`: whitespace outside strings dropped, `<`, `>`, `&`, U+2028 and U+2029
/// escaped. The input must be valid JSON.
pub fn go_compact(raw: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if matches!(c, b'<' | b'>' | b'&') {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize]]);
            out.push(HEX[(c & 0xf) as usize]);
            escaped = false;
            i += 1;
            continue;
        }
        if c == 0xe2 && i + 2 < raw.len() && raw[i + 1] == 0x80 && raw[i + 2] & !1 == 0xa8 {
            out.extend_from_slice(b"\\u202");
            out.push(HEX[(raw[i + 2] & 0xf) as usize]);
            escaped = false;
            i += 3;
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            out.push(c);
        } else if c == b'"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// The legacy metadata of one image: a directory per layer (`<id>/json`, `<id>/VERSION`, and
/// `<id>/layer.tar` linking to the layer file), ids chained through `parent`.
pub struct LegacyLayer {
    pub id: String,
    pub layer: Digest,
    /// The `<id>/json` contents.
    pub json: Vec<u8>,
}

/// Computes the legacy layers of an image as c/image does: each layer's id is the digest of
/// a small JSON object naming its parent and chain ID (the top layer's also carries seven
/// fields of the image config); `config` is the image's config bytes.
pub fn legacy_layers(layers: &[Digest], config: &[u8]) -> Result<Vec<LegacyLayer>> {
    let mut out = Vec::with_capacity(layers.len());
    let mut chain: Option<Digest> = None;
    let mut parent: Option<String> = None;
    for (i, layer) in layers.iter().enumerate() {
        // Go marshals a map: keys sorted. Values are compacted JSON.
        let mut fields: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
        if let Some(p) = &parent {
            fields.insert("parent", json_string(p));
        }
        if i == layers.len() - 1 {
            let top = top_level_fields(config)?;
            for attr in [
                "architecture",
                "config",
                "container",
                "container_config",
                "created",
                "docker_version",
                "os",
            ] {
                let v = top.get(attr).map(|r| go_compact(r.get().as_bytes()));
                fields.insert(attr, v.unwrap_or_else(|| b"null".to_vec()));
            }
        }
        let chain_id = match &chain {
            None => layer.clone(),
            Some(c) => Digest::sha256_of(format!("{c} {layer}").as_bytes()),
        };
        fields.insert("layer_id", json_string(&chain_id.to_string()));
        let id = Digest::sha256_of(&object(&fields)).hex().to_string();
        fields.remove("layer_id");
        fields.insert("id", json_string(&id));
        out.push(LegacyLayer {
            id: id.clone(),
            layer: layer.clone(),
            json: object(&fields),
        });
        chain = Some(chain_id);
        parent = Some(id);
    }
    Ok(out)
}

/// The config's top-level members, raw; a later duplicate key wins, as in Go.
fn top_level_fields(config: &[u8]) -> Result<BTreeMap<String, Box<serde_json::value::RawValue>>> {
    serde_json::from_slice(config)
        .map_err(|e| anyhow!("{}", go_json_error(config, &e)))
        .context("unmarshaling config")
}

fn json_string(s: &str) -> Vec<u8> {
    crate::gojson::to_vec_compact(s)
}

fn object(fields: &BTreeMap<&str, Vec<u8>>) -> Vec<u8> {
    let mut out = vec![b'{'];
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&json_string(k));
        out.push(b':');
        out.extend_from_slice(v);
    }
    out.push(b'}');
    out
}

/// The tags recorded for an image: `name:tag` with the full (domain-qualified) name.
pub fn repo_tag(r: &DockerReference) -> String {
    format!("{}:{}", r.name(), r.tag().unwrap_or("latest"))
}

/// The archive-wide records kept while images are added, written out at the end.
#[derive(Default)]
pub struct ArchiveIndex {
    pub items: Vec<ManifestItem>,
    by_config: BTreeMap<String, usize>,
    /// name → tag → top legacy layer id.
    pub repositories: BTreeMap<String, BTreeMap<String, String>>,
}

impl ArchiveIndex {
    /// Records an image (or more tags for one already recorded).
    pub fn add_image(
        &mut self,
        config: &Digest,
        layers: &[Digest],
        top_legacy_id: Option<&str>,
        tags: &[DockerReference],
    ) -> Result<()> {
        let item = ManifestItem {
            config: config_path(config),
            repo_tags: Vec::new(),
            layers: layers.iter().map(layer_path).collect(),
            ..Default::default()
        };
        let i = match self.by_config.get(&item.config) {
            Some(&i) => {
                let known = &self.items[i];
                if known.layers != item.layers {
                    return Err(anyhow!(
                        "Internal error: Trying to reuse ManifestItem values with layers {:?} vs. {:?}",
                        known.layers,
                        item.layers
                    ));
                }
                i
            }
            None => {
                self.by_config.insert(item.config.clone(), self.items.len());
                self.items.push(item);
                self.items.len() - 1
            }
        };
        for t in tags {
            let s = repo_tag(t);
            if !self.items[i].repo_tags.contains(&s) {
                self.items[i].repo_tags.push(s);
            }
            if let Some(id) = top_legacy_id {
                self.repositories
                    .entry(t.name())
                    .or_default()
                    .insert(t.tag().unwrap_or("latest").to_string(), id.to_string());
            }
        }
        Ok(())
    }

    pub fn manifest_json(&self) -> Vec<u8> {
        if self.items.is_empty() {
            return b"null".to_vec();
        }
        crate::gojson::to_vec_compact(&self.items)
    }

    pub fn repositories_json(&self) -> Vec<u8> {
        crate::gojson::to_vec_compact(&self.repositories)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(hex_char: char) -> Digest {
        format!("sha256:{}", hex_char.to_string().repeat(64))
            .parse()
            .unwrap()
    }

    #[test]
    fn compaction_is_gos() {
        assert_eq!(
            go_compact(b"{ \"a\" : [1, 2.50 ,\"x y\\\" <&>\"] ,\n\"b\":null}"),
            b"{\"a\":[1,2.50,\"x y\\\" \\u003c\\u0026\\u003e\"],\"b\":null}".to_vec()
        );
        assert_eq!(
            go_compact("\"\u{2028}\"".as_bytes()),
            b"\"\\u2028\"".to_vec()
        );
    }

    #[test]
    fn legacy_ids_match_skopeo() {
        // skopeo 1.9.3 copying examples/hello to a docker-archive wrote this id and json.
        let config = br#"{"created":"2023-11-14T22:13:20Z","architecture":"amd64","os":"linux","config":{"Env":["GREETING=hello"],"Cmd":["/hello.txt"],"Labels":{"io.buildah.version":"1.28.2","org.opencontainers.image.description":"skiff's bundled example","org.opencontainers.image.title":"hello"}},"rootfs":{"type":"layers","diff_ids":["sha256:71960cc8d207641a6fe327df9c3376ad5edcddacf6cf97e8f959f3301b59bbb4"]},"history":[{"created":"2023-11-14T22:13:20Z","created_by":"/bin/sh"}]}"#;
        let layer: Digest =
            "sha256:71960cc8d207641a6fe327df9c3376ad5edcddacf6cf97e8f959f3301b59bbb4"
                .parse()
                .unwrap();
        let l = legacy_layers(&[layer], config).unwrap();
        assert_eq!(
            l[0].id,
            "e4c92f336fa3f48ba1202ca5be970f252891648b72c86c1ac659d487578d2bc2"
        );
        assert_eq!(
            String::from_utf8(l[0].json.clone()).unwrap(),
            r#"{"architecture":"amd64","config":{"Env":["GREETING=hello"],"Cmd":["/hello.txt"],"Labels":{"io.buildah.version":"1.28.2","org.opencontainers.image.description":"skiff's bundled example","org.opencontainers.image.title":"hello"}},"container":null,"container_config":null,"created":"2023-11-14T22:13:20Z","docker_version":null,"id":"e4c92f336fa3f48ba1202ca5be970f252891648b72c86c1ac659d487578d2bc2","os":"linux"}"#
        );
    }

    #[test]
    fn lower_layers_name_their_parent() {
        let l = legacy_layers(&[d('a'), d('b')], br#"{"os":"linux"}"#).unwrap();
        let low = String::from_utf8(l[0].json.clone()).unwrap();
        assert_eq!(low, format!("{{\"id\":\"{}\"}}", l[0].id));
        let top = String::from_utf8(l[1].json.clone()).unwrap();
        assert!(
            top.contains(&format!("\"parent\":\"{}\"", l[0].id)),
            "{top}"
        );
    }

    #[test]
    fn index_records_tags_once() {
        let mut idx = ArchiveIndex::default();
        let r = DockerReference::parse_normalized_named("foo:bar").unwrap();
        idx.add_image(&d('c'), &[d('a')], Some("id1"), &[r.clone(), r])
            .unwrap();
        assert_eq!(
            String::from_utf8(idx.manifest_json()).unwrap(),
            format!(
                "[{{\"Config\":\"{}.json\",\"RepoTags\":[\"docker.io/library/foo:bar\"],\"Layers\":[\"{}.tar\"]}}]",
                "c".repeat(64),
                "a".repeat(64)
            )
        );
        assert_eq!(
            String::from_utf8(idx.repositories_json()).unwrap(),
            "{\"docker.io/library/foo\":{\"bar\":\"id1\"}}"
        );
        assert_eq!(ArchiveIndex::default().manifest_json(), b"null");
        assert_eq!(ArchiveIndex::default().repositories_json(), b"{}");
    }
}
