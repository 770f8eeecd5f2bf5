//! Multi-platform images: `--all`, `--multi-arch system|all|index-only`, platform lists, list
//! ⇄ index conversion and the errors, with skopeo 1.9.3 as the oracle.

use std::path::{Path, PathBuf};

use crate::support::fixtures::{self, ImageSpec};
use crate::support::{assert_same_tree, fails, fatal_message, ok, skiff, skopeo, stdout};

/// An OCI layout whose tag `multi` is an index of amd64, arm64/v8 and arm/v7 images. The
/// images share their first layer.
fn three_platforms(dir: &Path) -> Vec<u8> {
    let mut specs = Vec::new();
    for (i, (arch, variant)) in [("amd64", None), ("arm64", Some("v8")), ("arm", Some("v7"))]
        .into_iter()
        .enumerate()
    {
        let mut s = ImageSpec::small(40 + i as u64);
        s.architecture = arch.into();
        s.variant = variant.map(str::to_string);
        specs.push(s);
    }
    fixtures::write_oci_index(dir, "multi", &specs, false)
}

fn run_both(
    t: &Path,
    label: &str,
    args: &[&str],
    src: &str,
    transport: &str,
) -> (PathBuf, Option<PathBuf>) {
    let suffix = if transport == "oci" { ":t" } else { "" };
    let ours = t.join(format!("{label}-skiff"));
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .args(args)
        .args([src, &format!("{transport}:{}{suffix}", ours.display())]));
    let theirs = skopeo().map(|mut s| {
        let p = t.join(format!("{label}-skopeo"));
        ok(s.args(["--insecure-policy", "copy", "-q"])
            .args(args)
            .args([src, &format!("{transport}:{}{suffix}", p.display())]));
        p
    });
    (ours, theirs)
}

fn compare(ours: &Path, theirs: Option<PathBuf>) {
    if let Some(theirs) = theirs {
        assert_same_tree(ours, &theirs);
    }
}

fn instance_manifests(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".manifest.json"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_multi_arch_mode_matches_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let index = three_platforms(&src);
    let name = format!("oci:{}:multi", src.display());
    for (label, args) in [
        ("all", &["--all"][..]),
        ("ma-all", &["--multi-arch", "all"][..]),
        ("index-only", &["--multi-arch", "index-only"][..]),
        ("system", &["--multi-arch", "system"][..]),
        (
            "arm",
            &["--override-arch", "arm", "--override-variant", "v7"][..],
        ),
    ] {
        for transport in ["dir", "oci"] {
            let (ours, theirs) = run_both(
                t.path(),
                &format!("{label}-{transport}"),
                args,
                &name,
                transport,
            );
            if transport == "dir" && label != "system" && label != "arm" {
                // The list is written unchanged, with its exact bytes.
                assert_eq!(std::fs::read(ours.join("manifest.json")).unwrap(), index);
                let n = if label == "index-only" { 0 } else { 3 };
                assert_eq!(instance_manifests(&ours).len(), n, "{label}");
            }
            compare(&ours, theirs);
        }
    }
}

#[test]
fn lists_convert_to_indexes_and_back_as_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    three_platforms(&src);
    let name = format!("oci:{}:multi", src.display());
    // OCI index → Docker list (every instance converted to schema 2).
    let (docker, theirs) = run_both(
        t.path(),
        "v2s2",
        &["--all", "--format", "v2s2"],
        &name,
        "dir",
    );
    let list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(docker.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        list["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    assert_eq!(list["manifests"][1]["platform"]["variant"], "v8");
    for m in list["manifests"].as_array().unwrap() {
        assert_eq!(m["mediaType"], fixtures::DOCKER_MANIFEST);
    }
    compare(&docker, theirs);
    // Docker list → OCI index (an oci: destination takes no Docker types).
    let docker_name = format!("dir:{}", docker.display());
    let (ours, theirs) = run_both(t.path(), "to-index", &["--all"], &docker_name, "oci");
    compare(&ours, theirs);
    let (ours, theirs) = run_both(
        t.path(),
        "to-index-dir",
        &["--all", "--format", "oci"],
        &docker_name,
        "dir",
    );
    compare(&ours, theirs);
    // A platform list picks instances; the list itself is kept whole.
    let (ours, _) = run_both(t.path(), "platforms", &["--all"], &docker_name, "dir");
    let picked = t.path().join("picked");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--multi-arch",
        "linux/amd64,linux/arm/v7",
        &docker_name,
        &format!("dir:{}", picked.display()),
    ]));
    assert_eq!(
        std::fs::read(picked.join("manifest.json")).unwrap(),
        std::fs::read(ours.join("manifest.json")).unwrap()
    );
    let ids: Vec<String> = [0usize, 2]
        .iter()
        .map(|&i| {
            let d = list["manifests"][i]["digest"].as_str().unwrap();
            format!("{}.manifest.json", &d["sha256:".len()..])
        })
        .collect();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(instance_manifests(&picked), want);
}

