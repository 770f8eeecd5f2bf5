//! What a copy into a layout may take back when it fails, with other copies writing the same
//! layout at the same time.
//!
//! A failed copy removes a blob file it created only when, under the layout's exclusive lock,
//! (1) no image in `index.json` references it, and (2) the file is still the one it wrote and
//! nobody marked it since. Copies that find a blob already present mark it (under the shared
//! lock) before relying on it, so a blob another copy is about to commit is never taken away.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{DirFiles, LayoutFiles};
use crate::digest::Digest;
use crate::transport::fsutil::{BLOB_TMP_PREFIX, MAX_MANIFEST_SIZE};

/// How a blob file looked when this copy wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    ino: u64,
    mtime: (i64, i64),
}

pub fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::symlink_metadata(path).ok()?;
    Some(Stamp {
        ino: m.ino(),
        mtime: (m.mtime(), m.mtime_nsec()),
    })
}

/// A blob file this copy created.
pub struct AddedBlob {
    pub path: PathBuf,
    pub digest: Digest,
    pub stamp: Stamp,
}

/// Marks a blob another copy may have written as relied upon: its modification time moves
/// forward (by at least a second, which any file system records), so that copy's clean-up
/// sees it changed and keeps it. Content-addressed blobs lose nothing by a new mtime.
pub fn mark_reused(path: &Path) {
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let Ok(old) = file.metadata().and_then(|m| m.modified()) else {
        return;
    };
    let now = SystemTime::now();
    let bumped = old + Duration::from_secs(1);
    // A blob owned by another user cannot be marked; it is then not this user's to clean up
    // either (a failed copy by its owner could still remove it: a rare, loud failure).
    let _ = file.set_modified(now.max(bumped));
}

/// Every blob an image in the layout's `index.json` references, or `None` if the index
/// cannot be read (then nothing is safe to remove).
pub fn referenced_blobs(files: &DirFiles, root: &Path) -> Option<HashSet<Digest>> {
    let mut out = HashSet::new();
    let bytes = match files.read_index() {
        Ok(b) => b,
        Err(_) if !root.join("index.json").exists() => return Some(out),
        Err(_) => return None,
    };
    let index: Value = serde_json::from_slice(&bytes).ok()?;
    let mut nested = Vec::new();
    collect(&index, &mut out, &mut nested);
    walk_nested(files, &mut out, nested);
    Some(out)
}

/// Every blob reachable from the manifests `tops` (themselves included).
pub fn reachable_from(files: &DirFiles, tops: &[Digest]) -> HashSet<Digest> {
    let mut out: HashSet<Digest> = tops.iter().cloned().collect();
    walk_nested(files, &mut out, tops.to_vec());
    out
}

/// Reads the manifests in `nested`, adding what they reference to `out`.
fn walk_nested(files: &DirFiles, out: &mut HashSet<Digest>, mut nested: Vec<Digest>) {
    while let Some(d) = nested.pop() {
        // A manifest that cannot be read references nothing more that could be found.
        if let Ok(b) = files.read_blob(&d, MAX_MANIFEST_SIZE)
            && let Ok(doc) = serde_json::from_slice::<Value>(&b)
        {
            collect(&doc, out, &mut nested);
        }
    }
}

/// Adds the digests a manifest or index names to `out`; manifests an index names (read in
/// turn) go to `nested` the first time they are seen.
fn collect(doc: &Value, out: &mut HashSet<Digest>, nested: &mut Vec<Digest>) {
    let digest = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Digest>().ok())
    };
    for key in ["config", "subject"] {
        if let Some(d) = doc.get(key).and_then(|v| digest(v, "digest")) {
            out.insert(d);
        }
    }
    for (key, field) in [
        ("layers", "digest"),
        ("blobs", "digest"),
        ("fsLayers", "blobSum"),
    ] {
        for d in doc
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| digest(v, field))
        {
            out.insert(d);
        }
    }
    for d in doc
        .get("manifests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| digest(v, "digest"))
    {
        if out.insert(d.clone()) {
            nested.push(d);
        }
    }
}

/// Removes the blobs this copy added that nothing else needs. Call under the exclusive lock.
pub fn remove_unneeded(files: &DirFiles, root: &Path, added: Vec<AddedBlob>) {
    if added.is_empty() {
        return;
    }
    let Some(referenced) = referenced_blobs(files, root) else {
        return;
    };
    for blob in added {
        if !referenced.contains(&blob.digest) && stamp(&blob.path).as_ref() == Some(&blob.stamp) {
            let _ = std::fs::remove_file(&blob.path);
        }
    }
}

