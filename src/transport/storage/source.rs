//! Reading an image out of the store, as c/image's storage source does: the manifest and
//! config from the image's big-data items, and each layer rebuilt, uncompressed, from its
//! tar-split and the files on disk, so that it hashes to the layer's recorded diff ID.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;

use super::store::{Image, Layer, Store};
use super::{ResolvedName, resolve_image};
use crate::digest::Digest;
use crate::error::ImageNotFound;
use crate::go::tarsplit::{Entry, Unpacker};
use crate::manifest::{Manifest, RawManifest, convert, media_type as mt};
use crate::signature::Signature;
use crate::transport::{BlobStream, ImageSource};
use crate::types::{BlobInfo, size_from_go};

pub struct StorageSource {
    store: Store,
    resolved: ResolvedName,
    image: Image,
    /// The image's layers, base first.
    chain: Vec<Layer>,
    /// Every layer record of the store when the source was opened.
    all_layers: Vec<Layer>,
    positions: Mutex<HashMap<String, usize>>,
    signature_sizes: Vec<usize>,
    signatures_sizes: HashMap<String, Vec<usize>>,
}

#[derive(serde::Deserialize, Default)]
struct Metadata {
    #[serde(rename = "signature-sizes", default)]
    signature_sizes: Option<Vec<usize>>,
    #[serde(rename = "signatures-sizes", default)]
    signatures_sizes: Option<HashMap<String, Vec<usize>>>,
}

impl StorageSource {
    pub async fn open(resolved: ResolvedName) -> Result<StorageSource> {
        let store = resolved.store.clone();
        let layers_guard = store.lock_layers(false).await?;
        let images_guard = store.lock_images(false).await?;
        let images = store.read_images()?;
        let all_layers = store.read_layers()?;
        drop(images_guard);
        drop(layers_guard);
        let image = resolve_image(&resolved, &images)?.clone();
        let mut chain = Vec::new();
        let mut next = image.top_layer.clone();
        while !next.is_empty() {
            let l = all_layers
                .iter()
                .find(|l| l.id == next)
                .ok_or_else(|| {
                    anyhow!(
                        "reading layer {:?} in image {:?}: layer not known",
                        next,
                        image.id
                    )
                })?
                .clone();
            next = l.parent.clone();
            chain.insert(0, l);
        }
        let meta: Metadata = if image.metadata.is_empty() {
            Metadata::default()
        } else {
            serde_json::from_str(&image.metadata).context("decoding metadata for source image")?
        };
        Ok(StorageSource {
            store,
            resolved,
            image,
            chain,
            all_layers,
            positions: Mutex::new(HashMap::new()),
            signature_sizes: meta.signature_sizes.unwrap_or_default(),
            signatures_sizes: meta.signatures_sizes.unwrap_or_default(),
        })
    }

    /// The image's ID in the store.
    pub fn image_id(&self) -> &str {
        &self.image.id
    }

    fn big_data(&self, key: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.store.big_data_path(&self.image.id, key))
    }

    /// c/image's LayerInfosForCopy: the layers as the store can give them (uncompressed,
    /// named by diff ID), in manifest order.
    pub async fn layer_infos_for_copy(
        &self,
        instance: Option<&Digest>,
    ) -> Result<Option<Vec<BlobInfo>>> {
        let (bytes, mime) = self.manifest(instance).await?.resolved();
        if mt::is_list(&mime) {
            bail!("can't copy layers for a manifest list (shouldn't be attempted)");
        }
        let m = Manifest::parse(&bytes, &mime)
            .with_context(|| format!("parsing image manifest for {:?}", self.image.id))?;
        let uncompressed = match mime.as_str() {
            mt::OCI_MANIFEST => mt::OCI_LAYER,
            _ => mt::DOCKER_V2_SCHEMA2_LAYER_UNCOMPRESSED,
        };
        let mut physical = Vec::new();
        for l in &self.chain {
            if l.diff_digest.is_empty() {
                bail!("uncompressed digest for layer {:?} is unknown", l.id);
            }
            let d: Digest = l
                .diff_digest
                .parse()
                .map_err(|e| anyhow!("layer {:?}: {e}", l.id))?;
            physical.push(BlobInfo::new(d, size_from_go(l.diff_size), uncompressed));
        }
        let empty = match &m {
            Manifest::Schema1(s1) => s1.empty_layers(),
            _ => vec![false; m.layer_infos().len()],
        };
        layers_for_copy(&empty, physical).map(Some)
    }

    fn layer_stream(&self, layer: &Layer) -> Result<BlobStream> {
        layer_stream_for(&self.store, layer)
    }
}

