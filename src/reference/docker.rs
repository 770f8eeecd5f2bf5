//! Docker image references (`[domain/]path[:tag][@digest]`) with docker's normalisation
//! (`busybox` → `docker.io/library/busybox`), as skopeo parses them.

use super::ReferenceError;
use super::grammar::{
    self, NAME_TOTAL_LENGTH_MAX, go_to_lower, is_full_identifier, is_reference_digest, is_tag,
};
use std::fmt;

/// The registry implied when a name has no domain.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The legacy spelling of [`DEFAULT_DOMAIN`], rewritten to it.
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// Namespace of official single-component repositories on docker.io.
pub const OFFICIAL_REPO_PREFIX: &str = "library";
/// The tag added to references with neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";

/// Exact error texts of the reference grammar.
pub mod errors {
    /// The string is not in the reference grammar.
    pub const INVALID_FORMAT: &str = "invalid reference format";
    /// Invalid when parsed, valid once lowercased.
    pub const NAME_CONTAINS_UPPERCASE: &str = "repository name must be lowercase";
    /// Uppercase found in the repository part by the normalising parser.
    pub const NORMALIZED_UPPERCASE: &str =
        "invalid reference format: repository name must be lowercase";
    /// An empty string given to the non-normalising parser.
    pub const NAME_EMPTY: &str = "repository name must have at least one component";
    /// Domain and path longer than 255 bytes.
    pub const NAME_TOO_LONG: &str = "repository name must not be more than 255 characters";
    /// `parse_named` input not already in canonical form.
    pub const NAME_NOT_CANONICAL: &str = "repository name must be canonical";
    /// `with_tag` with an invalid tag.
    pub const TAG_INVALID_FORMAT: &str = "invalid tag format";
    /// `with_digest` with a string outside the digest grammar.
    pub const DIGEST_INVALID_FORMAT: &str = "invalid digest format";
}

/// A parsed docker reference: always named; optionally tagged and/or digested.
///
/// `domain` is normally non-empty (`docker.io` for unqualified names).  It is empty only in the
/// corner case where the first component contains `.`/`:` (so normalisation treats it as a
/// registry) but is not a valid host name while still being a valid path component, e.g.
/// `foo_bar.com/x`: skopeo then keeps the whole string as the path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DockerReference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// Splits off the registry like docker does: the first component is a registry when it
/// contains `.` or `:` or is `localhost`; `index.docker.io` becomes `docker.io`, and single
/// components on docker.io get `library/`.
fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            (first.to_string(), rest.to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.to_string();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}/{remainder}");
    }
    (domain, remainder)
}

