//! Advisory locks (flock) on directories, shared between skiff processes.
//!
//! The lock is taken on the directory itself rather than on a lock file inside it: the
//! directory stays exactly what skopeo writes (no extra file to confuse a reader or a
//! comparison), and the kernel drops the lock when its holder dies, even by SIGKILL. c/image
//! has no lock of its own for layouts to stay compatible with.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A held lock; released when dropped (or when the process ends, however it ends).
pub struct DirLock {
    /// `None` where the file system has no flock for directories (some network file
    /// systems): skiff then works unlocked, as skopeo always does.
    _dir: Option<File>,
}

/// Errors that mean "this file system cannot lock a directory", not "someone holds it".
fn unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EBADF | libc::ENOLCK | libc::EOPNOTSUPP | libc::EINVAL)
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Many holders at once: work that must not overlap an exclusive section.
    Shared,
    /// One holder: a read-modify-write of shared state.
    Exclusive,
}

fn open_dir(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(path)
}

fn flock(file: &File, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock only takes a descriptor this File owns and an operation code.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

impl DirLock {
    /// Waits for the lock on `path`, creating the directory if it is missing. A directory
    /// removed and made again while this waited is locked afresh, so the lock always guards
    /// the directory now at `path`.
    pub fn acquire(path: &Path, mode: Mode) -> Result<DirLock> {
        let op = match mode {
            Mode::Shared => libc::LOCK_SH,
            Mode::Exclusive => libc::LOCK_EX,
        };
        loop {
            std::fs::create_dir_all(path)
                .with_context(|| format!("creating directory {}", path.display()))?;
            let dir = match open_dir(path) {
                Ok(d) => d,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
            };
            match flock(&dir, op) {
                Ok(()) => {}
                Err(e) if unsupported(&e) => return Ok(DirLock { _dir: None }),
                Err(e) => return Err(e).with_context(|| format!("locking {}", path.display())),
            }
            if same_dir(&dir, path) {
                return Ok(DirLock { _dir: Some(dir) });
            }
        }
    }

    /// Takes the exclusive lock on an existing directory if nobody holds it; `None` if
    /// someone does (or the directory is gone).
    pub fn try_exclusive(path: &Path) -> Option<DirLock> {
        let dir = open_dir(path).ok()?;
        flock(&dir, libc::LOCK_EX | libc::LOCK_NB).ok()?;
        same_dir(&dir, path).then_some(DirLock { _dir: Some(dir) })
    }
}

/// Whether `dir` is still the directory at `path`.
fn same_dir(dir: &File, path: &Path) -> bool {
    match (dir.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// A staging directory that belongs to a live process: it holds the directory's exclusive lock
/// for as long as it exists, so another run can tell a staging directory left by a killed
/// process (nobody holds it) from one in use.
pub struct OwnedStaging {
    pub path: PathBuf,
    /// `None` where directories cannot be locked; such staging is then never swept.
    _lock: Option<DirLock>,
}

impl OwnedStaging {
    /// Creates a new staging directory in `parent`, named `prefix` + random characters.
    pub fn create_in(parent: &Path, prefix: &str) -> Result<OwnedStaging> {
        // Made and locked under the parent's shared lock: a sweep (which holds the parent
        // exclusively) never sees it between the two and takes it for a dead copy's.
        let _parent = DirLock::acquire(parent, Mode::Shared)?;
        let path = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(parent)
            .with_context(|| format!("creating a staging directory in {}", parent.display()))?
            .keep();
        let lock = DirLock::try_exclusive(&path);
        Ok(OwnedStaging { path, _lock: lock })
    }
}

/// What [`sweep_stale_staging`] found.
#[derive(Debug, PartialEq, Eq)]
pub struct Swept {
    /// Stale staging directories removed.
    pub removed: usize,
    /// Whether anything else is in the directory (files, or staging of a live copy).
    pub others: bool,
}

/// Removes the directories named `prefix*` in `parent` that no live process holds (left by a
/// run that was killed); with `dry`, only counts them.
pub fn sweep_stale_staging(parent: &Path, prefix: &str, dry: bool) -> Result<Swept> {
    let mut others = false;
    let mut removed = 0;
    if !parent.is_dir() {
        return Ok(Swept { removed, others });
    }
    let _parent = DirLock::acquire(parent, Mode::Exclusive)?;
    let entries = match std::fs::read_dir(parent) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Swept { removed, others });
        }
        Err(e) => return Err(e).with_context(|| format!("open {}", parent.display())),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let staging = entry.file_name().to_string_lossy().starts_with(prefix)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !staging {
            others = true;
            continue;
        }
        match DirLock::try_exclusive(&path) {
            Some(_held) => {
                if !dry {
                    std::fs::remove_dir_all(&path)
                        .with_context(|| format!("removing stale {}", path.display()))?;
                }
                removed += 1;
            }
            None => others = true,
        }
    }
    Ok(Swept { removed, others })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_staging_is_swept_live_staging_kept() {
        let t = tempfile::tempdir().unwrap();
        let live = OwnedStaging::create_in(t.path(), ".st-").unwrap();
        let dead = OwnedStaging::create_in(t.path(), ".st-").unwrap();
        std::fs::write(dead.path.join("blob"), b"x").unwrap();
        let dead_path = dead.path.clone();
        drop(dead); // as if its process had been killed: the lock is gone, the files stay
        assert!(dead_path.exists());
        let swept = sweep_stale_staging(t.path(), ".st-", false).unwrap();
        assert_eq!(
            swept,
            Swept {
                removed: 1,
                others: true // the live one
            }
        );
        assert!(!dead_path.exists());
        assert!(live.path.exists());
        drop(live);
        let swept = sweep_stale_staging(t.path(), ".st-", false).unwrap();
        assert_eq!(
            swept,
            Swept {
                removed: 1,
                others: false
            }
        );
    }

    #[test]
    fn exclusive_excludes_and_is_released() {
        let t = tempfile::tempdir().unwrap();
        let held = DirLock::acquire(t.path(), Mode::Shared).unwrap();
        assert!(DirLock::try_exclusive(t.path()).is_none());
        drop(held);
        assert!(DirLock::try_exclusive(t.path()).is_some());
    }
}
