//! containers/storage's lock files: whole-file POSIX (fcntl) record locks, shared for readers
//! and exclusive for writers, plus a 64-byte "last writer" record at the start of the file that
//! every writer replaces before unlocking. Other processes compare that record with the one
//! they saw last to know that they must reload the JSON the lock protects.
//!
//! fcntl locks belong to the process, not the descriptor, and are dropped when *any*
//! descriptor of the file is closed; so every lock file is opened at most once per process
//! at a time, and an in-process mutex keeps two tasks of this process from sharing it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result};

/// Size of the last-writer record.
const LAST_WRITER_LEN: usize = 64;

/// One in-process mutex per lock file path.
fn process_mutex(path: &Path) -> Arc<tokio::sync::Mutex<()>> {
    static MAP: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let map = MAP.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(path.to_path_buf()).or_default().clone()
}

/// A held lock; released when dropped.
pub struct LockGuard {
    file: File,
    path: PathBuf,
    exclusive: bool,
    _process: tokio::sync::OwnedMutexGuard<()>,
}

/// Opens (creating it and its directory if needed) and locks `path`.
pub async fn lock(path: &Path, exclusive: bool) -> Result<LockGuard> {
    let process = process_mutex(path).lock_owned().await;
    let p = path.to_path_buf();
    let file = tokio::task::spawn_blocking(move || lock_blocking(&p, exclusive))
        .await
        .context("lock task")??;
    Ok(LockGuard {
        file,
        path: path.to_path_buf(),
        exclusive,
        _process: process,
    })
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    let open = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
    };
    match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)?;
            }
            open()
        }
        other => other,
    }
}

use std::os::unix::fs::DirBuilderExt;

fn lock_blocking(path: &Path, exclusive: bool) -> Result<File> {
    let file =
        open_lock_file(path).with_context(|| format!("opening lock file {}", path.display()))?;
    // SAFETY: an all-zero flock is a valid value; the fields that matter are set below.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = if exclusive {
        libc::F_WRLCK as i16
    } else {
        libc::F_RDLCK as i16
    };
    fl.l_whence = libc::SEEK_SET as i16;
    fl.l_start = 0;
    fl.l_len = 0;
    loop {
        // SAFETY: the descriptor is open and `fl` is a valid flock.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLKW, &fl) };
        if rc == 0 {
            return Ok(file);
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl LockGuard {
    /// Records this process as the last writer, so other users of the store reload.
    pub fn touch(&self) -> Result<()> {
        assert!(
            self.exclusive,
            "touching a lock that is not held for writing"
        );
        let rec = last_writer_record();
        self.file
            .write_all_at(&rec, 0)
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

/// time (ns, LE u64) | counter (LE u64) | pid (LE u32) | random bytes: c/storage's layout.
fn last_writer_record() -> [u8; LAST_WRITER_LEN] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut rec = [0u8; LAST_WRITER_LEN];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    rec[0..8].copy_from_slice(&now.to_le_bytes());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    rec[8..16].copy_from_slice(&n.to_le_bytes());
    rec[16..20].copy_from_slice(&std::process::id().to_le_bytes());
    fill_random(&mut rec[20..]);
    rec
}

/// Random bytes from the kernel (falls back to a time-derived value if that fails).
pub fn fill_random(buf: &mut [u8]) {
    // SAFETY: the buffer is valid for its length.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n as usize != buf.len() {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(131);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn touch_writes_a_fresh_record_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/layers.lock");
        let g = lock(&p, true).await.unwrap();
        g.touch().unwrap();
        let a = std::fs::read(&p).unwrap();
        g.touch().unwrap();
        let b = std::fs::read(&p).unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(&a[16..20], &std::process::id().to_le_bytes());
        drop(g);
        let _shared = lock(&p, false).await.unwrap();
    }
}
