//! Docker image manifest v2 schema 1 (signed and unsigned): parsing, validation, and the JWS
//! payload whose hash is the manifest digest.

use anyhow::{Result, anyhow, bail};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{from_json, null_default, validate_unambiguous};
use crate::digest::Digest;
use crate::types::BlobInfo;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FsLayer {
    #[serde(rename = "blobSum")]
    pub blob_sum: Digest,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct History {
    #[serde(rename = "v1Compatibility", default, deserialize_with = "null_default")]
    pub v1_compatibility: String,
}

/// The parts of a history entry's `v1Compatibility` JSON that the layer chain and the
/// conversion to schema 2 depend on.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct V1Compatibility {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub parent: String,
    #[serde(default, deserialize_with = "null_default")]
    pub comment: String,
    #[serde(default)]
    pub created: super::config::GoTime,
    #[serde(default, deserialize_with = "null_default")]
    pub container_config: V1ContainerConfig,
    #[serde(default, deserialize_with = "null_default")]
    pub author: String,
    #[serde(default, deserialize_with = "null_default")]
    pub throwaway: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct V1ContainerConfig {
    #[serde(
        rename = "Cmd",
        alias = "cmd",
        default,
        deserialize_with = "null_default"
    )]
    pub cmd: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Schema1 {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub tag: String,
    #[serde(default, deserialize_with = "null_default")]
    pub architecture: String,
    #[serde(rename = "fsLayers", default, deserialize_with = "null_default")]
    pub fs_layers: Vec<FsLayer>,
    #[serde(default, deserialize_with = "null_default")]
    pub history: Vec<History>,
    #[serde(rename = "schemaVersion", default, deserialize_with = "null_default")]
    pub schema_version: i64,
    #[serde(skip)]
    pub extracted: Vec<V1Compatibility>,
    #[serde(skip)]
    signed: bool,
}

fn validate_v1_id(id: &str) -> Result<()> {
    let ok = id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !ok {
        bail!("image ID {id:?} is invalid");
    }
    Ok(())
}

impl Schema1 {
    pub fn parse(bytes: &[u8]) -> Result<Schema1> {
        let mut m: Schema1 = from_json(bytes)?;
        if m.schema_version != 1 {
            bail!("unsupported schema version {}", m.schema_version);
        }
        validate_unambiguous(
            bytes,
            super::media_type::DOCKER_V2_SCHEMA1_SIGNED,
            &["fsLayers", "history"],
        )?;
        m.signed = super::guess_mime_type(bytes) == super::media_type::DOCKER_V2_SCHEMA1_SIGNED;
        m.initialize()?;
        m.fix_layers()?;
        Ok(m)
    }

    /// A new manifest (c/image's Schema1FromComponents); `blob_sums` and `history` are top
    /// layer first.
    pub fn from_components(
        name: String,
        tag: String,
        architecture: String,
        blob_sums: Vec<Digest>,
        history: Vec<String>,
    ) -> Result<Schema1> {
        let mut m = Schema1 {
            name,
            tag,
            architecture,
            fs_layers: blob_sums
                .into_iter()
                .map(|blob_sum| FsLayer { blob_sum })
                .collect(),
            history: history
                .into_iter()
                .map(|v1_compatibility| History { v1_compatibility })
                .collect(),
            schema_version: 1,
            extracted: Vec::new(),
            signed: true,
        };
        m.initialize()?;
        Ok(m)
    }

    pub fn is_signed(&self) -> bool {
        self.signed
    }

    fn initialize(&mut self) -> Result<()> {
        if self.fs_layers.len() != self.history.len() {
            bail!("length of history not equal to number of layers");
        }
        if self.fs_layers.is_empty() {
            bail!("no FSLayers in manifest");
        }
        self.extracted = self
            .history
            .iter()
            .enumerate()
            .map(|(i, h)| {
                serde_json::from_str(&h.v1_compatibility)
                    .map_err(|e| anyhow!("parsing v2s1 history entry {i}: {e}"))
            })
            .collect::<Result<_>>()?;
        Ok(())
    }

