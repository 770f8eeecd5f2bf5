//! Docker image manifest v2 schema 1 (signed and unsigned): parsing, validation, and the JWS
//! payload whose hash is the manifest digest.

use anyhow::{Result, anyhow, bail};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{MediaType, from_json, null_default, validate_unambiguous};
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
                size: None,
                media_type: MediaType::default(),
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

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// libtrust's key ID: the SHA-256 of the PKIX DER public key, cut to 240 bits, in base32
/// groups of four.
fn libtrust_key_id(sec1_uncompressed: &[u8]) -> String {
    // SubjectPublicKeyInfo for an EC P-256 key, followed by the uncompressed point.
    let mut der =
        hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").expect("constant hex");
    der.extend_from_slice(sec1_uncompressed);
    let digest = Digest::sha256_of(&der);
    let raw = hex::decode(digest.hex()).expect("digest hex");
    let s = base32_std(&raw[..30]);
    s.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect::<Vec<_>>()
        .join(":")
}

fn base32_std(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn random_key() -> Result<p256::ecdsa::SigningKey> {
    use std::io::Read;
    let mut f = std::fs::File::open("/dev/urandom")?;
    loop {
        let mut bytes = [0u8; 32];
        f.read_exact(&mut bytes)?;
        if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
            return Ok(k);
        }
    }
}

/// Signs an unsigned schema 1 manifest as c/image does before writing one (docker/distribution
/// refuses unsigned ones): a fresh P-256 key, libtrust's "pretty JWS" layout. The payload, and
/// so the manifest digest, is the unsigned manifest.
pub fn sign_with_dummy_key(unsigned: &[u8]) -> Result<Vec<u8>> {
    use p256::ecdsa::signature::Signer;
    let not_space = |c: &u8| !matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let close = unsigned
        .iter()
        .rposition(not_space)
        .filter(|&i| unsigned[i] == b'}')
        .ok_or_else(|| anyhow!("invalid json content"))?;
    let last = unsigned[..close]
        .iter()
        .rposition(not_space)
        .ok_or_else(|| anyhow!("invalid json content"))?;
    if unsigned[last] == b',' {
        bail!("invalid json content");
    }
    let format_length = last + 1;
    let format_tail = &unsigned[format_length..];
    let indent = if unsigned.len() > 2 && unsigned[0] == b'{' && unsigned[1] == b'\n' {
        unsigned[1..]
            .iter()
            .position(|&c| c == b'"')
            .filter(|&q| q > 0)
            .map(|q| String::from_utf8_lossy(&unsigned[2..q + 1]).into_owned())
            .unwrap_or_default()
    } else {
        String::new()
    };

    let key = random_key()?;
    let point = key.verifying_key().to_sec1_point(false);
    let point = point.as_bytes();
    let protected = b64url(&crate::gojson::try_to_vec_compact(&serde_json::json!({
        "formatLength": format_length,
        "formatTail": b64url(format_tail),
        "time": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }))?);
    let sign_input = format!("{protected}.{}", b64url(unsigned));
    let sig: p256::ecdsa::Signature = key.sign(sign_input.as_bytes());
    let signatures = serde_json::json!([{
        "header": {
            "jwk": {
                "crv": "P-256",
                "kid": libtrust_key_id(point),
                "kty": "EC",
                "x": b64url(&point[1..33]),
                "y": b64url(&point[33..65]),
            },
            "alg": "ES256",
        },
        "signature": b64url(&sig.to_bytes()),
        "protected": protected,
    }]);
    let mut out = unsigned[..format_length].to_vec();
    out.push(b',');
    if indent.is_empty() {
        out.extend_from_slice(b"\"signatures\":");
        out.extend_from_slice(&crate::gojson::try_to_vec_compact(&signatures)?);
    } else {
        // json.MarshalIndent(sigs, indent, indent)
        let pretty = serde_json::to_string_pretty(&signatures)?;
        let reindented: Vec<String> = pretty
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let depth = l.len() - l.trim_start().len();
                let body = l.trim_start();
                let prefix = if i == 0 {
                    String::new()
                } else {
                    indent.clone()
                };
                format!("{prefix}{}{body}", indent.repeat(depth / 2))
            })
            .collect();
        out.push(b'\n');
        out.extend_from_slice(indent.as_bytes());
        out.extend_from_slice(b"\"signatures\": ");
        out.extend_from_slice(reindented.join("\n").as_bytes());
        out.push(b'\n');
    }
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod signing_tests {
    use super::*;

    #[test]
    fn signed_manifest_keeps_payload_and_digest() {
        let unsigned = br#"{"name":"a","tag":"b","architecture":"amd64","fsLayers":[],"history":[],"schemaVersion":1}"#;
        let signed = sign_with_dummy_key(unsigned).unwrap();
        assert_eq!(jws_payload(&signed).unwrap(), unsigned.to_vec());
        let v: serde_json::Value = serde_json::from_slice(&signed).unwrap();
        let kid = v["signatures"][0]["header"]["jwk"]["kid"].as_str().unwrap();
        assert_eq!(kid.len(), 59);
        assert_eq!(kid.split(':').count(), 12);
        assert_eq!(
            crate::manifest::digest(&signed).unwrap(),
            Digest::sha256_of(unsigned)
        );
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32_std(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_std(b"f"), "MY");
    }
}
