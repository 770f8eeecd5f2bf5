//! Copies and inspection between dir:, oci: and oci-archive:, compared with skopeo.

use std::path::Path;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::*;

fn copy_both(src: &str, ours: &str, theirs: &str) -> bool {
    ok(skiff().args(["copy", "-q", src, ours]));
    match skopeo() {
        Some(mut s) => {
            ok(s.args(["copy", "-q", src, theirs]));
            true
        }
        None => false,
    }
}

fn untar(archive: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    tar::Archive::new(std::fs::File::open(archive).unwrap())
        .unpack(into)
        .unwrap();
}

#[test]
fn oci_to_dir_and_back_match_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(1));
    let src_name = format!("oci:{}:v1", src.display());
    let (a, b) = (t.path().join("dir-a"), t.path().join("dir-b"));
    if copy_both(
        &src_name,
        &format!("dir:{}", a.display()),
        &format!("dir:{}", b.display()),
    ) {
        assert_same_tree(&a, &b);
    }
    assert_eq!(
        std::fs::read_to_string(a.join("version")).unwrap(),
        "Directory Transport Version: 1.1\n"
    );
    let (oa, ob) = (t.path().join("oci-a"), t.path().join("oci-b"));
    if copy_both(
        &format!("dir:{}", a.display()),
        &format!("oci:{}:t", oa.display()),
        &format!("oci:{}:t", ob.display()),
    ) {
        assert_same_tree(&oa, &ob);
    }
    // The round trip keeps the manifest bytes, hence the digest.
    assert_eq!(tree(&oa)["index.json"], tree(&ob)["index.json"]);
}

#[test]
fn docker_schema2_image_in_dir_copies_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let mut spec = ImageSpec::small(2);
    spec.docker = true;
    let src = t.path().join("src");
    let built = fixtures::write_dir(&src, &spec);
    let dest = t.path().join("out");
    ok(skiff().args([
        "copy",
        "-q",
        &format!("dir:{}", src.display()),
        &format!("dir:{}", dest.display()),
    ]));
    assert_eq!(
        std::fs::read(dest.join("manifest.json")).unwrap(),
        built.manifest
    );
}

#[test]
fn existing_layout_gains_an_entry_and_a_reused_name_moves() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "one", &ImageSpec::small(3));
    fixtures::write_oci(&src, "two", &ImageSpec::small(4));
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    for (from, to) in [("one", "x"), ("two", "y"), ("two", "x"), ("one", "x")] {
        let src_name = format!("oci:{}:{from}", src.display());
        copy_both(
            &src_name,
            &format!("oci:{}:{to}", a.display()),
            &format!("oci:{}:{to}", b.display()),
        );
    }
    if skopeo().is_some() {
        assert_same_tree(&a, &b);
    }
    let index = String::from_utf8(std::fs::read(a.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        index.matches("org.opencontainers.image.ref.name").count(),
        2,
        "{index}"
    );
}

#[test]
fn oci_archive_round_trip_matches_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(5));
    let src_name = format!("oci:{}:v1", src.display());
    let (a, b) = (t.path().join("a.tar"), t.path().join("b.tar"));
    if copy_both(
        &src_name,
        &format!("oci-archive:{}:arch", a.display()),
        &format!("oci-archive:{}:arch", b.display()),
    ) {
        let (xa, xb) = (t.path().join("xa"), t.path().join("xb"));
        untar(&a, &xa);
        untar(&b, &xb);
        assert_same_tree(&xa, &xb);
        // Each reads what the other wrote, with the same result.
        let (ra, rb) = (t.path().join("ra"), t.path().join("rb"));
        ok(skiff().args([
            "copy",
            "-q",
            &format!("oci-archive:{}:arch", b.display()),
            &format!("oci:{}:r", ra.display()),
        ]));
        ok(skopeo().unwrap().args([
            "copy",
            "-q",
            &format!("oci-archive:{}:arch", a.display()),
            &format!("oci:{}:r", rb.display()),
        ]));
        assert_same_tree(&ra, &rb);
    }
}

