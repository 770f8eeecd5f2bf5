//! `delete --tag-only`: distribution 2.8 does not delete tags (it answers DELETE by tag with
//! 400 DIGEST_INVALID), so skiff refuses in one line and the registry keeps every tag.

use crate::support::registry::Registry;
use crate::support::*;
use crate::sync::push_images;

#[test]
fn tag_only_delete_is_refused_by_distribution_and_changes_nothing() {
    let Some(reg) = Registry::start() else { return };
    push_images(&reg, "d/app", &[("a", 61), ("b", 61)], None);
    let (code, stderr) = fails(skiff().args([
        "delete",
        "--tls-verify=false",
        "--tag-only",
        &reg.image("d/app:a"),
    ]));
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let msg = fatal_message(&stderr);
    assert!(
        msg.starts_with(&format!(
            "Registry {} does not delete a tag alone (it answered 400 Bad Request: ",
            reg.host
        )),
        "{msg}"
    );
    assert!(msg.contains("nothing was deleted"), "{msg}");
    // Both tags are still there, as skopeo lists them.
    if let Some(mut s) = skopeo() {
        let out = ok(s.args(["list-tags", "--tls-verify=false", &reg.image("d/app")]));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut tags: Vec<&str> = v["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        tags.sort();
        assert_eq!(tags, ["a", "b"]);
    }
}

#[test]
fn tag_only_needs_a_registry_tag() {
    let digest = format!("sha256:{}", "a".repeat(64));
    for (name, msg) in [
        (
            "dir:/tmp/x".to_string(),
            "--tag-only deletes tags in registries: it needs a docker:// name".to_string(),
        ),
        (
            format!("docker://127.0.0.1:1/x@{digest}"),
            format!(
                "--tag-only needs a reference with a tag and no digest, not 127.0.0.1:1/x@{digest}"
            ),
        ),
    ] {
        let (code, stderr) = fails(skiff().args(["delete", "--tag-only", &name]));
        assert_eq!(code, 1);
        assert_eq!(fatal_message(&stderr), msg);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
