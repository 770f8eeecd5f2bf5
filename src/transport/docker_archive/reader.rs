//! Reading `docker save`-formatted archives (from Docker of any age, skopeo, podman, or a
//! daemon's `GET /images/get`): the tar is indexed once and every file is read in place by
//! its byte range. Only inputs that cannot be read that way — compressed archives and
//! non-seekable streams — are first copied (decompressed) to a temporary file, as c/image does
//! for all of them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use bytes::Bytes;
use tempfile::NamedTempFile;
use tokio::io::AsyncReadExt;

use super::format::{self, ManifestItem};
use crate::compression::{self, Algorithm};
use crate::digest::Digest;
use crate::gotext::go_quote;
use crate::manifest::RawManifest;
use crate::manifest::docker::{Schema2, Schema2Descriptor};
use crate::manifest::media_type as mt;
use crate::reference::DockerReference;
use crate::signature::Signature;
use crate::transport::fsutil::few_reads;
use crate::transport::spool::{self, read_magic};
use crate::transport::tarindex::{TarEntry, TarIndex, normalize_member};
use crate::transport::{BlobStream, ImageSource, LocalBlob};
use crate::types::{BlobInfo, SystemContext};

/// Where c/image puts big temporary files unless `--tmpdir` says otherwise.
pub fn big_files_dir(ctx: &SystemContext) -> PathBuf {
    ctx.tmp_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("/var/tmp"))
}

/// Opens an archive file for reading, with skopeo's error.
fn open_archive(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| {
        anyhow!(
            "opening file {}: {}",
            go_quote(&path.display().to_string()),
            crate::gotext::go_path_error("open", path, &e)
        )
    })
}

/// An indexed archive and its `manifest.json`.
pub struct Tarball {
    index: TarIndex,
    /// The decompressed or spooled copy the index reads, removed with the tarball.
    _spool: Option<NamedTempFile>,
    pub items: Vec<ManifestItem>,
}

impl Tarball {
    /// Opens an archive file: read in place when it is a seekable uncompressed tar, else
    /// spooled.
    pub fn open_path(path: &Path, ctx: &SystemContext) -> Result<Tarball> {
        match Tarball::open_in_place(path)? {
            Ok(tarball) => Ok(tarball),
            Err(file) => Tarball::spooled_from(file, ctx),
        }
    }

    /// Opens an archive file when it can be read in place (a few header reads of a seekable
    /// uncompressed tar); otherwise hands back the open file, which must be spooled.
    pub fn open_in_place(path: &Path) -> Result<Result<Tarball, File>> {
        let mut file = open_archive(path)?;
        // Read in place through the file's real name (`/dev/stdin` may be a file).
        let real = std::fs::canonicalize(path).ok().filter(|real| {
            use std::os::unix::fs::MetadataExt;
            match (std::fs::metadata(real), file.metadata()) {
                (Ok(a), Ok(b)) => a.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            }
        });
        let seekable = file.stream_position().is_ok();
        if let (true, Some(real)) = (seekable, real) {
            let magic = read_magic(&mut file).with_context(|| {
                format!(
                    "detecting compression for file {}",
                    go_quote(&path.display().to_string())
                )
            })?;
            if Algorithm::detect(&magic).is_none() {
                let index = TarIndex::scan(&real)?;
                return Tarball::load(index, None).map(Ok);
            }
            file.seek(SeekFrom::Start(0))?;
        }
        Ok(Err(file))
    }

    /// Copies an archive that cannot be read in place (compressed, or a stream) to a
    /// temporary file, decompressed, and indexes that.
    pub fn spooled_from(mut file: File, ctx: &SystemContext) -> Result<Tarball> {
        Tarball::from_spool(spool::spool(&mut file, &big_files_dir(ctx), "docker-tar")?)
    }

    /// Indexes a spooled archive.
    pub fn from_spool(spool: NamedTempFile) -> Result<Tarball> {
        let index = TarIndex::scan(spool.path())?;
        Tarball::load(index, Some(spool))
    }

    /// Indexes an archive spooled to a file that its owner removes.
    pub fn from_spooled(path: &Path) -> Result<Tarball> {
        Tarball::load(TarIndex::scan(path)?, None)
    }

    fn load(index: TarIndex, spool: Option<NamedTempFile>) -> Result<Tarball> {
        let mut t = Tarball {
            index,
            _spool: spool,
            items: Vec::new(),
        };
        let bytes = t
            .read_member(format::MANIFEST_FILE, format::MAX_MANIFEST_JSON)
            .with_context(|| format!("loading tar component {}", format::MANIFEST_FILE))?;
        t.items = format::parse_manifest_json(&bytes)?;
        Ok(t)
    }

