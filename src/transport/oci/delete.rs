//! `delete oci:PATH[:REF]` (skopeo ≥ 1.15): removes the index entry the name means and the
//! blobs that no other entry of the layout's index uses — counting uses as c/image does:
//! every manifest, config and layer reachable from each entry, through nested indexes. Blobs
//! only ever removed from the layout's own `blobs/` directory (a shared blob directory is
//! read, never pruned: other layouts may use it). Nothing else in the layout is touched.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{Result, anyhow};

use super::{DirFiles, LayoutFiles, parse_index, resolve_descriptor};
use crate::digest::Digest;
use crate::gotext::go_quote;
use crate::manifest::media_type as mt;
use crate::manifest::oci::{Descriptor, OciIndex};
use crate::reference::LayoutName;
use crate::transport::fsutil::{self, MAX_MANIFEST_SIZE};
use crate::types::SystemContext;

/// Deletes the image `name` refers to from its layout.
pub fn delete_image(name: &LayoutName, ctx: &SystemContext) -> Result<()> {
    // Under the layout's exclusive lock: no copy commits (or counts uses) meanwhile.
    let _lock = crate::transport::dirlock::DirLock::acquire(
        &name.path,
        crate::transport::dirlock::Mode::Exclusive,
    )?;
    let files = DirFiles::new(&name.path, ctx.oci_shared_blob_dir.as_deref());
    let index = parse_index(&files.read_index()?)?;
    let doomed = resolve_descriptor(&index, name)?;
    let position = index
        .manifests
        .iter()
        .position(|d| *d == doomed)
        .ok_or_else(|| anyhow!("internal error: the resolved entry is not in the index"))?;

    let mut used_by_image = HashMap::new();
    count_uses(&files, &doomed, &mut used_by_image)?;
    let mut used_by_all = HashMap::new();
    for d in &index.manifests {
        count_uses(&files, d, &mut used_by_all)?;
    }
    let unused: Vec<&Digest> = used_by_all
        .iter()
        .filter(|(digest, n)| **n == used_by_image.get(*digest).copied().unwrap_or(0))
        .map(|(digest, _)| digest)
        .collect();

    // The index first: a failure after it leaves unreferenced blobs, never an entry whose
    // blobs are gone.
    let mut remaining = index.clone();
    remaining.manifests.remove(position);
    write_index(&name.path, &remaining)?;
    let own_blobs = DirFiles::new(&name.path, None);
    for digest in unused {
        let path = own_blobs.blob_path(digest);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow!(crate::gotext::go_path_error("remove", &path, &e)));
            }
        }
    }
    Ok(())
}

/// Adds one use of `d` and of everything it references.
fn count_uses(files: &DirFiles, d: &Descriptor, counts: &mut HashMap<Digest, usize>) -> Result<()> {
    *counts.entry(d.digest.clone()).or_default() += 1;
    match d.media_type.as_str() {
        mt::OCI_MANIFEST => {
            let m: serde_json::Value =
                serde_json::from_slice(&files.read_blob(&d.digest, MAX_MANIFEST_SIZE)?)?;
            let config = m.get("config").into_iter();
            let layers = m
                .get("layers")
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten();
            for blob in config.chain(layers) {
                if let Some(digest) = blob
                    .get("digest")
                    .and_then(|d| d.as_str())
                    .and_then(|d| d.parse::<Digest>().ok())
                {
                    *counts.entry(digest).or_default() += 1;
                }
            }
        }
        mt::OCI_INDEX => {
            let nested: OciIndex = parse_index(&files.read_blob(&d.digest, MAX_MANIFEST_SIZE)?)?;
            for inner in &nested.manifests {
                count_uses(files, inner, counts)?;
            }
        }
        other => {
            return Err(anyhow!(
                "unsupported mediaType in index: {}",
                go_quote(other)
            ));
        }
    }
    Ok(())
}

/// index.json as Go's `json.Encoder` writes it (compact, a final newline), keeping its mode.
fn write_index(layout: &Path, index: &OciIndex) -> Result<()> {
    let path = layout.join("index.json");
    let mode = fs::metadata(&path).map(|m| m.permissions()).ok();
    let mut bytes = crate::gojson::to_vec_compact(index);
    bytes.push(b'\n');
    fsutil::write_file_atomic(&path, &bytes)?;
    if let Some(mode) = mode {
        fs::set_permissions(&path, mode)?;
    }
    Ok(())
}

/// `sync --prune`: removes the entries named `names` from the layout at `path`, then the
/// blob files of its own `blobs/` that only those entries used — except a blob modified since
/// `since`, which a copy still writing (that marked it when it found it there) may rely on.
/// Returns the names removed, in index order.
pub fn prune_names(
    path: &Path,
    names: &BTreeSet<String>,
    ctx: &SystemContext,
    since: SystemTime,
) -> Result<Vec<String>> {
    let _lock = crate::transport::dirlock::DirLock::acquire(
        path,
        crate::transport::dirlock::Mode::Exclusive,
    )?;
    let files = DirFiles::new(path, ctx.oci_shared_blob_dir.as_deref());
    let index = parse_index(&files.read_index()?)?;
    let named = |d: &Descriptor| super::ref_name(d).is_some_and(|n| names.contains(n));
    let (gone, kept): (Vec<Descriptor>, Vec<Descriptor>) =
        index.manifests.iter().cloned().partition(named);
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    let digests = |ds: &[Descriptor]| ds.iter().map(|d| d.digest.clone()).collect::<Vec<_>>();
    let still_used = super::cleanup::reachable_from(&files, &digests(&kept));
    let unused: Vec<Digest> = super::cleanup::reachable_from(&files, &digests(&gone))
        .into_iter()
        .filter(|d| !still_used.contains(d))
        .collect();
    let removed = gone
        .iter()
        .filter_map(|d| super::ref_name(d).map(str::to_string))
        .collect();
    // The index first: a failure after it leaves unreferenced blobs, never an entry whose
    // blobs are gone.
    let remaining = OciIndex {
        manifests: kept,
        ..index
    };
    write_index(path, &remaining)?;
    if ctx.oci_shared_blob_dir.is_some() {
        return Ok(removed);
    }
    for digest in unused {
        let blob = files.blob_path(&digest);
        let untouched = fs::metadata(&blob)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < since);
        if untouched {
            fs::remove_file(&blob)
                .map_err(|e| anyhow!(crate::gotext::go_path_error("remove", &blob, &e)))?;
        }
    }
    Ok(removed)
}
