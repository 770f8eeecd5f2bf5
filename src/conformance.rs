//! The transport contract, proved once: one suite of checks — blobs put and read back,
//! reuse, abort, commit, lists, corrupt and truncated blobs, signatures, and the engine's
//! copy in both directions — run against every local transport and the in-memory one by
//! `cargo test --lib`, and against `docker://`, `docker-daemon:` and `containers-storage:`
//! with real peers by the integration tests (`tests/it/conformance.rs`, through the
//! `conformance` feature, which only tests enable).
//!
//! Where a transport legitimately differs (an archive is rewritten whole, so it cannot reuse
//! what an earlier write committed; a registry keeps every blob it was sent), its [`Caps`]
//! say so and the suite checks that stated behaviour instead of skipping the check. A new
//! local transport gets the whole suite from a function that opens it at a private place
//! with its capabilities, named in `suite!` at the end; one that needs a peer implements
//! [`Subject`] in the integration tests. [`CHECKS`] lists every check.
//!
//! It sits beside `transport/` and `copy/`, not inside either, because it drives the engine's
//! core copy through each transport on purpose; transports themselves never import `copy`
//! (their shared types are in `crate::contract`).

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncReadExt;

use crate::config::policy::{Policy, PolicySubject};
use crate::contract::verify::VerifyingReader;
use crate::copy::{ImageLabel, Names, Options, progress::Silent};
use crate::digest::Digest;
use crate::manifest::{self, Manifest, RawManifest, media_type as mt};
use crate::reference::ImageName;
use crate::signature::Signature;
use crate::transport::memory::{Contents, MemoryStore};
use crate::transport::{BlobStream, ImageDestination, ImageSource, LocalBlob, UploadInfo};
use crate::types::{BlobInfo, SystemContext};

/// What a transport does differently from the others, stated so the suite can check it.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    /// The manifest type the suite's image is written as (one the transport stores).
    pub manifest_type: &'static str,
    /// The destination compresses layers (skopeo's default for OCI layouts), so the suite's
    /// image has a gzip layer, which the engine then copies unchanged.
    pub gzip_layers: bool,
    /// The manifest reads back as the bytes written (`docker-archive:` and `docker-daemon:`
    /// rebuild it from their own `manifest.json`).
    pub keeps_manifest_bytes: bool,
    /// A later write reuses blobs an earlier one committed (a layout, a store, a registry);
    /// a `dir:` or an archive is replaced whole, so only blobs of the same write count.
    pub reuses_committed_blobs: bool,
    /// Stores a manifest list or index with its instances.
    pub stores_lists: bool,
    pub stores_signatures: bool,
    /// An image, once committed, cannot be written over: opening another destination at its
    /// place is refused (`docker-archive:`, as c/image). Checks that need an earlier image
    /// then check that refusal instead, and run on a fresh place.
    pub refuses_second_write: bool,
    /// When a written image becomes visible, and so what an abort can undo.
    pub publishes: Publishes,
}

/// When an image written to a destination becomes visible to readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publishes {
    /// At `commit`: a destination dropped uncommitted leaves nothing at all (local
    /// transports stage their writes; `docker-daemon:` loads the image only at commit).
    OnCommit,
    /// As it is put: a registry stores each blob when its upload completes and tags the image
    /// when its manifest is put (`commit` does nothing). What it can promise is that an
    /// abort before the manifest leaves no manifest, tag or signature — the blobs it was
    /// sent stay until the registry's garbage collection — and that a refused blob (corrupt,
    /// truncated) is never stored.
    AsPut,
}

/// What a subject stores, listed to tell whether a write that was refused or aborted left a
/// trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Images, tags, manifests, signatures: everything for a local transport.
    pub images: Vec<String>,
    /// Blobs a registry keeps once sent, whether or not an image names them
    /// ([`Publishes::AsPut`]); empty elsewhere.
    pub blobs: Vec<String>,
}

/// What opening a destination where an image is committed gives, for a transport that
/// refuses it.
const SECOND_WRITE_REFUSED: &str = "doesn't support modifying existing images";

