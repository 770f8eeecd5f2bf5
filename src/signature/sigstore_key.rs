//! Sigstore key pairs in the format cosign and skopeo read and write: the public key as a PEM
//! `PUBLIC KEY` (SubjectPublicKeyInfo), the private key as PKCS#8 DER sealed with NaCl
//! secretbox under a scrypt-derived key, the JSON envelope base64 inside a PEM block
//! `ENCRYPTED COSIGN PRIVATE KEY` (`ENCRYPTED SIGSTORE PRIVATE KEY` is read too). Keys are
//! written with scrypt N=32768, r=8, p=1, which every cosign and skopeo version opens.

use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use serde::{Deserialize, Serialize};

const COSIGN_PEM_TYPE: &str = "ENCRYPTED COSIGN PRIVATE KEY";
const SIGSTORE_PEM_TYPE: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The scrypt parameter sets the Go reader accepts (legacy, standard, OWASP), as log2(N).
const ACCEPTED_LOG_N: [u8; 3] = [15, 16, 17];
const WRITTEN_LOG_N: u8 = 15;

#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct KdfParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("reading random bytes: {e}"))?;
    Ok(b)
}

fn derive_key(
    passphrase: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<[u8; 32], String> {
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| e.to_string())?;
    let mut key = [0u8; 32];
    scrypt::scrypt(passphrase, salt, &params, &mut key).map_err(|e| e.to_string())?;
    Ok(key)
}

/// Go's `pem.EncodeToMemory`, as bytes.
fn pem_encode(label: &str, der: &[u8]) -> Vec<u8> {
    crate::go::pem::encode(label, der).into_bytes()
}

/// A new P-256 key pair: (private key file, public key file).
pub fn generate(passphrase: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let secret = loop {
        if let Ok(k) = p256::SecretKey::from_slice(&random::<32>()?) {
            break k;
        }
    };
    let pkcs8 = secret
        .to_pkcs8_der()
        .map_err(|e| format!("x509 encoding private key: {e}"))?;
    let salt = random::<32>()?;
    let nonce = random::<24>()?;
    let key = derive_key(passphrase, &salt, WRITTEN_LOG_N, 8, 1)?;
    let ciphertext = crypto_secretbox::XSalsa20Poly1305::new(&key.into())
        .encrypt(&nonce.into(), pkcs8.as_bytes())
        .map_err(|_| "encrypting private key".to_string())?;
    let envelope = Envelope {
        kdf: Kdf {
            name: "scrypt".into(),
            params: KdfParams {
                n: 1 << WRITTEN_LOG_N,
                r: 8,
                p: 1,
            },
            salt: salt.to_vec(),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: nonce.to_vec(),
        },
        ciphertext,
    };
    let private = pem_encode(
        COSIGN_PEM_TYPE,
        &serde_json::to_vec(&envelope).unwrap_or_default(),
    );
    let public = secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok((private, public.into_bytes()))
}

/// Opens an encrypted private key file (c/image's `loadPrivateKey` messages). Only ECDSA
/// P-256 keys (what cosign and skopeo generate) are supported.
pub fn load_private_key(file: &[u8], passphrase: &[u8]) -> Result<p256::SecretKey, String> {
    let (label, der) = crate::go::pem::decode_first(file).ok_or("invalid pem block")?;
    if label != COSIGN_PEM_TYPE && label != SIGSTORE_PEM_TYPE {
        return Err(format!("unsupported pem type: {label}"));
    }
    let decrypt = || -> Result<Vec<u8>, String> {
        let env: Envelope = serde_json::from_slice(&der).map_err(|e| e.to_string())?;
        if env.kdf.name != "scrypt" {
            return Err("encrypted: unsupported key derivation function".into());
        }
        let log_n = env.kdf.params.n.trailing_zeros() as u8;
        if env.kdf.params.n != 1 << log_n
            || !ACCEPTED_LOG_N.contains(&log_n)
            || env.kdf.params.r != 8
            || env.kdf.params.p != 1
        {
            return Err("unsupported scrypt parameters".into());
        }
        if env.cipher.name != "nacl/secretbox" {
            return Err("encrypted: unsupported cipher".into());
        }
        let nonce: [u8; 24] = env
            .cipher
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| "encrypted: incorrect nonce size".to_string())?;
        let key = derive_key(passphrase, &env.kdf.salt, log_n, 8, 1)?;
        crypto_secretbox::XSalsa20Poly1305::new(&key.into())
            .decrypt(&nonce.into(), env.ciphertext.as_slice())
            .map_err(|_| "encrypted: decryption failed".to_string())
    };
    let pkcs8 = decrypt().map_err(|e| format!("decrypt: {e}"))?;
    p256::SecretKey::from_pkcs8_der(&pkcs8).map_err(|e| format!("parsing private key: {e}"))
}

