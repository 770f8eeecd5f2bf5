//! Writing copied layers back into a manifest: new digests and sizes, and the media type that
//! says how each layer is now compressed (c/image's UpdateLayerInfos).

use anyhow::{Result, anyhow, bail};

use super::Manifest;
use super::docker::{Schema2, Schema2Descriptor, supported_schema2_media_type};
use super::media_type as mt;
use super::oci::{Descriptor, OciManifest};
use super::schema1::{FsLayer, Schema1};
use crate::compression::Algorithm;
use crate::types::{BlobInfo, size_to_go};

/// What the copy did to a layer's compression.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompressionOp {
    /// The bytes are as they were (or were recompressed with `algorithm`).
    #[default]
    Preserve,
    Compress,
    Decompress,
}

/// What the copy did to a layer's encryption (ocicrypt's `+encrypted` media types).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CryptoOp {
    #[default]
    None,
    Encrypt,
    Decrypt,
}

/// A copied layer as it is at the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerEdit {
    /// Digest, size, URLs and annotations at the destination (`media_type` is not used).
    pub info: BlobInfo,
    pub op: CompressionOp,
    /// The compression of the stored bytes, when known.
    pub algorithm: Option<Algorithm>,
    pub crypto: CryptoOp,
}

/// A manifest that cannot describe a layer compressed this way (zstd in a Docker manifest…):
/// the copy may still succeed with another manifest type.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CompressionIncompatible(pub String);

/// The media types of one kind of layer, by compression ("" = uncompressed). `None` as a
/// type means "known, but this format cannot express it".
type VariantSet = &'static [(&'static str, Option<&'static str>)];

const SCHEMA2_SETS: &[VariantSet] = &[
    &[
        ("", Some(mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER_TAR)),
        ("gzip", Some(mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER)),
        ("zstd", None),
    ],
    &[
        ("", Some(mt::DOCKER_V2_SCHEMA2_LAYER_UNCOMPRESSED)),
        ("gzip", Some(mt::DOCKER_V2_SCHEMA2_LAYER)),
        ("zstd", None),
    ],
];

const OCI_SETS: &[VariantSet] = &[
    &[
        ("", Some(mt::OCI_LAYER_NONDIST)),
        ("gzip", Some(mt::OCI_LAYER_NONDIST_GZIP)),
        ("zstd", Some(mt::OCI_LAYER_NONDIST_ZSTD)),
    ],
    &[
        ("", Some(mt::OCI_LAYER)),
        ("gzip", Some(mt::OCI_LAYER_GZIP)),
        ("zstd", Some(mt::OCI_LAYER_ZSTD)),
    ],
];

fn find_set(sets: &[VariantSet], mime: &str) -> Option<VariantSet> {
    sets.iter()
        .copied()
        .find(|set| set.iter().any(|(_, t)| *t == Some(mime)))
}

/// Whether the copy may change the compression of layers of this type.
pub fn recognizes_layer_type(is_oci: bool, mime: &str) -> bool {
    !mime.is_empty() && find_set(if is_oci { OCI_SETS } else { SCHEMA2_SETS }, mime).is_some()
}

fn variant(sets: &[VariantSet], mime: &str, algo: Option<Algorithm>) -> Result<String> {
    if mime.is_empty() {
        bail!("cannot update unknown MIME type");
    }
    let name = algo.map(Algorithm::mime_name).unwrap_or("");
    let Some(set) = find_set(sets, mime) else {
        if algo.is_some() {
            bail!("unsupported MIME type for compression: {mime}");
        }
        bail!("unsupported MIME type for decompression: {mime}");
    };
    match set.iter().find(|(k, _)| *k == name) {
        Some((_, Some(t))) => Ok(t.to_string()),
        Some((_, None)) if !name.is_empty() => Err(CompressionIncompatible(format!(
            "{name} compression is not supported for type {mime:?}"
        ))
        .into()),
        None if !name.is_empty() => Err(CompressionIncompatible(format!(
            "unknown compressed with algorithm {name} variant for type {mime}"
        ))
        .into()),
        _ => Err(CompressionIncompatible(format!(
            "uncompressed variant is not supported for type {mime:?}"
        ))
        .into()),
    }
}

fn updated_mime(sets: &[VariantSet], mime: &str, edit: &LayerEdit) -> Result<String> {
    match edit.op {
        CompressionOp::Preserve => match edit.algorithm {
            Some(a) => variant(sets, mime, Some(a)),
            None => Ok(mime.to_string()),
        },
        CompressionOp::Decompress => variant(sets, mime, None),
        CompressionOp::Compress => match edit.algorithm {
            Some(a) => variant(sets, mime, Some(a)),
            None => Ok(mime.to_string()),
        },
    }
}

fn layer_context(edit: &LayerEdit, e: anyhow::Error) -> anyhow::Error {
    e.context(format!(
        "preparing updated manifest, layer {:?}",
        edit.info.digest.to_string()
    ))
}

fn count_check(have: usize, edits: &[LayerEdit]) -> Result<()> {
    if have != edits.len() {
        bail!(
            "Error preparing updated manifest: layer count changed from {have} to {}",
            edits.len()
        );
    }
    Ok(())
}

