//! Image names: `transport:details` parsing and the docker reference grammar.
//!
//! [`ImageName::parse`] accepts exactly what skopeo 1.9.3 accepts and fails with the same
//! messages (the text after skopeo's `Invalid source name X: ` / `Error parsing image name
//! "X": ` prefixes).  Like skopeo, it resolves `dir:`/`oci:`/`oci-archive:` paths while
//! parsing; `containers-storage:` parts that need an opened store are left in
//! [`StorageName::lookup`].

mod archive;
pub mod docker;
pub mod goutil;
pub mod grammar;
mod layout;
pub mod path;
mod storage;
mod tarball_sif;

#[cfg(test)]
mod tests;

pub use archive::{ArchiveName, DaemonName, parse_docker_archive, parse_docker_daemon};
pub use docker::{DockerReference, is_valid_digest_string, validate_digest, validate_tag};
pub use layout::{LayoutName, is_valid_oci_ref_name, parse_dir, parse_oci, parse_oci_archive};
pub use path::resolve_path_fully_explicit;
pub use storage::{
    ERR_INVALID_REFERENCE, ERR_PATH_NOT_ABSOLUTE, MINIMUM_TRUNCATED_ID_LENGTH, StorageLookup,
    StorageName, parse_containers_storage,
};
pub use tarball_sif::{parse_sif, parse_tarball};

use std::fmt;
use std::path::PathBuf;

/// An error from parsing an image name; `Display` is skopeo's message, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceError(String);

impl ReferenceError {
    /// Wraps a message.
    pub fn new(msg: impl Into<String>) -> Self {
        ReferenceError(msg.into())
    }

    /// The message.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReferenceError {}

/// The transports skiff understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportKind {
    Docker,
    Dir,
    Oci,
    OciArchive,
    DockerArchive,
    DockerDaemon,
    ContainersStorage,
    Sif,
    Tarball,
}

/// Transports skopeo 1.9.3 lists but skiff does not implement.  skopeo's own build without
/// ostree support answers `The transport "ostree:" is not supported in this build`; skiff
/// answers the same way.
pub const UNSUPPORTED_TRANSPORTS: [&str; 1] = ["ostree"];

impl TransportKind {
    /// All transports, in skopeo's alphabetical listing order.
    pub const ALL: [TransportKind; 9] = [
        TransportKind::ContainersStorage,
        TransportKind::Dir,
        TransportKind::Docker,
        TransportKind::DockerArchive,
        TransportKind::DockerDaemon,
        TransportKind::Oci,
        TransportKind::OciArchive,
        TransportKind::Sif,
        TransportKind::Tarball,
    ];

