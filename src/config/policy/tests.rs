//! Tests for the policy module. `ORACLE_CASES` was produced by running skopeo 1.9.3;
//! `oracle_still_agrees` re-runs skopeo on every case, copying an image it builds.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::reference::path::go_clean;

mod oracle_cases;
use oracle_cases::ORACLE_CASES;

fn err_text(input: &[u8]) -> String {
    match Policy::from_bytes(input) {
        Ok(_) => "OK".to_string(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn parse_messages_match_skopeo() {
    let mut failures = Vec::new();
    for (input, expected) in ORACLE_CASES {
        let got = err_text(input.as_bytes());
        if got != *expected {
            failures.push(format!(
                "{input}\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `keyPaths`, `keyDatas`, `fulcio` and `rekorPublicKey*` of `sigstoreSigned` are skopeo HEAD's (1.9.3 refuses them as
/// unknown keys, so they are not among the oracle's cases): HEAD's checks and words.
#[test]
fn sigstore_fields_of_skopeo_head() {
    let cases = [
        (r#"{"type":"sigstoreSigned","keyPaths":["/a","/b"]}"#, "OK"),
        (
            r#"{"type":"sigstoreSigned","keyDatas":["aGVsbG8=","aGk="]}"#,
            "OK",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPaths":[]}"#,
            r#""keyPaths" contains no entries"#,
        ),
        (
            r#"{"type":"sigstoreSigned","keyDatas":null}"#,
            r#""keyDatas" contains no entries"#,
        ),
        (
            r#"{"type":"sigstoreSigned","keyPath":"/x","keyPaths":["/x"]}"#,
            "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPaths":["/x"],"keyDatas":["aGk="]}"#,
            "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified",
        ),
        (
            r#"{"type":"sigstoreSigned","keyDatas":["!"]}"#,
            "illegal base64 data at input byte 0",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPaths":"/x"}"#,
            "json: cannot unmarshal string into Go value of type []string",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPath":"/x","fulcio":{}}"#,
            "At least one of caPath and caData must be specified",
        ),
        (
            r#"{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","oidcIssuer":"https://o"}}"#,
            "subjectEmail not specified",
        ),
        (
            r#"{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","caData":"","oidcIssuer":"i","subjectEmail":"e"}}"#,
            "caPath and caData cannot be used simultaneously",
        ),
        (
            r#"{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","oidcIssuer":"i","subjectEmail":"e"}}"#,
            "At least one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas must be specified if fulcio is used",
        ),
        (
            r#"{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","oidcIssuer":"i","subjectEmail":"e"},"rekorPublicKeyPath":"/r"}"#,
            "OK",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPath":"/x","keyData":"","fulcio":{"caPath":"/ca","oidcIssuer":"i","subjectEmail":"e"}}"#,
            "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPath":"/x","rekorPublicKeyPath":"/y"}"#,
            "OK",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPath":"/x","rekorPublicKeyPath":"/y","rekorPublicKeyData":""}"#,
            "at most one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas can be used simultaneously",
        ),
        (
            r#"{"type":"sigstoreSigned","keyPath":"/x","rekorPublicKeyPaths":[]}"#,
            r#""rekorPublickeyPaths" contains no entries"#,
        ),
        (
            r#"{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","oidcIssuer":"i","subjectEmail":"e","x":1},"rekorPublicKeyPath":"/r"}"#,
            r#"Unknown key "x""#,
        ),
    ];
    for (req, expected) in cases {
        let policy = format!(r#"{{"default":[{req}]}}"#);
        assert_eq!(err_text(policy.as_bytes()), expected, "{req}");
    }
    let p = Policy::from_bytes(br#"{"default":[{"type":"sigstoreSigned","keyDatas":["aGk="]}]}"#)
        .unwrap();
    assert!(format!("{p:?}").contains("Datas"));
}

/// `pki` of `sigstoreSigned` (skopeo HEAD): c/image's checks, in its order, and its words.
#[test]
fn sigstore_pki_fields_of_skopeo_head() {
    let cases = [
        (
            r#"{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","subjectEmail":"e"}}"#,
            "OK",
        ),
        (
            r#"{"type":"sigstoreSigned","pki":{"caRootsData":"aGk=","caIntermediatesData":"aGk=","subjectHostname":"h"}}"#,
            "OK",
        ),
        (
            r#"{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","caRootsData":"","subjectEmail":"e"}}"#,
            "caRootsPath and caRootsData cannot be used simultaneously",
        ),
        (
            r#"{"type":"sigstoreSigned","pki":{"subjectEmail":"e"}}"#,
            "At least one of caRootsPath and caRootsData must be specified",
        ),
        (
            r#"{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","caIntermediatesPath":"/i","caIntermediatesData":"","subjectEmail":"e"}}"#,
            "caIntermediatesPath and caIntermediatesData cannot be used simultaneously",
        ),
        (
            r#"{"type":"sigstoreSigned","pki":{"caRootsPath":"/r"}}"#,
            "At least one of subjectEmail, subjectHostname must be specified",
        ),
        (
            r#"{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","subjectEmail":"e","y":1}}"#,
            r#"Unknown key "y""#,
        ),
        (
            r#"{"type":"sigstoreSigned","keyPath":"/k","pki":{"caRootsPath":"/r","subjectEmail":"e"}}"#,
            "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified",
        ),
        (
            r#"{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","subjectEmail":"e"},"rekorPublicKeyPath":"/k"}"#,
            "rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas are not supported for pki",
        ),
    ];
    for (req, expected) in cases {
        let policy = format!(r#"{{"default":[{req}]}}"#);
        assert_eq!(err_text(policy.as_bytes()), expected, "{req}");
    }
}

#[test]
fn byte_level_syntax_errors() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"{\"a\":\x01}",
            r"invalid character '\x01' looking for beginning of value",
        ),
        (
            b"{\"a\":\x7f}",
            r"invalid character '\x7f' looking for beginning of value",
        ),
        (
            b"{\"a\":\x80}",
            r"invalid character '\u0080' looking for beginning of value",
        ),
        (
            b"{\"a\":\xa0}",
            r"invalid character '\u00a0' looking for beginning of value",
        ),
        (
            b"{\"a\":\xad}",
            r"invalid character '\u00ad' looking for beginning of value",
        ),
        (
            b"{\"a\":\xc3}",
            "invalid character '\u{c3}' looking for beginning of value",
        ),
        (
            b"{\"a\":\xff}",
            "invalid character '\u{ff}' looking for beginning of value",
        ),
        (
            b"{\"a\":'}",
            r"invalid character '\'' looking for beginning of value",
        ),
        (b"{\"a\":\"}", "unexpected end of JSON input"),
        (
            b"\xef\xbb\xbf{\"default\":[{\"type\":\"reject\"}]}",
            "invalid character '\u{ef}' looking for beginning of value",
        ),
        (
            b"{\"a\":\\}",
            r"invalid character '\\' looking for beginning of value",
        ),
        (
            b"{\"a\":\n}",
            "invalid character '}' looking for beginning of value",
        ),
        // Invalid UTF-8 inside strings is accepted and decoded as U+FFFD, byte by byte.
        (
            b"{\"default\":[{\"type\":\"reject\"}],\"\xe2\x82x\":1}",
            "Unknown key \"\u{fffd}\u{fffd}x\"",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            err_text(input),
            *expected,
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn nesting_depth_limit() {
    let deep = |n: usize| format!("{{\"default\":{}{}}}", "[".repeat(n), "]".repeat(n));
    assert_eq!(
        err_text(deep(10001).as_bytes()),
        "invalid character '[' exceeded max depth"
    );
    assert_eq!(
        err_text(deep(9999).as_bytes()),
        "json: cannot unmarshal array into Go value of type signature.prCommon"
    );
    // Far deeper than any stack could recurse: still just an error.
    assert_eq!(
        err_text(deep(1_000_000).as_bytes()),
        "invalid character '[' exceeded max depth"
    );
}

#[test]
fn no_panics_on_garbage() {
    // Every prefix of a rich policy, and a few byte-level mutations of it.
    let text = ORACLE_CASES
        .iter()
        .find(|(i, e)| *e == "OK" && i.contains("containers-storage"))
        .map(|(i, _)| i.as_bytes().to_vec())
        .unwrap_or_default();
    for n in 0..text.len() {
        let _ = Policy::from_bytes(&text[..n]);
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3000 {
        let mut t = text.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let pos = (seed % t.len() as u64) as usize;
            t[pos] = (seed >> 32) as u8;
        }
        let _ = Policy::from_bytes(&t);
    }
}

#[test]
fn large_policies_parse_quickly() {
    let scopes: Vec<String> = (0..50_000)
        .map(|i| format!(r#""example.com/r{i}":[{{"type":"reject"}}]"#))
        .collect();
    let text = format!(
        r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{{}}}}}}}"#,
        scopes.join(",")
    );
    let start = std::time::Instant::now();
    let p = Policy::from_bytes(text.as_bytes()).unwrap();
    assert_eq!(p.transport_scopes("docker").unwrap().len(), 50_000);
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn parsed_structure() {
    let p = Policy::from_bytes(
        br#"{
            "default": [{"type": "reject"}],
            "transports": {
                "docker": {
                    "example.com/a": [
                        {"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/k1", "/k2"]},
                        {"type": "signedBaseLayer", "baseLayerIdentity": {"type": "matchRepository"}}
                    ],
                    "example.com/b": [
                        {"type": "sigstoreSigned", "keyData": "aGVsbG8=",
                         "signedIdentity": {"type": "remapIdentity", "prefix": "example.com", "signedPrefix": "mirror.example.com/x"}}
                    ],
                    "example.com/c": [
                        {"type": "signedBy", "keyType": "signedByX509CAs", "keyData": [104, 105],
                         "signedIdentity": {"type": "exactReference", "dockerReference": "busybox:1"}}
                    ]
                },
                "dir": {"": [{"type": "insecureAcceptAnything"}]}
            }
        }"#,
    )
    .unwrap();
    assert_eq!(p.default_requirements(), &[PolicyRequirement::Reject]);
    let docker = p.transport_scopes("docker").unwrap();
    assert_eq!(
        docker["example.com/a"],
        vec![
            PolicyRequirement::SignedBy {
                key_type: KeyType::GpgKeys,
                keys: SignedByKeys::Paths(vec!["/k1".into(), "/k2".into()]),
                signed_identity: PolicyReferenceMatch::MatchRepoDigestOrExact,
            },
            PolicyRequirement::SignedBaseLayer {
                base_layer_identity: PolicyReferenceMatch::MatchRepository
            },
        ]
    );
    assert_eq!(
        docker["example.com/b"],
        vec![PolicyRequirement::SigstoreSigned {
            key: SigstoreKey::Data(b"hello".to_vec()),
            rekor: None,
            signed_identity: PolicyReferenceMatch::RemapIdentity {
                prefix: "example.com".into(),
                signed_prefix: "mirror.example.com/x".into()
            },
        }]
    );
    assert_eq!(
        docker["example.com/c"],
        vec![PolicyRequirement::SignedBy {
            key_type: KeyType::SignedByX509Cas,
            keys: SignedByKeys::Data(b"hi".to_vec()),
            signed_identity: PolicyReferenceMatch::ExactReference {
                docker_reference: "busybox:1".into()
            },
        }]
    );
    assert_eq!(
        p.transport_scopes("dir").unwrap()[""],
        vec![PolicyRequirement::InsecureAcceptAnything]
    );
    assert!(p.transport_scopes("oci").is_none());
}

/// `exactReference`/`exactRepository` with characters whose lowercase is ASCII only under Go's
/// simple case mapping (U+0130 → `i`): what skopeo 1.9.3 says about them.
#[test]
fn reference_checks_lowercase_like_go() {
    let policy = |t: &str, field: &str, value: &str| {
        format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"/x","signedIdentity":{{"type":"{t}","{field}":"{value}"}}}}]}}"#
        )
    };
    let lower = "repository name must be lowercase";
    let upper = "invalid reference format: repository name must be lowercase";
    for (value, why) in [
        ("busybox:\u{130}", lower),
        ("\u{130}.com/foo", lower),
        ("busybox:\u{212a}", lower),
        ("localhost/a:\u{130}", lower),
        ("x\u{130}", upper),
        ("a\u{3a3}", upper),
    ] {
        for (t, field) in [
            ("exactReference", "dockerReference"),
            ("exactRepository", "dockerRepository"),
        ] {
            assert_eq!(
                err_text(policy(t, field, value).as_bytes()),
                format!("Invalid format of {field} {value}: {why}"),
                "{t} {value}"
            );
        }
    }
}

