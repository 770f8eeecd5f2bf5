//! The docker reference grammar and normalisation.

use super::{h64, rep};
use crate::reference::docker::errors;
use crate::reference::{DockerReference, is_valid_digest_string, validate_tag};

const INVALID: &str = "invalid reference format";
const UPPER: &str = "invalid reference format: repository name must be lowercase";

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