#[test]
fn inspect_matches_skopeo_plus_layers_data() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(6));
    let archive = t.path().join("a.tar");
    let name = format!("oci:{}:v1", src.display());
    ok(skiff().args([
        "copy",
        "-q",
        &name,
        &format!("oci-archive:{}:v1", archive.display()),
    ]));
    for name in [
        name.clone(),
        format!("oci-archive:{}:v1", archive.display()),
    ] {
        let ours = stdout(&ok(skiff().args(["inspect", &name])));
        let parsed: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(parsed["LayersData"].as_array().unwrap().len(), 2);
        assert_eq!(
            parsed["LayersData"][0]["MIMEType"],
            fixtures::OCI_LAYER_GZIP
        );
        assert!(
            ours.contains(r#""x": "\u003cy\u003e\u0026""#),
            "Go escaping: {ours}"
        );
        let Some(mut s) = skopeo() else { continue };
        let theirs = stdout(&ok(s.args(["inspect", &name])));
        // skopeo 1.9.3 predates LayersData; everything else must be byte-identical.
        let without = remove_json_member(&ours, "LayersData");
        assert_eq!(without, theirs);
        for args in [vec!["--raw"], vec!["--config"], vec!["--config", "--raw"]] {
            let o = ok(skiff().arg("inspect").args(&args).arg(&name)).stdout;
            let th = ok(skopeo().unwrap().arg("inspect").args(&args).arg(&name)).stdout;
            assert_eq!(
                String::from_utf8_lossy(&o),
                String::from_utf8_lossy(&th),
                "inspect {args:?}"
            );
        }
    }
}

/// Drops one top-level member from 4-space-indented JSON text.
fn remove_json_member(json: &str, key: &str) -> String {
    let start = format!("    \"{key}\": ");
    let mut out = Vec::new();
    let mut skipping = false;
    for line in json.lines() {
        if line.starts_with(&start) {
            skipping = !line.ends_with(',');
            if !skipping {
                continue;
            }
            continue;
        }
        if skipping {
            if line.starts_with("    ]") || line.starts_with("    }") {
                skipping = false;
            }
            continue;
        }
        out.push(line);
    }
    out.join("\n") + "\n"
}

#[test]
fn progress_goes_to_stderr_in_skopeos_words() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &ImageSpec::small(7));
    let out = ok(skiff().args([
        "copy",
        &format!("oci:{}:v1", src.display()),
        &format!("dir:{}", t.path().join("d").display()),
    ]));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "Getting image source signatures");
    for b in &built.blobs {
        assert!(
            lines.contains(&format!("Copying blob {}", fixtures::sha256(b)).as_str()),
            "{err}"
        );
    }
    assert!(
        lines.contains(&format!("Copying config {}", fixtures::sha256(&built.config)).as_str())
    );
    assert_eq!(
        *lines.last().unwrap(),
        "Writing manifest to image destination"
    );
    let quiet = ok(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:v1", src.display()),
        &format!("dir:{}", t.path().join("q").display()),
    ]));
    assert!(quiet.stderr.is_empty() && quiet.stdout.is_empty());
}

#[test]
fn digestfile_holds_the_manifest_digest() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &ImageSpec::small(8));
    let df = t.path().join("digest");
    ok(skiff()
        .args(["copy", "-q", "--image-parallel-copies", "1", "--digestfile"])
        .arg(&df)
        .args([
            &format!("oci:{}:v1", src.display()),
            &format!("oci:{}:v1", t.path().join("o").display()),
        ]));
    assert_eq!(std::fs::read_to_string(&df).unwrap(), built.manifest_digest);
}

