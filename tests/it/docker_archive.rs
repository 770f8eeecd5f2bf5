//! `docker-archive:` without a daemon: archives skiff writes are skopeo's byte for byte;
//! archives from skopeo, podman and (hand-built) newer Docker read as skopeo reads them;
//! several images, gzip, pipes, and broken archives.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::oracle;
use crate::support::*;

/// An OCI layout with one image (two gzip layers, the first repeated on top) tagged `v1`.
fn source(dir: &Path, seed: u64) -> String {
    let mut spec = ImageSpec::small(seed);
    let again = spec.layers[0].clone();
    spec.layers.push(again);
    fixtures::write_oci(dir, "v1", &spec);
    format!("oci:{}:v1", dir.display())
}

fn archive_of(t: &Path, name: &str, seed: u64) -> PathBuf {
    let src = source(&t.join(format!("src-{name}")), seed);
    let out = t.join(format!("{name}.tar"));
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}:{name}:v{seed}", out.display()),
    ]));
    out
}

fn inspect_without_layers_data(out: &std::process::Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object_mut().unwrap().remove("LayersData");
    v
}

/// Copies `src` to a new `dir:` image with skiff and with skopeo; both trees must match.
fn read_both(t: &Path, src: &str, label: &str) -> PathBuf {
    let (ours, theirs) = oracle::copy_both(t, label, &[], src, "dir");
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
    ours
}

#[test]
fn archives_are_skopeos_byte_for_byte() {
    let t = tempfile::tempdir().unwrap();
    let src = source(&t.path().join("src"), 1);
    for (label, suffix, extra) in [
        (
            "named",
            ":example.com/app:v1",
            vec![
                "--additional-tag",
                "foo:bar",
                "--additional-tag",
                "example.com/app:v1",
            ],
        ),
        ("bare", "", vec![]),
        ("tags-only", "", vec!["--additional-tag=a/b:c,d:e"]),
    ] {
        let ours = t.path().join(format!("{label}-skiff.tar"));
        let mut cmd = skiff();
        cmd.args(["--insecure-policy", "copy", "-q"])
            .args(&extra)
            .arg(&src)
            .arg(format!("docker-archive:{}{suffix}", ours.display()));
        ok(&mut cmd);
        let Some(mut s) = skopeo() else { continue };
        let theirs = t.path().join(format!("{label}-skopeo.tar"));
        ok(s.args(["--insecure-policy", "copy", "-q"])
            .args(&extra)
            .arg(&src)
            .arg(format!("docker-archive:{}{suffix}", theirs.display())));
        assert!(
            std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(),
            "{label}: skiff's archive differs from skopeo's"
        );
    }
    // New archives are created with mode 0644 (less the umask), as skopeo creates them.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(t.path().join("bare-skiff.tar"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7077, 0o044 & mode);
}

#[test]
fn additional_tag_must_be_tagged() {
    let t = tempfile::tempdir().unwrap();
    let src = source(&t.path().join("src"), 2);
    let (_, err) = fails(skiff().args([
        "--insecure-policy",
        "copy",
        "--additional-tag",
        "busybox",
        &src,
        &format!("docker-archive:{}", t.path().join("x.tar").display()),
    ]));
    assert_eq!(
        fatal_message(&err),
        "additional-tag 'busybox' must be a tagged reference"
    );
}

#[test]
fn skopeo_archives_read_as_skopeo_reads_them() {
    let Some(mut s) = skopeo() else { return };
    let t = tempfile::tempdir().unwrap();
    let src = source(&t.path().join("src"), 3);
    let archive = t.path().join("a.tar");
    ok(s.args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}:localhost/a:1", archive.display()),
    ]));
    let name = format!("docker-archive:{}", archive.display());
    read_both(t.path(), &name, "plain");
    read_both(t.path(), &format!("{name}:localhost/a:1"), "by-tag");
    read_both(t.path(), &format!("{name}:@0"), "by-index");
    // The same dir: image (blobs read in place, kernel-copied).
    let (da, db) = (t.path().join("dir-a"), t.path().join("dir-b"));
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &name,
        &format!("dir:{}", da.display()),
    ]));
    ok(skopeo().unwrap().args([
        "--insecure-policy",
        "copy",
        "-q",
        &name,
        &format!("dir:{}", db.display()),
    ]));
    assert_same_tree(&da, &db);
    for args in [
        vec!["inspect", "--raw"],
        vec!["inspect", "--config", "--raw"],
    ] {
        let a = ok(skiff().args(&args).arg(&name));
        let b = ok(skopeo().unwrap().args(&args).arg(&name));
        assert_eq!(stdout(&a), stdout(&b), "{args:?}");
    }
    let a = ok(skiff().args(["inspect", &format!("{name}:localhost/a:1")]));
    let b = ok(skopeo()
        .unwrap()
        .args(["inspect", &format!("{name}:localhost/a:1")]));
    assert_eq!(
        inspect_without_layers_data(&a),
        inspect_without_layers_data(&b)
    );
    for bad in [":localhost/a:2", ":@1"] {
        let (code, err) = fails(skiff().args(["inspect", &format!("{name}{bad}")]));
        let (_, theirs) = fails(skopeo().unwrap().args(["inspect", &format!("{name}{bad}")]));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
        assert_eq!(code, 1);
    }
}

