//! Public keys that verify sigstore signatures and certificates: ECDSA P-256 (cosign's keys,
//! Fulcio's short-lived leaves) and P-384 (the public Fulcio root and intermediate), and, as
//! sigstore's `LoadVerifier` accepts them for `keyPath`/`keyData` policies, RSA (PKCS #1 v1.5)
//! and Ed25519. ECDSA signatures are ASN.1 DER over a digest the caller names (a certificate's
//! signature algorithm, SHA-256 for sigstore payloads); Ed25519 signs the message itself.

use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use p384::ecdsa::signature::hazmat::PrehashVerifier as _;
use rsa::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
use sha2::Digest as _;

/// DER prefix of a SubjectPublicKeyInfo holding an uncompressed P-384 point
/// (id-ecPublicKey, secp384r1, BIT STRING of 98 bytes).
const P384_SPKI_PREFIX: &[u8] = &[
    0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
];
/// DER prefix of a SubjectPublicKeyInfo holding an Ed25519 key (id-Ed25519, BIT STRING of 33
/// bytes).
const ED25519_SPKI_PREFIX: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// DER of the rsaEncryption algorithm identifier's OID, which every RSA SubjectPublicKeyInfo
/// carries.
const RSA_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

#[derive(Clone, Debug)]
pub enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// The digest a signature is made over (Ed25519 ignores it: it signs the message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    fn pkcs1v15(self) -> rsa::Pkcs1v15Sign {
        match self {
            Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2_10::Sha256>(),
            Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2_10::Sha384>(),
            Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2_10::Sha512>(),
        }
    }
}

impl PublicKey {
    /// The key in a DER SubjectPublicKeyInfo (Go's `x509.ParsePKIXPublicKey`, for the key
    /// types sigstore verifies with).
    pub fn from_spki(spki: &[u8]) -> Result<PublicKey, String> {
        if let Some(point) = spki.strip_prefix(super::sigstore::P256_SPKI_PREFIX) {
            return p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P256)
                .map_err(|e| e.to_string());
        }
        if let Some(point) = spki.strip_prefix(P384_SPKI_PREFIX) {
            return p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P384)
                .map_err(|e| e.to_string());
        }
        if let Some(raw) = spki.strip_prefix(ED25519_SPKI_PREFIX) {
            let raw = <[u8; 32]>::try_from(raw).map_err(|_| "x509: invalid Ed25519 key")?;
            return ed25519_dalek::VerifyingKey::from_bytes(&raw)
                .map(PublicKey::Ed25519)
                .map_err(|e| e.to_string());
        }
        if spki.windows(RSA_OID.len()).take(8).any(|w| w == RSA_OID) {
            return rsa::RsaPublicKey::from_public_key_der(spki)
                .map(PublicKey::Rsa)
                .map_err(|_| "x509: invalid RSA public key".to_string());
        }
        Err("x509: unknown public key algorithm".to_string())
    }

    /// Whether `signature` is this key's signature of `data` hashed with `hash` (ECDSA: ASN.1
    /// DER; RSA: PKCS #1 v1.5; Ed25519: over `data` itself).
    pub fn verifies(&self, hash: Hash, data: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::P256(k) => scalars(signature, 32)
                .and_then(|raw| p256::ecdsa::Signature::from_slice(&raw).ok())
                .is_some_and(|sig| k.verify_prehash(&hash.digest(data), &sig).is_ok()),
            PublicKey::P384(k) => scalars(signature, 48)
                .and_then(|raw| p384::ecdsa::Signature::from_slice(&raw).ok())
                .is_some_and(|sig| k.verify_prehash(&hash.digest(data), &sig).is_ok()),
            PublicKey::Rsa(k) => k
                .verify(hash.pkcs1v15(), &hash.digest(data), signature)
                .is_ok(),
            PublicKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| k.verify_strict(data, &sig).is_ok()),
        }
    }

    /// What sigstore's verifier for this key type says when a signature does not verify
    /// (c/image lists one per key).
    pub fn failure_text(&self) -> &'static str {
        match self {
            PublicKey::P256(_) | PublicKey::P384(_) => {
                "invalid signature when validating ASN.1 encoded signature"
            }
            PublicKey::Rsa(_) => "crypto/rsa: verification error",
            PublicKey::Ed25519(_) => "failed to verify signature",
        }
    }

    /// The key as a `PUBLIC KEY` PEM (Go's `MarshalPKIXPublicKey` in PEM, as cosign logs it).
    pub fn pem(&self) -> String {
        let der = match self {
            PublicKey::P256(k) => return super::sigstore::public_key_pem(k),
            PublicKey::P384(k) => {
                let mut der = P384_SPKI_PREFIX.to_vec();
                der.extend_from_slice(k.to_encoded_point(false).as_bytes());
                der
            }
            PublicKey::Rsa(k) => k
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .unwrap_or_default(),
            PublicKey::Ed25519(k) => [ED25519_SPKI_PREFIX, k.as_bytes()].concat(),
        };
        crate::go::pem::encode("PUBLIC KEY", &der)
    }
}

/// `SEQUENCE { INTEGER r, INTEGER s }` as the fixed-size `r || s` of a `size`-byte curve.
fn scalars(der: &[u8], size: usize) -> Option<Vec<u8>> {
    fn integer(d: &[u8]) -> Option<(&[u8], &[u8])> {
        let (&tag, rest) = d.split_first()?;
        let (&len, rest) = rest.split_first()?;
        if tag != 0x02 || len & 0x80 != 0 || rest.len() < len as usize {
            return None;
        }
        Some(rest.split_at(len as usize))
    }
    let (&tag, rest) = der.split_first()?;
    let (len, body) = match rest.split_first()? {
        (&l, body) if l & 0x80 == 0 => (l as usize, body),
        // P-384 signatures may pass 127 bytes: one length byte follows.
        (&0x81, rest) => {
            let (&l, body) = rest.split_first()?;
            (l as usize, body)
        }
        _ => return None,
    };
    if tag != 0x30 || body.len() != len {
        return None;
    }
    let (r, rest) = integer(body)?;
    let (s, rest) = integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut raw = vec![0u8; 2 * size];
    for (value, at) in [(r, 0), (s, size)] {
        let value = value.strip_prefix(&[0]).unwrap_or(value);
        if value.len() > size {
            return None;
        }
        raw[at + size - value.len()..at + size].copy_from_slice(value);
    }
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_form_lengths_and_bad_signatures() {
        assert!(scalars(b"\x30\x00", 32).is_none());
        let mut der = vec![0x30, 0x81, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07];
        let raw = scalars(&der, 48).unwrap();
        assert_eq!((raw[47], raw[95]), (5, 7));
        der[2] = 0x07;
        assert!(scalars(&der, 48).is_none());
        assert!(PublicKey::from_spki(b"\x30\x00").is_err());
    }
}
