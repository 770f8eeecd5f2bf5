//! ECDSA public keys of the curves sigstore certificates use here: P-256 (cosign's keys,
//! Fulcio's short-lived leaves) and P-384 (the public Fulcio root and intermediate; Go and
//! c/image accept leaves of either curve). Signatures are ASN.1 DER, over a digest the caller
//! names (a certificate's signature algorithm, SHA-256 for sigstore payloads).

use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use p384::ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::Digest as _;

/// DER prefix of a SubjectPublicKeyInfo holding an uncompressed P-384 point
/// (id-ecPublicKey, secp384r1, BIT STRING of 98 bytes).
const P384_SPKI_PREFIX: &[u8] = &[
    0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
];

#[derive(Clone, Debug)]
pub enum EcdsaKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

/// The digest an ECDSA signature is made over.
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
}

impl EcdsaKey {
    /// The key in a DER SubjectPublicKeyInfo.
    pub fn from_spki(spki: &[u8]) -> Result<EcdsaKey, String> {
        if let Some(point) = spki.strip_prefix(super::sigstore::P256_SPKI_PREFIX) {
            return p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(EcdsaKey::P256)
                .map_err(|e| e.to_string());
        }
        if let Some(point) = spki.strip_prefix(P384_SPKI_PREFIX) {
            return p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(EcdsaKey::P384)
                .map_err(|e| e.to_string());
        }
        Err("only ECDSA P-256 and P-384 keys are supported".to_string())
    }

    /// Whether `der_signature` is this key's signature of `data` hashed with `hash`.
    pub fn verifies(&self, hash: Hash, data: &[u8], der_signature: &[u8]) -> bool {
        let prehash = hash.digest(data);
        match self {
            EcdsaKey::P256(k) => scalars(der_signature, 32)
                .and_then(|raw| p256::ecdsa::Signature::from_slice(&raw).ok())
                .is_some_and(|sig| k.verify_prehash(&prehash, &sig).is_ok()),
            EcdsaKey::P384(k) => scalars(der_signature, 48)
                .and_then(|raw| p384::ecdsa::Signature::from_slice(&raw).ok())
                .is_some_and(|sig| k.verify_prehash(&prehash, &sig).is_ok()),
        }
    }

    /// The key as a `PUBLIC KEY` PEM (Go's `MarshalPKIXPublicKey` in PEM, as cosign logs it).
    pub fn pem(&self) -> String {
        let der = match self {
            EcdsaKey::P256(k) => return super::sigstore::public_key_pem(k),
            EcdsaKey::P384(k) => {
                let mut der = P384_SPKI_PREFIX.to_vec();
                der.extend_from_slice(k.to_encoded_point(false).as_bytes());
                der
            }
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
        assert!(EcdsaKey::from_spki(b"\x30\x00").is_err());
    }
}
