//! Applying a layer tarball to a directory of its own, as containers/storage extracts layers:
//! owners, modes (set-id bits included), times, extended attributes, hard links, devices —
//! while writing the layer's tar-split and hashing the uncompressed stream in the same pass.
//!
//! Whiteouts (`.wh.NAME`, `.wh..wh..opq`) are either turned into overlayfs's format (a 0/0
//! character device, the `trusted.overlay.opaque` attribute, `user.overlay.opaque` in a
//! rootless store), kept as files (overlay with a `mount_program`, which reads them so), or
//! recorded for the vfs driver, which applies them when it merges the layer onto a copy of
//! its parent.
//!
//! In a rootless store (a user namespace) devices cannot be made: c/storage skips them (the
//! tar-split still has them) and ignores extended attributes the kernel refuses there.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::fsops::{self, os};
use crate::digest::{Algorithm, Digest, HashingReader};
use crate::go::tar::{self as gotar, Header, TarReader};
use crate::go::tarsplit::{self, CRC64, Packer};

pub const WHITEOUT_PREFIX: &str = ".wh.";
pub const WHITEOUT_META_PREFIX: &str = ".wh..wh.";
pub const WHITEOUT_OPAQUE: &str = ".wh..wh..opq";

/// Seconds and nanoseconds.
pub type Timespec = (i64, u32);

/// How whiteouts end up on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whiteouts {
    /// overlayfs: character devices and the opaque attribute.
    Overlay,
    /// Kept as the archive has them (overlay with a mount program: the AUFS format).
    Keep,
    /// Recorded in [`Applied`] for a later merge (vfs).
    Record,
}

/// What applying a layer found out.
#[derive(Debug, Default)]
pub struct Applied {
    pub diff_id: Option<Digest>,
    pub diff_size: u64,
    pub uids: BTreeSet<u32>,
    pub gids: BTreeSet<u32>,
    /// Paths (relative, cleaned) removed from the layers below.
    pub whiteouts: Vec<PathBuf>,
    /// Directories whose lower contents are hidden.
    pub opaques: Vec<PathBuf>,
    /// Directories the archive names, with their times (restored after a merge).
    pub dirs: Vec<(PathBuf, Timespec, Timespec)>,
    /// Hard links to files that are not in this layer (vfs: made against the merged tree).
    pub deferred_links: Vec<(PathBuf, PathBuf)>,
    /// Directories created only because an entry needed a parent.
    pub implicit_dirs: HashSet<PathBuf>,
}

/// Applies the uncompressed layer `input` under `root` (an existing, empty directory) and
/// writes its tar-split to `tar_split` (gzip'd).
pub fn apply(input: impl Read, root: &Path, tar_split: &Path, mode: Whiteouts) -> Result<Applied> {
    let hashing = HashingReader::new(input, Algorithm::Sha256);
    let mut tr = TarReader::new(BufReader::with_capacity(256 << 10, hashing));
    let ts_file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(tar_split)
        .with_context(|| format!("creating {}", tar_split.display()))?;
    let gz =
        flate2::write::GzEncoder::new(io::BufWriter::new(ts_file), flate2::Compression::fast());
    let mut packer = Packer::new(gz);
    let mut ex = Extractor {
        root: root.to_path_buf(),
        mode,
        rootless: super::userns::is_rootless(),
        applied: Applied::default(),
        real_dirs: HashSet::new(),
        buf: vec![0u8; 1 << 20],
    };
    ex.real_dirs.insert(PathBuf::new());

    while let Some(hdr) = tr.next_header()? {
        if hdr.typeflag == gotar::TYPE_SPARSE {
            bail!("sparse files in layers are not supported");
        }
        let raw = tr.take_raw();
        if !raw.is_empty() {
            packer.segment(&raw)?;
        }
        let crc = ex.entry(&hdr, &mut tr).with_context(|| {
            format!(
                "extracting {:?}",
                String::from_utf8_lossy(&hdr.name).into_owned()
            )
        })?;
        packer.file(&hdr.name, hdr.size, (hdr.size > 0).then_some(crc))?;
        let raw = tr.take_raw();
        if !raw.is_empty() {
            packer.segment(&raw)?;
        }
    }
    let raw = tr.take_raw();
    if !raw.is_empty() {
        packer.segment(&raw)?;
    }
    // Whatever follows the end-of-archive blocks is kept too, then an empty segment, as
    // tar-split records the end of the stream.
    let mut rest = tr.into_inner();
    tarsplit::pack_trailer(&mut packer, &mut rest, |_| Ok(()))?;
    let gz = packer.into_inner();
    let mut w = gz.finish()?;
    w.flush()?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all().ok();

    ex.finish_dirs()?;
    let (_, diff_id, diff_size) = rest.into_inner().finish();
    let mut applied = ex.applied;
    applied.diff_id = diff_id;
    applied.diff_size = diff_size;
    Ok(applied)
}

