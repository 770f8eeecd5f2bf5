//! Sigstore signatures with a public key (`sigstoreSigned` with `keyPath`/`keyData`): the
//! payload is c/image's JSON, signed over its SHA-256 digest (ECDSA P-256 is cosign's default
//! key type; RSA and Ed25519 keys verify too, as sigstore's verifiers do), the signature base64 in the `dev.cosignproject.cosign/signature` annotation.
//! Decisions and texts follow c/image 5.23.

use base64::Engine;

use super::public_key::{Hash, PublicKey};
use crate::config::policy::json::{Raw, check_valid, exact_fields, paranoid_object};

/// The MIME type of a sigstore signature (other attachments are not signatures).
pub const SIGNATURE_MIME_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const PAYLOAD_TYPE: &str = "cosign container image signature";

/// DER prefix of a SubjectPublicKeyInfo holding an uncompressed P-256 point
/// (id-ecPublicKey, prime256v1, BIT STRING of 66 bytes).
pub(crate) const P256_SPKI_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Parses a public key file as sigstore's `UnmarshalPEMToPublicKey` does: the first PEM
/// block, a `PUBLIC KEY` (what `cosign generate-key-pair` and `openssl pkey -pubout` write)
/// or an `RSA PUBLIC KEY` (PKCS #1).
pub fn parse_public_key(pem: &[u8]) -> Result<PublicKey, String> {
    let (label, der) = crate::go::pem::decode_first(pem)
        .ok_or_else(|| "parsing public key: PEM decoding failed".to_string())?;
    let key = match label.as_str() {
        "PUBLIC KEY" => PublicKey::from_spki(&der),
        "RSA PUBLIC KEY" => rsa::pkcs1::DecodeRsaPublicKey::from_pkcs1_der(&der)
            .map(PublicKey::Rsa)
            .map_err(|_| "x509: invalid RSA public key".to_string()),
        other => Err(format!(
            "unknown Public key PEM file type: {other}. Are you passing the correct public key?"
        )),
    };
    key.map_err(|e| format!("parsing public key: {e}"))
}

/// A P-256 key as `PUBLIC KEY` PEM.
pub fn public_key_pem(key: &p256::ecdsa::VerifyingKey) -> String {
    let mut der = P256_SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.to_sec1_point(false).as_bytes());
    crate::go::pem::encode("PUBLIC KEY", &der)
}

/// An ASN.1 `SEQUENCE { INTEGER r, INTEGER s }` ECDSA signature.
pub(crate) fn parse_der_signature(der: &[u8]) -> Option<p256::ecdsa::Signature> {
    fn integer(d: &[u8]) -> Option<(&[u8], &[u8])> {
        let (&tag, rest) = d.split_first()?;
        let (&len, rest) = rest.split_first()?;
        if tag != 0x02 || len & 0x80 != 0 || rest.len() < len as usize {
            return None;
        }
        let (value, rest) = rest.split_at(len as usize);
        Some((value, rest))
    }
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || len & 0x80 != 0 || body.len() != len as usize {
        return None;
    }
    let (r, rest) = integer(body)?;
    let (s, rest) = integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut raw = [0u8; 64];
    for (value, at) in [(r, 0), (s, 32)] {
        let value = value.strip_prefix(&[0]).unwrap_or(value);
        if value.len() > 32 {
            return None;
        }
        raw[at + 32 - value.len()..at + 32].copy_from_slice(value);
    }
    p256::ecdsa::Signature::from_slice(&raw).ok()
}

/// What a sigstore payload claims.
pub struct SigstorePayload {
    pub manifest_digest: String,
    pub docker_reference: String,
}

/// c/image's `VerifySigstorePayload`: the signature over `payload` by any of `keys`, then
/// the payload itself (strictly parsed); the caller checks the digest and identity it names.
pub fn verify_payload(
    keys: &[PublicKey],
    payload: &[u8],
    base64_signature: &str,
) -> Result<SigstorePayload, String> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64_signature)
        .map_err(|e| format!("base64 decoding: {e}"))?;
    if keys.is_empty() {
        return Err(
            "Need at least one public key to verify the sigstore payload, but got 0".into(),
        );
    }
    // Sigstore payloads are signed over their SHA-256 digest, whatever the key.
    if !keys
        .iter()
        .any(|key| key.verifies(Hash::Sha256, payload, &der))
    {
        let each: Vec<&str> = keys.iter().map(PublicKey::failure_text).collect();
        return Err(format!(
            "cryptographic signature verification failed: {}",
            each.join(", ")
        ));
    }
    parse_payload(payload)
}

/// The sigstore payload JSON (c/image's `UntrustedSigstorePayload`): like simple signing's,
/// with its own type, and `optional` may be `null`.
fn parse_payload(data: &[u8]) -> Result<SigstorePayload, String> {
    check_valid(data)?;
    let mut critical = None;
    let mut optional = None;
    exact_fields(Raw::top(data), &["critical", "optional"], |key, v| {
        if key == "critical" {
            critical = Some(v);
        } else {
            optional = Some(v);
        }
        Ok(())
    })?;
    if let Some(optional) = optional.filter(|o| o.text() != b"null") {
        let mut timestamp_error = None;
        paranoid_object(optional, |key, v| {
            if key == "timestamp"
                && let Ok(f) = String::from_utf8_lossy(v.text()).parse::<f64>()
                && (f as i64) as f64 != f
            {
                timestamp_error = Some(());
            }
            Some(Ok(()))
        })?;
        if timestamp_error.is_some() {
            return Err("Field optional.timestamp is not is not an integer".to_string());
        }
    }
    let Some(critical) = critical else {
        return Err("Key \"critical\" missing in a JSON object".to_string());
    };
    let (manifest_digest, docker_reference) =
        super::simple::parse_critical(critical, PAYLOAD_TYPE)?;
    Ok(SigstorePayload {
        manifest_digest,
        docker_reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_signatures_and_payloads() {
        assert!(parse_der_signature(b"\x30\x00").is_none());
        assert!(
            parse_public_key(b"garbage")
                .unwrap_err()
                .contains("PEM decoding failed")
        );
        let p = parse_payload(br#"{"critical":{"identity":{"docker-reference":"a/b:c"},"image":{"docker-manifest-digest":"sha256:x"},"type":"cosign container image signature"},"optional":null}"#).unwrap();
        assert_eq!(p.docker_reference, "a/b:c");
        assert_eq!(p.manifest_digest, "sha256:x");
        let err = parse_payload(br#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"x"},"type":"atomic container signature"},"optional":{}}"#);
        assert_eq!(
            err.err().as_deref(),
            Some("Unrecognized signature type atomic container signature")
        );
    }
}
