//! The source/destination contracts every transport implements, and the dispatch from a
//! parsed image name to its transport.
//!
//! Transports are a closed set, so an `ImageName` enum (from `reference`) plus the open
//! functions below replace a reference trait object. The engine itself never sees a name:
//! its core (`copy::copy`) takes a `Box<dyn ImageSource>` and a `Box<dyn ImageDestination>`
//! and is told how to name them in messages (`copy::Names`).
//!
//! # Adding a transport
//!
//! 1. A module here with a type implementing [`ImageSource`] and/or [`ImageDestination`].
//!    The engine verifies every byte it streams, so a destination may trust a stream with a
//!    known digest but must fail, storing nothing, when reading it fails; `put_local_blob`
//!    is the exception (its doc says why). Shared contract types (verification, transient
//!    errors, manifest-type rejection) are in `crate::contract`, never in `copy`.
//! 2. In `reference/`: a [`TransportKind`](crate::reference::TransportKind) (also in its
//!    `ALL` listing, and out of `UNSUPPORTED_TRANSPORTS` if it was there) and an `ImageName`
//!    variant, with the parsing and `Display` of `transport:details`.
//! 3. Here: its arms in [`open_source`], [`open_destination`] and [`policy_subject`] (the
//!    compiler lists every exhaustive match on `ImageName` that needs one, e.g.
//!    `ImageName::transport`/`docker_reference`), and in [`delete_image`] /
//!    [`complete_name`] when it supports them.
//! 4. In the conformance suite (`crate::conformance`): a function opening the transport at a
//!    private place with its capabilities (`Caps`: where it legitimately differs), named in
//!    `suite!`. Every check of the contract (put/get, reuse, abort, commit, lists, corrupt
//!    and truncated blobs, signatures, the engine both ways) then runs under `cargo test`.
//!    A transport that needs a peer (a registry, a daemon) implements its `Subject` in
//!    `tests/it/conformance.rs` instead, with its `Caps::publishes`.
//! 5. Not found by the compiler (string matches): which `policy.json` scopes the transport
//!    accepts (`config::policy::naming::is_valid_scope`, else anything is accepted), and
//!    `sync`'s `--src`/`--dest` kinds or `list-tags` if it takes part in those.
//! 6. Any transport-specific flags: a field in [`SystemContext`] and its flag in `cli/`
//!    (then `scripts/regenerate-docs.sh`); integration tests in `tests/it` against skopeo or
//!    a real peer for what the suite cannot see (the format's exact bytes, other tools
//!    reading what skiff wrote).

pub mod bridge;
pub mod dir;
pub mod dirlock;
pub mod docker;
pub mod docker_archive;
pub mod docker_daemon;
pub mod fsutil;
#[cfg(any(test, feature = "conformance"))]
#[doc(hidden)]
pub mod memory;
pub mod oci;
pub mod oci_archive;
pub mod pending;
pub mod sif;
pub mod spool;
pub mod storage;
pub mod synth;
pub mod tarball;
pub mod tarindex;

use std::path::PathBuf;
use std::pin::Pin;

use anyhow::Result;
use async_trait::async_trait;
use tokio::io::AsyncRead;

use crate::blobcache::{BlobLocation, Fact};
use crate::digest::Digest;
use crate::error::not_implemented;
use crate::manifest::{MediaType, RawManifest};
use crate::reference::ImageName;
use crate::signature::Signature;
use crate::types::{BlobInfo, SystemContext};

/// Blob bytes, streamed: never held whole in memory.
pub type BlobStream = Pin<Box<dyn AsyncRead + Send>>;

/// A blob that lives in a local file (a layout's blob file, or a byte range of a tar archive):
/// lets a local destination copy it from the file instead of through a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalBlob {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// Where a source keeps its blobs, when a destination may be able to reuse them in place
/// instead of receiving the bytes (a registry mounts a blob from another repository).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobOrigin {
    /// A repository (`ns/repo`) of a registry (`host[:port]`).
    Registry {
        registry: String,
        repository: String,
    },
}

/// A layer a source hands over before its manifest can be read, streamed as its bytes arrive.
pub struct EarlyBlob {
    pub size: u64,
    pub stream: BlobStream,
}

