//! `oci-archive:PATH[:REF]` — an OCI layout inside a tar file.
//!
//! Reading indexes the tar's headers and serves files straight from their byte ranges
//! (skopeo extracts the whole archive first). Writing streams each blob into a new tar next
//! to PATH, which replaces PATH only at commit.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use tempfile::NamedTempFile;
use tokio::io::AsyncReadExt;

use super::fsutil::{self, CHUNK};
use super::oci::{self, LayoutFiles, OciSource};
use super::spool;
use super::tarindex::TarIndex;
use super::{
    BlobStream, DestinationProperties, ImageDestination, ImageSource, LayerCompression, LocalBlob,
    UploadInfo,
};
use crate::digest::{Algorithm, Digest, HashingReader};
use crate::error::ImageNotFound;
use crate::manifest::RawManifest;
use crate::manifest::media_type as mt;
use crate::manifest::oci::{Descriptor, OciIndex};
use crate::reference::LayoutName;
use crate::signature::Signature;
use crate::transport::docker_archive::header;
use crate::types::{BlobInfo, SystemContext};

fn blob_member(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().name(), digest.hex())
}

/// The layout files of an indexed (uncompressed) tar archive.
struct TarFiles {
    index: TarIndex,
    /// A decompressed copy of a compressed archive, removed with the source.
    _spool: Option<NamedTempFile>,
}

fn missing(name: &str, archive: &Path) -> anyhow::Error {
    anyhow!("{name} not found in archive {}", archive.display())
}

impl LayoutFiles for TarFiles {
    fn read_index(&self) -> Result<Vec<u8>> {
        self.index
            .read("index.json", fsutil::MAX_MANIFEST_SIZE)?
            .ok_or_else(|| missing("index.json", self.index.path()))
    }

    fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        let name = blob_member(digest);
        self.index
            .read(&name, limit)?
            .ok_or_else(|| missing(&name, self.index.path()))
    }

    fn open_blob(&self, digest: &Digest) -> Result<BlobStream> {
        let name = blob_member(digest);
        let e = self
            .index
            .get(&name)
            .ok_or_else(|| missing(&name, self.index.path()))?;
        let mut f = File::open(self.index.path())?;
        f.seek(SeekFrom::Start(e.offset))?;
        Ok(Box::pin(tokio::fs::File::from_std(f).take(e.size)))
    }

    fn local_blob(&self, digest: &Digest) -> Option<LocalBlob> {
        self.index.local(&blob_member(digest))
    }
}

pub struct OciArchiveSource {
    inner: OciSource,
}

impl OciArchiveSource {
    pub async fn open(name: &LayoutName, ctx: &SystemContext) -> Result<OciArchiveSource> {
        let (name, ctx) = (name.clone(), ctx.clone());
        tokio::task::spawn_blocking(move || Self::open_blocking(&name, &ctx)).await?
    }

    fn open_blocking(name: &LayoutName, ctx: &SystemContext) -> Result<OciArchiveSource> {
        let path = &name.path;
        let mut file = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow!("archive file not found: {:?}", path.display().to_string())
            } else {
                fsutil::go_path_error("open", path, &e).into()
            }
        })?;
        // A compressed archive (gzip, zstd, xz, bzip2: whatever c/image's extraction reads)
        // is decompressed to a temporary file, which is indexed instead.
        let (index, spool) = if spool::is_compressed(&mut file)? {
            file.seek(SeekFrom::Start(0))?;
            let tmp_dir = ctx.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
            let spool = spool::spool(&mut file, &tmp_dir, "skiff-oci-archive-")
                .with_context(|| format!("decompressing {}", path.display()))?;
            (TarIndex::scan(spool.path())?, Some(spool))
        } else {
            (TarIndex::scan(path)?, None)
        };
        let files = TarFiles {
            index,
            _spool: spool,
        };
        let inner = OciSource::from_files(Box::new(files), name).map_err(|e| {
            if e.is::<ImageNotFound>() {
                e
            } else {
                e.context(format!("reading archive {}", path.display()))
            }
        })?;
        Ok(OciArchiveSource { inner })
    }
}

