//! `tarball:` against skopeo: the same tar files (made with `tar`) give the same manifest,
//! config and layers; bad files fail in one line and write nothing.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::fixtures::sha256;
use crate::support::*;

/// A directory tree and three layer files made from it with GNU tar: plain, gzip, zstd.
/// Modification times are fixed, since the config records them.
fn layer_files(dir: &Path) {
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hello"), b"hello\n").unwrap();
    std::fs::write(
        root.join("big"),
        crate::support::fixtures::noise(200_000, 7),
    )
    .unwrap();
    let tar = |args: &[&str]| {
        ok(Command::new("tar").current_dir(dir).args(args));
    };
    tar(&["-cf", "plain.tar", "-C", "root", "."]);
    tar(&["-czf", "layer.tgz", "-C", "root", "etc"]);
    tar(&["-cf", "layer.tar.zst", "--zstd", "-C", "root", "big"]);
    tar(&["-cf", "zst-inner.tar", "-C", "root", "big"]);
    for (file, when) in [
        ("plain.tar", "2021-03-04 05:06:07.123456789"),
        ("layer.tgz", "2022-01-02 03:04:05"),
        ("layer.tar.zst", "2020-05-06 07:08:09.5"),
    ] {
        ok(Command::new("touch").args(["-d", when]).arg(dir.join(file)));
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn oci_manifest(layout: &Path) -> (serde_json::Value, Vec<u8>) {
    let index = read_json(&layout.join("index.json"));
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    let bytes = std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap();
    (serde_json::from_slice(&bytes).unwrap(), bytes)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
    out
}

#[test]
fn tarball_copies_match_skopeo() {
    if !require_tool("tar") {
        return;
    }
    let Some(_) = skopeo() else { return };
    let t = tempfile::tempdir().unwrap();
    layer_files(t.path());
    let at = |f: &str| t.path().join(f).display().to_string();
    let name = format!(
        "tarball:{}:{}:{}",
        at("plain.tar"),
        at("layer.tgz"),
        at("plain.tar")
    );

    // dir: keeps every blob as the source gives it: the whole tree is the same bytes.
    for tool in ["skiff", "skopeo"] {
        let dest = format!("dir:{}", at(&format!("dir-{tool}")));
        let mut cmd = if tool == "skiff" {
            skiff()
        } else {
            skopeo().unwrap()
        };
        ok(cmd.args(["copy", "-q", &name, &dest]));
    }
    assert_same_tree(&t.path().join("dir-skiff"), &t.path().join("dir-skopeo"));

    // oci: compresses the plain tar layers, each tool with its own gzip encoder, so those
    // blobs differ in bytes; everything else (config, the gzip layer, the manifest's shape
    // and the layers' contents) is the same.
    for tool in ["skiff", "skopeo"] {
        let dest = format!("oci:{}:v1", at(&format!("oci-{tool}")));
        let mut cmd = if tool == "skiff" {
            skiff()
        } else {
            skopeo().unwrap()
        };
        ok(cmd.args(["copy", "-q", &name, &dest]));
    }
    let (ours, _) = oci_manifest(&t.path().join("oci-skiff"));
    let (theirs, _) = oci_manifest(&t.path().join("oci-skopeo"));
    assert_eq!(ours["config"], theirs["config"]);
    let layers = |m: &serde_json::Value| m["layers"].as_array().unwrap().clone();
    let (ol, tl) = (layers(&ours), layers(&theirs));
    assert_eq!(ol.len(), 3);
    for (i, (a, b)) in ol.iter().zip(&tl).enumerate() {
        assert_eq!(a["mediaType"], b["mediaType"], "layer {i}");
        let blob = |layout: &str, l: &serde_json::Value| {
            let d = l["digest"].as_str().unwrap();
            std::fs::read(t.path().join(layout).join("blobs/sha256").join(&d[7..])).unwrap()
        };
        if i == 1 {
            assert_eq!(a, b, "the gzip layer is copied as it is");
        }
        assert_eq!(
            gunzip(&blob("oci-skiff", a)),
            gunzip(&blob("oci-skopeo", b)),
            "layer {i}"
        );
    }

    // The config as skopeo's inspect prints it, raw.
    let config = |cmd: &mut Command| stdout(&ok(cmd.args(["inspect", "--config", "--raw", &name])));
    assert_eq!(config(&mut skiff()), config(&mut skopeo().unwrap()));
}

#[test]
fn tarball_zstd_layer_has_its_real_diff_id() {
    if !require_tool("tar") || !require_tool("zstd") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    layer_files(t.path());
    let name = format!("tarball:{}", t.path().join("layer.tar.zst").display());
    let dest = t.path().join("out");
    ok(skiff().args(["copy", "-q", &name, &format!("dir:{}", dest.display())]));
    let manifest = read_json(&dest.join("manifest.json"));
    let layer = &manifest["layers"][0];
    assert_eq!(
        layer["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );
    let zst = std::fs::read(t.path().join("layer.tar.zst")).unwrap();
    assert_eq!(layer["digest"], sha256(&zst));
    // The diff ID is the tar's, as `zstd -d` gives it back.
    let inner = ok(Command::new("zstd")
        .args(["-d", "-c"])
        .arg(t.path().join("layer.tar.zst")))
    .stdout;
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let config = read_json(&dest.join(&config_digest[7..]));
    assert_eq!(config["rootfs"]["diff_ids"][0], sha256(&inner));
}

#[test]
fn tarball_reads_standard_input() {
    if !require_tool("tar") {
        return;
    }
    let Some(_) = skopeo() else { return };
    let t = tempfile::tempdir().unwrap();
    layer_files(t.path());
    let mut outs = Vec::new();
    for tool in ["skiff", "skopeo"] {
        let dest = t.path().join(format!("stdin-{tool}"));
        let mut cmd = if tool == "skiff" {
            skiff()
        } else {
            skopeo().unwrap()
        };
        let input = std::fs::File::open(t.path().join("layer.tgz")).unwrap();
        ok(cmd
            .args([
                "copy",
                "-q",
                "tarball:-",
                &format!("dir:{}", dest.display()),
            ])
            .stdin(Stdio::from(input)));
        outs.push(read_json(&dest.join("manifest.json")));
    }
    // The config records the time standard input was read; the layers are the same.
    assert_eq!(outs[0]["layers"], outs[1]["layers"]);
}

#[test]
fn tarball_bad_files_fail_in_one_line_and_write_nothing() {
    if !require_tool("tar") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    layer_files(t.path());
    let at = |f: &str| t.path().join(f).display().to_string();
    let whole = std::fs::read(t.path().join("plain.tar")).unwrap();
    std::fs::write(t.path().join("cut.tar"), &whole[..whole.len() / 2]).unwrap();
    let gz = std::fs::read(t.path().join("layer.tgz")).unwrap();
    std::fs::write(t.path().join("cut.tgz"), &gz[..gz.len() / 2]).unwrap();
    std::fs::write(t.path().join("text.txt"), b"not a tar at all\n").unwrap();

    let cases = [
        // (file, skiff's message, whether skopeo fails the same way)
        (
            "missing.tar",
            format!(
                "Invalid source name tarball:{0}: error opening \"{0}\": open {0}: no such file or directory",
                at("missing.tar")
            ),
            true,
        ),
        (
            "cut.tgz",
            format!(
                "initializing source tarball:{0}: error reading \"{0}\": unexpected EOF",
                at("cut.tgz")
            ),
            true,
        ),
        // skopeo takes any file that is not gzip for a tar and copies it; skiff refuses
        // what is not a whole tar archive, which no runtime could unpack.
        (
            "text.txt",
            format!(
                "initializing source tarball:{0}: error reading \"{0}\": not a tar archive",
                at("text.txt")
            ),
            false,
        ),
        (
            "cut.tar",
            format!(
                "initializing source tarball:{0}: error reading \"{0}\": unexpected EOF",
                at("cut.tar")
            ),
            false,
        ),
    ];
    for (file, want, skopeo_agrees) in cases {
        let name = format!("tarball:{}", at(file));
        let dest = t.path().join(format!("out-{file}"));
        let (code, err) = fails(skiff().args(["copy", &name, &format!("dir:{}", dest.display())]));
        assert_eq!(code, 1, "{file}");
        assert_eq!(
            err.lines().filter(|l| !l.trim().is_empty()).count(),
            1,
            "{file}: {err}"
        );
        assert_eq!(fatal_message(&err), want, "{file}");
        assert!(!dest.exists(), "{file}: something was written");
        if let (true, Some(mut s)) = (skopeo_agrees, skopeo()) {
            let sdest = t.path().join(format!("skopeo-{file}"));
            let (_, serr) = fails(s.args(["copy", &name, &format!("dir:{}", sdest.display())]));
            assert_eq!(fatal_message(&serr), want, "{file}: skopeo says otherwise");
        }
    }
    // Read only, as in c/image.
    let img = format!("dir:{}", at("img"));
    ok(skiff().args(["copy", "-q", &format!("tarball:{}", at("plain.tar")), &img]));
    let dest = format!("tarball:{}", at("plain.tar"));
    let (code, err) = fails(skiff().args(["copy", "-q", &img, &dest]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        format!(
            "initializing destination {dest}: \"tarball:\" locations can only be read from, not written to"
        )
    );
}
