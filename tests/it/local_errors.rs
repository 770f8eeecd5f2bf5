//! Bad input and failures: a clear one-line error, the right exit code, nothing half-written
//! at the destination, and nothing the user had lost.

use std::path::Path;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::*;

fn blob_path(layout: &Path, digest: &str) -> std::path::PathBuf {
    layout.join("blobs/sha256").join(&digest["sha256:".len()..])
}

fn one_line_fatal(err: &str) -> String {
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line: {err}");
    fatal_message(err)
}

#[test]
fn missing_tag_exits_2_with_skopeos_message() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(1));
    let name = format!("oci:{}:nope", src.display());
    let (code, err) = fails(skiff().args(["inspect", &name]));
    assert_eq!(code, 2);
    let msg = one_line_fatal(&err);
    assert_eq!(
        msg,
        format!(r#"Error parsing image name "{name}": no descriptor found for reference "nope""#)
    );
    if let Some(mut s) = skopeo() {
        let (_, serr) = fails(s.args(["inspect", &name]));
        assert_eq!(msg, fatal_message(&serr));
    }
    let (code, _) = fails(skiff().args([
        "copy",
        &name,
        &format!("dir:{}", t.path().join("d").display()),
    ]));
    assert_eq!(code, 2);
    assert!(!t.path().join("d").exists());
}

#[test]
fn corrupt_blob_fails_and_leaves_no_image() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &ImageSpec::small(2));
    let layer = blob_path(&src, &fixtures::sha256(&built.blobs[1]));
    let mut bytes = std::fs::read(&layer).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&layer, &bytes).unwrap();
    let name = format!("oci:{}:v1", src.display());
    for dest in ["dir:", "oci:", "oci-archive:"] {
        let target = t.path().join(format!("out-{}", dest.trim_end_matches(':')));
        let (code, err) =
            fails(skiff().args(["copy", "-q", &name, &format!("{dest}{}", target.display())]));
        assert_eq!(code, 1);
        let msg = one_line_fatal(&err);
        assert!(
            msg.contains("Digest did not match, expected sha256:"),
            "{msg}"
        );
        assert!(
            !target.exists(),
            "{dest}: nothing may be left at {}",
            target.display()
        );
    }
    // Truncated: shorter than the manifest says.
    std::fs::write(&layer, &bytes[..n - 10]).unwrap();
    let (_, err) = fails(skiff().args([
        "copy",
        "-q",
        &name,
        &format!("dir:{}", t.path().join("t").display()),
    ]));
    let msg = one_line_fatal(&err);
    assert!(
        msg.contains(&format!("expected {n}, got {}", n - 10)),
        "{msg}"
    );
}

#[test]
fn failed_copy_keeps_the_existing_destination_intact() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let good = fixtures::write_oci(&src, "good", &ImageSpec::small(3));
    let bad = fixtures::write_oci(&src, "bad", &ImageSpec::small(4));
    std::fs::write(
        blob_path(&src, &fixtures::sha256(&bad.blobs[1])),
        b"garbage",
    )
    .unwrap();
    let (d, o, a) = (
        t.path().join("d"),
        t.path().join("o"),
        t.path().join("a.tar"),
    );
    for dest in [
        format!("dir:{}", d.display()),
        format!("oci:{}:tag", o.display()),
        format!("oci-archive:{}", a.display()),
    ] {
        ok(skiff().args(["copy", "-q", &format!("oci:{}:good", src.display()), &dest]));
    }
    let before = (tree(&d), tree(&o), std::fs::read(&a).unwrap());
    for dest in [
        format!("dir:{}", d.display()),
        format!("oci:{}:tag", o.display()),
        format!("oci-archive:{}", a.display()),
    ] {
        fails(skiff().args(["copy", "-q", &format!("oci:{}:bad", src.display()), &dest]));
    }
    assert_eq!(tree(&d), before.0, "dir: unchanged");
    assert_eq!(tree(&o), before.1, "oci: unchanged, no stray blobs");
    assert_eq!(
        std::fs::read(&a).unwrap(),
        before.2,
        "oci-archive: unchanged"
    );
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        4,
        "no temporary files beside the archive: {leftovers:?}"
    );
    assert!(good.manifest_digest.starts_with("sha256:"));
}

#[test]
fn dir_refuses_a_directory_that_is_not_an_image() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(5));
    let precious = t.path().join("home");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("thesis.txt"), b"do not lose me").unwrap();
    let (code, err) = fails(skiff().args([
        "copy",
        &format!("oci:{}:v1", src.display()),
        &format!("dir:{}", precious.display()),
    ]));
    assert_eq!(code, 1);
    assert!(
        one_line_fatal(&err)
            .ends_with("not a containers image directory, don't want to overwrite important data")
    );
    assert_eq!(
        std::fs::read(precious.join("thesis.txt")).unwrap(),
        b"do not lose me"
    );
    assert_eq!(std::fs::read_dir(&precious).unwrap().count(), 1);
}

#[test]
fn blob_paths_may_not_leave_the_layout() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &ImageSpec::small(6));
    // A blob that is a symlink to a file outside the layout.
    let outside = t.path().join("secret");
    std::fs::write(&outside, b"secret").unwrap();
    let layer = blob_path(&src, &fixtures::sha256(&built.blobs[0]));
    std::fs::remove_file(&layer).unwrap();
    std::os::unix::fs::symlink(&outside, &layer).unwrap();
    let dest = t.path().join("d");
    let (code, err) = fails(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:v1", src.display()),
        &format!("dir:{}", dest.display()),
    ]));
    assert_eq!(code, 1);
    assert!(one_line_fatal(&err).contains("outside"), "{err}");
    assert!(!dest.exists());
}

