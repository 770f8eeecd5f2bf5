//! Auth files: which are read and in what order, finding the entry for a key, and rewriting
//! the file `login`/`logout` edit, as containers/image does.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Credentials;
use super::decode::{self, AuthEntry, ConfigFile};
use super::helper;
use crate::config::registries::Env;
use crate::config::registries::env::{go_errno_text, go_path_error, quote_path};
use crate::gojson::decode::base64_std_decode;
use crate::types::SystemContext;

/// One file to read, and whether it is a legacy `~/.dockercfg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthPath {
    pub path: PathBuf,
    pub legacy: bool,
}

impl AuthPath {
    fn new(path: PathBuf) -> AuthPath {
        AuthPath {
            path,
            legacy: false,
        }
    }
}

/// The per-session default: `$XDG_RUNTIME_DIR/containers/auth.json`, else
/// `/run/containers/UID/auth.json`. An `$XDG_RUNTIME_DIR` that does not exist is an error
/// (with c/image's advice), though the path is still returned alongside it.
pub(crate) fn default_path(env: &Env) -> (PathBuf, Option<String>) {
    match &env.xdg_runtime_dir {
        Some(dir) => {
            let path = dir.join("containers/auth.json");
            match std::fs::metadata(dir) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let err = format!(
                        "{} directory set by $XDG_RUNTIME_DIR does not exist. Either create the directory or unset $XDG_RUNTIME_DIR.: {}",
                        quote_path(dir),
                        go_path_error("stat", dir, &e)
                    );
                    (path, Some(err))
                }
                _ => (path, None),
            }
        }
        None => (
            env.run.join(format!("containers/{}/auth.json", env.uid)),
            None,
        ),
    }
}

/// The file credentials are written to, and whether the user chose it.
pub(crate) fn path_to_auth(ctx: &SystemContext, env: &Env) -> Result<(AuthPath, bool), String> {
    if let Some(p) = ctx.auth_file.as_ref().filter(|p| !p.as_os_str().is_empty()) {
        return Ok((AuthPath::new(p.clone()), true));
    }
    match default_path(env) {
        (_, Some(err)) => Err(err),
        (path, None) => Ok((AuthPath::new(path), false)),
    }
}

/// The files read for credentials, in order: the chosen `--authfile` alone; otherwise the
/// runtime auth.json, `$XDG_CONFIG_HOME/containers/auth.json`, `$DOCKER_CONFIG/config.json`
/// (or `~/.docker/config.json`) and the legacy `~/.dockercfg`.
pub(crate) fn auth_file_paths(ctx: &SystemContext, env: &Env) -> Vec<AuthPath> {
    let mut paths = Vec::new();
    let mut user_specified = false;
    match path_to_auth(ctx, env) {
        Ok((p, user)) => {
            paths.push(p);
            user_specified = user;
        }
        Err(e) => crate::error::warn(&format!(
            "{e}: Trying to pull image in the event that it is a public image."
        )),
    }
    if !user_specified {
        paths.push(AuthPath::new(
            env.config_home().join("containers/auth.json"),
        ));
        paths.push(AuthPath::new(match &env.docker_config {
            Some(d) => d.join("config.json"),
            None => env.home.join(".docker/config.json"),
        }));
        paths.push(AuthPath {
            path: env.home.join(".dockercfg"),
            legacy: true,
        });
    }
    paths
}

/// Reads one file; a missing file is empty. Errors are c/image's inner texts.
pub(crate) fn read(path: &AuthPath) -> Result<ConfigFile, String> {
    let Some(bytes) = read_bytes(path)? else {
        return Ok(ConfigFile::default());
    };
    decode::decode_config(&bytes, path.legacy)
        .map_err(|e| format!("unmarshaling JSON at {}: {e}", quote_path(&path.path)))
}

/// One file's bytes; `None` when it does not exist.
fn read_bytes(path: &AuthPath) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(&path.path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => {
            let op = if e.raw_os_error() == Some(libc::EISDIR) {
                "read"
            } else {
                "open"
            };
            Err(go_path_error(op, &path.path, &e))
        }
    }
}

/// `docker.io` and `registry-1.docker.io` are stored by Docker as `index.docker.io`.
pub(crate) fn normalize_registry(registry: &str) -> &str {
    match registry {
        "registry-1.docker.io" | "docker.io" => "index.docker.io",
        other => other,
    }
}

/// A key as written by older tools (`https://host/v1/`, or anything in a `.dockercfg`)
/// reduced to a normalised host.
pub(crate) fn normalize_auth_file_key(key: &str, legacy: bool) -> String {
    let stripped = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))
        .unwrap_or(key);
    let stripped = if legacy || stripped.len() != key.len() {
        stripped.split('/').next().unwrap_or_default()
    } else {
        stripped
    };
    normalize_registry(stripped).to_string()
}

/// Decodes an entry: base64 `user:password`. An entry without a `:` is skipped (with a
/// warning unless it is empty, which Docker writes next to credential helpers).
fn decode_entry(path: &Path, key: &str, entry: &AuthEntry) -> Result<Credentials, String> {
    let decoded = base64_std_decode(entry.auth.as_bytes())?;
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        if !decoded.is_empty() {
            crate::error::warn(&format!(
                "Error parsing the \"auth\" field of a credential entry {} in {}, missing semicolon",
                crate::reference::goutil::go_quote(key),
                quote_path(path)
            ));
        }
        return Ok(Credentials::default());
    };
    let username = String::from_utf8_lossy(&decoded[..colon]).into_owned();
    let password = String::from_utf8_lossy(&decoded[colon + 1..])
        .trim_matches('\0')
        .to_string();
    Ok(Credentials {
        username,
        password,
        identity_token: Some(entry.identity_token.clone()).filter(|t| !t.is_empty()),
    })
}

