//! Writing `docker save`-formatted archives the way c/image writes them (same members, same
//! bytes, same order: layers and config as the copy sends them, then each image's legacy
//! metadata, then `manifest.json` and `repositories`), into a file, a pipe, or the request
//! body of a daemon's `POST /images/load`.
//!
//! A tar header needs its member's size first. Blobs the copy changes on the way (layers it
//! decompresses) have no known size: in a file, the header is written after the data and
//! patched in; only pipes and request bodies need the blob spooled first.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::format::{self, ArchiveIndex};
use super::header::{self, BLOCK, END_OF_ARCHIVE};
use crate::digest::{Algorithm, Digest, HashingReader};
use crate::manifest::docker::Schema2;
use crate::manifest::media_type as mt;
use crate::reference::DockerReference;
use crate::transport::fsutil::CHUNK;
use crate::transport::{BlobStream, UploadInfo};
use crate::types::BlobInfo;

/// What a request body streamed from a channel receives: bytes, then `End`. A channel closed
/// without `End` aborts the request, so an unfinished archive is never taken as complete.
pub enum BodyChunk {
    Data(Bytes),
    End,
}

/// Where the archive bytes go.
pub enum Out {
    /// A file the writer may seek in (to patch headers).
    Seekable(File),
    /// A pipe or device: bytes go out once, in order.
    Pipe(tokio::fs::File),
    /// A request body.
    Channel(tokio::sync::mpsc::Sender<BodyChunk>),
}

impl Out {
    async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Out::Seekable(f) => f.write_all(data),
            Out::Pipe(f) => f.write_all(data).await,
            Out::Channel(tx) => tx
                .send(BodyChunk::Data(Bytes::copy_from_slice(data)))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the receiver went away")),
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Seekable(f) => f.flush(),
            Out::Pipe(f) => f.flush().await,
            Out::Channel(tx) => tx
                .send(BodyChunk::End)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the receiver went away")),
        }
    }
}

/// The archive being written, and what it holds so far.
pub struct TarballWriter {
    out: Out,
    tmp_dir: PathBuf,
    /// Blobs sent, with their sizes.
    blobs: HashMap<Digest, u64>,
    legacy_layers: HashSet<String>,
    index: ArchiveIndex,
    closed: bool,
}

/// Copies `stream` into `out`, hashing it; returns the size and digest.
async fn pump(stream: &mut BlobStream, out: &mut Out, limit: Option<u64>) -> Result<(u64, Digest)> {
    let mut stream = HashingReader::new(stream, Algorithm::Sha256);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        if let Some(l) = limit
            && stream.count() > l
        {
            bail!("blob is longer than its recorded size {l}");
        }
        out.write(&buf[..n]).await?;
    }
    let (_, digest, size) = stream.finish();
    Ok((size, digest.expect("hashed")))
}

impl TarballWriter {
    pub fn new(out: Out, tmp_dir: PathBuf) -> TarballWriter {
        TarballWriter {
            out,
            tmp_dir,
            blobs: HashMap::new(),
            legacy_layers: HashSet::new(),
            index: ArchiveIndex::default(),
            closed: false,
        }
    }

    /// The blob's info if it has been sent already.
    pub fn sent(&self, digest: &Digest) -> Option<BlobInfo> {
        self.blobs
            .get(digest)
            .map(|&size| BlobInfo::new(digest.clone(), Some(size), ""))
    }

