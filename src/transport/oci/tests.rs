use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

fn digest(c: char) -> Digest {
    format!("sha256:{}", c.to_string().repeat(64))
        .parse()
        .unwrap()
}

fn desc(c: char, name: Option<&str>) -> Descriptor {
    let mut d = Descriptor::from_blob_info(&BlobInfo::new(digest(c), Some(10), mt::OCI_MANIFEST));
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

/// A blob a copy found present and relied on, pruned before the copy commits: the commit
/// fails and the index never names the image.
#[tokio::test]
async fn commit_refuses_an_image_whose_reused_blob_was_pruned() {
    let t = tempfile::tempdir().unwrap();
    let name = LayoutName {
        path: t.path().join("l"),
        reference: Some("app:v1".into()),
        source_index: None,
    };
    let ctx = SystemContext::default();
    let layer = b"a layer".to_vec();
    let layer_digest = Digest::sha256_of(&layer);
    let files = DirFiles::new(&name.path, None);
    let path = files.blob_path(&layer_digest);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, &layer).unwrap();
    let dest = Box::new(OciDestination::open(&name, &ctx).unwrap());
    let info = BlobInfo::new(
        layer_digest.clone(),
        Some(layer.len() as u64),
        mt::OCI_LAYER,
    );
    assert!(dest.try_reuse_blob(&info).await.unwrap().is_some());
    fs::remove_file(&path).unwrap(); // what a prune in another process does
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{layer_digest}","size":7}},"layers":[]}}"#,
        mt::OCI_MANIFEST,
        mt::OCI_CONFIG
    );
    dest.put_manifest(manifest.as_bytes(), None).await.unwrap();
    let err = dest.commit().await.unwrap_err().to_string();
    assert!(err.contains("was removed from"), "{err}");
    assert!(!name.path.join("index.json").exists());
}

#[test]
fn prune_removes_named_entries_and_only_their_own_blobs() {
    let t = tempfile::tempdir().unwrap();
    let files = DirFiles::new(t.path(), None);
    let put = |bytes: &[u8]| {
        let d = Digest::sha256_of(bytes);
        let p = files.blob_path(&d);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        d
    };
    let shared = put(b"shared layer");
    let own = put(b"own layer");
    let manifest = |layers: &[&Digest]| {
        let layers: Vec<String> = layers
            .iter()
            .map(|d| {
                format!(
                    r#"{{"mediaType":"{}","digest":"{d}","size":1}}"#,
                    mt::OCI_LAYER
                )
            })
            .collect();
        format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"{}","digest":"{shared}","size":1}},"layers":[{}]}}"#,
            mt::OCI_CONFIG,
            layers.join(",")
        )
    };
    let keep_m = put(manifest(&[&shared]).as_bytes());
    let gone_m = put(manifest(&[&shared, &own]).as_bytes());
    let entry = |d: &Digest, n: &str| {
        let mut e =
            Descriptor::from_blob_info(&BlobInfo::new(d.clone(), Some(1), mt::OCI_MANIFEST));
        e.annotations = Some(BTreeMap::from([(
            REF_NAME_ANNOTATION.to_string(),
            n.into(),
        )]));
        e
    };
    let mut index = empty_index();
    index.manifests = vec![entry(&keep_m, "app:a"), entry(&gone_m, "app:b")];
    fs::write(
        t.path().join("index.json"),
        crate::gojson::to_vec_compact(&index),
    )
    .unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    let removed = delete::prune_names(
        t.path(),
        &["app:b".to_string(), "app:zz".to_string()].into(),
        &SystemContext::default(),
        later,
    )
    .unwrap();
    assert_eq!(removed, ["app:b"]);
    let left = parse_index(&fs::read(t.path().join("index.json")).unwrap()).unwrap();
    assert_eq!(left.manifests, vec![entry(&keep_m, "app:a")]);
    assert!(files.blob_path(&shared).exists() && files.blob_path(&keep_m).exists());
    assert!(!files.blob_path(&own).exists() && !files.blob_path(&gone_m).exists());
}
