//! Writing an image into the store, as c/image's storage destination does, and removing one.
//!
//! Each layer blob is decompressed and extracted while it arrives (layers in parallel) into
//! a private staging directory under `<graphroot>/tmp`, writing its tar-split and hashing its
//! diff ID on the way. Nothing becomes visible until `commit`, which — holding the layer
//! store's lock — turns staged layers into driver layers (IDs chained from the parent's ID
//! and the diff ID, as c/image computes them), reuses layers the store already has, records
//! them, then — holding the image store's lock — creates or updates the image (ID = config
//! digest) with its big-data items and name. A failure on the way removes what this commit
//! created, so no incomplete layer or image is left behind.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use tokio::io::AsyncReadExt;

use super::extract::{self, Applied, Whiteouts};
use super::layerfs;
use super::store::{Driver, Image, Layer, Store, go_time};
use super::{ResolvedName, resolve_image};
use crate::compression;
use crate::digest::{Algorithm, Digest, HashingReader};
use crate::error::not_implemented;
use crate::manifest::{self, Manifest};
use crate::signature::Signature;
use crate::transport::fsutil::write_file_atomic;
use crate::transport::{
    BlobStream, DestinationProperties, ImageDestination, LayerCompression, UploadInfo,
};
use crate::types::{BlobInfo, size_from_go};

/// c/storage's archive.Compression values recorded in layers.json.
const COMPRESSION_NONE: i64 = 0;
const COMPRESSION_GZIP: i64 = 2;

/// The archive.Compression value c/storage records for a layer stored from a blob compressed
/// with `algo`.
fn storage_compression_code(algo: Option<compression::Algorithm>) -> i64 {
    use compression::Algorithm as C;
    match algo {
        None => COMPRESSION_NONE,
        Some(C::Bzip2) => 1,
        Some(C::Gzip) => COMPRESSION_GZIP,
        Some(C::Xz) => 3,
        Some(C::Zstd | C::ZstdChunked) => 4,
    }
}

/// Largest config blob kept in memory.
const MAX_CONFIG: usize = 64 << 20;

struct Staged {
    dir: PathBuf,
    tar_split: PathBuf,
    applied: Applied,
    compressed_digest: String,
    compressed_size: u64,
    compression: i64,
}

#[derive(Default)]
struct State {
    staged: HashMap<String, Staged>,
    /// Blob digest → diff ID, for staged and reused layers.
    diff_ids: HashMap<String, Digest>,
    configs: HashMap<String, Vec<u8>>,
    manifest: Option<(Vec<u8>, Digest)>,
    signatures: Option<(Vec<u8>, Vec<usize>)>,
    signatureses: BTreeMap<String, (Vec<u8>, Vec<usize>)>,
    counter: usize,
}

pub struct StorageDestination {
    r: ResolvedName,
    staging: tempfile::TempDir,
    state: Mutex<State>,
    /// After an interrupt, `main` waits for the staging to be removed before it exits.
    _pending: crate::transport::pending::Pending,
}