    pub fn path(&self) -> &Path {
        self.index.path()
    }

    /// The regular member a name from `manifest.json` refers to, following one symbolic link
    /// (relative to the link's directory), as c/image does. Names that leave the archive are
    /// refused.
    pub fn member(&self, name: &str) -> Result<TarEntry> {
        let Some(norm) = normalize_member(Path::new(name)) else {
            bail!("invalid path {}: it leaves the archive", go_quote(name));
        };
        if let Some(e) = self.index.get(&norm) {
            return Ok(e);
        }
        let Some(target) = self.index.symlink(&norm) else {
            bail!("file does not exist");
        };
        let dir = norm.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let Some(resolved) = resolve_link(dir, target) else {
            bail!(
                "invalid symbolic link {norm} -> {}: it leaves the archive",
                go_quote(target)
            );
        };
        match self.index.get(&resolved) {
            Some(e) => Ok(e),
            None if self.index.symlink(&resolved).is_some() => {
                bail!("Error reading tar archive component {resolved}: not a regular file")
            }
            None => bail!("file does not exist"),
        }
    }

    /// A whole member, at most `limit` bytes.
    pub fn read_member(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let e = self.member(name)?;
        if e.size > limit {
            bail!("exceeded maximum allowed size of {limit} bytes");
        }
        let mut f = File::open(self.path())?;
        f.seek(SeekFrom::Start(e.offset))?;
        let mut out = Vec::with_capacity(e.size as usize);
        f.take(e.size).read_to_end(&mut out)?;
        if out.len() as u64 != e.size {
            bail!("tar archive {} is truncated", self.path().display());
        }
        Ok(out)
    }

    fn open_range(&self, e: TarEntry) -> Result<std::io::Take<File>> {
        let mut f = File::open(self.path())?;
        f.seek(SeekFrom::Start(e.offset))?;
        Ok(f.take(e.size))
    }

    /// The manifest item a name or index chooses (the only one when neither is given), and the
    /// index of the tag that matched.
    pub fn choose(
        &self,
        reference: Option<&DockerReference>,
        source_index: Option<usize>,
    ) -> Result<(usize, Option<usize>)> {
        match (reference, source_index) {
            (Some(r), _) => {
                let want = r.to_string();
                for (i, item) in self.items.iter().enumerate() {
                    for (t, tag) in item.repo_tags.iter().enumerate() {
                        let parsed = DockerReference::parse_normalized_named(tag).map_err(|e| {
                            anyhow!(
                                "Invalid tag {} in manifest.json item @{i}: {e}",
                                go_quote(tag)
                            )
                        })?;
                        if parsed.to_string() == want {
                            return Ok((i, Some(t)));
                        }
                    }
                }
                bail!("Tag {} not found", go_quote(&want))
            }
            (None, Some(i)) => {
                if i >= self.items.len() {
                    bail!(
                        "Invalid source index @{i}, only {} manifest items available",
                        self.items.len()
                    );
                }
                Ok((i, None))
            }
            (None, None) => {
                if self.items.len() != 1 {
                    bail!(
                        "Unexpected tar manifest.json: expected 1 item, got {}",
                        self.items.len()
                    );
                }
                Ok((0, None))
            }
        }
    }