#[test]
fn malformed_index_and_huge_manifests_are_clear_errors() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &ImageSpec::small(7));
    let index = std::fs::read(src.join("index.json")).unwrap();
    std::fs::write(src.join("index.json"), &index[..index.len() / 2]).unwrap();
    let name = format!("oci:{}:v1", src.display());
    let (code, err) = fails(skiff().args(["inspect", &name]));
    assert_eq!(code, 1);
    assert!(
        one_line_fatal(&err).contains("unexpected end of JSON input"),
        "{err}"
    );

    std::fs::write(src.join("index.json"), &index).unwrap();
    let mut huge = built.manifest.clone();
    huge.truncate(huge.len() - 1);
    huge.extend(std::iter::repeat_n(b' ', 5 << 20));
    huge.push(b'}');
    std::fs::write(blob_path(&src, &built.manifest_digest), &huge).unwrap();
    let (code, err) = fails(skiff().args(["inspect", &name]));
    assert_eq!(code, 1);
    assert!(one_line_fatal(&err).contains("limit"), "{err}");
}

#[test]
fn manifest_not_matching_its_digest_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let mut arm = ImageSpec::small(8);
    arm.architecture = "arm64".into();
    fixtures::write_oci_index(&src, "multi", &[arm, ImageSpec::small(9)], false);
    // Tamper with the amd64 instance's manifest: its digest no longer matches the index.
    let inst = fixtures::build(&ImageSpec::small(9));
    let p = blob_path(&src, &inst.manifest_digest);
    let tampered = String::from_utf8(inst.manifest.clone())
        .unwrap()
        .replace("\"schemaVersion\":2", "\"schemaVersion\": 2");
    std::fs::write(p, tampered).unwrap();
    let dest = t.path().join("d");
    let (code, err) = fails(skiff().args([
        "--override-arch",
        "amd64",
        "copy",
        &format!("oci:{}:multi", src.display()),
        &format!("dir:{}", dest.display()),
    ]));
    assert_eq!(code, 1);
    assert!(one_line_fatal(&err).contains("does not match"), "{err}");
    assert!(!dest.exists());
}

#[test]
fn truncated_and_missing_archives_are_clear_errors() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &ImageSpec::small(10));
    let a = t.path().join("a.tar");
    ok(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:v1", src.display()),
        &format!("oci-archive:{}", a.display()),
    ]));
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&a, &bytes[..bytes.len() / 2]).unwrap();
    let (code, err) = fails(skiff().args(["inspect", &format!("oci-archive:{}", a.display())]));
    assert_eq!(code, 1);
    one_line_fatal(&err);
    let missing = t.path().join("missing.tar");
    let (code, err) =
        fails(skiff().args(["inspect", &format!("oci-archive:{}", missing.display())]));
    assert_eq!(code, 1);
    assert!(
        one_line_fatal(&err).contains("archive file not found"),
        "{err}"
    );
}

/// SIGINT and SIGTERM while skiff is held mid-layer (a source whose layer is a pipe the test
/// feeds): an existing destination is intact, a new one of any writing transport is not left
/// half-made, and skiff ends by the signal.
#[test]
fn interrupted_copy_leaves_nothing_behind() {
    use crate::support::held::{HeldSource, send, wait_bounded};
    use std::os::unix::process::ExitStatusExt;
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_oci(&src, "good", &ImageSpec::small(12));
    let existing = t.path().join("existing");
    ok(skiff().args([
        "copy",
        "-q",
        &format!("oci:{}:good", src.display()),
        &format!("dir:{}", existing.display()),
    ]));
    let before = tree(&existing);
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let new = t.path().join(format!("new-{signal}"));
        let layout = new.with_extension("oci");
        let dests = [
            (existing.clone(), format!("dir:{}", existing.display())),
            (new.clone(), format!("dir:{}", new.display())),
            (layout.clone(), format!("oci:{}:t", layout.display())),
            (
                new.with_extension("tar"),
                format!("oci-archive:{}:t", new.with_extension("tar").display()),
            ),
            (
                new.with_extension("dtar"),
                format!(
                    "docker-archive:{}:x/y:t",
                    new.with_extension("dtar").display()
                ),
            ),
        ];
        for (path, dest) in dests {
            let held = HeldSource::of(&ImageSpec::small(11));
            let mut cmd = skiff();
            // The test may itself run with the signal ignored (a background job of a script).
            // SAFETY: signal(2) only, between fork and exec.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                    libc::signal(signal, libc::SIG_DFL);
                    Ok(())
                });
            }
            let mut child = cmd
                .args(["copy", "-q", &held.name(), &dest])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            // skiff has read part of the layer and waits for the rest: surely mid-copy.
            let pipe = held.wait_for_reader(&mut child);
            send(&child, signal);
            let status = wait_bounded(&mut child);
            drop(pipe);
            // Cleaned up, then ended by the signal, as a shell expects of an interrupted command.
            assert_eq!(status.signal(), Some(signal), "{dest}: {status:?}");
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            assert!(!err.contains("panicked"), "{err}");
            if path == existing {
                assert_eq!(tree(&existing), before, "the old image is intact");
                let names: Vec<_> = std::fs::read_dir(&existing)
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect();
                assert!(
                    names.iter().all(|n| !n.to_string_lossy().starts_with('.')),
                    "no staging left: {names:?}"
                );
            } else {
                assert!(
                    !path.exists(),
                    "{dest}: a new destination is not left half-made: {:?}",
                    tree(&path).keys().collect::<Vec<_>>()
                );
            }
            let left: Vec<_> = std::fs::read_dir(t.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n != "src" && n != "existing")
                .collect();
            assert!(left.is_empty(), "{dest}: nothing left: {left:?}");
        }
    }
}
