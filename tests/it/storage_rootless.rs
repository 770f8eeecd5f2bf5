//! containers-storage for an ordinary user (rootless). Each test makes a user of its own
//! (`useradd`, its sub-id ranges added with `usermod`, all removed by `userdel` afterwards)
//! with a private home; as that user, rootless podman, skopeo and skiff share the user's
//! store, and skiff re-runs itself in a user namespace mapped with the user's ranges as
//! skopeo does.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::{self, fails, fatal_message, ok, stdout};

/// Whether the peers this file needs are here (under CI a missing one fails), and root to
/// make users.
fn peers() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the rootless tests make users: they must run as root (CI=true)");
        }
        eprintln!("SKIPPED: the rootless tests make users and need root");
        return false;
    }
    [
        "skopeo",
        "podman",
        "docker-registry",
        "newuidmap",
        "useradd",
    ]
    .iter()
    .all(|t| support::require_tool(t))
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A user made for one test, removed (with its sub-id ranges) when dropped.
struct User {
    name: String,
    uid: u32,
    /// The first host id of its /etc/subuid and /etc/subgid range (65536 ids), if it has one.
    range: Option<u32>,
    dir: tempfile::TempDir,
}

impl User {
    fn create(with_range: bool) -> User {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let name = format!("skiffrl{pid}n{n}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = dir.path().join("home");
        // No automatic ranges: the test decides.
        ok(Command::new("useradd")
            .args([
                "-M",
                "-K",
                "SUB_UID_COUNT=0",
                "-K",
                "SUB_GID_COUNT=0",
                "-s",
                "/bin/sh",
            ])
            .arg("-d")
            .arg(&home)
            .arg(&name));
        let uid: u32 = stdout(&ok(Command::new("id").args(["-u", &name])))
            .trim()
            .parse()
            .unwrap();
        let range = with_range.then(|| {
            let start = 1_000_000 + (pid % 2000) * 4 * 65536 + (n % 4) * 65536;
            let ids = format!("{start}-{}", start + 65535);
            ok(Command::new("usermod").args(["--add-subuids", &ids, "--add-subgids", &ids, &name]));
            start
        });
        let user = User {
            name,
            uid,
            range,
            dir,
        };
        for d in ["home", "home/xdg", "home/tmp"] {
            let p = user.dir.path().join(d);
            std::fs::create_dir_all(&p).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
            ok(Command::new("chown").arg(&user.name).arg(&p));
        }
        user
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The store podman, skopeo and skiff use for this user by default.
    fn graph(&self) -> PathBuf {
        self.home().join(".local/share/containers/storage")
    }

    /// Writes a file in the user's home (as the user's).
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.home().join(rel);
        ok(Command::new("runuser")
            .args(["-u", &self.name, "--", "mkdir", "-p"])
            .arg(p.parent().unwrap()));
        std::fs::write(&p, text).unwrap();
        ok(Command::new("chown").arg(&self.name).arg(&p));
        p
    }

    /// `~/.config/containers/storage.conf` naming only the driver: the roots are the defaults.
    fn use_driver(&self, driver: &str) {
        self.write(
            ".config/containers/storage.conf",
            &format!("[storage]\ndriver = \"{driver}\"\n"),
        );
    }

    /// `prog` run as the user, in a clean environment (plus `env`).
    fn cmd_env(&self, env: &[(&str, String)], prog: &str) -> Command {
        let mut c = Command::new("runuser");
        c.args(["-u", &self.name, "--", "env", "-i"]);
        let home = self.home();
        let mut vars: BTreeMap<&str, String> = BTreeMap::new();
        vars.insert("HOME", home.display().to_string());
        vars.insert(
            "PATH",
            "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into(),
        );
        vars.insert("XDG_RUNTIME_DIR", home.join("xdg").display().to_string());
        vars.insert("TMPDIR", home.join("tmp").display().to_string());
        for (k, v) in env {
            vars.insert(k, v.clone());
        }
        for (k, v) in vars {
            if !v.is_empty() {
                c.arg(format!("{k}={v}"));
            }
        }
        c.arg(prog);
        c
    }

    fn cmd(&self, prog: &str) -> Command {
        self.cmd_env(&[], prog)
    }

    fn skiff(&self) -> Command {
        let mut c = self.cmd(env!("CARGO_BIN_EXE_skiff"));
        c.arg("--insecure-policy");
        c
    }

    fn skopeo(&self) -> Command {
        let mut c = self.cmd("skopeo");
        c.arg("--insecure-policy");
        c
    }

    fn podman(&self) -> Command {
        let mut c = self.cmd("podman");
        c.args(["--events-backend", "file", "--cgroup-manager", "cgroupfs"]);
        c
    }

    /// The user's processes (rootless podman leaves a pause process behind).
    fn pids(&self) -> Vec<i32> {
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            if std::fs::metadata(e.path()).is_ok_and(|m| m.uid() == self.uid) {
                out.push(pid);
            }
        }
        out
    }
}

