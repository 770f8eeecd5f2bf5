//! `docker://` against a real plain-HTTP registry, with skopeo 1.9.3 as the oracle: copies
//! in both directions with every local transport, re-copy, cross-repository mount, inspect,
//! list-tags with pagination, delete, missing images.

use std::path::Path;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Proxy, ProxyMode, Registry, http};
use crate::support::*;

const NO_TLS: [&str; 2] = ["--src-tls-verify=false", "--dest-tls-verify=false"];

fn copy(tool: &mut std::process::Command, src: &str, dest: &str) -> std::process::Output {
    ok(tool
        .args(["--insecure-policy", "copy"])
        .args(NO_TLS)
        .args([src, dest]))
}

fn digest_of_copy(tool: std::process::Command, src: &str, dest: &str, dir: &Path) -> String {
    let file = dir.join(format!("digest-{}", fixtures::sha256(dest.as_bytes())));
    let mut tool = tool;
    ok(tool
        .args(["--insecure-policy", "copy", "-q", "--digestfile"])
        .arg(&file)
        .args(NO_TLS)
        .args([src, dest]));
    std::fs::read_to_string(file).unwrap()
}

fn untar(archive: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    tar::Archive::new(std::fs::File::open(archive).unwrap())
        .unpack(into)
        .unwrap();
}

#[test]
fn copies_both_ways_with_every_local_transport_like_skopeo() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(31));
    let dir = t.path().join("dir");
    let archive = t.path().join("img.tar");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .arg(format!("oci:{}:v1", oci.display()))
        .arg(format!("dir:{}", dir.display())));
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .arg(format!("oci:{}:v1", oci.display()))
        .arg(format!("oci-archive:{}:v1", archive.display())));
    let sources = [
        ("oci", format!("oci:{}:v1", oci.display())),
        ("dir", format!("dir:{}", dir.display())),
        ("archive", format!("oci-archive:{}:v1", archive.display())),
    ];
    for (tag, src) in &sources {
        let ours = digest_of_copy(
            skiff(),
            src,
            &reg.image(&format!("skiff/img:{tag}")),
            t.path(),
        );
        assert_eq!(ours, built.manifest_digest, "{tag}");
        if let Some(s) = skopeo() {
            let theirs = digest_of_copy(s, src, &reg.image(&format!("skopeo/img:{tag}")), t.path());
            assert_eq!(ours, theirs, "{tag}");
        }
    }

    // And back, into every local transport, compared file by file with skopeo's result.
    let from = reg.image("skiff/img:oci");
    let out = |n: &str| t.path().join(n);
    copy(
        &mut skiff(),
        &from,
        &format!("dir:{}", out("d-ours").display()),
    );
    copy(
        &mut skiff(),
        &from,
        &format!("oci:{}:t", out("o-ours").display()),
    );
    copy(
        &mut skiff(),
        &from,
        &format!("oci-archive:{}:t", out("a-ours.tar").display()),
    );
    assert_eq!(
        std::fs::read(out("d-ours").join("manifest.json")).unwrap(),
        built.manifest
    );
    if let Some(mut s) = skopeo() {
        copy(&mut s, &from, &format!("dir:{}", out("d-theirs").display()));
        assert_same_tree(&out("d-ours"), &out("d-theirs"));
        let mut s = skopeo().unwrap();
        copy(
            &mut s,
            &from,
            &format!("oci:{}:t", out("o-theirs").display()),
        );
        assert_same_tree(&out("o-ours"), &out("o-theirs"));
        let mut s = skopeo().unwrap();
        copy(
            &mut s,
            &from,
            &format!("oci-archive:{}:t", out("a-theirs.tar").display()),
        );
        untar(&out("a-ours.tar"), &out("a-ours"));
        untar(&out("a-theirs.tar"), &out("a-theirs"));
        assert_same_tree(&out("a-ours"), &out("a-theirs"));
    }
}

#[test]
fn docker_schema2_images_round_trip() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let mut spec = ImageSpec::small(32);
    spec.docker = true;
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &spec);
    let dest = reg.image("docker/img:v1");
    copy(&mut skiff(), &format!("oci:{}:v1", oci.display()), &dest);
    let raw = ok(skiff().args(["inspect", "--raw", "--tls-verify=false", &dest]));
    assert_eq!(raw.stdout, built.manifest);
}

