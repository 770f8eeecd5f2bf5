//! Manifest conversions and layer compression changes, compared byte for byte with skopeo
//! 1.9.3 where the output is deterministic (conversions, decompression), and by structure and
//! magic bytes where compressors differ (gzip/zstd output is implementation-specific).

use std::path::{Path, PathBuf};

use crate::support::fixtures::{self, ImageSpec, gzip, layer_tar, noise, sha256};
use crate::support::oracle::{self, copy_both as both};
use crate::support::{assert_same_tree, ok, skiff, skopeo};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn blob_in_dir(dir: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(dir.join(&digest["sha256:".len()..])).unwrap()
}

fn docker_dir(t: &Path) -> (PathBuf, fixtures::Built) {
    let mut spec = ImageSpec::small(21);
    spec.docker = true;
    let src = t.join("docker-src");
    let built = fixtures::write_dir(&src, &spec);
    (src, built)
}

#[test]
fn v2s2_to_oci_matches_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = docker_dir(t.path());
    let name = format!("dir:{}", src.display());
    let (ours, theirs) = both(t.path(), "dir", &["--format", "oci"], &name, "dir");
    let m = json(&ours.join("manifest.json"));
    assert_eq!(m["mediaType"], fixtures::OCI_MANIFEST);
    assert_eq!(m["config"]["mediaType"], fixtures::OCI_CONFIG);
    assert_eq!(m["layers"][0]["mediaType"], fixtures::OCI_LAYER_GZIP);
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
    // An oci: destination takes only OCI: the conversion happens without --format.
    let (ours, theirs) = both(t.path(), "layout", &[], &name, "oci");
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
}

#[test]
fn oci_to_v2s2_matches_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(22));
    let name = format!("oci:{}:v1", src.display());
    let (ours, theirs) = both(t.path(), "dir", &["--format", "v2s2"], &name, "dir");
    let m = json(&ours.join("manifest.json"));
    assert_eq!(m["mediaType"], fixtures::DOCKER_MANIFEST);
    assert_eq!(m["config"]["mediaType"], fixtures::DOCKER_CONFIG);
    assert_eq!(m["layers"][1]["mediaType"], fixtures::DOCKER_LAYER_GZIP);
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
    // And back: the OCI config is re-encoded the same way skopeo does it.
    let back_src = format!("dir:{}", ours.display());
    let (ours, theirs) = both(t.path(), "back", &["--format", "oci"], &back_src, "dir");
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
}

/// A schema 1 image (top layer first, one empty "throwaway" layer) in a `dir:`.
pub(crate) fn write_schema1(dir: &Path, signed: bool) -> Vec<u8> {
    std::fs::create_dir_all(dir).unwrap();
    let base = gzip(&layer_tar(&[("base.txt", b"base <layer> & co\n")]));
    let top = gzip(&layer_tar(&[("top.bin", &noise(3000, 7))]));
    let empty = gzip(&layer_tar(&[]));
    for b in [&base, &top, &empty] {
        std::fs::write(dir.join(&sha256(b)["sha256:".len()..]), b).unwrap();
    }
    let id = |n: u8| format!("{:064x}", n as u64 * 0x1111_1111);
    let history = [
        serde_json::json!({
            "architecture": "amd64", "os": "linux", "id": id(3), "parent": id(2),
            "created": "2020-01-02T03:04:07.5Z", "docker_version": "19.03.1",
            "author": "someone <a@b>",
            "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"], "Labels": {"k": "v&"}},
            "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) ADD top.bin /"]},
            "Size": 3000,
        }),
        serde_json::json!({
            "id": id(2), "parent": id(1), "created": "2020-01-02T03:04:06Z",
            "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) ENV X=1"]},
            "throwaway": true,
        }),
        serde_json::json!({
            "id": id(1), "created": "2020-01-02T03:04:05Z", "comment": "base",
            "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) ADD base.txt /"]},
        }),
    ];
    let manifest = serde_json::json!({
        "schemaVersion": 1,
        "name": "library/s1",
        "tag": "latest",
        "architecture": "amd64",
        "fsLayers": [{"blobSum": sha256(&top)}, {"blobSum": sha256(&empty)}, {"blobSum": sha256(&base)}],
        "history": history.iter().map(|h| serde_json::json!({"v1Compatibility": h.to_string()})).collect::<Vec<_>>(),
    });
    let unsigned = serde_json::to_string_pretty(&manifest)
        .unwrap()
        .into_bytes();
    let bytes = if signed {
        skiff::manifest::schema1::sign_with_dummy_key(&unsigned).unwrap()
    } else {
        unsigned
    };
    std::fs::write(dir.join("manifest.json"), &bytes).unwrap();
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    bytes
}

