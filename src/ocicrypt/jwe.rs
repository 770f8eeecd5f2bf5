//! The `jwe` key wrapper: the layer's private options encrypted as a JWE (JSON
//! serialization, content A256GCM) to RSA keys with RSA-OAEP, as ocicrypt does with go-jose.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::pkcs8::DecodePublicKey as _;
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

/// A `jwe` recipient: RSA (RSA-OAEP) or P-256 (ECDH-ES+A256KW), as ocicrypt picks by key.
#[derive(Clone, Debug)]
pub enum PublicKey {
    Rsa(RsaPublicKey),
    P256(p256::PublicKey),
}

/// A private key a `jwe`-wrapped layer key may be opened with.
#[derive(Clone, Debug)]
pub enum PrivateKey {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::SecretKey),
}

/// Reads an RSA or P-256 public key (PEM).
pub fn parse_any_public_key(pem: &[u8]) -> Result<PublicKey> {
    if let Ok(k) = parse_public_key(pem) {
        return Ok(PublicKey::Rsa(k));
    }
    let text = std::str::from_utf8(pem).context("public key is not PEM")?;
    p256::PublicKey::from_public_key_pem(text)
        .map(PublicKey::P256)
        .map_err(|_| anyhow!("JWE: unsupported or malformed public key"))
}

/// Reads an unencrypted RSA or P-256 private key (PEM: PKCS#8, PKCS#1 or SEC1).
pub fn parse_any_private_key(pem: &[u8]) -> Result<PrivateKey> {
    if let Ok(k) = parse_private_key(pem) {
        return Ok(PrivateKey::Rsa(Box::new(k)));
    }
    let text = std::str::from_utf8(pem).context("private key is not PEM")?;
    p256::SecretKey::from_pem(text)
        .map(PrivateKey::P256)
        .map_err(|_| anyhow!("JWE: unsupported or malformed private key"))
}

/// The `…enc.keys.jwe` annotation value for `opts`, readable by each of `recipients`.
pub fn wrap(opts: &PrivateOptions, recipients: &[RsaPublicKey]) -> Result<String> {
    let keys: Vec<PublicKey> = recipients.iter().cloned().map(PublicKey::Rsa).collect();
    wrap_for(opts, &keys)
}

/// Like [`wrap`], for RSA and EC recipients alike (go-jose's layout: one recipient's header
/// goes into the protected header, several get a `recipients` array).
pub fn wrap_for(opts: &PrivateOptions, recipients: &[PublicKey]) -> Result<String> {
    let plaintext = crate::gojson::to_vec_compact(opts);
    let mut cek = [0u8; 32];
    let mut iv = [0u8; 12];
    OsRng.fill_bytes(&mut cek);
    OsRng.fill_bytes(&mut iv);
    let mut wrapped = Vec::new();
    for key in recipients {
        wrapped.push(wrap_key(key, &cek)?);
    }
    let mut protected = Map::new();
    protected.insert("enc".into(), "A256GCM".into());
    if let [(header, _)] = wrapped.as_slice() {
        protected.extend(header.clone());
    }
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
    let mut jwe = json!({
        "protected": protected,
        "iv": URL_SAFE_NO_PAD.encode(iv),
        "ciphertext": URL_SAFE_NO_PAD.encode(ciphertext),
        "tag": URL_SAFE_NO_PAD.encode(tag),
    });
    match wrapped.as_slice() {
        [(_, one)] => jwe["encrypted_key"] = URL_SAFE_NO_PAD.encode(one).into(),
        many => {
            jwe["recipients"] = many
                .iter()
                .map(|(h, k)| json!({"header": h, "encrypted_key": URL_SAFE_NO_PAD.encode(k)}))
                .collect();
        }
    }
    Ok(STANDARD.encode(serde_json::to_vec(&jwe)?))
}

/// One recipient's header and wrapped content key.
fn wrap_key(key: &PublicKey, cek: &[u8; 32]) -> Result<(Map<String, Value>, Vec<u8>)> {
    match key {
        PublicKey::Rsa(k) => {
            let wrapped = k
                .encrypt(&mut OsRng, Oaep::new::<sha1::Sha1>(), cek)
                .map_err(|e| anyhow!("JWE Encrypt failed: {e}"))?;
            let mut h = Map::new();
            h.insert("alg".into(), "RSA-OAEP".into());
            Ok((h, wrapped))
        }
        PublicKey::P256(peer) => {
            let ephemeral = random_p256_key()?;
            let kek = ecdh_es_kek(&ephemeral, peer, ECDH_ES_A256KW)?;
            let mut h = Map::new();
            h.insert("alg".into(), ECDH_ES_A256KW.into());
            h.insert("epk".into(), p256_jwk(&ephemeral.public_key())?);
            Ok((h, aes_key_wrap(&kek, cek)))
        }
    }
}

