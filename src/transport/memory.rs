//! A test-only transport that keeps images in memory: the smallest thing that honours the
//! source and destination contracts, so the engine and the conformance suite can be exercised
//! without files or peers. A [`MemoryStore`] holds what was committed; a destination stages
//! its writes and publishes them on `commit` (dropped uncommitted, it leaves nothing), and a
//! source reads the committed state.
//!
//! Like a real destination it trusts the engine to verify blobs with a known digest: a stream
//! that fails to read fails `put_blob`, and nothing else checks the bytes.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Result, anyhow};
use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncReadExt;

use super::{BlobStream, DestinationProperties, ImageDestination, ImageSource, LayerCompression};
use super::{LocalBlob, UploadInfo};
use crate::digest::Digest;
use crate::manifest::RawManifest;
use crate::signature::Signature;
use crate::types::BlobInfo;

/// Everything one image consists of; `None` keys the top level, `Some` a list instance.
#[derive(Clone, Debug, Default)]
pub struct Contents {
    pub blobs: HashMap<Digest, Bytes>,
    pub manifests: HashMap<Option<Digest>, RawManifest>,
    pub signatures: HashMap<Option<Digest>, Vec<Signature>>,
}

impl Contents {
    /// Whether nothing at all is stored.
    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty() && self.manifests.is_empty() && self.signatures.is_empty()
    }
}

/// The committed image (one per store, as in `dir:`), shared by its sources and destinations.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    committed: Arc<Mutex<Contents>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// What is committed now.
    pub fn contents(&self) -> Contents {
        lock(&self.committed).clone()
    }

    /// Replaces the committed contents (a test planting an image, corrupt ones included).
    pub fn set_contents(&self, contents: Contents) {
        *lock(&self.committed) = contents;
    }

    pub fn source(&self) -> MemorySource {
        MemorySource {
            store: self.clone(),
        }
    }

    pub fn destination(&self) -> MemoryDestination {
        MemoryDestination {
            store: self.clone(),
            staged: Mutex::new(Contents::default()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct MemorySource {
    store: MemoryStore,
}

#[async_trait]
impl ImageSource for MemorySource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        let c = lock(&self.store.committed);
        c.manifests
            .get(&instance.cloned())
            .cloned()
            .ok_or_else(|| anyhow!("manifest unknown"))
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        let c = lock(&self.store.committed);
        let bytes = c
            .blobs
            .get(&info.digest)
            .cloned()
            .ok_or_else(|| anyhow!("blob {} unknown", info.digest))?;
        Ok(Box::pin(Cursor::new(bytes)))
    }

    async fn signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>> {
        let c = lock(&self.store.committed);
        Ok(c.signatures
            .get(&instance.cloned())
            .cloned()
            .unwrap_or_default())
    }
}

pub struct MemoryDestination {
    store: MemoryStore,
    staged: Mutex<Contents>,
}

#[async_trait]
impl ImageDestination for MemoryDestination {
    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            supported_manifest_types: Vec::new(),
            desired_layer_compression: LayerCompression::Preserve,
            accepts_foreign_layer_urls: false,
            has_thread_safe_put_blob: true,
            supports_signatures: Ok(()),
        }
    }

    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let size = lock(&self.staged)
            .blobs
            .get(&info.digest)
            .or(lock(&self.store.committed).blobs.get(&info.digest))
            .map(|b| Some(b.len() as u64));
        Ok(size.map(|size| BlobInfo {
            size,
            ..info.clone()
        }))
    }

    async fn put_blob(&self, mut stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await?;
        // A known digest was verified by the engine while the bytes were read.
        let digest = info
            .digest
            .clone()
            .unwrap_or_else(|| Digest::sha256_of(&bytes));
        let stored = BlobInfo::new(
            digest.clone(),
            Some(bytes.len() as u64),
            info.media_type.clone(),
        );
        lock(&self.staged).blobs.insert(digest, Bytes::from(bytes));
        Ok(stored)
    }

    async fn put_local_blob(&self, local: &LocalBlob, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        // The contract: the destination verifies what it reads from the file.
        let file = tokio::fs::File::open(&local.path).await?;
        let mut file = file;
        tokio::io::AsyncSeekExt::seek(&mut file, std::io::SeekFrom::Start(local.offset)).await?;
        let stream: BlobStream = Box::pin(crate::contract::verify::VerifyingReader::new(
            file.take(local.len),
            &info.digest,
            info.size,
        ));
        let upload = UploadInfo {
            digest: Some(info.digest.clone()),
            size: info.size,
            media_type: info.media_type.clone(),
            is_config: false,
        };
        self.put_blob(stream, &upload).await.map(Some)
    }

    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        let mime = crate::manifest::guess_mime_type(bytes);
        lock(&self.staged).manifests.insert(
            instance.cloned(),
            RawManifest::reported(bytes.to_vec(), &mime),
        );
        Ok(())
    }

    async fn put_signatures(
        &self,
        signatures: &[Signature],
        instance: Option<&Digest>,
    ) -> Result<()> {
        lock(&self.staged)
            .signatures
            .insert(instance.cloned(), signatures.to_vec());
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        let staged = std::mem::take(&mut *lock(&self.staged));
        if !staged.manifests.contains_key(&None) {
            return Err(anyhow!("internal error: commit without a manifest"));
        }
        let mut c = lock(&self.store.committed);
        // One image per store: the new one replaces the old, as in `dir:`; blobs stay, so
        // a later copy can reuse them.
        c.blobs.extend(staged.blobs);
        c.manifests = staged.manifests;
        c.signatures = staged.signatures;
        Ok(())
    }
}