#[test]
fn recopy_to_an_up_to_date_registry_is_skipped() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    fixtures::write_oci(&oci, "v1", &ImageSpec::small(33));
    let src = format!("oci:{}:v1", oci.display());
    let dest = reg.image("noop/img:v1");
    let first = copy(&mut skiff(), &src, &dest);
    assert!(String::from_utf8_lossy(&first.stderr).contains("Copying blob"));
    let again = copy(&mut skiff(), &src, &dest);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("Skipping: image already present at destination"),
        "{err}"
    );
    assert!(!err.contains("Copying blob"), "{err}");
    // Registry to registry too (and the User-Agent carries --user-agent-prefix).
    let dest2 = reg.image("noop/copy:v1");
    copy(
        skiff().args(["--user-agent-prefix", "bench-bot/1"]),
        &dest,
        &dest2,
    );
    assert!(
        reg.log().contains("\"bench-bot/1 skiff/"),
        "no prefixed User-Agent in {}",
        reg.log()
    );
    let again = copy(&mut skiff(), &dest, &dest2);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("Skipping: image already present"),
        "{again:?}"
    );
}

/// The upload sessions the registry holds for `repo` (distribution keeps one directory each).
fn open_upload_sessions(reg: &Registry, repo: &str) -> Vec<String> {
    let dir = reg
        .storage()
        .join("docker/registry/v2/repositories")
        .join(repo)
        .join("_uploads");
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn blobs_the_registry_has_leave_no_upload_session_behind() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    fixtures::write_oci(&oci, "v1", &ImageSpec::small(35));
    let src = format!("oci:{}:v1", oci.display());
    let posts = || reg.log().matches("POST /v2/keep/a/blobs/uploads/").count();
    // A new repository: skiff opens each upload session beside the blob's check.
    copy(&mut skiff(), &src, &reg.image("keep/a:v1"));
    assert_eq!(open_upload_sessions(&reg, "keep/a"), Vec::<String>::new());
    let before = posts();
    // Another tag: every blob is there already. distribution keeps a session's directory
    // even after its DELETE, so no session may be opened for them (skopeo opens none).
    let again = copy(&mut skiff(), &src, &reg.image("keep/a:v2"));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("Copying blob"), "{err}");
    assert!(!err.contains("Skipping: image"), "{err}");
    let log = reg.log();
    assert_eq!(posts(), before, "{log}");
    assert_eq!(
        open_upload_sessions(&reg, "keep/a"),
        Vec::<String>::new(),
        "{log}"
    );
    if let Some(mut s) = skopeo() {
        copy(&mut s, &src, &reg.image("keep/a:v3"));
        assert_eq!(posts(), before, "skopeo opened a session: {}", reg.log());
    }
}

#[test]
fn with_more_layers_than_copies_at_once_the_biggest_start_first() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let mut spec = ImageSpec::small(36);
    spec.layers = [3_000, 90_000, 500, 30_000]
        .iter()
        .enumerate()
        .map(|(i, n)| fixtures::layer_tar(&[("f", &fixtures::noise(*n, 360 + i as u64))]))
        .collect();
    let built = fixtures::write_oci(&oci, "v1", &spec);
    let src = format!("oci:{}:v1", oci.display());
    // One copy at a time: the uploads reach the registry in the order they start.
    ok(skiff()
        .args(["--insecure-policy", "copy", "--image-parallel-copies", "1"])
        .args(NO_TLS)
        .args([&src, &reg.image("order/a:v1")]));
    let mut expected: Vec<&Vec<u8>> = built.blobs.iter().collect();
    expected.sort_by_key(|b| std::cmp::Reverse(b.len()));
    let expected: Vec<String> = expected
        .iter()
        .map(|b| fixtures::sha256(b).replace(':', "%3A"))
        .collect();
    let log = reg.log();
    let uploaded: Vec<String> = log
        .lines()
        .filter(|l| l.contains("\"PUT /v2/order/a/blobs/uploads/"))
        .filter_map(|l| expected.iter().find(|d| l.contains(d.as_str())).cloned())
        .collect();
    assert_eq!(uploaded, expected, "{log}");
}