    /// What `skopeo list-tags docker-archive:…` lists: each image's tags as recorded (`@N`
    /// for an image without tags); `None` for an archive without images.
    pub fn list_tags(&self) -> Result<Option<Vec<String>>> {
        if self.items.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            let mut refs = Vec::new();
            for tag in &item.repo_tags {
                let parsed = DockerReference::parse_normalized_named(tag).map_err(|e| {
                    anyhow!("Invalid tag {} in manifest item @{i}: {e}", go_quote(tag))
                })?;
                if parsed.tag().is_none() || parsed.digest().is_some() {
                    bail!("Invalid tag {tag} ({parsed}): does not contain a tag");
                }
                refs.push(parsed);
            }
            if refs.is_empty() {
                out.push(format!("@{i}"));
                continue;
            }
            for r in refs {
                let (item, tag) = self.choose(Some(&r), None)?;
                let tag = tag.expect("a tag chose the item");
                out.push(self.items[item].repo_tags[tag].clone());
            }
        }
        Ok(Some(out))
    }

    /// Reads the chosen image's config and finds its layers (c/image's
    /// ensureCachedDataIsPresent), and builds the schema 2 manifest c/image generates for it.
    fn image(&self, item: usize) -> Result<ImageData> {
        let item = &self.items[item];
        let config = self
            .read_member(&item.config, format::MAX_CONFIG)
            .with_context(|| format!("loading tar component {}", item.config))?;
        let diff_ids = diff_ids(&config, &item.config)?;
        if item.layers.len() != diff_ids.len() {
            bail!(
                "Inconsistent layer count: {} in manifest, {} in config",
                item.layers.len(),
                diff_ids.len()
            );
        }
        let mut layers: HashMap<Digest, LayerFile> = HashMap::new();
        let mut paths: HashMap<String, Digest> = HashMap::new();
        for (diff_id, path) in diff_ids.iter().zip(&item.layers) {
            if layers.contains_key(diff_id) {
                continue;
            }
            let clean = clean_path(path);
            if paths.insert(clean.clone(), diff_id.clone()).is_some() {
                bail!("Layer tarfile {clean} used for two different DiffID values");
            }
            let entry = self
                .member(path)
                .with_context(|| format!("finding layer {}", go_quote(path)))?;
            let magic = read_magic(&mut self.open_range(entry)?)?;
            let compression = Algorithm::detect(&magic);
            let size = match compression {
                None => entry.size,
                Some(algo) => compression::decompress(
                    algo,
                    &mut self.open_range(entry)?,
                    &mut std::io::sink(),
                )
                .with_context(|| format!("reading {clean} to find its size"))?,
            };
            layers.insert(
                diff_id.clone(),
                LayerFile {
                    entry,
                    size,
                    compression,
                },
            );
        }
        let config_digest = Digest::sha256_of(&config);
        if let Some(named) = digest_in_name(&item.config)
            && named != config_digest
        {
            bail!(
                "config {} does not match the digest {named} it is named by",
                item.config
            );
        }
        let manifest = Schema2 {
            schema_version: 2,
            media_type: mt::DOCKER_V2_SCHEMA2.to_string(),
            config: Schema2Descriptor {
                media_type: mt::DOCKER_V2_SCHEMA2_CONFIG.to_string(),
                size: config.len() as i64,
                digest: config_digest.clone(),
                urls: Vec::new(),
            },
            layers: diff_ids
                .iter()
                .map(|d| Schema2Descriptor {
                    media_type: mt::DOCKER_V2_SCHEMA2_LAYER.to_string(),
                    size: layers[d].size as i64,
                    digest: d.clone(),
                    urls: Vec::new(),
                })
                .collect(),
        };
        Ok(ImageData {
            manifest: Bytes::from(crate::gojson::to_vec_compact(&manifest)),
            config: Bytes::from(config),
            config_digest,
            layers,
        })
    }
}

/// The digest a member is named by, as archives name configs: `<hex>.json` (docker save,
/// skopeo, podman), `blobs/sha256/<hex>` (newer docker save), `sha256:<hex>` (crane).
fn digest_in_name(name: &str) -> Option<Digest> {
    let base = name.strip_prefix("blobs/sha256/").unwrap_or(name);
    let base = base.strip_suffix(".json").unwrap_or(base);
    let hex = base.strip_prefix("sha256:").unwrap_or(base);
    let is_hex = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    is_hex.then(|| format!("sha256:{hex}").parse().ok())?
}

