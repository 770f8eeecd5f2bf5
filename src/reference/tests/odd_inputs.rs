//! No input may panic, and whatever parses must print back to something that parses the same.

use crate::reference::{DockerReference, ImageName, TransportKind};

fn odd_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        ":",
        "::",
        ":::",
        "//",
        "@",
        "@@",
        "[",
        "]",
        "[]",
        "[@]",
        "[:]",
        "[+]",
        "\0",
        "é",
        "ü:ü",
        "\u{130}",
        "\u{212a}",
        "🦀",
        "a\u{301}",
        "\u{feff}",
        "\n",
        " ",
        "\t:\t",
        "@-",
        "@+",
        "@9999999999999999999999",
        ":@",
        "a:@",
        "a:@1:@2",
        "[a@b+c:d]e@f",
        "../..",
        "/",
        "///",
        "a/b/../c",
        "%2F",
        "\\",
        "\"",
        "'",
        "$HOME",
        "*",
        "?",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("a".repeat(100_000));
    v.push(":".repeat(10_000));
    v.push("/".repeat(5_000));
    v.push("@".repeat(5_000));
    v.push(format!("{}:{}", "a".repeat(300), "b".repeat(300)));
    v.push("é".repeat(3_000));
    v.push("a/".repeat(2_000));
    v
}

#[test]
fn nothing_panics() {
    let mut prefixes: Vec<String> = TransportKind::ALL
        .iter()
        .map(|t| format!("{}:", t.name()))
        .collect();
    prefixes.extend(
        [
            "docker://",
            "containers-storage:[vfs@/g+/r]",
            "oci:/tmp:",
            "",
        ]
        .map(String::from),
    );
    for p in &prefixes {
        for s in odd_strings() {
            let input = format!("{p}{s}");
            let _ = DockerReference::parse_normalized_named(&s);
            let _ = DockerReference::parse_unnormalized(&s);
            let _ = DockerReference::parse_named(&s);
            if let Ok(name) = ImageName::parse(&input) {
                let shown = name.to_string();
                let _ = name.string_within_transport();
                let _ = name.docker_reference();
                // Printing is stable under a round trip (containers-storage's store-free
                // form aside, which omits the store defaults).
                if let Ok(again) = ImageName::parse(&shown) {
                    assert_eq!(again.to_string(), shown, "{input:?}");
                }
            }
        }
    }
}

#[test]
fn round_trips() {
    let h = "a".repeat(64);
    let inputs = [
        "docker://busybox".to_string(),
        format!("docker://quay.io/a/b@sha256:{h}"),
        "docker-archive:/tmp/a.tar:busybox".into(),
        "docker-archive:/tmp/a.tar:@2".into(),
        format!("docker-daemon:sha256:{h}"),
        "docker-daemon:busybox:x".into(),
        "containers-storage:[vfs@/g+/r:o]busybox".into(),
        format!("containers-storage:[vfs@/g+/r]@{h}"),
        "oci:/tmp:ref".into(),
        "oci:/tmp:@1".into(),
        "oci-archive:/tmp/x.tar".into(),
        "dir:/tmp".into(),
    ];
    for input in inputs {
        let a = ImageName::parse(&input).unwrap();
        let b = ImageName::parse(&a.to_string()).unwrap();
        assert_eq!(a, b, "{input}");
    }
}