#[test]
fn copies_within_a_registry_mount_blobs_across_repositories() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(34));
    copy(
        &mut skiff(),
        &format!("oci:{}:v1", oci.display()),
        &reg.image("team-a/app:v1"),
    );
    copy(
        &mut skiff(),
        &reg.image("team-a/app:v1"),
        &reg.image("team-b/app:v1"),
    );
    let log = reg.log();
    let mounts = log
        .lines()
        .filter(|l| {
            l.contains("POST /v2/team-b/app/blobs/uploads/?mount=") && l.contains("\" 201 ")
        })
        .count();
    assert_eq!(mounts, built.blobs.len() + 1, "{log}");
    assert!(
        !log.contains("PATCH /v2/team-b/"),
        "no upload expected: {log}"
    );
    let raw = ok(skiff().args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &reg.image("team-b/app:v1"),
    ]));
    assert_eq!(raw.stdout, built.manifest);
}

/// skiff's inspect JSON without `LayersData` (which skopeo 1.9.3 does not print).
fn without_layers_data(json: &[u8]) -> String {
    let mut v: serde_json::Value = serde_json::from_slice(json).unwrap();
    v.as_object_mut().unwrap().remove("LayersData");
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn inspect_matches_skopeo() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    fixtures::write_oci(&oci, "v1", &ImageSpec::small(35));
    let img = reg.image("inspect/img:v1");
    copy(&mut skiff(), &format!("oci:{}:v1", oci.display()), &img);
    copy(&mut skiff(), &img, &reg.image("inspect/img:v2"));
    let ours = ok(skiff().args(["inspect", "--tls-verify=false", &img]));
    let v: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(v["RepoTags"], serde_json::json!(["v1", "v2"]));
    assert_eq!(v["Name"], format!("{}/inspect/img", reg.host));
    let Some(mut s) = skopeo() else { return };
    let theirs = ok(s.args(["inspect", "--tls-verify=false", &img]));
    assert_eq!(
        without_layers_data(&ours.stdout),
        without_layers_data(&theirs.stdout)
    );
    for extra in [
        &["--raw"][..],
        &["--config"],
        &["--config", "--raw"],
        &["--no-tags"],
    ] {
        let ours = ok(skiff()
            .arg("inspect")
            .args(extra)
            .args(["--tls-verify=false", &img]));
        let theirs = ok(skopeo()
            .unwrap()
            .arg("inspect")
            .args(extra)
            .args(["--tls-verify=false", &img]));
        if extra == ["--no-tags"] {
            assert_eq!(
                without_layers_data(&ours.stdout),
                without_layers_data(&theirs.stdout)
            );
        } else {
            assert_eq!(ours.stdout, theirs.stdout, "{extra:?}");
        }
    }
}

#[test]
fn list_tags_follows_pagination_like_skopeo() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(36));
    copy(
        &mut skiff(),
        &format!("oci:{}:v1", oci.display()),
        &reg.image("many/tags:t000"),
    );
    for i in 1..125 {
        let (status, body) = http(
            &reg.host,
            "PUT",
            &format!("/v2/many/tags/manifests/t{i:03}"),
            &[("Content-Type", fixtures::OCI_MANIFEST)],
            &built.manifest,
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    }
    // distribution pages only when asked: the proxy asks for pages of 50.
    let proxy = Proxy::start(reg.port, ProxyMode::PageTags(50));
    let repo = format!("docker://{}/many/tags", proxy.host());
    let ours = ok(skiff().args(["list-tags", "--tls-verify=false", &repo]));
    let v: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(v["Tags"].as_array().unwrap().len(), 125);
    assert_eq!(v["Repository"], format!("{}/many/tags", proxy.host()));
    if let Some(mut s) = skopeo() {
        let theirs = ok(s.args(["list-tags", "--tls-verify=false", &repo]));
        assert_eq!(stdout(&ours), stdout(&theirs));
    }
    // inspect's RepoTags pages the same way.
    let ours = ok(skiff().args([
        "inspect",
        "--tls-verify=false",
        &format!("docker://{}/many/tags:t000", proxy.host()),
    ]));
    let v: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(v["RepoTags"].as_array().unwrap().len(), 125);
}

