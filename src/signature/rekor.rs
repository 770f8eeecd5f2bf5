//! Rekor "signed entry timestamps" (the `dev.sigstore.cosign/bundle` annotation), checked as
//! c/image's `VerifyRekorSET` checks them: the Rekor key's ECDSA signature over the RFC 8785
//! canonical JSON of the bundle's payload, then the logged `hashedrekord` entry must name the
//! same key or certificate, the same signature and the payload's SHA-256. The entry's
//! integration time is returned (a Fulcio certificate must be valid then).

use base64::Engine;
use p256::ecdsa::signature::Verifier;
use serde::Deserialize;
use serde_json::Value;

use crate::config::policy::json::{Raw, check_valid, exact_fields};

/// RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16 code units, no
/// whitespace, minimal string escapes, numbers as ECMAScript writes them.
pub fn canonical_json(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_canonical(v, &mut out)?;
    Ok(out)
}

fn write_canonical(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => {
            out.push_str(&serde_json::to_string(v).map_err(|e| e.to_string())?)
        }
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.push_str(&n.to_string());
            } else {
                let f = n.as_f64().ok_or("invalid number")?;
                if f.fract() == 0.0 && f.abs() < 1e21 {
                    out.push_str(&format!("{f:.0}"));
                } else {
                    out.push_str(&format!("{f}"));
                }
            }
        }
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(e, out)?;
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort_by_key(|k| k.encode_utf16().collect::<Vec<u16>>());
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).map_err(|e| e.to_string())?);
                out.push(':');
                write_canonical(&o[k], out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Rekor public keys from PEM texts (c/image's words, keys numbered from 1).
pub fn parse_rekor_keys(pems: &[Vec<u8>]) -> Result<Vec<p256::ecdsa::VerifyingKey>, String> {
    pems.iter()
        .enumerate()
        .map(|(i, pem)| {
            let der = super::x509::pem_blocks(pem, "PUBLIC KEY")
                .ok()
                .and_then(|b| b.into_iter().next())
                .ok_or_else(|| {
                    format!("parsing Rekor public key {}: PEM decoding failed", i + 1)
                })?;
            if !der.starts_with(&[0x30])
                || !contains(&der, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01])
            {
                return Err(format!("Rekor public key {} is not using ECDSA", i + 1));
            }
            super::x509::p256_key(&der)
                .map_err(|e| format!("parsing Rekor public key {}: {e}", i + 1))
        })
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[derive(Deserialize)]
struct Hashedrekord {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    spec: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Deserialize)]
struct HashedrekordV001 {
    data: Option<RekordData>,
    signature: Option<RekordSignature>,
}

#[derive(Deserialize)]
struct RekordData {
    hash: Option<RekordHash>,
}

#[derive(Deserialize)]
struct RekordHash {
    algorithm: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct RekordSignature {
    #[serde(default)]
    content: Option<String>,
    #[serde(rename = "publicKey")]
    public_key: Option<RekordPublicKey>,
}

#[derive(Deserialize)]
struct RekordPublicKey {
    #[serde(default)]
    content: Option<String>,
}

fn b64(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| e.to_string())
}

/// The one PEM block of `text`, decoded; `None` if `text` is not PEM, `Some(Err)` if
/// something follows the block.
fn single_pem(text: &[u8]) -> Option<Result<Vec<u8>, ()>> {
    let s = String::from_utf8_lossy(text);
    let start = s.find("-----BEGIN ")?;
    let label_end = s[start + 11..].find("-----")? + start + 11;
    let label = &s[start + 11..label_end];
    let end_marker = format!("-----END {label}-----");
    let body_start = label_end + 5;
    let end = s[body_start..].find(&end_marker)? + body_start;
    let body: String = s[body_start..end].split_whitespace().collect();
    let der = b64(&body).ok()?;
    let rest = s[end + end_marker.len()..].trim_start_matches(['\r', '\n']);
    Some(if rest.is_empty() { Ok(der) } else { Err(()) })
}

/// c/image's `VerifyRekorSET`; returns the integration time (Unix seconds).
pub fn verify_set(
    keys: &[p256::ecdsa::VerifyingKey],
    set: &[u8],
    key_or_cert_pem: &[u8],
    base64_signature: &str,
    payload: &[u8],
) -> Result<i64, String> {
    check_valid(set)?;
    let (mut set_sig, mut set_payload) = (None, None);
    exact_fields(
        Raw::top(set),
        &["SignedEntryTimestamp", "Payload"],
        |key, v| {
            if key == "SignedEntryTimestamp" {
                set_sig = crate::config::policy::json::decode_bytes(v)?;
            } else {
                set_payload = Some(v.text().to_vec());
            }
            Ok(())
        },
    )?;
    let set_payload = set_payload.unwrap_or_default();
    let value: Value = serde_json::from_slice(&set_payload)
        .map_err(|e| format!("canonicalizing Rekor SET JSON: {e}"))?;
    let canonical = canonical_json(&value)?;
    let sig = set_sig
        .as_deref()
        .and_then(super::sigstore::parse_der_signature);
    if !keys
        .iter()
        .any(|k| sig.is_some_and(|s| k.verify(canonical.as_bytes(), &s).is_ok()))
    {
        return Err("cryptographic signature verification of Rekor SET failed".to_string());
    }

    let (mut body, mut integrated_time) = (None, 0i64);
    exact_fields(
        Raw::top(canonical.as_bytes()),
        &["body", "integratedTime", "logIndex", "logID"],
        |key, v| {
            match key {
                "body" => body = crate::config::policy::json::decode_bytes(v)?,
                "integratedTime" => {
                    integrated_time = String::from_utf8_lossy(v.text()).parse().map_err(|_| {
                        "json: cannot unmarshal into Go value of type int64".to_string()
                    })?
                }
                _ => {}
            }
            Ok(())
        },
    )
    .map_err(|e| format!("parsing Rekor SET payload: {e}"))?;
    let rekord: Hashedrekord = serde_json::from_slice(&body.unwrap_or_default())
        .map_err(|e| format!("decoding the body of a Rekor SET payload: {e}"))?;
    let Some(version) = rekord.api_version else {
        return Err("missing Rekor SET Payload API version".to_string());
    };
    if version != "0.0.1" {
        return Err(format!(
            "unsupported Rekor SET Payload hashedrekord version {}",
            crate::gotext::go_quote(&version)
        ));
    }
    let spec: HashedrekordV001 =
        serde_json::from_str(rekord.spec.as_deref().map_or("null", |r| r.get()))
            .map_err(|e| format!("decoding hashedrekod spec: {e}"))?;
    let Some(signature) = spec.signature else {
        return Err(r#"Missing "signature" field in hashedrekord"#.to_string());
    };
    let Some(public_key) = signature.public_key else {
        return Err(r#"Missing "signature.publicKey" field in hashedrekord"#.to_string());
    };
    let logged_pem = b64(public_key.content.as_deref().unwrap_or_default())
        .map_err(|e| format!("decoding hashedrekod spec: {e}"))?;
    let logged = match single_pem(&logged_pem) {
        None => return Err("publicKey in Rekor SET is not in PEM format".to_string()),
        Some(Err(())) => return Err("publicKey in Rekor SET has trailing data".to_string()),
        Some(Ok(d)) => d,
    };
    let given = match single_pem(key_or_cert_pem) {
        None => {
            return Err("public key or cert to be matched against publicKey in Rekor SET is not in PEM format".to_string());
        }
        Some(Err(())) => {
            return Err(
                "public key or cert to be matched against publicKey in Rekor SET has trailing data"
                    .to_string(),
            );
        }
        Some(Ok(d)) => d,
    };
    if logged != given {
        return Err("publicKey in Rekor SET does not match".to_string());
    }
    let signature_bytes =
        b64(base64_signature).map_err(|e| format!("decoding signature base64: {e}"))?;
    let logged_signature = b64(signature.content.as_deref().unwrap_or_default())
        .map_err(|e| format!("decoding hashedrekod spec: {e}"))?;
    if logged_signature != signature_bytes {
        return Err(format!(
            "signature in Rekor SET does not match: {} vs. {}",
            crate::gotext::go_quote_bytes(&logged_signature),
            crate::gotext::go_quote_bytes(&signature_bytes)
        ));
    }
    let Some(data) = spec.data else {
        return Err(r#"Missing "data" field in hashedrekord"#.to_string());
    };
    let Some(hash) = data.hash else {
        return Err(r#"Missing "data.hash" field in hashedrekord"#.to_string());
    };
    let Some(algorithm) = hash.algorithm else {
        return Err(r#"Missing "data.hash.algorithm" field in hashedrekord"#.to_string());
    };
    if algorithm != "sha256" {
        return Err(format!(
            r#"Unexpected "data.hash.algorithm" value {}"#,
            crate::gotext::go_quote(&algorithm)
        ));
    }
    let Some(value) = hash.value else {
        return Err(r#"Missing "data.hash.value" field in hashedrekord"#.to_string());
    };
    let logged_hash = hex::decode(&value)
        .map_err(|e| format!(r#"Invalid "data.hash.value" field in hashedrekord: {e}"#))?;
    if hex::encode(&logged_hash) != crate::digest::Digest::sha256_of(payload).hex() {
        return Err("payload in Rekor SET does not match".to_string());
    }
    Ok(integrated_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_and_compacts() {
        let v: Value = serde_json::from_str(
            r#"{ "logIndex": 2, "body": "x\u0001", "integratedTime": 1700000000, "logID": "é" }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"body\":\"x\\u0001\",\"integratedTime\":1700000000,\"logID\":\"é\",\"logIndex\":2}"
        );
    }
}
