//! `containers-storage:` against the real podman, buildah and skopeo, each test on a private
//! store (its own storage.conf, graph root and run root; never /var/lib/containers).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::{self, fails, ok, run, skiff, stdout};

/// A private store and the commands that use it.
pub struct Store {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    pub driver: &'static str,
}

impl Store {
    pub fn new(driver: &'static str) -> Store {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("storage.conf");
        std::fs::write(
            &conf,
            format!(
                "[storage]\ndriver = \"{driver}\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
                dir.path().join("graph").display(),
                dir.path().join("run").display()
            ),
        )
        .unwrap();
        Store { dir, conf, driver }
    }

    pub fn graph(&self) -> PathBuf {
        self.dir.path().join("graph")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn with_env(&self, mut c: Command) -> Command {
        c.env("CONTAINERS_STORAGE_CONF", &self.conf)
            .env_remove("STORAGE_DRIVER")
            .env_remove("STORAGE_OPTS");
        c
    }

    pub fn skiff(&self) -> Command {
        let mut c = self.with_env(skiff());
        c.arg("--insecure-policy");
        c
    }

    pub fn skopeo(&self) -> Command {
        let mut c = self.with_env(Command::new("skopeo"));
        c.arg("--insecure-policy");
        c
    }

    pub fn podman(&self) -> Command {
        let mut c = self.with_env(Command::new("podman"));
        c.args(["--storage-driver", self.driver]);
        c.args(["--root", &self.graph().to_string_lossy()]);
        c.args(["--runroot", &self.path("run").to_string_lossy()]);
        c.env("XDG_RUNTIME_DIR", self.path("xdg"));
        c.env("TMPDIR", self.path("tmp"));
        std::fs::create_dir_all(self.path("xdg")).unwrap();
        std::fs::create_dir_all(self.path("tmp")).unwrap();
        c
    }

    pub fn buildah(&self) -> Command {
        let mut c = self.with_env(Command::new("buildah"));
        c.args(["--storage-driver", self.driver]);
        c.env("TMPDIR", self.path("tmp"));
        std::fs::create_dir_all(self.path("tmp")).unwrap();
        c
    }

    pub fn json(&self, rel: &str) -> serde_json::Value {
        let p = self.graph().join(format!("{}-{rel}", self.driver));
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    }

    pub fn images(&self) -> Vec<serde_json::Value> {
        match std::fs::read(
            self.graph()
                .join(format!("{}-images/images.json", self.driver)),
        ) {
            Ok(b) => serde_json::from_slice::<Vec<serde_json::Value>>(&b).unwrap(),
            Err(_) => Vec::new(),
        }
    }

    pub fn layers(&self) -> Vec<serde_json::Value> {
        match std::fs::read(
            self.graph()
                .join(format!("{}-layers/layers.json", self.driver)),
        ) {
            Ok(b) => serde_json::from_slice::<Vec<serde_json::Value>>(&b).unwrap(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Store {
    /// c/storage's overlay driver (in skopeo and podman) bind-mounts its home onto itself and
    /// leaves it so; unmount whatever is under the store before the directory goes.
    fn drop(&mut self) {
        let root = self.dir.path().to_string_lossy().into_owned();
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut points: Vec<&str> = info
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|p| p.starts_with(&root))
            .collect();
        points.sort_by(|a, b| b.cmp(a));
        for p in points {
            if let Ok(c) = std::ffi::CString::new(p) {
                // SAFETY: a valid C string.
                unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
            }
        }
    }
}

/// Whether the peers this file needs are here (under CI a missing one fails).
pub fn peers() -> bool {
    ["skopeo", "podman", "buildah"]
        .iter()
        .all(|t| support::require_tool(t))
}

/// Builds, with buildah, `localhost/base:1` (one layer) and `localhost/app:2` (two layers):
/// a set-uid file, a hard link, a symlink, an empty directory, a nested tree.
pub fn buildah_images(store: &Store) {
    let src = store.path("src");
    std::fs::create_dir_all(src.join("etc/empty")).unwrap();
    std::fs::create_dir_all(src.join("usr/share/doc")).unwrap();
    std::fs::write(src.join("etc/hello"), b"hello\n").unwrap();
    std::fs::hard_link(src.join("etc/hello"), src.join("etc/hello.link")).unwrap();
    std::os::unix::fs::symlink("hello", src.join("etc/hello.sym")).unwrap();
    std::fs::write(src.join("usr/share/doc/big"), fixtures::noise(200_000, 7)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        src.join("etc/hello"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    let ctr = stdout(&ok(store.buildah().args(["from", "scratch"])))
        .trim()
        .to_string();
    ok(store
        .buildah()
        .args(["copy", &ctr, &src.to_string_lossy(), "/"]));
    ok(store
        .buildah()
        .args(["config", "--env", "A=b", "--label", "l=v", &ctr]));
    ok(store
        .buildah()
        .args(["commit", "-q", &ctr, "localhost/base:1"]));
    let ctr2 = stdout(&ok(store.buildah().args(["from", "localhost/base:1"])))
        .trim()
        .to_string();
    let more = store.path("more");
    std::fs::create_dir_all(more.join("app")).unwrap();
    std::fs::write(more.join("app/run.sh"), b"#!/bin/sh\necho hi\n").unwrap();
    std::fs::write(more.join("app/data"), fixtures::noise(50_000, 9)).unwrap();
    ok(store
        .buildah()
        .args(["copy", &ctr2, &more.to_string_lossy(), "/"]));
    ok(store
        .buildah()
        .args(["commit", "-q", &ctr2, "localhost/app:2"]));
    ok(store.buildah().args(["rm", &ctr, &ctr2]));
}

fn image_by_name<'a>(images: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    images
        .iter()
        .find(|i| {
            i["names"]
                .as_array()
                .is_some_and(|n| n.iter().any(|x| x == name))
        })
        .unwrap_or_else(|| panic!("no image named {name} in {images:?}"))
}

#[test]
fn buildah_image_copied_to_dir_as_skopeo_copies_it() {
    if !peers() {
        return;
    }
    let store = Store::new("vfs");
    buildah_images(&store);
    for name in ["localhost/app:2", "localhost/base:1"] {
        let (a, b) = (store.path("skiff-dir"), store.path("skopeo-dir"));
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
        let src = format!("containers-storage:{name}");
        ok(store
            .skiff()
            .args(["copy", "-q", &src, &format!("dir:{}", a.display())]));
        ok(store
            .skopeo()
            .args(["copy", "-q", &src, &format!("dir:{}", b.display())]));
        support::assert_same_tree(&a, &b);
    }
    // The same image by full ID, short ID and digest; inspect output as skopeo's.
    let images = store.images();
    let app = image_by_name(&images, "localhost/app:2");
    let id = app["id"].as_str().unwrap();
    let digest = app["digest"].as_str().unwrap();
    for r in [
        format!("containers-storage:{}", &id[..12]),
        format!("containers-storage:{id}"),
        format!("containers-storage:localhost/app@{digest}"),
        "containers-storage:localhost/app:2".to_string(),
    ] {
        for args in [
            &["inspect", "--raw"][..],
            &["inspect", "--config", "--raw"][..],
        ] {
            let mine = ok(store.skiff().args(args).arg(&r));
            let theirs = ok(store.skopeo().args(args).arg(&r));
            assert_eq!(mine.stdout, theirs.stdout, "{args:?} {r}");
        }
        let mine: serde_json::Value =
            serde_json::from_slice(&ok(store.skiff().args(["inspect", &r])).stdout).unwrap();
        let mut theirs: serde_json::Value =
            serde_json::from_slice(&ok(store.skopeo().args(["inspect", &r])).stdout).unwrap();
        // skiff prints LayersData as newer skopeo does.
        theirs["LayersData"] = mine["LayersData"].clone();
        assert_eq!(mine, theirs, "inspect {r}");
    }
}

/// What a layer or image record says, without the times of its making.
fn without_times(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(a) = v.as_array_mut() {
        for r in a {
            if let Some(o) = r.as_object_mut() {
                o.remove("created");
            }
        }
    }
    v
}

/// Files of a tree with type, mode, owner, size, mtime and link count (not the root).
fn tree_listing(root: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let md = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            let size = if md.is_dir() { 0 } else { md.size() };
            // Times the archive set (the fixtures use 2017–2020) must match; directories a
            // tool creates implicitly get the current time, which differs between two runs.
            let mtime = if md.mtime() < 1_700_000_000 {
                md.mtime().to_string()
            } else {
                "created-at-copy-time".to_string()
            };
            out.push(format!(
                "{rel} {:o} {}:{} {} {} {}",
                md.mode(),
                md.uid(),
                md.gid(),
                size,
                mtime,
                md.nlink()
            ));
            if md.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    walk(root, root, &mut out);
    out
}

#[test]
fn oci_image_written_to_the_store_as_skopeo_writes_it() {
    if !peers() {
        return;
    }
    let mine = Store::new("vfs");
    let theirs = Store::new("vfs");
    let layout = mine.path("layout");
    let mut spec = ImageSpec::small(3);
    spec.layers.push(whiteout_layer());
    spec.layers.push(pax_layer());
    let built = fixtures::write_oci(&layout, "t", &spec);
    let src = format!("oci:{}:t", layout.display());
    ok(mine
        .skiff()
        .args(["copy", "-q", &src, "containers-storage:localhost/img:1"]));
    ok(theirs
        .skopeo()
        .args(["copy", "-q", &src, "containers-storage:localhost/img:1"]));

    assert_eq!(
        without_times(mine.json("layers/layers.json")),
        without_times(theirs.json("layers/layers.json"))
    );
    assert_eq!(
        without_times(mine.json("images/images.json")),
        without_times(theirs.json("images/images.json"))
    );
    let img = &mine.images()[0];
    for key in img["big-data-names"].as_array().unwrap() {
        let key = key.as_str().unwrap();
        let file = skiff_big_data_name(key);
        let id = img["id"].as_str().unwrap();
        let rel = format!("vfs-images/{id}/{file}");
        assert_eq!(
            std::fs::read(mine.graph().join(&rel)).unwrap(),
            std::fs::read(theirs.graph().join(&rel)).unwrap(),
            "{rel}"
        );
    }
    for l in mine.layers() {
        let id = l["id"].as_str().unwrap();
        let dir = format!("vfs/dir/{id}");
        assert_eq!(
            tree_listing_xattrs(&mine.graph().join(&dir)),
            tree_listing_xattrs(&theirs.graph().join(&dir)),
            "{dir}"
        );
    }

    // podman sees what skopeo would have made.
    let out = ok(mine.podman().args([
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{.Digest}} {{json .RootFS.Layers}} {{json .RepoTags}}",
        "localhost/img:1",
    ]));
    let config_digest = fixtures::sha256(&built.config);
    let diff_ids: Vec<String> = spec.layers.iter().map(|l| fixtures::sha256(l)).collect();
    assert_eq!(
        stdout(&out).trim(),
        format!(
            "{} {} {} [\"localhost/img:1\"]",
            &config_digest["sha256:".len()..],
            built.manifest_digest,
            serde_json::to_string(&diff_ids).unwrap()
        )
    );
    let listed = stdout(&ok(mine.podman().args([
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.ID}}",
    ])));
    assert_eq!(
        listed.trim(),
        format!("localhost/img:1 {}", &config_digest[7..19])
    );

    // Read back by skopeo and by skiff: the same (uncompressed) image.
    let (a, b) = (mine.path("a"), mine.path("b"));
    ok(mine.skopeo().args([
        "copy",
        "-q",
        "containers-storage:localhost/img:1",
        &format!("dir:{}", a.display()),
    ]));
    ok(mine.skiff().args([
        "copy",
        "-q",
        "containers-storage:localhost/img:1",
        &format!("dir:{}", b.display()),
    ]));
    support::assert_same_tree(&a, &b);
    for (i, layer) in spec.layers.iter().enumerate() {
        let d = fixtures::sha256(layer);
        assert_eq!(
            &std::fs::read(b.join(&d["sha256:".len()..])).unwrap(),
            layer,
            "layer {i} rebuilt bit for bit"
        );
    }
    // podman save reads it too.
    let saved = mine.path("saved.tar");
    ok(mine.podman().args([
        "save",
        "-q",
        "--format",
        "oci-archive",
        "-o",
        &saved.to_string_lossy(),
        "localhost/img:1",
    ]));
    assert!(std::fs::metadata(&saved).unwrap().len() > 0);
}

/// c/storage's file name for a big-data key (checked against the files skopeo wrote).
fn skiff_big_data_name(key: &str) -> String {
    use base64::Engine;
    if !key.is_empty()
        && key
            .bytes()
            .all(|c| c == b'.' || c.is_ascii_digit() || c.is_ascii_lowercase())
    {
        key.to_string()
    } else {
        format!("={}", base64::engine::general_purpose::STANDARD.encode(key))
    }
}

/// One PAX record, `LEN key=value\n` (LEN counts itself).
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3;
    let mut len = body + body.to_string().len();
    if len.to_string().len() != body.to_string().len() {
        len += 1;
    }
    let mut r = format!("{len} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}

/// A layer with PAX headers (an extended attribute, a long path, sub-second times), a GNU
/// long name, a hard link and a set-gid directory.
pub fn pax_layer() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let long = format!("deep/{}/file.txt", "d".repeat(120));
    let mut records = pax_record("SCHILY.xattr.user.skiff", b"yes");
    records.extend(pax_record("path", long.as_bytes()));
    records.extend(pax_record("mtime", b"1600000000.123456789"));
    let mut x = tar::Header::new_ustar();
    x.set_entry_type(tar::EntryType::XHeader);
    x.set_size(records.len() as u64);
    x.set_mode(0o644);
    x.set_cksum();
    b.append_data(&mut x, "PaxHeaders/file", &records[..])
        .unwrap();
    let mut f = tar::Header::new_ustar();
    f.set_size(5);
    f.set_mode(0o640);
    f.set_mtime(1_600_000_000);
    f.set_cksum();
    b.append_data(&mut f, "deep/short", &b"paxed"[..]).unwrap();
    let mut d = tar::Header::new_gnu();
    d.set_entry_type(tar::EntryType::Directory);
    d.set_mode(0o2775);
    d.set_size(0);
    d.set_mtime(1_500_000_000);
    d.set_cksum();
    b.append_data(&mut d, "sgid/", &[][..]).unwrap();
    let mut g = tar::Header::new_gnu();
    g.set_size(3);
    g.set_mode(0o755);
    g.set_mtime(1_500_000_000);
    g.set_cksum();
    b.append_data(&mut g, format!("sgid/{}", "n".repeat(150)), &b"gnu"[..])
        .unwrap();
    let mut l = tar::Header::new_gnu();
    l.set_entry_type(tar::EntryType::Link);
    l.set_size(0);
    l.set_mode(0o755);
    l.set_cksum();
    b.append_link(&mut l, "sgid/hardlink", format!("sgid/{}", "n".repeat(150)))
        .unwrap();
    b.into_inner().unwrap()
}

/// A layer deleting `hello.txt` and hiding what was under `dir/` before adding a file there.
pub fn whiteout_layer() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8], kind: tar::EntryType, mode: u32| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(1_600_000_000);
        h.set_uid(1000);
        h.set_gid(1001);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    add(".wh.hello.txt", b"", tar::EntryType::Regular, 0o644);
    add("dir/", b"", tar::EntryType::Directory, 0o750);
    add("dir/.wh..wh..opq", b"", tar::EntryType::Regular, 0o644);
    add("dir/new", b"new\n", tar::EntryType::Regular, 0o600);
    add("fifo", b"", tar::EntryType::Fifo, 0o644);
    b.into_inner().unwrap()
}