/// One archive holding the images of several (skiff-written) archives.
fn merge(archives: &[&Path], out: &Path) {
    let mut items = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    for a in archives {
        let mut ar = tar::Archive::new(std::fs::File::open(a).unwrap());
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            if name == "manifest.json" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut e, &mut s).unwrap();
                let v: Vec<serde_json::Value> = serde_json::from_str(&s).unwrap();
                items.extend(v);
                continue;
            }
            if name == "repositories" || !seen.insert(name.clone()) {
                continue;
            }
            let mut h = e.header().clone();
            b.append_data(&mut h, &name, &mut e).unwrap();
        }
    }
    let m = serde_json::to_vec(&items).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(m.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "manifest.json", &m[..]).unwrap();
    b.finish().unwrap();
}

#[test]
fn several_images_in_one_archive() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (
        archive_of(t.path(), "one", 4),
        archive_of(t.path(), "two", 5),
    );
    let multi = t.path().join("multi.tar");
    merge(&[&a, &b], &multi);
    let name = format!("docker-archive:{}", multi.display());
    let tags = ok(skiff().args(["list-tags", &name]));
    assert_eq!(
        stdout(&tags),
        "{\n    \"Tags\": [\n        \"docker.io/library/one:v4\",\n        \"docker.io/library/two:v5\"\n    ]\n}\n"
    );
    let (_, err) = fails(skiff().args(["inspect", &name]));
    assert_eq!(
        fatal_message(&err),
        "Error retrieving manifest for image: Unexpected tar manifest.json: expected 1 item, got 2"
    );
    let (_, err2) = fails(skiff().args(["inspect", &format!("{name}:@2")]));
    assert_eq!(
        fatal_message(&err2),
        "Error retrieving manifest for image: Invalid source index @2, only 2 manifest items available"
    );
    let by_index = read_both(t.path(), &format!("{name}:@1"), "at1");
    let by_tag = read_both(t.path(), &format!("{name}:two:v5"), "two");
    assert_same_tree(&by_index, &by_tag);
    let single = read_both(t.path(), &format!("docker-archive:{}", b.display()), "b");
    assert_same_tree(&by_index, &single);
    if let Some(mut s) = skopeo() {
        let theirs = ok(s.args(["list-tags", &name]));
        assert_eq!(stdout(&tags), stdout(&theirs));
        let (_, theirs) = fails(skopeo().unwrap().args(["inspect", &name]));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
    }
}

#[test]
fn list_tags_as_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = source(&t.path().join("src"), 6);
    let untagged = t.path().join("untagged.tar");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}", untagged.display()),
    ]));
    let tagged = t.path().join("tagged.tar");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--additional-tag",
        "docker.io/library/x:1",
        &src,
        &format!("docker-archive:{}:quay.io/a/b:c", tagged.display()),
    ]));
    for (archive, want) in [
        (&untagged, "{\n    \"Tags\": [\n        \"@0\"\n    ]\n}\n"),
        (
            &tagged,
            "{\n    \"Tags\": [\n        \"quay.io/a/b:c\",\n        \"docker.io/library/x:1\"\n    ]\n}\n",
        ),
    ] {
        let name = format!("docker-archive:{}:ignored:tag", archive.display());
        let ours = stdout(&ok(skiff().args(["list-tags", &name])));
        assert_eq!(ours, want);
        if let Some(mut s) = skopeo() {
            assert_eq!(ours, stdout(&ok(s.args(["list-tags", &name]))));
        }
    }
    let missing = format!("docker-archive:{}", t.path().join("none.tar").display());
    let (_, err) = fails(skiff().args(["list-tags", &missing]));
    if let Some(mut s) = skopeo() {
        let (_, theirs) = fails(s.args(["list-tags", &missing]));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
    }
}

