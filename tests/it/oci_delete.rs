//! `delete oci:PATH:REF` (skopeo ≥ 1.15; 1.9.3 cannot delete from layouts). The expectation
//! is a layout skopeo 1.9.3 builds with only the images that remain: after the delete, the
//! layout's blobs and index entries are exactly those. Files nothing references stay.

use std::path::Path;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::*;

fn index_entries(layout: &Path) -> serde_json::Value {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"].clone()
}

#[test]
fn delete_removes_the_entry_and_only_the_blobs_nothing_else_uses() {
    let Some(_) = skopeo() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    // Two images sharing their first layer.
    let src_a = t.path().join("src-a");
    let src_b = t.path().join("src-b");
    fixtures::write_oci(&src_a, "v1", &ImageSpec::small(81));
    fixtures::write_oci(&src_b, "v1", &ImageSpec::small(82));
    let copy = |src: &Path, dest: &Path, tag: &str| {
        ok(skopeo().unwrap().args([
            "--insecure-policy",
            "copy",
            &format!("oci:{}:v1", src.display()),
            &format!("oci:{}:{tag}", dest.display()),
        ]));
    };
    let layout = t.path().join("layout");
    copy(&src_a, &layout, "a");
    copy(&src_b, &layout, "b");
    // What must remain: the layout skopeo makes of image b alone.
    let expected = t.path().join("expected");
    copy(&src_b, &expected, "b");
    // Files no entry uses are left alone.
    let orphan = layout.join("blobs/sha256").join("0".repeat(64));
    std::fs::write(&orphan, "not referenced").unwrap();
    std::fs::write(layout.join("notes.txt"), "mine").unwrap();

    ok(skiff().args(["delete", &format!("oci:{}:a", layout.display())]));
    assert_eq!(index_entries(&layout), index_entries(&expected));
    assert_eq!(std::fs::read(&orphan).unwrap(), b"not referenced");
    assert_eq!(std::fs::read(layout.join("notes.txt")).unwrap(), b"mine");
    std::fs::remove_file(&orphan).unwrap();
    assert_same_tree(&layout.join("blobs"), &expected.join("blobs"));
    assert_eq!(
        std::fs::read(layout.join("oci-layout")).unwrap(),
        std::fs::read(expected.join("oci-layout")).unwrap()
    );
    // The image is what skopeo reads back.
    let theirs =
        ok(skopeo()
            .unwrap()
            .args(["inspect", "--raw", &format!("oci:{}:b", layout.display())]));
    let ours = ok(skiff().args(["inspect", "--raw", &format!("oci:{}:b", layout.display())]));
    assert_eq!(theirs.stdout, ours.stdout);

    // Gone: exit 2, in c/image's words.
    let (code, err) = fails(skiff().args(["delete", &format!("oci:{}:a", layout.display())]));
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        fatal_message(&err),
        "no descriptor found for reference \"a\""
    );

    // The last image: an empty index, no blobs.
    ok(skiff().args(["delete", &format!("oci:{}:b", layout.display())]));
    assert_eq!(index_entries(&layout), serde_json::json!([]));
    assert!(tree(&layout.join("blobs")).is_empty());
}

#[test]
fn a_blob_used_twice_stays_until_its_last_user_goes() {
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    // One image under two names: deleting one name keeps every blob.
    let built = fixtures::write_oci(&layout, "one", &ImageSpec::small(83));
    fixtures::add_index_entry(
        &layout,
        "application/vnd.oci.image.manifest.v1+json",
        &built.manifest,
        "two",
    );
    let before = tree(&layout.join("blobs"));
    ok(skiff().args(["delete", &format!("oci:{}:one", layout.display())]));
    assert_eq!(tree(&layout.join("blobs")), before);
    let entries = index_entries(&layout);
    assert_eq!(entries.as_array().unwrap().len(), 1);
    assert_eq!(
        entries[0]["annotations"]["org.opencontainers.image.ref.name"],
        "two"
    );
    ok(skiff().args(["delete", &format!("oci:{}:two", layout.display())]));
    assert!(tree(&layout.join("blobs")).is_empty());
}