#[test]
fn second_image_reuses_shared_layers_and_delete_keeps_them() {
    if !peers() {
        return;
    }
    let store = Store::new("vfs");
    let layout = store.path("layout");
    let base = ImageSpec::small(1);
    let mut other = ImageSpec::small(1);
    other.layers[1] = fixtures::layer_tar(&[("other.bin", &fixtures::noise(1000, 5))]);
    fixtures::write_oci(&layout, "one", &base);
    fixtures::write_oci(&layout, "two", &other);
    ok(store.skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:one", layout.display()),
        "containers-storage:localhost/one:1",
    ]));
    let first_layers = store.layers();
    assert_eq!(first_layers.len(), 2);
    ok(store.skiff().args([
        "copy",
        &format!("oci:{}:two", layout.display()),
        "containers-storage:localhost/two:1",
    ]));
    let layers = store.layers();
    assert_eq!(layers.len(), 3, "the shared base layer is stored once");
    assert_eq!(
        layers[0], first_layers[0],
        "the base layer record is untouched"
    );

    // Copying an image that is already there changes nothing but its names.
    ok(store.skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:one", layout.display()),
        "containers-storage:localhost/one:again",
    ]));
    assert_eq!(store.layers().len(), 3);
    let images = store.images();
    assert_eq!(images.len(), 2);
    let one = image_by_name(&images, "localhost/one:again");
    // Named as skopeo names it: the new name first.
    let theirs = Store::new("vfs");
    for tag in ["1", "again"] {
        ok(theirs.skopeo().args([
            "copy",
            "-q",
            &format!("oci:{}:one", layout.display()),
            &format!("containers-storage:localhost/one:{tag}"),
        ]));
    }
    let their_images = theirs.images();
    let their_one = image_by_name(&their_images, "localhost/one:again");
    assert_eq!(
        one["names"],
        serde_json::json!(["localhost/one:again", "localhost/one:1"])
    );
    assert_eq!(one["names"], their_one["names"]);
    assert_eq!(one["names-history"], their_one["names-history"]);

    // Delete as skopeo: the image goes, with the layers only it used.
    ok(store
        .skiff()
        .args(["delete", "containers-storage:localhost/two:1"]));
    assert_eq!(store.images().len(), 1);
    assert_eq!(store.layers().len(), 2);
    let two_top = layers[2]["id"].as_str().unwrap();
    assert!(!store.graph().join("vfs/dir").join(two_top).exists());
    assert!(
        !store
            .graph()
            .join(format!("vfs-layers/{two_top}.tar-split.gz"))
            .exists()
    );
    let listed = stdout(&ok(store.podman().args([
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ])));
    let mut listed: Vec<&str> = listed.lines().collect();
    listed.sort();
    assert_eq!(listed, ["localhost/one:1", "localhost/one:again"]);
    // The remaining image still reads back whole.
    ok(store.skopeo().args([
        "copy",
        "-q",
        "containers-storage:localhost/one:1",
        &format!("dir:{}", store.path("back").display()),
    ]));

    // A missing image: skopeo's message, exit 2 (as newer skopeo).
    let (code, err) = fails(
        store
            .skiff()
            .args(["delete", "containers-storage:localhost/two:1"]),
    );
    assert_eq!(code, 2);
    let (_, theirs) = fails(
        store
            .skopeo()
            .args(["delete", "containers-storage:localhost/two:1"]),
    );
    assert_eq!(
        support::fatal_message(&err),
        support::fatal_message(&theirs)
    );
    ok(store
        .skiff()
        .args(["delete", "containers-storage:localhost/one:1"]));
    assert!(store.images().is_empty());
    assert!(store.layers().is_empty());
}