#[test]
fn list_tags_errors_are_skopeos() {
    let Some(reg) = Registry::start() else { return };
    for arg in [
        reg.image("x/y:tag"),
        reg.image("x/nothere"),
        format!("docker:{}/x/y", reg.host),
        "dir:/tmp".to_string(),
        "nope:/tmp".to_string(),
    ] {
        let (code, err) = fails(skiff().args(["list-tags", "--tls-verify=false", &arg]));
        assert_eq!(code, 1, "{arg}");
        if let Some(mut s) = skopeo() {
            let (_, theirs) = fails(s.args(["list-tags", "--tls-verify=false", &arg]));
            assert_eq!(fatal_message(&err), fatal_message(&theirs), "{arg}");
        }
    }
}

#[test]
fn missing_images_exit_2_with_skopeos_message() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    fixtures::write_oci(&oci, "v1", &ImageSpec::small(37));
    copy(
        &mut skiff(),
        &format!("oci:{}:v1", oci.display()),
        &reg.image("here/img:v1"),
    );
    for img in [reg.image("here/img:nope"), reg.image("nothere/img:v1")] {
        let (code, err) = fails(skiff().args(["inspect", "--tls-verify=false", &img]));
        assert_eq!(code, 2, "{err}");
        let dest = format!("dir:{}", t.path().join("out").display());
        let (copy_code, copy_err) = fails(
            skiff()
                .args(["--insecure-policy", "copy"])
                .args(NO_TLS)
                .args([&img, &dest]),
        );
        assert_eq!(copy_code, 2, "{copy_err}");
        if let Some(mut s) = skopeo() {
            let (_, theirs) = fails(s.args(["inspect", "--tls-verify=false", &img]));
            assert_eq!(fatal_message(&err), fatal_message(&theirs));
            let (_, theirs) = fails(
                skopeo()
                    .unwrap()
                    .args(["--insecure-policy", "copy"])
                    .args(NO_TLS)
                    .args([&img, &dest]),
            );
            assert_eq!(fatal_message(&copy_err), fatal_message(&theirs));
        }
    }
}

#[test]
fn delete_removes_the_manifest_like_skopeo() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    fixtures::write_oci(&oci, "v1", &ImageSpec::small(38));
    let src = format!("oci:{}:v1", oci.display());
    let img = reg.image("del/img:v1");
    copy(&mut skiff(), &src, &img);
    let out = ok(skiff().args(["delete", "--tls-verify=false", &img]));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let (code, _) = fails(skiff().args(["inspect", "--tls-verify=false", &img]));
    assert_eq!(code, 2);
    let (_, ours) = fails(skiff().args(["delete", "--tls-verify=false", &img]));
    let tags = ok(skiff().args(["list-tags", "--tls-verify=false", &reg.image("del/img")]));
    if let Some(mut s) = skopeo() {
        let (_, theirs) = fails(s.args(["delete", "--tls-verify=false", &img]));
        assert_eq!(fatal_message(&ours), fatal_message(&theirs));
        let theirs =
            ok(skopeo()
                .unwrap()
                .args(["list-tags", "--tls-verify=false", &reg.image("del/img")]));
        assert_eq!(stdout(&tags), stdout(&theirs));
        // skopeo deletes what skiff pushed, and the other way round.
        copy(&mut skiff(), &src, &img);
        ok(skopeo()
            .unwrap()
            .args(["delete", "--tls-verify=false", &img]));
        copy(&mut skopeo().unwrap(), &src, &img);
        ok(skiff().args(["delete", "--tls-verify=false", &img]));
    }
}

