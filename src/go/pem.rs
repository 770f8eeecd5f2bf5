//! `encoding/pem`'s `EncodeToMemory` for a block without headers: base64 in 64-character
//! lines between the BEGIN and END lines, as every key and certificate file skopeo writes.

use base64::Engine;

/// `der` as a PEM block labelled `label`.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The first PEM block of `text`, whatever its label: `(label, der)`, or `None` where there is
/// none (none, unterminated, a body that is not base64, or text that is not UTF-8).
pub fn decode_first(text: &[u8]) -> Option<(String, Vec<u8>)> {
    let text = std::str::from_utf8(text).ok()?;
    let (_, rest) = text.split_once("-----BEGIN ")?;
    let (label, rest) = rest.split_once("-----")?;
    let (body, _) = rest.split_once(&format!("-----END {label}-----"))?;
    let body: String = body.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((label.to_string(), der))
}
