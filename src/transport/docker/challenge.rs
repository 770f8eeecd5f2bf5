//! `WWW-Authenticate` challenges (RFC 7235, as registries send them) and token scopes.

use std::collections::BTreeMap;

/// One authentication challenge: a lowercased scheme (`basic`, `bearer`) and its parameters
/// (lowercased names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

fn is_token_char(c: u8) -> bool {
    c > 31 && c < 127 && !b" \t\"(),/:;<=>?@[]\\{}".contains(&c)
}

fn skip_space(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\r', '\n'])
}

fn token(s: &str) -> (&str, &str) {
    let end = s.bytes().position(|c| !is_token_char(c)).unwrap_or(s.len());
    s.split_at(end)
}

fn token_or_quoted(s: &str) -> Option<(String, &str)> {
    let Some(rest) = s.strip_prefix('"') else {
        let (t, rest) = token(s);
        return Some((t.to_string(), rest));
    };
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &rest[i + 1..])),
            '\\' => {
                let (_, escaped) = chars.next()?;
                out.push(escaped);
            }
            c => out.push(c),
        }
    }
    None
}

/// Parses one header value: `Bearer realm="…",service="…"`. Parsing stops quietly at the
/// first malformed parameter, keeping what came before (as docker's parser does).
pub fn parse_header(value: &str) -> Option<Challenge> {
    let (scheme, rest) = token(value);
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut s = format!(",{}", skip_space(rest));
    while let Some(after) = s.strip_prefix(',') {
        let (key, after) = token(skip_space(after));
        if key.is_empty() {
            break;
        }
        let Some(after) = after.strip_prefix('=') else {
            break;
        };
        let Some((val, after)) = token_or_quoted(after) else {
            break;
        };
        if val.is_empty() {
            break;
        }
        params.insert(key.to_lowercase(), val);
        s = skip_space(after).to_string();
    }
    Some(Challenge {
        scheme: scheme.to_lowercase(),
        params,
    })
}

/// Every challenge in the response headers.
pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Vec<Challenge> {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_header)
        .collect()
}

/// A token scope: `repository:NAME:ACTIONS`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub resource_type: String,
    pub remote_name: String,
    pub actions: String,
}

impl Scope {
    pub fn repository(remote_name: &str, actions: &str) -> Scope {
        Scope {
            resource_type: "repository".into(),
            remote_name: remote_name.into(),
            actions: actions.into(),
        }
    }

    /// Parses a scope a registry asked for (`repository:a/b:pull`).
    pub fn parse(s: &str) -> Option<Scope> {
        let mut parts = s.splitn(3, ':');
        let (t, n, a) = (parts.next()?, parts.next()?, parts.next()?);
        if t.is_empty() || n.is_empty() || a.is_empty() || a.contains(':') {
            return None;
        }
        Some(Scope {
            resource_type: t.into(),
            remote_name: n.into(),
            actions: a.into(),
        })
    }

    pub fn is_complete(&self) -> bool {
        !self.resource_type.is_empty() && !self.remote_name.is_empty() && !self.actions.is_empty()
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.resource_type, self.remote_name, self.actions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic() {
        let c = parse_header(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example.com/token"));
        assert_eq!(c.param("service"), Some("registry.example.com"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull,push"));
        let c = parse_header(r#"Basic realm="basic-realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.param("realm"), Some("basic-realm"));
        let c = parse_header(r#"Bearer realm="a\"b", Service=x"#).unwrap();
        assert_eq!(c.param("realm"), Some("a\"b"));
        assert_eq!(c.param("service"), Some("x"));
        assert!(parse_header("").is_none());
    }

    #[test]
    fn scopes() {
        let s = Scope::parse("repository:a/b:pull,push").unwrap();
        assert_eq!(s.to_string(), "repository:a/b:pull,push");
        assert!(Scope::parse("repository:a").is_none());
    }
}
