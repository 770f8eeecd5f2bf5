//! Hand-written matchers for the docker reference grammar and for digest strings.
//!
//! The grammar (as accepted by skopeo 1.9.x, i.e. containers/image's fork of
//! docker/distribution's `reference` package):
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [ domain "/" ] path-component { "/" path-component }
//! domain           := domain-component { "." domain-component } [ ":" port ]
//! domain-component := [A-Za-z0-9] | [A-Za-z0-9] [A-Za-z0-9-]* [A-Za-z0-9]
//! port             := [0-9]+
//! path-component   := alnum { separator alnum }
//! alnum            := [a-z0-9]+
//! separator        := "." | "_" | "__" | "-"+
//! tag              := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! digest           := algorithm ":" hex{32,}
//! algorithm        := algo-part { [-_+.] algo-part }
//! algo-part        := [A-Za-z] [A-Za-z0-9]*
//! ```
//!
//! IPv6 literal domains (`[::1]:5000`) are *not* part of this (older) grammar; skopeo 1.9.3
//! refuses them with "invalid reference format".

/// Length limit of a repository name (domain and path, joined by `/`).
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// Longest tag accepted.
pub const TAG_LENGTH_MAX: usize = 128;

/// The error texts used by the digest validation (go-digest's messages).
pub const ERR_DIGEST_INVALID_FORMAT: &str = "invalid checksum digest format";
/// A digest whose encoded part has the wrong length for its algorithm.
pub const ERR_DIGEST_INVALID_LENGTH: &str = "invalid checksum digest length";
/// A syntactically fine digest with an algorithm that is not sha256, sha384 or sha512.
pub const ERR_DIGEST_UNSUPPORTED: &str = "unsupported digest algorithm";

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// A repository path component: `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
pub fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !is_lower_alnum(b[0]) || !is_lower_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_lower_alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run; it is followed by an alnum because the component ends with one.
        let start = i;
        while i < b.len() && !is_lower_alnum(b[i]) {
            i += 1;
        }
        let sep = &b[start..i];
        let ok = sep == b"." || sep == b"_" || sep == b"__" || sep.iter().all(|&c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
}

/// A registry host name with an optional numeric port: `example.com`, `localhost:5000`, `A-1.b`.
pub fn is_domain(s: &str) -> bool {
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

/// A tag: a word character followed by up to 127 word characters, `.` or `-`.
pub fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= TAG_LENGTH_MAX
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// The reference grammar's digest syntax (`algorithm:hex`, at least 32 hex digits, either case).
/// This is only the shape; see [`validate_digest`] for the real check.
pub fn is_reference_digest(s: &str) -> bool {
    let Some((algo, hex)) = s.split_once(':') else {
        return false;
    };
    if hex.len() < 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    // algo-part { [-_+.] algo-part }, algo-part = [A-Za-z][A-Za-z0-9]*
    let b = algo.as_bytes();
    let mut at_part_start = true;
    for &c in b {
        if at_part_start {
            if !c.is_ascii_alphabetic() {
                return false;
            }
            at_part_start = false;
        } else if matches!(c, b'-' | b'_' | b'+' | b'.') {
            at_part_start = true;
        } else if !c.is_ascii_alphanumeric() {
            return false;
        }
    }
    !b.is_empty() && !at_part_start
}

/// go-digest's own loose digest syntax: `[a-z0-9]+([.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`.
fn is_go_digest_syntax(s: &str) -> bool {
    let Some((algo, enc)) = s.split_once(':') else {
        return false;
    };
    if enc.is_empty()
        || !enc
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'=' | b'_' | b'-'))
    {
        return false;
    }
    let b = algo.as_bytes();
    if b.is_empty() || !is_lower_alnum(b[0]) || !is_lower_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut prev_sep = false;
    for &c in b {
        if matches!(c, b'.' | b'+' | b'_' | b'-') {
            if prev_sep {
                return false;
            }
            prev_sep = true;
        } else if is_lower_alnum(c) {
            prev_sep = false;
        } else {
            return false;
        }
    }
    true
}

/// Hex length of the encoded part for the digest algorithms skopeo supports.
pub fn digest_algorithm_hex_len(algorithm: &str) -> Option<usize> {
    match algorithm {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    }
}

/// Validates a digest string the way go-digest's `Parse` does (what skopeo uses everywhere a
/// digest is accepted): `sha256`/`sha384`/`sha512` with exactly the right number of lowercase
/// hex digits.  The error is one of the `ERR_DIGEST_*` texts.
pub fn validate_digest(s: &str) -> Result<(), &'static str> {
    let Some(i) = s.find(':') else {
        return Err(ERR_DIGEST_INVALID_FORMAT);
    };
    if i == 0 || i + 1 == s.len() {
        return Err(ERR_DIGEST_INVALID_FORMAT);
    }
    let (algo, enc) = (&s[..i], &s[i + 1..]);
    let Some(len) = digest_algorithm_hex_len(algo) else {
        return Err(if is_go_digest_syntax(s) {
            ERR_DIGEST_UNSUPPORTED
        } else {
            ERR_DIGEST_INVALID_FORMAT
        });
    };
    if enc.len() != len {
        return Err(ERR_DIGEST_INVALID_LENGTH);
    }
    if !is_lower_hex(enc) {
        return Err(ERR_DIGEST_INVALID_FORMAT);
    }
    Ok(())
}

/// True for `[0-9a-f]*`.
pub fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Exactly 64 lowercase hex digits (an image ID, or what docker refuses as a repository name).
pub fn is_full_identifier(s: &str) -> bool {
    s.len() == 64 && is_lower_hex(s)
}