#[test]
fn list_source_copies_the_platform_instance() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let mut arm = ImageSpec::small(9);
    arm.architecture = "arm64".into();
    let amd = ImageSpec::small(10);
    fixtures::write_oci_index(&src, "multi", &[arm, amd], false);
    let name = format!("oci:{}:multi", src.display());
    for (arch, seed) in [("arm64", 9), ("amd64", 10)] {
        let mut expected = ImageSpec::small(seed);
        expected.architecture = arch.into();
        let d = t.path().join(arch);
        ok(skiff().args([
            "--override-arch",
            arch,
            "copy",
            "-q",
            &name,
            &format!("dir:{}", d.display()),
        ]));
        assert_eq!(
            std::fs::read(d.join("manifest.json")).unwrap(),
            fixtures::build(&expected).manifest
        );
        let ours = stdout(&ok(skiff().args([
            "--override-arch",
            arch,
            "inspect",
            &name,
        ])));
        if let Some(mut s) = skopeo() {
            let theirs = stdout(&ok(s.args(["--override-arch", arch, "inspect", &name])));
            assert_eq!(remove_json_member(&ours, "LayersData"), theirs);
        }
    }
    let (code, err) = fails(skiff().args([
        "--override-arch",
        "s390x",
        "copy",
        &name,
        &format!("dir:{}", t.path().join("none").display()),
    ]));
    assert_eq!(code, 1);
    assert!(
        fatal_message(&err).contains(
            r#"no image found in image index for architecture "s390x", variant "", OS "linux""#
        ),
        "{err}"
    );
    assert!(
        !t.path().join("none").exists(),
        "a failed copy leaves nothing behind"
    );
}

#[test]
fn signatures_travel_with_dir_images_and_are_refused_by_oci() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_dir(&src, &ImageSpec::small(12));
    std::fs::write(src.join("signature-1"), b"\xa3\x01not-a-real-signature").unwrap();
    let name = format!("dir:{}", src.display());
    let d = t.path().join("d");
    let out = ok(skiff().args(["copy", &name, &format!("dir:{}", d.display())]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Checking if image destination supports signatures"),
        "{err}"
    );
    assert!(err.contains("Storing signatures"), "{err}");
    assert_eq!(
        std::fs::read(d.join("signature-1")).unwrap(),
        b"\xa3\x01not-a-real-signature"
    );
    let o = t.path().join("o");
    let (code, err) = fails(skiff().args(["copy", "-q", &name, &format!("oci:{}:x", o.display())]));
    assert_eq!(code, 1);
    let msg = fatal_message(&err);
    assert_eq!(
        msg,
        format!(
            "Can not copy signatures to oci:{}:x: Pushing signatures for OCI images is not supported",
            o.display()
        )
    );
    assert!(
        !o.exists(),
        "skiff leaves nothing (skopeo leaves an empty layout)"
    );
    if let Some(mut s) = skopeo() {
        let other = t.path().join("o2");
        let (_, serr) = fails(s.args(["copy", "-q", &name, &format!("oci:{}:x", other.display())]));
        assert_eq!(fatal_message(&serr).replace("/o2:", "/o:"), msg);
    }
    ok(skiff().args([
        "copy",
        "-q",
        "--remove-signatures",
        &name,
        &format!("oci:{}:x", o.display()),
    ]));
}

