//! Credential keys: what `login`/`logout` accept as their argument, and the checks c/image
//! applies to every key it reads, writes or removes.

use anyhow::{Result, anyhow};

use crate::reference::DockerReference;
use crate::reference::goutil::go_quote;

/// Turns a `login`/`logout` argument into the key credentials are stored under, as skopeo
/// (containers/common with repositories accepted) does:
///
/// - `http://` / `https://` URLs are replaced by their host[:port] (`https://quay.io/v2/` →
///   `quay.io`); a URL Go cannot parse fails with `trimming http{s} prefix: parse "…": …`;
/// - a bare registry (`quay.io`, `localhost:5000`) is kept as it is;
/// - `registry/namespace[/repo]` must be a valid repository name without tag or digest
///   (`reference "quay.io/a/b:tag" contains tag or digest`, `parse reference from "…": …`),
///   and is kept as written (`docker.io/vendor` is not turned into `docker.io/library/vendor`).
///
/// The result can still be refused by [`validate_key`] (e.g. `host@sha256:…`), which every
/// store/remove/lookup applies.
pub fn normalize_key(input: &str) -> Result<String> {
    let key = replace_url_by_host_port(input)?;
    let registry = key.split('/').next().unwrap_or_default();
    if registry == key {
        return Ok(key);
    }
    let r = DockerReference::parse_normalized_named(&key)
        .map_err(|e| anyhow!("parse reference from {}: {e}", go_quote(&key)))?;
    if !r.is_name_only() {
        return Err(anyhow!(
            "reference {} contains tag or digest",
            go_quote(&r.to_string())
        ));
    }
    if r.domain() != registry {
        return Err(anyhow!(
            "internal error: key {} registry mismatch, {} vs. {}",
            go_quote(&key),
            go_quote(&r.to_string()),
            go_quote(r.domain())
        ));
    }
    Ok(key)
}

/// The registry part of a key (before the first `/`).
pub fn key_registry(key: &str) -> &str {
    key.split('/').next().unwrap_or_default()
}

/// c/image's check of a credential key; `Ok(true)` when it names a namespace or repository
/// rather than a whole registry. Refuses `http[s]://` prefixes, `@`, and a `:` after the
/// host[:port] part.
pub fn validate_key(key: &str) -> Result<bool> {
    if key.starts_with("http://") || key.starts_with("https://") {
        return Err(anyhow!("key {key} contains http[s]:// prefix"));
    }
    if key.contains('@') {
        return Err(anyhow!("key {key} contains a '@' character"));
    }
    match key.split_once('/') {
        Some((_, rest)) if rest.contains(':') => Err(anyhow!(
            "key {key} contains a ':' character after host[:port]"
        )),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

/// The host[:port] of an `http(s)://` argument, with Go `net/url` parse errors; other
/// strings unchanged.
fn replace_url_by_host_port(s: &str) -> Result<String> {
    if !s.starts_with("https://") && !s.starts_with("http://") {
        return Ok(s.to_string());
    }
    url_host(s).map_err(|e| anyhow!("trimming http{{s}} prefix: parse {}: {e}", go_quote(s)))
}

/// Whether Go's URL parser would need to escape `c` in a host (so refuses it there).
fn host_char_ok(c: u8) -> bool {
    c >= 0x80 || c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&c)
}

/// The `Host` Go's `url.Parse` finds in an absolute `scheme://…` URL.
fn url_host(s: &str) -> Result<String, String> {
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let rest = s.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let rest = rest.split('#').next().unwrap_or_default();
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match authority.rfind('@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    if let Some(after_bracket) = host.strip_prefix('[') {
        let Some(end) = after_bracket.find(']') else {
            return Err("missing ']' in host".into());
        };
        let port = &after_bracket[end + 1..];
        if !port.is_empty() && !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
    } else if let Some(i) = host.rfind(':') {
        let port = &host[i..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
    }
    let bytes = host.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => {
                    let end = (i + 3).min(bytes.len());
                    return Err(format!(
                        "invalid URL escape {}",
                        go_quote(&String::from_utf8_lossy(&bytes[i..end]))
                    ));
                }
            }
        }
        if !host_char_ok(c) {
            return Err(format!(
                "invalid character {} in host name",
                go_quote(&(c as char).to_string())
            ));
        }
        out.push(c);
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `""` or `:` followed by digits.
fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        match normalize_key(s) {
            Ok(k) => k,
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn login_arguments_become_keys_as_skopeo_makes_them() {
        assert_eq!(norm("quay.io"), "quay.io");
        assert_eq!(norm("https://h.example.com:5000/v2/"), "h.example.com:5000");
        assert_eq!(norm("http://h.example.com:5000"), "h.example.com:5000");
        assert_eq!(norm("https://u:p@h.example.com/x"), "h.example.com");
        assert_eq!(norm("https://"), "");
        assert_eq!(norm(""), "");
        assert_eq!(norm("docker.io/vendor"), "docker.io/vendor");
        assert_eq!(norm("localhost:5000/ns/repo"), "localhost:5000/ns/repo");
        assert_eq!(
            norm("h.example.com:5000/ns/repo:tag"),
            "ERR reference \"h.example.com:5000/ns/repo:tag\" contains tag or digest"
        );
        assert_eq!(
            norm("h.example.com/Upper"),
            "ERR parse reference from \"h.example.com/Upper\": invalid reference format: repository name must be lowercase"
        );
        assert_eq!(
            norm("h.example.com:5000/"),
            "ERR parse reference from \"h.example.com:5000/\": invalid reference format"
        );
        assert_eq!(
            norm("vendor/x"),
            "ERR internal error: key \"vendor/x\" registry mismatch, \"docker.io/vendor/x\" vs. \"docker.io\""
        );
        assert_eq!(norm("h@sha256:aaaa"), "h@sha256:aaaa");
        assert_eq!(
            norm("https://[bad"),
            "ERR trimming http{s} prefix: parse \"https://[bad\": missing ']' in host"
        );
        assert_eq!(
            norm("https://h:x/"),
            "ERR trimming http{s} prefix: parse \"https://h:x/\": invalid port \":x\" after host"
        );
        assert_eq!(
            norm("https://h|x/"),
            "ERR trimming http{s} prefix: parse \"https://h|x/\": invalid character \"|\" in host name"
        );
    }

    #[test]
    fn keys_are_validated_as_c_image_does() {
        assert!(!validate_key("quay.io").unwrap());
        assert!(!validate_key("localhost:5000").unwrap());
        assert!(validate_key("localhost:5000/ns").unwrap());
        let err = |k: &str| validate_key(k).unwrap_err().to_string();
        assert_eq!(
            err("https://quay.io"),
            "key https://quay.io contains http[s]:// prefix"
        );
        assert_eq!(
            err("h@sha256:aaaa"),
            "key h@sha256:aaaa contains a '@' character"
        );
        assert_eq!(
            err("quay.io/a:b"),
            "key quay.io/a:b contains a ':' character after host[:port]"
        );
        assert_eq!(key_registry("quay.io/a/b"), "quay.io");
    }
}