impl Drop for User {
    fn drop(&mut self) {
        for pid in self.pids() {
            // SAFETY: signalling a process of this test's own user.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        // The user's files (owned by its sub-ids too) go with the temporary directory.
        let _ = Command::new("userdel").args(["-f", &self.name]).output();
    }
}

/// The binary under test must be reachable by the test users.
fn binary_reachable(u: &User) -> bool {
    let ok = u
        .cmd("test")
        .args(["-x", env!("CARGO_BIN_EXE_skiff")])
        .status()
        .unwrap()
        .success();
    assert!(
        ok,
        "{} cannot run {}: check the directories' permissions",
        u.name,
        env!("CARGO_BIN_EXE_skiff")
    );
    ok
}

fn entry(
    b: &mut tar::Builder<Vec<u8>>,
    path: &str,
    kind: tar::EntryType,
    mode: u32,
    owner: u64,
    data: &[u8],
) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(owner);
    h.set_gid(owner);
    h.set_mtime(1_600_000_000);
    h.set_size(data.len() as u64);
    if kind == tar::EntryType::Char {
        h.set_device_major(1).unwrap();
        h.set_device_minor(5).unwrap();
    }
    b.append_data(&mut h, path, data).unwrap();
}

/// Two layers: files of uid 1000 and of root and a device; then a whiteout and an opaque
/// directory over them.
fn owned_image() -> ImageSpec {
    use tar::EntryType::{Char, Directory, Regular};
    let mut b = tar::Builder::new(Vec::new());
    entry(&mut b, "etc/", Directory, 0o755, 0, b"");
    entry(&mut b, "etc/motd", Regular, 0o644, 0, b"hello\n");
    entry(&mut b, "etc/secret", Regular, 0o600, 0, b"root only\n");
    entry(&mut b, "dev/", Directory, 0o755, 0, b"");
    entry(&mut b, "dev/zero2", Char, 0o666, 0, b"");
    entry(&mut b, "home/", Directory, 0o755, 0, b"");
    entry(&mut b, "home/u/", Directory, 0o700, 1000, b"");
    entry(&mut b, "home/u/f", Regular, 0o600, 1000, b"mine\n");
    entry(&mut b, "home/u/old", Regular, 0o644, 1000, b"old\n");
    let base = b.into_inner().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    entry(&mut b, "etc/", Directory, 0o755, 0, b"");
    entry(&mut b, "etc/.wh.motd", Regular, 0o644, 0, b"");
    entry(&mut b, "home/", Directory, 0o755, 0, b"");
    entry(&mut b, "home/u/", Directory, 0o700, 1000, b"");
    entry(&mut b, "home/u/.wh..wh..opq", Regular, 0o644, 1000, b"");
    entry(&mut b, "home/u/new", Regular, 0o640, 1000, b"new\n");
    let top = b.into_inner().unwrap();
    ImageSpec {
        layers: vec![base, top],
        ..ImageSpec::small(3)
    }
}

/// One layer of root's files only.
fn root_image() -> ImageSpec {
    ImageSpec {
        layers: vec![fixtures::layer_tar(&[("etc/hostname", b"box\n")])],
        ..ImageSpec::small(4)
    }
}

/// Pushes `spec` (as root) to `reg` as `repo`; returns its config's diff IDs.
fn push_fixture(reg: &Registry, repo: &str, spec: &ImageSpec) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let built = fixtures::write_oci(dir.path(), "t", spec);
    ok(Command::new("skopeo").args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:t", dir.path().display()),
        &reg.image(repo),
    ]));
    let config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// What `ls -ln` would show of every file under `root` (no times), keyed by relative path;
/// with user xattrs (overlay's opaque mark) and regular files' bytes.
fn listing(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let md = std::fs::symlink_metadata(&p).unwrap();
            let ft = md.file_type();
            let kind = if ft.is_dir() {
                "d".to_string()
            } else if ft.is_char_device() {
                format!("c{}", md.rdev())
            } else if ft.is_symlink() {
                format!("l{}", std::fs::read_link(&p).unwrap().display())
            } else {
                format!("f{:?}", std::fs::read(&p).unwrap())
            };
            let mut xattrs = Vec::new();
            let names = Command::new("getfattr")
                .args(["-h", "-d", "-m", "^user\\."])
                .arg(&p)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            for l in names
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
            {
                xattrs.push(l.to_string());
            }
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            out.insert(
                rel,
                format!(
                    "{kind} {:o} {}:{} {xattrs:?}",
                    md.mode() & 0o7777,
                    md.uid(),
                    md.gid()
                ),
            );
            if ft.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// Each layer's files of a store, by layer ID.
fn layer_trees(graph: &Path, driver: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let layers: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(graph.join(format!("{driver}-layers/layers.json"))).unwrap(),
    )
    .unwrap();
    layers
        .iter()
        .map(|l| {
            let id = l["id"].as_str().unwrap().to_string();
            let files = match driver {
                "vfs" => graph.join("vfs/dir").join(&id),
                _ => graph.join("overlay").join(&id).join("diff"),
            };
            (id, listing(&files))
        })
        .collect()
}

