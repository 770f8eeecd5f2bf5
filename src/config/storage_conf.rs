//! storage.conf: where the containers/storage image store lives and which graph driver it
//! uses, found and read as containers/storage (the version skopeo 1.9.3 uses) does.
//!
//! Root: `$CONTAINERS_STORAGE_CONF` if set (even when the file is missing); otherwise
//! `/etc/containers/storage.conf` if it exists, else `/usr/share/containers/storage.conf`;
//! roots left unset are `/var/lib/containers/storage` and `/run/containers/storage`.
//!
//! Other users ("rootless", also root inside the user namespace skiff made for one, told by
//! `$_CONTAINERS_ROOTLESS_UID`): the system file above gives the driver (vfs if none) and
//! `rootless_storage_path`; the graph root defaults to `$XDG_DATA_HOME/containers/storage`
//! (`~/.local/share/…`) and the run root to `$XDG_RUNTIME_DIR/containers`, or when that is
//! unset `/run/user/UID` (only without an init or under systemd), `$TMPDIR/containers-user-UID`
//! or `~/rundir`. The user's own file (`$CONTAINERS_STORAGE_CONF`, else
//! `$XDG_CONFIG_HOME/containers/storage.conf`, else `~/.config/containers/storage.conf`)
//! replaces all that when it exists, its unset roots taking those defaults.
//! `$STORAGE_DRIVER` and `$STORAGE_OPTS` override the files, and `overlay2` means `overlay`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

pub const STORAGE_CONF_ENV: &str = "CONTAINERS_STORAGE_CONF";
pub const DEFAULT_GRAPH_ROOT: &str = "/var/lib/containers/storage";
pub const DEFAULT_RUN_ROOT: &str = "/run/containers/storage";
const SYSTEM_CONF: &str = "/usr/share/containers/storage.conf";
const OVERRIDE_CONF: &str = "/etc/containers/storage.conf";

/// The store options skopeo would open the default store with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// Empty: chosen when the store is opened (a driver already used there, else overlay
    /// where the kernel has it, else vfs).
    pub driver: String,
    pub graph_root: PathBuf,
    pub run_root: PathBuf,
    /// `DRIVER.key=value` options, in c/storage's order.
    pub driver_options: Vec<String>,
    /// The file the options came from, if any.
    pub source: Option<PathBuf>,
    /// `rootless_storage_path` (as written).
    pub rootless_storage_path: String,
}

#[derive(Deserialize, Default, Debug)]
struct TomlConfig {
    #[serde(default)]
    storage: TomlStorage,
}

#[derive(Deserialize, Default, Debug)]
struct TomlStorage {
    #[serde(default)]
    driver: String,
    #[serde(default)]
    runroot: String,
    #[serde(default)]
    graphroot: String,
    #[serde(default)]
    rootless_storage_path: String,
    #[serde(default)]
    options: TomlOptions,
}

#[derive(Deserialize, Default, Debug)]
struct TomlOptions {
    #[serde(default)]
    additionalimagestores: Vec<String>,
    #[serde(default)]
    additionallayerstores: Vec<String>,
    #[serde(default)]
    size: String,
    #[serde(default)]
    mount_program: String,
    #[serde(default)]
    skip_mount_home: String,
    #[serde(default)]
    ignore_chown_errors: String,
    #[serde(default)]
    mountopt: String,
    #[serde(default)]
    overlay: BTreeMap<String, toml::Value>,
    #[serde(default)]
    vfs: BTreeMap<String, toml::Value>,
}

fn rootless_uid() -> u32 {
    crate::transport::storage::userns::rootless_uid()
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `$HOME`, else the passwd entry's home directory.
fn home() -> Option<PathBuf> {
    if let Some(h) = env_nonempty("HOME") {
        return Some(PathBuf::from(h));
    }
    // SAFETY: getuid has no preconditions; getpwuid_r fills the buffers given.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 << 10];
        let mut res: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::getuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut res,
        );
        if rc != 0 || res.is_null() || pwd.pw_dir.is_null() {
            return None;
        }
        let dir = std::ffi::CStr::from_ptr(pwd.pw_dir)
            .to_string_lossy()
            .into_owned();
        (!dir.is_empty()).then(|| PathBuf::from(dir))
    }
}

