//! File-system helpers shared by the local transports: blob files written under a temporary
//! name and renamed into place once complete and synced, reads that refuse to leave the
//! layout, and the verified local-to-local copy.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tempfile::NamedTempFile;
use tokio::io::AsyncReadExt;

use super::{BlobStream, LocalBlob};
use crate::contract::verify::Verifier;
use crate::digest::{Algorithm, Digest, HashingReader};
pub use crate::go::text::go_path_error;

/// Size of one read or write when moving blob bytes.
pub const CHUNK: usize = 1 << 20;
/// Size of one read from a stream that may come off the network: reads return what one
/// response chunk holds (rarely over 64 KiB), so a bigger buffer only adds resident memory
/// per parallel layer.
const NETWORK_CHUNK: usize = 128 << 10;

/// Runs a few bounded reads of regular local files (no FIFO, no device: nothing that can
/// wait). On a one-thread runtime (every command but copy and sync) they run in place:
/// handing them to a pool thread and waking up for the result takes longer than the reads,
/// and is most of an `inspect` of a local archive. Elsewhere they go to the blocking pool,
/// which keeps the runtime's threads free for the streams.
pub async fn few_reads<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() == RuntimeFlavor::CurrentThread {
        return work();
    }
    tokio::task::spawn_blocking(work).await?
}

/// Writes start reaching the disk while the copy goes on, so the final sync is short.
const WRITEBACK_EVERY: u64 = 8 << 20;

/// How temporary blob files are named.
pub const BLOB_TMP_PREFIX: &str = ".skiff-blob-";

/// A blob file being written: a temporary file in the target directory that is removed unless
/// `persist` moves it to its final name.
pub struct BlobFile {
    tmp: NamedTempFile,
    out: Writeback,
}

/// Writes to a file, counting the bytes and starting their writeback every few MiB.
pub struct Writeback {
    file: File,
    written: u64,
    flushed: u64,
}

impl Writeback {
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.written += bytes.len() as u64;
        if self.written - self.flushed >= WRITEBACK_EVERY {
            start_writeback(&self.file, self.flushed, self.written - self.flushed);
            self.flushed = self.written;
        }
        Ok(())
    }
}

impl BlobFile {
    pub fn create_in(dir: &Path) -> Result<BlobFile> {
        let tmp = tempfile::Builder::new()
            .prefix(BLOB_TMP_PREFIX)
            .tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        let file = tmp.as_file().try_clone()?;
        Ok(BlobFile {
            tmp,
            out: Writeback {
                file,
                written: 0,
                flushed: 0,
            },
        })
    }

    /// Holds an exclusive flock on the file while it is written, which tells a sweep that
    /// its writer is alive (one killed by SIGKILL leaves it unlocked).
    pub fn hold_lock(&self) {
        use std::os::fd::AsRawFd;
        // SAFETY: flock only takes a descriptor this file owns; failing is harmless (the file
        // is then simply never swept).
        unsafe {
            libc::flock(
                self.tmp.as_file().as_raw_fd(),
                libc::LOCK_EX | libc::LOCK_NB,
            );
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write(bytes)
    }

    pub fn len(&self) -> u64 {
        self.out.written
    }

    pub fn is_empty(&self) -> bool {
        self.out.written == 0
    }

    /// Copies a local blob into the file on a blocking thread, verifying digest and size.
    /// The thread writes through a handle of its own and never owns the file's name: if this
    /// future is dropped (an interrupt), the file is removed at once with `self`, and the
    /// thread, which cannot be stopped, only finishes writing an unlinked inode. So the
    /// destination's clean-up never races a writer that outlives it.
    pub async fn copy_local(
        &mut self,
        local: &LocalBlob,
        expected: &Digest,
        expected_size: Option<u64>,
    ) -> Result<()> {
        let mut out = Writeback {
            file: self.out.file.try_clone()?,
            written: self.out.written,
            flushed: self.out.flushed,
        };
        let (local, expected) = (local.clone(), expected.clone());
        let out = tokio::task::spawn_blocking(move || -> Result<Writeback> {
            copy_local_verified(&local, &expected, expected_size, &mut out)?;
            Ok(out)
        })
        .await??;
        self.out.written = out.written;
        self.out.flushed = out.flushed;
        Ok(())
    }

    /// A second handle on the file, reading from its start (the file stays while `self` lives).
    pub fn reopen(&self) -> io::Result<File> {
        self.tmp.reopen()
    }

    /// Syncs the data and gives the file its final name (replacing any file there).
    pub fn persist(self, path: &Path) -> Result<()> {
        self.sync(path)?;
        self.rename_to(path)
    }

    /// Makes the data durable (and the file readable by all), ahead of `rename_to`.
    pub fn sync(&self, path: &Path) -> Result<()> {
        let file = self.tmp.as_file();
        file.sync_data()
            .with_context(|| format!("syncing {}", path.display()))?;
        set_mode_0644(file)
    }

    /// Gives a synced file its final name (replacing any file there).
    pub fn rename_to(self, path: &Path) -> Result<()> {
        self.tmp
            .persist(path)
            .map_err(|e| e.error)
            .with_context(|| format!("renaming blob into place at {}", path.display()))?;
        Ok(())
    }
}

fn set_mode_0644(file: &File) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))?;
    Ok(())
}

