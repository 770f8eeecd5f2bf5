//! The image destination shared by `docker-archive:` and `docker-daemon:`: Docker schema 2
//! images written into a `docker save`-formatted tar, which is then a file or a daemon's load.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use tempfile::NamedTempFile;
use tokio::io::AsyncReadExt;

use super::format;
use super::writer::{self, Out, TarballWriter};
use crate::digest::Digest;
use crate::gotext::go_quote;
use crate::manifest::media_type as mt;
use crate::reference::{ArchiveName, DockerReference};
use crate::transport::{
    BlobStream, DestinationProperties, ImageDestination, LayerCompression, UploadInfo,
};
use crate::types::{BlobInfo, SystemContext};

const NO_SIGNATURES: &str = "Storing signatures for docker tar files is not supported";

/// What happens to the written archive at commit, and what dropping it undoes.
pub enum Finish {
    /// A new file under a temporary name next to `path`, renamed to it at commit.
    Rename { tmp: NamedTempFile, path: PathBuf },
    /// An existing empty file written in place: emptied again if the copy fails.
    InPlace(File),
    /// A pipe or device: bytes once sent cannot be taken back.
    Stream,
    /// A daemon loading the archive as it arrives; the task ends with the load's outcome.
    Daemon(tokio::task::JoinHandle<Result<()>>),
}

pub struct TarballDestination {
    writer: tokio::sync::Mutex<TarballWriter>,
    /// For a daemon's load, where layers of unknown size are spooled side by side before
    /// they are sent (in whatever order they complete: the engine does not mind). Files take
    /// them in place, and pipes spool them one by one, so that the archive's bytes are
    /// skopeo's.
    spool_dir: Option<PathBuf>,
    config: std::sync::Mutex<Option<Vec<u8>>>,
    tags: Vec<DockerReference>,
    compression: LayerCompression,
    finish: std::sync::Mutex<Option<Finish>>,
}

impl TarballDestination {
    pub fn new(
        out: Out,
        finish: Finish,
        tags: Vec<DockerReference>,
        compression: LayerCompression,
        tmp_dir: PathBuf,
    ) -> TarballDestination {
        let spool_dir = matches!(out, Out::Channel(_)).then(|| tmp_dir.clone());
        TarballDestination {
            writer: tokio::sync::Mutex::new(TarballWriter::new(out, tmp_dir)),
            spool_dir,
            config: std::sync::Mutex::new(None),
            tags,
            compression,
            finish: std::sync::Mutex::new(Some(finish)),
        }
    }

    fn take_finish(&self) -> Option<Finish> {
        self.finish.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// A write failed: when a daemon is loading what is written, its own failure (it stopped
    /// reading because it refused the load) explains the failed write better.
    async fn explain(&self, err: anyhow::Error) -> anyhow::Error {
        let task = {
            let mut guard = self.finish.lock().unwrap_or_else(|e| e.into_inner());
            match guard.take() {
                Some(Finish::Daemon(task)) => task,
                other => {
                    *guard = other;
                    return err;
                }
            }
        };
        match tokio::time::timeout(std::time::Duration::from_secs(10), task).await {
            Ok(Ok(Err(daemon))) => daemon,
            _ => err,
        }
    }
}

impl Drop for TarballDestination {
    fn drop(&mut self) {
        match self.take_finish() {
            Some(Finish::InPlace(f)) => {
                let _ = f.set_len(0);
            }
            Some(Finish::Daemon(task)) => task.abort(),
            _ => {}
        }
    }
}

fn open_error(path: &Path, e: &std::io::Error) -> anyhow::Error {
    anyhow!(
        "opening file {}: {}",
        go_quote(&path.display().to_string()),
        crate::gotext::go_path_error("open", path, e)
    )
}

/// Opens `docker-archive:PATH[:NAME:TAG]` for writing. A new file appears only at commit; an
/// existing empty file (e.g. `/dev/stdout` redirected to a file) or a pipe is written in place.
pub fn open_archive_destination(
    name: &ArchiveName,
    ctx: &SystemContext,
) -> Result<TarballDestination> {
    if let Some(i) = name.source_index {
        bail!("Destination reference must not contain a manifest index @{i}");
    }
    let path = &name.path;
    let mut tags: Vec<DockerReference> = name.reference.iter().cloned().collect();
    tags.extend(ctx.docker_archive_additional_tags.iter().cloned());
    let tmp_dir = super::reader::big_files_dir(ctx);
    let (out, finish) = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {
            if m.len() != 0 {
                bail!("docker-archive doesn't support modifying existing images");
            }
            // Readable too where allowed: a layer of 8 GiB or more is moved within the file.
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .or_else(|_| std::fs::OpenOptions::new().write(true).open(path))
                .map_err(|e| open_error(path, &e))?;
            (Out::Seekable(f.try_clone()?), Finish::InPlace(f))
        }
        Ok(_) => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| open_error(path, &e))?;
            (Out::Pipe(tokio::fs::File::from_std(f)), Finish::Stream)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let tmp = tempfile::Builder::new()
                .prefix(".skiff-docker-archive-")
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
                .tempfile_in(&parent)
                .map_err(|e| open_error(path, &e))?;
            let f = tmp.reopen()?;
            (
                Out::Seekable(f),
                Finish::Rename {
                    tmp,
                    path: path.clone(),
                },
            )
        }
        Err(e) => return Err(open_error(path, &e)),
    };
    Ok(TarballDestination::new(
        out,
        finish,
        tags,
        LayerCompression::Decompress,
        tmp_dir,
    ))
}

