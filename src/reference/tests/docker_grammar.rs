//! The docker reference grammar and normalisation, and the `docker:` transport.

use super::{h64, rep};
use crate::reference::docker::errors;
use crate::reference::{DockerReference, ImageName, is_valid_digest_string, validate_tag};

const INVALID: &str = "invalid reference format";
const UPPER: &str = "invalid reference format: repository name must be lowercase";

/// (input after `docker://`, Ok(displayed `docker://…` name) | Err(message)).
fn docker_cases() -> Vec<(String, Result<String, String>)> {
    let ok = |i: &str, o: &str| (i.to_string(), Ok(o.to_string()));
    let err = |i: &str, e: &str| (i.to_string(), Err(e.to_string()));
    let h = h64();
    let d256 = format!("sha256:{h}");
    vec![
        ok("busybox", "docker://busybox:latest"),
        ok("busybox:1.36", "docker://busybox:1.36"),
        ok("library/busybox", "docker://busybox:latest"),
        ok("docker.io/library/busybox", "docker://busybox:latest"),
        ok("index.docker.io/foo", "docker://foo:latest"),
        ok("docker.io/foo/bar", "docker://foo/bar:latest"),
        ok("user/repo:v1", "docker://user/repo:v1"),
        ok("a/b/c/d", "docker://a/b/c/d:latest"),
        ok("localhost/foo", "docker://localhost/foo:latest"),
        ok("localhost:5000/foo", "docker://localhost:5000/foo:latest"),
        ok("localhost", "docker://localhost:latest"),
        ok("localhost:5000", "docker://localhost:5000"),
        ok("foo:5000", "docker://foo:5000"),
        ok("quay.io/a/b:t", "docker://quay.io/a/b:t"),
        ok("Example.COM/x", "docker://Example.COM/x:latest"),
        ok("Foo.com:5000/bar:Tag", "docker://Foo.com:5000/bar:Tag"),
        ok("foo_bar.com/x", "docker://foo_bar.com/x:latest"),
        ok("busybox:Tag_UP", "docker://busybox:Tag_UP"),
        ok("busybox:_tag", "docker://busybox:_tag"),
        ok("a--b/c", "docker://a--b/c:latest"),
        ok("a__b", "docker://a__b:latest"),
        ok(&format!("{h}:tag"), &format!("docker://{h}:tag")),
        ok(&format!("x/{h}"), &format!("docker://x/{h}:latest")),
        ok(
            &format!("busybox@{d256}"),
            &format!("docker://busybox@{d256}"),
        ),
        ok(
            &format!("busybox@sha384:{}", rep("a", 96)),
            &format!("docker://busybox@sha384:{}", rep("a", 96)),
        ),
        ok(
            &format!("busybox@sha512:{}", rep("a", 128)),
            &format!("docker://busybox@sha512:{}", rep("a", 128)),
        ),
        ok(
            &rep("a", 237),
            &format!("docker://{}:latest", rep("a", 237)),
        ),
        ok(
            &format!("busybox:{}", rep("a", 128)),
            &format!("docker://busybox:{}", rep("a", 128)),
        ),
        err("", INVALID),
        err("/", INVALID),
        err("UPPER/x", UPPER),
        err("Upper", UPPER),
        err("example.com/Upper", UPPER),
        err("busybox:", INVALID),
        err("busybox@", INVALID),
        err(
            &h,
            &format!("invalid repository name ({h}), cannot specify 64-byte hexadecimal strings"),
        ),
        err(
            &format!("busybox:v1@{d256}"),
            "Docker references with both a tag and digest are currently not supported",
        ),
        err("busybox@sha256:abc", INVALID),
        err(
            &format!("busybox@sha256:{}", rep("a", 32)),
            "invalid checksum digest length",
        ),
        err(
            &format!("busybox@sha256:{}", rep("A", 64)),
            "invalid checksum digest format",
        ),
        err(
            &format!("busybox@md5:{}", rep("a", 32)),
            "unsupported digest algorithm",
        ),
        err(&format!("busybox@SHA256:{h}"), UPPER),
        err(
            &format!("busybox@sha512:{h}"),
            "invalid checksum digest length",
        ),
        err(
            &rep("a", 238),
            "repository name must not be more than 255 characters",
        ),
        err(&format!("busybox:{}", rep("a", 129)), INVALID),
        err("[::1]:5000/foo", INVALID),
        err("a___b", INVALID),
        err("a-", INVALID),
        err("-a", INVALID),
        err("a.-b", INVALID),
        err("a..b", INVALID),
        err("a//b", INVALID),
        err("a/", INVALID),
        err("busybox:.tag", INVALID),
        err("busybox:-tag", INVALID),
        err("foo.com:abc/bar", INVALID),
        err("foo-.com/bar", INVALID),
        err("a:b:c", INVALID),
        err("a@b@c", INVALID),
        err("/busybox", INVALID),
    ]
}

