//! What shell and CI users meet around the commands: signals, closed pipes, usage of the
//! bare program, help, completions and man pages. skopeo is the oracle where it has the
//! behaviour.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::held::{HeldSource, send, wait_bounded};
use crate::support::*;

/// Every entry under `dir`, so stray staging files show up.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// SIGINT and SIGTERM mid-copy: the new destination is removed and skiff ends by the signal
/// (a shell reports 130 and 143), as skopeo's process ends (without its clean-up).
#[test]
fn a_signal_mid_copy_cleans_up_and_ends_by_the_signal() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let held = HeldSource::new();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("dest");
        let mut cmd = skiff();
        // The test may itself run with SIGINT ignored (a background job of a script).
        // SAFETY: signal(2) only, between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                libc::signal(signal, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = cmd
            .args(["copy", &held.name(), &format!("dir:{}", dest.display())])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe = held.wait_for_reader(&mut child);
        assert!(dest.exists(), "the destination is being written");
        send(&child, signal);
        let status = wait_bounded(&mut child);
        drop(pipe);
        assert_eq!(status.signal(), Some(signal), "{status:?}");
        assert_eq!(128 + signal, if signal == libc::SIGINT { 130 } else { 143 });
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(!err.contains("panicked"), "{err}");
        assert!(!dest.exists(), "the half-made destination is removed");
        assert_eq!(entries(out.path()), Vec::<String>::new(), "nothing left");
    }
}

/// `trap "" INT` (or `nohup`, or `trap "" TERM`) in the calling script: that signal stays
/// ignored and the copy runs to the end; the other one, not ignored, is still caught.
#[test]
fn a_signal_the_parent_ignores_stays_ignored() {
    for (ignored, name, other) in [
        (libc::SIGINT, "INT", libc::SIGTERM),
        (libc::SIGTERM, "TERM", libc::SIGINT),
    ] {
        let held = HeldSource::new();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("dest");
        let bin = env!("CARGO_BIN_EXE_skiff");
        let script = format!(r#"trap "" {name}; exec "$0" "$@""#);
        let mut cmd = std::process::Command::new("sh");
        // The test may itself run with either signal ignored (a background job).
        // SAFETY: signal(2) only, between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                libc::signal(other, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = cmd
            .args(["-c", &script, bin, "copy", "-q"])
            .arg(held.name())
            .arg(format!("dir:{}", dest.display()))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe = held.wait_for_reader(&mut child);
        let masks = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        let mask = |field: &str| {
            let line = masks.lines().find(|l| l.starts_with(field)).unwrap();
            u64::from_str_radix(line[field.len()..].trim(), 16).unwrap()
        };
        let bit = |s: libc::c_int| 1u64 << (s - 1);
        assert_ne!(mask("SigIgn:") & bit(ignored), 0, "{name}: {masks}");
        assert_eq!(mask("SigCgt:") & bit(ignored), 0, "{name} is not caught");
        assert_ne!(
            mask("SigCgt:") & bit(other),
            0,
            "the other signal is caught"
        );
        send(&child, ignored);
        held.finish(pipe);
        let status = wait_bounded(&mut child);
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(status.success(), "{name}: {status:?}: {err}");
        assert_eq!(
            std::fs::read(dest.join("manifest.json")).unwrap(),
            held.manifest
        );
    }
}

/// `skiff copy … 2>&1 | head -c 10`: once the reader is gone, the next progress line ends
/// skiff by SIGPIPE, quietly, as skopeo ends; never an abort (exit 134) from a panic in a
/// write to stderr. What is left at the destination is the whole image or nothing.
#[test]
fn progress_to_a_reader_that_exits_ends_by_sigpipe() {
    let held = HeldSource::new();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("dest");
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut child = skiff()
        .args(["copy", &held.name(), &format!("dir:{}", dest.display())])
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    let pipe = held.wait_for_reader(&mut child);
    let mut first = [0u8; 10];
    std::io::Read::read_exact(&mut reader, &mut first).unwrap();
    drop(reader);
    held.finish(pipe);
    let status = wait_bounded(&mut child);
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}");
    if dest.exists() {
        let left = entries(&dest);
        assert!(left.contains(&"manifest.json".to_string()), "{left:?}");
        assert_eq!(
            std::fs::read(dest.join("manifest.json")).unwrap(),
            held.manifest
        );
    } else {
        assert_eq!(entries(out.path()), Vec::<String>::new(), "nothing left");
    }
}