/// The system-wide storage.conf c/storage reads, whether or not it exists.
pub fn config_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var(STORAGE_CONF_ENV) {
        return Some(PathBuf::from(p));
    }
    if Path::new(OVERRIDE_CONF).exists() {
        return Some(PathBuf::from(OVERRIDE_CONF));
    }
    Some(PathBuf::from(SYSTEM_CONF))
}

/// Loads the default store options.
pub fn load() -> Result<StoreOptions> {
    let uid = rootless_uid();
    if uid != 0 {
        return load_rootless(uid);
    }
    let path = config_path();
    let mut opts = match &path {
        Some(p) if p.exists() => parse_file(p)?,
        _ => StoreOptions::default(),
    };
    if opts.source.is_none()
        && let Ok(d) = std::env::var("STORAGE_DRIVER")
        && !d.is_empty()
    {
        opts.driver = d;
    }
    if opts.driver == "overlay2" {
        opts.driver = "overlay".into();
    }
    if opts.graph_root.as_os_str().is_empty() {
        opts.graph_root = PathBuf::from(DEFAULT_GRAPH_ROOT);
    }
    if opts.run_root.as_os_str().is_empty() {
        opts.run_root = PathBuf::from(DEFAULT_RUN_ROOT);
    }
    Ok(opts)
}

/// The user's own storage.conf, whether or not it exists.
fn user_config_path() -> Result<PathBuf> {
    if let Ok(p) = std::env::var(STORAGE_CONF_ENV) {
        return Ok(PathBuf::from(p));
    }
    if let Some(d) = env_nonempty("XDG_CONFIG_HOME") {
        return Ok(Path::new(&d).join("containers/storage.conf"));
    }
    match home() {
        Some(h) => Ok(h.join(".config/containers/storage.conf")),
        None => anyhow::bail!("cannot determine user's homedir"),
    }
}

/// An ordinary user's store options (see the module comment).
fn load_rootless(uid: u32) -> Result<StoreOptions> {
    let system = match config_path() {
        Some(p) if std::env::var_os(STORAGE_CONF_ENV).is_some() || p.exists() => {
            match parse_file(&p) {
                Ok(o) => o,
                Err(_) if !p.exists() => StoreOptions::default(),
                Err(e) => return Err(e),
            }
        }
        _ => StoreOptions::default(),
    };
    let run_root = rootless_run_root(uid)?;
    let data_home = match env_nonempty("XDG_DATA_HOME") {
        Some(d) => PathBuf::from(d),
        None => home()
            .context("neither XDG_DATA_HOME nor HOME was set non-empty")?
            .join(".local/share"),
    };
    let graph_root = if system.rootless_storage_path.is_empty() {
        data_home.join("containers/storage")
    } else {
        PathBuf::from(&system.rootless_storage_path)
    };
    let mut driver = match system.driver.as_str() {
        "btrfs" | "overlay" | "overlay2" | "vfs" => system.driver.clone(),
        _ => String::new(),
    };
    if let Some(d) = env_nonempty("STORAGE_DRIVER") {
        driver = d;
    }
    if driver == "overlay2" {
        driver = "overlay".into();
    }
    let mut driver_options = Vec::new();
    if driver == "overlay"
        && let Some(o) = system
            .driver_options
            .iter()
            .find(|o| o.contains("ignore_chown_errors"))
    {
        driver_options.push(o.clone());
    }
    if driver.is_empty() {
        driver = "vfs".into();
    }
    if let Some(env) = env_nonempty("STORAGE_OPTS") {
        driver_options.extend(env.split(',').map(str::to_string));
    }
    let mut opts = StoreOptions {
        driver,
        graph_root,
        run_root: run_root.clone(),
        driver_options,
        source: system.source.clone(),
        rootless_storage_path: system.rootless_storage_path.clone(),
    };
    let user_conf = user_config_path()?;
    if user_conf.exists() {
        let mut mine = parse_file(&user_conf)?;
        if mine.run_root.as_os_str().is_empty() {
            mine.run_root = run_root;
        }
        if mine.graph_root.as_os_str().is_empty() {
            mine.graph_root = if mine.rootless_storage_path.is_empty() {
                opts.graph_root.clone()
            } else {
                PathBuf::from(&mine.rootless_storage_path)
            };
        }
        opts = mine;
    }
    opts.run_root = expand_env_path(&opts.run_root, uid);
    opts.graph_root = expand_env_path(&opts.graph_root, uid);
    Ok(opts)
}

