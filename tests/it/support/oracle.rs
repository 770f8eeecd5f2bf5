//! The oracle: skiff and skopeo run with the same arguments, their results compared.
//! Without skopeo (outside CI) only skiff runs; the caller's own checks still hold.

use std::path::{Path, PathBuf};

use super::{fails, fatal_message, ok, skiff, skopeo};

/// Runs `skiff ARGS OURS` and, when skopeo is installed, `skopeo ARGS THEIRS`; both must
/// succeed. Says whether skopeo ran.
pub fn both_succeed(args: &[&str], ours: &str, theirs: &str) -> bool {
    ok(skiff().args(args).arg(ours));
    match skopeo() {
        Some(mut s) => {
            ok(s.args(args).arg(theirs));
            true
        }
        None => false,
    }
}

/// Copies `src` (`--insecure-policy copy -q ARGS`) into `TRANSPORT:T/LABEL-skiff` with skiff
/// and `…-skopeo` with skopeo (an `oci:` destination gets the tag `t`). Returns both
/// destination paths, skopeo's when it ran.
pub fn copy_both(
    t: &Path,
    label: &str,
    args: &[&str],
    src: &str,
    transport: &str,
) -> (PathBuf, Option<PathBuf>) {
    let suffix = if transport == "oci" { ":t" } else { "" };
    let dest = |who: &str| t.join(format!("{label}-{who}"));
    let name = |p: &Path| format!("{transport}:{}{suffix}", p.display());
    let (ours, theirs) = (dest("skiff"), dest("skopeo"));
    let args = [&["--insecure-policy", "copy", "-q"][..], args, &[src]].concat();
    let ran = both_succeed(&args, &name(&ours), &name(&theirs));
    (ours, ran.then_some(theirs))
}

/// How both failed: skiff's exit code and fatal message, and skopeo's exit code when it ran.
pub struct Failure {
    pub code: i32,
    pub message: String,
    pub skopeo_code: Option<i32>,
}

/// Runs `ARGS` with both; both must fail with the same fatal message (with `fuzzy_digests`,
/// quoted `sha256:…` parts, which differ between runs, are left out of the comparison).
pub fn same_failure(args: &[&str], fuzzy_digests: bool) -> Failure {
    same_failure_checked(args, fuzzy_digests, |_| {})
}

/// [`same_failure`], with `after_skiff` checking skiff's stderr (and what it left behind)
/// before skopeo runs.
pub fn same_failure_checked(
    args: &[&str],
    fuzzy_digests: bool,
    after_skiff: impl FnOnce(&str),
) -> Failure {
    let (code, err) = fails(skiff().args(args));
    after_skiff(&err);
    let message = fatal_message(&err);
    let skopeo_code = skopeo().map(|mut s| {
        let (their_code, err) = fails(s.args(args));
        let theirs = fatal_message(&err);
        let strip = |m: &str| -> String {
            m.split('"')
                .filter(|p| !(fuzzy_digests && p.starts_with("sha256:")))
                .collect::<Vec<_>>()
                .join("\"")
        };
        assert_eq!(strip(&message), strip(&theirs));
        their_code
    });
    Failure {
        code,
        message,
        skopeo_code,
    }
}