/// Layers a source can hand over while it is still receiving the image (a daemon's export
/// sends its manifest last). A source offers only layers its manifest will list unchanged:
/// uncompressed tars, under the sha256 of their bytes, as `layer_media_type` in a manifest of
/// `manifest_type`. The copy decides whether sending them before the manifest fits its plan.
pub struct EarlyBlobs {
    pub manifest_type: &'static str,
    pub layer_media_type: &'static str,
    /// The digests the layers will have, when the source knows them before they arrive (a
    /// daemon's image record); `None` when it cannot say.
    pub layers: Option<Vec<crate::digest::Digest>>,
    /// Each layer as its bytes start arriving; closed once the image has arrived whole. An
    /// `Err` when the source stopped receiving the image, queued before any layer stream
    /// fails for that reason.
    pub blobs: tokio::sync::mpsc::UnboundedReceiver<Result<EarlyBlob>>,
}

#[async_trait]
pub trait ImageSource: Send + Sync {
    /// The top-level manifest (`None`) or a list instance, with its media type when the
    /// transport records it (callers settle it with [`RawManifest::resolved_type`]).
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest>;

    /// Opens a blob for reading. The caller verifies digest and size while reading.
    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream>;

    /// Where the blob already is on local disk, when it is.
    fn local_blob(&self, _info: &BlobInfo) -> Option<LocalBlob> {
        None
    }

    async fn signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>>;

    /// Where the blobs come from, for destinations that can reuse them there.
    fn blob_origin(&self) -> Option<BlobOrigin> {
        None
    }

    /// Where this source's blobs are recorded in the blob-info cache (registries only).
    fn cache_location(&self) -> Option<BlobLocation> {
        None
    }

    /// Facts the source's own records establish, for the blob-info cache: a
    /// containers-storage layer's compressed digest from its pull, and what it decompresses to.
    fn cached_facts(&self) -> Vec<Fact> {
        Vec::new()
    }

    /// Layers to copy before the manifest can be read (see [`EarlyBlobs`]); given out once.
    fn early_blobs(&self) -> Option<EarlyBlobs> {
        None
    }

    /// c/image's LayerInfosForCopy: when the source can only give its layers in another form
    /// than the manifest lists them (containers-storage stores them uncompressed), the blobs
    /// to copy instead, in manifest order; the copy then rewrites the manifest to match.
    async fn layer_infos_for_copy(
        &self,
        _instance: Option<&Digest>,
    ) -> Result<Option<Vec<BlobInfo>>> {
        Ok(None)
    }
}

/// How a destination wants layers compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerCompression {
    Preserve,
    Compress,
    Decompress,
}

#[derive(Clone, Debug)]
pub struct DestinationProperties {
    /// Manifest types the destination stores, most preferred first; empty means any.
    pub supported_manifest_types: Vec<&'static str>,
    pub desired_layer_compression: LayerCompression,
    pub accepts_foreign_layer_urls: bool,
    /// Whether `put_blob` may run for several blobs at once.
    pub has_thread_safe_put_blob: bool,
    /// `Err(reason)` when signatures cannot be stored here.
    pub supports_signatures: Result<(), String>,
}

/// A blob a destination was found to have: its size, when the answer told it (a registry's
/// HEAD without `Content-Length` does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobPresent {
    pub size: Option<u64>,
}

/// What the engine knows about a blob it is about to send: the digest and size are known
/// unless the engine is changing the blob (e.g. compressing it).
#[derive(Clone, Debug)]
pub struct UploadInfo {
    pub digest: Option<Digest>,
    pub size: Option<u64>,
    pub media_type: MediaType,
    pub is_config: bool,
}

#[async_trait]
pub trait ImageDestination: Send + Sync {
    fn properties(&self) -> DestinationProperties;

    /// Why sigstore signatures cannot be stored where other signatures can (a registry
    /// without `use-sigstore-attachments`): the engine checks it before writing anything.
    fn refuses_sigstore_signatures(&self) -> Option<String> {
        None
    }

    /// Whether the destination wants a schema 1 manifest unchanged even when the name and tag
    /// in it are not the destination's (c/image's IgnoresEmbeddedDockerReference).
    fn ignores_embedded_docker_reference(&self) -> bool {
        false
    }

    /// If the destination already has this blob, its info (no bytes are sent).
    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>>;

