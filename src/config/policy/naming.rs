//! Policy configuration identities and namespaces as c/image's transports compute them, and
//! scope validation for the `transports` section. Paths are resolved by
//! [`crate::reference::resolve_path_fully_explicit`].

use crate::reference::grammar::is_full_identifier;
use crate::reference::is_valid_digest_string;
use crate::reference::path::go_clean;

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
        "docker-daemon" => !is_valid_digest_string(scope),
        "containers-storage" => is_valid_storage_scope(scope),
        _ => true,
    }
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
    let fields: Vec<&str> = tail.splitn(3, '@').collect();
    match fields.as_slice() {
        [_] => true,
        [_, x] => is_full_identifier(x) || is_valid_digest_string(x),
        [_, d, id] => is_valid_digest_string(d) && is_full_identifier(id),
        _ => false,
    }
}
