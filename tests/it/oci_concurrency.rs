//! Several copies writing one `oci:` layout at once, copies interrupted half-way, and sources
//! whose manifests do not match the digest they are named by. skopeo reads the results back
//! (the oracle); a copy is held mid-way by a source layer that is a named pipe fed on cue.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::fixtures::{self, Built, ImageSpec};
use crate::support::*;

pub fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    layout.join("blobs/sha256").join(&digest["sha256:".len()..])
}

/// A source blob replaced by a named pipe: the copy that opens it gets `first` bytes and
/// then waits for more, which never come (the writer ends when the test does).
pub struct StalledBlob {
    opened: mpsc::Receiver<()>,
    hold: mpsc::Sender<()>,
}

impl StalledBlob {
    pub fn at(path: &Path, first: Vec<u8>) -> StalledBlob {
        StalledBlob::resumable(path, first, Vec::new())
    }

    /// Like `at`, and `release` then sends `rest` and ends the blob.
    pub fn resumable(path: &Path, first: Vec<u8>, rest: Vec<u8>) -> StalledBlob {
        std::fs::remove_file(path).unwrap();
        assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
        let (opened_tx, opened) = mpsc::channel();
        let (hold, held) = mpsc::channel::<()>();
        let fifo = path.to_path_buf();
        std::thread::spawn(move || {
            // Blocks until the copy opens the blob for reading.
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&fifo) {
                let _ = opened_tx.send(());
                let _ = f.write_all(&first);
                if held.recv().is_ok() {
                    let _ = f.write_all(&rest);
                }
            }
        });
        StalledBlob { opened, hold }
    }

    /// Sends the rest of the blob (see `resumable`).
    pub fn release(&self) {
        self.hold.send(()).unwrap();
    }

    /// Waits until a copy is reading the blob.
    pub fn wait_opened(&self) {
        self.opened
            .recv_timeout(Duration::from_secs(60))
            .expect("the copy never opened the stalled blob");
    }
}