#[test]
fn shared_blob_dirs_and_source_indexes_match_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "one", &ImageSpec::small(13));
    fixtures::write_oci(&src, "two", &ImageSpec::small(14));
    // `oci:PATH:@N` picks the Nth entry of index.json.
    let by_index = format!("oci:{}:@1", src.display());
    let d = t.path().join("d");
    ok(skiff().args(["copy", "-q", &by_index, &format!("dir:{}", d.display())]));
    assert_eq!(
        std::fs::read(d.join("manifest.json")).unwrap(),
        fixtures::build(&ImageSpec::small(14)).manifest
    );
    let (code, err) = fails(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:@5", src.display()),
        &format!("dir:{}", t.path().join("e").display()),
    ]));
    assert_eq!(code, 1);
    assert!(
        fatal_message(&err).contains("index 5 is too large, only 2 entries available"),
        "{err}"
    );

    // Blobs go to the shared directory; the layout keeps only its index.
    let (la, lb) = (t.path().join("la"), t.path().join("lb"));
    let (sa, sb) = (t.path().join("shared-a"), t.path().join("shared-b"));
    std::fs::create_dir_all(&sa).unwrap();
    std::fs::create_dir_all(&sb).unwrap();
    let name = format!("oci:{}:one", src.display());
    ok(skiff()
        .args(["copy", "-q", "--dest-shared-blob-dir"])
        .arg(&sa)
        .args([&name, &format!("oci:{}:x", la.display())]));
    assert!(
        !la.join("blobs/sha256").exists()
            || std::fs::read_dir(la.join("blobs/sha256")).unwrap().count() == 0
    );
    assert_eq!(
        std::fs::read_dir(sa.join("sha256")).unwrap().count(),
        4,
        "2 layers, config, manifest"
    );
    if let Some(mut s) = skopeo() {
        ok(s.args(["copy", "-q", "--dest-shared-blob-dir"])
            .arg(&sb)
            .args([&name, &format!("oci:{}:x", lb.display())]));
        assert_same_tree(&sa, &sb);
        assert_eq!(tree(&la)["index.json"], tree(&lb)["index.json"]);
    }
    // And read back through it.
    let back = t.path().join("back");
    ok(skiff()
        .args(["copy", "-q", "--src-shared-blob-dir"])
        .arg(&sa)
        .args([
            &format!("oci:{}:x", la.display()),
            &format!("dir:{}", back.display()),
        ]));
    assert_eq!(
        std::fs::read(back.join("manifest.json")).unwrap(),
        fixtures::build(&ImageSpec::small(13)).manifest
    );
}

#[test]
fn dir_and_oci_archive_copy_both_ways() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_dir(&src, &ImageSpec::small(15));
    let a = t.path().join("a.tar");
    ok(skiff().args([
        "copy",
        "-q",
        &format!("dir:{}", src.display()),
        &format!("oci-archive:{}:t", a.display()),
    ]));
    let back = t.path().join("back");
    ok(skiff().args([
        "copy",
        "-q",
        &format!("oci-archive:{}:t", a.display()),
        &format!("dir:{}", back.display()),
    ]));
    assert_eq!(
        std::fs::read(back.join("manifest.json")).unwrap(),
        built.manifest
    );
    assert_same_tree(&src, &back);
}

/// `inspect --manifest-digest` (skopeo HEAD, not in 1.9.3): the digest of the manifest's bytes
/// with the algorithm asked for, checked with the system's sha512sum/sha384sum.
#[test]
fn inspect_manifest_digest_algorithm() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &ImageSpec::small(16));
    let name = format!("oci:{}:v1", src.display());
    let manifest = t.path().join("manifest.json");
    std::fs::write(&manifest, &built.manifest).unwrap();
    for (algo, tool) in [("sha512", "sha512sum"), ("sha384", "sha384sum")] {
        let sum = std::process::Command::new(tool)
            .arg(&manifest)
            .output()
            .unwrap();
        let hex = String::from_utf8(sum.stdout).unwrap();
        let hex = hex.split_whitespace().next().unwrap().to_string();
        let out = stdout(&ok(skiff().args([
            "inspect",
            &format!("--manifest-digest={algo}"),
            "--format",
            "{{.Digest}}",
            &name,
        ])));
        assert_eq!(out, format!("{algo}:{hex}\n"));
    }
    // Empty means the canonical sha256; no flag means the config digest's (sha256 here).
    let canonical = format!("{}\n", fixtures::sha256(&built.manifest));
    for flag in ["--manifest-digest=", "--no-tags"] {
        let out = stdout(&ok(skiff().args([
            "inspect",
            flag,
            "-f",
            "{{.Digest}}",
            &name,
        ])));
        assert_eq!(out, canonical, "{flag}");
    }
    let (code, err) = fails(skiff().args(["inspect", "--manifest-digest=md5", &name]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        r#"Error computing manifest digest: digest algorithm "md5" is not available"#
    );
}