/// The uncompressed layers of a `docker save`-format archive, and each one's entries as
/// `path uid:gid type`.
fn saved_layers(archive: &Path) -> Vec<(String, Vec<String>)> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut a = tar::Archive::new(std::fs::File::open(archive).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        files.insert(name, data);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    manifest[0]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let bytes = &files[l.as_str().unwrap()];
            let mut entries = Vec::new();
            let mut t = tar::Archive::new(&bytes[..]);
            for e in t.entries().unwrap() {
                let e = e.unwrap();
                let h = e.header();
                entries.push(format!(
                    "{} {}:{} {:?}",
                    e.path().unwrap().display(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.entry_type()
                ));
            }
            (fixtures::sha256(bytes), entries)
        })
        .collect()
}

/// skiff's and skopeo's `inspect` output agree (skiff prints LayersData as newer skopeo does).
fn assert_same_inspect(mine: &std::process::Output, theirs: &std::process::Output) {
    let mine: serde_json::Value = serde_json::from_slice(&mine.stdout).unwrap();
    let mut theirs: serde_json::Value = serde_json::from_slice(&theirs.stdout).unwrap();
    theirs["LayersData"] = mine["LayersData"].clone();
    assert_eq!(mine, theirs);
}

#[test]
fn rootless_podman_image_read_and_pushed_by_skiff() {
    if !peers() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let diff_ids = push_fixture(&reg, "t:1", &owned_image());
    let u = User::create(true);
    if !binary_reachable(&u) {
        return;
    }
    u.use_driver("vfs");
    let name = format!("{}/t:1", reg.host);
    ok(u.podman().args(["pull", "-q", "--tls-verify=false", &name]));
    let src = format!("containers-storage:{name}");
    // skiff and skopeo, each in its own user namespace, read the image podman stored.
    let mine = ok(u.skiff().args(["inspect", &src]));
    let theirs = ok(u.skopeo().args(["inspect", &src]));
    assert_same_inspect(&mine, &theirs);
    ok(u.skiff().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &src,
        &reg.image("skiff/t:1"),
    ]));
    // The pushed layers decompress to the diff IDs (skopeo checks every digest) and the
    // config is the one podman pulled.
    let pushed =
        support::skopeo_diff_ids(&reg.image("skiff/t:1"), &["--src-tls-verify=false"]).unwrap();
    assert_eq!(pushed, diff_ids);
    let config = |image: &str| {
        ok(Command::new("skopeo").args([
            "inspect",
            "--tls-verify=false",
            "--config",
            "--raw",
            image,
        ]))
        .stdout
    };
    assert_eq!(config(&reg.image("skiff/t:1")), config(&reg.image("t:1")));
}

/// skiff pulls into the user's store; the layers are those podman makes of the same image
/// (owners mapped through the user's range, devices left out, overlay's whiteouts), podman
/// and skopeo read the image, and skiff deletes it.
fn pull_as_podman_does(driver: &str, mount_program: Option<&str>) {
    if !peers() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let diff_ids = push_fixture(&reg, "t:1", &owned_image());
    let u = User::create(true);
    if !binary_reachable(&u) {
        return;
    }
    u.use_driver(driver);
    let mut podman_opts = Vec::new();
    if let Some(program) = mount_program {
        if !support::require_tool(program) {
            return;
        }
        u.write(
            ".config/containers/storage.conf",
            &format!(
                "[storage]\ndriver = \"{driver}\"\n[storage.options.overlay]\nmount_program = \"/usr/bin/{program}\"\n"
            ),
        );
        podman_opts = vec![
            "--storage-opt".to_string(),
            format!("overlay.mount_program=/usr/bin/{program}"),
        ];
    }
    let range = u.range.unwrap();
    ok(u.skiff().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &reg.image("t:1"),
        "containers-storage:localhost/t:1",
    ]));
    // podman pulls the same image into a second store of the user's.
    // (podman keeps the roots it first used in its database: they are given as flags.)
    let podman_graph = u.home().join("podman-store");
    ok(u.podman()
        .args(&podman_opts)
        .args(["--storage-driver", driver, "--root"])
        .arg(&podman_graph)
        .arg("--runroot")
        .arg(u.home().join("xdg/podman-run"))
        .args([
            "pull",
            "-q",
            "--tls-verify=false",
            &format!("{}/t:1", reg.host),
        ]));
    let mine = layer_trees(&u.graph(), driver);
    let theirs = layer_trees(&podman_graph, driver);
    assert_eq!(mine, theirs, "skiff's layers (left) and podman's (right)");
    // The second layer's whiteout, in the driver's format.
    let whiteout = |rel: &str| mine.values().find_map(|t| t.get(rel)).cloned();
    match (driver, mount_program) {
        ("overlay", None) => {
            assert!(
                whiteout("etc/motd").is_some_and(|w| w.starts_with("c0 ")),
                "{mine:?}"
            )
        }
        ("overlay", Some(_)) => assert!(whiteout("etc/.wh.motd").is_some(), "{mine:?}"),
        _ => {}
    }
    // uid 1000 in the image is the range's 1000th id on the host.
    let f = mine
        .values()
        .find_map(|t| t.get("home/u/f"))
        .expect("home/u/f in a layer");
    let mapped = range + 999;
    assert!(f.contains(&format!(" {mapped}:{mapped} ")), "{f}");

    let inspect = ok(u.podman().args(["image", "inspect", "localhost/t:1"]));
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let layers: Vec<String> = v[0]["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    assert_eq!(layers, diff_ids);
    let saved = u.home().join("tmp/saved.tar");
    ok(u.podman().args([
        "save",
        "-q",
        "--format",
        "docker-archive",
        "-o",
        &saved.display().to_string(),
        "localhost/t:1",
    ]));
    let layers = saved_layers(&saved);
    assert_eq!(
        layers.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>(),
        diff_ids
    );
    assert!(
        layers[0]
            .1
            .contains(&"home/u/f 1000:1000 Regular".to_string()),
        "{layers:?}"
    );
    assert!(
        layers[0].1.contains(&"dev/zero2 0:0 Char".to_string()),
        "{layers:?}"
    );

    let src = "containers-storage:localhost/t:1";
    let mine = ok(u.skiff().args(["inspect", src]));
    let theirs = ok(u.skopeo().args(["inspect", src]));
    assert_same_inspect(&mine, &theirs);

    ok(u.skiff().args(["delete", src]));
    let listed = ok(u.podman().args(["images", "-q"]));
    assert_eq!(stdout(&listed).trim(), "", "the image is gone");
    let layers: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(u.graph().join(format!("{driver}-layers/layers.json"))).unwrap(),
    )
    .unwrap();
    assert!(layers.is_empty(), "{layers:?}");
}