#[test]
fn schema1_to_v2s2_and_oci_match_skopeo() {
    let t = tempfile::tempdir().unwrap();
    for signed in [false, true] {
        let src = t.path().join(format!("s1-{signed}"));
        write_schema1(&src, signed);
        let name = format!("dir:{}", src.display());
        for (format, transport) in [("v2s2", "dir"), ("oci", "dir"), ("oci", "oci")] {
            let label = format!("{signed}-{format}-{transport}");
            let args: &[&str] = if transport == "oci" {
                &[]
            } else {
                &["--format", format]
            };
            let (ours, theirs) = both(t.path(), &label, args, &name, transport);
            if transport == "dir" {
                let m = json(&ours.join("manifest.json"));
                // The empty layer is dropped and the config carries the uncompressed digests.
                assert_eq!(m["layers"].as_array().unwrap().len(), 2, "{label}");
                let cfg: serde_json::Value = serde_json::from_slice(&blob_in_dir(
                    &ours,
                    m["config"]["digest"].as_str().unwrap(),
                ))
                .unwrap();
                assert_eq!(cfg["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
                assert_eq!(cfg["history"].as_array().unwrap().len(), 3);
            }
            if let Some(theirs) = theirs {
                assert_same_tree(&ours, &theirs);
            }
        }
    }
}

#[test]
fn schema1_copied_unchanged_keeps_its_bytes() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("s1");
    let bytes = write_schema1(&src, true);
    let (ours, _) = both(
        t.path(),
        "plain",
        &[],
        &format!("dir:{}", src.display()),
        "dir",
    );
    assert_eq!(std::fs::read(ours.join("manifest.json")).unwrap(), bytes);
}

#[test]
fn decompressing_into_dir_matches_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(23));
    let name = format!("oci:{}:v1", src.display());
    let (ours, theirs) = both(t.path(), "plain", &["--dest-decompress"], &name, "dir");
    let m = json(&ours.join("manifest.json"));
    for l in m["layers"].as_array().unwrap() {
        assert_eq!(l["mediaType"], "application/vnd.oci.image.layer.v1.tar");
        let b = blob_in_dir(&ours, l["digest"].as_str().unwrap());
        assert_eq!(&b[257..262], b"ustar", "an uncompressed tar");
    }
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
    // Docker types too.
    let (docker, _) = docker_dir(t.path());
    let (ours, theirs) = both(
        t.path(),
        "docker",
        &["--dest-decompress"],
        &format!("dir:{}", docker.display()),
        "dir",
    );
    let m = json(&ours.join("manifest.json"));
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.docker.image.rootfs.diff.tar"
    );
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
}

fn layout_manifest(layout: &Path) -> serde_json::Value {
    let index = json(&layout.join("index.json"));
    let d = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    json(&layout.join("blobs/sha256").join(&d["sha256:".len()..]))
}

fn layout_blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(layout.join("blobs/sha256").join(&digest["sha256:".len()..])).unwrap()
}

fn decompress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    skiff::compression::decompress(
        skiff::compression::Algorithm::detect(bytes).expect("compressed"),
        &mut &bytes[..],
        &mut out,
    )
    .unwrap();
    out
}

