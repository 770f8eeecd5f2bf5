//! OCI image encryption as ocicrypt defines it (`copy --encryption-key/--decryption-key`): a layer
//! is encrypted with AES-256-CTR and authenticated with HMAC-SHA256 over the ciphertext
//! (cipher "AES_256_CTR_HMAC_SHA256"), its media type gains `+encrypted`, and two
//! annotations carry what a holder of a private key needs: the symmetric key, nonce and
//! plaintext digest wrapped for each recipient (`…enc.keys.jwe`, a JWE; `…enc.keys.pkcs7`, a
//! CMS envelope), and the public options with the HMAC (`…enc.pubopts`).

pub mod jwe;
pub mod keys;
pub mod pgp;
pub mod pkcs7;
pub mod protected_pem;
pub mod stream;

use std::collections::BTreeMap;

use aes::cipher::{KeyIvInit, StreamCipher};
use anyhow::{Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac_sha2_10::{Hmac, Mac};
use rand_core_06::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

pub const ANNOTATION_JWE: &str = "org.opencontainers.image.enc.keys.jwe";
pub const ANNOTATION_PKCS7: &str = "org.opencontainers.image.enc.keys.pkcs7";
pub const ANNOTATION_PGP: &str = "org.opencontainers.image.enc.keys.pgp";
pub const ANNOTATION_PUBOPTS: &str = "org.opencontainers.image.enc.pubopts";
pub const CIPHER_AES_CTR: &str = "AES_256_CTR_HMAC_SHA256";
pub const ENCRYPTED_SUFFIX: &str = "+encrypted";
/// Every annotation of the encryption namespace starts so.
pub const ANNOTATION_PREFIX: &str = "org.opencontainers.image.enc.";
/// The annotations of the other key wrappers ocicrypt has (which skiff does not unwrap).
pub const OTHER_KEY_ANNOTATIONS: [(&str, &str); 1] =
    [("org.opencontainers.image.enc.keys.pkcs11", "pkcs11")];

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;
type HmacSha256 = Hmac<sha2_10::Sha256>;

/// Go's encoding of `[]byte` in JSON: standard base64, `null` when nil.
mod go_bytes {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        STANDARD
            .decode(s.unwrap_or_default())
            .map_err(serde::de::Error::custom)
    }
}

/// Go's `map[string][]byte`.
mod go_byte_map {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        v: &BTreeMap<String, Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let encoded: BTreeMap<&str, String> = v
            .iter()
            .map(|(k, b)| (k.as_str(), STANDARD.encode(b)))
            .collect();
        encoded.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<u8>>, D::Error> {
        let m: Option<BTreeMap<String, String>> = Option::deserialize(d)?;
        m.unwrap_or_default()
            .into_iter()
            .map(|(k, v)| Ok((k, STANDARD.decode(v).map_err(serde::de::Error::custom)?)))
            .collect()
    }
}

/// What only recipients may read (wrapped in the JWE): the key, the plaintext's digest and
/// the nonce.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrivateOptions {
    #[serde(with = "go_bytes")]
    pub symkey: Vec<u8>,
    pub digest: String,
    #[serde(with = "go_byte_map", default)]
    pub cipheroptions: BTreeMap<String, Vec<u8>>,
}

/// What anyone may read (`…enc.pubopts`): the cipher and the ciphertext's HMAC.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublicOptions {
    pub cipher: String,
    #[serde(with = "go_bytes")]
    pub hmac: Vec<u8>,
    #[serde(with = "go_byte_map", default)]
    pub cipheroptions: BTreeMap<String, Vec<u8>>,
}

impl PublicOptions {
    /// Reads the `…enc.pubopts` annotation.
    pub fn from_annotation(b64: &str) -> Result<PublicOptions> {
        let json = STANDARD.decode(b64)?;
        Ok(serde_json::from_slice(&json)?)
    }

    pub fn to_annotation(&self) -> String {
        STANDARD.encode(crate::gojson::to_vec_compact(self))
    }
}

/// The layer cipher, one direction, applied to consecutive chunks of a stream.
pub struct LayerCipher {
    stream: Aes256Ctr,
    mac: HmacSha256,
    encrypt: bool,
}

impl LayerCipher {
    /// A new random key and nonce for encrypting one layer whose plaintext has `digest`.
    pub fn new_encryption(digest: &str) -> (LayerCipher, PrivateOptions) {
        let mut key = vec![0u8; 32];
        let mut nonce = vec![0u8; 16];
        OsRng.fill_bytes(&mut key);
        OsRng.fill_bytes(&mut nonce);
        let opts = PrivateOptions {
            symkey: key,
            digest: digest.to_string(),
            cipheroptions: BTreeMap::from([("nonce".to_string(), nonce)]),
        };
        let cipher = LayerCipher::new(&opts, true).expect("a generated key has the right size");
        (cipher, opts)
    }

