//! `docker-daemon:` against a real (private) dockerd, and `docker-archive:` with
//! `docker load`/`docker save`; skopeo as the oracle.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::dockerd::{self, Dockerd};
use crate::support::fixtures::{self, ImageSpec};
use crate::support::*;

fn spec(seed: u64) -> ImageSpec {
    let mut s = ImageSpec::small(seed);
    // Docker images in the wild carry a base layer plus the seed-specific one.
    s.layers[0] = fixtures::layer_tar(&[("base.txt", b"shared base layer\n")]);
    s
}

/// An OCI layout with one image tagged `v1`, and its config digest and diff IDs.
fn source(dir: &Path, seed: u64) -> (String, String, Vec<String>) {
    let s = spec(seed);
    let diff_ids = s.layers.iter().map(|l| fixtures::sha256(l)).collect();
    let built = fixtures::write_oci(dir, "v1", &s);
    (
        format!("oci:{}:v1", dir.display()),
        fixtures::sha256(&built.config),
        diff_ids,
    )
}

fn skiff_for(d: &Dockerd) -> std::process::Command {
    let mut c = skiff();
    c.env("DOCKER_HOST", &d.host).arg("--insecure-policy");
    c
}

fn skopeo_for(_: &Dockerd) -> Option<std::process::Command> {
    // skopeo does not read DOCKER_HOST: pass the flags.
    skopeo().map(|mut c| {
        c.arg("--insecure-policy");
        c
    })
}

/// Copies to `dir:` with skiff and skopeo (when here); both must match. Returns skiff's.
fn read_both(d: &Dockerd, t: &Path, src: &str, label: &str, skopeo_flags: &[&str]) -> PathBuf {
    let a = t.join(format!("{label}-skiff"));
    ok(skiff_for(d).args(["copy", "-q", src, &format!("dir:{}", a.display())]));
    if let Some(mut s) = skopeo_for(d) {
        let b = t.join(format!("{label}-skopeo"));
        ok(s.arg("copy")
            .args(skopeo_flags)
            .args(["-q", src, &format!("dir:{}", b.display())]));
        assert_same_tree(&a, &b);
    }
    a
}

#[test]
fn oci_to_daemon_and_back_keeps_the_image() {
    let Some(d) = dockerd::shared() else { return };
    let t = tempfile::tempdir().unwrap();
    let (src, config, diff_ids) = source(&t.path().join("src"), 21);
    ok(skiff_for(d).args(["copy", "-q", &src, "docker-daemon:localhost/rt:skiff"]));
    assert_eq!(d.image_id("localhost/rt:skiff"), Some(config.clone()));
    assert_eq!(d.diff_ids("localhost/rt:skiff"), diff_ids);
    if let Some(mut s) = skopeo_for(d) {
        ok(s.args([
            "copy",
            "-q",
            "--dest-daemon-host",
            &d.host,
            &src,
            "docker-daemon:localhost/rt:skopeo",
        ]));
        assert_eq!(d.image_id("localhost/rt:skopeo"), Some(config.clone()));
    }
    // Back out, by name and by image ID, with --src-daemon-host instead of DOCKER_HOST.
    let by_name = read_both(
        d,
        t.path(),
        "docker-daemon:localhost/rt:skiff",
        "out",
        &["--src-daemon-host", &d.host],
    );
    let by_id = t.path().join("by-id");
    ok(skiff()
        .env_remove("DOCKER_HOST")
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--src-daemon-host",
            &d.host,
        ])
        .arg(format!("docker-daemon:{config}"))
        .arg(format!("dir:{}", by_id.display())));
    assert_same_tree(&by_name, &by_id);
    // The layers that came back are the ones that went in.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(by_name.join("manifest.json")).unwrap()).unwrap();
    let digests: Vec<String> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(digests, diff_ids);
    // And into an OCI layout: the diff IDs survive another conversion.
    let oci = t.path().join("oci-out");
    ok(skiff_for(d).args([
        "copy",
        "-q",
        "docker-daemon:localhost/rt:skiff",
        &format!("oci:{}:back", oci.display()),
    ]));
    let cfg = ok(skiff().args([
        "inspect",
        "--config",
        &format!("oci:{}:back", oci.display()),
    ]));
    let cfg: serde_json::Value = serde_json::from_slice(&cfg.stdout).unwrap();
    assert_eq!(cfg["rootfs"]["diff_ids"], serde_json::json!(diff_ids));
    // skopeo reads skiff's layout back to the same layers.
    if let Some(theirs) =
        crate::support::skopeo_diff_ids(&format!("oci:{}:back", oci.display()), &[])
    {
        assert_eq!(theirs, diff_ids);
    }
}