/// Waits for `cond`, checked as files appear (a bounded wait, not a sleep for effect).
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn kill(child: &Child, signal: &str) {
    assert!(
        Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

pub fn wait_exit(child: &mut Child, what: &str) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "{what} did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn index_tags(layout: &Path) -> Vec<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let mut tags: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .map(str::to_string)
        .collect();
    tags.sort();
    tags
}

fn blob_names(layout: &Path) -> BTreeSet<String> {
    std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

fn names_of(built: &Built) -> BTreeSet<String> {
    built
        .blobs
        .iter()
        .chain([&built.config, &built.manifest])
        .map(|b| fixtures::sha256(b)["sha256:".len()..].to_string())
        .collect()
}

/// skopeo reads `oci:LAYOUT:TAG` whole (every blob verified) and finds the expected manifest.
fn skopeo_reads(layout: &Path, tag: &str, want: &Built, out: &Path) {
    ok(skopeo().unwrap().args([
        "copy",
        "-q",
        &format!("oci:{}:{tag}", layout.display()),
        &format!("dir:{}", out.display()),
    ]));
    let manifest = std::fs::read(out.join("manifest.json")).unwrap();
    assert_eq!(fixtures::sha256(&manifest), want.manifest_digest);
}

#[test]
fn interrupted_copy_keeps_blobs_another_copy_committed() {
    if skopeo().is_none() {
        return;
    }
    for signal in ["INT", "TERM"] {
        let t = tempfile::tempdir().unwrap();
        // Both images share their first layer (small(n) differs only in the second one).
        let src_a = t.path().join("a");
        let built_a = fixtures::write_oci(&src_a, "a", &ImageSpec::small(41));
        let src_b = t.path().join("b");
        let built_b = fixtures::write_oci(&src_b, "b", &ImageSpec::small(42));
        let shared = fixtures::sha256(&built_a.blobs[0]);
        assert_eq!(shared, fixtures::sha256(&built_b.blobs[0]));
        let stalled = StalledBlob::at(
            &blob_path(&src_a, &fixtures::sha256(&built_a.blobs[1])),
            built_a.blobs[1][..100].to_vec(),
        );
        let layout = t.path().join("L");
        let mut copy_a = skiff()
            .args([
                "copy",
                "-q",
                &format!("oci:{}:a", src_a.display()),
                &format!("oci:{}:ta", layout.display()),
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A is mid-copy: reading its second layer, its first one (the shared one) written.
        stalled.wait_opened();
        wait_for("copy A to write the shared layer", || {
            blob_path(&layout, &shared).exists()
        });
        // B finds the shared layer there, relies on it and commits.
        ok(skiff().args([
            "copy",
            "-q",
            &format!("oci:{}:b", src_b.display()),
            &format!("oci:{}:tb", layout.display()),
        ]));
        kill(&copy_a, signal);
        let status = wait_exit(&mut copy_a, "copy A");
        assert!(!status.success(), "copy A was interrupted ({signal})");
        // B's image is whole (skopeo reads every blob); A left nothing of its own.
        assert_eq!(index_tags(&layout), ["tb"]);
        skopeo_reads(&layout, "tb", &built_b, &t.path().join("out"));
        assert_eq!(blob_names(&layout), names_of(&built_b), "SIG{signal}");
    }
}

#[test]
fn interrupted_copy_keeps_blobs_a_running_copy_relies_on() {
    if skopeo().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src_a = t.path().join("a");
    let built_a = fixtures::write_oci(&src_a, "a", &ImageSpec::small(71));
    let src_b = t.path().join("b");
    let built_b = fixtures::write_oci(&src_b, "b", &ImageSpec::small(72));
    let shared = fixtures::sha256(&built_a.blobs[0]);
    let stalled_a = StalledBlob::at(
        &blob_path(&src_a, &fixtures::sha256(&built_a.blobs[1])),
        built_a.blobs[1][..100].to_vec(),
    );
    let own_b = &built_b.blobs[1];
    let stalled_b = StalledBlob::resumable(
        &blob_path(&src_b, &fixtures::sha256(own_b)),
        own_b[..100].to_vec(),
        own_b[100..].to_vec(),
    );
    let layout = t.path().join("L");
    let copy = |src: &Path, from: &str, to: &str| {
        skiff()
            .args([
                "copy",
                "-q",
                &format!("oci:{}:{from}", src.display()),
                &format!("oci:{}:{to}", layout.display()),
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut copy_a = copy(&src_a, "a", "ta");
    stalled_a.wait_opened();
    wait_for("copy A to write the shared layer", || {
        blob_path(&layout, &shared).exists()
    });
    let written = std::fs::metadata(blob_path(&layout, &shared))
        .unwrap()
        .modified()
        .unwrap();
    // B, mid-copy too, has found the shared layer and marked it as relied upon.
    let mut copy_b = copy(&src_b, "b", "tb");
    stalled_b.wait_opened();
    wait_for("copy B to mark the shared layer", || {
        std::fs::metadata(blob_path(&layout, &shared))
            .and_then(|m| m.modified())
            .is_ok_and(|m| m != written)
    });
    kill(&copy_a, "INT");
    assert!(!wait_exit(&mut copy_a, "copy A").success());
    assert!(blob_path(&layout, &shared).exists());
    stalled_b.release();
    assert!(wait_exit(&mut copy_b, "copy B").success());
    assert_eq!(index_tags(&layout), ["tb"]);
    skopeo_reads(&layout, "tb", &built_b, &t.path().join("out"));
    assert_eq!(blob_names(&layout), names_of(&built_b));
}

#[test]
fn failed_copy_spares_blobs_of_committed_images_and_removes_its_own() {
    if skopeo().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built_old = fixtures::write_oci(&src, "old", &ImageSpec::small(43));
    let built_new = fixtures::write_oci(&src, "new", &ImageSpec::small(44));
    let layout = t.path().join("L");
    ok(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:old", src.display()),
        &format!("oci:{}:old", layout.display()),
    ]));
    // The new image's own layer ends early: the copy fails after writing the shared layer
    // (already there) and possibly its config.
    let own = blob_path(&src, &fixtures::sha256(&built_new.blobs[1]));
    std::fs::write(&own, &built_new.blobs[1][..50]).unwrap();
    let (code, _) = fails(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:new", src.display()),
        &format!("oci:{}:new", layout.display()),
    ]));
    assert_eq!(code, 1);
    assert_eq!(index_tags(&layout), ["old"]);
    assert_eq!(blob_names(&layout), names_of(&built_old));
    skopeo_reads(&layout, "old", &built_old, &t.path().join("out"));
}

#[test]
fn parallel_copies_into_one_layout_keep_every_tag() {
    if skopeo().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("h");
    let built = fixtures::write_oci(&src, "latest", &ImageSpec::small(45));
    let tags: Vec<String> = (1..=8).map(|i| format!("t{i}")).collect();
    for shared in [None, Some(t.path().join("shared"))] {
        let layout = t.path().join(format!("L-{}", shared.is_some()));
        let blob_dir_args = |flag: &str| match &shared {
            Some(dir) => vec![flag.to_string(), dir.display().to_string()],
            None => Vec::new(),
        };
        let children: Vec<Child> = tags
            .iter()
            .map(|tag| {
                skiff()
                    .args(["copy", "-q"])
                    .args(blob_dir_args("--dest-shared-blob-dir"))
                    .args([
                        &format!("oci:{}:latest", src.display()),
                        &format!("oci:{}:{tag}", layout.display()),
                    ])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        assert_eq!(index_tags(&layout), tags, "shared blob dir: {shared:?}");
        for tag in &tags {
            let out = ok(skopeo()
                .unwrap()
                .args(["inspect", "--raw"])
                .args(blob_dir_args("--shared-blob-dir"))
                .arg(format!("oci:{}:{tag}", layout.display())));
            assert_eq!(out.stdout, built.manifest, "{tag}");
        }
        let out = t.path().join(format!("out-{}", shared.is_some()));
        ok(skopeo()
            .unwrap()
            .args(["copy", "-q"])
            .args(blob_dir_args("--src-shared-blob-dir"))
            .args([
                &format!("oci:{}:t8", layout.display()),
                &format!("dir:{}", out.display()),
            ]));
        let manifest = std::fs::read(out.join("manifest.json")).unwrap();
        assert_eq!(fixtures::sha256(&manifest), built.manifest_digest);
    }
}

fn one_line_fatal(err: &str) -> String {
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line: {err}");
    fatal_message(err)
}

#[test]
fn a_swapped_manifest_blob_is_refused_not_copied() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let v1 = fixtures::write_oci(&src, "v1", &ImageSpec::small(46));
    let v2 = fixtures::write_oci(&src, "v2", &ImageSpec::small(47));
    // v1's manifest file now holds v2's manifest: reading v1 must not give v2.
    std::fs::write(blob_path(&src, &v1.manifest_digest), &v2.manifest).unwrap();
    let archive = t.path().join("src.tar");
    assert!(
        Command::new("tar")
            .arg("-cf")
            .arg(&archive)
            .arg("-C")
            .arg(&src)
            .arg(".")
            .status()
            .unwrap()
            .success()
    );
    let want = format!(
        "Manifest does not match provided manifest digest {}",
        v1.manifest_digest
    );
    for source in [
        format!("oci:{}:v1", src.display()),
        format!("oci-archive:{}:v1", archive.display()),
    ] {
        for dest in ["oci", "dir"] {
            let out = t.path().join(format!("out-{dest}"));
            let (code, err) =
                fails(skiff().args(["copy", "-q", &source, &format!("{dest}:{}", out.display())]));
            assert_eq!(code, 1, "{source}");
            let msg = one_line_fatal(&err);
            assert!(msg.contains(&want), "{source}: {msg}");
            assert!(!out.exists(), "{source} wrote {}", out.display());
        }
        let (code, err) = fails(skiff().args(["inspect", &source]));
        assert_eq!(code, 1);
        assert!(one_line_fatal(&err).contains(&want), "{err}");
    }
    // The untouched image still copies.
    ok(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:v2", src.display()),
        &format!("dir:{}", t.path().join("fine").display()),
    ]));
}

#[test]
fn a_swapped_instance_manifest_in_a_dir_list_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let mut arm = ImageSpec::small(49);
    arm.architecture = "arm64".into();
    fixtures::write_oci_index(&src, "l", &[ImageSpec::small(48), arm], false);
    let listed = t.path().join("listed");
    ok(skiff().args([
        "copy",
        "-q",
        "--all",
        &format!("oci:{}:l", src.display()),
        &format!("dir:{}", listed.display()),
    ]));
    // Give one instance's file (named by its digest) the other instance's bytes.
    let mut instances: Vec<PathBuf> = std::fs::read_dir(&listed)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".manifest.json"))
        .collect();
    instances.sort();
    assert_eq!(instances.len(), 2);
    std::fs::copy(&instances[1], &instances[0]).unwrap();
    let out = t.path().join("out");
    let (code, err) = fails(skiff().args([
        "copy",
        "-q",
        "--all",
        &format!("dir:{}", listed.display()),
        &format!("oci:{}", out.display()),
    ]));
    assert_eq!(code, 1);
    assert!(
        one_line_fatal(&err).contains("Manifest does not match provided manifest digest sha256:"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_registry_manifest_that_does_not_match_its_docker_content_digest_is_refused() {
    use crate::support::registry::{Proxy, ProxyMode, Registry};
    let Some(reg) = Registry::start() else { return };
    crate::sync::push_images(&reg, "ns/app", &[("a", 62), ("b", 63)], None);
    let a = fixtures::build(&ImageSpec::small(62));
    let b = fixtures::build(&ImageSpec::small(63));
    let t = tempfile::tempdir().unwrap();
    for (header_digest, refused) in [(&a.manifest_digest, true), (&b.manifest_digest, false)] {
        // Tag `a` answered with b's manifest, under a's digest (swapped) or b's own.
        let proxy = Proxy::start(
            reg.port,
            ProxyMode::Serve {
                path: "/v2/ns/app/manifests/a ".into(),
                head: format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nDocker-Content-Digest: {header_digest}\r\n",
                    fixtures::OCI_MANIFEST
                ),
                body: b.manifest.clone(),
            },
        );
        let out = t.path().join(format!("out-{refused}"));
        let mut copy = skiff();
        copy.args([
            "--insecure-policy",
            "copy",
            "-q",
            "--src-tls-verify=false",
            &format!("docker://{}/ns/app:a", proxy.host()),
            &format!("oci:{}", out.display()),
        ]);
        if !refused {
            ok(&mut copy);
            continue;
        }
        let (code, err) = fails(&mut copy);
        assert_eq!(code, 1);
        let msg = one_line_fatal(&err);
        assert!(
            msg.contains(&format!(
                "Manifest does not match the registry's Docker-Content-Digest {}",
                a.manifest_digest
            )),
            "{msg}"
        );
        assert!(!out.exists());
        let (code, err) = fails(skiff().args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{}/ns/app:a", proxy.host()),
        ]));
        assert_eq!(code, 1);
        assert!(
            one_line_fatal(&err).contains("Docker-Content-Digest"),
            "{err}"
        );
    }
}