#[test]
fn progress_lines_are_skopeos() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    three_platforms(&src);
    let name = format!("oci:{}:multi", src.display());
    let dest = |n: &str| format!("dir:{}", t.path().join(n).display());
    let out = ok(skiff().args(["--insecure-policy", "copy", "--all", &name, &dest("a")]));
    let ours = String::from_utf8_lossy(&out.stderr).into_owned();
    let first: Vec<&str> = ours.lines().take(2).collect();
    assert_eq!(first[0], "Getting image list signatures");
    assert_eq!(first[1], "Copying 3 of 3 images in list");
    assert_eq!(
        ours.lines().last().unwrap(),
        "Writing manifest list to image destination"
    );
    if let Some(mut s) = skopeo() {
        let out = ok(s.args(["--insecure-policy", "copy", "--all", &name, &dest("b")]));
        // skopeo writes to stdout, one image after another; skiff copies the images at once,
        // so the same lines may interleave. (skopeo 1.9.3 always prints "Storing
        // signatures"; skiff only when there are some, as newer skopeo does.)
        let mut theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("Storing"))
            .map(str::to_string)
            .collect();
        let mut ours: Vec<String> = ours.lines().map(str::to_string).collect();
        theirs.sort();
        ours.sort();
        assert_eq!(ours, theirs);
    }
}

fn same_failure(args: &[&str]) -> (i32, String) {
    let (code, err) = fails(skiff().args(args));
    let ours = fatal_message(&err);
    if let Some(mut s) = skopeo() {
        let (their_code, err) = fails(s.args(args));
        assert_eq!(ours, fatal_message(&err));
        assert_eq!(code, their_code, "{ours}");
    }
    (code, ours)
}

#[test]
fn errors_match_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    three_platforms(&src);
    let name = format!("oci:{}:multi", src.display());
    let dest = |n: &str| format!("dir:{}", t.path().join(n).display());
    // A platform the list does not have: skopeo HEAD quotes the architecture and the OS,
    // which 1.9.3 (the oracle here) left bare; otherwise the same message and status.
    let args = [
        "--insecure-policy",
        "--override-arch",
        "s390x",
        "copy",
        &name,
        &dest("a"),
    ];
    let (code, err) = fails(skiff().args(args));
    let ours = fatal_message(&err);
    assert!(
        ours.ends_with(
            r#"no image found in image index for architecture "s390x", variant "", OS "linux""#
        ),
        "{ours}"
    );
    if let Some(mut s) = skopeo() {
        let (their_code, err) = fails(s.args(args));
        let theirs = fatal_message(&err)
            .replace("architecture s390x,", r#"architecture "s390x","#)
            .replace("OS linux", r#"OS "linux""#);
        assert_eq!(ours, theirs);
        assert_eq!(code, their_code);
    }
    // Conflicting and unknown flags.
    same_failure(&[
        "--insecure-policy",
        "copy",
        "--all",
        "--multi-arch",
        "all",
        &name,
        &dest("b"),
    ]);
    same_failure(&[
        "--insecure-policy",
        "copy",
        "--multi-arch",
        "bogus",
        &name,
        &dest("c"),
    ]);
    // The list would have to change, and may not.
    let (_, m) = same_failure(&[
        "--insecure-policy",
        "copy",
        "--all",
        "--preserve-digests",
        "--format",
        "v2s2",
        &name,
        &dest("d"),
    ]);
    assert!(m.contains("Instructed to preserve digests"), "{m}");
    // A platform list naming a platform that is not there (a skiff extension).
    let (_, err) = fails(skiff().args([
        "--insecure-policy",
        "copy",
        "--multi-arch",
        "linux/amd64,linux/s390x",
        &name,
        &dest("e"),
    ]));
    let m = fatal_message(&err);
    assert!(
        m.starts_with("choosing image instance: no image found in image index for architecture"),
        "{m}"
    );
    assert!(!t.path().join("e").exists());
}

#[test]
fn inspect_of_a_list() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let index = three_platforms(&src);
    let name = format!("oci:{}:multi", src.display());
    let raw = ok(skiff().args(["inspect", "--raw", &name]));
    assert_eq!(raw.stdout, index);
    for arch in ["amd64", "arm64", "arm"] {
        let ours = stdout(&ok(skiff().args([
            "--override-arch",
            arch,
            "inspect",
            &name,
        ])));
        let v: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(v["Digest"], fixtures::sha256(&index));
        assert_eq!(v["Architecture"], arch);
        if let Some(mut s) = skopeo() {
            let theirs = stdout(&ok(s.args(["--override-arch", arch, "inspect", &name])));
            let mut tv: serde_json::Value = serde_json::from_str(&theirs).unwrap();
            let mut ov = v.clone();
            ov.as_object_mut().unwrap().remove("LayersData");
            tv.as_object_mut().unwrap().remove("LayersData");
            assert_eq!(ov, tv);
        }
    }
}

#[test]
fn shared_layers_are_sent_once_into_an_archive() {
    // oci-archive: writes blobs into one tar; a blob shared by the three images must appear
    // once (the same as skopeo's archive, member for member).
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    three_platforms(&src);
    let name = format!("oci:{}:multi", src.display());
    let archive = t.path().join("a.tar");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--all",
        &name,
        &format!("oci-archive:{}:t", archive.display()),
    ]));
    let mut names = Vec::new();
    let mut tar = tar::Archive::new(std::fs::File::open(&archive).unwrap());
    for e in tar.entries().unwrap() {
        names.push(e.unwrap().path().unwrap().to_string_lossy().into_owned());
    }
    let mut dedup = names.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(names.len(), dedup.len(), "{names:?}");
    // 3 manifests + 3 configs + 1 shared layer + 3 own layers + the index blob.
    let blobs = names
        .iter()
        .filter(|n| n.starts_with("blobs/sha256/") && !n.ends_with('/'))
        .count();
    assert_eq!(blobs, 11, "{names:?}");
}