struct Extractor {
    root: PathBuf,
    mode: Whiteouts,
    /// In a user namespace for an ordinary user (no devices, `user.` overlay attributes).
    rootless: bool,
    applied: Applied,
    /// Relative directories known to be real directories (not symlinks) under the root.
    real_dirs: HashSet<PathBuf>,
    buf: Vec<u8>,
}

fn time_max(a: Option<gotar::UnixTime>, m: gotar::UnixTime) -> Timespec {
    let (a, m) = (a.map(gotar::UnixTime::normalized), m.normalized());
    match a {
        Some(a) if a > m => a,
        _ => m,
    }
}

impl Extractor {
    /// Makes sure the relative directory `rel` exists as a real directory, creating missing
    /// parts (0755) and resolving nothing through symlinks: a symlinked parent inside a
    /// single layer's tree is refused rather than followed out of it.
    fn ensure_dir(&mut self, rel: &Path) -> Result<()> {
        if self.real_dirs.contains(rel) {
            return Ok(());
        }
        if let Some(parent) = rel.parent() {
            self.ensure_dir(parent)?;
        }
        let full = self.root.join(rel);
        match fs::symlink_metadata(&full) {
            Ok(md) if md.is_dir() => {}
            Ok(md) if md.file_type().is_symlink() => {
                bail!(
                    "{} is a symbolic link in the same layer; refusing to write through it",
                    rel.display()
                )
            }
            Ok(_) => bail!("{} is not a directory", rel.display()),
            Err(_) => {
                use std::os::unix::fs::DirBuilderExt;
                fs::DirBuilder::new().mode(0o755).create(&full)?;
                self.applied.implicit_dirs.insert(rel.to_path_buf());
            }
        }
        self.real_dirs.insert(rel.to_path_buf());
        Ok(())
    }