impl StorageDestination {
    pub async fn open(r: ResolvedName) -> Result<StorageDestination> {
        sweep_stale_staging(&r.store.tmp_dir());
        let staging = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
            .tempdir_in(r.store.tmp_dir())
            .with_context(|| format!("creating a staging directory in {:?}", r.store.tmp_dir()))?;
        Ok(StorageDestination {
            r,
            staging,
            state: Mutex::new(State::default()),
            _pending: crate::transport::pending::Pending::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_staging(&self) -> (PathBuf, PathBuf) {
        let n = {
            let mut s = self.state();
            s.counter += 1;
            s.counter
        };
        (
            self.staging.path().join(format!("layer-{n}")),
            self.staging.path().join(format!("layer-{n}.tar-split.gz")),
        )
    }

    fn whiteouts(&self) -> Whiteouts {
        match self.r.store.driver {
            Driver::Vfs => Whiteouts::Record,
            Driver::Overlay if self.r.store.mount_program().is_some() => Whiteouts::Keep,
            Driver::Overlay => Whiteouts::Overlay,
        }
    }
}

impl Drop for StorageDestination {
    /// An interrupted copy leaves layer extractions running on blocking threads, which go on
    /// creating files by path in the staging. Moving the staging away first makes their next
    /// creation fail instead of landing in a directory being removed (which then stayed);
    /// the name keeps this process's prefix, so a sweep still finds anything left.
    fn drop(&mut self) {
        let path = self.staging.path().to_path_buf();
        let mut dead = path.clone().into_os_string();
        dead.push("-removing");
        let target = if std::fs::rename(&path, &dead).is_ok() {
            PathBuf::from(dead)
        } else {
            path
        };
        // A creation already under way at the rename can still land; a second pass takes it.
        for _ in 0..3 {
            if super::fsops::remove_all(&target).is_ok() {
                break;
            }
        }
    }
}

/// Staging directories are named after the process that made them.
const STAGING_PREFIX: &str = "skiff-staging-";

/// Removes staging left by skiff processes that were killed (their clean-up never ran).
fn sweep_stale_staging(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(STAGING_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = super::fsops::remove_all(&e.path());
        }
    }
}

/// Decompresses (whatever the bytes say) and extracts one layer stream into `dir`.
fn stage_layer(
    input: impl Read + Send,
    dir: &Path,
    tar_split: &Path,
    mode: Whiteouts,
    hash_compressed: bool,
) -> Result<(Applied, i64, u64, Option<Digest>)> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    // Counts (and, when asked, hashes) the compressed bytes.
    let counting = HashingReader::maybe(input, hash_compressed.then_some(Algorithm::Sha256));
    let mut br = BufReader::with_capacity(1 << 20, counting);
    let magic = br.fill_buf()?.to_vec();
    let detected = compression::Algorithm::detect(&magic);
    let applied = match detected {
        None => extract::apply(&mut br, dir, tar_split, mode)?,
        Some(algo) => compression::read_decompressed(algo, &mut br, |r| {
            extract::apply(r, dir, tar_split, mode)
        })?,
    };
    let compression = storage_compression_code(detected);
    // Read to the end, so whatever verifies the stream sees all of it.
    std::io::copy(&mut br, &mut std::io::sink())?;
    let (_, digest, count) = br.into_inner().finish();
    Ok((applied, compression, count, digest))
}

/// A layer's rebuilt tarball, written to `path` (used when an existing layer's contents are
/// needed under a different parent).
async fn rebuild_to_file(store: &Store, layer: &Layer, path: &Path) -> Result<()> {
    let src = super::source::layer_stream_for(store, layer)?;
    let mut src = src;
    let mut f = tokio::fs::File::create(path).await?;
    tokio::io::copy(&mut src, &mut f).await?;
    Ok(())
}

#[async_trait]
impl ImageDestination for StorageDestination {
    /// c/image's storage destination records each layer blob's diff ID as it applies it.
    fn cached_facts(&self) -> Vec<crate::blobcache::Fact> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .diff_ids
            .iter()
            .filter_map(|(blob, diff_id)| {
                Some(crate::blobcache::Fact::UncompressedPair {
                    any: blob.parse().ok()?,
                    uncompressed: diff_id.clone(),
                })
            })
            .collect()
    }