/// A reader gone before the program writes: stdout (the digest, help), stderr (an error;
/// a usage error with its help text). skopeo dies of SIGPIPE in each case it shares; so does
/// skiff. (skopeo 1.9.3 prints a usage error's help on stdout and exits 0; skiff follows
/// later skopeo, help on stderr and a failure, so that case is skiff's alone.)
#[test]
fn a_gone_reader_ends_by_sigpipe_as_skopeo() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("m.json");
    std::fs::write(&manifest, br#"{"schemaVersion":2}"#).unwrap();
    let manifest = manifest.to_str().unwrap().to_string();
    // (arguments, whether the output is on stdout, whether skopeo does the same)
    let cases: [(Vec<&str>, bool, bool); 4] = [
        (vec!["manifest-digest", &manifest], true, true),
        (vec!["--help"], true, true),
        (vec!["inspect", "foo:bar"], false, true),
        (vec!["copy"], false, false),
    ];
    for (args, on_stdout, shared) in cases {
        let status = |mut cmd: std::process::Command| {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            if on_stdout {
                cmd.stdout(writer).stderr(Stdio::piped());
            } else {
                cmd.stderr(writer).stdout(Stdio::piped());
            }
            let out = run(cmd.args(&args));
            let printed =
                String::from_utf8_lossy(if on_stdout { &out.stderr } else { &out.stdout })
                    .into_owned();
            (out.status.signal(), printed)
        };
        let (ours, printed) = status(skiff());
        assert_eq!(ours, Some(libc::SIGPIPE), "{args:?}: {printed}");
        assert_eq!(printed, "", "{args:?}: quietly");
        if shared && let Some(s) = skopeo() {
            assert_eq!(ours, status(s).0, "{args:?}");
        }
    }
}

/// The repository's copy of a generated file: compared with what skiff generates now, or
/// rewritten with `SKIFF_REGENERATE=1` (see scripts/regenerate-docs.sh).
fn check_generated(dir: &str, files: &[(String, Vec<u8>)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    if std::env::var_os("SKIFF_REGENERATE").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, bytes) in files {
        if std::fs::read(dir.join(name)).ok().as_ref() != Some(bytes) {
            stale.push(name.clone());
        }
    }
    let mut expected: Vec<&String> = files.iter().map(|(n, _)| n).collect();
    expected.sort();
    // Hand-written documents (examples in Markdown and YAML) live beside the man pages.
    let present: Vec<String> = entries(&dir)
        .into_iter()
        .filter(|n| !n.ends_with(".md") && !n.ends_with(".yaml"))
        .collect();
    assert_eq!(
        present.iter().collect::<Vec<_>>(),
        expected,
        "{} holds other files than skiff generates; run scripts/regenerate-docs.sh",
        dir.display()
    );
    assert!(
        stale.is_empty(),
        "stale in {}: {stale:?}; run scripts/regenerate-docs.sh",
        dir.display()
    );
}