    /// The name used before the `:`.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Docker => "docker",
            TransportKind::Dir => "dir",
            TransportKind::Oci => "oci",
            TransportKind::OciArchive => "oci-archive",
            TransportKind::DockerArchive => "docker-archive",
            TransportKind::DockerDaemon => "docker-daemon",
            TransportKind::ContainersStorage => "containers-storage",
            TransportKind::Sif => "sif",
            TransportKind::Tarball => "tarball",
        }
    }

    /// Looks a transport up by its exact (case-sensitive) name.
    pub fn from_name(name: &str) -> Option<TransportKind> {
        TransportKind::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Parses the part after `transport:` (what c/image's `Transport.ParseReference` takes).
    pub fn parse_reference(self, details: &str) -> Result<ImageName, ReferenceError> {
        Ok(match self {
            TransportKind::Docker => ImageName::Docker(parse_docker(details)?),
            TransportKind::Dir => ImageName::Dir(parse_dir(details)?),
            TransportKind::Oci => ImageName::Oci(parse_oci(details)?),
            TransportKind::OciArchive => ImageName::OciArchive(parse_oci_archive(details)?),
            TransportKind::DockerArchive => {
                ImageName::DockerArchive(parse_docker_archive(details)?)
            }
            TransportKind::DockerDaemon => ImageName::DockerDaemon(parse_docker_daemon(details)?),
            TransportKind::ContainersStorage => {
                ImageName::ContainersStorage(parse_containers_storage(details)?)
            }
            TransportKind::Sif => ImageName::Sif(parse_sif(details)?),
            TransportKind::Tarball => ImageName::Tarball(parse_tarball(details)?),
        })
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses `docker:`'s part after the transport: `//NAME[:TAG|@DIGEST]`, normalised, with
/// `:latest` added to bare names; tag and digest together are refused.
pub fn parse_docker(s: &str) -> Result<DockerReference, ReferenceError> {
    let Some(rest) = s.strip_prefix("//") else {
        return Err(ReferenceError::new(format!(
            "docker: image reference {s} does not start with //"
        )));
    };
    let r = DockerReference::parse_normalized_named(rest)?.with_default_tag();
    if r.tag().is_some() && r.digest().is_some() {
        return Err(ReferenceError::new(
            "Docker references with both a tag and digest are currently not supported",
        ));
    }
    Ok(r)
}

/// A parsed `transport:details` image name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageName {
    /// `docker://NAME`: tagged or digested (never both).
    Docker(DockerReference),
    /// `dir:PATH`, the path as given.
    Dir(PathBuf),
    /// `oci:PATH[:REF|:@N]`.
    Oci(LayoutName),
    /// `oci-archive:PATH[:REF]`.
    OciArchive(LayoutName),
    /// `docker-archive:PATH[:NAME[:TAG]|:@N]`.
    DockerArchive(ArchiveName),
    /// `docker-daemon:NAME:TAG`, `docker-daemon:NAME@DIGEST` or `docker-daemon:sha256:HEX`.
    DockerDaemon(DaemonName),
    /// `containers-storage:[STORE]NAME[@ID]`.
    ContainersStorage(StorageName),
    /// `sif:PATH`, the path as given (read only).
    Sif(PathBuf),
    /// `tarball:FILE[:FILE…]`, layer files as given, `-` for standard input (read only).
    Tarball(Vec<String>),
}

impl ImageName {
    /// Parses `transport:details` like skopeo's command-line image arguments.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let Some((transport, details)) = s.split_once(':') else {
            return Err(ReferenceError::new(format!(
                "Invalid image name \"{s}\", expected colon-separated transport:reference"
            )));
        };
        match TransportKind::from_name(transport) {
            Some(kind) => kind.parse_reference(details),
            None if UNSUPPORTED_TRANSPORTS.contains(&transport) => Err(ReferenceError::new(
                format!("The transport \"{transport}:\" is not supported in this build"),
            )),
            None => Err(ReferenceError::new(format!(
                "Invalid image name \"{s}\", unknown transport \"{transport}\""
            ))),
        }
    }

    /// The transport.
    pub fn transport(&self) -> TransportKind {
        match self {
            ImageName::Docker(_) => TransportKind::Docker,
            ImageName::Dir(_) => TransportKind::Dir,
            ImageName::Oci(_) => TransportKind::Oci,
            ImageName::OciArchive(_) => TransportKind::OciArchive,
            ImageName::DockerArchive(_) => TransportKind::DockerArchive,
            ImageName::DockerDaemon(_) => TransportKind::DockerDaemon,
            ImageName::ContainersStorage(_) => TransportKind::ContainersStorage,
            ImageName::Sif(_) => TransportKind::Sif,
            ImageName::Tarball(_) => TransportKind::Tarball,
        }
    }

    /// The details as skopeo prints them: `//busybox:latest`, `/p:ref`, `/p:` …
    pub fn string_within_transport(&self) -> String {
        match self {
            ImageName::Docker(r) => format!("//{}", r.familiar_string()),
            ImageName::Dir(p) => p.to_string_lossy().into_owned(),
            ImageName::Oci(l) | ImageName::OciArchive(l) => l.string_within_transport(),
            ImageName::DockerArchive(a) => a.string_within_transport(),
            ImageName::DockerDaemon(d) => d.string_within_transport(),
            ImageName::ContainersStorage(s) => s.string_within_transport(),
            ImageName::Sif(p) => p.to_string_lossy().into_owned(),
            ImageName::Tarball(files) => files.join(":"),
        }
    }

    /// The docker reference the name carries, if any (docker, docker-archive with a name,
    /// docker-daemon by name, containers-storage with a name).
    pub fn docker_reference(&self) -> Option<&DockerReference> {
        match self {
            ImageName::Docker(r) => Some(r),
            ImageName::DockerArchive(a) => a.reference.as_ref(),
            ImageName::DockerDaemon(DaemonName::Reference(r)) => Some(r),
            ImageName::ContainersStorage(s) => s.name.as_ref(),
            _ => None,
        }
    }
}

/// `transport:details`, e.g. `docker://busybox:latest`, `oci:/tmp/x:`.
impl fmt::Display for ImageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport(), self.string_within_transport())
    }
}

impl std::str::FromStr for ImageName {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageName::parse(s)
    }
}