/// What a layer record says about the blob it was pulled as: c/storage keeps the compressed
/// digest and its archive.Compression code (1 bzip2, 2 gzip, 3 xz, 4 zstd) from the pull.
fn layer_facts(l: &Layer) -> Vec<crate::blobcache::Fact> {
    use crate::blobcache::Fact;
    use crate::compression::Algorithm;
    let algorithm = match l.compression {
        1 => Algorithm::Bzip2,
        2 => Algorithm::Gzip,
        3 => Algorithm::Xz,
        4 => Algorithm::Zstd,
        _ => return Vec::new(),
    };
    let (Ok(compressed), Ok(uncompressed)) = (
        l.compressed_digest.parse::<Digest>(),
        l.diff_digest.parse::<Digest>(),
    ) else {
        return Vec::new();
    };
    if compressed == uncompressed {
        return Vec::new();
    }
    vec![
        Fact::UncompressedPair {
            any: compressed.clone(),
            uncompressed,
        },
        Fact::Compressor {
            digest: compressed,
            algorithm: Some(algorithm),
        },
    ]
}

/// The blobs to copy for a manifest whose layers are `empty` (schema 1's throwaway layers,
/// which the store has no layer for) or not: the stored layers in order, and the gzipped
/// empty tar in place of each empty one.
fn layers_for_copy(empty: &[bool], physical: Vec<BlobInfo>) -> Result<Vec<BlobInfo>> {
    let stored = physical.len();
    let mut physical = physical.into_iter();
    let mut used = 0;
    let mut out = Vec::with_capacity(empty.len());
    for &is_empty in empty {
        if is_empty {
            let blob = &convert::GZIPPED_EMPTY_LAYER;
            out.push(BlobInfo::new(
                Digest::sha256_of(blob),
                Some(blob.len() as u64),
                "",
            ));
            continue;
        }
        match physical.next() {
            Some(p) => out.push(p),
            None => bail!("expected more than {stored} physical layers to exist"),
        }
        used += 1;
    }
    if used != stored {
        bail!("used only {used} out of {stored} physical layers");
    }
    Ok(out)
}

/// A layer's tarball, uncompressed, rebuilt from its tar-split and files.
pub fn layer_stream_for(store: &Store, layer: &Layer) -> Result<BlobStream> {
    {
        let ts_path = store.tar_split_path(&layer.id);
        let files = store.layer_files(&layer.id);
        let ts = std::fs::File::open(&ts_path)
            .with_context(|| format!("opening the tar-split of layer {:?}", layer.id))?;
        Ok(crate::transport::bridge::spawn_writer(
            REBUILD_CHUNK,
            move |out| {
                rebuild(ts, &files, out).map_err(|e| std::io::Error::other(format!("{e:#}")))
            },
        ))
    }
}

const REBUILD_CHUNK: usize = 256 << 10;

/// Replays a tar-split, reading file contents under `files`.
fn rebuild(ts: std::fs::File, files: &std::path::Path, out: &mut dyn Write) -> Result<()> {
    let gz = flate2::read::MultiGzDecoder::new(BufReader::new(ts));
    let mut un = Unpacker::new(BufReader::new(gz));
    let reader_gone = |_| anyhow!("reader went away");
    let mut buf = vec![0u8; REBUILD_CHUNK];
    while let Some(e) = un.next_entry()? {
        match e {
            Entry::Segment(s) => out.write_all(&s).map_err(reader_gone)?,
            Entry::File { name, size } => {
                if size == 0 {
                    continue;
                }
                let rel = crate::go::tarsplit::clean_path(&name);
                let rel = rel.strip_prefix(b"/").unwrap_or(&rel).to_vec();
                let path: PathBuf = files.join(super::fsops::os(&rel));
                let f = std::fs::File::open(&path)
                    .with_context(|| format!("opening {}", path.display()))?;
                let mut f = f.take(size);
                let mut left = size;
                while left > 0 {
                    let want = buf.len().min(left as usize);
                    let n = f.read(&mut buf[..want])?;
                    if n == 0 {
                        bail!("file {} is shorter than the layer records", path.display());
                    }
                    out.write_all(&buf[..n]).map_err(reader_gone)?;
                    left -= n as u64;
                }
            }
        }
    }
    Ok(())
}

