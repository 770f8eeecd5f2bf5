//! Shared test helpers: running skiff and skopeo, finding peers, building fixture images.

#![allow(dead_code)]

pub mod connect_proxy;
pub mod dockerd;
pub mod engine;
pub mod fixtures;
pub mod held;
pub mod oracle;
pub mod registry;
pub mod socks;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The skiff binary under test.
pub fn skiff() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_skiff"));
    c.env_remove("REGISTRY_AUTH_FILE");
    c
}

/// Gives `c` an empty blob-info cache of its own in `dir`, the way c/image allows one:
/// `_CONTAINERS_ROOTLESS_UID` (c/image's rootless EUID) set to a non-root value puts the
/// cache under `$XDG_DATA_HOME/containers/cache`. Without it, root's cache in
/// /var/lib/containers/cache is shared by every test and run, and names blobs at loopback
/// ports an earlier registry used: copies then try mounts from repositories that are not
/// there, which changes any count of requests or tokens a test makes.
pub fn private_blob_cache<'a>(c: &'a mut Command, dir: &std::path::Path) -> &'a mut Command {
    c.env("_CONTAINERS_ROOTLESS_UID", "1000")
        .env("XDG_DATA_HOME", dir)
}

/// A private GnuPG home (gpg wants one only its owner can open), whose gpg-agent is stopped
/// when it is dropped, before the directory goes.
pub struct GnupgHome(tempfile::TempDir);

impl GnupgHome {
    pub fn path(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

/// A new [`GnupgHome`]; `None` when gpg is missing outside CI (the caller skips, saying so).
pub fn gnupg_home() -> Option<GnupgHome> {
    if !require_tool("gpg") {
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        home.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    Some(GnupgHome(home))
}

/// The installed skopeo, the oracle. `None` when it is missing outside CI (the caller skips,
/// saying so); under CI a missing peer fails the test.
pub fn skopeo() -> Option<Command> {
    require_tool("skopeo").then(|| {
        let mut c = Command::new("skopeo");
        c.env_remove("REGISTRY_AUTH_FILE");
        c
    })
}

/// Whether an external tool is on PATH. Missing under CI=true is a failure, never a skip.
pub fn require_tool(name: &str) -> bool {
    let found = which(name).is_some();
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is required by this test but is not installed (CI=true)");
        }
        eprintln!("SKIPPED: {name} is not installed; ./scripts/test.sh installs it");
    }
    found
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// Runs a command, returning its output whatever the status.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// Runs a command that must succeed.
pub fn ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a command that must fail, returning its stderr.
pub fn fails(cmd: &mut Command) -> (i32, String) {
    let out = run(cmd);
    assert!(!out.status.success(), "{cmd:?} unexpectedly succeeded");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The message of skopeo/skiff's fatal log line (`time=… level=fatal msg="…"`), unquoted.
pub fn fatal_message(stderr: &str) -> String {
    let line = stderr
        .lines()
        .rfind(|l| l.contains("level=fatal"))
        .unwrap_or_else(|| panic!("no fatal line in {stderr:?}"));
    let msg = line.split_once("msg=").map(|(_, m)| m).unwrap_or("");
    match msg.strip_prefix('"').and_then(|m| m.strip_suffix('"')) {
        Some(q) => q.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => msg.to_string(),
    }
}

/// Every file under `dir`, relative path → contents.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// Asserts two directories hold the same files with the same bytes.
pub fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names_a: Vec<_> = ta.keys().collect();
    let names_b: Vec<_> = tb.keys().collect();
    assert_eq!(
        names_a,
        names_b,
        "file lists differ: {} vs {}",
        a.display(),
        b.display()
    );
    for (k, v) in &ta {
        assert!(
            v == &tb[k],
            "{k} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// The diff IDs of `name` as skopeo reads them: skopeo copies it with `--dest-decompress`
/// into `dir:` (checking every blob's digest on the way), so the layer digests it writes are
/// the uncompressed ones. `None` when skopeo is not installed (outside CI).
pub fn skopeo_diff_ids(name: &str, extra: &[&str]) -> Option<Vec<String>> {
    let mut s = skopeo()?;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("d");
    ok(
        s.args(["--insecure-policy", "copy", "-q", "--dest-decompress"])
            .args(extra)
            .arg(name)
            .arg(format!("dir:{}", dir.display())),
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    Some(
        m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap().to_string())
            .collect(),
    )
}