fn gzip_file(from: &Path, to: &Path) {
    let data = std::fs::read(from).unwrap();
    std::fs::write(to, fixtures::gzip(&data)).unwrap();
}

#[test]
fn gzip_compressed_archives_read() {
    let t = tempfile::tempdir().unwrap();
    let a = archive_of(t.path(), "gz", 7);
    let gz = t.path().join("gz.tar.gz");
    gzip_file(&a, &gz);
    let plain = read_both(
        t.path(),
        &format!("docker-archive:{}", a.display()),
        "plain",
    );
    // skopeo 1.9.3 fails on compressed archives ("loading tar component manifest.json:
    // unexpected EOF"); newer skopeo reads them: compare with the uncompressed archive.
    let unzipped = t.path().join("gz-out");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!("docker-archive:{}", gz.display()),
        &format!("dir:{}", unzipped.display()),
    ]));
    assert_same_tree(&plain, &unzipped);
}

/// `inspect` reads a plain archive file in place on its one thread; a compressed file and a
/// named pipe (whose opening waits for a writer) go the spooling way: all three agree.
#[test]
fn inspect_reads_files_compressed_files_and_fifos_alike() {
    let t = tempfile::tempdir().unwrap();
    let a = archive_of(t.path(), "fifo", 7);
    let gz = t.path().join("a.tar.gz");
    gzip_file(&a, &gz);
    let inspect = |path: &Path| {
        stdout(&ok(skiff()
            .arg("inspect")
            .arg(format!("docker-archive:{}", path.display()))))
    };
    let plain = inspect(&a);
    assert!(plain.contains("\"Digest\""), "{plain}");
    assert_eq!(inspect(&gz), plain);
    let fifo = t.path().join("fifo");
    ok(std::process::Command::new("mkfifo").arg(&fifo));
    let (from, to) = (a.clone(), fifo.clone());
    let writer = std::thread::spawn(move || std::fs::write(&to, std::fs::read(&from).unwrap()));
    assert_eq!(inspect(&fifo), plain);
    writer.join().unwrap().unwrap();
}

#[test]
fn stdin_and_stdout() {
    let t = tempfile::tempdir().unwrap();
    let src = source(&t.path().join("src"), 8);
    let direct = t.path().join("direct.tar");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}:s:1", direct.display()),
    ]));
    // stdout redirected to a file, and to a pipe.
    let to_file = t.path().join("to-file.tar");
    let f = std::fs::File::create(&to_file).unwrap();
    ok(skiff()
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            &src,
            "docker-archive:/dev/stdout:s:1",
        ])
        .stdout(f));
    assert!(std::fs::read(&to_file).unwrap() == std::fs::read(&direct).unwrap());
    let piped = ok(skiff()
        .args([
            "--insecure-policy",
            "copy",
            &src,
            "docker-archive:/dev/stdout:s:1",
        ])
        .stdout(Stdio::piped()));
    assert!(
        piped.stdout == std::fs::read(&direct).unwrap(),
        "piped archive differs"
    );
    // stdin: a pipe (spooled) and a file (read in place), plain and gzip.
    let gz = t.path().join("direct.tar.gz");
    gzip_file(&direct, &gz);
    let reference = read_both(
        t.path(),
        &format!("docker-archive:{}", direct.display()),
        "ref",
    );
    for (label, input) in [("pipe", &direct), ("pipe-gz", &gz)] {
        let out = t.path().join(label);
        let mut child = skiff()
            .args([
                "--insecure-policy",
                "copy",
                "-q",
                "docker-archive:/dev/stdin",
                &format!("dir:{}", out.display()),
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let data = std::fs::read(input).unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        assert!(child.wait().unwrap().success(), "{label}");
        writer.join().unwrap().unwrap();
        assert_same_tree(&reference, &out);
    }
    let out = t.path().join("file-stdin");
    ok(skiff()
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "docker-archive:/dev/stdin",
            &format!("dir:{}", out.display()),
        ])
        .stdin(std::fs::File::open(&direct).unwrap()));
    assert_same_tree(&reference, &out);
}