// ---- loading ----

fn write(path: &Path, contents: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

const ACCEPT: &str = r#"{"default":[{"type":"insecureAcceptAnything"}]}"#;
const REJECT: &str = r#"{"default":[{"type":"reject"}]}"#;

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Env { _dir: dir, root }
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
    fn home(&self) -> PathBuf {
        self.path("home")
    }
    fn user_file(&self) -> PathBuf {
        self.path("home/.config/containers/policy.json")
    }
    fn system(&self) -> PathBuf {
        self.path("etc/containers/policy.json")
    }
    fn load(&self, explicit: Option<&Path>, env: Option<&str>) -> Result<Policy> {
        let home = self.home();
        load_from(explicit, env.map(OsStr::new), Some(&home), &self.system())
    }
}

#[test]
fn load_explicit_wins() {
    let e = Env::new();
    write(&e.path("explicit.json"), REJECT);
    write(&e.path("env.json"), ACCEPT);
    write(&e.user_file(), ACCEPT);
    write(&e.system(), ACCEPT);
    let env = e.path("env.json");
    let p = e
        .load(Some(&e.path("explicit.json")), env.to_str())
        .unwrap();
    assert_eq!(p.default_requirements(), &[PolicyRequirement::Reject]);
}

#[test]
fn load_explicit_errors() {
    let e = Env::new();
    write(&e.user_file(), ACCEPT);
    let missing = e.path("nope.json");
    assert_eq!(
        e.load(Some(&missing), None).unwrap_err().to_string(),
        format!("open {}: no such file or directory", missing.display())
    );
    assert_eq!(
        e.load(Some(&e.root), None).unwrap_err().to_string(),
        format!("read {}: is a directory", e.root.display())
    );
    let under_file = e.user_file().join("x");
    assert_eq!(
        e.load(Some(&under_file), None).unwrap_err().to_string(),
        format!("open {}: not a directory", under_file.display())
    );
    let bad = e.path("bad\n\"name\".json");
    write(&bad, "{}");
    assert_eq!(
        e.load(Some(&bad), None).unwrap_err().to_string(),
        format!(
            "invalid policy in \"{}/bad\\n\\\"name\\\".json\": Default policy is missing",
            e.root.display()
        )
    );
    let err = e.load(Some(&bad), None).unwrap_err();
    assert!(matches!(err, PolicyError::InvalidFile { .. }));
}

