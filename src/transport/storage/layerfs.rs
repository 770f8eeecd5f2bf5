//! Turning an extracted layer into the graph driver's layer directory, and removing one.
//!
//! vfs keeps every layer as a complete tree: the parent's tree is copied (owners, modes,
//! times, attributes and hard links kept) and the layer is merged on top — whiteouts
//! remove, opaque directories are emptied, entries replace what they shadow, and paths are
//! resolved through the tree's symlinks as a chroot would. overlay keeps only the layer's
//! own files in `overlay/ID/diff`, with the `link`, `lower`, `work` and `merged` entries
//! and the short `l/` symlink the driver uses to build mount options.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::extract::Applied;
use super::fsops;
use super::store::{Driver, Store};

/// Mode of a new layer's root when it has no parent (c/storage's defaultPerms).
const DEFAULT_ROOT_PERMS: u32 = 0o555;

/// Moves the staged tree `staged` into place as layer `id` on top of `parent`.
pub fn install(
    store: &Store,
    id: &str,
    parent: Option<&str>,
    staged: &Path,
    applied: &Applied,
) -> Result<()> {
    match store.driver {
        Driver::Vfs => install_vfs(store, id, parent, staged, applied),
        Driver::Overlay => install_overlay(store, id, parent, staged, applied),
    }
}

/// Whether the archive named the root directory itself (`./`).
fn root_is_explicit(applied: &Applied) -> bool {
    applied
        .dirs
        .iter()
        .any(|(p, _, _)| p.as_os_str().is_empty())
}

fn install_vfs(
    store: &Store,
    id: &str,
    parent: Option<&str>,
    staged: &Path,
    applied: &Applied,
) -> Result<()> {
    let target = store.layer_files(id);
    fsops::remove_all(&target)?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(target.parent().expect("layer dirs have a parent"))?;
    match parent {
        None => {
            if !root_is_explicit(applied) {
                fsops::chmod(staged, DEFAULT_ROOT_PERMS)?;
                fsops::lchown(staged, 0, 0)?;
            }
            fs::rename(staged, &target)
                .with_context(|| format!("moving layer into {}", target.display()))?;
            if !applied.deferred_links.is_empty() {
                bail!("hard link target is not in the layer");
            }
            Ok(())
        }
        Some(p) => {
            let parent_dir = store.layer_files(p);
            fs::DirBuilder::new().mode(0o700).create(&target)?;
            let res = (|| -> Result<()> {
                fsops::copy_tree(&parent_dir, &target)
                    .with_context(|| format!("copying layer {p}"))?;
                merge(staged, &target, applied)
            })();
            if res.is_err() {
                let _ = fsops::remove_all(&target);
            }
            res
        }
    }
}

/// Resolves `rel` inside `root` the way a process chrooted to `root` would, following
/// symlinks (at most 255 of them) and never leaving the root. The last component is
/// followed too unless `follow_last` is false.
pub fn resolve_in_root(root: &Path, rel: &Path, follow_last: bool) -> Result<PathBuf> {
    let mut stack: Vec<PathBuf> = Vec::new();
    let mut todo: Vec<std::ffi::OsString> = rel
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        if part == ".." {
            stack.pop();
            continue;
        }
        let mut cur: PathBuf = root.to_path_buf();
        cur.extend(stack.iter());
        let candidate = cur.join(&part);
        let last = todo.is_empty();
        match fs::symlink_metadata(&candidate) {
            Ok(md) if md.file_type().is_symlink() && (!last || follow_last) => {
                hops += 1;
                if hops > 255 {
                    bail!("too many levels of symbolic links");
                }
                let target = fs::read_link(&candidate)?;
                if target.is_absolute() {
                    stack.clear();
                }
                for c in target.components().rev() {
                    match c {
                        Component::Normal(n) => todo.push(n.to_os_string()),
                        Component::ParentDir => todo.push("..".into()),
                        _ => {}
                    }
                }
            }
            _ => stack.push(PathBuf::from(part)),
        }
    }
    let mut out = root.to_path_buf();
    out.extend(stack.iter());
    Ok(out)
}

/// Applies the staged layer onto `target`, a copy of the parent's tree.
fn merge(staged: &Path, target: &Path, applied: &Applied) -> Result<()> {
    for dir in &applied.opaques {
        let d = resolve_in_root(target, dir, true)?;
        if fs::symlink_metadata(&d).is_ok_and(|m| m.is_dir()) {
            for e in fs::read_dir(&d)? {
                fsops::remove_all(&e?.path())?;
            }
        }
    }
    for w in &applied.whiteouts {
        let victim = resolve_in_root(target, w, false)?;
        if victim != target {
            fsops::remove_all(&victim)?;
        }
    }
    merge_dir(staged, target, target, Path::new(""), applied)?;
    for (link, to) in &applied.deferred_links {
        let from = resolve_in_root(target, to, false)?;
        let at = resolve_in_root(target, link, false)?;
        fsops::remove_all(&at)?;
        fs::hard_link(&from, &at)
            .with_context(|| format!("linking {} to {}", link.display(), to.display()))?;
    }
    if root_is_explicit(applied) {
        let md = fs::symlink_metadata(staged)?;
        fsops::copy_metadata(staged, &md, target, false)?;
    }
    for (rel, atime, mtime) in &applied.dirs {
        let p = resolve_in_root(target, rel, false)?;
        if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            fsops::lutimes(&p, *atime, *mtime)?;
        }
    }
    Ok(())
}