impl DockerReference {
    /// Parses a reference without any normalisation (docker's `reference.Parse`): `busybox`
    /// stays `busybox` with an empty domain, `a/b` has domain `a`.
    pub fn parse_unnormalized(s: &str) -> Result<Self, ReferenceError> {
        let Some(parts) = grammar::match_reference(s) else {
            if s.is_empty() {
                return Err(ReferenceError::new(errors::NAME_EMPTY));
            }
            if grammar::match_reference(&go_to_lower(s)).is_some() {
                return Err(ReferenceError::new(errors::NAME_CONTAINS_UPPERCASE));
            }
            return Err(ReferenceError::new(errors::INVALID_FORMAT));
        };
        if parts.name.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::new(errors::NAME_TOO_LONG));
        }
        let (domain, path) = grammar::split_name(parts.name).unwrap_or(("", parts.name));
        if let Some(d) = parts.digest {
            grammar::validate_digest(d).map_err(ReferenceError::new)?;
        }
        Ok(DockerReference {
            domain: domain.to_string(),
            path: path.to_string(),
            tag: parts.tag.map(str::to_string),
            digest: parts.digest.map(str::to_string),
        })
    }

    /// Parses a user-supplied name with docker's normalisation (`ParseNormalizedNamed`).
    /// Does not add a default tag; see [`DockerReference::with_default_tag`].
    pub fn parse_normalized_named(s: &str) -> Result<Self, ReferenceError> {
        if is_full_identifier(s) {
            return Err(ReferenceError::new(format!(
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            )));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote_name = remainder.split(':').next().unwrap_or("");
        if go_to_lower(remote_name) != remote_name {
            return Err(ReferenceError::new(errors::NORMALIZED_UPPERCASE));
        }
        Self::parse_unnormalized(&format!("{domain}/{remainder}"))
    }

    /// Parses a reference that must already be in canonical (fully normalised) form
    /// (`ParseNamed`), e.g. `docker.io/library/busybox:latest`.
    pub fn parse_named(s: &str) -> Result<Self, ReferenceError> {
        let r = Self::parse_normalized_named(s)?;
        if r.to_string() != s {
            return Err(ReferenceError::new(errors::NAME_NOT_CANONICAL));
        }
        Ok(r)
    }

    /// docker's `ParseDockerRef`: normalised, with `:latest` added when there is neither tag
    /// nor digest, and the tag dropped when both are present.
    pub fn parse_docker_ref(s: &str) -> Result<Self, ReferenceError> {
        let mut r = Self::parse_normalized_named(s)?;
        if r.digest.is_some() {
            r.tag = None;
        }
        Ok(r.with_default_tag())
    }

    /// The registry, e.g. `docker.io` or `localhost:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry, e.g. `library/busybox`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The full repository name, e.g. `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`algorithm:hex`), if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// Neither tag nor digest.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// Adds the `latest` tag when there is neither a tag nor a digest (`TagNameOnly`).
    pub fn with_default_tag(mut self) -> Self {
        if self.is_name_only() {
            self.tag = Some(DEFAULT_TAG.to_string());
        }
        self
    }

    /// The short form users type: `busybox`, `user/repo`, `quay.io/x/y`.
    pub fn familiar_name(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.name();
        }
        match self.path.split_once('/') {
            Some((OFFICIAL_REPO_PREFIX, rest)) if !rest.contains('/') => rest.to_string(),
            _ => self.path.clone(),
        }
    }

    /// The familiar name with tag and digest, e.g. `busybox:latest`.
    pub fn familiar_string(&self) -> String {
        self.with_suffix(self.familiar_name())
    }

    fn with_suffix(&self, mut s: String) -> String {
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// Replaces the tag (a digest is kept).
    pub fn with_tag(&self, tag: &str) -> Result<Self, ReferenceError> {
        validate_tag(tag)?;
        Ok(DockerReference {
            tag: Some(tag.to_string()),
            ..self.clone()
        })
    }

    /// Replaces the digest (a tag is kept).  The digest must be in the reference grammar
    /// ("invalid digest format") and, unlike docker's `WithDigest`, also a supported,
    /// well-formed digest (go-digest's messages).
    pub fn with_digest(&self, digest: &str) -> Result<Self, ReferenceError> {
        if !is_reference_digest(digest) {
            return Err(ReferenceError::new(errors::DIGEST_INVALID_FORMAT));
        }
        grammar::validate_digest(digest).map_err(ReferenceError::new)?;
        Ok(DockerReference {
            digest: Some(digest.to_string()),
            ..self.clone()
        })
    }

    /// The bare repository (`TrimNamed`).
    pub fn without_tag_or_digest(&self) -> Self {
        DockerReference {
            tag: None,
            digest: None,
            ..self.clone()
        }
    }
}

/// The canonical full string: `docker.io/library/busybox:latest`, `name:tag@digest`.
impl fmt::Display for DockerReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_suffix(self.name()))
    }
}

impl std::str::FromStr for DockerReference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_normalized_named(s)
    }
}

/// Checks a tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`); the error is "invalid tag format".
pub fn validate_tag(s: &str) -> Result<(), ReferenceError> {
    if is_tag(s) {
        Ok(())
    } else {
        Err(ReferenceError::new(errors::TAG_INVALID_FORMAT))
    }
}

/// True for a digest skopeo accepts: `sha256:` + 64, `sha384:` + 96 or `sha512:` + 128
/// lowercase hex digits.
pub fn is_valid_digest_string(s: &str) -> bool {
    grammar::validate_digest(s).is_ok()
}

/// Validates a digest string with go-digest's error texts ("invalid checksum digest format",
/// "invalid checksum digest length", "unsupported digest algorithm").
pub fn validate_digest(s: &str) -> Result<(), ReferenceError> {
    grammar::validate_digest(s).map_err(ReferenceError::new)
}