    /// Decrypts with the options a JWE unwrapped.
    pub fn new_decryption(opts: &PrivateOptions) -> Result<LayerCipher> {
        LayerCipher::new(opts, false)
    }

    fn new(opts: &PrivateOptions, encrypt: bool) -> Result<LayerCipher> {
        if opts.symkey.len() != 32 {
            bail!(
                "invalid key length of {} bytes; need 32 bytes",
                opts.symkey.len()
            );
        }
        let nonce = opts
            .cipheroptions
            .get("nonce")
            .ok_or_else(|| anyhow!("missing nonce in the layer's cipher options"))?;
        let stream = Aes256Ctr::new_from_slices(&opts.symkey, nonce)
            .map_err(|_| anyhow!("invalid nonce length of {} bytes", nonce.len()))?;
        let mac = <HmacSha256 as Mac>::new_from_slice(&opts.symkey).expect("HMAC takes any key");
        Ok(LayerCipher {
            stream,
            mac,
            encrypt,
        })
    }

    /// Encrypts or decrypts `chunk` in place; the HMAC covers the ciphertext either way.
    pub fn apply(&mut self, chunk: &mut [u8]) {
        if !self.encrypt {
            self.mac.update(chunk);
        }
        self.stream.apply_keystream(chunk);
        if self.encrypt {
            self.mac.update(chunk);
        }
    }

    /// After encrypting: the HMAC for the public options.
    pub fn finish_encryption(self) -> Vec<u8> {
        self.mac.finalize().into_bytes().to_vec()
    }

    /// After decrypting: an error unless the ciphertext's HMAC is `expected` (ocicrypt's
    /// words).
    pub fn finish_decryption(self, expected: &[u8]) -> Result<()> {
        let actual = self.mac.finalize().into_bytes();
        if actual.as_slice() != expected {
            bail!(
                "could not properly decrypt byte stream; exp hmac: '{}', actual hmac: '{}'",
                hex::encode(expected),
                String::from_utf8_lossy(&actual)
            );
        }
        Ok(())
    }
}

/// The media type of `mime` once encrypted.
pub fn encrypted_media_type(mime: &str) -> String {
    format!("{mime}{ENCRYPTED_SUFFIX}")
}

/// Whether a layer of this media type is encrypted.
pub fn is_encrypted(mime: &str) -> bool {
    mime.ends_with(ENCRYPTED_SUFFIX)
}

/// The media type of an encrypted layer once decrypted; `None` if it is not encrypted.
pub fn decrypted_media_type(mime: &str) -> Option<&str> {
    mime.strip_suffix(ENCRYPTED_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_round_trips_and_a_changed_byte_fails_the_hmac() {
        let plain: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let (mut enc, opts) = LayerCipher::new_encryption("sha256:x");
        let mut data = plain.clone();
        for chunk in data.chunks_mut(4093) {
            enc.apply(chunk);
        }
        let hmac = enc.finish_encryption();
        assert_ne!(data, plain);
        let mut dec = LayerCipher::new_decryption(&opts).unwrap();
        let mut back = data.clone();
        for chunk in back.chunks_mut(1000) {
            dec.apply(chunk);
        }
        dec.finish_decryption(&hmac).unwrap();
        assert_eq!(back, plain);
        data[5] ^= 1;
        let mut dec = LayerCipher::new_decryption(&opts).unwrap();
        dec.apply(&mut data);
        let err = dec.finish_decryption(&hmac).unwrap_err().to_string();
        assert!(
            err.starts_with("could not properly decrypt byte stream"),
            "{err}"
        );
    }

    #[test]
    fn options_encode_as_go_encodes_them() {
        let opts = PublicOptions {
            cipher: CIPHER_AES_CTR.into(),
            hmac: vec![1, 2, 3],
            cipheroptions: BTreeMap::new(),
        };
        assert_eq!(
            crate::gojson::to_string_compact(&opts),
            r#"{"cipher":"AES_256_CTR_HMAC_SHA256","hmac":"AQID","cipheroptions":{}}"#
        );
        let back = PublicOptions::from_annotation(&opts.to_annotation()).unwrap();
        assert_eq!(back.hmac, vec![1, 2, 3]);
    }
}
