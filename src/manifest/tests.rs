use base64::Engine;

use super::media_type as mt;
use super::*;

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

const OCI: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:03c46597da877ade9f3e6d3851e5b8e0aff5297a793dc5433e75ae786c33afb7","size":639},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:6f3b082e3181f258b6daaaa357d7c5d11a50e008de2e8e3de4014bf69a88b091","size":102947}]}"#;

fn schema1_unsigned() -> String {
    let id1 = "a".repeat(64);
    let id2 = "b".repeat(64);
    let h1 = format!(
        r#"{{\"id\":\"{id1}\",\"parent\":\"{id2}\",\"created\":\"2020-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\"}}"#
    );
    let h2 = format!(r#"{{\"id\":\"{id2}\",\"created\":\"2019-01-01T00:00:00Z\"}}"#);
    format!(
        "{{\n   \"schemaVersion\": 1,\n   \"name\": \"library/x\",\n   \"tag\": \"latest\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [\n      {{\"blobSum\": \"sha256:{}\"}},\n      {{\"blobSum\": \"sha256:{}\"}}\n   ],\n   \"history\": [\n      {{\"v1Compatibility\": \"{h1}\"}},\n      {{\"v1Compatibility\": \"{h2}\"}}\n   ]\n}}",
        "1".repeat(64),
        "2".repeat(64)
    )
}

/// Signs the way libtrust's pretty JWS does: the payload loses its closing brace, gains a
/// signatures array, and the protected header records how to get the payload back.
fn sign(payload: &str) -> String {
    let cut = payload.rfind("\n}").unwrap();
    let tail = &payload[cut..];
    let protected = format!(
        r#"{{"formatLength":{cut},"formatTail":"{}","time":"2020-01-01T00:00:00Z"}}"#,
        b64(tail.as_bytes())
    );
    format!(
        "{},\n   \"signatures\": [\n      {{\"header\": {{\"alg\": \"ES256\"}}, \"signature\": \"abc\", \"protected\": \"{}\"}}\n   ]\n}}",
        &payload[..cut],
        b64(protected.as_bytes())
    )
}

#[test]
fn guesses_types_from_contents() {
    assert_eq!(guess_mime_type(OCI.as_bytes()), mt::OCI_MANIFEST);
    let no_media_type = OCI.replace(
        r#""mediaType":"application/vnd.oci.image.manifest.v1+json","#,
        "",
    );
    assert_eq!(guess_mime_type(no_media_type.as_bytes()), mt::OCI_MANIFEST);
    let index = r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:03c46597da877ade9f3e6d3851e5b8e0aff5297a793dc5433e75ae786c33afb7","size":1}]}"#;
    assert_eq!(guess_mime_type(index.as_bytes()), mt::OCI_INDEX);
    let docker_cfg = OCI
        .replace(
            r#""mediaType":"application/vnd.oci.image.manifest.v1+json","#,
            "",
        )
        .replace(mt::OCI_CONFIG, mt::DOCKER_V2_SCHEMA2_CONFIG);
    assert_eq!(
        guess_mime_type(docker_cfg.as_bytes()),
        mt::DOCKER_V2_SCHEMA2
    );
    assert_eq!(
        guess_mime_type(schema1_unsigned().as_bytes()),
        mt::DOCKER_V2_SCHEMA1
    );
    assert_eq!(
        guess_mime_type(sign(&schema1_unsigned()).as_bytes()),
        mt::DOCKER_V2_SCHEMA1_SIGNED
    );
    assert_eq!(guess_mime_type(b"not json"), "");
    assert_eq!(guess_mime_type(b"[1,2]"), "");
    assert_eq!(guess_mime_type(br#"{"schemaVersion":3}"#), "");
    // Go matches JSON keys case-insensitively.
    assert_eq!(
        guess_mime_type(br#"{"SchemaVersion":1}"#),
        mt::DOCKER_V2_SCHEMA1
    );
}

#[test]
fn a_recorded_type_wins_and_an_unknown_one_is_guessed() {
    let dir_like = RawManifest::untyped(OCI);
    assert_eq!(dir_like.resolved_type(), mt::OCI_MANIFEST);
    // No `Content-Type`, or a descriptor without `mediaType`, is "not recorded".
    assert_eq!(RawManifest::reported(OCI, "").media_type, None);
    let served_as = RawManifest::reported(OCI, "text/plain");
    assert_eq!(served_as.resolved_type(), "text/plain");
    assert_eq!(RawManifest::untyped("not json").resolved_type(), "");
}

#[test]
fn media_types_read_and_print_as_their_strings() {
    let t: MediaType = serde_json::from_str(r#""application/x""#).unwrap();
    assert_eq!(t, "application/x");
    assert_eq!(serde_json::to_string(&t).unwrap(), r#""application/x""#);
    assert_eq!(format!("{t} {t:?}"), r#"application/x "application/x""#);
    assert!(MediaType::from(mt::OCI_INDEX).is_list());
}

#[test]
fn schema1_digest_ignores_signatures() {
    let unsigned = schema1_unsigned();
    let signed = sign(&unsigned);
    assert_ne!(signed, unsigned);
    assert_eq!(
        digest(signed.as_bytes()).unwrap(),
        Digest::sha256_of(unsigned.as_bytes())
    );
    assert!(matches_digest(signed.as_bytes(), &Digest::sha256_of(unsigned.as_bytes())).unwrap());
    let m = Manifest::parse(signed.as_bytes(), mt::DOCKER_V2_SCHEMA1_SIGNED).unwrap();
    assert_eq!(m.mime_type(), mt::DOCKER_V2_SCHEMA1_SIGNED);
    let layers = m.layer_infos();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0].digest.hex(), "2".repeat(64), "base layer first");
    assert_eq!(layers[0].size, None);
}

#[test]
fn broken_schema1_is_refused() {
    let bad_len = schema1_unsigned().replace(
        &format!("{{\"blobSum\": \"sha256:{}\"}},\n", "1".repeat(64)),
        "",
    );
    let err = Manifest::parse(bad_len.as_bytes(), mt::DOCKER_V2_SCHEMA1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "length of history not equal to number of layers"
    );
    let bad_parent = schema1_unsigned().replace(
        &format!("\\\"parent\\\":\\\"{}\\\"", "b".repeat(64)),
        "\\\"parent\\\":\\\"\\\"",
    );
    let err = Manifest::parse(bad_parent.as_bytes(), mt::DOCKER_V2_SCHEMA1).unwrap_err();
    assert!(err.to_string().starts_with("Invalid parent ID"), "{err}");
    let forged = sign(&schema1_unsigned()).replace("\"protected\": \"", "\"protected\": \"!!");
    assert!(digest(forged.as_bytes()).is_err());
}

#[test]
fn oci_manifest_parses_and_refuses_ambiguity() {
    let m = Manifest::parse(OCI.as_bytes(), mt::OCI_MANIFEST).unwrap();
    assert_eq!(m.layer_infos().len(), 1);
    assert_eq!(m.config_info().unwrap().size, Some(639));
    let ambiguous = OCI.replace(r#""layers":"#, r#""manifests":[],"layers":"#);
    let err = Manifest::parse(ambiguous.as_bytes(), mt::OCI_MANIFEST).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"rejecting ambiguous manifest, unexpected fields []string{"manifests"} in supposedly application/vnd.oci.image.manifest.v1+json"#
    );
    assert!(Manifest::parse(&OCI.as_bytes()[..40], mt::OCI_MANIFEST).is_err());
    assert!(Manifest::parse(OCI.as_bytes(), mt::OCI_INDEX).is_err());
}

#[test]
fn schema2_layer_media_types_are_checked() {
    let s2 = OCI
        .replace(mt::OCI_MANIFEST, mt::DOCKER_V2_SCHEMA2)
        .replace(mt::OCI_CONFIG, mt::DOCKER_V2_SCHEMA2_CONFIG);
    let err = Manifest::parse(s2.as_bytes(), mt::DOCKER_V2_SCHEMA2).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unsupported docker v2s2 media type: "application/vnd.oci.image.layer.v1.tar+gzip""#
    );
    let ok = s2.replace(mt::OCI_LAYER_GZIP, mt::DOCKER_V2_SCHEMA2_LAYER);
    assert!(Manifest::parse(ok.as_bytes(), mt::DOCKER_V2_SCHEMA2).is_ok());
}

#[test]
fn list_instance_choice_follows_platform_preference() {
    let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    let list = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[
        {{"mediaType":"{}","size":1,"digest":"{}","platform":{{"architecture":"arm","os":"linux","variant":"v6"}}}},
        {{"mediaType":"{}","size":1,"digest":"{}","platform":{{"architecture":"arm","os":"linux","variant":"v7"}}}},
        {{"mediaType":"{}","size":1,"digest":"{}","platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        mt::DOCKER_V2_LIST,
        mt::DOCKER_V2_SCHEMA2,
        d('a'),
        mt::DOCKER_V2_SCHEMA2,
        d('b'),
        mt::DOCKER_V2_SCHEMA2,
        d('c'),
    );
    let l = ManifestList::parse(list.as_bytes(), mt::DOCKER_V2_LIST).unwrap();
    let choice = |arch: &str, variant: &str| platform::PlatformChoice {
        os: Some("linux".into()),
        architecture: Some(arch.into()),
        variant: (!variant.is_empty()).then(|| variant.to_string()),
    };
    assert_eq!(
        l.choose_instance(&choice("arm", "v7")).unwrap().to_string(),
        d('b')
    );
    assert_eq!(
        l.choose_instance(&choice("arm", "v8")).unwrap().to_string(),
        d('b')
    );
    assert_eq!(
        l.choose_instance(&choice("arm", "v6")).unwrap().to_string(),
        d('a')
    );
    assert_eq!(
        l.choose_instance(&choice("amd64", "")).unwrap().to_string(),
        d('c')
    );
    let err = l.choose_instance(&choice("s390x", "")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"no image found in manifest list for architecture "s390x", variant "", OS "linux""#
    );
}

#[test]
fn oci_index_falls_back_to_platformless_entries() {
    let idx = r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:03c46597da877ade9f3e6d3851e5b8e0aff5297a793dc5433e75ae786c33afb7"}]}"#;
    let l = ManifestList::parse(idx.as_bytes(), mt::OCI_INDEX).unwrap();
    assert!(
        l.choose_instance(&platform::PlatformChoice::default())
            .is_ok()
    );
}
