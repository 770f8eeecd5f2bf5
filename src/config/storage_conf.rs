//! storage.conf: where the containers/storage image store lives and which graph driver it
//! uses, found and read as containers/storage finds and reads it.
//!
//! Discovery: `$CONTAINERS_STORAGE_CONF` if set (even when the file is missing); otherwise,
//! for root, `/etc/containers/storage.conf` if it exists, else
//! `/usr/share/containers/storage.conf`; for other users `$XDG_CONFIG_HOME/containers/
//! storage.conf` or `~/.config/containers/storage.conf` when present. Roots left unset get
//! the defaults (`/var/lib/containers/storage` and `/run/containers/storage` for root,
//! `$XDG_DATA_HOME/containers/storage` and `$XDG_RUNTIME_DIR/containers` otherwise).
//! `$STORAGE_DRIVER` and `$STORAGE_OPTS` override the file, and `overlay2` means `overlay`.

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

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn home() -> Option<PathBuf> {
    env_nonempty("HOME").map(PathBuf::from)
}

/// The storage.conf c/storage reads, whether or not it exists.
pub fn config_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var(STORAGE_CONF_ENV) {
        return Some(PathBuf::from(p));
    }
    if !is_root() {
        let user = env_nonempty("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home().map(|h| h.join(".config")))
            .map(|d| d.join("containers/storage.conf"));
        if let Some(u) = user.filter(|u| u.exists()) {
            return Some(u);
        }
    }
    if Path::new(OVERRIDE_CONF).exists() {
        return Some(PathBuf::from(OVERRIDE_CONF));
    }
    Some(PathBuf::from(SYSTEM_CONF))
}

/// Loads the default store options.
pub fn load() -> Result<StoreOptions> {
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
        opts.graph_root = default_graph_root();
    }
    if opts.run_root.as_os_str().is_empty() {
        opts.run_root = default_run_root();
    }
    Ok(opts)
}

fn default_graph_root() -> PathBuf {
    if is_root() {
        return PathBuf::from(DEFAULT_GRAPH_ROOT);
    }
    env_nonempty("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("/tmp"))
        .join("containers/storage")
}

fn default_run_root() -> PathBuf {
    if is_root() {
        return PathBuf::from(DEFAULT_RUN_ROOT);
    }
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    env_nonempty("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{uid}")))
        .join("containers")
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
    let graph = if s.graphroot.is_empty() && !is_root() {
        s.rootless_storage_path.clone()
    } else {
        s.graphroot.clone()
    };
    Ok(StoreOptions {
        driver,
        graph_root: PathBuf::from(graph),
        run_root: PathBuf::from(s.runroot),
        driver_options: dopts,
        source: None,
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
    fn empty_file_leaves_everything_to_defaults() {
        let o = parse_str("").unwrap();
        assert_eq!(o.driver, "");
        assert!(o.graph_root.as_os_str().is_empty());
        assert!(o.driver_options.is_empty());
    }
}
