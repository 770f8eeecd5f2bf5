//! Signatures as transports store them: "simple signing" (GPG) blobs and sigstore
//! signatures, recognised and re-encoded exactly as c/image does so they survive copies.

use std::collections::BTreeMap;

pub mod fulcio;
pub mod gpg;
pub mod oidc;
pub mod openpgp;
pub mod public_key;
pub mod rekor;
pub mod sequoia;
pub mod sign;
pub mod sigstore;
pub mod sigstore_key;
pub mod sigstore_params;
pub mod simple;
pub mod x509;

use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    /// An OpenPGP message, kept as its bytes.
    SimpleSigning(Vec<u8>),
    Sigstore(SigstoreSignature),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigstoreSignature {
    pub mime_type: String,
    pub payload: Vec<u8>,
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The stored JSON form of a sigstore signature.
#[derive(Serialize, Deserialize)]
struct SigstoreJson {
    #[serde(rename = "mimeType", default)]
    mime_type: String,
    #[serde(default, with = "base64_bytes")]
    payload: Vec<u8>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

const SIMPLE_SIGNING_FORMAT: &[u8] = b"simple-signing";
const SIGSTORE_FORMAT: &[u8] = b"sigstore-json";

/// First bytes of OpenPGP packets a simple signature starts with (compressed data, one-pass
/// signature, signature; old and new packet formats), the set c/image recognises.
const OPENPGP_STARTS: &[u8] = &[
    0xA0, 0xA1, 0xA2, 0xA3, 0xC8, 0x90, 0x91, 0x92, 0x3d, 0xC4, 0x88, 0x89, 0x8A, 0x8B, 0xC2,
];

impl Signature {
    /// Recognises a stored signature: untagged OpenPGP, or `\0FORMAT\n` followed by the data.
    pub fn from_blob(blob: &[u8]) -> Result<Signature> {
        let Some(&first) = blob.first() else {
            bail!("empty signature blob");
        };
        if OPENPGP_STARTS.contains(&first) {
            return Ok(Signature::SimpleSigning(blob.to_vec()));
        }
        if first != 0 {
            bail!("unrecognized signature format, starting with binary {first:#x}");
        }
        let rest = &blob[1..];
        let nl = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| anyhow!("invalid signature format, missing newline"))?;
        let (format, chunk) = (&rest[..nl], &rest[nl + 1..]);
        if let Some(b) = format.iter().find(|b| **b < 32 || **b >= 0x7f) {
            bail!("invalid signature format, non-ASCII byte {b:#x}");
        }
        match format {
            SIMPLE_SIGNING_FORMAT => Ok(Signature::SimpleSigning(chunk.to_vec())),
            SIGSTORE_FORMAT => {
                let j: SigstoreJson = serde_json::from_slice(chunk)?;
                Ok(Signature::Sigstore(SigstoreSignature {
                    mime_type: j.mime_type,
                    payload: j.payload,
                    annotations: j.annotations,
                }))
            }
            other => bail!(
                "unrecognized signature format {}",
                crate::gotext::go_quote(&String::from_utf8_lossy(other))
            ),
        }
    }

    /// The stored form: simple signatures untagged (as old tools expect), others tagged.
    pub fn blob(&self) -> Vec<u8> {
        match self {
            Signature::SimpleSigning(b) => b.clone(),
            Signature::Sigstore(s) => {
                let mut out = vec![0u8];
                out.extend_from_slice(SIGSTORE_FORMAT);
                out.push(b'\n');
                out.extend(crate::gojson::to_vec_compact(&SigstoreJson {
                    mime_type: s.mime_type.clone(),
                    payload: s.payload.clone(),
                    annotations: s.annotations.clone(),
                }));
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn recognises_formats() {
        let gpg = b"\xa3\x01rest".to_vec();
        assert_eq!(Signature::from_blob(&gpg).unwrap().blob(), gpg);
        let tagged = b"\x00simple-signing\n\xa3abc";
        assert_eq!(
            Signature::from_blob(tagged).unwrap(),
            Signature::SimpleSigning(b"\xa3abc".to_vec())
        );
        let payload = base64::engine::general_purpose::STANDARD.encode(b"{}");
        let sig = format!(
            "\x00sigstore-json\n{{\"mimeType\":\"m\",\"payload\":\"{payload}\",\"annotations\":{{\"k\":\"v\"}}}}"
        );
        let parsed = Signature::from_blob(sig.as_bytes()).unwrap();
        assert_eq!(
            parsed.blob(),
            sig.as_bytes(),
            "sigstore signatures round-trip"
        );
    }

    #[test]
    fn refuses_unknown_formats_with_c_image_messages() {
        let msg = |b: &[u8]| Signature::from_blob(b).unwrap_err().to_string();
        assert_eq!(msg(b""), "empty signature blob");
        assert_eq!(
            msg(b"\x00nonl"),
            "invalid signature format, missing newline"
        );
        assert_eq!(
            msg(b"\x00x\x01\n"),
            "invalid signature format, non-ASCII byte 0x1"
        );
        assert_eq!(
            msg(b"\x00foo\nbar"),
            "unrecognized signature format \"foo\""
        );
        assert_eq!(
            msg(b"hello"),
            "unrecognized signature format, starting with binary 0x68"
        );
    }
}