/// Compression round trips: uncompressed → gzip (oci's default) → zstd → uncompressed, with
/// the magic bytes, media types and diff IDs checked at each step, and the media types and
/// config compared with skopeo's result for the same step.
#[test]
fn compression_round_trips() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let spec = ImageSpec::small(24);
    let raw_layers = spec.layers.clone();
    fixtures::write_oci(&src, "v1", &spec);
    let (plain, plain_theirs) = both(
        t.path(),
        "plain",
        &["--dest-decompress"],
        &format!("oci:{}:v1", src.display()),
        "dir",
    );
    if let Some(theirs) = plain_theirs {
        assert_same_tree(&plain, &theirs);
    }
    let plain_name = format!("dir:{}", plain.display());
    let steps: [(&str, &[&str], &[u8], &str); 3] = [
        (
            "gzip",
            &[],
            &[0x1f, 0x8b, 0x08],
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
        (
            "zstd",
            &["--dest-compress-format", "zstd"],
            &[0x28, 0xb5, 0x2f, 0xfd],
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        (
            "gzip9",
            &[
                "--dest-compress-format",
                "gzip",
                "--dest-compress-level",
                "9",
            ],
            &[0x1f, 0x8b, 0x08],
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
    ];
    for (label, args, magic, media_type) in steps {
        let (ours, theirs) = both(t.path(), label, args, &plain_name, "oci");
        let m = layout_manifest(&ours);
        let layers = m["layers"].as_array().unwrap();
        for (i, l) in layers.iter().enumerate() {
            assert_eq!(l["mediaType"], media_type, "{label}");
            let b = layout_blob(&ours, l["digest"].as_str().unwrap());
            assert_eq!(l["size"].as_u64().unwrap() as usize, b.len());
            assert!(b.starts_with(magic), "{label}: magic bytes");
            assert!(
                decompress(&b) == raw_layers[i],
                "{label}: layer {i} content"
            );
        }
        // The config (with its diff IDs) is unchanged by compression.
        let cfg = layout_blob(&ours, m["config"]["digest"].as_str().unwrap());
        let diff_ids: Vec<String> = raw_layers.iter().map(|l| sha256(l)).collect();
        let parsed: serde_json::Value = serde_json::from_slice(&cfg).unwrap();
        assert_eq!(parsed["rootfs"]["diff_ids"], serde_json::json!(diff_ids));
        if let Some(theirs) = theirs {
            let tm = layout_manifest(&theirs);
            assert_eq!(m["config"], tm["config"], "{label}");
            let types = |m: &serde_json::Value| -> Vec<serde_json::Value> {
                m["layers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["mediaType"].clone())
                    .collect()
            };
            assert_eq!(types(&m), types(&tm), "{label}");
        }
        // zstd → gzip recompression, then back to the original bytes.
        let (back, back_theirs) = both(
            t.path(),
            &format!("{label}-back"),
            &["--dest-decompress"],
            &format!("oci:{}:t", ours.display()),
            "dir",
        );
        assert_same_tree(&back, &plain);
        // skopeo reads skiff's layout (checking every digest) back to the same bytes.
        if let Some(back_theirs) = back_theirs {
            assert_same_tree(&back_theirs, &plain);
        }
    }
    // Recompressing zstd layers to gzip on the way to another layout.
    let zstd_layout = t.path().join("zstd-skiff");
    let (ours, theirs) = both(
        t.path(),
        "rezip",
        &["--dest-compress-format", "gzip"],
        &format!("oci:{}:t", zstd_layout.display()),
        "oci",
    );
    let m = layout_manifest(&ours);
    assert_eq!(m["layers"][0]["mediaType"], fixtures::OCI_LAYER_GZIP);
    // Both tools' gzip layers (skopeo's read from skiff's zstd layout) hold the original tars.
    for layout in std::iter::once(&ours).chain(theirs.as_ref()) {
        let m = layout_manifest(layout);
        let layers = m["layers"].as_array().unwrap();
        assert_eq!(layers.len(), raw_layers.len(), "{}", layout.display());
        for (i, l) in layers.iter().enumerate() {
            assert_eq!(l["mediaType"], fixtures::OCI_LAYER_GZIP);
            let b = layout_blob(layout, l["digest"].as_str().unwrap());
            assert!(b.starts_with(&[0x1f, 0x8b, 0x08]), "{}", layout.display());
            assert!(decompress(&b) == raw_layers[i], "rezip layer {i}");
        }
        assert_eq!(m["config"], layout_manifest(&ours)["config"]);
    }
    // --dest-oci-accept-uncompressed-layers keeps them as they are.
    let (ours, theirs) = both(
        t.path(),
        "accept",
        &["--dest-oci-accept-uncompressed-layers"],
        &plain_name,
        "oci",
    );
    assert_eq!(
        layout_manifest(&ours)["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar"
    );
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
    // --dest-compress into dir: gzip by default.
    let (ours, theirs) = both(
        t.path(),
        "dircomp",
        &["--dest-compress"],
        &plain_name,
        "dir",
    );
    for dir in std::iter::once(&ours).chain(theirs.as_ref()) {
        let m = json(&dir.join("manifest.json"));
        let b = blob_in_dir(dir, m["layers"][0]["digest"].as_str().unwrap());
        assert!(b.starts_with(&[0x1f, 0x8b, 0x08]), "{}", dir.display());
        assert!(decompress(&b) == raw_layers[0], "{}", dir.display());
    }
}

/// The same failure from skiff and skopeo (`fuzzy`: digests in quotes, which name layers
/// compressed differently, are not compared).
fn same_failure(args: &[&str], fuzzy: bool) -> String {
    oracle::same_failure(args, fuzzy).message
}

#[test]
fn refusals_match_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(25));
    let name = format!("oci:{}:v1", src.display());
    let out = |n: &str| format!("dir:{}", t.path().join(n).display());
    let (docker, _) = docker_dir(t.path());
    let docker_name = format!("dir:{}", docker.display());
    let oci_out = format!("oci:{}:t", t.path().join("o").display());

    // --preserve-digests: skopeo 1.9.3 then writes the manifest as it is, even where a
    // conversion was asked for or the destination would want one (lists are refused: see
    // multiarch.rs).
    for (label, args, src, transport) in [
        (
            "pd-format",
            &["--preserve-digests", "--format", "v2s2"][..],
            &name,
            "dir",
        ),
        ("pd-oci", &["--preserve-digests"][..], &docker_name, "oci"),
    ] {
        let (ours, theirs) = both(t.path(), label, args, src, transport);
        if let Some(theirs) = theirs {
            assert_same_tree(&ours, &theirs);
        }
    }
    let _ = &oci_out;
    // zstd layers cannot be written in a Docker manifest.
    let zstd = t.path().join("z");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-compress-format",
        "zstd",
        &name,
        &format!("oci:{}:t", zstd.display()),
    ]));
    let m = same_failure(
        &[
            "--insecure-policy",
            "copy",
            "--format",
            "v2s2",
            &format!("oci:{}:t", zstd.display()),
            &out("b"),
        ],
        false,
    );
    assert!(
        m.contains("zstd compression is not supported for docker images"),
        "{m}"
    );
    let m = same_failure(
        &[
            "--insecure-policy",
            "copy",
            "--dest-compress",
            "--dest-compress-format",
            "zstd",
            &docker_name,
            &out("c"),
        ],
        true,
    );
    assert!(
        m.contains("zstd compression is not supported for type"),
        "{m}"
    );
    // Bad values.
    let m = same_failure(
        &[
            "--insecure-policy",
            "copy",
            "--dest-compress-format",
            "foo",
            &name,
            &out("d"),
        ],
        false,
    );
    assert_eq!(m, "cannot find compressor for \"foo\"");
    same_failure(
        &[
            "--insecure-policy",
            "copy",
            "--format",
            "v2s3",
            &name,
            &out("e"),
        ],
        false,
    );
    assert!(!t.path().join("d").exists());
}

