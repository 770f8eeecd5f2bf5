//! containers-storage details checked against what skopeo writes into a store of its own:
//! signatures kept with the image, and a stored layer reused under a different parent.

use crate::storage::{Store, peers};
use crate::support::fixtures::{self, ImageSpec};
use crate::support::held::{HeldSource, send, wait_bounded};
use crate::support::{self, ok};

/// Image and layer records without the times of their making.
fn records(s: &Store) -> (serde_json::Value, serde_json::Value) {
    let strip = |mut v: Vec<serde_json::Value>| {
        for r in v.iter_mut() {
            r.as_object_mut().unwrap().remove("created");
        }
        serde_json::Value::Array(v)
    };
    (strip(s.images()), strip(s.layers()))
}

/// A `dir:` image whose layers are stored uncompressed (as buildah commits them), so that
/// reading it back from a store changes nothing.
pub(crate) fn write_uncompressed_dir(dir: &std::path::Path, layers: &[Vec<u8>]) {
    let blobs: Vec<Blob> = layers
        .iter()
        .map(|l| {
            (
                l.clone(),
                l.clone(),
                "application/vnd.oci.image.layer.v1.tar",
            )
        })
        .collect();
    write_dir_with_blobs(dir, &blobs);
}

/// A layer: its tar, the blob as stored (the tar, or the tar compressed), its media type.
type Blob = (Vec<u8>, Vec<u8>, &'static str);

fn write_dir_with_blobs(dir: &std::path::Path, layers: &[Blob]) {
    std::fs::create_dir_all(dir).unwrap();
    let diff_ids: Vec<String> = layers.iter().map(|(t, _, _)| fixtures::sha256(t)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "created": "2024-01-02T03:04:05Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let mut descs = Vec::new();
    for (_, blob, media_type) in layers {
        let d = fixtures::sha256(blob);
        std::fs::write(dir.join(&d[7..]), blob).unwrap();
        descs.push(serde_json::json!({
            "mediaType": media_type, "digest": d, "size": blob.len()
        }));
    }
    let cd = fixtures::sha256(&config);
    std::fs::write(dir.join(&cd[7..]), &config).unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": fixtures::OCI_MANIFEST,
        "config": {"mediaType": fixtures::OCI_CONFIG, "digest": cd, "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    std::fs::write(dir.join("manifest.json"), manifest).unwrap();
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n").unwrap();
}

#[test]
fn zstd_bzip2_and_xz_layers_are_stored_as_skopeo_stores_them() {
    if !peers() {
        return;
    }
    let (mine, theirs) = (Store::new("vfs"), Store::new("vfs"));
    let tars: Vec<Vec<u8>> = (0..3)
        .map(|i| fixtures::layer_tar(&[(&format!("f{i}"), &fixtures::noise(20_000, i))]))
        .collect();
    // xz(1) writes what Go's xz reader (skopeo's) accepts.
    let xz = piped("xz", &["-c"], &tars[2]);
    let blobs: Vec<Blob> = vec![
        (
            tars[0].clone(),
            zstd::encode_all(&tars[0][..], 3).unwrap(),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        (
            tars[1].clone(),
            bzip2_of(&tars[1]),
            "application/vnd.oci.image.layer.v1.tar",
        ),
        (
            tars[2].clone(),
            xz,
            "application/vnd.oci.image.layer.v1.tar",
        ),
    ];
    let src = mine.path("compressed");
    write_dir_with_blobs(&src, &blobs);
    let from = format!("dir:{}", src.display());
    let name = "containers-storage:localhost/compressed:1";
    ok(mine.skiff().args(["copy", "-q", &from, name]));
    ok(theirs.skopeo().args(["copy", "-q", &from, name]));
    // Same layer records: compression kinds, compressed and uncompressed digests and sizes.
    assert_eq!(records(&mine), records(&theirs));
    // Read back by skopeo: the original tars.
    let back = mine.path("back");
    ok(mine
        .skopeo()
        .args(["copy", "-q", name, &format!("dir:{}", back.display())]));
    for t in &tars {
        let d = fixtures::sha256(t);
        assert_eq!(&std::fs::read(back.join(&d[7..])).unwrap(), t);
    }
}

/// The output of `cmd args` given `input`.
fn piped(cmd: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{cmd} failed");
    out.stdout
}

fn bzip2_of(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    w.write_all(bytes).unwrap();
    w.finish().unwrap()
}

#[test]
fn signatures_are_stored_and_read_back_as_skopeo_does() {
    if !peers() {
        return;
    }
    let (mine, theirs) = (Store::new("vfs"), Store::new("vfs"));
    // Uncompressed layers: the image reads back unchanged, signatures and all.
    let src = mine.path("signed");
    write_uncompressed_dir(
        &src,
        &[
            fixtures::layer_tar(&[("one", b"1\n")]),
            fixtures::layer_tar(&[("two", &fixtures::noise(5000, 2))]),
        ],
    );
    std::fs::write(src.join("signature-1"), b"\xa3\x01first").unwrap();
    std::fs::write(src.join("signature-2"), b"\xa3\x02second one").unwrap();
    let from = format!("dir:{}", src.display());
    ok(mine
        .skiff()
        .args(["copy", "-q", &from, "containers-storage:localhost/signed:1"]));
    ok(theirs
        .skopeo()
        .args(["copy", "-q", &from, "containers-storage:localhost/signed:1"]));
    assert_eq!(records(&mine), records(&theirs));
    let (a, b) = (mine.path("a"), mine.path("b"));
    let name = "containers-storage:localhost/signed:1";
    ok(mine
        .skopeo()
        .args(["copy", "-q", name, &format!("dir:{}", a.display())]));
    ok(mine
        .skiff()
        .args(["copy", "-q", name, &format!("dir:{}", b.display())]));
    support::assert_same_tree(&a, &b);
    support::assert_same_tree(&src, &b);

    // gzip'd layers come back uncompressed: the signatures cannot follow.
    let gz = mine.path("signed-gz");
    fixtures::write_dir(&gz, &ImageSpec::small(8));
    std::fs::write(gz.join("signature-1"), b"\xa3\x01first").unwrap();
    let from = format!("dir:{}", gz.display());
    ok(mine
        .skiff()
        .args(["copy", "-q", &from, "containers-storage:localhost/gz:1"]));
    let name = "containers-storage:localhost/gz:1";
    let out = |s: &str| format!("dir:{}", mine.path(s).display());
    let (_, mine_err) = support::fails(mine.skiff().args(["copy", "-q", name, &out("c")]));
    let (_, their_err) = support::fails(mine.skopeo().args(["copy", "-q", name, &out("d")]));
    assert_eq!(
        support::fatal_message(&mine_err),
        support::fatal_message(&their_err)
    );
    ok(mine
        .skiff()
        .args(["copy", "-q", "--remove-signatures", name, &out("e")]));
    ok(mine
        .skopeo()
        .args(["copy", "-q", "--remove-signatures", name, &out("f")]));
    support::assert_same_tree(&mine.path("e"), &mine.path("f"));
}

#[test]
fn a_stored_layer_is_reused_under_another_parent_as_skopeo_reuses_it() {
    if !peers() {
        return;
    }
    let (mine, theirs) = (Store::new("vfs"), Store::new("vfs"));
    let layout = mine.path("layout");
    let shared = fixtures::layer_tar(&[("shared.bin", &fixtures::noise(30_000, 1))]);
    let mut a = ImageSpec::small(30);
    a.layers = vec![fixtures::layer_tar(&[("a", b"a\n")]), shared.clone()];
    let mut b = ImageSpec::small(31);
    b.layers = vec![fixtures::layer_tar(&[("b", b"b\n")]), shared.clone()];
    fixtures::write_oci(&layout, "a", &a);
    fixtures::write_oci(&layout, "b", &b);
    for (store, tool) in [(&mine, "skiff"), (&theirs, "skopeo")] {
        for t in ["a", "b"] {
            let mut c = if tool == "skiff" {
                store.skiff()
            } else {
                store.skopeo()
            };
            ok(c.args([
                "copy",
                "-q",
                &format!("oci:{}:{t}", layout.display()),
                &format!("containers-storage:localhost/{t}:1"),
            ]));
        }
    }
    assert_eq!(store_layer_count(&mine), 4);
    assert_eq!(records(&mine), records(&theirs));
    let out = mine.path("b-out");
    ok(mine.skiff().args([
        "copy",
        "-q",
        "containers-storage:localhost/b:1",
        &format!("dir:{}", out.display()),
    ]));
    let d = fixtures::sha256(&shared);
    assert_eq!(std::fs::read(out.join(&d[7..])).unwrap(), shared);
}

fn store_layer_count(s: &Store) -> usize {
    s.layers().len()
}

#[test]
fn docker_schema2_images_round_trip_as_in_skopeo() {
    if !peers() {
        return;
    }
    let (mine, theirs) = (Store::new("vfs"), Store::new("vfs"));
    let src = mine.path("docker-dir");
    let mut spec = ImageSpec::small(40);
    spec.docker = true;
    fixtures::write_dir(&src, &spec);
    let from = format!("dir:{}", src.display());
    ok(mine
        .skiff()
        .args(["copy", "-q", &from, "containers-storage:localhost/docker:1"]));
    ok(theirs
        .skopeo()
        .args(["copy", "-q", &from, "containers-storage:localhost/docker:1"]));
    assert_eq!(records(&mine), records(&theirs));
    // Read back: uncompressed layers, the manifest rewritten as c/image rewrites it.
    let name = "containers-storage:localhost/docker:1";
    let (a, b) = (mine.path("a"), mine.path("b"));
    ok(theirs
        .skopeo()
        .args(["copy", "-q", name, &format!("dir:{}", a.display())]));
    ok(mine
        .skiff()
        .args(["copy", "-q", name, &format!("dir:{}", b.display())]));
    support::assert_same_tree(&a, &b);
    // Within one store: a copy under another name only adds the name.
    ok(mine.skiff().args([
        "copy",
        "-q",
        name,
        "containers-storage:localhost/docker:copy",
    ]));
    let images = mine.images();
    assert_eq!(images.len(), 1);
    assert_eq!(
        images[0]["names"],
        serde_json::json!(["localhost/docker:copy", "localhost/docker:1"])
    );
    assert_eq!(mine.layers().len(), 2);
}

#[test]
fn skiff_waits_for_a_store_lock_held_by_another_process() {
    if !peers() || !support::require_tool("python3") {
        return;
    }
    let store = Store::new("vfs");
    let layout = store.path("layout");
    fixtures::write_oci(&layout, "t", &ImageSpec::small(50));
    // Create the store, then hold its layer lock (fcntl, as c/storage takes it) for a while.
    support::run(
        store
            .skiff()
            .args(["inspect", "containers-storage:nothing"]),
    );
    let lock = store.graph().join("vfs-layers/layers.lock");
    let mut holder = std::process::Command::new("python3")
        .args([
            "-c",
            "import fcntl,sys,time\nf=open(sys.argv[1],'r+')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(2)",
        ])
        .arg(&lock)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "held");
    let start = std::time::Instant::now();
    ok(store.skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:t", layout.display()),
        "containers-storage:localhost/waited:1",
    ]));
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(1500),
        "the copy waited for the lock ({:?})",
        start.elapsed()
    );
    holder.wait().unwrap();
    // The last-writer record tells other c/storage users to reload.
    let rec = std::fs::read(&lock).unwrap();
    assert_eq!(rec.len(), 64);
    assert_eq!(store.images().len(), 1);
}