#[test]
fn inspect_matches_skopeo() {
    let Some(d) = dockerd::shared() else { return };
    let t = tempfile::tempdir().unwrap();
    let (src, config, _) = source(&t.path().join("src"), 22);
    ok(skiff_for(d).args(["copy", "-q", &src, "docker-daemon:localhost/insp:1"]));
    for name in [
        "docker-daemon:localhost/insp:1".to_string(),
        format!("docker-daemon:{config}"),
    ] {
        let ours = ok(skiff_for(d).args(["inspect", &name]));
        let mut ours: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
        ours.as_object_mut().unwrap().remove("LayersData");
        let raw = ok(skiff_for(d).args(["inspect", "--raw", &name]));
        if let Some(mut s) = skopeo_for(d) {
            let theirs = ok(s.args(["inspect", "--daemon-host", &d.host, &name]));
            let theirs: serde_json::Value = serde_json::from_slice(&theirs.stdout).unwrap();
            assert_eq!(ours, theirs, "{name}");
            let theirs = ok(skopeo_for(d).unwrap().args([
                "inspect",
                "--raw",
                "--daemon-host",
                &d.host,
                &name,
            ]));
            assert_eq!(raw.stdout, theirs.stdout);
        }
    }
    let (code, err) = fails(skiff_for(d).args(["inspect", "docker-daemon:localhost/nothere:1"]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        "Error parsing image name \"docker-daemon:localhost/nothere:1\": loading image from docker engine: Error response from daemon: reference does not exist"
    );
}

#[test]
fn skiff_archives_load_in_docker() {
    let Some(d) = dockerd::shared() else { return };
    let t = tempfile::tempdir().unwrap();
    let (src, config, diff_ids) = source(&t.path().join("src"), 23);
    let archive = t.path().join("a.tar");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--additional-tag",
        "localhost/load:extra",
        &src,
        &format!("docker-archive:{}:localhost/load:1", archive.display()),
    ]));
    let out = ok(d.docker().args(["load", "-i", &archive.to_string_lossy()]));
    let said = stdout(&out);
    assert!(said.contains("Loaded image: localhost/load:1"), "{said}");
    assert!(
        said.contains("Loaded image: localhost/load:extra"),
        "{said}"
    );
    assert_eq!(d.image_id("localhost/load:1"), Some(config.clone()));
    assert_eq!(d.image_id("localhost/load:extra"), Some(config));
    assert_eq!(d.diff_ids("localhost/load:1"), diff_ids);
    // Piped straight from skiff's stdout into docker load.
    let mut producer = skiff_for(d)
        .args([
            "copy",
            "-q",
            &src,
            "docker-archive:/dev/stdout:localhost/load:piped",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = producer.stdout.take().unwrap();
    let loaded = ok(d.docker().arg("load").stdin(pipe));
    assert!(producer.wait().unwrap().success());
    assert!(stdout(&loaded).contains("localhost/load:piped"));
}

#[test]
fn docker_save_archives_read_as_skopeo_reads_them() {
    let Some(d) = dockerd::shared() else { return };
    let t = tempfile::tempdir().unwrap();
    for (seed, name) in [(24, "localhost/saved:a"), (25, "localhost/saved:b")] {
        let (src, _, _) = source(&t.path().join(format!("src{seed}")), seed);
        ok(skiff_for(d).args(["copy", "-q", &src, &format!("docker-daemon:{name}")]));
    }
    let single = t.path().join("single.tar");
    ok(d.docker()
        .args(["save", "-o", &single.to_string_lossy(), "localhost/saved:a"]));
    let a = read_both(
        d,
        t.path(),
        &format!("docker-archive:{}", single.display()),
        "single",
        &[],
    );
    let from_daemon = t.path().join("from-daemon");
    ok(skiff_for(d).args([
        "copy",
        "-q",
        "docker-daemon:localhost/saved:a",
        &format!("dir:{}", from_daemon.display()),
    ]));
    assert_same_tree(&a, &from_daemon);
    // Two imports of one layer (different creation times): docker save links the second
    // image's layer.tar to the first's.
    let layer = t.path().join("layer.tar");
    std::fs::write(
        &layer,
        fixtures::layer_tar(&[("imported", b"same bytes\n")]),
    )
    .unwrap();
    for tag in ["localhost/imp:1", "localhost/imp:2"] {
        ok(d.docker().args(["import", &layer.to_string_lossy(), tag]));
    }
    let multi = t.path().join("multi.tar");
    ok(d.docker().args([
        "save",
        "-o",
        &multi.to_string_lossy(),
        "localhost/saved:a",
        "localhost/saved:b",
        "localhost/imp:1",
        "localhost/imp:2",
    ]));
    let listing = tar::Archive::new(std::fs::File::open(&multi).unwrap())
        .entries()
        .unwrap()
        .filter(|e| e.as_ref().unwrap().header().entry_type() == tar::EntryType::Symlink)
        .count();
    assert!(listing > 0, "docker save wrote no symbolic link");
    let name = format!("docker-archive:{}", multi.display());
    let tags = ok(skiff().args(["list-tags", &name]));
    if let Some(mut s) = skopeo() {
        assert_eq!(stdout(&tags), stdout(&ok(s.args(["list-tags", &name]))));
    }
    let items: Vec<serde_json::Value> = {
        let mut ar = tar::Archive::new(std::fs::File::open(&multi).unwrap());
        let mut found = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            if e.path().unwrap().to_str() == Some("manifest.json") {
                found = serde_json::from_reader(&mut e).unwrap();
            }
        }
        found
    };
    for (i, item) in items.iter().enumerate() {
        let tag = item["RepoTags"][0].as_str().unwrap();
        let by_index = t.path().join(format!("multi-{i}"));
        ok(skiff().args([
            "--insecure-policy",
            "copy",
            "-q",
            &format!("{name}:@{i}"),
            &format!("dir:{}", by_index.display()),
        ]));
        let by_tag = t.path().join(format!("multi-tag-{i}"));
        ok(skiff().args([
            "--insecure-policy",
            "copy",
            "-q",
            &format!("{name}:{tag}"),
            &format!("dir:{}", by_tag.display()),
        ]));
        assert_same_tree(&by_index, &by_tag);
        let direct = t.path().join(format!("direct-{i}"));
        ok(skiff_for(d).args([
            "copy",
            "-q",
            &format!("docker-daemon:{tag}"),
            &format!("dir:{}", direct.display()),
        ]));
        assert_same_tree(&by_index, &direct);
    }
}