/// One transport under test, at a private location.
#[async_trait]
pub trait Subject: Send + Sync {
    fn caps(&self) -> Caps;
    async fn destination(&self) -> Result<Box<dyn ImageDestination>>;
    async fn source(&self) -> Result<Box<dyn ImageSource>>;
    /// Everything stored, to tell whether an uncommitted write left a trace.
    fn snapshot(&self) -> Snapshot;
    /// Makes the suite's images differ from those of other subjects sharing one peer (a
    /// shared dockerd): mixed into their contents and set as the config label
    /// `skiff.conformance`, so the peer can list just them.
    fn label(&self) -> &str {
        ""
    }
    /// Whether the peer that owns the store (podman, dockerd) itself sees an image with this
    /// config at the subject's name; `None` where there is no such tool to ask.
    async fn peer_sees(&self, _config: &Digest) -> Result<Option<bool>> {
        Ok(None)
    }
}

/// A transport opened by name, like the CLI opens it; `{root}` in the name is a temporary
/// directory holding all it stores.
pub struct Named {
    name: ImageName,
    root: tempfile::TempDir,
    ctx: SystemContext,
    /// Spool files, outside what is compared.
    _tmp: tempfile::TempDir,
    caps: Caps,
}

impl Named {
    pub fn new(template: &str, caps: Caps) -> Named {
        let root = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let text = template.replace("{root}", &root.path().to_string_lossy());
        let name = ImageName::parse(&text).unwrap();
        let ctx = SystemContext {
            tmp_dir: Some(tmp.path().to_path_buf()),
            ..SystemContext::default()
        };
        Named {
            name,
            root,
            ctx,
            _tmp: tmp,
            caps,
        }
    }

    /// With settings the transport needs to reach its peer (its `{root}` made first).
    pub fn with_ctx(mut self, set: impl FnOnce(&Path, &mut SystemContext)) -> Named {
        set(self.root.path(), &mut self.ctx);
        self
    }

    /// The temporary directory `{root}` names.
    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

#[async_trait]
impl Subject for Named {
    fn caps(&self) -> Caps {
        self.caps
    }
    async fn destination(&self) -> Result<Box<dyn ImageDestination>> {
        crate::transport::open_destination(&self.name, &self.ctx).await
    }
    async fn source(&self) -> Result<Box<dyn ImageSource>> {
        crate::transport::open_source(&self.name, &self.ctx).await
    }
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            images: files_under(self.root.path()),
            blobs: Vec::new(),
        }
    }
}

/// Every file (with its size) and directory under `root`, sorted.
pub fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.push(format!("{rel}/"));
            walk(root, &path, out);
        } else {
            out.push(format!("{rel} ({} bytes)", meta.len()));
        }
    }
}

struct Memory {
    store: MemoryStore,
}

#[async_trait]
impl Subject for Memory {
    fn caps(&self) -> Caps {
        Caps {
            manifest_type: mt::OCI_MANIFEST,
            gzip_layers: false,
            keeps_manifest_bytes: true,
            reuses_committed_blobs: true,
            stores_lists: true,
            stores_signatures: true,
            refuses_second_write: false,
            publishes: Publishes::OnCommit,
        }
    }
    async fn destination(&self) -> Result<Box<dyn ImageDestination>> {
        Ok(Box::new(self.store.destination()))
    }
    async fn source(&self) -> Result<Box<dyn ImageSource>> {
        Ok(Box::new(self.store.source()))
    }
    fn snapshot(&self) -> Snapshot {
        let c = self.store.contents();
        let mut out: Vec<String> = c.blobs.keys().map(|d| format!("blob {d}")).collect();
        out.extend(c.manifests.keys().map(|i| format!("manifest {i:?}")));
        out.extend(c.signatures.keys().map(|i| format!("signatures {i:?}")));
        out.sort();
        Snapshot {
            images: out,
            blobs: Vec::new(),
        }
    }
}

/// A one-layer image whose contents differ by `seed`.
struct TestImage {
    config: Vec<u8>,
    layer: Vec<u8>,
    manifest: Vec<u8>,
    config_info: BlobInfo,
    layer_info: BlobInfo,
}