    /// Extracts one entry; returns the CRC of its contents.
    fn entry(&mut self, hdr: &Header, content: &mut impl Read) -> Result<[u8; 8]> {
        let mut crc = CRC64.digest();
        let cleaned = tarsplit::clean_path(&hdr.name);
        let cleaned = cleaned.strip_prefix(b"/").unwrap_or(&cleaned).to_vec();
        if cleaned == b".." || cleaned.starts_with(b"../") {
            bail!(
                "{:?} is outside of the layer",
                String::from_utf8_lossy(&hdr.name)
            );
        }
        let rel = if cleaned == b"." {
            PathBuf::new()
        } else {
            PathBuf::from(os(&cleaned))
        };
        let base = rel
            .file_name()
            .map(|b| b.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !base.starts_with(WHITEOUT_PREFIX) {
            self.applied.uids.insert(hdr.uid as u32);
            self.applied.gids.insert(hdr.gid as u32);
        }
        if hdr.typeflag == gotar::TYPE_GLOBAL {
            drain(content, &mut crc, &mut self.buf)?;
            return Ok(crc.finalize().to_be_bytes());
        }
        let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
        if !rel.as_os_str().is_empty() {
            self.ensure_dir(&parent)?;
        }

        if let Some(hidden) = base
            .strip_prefix(WHITEOUT_PREFIX)
            .filter(|_| self.mode != Whiteouts::Keep)
        {
            drain(content, &mut crc, &mut self.buf)?;
            if base == WHITEOUT_OPAQUE {
                self.opaque(&parent, hdr)?;
            } else if !base.starts_with(WHITEOUT_META_PREFIX) {
                let victim = parent.join(hidden);
                self.whiteout(&victim, hdr)?;
            }
            return Ok(crc.finalize().to_be_bytes());
        }

        let path = self.root.join(&rel);
        if let Ok(md) = fs::symlink_metadata(&path) {
            let keep = md.is_dir() && hdr.typeflag == gotar::TYPE_DIR;
            if !keep {
                fsops::remove_all(&path)?;
                self.real_dirs.retain(|d| !d.starts_with(&rel));
            }
        }
        let perm = hdr.mode as u32 & 0o7777;
        match hdr.typeflag {
            gotar::TYPE_DIR => {
                if rel.as_os_str().is_empty() || fs::symlink_metadata(&path).is_ok() {
                    // The root, or a directory this layer already made.
                } else {
                    use std::os::unix::fs::DirBuilderExt;
                    fs::DirBuilder::new().mode(perm & 0o777).create(&path)?;
                }
                self.applied.implicit_dirs.remove(&rel);
                self.real_dirs.insert(rel.clone());
            }
            gotar::TYPE_REG | gotar::TYPE_CONT => {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(perm & 0o777)
                    .open(&path)?;
                loop {
                    let n = content.read(&mut self.buf)?;
                    if n == 0 {
                        break;
                    }
                    crc.update(&self.buf[..n]);
                    f.write_all(&self.buf[..n])?;
                }
            }
            gotar::TYPE_SYMLINK => {
                std::os::unix::fs::symlink(os(&hdr.link_name), &path)?;
            }
            gotar::TYPE_LINK => {
                let target = tarsplit::clean_path(&hdr.link_name);
                let target = target.strip_prefix(b"/").unwrap_or(&target).to_vec();
                if target == b".." || target.starts_with(b"../") {
                    bail!(
                        "invalid hardlink {:?} -> {:?}",
                        String::from_utf8_lossy(&hdr.name),
                        String::from_utf8_lossy(&hdr.link_name)
                    );
                }
                let target_path = self.root.join(os(&target));
                if fs::symlink_metadata(&target_path).is_ok() {
                    fs::hard_link(&target_path, &path)?;
                } else if self.mode == Whiteouts::Record {
                    self.applied
                        .deferred_links
                        .push((rel.clone(), PathBuf::from(os(&target))));
                    return Ok(crc.finalize().to_be_bytes());
                } else {
                    bail!(
                        "hard link target {:?} is not in the layer",
                        String::from_utf8_lossy(&hdr.link_name)
                    );
                }
            }
            gotar::TYPE_CHAR | gotar::TYPE_BLOCK if self.rootless => {
                // A user namespace cannot make devices; c/storage leaves them out.
                return Ok(crc.finalize().to_be_bytes());
            }
            gotar::TYPE_CHAR => fsops::mknod(
                &path,
                libc::S_IFCHR,
                perm,
                hdr.dev_major as u32,
                hdr.dev_minor as u32,
            )?,
            gotar::TYPE_BLOCK => fsops::mknod(
                &path,
                libc::S_IFBLK,
                perm,
                hdr.dev_major as u32,
                hdr.dev_minor as u32,
            )?,
            gotar::TYPE_FIFO => fsops::mknod(&path, libc::S_IFIFO, perm, 0, 0)?,
            other => bail!("unhandled tar header type {other}"),
        }
        self.set_metadata(&path, hdr)?;
        if hdr.typeflag == gotar::TYPE_DIR {
            self.applied
                .dirs
                .push((rel, time_max(hdr.atime, hdr.mtime), hdr.mtime.normalized()));
        }
        Ok(crc.finalize().to_be_bytes())
    }

    fn set_metadata(&self, path: &Path, hdr: &Header) -> Result<()> {
        if let Err(e) = fsops::lchown(path, hdr.uid as u64, hdr.gid as u64) {
            let inside = Path::new("/").join(path.strip_prefix(&self.root).unwrap_or(path));
            let lchown = format!(
                "lchown {}: {}",
                inside.display(),
                crate::gotext::go_errno_text(&e)
            );
            if e.raw_os_error() == Some(libc::EINVAL) {
                // An id the user namespace does not map: c/storage's words.
                bail!(
                    "potentially insufficient UIDs or GIDs available in user namespace (requested {}:{} for {}): Check /etc/subuid and /etc/subgid if configured locally and run podman-system-migrate: {lchown}",
                    hdr.uid,
                    hdr.gid,
                    inside.display()
                );
            }
            bail!("{lchown}");
        }
        let is_symlink = hdr.typeflag == gotar::TYPE_SYMLINK;
        let link_to_symlink = hdr.typeflag == gotar::TYPE_LINK
            && fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if !is_symlink && !link_to_symlink {
            fsops::chmod(path, hdr.mode as u32)?;
        }
        if hdr.typeflag != gotar::TYPE_DIR {
            let atime = time_max(hdr.atime, hdr.mtime);
            fsops::lutimes(path, atime, hdr.mtime.normalized())?;
        }
        for (k, v) in &hdr.xattrs {
            let k = String::from_utf8_lossy(k);
            if k == "security.selinux" {
                continue;
            }
            match fsops::lsetxattr(path, &k, v) {
                Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => {}
                Err(e) if self.rootless && e.raw_os_error() == Some(libc::EPERM) => {
                    crate::error::warn(&format!(
                        "ignored xattrs in archive: underlying filesystem doesn't support them ({k}: {})",
                        crate::gotext::go_errno_text(&e)
                    ));
                }
                other => other.with_context(|| format!("setting extended attribute {k}"))?,
            }
        }
        Ok(())
    }

    fn opaque(&mut self, dir: &Path, hdr: &Header) -> Result<()> {
        match self.mode {
            Whiteouts::Overlay => {
                let full = self.root.join(dir);
                let name = if self.rootless {
                    "user.overlay.opaque"
                } else {
                    "trusted.overlay.opaque"
                };
                fsops::lsetxattr(&full, name, b"y")
                    .with_context(|| format!("marking {} opaque", dir.display()))?;
                let _ = hdr;
            }
            Whiteouts::Record => self.applied.opaques.push(dir.to_path_buf()),
            Whiteouts::Keep => unreachable!("kept whiteouts are plain entries"),
        }
        Ok(())
    }

    fn whiteout(&mut self, victim: &Path, hdr: &Header) -> Result<()> {
        let full = self.root.join(victim);
        match self.mode {
            Whiteouts::Overlay => {
                fsops::remove_all(&full)?;
                fsops::mknod(&full, libc::S_IFCHR, 0, 0, 0)?;
                fsops::lchown(&full, hdr.uid as u64, hdr.gid as u64)?;
            }
            Whiteouts::Record => {
                // Something this layer made earlier goes too.
                fsops::remove_all(&full)?;
                self.applied.whiteouts.push(victim.to_path_buf());
            }
            Whiteouts::Keep => unreachable!("kept whiteouts are plain entries"),
        }
        Ok(())
    }

    /// Directory times, once nothing more is written into them.
    fn finish_dirs(&mut self) -> Result<()> {
        for (rel, atime, mtime) in &self.applied.dirs {
            let p = self.root.join(rel);
            if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                fsops::lutimes(&p, *atime, *mtime)?;
            }
        }
        Ok(())
    }
}

fn drain(
    r: &mut impl Read,
    crc: &mut crc::Digest<'_, u64, crc::Table<16>>,
    buf: &mut [u8],
) -> Result<()> {
    loop {
        let n = r.read(buf)?;
        if n == 0 {
            return Ok(());
        }
        crc.update(&buf[..n]);
    }
}
