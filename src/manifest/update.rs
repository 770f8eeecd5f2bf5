//! Rewriting a manifest's layer list when the blobs copied are not the ones it names (a
//! `containers-storage:` source gives its layers uncompressed): c/image's UpdateLayerInfos
//! for layers whose compression the copy left as it found it — each layer takes the new
//! digest, size, URLs and annotations and keeps its media type; the manifest is then
//! serialised as Go's encoder does.

use anyhow::{Result, bail};

use super::{Manifest, oci::Descriptor};
use crate::types::BlobInfo;

/// The manifest `bytes` (of type `mime`) with its layers replaced by `infos`.
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
                l.size = info.size;
                l.urls = info.urls.clone();
            }
            Ok(crate::gojson::to_vec_compact(&m))
        }
        Manifest::Schema1(_) => {
            bail!("updating the layers of a schema 1 manifest is not implemented")
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