fn test_image(s: &dyn Subject, seed: &str) -> TestImage {
    let caps = s.caps();
    let label = s.label();
    let manifest_type = caps.manifest_type;
    let mut tar = tar::Builder::new(Vec::new());
    let content = format!("conformance {label}{seed}\n");
    let mut header = tar::Header::new_ustar();
    header.set_path("hello.txt").unwrap();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    tar.append(&header, content.as_bytes()).unwrap();
    let tar = tar.into_inner().unwrap();
    let diff_id = Digest::sha256_of(&tar);
    let layer = if caps.gzip_layers {
        let mut gz = Vec::new();
        crate::compression::compress(
            crate::compression::Algorithm::Gzip,
            None,
            &mut &tar[..],
            &mut gz,
        )
        .unwrap();
        gz
    } else {
        tar
    };
    let layer_digest = Digest::sha256_of(&layer);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": if label.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::json!({"Labels": {"skiff.conformance": label}})
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    let (config_type, layer_type) = match (manifest_type == mt::OCI_MANIFEST, caps.gzip_layers) {
        (true, false) => (mt::OCI_CONFIG, mt::OCI_LAYER),
        (true, true) => (mt::OCI_CONFIG, mt::OCI_LAYER_GZIP),
        (false, false) => (
            mt::DOCKER_V2_SCHEMA2_CONFIG,
            mt::DOCKER_V2_SCHEMA2_LAYER_UNCOMPRESSED,
        ),
        (false, true) => (mt::DOCKER_V2_SCHEMA2_CONFIG, mt::DOCKER_V2_SCHEMA2_LAYER),
    };
    let config_info = BlobInfo::new(
        Digest::sha256_of(&config),
        Some(config.len() as u64),
        config_type,
    );
    let layer_info = BlobInfo::new(layer_digest, Some(layer.len() as u64), layer_type);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": {"mediaType": config_type, "digest": config_info.digest, "size": config.len()},
        "layers": [{"mediaType": layer_type, "digest": layer_info.digest, "size": layer.len()}],
    }))
    .unwrap();
    TestImage {
        config,
        layer,
        manifest,
        config_info,
        layer_info,
    }
}

/// The image as an in-memory store holds it.
fn contents_of(img: &TestImage) -> Contents {
    let mut c = Contents::default();
    c.blobs.insert(
        img.config_info.digest.clone(),
        Bytes::from(img.config.clone()),
    );
    c.blobs.insert(
        img.layer_info.digest.clone(),
        Bytes::from(img.layer.clone()),
    );
    c.manifests.insert(
        None,
        RawManifest::reported(
            img.manifest.clone(),
            &manifest::guess_mime_type(&img.manifest),
        ),
    );
    c
}

/// Sends `bytes` as the blob `info` describes, verified on the way as the engine sends it.
async fn put_as(
    dest: &dyn ImageDestination,
    bytes: &[u8],
    info: &BlobInfo,
    is_config: bool,
) -> Result<BlobInfo> {
    let stream: BlobStream = Box::pin(VerifyingReader::new(
        Cursor::new(bytes.to_vec()),
        &info.digest,
        info.size,
    ));
    let upload = UploadInfo {
        digest: Some(info.digest.clone()),
        size: info.size,
        media_type: info.media_type.clone(),
        is_config,
    };
    dest.put_blob(stream, &upload).await
}

async fn put_image(dest: &dyn ImageDestination, img: &TestImage) -> Result<()> {
    put_as(dest, &img.config, &img.config_info, true).await?;
    put_as(dest, &img.layer, &img.layer_info, false).await?;
    dest.put_manifest(&img.manifest, None).await
}

async fn write_committed(s: &dyn Subject, img: &TestImage) -> Result<()> {
    let dest = s.destination().await?;
    put_image(dest.as_ref(), img).await?;
    dest.commit().await
}