/// Signs with a sigstore private key file (`--sign-by-sigstore-private-key`): ECDSA over
/// SHA-256 of c/image's payload, the DER signature base64 in cosign's annotation.
pub struct PrivateKeySigner {
    key: p256::ecdsa::SigningKey,
}

impl PrivateKeySigner {
    /// Opens `path` with `passphrase` now, so a bad key or passphrase stops the copy before
    /// anything is written (c/image's messages).
    pub fn open(path: &std::path::Path, passphrase: &[u8]) -> anyhow::Result<PrivateKeySigner> {
        Self::open_key(path, passphrase).map_err(|e| anyhow::anyhow!("creating signature: {e}"))
    }

    /// A signer with `key` (a short-lived key Fulcio certified).
    pub fn from_key(key: p256::ecdsa::SigningKey) -> PrivateKeySigner {
        PrivateKeySigner { key }
    }

    /// The public half, as `PUBLIC KEY` PEM (what Rekor logs for a key).
    pub fn public_key_pem(&self) -> String {
        super::sigstore::public_key_pem(self.key.verifying_key())
    }

    /// `open` without the context `--sign-by-sigstore-private-key` gives its errors.
    pub fn open_key(path: &std::path::Path, passphrase: &[u8]) -> Result<PrivateKeySigner, String> {
        let file = std::fs::read(path).map_err(|e| {
            format!(
                "reading private key from {}: {}",
                path.display(),
                crate::gotext::go_path_error("open", path, &e)
            )
        })?;
        let secret = load_private_key(&file, passphrase)
            .map_err(|e| format!("initializing private key: {e}"))?;
        Ok(PrivateKeySigner {
            key: p256::ecdsa::SigningKey::from(&secret),
        })
    }
}

impl super::sign::Signer for PrivateKeySigner {
    fn method(&self) -> super::sign::SigningMethod {
        super::sign::SigningMethod::Sigstore
    }

    fn makes_sigstore_signatures(&self) -> bool {
        true
    }

    fn sign(
        &self,
        manifest: &[u8],
        identity: &crate::reference::DockerReference,
    ) -> anyhow::Result<super::Signature> {
        use p256::ecdsa::signature::Signer as _;
        let (digest, reference) = super::sign::identity_and_digest(manifest, identity)?;
        let payload = super::sign::sigstore_payload(&digest, &reference);
        let signature: p256::ecdsa::Signature = self.key.sign(&payload);
        let encoded = base64::engine::general_purpose::STANDARD.encode(signature.to_der());
        Ok(super::Signature::Sigstore(super::SigstoreSignature {
            mime_type: super::sigstore::SIGNATURE_MIME_TYPE.to_string(),
            payload,
            annotations: Some(
                [(super::sigstore::SIGNATURE_ANNOTATION.to_string(), encoded)]
                    .into_iter()
                    .collect(),
            ),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_open_with_their_passphrase_only() {
        let (private, public) = generate(b"pw").unwrap();
        let text = String::from_utf8(private.clone()).unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n"));
        let (_, der) = crate::go::pem::decode_first(&private).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&der).unwrap();
        assert_eq!(
            json["kdf"]["params"],
            serde_json::json!({"N": 32768, "r": 8, "p": 1})
        );
        assert_eq!(json["cipher"]["name"], "nacl/secretbox");
        let key = load_private_key(&private, b"pw").unwrap();
        let parsed = super::super::sigstore::parse_public_key(&public).unwrap();
        let crate::signature::public_key::PublicKey::P256(parsed) = parsed else {
            panic!("not a P-256 key")
        };
        assert_eq!(
            p256::ecdsa::VerifyingKey::from(&p256::ecdsa::SigningKey::from(&key)),
            parsed
        );
        assert_eq!(
            load_private_key(&private, b"wrong").unwrap_err(),
            "decrypt: encrypted: decryption failed"
        );
        assert_eq!(
            load_private_key(b"junk", b"pw").unwrap_err(),
            "invalid pem block"
        );
        assert_eq!(
            load_private_key(&public, b"pw").unwrap_err(),
            "unsupported pem type: PUBLIC KEY"
        );
    }
}
