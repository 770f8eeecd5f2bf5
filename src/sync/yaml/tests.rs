//! Decoding and errors checked against skopeo 1.9.3 on the same files.

use super::*;

fn err(text: &str) -> String {
    parse(text).unwrap_err()
}

#[test]
fn decodes_every_key_in_file_order() {
    let cfg = parse(
        "quay.io:\n  images:\n    b/x:\n      - 1.10\n      - 3\n      - sha256:0000000000000000000000000000000000000000000000000000000000000000\n    a/y:\n  images-by-tag-regex:\n    r: ^v1\\.\n  images-by-semver:\n    s: \">= 1.2, < 2\"\n  credentials:\n    username: u\n    password: p\n  tls-verify: no\n  cert-dir: /certs\n  unknown: [1, 2]\nlocalhost:5000:\n",
    )
    .unwrap();
    assert_eq!(cfg.registries.len(), 2);
    let (name, rc) = &cfg.registries[0];
    assert_eq!(name, "quay.io");
    assert_eq!(
        rc.images,
        vec![
            (
                "b/x".to_string(),
                vec![
                    "1.10".to_string(),
                    "3".to_string(),
                    format!("sha256:{}", "0".repeat(64))
                ]
            ),
            ("a/y".to_string(), vec![]),
        ]
    );
    assert_eq!(rc.images_by_tag_regex, vec![("r".into(), "^v1\\.".into())]);
    assert_eq!(
        rc.images_by_semver,
        vec![("s".into(), ">= 1.2, < 2".into())]
    );
    assert_eq!((rc.username.as_str(), rc.password.as_str()), ("u", "p"));
    assert_eq!(rc.tls_verify, Some(false));
    assert_eq!(rc.cert_dir, "/certs");
    assert_eq!(
        cfg.registries[1],
        ("localhost:5000".into(), RegistryConfig::default())
    );
}

#[test]
fn empty_files_and_repeated_keys() {
    assert_eq!(parse("").unwrap(), SourceConfig::default());
    assert_eq!(parse("# nothing\n").unwrap(), SourceConfig::default());
    let cfg = parse(
        "r:\n  images:\n    x: [a]\n  images:\n    y: [b]\n  tls-verify: true\n  tls-verify:\n",
    )
    .unwrap();
    let rc = &cfg.registries[0].1;
    assert_eq!(rc.images.len(), 2);
    assert_eq!(rc.tls_verify, Some(true));
}

#[test]
fn errors_read_as_skopeos() {
    assert_eq!(
        err("a: [1"),
        "yaml: line 1: did not find expected ',' or ']'"
    );
    assert_eq!(
        err("reg:\n  images: foo"),
        "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `foo` into map[string][]string"
    );
    assert_eq!(
        err("reg:\n  tls-verify: maybe\n  images:\n    x: [a]"),
        "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `maybe` into bool"
    );
    assert_eq!(
        err("reg:\n  tls-verify: notaboolatall\n"),
        "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `notaboo...` into bool"
    );
    assert_eq!(
        err("- a"),
        "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into main.sourceConfig"
    );
    assert_eq!(
        err("reg: 3"),
        "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!int `3` into main.registrySyncConfig"
    );
    assert_eq!(
        err("reg:\n  images:\n    x: {a: b}"),
        "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!map into []string"
    );
    assert_eq!(
        err("reg:\n  cert-dir: [a]\n"),
        "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into string"
    );
    assert_eq!(
        err("reg:\n  credentials: 5\n"),
        "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!int `5` into types.DockerAuthConfig"
    );
    assert_eq!(
        err("reg:\n  images:\n    x: [a]\n  tls-verify: 1\n"),
        "yaml: unmarshal errors:\n  line 4: cannot unmarshal !!int `1` into bool"
    );
    assert_eq!(
        err("reg:\n\timages: x\n"),
        "yaml: line 2: found character that cannot start any token"
    );
    assert_eq!(
        err("reg:\n  images:\n    x: [a\n    y: b\n"),
        "yaml: line 3: did not find expected ',' or ']'"
    );
    assert_eq!(
        err("reg:\n  images:\n   x: \"abc\n"),
        "yaml: line 4: found unexpected end of stream"
    );
    assert_eq!(
        err("reg:\n  images:\n    x: [a]\n   bad: 1\n"),
        "yaml: line 3: did not find expected key"
    );
    assert_eq!(
        err("a: b: c\n"),
        "yaml: mapping values are not allowed in this context"
    );
}