/// Commits `img` as an earlier image where the transport lets a later write follow one;
/// returns whether it did (where it does not, `put_commit_get` checks the refusal).
async fn commit_earlier_image(s: &dyn Subject, img: &TestImage) -> Result<bool> {
    if s.caps().refuses_second_write {
        return Ok(false);
    }
    write_committed(s, img).await?;
    Ok(true)
}

async fn ensure_second_write_refused(s: &dyn Subject) -> Result<()> {
    match s.destination().await {
        Ok(_) => bail!("a second write was allowed; capability says it is refused"),
        Err(e) => ensure!(
            format!("{e:#}").contains(SECOND_WRITE_REFUSED),
            "a second write was refused, but: {e:#}"
        ),
    }
    Ok(())
}

/// The top-level manifest a source sees now, if it sees one.
async fn visible_manifest(s: &dyn Subject) -> Option<Bytes> {
    let src = s.source().await.ok()?;
    src.manifest(None).await.ok().map(|m| m.bytes)
}

async fn read_blob(src: &dyn ImageSource, info: &BlobInfo) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    src.blob(info).await?.read_to_end(&mut out).await?;
    Ok(out)
}

/// Checks that the source serves `img`: its manifest (exactly, where the transport keeps
/// bytes) and its blobs.
async fn check_serves(s: &dyn Subject, img: &TestImage) -> Result<()> {
    let src = s.source().await?;
    let (bytes, mime) = src.manifest(None).await?.resolved();
    if s.caps().keeps_manifest_bytes {
        ensure!(bytes == img.manifest, "the manifest read back differs");
    }
    let parsed = Manifest::parse(&bytes, &mime)?;
    ensure!(
        parsed.config_info().map(|c| c.digest) == Some(img.config_info.digest.clone()),
        "the manifest names another config"
    );
    let layers: Vec<Digest> = parsed.layer_infos().into_iter().map(|l| l.digest).collect();
    ensure!(
        layers == vec![img.layer_info.digest.clone()],
        "the manifest names other layers: {layers:?}"
    );
    ensure!(read_blob(src.as_ref(), &img.config_info).await? == img.config);
    ensure!(read_blob(src.as_ref(), &img.layer_info).await? == img.layer);
    Ok(())
}

pub async fn put_commit_get(s: &dyn Subject) -> Result<()> {
    let img = test_image(s, "one");
    let config = &img.config_info.digest;
    let dest = s.destination().await?;
    put_image(dest.as_ref(), &img).await?;
    match s.caps().publishes {
        Publishes::OnCommit => {
            ensure!(
                visible_manifest(s).await.is_none(),
                "an uncommitted image is visible"
            );
            ensure!(
                s.peer_sees(config).await? != Some(true),
                "the peer sees an uncommitted image"
            );
        }
        Publishes::AsPut => ensure!(
            visible_manifest(s).await.is_some(),
            "a manifest put is not visible; capability says it is"
        ),
    }
    dest.commit().await?;
    check_serves(s, &img).await?;
    ensure!(
        s.peer_sees(config).await? != Some(false),
        "the peer does not see the committed image"
    );
    if s.caps().refuses_second_write {
        ensure_second_write_refused(s).await?;
    }
    Ok(())
}

pub async fn reuse(s: &dyn Subject) -> Result<()> {
    let caps = s.caps();
    let img = test_image(s, "one");
    let never = test_image(s, "never written");
    let dest = s.destination().await?;
    ensure!(dest.try_reuse_blob(&img.layer_info).await?.is_none());
    put_image(dest.as_ref(), &img).await?;
    let reused = dest
        .try_reuse_blob(&img.layer_info)
        .await?
        .context("a blob this write stored is not reused")?;
    ensure!(reused.digest == img.layer_info.digest && reused.size == img.layer_info.size);
    ensure!(dest.try_reuse_blob(&never.layer_info).await?.is_none());
    dest.commit().await?;

    if caps.refuses_second_write {
        return ensure_second_write_refused(s).await;
    }
    let next = s.destination().await?;
    let again = next.try_reuse_blob(&img.layer_info).await?;
    ensure!(
        again.is_some() == caps.reuses_committed_blobs,
        "reusing a committed blob: {again:?}, capability says {}",
        caps.reuses_committed_blobs
    );
    ensure!(next.try_reuse_blob(&never.layer_info).await?.is_none());
    Ok(())
}

