//! Finding the `dir:` images below a directory the way skopeo walks it: entries in name
//! order, symlinks not followed, and a directory with a `manifest.json` is an image whose
//! remaining entries (those after `manifest.json`) are not searched further.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::gotext::go_path_error;
use crate::reference::path::go_clean;

const MANIFEST: &[u8] = b"manifest.json";

fn clean(s: &[u8]) -> String {
    String::from_utf8_lossy(&go_clean(s)).into_owned()
}

/// Go's `filepath.Join(dir, name)` for one name.
fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        return go_clean(name);
    }
    let mut p = dir.to_vec();
    p.push(b'/');
    p.extend_from_slice(name);
    go_clean(&p)
}

/// The image directories below `root`, as paths built from `root` (Go's `filepath.Dir` of
/// each `manifest.json` found).
pub(crate) fn image_dirs(root: &str) -> Result<Vec<String>, String> {
    let meta =
        std::fs::symlink_metadata(root).map_err(|e| go_path_error("lstat", Path::new(root), &e))?;
    let mut found = Vec::new();
    if !meta.is_dir() {
        let name = Path::new(root)
            .file_name()
            .map(OsStrExt::as_bytes)
            .unwrap_or(b"");
        if name == MANIFEST {
            found.push(parent(root.as_bytes()));
        }
        return Ok(found);
    }
    walk(root.as_bytes(), &mut found)?;
    Ok(found)
}

/// `filepath.Dir(filepath.Join(dir, "manifest.json"))`.
fn parent(file: &[u8]) -> String {
    let cleaned = go_clean(file);
    match cleaned.iter().rposition(|b| *b == b'/') {
        Some(0) => "/".into(),
        Some(i) => clean(&cleaned[..i]),
        None => ".".into(),
    }
}

/// Walks one directory, depth first, recording the images found.
fn walk(dir: &[u8], found: &mut Vec<String>) -> Result<(), String> {
    let path = Path::new(OsStr::from_bytes(dir));
    let mut entries: Vec<(Vec<u8>, std::fs::FileType)> = std::fs::read_dir(path)
        .and_then(|rd| {
            rd.map(|e| {
                let e = e?;
                Ok((e.file_name().as_bytes().to_vec(), e.file_type()?))
            })
            .collect::<io::Result<Vec<_>>>()
        })
        .map_err(|e| go_path_error("open", path, &e))?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in entries {
        let child = join(dir, &name);
        if kind.is_dir() {
            walk(&child, found)?;
        } else if name == MANIFEST {
            found.push(parent(&child));
            // The rest of this directory is not searched.
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_images_in_name_order_without_descending_into_the_rest_of_an_image() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for d in [
            "b/img",
            "a",
            "a/aa-before/inner",
            "a/zz-after/inner",
            "c/d/e",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "b/img/manifest.json",
            "a/manifest.json",
            "a/aa-before/inner/manifest.json",
            "a/zz-after/inner/manifest.json",
            "c/d/e/manifest.json",
        ] {
            std::fs::write(root.join(f), "{}").unwrap();
        }
        std::os::unix::fs::symlink(root.join("b"), root.join("link")).unwrap();
        let base = format!("{}/", root.display());
        let got = image_dirs(&base).unwrap();
        let r = root.display().to_string();
        assert_eq!(
            got,
            vec![
                format!("{r}/a/aa-before/inner"),
                format!("{r}/a"),
                format!("{r}/b/img"),
                format!("{r}/c/d/e"),
            ]
        );
        assert_eq!(
            image_dirs(&format!("{r}/b/img")).unwrap(),
            vec![format!("{r}/b/img")]
        );
        assert_eq!(
            image_dirs(&format!("{r}/nope")).unwrap_err(),
            format!("lstat {r}/nope: no such file or directory")
        );
    }
}
