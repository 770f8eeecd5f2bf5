//! `oci:PATH[:REF]` — an OCI image layout directory, plus the layout logic `oci-archive:`
//! shares: which index entry a name means, and how a new entry joins an index.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;

use super::dirlock::{DirLock, Mode};
use super::fsutil::{self, BlobFile, MAX_MANIFEST_SIZE};
use super::pending::Pending;
use super::{
    BlobStream, DestinationProperties, ImageDestination, ImageSource, LayerCompression, LocalBlob,
    UploadInfo,
};
use crate::digest::Digest;
use crate::error::ImageNotFound;
use crate::manifest::RawManifest;
use crate::manifest::media_type as mt;
use crate::manifest::oci::{Descriptor, OciIndex};
use crate::reference::LayoutName;
use crate::signature::Signature;
use crate::types::{BlobInfo, SystemContext};

mod cleanup;
use cleanup::AddedBlob;
pub mod delete;

pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
/// What skopeo 1.9.3 writes to `oci-layout` (byte for byte).
pub const LAYOUT_FILE_CONTENT: &[u8] = b"{\"imageLayoutVersion\": \"1.0.0\"}";
const NO_SIGNATURES: &str = "Pushing signatures for OCI images is not supported";

/// Reading access to the files of a layout, wherever they are (a directory or a tar archive).
pub trait LayoutFiles: Send + Sync {
    /// `index.json`, bounded in size.
    fn read_index(&self) -> Result<Vec<u8>>;
    /// A small blob (a manifest), bounded in size.
    fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>>;
    fn open_blob(&self, digest: &Digest) -> Result<BlobStream>;
    fn local_blob(&self, digest: &Digest) -> Option<LocalBlob>;
}

pub fn parse_index(bytes: &[u8]) -> Result<OciIndex> {
    crate::manifest::from_json(bytes)
}

fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations
        .as_ref()
        .and_then(|a| a.get(REF_NAME_ANNOTATION))
        .map(String::as_str)
}

/// The index entry a layout name refers to: by ref name, by position, or the only one.
pub fn resolve_descriptor(index: &OciIndex, name: &LayoutName) -> Result<Descriptor> {
    if let Some(i) = name.source_index {
        return index.manifests.get(i).cloned().ok_or_else(|| {
            anyhow!(
                "index {i} is too large, only {} entries available",
                index.manifests.len()
            )
        });
    }
    match name.reference.as_deref().filter(|r| !r.is_empty()) {
        Some(wanted) => {
            let mut unsupported = Vec::new();
            for d in index
                .manifests
                .iter()
                .filter(|d| ref_name(d) == Some(wanted))
            {
                match d.media_type.as_str() {
                    mt::OCI_MANIFEST
                    | mt::OCI_INDEX
                    | mt::DOCKER_V2_SCHEMA2
                    | mt::DOCKER_V2_LIST => {
                        return Ok(d.clone());
                    }
                    other => unsupported.push(format!("{other:?}")),
                }
            }
            if !unsupported.is_empty() {
                bail!(
                    "reference {wanted:?} matches unsupported manifest MIME types [{}]",
                    unsupported.join(" ")
                );
            }
            Err(ImageNotFound(format!("no descriptor found for reference {wanted:?}")).into())
        }
        None => match index.manifests.as_slice() {
            [only] => Ok(only.clone()),
            _ => bail!("more than one image in oci, choose an image"),
        },
    }
}

/// Adds the entry for a newly written top-level manifest, as c/image does: a name moves from
/// any older entry to the new one; an unnamed entry with the same digest is replaced.
pub fn add_manifest(index: &mut OciIndex, desc: Descriptor) {
    if let Some(name) = ref_name(&desc)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        && let Some(old) = index
            .manifests
            .iter_mut()
            .find(|m| ref_name(m) == Some(&name))
        && let Some(a) = old.annotations.as_mut()
    {
        a.remove(REF_NAME_ANNOTATION);
    }
    let same_unnamed = index
        .manifests
        .iter_mut()
        .find(|m| m.digest == desc.digest && ref_name(m).unwrap_or("").is_empty());
    match same_unnamed {
        Some(slot) => *slot = desc,
        None => index.manifests.push(desc),
    }
}

