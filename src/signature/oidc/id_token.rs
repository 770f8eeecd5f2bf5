//! go-oidc's ID token verifier, as oauthflow runs it on a token it obtained: the issuer is the
//! provider's, the audience holds the client ID, the token has not expired, its algorithm is
//! one the provider announces (RS256 when it announces none), and a key of the provider's
//! JWKS (`jwks_uri`) verifies its signature. RS256 and ES256 keys are supported here.

use base64::Engine;
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use serde::Deserialize;
use sha2::Digest as _;

use super::Provider;
use crate::go::text::go_quote;
use crate::signature::public_key::{Hash, PublicKey};

/// The claims the flows look at after verification.
#[derive(Debug, Default, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub iss: String,
    #[serde(default)]
    aud: Audience,
    #[serde(default)]
    exp: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
    #[serde(default)]
    pub nonce: String,
    #[serde(default)]
    pub at_hash: String,
}

/// `aud`: one string or a list (go-oidc accepts both).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn list(&self) -> Vec<String> {
        match self {
            Audience::None => Vec::new(),
            Audience::One(a) => vec![a.clone()],
            Audience::Many(a) => a.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Header {
    #[serde(default)]
    alg: String,
    #[serde(default)]
    kid: String,
}

#[derive(Debug, Default, Deserialize)]
struct Jwk {
    #[serde(default)]
    kty: String,
    #[serde(default)]
    kid: String,
    #[serde(default)]
    crv: String,
    #[serde(default)]
    x: String,
    #[serde(default)]
    y: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    e: String,
}

#[derive(Debug, Default, Deserialize)]
struct Jwks {
    #[serde(default)]
    keys: Vec<Jwk>,
}

fn b64url(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| e.to_string())
}