#[test]
fn missing_and_mismatched_images_fail_as_in_skopeo() {
    if !peers() {
        return;
    }
    let store = Store::new("vfs");
    for r in [
        "containers-storage:nothere",
        "containers-storage:localhost/nothere:v2",
    ] {
        let (code, err) = fails(store.skiff().args(["inspect", r]));
        assert_eq!(code, 2, "{err}");
        let (_, theirs) = fails(store.skopeo().args(["inspect", r]));
        assert_eq!(
            support::fatal_message(&err),
            support::fatal_message(&theirs)
        );
    }
    let d = format!("dir:{}", store.path("d").display());
    for (args, code) in [
        (vec!["copy", "containers-storage:nothere", &d], 2),
        (vec!["copy", "containers-storage:abcdef@fff", &d], 1),
        (vec!["delete", "containers-storage:nothere"], 2),
        (vec!["delete", "containers-storage:abc"], 2),
    ] {
        let (got, err) = fails(store.skiff().args(&args));
        assert_eq!(got, code, "{args:?}: {err}");
        let (_, theirs) = fails(store.skopeo().args(&args));
        assert_eq!(
            support::fatal_message(&err),
            support::fatal_message(&theirs),
            "{args:?}"
        );
    }

    let layout = store.path("layout");
    fixtures::write_oci(&layout, "t", &ImageSpec::small(2));
    let wrong = "containers-storage:localhost/x@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let (_, err) =
        fails(
            store
                .skiff()
                .args(["copy", &format!("oci:{}:t", layout.display()), wrong]),
        );
    // skopeo 1.9.3 refuses this before writing anything, with these words.
    assert_eq!(
        support::fatal_message(&err),
        "Digest of source image's manifest would not match destination reference"
    );
    assert!(store.images().is_empty(), "a refused copy leaves no image");
    assert!(store.layers().is_empty(), "a refused copy leaves no layer");
}

