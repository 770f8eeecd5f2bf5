//! Plain data shared by transports, the copy engine and the CLI.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::digest::Digest;
use crate::manifest::MediaType;
use crate::manifest::platform::PlatformChoice;

/// A blob as a manifest describes it. `size` is `None` when unknown (schema 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    pub digest: Digest,
    pub size: Option<u64>,
    pub media_type: MediaType,
    pub urls: Vec<String>,
    pub annotations: Option<BTreeMap<String, String>>,
}

impl BlobInfo {
    pub fn new(digest: Digest, size: Option<u64>, media_type: impl Into<MediaType>) -> BlobInfo {
        BlobInfo {
            digest,
            size,
            media_type: media_type.into(),
            urls: Vec::new(),
            annotations: None,
        }
    }
}

/// A size as Go's image formats and c/image's interfaces carry it, -1 (any negative value)
/// meaning unknown: converted only where such a format is read or written.
pub fn size_from_go(size: i64) -> Option<u64> {
    u64::try_from(size).ok()
}

/// [`size_from_go`]'s inverse: -1 for an unknown size.
pub fn size_to_go(size: Option<u64>) -> i64 {
    size.map_or(-1, |s| s as i64)
}

/// Per-image settings a transport may need: the equivalent of c/image's SystemContext, filled
/// from the command line separately for the source and the destination.
#[derive(Clone, Debug, Default)]
pub struct SystemContext {
    pub platform: PlatformChoice,
    /// `--tmpdir`: where transports that must spool put their temporary files.
    pub tmp_dir: Option<PathBuf>,
    /// `--src/--dest-shared-blob-dir` for `oci:` layouts.
    pub oci_shared_blob_dir: Option<PathBuf>,
    /// `--dest-oci-accept-uncompressed-layers`.
    pub oci_accept_uncompressed_layers: bool,
    /// `--dest-precompute-digests`: a `docker://` destination spools a blob of unknown digest
    /// (one compressed on the way) to learn its digest, and skips it when the registry has it.
    pub docker_registry_push_precompute_digests: bool,
    /// `--dest-compress` / `--dest-decompress` for `dir:`.
    pub dir_force_compress: bool,
    pub dir_force_decompress: bool,
    /// `--registries.d`
    pub registries_dir: Option<PathBuf>,
    /// `--registries-conf` (hidden in skopeo); else `$CONTAINERS_REGISTRIES_CONF` and defaults.
    pub registries_conf: Option<PathBuf>,
    pub docker_cert_path: Option<PathBuf>,
    pub docker_daemon_host: Option<String>,
    pub tls_verify: Option<bool>,
    pub auth_file: Option<PathBuf>,
    /// c/image's DockerCompatAuthFilePath: `login`/`logout` edit this Docker config.json
    /// (in Docker's format) instead of `auth_file`.
    pub docker_compat_auth_file: Option<PathBuf>,
    pub credentials: Option<(String, String)>,
    pub registry_token: Option<String>,
    pub no_creds: bool,
    pub user_agent_prefix: Option<String>,
    /// c/image's BlobInfoCacheDir: where the blob-info cache lives instead of its default
    /// place (no skopeo flag sets it; the library's callers, tests among them, may).
    pub blob_info_cache_dir: Option<PathBuf>,
    /// `--additional-tag`: more names a docker-archive destination records for the image.
    pub docker_archive_additional_tags: Vec<crate::reference::DockerReference>,
}