/// Verifies `raw` for `client_id` (go-oidc's checks in its order); the claims.
pub async fn verify(
    http: &reqwest::Client,
    provider: &Provider,
    raw: &str,
    client_id: &str,
) -> Result<Claims, String> {
    let parts: Vec<&str> = raw.split('.').collect();
    if parts.len() != 3 {
        return Err(
            "oidc: malformed jwt: oidc: malformed jwt, expected 3 parts got ".to_string()
                + &parts.len().to_string(),
        );
    }
    let payload = b64url(parts[1]).map_err(|e| format!("oidc: malformed jwt payload: {e}"))?;
    let claims: Claims = serde_json::from_slice(&payload)
        .map_err(|e| format!("oidc: failed to unmarshal claims: {e}"))?;
    if claims.iss != provider.issuer {
        return Err(format!(
            "oidc: id token issued by a different provider, expected {} got {}",
            go_quote(&provider.issuer),
            go_quote(&claims.iss)
        ));
    }
    if client_id.is_empty() {
        return Err(
            "oidc: invalid configuration, clientID must be provided or SkipClientIDCheck must be set"
                .into(),
        );
    }
    let audience = claims.aud.list();
    if !audience.iter().any(|a| a == client_id) {
        let got: Vec<String> = audience.iter().map(|a| go_quote(a)).collect();
        return Err(format!(
            "oidc: expected audience {} got [{}]",
            go_quote(client_id),
            got.join(" ")
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let exp = claims.exp.unwrap_or(0.0);
    if exp < now {
        return Err(format!(
            "oidc: token is expired (Token Expiry: {})",
            go_time(exp)
        ));
    }
    // go-oidc allows five minutes of clock skew before `nbf`.
    if let Some(nbf) = claims.nbf
        && now + 300.0 < nbf
    {
        return Err(format!(
            "oidc: current time {} before the nbf (not before) time: {}",
            go_time(now),
            go_time(nbf)
        ));
    }
    let header: Header = b64url(parts[0])
        .and_then(|h| serde_json::from_slice(&h).map_err(|e| e.to_string()))
        .map_err(|e| format!("oidc: malformed jwt: {e}"))?;
    let mut supported: Vec<&str> = provider
        .id_token_signing_alg_values_supported
        .iter()
        .map(String::as_str)
        .filter(|a| KNOWN_ALGORITHMS.contains(a))
        .collect();
    if supported.is_empty() {
        supported.push("RS256");
    }
    if !supported.contains(&header.alg.as_str()) {
        let expected: Vec<String> = supported.iter().map(|a| go_quote(a)).collect();
        return Err(format!(
            "oidc: id token signed with unsupported algorithm, expected [{}] got {}",
            expected.join(" "),
            go_quote(&header.alg)
        ));
    }
    let signature = b64url(parts[2]).map_err(|e| format!("oidc: malformed jwt: {e}"))?;
    let signed = format!("{}.{}", parts[0], parts[1]);
    let keys = fetch_keys(http, &provider.jwks_uri).await?;
    let verified = keys
        .iter()
        .filter(|k| header.kid.is_empty() || k.kid == header.kid)
        .any(|k| key_verifies(k, &header.alg, signed.as_bytes(), &signature));
    if !verified {
        return Err("failed to verify signature: failed to verify id token signature".to_string());
    }
    Ok(claims)
}

/// The algorithms go-oidc takes from a provider's announcement.
const KNOWN_ALGORITHMS: [&str; 10] = [
    "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
];

async fn fetch_keys(http: &reqwest::Client, jwks_uri: &str) -> Result<Vec<Jwk>, String> {
    let fail = |e: String| format!("failed to verify signature: fetching keys oidc: {e}");
    let url = url::Url::parse(jwks_uri)
        .map_err(|e| fail(format!("parsing jwks_uri {jwks_uri:?}: {e}")))?;
    let (status, body) = super::get(http, &url).await.map_err(fail)?;
    if !status.is_success() {
        return Err(fail(format!(
            "get keys failed: {status} {}",
            String::from_utf8_lossy(&body).trim_end()
        )));
    }
    let jwks: Jwks =
        serde_json::from_slice(&body).map_err(|e| fail(format!("failed to decode keys: {e}")))?;
    Ok(jwks.keys)
}

/// Whether `key` verifies the JWS `signature` over `signed` with `alg`.
fn key_verifies(key: &Jwk, alg: &str, signed: &[u8], signature: &[u8]) -> bool {
    match (alg, key.kty.as_str()) {
        ("ES256", "EC") if key.crv == "P-256" => {
            let (Ok(x), Ok(y)) = (b64url(&key.x), b64url(&key.y)) else {
                return false;
            };
            if x.len() != 32 || y.len() != 32 {
                return false;
            }
            let point = [&[4u8][..], &x, &y].concat();
            let (Ok(k), Ok(sig)) = (
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&point),
                p256::ecdsa::Signature::from_slice(signature),
            ) else {
                return false;
            };
            k.verify_prehash(&sha2::Sha256::digest(signed), &sig)
                .is_ok()
        }
        ("RS256", "RSA") => {
            let (Ok(n), Ok(e)) = (b64url(&key.n), b64url(&key.e)) else {
                return false;
            };
            let Ok(k) = rsa::RsaPublicKey::new(
                rsa::BigUint::from_bytes_be(&n),
                rsa::BigUint::from_bytes_be(&e),
            ) else {
                return false;
            };
            PublicKey::Rsa(k).verifies(Hash::Sha256, signed, signature)
        }
        _ => false,
    }
}

/// go-oidc's `VerifyAccessToken`: `at_hash` is the left half of the access token's SHA-256
/// (the hash of RS256 and ES256), base64url.
pub fn check_access_token_hash(claims: &Claims, access_token: &str) -> Result<(), String> {
    if claims.at_hash.is_empty() {
        return Ok(());
    }
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    if expected != claims.at_hash {
        return Err("access token hash does not match value in ID token".into());
    }
    Ok(())
}

/// A Unix time as Go prints a UTC `time.Time`.
fn go_time(secs: f64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RS256 signature made by openssl (PKCS #1 v1.5 over SHA-256) verifies with the JWK of
    /// its key, and not over other bytes.
    #[test]
    fn rs256_signatures_made_by_openssl_verify() {
        let t = tempfile::tempdir().unwrap();
        let (key, data) = (t.path().join("k.pem"), t.path().join("data"));
        let openssl = |args: &[&std::ffi::OsStr]| {
            let out = std::process::Command::new("openssl").args(args).output();
            out.ok().filter(|o| o.status.success()).map(|o| o.stdout)
        };
        let os = |s: &'static str| std::ffi::OsStr::new(s);
        let made = openssl(&[
            os("genpkey"),
            os("-algorithm"),
            os("RSA"),
            os("-pkeyopt"),
            os("rsa_keygen_bits:2048"),
            os("-out"),
            key.as_os_str(),
        ]);
        let Some(_) = made else {
            assert!(std::env::var("CI").is_err(), "openssl is missing");
            return;
        };
        std::fs::write(&data, b"header.payload").unwrap();
        let sig = openssl(&[
            os("dgst"),
            os("-sha256"),
            os("-sign"),
            key.as_os_str(),
            data.as_os_str(),
        ])
        .unwrap();
        let modulus = openssl(&[
            os("rsa"),
            os("-noout"),
            os("-modulus"),
            os("-in"),
            key.as_os_str(),
        ])
        .unwrap();
        let hex_n = String::from_utf8(modulus).unwrap();
        let n = hex::decode(hex_n.trim().trim_start_matches("Modulus=")).unwrap();
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA", "n": b64(&n), "e": b64(&[1, 0, 1])
        }))
        .unwrap();
        assert!(key_verifies(&jwk, "RS256", b"header.payload", &sig));
        assert!(!key_verifies(&jwk, "RS256", b"header.payload2", &sig));
        assert!(!key_verifies(&jwk, "ES256", b"header.payload", &sig));
    }

    #[test]
    fn audiences_and_access_token_hashes() {
        let c: Claims = serde_json::from_str(r#"{"aud":["a","b"],"at_hash":"x"}"#).unwrap();
        assert_eq!(c.aud.list(), vec!["a", "b"]);
        let c: Claims = serde_json::from_str(r#"{"aud":"a"}"#).unwrap();
        assert_eq!(c.aud.list(), vec!["a"]);
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        let digest = sha2::Sha256::digest(token.as_bytes());
        let good = Claims {
            at_hash: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]),
            ..Default::default()
        };
        assert_eq!(check_access_token_hash(&good, token), Ok(()));
        assert!(check_access_token_hash(&good, "other").is_err());
        assert_eq!(go_time(0.0), "1970-01-01 00:00:00 +0000 UTC");
    }
}