impl Schema2 {
    pub fn update_layer_infos(&mut self, edits: &[LayerEdit]) -> Result<()> {
        count_check(self.layers.len(), edits)?;
        let mut layers = Vec::with_capacity(edits.len());
        for (orig, edit) in self.layers.iter().zip(edits) {
            if supported_schema2_media_type(&orig.media_type).is_err() {
                bail!(
                    "Error preparing updated manifest: unknown media type of original layer {:?}: {:?}",
                    edit.info.digest.to_string(),
                    orig.media_type
                );
            }
            let media_type = updated_mime(SCHEMA2_SETS, &orig.media_type, edit)
                .map_err(|e| layer_context(edit, e))?;
            layers.push(Schema2Descriptor {
                media_type,
                size: size_to_go(edit.info.size),
                digest: edit.info.digest.clone(),
                urls: edit.info.urls.clone(),
            });
        }
        self.layers = layers;
        Ok(())
    }
}

impl OciManifest {
    pub fn update_layer_infos(&mut self, edits: &[LayerEdit]) -> Result<()> {
        count_check(self.layers.len(), edits)?;
        let mut layers = Vec::with_capacity(edits.len());
        for (orig, edit) in self.layers.iter().zip(edits) {
            let mut media_type = orig.media_type.clone();
            if edit.crypto == CryptoOp::Decrypt {
                media_type = crate::ocicrypt::decrypted_media_type(&media_type)
                    .ok_or_else(|| {
                        anyhow!(
                            "error preparing updated manifest: decryption specified but original mediatype is not encrypted: {media_type:?}"
                        )
                    })?
                    .to_string();
            }
            let mut media_type =
                updated_mime(OCI_SETS, &media_type, edit).map_err(|e| layer_context(edit, e))?;
            if edit.crypto == CryptoOp::Encrypt {
                media_type = encrypted_media_type(&media_type)?;
            }
            layers.push(Descriptor {
                media_type,
                digest: edit.info.digest.clone(),
                size: size_to_go(edit.info.size),
                urls: edit.info.urls.clone(),
                annotations: edit.info.annotations.clone(),
                data: None,
                platform: None,
                artifact_type: String::new(),
            });
        }
        self.layers = layers;
        Ok(())
    }
}

impl Schema1 {
    /// Schema 1 records only the digests (top layer first).
    pub fn update_layer_infos(&mut self, edits: &[LayerEdit]) -> Result<()> {
        count_check(self.fs_layers.len(), edits)?;
        self.set_layers(edits.iter().map(|e| &e.info));
        Ok(())
    }

    /// Names `base_first` as the layers, in schema 1's order (top layer first).
    fn set_layers<'a>(&mut self, base_first: impl DoubleEndedIterator<Item = &'a BlobInfo>) {
        self.fs_layers = base_first
            .rev()
            .map(|info| FsLayer {
                blob_sum: info.digest.clone(),
            })
            .collect();
    }
}

/// The `+encrypted` form of a layer media type (c/image's list of types that have one).
fn encrypted_media_type(mime: &str) -> Result<String> {
    let mut parts = mime.split('+');
    let base = parts.next().unwrap_or_default();
    let encryptable = [
        mt::DOCKER_V2_SCHEMA2_LAYER,
        mt::OCI_LAYER,
        mt::OCI_LAYER_NONDIST,
    ]
    .contains(&base);
    if parts.any(|p| p == "encrypted") || !encryptable {
        bail!(
            "error preparing updated manifest: encryption specified but no counterpart for mediatype: {mime:?}"
        );
    }
    Ok(crate::ocicrypt::encrypted_media_type(mime))
}

/// Whether an error (anywhere in its chain) says the manifest type cannot hold the layers.
pub fn is_compression_incompatible(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<CompressionIncompatible>())
}

/// Used by list code paths that need an `anyhow` error with a fixed text.
pub fn internal(msg: &str) -> anyhow::Error {
    anyhow!("Internal error: {msg}")
}

/// The manifest `bytes` with its layers replaced by the blobs a source really serves (a
/// `containers-storage:` source gives them uncompressed): c/image's UpdateLayerInfos for
/// layers whose compression the copy leaves alone — each layer takes the new digest, size,
/// URLs and annotations and keeps its media type.
pub fn with_layer_infos(bytes: &[u8], mime: &str, infos: &[BlobInfo]) -> Result<Vec<u8>> {
    let count_error = |had: usize| {
        anyhow::anyhow!(
            "Error preparing updated manifest: layer count changed from {had} to {}",
            infos.len()
        )
    };
    match Manifest::parse(bytes, mime)? {
        Manifest::Oci(mut m) => {
            if m.layers.len() != infos.len() {
                return Err(count_error(m.layers.len()));
            }
            for (l, info) in m.layers.iter_mut().zip(infos) {
                let media_type = std::mem::take(&mut l.media_type);
                *l = Descriptor {
                    media_type,
                    ..Descriptor::from_blob_info(info)
                };
            }
            Ok(crate::gojson::to_vec_compact(&m))
        }
        Manifest::Schema2(mut m) => {
            if m.layers.len() != infos.len() {
                return Err(count_error(m.layers.len()));
            }
            for (l, info) in m.layers.iter_mut().zip(infos) {
                l.digest = info.digest.clone();
                l.size = size_to_go(info.size);
                l.urls = info.urls.clone();
            }
            Ok(crate::gojson::to_vec_compact(&m))
        }
        Manifest::Schema1(mut m) => {
            if m.fs_layers.len() != infos.len() {
                return Err(count_error(m.fs_layers.len()));
            }
            m.set_layers(infos.iter());
            // A changed schema 1 manifest is signed anew, as c/image signs it.
            crate::manifest::convert::serialize(&Manifest::Schema1(m))
        }
    }
}

/// Whether copying `infos` instead of `listed` changes what the manifest must say.
pub fn layers_differ(listed: &[BlobInfo], infos: &[BlobInfo]) -> bool {
    listed.len() != infos.len()
        || listed
            .iter()
            .zip(infos)
            .any(|(a, b)| a.digest != b.digest || a.size != b.size)
}