#[test]
fn load_empty_explicit_means_default() {
    let e = Env::new();
    write(&e.system(), REJECT);
    let p = e.load(Some(Path::new("")), None).unwrap();
    assert_eq!(p.default_requirements(), &[PolicyRequirement::Reject]);
}

#[test]
fn load_env_var() {
    let e = Env::new();
    write(&e.path("env.json"), REJECT);
    write(&e.user_file(), ACCEPT);
    write(&e.system(), ACCEPT);
    let env = e.path("env.json");
    let p = e.load(None, env.to_str()).unwrap();
    assert_eq!(p.default_requirements(), &[PolicyRequirement::Reject]);
    // An empty variable is ignored.
    let p = e.load(None, Some("")).unwrap();
    assert_eq!(
        p.default_requirements(),
        &[PolicyRequirement::InsecureAcceptAnything]
    );
    // A named file must exist; there is no fallback.
    let missing = e.path("missing.json");
    assert_eq!(
        e.load(None, missing.to_str()).unwrap_err().to_string(),
        format!("open {}: no such file or directory", missing.display())
    );
}

#[test]
fn load_user_then_system() {
    let e = Env::new();
    write(&e.user_file(), REJECT);
    write(&e.system(), ACCEPT);
    let p = e.load(None, None).unwrap();
    assert_eq!(p.default_requirements(), &[PolicyRequirement::Reject]);
    fs::remove_file(e.user_file()).unwrap();
    let p = e.load(None, None).unwrap();
    assert_eq!(
        p.default_requirements(),
        &[PolicyRequirement::InsecureAcceptAnything]
    );
    // An invalid user file is reported, not skipped.
    write(&e.user_file(), "{}");
    assert_eq!(
        e.load(None, None).unwrap_err().to_string(),
        format!(
            "invalid policy in \"{}\": Default policy is missing",
            e.user_file().display()
        )
    );
}

