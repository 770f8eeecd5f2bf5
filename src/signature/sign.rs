//! Creating signatures: the signed payloads (c/image's JSON, its keys sorted as Go's encoder
//! sorts a map's), passphrase files, and the [`Signer`] the copy engine calls for each
//! manifest it writes.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde_json::json;

use super::Signature;
use crate::digest::Digest;
use crate::reference::DockerReference;

/// `optional.creator` in what skiff signs (c/image writes its own name and version there).
pub fn creator() -> String {
    format!("skiff {}", env!("CARGO_PKG_VERSION"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The JSON both signature formats sign: `critical` (identity, image, type) and `optional`
/// (creator, timestamp), every object's keys in Go's sorted order.
fn payload(signature_type: &str, manifest_digest: &Digest, reference: &str) -> Vec<u8> {
    let value = json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": manifest_digest.to_string()},
            "type": signature_type,
        },
        "optional": {"creator": creator(), "timestamp": now()},
    });
    crate::gojson::to_vec_compact(&value)
}

/// A simple-signing ("atomic container signature") payload.
pub fn simple_payload(manifest_digest: &Digest, reference: &str) -> Vec<u8> {
    payload("atomic container signature", manifest_digest, reference)
}

/// A sigstore ("cosign container image signature") payload.
pub fn sigstore_payload(manifest_digest: &Digest, reference: &str) -> Vec<u8> {
    payload(
        "cosign container image signature",
        manifest_digest,
        reference,
    )
}

/// c/image's `ReadPassphraseFile`: the file's first line, without its newline.
pub fn read_passphrase_file(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow!(crate::gotext::go_path_error("open", path, &e)))?;
    let first = match bytes.iter().position(|b| *b == b'\n') {
        Some(i) => &bytes[..i],
        None => &bytes[..],
    };
    Ok(String::from_utf8_lossy(first).into_owned())
}

/// The kinds of signature skiff makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningMethod {
    /// GPG simple signing.
    Simple,
    /// A sigstore signature with a private key.
    Sigstore,
}

/// Something that signs a manifest as an identity (a GPG key, a sigstore private key).
pub trait Signer: Send + Sync {
    /// The line skopeo prints before it signs this way.
    /// How it signs (the progress output names it).
    fn method(&self) -> SigningMethod;
    /// A signature of `manifest` naming `identity`.
    fn sign(&self, manifest: &[u8], identity: &DockerReference) -> Result<Signature>;
    /// Whether it makes sigstore signatures (which registries keep as attachments).
    fn makes_sigstore_signatures(&self) -> bool {
        false
    }
}

/// The identity a signature names and the digest it signs, checked as c/image checks them.
pub(crate) fn identity_and_digest(
    manifest: &[u8],
    identity: &DockerReference,
) -> Result<(Digest, String)> {
    if identity.is_name_only() {
        bail!("reference {identity} can’t be signed, it has neither a tag nor a digest");
    }
    Ok((crate::manifest::digest(manifest)?, identity.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_c_image_json_and_parse_back() {
        let d: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        let p = simple_payload(&d, "example.com/a<b>:t");
        let text = String::from_utf8(p.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"critical":{"identity":{"docker-reference":"example.com/a\u003cb\u003e:t"},"image":{"docker-manifest-digest":"sha256:aaaa"#),
            "{text}"
        );
        assert!(
            text.contains(r#""type":"atomic container signature"},"optional":{"creator":"skiff "#)
        );
        let parsed = super::super::simple::parse_payload(&p).unwrap();
        assert_eq!(parsed.docker_reference, "example.com/a<b>:t");
        assert_eq!(parsed.manifest_digest, d.to_string());
        let s = String::from_utf8(sigstore_payload(&d, "x/y:z")).unwrap();
        assert!(s.contains(r#""type":"cosign container image signature""#));
    }

    #[test]
    fn passphrase_files_give_their_first_line() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("pp");
        std::fs::write(&p, "secret\nsecond\n").unwrap();
        assert_eq!(read_passphrase_file(&p).unwrap(), "secret");
        std::fs::write(&p, "").unwrap();
        assert_eq!(read_passphrase_file(&p).unwrap(), "");
        let missing = t.path().join("missing");
        assert_eq!(
            read_passphrase_file(&missing).unwrap_err().to_string(),
            format!("open {}: no such file or directory", missing.display())
        );
    }
}