    pub async fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.out
            .write(&header::header(name, bytes.len() as u64, None))
            .await?;
        self.out.write(bytes).await?;
        self.out.write(header::padding(bytes.len() as u64)).await?;
        Ok(())
    }

    async fn add_symlink(&mut self, name: &str, target: &str) -> Result<()> {
        self.out
            .write(&header::header(name, 0, Some(target)))
            .await?;
        Ok(())
    }

    /// Stores a config (already read, `bytes`) as `<hex>.json`.
    pub async fn put_config(&mut self, digest: &Digest, bytes: &[u8]) -> Result<BlobInfo> {
        if let Some(sent) = self.sent(digest) {
            return Ok(sent);
        }
        self.add_bytes(&format::config_path(digest), bytes)
            .await
            .context("writing Config file")?;
        self.blobs.insert(digest.clone(), bytes.len() as u64);
        Ok(BlobInfo::new(digest.clone(), Some(bytes.len() as u64), ""))
    }

    /// Stores a layer as `<hex>.tar`.
    pub async fn put_layer(
        &mut self,
        mut stream: BlobStream,
        info: &UploadInfo,
    ) -> Result<BlobInfo> {
        if let (Some(digest), Some(size)) = (&info.digest, info.size) {
            if let Some(sent) = self.sent(digest) {
                return Ok(sent);
            }
            self.out
                .write(&header::header(&format::layer_path(digest), size, None))
                .await?;
            let (n, _) = pump(&mut stream, &mut self.out, Some(size)).await?;
            if n != size {
                bail!(
                    "Size mismatch when copying {}, expected {size}, got {n}",
                    format::layer_path(digest)
                );
            }
            self.out.write(header::padding(size)).await?;
            self.blobs.insert(digest.clone(), size);
            return Ok(BlobInfo::new(digest.clone(), Some(size), ""));
        }
        if let Out::Seekable(f) = &mut self.out {
            // Data first, then the header it needs, written into the space left for it.
            let start = f.stream_position()?;
            f.write_all(&[0u8; BLOCK])?;
            let (size, digest) = pump(&mut stream, &mut self.out, None).await?;
            let Out::Seekable(f) = &mut self.out else {
                unreachable!()
            };
            if let Some(sent) = self.blobs.get(&digest) {
                // Already in the archive: take the copy back out.
                f.set_len(start)?;
                f.seek(SeekFrom::Start(start))?;
                return Ok(BlobInfo::new(digest, Some(*sent), ""));
            }
            let head = header::header(&format::layer_path(&digest), size, None);
            if head.len() > BLOCK {
                // 8 GiB or more: the size needs a PAX header, longer than the space left.
                shift_forward(f, start + BLOCK as u64, size, (head.len() - BLOCK) as u64)?;
            }
            f.seek(SeekFrom::Start(start))?;
            f.write_all(&head)?;
            f.seek(SeekFrom::Start(start + head.len() as u64 + size))?;
            f.write_all(header::padding(size))?;
            self.blobs.insert(digest.clone(), size);
            return Ok(BlobInfo::new(digest, Some(size), ""));
        }
        // A pipe: the size must be known before the header, so spool first.
        let (tmp, size, digest) = spool_blob(stream, &self.tmp_dir).await?;
        self.put_spooled_layer(tmp, size, digest).await
    }

    /// Stores a layer already spooled to `tmp` (`size` bytes with that `digest`).
    pub async fn put_spooled_layer(
        &mut self,
        mut tmp: tempfile::NamedTempFile,
        size: u64,
        digest: Digest,
    ) -> Result<BlobInfo> {
        if let Some(sent) = self.sent(&digest) {
            return Ok(sent);
        }
        self.out
            .write(&header::header(&format::layer_path(&digest), size, None))
            .await?;
        let mut spooled: BlobStream = Box::pin(tokio::fs::File::from_std(tmp.reopen()?));
        let (n, _) = pump(&mut spooled, &mut self.out, Some(size)).await?;
        if n != size {
            bail!("short read of a spooled blob");
        }
        tmp.as_file_mut().set_len(0)?;
        self.out.write(header::padding(size)).await?;
        self.blobs.insert(digest.clone(), size);
        Ok(BlobInfo::new(digest, Some(size), ""))
    }

    /// Records an image: its legacy metadata goes into the archive now, its `manifest.json`
    /// item and `repositories` entries at `finish`.
    pub async fn add_image(
        &mut self,
        manifest: &[u8],
        config: Option<&[u8]>,
        tags: &[DockerReference],
    ) -> Result<()> {
        let man: Schema2 = serde_json::from_slice(manifest)
            .map_err(|e| anyhow!("parsing manifest: {}", format::go_json_error(manifest, &e)))?;
        if man.schema_version != 2 || man.media_type != mt::DOCKER_V2_SCHEMA2 {
            bail!("Unsupported manifest type, need a Docker schema 2 manifest");
        }
        let layers: Vec<Digest> = man.layers.iter().map(|l| l.digest.clone()).collect();
        let legacy = format::legacy_layers(&layers, config.unwrap_or_default())?;
        for l in &legacy {
            if !self.legacy_layers.insert(l.id.clone()) {
                continue;
            }
            let link = format!("{}/{}", l.id, format::LEGACY_LAYER_FILE);
            self.add_symlink(&link, &format!("../{}", format::layer_path(&l.layer)))
                .await
                .context("creating layer symbolic link")?;
            self.add_bytes(&format!("{}/{}", l.id, format::LEGACY_VERSION_FILE), b"1.0")
                .await
                .context("writing VERSION file")?;
            self.add_bytes(&format!("{}/{}", l.id, format::LEGACY_CONFIG_FILE), &l.json)
                .await
                .context("writing config json file")?;
        }
        let top = legacy.last().map(|l| l.id.as_str());
        self.index.add_image(&man.config.digest, &layers, top, tags)
    }

    /// Writes `manifest.json`, `repositories` and the end of the archive.
    pub async fn finish(&mut self) -> Result<()> {
        if self.closed {
            bail!("Internal error: trying to use an already closed tarfile.Writer");
        }
        let manifest = self.index.manifest_json();
        self.add_bytes(format::MANIFEST_FILE, &manifest).await?;
        let repositories = self.index.repositories_json();
        self.add_bytes(format::REPOSITORIES_FILE, &repositories)
            .await
            .context("writing config json file")?;
        self.out.write(&END_OF_ARCHIVE).await?;
        self.out.flush().await?;
        self.closed = true;
        Ok(())
    }

    pub fn out(&mut self) -> &mut Out {
        &mut self.out
    }
}

/// Moves the `len` bytes at `from` in `f` forward by `by` bytes, last chunk first so nothing
/// is overwritten before it is moved.
pub(super) fn shift_forward(f: &File, from: u64, len: u64, by: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; CHUNK];
    let mut end = from + len;
    while end > from {
        let n = (end - from).min(CHUNK as u64);
        let chunk = &mut buf[..n as usize];
        f.read_exact_at(chunk, end - n)?;
        f.write_all_at(chunk, end - n + by)?;
        end -= n;
    }
    Ok(())
}

/// Reads a blob into a temporary file in `dir`, hashing it.
pub async fn spool_blob(
    mut stream: BlobStream,
    dir: &std::path::Path,
) -> Result<(tempfile::NamedTempFile, u64, Digest)> {
    let tmp = tempfile::Builder::new()
        .prefix("docker-tarfile-blob")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let mut out = Out::Seekable(tmp.reopen()?);
    let (size, digest) = pump(&mut stream, &mut out, None).await?;
    Ok((tmp, size, digest))
}