#[test]
fn rootless_vfs_pull_as_podman_does() {
    pull_as_podman_does("vfs", None);
}

/// Native overlay in a user namespace (Linux ≥ 5.11; this kernel has it): no mount program.
#[test]
fn rootless_overlay_pull_as_podman_does() {
    pull_as_podman_does("overlay", None);
}

/// Overlay through fuse-overlayfs (`mount_program`): whiteouts stay files, as c/storage keeps
/// them for a mount program.
#[test]
fn rootless_overlay_with_a_mount_program_pull_as_podman_does() {
    pull_as_podman_does("overlay", Some("fuse-overlayfs"));
}

/// The bits of a store nothing committed may leave: records, layer directories, staging.
fn store_contents(graph: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for rel in ["vfs-layers/layers.json", "vfs-images/images.json"] {
        let text = std::fs::read_to_string(graph.join(rel)).unwrap_or_default();
        out.insert(rel.to_string(), text);
    }
    for rel in ["vfs/dir", "tmp"] {
        let names: Vec<String> = std::fs::read_dir(graph.join(rel))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.insert(rel.to_string(), names.join(","));
    }
    out
}

fn warnings(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("level=warning"))
        .map(|l| l.split_once("msg=").unwrap().1.to_string())
        .collect()
}

#[test]
fn rootless_user_without_sub_ids_gets_a_single_mapping() {
    if !peers() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    push_fixture(&reg, "t:1", &owned_image());
    push_fixture(&reg, "root:1", &root_image());
    let u = User::create(false);
    if !binary_reachable(&u) {
        return;
    }
    u.use_driver("vfs");
    let copy = |prog: Command, image: &str, dest: &str| {
        let mut c = prog;
        c.args(["copy", "-q", "--src-tls-verify=false", image, dest]);
        c
    };
    let (code, mine) = fails(&mut copy(
        u.skiff(),
        &reg.image("t:1"),
        "containers-storage:localhost/t:1",
    ));
    let before = store_contents(&u.graph());
    let (_, theirs) = fails(&mut copy(
        u.skopeo(),
        &reg.image("t:1"),
        "containers-storage:localhost/t:1",
    ));
    assert_eq!(code, 1);
    // The same warnings (the ranges are missing), then one fatal line naming the id.
    assert_eq!(warnings(&mine), warnings(&theirs));
    assert_eq!(warnings(&mine).len(), 3, "{mine}");
    assert_eq!(
        mine.lines().filter(|l| l.contains("level=fatal")).count(),
        1,
        "{mine}"
    );
    let why = "potentially insufficient UIDs or GIDs available in user namespace (requested 1000:1000 for /home/u): Check /etc/subuid and /etc/subgid if configured locally and run podman-system-migrate: lchown /home/u: invalid argument";
    assert!(fatal_message(&mine).contains(why), "{mine}");
    assert!(fatal_message(&theirs).contains(why), "{theirs}");
    // Nothing of the failed copy is left.
    let expect: BTreeMap<String, String> = [
        ("tmp", ""),
        ("vfs-images/images.json", ""),
        ("vfs-layers/layers.json", ""),
        ("vfs/dir", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let empty_json = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter()
            .map(|(k, v)| (k.clone(), if v == "[]" { String::new() } else { v.clone() }))
            .collect()
    };
    assert_eq!(empty_json(&before), expect);
    // An image of root's files only fits the single mapping: its files are the user's.
    ok(&mut copy(
        u.skiff(),
        &reg.image("root:1"),
        "containers-storage:localhost/root:1",
    ));
    let trees = layer_trees(&u.graph(), "vfs");
    let host = trees
        .values()
        .find_map(|t| t.get("etc/hostname"))
        .expect("etc/hostname");
    assert!(host.contains(&format!(" {}:", u.uid)), "{host}");
}

/// The user has ranges, but the set-id helpers cannot use them (the copies of newuidmap and
/// newgidmap first on its PATH are not set-id, as in a container without file capabilities):
/// c/storage warns and falls back to mapping only the user's own id, and so must skiff.
#[test]
fn rootless_user_whose_id_helpers_fail_falls_back_to_a_single_mapping() {
    if !peers() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    push_fixture(&reg, "t:1", &owned_image());
    push_fixture(&reg, "root:1", &root_image());
    let u = User::create(true);
    if !binary_reachable(&u) {
        return;
    }
    u.use_driver("vfs");
    let bin = u.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in ["newuidmap", "newgidmap"] {
        let found = support::which(tool).unwrap();
        std::fs::copy(&found, bin.join(tool)).unwrap();
        // Plain 0755: no set-id bit (a copy has no file capabilities either).
        std::fs::set_permissions(bin.join(tool), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        bin.display()
    );
    let as_user = |prog: &str| {
        let mut c = u.cmd_env(&[("PATH", path.clone())], prog);
        c.arg("--insecure-policy");
        c
    };
    let copy = |prog: &str, image: &str, dest: &str| {
        let mut c = as_user(prog);
        c.args(["copy", "-q", "--src-tls-verify=false", image, dest]);
        c
    };
    let skiff = env!("CARGO_BIN_EXE_skiff");
    let (code, mine) = fails(&mut copy(
        skiff,
        &reg.image("t:1"),
        "containers-storage:localhost/t:1",
    ));
    let before = store_contents(&u.graph());
    let (_, theirs) = fails(&mut copy(
        "skopeo",
        &reg.image("t:1"),
        "containers-storage:localhost/t:1",
    ));
    assert_eq!(code, 1);
    // skopeo's warnings: each helper failed, each time falling back.
    assert_eq!(warnings(&mine), warnings(&theirs), "{mine}\n{theirs}");
    assert_eq!(
        warnings(&mine)
            .iter()
            .filter(|w| w.contains("Falling back to single mapping"))
            .count(),
        2,
        "{mine}"
    );
    // The ranges were not used: uid 1000 of the image has no id in the namespace.
    let why = "potentially insufficient UIDs or GIDs available in user namespace (requested 1000:1000 for /home/u)";
    assert!(fatal_message(&mine).contains(why), "{mine}");
    assert!(fatal_message(&theirs).contains(why), "{theirs}");
    for (k, v) in &before {
        assert!(v.is_empty() || v == "[]", "{k} left behind: {v}");
    }
    // Root's files fit the single mapping: the copy works, the files are the user's own.
    ok(&mut copy(
        skiff,
        &reg.image("root:1"),
        "containers-storage:localhost/root:1",
    ));
    let trees = layer_trees(&u.graph(), "vfs");
    let host = trees
        .values()
        .find_map(|t| t.get("etc/hostname"))
        .expect("etc/hostname");
    assert!(host.contains(&format!(" {}:", u.uid)), "{host}");
    // skopeo, with the same helpers, reads what skiff stored.
    ok(as_user("skopeo").args(["inspect", "containers-storage:localhost/root:1"]));
}

#[test]
fn rootless_store_of_another_user_or_read_only_fails_as_skopeo_does() {
    if !peers() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    push_fixture(&reg, "root:1", &root_image());
    let owner = User::create(true);
    let intruder = User::create(true);
    if !binary_reachable(&owner) {
        return;
    }
    owner.use_driver("vfs");
    ok(owner.skiff().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &reg.image("root:1"),
        "containers-storage:localhost/root:1",
    ]));
    // Another user pointed at the owner's store.
    let conf = intruder.write(
        "other.conf",
        &format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            owner.graph().display(),
            intruder.home().join("run").display()
        ),
    );
    let env = [("CONTAINERS_STORAGE_CONF", conf.display().to_string())];
    for args in [
        vec!["inspect", "containers-storage:localhost/root:1"],
        vec![
            "copy",
            "--src-tls-verify=false",
            &reg.image("root:1"),
            "containers-storage:localhost/x:1",
        ],
    ] {
        let mut mine = intruder.cmd_env(&env, env!("CARGO_BIN_EXE_skiff"));
        let mut theirs = intruder.cmd_env(&env, "skopeo");
        let (_, m) = fails(mine.arg("--insecure-policy").args(&args));
        let (_, t) = fails(theirs.arg("--insecure-policy").args(&args));
        assert_eq!(fatal_message(&m), fatal_message(&t));
        assert_eq!(
            m.lines().filter(|l| l.contains("level=fatal")).count(),
            1,
            "{m}"
        );
    }
    // The owner's store read-only (a read-only bind mount of the graph root).
    let before = store_contents(&owner.graph());
    let g = owner.graph();
    ok(Command::new("mount").arg("--bind").arg(&g).arg(&g));
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(g.clone());
    ok(Command::new("mount")
        .args(["-o", "remount,bind,ro"])
        .arg(&g)
        .arg(&g));
    let args = [
        "copy",
        "--src-tls-verify=false",
        &reg.image("root:1"),
        "containers-storage:localhost/y:1",
    ];
    let (_, m) = fails(owner.skiff().args(args));
    let (_, t) = fails(owner.skopeo().args(args));
    assert_eq!(fatal_message(&m), fatal_message(&t));
    assert!(fatal_message(&m).contains("read-only file system"), "{m}");
    drop(_unmount);
    assert_eq!(store_contents(&owner.graph()), before);
}

