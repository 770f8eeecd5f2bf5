//! `--report FILE` for sync and copy: each image's source, destination, digest, result,
//! error class, bytes and duration, checked against what the registries hold (digests as
//! skopeo inspect reads them, sizes from the manifests the registry serves).

use std::collections::BTreeSet;

use crate::support::fixtures;
use crate::support::registry::Registry;
use crate::support::*;
use crate::sync::{manifest, push_images, sync};

fn read_report(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The manifest digest skopeo reads for `name`.
fn skopeo_digest(name: &str) -> String {
    let out = ok(skopeo().unwrap().args([
        "inspect",
        "--tls-verify=false",
        "--format",
        "{{.Digest}}",
        name,
    ]));
    stdout(&out).trim().to_string()
}

/// The config and layer digests and sizes a manifest names.
fn blobs(manifest: &[u8]) -> Vec<(String, u64)> {
    let m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    std::iter::once(&m["config"])
        .chain(m["layers"].as_array().unwrap())
        .map(|d| {
            (
                d["digest"].as_str().unwrap().to_string(),
                d["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn sync_report_matches_the_registries() {
    let (Some(src), Some(dst)) = (Registry::start(), Registry::start()) else {
        return;
    };
    if skopeo().is_none() {
        return;
    }
    push_images(&src, "r/a", &[("1", 21), ("2", 22)], None);
    let t = tempfile::tempdir().unwrap();
    let yaml = t.path().join("sync.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  images:\n    r/a: [\"1\", \"2\", \"missing\"]\n",
            src.host
        ),
    )
    .unwrap();
    let reports = t.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let report = reports.join("first.json");
    let args = [
        "--src",
        "yaml",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
    ];
    // One image at a time: each blob is sent by the first image that needs it.
    let (code, _) = fails(
        sync(skiff(), &args)
            .args(["--keep-going", "--parallel-images", "1", "--report"])
            .arg(&report)
            .arg(&yaml)
            .arg(format!("{}/m", dst.host)),
    );
    assert_eq!(code, 1);
    let r = read_report(&report);
    assert_eq!(r["command"], "sync");
    let images = r["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    let mut sent = BTreeSet::new();
    let mut expected_bytes = 0;
    let mut reported_bytes = 0;
    for (img, tag) in images.iter().zip(["1", "2"]) {
        assert_eq!(img["source"], format!("docker://{}/r/a:{tag}", src.host));
        assert_eq!(
            img["destination"],
            format!("docker://{}/m/a:{tag}", dst.host)
        );
        assert_eq!(img["result"], "copied");
        assert_eq!(
            img["digest"].as_str().unwrap(),
            skopeo_digest(&format!("docker://{}/m/a:{tag}", dst.host))
        );
        assert_eq!(
            img["digest"].as_str().unwrap(),
            fixtures::sha256(&manifest(&src.host, "r/a", tag))
        );
        for (digest, size) in blobs(&manifest(&src.host, "r/a", tag)) {
            if sent.insert(digest) {
                expected_bytes += size;
            }
        }
        reported_bytes += img["bytesMoved"].as_u64().unwrap();
        assert!(img["durationSeconds"].as_f64().unwrap() > 0.0);
        assert!(img.get("error").is_none());
    }
    assert_eq!(reported_bytes, expected_bytes);
    let missing = &images[2];
    assert_eq!(missing["result"], "failed");
    assert_eq!(missing["digest"], serde_json::Value::Null);
    assert_eq!(missing["error"]["class"], "not-found");
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("manifest unknown"),
        "{missing}"
    );
    assert_eq!(
        r["summary"],
        serde_json::json!({"copied": 2, "skipped": 0, "failed": 1, "planned": 0})
    );
    // Written whole: nothing else appears beside it.
    assert_eq!(std::fs::read_dir(&reports).unwrap().count(), 1);

    // Again: both images are at the destination already.
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  images:\n    r/a: [\"1\", \"2\"]\n",
            src.host
        ),
    )
    .unwrap();
    let again = reports.join("again.json");
    ok(sync(skiff(), &args)
        .arg("--report")
        .arg(&again)
        .arg(&yaml)
        .arg(format!("{}/m", dst.host)));
    let r2 = read_report(&again);
    for (img, old) in r2["images"].as_array().unwrap().iter().zip(images) {
        assert_eq!(img["result"], "skipped");
        assert_eq!(img["digest"], old["digest"]);
        assert_eq!(img["bytesMoved"], 0);
    }
}

#[test]
fn copy_report_matches_the_registry() {
    let Some(src) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&src, "c/img", &[("v1", 31)], None);
    let t = tempfile::tempdir().unwrap();
    let report = t.path().join("copy.json");
    let name = format!("docker://{}/c/img:v1", src.host);
    let dest = format!("dir:{}", t.path().join("out").display());
    ok(skiff()
        .args([
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            "--report",
        ])
        .arg(&report)
        .args([&name, &dest]));
    let r = read_report(&report);
    assert_eq!(r["command"], "copy");
    let img = &r["images"][0];
    assert_eq!(img["source"], name);
    assert_eq!(img["destination"], dest);
    assert_eq!(img["result"], "copied");
    assert_eq!(img["digest"].as_str().unwrap(), skopeo_digest(&name));
    let total: u64 = blobs(&manifest(&src.host, "c/img", "v1"))
        .iter()
        .map(|b| b.1)
        .sum();
    assert_eq!(img["bytesMoved"].as_u64().unwrap(), total);

    // A missing image: exit 2, and the report says why.
    let gone = format!("docker://{}/c/img:gone", src.host);
    let (code, _) = fails(
        skiff()
            .args([
                "--insecure-policy",
                "copy",
                "--src-tls-verify=false",
                "--report",
            ])
            .arg(&report)
            .arg(&gone)
            .arg(format!("dir:{}", t.path().join("gone").display())),
    );
    assert_eq!(code, 2);
    let r = read_report(&report);
    assert_eq!(r["images"][0]["result"], "failed");
    assert_eq!(r["images"][0]["error"]["class"], "not-found");
    assert_eq!(r["summary"]["failed"], 1);
}

#[test]
fn a_report_path_in_no_directory_is_one_line() {
    for cmd in ["copy", "sync"] {
        let mut c = skiff();
        c.args(["--insecure-policy", cmd, "--report", "/nonexistent/r.json"]);
        if cmd == "sync" {
            c.args(["--src", "dir", "--dest", "docker"]);
        }
        let (code, stderr) = fails(c.args(["dir:/tmp/x", "docker://127.0.0.1:1/x"]));
        assert_eq!(code, 1);
        assert_eq!(
            fatal_message(&stderr),
            "Invalid --report \"/nonexistent/r.json\": \"/nonexistent\" is not a directory"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