pub async fn abort_leaves_nothing(s: &dyn Subject) -> Result<()> {
    let caps = s.caps();
    let one = test_image(s, "one");
    let had_one = commit_earlier_image(s, &one).await?;
    let before = s.snapshot();
    // A snapshot blind to what is stored would let every write pass as leaving nothing.
    ensure!(
        !had_one || !before.images.is_empty(),
        "the snapshot does not show the image committed before"
    );
    let two = test_image(s, "two");
    let dest = s.destination().await?;
    match caps.publishes {
        Publishes::OnCommit => {
            put_image(dest.as_ref(), &two).await?;
            if caps.stores_signatures {
                dest.put_signatures(&[signature()], None).await?;
            }
        }
        // Everything up to the manifest, which would publish the image.
        Publishes::AsPut => {
            put_as(dest.as_ref(), &two.config, &two.config_info, true).await?;
            put_as(dest.as_ref(), &two.layer, &two.layer_info, false).await?;
        }
    }
    drop(dest);
    ensure_unchanged(s, &before, caps.publishes == Publishes::AsPut)?;
    if had_one {
        // What was committed before is untouched.
        check_serves(s, &one).await?;
    }
    Ok(())
}

/// Checks that what `s` stores is as `before`; with `blobs_may_stay`, apart from blobs a
/// registry keeps once sent.
fn ensure_unchanged(s: &dyn Subject, before: &Snapshot, blobs_may_stay: bool) -> Result<()> {
    let after = s.snapshot();
    let listed = |snap: &Snapshot| -> Vec<String> {
        let blobs = if blobs_may_stay { &[][..] } else { &snap.blobs };
        snap.images.iter().chain(blobs).cloned().collect()
    };
    let (before, after) = (listed(before), listed(&after));
    let added: Vec<_> = after.iter().filter(|e| !before.contains(e)).collect();
    let removed: Vec<_> = before.iter().filter(|e| !after.contains(e)).collect();
    ensure!(
        added.is_empty() && removed.is_empty(),
        "an uncommitted write left a trace: added {added:?}, removed {removed:?}"
    );
    Ok(())
}

/// `manifest` with an annotation, to make instances that differ.
fn annotated(manifest: &[u8], value: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    v["annotations"] = serde_json::json!({ "conformance": value });
    serde_json::to_vec(&v).unwrap()
}