const ECDH_ES_A256KW: &str = "ECDH-ES+A256KW";

fn random_p256_key() -> Result<p256::SecretKey> {
    loop {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        if let Ok(k) = p256::SecretKey::from_slice(&bytes) {
            return Ok(k);
        }
    }
}

/// The uncompressed point (x, y) of a P-256 key.
fn p256_xy(key: &p256::PublicKey) -> Result<(Vec<u8>, Vec<u8>)> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    let point = key.as_affine().to_sec1_point(false);
    let bytes = point.as_bytes();
    if bytes.len() != 65 {
        bail!("JWE: unexpected P-256 point encoding");
    }
    Ok((bytes[1..33].to_vec(), bytes[33..].to_vec()))
}

fn p256_jwk(key: &p256::PublicKey) -> Result<Value> {
    let (x, y) = p256_xy(key)?;
    Ok(json!({
        "kty": "EC",
        "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(x),
        "y": URL_SAFE_NO_PAD.encode(y),
    }))
}

fn p256_from_jwk(jwk: &Value) -> Result<p256::PublicKey> {
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" {
        bail!("square/go-jose: invalid epk header");
    }
    let coord = |n: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[n].as_str().unwrap_or_default())
            .map_err(|_| anyhow!("square/go-jose: invalid epk header"))
    };
    let mut sec1 = vec![4u8];
    sec1.extend(coord("x")?);
    sec1.extend(coord("y")?);
    p256::PublicKey::from_sec1_bytes(&sec1)
        .map_err(|_| anyhow!("square/go-jose: invalid epk header"))
}

/// ECDH-ES key agreement and the Concat KDF (SHA-256, no PartyU/PartyV info) of JWA 4.6.
fn ecdh_es_kek(secret: &p256::SecretKey, peer: &p256::PublicKey, alg: &str) -> Result<[u8; 32]> {
    use sha2_10::Digest as _;
    let shared = (peer.to_projective() * *secret.to_nonzero_scalar()).to_affine();
    let shared =
        p256::PublicKey::from_affine(shared).map_err(|_| anyhow!("JWE: invalid ECDH result"))?;
    let (z, _) = p256_xy(&shared)?;
    let mut h = sha2_10::Sha256::new();
    h.update(1u32.to_be_bytes());
    h.update(&z);
    h.update((alg.len() as u32).to_be_bytes());
    h.update(alg.as_bytes());
    h.update(0u32.to_be_bytes());
    h.update(0u32.to_be_bytes());
    h.update(256u32.to_be_bytes());
    Ok(h.finalize().into())
}

/// RFC 3394 AES key wrap.
fn aes_key_wrap(kek: &[u8; 32], key: &[u8]) -> Vec<u8> {
    use aes::cipher::{BlockEncrypt, KeyInit as _};
    let aes = aes::Aes256::new(kek.into());
    let n = key.len() / 8;
    let mut a = [0xa6u8; 8];
    let mut r: Vec<[u8; 8]> = key.chunks(8).map(|c| c.try_into().unwrap()).collect();
    for j in 0..6 {
        for (i, ri) in r.iter_mut().enumerate() {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&a);
            b[8..].copy_from_slice(ri);
            aes.encrypt_block((&mut b).into());
            let t = (n * j + i + 1) as u64;
            a.copy_from_slice(&b[..8]);
            for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                *x ^= y;
            }
            ri.copy_from_slice(&b[8..]);
        }
    }
    let mut out = a.to_vec();
    for ri in r {
        out.extend(ri);
    }
    out
}

/// RFC 3394 AES key unwrap; `None` when the integrity check fails (another key).
fn aes_key_unwrap(kek: &[u8; 32], wrapped: &[u8]) -> Option<Vec<u8>> {
    use aes::cipher::{BlockDecrypt, KeyInit as _};
    if !wrapped.len().is_multiple_of(8) || wrapped.len() < 24 {
        return None;
    }
    let aes = aes::Aes256::new(kek.into());
    let n = wrapped.len() / 8 - 1;
    let mut a: [u8; 8] = wrapped[..8].try_into().ok()?;
    let mut r: Vec<[u8; 8]> = wrapped[8..]
        .chunks(8)
        .map(|c| c.try_into().unwrap())
        .collect();
    for j in (0..6).rev() {
        for i in (0..n).rev() {
            let t = (n * j + i + 1) as u64;
            let mut b = [0u8; 16];
            for (k, y) in t.to_be_bytes().iter().enumerate() {
                b[k] = a[k] ^ y;
            }
            b[8..].copy_from_slice(&r[i]);
            aes.decrypt_block((&mut b).into());
            a.copy_from_slice(&b[..8]);
            r[i].copy_from_slice(&b[8..]);
        }
    }
    (a == [0xa6u8; 8]).then(|| r.concat())
}

