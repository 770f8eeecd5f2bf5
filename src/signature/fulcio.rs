//! Fulcio certificates for `--sign-by-sigstore` (`fulcio:` in the parameter file), as c/image
//! obtains them: a new P-256 key for this run, the OIDC ID token's subject (its verified
//! e-mail, else `sub`) signed with it as proof of possession, both sent with the token as
//! bearer to Fulcio's `POST /api/v1/signingCert` (the endpoint c/image's Fulcio client uses;
//! Fulcio serves it beside v2). The answer is a PEM chain: the leaf first, then the chain
//! that goes into the signature's `dev.sigstore.cosign/chain` annotation.
//!
//! The token is only parsed here, not verified: Fulcio verifies it.

use base64::Engine;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use serde::Deserialize;
use sha2::Digest as _;

/// What Fulcio issued: the key it certified and the certificates, as PEM.
pub struct Issued {
    pub key: p256::ecdsa::SigningKey,
    /// The leaf certificate, one PEM block as Go's encoder writes it.
    pub certificate: String,
    /// Everything Fulcio sent after the leaf (intermediates and root), as sent.
    pub chain: String,
}

/// The JWS algorithms sigstore accepts in a static token (RFC 7518 §3.1).
const ALLOWED_ALGORITHMS: [&str; 13] = [
    "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA",
    "HS256", "HS384", "HS512",
];

#[derive(Deserialize, Default)]
struct Claims {
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    sub: String,
}

/// The subject Fulcio will certify for `raw` (a compact JWS): the e-mail when the token has
/// one (which the issuer must have verified), else `sub`. Errors are c/image's, without its
/// `parsing OIDC token: ` prefix.
pub fn token_subject(raw: &str) -> Result<String, String> {
    let raw: String = raw.split_whitespace().collect();
    let parts: Vec<&str> = raw.split('.').collect();
    if parts.len() != 3 {
        return Err("go-jose/go-jose: compact JWS format must have three parts".into());
    }
    let decode = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| go_base64_error(&e, s.len()))
    };
    let (header, payload) = (decode(parts[0])?, decode(parts[1])?);
    decode(parts[2])?;
    let header: serde_json::Value = serde_json::from_slice(&header).map_err(|e| e.to_string())?;
    let alg = header.get("alg").and_then(|a| a.as_str()).unwrap_or("");
    if !ALLOWED_ALGORITHMS.contains(&alg) {
        return Err(format!(
            "go-jose/go-jose: unexpected signature algorithm {}; expected {:?}",
            crate::gotext::go_quote(alg),
            ALLOWED_ALGORITHMS
        ));
    }
    let claims: Claims = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
    if !claims.email.is_empty() {
        if !claims.email_verified {
            return Err("not verified by identity provider".into());
        }
        return Ok(claims.email);
    }
    if claims.sub.is_empty() {
        return Err("no subject found in claims".into());
    }
    Ok(claims.sub)
}

/// Go's `base64.CorruptInputError` text for a decoding failure of `len` bytes of input.
fn go_base64_error(e: &base64::DecodeError, len: usize) -> String {
    let at = match e {
        base64::DecodeError::InvalidByte(at, _)
        | base64::DecodeError::InvalidLastSymbol { offset: at, .. } => *at,
        _ => len,
    };
    format!("illegal base64 data at input byte {at}")
}

/// Asks Fulcio at `fulcio` for a certificate of a new key, authenticated by `token` (whose
/// subject is `subject`). Blocks; runs on a thread of its own so that an async caller's
/// runtime is not re-entered. Errors are c/image's, without `obtaining certificate from
/// Fulcio: `.
pub fn obtain(fulcio: &url::Url, token: &str, subject: &str) -> Result<Issued, String> {
    let key = loop {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(|e| format!("generating short-term private key: {e}"))?;
        if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&b) {
            break k;
        }
    };
    let proof: p256::ecdsa::Signature = key
        .sign_prehash(&sha2::Sha256::digest(subject.as_bytes()))
        .map_err(|e| format!("Error signing key ownership proof: {e}"))?;
    let mut spki = super::sigstore::P256_SPKI_PREFIX.to_vec();
    spki.extend_from_slice(key.verifying_key().to_sec1_point(false).as_bytes());
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let request = serde_json::json!({
        "publicKey": {"content": b64(&spki), "algorithm": "ecdsa"},
        "signedEmailAddress": b64(proof.to_der().as_bytes()),
    });
    let endpoint = signing_cert_url(fulcio);
    let body = std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("starting the runtime: {e}"))?
                .block_on(post(&endpoint, token, &request))
        })
        .join()
        .unwrap_or_else(|_| Err("the Fulcio request failed".into()))
    })?;
    let (certificate, chain) = split_chain(&body)?;
    Ok(Issued {
        key,
        certificate,
        chain,
    })
}