#[test]
fn a_daemon_that_is_not_running_is_one_clear_line() {
    let t = tempfile::tempdir().unwrap();
    let (src, _, _) = source(&t.path().join("src"), 26);
    let host = format!("unix://{}", t.path().join("no.sock").display());
    let (code, err) = fails(skiff().args([
        "--insecure-policy",
        "inspect",
        "--daemon-host",
        &host,
        "docker-daemon:localhost/x:1",
    ]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        format!(
            "Error parsing image name \"docker-daemon:localhost/x:1\": loading image from docker engine: Cannot connect to the Docker daemon at {host}. Is the docker daemon running?"
        )
    );
    let (_, err) = fails(skiff().env("DOCKER_HOST", &host).args([
        "--insecure-policy",
        "copy",
        &src,
        "docker-daemon:localhost/x:1",
    ]));
    assert_eq!(
        fatal_message(&err),
        format!(
            "initializing destination docker-daemon:localhost/x:1: saving image to docker engine: Cannot connect to the Docker daemon at {host}. Is the docker daemon running?"
        )
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (_, err) = fails(skiff().args([
        "--insecure-policy",
        "copy",
        &src,
        &format!("docker-daemon:sha256:{}", "a".repeat(64)),
    ]));
    assert!(
        fatal_message(&err).ends_with("a destination must be a name:tag"),
        "{err}"
    );
}

#[test]
fn tls_over_tcp_with_the_cert_dir() {
    let Some(d) = dockerd::shared() else { return };
    let t = tempfile::tempdir().unwrap();
    let (src, config, _) = source(&t.path().join("src"), 27);
    let certs = d.cert_dir();
    let certs = certs.to_string_lossy();
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-daemon-host",
        &d.tls_host,
        "--dest-cert-dir",
        &certs,
        &src,
        "docker-daemon:localhost/tls:1",
    ]));
    assert_eq!(d.image_id("localhost/tls:1"), Some(config));
    let out = ok(skiff().args([
        "inspect",
        "--daemon-host",
        &d.tls_host,
        "--cert-dir",
        &certs,
        "docker-daemon:localhost/tls:1",
    ]));
    assert!(stdout(&out).contains("\"Digest\""));
    // Without the client certificate and CA the engine is not reached.
    let (code, err) = fails(skiff().args([
        "inspect",
        "--daemon-host",
        &d.tls_host,
        "docker-daemon:localhost/tls:1",
    ]));
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    if let Some(mut s) = skopeo() {
        let theirs = ok(s.args([
            "inspect",
            "--daemon-host",
            &d.tls_host,
            "--cert-dir",
            &certs,
            "docker-daemon:localhost/tls:1",
        ]));
        let mut ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        ours.as_object_mut().unwrap().remove("LayersData");
        let theirs: serde_json::Value = serde_json::from_slice(&theirs.stdout).unwrap();
        assert_eq!(ours, theirs);
    }
}

