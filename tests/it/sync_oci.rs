//! `sync --dest oci` and `--src oci`: every mirrored image in one shared OCI layout, and back
//! again. skopeo 1.9.3 is the oracle: it reads every image of the layout (by the ref names
//! skiff wrote) and finds the registry's digests; the blob files are exactly the union of the
//! images' blobs as skopeo reads them from the registry.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;

use crate::oci_concurrency::{kill, wait_exit, wait_for};
use crate::support::fixtures::sha256;
use crate::support::registry::{Proxy, ProxyMode, Registry};
use crate::support::*;
use crate::sync::{push_images, sync};

const FROM_REG: [&str; 2] = ["--src-tls-verify=false", "--dest-tls-verify=false"];

/// skopeo's raw manifest of `name`.
pub fn raw(name: &str) -> Vec<u8> {
    let mut s = skopeo().unwrap();
    if name.starts_with("docker://") {
        s.arg("inspect").arg("--tls-verify=false");
    } else {
        s.arg("inspect");
    }
    ok(s.args(["--raw", name])).stdout
}

/// The manifest digest of `name`, as skopeo reads it.
pub fn digest(name: &str) -> String {
    sha256(&raw(name))
}

/// The manifest, config and layer digests of `name`, as skopeo reads them.
pub fn blobs(name: &str) -> BTreeSet<String> {
    let bytes = raw(name);
    let m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let mut out = BTreeSet::from([sha256(&bytes)]);
    out.insert(m["config"]["digest"].as_str().unwrap().to_string());
    for l in m["layers"].as_array().unwrap() {
        out.insert(l["digest"].as_str().unwrap().to_string());
    }
    out
}

/// The blob files of a layout, as digests.
pub fn blob_files(layout: &Path) -> BTreeSet<String> {
    std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| format!("sha256:{}", e.unwrap().file_name().to_string_lossy()))
        .collect()
}

/// The ref names of a layout's index.
pub fn ref_names(layout: &Path) -> BTreeSet<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .map(str::to_string)
        .collect()
}