/// The private options in a layer's `…enc.keys.jwe` annotation, unwrapped with the first of
/// `keys` that can.
pub fn unwrap(annotation: &str, keys: &[RsaPrivateKey]) -> Result<PrivateOptions> {
    let keys: Vec<PrivateKey> = keys
        .iter()
        .map(|k| PrivateKey::Rsa(Box::new(k.clone())))
        .collect();
    unwrap_with(annotation, &keys)
}

/// Like [`unwrap`], for RSA and EC keys alike.
pub fn unwrap_with(annotation: &str, keys: &[PrivateKey]) -> Result<PrivateOptions> {
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

/// The content key a recipient entry wraps for `key`, if it is for that key.
fn unwrap_cek(alg: &str, epk: &Value, wrapped: &[u8], key: &PrivateKey) -> Option<Vec<u8>> {
    match (key, alg) {
        (PrivateKey::Rsa(k), "RSA-OAEP") => k.decrypt(Oaep::new::<sha1::Sha1>(), wrapped).ok(),
        (PrivateKey::Rsa(k), "RSA-OAEP-256") => {
            k.decrypt(Oaep::new::<sha2_10::Sha256>(), wrapped).ok()
        }
        (PrivateKey::P256(k), ECDH_ES_A256KW) => {
            let peer = p256_from_jwk(epk).ok()?;
            let kek = ecdh_es_kek(k, &peer, ECDH_ES_A256KW).ok()?;
            aes_key_unwrap(&kek, wrapped)
        }
        _ => None,
    }
}

/// Decrypts `jwe` with `key` if one of its recipients is that key (`None` if none is).
fn open(jwe: &Value, key: &PrivateKey) -> Result<Option<Vec<u8>>> {
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
    let header = |r: &Value, name: &str| -> Value {
        [&protected, &jwe["unprotected"], &r["header"]]
            .iter()
            .map(|h| h[name].clone())
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null)
    };
    for r in &recipients {
        let alg = header(r, "alg");
        let enc = header(r, "enc");
        let alg = alg.as_str().unwrap_or_default();
        if !matches!(alg, "RSA-OAEP" | "RSA-OAEP-256" | ECDH_ES_A256KW) {
            continue;
        }
        if enc.as_str() != Some("A256GCM") {
            bail!("JWE: content encryption {enc} is not supported");
        }
        let wrapped = b64url(r, "encrypted_key")?;
        let Some(cek) = unwrap_cek(alg, &header(r, "epk"), &wrapped, key) else {
            continue;
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_key_wrap_matches_rfc_3394() {
        // RFC 3394 4.6: 256 bits of key data with a 256-bit KEK.
        let kek: [u8; 32] =
            hex::decode("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
                .unwrap()
                .try_into()
                .unwrap();
        let data = hex::decode("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
            .unwrap();
        let wrapped = aes_key_wrap(&kek, &data);
        assert_eq!(
            hex::encode_upper(&wrapped),
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
        );
        assert_eq!(aes_key_unwrap(&kek, &wrapped), Some(data));
        let mut bad = wrapped.clone();
        bad[3] ^= 1;
        assert_eq!(aes_key_unwrap(&kek, &bad), None);
    }

    #[test]
    fn p256_recipients_round_trip() {
        let key = random_p256_key().unwrap();
        let other = random_p256_key().unwrap();
        let opts = PrivateOptions {
            symkey: vec![7; 32],
            digest: "sha256:x".into(),
            cipheroptions: Default::default(),
        };
        let wrapped = wrap_for(&opts, &[PublicKey::P256(key.public_key())]).unwrap();
        let back = unwrap_with(
            &wrapped,
            &[
                PrivateKey::P256(other.clone()),
                PrivateKey::P256(key.clone()),
            ],
        )
        .unwrap();
        assert_eq!(back.symkey, opts.symkey);
        assert!(unwrap_with(&wrapped, &[PrivateKey::P256(other)]).is_err());
    }
}