/// Where an ordinary user's store is, as skopeo resolves it: a missing image's error names
/// the store (`[driver@graphroot+runroot]`).
#[test]
fn rootless_store_location_as_skopeo_resolves_it() {
    if !peers() {
        return;
    }
    let u = User::create(true);
    if !binary_reachable(&u) {
        return;
    }
    let home = u.home().display().to_string();
    let conf_home = u.home().join("conf-home");
    u.write(
        "conf-home/containers/storage.conf",
        "[storage]\ndriver = \"vfs\"\nrootless_storage_path = \"$HOME/rsp/$UID\"\n",
    );
    let explicit = u.write(
        "explicit.conf",
        &format!("[storage]\ndriver = \"vfs\"\ngraphroot = \"{home}/g\"\nrunroot = \"{home}/r\"\n"),
    );
    let cases: Vec<Vec<(&str, String)>> = vec![
        // Nothing configured: vfs, ~/.local/share, and with no XDG_RUNTIME_DIR, $TMPDIR.
        vec![("XDG_RUNTIME_DIR", String::new())],
        vec![("XDG_DATA_HOME", format!("{home}/data"))],
        vec![("XDG_CONFIG_HOME", conf_home.display().to_string())],
        vec![("CONTAINERS_STORAGE_CONF", explicit.display().to_string())],
    ];
    for env in cases {
        let name = "containers-storage:localhost/missing:1";
        let mut mine = u.cmd_env(&env, env!("CARGO_BIN_EXE_skiff"));
        let mut theirs = u.cmd_env(&env, "skopeo");
        let (_, m) = fails(mine.args(["inspect", name]));
        let (_, t) = fails(theirs.args(["inspect", name]));
        assert_eq!(fatal_message(&m), fatal_message(&t), "{env:?}");
    }
}