/// The source stops mid-layer (its pipe closes after 100 bytes): a failure only skiff sees,
/// while the engine is already receiving the image. The engine must load nothing; the test
/// waits on the engine's own load directory rather than a clock.
#[test]
fn a_failed_copy_loads_nothing() {
    use crate::support::held::{HeldSource, wait_bounded};
    use std::time::{Duration, Instant};
    let Some(d) = dockerd::shared() else { return };
    // dockerd unpacks each `load` in a `docker-import-*` directory of its TMPDIR.
    let loads = || -> Vec<String> {
        std::fs::read_dir(d.dir.join("root/tmp"))
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("docker-import-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let wait_until = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let held = HeldSource::new();
    let mut child = skiff_for(d)
        .args(["copy", &held.name(), "docker-daemon:localhost/broken:1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = held.wait_for_reader(&mut child);
    wait_until("the engine never started the load", &|| !loads().is_empty());
    let loading = loads();
    drop(pipe);
    let status = wait_bounded(&mut child);
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(fatal_message(&err).contains("writing blob"), "{err}");
    // The engine is done with the request once it has removed that load's directory.
    wait_until("the engine never ended the load", &|| {
        loads().iter().all(|n| !loading.contains(n))
    });
    assert_eq!(d.image_id("localhost/broken:1"), None);
}

/// An image the engine itself refuses while loading (a layer that is not a tar archive, which
/// only the engine checks): skiff reports the engine's own error, exit 1, and nothing is
/// loaded. The expected words come from the engine through `docker load` of the same image.
/// (skopeo 1.9.3 is no oracle here: it checks only the HTTP status of the load, so it exits 0
/// while the engine loaded nothing.)
#[test]
fn an_error_the_engine_sends_while_loading_is_reported() {
    let Some(d) = dockerd::shared() else { return };
    let t = tempfile::tempdir().unwrap();
    let mut s = spec(77);
    s.layers[1] = fixtures::noise(4096, 77);
    fixtures::write_oci(&t.path().join("oci"), "v1", &s);
    let src = format!("oci:{}:v1", t.path().join("oci").display());
    let (code, err) =
        fails(skiff_for(d).args(["copy", "-q", &src, "docker-daemon:localhost/refused:1"]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    let mine = fatal_message(&err);
    assert_eq!(d.image_id("localhost/refused:1"), None);

    let Some(mut theirs) = skopeo_for(d) else {
        return;
    };
    let archive = t.path().join("refused.tar");
    ok(theirs.args([
        "copy",
        "-q",
        &src,
        &format!("docker-archive:{}:localhost/refused:2", archive.display()),
    ]));
    let (_, engine) = fails(d.docker().args(["load", "-i", &archive.to_string_lossy()]));
    // The CLI prints the engine's message after its own prefix.
    let engine_said = engine.trim_end().rsplit("stderr: ").next().unwrap();
    assert!(engine_said.contains("archive/tar"), "{engine}");
    assert!(
        mine.ends_with(&format!("{engine_said}\"")),
        "skiff: {mine}\nengine: {engine}"
    );
    assert_eq!(d.image_id("localhost/refused:2"), None);
}