/// `$XDG_RUNTIME_DIR` (or c/storage's fallbacks) + `/containers`, created (0700).
fn rootless_run_root(uid: u32) -> Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    let owned_private = |dir: &Path| {
        std::fs::symlink_metadata(dir)
            .is_ok_and(|m| m.uid() == me && m.mode() & 0o700 == 0o700 && m.mode() & 0o066 == 0)
    };
    let base = if let Some(d) = env_nonempty("XDG_RUNTIME_DIR") {
        PathBuf::from(d)
    } else {
        let mut found = None;
        // c/storage compares the whole of /proc/1/comm (newline included) with "systemd".
        let init = std::fs::read("/proc/1/comm");
        let run_user = PathBuf::from(format!("/run/user/{uid}"));
        if init.as_ref().map_or(true, |c| c == b"systemd") && owned_private(&run_user) {
            found = Some(run_user);
        }
        if found.is_none() {
            let tmp = std::env::temp_dir().join(format!("containers-user-{uid}"));
            match std::fs::symlink_metadata(&tmp) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    match std::fs::DirBuilder::new().mode(0o700).create(&tmp) {
                        Ok(()) => found = Some(tmp),
                        Err(e) => crate::error::log_error(&format!(
                            "Failed to create temp directory for user: {}",
                            crate::gotext::go_errno_text(&e)
                        )),
                    }
                }
                _ if owned_private(&tmp) => found = Some(tmp),
                _ => {}
            }
        }
        match found {
            Some(d) => d,
            None => {
                let h = home()
                    .context("neither XDG_RUNTIME_DIR nor temp dir nor HOME was set non-empty")?;
                std::fs::canonicalize(&h).unwrap_or(h).join("rundir")
            }
        }
    };
    let path = base.join("containers");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&path)
        .map_err(|e| {
            anyhow::anyhow!(
                "unable to make rootless runtime: mkdir {}: {}",
                path.display(),
                crate::gotext::go_errno_text(&e)
            )
        })?;
    Ok(path)
}

/// c/storage's expandEnvPath: `$UID` is the user's id, other `$VAR`/`${VAR}` come from the
/// environment, then symbolic links are resolved (or, failing that, the path is cleaned).
fn expand_env_path(path: &Path, uid: u32) -> PathBuf {
    let text = path.to_string_lossy().replace("$UID", &uid.to_string());
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, used) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if used == 0 {
            out.push('$');
            rest = after;
        } else {
            out.push_str(&std::env::var(name).unwrap_or_default());
            rest = &after[used..];
        }
    }
    out.push_str(rest);
    let expanded = PathBuf::from(out);
    std::fs::canonicalize(&expanded).unwrap_or_else(|_| {
        let clean = crate::reference::path::go_clean(expanded.as_os_str().as_encoded_bytes());
        PathBuf::from(String::from_utf8_lossy(&clean).into_owned())
    })
}

/// Parses one storage.conf.
pub fn parse_file(path: &Path) -> Result<StoreOptions> {
    tracing::debug!(target: "skiff::config", "Reading storage configuration {path:?}");
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    let mut opts = parse_str(&text).with_context(|| format!("decoding {path:?}"))?;
    opts.source = Some(path.to_path_buf());
    Ok(opts)
}