/// `dir/target` with `.` and `..` resolved (Go's `path.Join`), or `None` when the result
/// would be absolute or climb out of the archive.
fn resolve_link(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in dir.split('/').chain(target.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Go's `path.Clean` for the relative names of `manifest.json`.
fn clean_path(p: &str) -> String {
    normalize_member(Path::new(p)).unwrap_or_else(|| p.to_string())
}

/// The config's `rootfs.diff_ids`.
fn diff_ids(config: &[u8], name: &str) -> Result<Vec<Digest>> {
    #[derive(serde::Deserialize)]
    struct RootFs {
        #[serde(default)]
        diff_ids: Option<Vec<Digest>>,
    }
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        rootfs: Option<RootFs>,
    }
    let parsed: Config = serde_json::from_slice(config).map_err(|e| {
        anyhow!(
            "decoding tar config {name}: {}",
            format::go_json_error(config, &e)
        )
    })?;
    let Some(rootfs) = parsed.rootfs else {
        bail!("Invalid image config (rootFS is not set): {name}");
    };
    Ok(rootfs.diff_ids.unwrap_or_default())
}

struct LayerFile {
    entry: TarEntry,
    /// Uncompressed size.
    size: u64,
    compression: Option<Algorithm>,
}

struct ImageData {
    manifest: Bytes,
    config: Bytes,
    config_digest: Digest,
    layers: HashMap<Digest, LayerFile>,
}

/// One image of an archive as an image source: a Docker schema 2 manifest generated from the
/// config, layers served uncompressed under their diff IDs.
pub struct TarballSource {
    tarball: Arc<Tarball>,
    reference: Option<DockerReference>,
    source_index: Option<usize>,
    data: tokio::sync::OnceCell<Arc<ImageData>>,
}

impl TarballSource {
    pub fn new(
        tarball: Arc<Tarball>,
        reference: Option<DockerReference>,
        source_index: Option<usize>,
    ) -> TarballSource {
        TarballSource {
            tarball,
            reference,
            source_index,
            data: tokio::sync::OnceCell::new(),
        }
    }

    async fn data(&self) -> Result<Arc<ImageData>> {
        self.data
            .get_or_try_init(|| async {
                let (t, r, i) = (
                    self.tarball.clone(),
                    self.reference.clone(),
                    self.source_index,
                );
                // Small reads of the indexed (regular) file.
                few_reads(move || {
                    let (item, _) = t.choose(r.as_ref(), i)?;
                    t.image(item).map(Arc::new)
                })
                .await
            })
            .await
            .cloned()
    }
}

#[async_trait]
impl ImageSource for TarballSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        if instance.is_some() {
            bail!("Manifest lists are not supported by \"docker-daemon:\"");
        }
        let data = self.data().await?;
        Ok(RawManifest::new(
            data.manifest.clone(),
            mt::DOCKER_V2_SCHEMA2,
        ))
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        let data = self.data().await?;
        if info.digest == data.config_digest {
            return Ok(Box::pin(std::io::Cursor::new(data.config.clone())));
        }
        let Some(layer) = data.layers.get(&info.digest) else {
            bail!("Unknown blob {}", info.digest);
        };
        let range = self.tarball.open_range(layer.entry)?;
        match layer.compression {
            None => Ok(Box::pin(
                tokio::fs::File::from_std(range.into_inner()).take(layer.entry.size),
            )),
            Some(algo) => Ok(decompressing(range, algo)),
        }
    }

    fn local_blob(&self, info: &BlobInfo) -> Option<LocalBlob> {
        let data = self.data.get()?;
        let layer = data.layers.get(&info.digest)?;
        layer.compression.is_none().then(|| LocalBlob {
            path: self.tarball.path().to_path_buf(),
            offset: layer.entry.offset,
            len: layer.entry.size,
        })
    }

    async fn signatures(&self, _instance: Option<&Digest>) -> Result<Vec<Signature>> {
        Ok(Vec::new())
    }
}

/// A compressed layer file read as its uncompressed stream (decompressed on a blocking
/// thread; a decompression failure is a read error).
fn decompressing(mut input: std::io::Take<File>, algo: Algorithm) -> BlobStream {
    crate::transport::bridge::spawn_writer(1 << 20, move |out| {
        compression::decompress(algo, &mut input, out).map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::{digest_in_name, resolve_link};

    #[test]
    fn config_names_that_carry_a_digest() {
        let hex = "ab".repeat(32);
        let want = Some(format!("sha256:{hex}").parse().unwrap());
        assert_eq!(digest_in_name(&format!("{hex}.json")), want);
        assert_eq!(digest_in_name(&format!("blobs/sha256/{hex}")), want);
        assert_eq!(digest_in_name(&format!("sha256:{hex}")), want);
        assert_eq!(digest_in_name("config.json"), None);
        assert_eq!(digest_in_name(&format!("{}.json", "AB".repeat(32))), None);
        assert_eq!(digest_in_name(&format!("x/{hex}.json")), None);
    }

    #[test]
    fn links_resolve_within_the_archive_only() {
        assert_eq!(
            resolve_link("a", "../b/layer.tar").as_deref(),
            Some("b/layer.tar")
        );
        assert_eq!(resolve_link("a", "./x").as_deref(), Some("a/x"));
        assert_eq!(resolve_link("a", "../../etc/passwd"), None);
        assert_eq!(resolve_link("a", "/etc/passwd"), None);
        assert_eq!(resolve_link("", ".."), None);
    }
}