    fn ignores_embedded_docker_reference(&self) -> bool {
        true
    }

    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            // Single images of any kind, but no lists (so `--all` fails as in skopeo).
            supported_manifest_types: vec![
                manifest::media_type::OCI_MANIFEST,
                manifest::media_type::DOCKER_V2_SCHEMA2,
                manifest::media_type::DOCKER_V2_SCHEMA1_SIGNED,
                manifest::media_type::DOCKER_V2_SCHEMA1,
            ],
            desired_layer_compression: LayerCompression::Preserve,
            accepts_foreign_layer_urls: false,
            has_thread_safe_put_blob: true,
            supports_signatures: Ok(()),
        }
    }

    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let key = info.digest.to_string();
        {
            let s = self.state();
            if let Some(st) = s.staged.get(&key) {
                return Ok(Some(BlobInfo {
                    size: Some(st.compressed_size),
                    ..info.clone()
                }));
            }
            if let Some(c) = s.configs.get(&key) {
                return Ok(Some(BlobInfo {
                    size: Some(c.len() as u64),
                    ..info.clone()
                }));
            }
        }
        let layers = {
            let _g = self.r.store.lock_layers(false).await?;
            self.r.store.read_layers()?
        };
        let by_diff = layers.iter().find(|l| l.diff_digest == key);
        let by_compressed = layers.iter().find(|l| l.compressed_digest == key);
        let (layer, size) = match (by_diff, by_compressed) {
            (Some(l), _) => (l, l.diff_size),
            (None, Some(l)) => (l, l.compressed_size),
            _ => return Ok(None),
        };
        let Ok(diff_id) = layer.diff_digest.parse::<Digest>() else {
            return Ok(None);
        };
        self.state().diff_ids.insert(key, diff_id);
        Ok(Some(BlobInfo {
            size: size_from_go(size),
            ..info.clone()
        }))
    }

    async fn put_blob(&self, mut stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        if info.is_config {
            let mut buf = Vec::new();
            (&mut stream)
                .take(MAX_CONFIG as u64 + 1)
                .read_to_end(&mut buf)
                .await?;
            if buf.len() > MAX_CONFIG {
                bail!("config blob is larger than {MAX_CONFIG} bytes");
            }
            let digest = match &info.digest {
                Some(d) => d.clone(),
                None => Digest::sha256_of(&buf),
            };
            let size = Some(buf.len() as u64);
            self.state().configs.insert(digest.to_string(), buf);
            return Ok(BlobInfo::new(digest, size, info.media_type.clone()));
        }
        let (dir, ts) = self.next_staging();
        let mode = self.whiteouts();
        let known = info.digest.clone();
        let bridge = tokio_util::io::SyncIoBridge::new(stream);
        let (d2, t2) = (dir.clone(), ts.clone());
        let res = tokio::task::spawn_blocking(move || {
            stage_layer(bridge, &d2, &t2, mode, known.is_none())
        })
        .await
        .context("layer extraction task")?;
        let (applied, compression, count, computed) = match res {
            Ok(r) => r,
            Err(e) => {
                let _ = super::fsops::remove_all(&dir);
                let _ = std::fs::remove_file(&ts);
                return Err(e);
            }
        };
        let digest = info
            .digest
            .clone()
            .or(computed)
            .ok_or_else(|| anyhow!("no digest for the stored blob"))?;
        let diff_id = applied
            .diff_id
            .clone()
            .ok_or_else(|| anyhow!("no diff ID for the stored blob"))?;
        let key = digest.to_string();
        let mut s = self.state();
        s.diff_ids.insert(key.clone(), diff_id);
        if let Some(old) = s.staged.insert(
            key.clone(),
            Staged {
                dir,
                tar_split: ts,
                applied,
                compressed_digest: key,
                compressed_size: count,
                compression,
            },
        ) {
            let _ = super::fsops::remove_all(&old.dir);
        }
        Ok(BlobInfo::new(digest, Some(count), info.media_type.clone()))
    }

    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        if instance.is_some() {
            return Err(not_implemented(
                "storing manifest list instances in containers-storage",
            ));
        }
        let d = manifest::digest(bytes)?;
        self.state().manifest = Some((bytes.to_vec(), d));
        Ok(())
    }

    async fn put_signatures(
        &self,
        signatures: &[Signature],
        instance: Option<&Digest>,
    ) -> Result<()> {
        let mut blob = Vec::new();
        let mut sizes = Vec::new();
        for sig in signatures {
            let b = sig.blob();
            sizes.push(b.len());
            blob.extend_from_slice(&b);
        }
        let mut s = self.state();
        let mut instance = instance.map(|d| d.to_string());
        if instance.is_none() {
            s.signatures = Some((blob.clone(), sizes.clone()));
            instance = s.manifest.as_ref().map(|(_, d)| d.to_string());
        }
        if let Some(i) = instance {
            s.signatureses.insert(i, (blob, sizes));
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        let this = *self;
        let res = this.commit_inner().await;
        drop(this);
        res
    }
}

