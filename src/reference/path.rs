//! Path handling shared by the `dir:`, `oci:` and `oci-archive:` transports.
//!
//! skopeo resolves these paths *while parsing the image name* (to compute the policy identity),
//! so a path whose parent does not exist is a parse error such as
//! `lstat /nonexistent: no such file or directory`.  The user's path string itself is kept
//! unchanged for opening files.  This module reproduces that resolution, including Go's
//! error texts (`lstat PATH: ERRNO-TEXT`, `EvalSymlinks: too many links`).

use super::ReferenceError;
use crate::gotext::{go_errno_text, go_path_error};
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Lexically cleans a path like Go's `filepath.Clean` (on Unix); paths are bytes, as in Go.
pub fn go_clean(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path[0] == b'/';
    let n = path.len();
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    while r < n {
        if path[r] == b'/' || (path[r] == b'.' && (r + 1 == n || path[r + 1] == b'/')) {
            // Empty element or ".".
            r += 1;
        } else if path[r] == b'.' && path[r + 1] == b'.' && (r + 2 == n || path[r + 2] == b'/') {
            r += 2;
            if out.len() > dotdot {
                let mut w = out.len() - 1;
                while w > dotdot && out[w] != b'/' {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(b'/');
            }
            while r < n && path[r] != b'/' {
                out.push(path[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        return b".".to_vec();
    }
    out
}

/// Go's `filepath.Join` for two elements (empty elements are ignored; the result is cleaned).
pub fn go_join(a: &[u8], b: &[u8]) -> Vec<u8> {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Vec::new(),
        (true, false) => go_clean(b),
        (false, true) => go_clean(a),
        (false, false) => {
            let mut v = a.to_vec();
            v.push(b'/');
            v.extend_from_slice(b);
            go_clean(&v)
        }
    }
}

fn as_path(path: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(path))
}

/// A Go `*PathError` text: `OP PATH: ERRNO-TEXT`.
fn path_error(op: &str, path: &[u8], err: &io::Error) -> ReferenceError {
    ReferenceError::new(go_path_error(op, as_path(path), err))
}

fn lstat(path: &[u8]) -> io::Result<std::fs::Metadata> {
    std::fs::symlink_metadata(as_path(path))
}

/// Go's `os.Getwd`: `$PWD` when it names the current directory, else `getcwd`.
fn go_getwd() -> Result<Vec<u8>, ReferenceError> {
    let dot = std::fs::metadata(".").map_err(|e| path_error("stat", b".", &e))?;
    if let Some(pwd) = std::env::var_os("PWD") {
        let pwd = pwd.into_vec();
        if pwd.first() == Some(&b'/')
            && let Ok(m) = std::fs::metadata(as_path(&pwd))
            && m.dev() == dot.dev()
            && m.ino() == dot.ino()
        {
            return Ok(pwd);
        }
    }
    std::env::current_dir()
        .map(|p| p.into_os_string().into_vec())
        .map_err(|e| ReferenceError::new(format!("getwd: {}", go_errno_text(&e))))
}

/// Go's `filepath.Abs`.
fn go_abs(path: &[u8]) -> Result<Vec<u8>, ReferenceError> {
    if path.first() == Some(&b'/') {
        return Ok(go_clean(path));
    }
    Ok(go_join(&go_getwd()?, path))
}

/// Index of the last `/` in `dest` after the volume (the leading `/` of an absolute path),
/// or `None`: Go's loop `for r = len(dest) - 1; r >= volLen; r--`.
fn last_inner_slash(dest: &[u8], vol_len: usize) -> Option<usize> {
    dest.get(vol_len..)?
        .iter()
        .rposition(|c| *c == b'/')
        .map(|i| i + vol_len)
}

/// Go's `filepath.EvalSymlinks` (`walkSymlinks`) for Unix, with its error texts: walks the
/// components, following symbolic links, and fails on the first missing component.  Like Go,
/// a `..` that would climb above the first component is kept literally (so error texts can
/// show `/tmp/../x`), and the result is cleaned at the end.
fn go_eval_symlinks(input: &[u8]) -> Result<Vec<u8>, ReferenceError> {
    let mut path = input.to_vec();
    let vol_len = usize::from(path.first() == Some(&b'/'));
    let mut dest: Vec<u8> = path[..vol_len].to_vec();
    let mut links_walked = 0;
    let mut start = vol_len;
    let mut end;
    while start < path.len() {
        while start < path.len() && path[start] == b'/' {
            start += 1;
        }
        end = start;
        while end < path.len() && path[end] != b'/' {
            end += 1;
        }
        if end == start {
            break;
        }
        let component = &path[start..end];
        if component == b"." {
            start = end;
            continue;
        }
        if component == b".." {
            match last_inner_slash(&dest, vol_len) {
                Some(r) if &dest[r + 1..] != b".." => dest.truncate(r),
                _ => {
                    if dest.len() > vol_len {
                        dest.push(b'/');
                    }
                    dest.extend_from_slice(b"..");
                }
            }
            start = end;
            continue;
        }
        if !dest.is_empty() && dest[dest.len() - 1] != b'/' {
            dest.push(b'/');
        }
        dest.extend_from_slice(component);
        let meta = lstat(&dest).map_err(|e| path_error("lstat", &dest, &e))?;
        if !meta.file_type().is_symlink() {
            if !meta.is_dir() && end < path.len() {
                return Err(ReferenceError::new("not a directory"));
            }
            start = end;
            continue;
        }
        links_walked += 1;
        if links_walked > 255 {
            return Err(ReferenceError::new("EvalSymlinks: too many links"));
        }
        let link = std::fs::read_link(as_path(&dest))
            .map_err(|e| path_error("readlink", &dest, &e))?
            .into_os_string()
            .into_vec();
        let mut new_path = link.clone();
        new_path.extend_from_slice(&path[end..]);
        path = new_path;
        if link.first() == Some(&b'/') {
            dest = b"/".to_vec();
            end = 1;
        } else {
            // Relative link: replace the last component of dest.
            match last_inner_slash(&dest, vol_len) {
                Some(r) => dest.truncate(r),
                None => dest.truncate(vol_len),
            }
            end = 0;
        }
        start = end;
    }
    Ok(go_clean(&dest))
}

fn resolve_existing(path: &[u8]) -> Result<Vec<u8>, ReferenceError> {
    let abs = go_abs(path)?;
    Ok(go_clean(&go_eval_symlinks(&abs)?))
}

/// c/image's `explicitfilepath.ResolvePathToFullyExplicit` on a byte path.
fn resolve_bytes(p: &[u8]) -> Result<Vec<u8>, ReferenceError> {
    match lstat(p) {
        Ok(_) => resolve_existing(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let split = p.iter().rposition(|c| *c == b'/').map_or(0, |i| i + 1);
            let (parent, file) = p.split_at(split);
            let resolved_parent = resolve_existing(parent)?;
            if file == b"." || file == b".." {
                return Err(ReferenceError::new(format!(
                    "Unexpectedly missing special filename component in {}",
                    String::from_utf8_lossy(p)
                )));
            }
            let joined = go_join(&resolved_parent, file);
            if go_clean(&joined) != joined {
                return Err(ReferenceError::new(format!(
                    "Internal inconsistency: Path {} resolved to {} still cleaned up to {}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(&joined),
                    String::from_utf8_lossy(&go_clean(&joined))
                )));
            }
            Ok(joined)
        }
        Err(e) => Err(path_error("lstat", p, &e)),
    }
}

/// Resolves `path` to an absolute, cleaned path without symlinks, the way containers/image
/// does for the `dir:`, `oci:` and `oci-archive:` transports and for their policy identities
/// (`explicitfilepath.ResolvePathToFullyExplicit`): every component must exist, except that
/// the last one may be missing (but not a dangling symlink).  Errors carry Go's texts, e.g.
/// `lstat /x: no such file or directory`.  A resolved path that is not UTF-8 (a symlink
/// target, `$PWD`) is returned lossily.
pub fn resolve_path_fully_explicit(path: &str) -> Result<String, ReferenceError> {
    let resolved = resolve_bytes(path.as_bytes())?;
    Ok(String::from_utf8(resolved)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
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
            assert_eq!(go_clean(input.as_bytes()), want.as_bytes(), "{input}");
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