#[test]
fn corrupt_layer_leaves_the_store_as_it_was() {
    if !peers() {
        return;
    }
    let store = Store::new("vfs");
    let layout = store.path("layout");
    let built = fixtures::write_oci(&layout, "t", &ImageSpec::small(4));
    // Flip a byte of the second layer blob.
    let d = fixtures::sha256(&built.blobs[1]);
    let p = layout.join("blobs/sha256").join(&d[7..]);
    let mut bytes = std::fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&p, bytes).unwrap();
    let out = run(store.skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:t", layout.display()),
        "containers-storage:localhost/bad:1",
    ]));
    assert!(!out.status.success());
    assert!(store.images().is_empty());
    assert!(store.layers().is_empty());
    let tmp: Vec<_> = std::fs::read_dir(store.graph().join("tmp"))
        .unwrap()
        .collect();
    assert!(tmp.is_empty(), "staging removed: {tmp:?}");
    let dirs: Vec<_> = std::fs::read_dir(store.graph().join("vfs/dir"))
        .unwrap()
        .collect();
    assert!(dirs.is_empty(), "no layer directories: {dirs:?}");
    // podman still works on the store.
    ok(store.podman().args(["images"]));
}

/// podman loads whole images into a store while skiff is held mid-layer writing to it: the
/// writers certainly overlap. Every image then reads back whole with podman and skiff.
#[test]
fn skiff_and_podman_write_one_store_at_once() {
    use crate::support::held::{HeldSource, wait_bounded};
    if !peers() {
        return;
    }
    let store = Store::new("vfs");
    let layout = store.path("layout");
    let mut ids = Vec::new();
    let mut config_digests = Vec::new();
    for round in 0..3u64 {
        let mut theirs = ImageSpec::small(40 + round);
        theirs.layers.push(fixtures::layer_tar(&[(
            "other",
            &fixtures::noise(8 << 20, 50 + round),
        )]));
        let built = fixtures::write_oci(&layout, &format!("theirs{round}"), &theirs);
        ids.push(fixtures::sha256(&built.config)[7..].to_string());
        config_digests.push(fixtures::sha256(&built.config));
        ok(Command::new("skopeo").args([
            "--insecure-policy",
            "copy",
            "-q",
            &format!("oci:{}:theirs{round}", layout.display()),
            &format!(
                "oci-archive:{}:theirs{round}",
                store.path(&format!("t{round}.tar")).display()
            ),
        ]));
    }
    for (round, id) in ids.iter().enumerate() {
        let mut mine = ImageSpec::small(20 + round as u64);
        mine.layers.push(fixtures::layer_tar(&[(
            "big",
            &fixtures::noise(8 << 20, 30 + round as u64),
        )]));
        let held = HeldSource::of(&mine);
        let json = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
        config_digests.push(
            json(&held.manifest)["config"]["digest"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        let mut a = store
            .skiff()
            .args([
                "copy",
                "-q",
                &held.name(),
                &format!("containers-storage:localhost/mine:{round}"),
            ])
            .spawn()
            .unwrap();
        // skiff is mid-layer until the pipe is written: podman's whole load happens meanwhile.
        let pipe = held.wait_for_reader(&mut a);
        let mut b = store
            .podman()
            .args([
                "load",
                "-q",
                "-i",
                &store.path(&format!("t{round}.tar")).to_string_lossy(),
            ])
            .spawn()
            .unwrap();
        assert!(wait_bounded(&mut b).success(), "podman load");
        assert_eq!(a.try_wait().unwrap(), None, "skiff was still held");
        held.finish(pipe);
        assert!(wait_bounded(&mut a).success(), "skiff copy");
        ok(store
            .podman()
            .args(["tag", id, &format!("localhost/theirs:{round}")]));
    }
    let names = stdout(&ok(store.podman().args([
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ])));
    for round in 0..3 {
        assert!(
            names.contains(&format!("localhost/mine:{round}")),
            "{names}"
        );
        assert!(
            names.contains(&format!("localhost/theirs:{round}")),
            "{names}"
        );
    }
    // Both kinds of images read back whole (their layers hash to their diff IDs), with
    // podman and with skiff, and keep their configs.
    let theirs_then_mine = (0..3)
        .map(|r| format!("localhost/theirs:{r}"))
        .chain((0..3).map(|r| format!("localhost/mine:{r}")));
    for (name, config) in theirs_then_mine.zip(&config_digests) {
        let flat = name.replace(['/', ':'], "_");
        let p = store.path(&format!("podman-{flat}"));
        ok(store.podman().args([
            "save",
            "-q",
            "--format",
            "oci-dir",
            "-o",
            &p.to_string_lossy(),
            &name,
        ]));
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(p.join("index.json")).unwrap()).unwrap();
        let m = index["manifests"][0]["digest"].as_str().unwrap();
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(p.join("blobs/sha256").join(&m[7..])).unwrap())
                .unwrap();
        assert_eq!(
            manifest["config"]["digest"].as_str(),
            Some(config.as_str()),
            "{name}"
        );
        assert_eq!(
            manifest["layers"].as_array().map(Vec::len),
            Some(3),
            "{name}"
        );
        let d = store.path(&format!("out-{flat}"));
        ok(store.skiff().args([
            "copy",
            "-q",
            &format!("containers-storage:{name}"),
            &format!("dir:{}", d.display()),
        ]));
    }
}