    /// Where blobs written here can be found by later copies, for destinations that can
    /// reuse a blob from such a place (a registry mounts it from another repository).
    fn blob_origin(&self) -> Option<BlobOrigin> {
        None
    }

    /// Where blobs written here are recorded in the blob-info cache (registries only).
    fn cache_location(&self) -> Option<BlobLocation> {
        None
    }

    /// What the destination verified while storing blobs, for the blob-info cache
    /// (containers-storage: each layer blob's uncompressed digest).
    fn cached_facts(&self) -> Vec<Fact> {
        Vec::new()
    }

    /// Reuses `digest`, which the blob-info cache says was seen at `location` (one this
    /// destination's `cache_location` names; `None`: perhaps in the destination itself).
    /// The cache is never trusted: the destination confirms the blob is there (and mounts
    /// it when it is in another repository) before answering.
    async fn try_reuse_cached(
        &self,
        _digest: &Digest,
        _location: Option<&str>,
    ) -> Result<Option<BlobPresent>> {
        Ok(None)
    }

    /// Like `try_reuse_blob`, knowing where the source keeps the blob.
    async fn try_reuse_blob_from(
        &self,
        info: &BlobInfo,
        _origin: Option<&BlobOrigin>,
    ) -> Result<Option<BlobInfo>> {
        self.try_reuse_blob(info).await
    }

    /// The digest of the manifest the destination already has at its name (`None`) or at
    /// `instance`, when it can tell cheaply: a copy whose manifest has that digest is a no-op.
    async fn existing_manifest_digest(&self, _instance: Option<&Digest>) -> Result<Option<Digest>> {
        Ok(None)
    }

