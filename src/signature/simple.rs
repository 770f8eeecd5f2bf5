//! "Simple signing" (atomic container signatures): the signed JSON payload, read as strictly
//! as c/image reads it, and the verification steps in c/image's order — signature and key,
//! then the manifest digest, then the identity. Error texts are c/image's (5.23).

use crate::config::policy::json::{Raw, check_valid, decode_string, exact_fields, paranoid_object};
use crate::gojson::decode::type_error;

use super::openpgp::Keyring;

const SIGNATURE_TYPE: &str = "atomic container signature";

/// The payload of a simple signature, not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UntrustedPayload {
    pub manifest_digest: String,
    pub docker_reference: String,
    pub creator: Option<String>,
    pub timestamp: Option<i64>,
}

/// What a verified signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub manifest_digest: String,
    pub docker_reference: String,
    /// The fingerprint of the key that signed.
    pub key_fingerprint: String,
}

/// Parses the payload JSON (c/image's `untrustedSignature.UnmarshalJSON`).
pub fn parse_payload(data: &[u8]) -> Result<UntrustedPayload, String> {
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
    let (Some(critical), Some(optional)) = (critical, optional) else {
        return Err("Key \"critical\" missing in a JSON object".to_string());
    };

    let mut creator = None;
    let mut timestamp = None;
    paranoid_object(optional, |key, v| {
        Some(match key {
            "creator" => decode_string(v, "string").map(|s| {
                creator = Some(s.unwrap_or_default());
            }),
            "timestamp" => decode_float(v).map(|f| timestamp = Some(f)),
            // Other optional fields are ignored.
            _ => Ok(()),
        })
    })?;
    let timestamp = match timestamp {
        None => None,
        Some(f) => {
            let i = f as i64;
            if i as f64 != f {
                return Err("Field optional.timestamp is not is not an integer".to_string());
            }
            Some(i)
        }
    };

    let (manifest_digest, docker_reference) = parse_critical(critical, SIGNATURE_TYPE)?;
    Ok(UntrustedPayload {
        manifest_digest,
        docker_reference,
        creator,
        timestamp,
    })
}

/// The `critical` object both signature formats share: its `type` must be `expected_type`;
/// returns the manifest digest and the Docker reference it names.
pub(super) fn parse_critical(
    critical: Raw,
    expected_type: &str,
) -> Result<(String, String), String> {
    let mut t = String::new();
    let mut image = None;
    let mut identity = None;
    exact_fields(critical, &["type", "image", "identity"], |key, v| {
        match key {
            "type" => {
                if let Some(s) = decode_string(v, "string")? {
                    t = s;
                }
            }
            "image" => image = Some(v),
            _ => identity = Some(v),
        }
        Ok(())
    })?;
    if t != expected_type {
        return Err(format!("Unrecognized signature type {t}"));
    }
    Ok((
        single_string(image, "docker-manifest-digest")?,
        single_string(identity, "docker-reference")?,
    ))
}

/// An object with exactly one string field `name`.
fn single_string(raw: Option<Raw>, name: &str) -> Result<String, String> {
    let Some(raw) = raw else {
        return Ok(String::new());
    };
    let mut value = String::new();
    exact_fields(raw, &[name], |_, v| {
        if let Some(s) = decode_string(v, "string")? {
            value = s;
        }
        Ok(())
    })?;
    Ok(value)
}

/// Go's decoding into a `float64`.
fn decode_float(raw: Raw) -> Result<f64, String> {
    use crate::gojson::decode::Kind;
    match raw.kind() {
        Kind::Null => Ok(0.0),
        Kind::Number => {
            let text = String::from_utf8_lossy(raw.text());
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| type_error(format!("number {text}"), "float64"))
        }
        k => Err(type_error(k, "float64")),
    }
}

/// The checks a caller applies to what the signature claims, in c/image's order.
pub struct AcceptanceRules<'a> {
    pub key_identity: &'a dyn Fn(&str) -> Result<(), String>,
    pub manifest_digest: &'a dyn Fn(&str) -> Result<(), String>,
    pub docker_reference: &'a dyn Fn(&str) -> Result<(), String>,
}

/// c/image's `verifyAndExtractSignature`.
pub fn verify_and_extract(
    keyring: &Keyring,
    signature: &[u8],
    rules: &AcceptanceRules,
) -> Result<VerifiedSignature, String> {
    let (contents, key) = keyring.verify(signature)?;
    (rules.key_identity)(&key)?;
    let payload = parse_payload(&contents)?;
    (rules.manifest_digest)(&payload.manifest_digest)?;
    (rules.docker_reference)(&payload.docker_reference)?;
    Ok(VerifiedSignature {
        manifest_digest: payload.manifest_digest,
        docker_reference: payload.docker_reference,
        key_fingerprint: key,
    })
}

/// Whether `manifest` has digest `expected` (c/image 5.23's `manifest.MatchesDigest`: the
/// digest string compared with the manifest's sha256 digest, schema 1 signatures stripped).
pub fn manifest_matches(manifest: &[u8], expected: &str) -> Result<bool, String> {
    let actual = crate::manifest::digest(manifest).map_err(|e| e.to_string())?;
    Ok(actual.to_string() == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:aa"},"identity":{"docker-reference":"example.com/a:b"}},"optional":{"creator":"atomic 5.23.1","timestamp":1796610442,"extra":[1]}}"#;

    #[test]
    fn parses_a_payload() {
        let p = parse_payload(GOOD.as_bytes()).unwrap();
        assert_eq!(p.manifest_digest, "sha256:aa");
        assert_eq!(p.docker_reference, "example.com/a:b");
        assert_eq!(p.creator.as_deref(), Some("atomic 5.23.1"));
        assert_eq!(p.timestamp, Some(1796610442));
    }

    #[test]
    fn refuses_payloads_as_c_image_does() {
        let err = |s: &str| parse_payload(s.as_bytes()).unwrap_err();
        assert_eq!(
            err(r#"{"critical":{}}"#),
            "Key \"optional\" missing in a JSON object"
        );
        assert_eq!(
            err(&GOOD.replace("atomic container signature", "other")),
            "Unrecognized signature type other"
        );
        assert_eq!(
            err(&GOOD.replace("1796610442", "1.5")),
            "Field optional.timestamp is not is not an integer"
        );
        assert_eq!(
            err(&GOOD.replace(r#""identity":"#, r#""identity":{},"x":"#)),
            "Unknown key \"x\""
        );
        assert!(
            err("{").starts_with("unexpected end of JSON input"),
            "{}",
            err("{")
        );
    }
}