/// The index entry describing a top-level manifest written under `name`.
pub fn top_level_descriptor(bytes: &[u8], name: &LayoutName) -> Result<Descriptor> {
    let digest = crate::manifest::digest(bytes)?;
    let mut desc = Descriptor::from_blob_info(&BlobInfo::new(
        digest,
        Some(bytes.len() as u64),
        crate::manifest::guess_mime_type(bytes),
    ));
    if let Some(r) = name.reference.as_deref().filter(|r| !r.is_empty()) {
        desc.annotations = Some(BTreeMap::from([(
            REF_NAME_ANNOTATION.to_string(),
            r.to_string(),
        )]));
    }
    Ok(desc)
}

pub fn empty_index() -> OciIndex {
    OciIndex {
        schema_version: 2,
        media_type: String::new(),
        artifact_type: String::new(),
        manifests: Vec::new(),
        subject: None,
        annotations: None,
    }
}

/// Fails unless `bytes` are the manifest `want` names (c/image's wording).
pub fn check_manifest_digest(bytes: &[u8], want: &Digest) -> Result<()> {
    if !crate::manifest::matches_digest(bytes, want)? {
        bail!("Manifest does not match provided manifest digest {want}");
    }
    Ok(())
}

/// A layout directory, with blobs optionally kept in a shared directory.
pub struct DirFiles {
    root: PathBuf,
    blobs: PathBuf,
}

impl DirFiles {
    pub fn new(root: &Path, shared_blob_dir: Option<&Path>) -> DirFiles {
        DirFiles {
            root: root.to_path_buf(),
            blobs: shared_blob_dir
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.join("blobs")),
        }
    }

    fn blob_rel(digest: &Digest) -> PathBuf {
        Path::new(digest.algorithm().name()).join(digest.hex())
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs.join(Self::blob_rel(digest))
    }
}

impl LayoutFiles for DirFiles {
    fn read_index(&self) -> Result<Vec<u8>> {
        fsutil::read_beneath(&self.root, Path::new("index.json"), MAX_MANIFEST_SIZE)
    }

    fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        fsutil::read_beneath(&self.blobs, &Self::blob_rel(digest), limit)
    }

    fn open_blob(&self, digest: &Digest) -> Result<BlobStream> {
        let file = fsutil::open_beneath(&self.blobs, &Self::blob_rel(digest))?;
        Ok(Box::pin(tokio::fs::File::from_std(file)))
    }

    fn local_blob(&self, digest: &Digest) -> Option<LocalBlob> {
        fsutil::local_file_beneath(&self.blobs, &Self::blob_rel(digest))
    }
}

/// Reads an image out of any layout.
pub struct OciSource {
    files: Box<dyn LayoutFiles>,
    index: OciIndex,
    descriptor: Descriptor,
}

impl OciSource {
    pub fn open(name: &LayoutName, ctx: &SystemContext) -> Result<OciSource> {
        let files = DirFiles::new(&name.path, ctx.oci_shared_blob_dir.as_deref());
        OciSource::from_files(Box::new(files), name)
    }

    pub fn from_files(files: Box<dyn LayoutFiles>, name: &LayoutName) -> Result<OciSource> {
        let index = parse_index(&files.read_index()?)?;
        let descriptor = resolve_descriptor(&index, name)?;
        Ok(OciSource {
            files,
            index,
            descriptor,
        })
    }
}

#[async_trait]
impl ImageSource for OciSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        let (digest, mime) = match instance {
            None => (&self.descriptor.digest, self.descriptor.media_type.clone()),
            Some(d) => {
                let mime = self
                    .index
                    .manifests
                    .iter()
                    .find(|m| &m.digest == d)
                    .map(|m| m.media_type.clone())
                    .unwrap_or_default();
                (d, mime)
            }
        };
        let bytes = self.files.read_blob(digest, MAX_MANIFEST_SIZE)?;
        // The index names the manifest by digest: a blob file with other bytes is another
        // image (or a damaged one), never to be copied in its place.
        check_manifest_digest(&bytes, digest)?;
        Ok(RawManifest::reported(bytes, &mime))
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        self.files.open_blob(&info.digest)
    }

    fn local_blob(&self, info: &BlobInfo) -> Option<LocalBlob> {
        self.files.local_blob(&info.digest)
    }

    async fn signatures(&self, _instance: Option<&Digest>) -> Result<Vec<Signature>> {
        Ok(Vec::new())
    }
}