#[async_trait]
impl ImageSource for StorageSource {
    fn cached_facts(&self) -> Vec<crate::blobcache::Fact> {
        self.chain.iter().flat_map(layer_facts).collect()
    }

    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        if let Some(d) = instance {
            let key = format!("manifest-{d}");
            let blob = self.big_data(&key).map_err(|e| {
                anyhow!(
                    "reading manifest for image instance {:?}: {e}",
                    d.to_string()
                )
            })?;
            return Ok(RawManifest::untyped(blob));
        }
        if let Some(d) = self.resolved.named.as_ref().and_then(|n| n.digest())
            && let Ok(blob) = self.big_data(&format!("manifest-{d}"))
        {
            return Ok(RawManifest::untyped(blob));
        }
        let blob = self.big_data("manifest").map_err(|e| {
            anyhow!(
                "locating item named \"manifest\" for image with ID {:?}: {}",
                self.image.id,
                crate::gotext::go_errno_text(&e)
            )
        })?;
        Ok(RawManifest::untyped(blob))
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        if info.digest == Digest::sha256_of(&convert::GZIPPED_EMPTY_LAYER) {
            return Ok(Box::pin(std::io::Cursor::new(convert::GZIPPED_EMPTY_LAYER)));
        }
        let want = info.digest.to_string();
        let candidates: Vec<&Layer> = self
            .chain
            .iter()
            .chain(self.all_layers.iter())
            .filter(|l| l.diff_digest == want)
            .collect();
        if !candidates.is_empty() {
            let i = {
                let mut pos = self.positions.lock().unwrap_or_else(|e| e.into_inner());
                let p = pos.entry(want.clone()).or_insert(0);
                let i = *p;
                *p += 1;
                i
            };
            return self.layer_stream(candidates[i % candidates.len()]);
        }
        match self.big_data(&want) {
            Ok(b) => Ok(Box::pin(std::io::Cursor::new(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ImageNotFound(format!(
                "locating item named {want:?} for image with ID {:?} (consider removing the image to resolve the issue): file does not exist",
                self.image.id
            ))
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    async fn signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>> {
        let (sizes, key, what) = match instance {
            None => (
                self.signature_sizes.clone(),
                "signatures".to_string(),
                "default instance".to_string(),
            ),
            Some(d) => (
                self.signatures_sizes
                    .get(&d.to_string())
                    .cloned()
                    .unwrap_or_default(),
                format!("signature-{}", d.hex()),
                d.hex().to_string(),
            ),
        };
        let data = if sizes.is_empty() {
            Vec::new()
        } else {
            self.big_data(&key).map_err(|e| {
                anyhow!(
                    "looking up signatures data for image {:?} ({what}): {e}",
                    self.image.id
                )
            })?
        };
        let mut out = Vec::new();
        let mut offset = 0;
        for len in sizes {
            if offset + len > data.len() {
                bail!(
                    "looking up signatures data for image {:?} ({what}): expected at least {} bytes, only found {}",
                    self.image.id,
                    offset + len,
                    data.len()
                );
            }
            out.push(
                Signature::from_blob(&data[offset..offset + len])
                    .with_context(|| format!("parsing signature at ({offset}, {len})"))?,
            );
            offset += len;
        }
        if offset != data.len() {
            bail!(
                "signatures data ({what}) contained {} extra bytes",
                data.len() - offset
            );
        }
        Ok(out)
    }

    async fn layer_infos_for_copy(
        &self,
        instance: Option<&Digest>,
    ) -> Result<Option<Vec<BlobInfo>>> {
        StorageSource::layer_infos_for_copy(self, instance).await
    }
}
