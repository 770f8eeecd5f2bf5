//! `docker-archive:PATH[:NAME[:TAG]|:@N]` and `docker-daemon:NAME:TAG|sha256:HEX`.
//!
//! Neither touches the file system or the daemon while parsing.

use super::ReferenceError;
use super::docker::DockerReference;
use super::goutil::go_atoi;
use super::grammar;
use std::path::PathBuf;

/// A `docker-archive:` location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArchiveName {
    /// The tar file as given (never contains `:`; may be empty, as in `docker-archive::x`).
    pub path: PathBuf,
    /// `PATH:NAME[:TAG]`: always tagged (`:latest` added), never digested.  For a source it
    /// selects the image; for a destination it is the name recorded in the archive.
    pub reference: Option<DockerReference>,
    /// `PATH:@N`: the N-th (zero-based) image of a source archive.  Exclusive with `reference`.
    pub source_index: Option<usize>,
}

impl ArchiveName {
    /// `PATH`, `PATH:docker.io/library/busybox:latest` (full name) or `PATH:@N`.
    pub fn string_within_transport(&self) -> String {
        let path = self.path.to_string_lossy();
        match (&self.reference, self.source_index) {
            (Some(r), _) => format!("{path}:{r}"),
            (None, Some(i)) => format!("{path}:@{i}"),
            (None, None) => path.into_owned(),
        }
    }
}

/// Parses `docker-archive:`'s part after the transport.
pub fn parse_docker_archive(s: &str) -> Result<ArchiveName, ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::new(format!(
            "docker-archive reference {s} isn't of the form <path>[:<reference>]"
        )));
    }
    let (path, rest) = match s.split_once(':') {
        Some((p, r)) => (p, Some(r)),
        None => (s, None),
    };
    let mut name = ArchiveName {
        path: PathBuf::from(path),
        reference: None,
        source_index: None,
    };
    match rest {
        None => {}
        Some(r) if r.starts_with('@') => {
            let i = go_atoi(&r[1..])
                .map_err(|e| ReferenceError::new(format!("Invalid source index {r}: {e}")))?;
            if i < 0 {
                return Err(ReferenceError::new(format!(
                    "Invalid source index @{i}: must not be negative"
                )));
            }
            name.source_index = Some(usize::try_from(i).unwrap_or(usize::MAX));
        }
        Some(r) => {
            let parsed = DockerReference::parse_normalized_named(r).map_err(|e| {
                ReferenceError::new(format!("docker-archive parsing reference: {e}"))
            })?;
            let parsed = parsed.with_default_tag();
            if parsed.tag().is_none() {
                return Err(ReferenceError::new(format!(
                    "reference does not include a tag: {parsed}"
                )));
            }
            if parsed.digest().is_some() {
                return Err(ReferenceError::new(format!(
                    "docker-archive doesn't support digest references: {parsed}"
                )));
            }
            name.reference = Some(parsed);
        }
    }
    Ok(name)
}

/// A `docker-daemon:` image: by name (tagged or digested, not both) or by image ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DaemonName {
    /// `docker-daemon:NAME:TAG` or `docker-daemon:NAME@DIGEST`.
    Reference(DockerReference),
    /// `docker-daemon:sha256:HEX` (full, 64 hex digits), stored as `sha256:HEX`.
    ImageId(String),
}

impl DaemonName {
    /// `sha256:HEX`, or the familiar form of the name (`busybox:latest`).
    pub fn string_within_transport(&self) -> String {
        match self {
            DaemonName::Reference(r) => r.familiar_string(),
            DaemonName::ImageId(id) => id.clone(),
        }
    }
}

/// Parses `docker-daemon:`'s part after the transport.  Unlike `docker://`, no default tag is
/// added: `docker-daemon:busybox` is an error.
pub fn parse_docker_daemon(s: &str) -> Result<DaemonName, ReferenceError> {
    if grammar::validate_digest(s).is_ok() {
        if !s.starts_with("sha256:") {
            return Err(ReferenceError::new(format!(
                "Invalid docker-daemon: reference {s}: only digest algorithm sha256 accepted"
            )));
        }
        return Ok(DaemonName::ImageId(s.to_string()));
    }
    let r = DockerReference::parse_normalized_named(s)?;
    if r.familiar_name() == "sha256" {
        return Err(ReferenceError::new(format!(
            "Invalid docker-daemon: reference {s}: The sha256 repository name is reserved for (non-shortened) digest references"
        )));
    }
    if r.is_name_only() {
        return Err(ReferenceError::new(format!(
            "docker-daemon: reference {} has neither a tag nor a digest",
            r.familiar_string()
        )));
    }
    if r.tag().is_some() && r.digest().is_some() {
        return Err(ReferenceError::new(
            "docker-daemon: references with both a tag and digest are currently not supported",
        ));
    }
    Ok(DaemonName::Reference(r))
}