fn value_string(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses storage.conf text.
pub fn parse_str(text: &str) -> Result<StoreOptions> {
    let cfg: TomlConfig = toml::from_str(text)?;
    let s = cfg.storage;
    let mut driver = s.driver.clone();
    if let Some(d) = env_nonempty("STORAGE_DRIVER") {
        driver = d;
    }
    if driver == "overlay2" {
        driver = "overlay".into();
    }
    let o = &s.options;
    let mut dopts = Vec::new();
    for st in &o.additionalimagestores {
        dopts.push(format!("{}.imagestore={st}", s.driver));
    }
    for st in &o.additionallayerstores {
        dopts.push(format!("{}.additionallayerstore={st}", s.driver));
    }
    for (key, val) in [
        ("size", &o.size),
        ("mount_program", &o.mount_program),
        ("skip_mount_home", &o.skip_mount_home),
        ("ignore_chown_errors", &o.ignore_chown_errors),
        ("mountopt", &o.mountopt),
    ] {
        if !val.is_empty() {
            dopts.push(format!("{}.{key}={val}", s.driver));
        }
    }
    let specific = match driver.as_str() {
        "overlay" => Some((
            &o.overlay,
            &[
                "ignore_chown_errors",
                "mount_program",
                "mountopt",
                "size",
                "inodes",
                "skip_mount_home",
                "force_mask",
            ][..],
        )),
        "vfs" => Some((&o.vfs, &["ignore_chown_errors"][..])),
        _ => None,
    };
    if let Some((table, keys)) = specific {
        for key in keys {
            let generic = match *key {
                "ignore_chown_errors" => &o.ignore_chown_errors,
                "mount_program" => &o.mount_program,
                "mountopt" => &o.mountopt,
                "size" => &o.size,
                "skip_mount_home" => &o.skip_mount_home,
                _ => "",
            };
            match table.get(*key) {
                Some(v) if !value_string(v).is_empty() => {
                    dopts.push(format!("{driver}.{key}={}", value_string(v)))
                }
                _ if !generic.is_empty() => dopts.push(format!("{driver}.{key}={generic}")),
                _ => {}
            }
        }
    }
    if let Ok(env) = std::env::var("STORAGE_OPTS") {
        dopts = env.split(',').map(str::to_string).collect();
    }
    if dopts.len() == 1 && dopts[0].is_empty() {
        dopts.clear();
    }
    Ok(StoreOptions {
        driver,
        graph_root: PathBuf::from(s.graphroot),
        run_root: PathBuf::from(s.runroot),
        driver_options: dopts,
        source: None,
        rootless_storage_path: s.rootless_storage_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_roots_driver_and_overlay_options() {
        let o = parse_str(
            "[storage]\ndriver = \"overlay\"\ngraphroot = \"/g\"\nrunroot = \"/r\"\n\
             [storage.options]\nadditionalimagestores = [\"/ro\"]\n\
             [storage.options.overlay]\nmountopt = \"nodev\"\n",
        )
        .unwrap();
        assert_eq!(o.driver, "overlay");
        assert_eq!(o.graph_root, PathBuf::from("/g"));
        assert_eq!(o.run_root, PathBuf::from("/r"));
        assert_eq!(
            o.driver_options,
            vec!["overlay.imagestore=/ro", "overlay.mountopt=nodev"]
        );
    }

    #[test]
    fn rootless_paths_expand_the_uid_and_the_environment() {
        let p = expand_env_path(
            Path::new("/nonexistent-skiff/$UID/${SKIFF_TEST_SURELY_UNSET}x/../y/$"),
            1234,
        );
        assert_eq!(p, PathBuf::from("/nonexistent-skiff/1234/y/$"));
    }

    #[test]
    fn empty_file_leaves_everything_to_defaults() {
        let o = parse_str("").unwrap();
        assert_eq!(o.driver, "");
        assert!(o.graph_root.as_os_str().is_empty());
        assert!(o.driver_options.is_empty());
    }
}
