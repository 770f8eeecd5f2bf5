//! Moving one blob: reuse it if the destination has it, else copy it — with the kernel when
//! both ends are local files, else as a verified stream.

use std::io::Cursor;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Copier;
use super::progress::{BlobKind, BlobProgress};
use super::verify::VerifyingReader;
use crate::error::not_implemented;
use crate::transport::tarindex::compression_of;
use crate::transport::{BlobStream, LayerCompression, UploadInfo};
use crate::types::BlobInfo;

/// Enough leading bytes to recognise every compression format.
const MAGIC_LEN: usize = 8;

impl Copier<'_> {
    pub(crate) async fn copy_blob(&self, info: &BlobInfo, kind: BlobKind) -> Result<BlobInfo> {
        let progress: Arc<dyn BlobProgress> = Arc::from(self.reporter.blob(kind, info));
        let origin = self.src.blob_origin();
        if let Some(reused) = self
            .dest
            .try_reuse_blob_from(info, origin.as_ref())
            .await
            .with_context(|| format!("trying to reuse blob {} at destination", info.digest))?
        {
            progress.skipped();
            return Ok(reused);
        }
        let desired = self.dest.properties().desired_layer_compression;
        let check_compression = kind == BlobKind::Blob && desired != LayerCompression::Preserve;

        if let Some(local) = self.src.local_blob(info) {
            if check_compression {
                let magic = read_magic_at(&local.path, local.offset, local.len)?;
                self.check_compression(info, desired, &magic)?;
            }
            if let Some(done) = self
                .dest
                .put_local_blob(&local, info)
                .await
                .context("writing blob")?
            {
                progress.advance(local.len);
                progress.done();
                return Ok(done);
            }
        }

        let stream = self
            .src
            .blob(info)
            .await
            .with_context(|| format!("reading blob {}", info.digest))?;
        let stream = if check_compression {
            let (magic, stream) = peek(stream).await?;
            self.check_compression(info, desired, &magic)?;
            stream
        } else {
            stream
        };
        let verified = VerifyingReader::new(stream, &info.digest, info.known_size());
        let counted: BlobStream = Box::pin(Counting {
            inner: verified,
            progress: progress.clone(),
        });
        let upload = UploadInfo {
            digest: Some(info.digest.clone()),
            size: info.known_size(),
            media_type: info.media_type.clone(),
            is_config: kind == BlobKind::Config,
        };
        let stored = self
            .dest
            .put_blob(counted, &upload)
            .await
            .context("writing blob")?;
        progress.done();
        Ok(BlobInfo {
            media_type: info.media_type.clone(),
            urls: info.urls.clone(),
            annotations: info.annotations.clone(),
            ..stored
        })
    }

    /// Whether the destination's compression wish changes this layer; changing layers is
    /// the conversion work that is not built yet.
    fn check_compression(
        &self,
        info: &BlobInfo,
        desired: LayerCompression,
        magic: &[u8],
    ) -> Result<()> {
        let compressed = compression_of(magic).is_some();
        let change = match desired {
            LayerCompression::Compress => !compressed,
            LayerCompression::Decompress => compressed,
            LayerCompression::Preserve => false,
        };
        if change {
            return Err(not_implemented(format!(
                "changing the compression of layer {} for {}",
                info.digest, self.dest_name
            )));
        }
        Ok(())
    }
}

fn read_magic_at(path: &std::path::Path, offset: u64, len: u64) -> Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; MAGIC_LEN.min(len as usize)];
    let n = f.read_at(&mut buf, offset)?;
    buf.truncate(n);
    Ok(buf)
}

/// Reads the first bytes of a stream and gives back a stream that still starts with them.
async fn peek(mut stream: BlobStream) -> Result<(Vec<u8>, BlobStream)> {
    let mut magic = Vec::with_capacity(MAGIC_LEN);
    while magic.len() < MAGIC_LEN {
        let mut byte = [0u8; MAGIC_LEN];
        let n = stream.read(&mut byte[..MAGIC_LEN - magic.len()]).await?;
        if n == 0 {
            break;
        }
        magic.extend_from_slice(&byte[..n]);
    }
    let rest: BlobStream = Box::pin(Cursor::new(magic.clone()).chain(stream));
    Ok((magic, rest))
}

/// Reports bytes to the progress display as they pass.
struct Counting<R> {
    inner: R,
    progress: Arc<dyn BlobProgress>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counting<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.progress.advance(n as u64);
        }
        res
    }
}