fn merge_dir(
    staged_dir: &Path,
    target_dir: &Path,
    root: &Path,
    rel: &Path,
    applied: &Applied,
) -> Result<()> {
    for entry in fs::read_dir(staged_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let child_rel = rel.join(&name);
        let s = entry.path();
        let t = target_dir.join(&name);
        let smd = fs::symlink_metadata(&s)?;
        if smd.is_dir() {
            let implicit = applied.implicit_dirs.contains(&child_rel);
            match fs::symlink_metadata(&t) {
                Ok(tmd) if tmd.is_dir() => {
                    merge_dir(&s, &t, root, &child_rel, applied)?;
                    if !implicit {
                        fsops::copy_metadata(&s, &smd, &t, false)?;
                    }
                    continue;
                }
                Ok(tmd) if tmd.file_type().is_symlink() && implicit => {
                    let resolved = resolve_in_root(root, &child_rel, true)?;
                    if fs::symlink_metadata(&resolved).is_ok_and(|m| m.is_dir()) {
                        merge_dir(&s, &resolved, root, &child_rel, applied)?;
                        continue;
                    }
                    fsops::remove_all(&t)?;
                }
                Ok(_) => fsops::remove_all(&t)?,
                Err(_) => {}
            }
            fs::rename(&s, &t)?;
        } else {
            fsops::remove_all(&t)?;
            fs::rename(&s, &t)?;
        }
    }
    Ok(())
}

/// overlay's short link names: 26 characters of base32.
fn short_link_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut raw = [0u8; 26];
    super::lock::fill_random(&mut raw);
    raw.iter()
        .map(|b| ALPHABET[(*b % 32) as usize] as char)
        .collect()
}

fn install_overlay(
    store: &Store,
    id: &str,
    parent: Option<&str>,
    staged: &Path,
    applied: &Applied,
) -> Result<()> {
    let home = store.driver_home();
    let dir = home.join(id);
    fsops::remove_all(&dir)?;
    fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let res = (|| -> Result<()> {
        let (perms, uid, gid) = match parent {
            Some(p) => {
                let md = fs::metadata(home.join(p).join("diff"))?;
                (md.mode() & 0o7777, md.uid(), md.gid())
            }
            None => (DEFAULT_ROOT_PERMS, 0, 0),
        };
        if !root_is_explicit(applied) {
            fsops::chmod(staged, perms)?;
            fsops::lchown(staged, u64::from(uid), u64::from(gid))?;
        }
        fs::rename(staged, dir.join("diff"))?;
        let lid = short_link_id();
        std::os::unix::fs::symlink(
            Path::new("..").join(id).join("diff"),
            home.join("l").join(&lid),
        )?;
        fs::write(dir.join("link"), &lid)?;
        fs::DirBuilder::new().mode(0o700).create(dir.join("work"))?;
        fs::DirBuilder::new()
            .mode(0o700)
            .create(dir.join("merged"))?;
        match parent {
            None => fs::DirBuilder::new()
                .mode(0o700)
                .create(dir.join("empty"))?,
            Some(p) => {
                let parent_link = fs::read_to_string(home.join(p).join("link"))
                    .with_context(|| format!("reading the link of layer {p}"))?;
                let mut lower = format!("l/{}", parent_link.trim());
                if let Ok(pl) = fs::read_to_string(home.join(p).join("lower")) {
                    lower.push(':');
                    lower.push_str(&pl);
                }
                fs::write(dir.join("lower"), lower)?;
            }
        }
        Ok(())
    })();
    if res.is_err() {
        remove_layer_files(store, id);
    }
    res
}

/// Removes a layer's files (and overlay's short link).
pub fn remove_layer_files(store: &Store, id: &str) {
    match store.driver {
        Driver::Vfs => {
            let _ = fsops::remove_all(&store.layer_files(id));
        }
        Driver::Overlay => {
            let dir = store.driver_home().join(id);
            if let Ok(lid) = fs::read_to_string(dir.join("link")) {
                let _ = fs::remove_file(store.driver_home().join("l").join(lid.trim()));
            }
            let _ = fsops::remove_all(&dir);
        }
    }
}