/// `--format v2s1`: the signature is made with a fresh key each time, so the payloads (and so
/// the manifest digests) are compared.
#[test]
fn writing_schema1_matches_skopeos_payload() {
    let t = tempfile::tempdir().unwrap();
    let (docker, _) = docker_dir(t.path());
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(26));
    for (label, name) in [
        ("from-docker", format!("dir:{}", docker.display())),
        ("from-oci", format!("oci:{}:v1", src.display())),
    ] {
        let (ours, theirs) = both(t.path(), label, &["--format", "v2s1"], &name, "dir");
        let bytes = std::fs::read(ours.join("manifest.json")).unwrap();
        let payload = skiff::manifest::schema1::jws_payload(&bytes).unwrap();
        let m: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(m["schemaVersion"], 1);
        assert_schema1_signature_valid(&ours.join("manifest.json"), label);
        // Reading it back works (and it converts up again).
        let back = t.path().join(format!("{label}-up"));
        ok(skiff().args([
            "--insecure-policy",
            "copy",
            "-q",
            "--format",
            "v2s2",
            &format!("dir:{}", ours.display()),
            &format!("dir:{}", back.display()),
        ]));
        if let Some(theirs) = theirs {
            assert_same_schema1_dirs(&ours, &theirs, label);
        }
    }
}