/// Go's `path.Join(base.Path, "/api/v1/signingCert")` on the Fulcio URL.
fn signing_cert_url(fulcio: &url::Url) -> url::Url {
    let mut u = fulcio.clone();
    let base = u.path().trim_end_matches('/').to_string();
    u.set_path(&format!("{base}/api/v1/signingCert"));
    u
}

async fn post(
    endpoint: &url::Url,
    token: &str,
    request: &serde_json::Value,
) -> Result<Vec<u8>, String> {
    let client =
        crate::transport::docker::client::simple_http_client().map_err(|e| e.to_string())?;
    let res = client
        .post(endpoint.clone())
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(request).unwrap_or_default())
        .send()
        .await
        .map_err(|e| {
            format!(
                "client: {}",
                crate::transport::docker::client::go_url_error("POST", endpoint, &e)
            )
        })?;
    let status = res.status();
    let sct = res
        .headers()
        .get("SCT")
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let body = res
        .bytes()
        .await
        .map_err(|e| format!("{endpoint} read: {e}"))?;
    if status.as_u16() != 201 {
        return Err(format!(
            "POST {endpoint} returned {status}: {}",
            crate::gotext::go_quote_bytes(&body)
        ));
    }
    // The SCT header must be base64 (an absent one is empty); the SCT is not kept, as c/image
    // keeps none.
    base64::engine::general_purpose::STANDARD
        .decode(&sct)
        .map_err(|e| format!("decode: {}", go_base64_error(&e, sct.len())))?;
    Ok(body.to_vec())
}

/// Go's `pem.Decode` of the answer: the first block re-encoded, and the rest as sent.
fn split_chain(body: &[u8]) -> Result<(String, String), String> {
    let text = String::from_utf8_lossy(body);
    let missing = || "did not find a cert from Fulcio".to_string();
    let start = text.find("-----BEGIN ").ok_or_else(missing)?;
    let after = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = after.split_once("-----").ok_or_else(missing)?;
    let end_marker = format!("-----END {label}-----");
    let end = rest.find(&end_marker).ok_or_else(missing)?;
    let b64: String = rest[..end].split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| missing())?;
    let tail = &rest[end + end_marker.len()..];
    // The rest of the END line goes with the block.
    let chain = match tail.find('\n') {
        Some(i) => &tail[i + 1..],
        None => "",
    };
    Ok((crate::go::pem::encode(label, &der), chain.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, claims: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", e(header), e(claims), e("sig"))
    }

    #[test]
    fn token_subjects_follow_sigstore() {
        let h = r#"{"alg":"ES256"}"#;
        assert_eq!(
            token_subject(&jwt(
                h,
                r#"{"email":"a@b","email_verified":true,"sub":"x"}"#
            )),
            Ok("a@b".into())
        );
        assert_eq!(token_subject(&jwt(h, r#"{"sub":"x"}"#)), Ok("x".into()));
        assert_eq!(
            token_subject(&jwt(h, r#"{"email":"a@b"}"#)),
            Err("not verified by identity provider".into())
        );
        assert_eq!(
            token_subject(&jwt(h, "{}")),
            Err("no subject found in claims".into())
        );
        assert_eq!(
            token_subject("not a token"),
            Err("go-jose/go-jose: compact JWS format must have three parts".into())
        );
        assert!(
            token_subject(&jwt(r#"{"alg":"none"}"#, r#"{"sub":"x"}"#))
                .unwrap_err()
                .starts_with(r#"go-jose/go-jose: unexpected signature algorithm "none"; expected"#)
        );
        assert_eq!(
            token_subject("e30.b!.c"),
            Err("illegal base64 data at input byte 1".into())
        );
    }

    #[test]
    fn answers_split_into_leaf_and_chain() {
        let body = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAwQ=\n-----END CERTIFICATE-----\n";
        let (leaf, chain) = split_chain(body.as_bytes()).unwrap();
        assert_eq!(
            leaf,
            "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n"
        );
        assert_eq!(
            chain,
            "-----BEGIN CERTIFICATE-----\nAwQ=\n-----END CERTIFICATE-----\n"
        );
        assert_eq!(
            split_chain(b"nothing").unwrap_err(),
            "did not find a cert from Fulcio"
        );
        assert_eq!(
            signing_cert_url(&"http://h:1/prefix/".parse().unwrap()).as_str(),
            "http://h:1/prefix/api/v1/signingCert"
        );
    }
}
