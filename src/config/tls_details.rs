//! `--tls-details FILE`: containers-tls-details.yaml(5) — the minimum TLS version, the
//! allowed cipher suites and named groups, by IANA name, as c/image reads them (unknown
//! fields and names are errors; every field is optional).

use std::path::Path;

use anyhow::{Result, anyhow};
use serde::Deserialize;

use crate::gotext::{go_path_error, go_quote};

/// What the file asks for, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsDetails {
    /// `minVersion: "1.3"`; 1.0–1.2 change nothing (Go's client and rustls start at 1.2).
    pub min_tls13: bool,
    /// IANA names; `None` when not set.
    pub cipher_suites: Option<Vec<String>>,
    pub named_groups: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct File {
    /// Any scalar: yaml.v3 gives a string field the text of `1.3` unquoted too.
    min_version: Option<serde_norway::Value>,
    cipher_suites: Option<Vec<String>>,
    named_groups: Option<Vec<String>>,
}

/// Every name Go's crypto/tls knows (`CipherSuites()` and `InsecureCipherSuites()`): any of
/// them is accepted, and the ones rustls implements are used.
const CIPHER_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
];

/// The group names c/image accepts (IANA's spelling, so `X25519MLKEM768` is capitalised).
const NAMED_GROUPS: &[&str] = &[
    "secp256r1",
    "secp384r1",
    "secp521r1",
    "x25519",
    "X25519MLKEM768",
];

impl TlsDetails {
    /// Reads and checks the file, with c/image's error texts.
    pub fn load(path: &Path) -> Result<TlsDetails> {
        let quoted = go_quote(&path.to_string_lossy());
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("reading {quoted}: {}", go_path_error("open", path, &e)))?;
        // An empty document is io.EOF to yaml.v3's decoder.
        let empty = text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        if empty {
            return Err(anyhow!("parsing {quoted}: EOF"));
        }
        let file: File = serde_norway::from_str(&text).map_err(|e| {
            let e = e.to_string().replace('\n', " ");
            anyhow!("parsing {quoted}: {e}")
        })?;
        TlsDetails::check(file).map_err(|e| anyhow!("parsing TLS details {quoted}: {e}"))
    }

    fn check(file: File) -> Result<TlsDetails> {
        use serde_norway::Value;
        let min_version = match file.min_version {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(_) => return Err(anyhow!("minVersion is not a string")),
        };
        let min_tls13 = match min_version.as_deref() {
            None | Some("") => false,
            Some("1.0" | "1.1" | "1.2") => false,
            Some("1.3") => true,
            Some(v) => return Err(anyhow!("unrecognized TLS minimum version {}", go_quote(v))),
        };
        for name in file.cipher_suites.iter().flatten() {
            if !CIPHER_SUITES.contains(&name.as_str()) {
                return Err(anyhow!("unrecognized TLS cipher suite {}", go_quote(name)));
            }
        }
        for name in file.named_groups.iter().flatten() {
            if !NAMED_GROUPS.contains(&name.as_str()) {
                return Err(anyhow!("unrecognized TLS named group {}", go_quote(name)));
            }
        }
        Ok(TlsDetails {
            min_tls13,
            cipher_suites: file.cipher_suites,
            named_groups: file.named_groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<TlsDetails> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.yaml");
        std::fs::write(&p, text).unwrap();
        TlsDetails::load(&p).map_err(|e| anyhow!(e.to_string().replace(&*p.to_string_lossy(), "P")))
    }

    #[test]
    fn the_documented_example() {
        let d = load("minVersion: \"1.3\"\ncipherSuites:\n  - \"TLS_AES_128_GCM_SHA256\"\nnamedGroups:\n  - \"x25519\"\n").unwrap();
        assert!(d.min_tls13);
        assert_eq!(d.cipher_suites.unwrap(), vec!["TLS_AES_128_GCM_SHA256"]);
        assert_eq!(d.named_groups.unwrap(), vec!["x25519"]);
        assert_eq!(
            load("minVersion: \"1.2\"\n").unwrap(),
            TlsDetails::default()
        );
        assert!(load("minVersion: 1.3\n").unwrap().min_tls13);
    }

    #[test]
    fn errors_name_the_file_and_the_value() {
        assert_eq!(
            load("minVersion: \"1.4\"\n").unwrap_err().to_string(),
            "parsing TLS details \"P\": unrecognized TLS minimum version \"1.4\""
        );
        assert_eq!(
            load("cipherSuites: [TLS_BOGUS]\n").unwrap_err().to_string(),
            "parsing TLS details \"P\": unrecognized TLS cipher suite \"TLS_BOGUS\""
        );
        assert_eq!(
            load("namedGroups: [X25519]\n").unwrap_err().to_string(),
            "parsing TLS details \"P\": unrecognized TLS named group \"X25519\""
        );
        assert_eq!(
            load("# nothing\n").unwrap_err().to_string(),
            "parsing \"P\": EOF"
        );
        let e = load("minVersion: 1.2\nbogus: 1\n").unwrap_err().to_string();
        assert!(e.starts_with("parsing \"P\": ") && !e.contains('\n'), "{e}");
    }
}