#[test]
fn truncated_archives_fail_and_write_nothing() {
    let t = tempfile::tempdir().unwrap();
    let a = archive_of(t.path(), "trunc", 9);
    let data = std::fs::read(&a).unwrap();
    for (label, len) in [
        ("mid-layer", 1000),
        ("mid-archive", data.len() / 2),
        ("in-manifest", data.len() - 2600),
    ] {
        let cut = t.path().join(format!("{label}.tar"));
        std::fs::write(&cut, &data[..len]).unwrap();
        let dest = t.path().join(format!("{label}-out"));
        let (code, err) = fails(skiff().args([
            "--insecure-policy",
            "copy",
            "-q",
            &format!("docker-archive:{}", cut.display()),
            &format!("oci:{}:x", dest.display()),
        ]));
        assert_eq!(code, 1);
        let msg = fatal_message(&err);
        assert!(
            !msg.contains('\n') && !msg.contains("panicked"),
            "{label}: {msg}"
        );
        assert!(
            msg.contains("truncated") || msg.contains("does not exist"),
            "{label}: {msg}"
        );
        assert!(!dest.exists(), "{label}: destination written");
    }
}

/// An archive whose `manifest.json` names its only layer through `layer`, plus extra members.
fn crafted(out: &Path, layer: &str, extra: impl FnOnce(&mut tar::Builder<std::fs::File>)) {
    let layer_tar = fixtures::layer_tar(&[("x", b"x")]);
    let diff = fixtures::sha256(&layer_tar);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": ["evil:1"], "Layers": [layer]}
    ]))
    .unwrap();
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    let add = |b: &mut tar::Builder<std::fs::File>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    add(&mut b, "config.json", &config);
    add(&mut b, "real/layer.tar", &layer_tar);
    extra(&mut b);
    add(&mut b, "manifest.json", &manifest);
    b.finish().unwrap();
}

#[test]
fn entries_escaping_the_archive_are_refused() {
    let t = tempfile::tempdir().unwrap();
    // Control: the crafted archive is fine when it names its layer plainly.
    let good = t.path().join("good.tar");
    crafted(&good, "real/layer.tar", |_| {});
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!("docker-archive:{}", good.display()),
        &format!("oci:{}:x", t.path().join("good-out").display()),
    ]));
    let dotdot = t.path().join("dotdot.tar");
    crafted(&dotdot, "../../etc/passwd", |_| {});
    let link = t.path().join("link.tar");
    crafted(&link, "l/layer.tar", |b| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_cksum();
        b.append_link(&mut h, "l/layer.tar", "../../../etc/passwd")
            .unwrap();
    });
    for (archive, want) in [
        (&dotdot, "leaves the archive"),
        (&link, "leaves the archive"),
    ] {
        let dest = t.path().join("out");
        let (code, err) = fails(skiff().args([
            "--insecure-policy",
            "copy",
            "-q",
            &format!("docker-archive:{}", archive.display()),
            &format!("oci:{}:x", dest.display()),
        ]));
        assert_eq!(code, 1);
        let msg = fatal_message(&err);
        assert!(msg.contains(want), "{msg}");
        assert!(!dest.exists());
    }
}

#[test]
fn existing_files_are_not_overwritten_and_failures_leave_nothing() {
    let t = tempfile::tempdir().unwrap();
    let src = source(&t.path().join("src"), 10);
    let existing = t.path().join("existing.tar");
    std::fs::write(&existing, b"something").unwrap();
    let (_, err) = fails(skiff().args([
        "--insecure-policy",
        "copy",
        &src,
        &format!("docker-archive:{}", existing.display()),
    ]));
    assert_eq!(
        fatal_message(&err),
        format!(
            "initializing destination docker-archive:{}: docker-archive doesn't support modifying existing images",
            existing.display()
        )
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"something");
    // An empty file is written in place; a failed copy empties it again.
    let empty = t.path().join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}", empty.display()),
    ]));
    assert!(std::fs::metadata(&empty).unwrap().len() > 0);
    // Break a layer of the source: the copy fails after writing part of the archive.
    let blobs = t.path().join("src/blobs/sha256");
    let mut biggest = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>();
    biggest.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
    let layer = biggest.last().unwrap();
    let mut bytes = std::fs::read(layer).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0xff;
    std::fs::write(layer, bytes).unwrap();
    let fresh = t.path().join("fresh.tar");
    fails(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}", fresh.display()),
    ]));
    assert!(!fresh.exists());
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".skiff"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let empty2 = t.path().join("empty2.tar");
    std::fs::write(&empty2, b"").unwrap();
    fails(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}", empty2.display()),
    ]));
    assert_eq!(std::fs::metadata(&empty2).unwrap().len(), 0);
}