/// What commit created, to undo on failure.
#[derive(Default)]
struct Created {
    layers: Vec<String>,
}

impl StorageDestination {
    async fn commit_inner(&self) -> Result<()> {
        let (manifest_bytes, manifest_digest) = self.state().manifest.clone().ok_or_else(|| {
            anyhow!("Internal error: storageImageDestination.Commit() called without PutManifest()")
        })?;
        if let Some(d) = self.r.named.as_ref().and_then(|n| n.digest()) {
            let want: Digest = d.parse().map_err(|e| anyhow!("{e}"))?;
            if !manifest::matches_digest(&manifest_bytes, &want)? {
                bail!("Manifest to be saved does not match expected digest {d}");
            }
        }
        let mime = manifest::guess_mime_type(&manifest_bytes);
        let m = Manifest::parse(&manifest_bytes, &mime).context("parsing manifest")?;
        // Schema 1 has no config blob: its layers skip the empty "throwaway" ones, and the ID
        // is that of the schema 2 config it converts to (as c/storage users compute it).
        let (layer_infos, config_key) = match &m {
            Manifest::Schema1(s1) => {
                let empty = s1.empty_layers();
                let kept = (m.layer_infos().into_iter().zip(empty))
                    .filter(|(_, empty)| !empty)
                    .map(|(info, _)| info)
                    .collect();
                (kept, None)
            }
            _ => {
                let config_info = m
                    .config_info()
                    .ok_or_else(|| anyhow!("manifest has no config"))?;
                (m.layer_infos(), Some(config_info.digest.to_string()))
            }
        };
        let config = config_key
            .as_ref()
            .and_then(|k| self.state().configs.get(k).cloned());

        let store = &self.r.store;
        let layers_guard = store.lock_layers(true).await?;
        let mut records = store.read_layers()?;
        let mut created_now = Created::default();
        let (top, diff_ids) = match self
            .commit_layers(&layer_infos, &mut records, &mut created_now)
            .await
        {
            Ok(top) => top,
            Err(e) => {
                self.undo_layers(&created_now);
                return Err(e);
            }
        };
        if !created_now.layers.is_empty()
            && let Err(e) = store.write_layers(&layers_guard, &records)
        {
            self.undo_layers(&created_now);
            return Err(e);
        }
        // From here on a failure takes back the layers this copy created.
        let res = async {
            // Schema 1: the ID and the creation time come from the config it converts to.
            let converted = match &m {
                Manifest::Schema1(s1) => {
                    let ids: Vec<String> = diff_ids.iter().map(Digest::to_string).collect();
                    Some(manifest::convert::schema1_config(s1, &ids)?)
                }
                _ => None,
            };
            let computed_id = match (&converted, &config_key) {
                (Some(c), _) => Digest::sha256_of(c).hex().to_string(),
                (None, key) => key.as_deref().unwrap_or_default().replace("sha256:", ""),
            };
            let image_id = self.r.id.clone().unwrap_or(computed_id);
            let created = config
                .as_deref()
                .or(converted.as_deref())
                .and_then(config_created);
            let images_guard = store.lock_images(true).await?;
            self.commit_image(
                &images_guard,
                &image_id,
                &top,
                created,
                config_key.zip(config),
                (&manifest_bytes, &manifest_digest),
            )
        }
        .await;
        if let Err(e) = res {
            if !created_now.layers.is_empty() {
                records.retain(|l| !created_now.layers.contains(&l.id));
                let _ = store.write_layers(&layers_guard, &records);
                self.undo_layers(&created_now);
            }
            return Err(e);
        }
        drop(layers_guard);
        Ok(())
    }

