//! The copy and the blob-info cache: before a layer is compressed or sent, blobs the cache
//! says have the same content are tried at the destination (c/image's TryReusingBlob with
//! candidate locations); after a blob moved, what the copy verified on the way is recorded
//! (c/image's recordValidatedDigestData and the transports' RecordKnownLocation).

use std::sync::Arc;

use super::blob::{LayerRules, algorithm_of_media_type};
use super::pipeline::Step;
use super::{Copier, LayerCopied};
use crate::blobcache::{BlobInfoCache, CandidateCompression, CandidateQuery, Fact};
use crate::compression::Algorithm;
use crate::digest::Digest;
use crate::manifest::update::{CompressionOp, LayerEdit};
use crate::types::BlobInfo;

impl Copier<'_> {
    /// The cache, opened at the first use (as c/image, for the destination's context).
    pub(crate) fn cache(&self) -> &BlobInfoCache {
        self.cache.get_or_init(|| {
            Arc::new(blocking(|| {
                BlobInfoCache::open_default(self.options.dest_ctx.blob_info_cache_dir.as_deref())
            }))
        })
    }

    /// Starts writing what the copy learned so far on a blocking thread: the commit and its
    /// fsyncs then run beside the manifest and signature writes instead of after them.
    pub(crate) fn flush_cache_behind(&self) {
        let Some(cache) = self.cache.get().cloned() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let flushing = tokio::task::spawn_blocking(move || cache.flush());
        self.cache_flushes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(flushing);
    }

    /// Writes what the copy learned, once the writes started earlier are done (also done
    /// when the cache goes, as a last resort).
    pub(crate) async fn flush_cache(&self) {
        let started =
            std::mem::take(&mut *self.cache_flushes.lock().unwrap_or_else(|e| e.into_inner()));
        for flushing in started {
            let _ = flushing.await;
        }
        if let Some(cache) = self.cache.get() {
            blocking(|| cache.flush());
        }
    }

    /// Tries the cache's candidates for `info` at the destination; `exact_tried`: the
    /// destination was already asked for `info` itself.
    pub(crate) async fn try_reuse_cached(
        &self,
        info: &BlobInfo,
        rules: LayerRules,
        exact_tried: bool,
    ) -> Option<LayerCopied> {
        let at = self.dest.cache_location()?;
        let query = self.layer_query(&info.digest, rules);
        let cache = self.cache();
        for c in blocking(|| cache.candidates(&at, &query)) {
            let in_destination = c.location.as_deref().is_none_or(|l| l == at.location);
            if exact_tried && in_destination && c.digest == info.digest {
                continue;
            }
            let Ok(Some(present)) = self
                .dest
                .try_reuse_cached(&c.digest, c.location.as_deref())
                .await
            else {
                continue;
            };
            cache.record(Fact::Location {
                at: at.clone(),
                digest: c.digest.clone(),
            });
            let (op, algorithm) = if c.digest == info.digest {
                (
                    CompressionOp::Preserve,
                    algorithm_of_media_type(&info.media_type),
                )
            } else {
                match c.compression {
                    CandidateCompression::Uncompressed => (CompressionOp::Decompress, None),
                    CandidateCompression::Compressed(a) => (CompressionOp::Compress, Some(a)),
                }
            };
            let size = present.size.or(info.size);
            return Some(LayerCopied {
                edit: LayerEdit {
                    info: BlobInfo::new(c.digest, size, ""),
                    op,
                    algorithm,
                    crypto: Default::default(),
                },
                diff_id: None,
            });
        }
        None
    }

    /// What the cache is asked about a layer with these rules.
    fn layer_query(&self, digest: &Digest, rules: LayerRules) -> CandidateQuery {
        let settings = self.options.compression;
        CandidateQuery {
            digest: digest.clone(),
            can_substitute: rules.can_modify && rules.compression_change_supported,
            required: settings
                .force
                .then(|| settings.format.unwrap_or(Algorithm::Gzip)),
            zstd_allowed: rules.oci_possible,
            opaque: false,
        }
    }

    /// Whether the cache names any blob the destination might reuse for one of `layers`
    /// (unconfirmed: only asking the destination, as [`Self::try_reuse_cached`] does, tells).
    pub(crate) fn cache_knows_any(&self, layers: &[Digest], rules: LayerRules) -> bool {
        let Some(at) = self.dest.cache_location() else {
            return false;
        };
        let cache = self.cache();
        layers.iter().any(|d| {
            let query = self.layer_query(d, rules);
            !blocking(|| cache.candidates(&at, &query)).is_empty()
        })
    }

    /// A config (or other non-layer blob) the cache saw in another repository of the
    /// destination's registry: mounted from there instead of uploaded. Only the very digest.
    pub(crate) async fn try_reuse_cached_blob(&self, info: &BlobInfo) -> Option<BlobInfo> {
        let at = self.dest.cache_location()?;
        let query = CandidateQuery {
            digest: info.digest.clone(),
            can_substitute: false,
            required: None,
            zstd_allowed: true,
            opaque: true,
        };
        let cache = self.cache();
        for c in blocking(|| cache.candidates(&at, &query)) {
            // No location means the destination's own repository, just asked.
            let Some(location) = c.location.as_deref().filter(|l| *l != at.location) else {
                continue;
            };
            if let Ok(Some(present)) = self.dest.try_reuse_cached(&c.digest, Some(location)).await {
                cache.record(Fact::Location {
                    at: at.clone(),
                    digest: c.digest.clone(),
                });
                let size = present.size.or(info.size);
                return Some(BlobInfo::new(c.digest, size, info.media_type.clone()));
            }
        }
        None
    }

    /// Records that the destination has `digest` (reused or written there), and that the
    /// source had `source` (read from it).
    pub(crate) fn learn_locations(&self, source: Option<&Digest>, stored: &Digest) {
        if let Some(at) = self.dest.cache_location() {
            self.cache().record(Fact::Location {
                at,
                digest: stored.clone(),
            });
        }
        if let (Some(at), Some(d)) = (self.src.cache_location(), source) {
            self.cache().record(Fact::Location {
                at,
                digest: d.clone(),
            });
        }
    }

    /// Records what sending layer `source` through `step` established: which digests are the
    /// same content, and how each is compressed (`detected`: the source's compression).
    pub(crate) fn learn_sent(
        &self,
        source: &Digest,
        detected: Option<Algorithm>,
        step: &Step,
        copied: &LayerCopied,
    ) {
        let stored = &copied.edit.info.digest;
        let mut facts = Vec::new();
        let pair = |any: &Digest, uncompressed: &Digest| Fact::UncompressedPair {
            any: any.clone(),
            uncompressed: uncompressed.clone(),
        };
        let compressor = |digest: &Digest, algorithm: Option<Algorithm>| Fact::Compressor {
            digest: digest.clone(),
            algorithm,
        };
        match *step {
            Step::Copy => {
                if detected.is_none() {
                    facts.push(pair(source, source));
                }
                facts.push(compressor(source, detected));
            }
            Step::Compress(to, _) => {
                facts.push(pair(stored, source));
                facts.push(compressor(stored, Some(to)));
                facts.push(compressor(source, None));
            }
            Step::Decompress(from) => {
                facts.push(pair(source, stored));
                facts.push(compressor(stored, None));
                facts.push(compressor(source, Some(from)));
            }
            Step::Recompress { from, to, .. } => {
                facts.push(compressor(stored, Some(to)));
                facts.push(compressor(source, Some(from)));
            }
        }
        if let Some(diff_id) = &copied.diff_id {
            facts.push(pair(source, diff_id));
        }
        let cache = self.cache();
        for f in facts {
            cache.record(f);
        }
        self.learn_locations(Some(source), stored);
    }
}

/// SQLite may wait for another process's lock (up to its busy timeout): on a multi-threaded
/// runtime the worker says so, and the runtime moves its other tasks elsewhere meanwhile.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