#[test]
fn load_missing_everywhere() {
    let e = Env::new();
    let err = e.load(None, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no policy.json file found at any of the following: \"{}\", \"{}\"",
            e.user_file().display(),
            e.system().display()
        )
    );
    // Unknown home: Go joins "" and gets a relative path.
    let err = load_from(None, None, None, &e.system()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no policy.json file found at any of the following: \".config/containers/policy.json\", \"{}\"",
            e.system().display()
        )
    );
    // The home path is cleaned the way Go's filepath.Join does.
    let messy = e.root.join("home/./sub/..//");
    let err = load_from(None, None, Some(&messy), &e.system()).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("\"{}\"", e.user_file().display())),
        "{err}"
    );
}

#[test]
fn insecure_policy_accepts_everything() {
    let p = Policy::insecure_accept_anything();
    assert_eq!(
        p.default_requirements(),
        &[PolicyRequirement::InsecureAcceptAnything]
    );
    assert_eq!(p.check_source(&subject("docker", "x", &[])), Ok(()));
}

// ---- evaluation ----

fn subject(transport: &str, identity: &str, namespaces: &[&str]) -> PolicySubject {
    PolicySubject {
        transport: transport.to_string(),
        identity: identity.to_string(),
        namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        display: format!("{transport}:{identity}"),
    }
}