/// `completions/` holds what `skiff completion SHELL` prints, and bash loads its script.
#[test]
fn completions_are_current_and_load_in_bash() {
    use skiff::cli::completion::ShellKind;
    let files: Vec<(String, Vec<u8>)> = ShellKind::ALL
        .iter()
        .map(|shell| {
            let out = ok(skiff().args(["completion", shell.name()]));
            assert!(out.stderr.is_empty(), "{shell:?}: {out:?}");
            // skopeo's `--no-descriptions` is taken too.
            let bare = ok(skiff().args(["completion", shell.name(), "--no-descriptions"]));
            if *shell == ShellKind::Zsh {
                let text = stdout(&bare);
                assert!(!text.contains("Copy an IMAGE-NAME"), "{text}");
                assert!(stdout(&out).contains("Copy an IMAGE-NAME"));
            }
            (shell.file_name().to_string(), out.stdout)
        })
        .collect();
    check_generated("completions", &files);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/skiff.bash");
    let loaded = ok(std::process::Command::new("bash").args([
        "-c",
        r#"source "$0" && complete -p skiff && COMP_WORDS=(skiff cop) COMP_CWORD=1 && _skiff skiff cop skiff && printf '%s\n' "${COMPREPLY[@]}""#,
        script.to_str().unwrap(),
    ]));
    let printed = stdout(&loaded);
    assert!(printed.starts_with("complete "), "{printed}");
    assert!(printed.contains(" skiff\n"), "{printed}");
    assert!(
        printed.lines().any(|l| l == "copy"),
        "`skiff cop<TAB>`: {printed}"
    );
}