/// What newer Docker's `docker save` writes: an OCI layout plus `manifest.json` naming blobs,
/// here with one layer stored gzip-compressed (as the containerd image store keeps them).
fn newer_docker_archive(out: &Path) {
    let layers = [
        fixtures::layer_tar(&[("a", b"aaaa")]),
        fixtures::layer_tar(&[("b", &fixtures::noise(3000, 3))]),
    ];
    let diff_ids: Vec<String> = layers.iter().map(|l| fixtures::sha256(l)).collect();
    let stored = [layers[0].clone(), fixtures::gzip(&layers[1])];
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let blob = |b: &[u8]| format!("blobs/sha256/{}", &fixtures::sha256(b)[7..]);
    let oci_manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": fixtures::OCI_MANIFEST,
        "config": {"mediaType": fixtures::OCI_CONFIG, "digest": fixtures::sha256(&config), "size": config.len()},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": fixtures::sha256(&stored[0]), "size": stored[0].len()},
            {"mediaType": fixtures::OCI_LAYER_GZIP, "digest": fixtures::sha256(&stored[1]), "size": stored[1].len()},
        ],
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": fixtures::OCI_INDEX,
        "manifests": [{"mediaType": fixtures::OCI_MANIFEST, "digest": fixtures::sha256(&oci_manifest), "size": oci_manifest.len(),
            "annotations": {"io.containerd.image.name": "docker.io/library/new:1", "org.opencontainers.image.ref.name": "1"}}],
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": blob(&config), "RepoTags": ["new:1"], "Layers": [blob(&stored[0]), blob(&stored[1])],
        "LayerSources": {},
    }]))
    .unwrap();
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    for data in [&config, &stored[0], &stored[1], &oci_manifest] {
        add(&blob(data), data);
    }
    add("index.json", &index);
    add("manifest.json", &manifest);
    add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    add("repositories", br#"{"new":{"1":"x"}}"#);
}

#[test]
fn newer_docker_oci_shaped_archives_read() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("new.tar");
    newer_docker_archive(&a);
    let name = format!("docker-archive:{}", a.display());
    read_both(t.path(), &name, "new");
    let ours = ok(skiff().args(["inspect", "--raw", &name]));
    if let Some(mut s) = skopeo() {
        assert_eq!(
            stdout(&ours),
            stdout(&ok(s.args(["inspect", "--raw", &name])))
        );
    }
    // A compressed layer file is served uncompressed under its diff ID.
    let m: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(m["layers"][1]["size"], 4608);
}

#[test]
fn podman_archives_read_as_skopeo_reads_them() {
    if !(require_tool("podman") && require_tool("skopeo")) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let store = crate::storage::Store::new("vfs");
    let a = archive_of(t.path(), "pod", 11);
    ok(store
        .podman()
        .args(["load", "-q", "-i", &a.to_string_lossy()]));
    let saved = t.path().join("podman.tar");
    ok(store.podman().args([
        "save",
        "-q",
        "--format",
        "docker-archive",
        "-o",
        &saved.to_string_lossy(),
        "docker.io/library/pod:v11",
    ]));
    let name = format!("docker-archive:{}", saved.display());
    let from_podman = read_both(t.path(), &name, "podman");
    let original = read_both(t.path(), &format!("docker-archive:{}", a.display()), "orig");
    assert_same_tree(&from_podman, &original);
    let ours = ok(skiff().args(["list-tags", &name]));
    let theirs = ok(skopeo().unwrap().args(["list-tags", &name]));
    assert_eq!(stdout(&ours), stdout(&theirs));
}

/// An OCI layout tagged `v1` whose one layer is stored under a sha512 digest (uncompressed,
/// docker-archive keeps that digest, and its 132-byte member name). The config stays sha256:
/// skopeo 1.9.3 verifies configs with sha256 whatever their digest says.
fn sha512_layer_source(dir: &Path, gzip: bool) -> String {
    use sha2::{Digest as _, Sha512};
    let tar = fixtures::layer_tar(&[("hello.txt", b"hello sha512\n")]);
    let (layer, layer_type) = if gzip {
        (fixtures::gzip(&tar), fixtures::OCI_LAYER_GZIP)
    } else {
        (tar.clone(), "application/vnd.oci.image.layer.v1.tar")
    };
    let layer_digest = format!("sha512:{}", hex::encode(Sha512::digest(&layer)));
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [fixtures::sha256(&tar)]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": fixtures::OCI_MANIFEST,
        "config": {"mediaType": fixtures::OCI_CONFIG, "digest": fixtures::sha256(&config), "size": config.len()},
        "layers": [{"mediaType": layer_type, "digest": layer_digest, "size": layer.len()}],
    }))
    .unwrap();
    std::fs::create_dir_all(dir.join("blobs/sha512")).unwrap();
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("blobs/sha512").join(&layer_digest[7..]), &layer).unwrap();
    for b in [&config, &manifest] {
        std::fs::write(dir.join("blobs/sha256").join(&fixtures::sha256(b)[7..]), b).unwrap();
    }
    fixtures::add_index_entry(dir, fixtures::OCI_MANIFEST, &manifest, "v1");
    format!("oci:{}:v1", dir.display())
}