/// Lowercases like Go's `strings.ToLower` (simple per-character mapping).
pub fn go_to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| match c {
            // Rust maps U+0130 to "i\u{307}"; Go's simple mapping gives a plain "i".
            '\u{130}' => 'i',
            _ => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

/// The three parts of a string matching the whole-reference grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceParts<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// Matches `name[:tag][@digest]`; `None` when the string is not in the grammar.
pub fn match_reference(s: &str) -> Option<ReferenceParts<'_>> {
    let (name_tag, digest) = match s.split_once('@') {
        Some((nt, d)) => (nt, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest
        && !is_reference_digest(d)
    {
        return None;
    }
    // Neither path components nor tags contain ':', so a ':' after the last '/' (if any) must
    // start the tag; a ':' before it can only be a domain's port.
    let last_slash = name_tag.rfind('/');
    let (name, tag) = match name_tag.rfind(':') {
        Some(c) if last_slash.is_none_or(|sl| c > sl) => (&name_tag[..c], Some(&name_tag[c + 1..])),
        _ => (name_tag, None),
    };
    if let Some(t) = tag
        && !is_tag(t)
    {
        return None;
    }
    split_name(name)?;
    Some(ReferenceParts { name, tag, digest })
}

/// Splits a repository name into (domain, path), preferring a domain when the first component
/// can be one; `None` when the name is not in the grammar.  The domain is "" when the first
/// component is only valid as a path component (e.g. `foo_bar.com/x`).
pub fn split_name(name: &str) -> Option<(&str, &str)> {
    if let Some((first, rest)) = name.split_once('/')
        && is_domain(first)
        && rest.split('/').all(is_path_component)
    {
        return Some((first, rest));
    }
    if name.split('/').all(is_path_component) {
        Some(("", name))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        for ok in [
            "a",
            "a0",
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a.b_c__d-e",
        ] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in [
            "", "A", "a.", ".a", "a..b", "a___b", "a._b", "a-_b", "-a", "a-", "a b", "é",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }

    #[test]
    fn domains() {
        for ok in [
            "a",
            "A.B",
            "localhost:5000",
            "a-b.c",
            "1.2.3.4:1",
            "x--y",
            "example.com",
            "Example.com:5000",
        ] {
            assert!(is_domain(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a..b",
            "a:",
            "a:b",
            "a:1:2",
            "a_b.c",
            "[::1]",
            ".a",
            "-a.com",
            "exa_mple.com",
        ] {
            assert!(!is_domain(bad), "{bad}");
        }
    }

    #[test]
    fn digests() {
        let h64 = "a".repeat(64);
        assert_eq!(validate_digest(&format!("sha256:{h64}")), Ok(()));
        assert_eq!(
            validate_digest(&format!("sha384:{}", "0".repeat(96))),
            Ok(())
        );
        assert_eq!(validate_digest(&format!("sha512:{h64}{h64}")), Ok(()));
        assert_eq!(
            validate_digest("sha256:abc"),
            Err(ERR_DIGEST_INVALID_LENGTH)
        );
        let upper = format!("sha256:{}", "A".repeat(64));
        assert_eq!(validate_digest(&upper), Err(ERR_DIGEST_INVALID_FORMAT));
        assert_eq!(validate_digest("md5:abc"), Err(ERR_DIGEST_UNSUPPORTED));
        assert_eq!(validate_digest("MD5:abc"), Err(ERR_DIGEST_INVALID_FORMAT));
        assert_eq!(validate_digest("sha256:"), Err(ERR_DIGEST_INVALID_FORMAT));
        assert_eq!(validate_digest(":abc"), Err(ERR_DIGEST_INVALID_FORMAT));
        assert_eq!(validate_digest("sha256"), Err(ERR_DIGEST_INVALID_FORMAT));
        assert!(is_reference_digest(&format!("a.B+c:{}", "F".repeat(32))));
        assert!(!is_reference_digest(&format!("1a:{}", "f".repeat(32))));
        assert!(!is_reference_digest(&format!("a.:{}", "f".repeat(32))));
        assert!(!is_reference_digest(&format!("a:{}", "f".repeat(31))));
    }

    #[test]
    fn references() {
        let m = match_reference("localhost:5000/a/b:t@sha256:0123456789abcdef0123456789abcdef");
        let m = m.unwrap();
        assert_eq!((m.name, m.tag), ("localhost:5000/a/b", Some("t")));
        assert_eq!(match_reference("localhost:5000").unwrap().tag, Some("5000"));
        assert_eq!(split_name("foo_bar.com/x"), Some(("", "foo_bar.com/x")));
        assert_eq!(split_name("Foo.com/x"), Some(("Foo.com", "x")));
        assert_eq!(split_name("a/b"), Some(("a", "b")));
        assert_eq!(split_name("example.com/ns"), Some(("example.com", "ns")));
        assert_eq!(split_name("a.b:12/c"), Some(("a.b:12", "c")));
        assert_eq!(split_name("a--b/c__d/e.f"), Some(("a--b", "c__d/e.f")));
        assert_eq!(split_name("example.com"), Some(("", "example.com")));
        assert_eq!(split_name("example.com/NS"), None);
        assert_eq!(split_name("a___b"), None);
        assert!(match_reference("a:b:c").is_none());
        assert!(match_reference("a@b@c").is_none());
        assert!(match_reference("a:").is_none());
    }

    #[test]
    fn lowering() {
        assert_eq!(go_to_lower("AbC"), "abc");
        assert_eq!(go_to_lower("\u{130}\u{212a}"), "ik");
    }
}