/// `docs/` holds a man page per command generated from the command tree, and each renders
/// with man-db without a warning.
#[test]
fn man_pages_are_current_and_render() {
    use clap::CommandFactory;
    let tmp = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(skiff::cli::Cli::command(), tmp.path()).unwrap();
    let files: Vec<(String, Vec<u8>)> = entries(tmp.path())
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(tmp.path().join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for page in [
        "skiff.1",
        "skiff-copy.1",
        "skiff-sync.1",
        "skiff-completion.1",
    ] {
        assert!(names.contains(&page), "{page} in {names:?}");
    }
    check_generated("docs", &files);

    if !require_tool("man") {
        return;
    }
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    for (name, _) in &files {
        let out = run(std::process::Command::new("man")
            .arg("-l")
            .arg(docs.join(name))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .env("LC_ALL", "C.UTF-8"));
        let text = stdout(&out);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {err}");
        assert!(err.is_empty(), "{name} renders with warnings: {err}");
        let command = name.trim_end_matches(".1");
        assert!(text.contains(command), "{name}:\n{text}");
        assert!(text.contains("SYNOPSIS"), "{name}:\n{text}");
    }
    let copy = stdout(&run(std::process::Command::new("man")
        .arg("-l")
        .arg(docs.join("skiff-copy.1"))
        .env("MANPAGER", "cat")));
    assert!(copy.contains("--src-creds"), "{copy}");
    assert!(copy.contains("SOURCE-IMAGE"), "{copy}");
}

/// skopeo's fatal message with its program name put as skiff's.
fn as_skiffs(skopeo_message: &str) -> String {
    skopeo_message
        .replace("`skopeo ", "`skiff ")
        .replace("'skopeo ", "'skiff ")
}

/// Without a command, or with a word that names none (mistyped ones get skopeo's "Did you
/// mean" list): skopeo's message and exit status 1.
#[test]
fn missing_and_unknown_commands_are_skopeos_errors() {
    let lines: &[&[&str]] = &[
        &[],
        &["--debug"],
        &["nosuch"],
        &["cpy", "a", "b"],
        &["--debug", "inspct", "x"],
        &["s"],
        &["Copy"],
        &["manifest"],
        &["lst-tags"],
    ];
    for line in lines {
        let (code, err) = fails(skiff().args(*line));
        assert_eq!(code, 1, "{line:?}");
        assert_eq!(err.lines().count(), 1, "{line:?}: one line: {err}");
        let ours = fatal_message(&err);
        assert!(ours.contains("skiff"), "{line:?}: {ours}");
        if let Some(mut s) = skopeo() {
            let (scode, serr) = fails(s.args(*line));
            assert_eq!(code, scode, "{line:?}");
            assert_eq!(ours, as_skiffs(&fatal_message(&serr)), "{line:?}");
        }
    }
}

/// Flag errors in skopeo's (pflag's) words; where clap knows a close flag, it is offered
/// after skopeo's line.
#[test]
fn flag_errors_are_skopeos_words_with_suggestions() {
    let lines: &[&[&str]] = &[
        &["copy", "--src-cred", "x", "a", "b"],
        &["copy", "--src-cred=x", "a", "b"],
        &["copy", "-x", "a", "b"],
        &["--polcy", "x", "copy", "a", "b"],
        &["copy", "--src-creds"],
        &["inspect", "--format"],
    ];
    for line in lines {
        let (code, err) = fails(skiff().args(*line));
        assert_eq!(code, 1, "{line:?}");
        let ours = fatal_message(&err);
        if let Some(mut s) = skopeo() {
            let (scode, serr) = fails(s.args(*line));
            assert_eq!(code, scode, "{line:?}");
            let theirs = fatal_message(&serr);
            // (Messages are as logged: newlines escaped.)
            assert_eq!(ours.split("\\n").next(), Some(theirs.as_str()), "{line:?}");
        }
    }
    let (_, err) = fails(skiff().args(["copy", "--src-cred", "x", "a", "b"]));
    assert!(
        fatal_message(&err).ends_with(r"\n\nDid you mean this?\n\t--src-creds"),
        "{err}"
    );
}

/// The old spellings skopeo still accepts on `copy` and `sync` (`--screds`, `--dcreds`,
/// `--tls-verify` with its deprecation warning) give skopeo's lines.
#[test]
fn deprecated_flags_are_accepted_with_skopeos_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = format!("dir:{}", tmp.path().join("missing").display());
    let dest = format!("dir:{}", tmp.path().join("dest").display());
    let missing_dir = tmp.path().join("missing").display().to_string();
    let dest_dir = tmp.path().join("dest").display().to_string();
    let lines: Vec<Vec<&str>> = vec![
        vec![
            "copy", "--screds", "a:b", "--dcreds", "c:d", &missing, &dest,
        ],
        vec!["copy", "--tls-verify=false", &missing, &dest],
        vec![
            "copy",
            "--tls-verify",
            "--src-creds",
            "a:b",
            "--screds",
            "c:d",
            &missing,
            &dest,
        ],
        vec!["--tls-verify=false", "copy", &missing, &dest],
        vec![
            "sync",
            "--tls-verify=false",
            "--src",
            "dir",
            "--dest",
            "dir",
            &missing_dir,
            &dest_dir,
        ],
        vec![
            "sync",
            "--screds",
            "a:b",
            "--dcreds",
            "c:d",
            "--src",
            "dir",
            "--dest",
            "dir",
            &missing_dir,
            &dest_dir,
        ],
    ];
    // Lines without their time stamps.
    let messages = |err: &str| -> Vec<String> {
        err.lines()
            .map(|l| {
                l.split_once(" level=")
                    .map_or(l, |(_, rest)| rest)
                    .to_string()
            })
            .collect()
    };
    for line in &lines {
        let (code, err) = fails(skiff().args(line));
        assert_eq!(code, 1, "{line:?}");
        let ours = messages(&err);
        if line.contains(&"--tls-verify=false") || line.contains(&"--tls-verify") {
            assert!(
                ours[0].starts_with("warning msg=\"'--tls-verify' is deprecated"),
                "{ours:?}"
            );
        }
        assert!(!tmp.path().join("dest").exists(), "{line:?}");
        if let Some(mut s) = skopeo() {
            let (scode, serr) = fails(s.args(line));
            assert_eq!(code, scode, "{line:?}");
            assert_eq!(ours, messages(&serr), "{line:?}");
            // skopeo leaves the destination directory it made.
            let _ = std::fs::remove_dir_all(tmp.path().join("dest"));
        }
    }
}