#[test]
fn sha512_layers_get_go_pax_headers() {
    let t = tempfile::tempdir().unwrap();
    let src = sha512_layer_source(&t.path().join("src"), false);
    let ours = t.path().join("skiff.tar");
    let dest = format!("docker-archive:{}:x/y:v1", ours.display());
    ok(skiff().args(["--insecure-policy", "copy", "-q", &src, &dest]));
    // Through a pipe too (the header is written before the data there).
    let piped = ok(skiff()
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            &src,
            "docker-archive:/dev/stdout:x/y:v1",
        ])
        .stdout(Stdio::piped()));
    let bytes = std::fs::read(&ours).unwrap();
    assert!(piped.stdout == bytes, "piped archive differs");
    // GNU tar sees the whole 132-byte name and link target.
    let listing = stdout(&ok(std::process::Command::new("tar").arg("tvf").arg(&ours)));
    let long = listing
        .lines()
        .find(|l| l.contains(".tar -> ../"))
        .unwrap_or_else(|| panic!("no layer link in {listing}"));
    let target = long.rsplit(' ').next().unwrap();
    assert_eq!(target.len(), "../".len() + 128 + ".tar".len(), "{listing}");
    let layer_file = format!(" {}", &target[3..]);
    assert!(
        listing.lines().any(|l| l.ends_with(&layer_file)),
        "{listing}"
    );
    // skiff reads it back.
    let back = t.path().join("back-skiff");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!("docker-archive:{}", ours.display()),
        &format!("dir:{}", back.display()),
    ]));
    let Some(mut s) = skopeo() else { return };
    // skopeo writes the same bytes and reads skiff's archive as skiff does.
    let theirs = t.path().join("skopeo.tar");
    ok(s.args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}:x/y:v1", theirs.display()),
    ]));
    assert!(
        bytes == std::fs::read(&theirs).unwrap(),
        "skiff's sha512 archive differs from skopeo's"
    );
    let back_skopeo = t.path().join("back-skopeo");
    ok(skopeo().unwrap().args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!("docker-archive:{}", ours.display()),
        &format!("dir:{}", back_skopeo.display()),
    ]));
    assert_same_tree(&back, &back_skopeo);
}

#[test]
fn sha512_blobs_in_oci_archives_get_pax_names() {
    // skopeo 1.9.3 cannot write this (it stores sha512 blobs under their sha256); skiff
    // writes `blobs/sha512/<128 hex digits>` with a PAX path, which skopeo then reads.
    let t = tempfile::tempdir().unwrap();
    let src = sha512_layer_source(&t.path().join("src"), true);
    let archive = t.path().join("a.tar");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &format!("oci-archive:{}:v1", archive.display()),
    ]));
    let listing = stdout(&ok(std::process::Command::new("tar")
        .arg("tf")
        .arg(&archive)));
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("blobs/sha512/") && l.len() == "blobs/sha512/".len() + 128),
        "{listing}"
    );
    let name = format!("oci-archive:{}:v1", archive.display());
    let ours = ok(skiff().args(["inspect", &name]));
    let Some(mut s) = skopeo() else { return };
    let theirs = ok(s.args(["inspect", &name]));
    assert_eq!(
        inspect_without_layers_data(&ours)["Layers"],
        inspect_without_layers_data(&theirs)["Layers"]
    );
    assert!(stdout(&theirs).contains("sha512:"));
    let raw_ours = ok(skiff().args(["inspect", "--raw", &name]));
    let raw_theirs = ok(skopeo().unwrap().args(["inspect", "--raw", &name]));
    assert_eq!(raw_ours.stdout, raw_theirs.stdout);
}