/// Asks the kernel to begin writing a range out now (no waiting); purely a speed hint.
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: sync_file_range only reads its integer arguments; a failure is harmless.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

/// Writes a whole file atomically: readers see the old contents or the new, never a mix.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut f = BlobFile::create_in(dir)?;
    f.write(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    f.persist(path)
}

/// Streams a blob into `dir`, returning the temporary file, its size and digest. When
/// `known` is given the stream is already being verified by the engine, so hashing it again
/// would be wasted work.
pub async fn receive_stream(
    stream: BlobStream,
    dir: &Path,
    known: Option<&Digest>,
) -> Result<(BlobFile, Digest)> {
    receive_stream_into(BlobFile::create_in(dir)?, stream, known).await
}

/// [`receive_stream`] into a blob file the caller made.
pub async fn receive_stream_into(
    mut file: BlobFile,
    stream: BlobStream,
    known: Option<&Digest>,
) -> Result<(BlobFile, Digest)> {
    let mut stream = HashingReader::maybe(stream, known.is_none().then_some(Algorithm::Sha256));
    let mut buf = vec![0u8; NETWORK_CHUNK];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        // Page-cache writes of 1 MiB are short; a blocking-pool round trip would cost more.
        file.write(&buf[..n])?;
    }
    let digest = match (known, stream.finish().1) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => d,
        (None, None) => unreachable!("a hasher exists whenever no digest is known"),
    };
    Ok((file, digest))
}

/// Copies a blob from a local file into `file`, verifying digest and size on the way.
/// Runs on a blocking thread: it is pure file I/O and hashing.
fn copy_local_verified(
    local: &LocalBlob,
    expected: &Digest,
    expected_size: Option<u64>,
    file: &mut Writeback,
) -> Result<()> {
    let src = open_no_follow(&local.path).map_err(|e| go_path_error("open", &local.path, &e))?;
    let mut verifier = Verifier::new(expected, expected_size);
    let mut buf = vec![0u8; CHUNK];
    let mut pos = local.offset;
    let end = local.offset + local.len;
    while pos < end {
        let want = buf.len().min((end - pos) as usize);
        let n = src.read_at(&mut buf[..want], pos)?;
        if n == 0 {
            break;
        }
        verifier.update(&buf[..n])?;
        file.write(&buf[..n])?;
        pos += n as u64;
    }
    verifier.finish()?;
    Ok(())
}