    fn undo_layers(&self, created: &Created) {
        for id in &created.layers {
            layerfs::remove_layer_files(&self.r.store, id);
            let _ = std::fs::remove_file(self.r.store.tar_split_path(id));
        }
    }

    /// Creates (or finds) the layer chain; returns the top layer's ID and the layers' diff IDs.
    async fn commit_layers(
        &self,
        blobs: &[BlobInfo],
        records: &mut Vec<Layer>,
        created: &mut Created,
    ) -> Result<(String, Vec<Digest>)> {
        let store = &self.r.store;
        let mut parent: Option<String> = None;
        let mut diff_ids = Vec::new();
        for blob in blobs {
            let key = blob.digest.to_string();
            let known = self.state().diff_ids.get(&key).cloned();
            let diff_id = match known {
                Some(d) => d,
                None => records
                    .iter()
                    .find(|l| l.diff_digest == key || l.compressed_digest == key)
                    .and_then(|l| l.diff_digest.parse::<Digest>().ok())
                    .ok_or_else(|| {
                        anyhow!("error determining uncompressed digest for blob {key}")
                    })?,
            };
            let id = match &parent {
                None => diff_id.hex().to_string(),
                Some(p) => Digest::sha256_of(format!("{p}+{}", diff_id.hex()).as_bytes())
                    .hex()
                    .to_string(),
            };
            diff_ids.push(diff_id.clone());
            if records.iter().any(|l| l.id == id) {
                parent = Some(id);
                continue;
            }
            let staged = self.state().staged.remove(&key);
            let staged = match staged {
                Some(s) => s,
                None => self.restage(blob, &diff_id, records).await?,
            };
            let (store2, id2, parent2) = (store.clone(), id.clone(), parent.clone());
            let Staged {
                dir,
                tar_split,
                applied,
                compressed_digest,
                compressed_size,
                compression,
            } = staged;
            created.layers.push(id.clone());
            let applied = tokio::task::spawn_blocking(move || -> Result<Applied> {
                layerfs::install(&store2, &id2, parent2.as_deref(), &dir, &applied)?;
                std::fs::rename(&tar_split, store2.tar_split_path(&id2))?;
                Ok(applied)
            })
            .await
            .context("layer install task")?
            .with_context(|| format!("creating layer {id}"))?;
            records.push(Layer {
                id: id.clone(),
                parent: parent.clone().unwrap_or_default(),
                created: Some(go_time(chrono::Utc::now())),
                compressed_digest,
                compressed_size: compressed_size as i64,
                diff_digest: diff_id.to_string(),
                diff_size: applied.diff_size as i64,
                compression,
                uidset: applied.uids.iter().copied().collect(),
                gidset: applied.gids.iter().copied().collect(),
                ..Layer::default()
            });
            parent = Some(id);
        }
        Ok((parent.unwrap_or_default(), diff_ids))
    }

    /// Extracts, for a new parent, the contents of a layer the store already has.
    async fn restage(
        &self,
        blob: &BlobInfo,
        diff_id: &Digest,
        records: &[Layer],
    ) -> Result<Staged> {
        let want = diff_id.to_string();
        let layer = records
            .iter()
            .find(|l| l.diff_digest == want)
            .ok_or_else(|| anyhow!("locating layer for blob {}: layer not known", blob.digest))?
            .clone();
        let (dir, ts) = self.next_staging();
        let tarball = dir.with_extension("tar");
        rebuild_to_file(&self.r.store, &layer, &tarball)
            .await
            .with_context(|| format!("reading layer {:?} for blob {}", layer.id, blob.digest))?;
        let mode = self.whiteouts();
        let (d2, t2, tb) = (dir.clone(), ts.clone(), tarball.clone());
        let (applied, _, count, _) = tokio::task::spawn_blocking(move || {
            let f = std::fs::File::open(&tb)?;
            stage_layer(f, &d2, &t2, mode, false)
        })
        .await
        .context("layer extraction task")??;
        let _ = std::fs::remove_file(&tarball);
        if applied.diff_id.as_ref() != Some(diff_id) {
            bail!("layer {:?} does not rebuild to {diff_id}", layer.id);
        }
        Ok(Staged {
            dir,
            tar_split: ts,
            applied,
            compressed_digest: blob.digest.to_string(),
            compressed_size: count,
            compression: COMPRESSION_NONE,
        })
    }

