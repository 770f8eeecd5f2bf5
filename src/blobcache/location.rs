//! Where the cache file lives, by c/image's rules: `/var/lib/containers/cache` for root,
//! `$XDG_DATA_HOME/containers/cache` (else `$HOME/.local/share/containers/cache`) for other
//! users. "Root" is c/image's rootless EUID: `$_CONTAINERS_ROOTLESS_UID` when set (podman
//! sets it in its user namespace), else the effective UID. That variable is also how tests
//! give skiff (and skopeo) a private cache without touching the system's.

use std::path::{Path, PathBuf};

const SYSTEM_DIR: &str = "/var/lib/containers/cache";

/// The cache directory, or `None` when it cannot be determined (no HOME for a non-root
/// user: c/image then keeps a memory-only cache). `override_dir` is c/image's
/// `SystemContext.BlobInfoCacheDir`.
pub fn cache_dir(override_dir: Option<&Path>) -> Option<PathBuf> {
    if let Some(d) = override_dir.filter(|d| !d.as_os_str().is_empty()) {
        return Some(d.to_path_buf());
    }
    dir_for(
        rootless_euid(),
        env_nonempty("XDG_DATA_HOME"),
        env_nonempty("HOME"),
    )
}

fn dir_for(euid: u32, xdg_data_home: Option<String>, home: Option<String>) -> Option<PathBuf> {
    if euid == 0 {
        return Some(PathBuf::from(SYSTEM_DIR));
    }
    let data = match xdg_data_home {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(home?).join(".local/share"),
    };
    Some(data.join("containers/cache"))
}

/// c/image's GetRootlessEUID (an unparsable value counts as 0, as Go's Atoi leaves it).
fn rootless_euid() -> u32 {
    match env_nonempty("_CONTAINERS_ROOTLESS_UID") {
        Some(v) => v.parse().unwrap_or(0),
        // SAFETY: geteuid has no preconditions and cannot fail.
        None => unsafe { libc::geteuid() },
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_follows_c_image_rules() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            dir_for(0, s("/x"), s("/h")),
            Some(PathBuf::from("/var/lib/containers/cache"))
        );
        assert_eq!(
            dir_for(1000, s("/x"), s("/h")),
            Some(PathBuf::from("/x/containers/cache"))
        );
        assert_eq!(
            dir_for(1000, None, s("/h")),
            Some(PathBuf::from("/h/.local/share/containers/cache"))
        );
        assert_eq!(dir_for(1000, None, None), None);
        assert_eq!(cache_dir(Some(Path::new("/o"))), Some(PathBuf::from("/o")));
    }
}