/// Writes an image into a layout directory. New blobs are complete files before they get
/// their names; `index.json` changes only at commit, read-modify-written under the layout's
/// exclusive lock; a copy that does not commit removes the blobs it added that no other
/// image or copy needs (see `cleanup`).
pub struct OciDestination {
    name: LayoutName,
    files: DirFiles,
    /// Blobs live in a directory other layouts share: nothing there is removed on failure,
    /// as the images of those layouts are unknown here.
    shared_blobs: bool,
    compression: LayerCompression,
    /// Blob files this copy created (not ones that were already there).
    added: Mutex<Vec<AddedBlob>>,
    /// Blob files this copy found already there and relies on.
    reused: Mutex<Vec<PathBuf>>,
    /// The layout directory, if this copy created it.
    created: Option<PathBuf>,
    top_level: Mutex<Option<Descriptor>>,
    committed: bool,
    _pending: Pending,
}

impl OciDestination {
    pub fn open(name: &LayoutName, ctx: &SystemContext) -> Result<OciDestination> {
        if let Some(i) = name.source_index {
            bail!("Destination reference must not contain a manifest index @{i}");
        }
        let files = DirFiles::new(&name.path, ctx.oci_shared_blob_dir.as_deref());
        if name.path.join("index.json").exists() {
            parse_index(&files.read_index()?)?;
        }
        let created = fsutil::create_dir_all_tracking(&name.path)?;
        fs::create_dir_all(&files.blobs)
            .with_context(|| format!("creating {}", files.blobs.display()))?;
        Ok(OciDestination {
            name: name.clone(),
            files,
            shared_blobs: ctx.oci_shared_blob_dir.is_some(),
            compression: if ctx.oci_accept_uncompressed_layers {
                LayerCompression::Preserve
            } else {
                LayerCompression::Compress
            },
            added: Mutex::new(Vec::new()),
            reused: Mutex::new(Vec::new()),
            created,
            top_level: Mutex::new(None),
            committed: false,
            _pending: Pending::new(),
        })
    }

    fn lock(&self, mode: Mode) -> Result<DirLock> {
        DirLock::acquire(&self.name.path, mode)
    }

    /// A new temporary blob file; made under the shared lock, so that a failed copy's
    /// clean-up does not remove the directory it goes into meanwhile.
    fn new_blob_file(&self, digest_algo: &str) -> Result<BlobFile> {
        let dir = self.files.blobs.join(digest_algo);
        let _lock = self.lock(Mode::Shared)?;
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = BlobFile::create_in(&dir)?;
        file.hold_lock();
        Ok(file)
    }

    fn is_added(&self, path: &Path) -> bool {
        self.added
            .lock()
            .expect("lock poisoned")
            .iter()
            .any(|a| a.path == path)
    }

    /// Gives a finished blob file its content-addressed name.
    fn install(&self, file: BlobFile, digest: &Digest) -> Result<()> {
        let path = self.files.blob_path(digest);
        file.sync(&path)?;
        let _lock = self.lock(Mode::Shared)?;
        let existed = path.exists();
        file.rename_to(&path)?;
        if !existed && let Some(stamp) = cleanup::stamp(&path) {
            self.added.lock().expect("lock poisoned").push(AddedBlob {
                path,
                digest: digest.clone(),
                stamp,
            });
        }
        Ok(())
    }
}

impl Drop for OciDestination {
    fn drop(&mut self) {
        if self.committed || !self.name.path.exists() {
            return;
        }
        let added = std::mem::take(&mut *self.added.lock().unwrap_or_else(|e| e.into_inner()));
        // Without the lock nothing can be decided safely: keep everything.
        let Ok(_lock) = self.lock(Mode::Exclusive) else {
            return;
        };
        if !self.shared_blobs {
            cleanup::remove_unneeded(&self.files, &self.name.path, added);
        }
        if let Some(created) = &self.created {
            // The blob directories this copy made, then the layout and its new parents, when
            // empty (another copy may have committed into it meanwhile).
            if self.files.blobs.starts_with(&self.name.path) {
                for algo in ["sha256", "sha384", "sha512"] {
                    let _ = fs::remove_dir(self.files.blobs.join(algo));
                }
                let _ = fs::remove_dir(&self.files.blobs);
            }
            fsutil::remove_created_dirs(&self.name.path, created);
        }
    }
}