    /// Stores a blob. When `info.digest` is set the engine verifies the stream against it, so
    /// the destination may trust it; otherwise the destination computes the digest. A verify
    /// failure arrives as a read error of `stream`: the destination must fail and keep nothing
    /// of the blob (not even as reusable).
    async fn put_blob(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo>;

    /// Stores a blob that is in a local file; `Ok(None)` means "use `put_blob` instead".
    /// The engine hands over only where the bytes are, unread: the destination must check
    /// them against `info.digest` and `info.size` as it copies them (with
    /// `crate::contract::verify`) and store nothing when they differ. Doing it there keeps a
    /// local copy to one pass over the bytes; the conformance suite checks every
    /// implementation refuses a corrupt or truncated file.
    async fn put_local_blob(
        &self,
        _local: &LocalBlob,
        _info: &BlobInfo,
    ) -> Result<Option<BlobInfo>> {
        Ok(None)
    }

    /// Stores a manifest: the top-level one (`None`) or a list instance.
    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()>;

    /// Stores signatures. The default suits destinations that cannot: nothing to store is
    /// fine, anything else is refused for the reason [`DestinationProperties`] gives.
    async fn put_signatures(
        &self,
        signatures: &[Signature],
        _instance: Option<&Digest>,
    ) -> Result<()> {
        match self.properties().supports_signatures {
            _ if signatures.is_empty() => Ok(()),
            Ok(()) => Err(anyhow::anyhow!("signatures were not stored")),
            Err(why) => Err(anyhow::anyhow!(why)),
        }
    }

    /// Makes everything put so far visible, atomically where the format allows. Dropping a
    /// destination without committing discards what was written.
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Opens `name` for reading.
pub async fn open_source(name: &ImageName, ctx: &SystemContext) -> Result<Box<dyn ImageSource>> {
    match name {
        ImageName::Dir(path) => Ok(Box::new(dir::DirSource::open(path)?)),
        ImageName::Docker(r) => Ok(Box::new(docker::DockerSource::open(r, ctx).await?)),
        ImageName::Oci(layout) => Ok(Box::new(oci::OciSource::open(layout, ctx)?)),
        ImageName::OciArchive(layout) => Ok(Box::new(
            oci_archive::OciArchiveSource::open(layout, ctx).await?,
        )),
        ImageName::ContainersStorage(s) => Ok(Box::new(
            storage::source::StorageSource::open(storage::resolve_name(s).await?).await?,
        )),
        ImageName::DockerArchive(a) => Ok(Box::new(docker_archive::open_source(a, ctx).await?)),
        ImageName::DockerDaemon(d) => Ok(Box::new(docker_daemon::open_source(d, ctx).await?)),
        ImageName::Sif(path) => Ok(Box::new(sif::SifSource::open(path, ctx).await?)),
        ImageName::Tarball(files) => Ok(Box::new(tarball::TarballSource::open(files).await?)),
    }
}

/// Opens `name` for writing.
pub async fn open_destination(
    name: &ImageName,
    ctx: &SystemContext,
) -> Result<Box<dyn ImageDestination>> {
    match name {
        ImageName::Dir(path) => Ok(Box::new(dir::DirDestination::open(path, ctx)?)),
        ImageName::Docker(r) => Ok(Box::new(docker::DockerDestination::open(r, ctx)?)),
        ImageName::Oci(layout) => Ok(Box::new(oci::OciDestination::open(layout, ctx)?)),
        ImageName::OciArchive(layout) => Ok(Box::new(oci_archive::OciArchiveDestination::open(
            layout, ctx,
        )?)),
        ImageName::ContainersStorage(s) => Ok(Box::new(
            storage::dest::StorageDestination::open(storage::resolve_name(s).await?).await?,
        )),
        ImageName::DockerArchive(a) => {
            Ok(Box::new(docker_archive::open_archive_destination(a, ctx)?))
        }
        ImageName::DockerDaemon(d) => Ok(Box::new(docker_daemon::open_destination(d, ctx).await?)),
        ImageName::Sif(_) | ImageName::Tarball(_) => Err(anyhow::anyhow!(
            "\"{}:\" locations can only be read from, not written to",
            name.transport()
        )),
    }
}

/// Finishes a parsed name the way skopeo's parsing does where that needs more than the text:
/// a `containers-storage:` name gets its store filled in and short IDs settled.
pub fn complete_name(name: ImageName) -> Result<ImageName> {
    match name {
        ImageName::ContainersStorage(s) => {
            Ok(ImageName::ContainersStorage(storage::complete_name(&s)?))
        }
        other => Ok(other),
    }
}

/// Deletes an image (`skopeo delete`).
pub async fn delete_image(name: &ImageName, ctx: &SystemContext) -> Result<()> {
    match name {
        ImageName::ContainersStorage(s) => storage::delete_image(s).await,
        ImageName::Docker(r) => docker::delete_image(ctx, r).await,
        ImageName::Oci(l) => oci::delete::delete_image(l, ctx),
        ImageName::Tarball(files) => tarball::delete_files(files),
        ImageName::Sif(_) => Err(anyhow::anyhow!(
            "Deleting images not implemented for sif: images"
        )),
        other => Err(not_implemented(format!(
            "deleting images from the {} transport",
            other.transport()
        ))),
    }
}

/// How the trust policy sees an image: its transport, identity and enclosing namespaces, as
/// each c/image transport defines them.
pub fn policy_subject(name: &ImageName) -> crate::config::policy::PolicySubject {
    use crate::config::policy::{docker_namespaces, oci_identity_and_namespaces, path_namespaces};
    use crate::reference::{DaemonName, resolve_path_fully_explicit};
    let resolved = |p: &std::path::Path| {
        let s = p.to_string_lossy();
        resolve_path_fully_explicit(&s).unwrap_or_else(|_| s.into_owned())
    };
    let docker =
        |r: &crate::reference::DockerReference| (r.to_string(), docker_namespaces(&r.name()));
    let (identity, namespaces) = match name {
        ImageName::Docker(r) => docker(r),
        ImageName::DockerDaemon(DaemonName::Reference(r)) => docker(r),
        ImageName::DockerDaemon(DaemonName::ImageId(_))
        | ImageName::DockerArchive(_)
        | ImageName::Tarball(_) => (String::new(), Vec::new()),
        ImageName::Dir(p) | ImageName::Sif(p) => {
            let r = resolved(p);
            let ns = path_namespaces(&r);
            (r, ns)
        }
        ImageName::Oci(l) | ImageName::OciArchive(l) => {
            oci_identity_and_namespaces(&resolved(&l.path), l.reference.as_deref().unwrap_or(""))
        }
        ImageName::ContainersStorage(s) => storage::policy_identity(s),
    };
    crate::config::policy::PolicySubject {
        transport: name.transport().name().to_string(),
        identity,
        namespaces,
        display: name.to_string(),
    }
}