#[test]
fn a_docker_archive_with_a_changed_layer_or_config_is_refused() {
    use crate::support::engine::members;
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(64));
    let archive = t.path().join("a.tar");
    ok(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:v1", src.display()),
        &format!("docker-archive:{}:x/y:v1", archive.display()),
    ]));
    let good = std::fs::read(&archive).unwrap();
    let entries = members(&good);
    // A byte changed in the middle of a layer, then in the config (named by its digest).
    let layer = entries
        .iter()
        .find(|(n, _, size)| n.ends_with(".tar") && *size > 1000)
        .expect("a layer member");
    let config = entries
        .iter()
        .find(|(n, _, _)| n.ends_with(".json") && n.len() == 69)
        .expect("a config member");
    for (what, (name, offset, size), pos) in [
        ("layer", layer, layer.2 / 2),
        // Inside the JSON (the architecture's value), so it still parses.
        ("config", config, {
            let json = &good[config.1..config.1 + config.2];
            json.windows(5).position(|w| w == b"amd64").unwrap() + 1
        }),
    ] {
        let mut bad = good.clone();
        assert!(pos < *size, "{name}");
        bad[offset + pos] ^= 0x01;
        let path = t.path().join(format!("bad-{what}.tar"));
        std::fs::write(&path, &bad).unwrap();
        let out = t.path().join(format!("out-{what}"));
        let (code, err) = fails(skiff().args([
            "copy",
            "-q",
            &format!("docker-archive:{}", path.display()),
            &format!("oci:{}", out.display()),
        ]));
        assert_eq!(code, 1, "{what}");
        let msg = one_line_fatal(&err);
        assert!(
            msg.contains("does not match") || msg.contains("Digest did not match"),
            "{what}: {msg}"
        );
        assert!(!out.exists(), "{what}");
    }
}