fn list_of(manifest_type: &str, instances: &[(Vec<u8>, &str)]) -> Vec<u8> {
    let list_type = if manifest_type == mt::OCI_MANIFEST {
        mt::OCI_INDEX
    } else {
        mt::DOCKER_V2_LIST
    };
    let manifests: Vec<_> = instances
        .iter()
        .map(|(m, arch)| {
            serde_json::json!({
                "mediaType": manifest_type,
                "digest": Digest::sha256_of(m),
                "size": m.len(),
                "platform": {"architecture": arch, "os": "linux"},
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": list_type,
        "manifests": manifests,
    }))
    .unwrap()
}

pub async fn lists(s: &dyn Subject) -> Result<()> {
    let caps = s.caps();
    let dest = s.destination().await?;
    let types = dest.properties().supported_manifest_types;
    let takes_lists = types.is_empty() || types.iter().any(|t| mt::is_list(t));
    ensure!(
        takes_lists == caps.stores_lists,
        "properties name types {types:?}, capability says lists: {}",
        caps.stores_lists
    );
    if !caps.stores_lists {
        // The engine refuses to copy a list here, before writing anything.
        return Ok(());
    }
    let img = test_image(s, "one");
    put_as(dest.as_ref(), &img.config, &img.config_info, true).await?;
    put_as(dest.as_ref(), &img.layer, &img.layer_info, false).await?;
    let instances = [
        (annotated(&img.manifest, "a"), "amd64"),
        (annotated(&img.manifest, "b"), "arm64"),
    ];
    for (m, _) in &instances {
        dest.put_manifest(m, Some(&Digest::sha256_of(m))).await?;
    }
    let list = list_of(caps.manifest_type, &instances);
    dest.put_manifest(&list, None).await?;
    dest.commit().await?;

    let src = s.source().await?;
    ensure!(
        src.manifest(None).await?.bytes == list,
        "the list read back differs"
    );
    for (m, _) in &instances {
        let got = src.manifest(Some(&Digest::sha256_of(m))).await?.bytes;
        ensure!(got == m[..], "an instance read back differs");
    }
    Ok(())
}

/// A destination refuses `bad` sent as `info` (through `put_blob` and, where it takes local
/// files, `put_local_blob`) with `why` in the error, and does not count it as written.
async fn refuses(
    dest: &dyn ImageDestination,
    bad: &[u8],
    info: &BlobInfo,
    local: &LocalBlob,
    why: &str,
) -> Result<()> {
    let err = match put_as(dest, bad, info, false).await {
        Ok(_) => bail!("put_blob stored bytes that are not the blob"),
        Err(e) => format!("{e:#}"),
    };
    ensure!(err.contains(why), "put_blob refused, but: {err}");
    ensure!(
        dest.try_reuse_blob(info).await?.is_none(),
        "a refused blob counts as written"
    );
    match dest.put_local_blob(local, info).await {
        Ok(Some(_)) => bail!("put_local_blob stored a file that is not the blob"),
        Ok(None) => {}
        Err(e) => ensure!(
            format!("{e:#}").contains(why),
            "put_local_blob refused, but: {e:#}"
        ),
    }
    ensure!(
        dest.try_reuse_blob(info).await?.is_none(),
        "a refused local blob counts as written"
    );
    Ok(())
}

pub async fn corrupt_blob_refused(s: &dyn Subject) -> Result<()> {
    let caps = s.caps();
    commit_earlier_image(s, &test_image(s, "one")).await?;
    let before = s.snapshot();
    let img = test_image(s, "two");
    let mut bad = img.layer.clone();
    // A tar's file contents (still a valid tar, not the blob), or inside a gzip stream.
    let at = if caps.gzip_layers { bad.len() / 2 } else { 512 };
    bad[at] ^= 0x20;
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), &bad)?;
    let local = LocalBlob {
        path: file.path().to_path_buf(),
        offset: 0,
        len: bad.len() as u64,
    };
    let dest = s.destination().await?;
    refuses(
        dest.as_ref(),
        &bad,
        &img.layer_info,
        &local,
        "Digest did not match",
    )
    .await?;
    drop(dest);
    ensure_unchanged(s, &before, false)?;

    // Through the engine: a source serving a corrupt layer fails the copy, leaving nothing.
    let from = MemoryStore::new();
    let mut contents = contents_of(&img);
    contents
        .blobs
        .insert(img.layer_info.digest.clone(), Bytes::from(bad));
    from.set_contents(contents);
    let err = engine_copy(Box::new(from.source()), s.destination().await?)
        .await
        .err()
        .context("the engine copied a corrupt layer")?;
    ensure!(
        format!("{err:#}").contains("Digest did not match"),
        "the copy failed, but: {err:#}"
    );
    // The engine may have sent the config before the layer failed.
    ensure_unchanged(s, &before, caps.publishes == Publishes::AsPut)
}

pub async fn truncated_blob_refused(s: &dyn Subject) -> Result<()> {
    commit_earlier_image(s, &test_image(s, "one")).await?;
    let before = s.snapshot();
    let img = test_image(s, "two");
    let short = &img.layer[..img.layer.len() / 2];
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), &img.layer)?;
    // The file holds the whole blob; the local blob says it is only its first half.
    let local = LocalBlob {
        path: file.path().to_path_buf(),
        offset: 0,
        len: short.len() as u64,
    };
    let dest = s.destination().await?;
    refuses(
        dest.as_ref(),
        short,
        &img.layer_info,
        &local,
        "Size mismatch",
    )
    .await?;
    drop(dest);
    ensure_unchanged(s, &before, false)
}

