//! Blobs shared by copies running at the same time (the images of one `sync`): the first copy
//! that needs a blob at a registry sends it; the others wait for that and then reuse it where
//! it landed (it is there already, or the registry mounts it from that repository), so no
//! blob is uploaded twice and none is read twice from the source.
//!
//! Only destinations that can reuse a blob from elsewhere in their registry take part
//! (`ImageDestination::blob_origin`); everything else copies as usual.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use anyhow::Result;

use super::blob::LayerRules;
use super::{Copier, LayerCopied};
use crate::digest::Digest;
use crate::transport::BlobOrigin;

/// The ledger one sync shares between its copies.
#[derive(Default)]
pub struct SharedBlobs {
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
}

impl std::fmt::Debug for SharedBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.slots.lock().map(|s| s.len()).unwrap_or(0);
        write!(f, "SharedBlobs({n} blobs)")
    }
}

/// A source blob going to one registry, with how it is treated (layers may be recompressed;
/// `None` for blobs copied as they are, such as configs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    registry: String,
    digest: Digest,
    rules: Option<LayerRules>,
}

#[derive(Default)]
struct Slot {
    /// Held by the copy sending the blob; the others queue behind it.
    turn: tokio::sync::Mutex<()>,
    landed: Mutex<Option<Landed>>,
}

/// Where a blob went, and what its copy produced.
#[derive(Clone)]
struct Landed {
    origin: BlobOrigin,
    copied: LayerCopied,
}

impl Slot {
    fn landed(&self) -> Option<Landed> {
        self.landed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl SharedBlobs {
    fn slot(&self, key: Key) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(key).or_default().clone()
    }
}

impl Copier<'_> {
    /// Runs `send` (which copies the blob `digest` to the destination) unless another copy
    /// sharing this ledger sends or sent it to the same registry; then reuses that copy's
    /// result. The flag says whether the blob was reused.
    pub(crate) async fn through_ledger<F>(
        &self,
        digest: &Digest,
        rules: Option<LayerRules>,
        send: F,
    ) -> Result<(LayerCopied, bool)>
    where
        F: Future<Output = Result<LayerCopied>>,
    {
        let (Some(ledger), Some(origin)) = (self.shared, self.dest.blob_origin()) else {
            return Ok((send.await?, false));
        };
        let BlobOrigin::Registry { registry, .. } = &origin;
        let slot = ledger.slot(Key {
            registry: registry.clone(),
            digest: digest.clone(),
            rules,
        });
        if let Some(done) = self.reuse_landed(&slot).await? {
            return Ok((done, true));
        }
        let _turn = slot.turn.lock().await;
        if let Some(done) = self.reuse_landed(&slot).await? {
            return Ok((done, true));
        }
        let copied = send.await?;
        *slot.landed.lock().unwrap_or_else(|e| e.into_inner()) = Some(Landed {
            origin,
            copied: copied.clone(),
        });
        Ok((copied, false))
    }

    /// The landed blob's result, once the destination has it (checked, or mounted from where
    /// it landed).
    async fn reuse_landed(&self, slot: &Slot) -> Result<Option<LayerCopied>> {
        let Some(landed) = slot.landed() else {
            return Ok(None);
        };
        let found = self
            .dest
            .try_reuse_blob_from(&landed.copied.edit.info, Some(&landed.origin))
            .await?;
        Ok(found.map(|stored| {
            let mut copied = landed.copied;
            // As for any blob the destination already had: its size as stored, and no
            // annotations carried over from another image's manifest.
            copied.edit.info.size = stored.size;
            copied.edit.info.annotations = None;
            copied
        }))
    }
}