/// SIGKILL mid-layer (no clean-up can run): no image, the staging stays behind, and the next
/// copy into the store sweeps it and completes the image.
#[test]
fn an_interrupted_copy_leaves_no_image_and_its_staging_is_swept() {
    use std::os::unix::process::ExitStatusExt;
    if !peers() {
        return;
    }
    let store = Store::new("vfs");
    let held = HeldSource::new();
    let mut child = store
        .skiff()
        .args([
            "copy",
            "-q",
            &held.name(),
            "containers-storage:localhost/int:1",
        ])
        .spawn()
        .unwrap();
    // skiff has opened the layer and read its first bytes: mid-copy.
    let pipe = held.wait_for_reader(&mut child);
    let staging = |pid: u32| -> Vec<String> {
        std::fs::read_dir(store.graph().join("tmp"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("skiff-staging-{pid}-")))
            .collect()
    };
    let pid = child.id();
    assert_eq!(staging(pid).len(), 1, "the copy is staging");
    send(&child, libc::SIGKILL);
    let status = wait_bounded(&mut child);
    drop(pipe);
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    assert!(store.images().is_empty(), "no image after a killed copy");
    assert_eq!(staging(pid).len(), 1, "a killed copy leaves its staging");
    // The next copy sweeps it and completes the image.
    held.release();
    ok(store.skiff().args([
        "copy",
        "-q",
        &held.name(),
        "containers-storage:localhost/int:1",
    ]));
    let left: Vec<_> = std::fs::read_dir(store.graph().join("tmp"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "staging swept: {left:?}");
    let out = store.path("out");
    ok(store.skopeo().args([
        "copy",
        "-q",
        "containers-storage:localhost/int:1",
        &format!("dir:{}", out.display()),
    ]));
    // Layers are stored uncompressed (so their digests change); the config, naming each
    // layer's diff ID, is the source's.
    let json = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
    let (got, want) = (
        json(&std::fs::read(out.join("manifest.json")).unwrap()),
        json(&held.manifest),
    );
    assert_eq!(got["config"]["digest"], want["config"]["digest"]);
    assert_eq!(got["layers"].as_array().map(Vec::len), Some(2));
    assert_eq!(store.images().len(), 1);
}

/// SIGINT and SIGTERM mid-layer into containers-storage: skiff cleans up (no image, no
/// layer, no staging) and ends by the signal.
#[test]
fn a_signal_mid_layer_leaves_the_store_as_it_was() {
    use std::os::unix::process::ExitStatusExt;
    if !peers() {
        return;
    }
    let store = Store::new("vfs");
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let held = HeldSource::new();
        let mut cmd = store.skiff();
        // The test may itself run with the signal ignored (a background job of a script).
        // SAFETY: signal(2) only, between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                libc::signal(signal, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = cmd
            .args([
                "copy",
                "-q",
                &held.name(),
                "containers-storage:localhost/sig:1",
            ])
            .spawn()
            .unwrap();
        let pipe = held.wait_for_reader(&mut child);
        send(&child, signal);
        let status = wait_bounded(&mut child);
        drop(pipe);
        assert_eq!(status.signal(), Some(signal), "{status:?}");
        assert!(store.images().is_empty(), "no image");
        assert!(store.layers().is_empty(), "no layer");
        let left: Vec<_> = std::fs::read_dir(store.graph().join("tmp"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "staging removed: {left:?}");
    }
    // podman still reads the store.
    ok(store.podman().args(["images"]));
}

#[test]
fn schema1_images_are_stored_and_read_back_as_in_skopeo() {
    if !peers() {
        return;
    }
    let (mine, theirs) = (Store::new("vfs"), Store::new("vfs"));
    for signed in [false, true] {
        let src = mine.path(&format!("s1-{signed}"));
        crate::convert::write_schema1(&src, signed);
        let from = format!("dir:{}", src.display());
        let name = format!("containers-storage:localhost/s1:{signed}");
        ok(theirs.skopeo().args(["copy", "-q", &from, &name]));
        ok(mine.skiff().args(["copy", "-q", &from, &name]));
        assert_eq!(records(&mine), records(&theirs));
        let (a, b) = (
            mine.path(&format!("a-{signed}")),
            mine.path(&format!("b-{signed}")),
        );
        ok(theirs
            .skopeo()
            .args(["copy", "-q", &name, &format!("dir:{}", a.display())]));
        ok(mine
            .skiff()
            .args(["copy", "-q", &name, &format!("dir:{}", b.display())]));
        crate::convert::assert_same_schema1_dirs(&a, &b, &name);
    }
}

#[test]
fn copying_a_whole_list_into_the_store_fails_as_in_skopeo() {
    if !peers() {
        return;
    }
    let (mine, theirs) = (Store::new("vfs"), Store::new("vfs"));
    let layout = mine.path("index");
    fixtures::write_oci_index(
        &layout,
        "multi",
        &[ImageSpec::small(50), ImageSpec::small(51)],
        false,
    );
    let from = format!("oci:{}:multi", layout.display());
    let name = "containers-storage:localhost/multi:1";
    let (_, mine_err) = support::fails(mine.skiff().args(["copy", "-q", "--all", &from, name]));
    let (_, their_err) = support::fails(theirs.skopeo().args(["copy", "-q", "--all", &from, name]));
    assert_eq!(
        support::fatal_message(&mine_err),
        support::fatal_message(&their_err)
    );
    assert!(mine.images().is_empty());
}