#[test]
fn signatures_go_to_the_lookaside_registries_d_names() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("signed");
    fixtures::write_dir(&dir, &ImageSpec::small(39));
    // Signatures are opaque to a copy without a policy that checks them; skopeo only looks
    // at the first byte (an OpenPGP packet tag).
    let sig = b"\xa3 not really a signature";
    std::fs::write(dir.join("signature-1"), sig).unwrap();
    let regd = t.path().join("registries.d");
    std::fs::create_dir_all(&regd).unwrap();
    let store = t.path().join("sigstore");
    std::fs::write(
        regd.join("test.yaml"),
        format!(
            "docker:\n  {}:\n    lookaside: file://{}\n",
            reg.host,
            store.display()
        ),
    )
    .unwrap();
    let regd_flag = format!("--registries.d={}", regd.display());
    let img = reg.image("signed/img:v1");
    ok(skiff()
        .args([&regd_flag, "--insecure-policy", "copy"])
        .args(NO_TLS)
        .arg(format!("dir:{}", dir.display()))
        .arg(&img));
    let digest = fixtures::sha256(&std::fs::read(dir.join("manifest.json")).unwrap());
    let stored = store
        .join(format!("signed/img@sha256={}", &digest["sha256:".len()..]))
        .join("signature-1");
    assert_eq!(std::fs::read(&stored).unwrap(), sig);
    let out = t.path().join("out");
    ok(skiff()
        .args([&regd_flag, "--insecure-policy", "copy"])
        .args(NO_TLS)
        .arg(&img)
        .arg(format!("dir:{}", out.display())));
    assert_eq!(std::fs::read(out.join("signature-1")).unwrap(), sig);
    if let Some(mut s) = skopeo() {
        let theirs = t.path().join("theirs");
        ok(s.args([&regd_flag, "--insecure-policy", "copy"])
            .args(NO_TLS)
            .arg(&img)
            .arg(format!("dir:{}", theirs.display())));
        assert_same_tree(&out, &theirs);
    }
}

#[test]
fn missing_blob_error_is_skopeos() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(40));
    let img = reg.image("gone/img:v1");
    copy(&mut skiff(), &format!("oci:{}:v1", oci.display()), &img);
    let layer = fixtures::sha256(&built.blobs[0]);
    let (status, _) = http(
        &reg.host,
        "DELETE",
        &format!("/v2/gone/img/blobs/{layer}"),
        &[],
        b"",
    );
    assert_eq!(status, 202);
    let dest = format!("dir:{}", t.path().join("out").display());
    let (code, err) = fails(
        skiff()
            .args(["--insecure-policy", "copy", "-q"])
            .args(NO_TLS)
            .args([&img, &dest]),
    );
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        format!(
            "reading blob {layer}: Error fetching blob: invalid status code from registry 404 (Not Found)"
        )
    );
    if let Some(mut s) = skopeo() {
        let (_, theirs) = fails(
            s.args(["--insecure-policy", "copy", "-q"])
                .args(NO_TLS)
                .args([&img, &dest]),
        );
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
    }
}

#[test]
fn multi_platform_images_go_through_registries_like_skopeo() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let mut specs = Vec::new();
    for (i, (arch, variant)) in [("amd64", None), ("arm64", Some("v8"))]
        .into_iter()
        .enumerate()
    {
        let mut s = ImageSpec::small(60 + i as u64);
        s.architecture = arch.into();
        s.variant = variant.map(str::to_string);
        specs.push(s);
    }
    let index = fixtures::write_oci_index(&oci, "multi", &specs, false);
    let src = format!("oci:{}:multi", oci.display());
    let all = |tool: std::process::Command, from: &str, to: &str| {
        let mut tool = tool;
        ok(tool
            .args(["--insecure-policy", "copy", "-q", "--all"])
            .args(NO_TLS)
            .args([from, to]));
    };
    all(skiff(), &src, &reg.image("multi/ours:v1"));
    let raw = ok(skiff().args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &reg.image("multi/ours:v1"),
    ]));
    assert_eq!(raw.stdout, index);
    // Within the registry (instances and blobs mounted), then back to a layout.
    all(
        skiff(),
        &reg.image("multi/ours:v1"),
        &reg.image("multi/copy:v1"),
    );
    assert!(
        reg.log()
            .contains("POST /v2/multi/copy/blobs/uploads/?mount="),
        "no mounts"
    );
    let ours = t.path().join("back-ours");
    all(
        skiff(),
        &reg.image("multi/copy:v1"),
        &format!("oci:{}:t", ours.display()),
    );
    if let Some(s) = skopeo() {
        all(s, &src, &reg.image("multi/theirs:v1"));
        let raw = ok(skopeo().unwrap().args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &reg.image("multi/theirs:v1"),
        ]));
        assert_eq!(raw.stdout, index);
        let theirs = t.path().join("back-theirs");
        all(
            skopeo().unwrap(),
            &reg.image("multi/copy:v1"),
            &format!("oci:{}:t", theirs.display()),
        );
        assert_same_tree(&ours, &theirs);
    }
    // Copying the list again: every image is already there.
    let again = ok(skiff()
        .args(["--insecure-policy", "copy", "--all"])
        .args(NO_TLS)
        .args([&src, &reg.image("multi/ours:v1")]));
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(
        err.matches("Skipping: image already present at destination")
            .count(),
        2,
        "{err}"
    );
}

