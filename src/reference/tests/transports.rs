//! Transport splitting, dir/oci/oci-archive, docker-archive and docker-daemon.

use super::{h64, rep};
use crate::reference::{
    ArchiveName, DaemonName, ImageName, LayoutName, TransportKind, is_valid_oci_ref_name,
};
use std::path::PathBuf;

fn err(s: &str) -> String {
    match ImageName::parse(s) {
        Ok(n) => panic!("{s}: unexpectedly parsed as {n:?}"),
        Err(e) => e.to_string(),
    }
}

fn ok(s: &str) -> ImageName {
    ImageName::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A fresh directory with no symlinks in its path.
fn tmp() -> (tempfile::TempDir, String) {
    let td = tempfile::tempdir().unwrap();
    let p = crate::reference::resolve_path_fully_explicit(td.path().to_str().unwrap()).unwrap();
    (td, p)
}

#[test]
fn transport_split() {
    let cases = [
        (
            "foo:bar",
            r#"Invalid image name "foo:bar", unknown transport "foo""#,
        ),
        (
            "foo",
            r#"Invalid image name "foo", expected colon-separated transport:reference"#,
        ),
        (
            "",
            r#"Invalid image name "", expected colon-separated transport:reference"#,
        ),
        (":", r#"Invalid image name ":", unknown transport """#),
        (
            "DOCKER://busybox",
            r#"Invalid image name "DOCKER://busybox", unknown transport "DOCKER""#,
        ),
        (
            "atomic:x",
            r#"Invalid image name "atomic:x", unknown transport "atomic""#,
        ),
        (
            "openshift:x",
            r#"Invalid image name "openshift:x", unknown transport "openshift""#,
        ),
        (
            "ostree:x",
            r#"The transport "ostree:" is not supported in this build"#,
        ),
        (
            "tarball:/nonexistent-skiff-layer.tar",
            r#"error opening "/nonexistent-skiff-layer.tar": open /nonexistent-skiff-layer.tar: no such file or directory"#,
        ),
        (
            "tarball:",
            r#"error opening "": open : no such file or directory"#,
        ),
        (
            "sif:/nonexistent-skiff-dir/x.sif",
            "lstat /nonexistent-skiff-dir: no such file or directory",
        ),
    ];
    for (input, msg) in cases {
        assert_eq!(err(input), msg, "{input}");
    }
    for t in TransportKind::ALL {
        assert_eq!(TransportKind::from_name(t.name()), Some(t));
        assert_eq!(t.to_string(), t.name());
    }
}

#[test]
fn dir_paths() {
    let (_td, base) = tmp();
    std::fs::write(format!("{base}/file"), b"").unwrap();
    let n = ok(&format!("dir:{base}/new"));
    assert_eq!(n, ImageName::Dir(PathBuf::from(format!("{base}/new"))));
    assert_eq!(n.to_string(), format!("dir:{base}/new"));
    assert_eq!(
        ok(&format!("dir:{base}/a:b")).to_string(),
        format!("dir:{base}/a:b")
    );
    assert_eq!(
        ok(&format!("dir:{base}/missing/../x")).to_string(),
        format!("dir:{base}/missing/../x")
    );
    assert_eq!(ok("dir:").to_string(), "dir:");
    assert_eq!(ok("dir:.").to_string(), "dir:.");
    assert_eq!(ok("dir:/").to_string(), "dir:/");
    let cases = [
        (
            "dir:/nonexistent/x",
            "lstat /nonexistent: no such file or directory".to_string(),
        ),
        (
            "dir:/nonexistent/x/y",
            "lstat /nonexistent: no such file or directory".to_string(),
        ),
        (
            "dir:/etc/passwd/x",
            "lstat /etc/passwd/x: not a directory".to_string(),
        ),
        (
            "dir:/etc/passwd/x/y",
            "lstat /etc/passwd/x/y: not a directory".to_string(),
        ),
        (
            "dir:/nonexistent/",
            "lstat /nonexistent: no such file or directory".to_string(),
        ),
    ];
    for (input, msg) in cases {
        assert_eq!(err(input), msg, "{input}");
    }
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        err("dir:skiff-no-such-dir/x"),
        format!(
            "lstat {}/skiff-no-such-dir: no such file or directory",
            cwd.display()
        )
    );
    assert_eq!(
        err(&format!("dir:{base}/file/x")),
        format!("lstat {base}/file/x: not a directory")
    );
}

#[test]
fn oci_layouts() {
    let (_td, base) = tmp();
    let layout = |path: &str, r: Option<&str>, i: Option<usize>| LayoutName {
        path: PathBuf::from(path),
        reference: r.map(str::to_string),
        source_index: i,
    };
    let p = format!("{base}/x");
    assert_eq!(
        ok(&format!("oci:{p}")),
        ImageName::Oci(layout(&p, None, None))
    );
    assert_eq!(ok(&format!("oci:{p}")).to_string(), format!("oci:{p}:"));
    assert_eq!(ok(&format!("oci:{p}:")).to_string(), format!("oci:{p}:"));
    assert_eq!(
        ok(&format!("oci:{p}:a:b")),
        ImageName::Oci(layout(&p, Some("a:b"), None))
    );
    assert_eq!(
        ok(&format!("oci:{p}:a--b")).to_string(),
        format!("oci:{p}:a--b")
    );
    let fancy = "A_b.c@d+e:f/g";
    assert_eq!(
        ok(&format!("oci:{p}:{fancy}")).to_string(),
        format!("oci:{p}:{fancy}")
    );
    assert_eq!(ok("oci:").to_string(), "oci::");
    assert_eq!(ok("oci::x").to_string(), "oci::x");
    // Index form (newer containers/image; skopeo 1.9.3 said "Invalid image @0").
    assert_eq!(
        ok(&format!("oci:{p}:@0")),
        ImageName::Oci(layout(&p, None, Some(0)))
    );
    assert_eq!(
        ok(&format!("oci:{p}:@+3")).to_string(),
        format!("oci:{p}:@3")
    );
    let bad_index = [
        (
            "@",
            r#"Invalid source index @: not an integer: strconv.Atoi: parsing "": invalid syntax"#,
        ),
        (
            "@x",
            r#"Invalid source index @x: not an integer: strconv.Atoi: parsing "x": invalid syntax"#,
        ),
        ("@-1", "Invalid source index @-1: must not be negative"),
    ];
    for (suffix, msg) in bad_index {
        assert_eq!(err(&format!("oci:{p}:{suffix}")), msg, "{suffix}");
    }
    for bad in [":", "a---b", "Bad Ref", "-a", "a//b", "a/", "é", "a-_b"] {
        assert_eq!(
            err(&format!("oci:{p}:{bad}")),
            format!("Invalid image {bad}"),
            "{bad}"
        );
        assert_eq!(
            err(&format!("oci-archive:{p}:{bad}")),
            format!("Invalid image {bad}")
        );
    }
    // The path is resolved before the reference name is checked.
    assert_eq!(
        err("oci:/nonexistent/x:Bad Ref"),
        "lstat /nonexistent: no such file or directory"
    );
    assert_eq!(
        err("oci:/nonexistent/x:@0"),
        "lstat /nonexistent: no such file or directory"
    );
    assert_eq!(
        err("oci:/nonexistent/x:@y").split(':').next(),
        Some("Invalid source index @y")
    );
    let a = format!("{base}/a.tar");
    assert_eq!(
        ok(&format!("oci-archive:{a}:img")),
        ImageName::OciArchive(layout(&a, Some("img"), None))
    );
    assert_eq!(
        ok(&format!("oci-archive:{a}")).to_string(),
        format!("oci-archive:{a}:")
    );
    assert_eq!(err(&format!("oci-archive:{a}:@0")), "Invalid image @0");
    assert_eq!(
        err("oci-archive:/etc/passwd/x:foo"),
        "lstat /etc/passwd/x: not a directory"
    );
    assert!(is_valid_oci_ref_name("v1.0"));
    assert!(!is_valid_oci_ref_name(""));
}

#[test]
fn docker_archive() {
    let h = h64();
    let name = |s: &str| ok(&format!("docker-archive:{s}"));
    let e = |s: &str| err(&format!("docker-archive:{s}"));
    let arch = |p: &str, r: Option<&str>, i: Option<usize>| {
        ImageName::DockerArchive(ArchiveName {
            path: PathBuf::from(p),
            reference: r.map(|r| crate::reference::DockerReference::parse_named(r).unwrap()),
            source_index: i,
        })
    };
    assert_eq!(name("/tmp/a.tar"), arch("/tmp/a.tar", None, None));
    assert_eq!(
        name("/nonexistent/a.tar:foo"),
        arch(
            "/nonexistent/a.tar",
            Some("docker.io/library/foo:latest"),
            None
        )
    );
    assert_eq!(
        name("/tmp/a.tar:foo").to_string(),
        "docker-archive:/tmp/a.tar:docker.io/library/foo:latest"
    );
    assert_eq!(
        name("/tmp/a.tar:foo:bar").to_string(),
        "docker-archive:/tmp/a.tar:docker.io/library/foo:bar"
    );
    assert_eq!(
        name("/tmp/a.tar:@-0").to_string(),
        "docker-archive:/tmp/a.tar:@0"
    );
    assert_eq!(name("/tmp/a.tar:@+3"), arch("/tmp/a.tar", None, Some(3)));
    assert_eq!(
        name(":foo").to_string(),
        "docker-archive::docker.io/library/foo:latest"
    );
    assert_eq!(name("/tmp/a.tar").to_string(), "docker-archive:/tmp/a.tar");
    let big = "99999999999999999999";
    let cases = [
        ("", "docker-archive reference  isn't of the form <path>[:<reference>]".to_string()),
        ("/tmp/a.tar:", "docker-archive parsing reference: invalid reference format".into()),
        ("/tmp/a.tar:@", r#"Invalid source index @: strconv.Atoi: parsing "": invalid syntax"#.into()),
        ("/tmp/a.tar:@abc", r#"Invalid source index @abc: strconv.Atoi: parsing "abc": invalid syntax"#.into()),
        ("/tmp/a.tar:@-1", "Invalid source index @-1: must not be negative".into()),
        ("/tmp/a.tar:@-01", "Invalid source index @-1: must not be negative".into()),
        (&format!("/tmp/a.tar:@{big}"), format!(r#"Invalid source index @{big}: strconv.Atoi: parsing "{big}": value out of range"#)),
        ("/tmp/a.tar:@1 ", r#"Invalid source index @1 : strconv.Atoi: parsing "1 ": invalid syntax"#.into()),
        ("/tmp/a.tar:@é", r#"Invalid source index @é: strconv.Atoi: parsing "é": invalid syntax"#.into()),
        ("/tmp/a.tar:@1:foo", r#"Invalid source index @1:foo: strconv.Atoi: parsing "1:foo": invalid syntax"#.into()),
        (&format!("/tmp/a.tar:foo@sha256:{h}"), format!("reference does not include a tag: docker.io/library/foo@sha256:{h}")),
        (&format!("/tmp/a.tar:foo:v1@sha256:{h}"), format!("docker-archive doesn't support digest references: docker.io/library/foo:v1@sha256:{h}")),
        ("/tmp/a.tar:Foo", "docker-archive parsing reference: invalid reference format: repository name must be lowercase".into()),
        ("/tmp/a.tar:foo:bar:baz", "docker-archive parsing reference: invalid reference format".into()),
        (&format!("/tmp/a.tar:{h}"), format!("docker-archive parsing reference: invalid repository name ({h}), cannot specify 64-byte hexadecimal strings")),
    ];
    for (input, msg) in cases {
        assert_eq!(e(input), msg, "{input}");
    }
}

#[test]
fn docker_daemon() {
    let h = h64();
    let name = |s: &str| ok(&format!("docker-daemon:{s}"));
    let e = |s: &str| err(&format!("docker-daemon:{s}"));
    assert_eq!(
        name(&format!("sha256:{h}")),
        ImageName::DockerDaemon(DaemonName::ImageId(format!("sha256:{h}")))
    );
    assert_eq!(
        name(&format!("sha256:{h}")).to_string(),
        format!("docker-daemon:sha256:{h}")
    );
    assert_eq!(name("busybox:v1").to_string(), "docker-daemon:busybox:v1");
    assert_eq!(
        name("docker.io/library/busybox:v1").to_string(),
        "docker-daemon:busybox:v1"
    );
    assert_eq!(
        name(&format!("busybox@sha256:{h}")).to_string(),
        format!("docker-daemon:busybox@sha256:{h}")
    );
    let md5 = format!("md5:{}", rep("a", 32));
    assert_eq!(name(&md5).to_string(), format!("docker-daemon:{md5}"));
    assert_eq!(
        name("foo/sha256:x").to_string(),
        "docker-daemon:foo/sha256:x"
    );
    let reserved = |s: &str| {
        format!(
            "Invalid docker-daemon: reference {s}: The sha256 repository name is reserved for (non-shortened) digest references"
        )
    };
    let sha512 = format!("sha512:{h}{h}");
    let sha384 = format!("sha384:{}", rep("a", 96));
    let upper = format!("sha256:{}", rep("A", 64));
    let cases = [
        ("", "invalid reference format".to_string()),
        (
            "busybox",
            "docker-daemon: reference busybox has neither a tag nor a digest".into(),
        ),
        (
            "quay.io/a/b",
            "docker-daemon: reference quay.io/a/b has neither a tag nor a digest".into(),
        ),
        (
            &sha512,
            format!(
                "Invalid docker-daemon: reference {sha512}: only digest algorithm sha256 accepted"
            ),
        ),
        (
            &sha384,
            format!(
                "Invalid docker-daemon: reference {sha384}: only digest algorithm sha256 accepted"
            ),
        ),
        ("sha256:abc", reserved("sha256:abc")),
        ("sha256", reserved("sha256")),
        ("sha256:latest", reserved("sha256:latest")),
        (
            "docker.io/library/sha256:x",
            reserved("docker.io/library/sha256:x"),
        ),
        (&upper, reserved(&upper)),
        (
            &h,
            format!("invalid repository name ({h}), cannot specify 64-byte hexadecimal strings"),
        ),
        (
            &format!("busybox:v1@sha256:{h}"),
            "docker-daemon: references with both a tag and digest are currently not supported"
                .into(),
        ),
        (
            "Busybox",
            "invalid reference format: repository name must be lowercase".into(),
        ),
    ];
    for (input, msg) in cases {
        assert_eq!(e(input), msg, "{input}");
    }
}
