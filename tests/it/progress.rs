//! Progress as users and scripts see it: bars on a pseudo-terminal (tmux, at 80 and 200
//! columns), the periodic line off a terminal behind a slow registry, the `--progress=json`
//! stream event by event, and `--debug` output that names requests and credential files but
//! never a secret. Expected digests and sizes come from the fixtures' own hashing or from
//! skopeo, never from skiff.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::fixtures::{self, ImageSpec, layer_tar, noise};
use crate::support::held::HeldSource;
use crate::support::registry::{Options, Proxy, ProxyMode, Registry, TokenOptions};
use crate::support::*;

/// A private tmux server running one command on a pseudo-terminal of a given width.
struct Tmux {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    rc: PathBuf,
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Tmux {
    /// Starts `skiff ARGS` in a `width`-column pane; the pane stays after it exits.
    fn start(width: u16, args: &[String]) -> Option<Tmux> {
        if !require_tool("tmux") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let rc = dir.path().join("rc");
        let mut cmd = shell_quote(env!("CARGO_BIN_EXE_skiff"));
        for a in args {
            cmd.push(' ');
            cmd.push_str(&shell_quote(a));
        }
        // The exit status, then the signal the test waits for; `cat` keeps the pane open.
        let script = format!(
            "{cmd}; echo $? > {rc}; tmux -S {sock} wait-for -S done; exec cat\n",
            rc = shell_quote(&rc.display().to_string()),
            sock = shell_quote(&socket.display().to_string()),
        );
        let script_path = dir.path().join("run.sh");
        std::fs::write(&script_path, script).unwrap();
        ok(Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["-f", "/dev/null", "new-session", "-d", "-x"])
            .arg(width.to_string())
            .args(["-y", "50", "sh"])
            .arg(&script_path)
            .env_remove("TMUX")
            .env_remove("REGISTRY_AUTH_FILE"));
        Some(Tmux {
            _dir: dir,
            socket,
            rc,
        })
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    /// The pane's rows as shown (a line longer than the pane would take two rows).
    fn screen(&self) -> Vec<String> {
        let out = ok(self.tmux().args(["capture-pane", "-p"]));
        stdout(&out)
            .lines()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Waits for skiff to exit (tmux's wait-for, signalled by the pane's script); its status.
    fn wait(&self) -> i32 {
        ok(self.tmux().args(["wait-for", "done"]));
        std::fs::read_to_string(&self.rc)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Polls the screen (bounded) until `want` holds for it.
    fn screen_when(&self, want: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let rows = self.screen();
            if want(&rows) {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed it: {rows:#?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

/// The 12 hex digits skopeo's bars name a blob by.
fn short(digest: &str) -> String {
    digest["sha256:".len()..][..12].to_string()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Every row is one of skopeo's lines or a bar: a row that is neither is a wrapped tail or a
/// stray frame.
fn assert_rows_are_whole(rows: &[String], width: usize) {
    for r in rows {
        assert!(r.chars().count() <= width, "{r}");
        assert!(
            [
                "Getting ", "Copying ", "Writing ", "Storing ", "INFO[", "WARN["
            ]
            .iter()
            .any(|p| r.starts_with(p)),
            "row {r:?} is not a whole line: {rows:#?}"
        );
    }
}

#[test]
fn bars_on_a_terminal_fit_80_and_200_columns_and_leave_skopeos_lines() {
    for width in [80u16, 200] {
        let held = HeldSource::new();
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("d");
        let Some(tmux) = Tmux::start(
            width,
            &[
                "--insecure-policy".into(),
                "copy".into(),
                held.name(),
                format!("dir:{}", dest.display()),
            ],
        ) else {
            return;
        };
        let built = fixtures::build(&ImageSpec::small(21));
        let held_bar = format!("Copying blob {}", short(&fixtures::sha256(&held.layer)));
        let pipe = wait_for_pipe_reader(&held);
        // Mid-copy: the held layer's bar is drawn, on one row, with its sizes.
        let rows = tmux.screen_when(|rows| {
            rows.iter()
                .any(|r| r.starts_with(&held_bar) && r.contains(" / "))
        });
        assert_rows_are_whole(&rows, width as usize);
        let bar = rows.iter().find(|r| r.starts_with(&held_bar)).unwrap();
        assert!(bar.contains('[') && bar.contains(']'), "{bar}");
        held.finish(pipe);
        assert_eq!(tmux.wait(), 0);
        let rows = tmux.screen();
        let mut want: Vec<String> = built
            .blobs
            .iter()
            .map(|b| format!("Copying blob {} done", short(&fixtures::sha256(b))))
            .collect();
        want.push(format!(
            "Copying config {} done",
            short(&fixtures::sha256(&built.config))
        ));
        assert_eq!(rows[0], "Getting image source signatures", "{rows:#?}");
        assert_eq!(
            rows.last().unwrap(),
            "Writing manifest to image destination",
            "{rows:#?}"
        );
        assert_eq!(
            sorted(rows[1..rows.len() - 1].to_vec()),
            sorted(want),
            "at {width} columns"
        );
    }
}

/// Opens the held layer's pipe for writing once skiff reads it, and sends its first bytes.
fn wait_for_pipe_reader(held: &HeldSource) -> std::fs::File {
    // The copy runs under tmux, not as our child: a sleeping child stands in for it, so
    // the helper's "did the copy end" check never fires; its own deadline still applies.
    let mut stand_in = Command::new("sleep").arg("120").spawn().unwrap();
    let f = held.wait_for_reader(&mut stand_in);
    let _ = stand_in.kill();
    let _ = stand_in.wait();
    f
}

/// Pushes an OCI image to `dest` with skopeo; its manifest digest.
fn push_with_skopeo(t: &Path, spec: &ImageSpec, dest: &str) -> Option<fixtures::Built> {
    let mut s = skopeo()?;
    let oci = t.join(format!("oci-{}", &fixtures::sha256(dest.as_bytes())[7..]));
    let built = fixtures::write_oci(&oci, "v1", spec);
    ok(s.args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        dest,
    ]));
    Some(built)
}

#[test]
fn sync_bars_on_a_terminal_name_their_image() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let mut specs = Vec::new();
    for (tag, seed) in [("a", 61u64), ("b", 62u64)] {
        let spec = ImageSpec::small(seed);
        let Some(built) = push_with_skopeo(t.path(), &spec, &reg.image(&format!("ns/app:{tag}")))
        else {
            return;
        };
        specs.push((tag, built));
    }
    for width in [80u16, 200] {
        let dest = t.path().join(format!("dest-{width}"));
        let Some(tmux) = Tmux::start(
            width,
            &[
                "--insecure-policy".into(),
                "sync".into(),
                "--src-tls-verify=false".into(),
                "--src".into(),
                "docker".into(),
                "--dest".into(),
                "dir".into(),
                format!("{}/ns/app", reg.host),
                dest.display().to_string(),
            ],
        ) else {
            return;
        };
        assert_eq!(tmux.wait(), 0);
        let rows = tmux.screen();
        // Log lines may wrap (skopeo's do too); blob lines are whole and only the final ones.
        let mut want = Vec::new();
        for (tag, built) in &specs {
            for b in built.blobs.iter().chain([&built.config]) {
                let kind = if b == &built.config { "config" } else { "blob" };
                want.push(format!(
                    "Copying {kind} {} app:{tag} done",
                    short(&fixtures::sha256(b))
                ));
            }
        }
        let blob_rows: Vec<String> = rows
            .iter()
            .filter(|r| r.starts_with("Copying "))
            .cloned()
            .collect();
        assert_eq!(sorted(blob_rows), sorted(want), "{rows:#?}");
        assert!(
            rows.last().unwrap().starts_with("INFO[")
                && rows
                    .last()
                    .unwrap()
                    .contains("Synced 2 images from 1 sources"),
            "{rows:#?}"
        );
        assert_eq!(
            rows.iter()
                .filter(|r| *r == "Writing manifest to image destination")
                .count(),
            2
        );
    }
}

/// An image with one layer large enough to take a second or more through a slow link.
fn slow_spec() -> ImageSpec {
    ImageSpec {
        layers: vec![
            layer_tar(&[("big.bin", &noise(400 << 10, 71))]),
            layer_tar(&[("small.txt", b"small\n")]),
        ],
        ..ImageSpec::small(71)
    }
}

#[test]
fn off_a_terminal_a_slow_copy_prints_a_periodic_line_per_active_blob() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let Some(built) = push_with_skopeo(t.path(), &slow_spec(), &reg.image("slow/app:v1")) else {
        return;
    };
    // 400 KiB/s: the big layer takes about a second.
    let proxy = Proxy::start(reg.port, ProxyMode::Trickle(4096));
    let src = format!("docker://{}/slow/app:v1", proxy.host());
    let copy = |interval: Option<&str>, dest: &str| {
        let mut c = skiff();
        c.args(["--insecure-policy", "copy", "--src-tls-verify=false"]);
        if let Some(i) = interval {
            c.args(["--progress-interval", i]);
        }
        let out = ok(c.args([&src, &format!("dir:{}", t.path().join(dest).display())]));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = copy(Some("100ms"), "d1");
    let big = fixtures::sha256(&built.blobs[0]);
    let total = format!("/ {:.1} KiB", built.blobs[0].len() as f64 / 1024.0);
    let lines: Vec<&str> = err.lines().collect();
    let periodic: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with(&format!("Progress: blob {big} ")))
        .collect();
    assert!(!periodic.is_empty(), "{err}");
    for l in &periodic {
        assert!(l.contains(&total) && l.ends_with("/s"), "{l}");
    }
    // Between skopeo's lines: after the blob's line, before the manifest's.
    let started = lines
        .iter()
        .position(|l| *l == format!("Copying blob {big}"))
        .unwrap();
    let first = lines
        .iter()
        .position(|l| l.starts_with("Progress:"))
        .unwrap();
    let manifest = lines
        .iter()
        .position(|l| *l == "Writing manifest to image destination")
        .unwrap();
    assert!(started < first && first < manifest, "{err}");
    // Skopeo's lines are all there, as without the periodic ones.
    let rest: Vec<&&str> = lines
        .iter()
        .filter(|l| !l.starts_with("Progress:"))
        .collect();
    assert_eq!(*rest[0], "Getting image source signatures");
    // 0 turns it off; the default (30s) prints none in a copy this short.
    for interval in [Some("0"), None] {
        let err = copy(interval, if interval.is_some() { "d2" } else { "d3" });
        assert!(!err.contains("Progress:"), "{err}");
        assert!(err.contains(&format!("Copying blob {big}")), "{err}");
    }
}

fn json_events(stderr: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// A blob's digest and size.
type Blob = (String, u64);

/// The manifest's digest, and its layers' and config's digests and sizes, as skopeo reads
/// them from the registry.
fn skopeo_view(image: &str) -> Option<(String, Vec<Blob>, Blob)> {
    let raw = ok(skopeo()?.args(["inspect", "--raw", "--tls-verify=false", image]));
    let m: Value = serde_json::from_slice(&raw.stdout).unwrap();
    let digest = fixtures::sha256(&raw.stdout);
    let blob = |v: &Value| {
        (
            v["digest"].as_str().unwrap().to_string(),
            v["size"].as_u64().unwrap(),
        )
    };
    let layers = m["layers"].as_array().unwrap().iter().map(blob).collect();
    Some((digest, layers, blob(&m["config"])))
}

#[test]
fn json_progress_is_one_object_per_event() {
    let Some(reg) = Registry::start() else { return };
    // The source lives in its own registry: skopeo's push records where the blobs are (in its
    // blob-info cache, which skiff reads too), and in the same registry skiff would rightly
    // mount them instead of sending the bytes this test watches.
    let Some(src_reg) = Registry::start() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let a = src_reg.image("js/a:v1");
    if push_with_skopeo(t.path(), &slow_spec(), &a).is_none() {
        return;
    }
    let Some((digest, layers, config)) = skopeo_view(&a) else {
        return;
    };
    let proxy = Proxy::start(src_reg.port, ProxyMode::Trickle(8192));
    let src = format!("docker://{}/js/a:v1", proxy.host());
    let b = reg.image("js/b:v1");
    let run = |src: &str, dest: &str| {
        let out = ok(skiff().args([
            "--insecure-policy",
            "copy",
            "--progress=json",
            "--progress-interval",
            "50ms",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            src,
            dest,
        ]));
        assert!(out.stdout.is_empty());
        json_events(&out.stderr)
    };
    let events = run(&src, &b);
    let name = |e: &Value| e["event"].as_str().unwrap().to_string();
    assert_eq!(name(&events[0]), "image_started");
    assert_eq!(events[0]["source"], src);
    assert_eq!(events[0]["destination"], b);
    assert_eq!(name(&events[1]), "signatures_reading");
    let last = events.last().unwrap();
    assert_eq!(name(last), "image_done");
    assert_eq!(last["digest"], digest);
    assert!(last["duration_ms"].is_u64());
    for e in &events {
        assert_eq!(e["image"], src, "{e}");
    }
    // Every blob: started with skopeo's digest and size, done with all its bytes.
    let mut expected = layers.clone();
    expected.push(config.clone());
    for (d, size) in &expected {
        let of = |kind: &str| -> Vec<&Value> {
            events
                .iter()
                .filter(|e| name(e) == kind && e["digest"] == *d)
                .collect()
        };
        let started = of("blob_started");
        assert_eq!(started.len(), 1, "{d}");
        assert_eq!(started[0]["size"], *size);
        let want_kind = if *d == config.0 { "config" } else { "blob" };
        assert_eq!(started[0]["kind"], want_kind);
        let done = of("blob_done");
        assert_eq!(done.len(), 1, "{d}");
        assert_eq!(done[0]["bytes"], *size);
        assert_eq!(done[0]["id"], started[0]["id"]);
        for p in of("blob_progress") {
            assert!(p["bytes"].as_u64().unwrap() <= *size, "{p}");
        }
    }
    // The big layer took long enough to be sampled, with counts that only grow.
    let big: Vec<u64> = events
        .iter()
        .filter(|e| name(e) == "blob_progress" && e["digest"] == layers[0].0)
        .map(|e| e["bytes"].as_u64().unwrap())
        .collect();
    assert!(!big.is_empty(), "{events:#?}");
    assert!(big.windows(2).all(|w| w[0] <= w[1]), "{big:?}");
    let written: Vec<&Value> = events
        .iter()
        .filter(|e| name(e) == "manifest_written")
        .collect();
    assert_eq!(written.len(), 1);
    assert_eq!(written[0]["digest"], digest);
    assert_eq!(written[0]["scope"], "image");
    // Order: each blob's start before its end, the manifest after every blob.
    let pos = |pred: &dyn Fn(&Value) -> bool| events.iter().position(pred).unwrap();
    let manifest_at = pos(&|e| name(e) == "manifest_written");
    for (d, _) in &expected {
        let s = pos(&|e| name(e) == "blob_started" && e["digest"] == *d);
        let f = pos(&|e| name(e) == "blob_done" && e["digest"] == *d);
        assert!(s < f && f < manifest_at, "{d}");
    }

    // Into another repository of the same registry: nothing is sent again.
    let c = reg.image("js/c:v1");
    let events = run(&b, &c);
    for (d, _) in &expected {
        let skipped: Vec<&Value> = events
            .iter()
            .filter(|e| name(e) == "blob_skipped" && e["digest"] == *d)
            .collect();
        assert_eq!(skipped.len(), 1, "{d}: {events:#?}");
        let reason = skipped[0]["reason"].as_str().unwrap();
        assert!(["present", "cached"].contains(&reason), "{reason}");
        assert!(
            !events
                .iter()
                .any(|e| name(e) == "blob_done" && e["digest"] == *d)
        );
    }
}

/// `user:password` as an auth.json `auth` value.
fn basic_b64(user: &str, pass: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
}

fn debug_copy(reg: &Registry, t: &Path, user: &str, pass: &str) -> String {
    let (src, _) = {
        let oci = t.join("oci");
        let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(81));
        (format!("oci:{}:v1", oci.display()), built)
    };
    let auth = t.join("auth.json");
    std::fs::write(
        &auth,
        format!(
            "{{\"auths\":{{\"{}\":{{\"auth\":\"{}\"}}}}}}",
            reg.host,
            basic_b64(user, pass)
        ),
    )
    .unwrap();
    let out = ok(skiff()
        .args(["--debug", "--insecure-policy", "copy", "--authfile"])
        .arg(&auth)
        .args(["--dest-tls-verify=false", &src, &reg.image("dbg/app:v1")]));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    // What it used and asked, in logrus' debug format.
    assert!(
        err.lines().any(|l| l.starts_with("time=\"")
            && l.contains(" level=debug msg=\"Found credentials for ")
            && l.contains(&auth.display().to_string())),
        "{err}"
    );
    assert!(
        err.lines().any(|l| l.contains("level=debug")
            && l.contains(&format!(
                "PUT http://{}/v2/dbg/app/manifests/v1 201",
                reg.host
            ))),
        "{err}"
    );
    assert!(
        err.contains(&format!("GET http://{}/v2/ 401", reg.host)),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "msg=\"Looking for TLS certificates and private keys in /etc/docker/certs.d/{}\"",
            reg.host
        )),
        "{err}"
    );
    // Never a secret.
    for secret in [pass.to_string(), basic_b64(user, pass)] {
        assert!(!err.contains(&secret), "{secret} in {err}");
    }
    for word in ["Authorization", "Bearer ", "Basic ", "eyJ"] {
        assert!(!err.contains(word), "{word} in {err}");
    }
    err
}

#[test]
fn debug_names_files_and_requests_never_secrets() {
    let Some(reg) = Registry::start_with(Options {
        htpasswd: Some(("carol".into(), "pa55-word".into())),
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    debug_copy(&reg, t.path(), "carol", "pa55-word");

    let Some(reg) = Registry::start_with(Options {
        token: Some(TokenOptions {
            user: Some(("dave".into(), "tok3n-pass".into())),
            lifetime: None,
        }),
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let err = debug_copy(&reg, t.path(), "dave", "tok3n-pass");
    // The token request is logged (its JWT answer is not: "eyJ" above).
    assert!(err.contains("/token?"), "{err}");
}