    fn commit_image(
        &self,
        guard: &super::lock::LockGuard,
        image_id: &str,
        top: &str,
        created: Option<String>,
        config: Option<(String, Vec<u8>)>,
        manifest: (&[u8], &Digest),
    ) -> Result<()> {
        let store = &self.r.store;
        let mut images = store.read_images()?;
        let existing = images.iter().position(|i| i.id == image_id);
        let is_new = existing.is_none();
        let idx = match existing {
            Some(i) => {
                if images[i].top_layer != top {
                    bail!(
                        "image with ID {image_id:?} already exists, but uses a different top layer: duplicate ID"
                    );
                }
                i
            }
            None => {
                images.push(Image {
                    id: image_id.to_string(),
                    top_layer: top.to_string(),
                    created: Some(created.unwrap_or_else(|| go_time(chrono::Utc::now()))),
                    ..Image::default()
                });
                images.len() - 1
            }
        };
        let data_dir = store.image_data_dir(image_id);
        let res = (|| -> Result<()> {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&data_dir)?;
            let (manifest_bytes, manifest_digest) = manifest;
            let mut s = self.state();
            // c/image always stores the (possibly empty) signatures of the manifest.
            s.signatureses
                .entry(manifest_digest.to_string())
                .or_insert_with(|| (Vec::new(), Vec::new()));
            let mut items: Vec<(String, Vec<u8>, bool)> = Vec::new();
            if let Some((k, c)) = config {
                items.push((k, c, false));
            }
            items.push((
                format!("manifest-{manifest_digest}"),
                manifest_bytes.to_vec(),
                true,
            ));
            items.push(("manifest".to_string(), manifest_bytes.to_vec(), true));
            if let Some((blob, _)) = &s.signatures
                && !blob.is_empty()
            {
                items.push(("signatures".to_string(), blob.clone(), false));
            }
            for (d, (blob, _)) in &s.signatureses {
                let hex = d.split_once(':').map(|(_, h)| h).unwrap_or(d);
                items.push((format!("signature-{hex}"), blob.clone(), false));
            }
            let img = &mut images[idx];
            for (key, data, is_manifest) in items {
                write_file_atomic(&store.big_data_path(image_id, &key), &data)?;
                let digest = if is_manifest {
                    manifest::digest(&data)?
                } else {
                    Digest::sha256_of(&data)
                };
                img.big_data_sizes.insert(key.clone(), data.len() as i64);
                img.big_data_digests.insert(key.clone(), digest.to_string());
                if !img.big_data_names.contains(&key) {
                    img.big_data_names.push(key);
                }
            }
            if img.digest.is_empty() {
                img.digest = manifest_digest.to_string();
            }
            img.metadata = metadata_json(&s);
            drop(s);
            if let Some(n) = &self.r.named {
                let name = n.to_string();
                for (i, other) in images.iter_mut().enumerate() {
                    if i != idx {
                        other.names.retain(|x| x != &name);
                    }
                }
                images[idx].add_name(&name);
            }
            store.write_images(guard, &images)
        })();
        if res.is_err() && is_new {
            let _ = super::fsops::remove_all(&data_dir);
        }
        res
    }
}

