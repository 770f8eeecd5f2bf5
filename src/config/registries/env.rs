//! The parts of the process environment that decide where skopeo's configuration files live,
//! gathered in one value so that every rule can be tested against a temporary directory
//! instead of the real home directory, /etc and /run.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Where configuration files are looked for. [`Env::from_process`] reads the real environment;
/// tests build one rooted in a temporary directory with [`Env::rooted`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Env {
    /// `$HOME`, or the password database's home directory when `$HOME` is unset or empty
    /// (containers/storage's `homedir.Get`).
    pub home: PathBuf,
    /// The real user id, for `/run/containers/UID/auth.json`.
    pub uid: u32,
    /// `$XDG_RUNTIME_DIR` when set and non-empty.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` when set and non-empty.
    pub xdg_config_home: Option<PathBuf>,
    /// `$DOCKER_CONFIG` when set and non-empty.
    pub docker_config: Option<PathBuf>,
    /// `$CONTAINERS_REGISTRIES_CONF`, else `$REGISTRIES_CONFIG_PATH`, when set and non-empty
    /// (c/image's `environment.UpdateRegistriesConf`).
    pub registries_conf: Option<PathBuf>,
    /// The system configuration directory, `/etc`.
    pub etc: PathBuf,
    /// The runtime directory used when `$XDG_RUNTIME_DIR` is unset, `/run`.
    pub run: PathBuf,
    /// The `PATH` used to find `docker-credential-*` helpers; `None` inherits the process's.
    pub helper_path: Option<OsString>,
}

fn non_empty_var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Env {
    /// The environment of this process.
    pub fn from_process() -> Env {
        Env {
            home: non_empty_var("HOME").unwrap_or_else(passwd_home),
            // SAFETY: getuid has no preconditions and cannot fail.
            uid: unsafe { libc::getuid() },
            xdg_runtime_dir: non_empty_var("XDG_RUNTIME_DIR"),
            xdg_config_home: non_empty_var("XDG_CONFIG_HOME"),
            docker_config: non_empty_var("DOCKER_CONFIG"),
            registries_conf: registries_conf_from(|n| std::env::var_os(n)),
            etc: PathBuf::from("/etc"),
            run: PathBuf::from("/run"),
            helper_path: None,
        }
    }

    /// An environment whose home, /etc and /run all live under `root` (`root/home`,
    /// `root/etc`, `root/run`), with no XDG or Docker variables set: for tests.
    pub fn rooted(root: &Path) -> Env {
        Env {
            home: root.join("home"),
            uid: 4242,
            xdg_runtime_dir: None,
            xdg_config_home: None,
            docker_config: None,
            registries_conf: None,
            etc: root.join("etc"),
            run: root.join("run"),
            helper_path: None,
        }
    }

    /// `$XDG_CONFIG_HOME`, or `~/.config`.
    pub fn config_home(&self) -> PathBuf {
        self.xdg_config_home
            .clone()
            .unwrap_or_else(|| self.home.join(".config"))
    }
}

/// `$CONTAINERS_REGISTRIES_CONF` when set (an empty value counts as set, and means "none"),
/// else `$REGISTRIES_CONFIG_PATH`, as c/image's `UpdateRegistriesConf` decides.
fn registries_conf_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let value = var("CONTAINERS_REGISTRIES_CONF").or_else(|| var("REGISTRIES_CONFIG_PATH"))?;
    Some(PathBuf::from(value)).filter(|p| !p.as_os_str().is_empty())
}

/// The home directory from the password database, for a process without `$HOME`.
fn passwd_home() -> PathBuf {
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: zeroed passwd is a valid out-parameter; getpwuid_r writes only within `buf`,
    // and the returned pointers point into `buf`, which outlives their use here.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::getuid(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        );
        if rc == 0 && !result.is_null() && !pwd.pw_dir.is_null() {
            let dir = std::ffi::CStr::from_ptr(pwd.pw_dir);
            use std::os::unix::ffi::OsStrExt;
            return PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes()));
        }
    }
    PathBuf::new()
}

pub use crate::gotext::go_quote_path as quote_path;
pub use crate::gotext::{go_errno_text, go_path_error};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_conf_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(registries_conf_from(vars(&[])), None);
        assert_eq!(
            registries_conf_from(vars(&[("REGISTRIES_CONFIG_PATH", "/b")])),
            Some(PathBuf::from("/b"))
        );
        assert_eq!(
            registries_conf_from(vars(&[
                ("CONTAINERS_REGISTRIES_CONF", "/a"),
                ("REGISTRIES_CONFIG_PATH", "/b")
            ])),
            Some(PathBuf::from("/a"))
        );
        assert_eq!(
            registries_conf_from(vars(&[
                ("CONTAINERS_REGISTRIES_CONF", ""),
                ("REGISTRIES_CONFIG_PATH", "/b")
            ])),
            None
        );
    }

    #[test]
    fn rooted_env_stays_under_its_root() {
        let env = Env::rooted(Path::new("/t"));
        assert_eq!(env.config_home(), Path::new("/t/home/.config"));
        assert_eq!(env.etc, Path::new("/t/etc"));
    }
}
