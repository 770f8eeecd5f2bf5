//! `sif:PATH` — a Singularity/Apptainer image file, read as c/image reads it: the primary
//! system partition's squashfs is the one layer (an uncompressed tar, as c/image offers it;
//! the copy compresses it where the destination wants that), with the config c/image
//! builds: `created` from the SIF's modification time, the SIF's architecture, and as the
//! command either `bash` or, when the definition file has `%environment` or `%runscript`
//! lines, a `/podman/runscript` made of them and added to the layer.
//!
//! Opening reads the layer once to learn its digest; each read of the blob makes the same
//! bytes again from the squashfs, so no temporary copy is kept.

mod container;
mod layer;
pub mod squashfs;

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use anyhow::{Result, anyhow};
use async_trait::async_trait;
use bytes::Bytes;
use serde_json::json;
use tokio::io::{AsyncRead, ReadBuf};

use super::synth::{self, Described, HashingWriter};
use super::{BlobStream, ImageSource};
use crate::digest::Digest;
use crate::gotext::go_quote;
use crate::manifest::RawManifest;
use crate::signature::Signature;
use crate::types::{BlobInfo, SystemContext};
use container::SifFile;

/// Where the layer comes from: enough to write it again.
struct LayerRecipe {
    path: PathBuf,
    base: u64,
    len: u64,
    script: Option<Vec<u8>>,
    mtime: u64,
}

impl LayerRecipe {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let file = File::open(&self.path)?;
        let injected = self.script.as_ref().map(|s| layer::Injected {
            script: s,
            mtime: self.mtime,
        });
        layer::write_layer(&file, self.base, self.len, injected.as_ref(), out)
    }
}

pub struct SifSource {
    manifest: Bytes,
    config: (Digest, Bytes),
    layer: Described,
    recipe: Arc<LayerRecipe>,
}

impl SifSource {
    pub async fn open(path: &Path, _ctx: &SystemContext) -> Result<SifSource> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path)).await?
    }

    /// `open` on the calling thread (reads the whole layer once).
    pub fn open_blocking(path: &Path) -> Result<SifSource> {
        let sif = SifFile::load(path).map_err(|e| anyhow!("loading SIF file: {e}"))?;
        let converting = |e: String| anyhow!("converting rootfs from SquashFS to Tarball: {e}");
        let (command, script) = sif.command_and_script().map_err(converting)?;
        let (base, len) = sif.rootfs().map_err(converting)?;
        let recipe = LayerRecipe {
            path: path.to_path_buf(),
            base,
            len,
            script,
            mtime: sif.modified_at.max(0) as u64,
        };
        let mut counted = HashingWriter::new(io::sink());
        recipe
            .write(&mut BufWriter::with_capacity(1 << 16, &mut counted))
            .map_err(|e| converting(e.to_string()))?;
        let (_, diff_id, size) = counted.finish();

        let created = synth::go_local_time(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(recipe.mtime),
        );
        let config = json!({
            "created": created,
            "architecture": sif.arch,
            "os": "linux",
            "config": {"Cmd": [command]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
            "history": [
                {
                    "created": created,
                    "created_by": format!("/bin/sh -c #(nop) ADD file:{} in /", diff_id.hex()),
                    "comment": format!("imported from SIF, uuid: {}", sif.id),
                },
                {
                    "created": created,
                    "created_by": "/bin/sh -c #(nop) CMD [\"bash\"]",
                    "empty_layer": true,
                },
            ],
        });
        let config = Bytes::from(crate::gojson::to_vec_compact(&config));
        let config_desc = Described {
            media_type: synth::MEDIA_TYPE_CONFIG,
            digest: Digest::sha256_of(&config),
            size: config.len() as u64,
        };
        let layer = Described {
            media_type: synth::MEDIA_TYPE_LAYER,
            digest: diff_id,
            size,
        };
        let manifest = synth::manifest_with_media_type(&config_desc, std::slice::from_ref(&layer));
        Ok(SifSource {
            manifest: Bytes::from(manifest),
            config: (config_desc.digest, config),
            layer,
            recipe: Arc::new(recipe),
        })
    }
}

#[async_trait]
impl ImageSource for SifSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        if instance.is_some() {
            anyhow::bail!("manifest lists are not supported by the sif transport");
        }
        Ok(RawManifest::new(
            self.manifest.clone(),
            synth::MEDIA_TYPE_MANIFEST,
        ))
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        if info.digest == self.config.0 {
            return Ok(Box::pin(io::Cursor::new(self.config.1.clone())));
        }
        if info.digest != self.layer.digest {
            return Err(anyhow!(
                "no blob with digest {} found",
                go_quote(&info.digest.to_string())
            ));
        }
        let (reader, writer) = tokio::io::duplex(1 << 20);
        let recipe = self.recipe.clone();
        let producer = tokio::task::spawn_blocking(move || {
            let mut bridge = tokio_util::io::SyncIoBridge::new(writer);
            let mut out = BufWriter::with_capacity(1 << 16, &mut bridge);
            recipe.write(&mut out)?;
            io::Write::flush(&mut out)?;
            drop(out);
            bridge.shutdown()
        });
        Ok(Box::pin(Produced {
            reader,
            producer: Some(producer),
        }))
    }

    async fn signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>> {
        if instance.is_some() {
            anyhow::bail!("manifest lists are not supported by the sif transport");
        }
        Ok(Vec::new())
    }
}

/// Bytes a blocking task writes into a pipe; at the pipe's end, the task's error if it
/// failed (so a damaged image reads as that error, not as a short blob).
struct Produced {
    reader: tokio::io::DuplexStream,
    producer: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl AsyncRead for Produced {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.reader).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before => {}
            other => return other,
        }
        let Some(producer) = self.producer.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let result = std::task::ready!(Pin::new(producer).poll(cx));
        self.producer = None;
        match result {
            Ok(Ok(())) => Poll::Ready(Ok(())),
            Ok(Err(e)) => Poll::Ready(Err(e)),
            Err(e) => Poll::Ready(Err(io::Error::other(e))),
        }
    }
}

use std::future::Future;
