//! The command line itself: help, version, usage errors, skopeo's messages and exit codes.

use crate::support::*;

#[test]
fn help_lists_skopeos_commands() {
    let out = ok(skiff().arg("--help"));
    let help = stdout(&out);
    for cmd in [
        "copy",
        "delete",
        "inspect",
        "list-tags",
        "login",
        "logout",
        "manifest-digest",
        "standalone-sign",
        "standalone-verify",
        "sync",
        "generate-sigstore-key",
    ] {
        assert!(help.contains(cmd), "help lacks {cmd}:\n{help}");
    }
    for flag in [
        "--debug",
        "--policy",
        "--insecure-policy",
        "--override-arch",
        "--override-os",
        "--override-variant",
        "--registries.d",
        "--tmpdir",
        "--command-timeout",
        "--user-agent-prefix",
        "--version",
    ] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
    let copy_help = stdout(&ok(skiff().args(["copy", "--help"])));
    for flag in [
        "--src-creds",
        "--dest-tls-verify",
        "--digestfile",
        "--multi-arch",
        "--preserve-digests",
        "--retry-times",
        "--retry-delay",
        "--image-parallel-copies",
        "--remove-signatures",
        "--dest-compress-format",
        "--src-shared-blob-dir",
        "--quiet",
    ] {
        assert!(copy_help.contains(flag), "copy help lacks {flag}");
    }
}

#[test]
fn version_prints_one_line() {
    let v = stdout(&ok(skiff().arg("--version")));
    assert!(v.starts_with("skiff version "), "{v}");
    assert_eq!(v.lines().count(), 1);
}

#[test]
fn unknown_transport_is_skopeos_error() {
    let (code, err) = fails(skiff().args(["inspect", "foo:bar"]));
    assert_eq!(code, 1);
    let msg = fatal_message(&err);
    assert_eq!(
        msg,
        r#"Error parsing image name "foo:bar": Invalid image name "foo:bar", unknown transport "foo""#
    );
    if let Some(mut s) = skopeo() {
        let (_, serr) = fails(s.args(["inspect", "foo:bar"]));
        assert_eq!(msg, fatal_message(&serr));
    }
}

#[test]
fn wrong_argument_count_shows_usage_and_fails() {
    let (code, err) = fails(skiff().args(["copy", "dir:/tmp/x"]));
    assert_eq!(code, 1);
    assert!(err.contains("Usage"), "{err}");
    assert_eq!(fatal_message(&err), "Exactly two arguments expected");
}

#[test]
fn unknown_flag_is_a_fatal_line() {
    let (code, err) = fails(skiff().args(["copy", "--no-such-flag", "a", "b"]));
    assert_eq!(code, 1);
    assert!(err.contains("level=fatal"), "{err}");
    assert!(err.contains("--no-such-flag"), "{err}");
}

#[test]
fn sequoia_signing_refuses_a_name_that_is_no_fingerprint() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (
        format!("dir:{}", t.path().join("a").display()),
        t.path().join("b"),
    );
    let args = [
        "--insecure-policy",
        "copy",
        "--sign-by-sq-fingerprint",
        "F",
        &a,
        &format!("dir:{}", b.display()),
    ];
    let (code, err) = fails(skiff().args(args).env("SEQUOIA_HOME", t.path()));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        r#"creating signature: "F" is not a fingerprint or key ID"#
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(!b.exists());
}

#[test]
fn bad_durations_and_bools_are_refused() {
    let (_, err) = fails(skiff().args(["--command-timeout", "1x", "inspect", "dir:/x"]));
    assert!(
        fatal_message(&err).contains(r#"time: unknown unit "x" in duration "1x""#),
        "{err}"
    );
    let (_, err) = fails(skiff().args(["inspect", "--tls-verify=maybe", "dir:/x"]));
    assert!(fatal_message(&err).contains("invalid syntax"), "{err}");
}

#[test]
fn manifest_digest_matches_skopeo() {
    let tmp = tempfile::tempdir().unwrap();
    let built = crate::support::fixtures::build(&crate::support::fixtures::ImageSpec::small(1));
    let path = tmp.path().join("manifest.json");
    std::fs::write(&path, &built.manifest).unwrap();
    let ours = stdout(&ok(skiff().arg("manifest-digest").arg(&path)));
    assert_eq!(ours, format!("{}\n", built.manifest_digest));
    if let Some(mut s) = skopeo() {
        assert_eq!(ours, stdout(&ok(s.arg("manifest-digest").arg(&path))));
    }
    let (code, err) = fails(
        skiff()
            .arg("manifest-digest")
            .arg(tmp.path().join("missing")),
    );
    assert_eq!(code, 1);
    assert!(
        fatal_message(&err).contains("no such file or directory"),
        "{err}"
    );
}

/// skiff does Rust's start-up itself (its own `main`): what that start-up guarantees still
/// holds. A closed stdout is /dev/null (output never lands in a file opened later), a reader
/// that goes away ends skiff by SIGPIPE, quietly, as it ends skopeo, and a full device is an
/// error, not a panic.
#[test]
fn standard_streams_fail_cleanly() {
    let bin = env!("CARGO_BIN_EXE_skiff");
    let closed =
        run(std::process::Command::new("sh").args(["-c", &format!("exec >&-; '{bin}' --version")]));
    assert!(closed.status.success(), "{closed:?}");
    assert!(closed.stderr.is_empty(), "{closed:?}");

    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.json");
    std::fs::write(&manifest, br#"{"schemaVersion":2}"#).unwrap();
    // A pipe whose reader is gone before skiff starts: its write fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let gone = run(skiff()
        .args(["manifest-digest", manifest.to_str().unwrap()])
        .stdout(writer));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(gone.status.signal(), Some(libc::SIGPIPE), "{gone:?}");
    assert!(gone.stderr.is_empty(), "{gone:?}");

    let full = run(skiff()
        .args(["manifest-digest", manifest.to_str().unwrap()])
        .stdout(std::fs::File::create("/dev/full").unwrap()));
    assert_eq!(full.status.code(), Some(1), "{full:?}");
    let err = String::from_utf8_lossy(&full.stderr);
    assert!(err.contains("level=fatal"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