/// Which scope was selected, told apart by the rejection message it produces.
fn selected(p: &Policy, s: &PolicySubject) -> String {
    match p.requirements_for(s) {
        [
            PolicyRequirement::SignedBaseLayer {
                base_layer_identity: PolicyReferenceMatch::ExactRepository { docker_repository },
            },
        ] => docker_repository.clone(),
        other => format!("{other:?}"),
    }
}

fn marker(name: &str) -> String {
    format!(
        r#"[{{"type":"signedBaseLayer","baseLayerIdentity":{{"type":"exactRepository","dockerRepository":"{name}"}}}}]"#
    )
}

#[test]
fn scope_selection_order() {
    let text = format!(
        r#"{{"default":{},"transports":{{"docker":{{
            "example.com/ns/repo:tag":{},
            "example.com/ns/repo":{},
            "example.com/ns":{},
            "*.com":{},
            "":{}
        }},"dir":{{"/tmp/a":{}}}}}}}"#,
        marker("global"),
        marker("identity"),
        marker("repo"),
        marker("ns"),
        marker("wildcard"),
        marker("transport-default"),
        marker("dir-a"),
    );
    let p = Policy::from_bytes(text.as_bytes()).unwrap();
    let ns = docker_namespaces("example.com/ns/repo");
    let ns: Vec<&str> = ns.iter().map(String::as_str).collect();
    let docker = |identity: &str| subject("docker", identity, &ns);
    assert_eq!(selected(&p, &docker("example.com/ns/repo:tag")), "identity");
    assert_eq!(selected(&p, &docker("example.com/ns/repo:other")), "repo");
    // Namespaces are tried in order: the first one with a scope wins.
    let only_host = subject("docker", "x", &["example.com", "*.com"]);
    assert_eq!(selected(&p, &only_host), "wildcard");
    let ns_first = subject("docker", "x", &["example.com/ns", "*.com"]);
    assert_eq!(selected(&p, &ns_first), "ns");
    let nothing = subject(
        "docker",
        "other.org/x:1",
        &["other.org/x", "other.org", "*.org"],
    );
    assert_eq!(selected(&p, &nothing), "transport-default");
    // A transport section without a matching scope and without "" falls back to the default.
    let dir = subject(
        "dir",
        "/var/x",
        &path_namespaces("/var/x")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(selected(&p, &dir), "global");
    let dir_a = path_namespaces("/tmp/a/b/c");
    let dir_a: Vec<&str> = dir_a.iter().map(String::as_str).collect();
    assert_eq!(selected(&p, &subject("dir", "/tmp/a/b/c", &dir_a)), "dir-a");
    // No section for the transport at all.
    assert_eq!(
        selected(&p, &subject("oci", "/tmp/a", &["/tmp/a", "/tmp"])),
        "global"
    );
}