/// Each command's help: its own flags first, then the global ones under their heading; every
/// positional argument described; an example; the program name in usage lines, also in
/// the help printed with a usage error.
#[test]
fn help_is_ordered_described_and_has_examples() {
    let commands = [
        "copy",
        "delete",
        "generate-sigstore-key",
        "inspect",
        "list-repos",
        "list-tags",
        "login",
        "logout",
        "manifest-digest",
        "standalone-sign",
        "standalone-verify",
        "sync",
        "completion",
    ];
    for command in commands {
        let help = stdout(&ok(skiff().args([command, "--help"])));
        assert!(help.contains(&format!("Usage: skiff {command} ")), "{help}");
        let own = help.find("\nOptions:\n").expect("own options");
        let global = help.find("\nGlobal Options:\n").expect("global options");
        assert!(own < global, "{command}: own flags first:\n{help}");
        assert!(help[global..].contains("--policy"), "{help}");
        assert!(!help[own..global].contains("--policy"), "{help}");
        assert!(help.contains("\nExample"), "{command}: an example:\n{help}");
    }
    use clap::CommandFactory;
    for sub in skiff::cli::Cli::command().get_subcommands() {
        for arg in sub.get_positionals() {
            assert!(
                arg.get_help().is_some_and(|h| !h.to_string().is_empty()),
                "{}: {} is described",
                sub.get_name(),
                arg.get_id()
            );
        }
    }
    for line in [
        &["copy", "dir:/x"][..],
        &["--policy", "/p.json", "copy", "dir:/x"],
    ] {
        let (_, err) = fails(skiff().args(line));
        assert!(err.contains("Usage: skiff copy "), "{line:?}: {err}");
    }
}

/// The one `layers-*` directory `layers` made in `cwd`.
fn layers_dir(cwd: &Path) -> PathBuf {
    let made = entries(cwd);
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].starts_with("layers-"), "{made:?}");
    cwd.join(&made[0])
}

/// `layers` (deprecated in skopeo, still there): the blobs (all, or those named, with or
/// without `sha256:`) and the manifest as a `dir:` image in a new `layers-*` directory, the
/// same files skopeo writes; its deprecation line and usage error as skopeo's.
#[test]
fn layers_writes_what_skopeo_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let built = fixtures::write_dir(&src, &ImageSpec::small(31));
    let src_name = format!("dir:{}", src.display());
    let second = fixtures::sha256(&built.blobs[1]);
    let cases: Vec<Vec<String>> = vec![
        vec![src_name.clone()],
        vec![src_name.clone(), second["sha256:".len()..].to_string()],
        vec![src_name.clone(), second.clone()],
    ];
    for (i, args) in cases.iter().enumerate() {
        let ours = tmp.path().join(format!("ours-{i}"));
        std::fs::create_dir(&ours).unwrap();
        let out = ok(skiff().arg("layers").args(args).current_dir(&ours));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "DEPRECATED: skiff layers is deprecated in favor of skiff copy\n"
        );
        let dir = layers_dir(&ours);
        let files = tree(&dir);
        assert_eq!(files["manifest.json"], built.manifest);
        if args.len() == 2 {
            assert_eq!(files.len(), 3, "{:?}", files.keys());
        }
        if let Some(mut s) = skopeo() {
            let theirs = tmp.path().join(format!("theirs-{i}"));
            std::fs::create_dir(&theirs).unwrap();
            ok(s.arg("layers").args(args).current_dir(&theirs));
            assert_same_tree(&dir, &layers_dir(&theirs));
        }
    }

    let cwd = tmp.path().join("failing");
    std::fs::create_dir(&cwd).unwrap();
    let missing = format!("dir:{}", tmp.path().join("missing").display());
    for args in [vec![], vec![missing.as_str()]] {
        let (code, err) = fails(skiff().arg("layers").args(&args).current_dir(&cwd));
        assert_eq!(code, 1);
        assert_eq!(entries(&cwd), Vec::<String>::new(), "nothing left");
        if let Some(mut s) = skopeo() {
            let (scode, serr) = fails(s.arg("layers").args(&args).current_dir(&cwd));
            assert_eq!(code, scode);
            assert_eq!(fatal_message(&err), fatal_message(&serr), "{args:?}");
            assert_eq!(
                err.lines().next(),
                serr.lines()
                    .next()
                    .map(|l| l.replace("skopeo", "skiff"))
                    .as_deref()
            );
        }
    }
}
