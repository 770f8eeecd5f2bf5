use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

fn digest(c: char) -> Digest {
    format!("sha256:{}", c.to_string().repeat(64))
        .parse()
        .unwrap()
}

fn desc(c: char, name: Option<&str>) -> Descriptor {
    let mut d = Descriptor::from_blob_info(&BlobInfo::new(digest(c), 10, mt::OCI_MANIFEST));
    d.annotations =
        name.map(|n| BTreeMap::from([(REF_NAME_ANNOTATION.to_string(), n.to_string())]));
    d
}

fn layout(reference: Option<&str>, index: Option<usize>) -> LayoutName {
    LayoutName {
        path: PathBuf::from("/x"),
        reference: reference.map(str::to_string),
        source_index: index,
    }
}

#[test]
fn resolves_by_name_index_or_only_entry() {
    let mut index = empty_index();
    index.manifests = vec![desc('a', Some("one")), desc('b', Some("two"))];
    assert_eq!(
        resolve_descriptor(&index, &layout(Some("two"), None))
            .unwrap()
            .digest,
        digest('b')
    );
    assert_eq!(
        resolve_descriptor(&index, &layout(None, Some(0)))
            .unwrap()
            .digest,
        digest('a')
    );
    let err = resolve_descriptor(&index, &layout(None, Some(2))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "index 2 is too large, only 2 entries available"
    );
    let err = resolve_descriptor(&index, &layout(Some("nope"), None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"no descriptor found for reference "nope""#
    );
    assert!(err.is::<ImageNotFound>(), "a missing tag exits 2");
    let err = resolve_descriptor(&index, &layout(None, None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "more than one image in oci, choose an image"
    );
    index.manifests.truncate(1);
    assert_eq!(
        resolve_descriptor(&index, &layout(None, None))
            .unwrap()
            .digest,
        digest('a')
    );
}

#[test]
fn refuses_names_pointing_at_non_manifests() {
    let mut index = empty_index();
    let mut d = desc('a', Some("cfg"));
    d.media_type = mt::OCI_CONFIG.into();
    index.manifests = vec![d];
    let err = resolve_descriptor(&index, &layout(Some("cfg"), None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"reference "cfg" matches unsupported manifest MIME types ["application/vnd.oci.image.config.v1+json"]"#
    );
}

#[test]
fn a_reused_name_moves_to_the_new_entry() {
    let mut index = empty_index();
    index.manifests = vec![desc('a', Some("latest")), desc('b', Some("v1"))];
    add_manifest(&mut index, desc('c', Some("latest")));
    assert_eq!(index.manifests.len(), 3);
    assert_eq!(
        ref_name(&index.manifests[0]),
        None,
        "old entry loses the name, stays listed"
    );
    assert_eq!(ref_name(&index.manifests[2]), Some("latest"));
    // The now-unnamed entry serialises without an empty annotations object, as Go omits it.
    let json = String::from_utf8(crate::gojson::to_vec_compact(&index.manifests[0])).unwrap();
    assert!(!json.contains("annotations"), "{json}");
    // Writing the same digest again under a name replaces the unnamed entry.
    add_manifest(&mut index, desc('a', Some("again")));
    assert_eq!(index.manifests.len(), 3);
    assert_eq!(ref_name(&index.manifests[0]), Some("again"));
}

#[test]
fn index_json_is_written_as_go_writes_it() {
    let mut index = empty_index();
    add_manifest(&mut index, desc('a', Some("latest")));
    let json = String::from_utf8(crate::gojson::to_vec_compact(&index)).unwrap();
    assert_eq!(
        json,
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":10,"annotations":{{"org.opencontainers.image.ref.name":"latest"}}}}]}}"#,
            digest('a')
        )
    );
}
