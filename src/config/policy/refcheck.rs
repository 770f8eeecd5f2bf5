//! Stop-gap docker reference checks for `signedIdentity` validation.
//!
//! TODO(reference): `check_normalized_named` stands in for
//! `crate::reference::DockerReference::parse_normalized_named` (c/image's
//! `reference.ParseNormalizedNamed`) until that module lands: switch the two callers in
//! `parse.rs` (`exactReference` and `exactRepository`) to it, taking the error text from its
//! error and "has a tag or digest" from the parsed reference, and delete this function. The
//! domain/name matchers below mirror `reference.DomainRegexp` and `reference.NameRegexp`, which
//! `remapIdentity` prefix validation needs; switch those too if the reference module exposes
//! equivalent matchers.

/// One domain label: `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// `reference.DomainRegexp`, anchored: labels separated by dots, optional `:port`.
pub(super) fn is_domain(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    host.split('.').all(is_domain_component)
}

/// One path component: `[a-z0-9]+` runs separated by `.`, `_`, `__` or any number of `-`.
fn is_name_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || c.is_ascii_lowercase() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !(b[i].is_ascii_digit() || b[i].is_ascii_lowercase()) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `reference.NameRegexp`, anchored: `[domain/]component(/component)*`.
pub(super) fn is_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.iter().all(|p| is_name_component(p)) {
        return true;
    }
    parts.len() >= 2 && is_domain(parts[0]) && parts[1..].iter().all(|p| is_name_component(p))
}

/// `^DomainRegexp/`: the text before the first slash is a domain.
pub(super) fn starts_with_domain(s: &str) -> bool {
    match s.split_once('/') {
        Some((d, _)) => is_domain(d),
        None => false,
    }
}

/// `[\w][\w.-]{0,127}`
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`
fn is_digest_shape(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|part| {
        let b = part.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(|c| c.is_ascii_alphanumeric())
    });
    alg_ok && hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

/// go-digest's `Digest.Validate` for a string already matching the reference digest shape.
fn validate_digest(s: &str) -> Result<(), &'static str> {
    const FORMAT: &str = "invalid checksum digest format";
    let Some((alg, hex)) = s.split_once(':') else {
        return Err(FORMAT);
    };
    if alg.is_empty() || hex.is_empty() {
        return Err(FORMAT);
    }
    let size = match alg {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => {
            // go-digest's own (lowercase) digest grammar decides between the two errors.
            let alg_ok = alg.split(['.', '+', '_', '-']).all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
            let hex_ok = hex
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'=' | b'_' | b'-'));
            return Err(if alg_ok && hex_ok {
                "unsupported digest algorithm"
            } else {
                FORMAT
            });
        }
    };
    if hex.len() != size * 2 {
        return Err("invalid checksum digest length");
    }
    if hex
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        Ok(())
    } else {
        Err(FORMAT)
    }
}

/// Splits `name[:tag][@digest]` if it has that shape; returns (name, has tag, digest).
fn split_reference(s: &str) -> Option<(&str, bool, Option<&str>)> {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            if !is_digest_shape(d) {
                return None;
            }
            (r, Some(d))
        }
        None => (s, None),
    };
    if is_name(rest) {
        return Some((rest, false, digest));
    }
    let (name, tag) = rest.rsplit_once(':')?;
    (is_name(name) && is_tag(tag)).then_some((name, true, digest))
}

/// A reduced `reference.ParseNormalizedNamed`: `Ok(true)` if the reference has a tag or a
/// digest, `Ok(false)` if it is name-only, `Err` with c/image's message otherwise.
pub(super) fn check_normalized_named(s: &str) -> Result<bool, String> {
    if s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        return Err(format!(
            "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
        ));
    }
    // splitDockerDomain
    let (domain, mut remainder) = match s.split_once('/') {
        Some((d, r)) if d.contains(['.', ':']) || d == "localhost" => (d, r.to_string()),
        _ => ("docker.io", s.to_string()),
    };
    let domain = if domain == "index.docker.io" {
        "docker.io"
    } else {
        domain
    };
    if domain == "docker.io" && !remainder.contains('/') {
        remainder = format!("library/{remainder}");
    }
    let remote = remainder.split(':').next().unwrap_or_default();
    if remote.to_lowercase() != remote {
        return Err("invalid reference format: repository name must be lowercase".to_string());
    }
    let full = format!("{domain}/{remainder}");
    let Some((name, tagged, digest)) = split_reference(&full) else {
        if split_reference(&full.to_lowercase()).is_some() {
            return Err("repository name must be lowercase".to_string());
        }
        return Err("invalid reference format".to_string());
    };
    if name.len() > 255 {
        return Err("repository name must not be more than 255 characters".to_string());
    }
    if let Some(d) = digest {
        validate_digest(d).map_err(str::to_string)?;
    }
    Ok(tagged || digest.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_names() {
        assert!(is_domain("example.com"));
        assert!(is_domain("Example.com:5000"));
        assert!(is_domain("x"));
        assert!(!is_domain("x:"));
        assert!(!is_domain("-a.com"));
        assert!(!is_domain("exa_mple.com"));
        assert!(!is_domain(""));
        assert!(is_name("ns/repo"));
        assert!(is_name("a.b:12/c"));
        assert!(is_name("a--b/c__d/e.f"));
        assert!(!is_name("example.com/NS"));
        assert!(!is_name("a___b"));
        assert!(starts_with_domain("example.com/ns"));
        assert!(!starts_with_domain("example.com"));
    }

    #[test]
    fn normalized_named() {
        assert_eq!(check_normalized_named("busybox"), Ok(false));
        assert_eq!(check_normalized_named("busybox:latest"), Ok(true));
        assert_eq!(check_normalized_named("localhost:5000/a/b:v1"), Ok(true));
        let d = format!("quay.io/a/b@sha256:{}", "a".repeat(64));
        assert_eq!(check_normalized_named(&d), Ok(true));
        assert_eq!(
            check_normalized_named(""),
            Err("invalid reference format".to_string())
        );
        assert_eq!(
            check_normalized_named("Busybox:latest"),
            Err("invalid reference format: repository name must be lowercase".to_string())
        );
        assert_eq!(
            check_normalized_named("busybox:x@@"),
            Err("invalid reference format".to_string())
        );
        assert_eq!(
            check_normalized_named(&"a".repeat(64)),
            Err(format!(
                "invalid repository name ({}), cannot specify 64-byte hexadecimal strings",
                "a".repeat(64)
            ))
        );
        let short = format!("busybox@sha256:{}", "a".repeat(32));
        assert_eq!(
            check_normalized_named(&short),
            Err("invalid checksum digest length".to_string())
        );
        let upper = format!("busybox@sha256:{}", "A".repeat(64));
        assert_eq!(
            check_normalized_named(&upper),
            Err("invalid checksum digest format".to_string())
        );
        let unsupported = format!("busybox@md5:{}", "a".repeat(32));
        assert_eq!(
            check_normalized_named(&unsupported),
            Err("unsupported digest algorithm".to_string())
        );
    }
}
