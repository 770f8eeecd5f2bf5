//! Path handling shared by the `dir:`, `oci:` and `oci-archive:` transports.
//!
//! skopeo resolves these paths *while parsing the image name* (to compute the policy identity),
//! so a path whose parent does not exist is a parse error such as
//! `lstat /nonexistent: no such file or directory`.  The user's path string itself is kept
//! unchanged for opening files.  This module reproduces that resolution, including Go's
//! error texts (`lstat PATH: ERRNO-TEXT`, `EvalSymlinks: too many links`).

use super::ReferenceError;
use crate::gotext::go_path_error;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Lexically cleans a path like Go's `filepath.Clean` (on Unix).
pub fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Join` for two elements (empty elements are ignored; the result is cleaned).
fn go_join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => go_clean(b),
        (false, true) => go_clean(a),
        (false, false) => go_clean(&format!("{a}/{b}")),
    }
}

/// A Go `*PathError` text: `OP PATH: ERRNO-TEXT`.
fn path_error(op: &str, path: &str, err: &io::Error) -> ReferenceError {
    ReferenceError::new(go_path_error(op, Path::new(path), err))
}

fn lstat(path: &str) -> Result<Metadata, (io::Error, ReferenceError)> {
    if path.contains('\0') {
        let e = io::Error::from_raw_os_error(libc::EINVAL);
        let re = path_error("lstat", path, &e);
        return Err((e, re));
    }
    std::fs::symlink_metadata(path).map_err(|e| {
        let re = path_error("lstat", path, &e);
        (e, re)
    })
}

/// Go's `os.Getwd`: `$PWD` when it names the current directory, else `getcwd`.
fn go_getwd() -> Result<String, ReferenceError> {
    let dot = std::fs::metadata(".").map_err(|e| path_error("stat", ".", &e))?;
    if let Ok(pwd) = std::env::var("PWD")
        && pwd.starts_with('/')
        && let Ok(m) = std::fs::metadata(&pwd)
        && m.dev() == dot.dev()
        && m.ino() == dot.ino()
    {
        return Ok(pwd);
    }
    let cwd = std::env::current_dir().map_err(|e| path_error("getwd", "", &e))?;
    Ok(cwd.to_string_lossy().into_owned())
}

/// Go's `filepath.Abs`.
fn go_abs(path: &str) -> Result<String, ReferenceError> {
    if path.starts_with('/') {
        return Ok(go_clean(path));
    }
    Ok(go_join(&go_getwd()?, path))
}

/// Index of the last `/` in `dest` after the leading one (Go's loop `r >= volLen` with the
/// root slash counted in the volume), or `None`.
fn last_inner_slash(dest: &str) -> Option<usize> {
    dest.rfind('/').filter(|&r| r >= 1)
}

/// Go's `filepath.EvalSymlinks` for an absolute, cleaned path: walks the components,
/// following symbolic links, and fails on the first missing component.  Like Go, a `..` that
/// would climb above the first component is kept literally (so error texts can show
/// `/tmp/../x`), and the result is cleaned at the end.
fn go_eval_symlinks(path: &str) -> Result<String, ReferenceError> {
    let mut path: String = path.to_string();
    let mut dest = String::from("/");
    let mut end = 1;
    let mut links_walked = 0;
    while end < path.len() {
        let mut start = end;
        while start < path.len() && path.as_bytes()[start] == b'/' {
            start += 1;
        }
        end = start;
        while end < path.len() && path.as_bytes()[end] != b'/' {
            end += 1;
        }
        let comp = &path[start..end];
        if comp.is_empty() {
            break;
        }
        if comp == "." {
            continue;
        }
        if comp == ".." {
            match last_inner_slash(&dest) {
                Some(r) if &dest[r + 1..] != ".." => dest.truncate(r),
                _ => {
                    if dest.len() > 1 {
                        dest.push('/');
                    }
                    dest.push_str("..");
                }
            }
            continue;
        }
        if !dest.ends_with('/') {
            dest.push('/');
        }
        dest.push_str(comp);
        let meta = lstat(&dest).map_err(|(_, e)| e)?;
        if !meta.file_type().is_symlink() {
            if !meta.is_dir() && end < path.len() {
                return Err(ReferenceError::new("not a directory"));
            }
            continue;
        }
        links_walked += 1;
        if links_walked > 255 {
            return Err(ReferenceError::new("EvalSymlinks: too many links"));
        }
        let link = std::fs::read_link(&dest).map_err(|e| path_error("readlink", &dest, &e))?;
        let link = link.to_string_lossy().into_owned();
        path = format!("{link}{}", &path[end..]);
        if link.starts_with('/') {
            dest = "/".to_string();
            end = 1;
        } else {
            // Relative link: replace the last component of dest.
            match last_inner_slash(&dest) {
                Some(r) => dest.truncate(r),
                None => dest = "/".to_string(),
            }
            end = 0;
        }
    }
    Ok(go_clean(&dest))
}

fn resolve_existing(path: &str) -> Result<String, ReferenceError> {
    let abs = go_abs(path)?;
    Ok(go_clean(&go_eval_symlinks(&abs)?))
}

/// Resolves `path` to an absolute path without symlinks, the way containers/image does for
/// the `dir:`, `oci:` and `oci-archive:` transports: the path itself may be missing, but its
/// parent must exist.  Errors carry Go's texts.
pub fn resolve_path_fully_explicit(path: &str) -> Result<String, ReferenceError> {
    match lstat(path) {
        Ok(_) => resolve_existing(path),
        Err((e, _)) if e.raw_os_error() == Some(libc::ENOENT) => {
            let (parent, file) = match path.rfind('/') {
                Some(i) => (&path[..=i], &path[i + 1..]),
                None => ("", path),
            };
            let resolved_parent = resolve_existing(parent)?;
            if file == "." || file == ".." {
                return Err(ReferenceError::new(format!(
                    "Unexpectedly missing special filename component in {path}"
                )));
            }
            Ok(go_join(&resolved_parent, file))
        }
        Err((_, e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean() {
        let cases = [
            ("", "."),
            ("/", "/"),
            ("//a//b/", "/a/b"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("./a/./b/..", "a"),
            ("../../x", "../../x"),
            ("a/b/../../..", ".."),
        ];
        for (input, want) in cases {
            assert_eq!(go_clean(input), want, "{input}");
        }
    }

    #[test]
    fn resolve() {
        let td = tempfile::tempdir().unwrap();
        let base = resolve_path_fully_explicit(td.path().to_str().unwrap()).unwrap();
        std::fs::create_dir(format!("{base}/d")).unwrap();
        std::fs::write(format!("{base}/file"), b"").unwrap();
        std::os::unix::fs::symlink(format!("{base}/d"), format!("{base}/abs")).unwrap();
        std::os::unix::fs::symlink("d", format!("{base}/rel")).unwrap();
        std::os::unix::fs::symlink("../nope/x", format!("{base}/d/dangling")).unwrap();
        std::os::unix::fs::symlink("loop2", format!("{base}/loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", format!("{base}/loop2")).unwrap();
        let ok = |p: &str| resolve_path_fully_explicit(&format!("{base}/{p}")).unwrap();
        let err = |p: &str| {
            resolve_path_fully_explicit(&format!("{base}/{p}"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(ok("d"), format!("{base}/d"));
        assert_eq!(ok("abs/new"), format!("{base}/d/new"));
        assert_eq!(ok("rel/new"), format!("{base}/d/new"));
        assert_eq!(ok("rel/../d/./x"), format!("{base}/d/x"));
        assert_eq!(ok("missing/../x"), format!("{base}/x"));
        assert_eq!(
            err("missing/x"),
            format!("lstat {base}/missing: no such file or directory")
        );
        assert_eq!(
            err("file/x"),
            format!("lstat {base}/file/x: not a directory")
        );
        assert_eq!(err("file/"), format!("lstat {base}/file/: not a directory"));
        assert_eq!(
            err("missing/"),
            format!("lstat {base}/missing: no such file or directory")
        );
        assert_eq!(
            err("d/dangling"),
            format!("lstat {base}/nope: no such file or directory")
        );
        assert_eq!(err("loop1"), "EvalSymlinks: too many links");
        assert_eq!(
            err("loop1/x"),
            format!("lstat {base}/loop1/x: too many levels of symbolic links")
        );
        assert_eq!(err("a\0b"), format!("lstat {base}/a\0b: invalid argument"));
        assert_eq!(resolve_path_fully_explicit("/").unwrap(), "/");
        // A relative link climbing above the root keeps its ".." in Go's error text.
        let up = "../".repeat(base.matches('/').count());
        std::os::unix::fs::symlink(format!("{up}skiff_no_such_dir/x"), format!("{base}/up"))
            .unwrap();
        let first = &base[..base[1..].find('/').map_or(base.len(), |i| i + 1)];
        assert_eq!(
            err("up/y"),
            format!("lstat {first}/../skiff_no_such_dir: no such file or directory")
        );
    }
}