/// Removes the temporary `index.json`/`oci-layout` a copy killed while committing left in the
/// layout's root. Call under the exclusive lock: only a commit, which holds it, makes them.
pub fn sweep_stale_index_files(root: &Path) {
    let Ok(files) = std::fs::read_dir(root) else {
        return;
    };
    for f in files.flatten() {
        if f.file_name().to_string_lossy().starts_with(BLOB_TMP_PREFIX) {
            let _ = std::fs::remove_file(f.path());
        }
    }
}

/// Removes temporary blob files of copies that were killed (nobody holds their lock) from
/// the layout's blob directories. Call under the exclusive lock, so no copy is between making
/// such a file and locking it.
pub fn sweep_stale_temp_files(blobs: &Path) {
    use std::os::fd::AsRawFd;
    let Ok(algos) = std::fs::read_dir(blobs) else {
        return;
    };
    for algo in algos.flatten() {
        let Ok(files) = std::fs::read_dir(algo.path()) else {
            continue;
        };
        for f in files.flatten() {
            if !f.file_name().to_string_lossy().starts_with(BLOB_TMP_PREFIX) {
                continue;
            }
            let Ok(file) = std::fs::File::open(f.path()) else {
                continue;
            };
            // SAFETY: flock only takes a descriptor `file` owns.
            let free = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
            if free {
                let _ = std::fs::remove_file(f.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(files: &DirFiles, bytes: &[u8]) -> (Digest, PathBuf) {
        let d = Digest::sha256_of(bytes);
        let p = files.blob_path(&d);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        (d, p)
    }

    fn added(d: &Digest, p: &Path) -> AddedBlob {
        AddedBlob {
            path: p.to_path_buf(),
            digest: d.clone(),
            stamp: stamp(p).unwrap(),
        }
    }

    #[test]
    fn keeps_referenced_and_marked_blobs() {
        let t = tempfile::tempdir().unwrap();
        let files = DirFiles::new(t.path(), None);
        let (layer, layer_p) = put(&files, b"layer");
        let (config, config_p) = put(&files, b"config");
        let (marked, marked_p) = put(&files, b"marked");
        let (lonely, lonely_p) = put(&files, b"lonely");
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"digest":"{config}"}},"layers":[{{"digest":"{layer}"}}]}}"#
        );
        let (m, m_p) = put(&files, manifest.as_bytes());
        let index = format!(r#"{{"schemaVersion":2,"manifests":[{{"digest":"{m}"}}]}}"#);
        std::fs::write(t.path().join("index.json"), index).unwrap();
        let all = [
            (&layer, &layer_p),
            (&config, &config_p),
            (&marked, &marked_p),
            (&lonely, &lonely_p),
            (&m, &m_p),
        ]
        .map(|(d, p)| added(d, p));
        mark_reused(&marked_p);
        remove_unneeded(&files, t.path(), all.into());
        assert!(layer_p.exists() && config_p.exists() && m_p.exists());
        assert!(marked_p.exists(), "a blob another copy relies on stays");
        assert!(!lonely_p.exists());
    }

    #[test]
    fn stale_temp_files_go_live_ones_stay() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("sha256");
        std::fs::create_dir_all(&dir).unwrap();
        let live = crate::transport::fsutil::BlobFile::create_in(&dir).unwrap();
        live.hold_lock();
        // What a killed copy leaves: a temporary file nobody holds.
        let dead_path = dir.join(format!("{BLOB_TMP_PREFIX}dead"));
        std::fs::write(&dead_path, b"half a blob").unwrap();
        std::fs::write(dir.join("0123"), b"a blob").unwrap();
        sweep_stale_temp_files(t.path());
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(!dead_path.exists());
        assert!(dir.join("0123").exists());
        drop(live);
    }

    #[test]
    fn unreadable_index_removes_nothing() {
        let t = tempfile::tempdir().unwrap();
        let files = DirFiles::new(t.path(), None);
        let (d, p) = put(&files, b"x");
        std::fs::write(t.path().join("index.json"), b"{not json").unwrap();
        remove_unneeded(&files, t.path(), vec![added(&d, &p)]);
        assert!(p.exists());
    }
}