    /// Drops repeated entries of one layer and checks that each entry's parent is the next.
    fn fix_layers(&mut self) -> Result<()> {
        for c in &self.extracted {
            validate_v1_id(&c.id)?;
        }
        if !self
            .extracted
            .last()
            .map(|c| c.parent.is_empty())
            .unwrap_or(true)
        {
            bail!("Invalid parent ID in the base layer of the image");
        }
        let mut seen = std::collections::HashSet::new();
        let mut last = "";
        for c in &self.extracted {
            if c.id != last && seen.contains(c.id.as_str()) {
                bail!("ID {} appears multiple times in manifest", c.id);
            }
            last = &c.id;
            seen.insert(c.id.as_str());
        }
        for i in (0..self.extracted.len().saturating_sub(1)).rev() {
            if self.extracted[i].id == self.extracted[i + 1].id {
                self.fs_layers.remove(i);
                self.history.remove(i);
                self.extracted.remove(i);
            } else if self.extracted[i].parent != self.extracted[i + 1].id {
                bail!(
                    "Invalid parent ID. Expected {}, got {:?}",
                    self.extracted[i + 1].id,
                    self.extracted[i].parent
                );
            }
        }
        Ok(())
    }

    /// Layers base first; sizes are unknown in schema 1.
    pub fn layer_infos(&self) -> Vec<BlobInfo> {
        self.fs_layers
            .iter()
            .rev()
            .map(|l| BlobInfo {
                digest: l.blob_sum.clone(),
                size: -1,
                media_type: String::new(),
                urls: Vec::new(),
                annotations: None,
            })
            .collect()
    }

    /// Whether each layer (base first) is an empty "throwaway" layer.
    pub fn empty_layers(&self) -> Vec<bool> {
        self.extracted.iter().rev().map(|c| c.throwaway).collect()
    }
}

fn b64url_decode(s: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| anyhow!("base64 decode error: {e}"))
}

/// The signed bytes of a "pretty JWS" schema 1 manifest: the manifest cut at the length the
/// protected header records, followed by the recorded tail (what was there before signing).
pub fn jws_payload(manifest: &[u8]) -> Result<Vec<u8>> {
    let content: serde_json::Map<String, Value> = serde_json::from_slice(manifest)
        .map_err(|e| anyhow!("error unmarshalling content: {e}"))?;
    let sigs = content
        .get("signatures")
        .ok_or_else(|| anyhow!("missing signature key"))?;
    let sigs: Vec<Value> = serde_json::from_value(sigs.clone())
        .map_err(|e| anyhow!("error unmarshalling signatures: {e}"))?;
    let mut format: Option<(usize, Vec<u8>)> = None;
    for sig in &sigs {
        let protected = sig.get("protected").and_then(Value::as_str).unwrap_or("");
        let header: serde_json::Map<String, Value> =
            serde_json::from_slice(&b64url_decode(protected)?)
                .map_err(|e| anyhow!("error unmarshalling protected header: {e}"))?;
        let length = header
            .get("formatLength")
            .and_then(Value::as_f64)
            .ok_or_else(|| anyhow!("missing formatLength"))?;
        let tail = header
            .get("formatTail")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("missing formatTail"))?;
        let tail = b64url_decode(tail)?;
        match &format {
            None => format = Some((length as usize, tail)),
            Some((_, t)) if *t != tail => bail!("signature header mismatch"),
            Some(_) => {}
        }
    }
    let (length, tail) = format.unwrap_or((0, Vec::new()));
    if length > manifest.len() {
        bail!("invalid format length");
    }
    let mut payload = manifest[..length].to_vec();
    payload.extend_from_slice(&tail);
    Ok(payload)
}

/// Signs an unsigned schema 1 manifest as c/image does before writing one (docker/distribution
/// refuses unsigned ones).
pub fn sign_with_dummy_key(unsigned: &[u8]) -> Result<Vec<u8>> {
    let _ = unsigned;
    Err(crate::error::not_implemented(
        "writing schema 1 manifests (--format v2s1)",
    ))
}