fn temp_blob_files(layout: &Path) -> Vec<String> {
    blob_names(layout)
        .into_iter()
        .filter(|n| n.starts_with(".skiff-blob-"))
        .collect()
}

#[test]
fn half_written_blobs_of_a_killed_copy_are_swept_by_the_next_commit() {
    if skopeo().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built_a = fixtures::write_oci(&src, "a", &ImageSpec::small(73));
    let built_b = fixtures::write_oci(&src, "b", &ImageSpec::small(74));
    let stalled = StalledBlob::at(
        &blob_path(&src, &fixtures::sha256(&built_a.blobs[1])),
        built_a.blobs[1][..100].to_vec(),
    );
    let layout = t.path().join("L");
    let mut killed = skiff()
        .args([
            "copy",
            "-q",
            &format!("oci:{}:a", src.display()),
            &format!("oci:{}:a", layout.display()),
        ])
        .spawn()
        .unwrap();
    stalled.wait_opened();
    // The other layer is in place (the config comes after the layers), so the temporary file
    // seen is the stalled layer's: the other layer's own may come and go before it exists.
    let other_done = || blob_path(&layout, &fixtures::sha256(&built_a.blobs[0])).exists();
    wait_for("the stalled layer's temporary blob file", || {
        other_done() && !temp_blob_files(&layout).is_empty()
    });
    kill(&killed, "KILL");
    wait_exit(&mut killed, "the killed copy");
    assert!(!temp_blob_files(&layout).is_empty());
    // And what a copy killed while writing index.json would leave.
    let index_tmp = layout.join(".skiff-blob-index");
    std::fs::write(&index_tmp, b"{\"schemaVersion\":").unwrap();
    ok(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:b", src.display()),
        &format!("oci:{}:b", layout.display()),
    ]));
    assert_eq!(temp_blob_files(&layout), Vec::<String>::new());
    assert!(!index_tmp.exists());
    assert_eq!(index_tags(&layout), ["b"]);
    skopeo_reads(&layout, "b", &built_b, &t.path().join("out"));
}
