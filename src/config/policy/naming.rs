//! Policy configuration identities and namespaces as c/image's transports compute them, scope
//! validation for the `transports` section, and `explicitfilepath.ResolvePathToFullyExplicit`.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{PolicyError, Result};
use crate::gotext::{go_errno_text, go_path_error};

/// The policy identity of a docker reference: its fully normalized name plus `:tag` or
/// `@digest` (e.g. `docker.io/library/busybox:latest`), exactly one of the two, as
/// `DockerReferenceIdentity` produces it. Normalizing the name is the reference module's job;
/// this is the identity function, kept so transports name the step they implement.
pub fn docker_identity(full_name_with_tag_or_digest: &str) -> String {
    full_name_with_tag_or_digest.to_string()
}

/// `DockerReferenceNamespaces`: for a normalized `domain/path` name, the name itself, each
/// parent namespace up to the bare domain, then `*.`-wildcards of the domain (port stripped):
/// `example.com:5000/ns/repo` → `example.com:5000/ns/repo`, `example.com:5000/ns`,
/// `example.com:5000`, `*.com`.
pub fn docker_namespaces(name: &str) -> Vec<String> {
    let mut res = Vec::new();
    let mut name = name;
    loop {
        res.push(name.to_string());
        match name.rfind('/') {
            Some(i) => name = &name[..i],
            None => break,
        }
    }
    if let Some(i) = name.find(':') {
        name = &name[..i];
    }
    while let Some(i) = name.find('.') {
        name = &name[i + 1..];
        res.push(format!("*.{name}"));
    }
    res
}

/// The `dir:` transport's namespaces for a resolved path: each parent directory, innermost
/// first, excluding `/` (the path itself is the identity).
pub fn path_namespaces(resolved: &str) -> Vec<String> {
    let mut res = Vec::new();
    let mut path = resolved;
    while let Some(i) = path.rfind('/') {
        if i == 0 {
            break;
        }
        path = &path[..i];
        res.push(path.to_string());
    }
    res
}

/// The `oci:` and `oci-archive:` identity and namespaces: the identity is the resolved
/// directory (or archive file) alone — the image name/index is deliberately not part of it —
/// and the namespaces are that same path followed by its parents, excluding `/`.
pub fn oci_identity_and_namespaces(resolved_dir: &str, _image: &str) -> (String, Vec<String>) {
    let mut res = Vec::new();
    let mut path = resolved_dir;
    while let Some(i) = path.rfind('/') {
        if path == "/" {
            break;
        }
        res.push(path.to_string());
        path = &path[..i];
    }
    (resolved_dir.to_string(), res)
}

/// Whether `scope` (never "") is accepted as a key under `transport` in the `transports`
/// section (`ValidatePolicyConfigurationScope` of the transports skopeo registers). Refused
/// scopes make the parser report `Unknown key`. Transports skopeo does not know (including
/// `atomic` and `ostree`, absent from the reference build) accept anything.
pub(super) fn is_valid_scope(transport: &str, scope: &str) -> bool {
    match transport {
        "docker" => true,
        "dir" | "sif" | "oci" | "oci-archive" => {
            scope.starts_with('/') && scope != "/" && go_clean(scope.as_bytes()) == scope.as_bytes()
        }
        "docker-archive" | "tarball" => false,
        "docker-daemon" => !is_valid_digest(scope),
        "containers-storage" => is_valid_storage_scope(scope),
        _ => true,
    }
}