#[async_trait]
impl ImageDestination for TarballDestination {
    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            supported_manifest_types: vec![mt::DOCKER_V2_SCHEMA2],
            desired_layer_compression: self.compression,
            accepts_foreign_layer_urls: false,
            // Layers spooled first are spooled side by side, and only their sending is taken
            // in turn.
            has_thread_safe_put_blob: self.spool_dir.is_some(),
            supports_signatures: Err(NO_SIGNATURES.into()),
        }
    }

    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        Ok(self.writer.lock().await.sent(&info.digest))
    }

    async fn put_blob(&self, mut stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        if !info.is_config {
            let unknown_size = info.digest.is_none() || info.size.is_none();
            let res = match (&self.spool_dir, unknown_size) {
                // Spooled outside the lock, beside other layers; only the sending takes turns.
                (Some(dir), true) => {
                    let (tmp, size, digest) = writer::spool_blob(stream, dir).await?;
                    let mut w = self.writer.lock().await;
                    w.put_spooled_layer(tmp, size, digest).await
                }
                _ => self.writer.lock().await.put_layer(stream, info).await,
            };
            return match res {
                Ok(b) => Ok(b),
                Err(e) => Err(self.explain(e).await),
            };
        }
        let mut bytes = Vec::new();
        (&mut stream)
            .take(format::MAX_CONFIG + 1)
            .read_to_end(&mut bytes)
            .await
            .context("reading Config file stream")?;
        if bytes.len() as u64 > format::MAX_CONFIG {
            bail!(
                "reading Config file stream: exceeded maximum allowed size of {} bytes",
                format::MAX_CONFIG
            );
        }
        let digest = match &info.digest {
            Some(d) => d.clone(),
            None => Digest::sha256_of(&bytes),
        };
        let res = self.writer.lock().await.put_config(&digest, &bytes).await;
        let stored = match res {
            Ok(b) => b,
            Err(e) => return Err(self.explain(e).await),
        };
        *self.config.lock().unwrap_or_else(|e| e.into_inner()) = Some(bytes);
        Ok(stored)
    }

    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        if instance.is_some() {
            bail!("Manifest lists are not supported for docker tar files");
        }
        let config = self
            .config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let res = self
            .writer
            .lock()
            .await
            .add_image(bytes, config.as_deref(), &self.tags)
            .await;
        match res {
            Ok(()) => Ok(()),
            Err(e) => Err(self.explain(e).await),
        }
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        let res = self.writer.lock().await.finish().await;
        if let Err(e) = res {
            return Err(self.explain(e).await);
        }
        match self.take_finish() {
            Some(Finish::Rename { tmp, path }) => {
                tmp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("creating {}", path.display()))?;
            }
            Some(Finish::Daemon(task)) => {
                task.await
                    .map_err(|e| anyhow!("Internal error: the load task failed: {e}"))??;
            }
            Some(Finish::InPlace(_)) | Some(Finish::Stream) | None => {}
        }
        Ok(())
    }
}
