//! `dir:PATH` — an image as plain files: `manifest.json`, blobs named by their hex digest,
//! `signature-N`, and a `version` file.
//!
//! Writing is staged: everything goes into a hidden directory inside PATH and replaces the
//! old contents only at commit, so a failed or interrupted copy leaves PATH as it was.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;

use super::dirlock::{OwnedStaging, sweep_stale_staging};
use super::fsutil::{self, BlobFile, MAX_MANIFEST_SIZE};
use super::pending::Pending;
use super::{
    BlobStream, DestinationProperties, ImageDestination, ImageSource, LayerCompression, LocalBlob,
    UploadInfo,
};
use crate::digest::Digest;
use crate::manifest::RawManifest;
use crate::signature::Signature;
use crate::types::{BlobInfo, SystemContext};

pub const VERSION: &str = "Directory Transport Version: 1.1\n";
pub const STAGING_PREFIX: &str = ".skiff-staging-";

fn manifest_name(instance: Option<&Digest>) -> String {
    match instance {
        Some(d) => format!("{}.manifest.json", d.hex()),
        None => "manifest.json".into(),
    }
}

fn signature_name(index: usize, instance: Option<&Digest>) -> String {
    match instance {
        Some(d) => format!("{}.signature-{}", d.hex(), index + 1),
        None => format!("signature-{}", index + 1),
    }
}

pub struct DirSource {
    path: PathBuf,
}

impl DirSource {
    pub fn open(path: &Path) -> Result<DirSource> {
        Ok(DirSource {
            path: path.to_path_buf(),
        })
    }
}

#[async_trait]
impl ImageSource for DirSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        let name = manifest_name(instance);
        let bytes = fsutil::read_beneath(&self.path, Path::new(&name), MAX_MANIFEST_SIZE)?;
        // An instance's file is named by its digest; only `manifest.json` has none to check.
        if let Some(want) = instance {
            super::oci::check_manifest_digest(&bytes, want)?;
        }
        Ok(RawManifest::untyped(bytes))
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        let file = fsutil::open_beneath(&self.path, Path::new(info.digest.hex()))?;
        Ok(Box::pin(tokio::fs::File::from_std(file)))
    }

    fn local_blob(&self, info: &BlobInfo) -> Option<LocalBlob> {
        fsutil::local_file_beneath(&self.path, Path::new(info.digest.hex()))
    }

    async fn signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>> {
        let mut sigs = Vec::new();
        for i in 0.. {
            let path = self.path.join(signature_name(i, instance));
            match fs::read(&path) {
                Ok(b) => sigs.push(Signature::from_blob(&b).with_context(|| {
                    format!("parsing signature {:?}", path.display().to_string())
                })?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            }
        }
        Ok(sigs)
    }
}

pub struct DirDestination {
    path: PathBuf,
    /// Held (locked) while this copy runs, so a later run can tell it from one a killed
    /// copy left behind.
    _owned_staging: OwnedStaging,
    staging: PathBuf,
    /// The directory skiff created for this copy, removed again if the copy fails.
    created: Option<PathBuf>,
    compression: LayerCompression,
    committed: bool,
    _pending: Pending,
}

fn not_an_image_dir() -> anyhow::Error {
    anyhow!("not a containers image directory, don't want to overwrite important data")
}

/// Entries of `path` other than skiff's own staging directories.
fn user_entries(path: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(path).with_context(|| format!("open {}", path.display()))? {
        let entry = entry?;
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
        {
            out.push(entry.path());
        }
    }
    Ok(out)
}

impl DirDestination {
    pub fn open(path: &Path, ctx: &SystemContext) -> Result<DirDestination> {
        let compression = match (ctx.dir_force_compress, ctx.dir_force_decompress) {
            (true, true) => bail!("Cannot compress and decompress at the same time"),
            (true, false) => LayerCompression::Compress,
            (false, true) => LayerCompression::Decompress,
            (false, false) => LayerCompression::Preserve,
        };
        let mut created = None;
        if path.exists() {
            // Staging left by a killed copy is nobody's any more.
            sweep_stale_staging(path, STAGING_PREFIX, false)?;
            if !user_entries(path)?.is_empty() {
                match fs::read(path.join("version")) {
                    Ok(v) if v == VERSION.as_bytes() => {}
                    Ok(_) => return Err(not_an_image_dir()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(not_an_image_dir());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        } else {
            created = fsutil::create_dir_all_tracking(path)
                .with_context(|| format!("unable to create directory {:?}", path.display()))?;
        }
        let owned_staging = OwnedStaging::create_in(path, STAGING_PREFIX)?;
        Ok(DirDestination {
            path: path.to_path_buf(),
            staging: owned_staging.path.clone(),
            _owned_staging: owned_staging,
            created,
            compression,
            committed: false,
            _pending: Pending::new(),
        })
    }
}

impl Drop for DirDestination {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        fsutil::remove_staging_dir(&self.staging);
        if let Some(created) = &self.created {
            fsutil::remove_created_dirs(&self.path, created);
        }
    }
}

#[async_trait]
impl ImageDestination for DirDestination {
    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            supported_manifest_types: Vec::new(),
            desired_layer_compression: self.compression,
            accepts_foreign_layer_urls: false,
            has_thread_safe_put_blob: true,
            supports_signatures: Ok(()),
        }
    }

    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        // Only blobs written by this copy count: the old contents are about to be replaced.
        match fs::metadata(self.staging.join(info.digest.hex())) {
            Ok(m) => Ok(Some(BlobInfo {
                size: Some(m.len()),
                ..info.clone()
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn put_blob(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        let (file, digest) =
            fsutil::receive_stream(stream, &self.staging, info.digest.as_ref()).await?;
        let size = file.len();
        file.persist(&self.staging.join(digest.hex()))?;
        Ok(BlobInfo::new(digest, Some(size), info.media_type.clone()))
    }

    async fn put_local_blob(&self, local: &LocalBlob, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let mut file = BlobFile::create_in(&self.staging)?;
        file.copy_local(local, &info.digest, info.size).await?;
        let size = Some(file.len());
        file.persist(&self.staging.join(info.digest.hex()))?;
        Ok(Some(BlobInfo {
            size,
            ..info.clone()
        }))
    }

    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        fsutil::write_file_atomic(&self.staging.join(manifest_name(instance)), bytes)
    }

    async fn put_signatures(
        &self,
        signatures: &[Signature],
        instance: Option<&Digest>,
    ) -> Result<()> {
        for (i, sig) in signatures.iter().enumerate() {
            fsutil::write_file_atomic(
                &self.staging.join(signature_name(i, instance)),
                &sig.blob(),
            )?;
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        fsutil::write_file_atomic(&self.staging.join("version"), VERSION.as_bytes())?;
        // Replace the old image: remove what was there (one image per directory, as skopeo),
        // then move the staged files up.
        for old in user_entries(&self.path)? {
            let res = if old.is_dir() && !old.is_symlink() {
                fs::remove_dir_all(&old)
            } else {
                fs::remove_file(&old)
            };
            res.with_context(|| format!("erasing contents in {:?}", self.path.display()))?;
        }
        for entry in fs::read_dir(&self.staging)? {
            let entry = entry?;
            fs::rename(entry.path(), self.path.join(entry.file_name()))?;
        }
        fs::remove_dir(&self.staging)?;
        self.committed = true;
        Ok(())
    }
}