/// Every extended attribute under `root`, read by `getfattr` (not skiff's code), by path
/// relative to `root`: `name=0xhex` each.
fn getfattr_tree(root: &Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let out = ok(std::process::Command::new("getfattr")
        .args(["-R", "-h", "-d", "-m", "-", "-e", "hex", "--absolute-names"])
        .arg(root));
    let mut attrs = std::collections::BTreeMap::new();
    let mut current: Option<String> = None;
    for line in stdout(&out).lines() {
        if let Some(path) = line.strip_prefix("# file: ") {
            let rel = Path::new(path)
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string();
            current = Some(rel);
        } else if let (Some(rel), false) = (&current, line.is_empty()) {
            attrs
                .entry(rel.clone())
                .or_insert_with(Vec::new)
                .push(line.to_string());
        }
    }
    attrs
}

/// A listing of a tree with extended attributes too (overlay keeps whiteouts in them).
fn tree_listing_xattrs(root: &Path) -> Vec<String> {
    let mut attrs = getfattr_tree(root);
    let mut out = tree_listing(root);
    for line in out.iter_mut() {
        // Whiteout devices carry the time they were made.
        let fields: Vec<&str> = line.split(' ').collect();
        if fields[1] == "20000" {
            *line = format!("{} {} {} {}", fields[0], fields[1], fields[2], fields[3]);
        }
        let rel = line.split(' ').next().unwrap().to_string();
        for a in attrs.remove(&rel).unwrap_or_default() {
            line.push(' ');
            line.push_str(&a);
        }
    }
    // The root's own attributes (e.g. an opaque marker) count too.
    if let Some(a) = attrs.remove("") {
        out.push(format!(". {}", a.join(" ")));
    }
    assert!(attrs.is_empty(), "attributes of unlisted paths: {attrs:?}");
    out
}