#[async_trait]
impl ImageSource for OciArchiveSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        self.inner.manifest(instance).await
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        self.inner.blob(info).await
    }

    fn local_blob(&self, info: &BlobInfo) -> Option<LocalBlob> {
        self.inner.local_blob(info)
    }

    async fn signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>> {
        self.inner.signatures(instance).await
    }
}

/// The tar being written, guarded so that entries never interleave.
struct TarWriter {
    file: NamedTempFile,
    written: std::collections::HashSet<Digest>,
}

impl TarWriter {
    /// The header blocks of member `name`: one ustar block, after a PAX extended header
    /// holding the whole name when ustar cannot (`blobs/sha512/<128 hex digits>`).
    fn header(name: &str, size: u64, dir: bool) -> Vec<u8> {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        h.set_mode(if dir { 0o755 } else { 0o644 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(size);
        h.set_mtime(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        );
        let mut out = Vec::new();
        if h.set_path(name).is_err() {
            out = header::pax_extension(name, &[("path", name)]);
            let field = &mut h.as_old_mut().name;
            let n = name.len().min(field.len());
            field[..n].copy_from_slice(&name.as_bytes()[..n]);
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out
    }

    fn start_entry(&mut self, name: &str, size: u64, dir: bool) -> Result<()> {
        let h = Self::header(name, size, dir);
        self.file.as_file_mut().write_all(&h)?;
        Ok(())
    }

    fn finish_entry(&mut self, size: u64) -> Result<()> {
        let pad = (512 - size % 512) % 512;
        self.file
            .as_file_mut()
            .write_all(&vec![0u8; pad as usize])?;
        Ok(())
    }

    fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.start_entry(name, bytes.len() as u64, false)?;
        self.file.as_file_mut().write_all(bytes)?;
        self.finish_entry(bytes.len() as u64)
    }

    /// Copies `len` bytes of a readable file into the archive as member `name`.
    fn add_file(&mut self, name: &str, src: &mut File, len: u64) -> Result<()> {
        self.start_entry(name, len, false)?;
        let copied = std::io::copy(&mut src.take(len), self.file.as_file_mut())?;
        if copied != len {
            bail!("short read while adding {name} to the archive");
        }
        self.finish_entry(len)
    }
}

pub struct OciArchiveDestination {
    name: LayoutName,
    dest: PathBuf,
    tmp_dir: PathBuf,
    writer: tokio::sync::Mutex<TarWriter>,
    top_level: Mutex<Option<Descriptor>>,
    compression: LayerCompression,
}

impl OciArchiveDestination {
    pub fn open(name: &LayoutName, ctx: &SystemContext) -> Result<OciArchiveDestination> {
        if let Some(i) = name.source_index {
            bail!("Destination reference must not contain a manifest index @{i}");
        }
        let dest = name.path.clone();
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file = tempfile::Builder::new()
            .prefix(".skiff-oci-archive-")
            .tempfile_in(&parent)
            .with_context(|| format!("creating tar file {:?}", dest.display().to_string()))?;
        let mut writer = TarWriter {
            file,
            written: Default::default(),
        };
        writer.start_entry("blobs/", 0, true)?;
        writer.start_entry("blobs/sha256/", 0, true)?;
        Ok(OciArchiveDestination {
            name: name.clone(),
            dest,
            tmp_dir: ctx.tmp_dir.clone().unwrap_or_else(std::env::temp_dir),
            writer: tokio::sync::Mutex::new(writer),
            top_level: Mutex::new(None),
            compression: if ctx.oci_accept_uncompressed_layers {
                LayerCompression::Preserve
            } else {
                LayerCompression::Compress
            },
        })
    }

    /// A blob whose size or digest is not known yet goes to a temporary file first: a tar
    /// header needs the size before the bytes.
    async fn spool(&self, stream: BlobStream) -> Result<(File, u64, Digest)> {
        let mut tmp = tempfile::tempfile_in(&self.tmp_dir)
            .with_context(|| format!("creating a temporary file in {}", self.tmp_dir.display()))?;
        let mut stream = HashingReader::new(stream, Algorithm::Sha256);
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            tmp.write_all(&buf[..n])?;
        }
        tmp.seek(SeekFrom::Start(0))?;
        let (_, digest, size) = stream.finish();
        Ok((tmp, size, digest.expect("hashed")))
    }
}

#[async_trait]
impl ImageDestination for OciArchiveDestination {
    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            supported_manifest_types: vec![mt::OCI_MANIFEST, mt::OCI_INDEX],
            desired_layer_compression: self.compression,
            accepts_foreign_layer_urls: true,
            has_thread_safe_put_blob: false,
            supports_signatures: Err("Pushing signatures for OCI images is not supported".into()),
        }
    }

    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let w = self.writer.lock().await;
        Ok(w.written.contains(&info.digest).then(|| info.clone()))
    }

    async fn put_blob(&self, mut stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        if let (Some(digest), Some(size)) = (&info.digest, info.size) {
            // Known digest and size: stream straight into the archive.
            let mut w = self.writer.lock().await;
            w.start_entry(&blob_member(digest), size, false)?;
            let mut buf = vec![0u8; CHUNK];
            let mut copied = 0u64;
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                copied += n as u64;
                if copied > size {
                    bail!("blob {digest} is longer than its recorded size {size}");
                }
                w.file.as_file_mut().write_all(&buf[..n])?;
            }
            if copied != size {
                bail!("blob {digest} is shorter than its recorded size {size}");
            }
            w.finish_entry(size)?;
            w.written.insert(digest.clone());
            return Ok(BlobInfo::new(
                digest.clone(),
                Some(size),
                info.media_type.clone(),
            ));
        }
        let (mut tmp, size, digest) = self.spool(stream).await?;
        let mut w = self.writer.lock().await;
        if !w.written.contains(&digest) {
            w.add_file(&blob_member(&digest), &mut tmp, size)?;
            w.written.insert(digest.clone());
        }
        Ok(BlobInfo::new(digest, Some(size), info.media_type.clone()))
    }

    async fn put_local_blob(&self, local: &LocalBlob, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let mut w = self.writer.lock().await;
        let name = blob_member(&info.digest);
        let mut src = fsutil::open_no_follow(&local.path)?;
        src.seek(SeekFrom::Start(local.offset))?;
        let mut verifier = crate::contract::verify::Verifier::new(&info.digest, info.size);
        w.start_entry(&name, local.len, false)?;
        let mut buf = vec![0u8; CHUNK];
        let mut left = local.len;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = src.read(&mut buf[..want])?;
            if n == 0 {
                bail!("short read of {}", local.path.display());
            }
            verifier.update(&buf[..n])?;
            w.file.as_file_mut().write_all(&buf[..n])?;
            left -= n as u64;
        }
        verifier.finish()?;
        w.finish_entry(local.len)?;
        w.written.insert(info.digest.clone());
        Ok(Some(BlobInfo {
            size: Some(local.len),
            ..info.clone()
        }))
    }

    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        let digest = match instance {
            Some(d) => d.clone(),
            None => crate::manifest::digest(bytes)?,
        };
        let mut w = self.writer.lock().await;
        if !w.written.contains(&digest) {
            w.add_bytes(&blob_member(&digest), bytes)?;
            w.written.insert(digest);
        }
        if instance.is_none() {
            *self.top_level.lock().expect("lock poisoned") =
                Some(oci::top_level_descriptor(bytes, &self.name)?);
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        let desc = self
            .top_level
            .lock()
            .expect("lock poisoned")
            .take()
            .ok_or_else(|| anyhow!("internal error: commit without a manifest"))?;
        let mut index: OciIndex = oci::empty_index();
        oci::add_manifest(&mut index, desc);
        let mut w = self.writer.into_inner();
        w.add_bytes("index.json", &crate::gojson::to_vec_compact(&index))?;
        w.add_bytes("oci-layout", oci::LAYOUT_FILE_CONTENT)?;
        // End-of-archive marker: two zero blocks.
        w.file.as_file_mut().write_all(&[0u8; 1024])?;
        w.file.as_file().sync_data()?;
        {
            use std::os::unix::fs::PermissionsExt;
            w.file
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        w.file
            .persist(&self.dest)
            .map_err(|e| e.error)
            .with_context(|| format!("creating tar file {:?}", self.dest.display().to_string()))?;
        Ok(())
    }
}