/// A signal to skiff mid-layer reaches the copy in the user namespace: it cleans up as a
/// root copy does (nothing left in the store), and skiff exits as skopeo's re-run does
/// (128 + the signal).
#[test]
fn rootless_copy_interrupted_mid_layer_leaves_the_store_as_it_was() {
    use crate::support::held::{HeldSource, wait_bounded};
    if !peers() {
        return;
    }
    let u = User::create(true);
    if !binary_reachable(&u) {
        return;
    }
    u.use_driver("vfs");
    let held = HeldSource::new();
    // The user reads the source.
    std::fs::set_permissions(
        held.src.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let mut runuser = u
        .skiff()
        .args([
            "copy",
            "-q",
            &held.name(),
            "containers-storage:localhost/sig:1",
        ])
        .spawn()
        .unwrap();
    let pipe = held.wait_for_reader(&mut runuser);
    // runuser's child is skiff (env executes it); the copy itself runs in skiff's child.
    let pid = runuser.id();
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
    let skiff: i32 = children.split_whitespace().next().unwrap().parse().unwrap();
    // SAFETY: kill(2) on the test user's skiff process, which this test started.
    assert_eq!(unsafe { libc::kill(skiff, libc::SIGTERM) }, 0);
    let status = wait_bounded(&mut runuser);
    drop(pipe);
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{status:?}");
    assert!(u.pids().is_empty(), "no process of the user is left");
    let left = store_contents(&u.graph());
    for (what, v) in &left {
        assert!(v.is_empty() || v == "[]", "{what}: {v}");
    }
}

/// Signatures kept in the user's store: images signed as they are copied in (simple signing
/// with a key gpg made, and a sigstore key) keep their signatures, and copying them out
/// carries them; skopeo 1.9.3, as the same user reading the same store, writes the same
/// signature files. An image skopeo signed into the store reads back the same through skiff.
#[test]
fn rootless_signatures_are_kept_in_the_store_as_skopeo_reads_them() {
    if !peers() || !support::require_tool("gpg") || !support::require_tool("openssl") {
        return;
    }
    let u = User::create(true);
    if !binary_reachable(&u) {
        return;
    }
    u.use_driver("vfs");
    let home = u.home();
    let gnupg = home.join("gnupg");
    ok(u.cmd("mkdir").arg("-m").arg("700").arg(&gnupg));
    let gpg = || {
        let mut c = u.cmd_env(&[("GNUPGHOME", gnupg.display().to_string())], "gpg");
        c.arg("--batch");
        c
    };
    ok(gpg().args([
        "--passphrase",
        "",
        "--quick-generate-key",
        "signer <signer@example.com>",
        "default",
        "default",
        "never",
    ]));
    let fpr = stdout(&ok(gpg().args(["--with-colons", "--list-secret-keys"])))
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .expect("fingerprint");
    let gpg_env = [("GNUPGHOME", gnupg.display().to_string())];
    // A sigstore key pair (skopeo 1.9.3 has no generate-sigstore-key).
    let pp = u.write("pp", "sigstore passphrase\n");
    let prefix = home.join("cosign");
    ok(u.skiff()
        .args(["generate-sigstore-key", "--output-prefix"])
        .arg(&prefix)
        .arg("--passphrase-file")
        .arg(&pp));
    // Three images with layers stored uncompressed, so that reading them back from the store
    // leaves their manifests (and so their signatures) valid.
    let sources: Vec<PathBuf> = (0..3)
        .map(|i| {
            let src = u.dir.path().join(format!("src{i}"));
            crate::storage_layers::write_uncompressed_dir(
                &src,
                &[fixtures::layer_tar(&[(
                    &format!("f{i}"),
                    &fixtures::noise(3000, 40 + i),
                )])],
            );
            src
        })
        .collect();
    let copy_in = |mut tool: Command, src: &Path, sign: &[String], name: &str| {
        tool.args(["copy", "-q"]).args(sign);
        ok(tool
            .arg(format!("dir:{}", src.display()))
            .arg(format!("containers-storage:localhost/{name}:1")));
    };
    let by_gpg = vec!["--sign-by".to_string(), fpr.clone()];
    let by_sigstore = vec![
        "--sign-by-sigstore-private-key".to_string(),
        format!("{}.private", prefix.display()),
        "--sign-passphrase-file".to_string(),
        pp.display().to_string(),
    ];
    let mut skiff = u.cmd_env(&gpg_env, env!("CARGO_BIN_EXE_skiff"));
    skiff.arg("--insecure-policy");
    copy_in(skiff, &sources[0], &by_gpg, "gpg");
    copy_in(u.skiff(), &sources[1], &by_sigstore, "sigstore");
    let mut skopeo = u.cmd_env(&gpg_env, "skopeo");
    skopeo.arg("--insecure-policy");
    copy_in(skopeo, &sources[2], &by_gpg, "theirs");

    for name in ["gpg", "sigstore", "theirs"] {
        let image = format!("containers-storage:localhost/{name}:1");
        let (mine, theirs) = (
            home.join(format!("mine-{name}")),
            home.join(format!("theirs-{name}")),
        );
        ok(u.skiff()
            .args(["copy", "-q", &image])
            .arg(format!("dir:{}", mine.display())));
        ok(u.skopeo()
            .args(["copy", "-q", &image])
            .arg(format!("dir:{}", theirs.display())));
        support::assert_same_tree(&mine, &theirs);
        assert!(mine.join("signature-1").is_file(), "{name}");
        assert!(!mine.join("signature-2").exists(), "{name}");
    }
    // gpg accepts the simple signings; skopeo's policy accepts the images from the store,
    // each signed for its name.
    for name in ["gpg", "theirs"] {
        let sig = home.join(format!("mine-{name}/signature-1"));
        let out = ok(gpg().arg("--verify").arg(&sig));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Good signature"),
            "{name}"
        );
    }
    let key = home.join("key.gpg");
    let exported = ok(gpg().args(["--export", &fpr]));
    std::fs::write(&key, exported.stdout).unwrap();
    // A policy per image: its kind of signature, by that key, for anything in the store.
    let gpg_key = serde_json::json!({"type": "signedBy", "keyType": "GPGKeys", "keyPath": key});
    let sigstore_key = serde_json::json!({
        "type": "sigstoreSigned",
        "keyPath": format!("{}.pub", prefix.display()),
    });
    let policy = |name: &str| {
        let requirement = if name == "sigstore" {
            &sigstore_key
        } else {
            &gpg_key
        };
        u.write(
            &format!("policy-{name}.json"),
            &serde_json::json!({
                "default": [{"type": "reject"}],
                "transports": {"containers-storage": {"": [requirement]}},
            })
            .to_string(),
        )
    };
    for name in ["gpg", "sigstore", "theirs"] {
        // Debian's skopeo 1.9.3 is built without sigstore verification: openssl checks that
        // signature below.
        let tools: &[&str] = if name == "sigstore" {
            &[env!("CARGO_BIN_EXE_skiff")]
        } else {
            &["skopeo", env!("CARGO_BIN_EXE_skiff")]
        };
        for (i, tool) in tools.iter().enumerate() {
            let out = home.join(format!("verified-{name}-{i}"));
            ok(u.cmd(tool)
                .arg("--policy")
                .arg(policy(name))
                .args([
                    "copy",
                    "-q",
                    &format!("containers-storage:localhost/{name}:1"),
                ])
                .arg(format!("dir:{}", out.display())));
        }
    }
    // The sigstore signature read out of the store: its payload names the image's manifest
    // and openssl verifies it with the public key.
    let dir = home.join("mine-sigstore");
    let blob = std::fs::read(dir.join("signature-1")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(blob.strip_prefix(b"\x00sigstore-json\n").unwrap()).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(json["payload"].as_str().unwrap()).unwrap();
    let signature = json["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap();
    std::fs::write(home.join("payload"), &payload).unwrap();
    std::fs::write(home.join("payload.sig"), b64.decode(signature).unwrap()).unwrap();
    let verified = ok(Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(format!("{}.pub", prefix.display()))
        .arg("-signature")
        .arg(home.join("payload.sig"))
        .arg(home.join("payload")));
    assert_eq!(stdout(&verified), "Verified OK\n");
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        fixtures::sha256(&manifest)
    );
    assert_eq!(
        payload["critical"]["identity"]["docker-reference"],
        "localhost/sigstore:1"
    );
}

/// A store's image or layer records (`vfs-images/images.json`, `vfs-layers/layers.json`).
fn records(graph: &Path, what: &str) -> Vec<serde_json::Value> {
    std::fs::read(graph.join(format!("vfs-{what}/{what}.json")))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or_default()
}

fn names_of(images: &[serde_json::Value], name: &str) -> (serde_json::Value, serde_json::Value) {
    let image = images
        .iter()
        .find(|i| {
            i["names"]
                .as_array()
                .is_some_and(|n| n.iter().any(|x| x == name))
        })
        .unwrap_or_else(|| panic!("no image named {name} in {images:?}"));
    (image["names"].clone(), image["names-history"].clone())
}

/// What the root store's tests check, as the user: a second image stores only its own layer,
/// a second name is added as skopeo adds it (skopeo 1.9.3 as the same user, in a store of its
/// own), and delete removes an image with only the layers no other image uses.
#[test]
fn rootless_layer_reuse_names_and_delete_as_skopeo_does() {
    if !peers() {
        return;
    }
    let u = User::create(true);
    if !binary_reachable(&u) {
        return;
    }
    u.use_driver("vfs");
    let layout = u.dir.path().join("layout");
    let base = ImageSpec::small(1);
    let mut other = ImageSpec::small(1);
    other.layers[1] = fixtures::layer_tar(&[("other.bin", &fixtures::noise(1000, 5))]);
    fixtures::write_oci(&layout, "one", &base);
    fixtures::write_oci(&layout, "two", &other);
    let copy = |mut tool: Command, tag: &str, name: &str| {
        ok(tool.args([
            "copy",
            "-q",
            &format!("oci:{}:{tag}", layout.display()),
            &format!("containers-storage:{name}"),
        ]));
    };
    let graph = u.graph();
    copy(u.skiff(), "one", "localhost/one:1");
    let first = records(&graph, "layers");
    assert_eq!(first.len(), 2);
    copy(u.skiff(), "two", "localhost/two:1");
    let layers = records(&graph, "layers");
    assert_eq!(layers.len(), 3, "the shared base layer is stored once");
    assert_eq!(layers[0], first[0], "the base layer record is untouched");
    copy(u.skiff(), "one", "localhost/one:again");
    assert_eq!(records(&graph, "layers").len(), 3);
    let images = records(&graph, "images");
    assert_eq!(images.len(), 2);

    let theirs_conf = u.write(
        "theirs.conf",
        &format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            u.home().join("theirs").display(),
            u.home().join("xdg/theirs-run").display()
        ),
    );
    let skopeo = || {
        let env = [("CONTAINERS_STORAGE_CONF", theirs_conf.display().to_string())];
        let mut c = u.cmd_env(&env, "skopeo");
        c.arg("--insecure-policy");
        c
    };
    copy(skopeo(), "one", "localhost/one:1");
    copy(skopeo(), "one", "localhost/one:again");
    let theirs = records(&u.home().join("theirs"), "images");
    assert_eq!(
        names_of(&images, "localhost/one:1"),
        names_of(&theirs, "localhost/one:1")
    );

    ok(u.skiff()
        .args(["delete", "containers-storage:localhost/two:1"]));
    assert_eq!(records(&graph, "images").len(), 1);
    assert_eq!(records(&graph, "layers").len(), 2);
    let two_top = layers[2]["id"].as_str().unwrap();
    assert!(!graph.join("vfs/dir").join(two_top).exists());
    let listed = stdout(&ok(u.podman().args([
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ])));
    let mut listed: Vec<&str> = listed.lines().collect();
    listed.sort();
    assert_eq!(listed, ["localhost/one:1", "localhost/one:again"]);
    ok(u.skopeo()
        .args(["copy", "-q", "containers-storage:localhost/one:1"])
        .arg(format!("dir:{}", u.home().join("back").display())));
    // A missing image: skopeo's message and skiff's exit 2 (as newer skopeo).
    let (code, mine) = fails(
        u.skiff()
            .args(["delete", "containers-storage:localhost/two:1"]),
    );
    assert_eq!(code, 2);
    let (_, theirs) = fails(
        u.skopeo()
            .args(["delete", "containers-storage:localhost/two:1"]),
    );
    assert_eq!(fatal_message(&mine), fatal_message(&theirs));
    ok(u.skiff()
        .args(["delete", "containers-storage:localhost/one:1"]));
    assert!(records(&graph, "images").is_empty());
    assert!(records(&graph, "layers").is_empty());
}