/// Why this process cannot mount an overlay in `dir` (None: it can), found by mounting one by
/// hand with the kernel, independently of skiff and of c/storage.
fn overlay_mount_refusal(dir: &Path) -> Option<String> {
    let names = ["lower", "upper", "work", "merged"];
    for n in names {
        std::fs::create_dir_all(dir.join(n)).unwrap();
    }
    std::fs::write(dir.join("lower/probe"), b"probe").unwrap();
    let c = |s: String| std::ffi::CString::new(s).unwrap();
    let merged = c(dir.join("merged").display().to_string());
    let opts = c(format!(
        "lowerdir={},upperdir={},workdir={}",
        dir.join("lower").display(),
        dir.join("upper").display(),
        dir.join("work").display()
    ));
    let overlay = c("overlay".into());
    // SAFETY: valid C strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            overlay.as_ptr(),
            merged.as_ptr(),
            overlay.as_ptr(),
            0,
            opts.as_ptr().cast(),
        )
    };
    if rc != 0 {
        return Some(format!(
            "mount -t overlay in {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    let seen = std::fs::read(dir.join("merged/probe")).ok();
    // SAFETY: as above.
    unsafe { libc::umount2(merged.as_ptr(), libc::MNT_DETACH) };
    assert_eq!(seen.as_deref(), Some(&b"probe"[..]), "overlay probe mount");
    None
}

/// A peer could not use overlay: skipping is allowed only when the kernel itself refuses an
/// overlay mount here (checked by hand, without skiff); otherwise the peer's failure fails
/// the test under CI.
fn skip_for_overlay(store: &Store, what: &str, stderr: &[u8]) {
    let why = String::from_utf8_lossy(stderr).trim().to_string();
    match overlay_mount_refusal(&store.path("overlay-probe")) {
        Some(refusal) => {
            eprintln!("SKIPPED: {what}: the kernel refuses overlay here ({refusal}); {why}")
        }
        None => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{what} although the kernel mounts overlay here: {why}"
            );
            eprintln!("SKIPPED (not CI): {what} although the kernel mounts overlay here: {why}");
        }
    }
}