/// Opens a file for reading without following a symlink in its last component.
pub fn open_no_follow(path: &Path) -> io::Result<File> {
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// The real path of `root/rel`, refusing one that leads out of `root` (through `..` or a
/// symbolic link): layouts come from elsewhere and must not make skiff read arbitrary files.
pub fn resolve_beneath(root: &Path, rel: &Path) -> Result<PathBuf> {
    let path = root.join(rel);
    let real = fs::canonicalize(&path).map_err(|e| go_path_error("open", &path, &e))?;
    let real_root = fs::canonicalize(root).map_err(|e| go_path_error("open", root, &e))?;
    if !real.starts_with(&real_root) {
        bail!(
            "{} leads outside of {}, refusing to read it",
            path.display(),
            root.display()
        );
    }
    Ok(real)
}

/// Opens `root/rel` for reading if it stays within `root` (see `resolve_beneath`).
pub fn open_beneath(root: &Path, rel: &Path) -> Result<File> {
    let real = resolve_beneath(root, rel)?;
    open_no_follow(&real).map_err(|e| go_path_error("open", &root.join(rel), &e).into())
}

/// A whole file within `root` as a local blob; `None` when it is missing or leads outside
/// (the streaming path then reports why).
pub fn local_file_beneath(root: &Path, rel: &Path) -> Option<LocalBlob> {
    let path = resolve_beneath(root, rel).ok()?;
    let meta = fs::metadata(&path).ok()?;
    meta.is_file().then_some(LocalBlob {
        path,
        offset: 0,
        len: meta.len(),
    })
}

/// Reads a whole small file that must stay within `root`, refusing anything over `limit`.
pub fn read_beneath(root: &Path, rel: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = open_beneath(root, rel)?;
    read_limited(file, limit, &root.join(rel))
}

/// Reads at most `limit` bytes; larger input is an error, not an allocation.
pub fn read_limited(file: impl Read, limit: u64, what: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    file.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        bail!("{} is larger than the {limit}-byte limit", what.display());
    }
    Ok(out)
}

/// The largest manifest or index skiff reads (c/image uses 4 MiB for manifests too).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// Makes `path` and its parents, returning the first one that did not exist (to remove if
/// the copy fails).
pub fn create_dir_all_tracking(path: &Path) -> Result<Option<PathBuf>> {
    let mut missing = None;
    let mut p = Some(path);
    while let Some(cur) = p {
        if cur.as_os_str().is_empty() || cur.exists() {
            break;
        }
        missing = Some(cur.to_path_buf());
        p = cur.parent();
    }
    fs::create_dir_all(path).with_context(|| format!("creating directory {}", path.display()))?;
    Ok(missing)
}

/// Removes an abandoned staging directory. A copy cancelled by a signal may still have a
/// blocking thread that creates a blob file in it while the tree is removed (the removal
/// then finds it not empty), so the removal is tried again until it succeeds; a file created
/// after that fails, the directory being gone.
pub fn remove_staging_dir(dir: &Path) {
    for _ in 0..20 {
        match fs::remove_dir_all(dir) {
            Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => continue,
            _ => return,
        }
    }
}

/// Undoes [`create_dir_all_tracking`] after a failed copy: removes `path` and its parents up
/// to `created` (inclusive) while they are empty. Never recursive: another copy may be
/// writing next to this one (concurrent copies into one new parent directory, as sync makes).
pub fn remove_created_dirs(path: &Path, created: &Path) {
    let mut p = Some(path);
    while let Some(cur) = p {
        if fs::remove_dir(cur).is_err() || cur == created {
            break;
        }
        p = cur.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undoing_created_dirs_spares_what_others_put_there() {
        let t = tempfile::tempdir().unwrap();
        let top = t.path().join("new");
        let mine = top.join("a/img");
        let created = create_dir_all_tracking(&mine).unwrap().unwrap();
        assert_eq!(created, top);
        // A concurrent copy writes a sibling under the same new parent.
        fs::create_dir_all(top.join("b")).unwrap();
        fs::write(top.join("b/blob"), b"x").unwrap();
        remove_created_dirs(&mine, &created);
        assert!(!top.join("a").exists());
        assert!(top.join("b/blob").exists());
        // Alone, everything made goes.
        fs::remove_dir_all(&top).unwrap();
        let created = create_dir_all_tracking(&mine).unwrap().unwrap();
        remove_created_dirs(&mine, &created);
        assert!(!top.exists());
        assert!(t.path().exists());
    }
}