/// go-digest's `Parse(...) == nil` for the algorithms c/image links in.
fn is_valid_digest(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else {
        return false;
    };
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len
        && hex
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// `containers-storage:` scopes: `[store]` or `[driver@store]` (absolute store path), then
/// optionally a name, `name@ID`/`name@digest`, or `name@digest@ID`.
fn is_valid_storage_scope(scope: &str) -> bool {
    let Some(rest) = scope.strip_prefix('[') else {
        return false;
    };
    let Some(close) = rest.find(']') else {
        return false;
    };
    let store_spec = &rest[..close];
    let tail = &rest[close + 1..];
    let store_ok = match store_spec.split_once('@') {
        None => store_spec.starts_with('/'),
        Some((driver, root)) => !driver.is_empty() && root.starts_with('/'),
    };
    if !store_ok {
        return false;
    }
    if tail.is_empty() {
        return true;
    }
    let is_id = |s: &str| is_valid_digest(&format!("sha256:{s}"));
    let fields: Vec<&str> = tail.splitn(3, '@').collect();
    match fields.as_slice() {
        [_] => true,
        [_, x] => is_id(x) || is_valid_digest(x),
        [_, d, id] => is_valid_digest(d) && is_id(id),
        _ => false,
    }
}

/// Go's `filepath.Clean`.
pub(super) fn go_clean(path: &[u8]) -> Vec<u8> {
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

/// Go's `filepath.Join` of two elements.
pub(super) fn go_join(a: &[u8], b: &[u8]) -> Vec<u8> {
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

fn os_err(s: String) -> PolicyError {
    PolicyError::Io(s)
}

/// Go's `os.Getwd`: `$PWD` if it names the current directory, else `getcwd`.
fn go_getwd() -> Result<Vec<u8>> {
    let dot =
        std::fs::metadata(".").map_err(|e| os_err(go_path_error("stat", Path::new("."), &e)))?;
    if let Some(pwd) = std::env::var_os("PWD") {
        let pwd = pwd.into_vec();
        if pwd.first() == Some(&b'/')
            && let Ok(m) = std::fs::metadata(OsStr::from_bytes(&pwd))
            && m.dev() == dot.dev()
            && m.ino() == dot.ino()
        {
            return Ok(pwd);
        }
    }
    std::env::current_dir()
        .map(|p| p.into_os_string().into_vec())
        .map_err(|e| os_err(format!("getwd: {}", go_errno_text(&e))))
}

/// Go's `filepath.Abs`.
fn go_abs(path: &[u8]) -> Result<Vec<u8>> {
    if path.first() == Some(&b'/') {
        return Ok(go_clean(path));
    }
    Ok(go_join(&go_getwd()?, path))
}

fn bytes_path(path: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(path))
}

fn lstat(path: &[u8]) -> io::Result<std::fs::Metadata> {
    std::fs::symlink_metadata(OsStr::from_bytes(path))
}

/// Go's `filepath.EvalSymlinks` (`walkSymlinks`) for Unix, with its error texts.
fn go_eval_symlinks(input: &[u8]) -> Result<Vec<u8>> {
    let mut path = input.to_vec();
    let mut vol_len = usize::from(path.first() == Some(&b'/'));
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
            let slash = dest[vol_len.min(dest.len())..]
                .iter()
                .rposition(|c| *c == b'/')
                .map(|i| i + vol_len);
            match slash {
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
        let meta =
            lstat(&dest).map_err(|e| os_err(go_path_error("lstat", bytes_path(&dest), &e)))?;
        if !meta.file_type().is_symlink() {
            if !meta.is_dir() && end < path.len() {
                return Err(os_err("not a directory".to_string()));
            }
            start = end;
            continue;
        }
        links_walked += 1;
        if links_walked > 255 {
            return Err(os_err("EvalSymlinks: too many links".to_string()));
        }
        let link = std::fs::read_link(OsStr::from_bytes(&dest))
            .map_err(|e| os_err(go_path_error("readlink", bytes_path(&dest), &e)))?
            .into_os_string()
            .into_vec();
        let mut new_path = link.clone();
        new_path.extend_from_slice(&path[end..]);
        path = new_path;
        if link.first() == Some(&b'/') {
            dest = b"/".to_vec();
            end = 1;
            vol_len = 1;
        } else {
            let slash = dest[vol_len.min(dest.len())..]
                .iter()
                .rposition(|c| *c == b'/')
                .map(|i| i + vol_len);
            match slash {
                Some(r) => dest.truncate(r),
                None => dest.truncate(vol_len),
            }
            end = 0;
        }
        start = end;
    }
    Ok(go_clean(&dest))
}

fn resolve_existing(path: &[u8]) -> Result<Vec<u8>> {
    let abs = go_abs(path)?;
    Ok(go_clean(&go_eval_symlinks(&abs)?))
}

/// c/image's `explicitfilepath.ResolvePathToFullyExplicit`: an absolute, cleaned path with all
/// symlinks resolved. Every component must exist, except that the last one may be missing
/// (but not a dangling symlink). Errors carry Go's texts, e.g. `lstat /x: no such file or
/// directory`.
pub fn resolve_path_fully_explicit(path: &Path) -> Result<PathBuf> {
    let p = path.as_os_str().as_bytes();
    let resolved = match lstat(p) {
        Ok(_) => resolve_existing(p)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let split = p.iter().rposition(|c| *c == b'/').map_or(0, |i| i + 1);
            let (parent, file) = p.split_at(split);
            let resolved_parent = resolve_existing(parent)?;
            if file == b"." || file == b".." {
                return Err(os_err(format!(
                    "Unexpectedly missing special filename component in {}",
                    String::from_utf8_lossy(p)
                )));
            }
            let joined = go_join(&resolved_parent, file);
            if go_clean(&joined) != joined {
                return Err(os_err(format!(
                    "Internal inconsistency: Path {} resolved to {} still cleaned up to {}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(&joined),
                    String::from_utf8_lossy(&go_clean(&joined))
                )));
            }
            joined
        }
        Err(e) => return Err(os_err(go_path_error("lstat", path, &e))),
    };
    Ok(PathBuf::from(std::ffi::OsString::from_vec(resolved)))
}