#[test]
fn overlay_store_written_as_skopeo_writes_it() {
    if !peers() {
        return;
    }
    let mine = Store::new("overlay");
    let theirs = Store::new("overlay");
    let layout = mine.path("layout");
    let mut spec = ImageSpec::small(6);
    spec.layers.push(whiteout_layer());
    spec.layers.push(pax_layer());
    fixtures::write_oci(&layout, "t", &spec);
    let src = format!("oci:{}:t", layout.display());
    let out = run(theirs
        .skopeo()
        .args(["copy", "-q", &src, "containers-storage:localhost/ov:1"]));
    if !out.status.success() {
        skip_for_overlay(&theirs, "skopeo cannot write an overlay store", &out.stderr);
        return;
    }
    ok(mine
        .skiff()
        .args(["copy", "-q", &src, "containers-storage:localhost/ov:1"]));
    assert_eq!(
        without_times(mine.json("layers/layers.json")),
        without_times(theirs.json("layers/layers.json"))
    );
    assert_eq!(
        without_times(mine.json("images/images.json")),
        without_times(theirs.json("images/images.json"))
    );
    for l in mine.layers() {
        let id = l["id"].as_str().unwrap();
        let diff = format!("overlay/{id}/diff");
        assert_eq!(
            tree_listing_xattrs(&mine.graph().join(&diff)),
            tree_listing_xattrs(&theirs.graph().join(&diff)),
            "{diff}"
        );
        let entries = |s: &Store| {
            let mut v: Vec<String> = std::fs::read_dir(s.graph().join(format!("overlay/{id}")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(entries(&mine), entries(&theirs), "overlay/{id}");
        let link =
            std::fs::read_to_string(mine.graph().join(format!("overlay/{id}/link"))).unwrap();
        assert_eq!(
            std::fs::read_link(mine.graph().join("overlay/l").join(&link)).unwrap(),
            Path::new("..").join(id).join("diff")
        );
    }
    // podman mounts it; the whiteouts hide what they should.
    let mnt = run(mine.podman().args(["image", "mount", "localhost/ov:1"]));
    if mnt.status.success() {
        let root = PathBuf::from(stdout(&mnt).trim());
        assert!(!root.join("hello.txt").exists(), "whited out");
        assert!(root.join("data.bin").exists());
        assert_eq!(std::fs::read(root.join("dir/new")).unwrap(), b"new\n");
        ok(mine.podman().args(["image", "unmount", "localhost/ov:1"]));
    } else {
        skip_for_overlay(&mine, "podman cannot mount the overlay image", &mnt.stderr);
    }
    let (a, b) = (mine.path("a"), mine.path("b"));
    ok(mine.skopeo().args([
        "copy",
        "-q",
        "containers-storage:localhost/ov:1",
        &format!("dir:{}", a.display()),
    ]));
    ok(mine.skiff().args([
        "copy",
        "-q",
        "containers-storage:localhost/ov:1",
        &format!("dir:{}", b.display()),
    ]));
    support::assert_same_tree(&a, &b);
    ok(mine
        .skiff()
        .args(["delete", "containers-storage:localhost/ov:1"]));
    assert!(mine.layers().is_empty());
    let left: Vec<_> = std::fs::read_dir(mine.graph().join("overlay/l"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "short links removed: {left:?}");
}
