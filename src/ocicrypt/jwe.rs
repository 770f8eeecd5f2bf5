//! The `jwe` key wrapper: the layer's private options encrypted as a JWE (JSON
//! serialization, content A256GCM) to RSA keys with RSA-OAEP, as ocicrypt does with go-jose.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand_core_06::{OsRng, RngCore};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use serde_json::{Map, Value, json};

use super::{ANNOTATION_JWE, PrivateOptions};

/// Reads an RSA public key (PEM, SubjectPublicKeyInfo or PKCS#1).
pub fn parse_public_key(pem: &[u8]) -> Result<RsaPublicKey> {
    let text = std::str::from_utf8(pem).context("public key is not PEM")?;
    RsaPublicKey::from_public_key_pem(text)
        .or_else(|_| {
            use rsa::pkcs1::DecodeRsaPublicKey;
            RsaPublicKey::from_pkcs1_pem(text)
        })
        .map_err(|_| anyhow!("JWE: unsupported or malformed public key"))
}

/// Reads an unencrypted RSA private key (PEM, PKCS#8 or PKCS#1).
pub fn parse_private_key(pem: &[u8]) -> Result<RsaPrivateKey> {
    let text = std::str::from_utf8(pem).context("private key is not PEM")?;
    RsaPrivateKey::from_pkcs8_pem(text)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(text))
        .map_err(|_| anyhow!("JWE: unsupported or malformed private key"))
}

/// The `…enc.keys.jwe` annotation value for `opts`, readable by each of `recipients`.
pub fn wrap(opts: &PrivateOptions, recipients: &[RsaPublicKey]) -> Result<String> {
    let plaintext = crate::gojson::to_vec_compact(opts);
    let mut cek = [0u8; 32];
    let mut iv = [0u8; 12];
    OsRng.fill_bytes(&mut cek);
    OsRng.fill_bytes(&mut iv);
    let mut protected = Map::new();
    if recipients.len() == 1 {
        protected.insert("alg".into(), "RSA-OAEP".into());
    }
    protected.insert("enc".into(), "A256GCM".into());
    let protected = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&protected)?);
    let sealed = Aes256Gcm::new_from_slice(&cek)
        .expect("a 32-byte key")
        .encrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: &plaintext,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|_| anyhow!("JWE Encrypt failed"))?;
    let (ciphertext, tag) = sealed.split_at(sealed.len() - 16);
    let mut keys = Vec::new();
    for key in recipients {
        let wrapped = key
            .encrypt(&mut OsRng, Oaep::new::<sha1::Sha1>(), &cek)
            .map_err(|e| anyhow!("JWE Encrypt failed: {e}"))?;
        keys.push(URL_SAFE_NO_PAD.encode(wrapped));
    }
    let mut jwe = json!({
        "protected": protected,
        "iv": URL_SAFE_NO_PAD.encode(iv),
        "ciphertext": URL_SAFE_NO_PAD.encode(ciphertext),
        "tag": URL_SAFE_NO_PAD.encode(tag),
    });
    match keys.as_slice() {
        [one] => jwe["encrypted_key"] = one.clone().into(),
        many => {
            jwe["recipients"] = many
                .iter()
                .map(|k| json!({"header": {"alg": "RSA-OAEP"}, "encrypted_key": k}))
                .collect();
        }
    }
    Ok(STANDARD.encode(serde_json::to_vec(&jwe)?))
}

/// The private options in a layer's `…enc.keys.jwe` annotation, unwrapped with the first of
/// `keys` that can.
pub fn unwrap(annotation: &str, keys: &[RsaPrivateKey]) -> Result<PrivateOptions> {
    if keys.is_empty() {
        bail!("No private keys found for JWE decryption");
    }
    for b64 in annotation.split(',') {
        let jwe = STANDARD
            .decode(b64)
            .with_context(|| format!("decoding {ANNOTATION_JWE}"))?;
        let jwe: Value = serde_json::from_slice(&jwe).map_err(|_| parse_failed())?;
        for key in keys {
            if let Some(plain) = open(&jwe, key)? {
                return Ok(serde_json::from_slice(&plain)?);
            }
        }
    }
    bail!("JWE: No suitable private key found for decryption")
}

fn parse_failed() -> anyhow::Error {
    anyhow!("jose.ParseEncrypted failed")
}

fn b64url(jwe: &Value, field: &str) -> Result<Vec<u8>> {
    let s = jwe[field].as_str().unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| parse_failed())
}

/// Decrypts `jwe` with `key` if one of its recipients is that key (`None` if none is).
fn open(jwe: &Value, key: &RsaPrivateKey) -> Result<Option<Vec<u8>>> {
    let protected_b64 = jwe["protected"].as_str().unwrap_or_default();
    let protected: Value = if protected_b64.is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(&b64url(jwe, "protected")?).map_err(|_| parse_failed())?
    };
    let recipients: Vec<Value> = match jwe["recipients"].as_array() {
        Some(r) => r.clone(),
        None => vec![json!({"header": jwe["header"], "encrypted_key": jwe["encrypted_key"]})],
    };
    let header = |r: &Value, name: &str| -> String {
        [&protected, &jwe["unprotected"], &r["header"]]
            .iter()
            .find_map(|h| h[name].as_str())
            .unwrap_or_default()
            .to_string()
    };
    for r in &recipients {
        let (alg, enc) = (header(r, "alg"), header(r, "enc"));
        if alg != "RSA-OAEP" && alg != "RSA-OAEP-256" {
            continue;
        }
        if enc != "A256GCM" {
            bail!("JWE: content encryption {enc:?} is not supported");
        }
        let wrapped = b64url(r, "encrypted_key")?;
        let cek = if alg == "RSA-OAEP" {
            key.decrypt(Oaep::new::<sha1::Sha1>(), &wrapped)
        } else {
            key.decrypt(Oaep::new::<sha2_10::Sha256>(), &wrapped)
        };
        let Ok(cek) = cek else { continue };
        let Ok(gcm) = Aes256Gcm::new_from_slice(&cek) else {
            continue;
        };
        let iv = b64url(jwe, "iv")?;
        if iv.len() != 12 {
            return Err(parse_failed());
        }
        let mut sealed = b64url(jwe, "ciphertext")?;
        sealed.extend(b64url(jwe, "tag")?);
        let mut aad = protected_b64.to_string();
        if let Some(extra) = jwe["aad"].as_str() {
            aad.push('.');
            aad.push_str(extra);
        }
        let opened = gcm.decrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: &sealed,
                aad: aad.as_bytes(),
            },
        );
        if let Ok(plain) = opened {
            return Ok(Some(plain));
        }
    }
    Ok(None)
}

/// Whether `data` is a PEM public key of some kind (parsed or not).
pub fn looks_like_public_key(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    text.contains("-----BEGIN PUBLIC KEY-----") || text.contains("-----BEGIN RSA PUBLIC KEY-----")
}

/// Whether `data` is a PEM private key of some kind (parsed or not).
pub fn looks_like_private_key(data: &[u8]) -> bool {
    String::from_utf8_lossy(data).contains(" PRIVATE KEY-----")
}

/// Whether `data` is a passphrase-protected PEM private key.
pub fn is_encrypted_private_key(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
}