/// skopeo's tag list of `image` (`docker://…`), sorted.
pub fn tags(image: &str) -> Vec<String> {
    let out = ok(skopeo()
        .unwrap()
        .args(["list-tags", "--tls-verify=false", image]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut t: Vec<String> = v["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

fn oci(layout: &Path, name: &str) -> String {
    format!("oci:{}:{name}", layout.display())
}

fn results(report: &Path) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["result"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn registry_to_one_layout_and_back_matches_skopeo() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    // b and c are the same image; a and d share their first layer with them.
    push_images(&reg, "src/app", &[("a", 71), ("b", 72), ("c", 72)], None);
    push_images(&reg, "src/other", &[("d", 73)], None);
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    let args = ["--src", "docker", "--dest", "oci", FROM_REG[0]];
    for repo in ["src/app", "src/other"] {
        ok(sync(skiff(), &args)
            .arg(format!("{}/{repo}", reg.host))
            .arg(&layout));
    }
    let images = [("app", "a"), ("app", "b"), ("app", "c"), ("other", "d")];
    let mut all_blobs = BTreeSet::new();
    for (repo, tag) in images {
        let registry = format!("docker://{}/src/{repo}:{tag}", reg.host);
        let name = oci(&layout, &format!("{repo}:{tag}"));
        assert_eq!(digest(&name), digest(&registry), "{name}");
        all_blobs.extend(blobs(&registry));
        // skopeo copies it out with the registry's digest.
        let out = t.path().join(format!("copied-{repo}-{tag}"));
        ok(skopeo()
            .unwrap()
            .args(["--insecure-policy", "copy", "-q", &name])
            .arg(format!("dir:{}", out.display())));
        assert_eq!(
            sha256(&std::fs::read(out.join("manifest.json")).unwrap()),
            digest(&registry)
        );
    }
    assert_eq!(
        ref_names(&layout),
        BTreeSet::from(["app:a", "app:b", "app:c", "other:d"].map(String::from))
    );
    // Every blob once: exactly the union of the images' blobs.
    assert_eq!(blob_files(&layout), all_blobs);

    // A second run finds every image there and writes nothing.
    let report = t.path().join("report.json");
    let before = std::fs::read(layout.join("index.json")).unwrap();
    ok(sync(skiff(), &args)
        .arg("--report")
        .arg(&report)
        .arg(format!("{}/src/app", reg.host))
        .arg(&layout));
    assert_eq!(results(&report), ["skipped", "skipped", "skipped"]);
    assert_eq!(std::fs::read(layout.join("index.json")).unwrap(), before);

    // --scoped names each image by its whole source reference, which skopeo reads back.
    let scoped = t.path().join("scoped");
    ok(sync(skiff(), &args)
        .arg("--scoped")
        .arg(format!("{}/src/app", reg.host))
        .arg(&scoped));
    let name = oci(&scoped, &format!("{}/src/app:a", reg.host));
    assert_eq!(
        digest(&name),
        digest(&format!("docker://{}/src/app:a", reg.host))
    );

    // Back to a registry: the same repositories, tags and digests.
    ok(
        sync(skiff(), &["--src", "oci", "--dest", "docker", FROM_REG[1]])
            .arg(&layout)
            .arg(format!("{}/back", reg.host)),
    );
    assert_eq!(
        tags(&format!("docker://{}/back/app", reg.host)),
        ["a", "b", "c"]
    );
    assert_eq!(tags(&format!("docker://{}/back/other", reg.host)), ["d"]);
    for (repo, tag) in images {
        assert_eq!(
            digest(&format!("docker://{}/back/{repo}:{tag}", reg.host)),
            digest(&format!("docker://{}/src/{repo}:{tag}", reg.host))
        );
    }
    // … and a re-run skips them all.
    ok(
        sync(skiff(), &["--src", "oci", "--dest", "docker", FROM_REG[1]])
            .arg("--report")
            .arg(&report)
            .arg(&layout)
            .arg(format!("{}/back", reg.host)),
    );
    assert_eq!(results(&report), ["skipped"; 4]);

    // And to directories, one per image as --dest dir names them.
    let dirs = t.path().join("dirs");
    ok(sync(skiff(), &["--src", "oci", "--dest", "dir"])
        .arg(&layout)
        .arg(&dirs));
    for (repo, tag) in images {
        let dir = dirs.join(format!("{repo}:{tag}"));
        assert_eq!(
            digest(&format!("dir:{}", dir.display())),
            digest(&format!("docker://{}/src/{repo}:{tag}", reg.host))
        );
    }
}

#[test]
fn concurrent_syncs_into_one_layout_keep_every_image() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&reg, "one/app", &[("a", 81), ("b", 82), ("c", 83)], None);
    push_images(&reg, "two/web", &[("x", 84), ("y", 85), ("z", 81)], None);
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    let args = ["--src", "docker", "--dest", "oci", FROM_REG[0]];
    let children: Vec<_> = ["one/app", "two/web"]
        .iter()
        .map(|repo| {
            sync(skiff(), &args)
                .arg(format!("{}/{repo}", reg.host))
                .arg(&layout)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut all_blobs = BTreeSet::new();
    for (repo, tags) in [("one/app", ["a", "b", "c"]), ("two/web", ["x", "y", "z"])] {
        for tag in tags {
            let registry = format!("docker://{}/{repo}:{tag}", reg.host);
            let short = repo.rsplit('/').next().unwrap();
            assert_eq!(
                digest(&oci(&layout, &format!("{short}:{tag}"))),
                digest(&registry)
            );
            all_blobs.extend(blobs(&registry));
        }
    }
    assert_eq!(ref_names(&layout).len(), 6);
    assert_eq!(blob_files(&layout), all_blobs);
}

#[test]
fn interrupted_sync_into_a_layout_leaves_it_consistent() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&reg, "ns/app", &[("a", 91)], None);
    push_images(&reg, "ns/more", &[("m", 92)], None);
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    let args = ["--src", "docker", "--dest", "oci", FROM_REG[0]];
    ok(sync(skiff(), &args)
        .arg(format!("{}/ns/app", reg.host))
        .arg(&layout));
    let committed = blob_files(&layout);
    let proxy = Proxy::start(reg.port, ProxyMode::StallFirstBlobAfter(100));
    let mut child = sync(skiff(), &args)
        .arg(format!("{}/ns/more", proxy.host()))
        .arg(&layout)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Mid-copy: a blob download has stalled.
    wait_for("a stalled blob download", || {
        proxy.cuts.load(Ordering::SeqCst) > 0
    });
    kill(&child, "INT");
    assert!(!wait_exit(&mut child, "skiff sync").success());
    // The layout is as before: the committed image readable, nothing half-written left
    // (no temporary file, no blob of the interrupted image).
    assert_eq!(ref_names(&layout), BTreeSet::from(["app:a".to_string()]));
    assert_eq!(
        digest(&oci(&layout, "app:a")),
        digest(&format!("docker://{}/ns/app:a", reg.host))
    );
    assert_eq!(blob_files(&layout), committed);
    // A re-run completes it.
    ok(sync(skiff(), &args)
        .arg(format!("{}/ns/more", reg.host))
        .arg(&layout));
    assert_eq!(
        digest(&oci(&layout, "more:m")),
        digest(&format!("docker://{}/ns/more:m", reg.host))
    );
}

#[test]
fn bad_layout_input_is_one_line() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("missing");
    let (code, stderr) = fails(
        sync(skiff(), &["--src", "oci", "--dest", "dir"])
            .arg(&missing)
            .arg(t.path().join("out")),
    );
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        fatal_message(&stderr),
        format!(
            "Invalid source layout specified: stat {}/index.json: no such file or directory",
            missing.display()
        )
    );
    // A name the oci transport refuses is refused before anything is written.
    let layout = t.path().join("layout");
    crate::support::fixtures::write_oci(
        &layout,
        "app:v1",
        &crate::support::fixtures::ImageSpec::small(5),
    );
    let dest = t.path().join("dest");
    let (code, stderr) = fails(
        sync(
            skiff(),
            &["--src", "oci", "--dest", "oci", "--append-suffix", "/x/"],
        )
        .arg(&layout)
        .arg(&dest),
    );
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        fatal_message(&stderr),
        format!(
            "Cannot obtain a valid image reference for transport \"oci\" and reference \"{}:app:v1/x/\": Invalid image app:v1/x/",
            dest.display()
        )
    );
    assert!(!dest.exists());
}
