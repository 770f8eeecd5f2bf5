//! `containers-storage:` (store-free part of the parsing).

use super::h64;
use crate::reference::{DockerReference, ImageName, StorageLookup, StorageName};
use std::path::PathBuf;

const S: &str = "[vfs@/g+/r]";

fn parse(s: &str) -> Result<StorageName, String> {
    match ImageName::parse(&format!("containers-storage:{s}")) {
        Ok(ImageName::ContainersStorage(n)) => Ok(n),
        Ok(other) => panic!("{s}: {other:?}"),
        Err(e) => Err(e.to_string()),
    }
}

fn named(s: &str) -> Option<DockerReference> {
    Some(DockerReference::parse_named(s).unwrap())
}

#[test]
fn store_spec() {
    let n = parse("[vfs@/g+/r:a=1,b=2]busybox").unwrap();
    assert_eq!(n.driver.as_deref(), Some("vfs"));
    assert_eq!(n.graph_root, Some(PathBuf::from("/g")));
    assert_eq!(n.run_root, Some(PathBuf::from("/r")));
    assert_eq!(n.options, vec!["a=1".to_string(), "b=2".to_string()]);
    assert_eq!(n.name, named("docker.io/library/busybox:latest"));
    assert_eq!(
        n.string_within_transport(),
        "[vfs@/g+/r:a=1,b=2]docker.io/library/busybox:latest"
    );
    let n = parse("[/g]x").unwrap();
    assert_eq!((n.driver.as_deref(), n.run_root.as_ref()), (None, None));
    assert_eq!(n.graph_root, Some(PathBuf::from("/g")));
    let n = parse("busybox").unwrap();
    assert!(!n.has_store_spec());
    assert_eq!(
        n.string_within_transport(),
        "docker.io/library/busybox:latest"
    );
    assert_eq!(parse("[vfs@/g:]x").unwrap().options, vec![String::new()]);
    // A second store specification is skipped.
    assert_eq!(
        parse("[/g][/h]x").unwrap().name,
        named("docker.io/library/x:latest")
    );
    let cases = [
        ("[", "invalid reference"),
        ("[]", "invalid reference"),
        ("[]busybox", "invalid reference"),
        ("[@/g]x", "invalid reference"),
        ("[vfs@]x", "invalid reference"),
        ("[vfs@rel]x", "path name is not absolute"),
        ("[vfs@/g+rel]x", "path name is not absolute"),
        ("[rel]x", "path name is not absolute"),
        ("[/g][/h]", "invalid reference"),
        (
            "[/g][oops",
            r#"store specifier in "[oops" did not end: invalid reference"#,
        ),
    ];
    for (input, msg) in cases {
        assert_eq!(parse(input).unwrap_err(), msg, "{input}");
    }
}