/// Credentials from a helper's answer (`<token>` as the username means an identity token).
pub(crate) fn from_helper(found: Option<(String, String)>) -> Credentials {
    match found {
        None => Credentials::default(),
        Some((user, secret)) if user == "<token>" => Credentials {
            identity_token: Some(secret).filter(|s| !s.is_empty()),
            ..Credentials::default()
        },
        Some((username, password)) => Credentials {
            username,
            password,
            identity_token: None,
        },
    }
}

/// The keys tried for `key`, most specific first: `host/ns/repo`, `host/ns`, `host`.
pub(crate) fn lookup_order(key: &str) -> Vec<&str> {
    let mut out = vec![key];
    let mut k = key;
    while let Some(i) = k.rfind('/') {
        k = &k[..i];
        out.push(k);
    }
    out
}

/// The credentials for `key` (in `registry`) in one file; empty when there are none. A
/// `credHelpers` entry for the registry sends the question to that helper; when the file has
/// nothing for the registry, its `credsStore` helper (Docker's default) is asked.
pub(crate) fn find_in_file(
    key: &str,
    registry: &str,
    path: &AuthPath,
    env: &Env,
) -> Result<Credentials, String> {
    let file =
        read(path).map_err(|e| format!("reading JSON file {}: {e}", quote_path(&path.path)))?;
    if let Some(h) = file.cred_helpers.get(registry) {
        return helper::get(h, registry, env)
            .map(from_helper)
            .map_err(|e| e.message());
    }
    let found = find_in_auths(key, registry, path, &file)?;
    if found != Credentials::default() || file.creds_store.is_empty() {
        return Ok(found);
    }
    // skopeo ignores credsStore, so a store that is missing or fails must not turn a copy
    // skopeo would make anonymously into an error: it only adds credentials.
    Ok(helper::get(&file.creds_store, registry, env)
        .map(from_helper)
        .unwrap_or_default())
}

/// The `auths` entry for `key`: the most specific key first, then keys in URL form.
fn find_in_auths(
    key: &str,
    registry: &str,
    path: &AuthPath,
    file: &ConfigFile,
) -> Result<Credentials, String> {
    let keys = if path.legacy {
        vec![registry]
    } else {
        lookup_order(key)
    };
    for k in keys {
        if let Some(entry) = file.auths.get(k) {
            return decode_entry(&path.path, k, entry);
        }
    }
    let wanted = normalize_registry(registry);
    for (k, entry) in &file.auths {
        if normalize_auth_file_key(k, path.legacy) == wanted {
            return decode_entry(&path.path, k, entry);
        }
    }
    Ok(Credentials::default())
}

#[derive(Serialize)]
struct OutEntry<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    auth: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    identitytoken: &'a str,
}

#[derive(Serialize)]
struct OutFile<'a> {
    auths: BTreeMap<&'a str, OutEntry<'a>>,
    #[serde(rename = "credHelpers", skip_serializing_if = "BTreeMap::is_empty")]
    cred_helpers: &'a BTreeMap<String, String>,
}

/// The bytes c/image writes: `auths` then `credHelpers` (when not empty), tab-indented, keys
/// sorted, no trailing newline. Other fields of the file are not kept, as with skopeo.
pub(crate) fn serialize(file: &ConfigFile) -> Vec<u8> {
    let out = OutFile {
        auths: file
            .auths
            .iter()
            .map(|(k, e)| {
                (
                    k.as_str(),
                    OutEntry {
                        auth: &e.auth,
                        identitytoken: &e.identity_token,
                    },
                )
            })
            .collect(),
        cred_helpers: &file.cred_helpers,
    };
    let mut buf = Vec::new();
    let fmt = crate::gojson::GoFormatter::new(serde_json::ser::PrettyFormatter::with_indent(b"\t"));
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    // Serialising maps of strings cannot fail.
    let _ = out.serialize(&mut ser);
    buf
}

/// Replaces `path` with `data` atomically (temporary file in the same directory, mode 0600,
/// synced, renamed over).
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{base}"))
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Finds the file to edit, lets `editor` change it, and writes it back when the editor says
/// so. Returns the file's path. Errors are c/image's full texts.
pub(crate) fn modify(
    ctx: &SystemContext,
    env: &Env,
    editor: impl FnOnce(&mut ConfigFile) -> Result<bool, String>,
) -> Result<PathBuf, String> {
    let compat = ctx.docker_compat_auth_file.clone();
    let path = match &compat {
        Some(p) => AuthPath::new(p.clone()),
        None => path_to_auth(ctx, env)?.0,
    };
    let file_path = path.path.clone();
    if let Some(dir) = file_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| go_path_error("mkdir", dir, &e))?;
    }
    let (mut contents, docker_fields) = match compat {
        None => (
            read(&path)
                .map_err(|e| format!("reading JSON file {}: {e}", quote_path(&file_path)))?,
            None,
        ),
        Some(_) => {
            // Read as an auth file first: its errors are c/image's for this file too.
            let contents = read(&path)?;
            let fields = super::compat::other_fields(read_bytes(&path)?.as_deref())
                .map_err(|e| format!("unmarshaling JSON at {}: {e}", quote_path(&file_path)))?;
            (contents, Some(fields))
        }
    };
    let updated =
        editor(&mut contents).map_err(|e| format!("updating {}: {e}", quote_path(&file_path)))?;
    if updated {
        let bytes = match docker_fields {
            Some(fields) => super::compat::serialize(fields, &contents),
            None => serialize(&contents),
        };
        write_atomic(&file_path, &bytes).map_err(|e| {
            format!(
                "writing to file {}: {}",
                quote_path(&file_path),
                go_errno_text(&e)
            )
        })?;
    }
    Ok(file_path)
}