fn signature() -> Signature {
    // The first byte marks an OpenPGP message, as a simple signature starts.
    Signature::SimpleSigning(vec![0xA3, 0x01, 0x02, 0x03, 0x04])
}

pub async fn signatures(s: &dyn Subject) -> Result<()> {
    let caps = s.caps();
    let img = test_image(s, "one");
    let dest = s.destination().await?;
    let supported = dest.properties().supports_signatures.is_ok();
    ensure!(
        supported == caps.stores_signatures,
        "properties say signatures {}supported, capability says {}",
        if supported { "" } else { "not " },
        caps.stores_signatures
    );
    put_image(dest.as_ref(), &img).await?;
    // Nothing to store is fine everywhere.
    dest.put_signatures(&[], None).await?;
    let sigs = vec![signature()];
    if !caps.stores_signatures {
        ensure!(
            dest.put_signatures(&sigs, None).await.is_err(),
            "signatures were accepted by a destination that cannot store them"
        );
        return Ok(());
    }
    dest.put_signatures(&sigs, None).await?;
    dest.commit().await?;
    let got = s.source().await?.signatures(None).await?;
    ensure!(got == sigs, "signatures read back differ: {got:?}");
    Ok(())
}

fn memory_label() -> ImageLabel {
    ImageLabel {
        display: "memory:conformance".into(),
        transport: "memory".into(),
        docker_reference: None,
    }
}

/// The engine's core copy between two opened ends, nothing asked of their names.
async fn engine_copy(
    src: Box<dyn ImageSource>,
    dest: Box<dyn ImageDestination>,
) -> Result<crate::copy::Copied> {
    let names = Names {
        source: memory_label(),
        dest: memory_label(),
        source_policy: PolicySubject {
            transport: "memory".into(),
            identity: String::new(),
            namespaces: Vec::new(),
            display: "memory:conformance".into(),
        },
    };
    let cache = tempfile::tempdir()?;
    let mut options = Options::default();
    options.source_ctx.blob_info_cache_dir = Some(cache.path().to_path_buf());
    options.dest_ctx.blob_info_cache_dir = Some(cache.path().to_path_buf());
    let policy = Policy::insecure_accept_anything();
    crate::copy::copy(src, dest, &names, &policy, &options, &Silent, None).await
}

/// The engine copies an image into the transport and back out unchanged.
pub async fn engine_round_trip(s: &dyn Subject) -> Result<()> {
    let img = test_image(s, "one");
    let from = MemoryStore::new();
    from.set_contents(contents_of(&img));
    engine_copy(Box::new(from.source()), s.destination().await?)
        .await
        .context("copying in")?;
    check_serves(s, &img).await?;
    let to = MemoryStore::new();
    let copied = engine_copy(s.source().await?, Box::new(to.destination()))
        .await
        .context("copying out")?;
    let back = Memory { store: to };
    let caps = Caps {
        keeps_manifest_bytes: s.caps().keeps_manifest_bytes,
        ..back.caps()
    };
    ensure!(
        copied.manifest == back.store.contents().manifests[&None].bytes,
        "the copy reported another manifest than it wrote"
    );
    check_serves(&WithCaps(&back, caps), &img).await
}

/// A subject seen with other capabilities (what came out of another transport).
struct WithCaps<'a>(&'a Memory, Caps);

#[async_trait]
impl Subject for WithCaps<'_> {
    fn caps(&self) -> Caps {
        self.1
    }
    async fn destination(&self) -> Result<Box<dyn ImageDestination>> {
        self.0.destination().await
    }
    async fn source(&self) -> Result<Box<dyn ImageSource>> {
        self.0.source().await
    }
    fn snapshot(&self) -> Snapshot {
        self.0.snapshot()
    }
}

#[cfg(test)]
fn memory() -> Memory {
    Memory {
        store: MemoryStore::new(),
    }
}