#[test]
fn docker_transport_table() {
    for (input, want) in docker_cases() {
        let got = ImageName::parse(&format!("docker://{input}"));
        match (&got, &want) {
            (Ok(n), Ok(w)) => assert_eq!(&n.to_string(), w, "docker://{input}"),
            (Err(e), Err(w)) => assert_eq!(&e.to_string(), w, "docker://{input}"),
            _ => panic!("docker://{input}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn docker_transport_prefix() {
    for (input, msg) in [
        (
            "docker:busybox",
            "docker: image reference busybox does not start with //",
        ),
        (
            "docker:/busybox",
            "docker: image reference /busybox does not start with //",
        ),
        ("docker:", "docker: image reference  does not start with //"),
        ("docker:///busybox", INVALID),
    ] {
        assert_eq!(
            ImageName::parse(input).unwrap_err().to_string(),
            msg,
            "{input}"
        );
    }
}

#[test]
fn normalized_parts() {
    // (input, domain, path, tag, familiar name, canonical string)
    let cases = [
        (
            "busybox",
            "docker.io",
            "library/busybox",
            None,
            "busybox",
            "docker.io/library/busybox",
        ),
        (
            "a/b:t",
            "docker.io",
            "a/b",
            Some("t"),
            "a/b",
            "docker.io/a/b:t",
        ),
        (
            "docker.io/library/a/b",
            "docker.io",
            "library/a/b",
            None,
            "library/a/b",
            "docker.io/library/a/b",
        ),
        (
            "localhost:5000/x",
            "localhost:5000",
            "x",
            None,
            "localhost:5000/x",
            "localhost:5000/x",
        ),
        (
            "foo_bar.com/x",
            "",
            "foo_bar.com/x",
            None,
            "foo_bar.com/x",
            "foo_bar.com/x",
        ),
        (
            "docker.io",
            "docker.io",
            "library/docker.io",
            None,
            "docker.io",
            "docker.io/library/docker.io",
        ),
        (
            "Docker.io/x",
            "Docker.io",
            "x",
            None,
            "Docker.io/x",
            "Docker.io/x",
        ),
    ];
    for (input, domain, path, tag, familiar, canonical) in cases {
        let r = DockerReference::parse_normalized_named(input).unwrap();
        assert_eq!(r.domain(), domain, "{input}");
        assert_eq!(r.path(), path, "{input}");
        assert_eq!(r.tag(), tag, "{input}");
        assert_eq!(r.familiar_name(), familiar, "{input}");
        assert_eq!(r.to_string(), canonical, "{input}");
        assert_eq!(r.name(), r.without_tag_or_digest().to_string());
        let expected_name = if domain.is_empty() {
            path.to_string()
        } else {
            format!("{domain}/{path}")
        };
        assert_eq!(r.name(), expected_name);
        assert_eq!(r.is_name_only(), tag.is_none());
    }
}

#[test]
fn parse_named_requires_canonical() {
    let not = errors::NAME_NOT_CANONICAL;
    assert!(DockerReference::parse_named("docker.io/library/busybox:latest").is_ok());
    assert!(DockerReference::parse_named("quay.io/a/b").is_ok());
    for input in [
        "busybox",
        "library/busybox",
        "index.docker.io/library/busybox",
        "docker.io/busybox",
    ] {
        assert_eq!(
            DockerReference::parse_named(input).unwrap_err().to_string(),
            not,
            "{input}"
        );
    }
    assert_eq!(
        DockerReference::parse_named("UP").unwrap_err().to_string(),
        UPPER
    );
}

#[test]
fn unnormalized_parse() {
    let p = |s: &str| DockerReference::parse_unnormalized(s).map_err(|e| e.to_string());
    assert_eq!(
        p("").unwrap_err(),
        "repository name must have at least one component"
    );
    assert_eq!(
        p("Busybox").unwrap_err(),
        "repository name must be lowercase"
    );
    assert_eq!(p("a/B:t").unwrap_err(), "repository name must be lowercase");
    assert_eq!(p("a b").unwrap_err(), INVALID);
    let r = p("busybox").unwrap();
    assert_eq!((r.domain(), r.path()), ("", "busybox"));
    let r = p("a/b").unwrap();
    assert_eq!((r.domain(), r.path()), ("a", "b"));
    assert_eq!(p(&rep("a", 256)).unwrap_err(), errors::NAME_TOO_LONG);
}

#[test]
fn familiar_strings_and_defaults() {
    let h = h64();
    let r = DockerReference::parse_normalized_named(&format!("docker.io/library/x:t@sha256:{h}"))
        .unwrap();
    assert_eq!(r.familiar_string(), format!("x:t@sha256:{h}"));
    assert_eq!(r.to_string(), format!("docker.io/library/x:t@sha256:{h}"));
    assert_eq!(r.clone().with_default_tag(), r);
    assert_eq!(r.without_tag_or_digest().to_string(), "docker.io/library/x");
    let bare = DockerReference::parse_normalized_named("x").unwrap();
    assert_eq!(
        bare.clone().with_default_tag().familiar_string(),
        "x:latest"
    );
    let digested = bare.with_digest(&format!("sha256:{h}")).unwrap();
    assert_eq!(digested.clone().with_default_tag(), digested);
    let docker_ref = DockerReference::parse_docker_ref(&format!("x:t@sha256:{h}")).unwrap();
    assert_eq!(
        docker_ref.to_string(),
        format!("docker.io/library/x@sha256:{h}")
    );
    assert_eq!(
        DockerReference::parse_docker_ref("x").unwrap().to_string(),
        "docker.io/library/x:latest"
    );
}

#[test]
fn with_tag_and_digest() {
    let r = DockerReference::parse_normalized_named("quay.io/a/b:old").unwrap();
    assert_eq!(r.with_tag("new").unwrap().to_string(), "quay.io/a/b:new");
    for bad in ["", ".x", "-x", "a b", &rep("a", 129)] {
        assert_eq!(
            r.with_tag(bad).unwrap_err().to_string(),
            "invalid tag format",
            "{bad}"
        );
        assert!(validate_tag(bad).is_err());
    }
    let h = h64();
    let d = r.with_digest(&format!("sha256:{h}")).unwrap();
    assert_eq!(d.to_string(), format!("quay.io/a/b:old@sha256:{h}"));
    assert_eq!(
        d.with_tag("n").unwrap().digest(),
        Some(format!("sha256:{h}").as_str())
    );
    assert_eq!(
        r.with_digest("sha256:xyz").unwrap_err().to_string(),
        "invalid digest format"
    );
    let short = format!("sha256:{}", rep("a", 40));
    assert_eq!(
        r.with_digest(&short).unwrap_err().to_string(),
        "invalid checksum digest length"
    );
    assert!(is_valid_digest_string(&format!("sha256:{h}")));
    assert!(!is_valid_digest_string(&short));
}

/// `parse_normalized_named` as the policy's `exactReference`/`exactRepository` use it: whether
/// the reference has a tag or digest, or the error text.
#[test]
fn normalized_named_tagged_or_error() {
    let tagged = |s: &str| {
        DockerReference::parse_normalized_named(s)
            .map(|r| !r.is_name_only())
            .map_err(|e| e.to_string())
    };
    let h = h64();
    assert_eq!(tagged("busybox"), Ok(false));
    assert_eq!(tagged("busybox:latest"), Ok(true));
    assert_eq!(tagged("localhost:5000/a/b:v1"), Ok(true));
    assert_eq!(tagged(&format!("quay.io/a/b@sha256:{h}")), Ok(true));
    assert_eq!(tagged(""), Err(INVALID.to_string()));
    assert_eq!(tagged("Busybox:latest"), Err(UPPER.to_string()));
    assert_eq!(tagged("busybox:x@@"), Err(INVALID.to_string()));
    assert_eq!(
        tagged(&h),
        Err(format!(
            "invalid repository name ({h}), cannot specify 64-byte hexadecimal strings"
        ))
    );
    assert_eq!(
        tagged(&format!("busybox@sha256:{}", rep("a", 32))),
        Err("invalid checksum digest length".to_string())
    );
    assert_eq!(
        tagged(&format!("busybox@sha256:{}", rep("A", 64))),
        Err("invalid checksum digest format".to_string())
    );
    assert_eq!(
        tagged(&format!("busybox@md5:{}", rep("a", 32))),
        Err("unsupported digest algorithm".to_string())
    );
}