#[test]
fn names_and_ids() {
    let h = h64();
    let d = format!("sha256:{h}");
    let n = parse(&format!("{S}@{h}")).unwrap();
    assert_eq!((n.name.as_ref(), n.id.as_deref()), (None, Some(h.as_str())));
    assert_eq!(n.string_within_transport(), format!("{S}@{h}"));
    let n = parse(&format!("{S}busybox@{h}")).unwrap();
    assert_eq!(
        n.string_within_transport(),
        format!("{S}docker.io/library/busybox:latest@{h}")
    );
    let n = parse(&format!("{S}busybox@{d}")).unwrap();
    assert_eq!(
        n.string_within_transport(),
        format!("{S}docker.io/library/busybox@{d}")
    );
    assert_eq!(n.id, None);
    let n = parse(&format!("{S}busybox:v1@{d}")).unwrap();
    assert_eq!(
        n.string_within_transport(),
        format!("{S}docker.io/library/busybox:v1@{d}")
    );
    let n = parse(&format!("{S}busybox@{d}@{h}")).unwrap();
    assert_eq!(
        n.string_within_transport(),
        format!("{S}docker.io/library/busybox@{d}@{h}")
    );
    let cases = [
        (S.to_string(), r#""" is an empty reference: invalid reference"#.to_string()),
        (String::new(), r#""" is an empty reference: invalid reference"#.into()),
        (format!("{S}busybox@xyz"), r#""xyz" does not look like an image ID or digest: invalid reference"#.into()),
        (format!("{S}busybox@ab"), r#""ab" does not look like an image ID or digest: invalid reference"#.into()),
        (format!("{S}busybox@"), r#"empty trailing digest or ID in "busybox@": invalid reference"#.into()),
        (format!("{S}@"), r#"empty trailing digest or ID in "@": invalid reference"#.into()),
        (format!("{S}Busybox"), r#"parsing named reference "Busybox": invalid reference format: repository name must be lowercase"#.into()),
        (format!("{S}]x"), r#"parsing named reference "]x": invalid reference format"#.into()),
        (format!("{S}x]y"), r#"parsing named reference "x]y": invalid reference format"#.into()),
        ("]x".to_string(), r#"parsing named reference "]x": invalid reference format"#.into()),
    ];
    for (input, msg) in cases {
        assert_eq!(parse(&input).unwrap_err(), msg, "{input}");
    }
}

#[test]
fn id_prefixes_need_the_store() {
    let h = h64();
    // `@abc`: an ID prefix only the store can expand; skopeo 1.9.3 with an empty store said
    // `"abc" does not look like an image ID or digest: invalid reference`.
    let n = parse(&format!("{S}busybox@abc")).unwrap();
    let lookup = StorageLookup::IdPrefix {
        prefix: "abc".into(),
        invalid_name: None,
    };
    assert_eq!(n.lookup, Some(lookup));
    assert_eq!(
        n.clone().resolve_ids(|_| None).unwrap_err().to_string(),
        r#""abc" does not look like an image ID or digest: invalid reference"#
    );
    let resolved = n
        .resolve_ids(|p| (p == "abc").then(|| format!("abc{}", &h[3..])))
        .unwrap();
    assert_eq!(
        resolved.id.as_deref(),
        Some(format!("abc{}", &h[3..]).as_str())
    );
    assert_eq!(resolved.name, named("docker.io/library/busybox:latest"));
    // An invalid name before an ID prefix: skopeo (empty store) reported the prefix.
    let n = parse(&format!("{S}//@aaaaa1")).unwrap();
    assert_eq!(
        n.clone().resolve_ids(|_| None).unwrap_err().to_string(),
        r#""aaaaa1" does not look like an image ID or digest: invalid reference"#
    );
    assert_eq!(
        n.resolve_ids(|_| Some(format!("aaaaa1{}", &h[6..])))
            .unwrap_err()
            .to_string(),
        r#"parsing named reference "//": invalid reference format"#
    );
    // A bare hex string: a name unless the store has a matching ID (skopeo with an empty
    // store printed `[vfs@…]docker.io/library/abc:latest`).
    let n = parse(&format!("{S}abc")).unwrap();
    assert_eq!(n.name, named("docker.io/library/abc:latest"));
    assert_eq!(n.lookup, Some(StorageLookup::MaybeIdPrefix("abc".into())));
    assert_eq!(
        n.clone().resolve_ids(|_| None).unwrap().name,
        named("docker.io/library/abc:latest")
    );
    let by_id = n.resolve_ids(|_| Some(format!("abc{}", &h[3..]))).unwrap();
    assert_eq!((by_id.name, by_id.lookup), (None, None));
    // 64 hex digits: an ID if the store has it, otherwise docker refuses the name.
    let n = parse(&format!("{S}{h}")).unwrap();
    assert_eq!(n.name, None);
    assert_eq!(
        n.clone().resolve_ids(|_| None).unwrap_err().to_string(),
        format!(
            "parsing named reference \"{h}\": invalid repository name ({h}), cannot specify 64-byte hexadecimal strings"
        )
    );
    assert_eq!(
        n.resolve_ids(|_| Some(h.clone())).unwrap().id,
        Some(h.clone())
    );
    // Non-hex or too short: no lookup.
    assert_eq!(parse(&format!("{S}xyz")).unwrap().lookup, None);
    assert_eq!(parse(&format!("{S}ab")).unwrap().lookup, None);
}