#[test]
fn evaluation() {
    let p = Policy::from_bytes(
        br#"{"default":[{"type":"insecureAcceptAnything"}],
             "transports":{
               "oci":{"/srv/images":[{"type":"insecureAcceptAnything"},{"type":"reject"}]},
               "docker":{
                 "signed.example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}],
                 "sigstore.example.com":[{"type":"sigstoreSigned","keyPath":"/k"}],
                 "layer.example.com":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}}],
                 "first.example.com":[{"type":"reject"},{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}]
               }}}"#,
    )
    .unwrap();
    let (id, ns) = oci_identity_and_namespaces("/srv/images/app", "latest");
    let mut s = subject(
        "oci",
        &id,
        &ns.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    s.display = "oci:/srv/images/app:latest".to_string();
    let err = p.check_source(&s).unwrap_err();
    assert_eq!(
        err,
        PolicyError::Rejected(
            "Running image oci:/srv/images/app:latest is rejected by policy.".into()
        )
    );
    assert_eq!(
        p.check_source(&subject("oci", "/elsewhere", &["/elsewhere"])),
        Ok(())
    );

    let docker = |host: &str| {
        let name = format!("{host}/app");
        let ns = docker_namespaces(&name);
        subject(
            "docker",
            &docker_identity(&format!("{name}:1")),
            &ns.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    // Shortcuts that read nothing of the image leave signature requirements to `evaluate`.
    let err = p.check_source(&docker("signed.example.com")).unwrap_err();
    assert!(matches!(err, PolicyError::Unsupported(_)));
    let image = |subject: &PolicySubject| {
        let unsigned = PolicyImage {
            subject,
            docker_reference: None,
            manifest: b"{}",
            signatures: Some(Ok(Vec::new())),
        };
        p.evaluate(&unsigned)
    };
    assert!(p.needs_signatures(&docker("signed.example.com")));
    assert!(!p.needs_signatures(&docker("layer.example.com")));
    assert_eq!(
        image(&docker("signed.example.com")),
        Err(PolicyError::Rejected(
            "A signature was required, but no signature exists".into()
        ))
    );
    assert_eq!(
        image(&docker("sigstore.example.com")),
        Err(PolicyError::Rejected(
            "A signature was required, but no signature exists".into()
        ))
    );
    // --require-signed refuses an image no requirement verified.
    let mut strict = p.clone();
    strict.require_signed = true;
    let plain = subject("oci", "/elsewhere", &["/elsewhere"]);
    assert_eq!(
        strict.evaluate(&PolicyImage {
            subject: &plain,
            docker_reference: None,
            manifest: b"{}",
            signatures: None,
        }),
        Err(PolicyError::Rejected(
            "No signature verification policy found for image oci:/elsewhere".into()
        ))
    );
    assert_eq!(
        p.check_source(&docker("layer.example.com")),
        Err(PolicyError::Rejected(
            "signedBaseLayer not implemented yet!".into()
        ))
    );
    // Requirements are evaluated in order; the first refusal is reported.
    assert_eq!(
        p.check_source(&docker("first.example.com"))
            .unwrap_err()
            .to_string(),
        "Running image docker:first.example.com/app:1 is rejected by policy."
    );
}

// ---- naming ----

#[test]
fn docker_namespaces_and_identity() {
    assert_eq!(
        docker_namespaces("docker.io/library/busybox"),
        [
            "docker.io/library/busybox",
            "docker.io/library",
            "docker.io",
            "*.io"
        ]
    );
    assert_eq!(
        docker_namespaces("example.com:5000/ns/repo"),
        [
            "example.com:5000/ns/repo",
            "example.com:5000/ns",
            "example.com:5000",
            "*.com"
        ]
    );
    assert_eq!(
        docker_namespaces("a.b.example.com/repo"),
        [
            "a.b.example.com/repo",
            "a.b.example.com",
            "*.b.example.com",
            "*.example.com",
            "*.com"
        ]
    );
    assert_eq!(
        docker_namespaces("localhost:5000/x"),
        ["localhost:5000/x", "localhost:5000"]
    );
    assert_eq!(
        docker_identity("docker.io/library/busybox:latest"),
        "docker.io/library/busybox:latest"
    );
}

#[test]
fn path_namespace_rules() {
    assert_eq!(path_namespaces("/a/b/c"), ["/a/b", "/a"]);
    assert_eq!(path_namespaces("/a"), Vec::<String>::new());
    assert_eq!(path_namespaces("/"), Vec::<String>::new());
    assert_eq!(
        oci_identity_and_namespaces("/a/b/c", "latest"),
        (
            "/a/b/c".to_string(),
            vec!["/a/b/c".to_string(), "/a/b".into(), "/a".into()]
        )
    );
    assert_eq!(
        oci_identity_and_namespaces("/a", ""),
        ("/a".to_string(), vec!["/a".to_string()])
    );
    assert_eq!(
        oci_identity_and_namespaces("/", "x"),
        ("/".to_string(), vec![])
    );
}

#[test]
fn go_clean_matches_go() {
    let cases = [
        ("", "."),
        ("/", "/"),
        ("a/b/../c", "a/c"),
        ("/a/b/..", "/a"),
        ("/a/..", "/"),
        ("/..", "/"),
        ("../..", "../.."),
        ("a/../..", ".."),
        ("a//b/./c/", "a/b/c"),
        ("./", "."),
        ("/../a/../../b", "/b"),
        ("x/../../y", "../y"),
    ];
    for (input, want) in cases {
        assert_eq!(
            String::from_utf8(go_clean(input.as_bytes())).unwrap(),
            want,
            "{input}"
        );
    }
}

/// The reference module's `resolve_path_fully_explicit`, which the policy's path identities
/// come from, on `Path`s.
fn resolve_path(p: &Path) -> std::result::Result<PathBuf, crate::reference::ReferenceError> {
    crate::reference::resolve_path_fully_explicit(p.to_str().unwrap()).map(PathBuf::from)
}

#[test]
fn resolve_paths() {
    let e = Env::new();
    let root = resolve_path(&e.root).unwrap();
    fs::create_dir_all(e.path("real/sub")).unwrap();
    fs::write(e.path("real/file"), "").unwrap();
    std::os::unix::fs::symlink(e.path("real"), e.path("link")).unwrap();
    std::os::unix::fs::symlink("real/sub", e.path("rel-link")).unwrap();
    std::os::unix::fs::symlink(e.path("missing"), e.path("dangling")).unwrap();
    let r = |p: &Path| resolve_path(p).map(|p| p.display().to_string());
    let real = root.join("real").display().to_string();
    assert_eq!(r(&e.path("link")).unwrap(), real);
    assert_eq!(r(&e.path("link/sub/..")).unwrap(), real);
    assert_eq!(r(&e.path("rel-link")).unwrap(), format!("{real}/sub"));
    // A missing last component is kept.
    assert_eq!(r(&e.path("link/new")).unwrap(), format!("{real}/new"));
    assert_eq!(
        r(&e.path("link/new/")).unwrap_err().to_string(),
        format!("lstat {real}/new: no such file or directory")
    );
    // A missing parent is not.
    assert_eq!(
        r(&e.path("link/a/b")).unwrap_err().to_string(),
        format!("lstat {real}/a: no such file or directory")
    );
    // Dangling symlinks are errors, reported at the link target.
    assert_eq!(
        r(&e.path("dangling")).unwrap_err().to_string(),
        format!(
            "lstat {}: no such file or directory",
            root.join("missing").display()
        )
    );
    // A regular file used as a directory.
    assert_eq!(
        r(&e.path("real/file/x")).unwrap_err().to_string(),
        format!("lstat {}: not a directory", e.path("real/file/x").display())
    );
    assert_eq!(
        r(&e.path("link/file/")).unwrap_err().to_string(),
        format!("lstat {}: not a directory", e.path("link/file/").display())
    );
    // Relative paths are resolved against the working directory.
    let cwd = resolve_path(Path::new(".")).unwrap();
    assert!(cwd.is_absolute());
    assert_eq!(resolve_path(Path::new("")).unwrap(), cwd);
    assert_eq!(
        resolve_path(Path::new("definitely-missing-xyz")).unwrap(),
        cwd.join("definitely-missing-xyz")
    );
}

#[test]
fn go_text_helpers() {
    assert_eq!(
        crate::gotext::go_quote("a\"b\\c\n\u{1}\u{e9}\u{ad}\u{1f600}"),
        r#""a\"b\\c\n\x01é\u00ad😀""#
    );
    assert_eq!(crate::gotext::go_quote_bytes(b"a\xffb"), r#""a\xffb""#);
    for (f, want) in [
        (1.0, "1"),
        (1.5, "1.5"),
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
        (-0.0, "-0"),
        (0.0, "0"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e21, "1e+21"),
        (5e-324, "5e-324"),
        (1e100, "1e+100"),
    ] {
        assert_eq!(crate::gotext::go_float_v(f), want, "{f}");
    }
}

/// Re-runs skopeo on every case in `ORACLE_CASES`, copying a layout the test builds.
#[test]
fn oracle_still_agrees() {
    if !crate::oracle_fixture::skopeo_available("oracle_still_agrees") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image");
    crate::oracle_fixture::build(&image);
    let source = format!("oci:{}:latest", image.display());
    // The complete image copies under the default policy, so a failure below is the policy's.
    let ok = std::process::Command::new("skopeo")
        .args(["--insecure-policy", "copy", &source])
        .arg(format!("dir:{}", dir.path().join("check").display()))
        .output()
        .expect("skopeo");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let mut copied = 0;
    let policy = dir.path().join("p.json");
    let prefix = format!("invalid policy in \"{}\": ", policy.display());
    let mut failures = Vec::new();
    let missing_key = regex::Regex::new(r#"Key \\?"[^"\\]+\\?" missing in a JSON object"#).unwrap();
    for (i, (input, _)) in ORACLE_CASES.iter().enumerate() {
        fs::write(&policy, input).unwrap();
        let dest = dir.path().join(format!("out{i}"));
        let out = std::process::Command::new("skopeo")
            .arg("--policy")
            .arg(&policy)
            .arg("copy")
            .arg(&source)
            .arg(format!("dir:{}", dest.display()))
            .output()
            .expect("skopeo");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let theirs = match Policy::from_file(&policy) {
            Ok(_) => {
                copied += usize::from(out.status.success());
                !stderr.contains("Error loading trust policy")
            }
            Err(e) => {
                let ours = e.to_string();
                let ours_escaped = format!("Error loading trust policy: {ours}")
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"");
                assert!(ours.starts_with(&prefix), "{ours}");
                // c/image checks required keys in Go's random map order, so when several
                // are missing, which one skopeo names changes from run to run.
                let any_missing_key = |t: &str| {
                    missing_key
                        .replace_all(t, "Key missing in a JSON object")
                        .into_owned()
                };
                any_missing_key(&stderr)
                    .contains(&any_missing_key(&format!("msg=\"{ours_escaped}\"")))
            }
        };
        if !theirs {
            failures.push(format!("{input}\n  skopeo: {stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Some accepted policies let the copy through: the image was readable throughout.
    assert!(copied > 0, "no accepted policy let skopeo copy the fixture");
}