/// The JWS signature of a schema 1 manifest checks out with Python's `cryptography` (an
/// independent verifier, tests/it/support/verify_schema1.py); the same manifest with one byte
/// of its payload changed does not.
fn assert_schema1_signature_valid(manifest: &Path, label: &str) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/verify_schema1.py"
    );
    let verify = |path: &Path| {
        // Debian's python3, where test.sh installs python3-cryptography.
        std::process::Command::new("/usr/bin/python3")
            .arg(script)
            .arg(path)
            .output()
            .unwrap()
    };
    let good = verify(manifest);
    assert!(
        good.status.success(),
        "{label}: {}",
        String::from_utf8_lossy(&good.stderr)
    );
    let text = std::fs::read_to_string(manifest).unwrap();
    let tampered_file = tempfile::NamedTempFile::new().unwrap();
    let tampered = tampered_file.path();
    let changed = text.replacen(r#""architecture":"amd64""#, r#""architecture":"arm64""#, 1);
    assert_ne!(
        changed, text,
        "{label}: the payload has an architecture to change"
    );
    std::fs::write(tampered, changed).unwrap();
    assert!(
        !verify(tampered).status.success(),
        "{label}: a changed payload is refused"
    );
}

/// Two `dir:` images with schema 1 manifests signed by fresh keys: the same payloads (so the
/// same manifest digests) and the same blobs.
pub(crate) fn assert_same_schema1_dirs(ours: &Path, theirs: &Path, label: &str) {
    let payload = |d: &Path| {
        let bytes = std::fs::read(d.join("manifest.json")).unwrap();
        String::from_utf8(skiff::manifest::schema1::jws_payload(&bytes).unwrap()).unwrap()
    };
    assert_eq!(payload(ours), payload(theirs), "{label}");
    let mut a = crate::support::tree(ours);
    let mut b = crate::support::tree(theirs);
    a.remove("manifest.json");
    b.remove("manifest.json");
    assert_eq!(a, b, "{label}: blobs");
}

/// An OCI artifact (a config that is not an image config) cannot become a Docker image; it
/// is copied as it is where no conversion is needed.
#[test]
fn artifacts_are_not_converted() {
    let t = tempfile::tempdir().unwrap();
    let art = t.path().join("art");
    std::fs::create_dir_all(&art).unwrap();
    let config = br#"{"hello":"artifact"}"#;
    let layer = gzip(b"payload");
    for b in [&config[..], &layer[..]] {
        std::fs::write(art.join(&sha256(b)["sha256:".len()..]), b).unwrap();
    }
    let m = serde_json::json!({
        "schemaVersion": 2, "mediaType": fixtures::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.example.thing", "digest": sha256(config), "size": config.len()},
        "layers": [{"mediaType": fixtures::OCI_LAYER_GZIP, "digest": sha256(&layer), "size": layer.len()}],
    });
    std::fs::write(art.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    std::fs::write(art.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    let name = format!("dir:{}", art.display());
    let out = format!("dir:{}", t.path().join("x").display());
    let m = same_failure(
        &["--insecure-policy", "copy", "--format", "v2s2", &name, &out],
        false,
    );
    assert_eq!(
        m,
        "creating an updated image manifest: unsupported image-specific operation on artifact with type \"application/vnd.example.thing\""
    );
    let (ours, theirs) = both(t.path(), "layout", &[], &name, "oci");
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
}

#[test]
fn schema1_inspect_matches_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("s1");
    write_schema1(&dir, true);
    let name = format!("dir:{}", dir.display());
    for args in [vec!["--config"], vec![]] {
        let ours = ok(skiff().arg("inspect").args(&args).arg(&name)).stdout;
        let Some(mut s) = skopeo() else { return };
        let theirs = ok(s.arg("inspect").args(&args).arg(&name)).stdout;
        let ours = String::from_utf8_lossy(&ours).into_owned();
        let theirs = String::from_utf8_lossy(&theirs).into_owned();
        if args.is_empty() {
            // skopeo 1.9.3 predates LayersData.
            let v: serde_json::Value = serde_json::from_str(&ours).unwrap();
            let mut w: serde_json::Value = serde_json::from_str(&theirs).unwrap();
            w["LayersData"] = v["LayersData"].clone();
            assert_eq!(v, w);
        } else {
            assert_eq!(ours, theirs, "inspect {args:?}");
        }
    }
}