#[test]
fn recompressed_layers_are_uploaded_with_the_digest_computed_on_the_way() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    fixtures::write_oci(&oci, "v1", &ImageSpec::small(70));
    let img = reg.image("zstd/img:v1");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .args(NO_TLS)
        .args([
            "--dest-compress-format",
            "zstd",
            "--dest-force-compress-format",
        ])
        .arg(format!("oci:{}:v1", oci.display()))
        .arg(&img));
    let raw = ok(skiff().args(["inspect", "--raw", "--tls-verify=false", &img]));
    let m: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    for l in m["layers"].as_array().unwrap() {
        assert_eq!(
            l["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+zstd"
        );
    }
    // Every blob the manifest names is there with that digest: reading it back verifies.
    let out = t.path().join("back");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .args(NO_TLS)
        .arg(&img)
        .arg(format!("dir:{}", out.display())));
    if let Some(mut s) = skopeo() {
        ok(s.args(["--insecure-policy", "copy", "-q"])
            .args(NO_TLS)
            .arg(&img)
            .arg(format!("dir:{}", t.path().join("back-skopeo").display())));
        assert_same_tree(&out, &t.path().join("back-skopeo"));
    }
}

#[test]
fn pulls_follow_registries_conf_mirrors_and_blocks() {
    let (Some(primary), Some(mirror)) = (Registry::start(), Registry::start()) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(71));
    // The image is only on the mirror.
    copy(
        &mut skiff(),
        &format!("oci:{}:v1", oci.display()),
        &mirror.image("lib/img:v1"),
    );
    let conf = t.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "[[registry]]\nlocation = \"{}\"\ninsecure = true\n[[registry.mirror]]\nlocation = \"{}\"\ninsecure = true\n\n[[registry]]\nlocation = \"127.0.0.1:1\"\nblocked = true\n",
            primary.host, mirror.host
        ),
    )
    .unwrap();
    // skopeo 1.9.3 (Debian's build) reads only --registries-conf, not the environment.
    let with_conf = |mut c: std::process::Command| {
        c.arg(format!("--registries-conf={}", conf.display()));
        c
    };
    let raw = ok(with_conf(skiff()).args(["inspect", "--raw", &primary.image("lib/img:v1")]));
    assert_eq!(raw.stdout, built.manifest);
    let out = t.path().join("out");
    ok(with_conf(skiff())
        .args(["--insecure-policy", "copy", "-q"])
        .arg(primary.image("lib/img:v1"))
        .arg(format!("dir:{}", out.display())));
    assert_eq!(
        std::fs::read(out.join("manifest.json")).unwrap(),
        built.manifest
    );
    // Missing everywhere: skopeo's message, naming the mirror's failure too.
    let missing = primary.image("lib/img:nope");
    let (code, err) = fails(with_conf(skiff()).args(["inspect", &missing]));
    assert_eq!(code, 2, "{err}");
    let blocked = "docker://127.0.0.1:1/x/y:z";
    let (_, blocked_err) = fails(with_conf(skiff()).args(["inspect", blocked]));
    if let Some(s) = skopeo() {
        let (_, theirs) = fails(with_conf(s).args(["inspect", &missing]));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
        let (_, theirs) = fails(with_conf(skopeo().unwrap()).args(["inspect", blocked]));
        assert_eq!(fatal_message(&blocked_err), fatal_message(&theirs));
    }
}