/// c/image's image metadata: the signature sizes, as JSON.
fn metadata_json(s: &State) -> String {
    let mut out = serde_json::Map::new();
    if let Some((_, sizes)) = &s.signatures
        && !sizes.is_empty()
    {
        out.insert("signature-sizes".into(), serde_json::json!(sizes));
    }
    if !s.signatureses.is_empty() {
        let m: BTreeMap<&String, &Vec<usize>> =
            s.signatureses.iter().map(|(k, (_, v))| (k, v)).collect();
        out.insert("signatures-sizes".into(), serde_json::json!(m));
    }
    crate::gojson::to_string_compact(&serde_json::Value::Object(out))
}

/// The config's `created`, as Go prints the parsed time back.
fn config_created(config: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(config).ok()?;
    let s = v.get("created")?.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    let frac = if nanos == 0 {
        String::new()
    } else {
        format!(".{}", format!("{nanos:09}").trim_end_matches('0'))
    };
    let off = t.offset().local_minus_utc();
    let zone = if off == 0 {
        "Z".to_string()
    } else {
        let sign = if off < 0 { '-' } else { '+' };
        let a = off.abs();
        format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
    };
    Some(format!("{base}{frac}{zone}"))
}

/// Removes an image and the layers only it used (c/storage's DeleteImage).
pub async fn delete(r: &ResolvedName) -> Result<()> {
    let store = &r.store;
    let layers_guard = store.lock_layers(true).await?;
    let images_guard = store.lock_images(true).await?;
    let containers_guard = store.lock_containers(true).await?;
    let mut images = store.read_images()?;
    let mut layers = store.read_layers()?;
    let containers = store.read_containers()?;
    let image = resolve_image(r, &images)?.clone();
    if let Some(c) = containers
        .iter()
        .find(|c| c.get("image").and_then(|v| v.as_str()) == Some(image.id.as_str()))
    {
        let cid = c.get("id").and_then(|v| v.as_str()).unwrap_or_default();
        bail!("image used by {cid}: image is in use by a container");
    }
    let container_ids: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.get("id").and_then(|v| v.as_str()))
        .collect();
    let mut other_tops: Vec<&str> = Vec::new();
    for img in images.iter().filter(|i| i.id != image.id) {
        other_tops.push(&img.top_layer);
        other_tops.extend(img.mapped_layers.iter().map(String::as_str));
    }
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in &layers {
        children.entry(l.parent.as_str()).or_default().push(&l.id);
    }
    let mut remove: Vec<String> = image.mapped_layers.clone();
    let mut next = image.top_layer.clone();
    while !next.is_empty() {
        if container_ids.contains(&next.as_str()) || other_tops.contains(&next.as_str()) {
            break;
        }
        let mut check = vec![next.clone()];
        if next == image.top_layer {
            check.extend(image.mapped_layers.iter().cloned());
        }
        let busy = check.iter().any(|l| {
            children
                .get(l.as_str())
                .is_some_and(|cs| cs.iter().any(|c| !remove.iter().any(|r| r == c)))
        });
        if busy {
            break;
        }
        remove.push(next.clone());
        next = layers
            .iter()
            .find(|l| l.id == next)
            .map(|l| l.parent.clone())
            .unwrap_or_default();
    }
    images.retain(|i| i.id != image.id);
    store.write_images(&images_guard, &images)?;
    let _ = super::fsops::remove_all(&store.image_data_dir(&image.id));
    drop(containers_guard);
    drop(images_guard);
    if !remove.is_empty() {
        layers.retain(|l| !remove.contains(&l.id));
        store.write_layers(&layers_guard, &layers)?;
        let store2 = store.clone();
        tokio::task::spawn_blocking(move || {
            for id in &remove {
                layerfs::remove_layer_files(&store2, id);
                let _ = std::fs::remove_file(store2.tar_split_path(id));
            }
        })
        .await?;
    }
    Ok(())
}