#[async_trait]
impl ImageDestination for OciDestination {
    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            supported_manifest_types: vec![mt::OCI_MANIFEST, mt::OCI_INDEX],
            desired_layer_compression: self.compression,
            accepts_foreign_layer_urls: true,
            has_thread_safe_put_blob: true,
            supports_signatures: Err(NO_SIGNATURES.into()),
        }
    }

    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let path = self.files.blob_path(&info.digest);
        // Under the shared lock: a failed copy that wrote this blob either removed it already
        // (then it is copied again) or will see the mark and keep it.
        let _lock = self.lock(Mode::Shared)?;
        match fs::metadata(&path) {
            Ok(m) => {
                if !self.shared_blobs && !self.is_added(&path) {
                    cleanup::mark_reused(&path);
                }
                self.reused.lock().expect("lock poisoned").push(path);
                Ok(Some(BlobInfo {
                    size: Some(m.len()),
                    ..info.clone()
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn put_blob(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        let algo = info
            .digest
            .as_ref()
            .map_or("sha256", |d| d.algorithm().name());
        let file = self.new_blob_file(algo)?;
        let (file, digest) =
            fsutil::receive_stream_into(file, stream, info.digest.as_ref()).await?;
        let size = Some(file.len());
        self.install(file, &digest)?;
        Ok(BlobInfo::new(digest, size, info.media_type.clone()))
    }

    async fn put_local_blob(&self, local: &LocalBlob, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let mut file = self.new_blob_file(info.digest.algorithm().name())?;
        file.copy_local(local, &info.digest, info.size).await?;
        let size = Some(file.len());
        self.install(file, &info.digest)?;
        Ok(Some(BlobInfo {
            size,
            ..info.clone()
        }))
    }

    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        let digest = match instance {
            Some(d) => d.clone(),
            None => crate::manifest::digest(bytes)?,
        };
        let mut file = self.new_blob_file(digest.algorithm().name())?;
        file.write(bytes)?;
        self.install(file, &digest)?;
        if instance.is_none() {
            *self.top_level.lock().expect("lock poisoned") =
                Some(top_level_descriptor(bytes, &self.name)?);
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let desc = self
            .top_level
            .lock()
            .expect("lock poisoned")
            .take()
            .ok_or_else(|| anyhow!("internal error: commit without a manifest"))?;
        // Read-modify-write under the exclusive lock: entries other copies commit at the same
        // time are kept, and a reader sees the old index or the new one (atomic rename).
        let _lock = self.lock(Mode::Exclusive)?;
        let mut index = if self.name.path.join("index.json").exists() {
            parse_index(&self.files.read_index()?)?
        } else {
            empty_index()
        };
        // A blob this copy found present may have been pruned since (`sync --prune` of
        // another process): an entry naming a missing blob is never written.
        let relied_on = self.reused.lock().expect("lock poisoned").clone();
        if let Some(gone) = relied_on.iter().find(|p| !p.exists()) {
            bail!(
                "blob {} was removed from {} while an image using it was being written (pruned by another process?)",
                gone.display(),
                self.name.path.display()
            );
        }
        add_manifest(&mut index, desc);
        if !self.shared_blobs {
            // Half-written blobs of copies that were killed (a shared blob directory is not
            // guarded by this layout's lock, so it is left alone).
            cleanup::sweep_stale_temp_files(&self.files.blobs);
        }
        cleanup::sweep_stale_index_files(&self.name.path);
        fsutil::write_file_atomic(&self.name.path.join("oci-layout"), LAYOUT_FILE_CONTENT)?;
        fsutil::write_file_atomic(
            &self.name.path.join("index.json"),
            &crate::gojson::to_vec_compact(&index),
        )?;
        self.committed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