#[cfg(test)]
fn dir() -> Named {
    Named::new(
        "dir:{root}/image",
        Caps {
            manifest_type: mt::OCI_MANIFEST,
            gzip_layers: false,
            keeps_manifest_bytes: true,
            reuses_committed_blobs: false,
            stores_lists: true,
            stores_signatures: true,
            refuses_second_write: false,
            publishes: Publishes::OnCommit,
        },
    )
}

#[cfg(test)]
fn oci() -> Named {
    Named::new(
        "oci:{root}/layout:latest",
        Caps {
            manifest_type: mt::OCI_MANIFEST,
            gzip_layers: true,
            keeps_manifest_bytes: true,
            reuses_committed_blobs: true,
            stores_lists: true,
            stores_signatures: false,
            refuses_second_write: false,
            publishes: Publishes::OnCommit,
        },
    )
}

#[cfg(test)]
fn oci_archive() -> Named {
    Named::new(
        "oci-archive:{root}/image.tar:latest",
        Caps {
            manifest_type: mt::OCI_MANIFEST,
            gzip_layers: true,
            keeps_manifest_bytes: true,
            reuses_committed_blobs: false,
            stores_lists: true,
            stores_signatures: false,
            refuses_second_write: false,
            publishes: Publishes::OnCommit,
        },
    )
}

#[cfg(test)]
fn docker_archive() -> Named {
    Named::new(
        "docker-archive:{root}/image.tar:example.com/conformance:latest",
        Caps {
            manifest_type: mt::DOCKER_V2_SCHEMA2,
            gzip_layers: false,
            keeps_manifest_bytes: false,
            reuses_committed_blobs: false,
            stores_lists: false,
            stores_signatures: false,
            refuses_second_write: true,
            publishes: Publishes::OnCommit,
        },
    )
}

#[cfg(test)]
/// A private vfs store, written in this process: that needs root (an ordinary user's skiff
/// re-runs itself in a user namespace, which a test in one process cannot).
fn containers_storage() -> Named {
    // SAFETY: geteuid has no preconditions.
    assert!(
        unsafe { libc::geteuid() } == 0,
        "the containers-storage conformance suite runs in this process, which needs root"
    );
    Named::new(
        "containers-storage:[vfs@{root}/graph+{root}/run]localhost/conformance:latest",
        Caps {
            manifest_type: mt::DOCKER_V2_SCHEMA2,
            gzip_layers: false,
            keeps_manifest_bytes: true,
            reuses_committed_blobs: true,
            stores_lists: false,
            stores_signatures: true,
            refuses_second_write: false,
            publishes: Publishes::OnCommit,
        },
    )
}

/// One test per check (`…::reuse`) for the subject `$subject()` makes; `optional` when it
/// returns an `Option` (`None`: its peer is missing, and the test returns having said so).
#[macro_export]
#[doc(hidden)]
macro_rules! conformance_checks {
    (@each $how:tt $subject:path) => {
        $crate::conformance_checks!(@checks $how $subject: put_commit_get, reuse,
            abort_leaves_nothing, lists, corrupt_blob_refused, truncated_blob_refused,
            signatures, engine_round_trip);
    };
    (@checks $how:tt $subject:path: $($check:ident),*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $check() {
            let subject = $crate::conformance_checks!(@open $how $subject);
            if let Err(e) = $crate::conformance::$check(&subject).await {
                panic!("{}: {e:#}", stringify!($subject));
            }
        }
    )*};
    (@open [] $subject:path) => { $subject() };
    (@open [optional] $subject:path) => {
        match $subject() {
            Some(subject) => subject,
            None => return,
        }
    };
    (optional $subject:path) => {
        $crate::conformance_checks!(@each [optional] $subject);
    };
    ($subject:path) => {
        $crate::conformance_checks!(@each [] $subject);
    };
}

/// The local transports, one module each (`conformance::oci::reuse`).
#[cfg(test)]
macro_rules! suite {
    ($($transport:ident),* $(,)?) => {$(
        mod $transport {
            crate::conformance_checks!(super::$transport);
        }
    )*};
}

#[cfg(test)]
suite!(
    memory,
    dir,
    oci,
    oci_archive,
    docker_archive,
    containers_storage
);
