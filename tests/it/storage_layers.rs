//! containers-storage details checked against what skopeo writes into a store of its own:
//! signatures kept with the image, and a stored layer reused under a different parent.

use crate::storage::{Store, peers};
use crate::support::fixtures::{self, ImageSpec};
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
fn write_uncompressed_dir(dir: &std::path::Path, layers: &[Vec<u8>]) {
    std::fs::create_dir_all(dir).unwrap();
    let diff_ids: Vec<String> = layers.iter().map(|l| fixtures::sha256(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "created": "2024-01-02T03:04:05Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let mut descs = Vec::new();
    for l in layers {
        let d = fixtures::sha256(l);
        std::fs::write(dir.join(&d[7..]), l).unwrap();
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": l.len()
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
