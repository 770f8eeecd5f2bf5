//! The blob-info cache against a real docker-registry, with skopeo as the oracle: an image
//! pulled into containers-storage and pushed to another repository of the same registry is
//! mounted there, not recompressed and uploaded — as skopeo does it.
//!
//! Each test gives skiff a private cache the way c/image allows one: `_CONTAINERS_ROOTLESS_UID`
//! (c/image's rootless EUID) set to a non-root value makes the cache
//! `$XDG_DATA_HOME/containers/cache/blob-info-cache-v1.sqlite`, so the system's cache in
//! /var/lib/containers/cache is never touched. skopeo 1.9.3 keeps its own cache in BoltDB
//! (`blob-info-cache-v1.boltdb`) in the same directory, chosen by the same rules: skiff reads
//! that file (never writes it) for what its SQLite file does not know.

use std::path::PathBuf;
use std::process::Command;

use crate::storage::{Store, peers};
use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Registry, http};
use crate::support::{ok, run, stdout};

/// A private blob-info cache for skiff.
struct Cache {
    dir: tempfile::TempDir,
}

impl Cache {
    fn new() -> Cache {
        Cache {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn on(&self, mut c: Command) -> Command {
        crate::support::private_blob_cache(&mut c, self.dir.path());
        c
    }

    fn file(&self) -> PathBuf {
        self.dir
            .path()
            .join("containers/cache/blob-info-cache-v1.sqlite")
    }

    /// Where skopeo 1.9.3 keeps its cache with the same settings.
    fn bolt(&self) -> PathBuf {
        self.dir
            .path()
            .join("containers/cache/blob-info-cache-v1.boltdb")
    }
}

/// A registry holding the fixture image at `src/app:1` (put there by skopeo); its layer
/// digests.
fn registry_with_image() -> Option<(Registry, Vec<String>)> {
    if !peers() {
        return None;
    }
    let reg = Registry::start()?;
    let layout = tempfile::tempdir().unwrap();
    let built = fixtures::write_oci(layout.path(), "1", &ImageSpec::small(24));
    ok(Command::new("skopeo").args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:1", layout.path().display()),
        &reg.image("src/app:1"),
    ]));
    let layers = built.blobs.iter().map(|b| fixtures::sha256(b)).collect();
    Some((reg, layers))
}

/// The requests the registry logged after the first `from` bytes of its log.
fn requests_since(reg: &Registry, from: usize) -> Vec<String> {
    let log = std::fs::read(reg.dir.path().join("registry.log")).unwrap();
    String::from_utf8_lossy(&log[from..])
        .lines()
        .filter_map(|l| {
            let start = l
                .find("\"GET /v2")
                .or_else(|| l.find("\"HEAD /v2"))
                .or_else(|| l.find("\"POST /v2"))
                .or_else(|| l.find("\"PUT /v2"))
                .or_else(|| l.find("\"PATCH /v2"))
                .or_else(|| l.find("\"DELETE /v2"))?;
            let rest = &l[start + 1..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

fn log_len(reg: &Registry) -> usize {
    std::fs::metadata(reg.dir.path().join("registry.log"))
        .map(|m| m.len() as usize)
        .unwrap_or(0)
}

/// Blob uploads completed in `repo` (c/image and skiff finish each with one PUT).
fn uploads(reqs: &[String], repo: &str) -> usize {
    let prefix = format!("PUT /v2/{repo}/blobs/uploads/");
    reqs.iter().filter(|r| r.starts_with(&prefix)).count()
}

/// The digests mounted into `repo`.
fn mounts(reqs: &[String], repo: &str) -> Vec<String> {
    let prefix = format!("POST /v2/{repo}/blobs/uploads/?");
    let mut out: Vec<String> = reqs
        .iter()
        .filter(|r| r.starts_with(&prefix))
        .filter_map(|r| {
            let q = r.split('?').nth(1)?.split(' ').next()?;
            q.split('&')
                .find_map(|kv| kv.strip_prefix("mount="))
                .map(|d| d.replace("%3A", ":"))
        })
        .collect();
    out.sort();
    out
}

fn raw_manifest(reg: &Registry, repo: &str, tag: &str) -> Vec<u8> {
    let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    let (status, body) = http(
        &reg.host,
        "GET",
        &format!("/v2/{repo}/manifests/{tag}"),
        &[("Accept", accept)],
        b"",
    );
    assert_eq!(status, 200, "{repo}:{tag}");
    body
}

/// `digests` and the config digest of `manifest`, sorted.
fn with_config(digests: &[String], manifest: &[u8]) -> Vec<String> {
    let m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    let mut out = digests.to_vec();
    out.push(m["config"]["digest"].as_str().unwrap().to_string());
    out.sort();
    out
}

fn layer_digests(manifest: &[u8]) -> Vec<String> {
    let m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

fn pull(store: &Store, cache: &Cache, reg: &Registry) -> std::process::Output {
    ok(cache.on(store.skiff()).args([
        "copy",
        "--src-tls-verify=false",
        &reg.image("src/app:1"),
        "containers-storage:localhost/app:1",
    ]))
}

fn push(store: &Store, cache: &Cache, reg: &Registry, repo: &str) -> std::process::Output {
    ok(cache.on(store.skiff()).args([
        "copy",
        "--dest-tls-verify=false",
        "containers-storage:localhost/app:1",
        &reg.image(repo),
    ]))
}

/// With the same image in a private store, what skopeo's push to `repo` sent.
fn skopeo_push(reg: &Registry, repo: &str) -> (Vec<String>, Vec<u8>) {
    let store = Store::new("vfs");
    ok(store.skopeo().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &reg.image("src/app:1"),
        "containers-storage:localhost/app:1",
    ]));
    let mark = log_len(reg);
    ok(store.skopeo().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "containers-storage:localhost/app:1",
        &reg.image(&format!("{repo}:1")),
    ]));
    (requests_since(reg, mark), raw_manifest(reg, repo, "1"))
}

#[test]
fn a_pulled_image_pushed_to_another_repository_is_mounted_as_skopeo_mounts_it() {
    let Some((reg, layers)) = registry_with_image() else {
        return;
    };
    let store = Store::new("vfs");
    let cache = Cache::new();
    pull(&store, &cache, &reg);
    // The pull recorded what each layer blob decompresses to (as c/image's storage
    // destination records it), and where the blob was found.
    let conn = rusqlite::Connection::open(cache.file()).unwrap();
    let diff_ids: Vec<String> = ImageSpec::small(24)
        .layers
        .iter()
        .map(|l| fixtures::sha256(l))
        .collect();
    for (blob, diff_id) in layers.iter().zip(&diff_ids) {
        let recorded: String = conn
            .query_row(
                "SELECT uncompressedDigest FROM DigestUncompressedPairs WHERE anyDigest = ?1",
                [blob],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(&recorded, diff_id);
        let location: String = conn
            .query_row(
                "SELECT location FROM KnownLocations WHERE digest = ?1",
                [blob],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(location, format!("{}/src/app", reg.host));
    }
    drop(conn);
    let mark = log_len(&reg);
    push(&store, &cache, &reg, "dst/app:1");
    let mine = requests_since(&reg, mark);

    let (theirs, their_manifest) = skopeo_push(&reg, "sko/app");
    let mut expected = layers.clone();
    expected.sort();
    assert_eq!(
        mounts(&theirs, "sko/app"),
        expected,
        "skopeo mounts: {theirs:#?}"
    );
    // skopeo uploads the config; skiff mounts it too (its cache saw it in src/app).
    assert_eq!(uploads(&theirs, "sko/app"), 1, "{theirs:#?}");
    assert_eq!(uploads(&mine, "dst/app"), 0, "{mine:#?}");
    assert_eq!(
        mounts(&mine, "dst/app"),
        with_config(&expected, &their_manifest),
        "{mine:#?}"
    );
    let my_manifest = raw_manifest(&reg, "dst/app", "1");
    assert_eq!(
        String::from_utf8_lossy(&my_manifest),
        String::from_utf8_lossy(&their_manifest)
    );
    assert_eq!(layer_digests(&my_manifest), layers);
}

#[test]
fn the_stores_own_records_are_used_when_the_cache_is_empty() {
    let Some((reg, layers)) = registry_with_image() else {
        return;
    };
    let store = Store::new("vfs");
    pull(&store, &Cache::new(), &reg);
    // A fresh cache knows nothing; the store still records which blobs its layers were
    // pulled as, and the registry is asked for them in the destination repository.
    let empty = Cache::new();
    let mark = log_len(&reg);
    push(&store, &empty, &reg, "src/app:2");
    let reqs = requests_since(&reg, mark);
    assert_eq!(uploads(&reqs, "src/app"), 0, "{reqs:#?}");
    assert_eq!(layer_digests(&raw_manifest(&reg, "src/app", "2")), layers);
    assert_eq!(
        raw_manifest(&reg, "src/app", "2"),
        raw_manifest(&reg, "src/app", "1")
    );
}

#[test]
fn a_stale_entry_is_detected_and_the_layer_uploaded() {
    let Some((reg, layers)) = registry_with_image() else {
        return;
    };
    let store = Store::new("vfs");
    let cache = Cache::new();
    pull(&store, &cache, &reg);
    for l in &layers {
        let (status, _) = http(
            &reg.host,
            "DELETE",
            &format!("/v2/src/app/blobs/{l}"),
            &[],
            b"",
        );
        assert_eq!(status, 202, "deleting {l}");
    }
    let mark = log_len(&reg);
    push(&store, &cache, &reg, "dst/app:1");
    let reqs = requests_since(&reg, mark);
    // The cache's candidates were checked and found missing: every layer is uploaded.
    for l in &layers {
        let head = format!("HEAD /v2/src/app/blobs/{l} ");
        assert!(reqs.iter().any(|r| r.starts_with(&head)), "{reqs:#?}");
    }
    // Only the config, still there, is mounted.
    let config = with_config(&[], &raw_manifest(&reg, "src/app", "1"));
    assert_eq!(mounts(&reqs, "dst/app"), config, "{reqs:#?}");
    assert_eq!(uploads(&reqs, "dst/app"), layers.len(), "{reqs:#?}");
    // c/image checks each layer against the config's diff IDs as it stores the image.
    let check = Store::new("vfs");
    ok(check.skopeo().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &reg.image("dst/app:1"),
        "containers-storage:localhost/check:1",
    ]));
}

#[test]
fn a_corrupt_cache_is_a_warning_and_is_started_again() {
    let Some((reg, layers)) = registry_with_image() else {
        return;
    };
    let store = Store::new("vfs");
    let cache = Cache::new();
    std::fs::create_dir_all(cache.file().parent().unwrap()).unwrap();
    std::fs::write(cache.file(), vec![0x5a; 16384]).unwrap();
    let out = pull(&store, &cache, &reg);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("level=warning") && stderr.contains("blob info cache"),
        "{stderr}"
    );
    assert!(
        std::fs::read(cache.file())
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    // The new cache works: the push mounts.
    let mark = log_len(&reg);
    let out = push(&store, &cache, &reg, "dst/app:1");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
    let reqs = requests_since(&reg, mark);
    let expected = with_config(&layers, &raw_manifest(&reg, "src/app", "1"));
    assert_eq!(mounts(&reqs, "dst/app"), expected, "{reqs:#?}");
}

#[test]
fn concurrent_skiff_processes_all_record_what_they_learned() {
    let Some((reg, layers)) = registry_with_image() else {
        return;
    };
    const N: usize = 4;
    for i in 0..N {
        ok(Command::new("skopeo").args([
            "--insecure-policy",
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &reg.image("src/app:1"),
            &reg.image(&format!("src/copy{i}:1")),
        ]));
    }
    let cache = Cache::new();
    let dest = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..N)
        .map(|i| {
            cache
                .on(crate::support::skiff())
                .args([
                    "--insecure-policy",
                    "copy",
                    "--src-tls-verify=false",
                    &reg.image(&format!("src/copy{i}:1")),
                    &format!("dir:{}", dest.path().join(i.to_string()).display()),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("level=warning"), "{stderr}");
    }
    let conn = rusqlite::Connection::open(cache.file()).unwrap();
    let mut seen: Vec<String> = conn
        .prepare("SELECT location FROM KnownLocations WHERE transport = 'docker' AND scope = ?1 AND digest = ?2")
        .unwrap()
        .query_map([reg.host.as_str(), layers[0].as_str()], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    seen.sort();
    let expected: Vec<String> = (0..N)
        .map(|i| format!("{}/src/copy{i}", reg.host))
        .collect();
    assert_eq!(seen, expected);
    let compressor: String = conn
        .query_row(
            "SELECT compressor FROM DigestCompressors WHERE digest = ?1",
            [layers[0].as_str()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(compressor, "gzip");
}

#[test]
fn the_cache_is_where_c_image_puts_it_for_a_rootless_user() {
    let Some((reg, _)) = registry_with_image() else {
        return;
    };
    let dest = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // No XDG_DATA_HOME: $HOME/.local/share.
    let mut c = crate::support::skiff();
    c.env("_CONTAINERS_ROOTLESS_UID", "1000")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home.path())
        .args([
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            &reg.image("src/app:1"),
            &format!("dir:{}", dest.path().join("d").display()),
        ]);
    let out = run(&mut c);
    assert!(out.status.success(), "{}", stdout(&out));
    let file = home
        .path()
        .join(".local/share/containers/cache/blob-info-cache-v1.sqlite");
    assert!(file.is_file());
}

#[test]
fn precomputed_digests_skip_layers_the_registry_has_without_any_cache() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    fixtures::write_oci(&t.path().join("oci"), "1", &ImageSpec::small(31));
    let plain = format!("dir:{}", t.path().join("plain").display());
    ok(crate::support::skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-decompress",
        &format!("oci:{}:1", t.path().join("oci").display()),
        &plain,
    ]));
    // Each push with an empty cache: only the registry can tell what it has.
    let mut counts = Vec::new();
    for (tag, flag) in [
        ("1", None),
        ("2", None),
        ("3", Some("--dest-precompute-digests")),
    ] {
        let cache = Cache::new();
        let mark = log_len(&reg);
        let mut c = cache.on(crate::support::skiff());
        c.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]);
        c.args(flag);
        ok(c.args([plain.as_str(), &reg.image(&format!("pre/app:{tag}"))]));
        counts.push(uploads(&requests_since(&reg, mark), "pre/app"));
    }
    // Two layers and the config; then the layers, compressed again; then nothing.
    assert_eq!(counts, [3, 2, 0]);
    assert_eq!(
        layer_digests(&raw_manifest(&reg, "pre/app", "3")),
        layer_digests(&raw_manifest(&reg, "pre/app", "1"))
    );
}

#[test]
fn preserve_digests_refuses_to_push_a_stores_layers_as_skopeo_does() {
    let Some((reg, _)) = registry_with_image() else {
        return;
    };
    let store = Store::new("vfs");
    let cache = Cache::new();
    pull(&store, &cache, &reg);
    let args = |c: &mut Command, repo: &str| {
        c.args([
            "copy",
            "--preserve-digests",
            "--dest-tls-verify=false",
            "containers-storage:localhost/app:1",
            &reg.image(repo),
        ]);
    };
    let mut mine = cache.on(store.skiff());
    args(&mut mine, "pd/app:1");
    let (code, msg) = crate::support::fails(&mut mine);
    let mut theirs = store.skopeo();
    args(&mut theirs, "pd/app:2");
    let (their_code, their_msg) = crate::support::fails(&mut theirs);
    assert_eq!(
        (code, crate::support::fatal_message(&msg)),
        (their_code, crate::support::fatal_message(&their_msg))
    );
}

#[test]
fn layers_compressed_by_one_push_are_mounted_by_the_next_as_skopeo_does() {
    let Some(reg) = Registry::start() else {
        return;
    };
    if !crate::support::require_tool("skopeo") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    fixtures::write_oci(&t.path().join("oci"), "1", &ImageSpec::small(47));
    let plain = format!("dir:{}", t.path().join("plain").display());
    ok(crate::support::skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-decompress",
        &format!("oci:{}:1", t.path().join("oci").display()),
        &plain,
    ]));
    // Two pushes of the uncompressed image to two repositories: the first compresses and
    // uploads, the second finds the compressed layers through the cache and mounts them.
    let pushes = |tool: Command, first: &str, second: &str| -> Vec<(usize, Vec<String>)> {
        let mut tool = tool;
        tool.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]);
        let mut out = Vec::new();
        for repo in [first, second] {
            let mark = log_len(&reg);
            let mut c = Command::new(tool.get_program());
            c.args(tool.get_args());
            c.envs(tool.get_envs().filter_map(|(k, v)| Some((k, v?))));
            ok(c.args([plain.as_str(), &reg.image(&format!("{repo}:1"))]));
            let reqs = requests_since(&reg, mark);
            out.push((uploads(&reqs, repo), mounts(&reqs, repo)));
        }
        out
    };
    let cache = Cache::new();
    let mine = pushes(cache.on(crate::support::skiff()), "mine/a", "mine/b");
    let theirs = pushes(Command::new("skopeo"), "theirs/a", "theirs/b");
    let layers = layer_digests(&raw_manifest(&reg, "mine/a", "1"));
    let mut sorted = layers.clone();
    sorted.sort();
    assert_eq!(theirs[0].0, 3, "{theirs:?}");
    assert_eq!(
        theirs[1].0, 1,
        "skopeo uploads the config again: {theirs:?}"
    );
    assert_eq!(theirs[1].1.len(), 2, "{theirs:?}");
    assert_eq!(mine[0], (3, Vec::new()));
    assert_eq!(
        mine[1],
        (0, with_config(&sorted, &raw_manifest(&reg, "mine/a", "1")))
    );
    assert_eq!(
        raw_manifest(&reg, "mine/b", "1"),
        raw_manifest(&reg, "mine/a", "1")
    );
}

/// docker-daemon: layers arrive uncompressed and are compressed while the export arrives —
/// unless the cache may know them at the destination: then, as c/image does, the cache is
/// asked first and the push mounts what an earlier push uploaded.
#[test]
fn a_daemon_image_pushed_again_mounts_its_layers_as_skopeo_does() {
    let Some(d) = crate::support::dockerd::shared() else {
        return;
    };
    let Some(reg) = Registry::start() else {
        return;
    };
    if !crate::support::require_tool("skopeo") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let first = ImageSpec::small(48);
    // A second image on the same base layer, with a layer of its own.
    let mut second = ImageSpec::small(49);
    second.layers[0] = first.layers[0].clone();
    for (spec, name) in [
        (&first, "localhost/cached:1"),
        (&second, "localhost/cached:2"),
    ] {
        let dir = t.path().join(name.replace([':', '/'], "-"));
        fixtures::write_oci(&dir, "1", spec);
        ok(crate::support::skiff().env("DOCKER_HOST", &d.host).args([
            "--insecure-policy",
            "copy",
            "-q",
            &format!("oci:{}:1", dir.display()),
            &format!("docker-daemon:{name}"),
        ]));
    }
    // Each push's (uploaded blobs, mounted blobs), from the registry's log.
    let push = |tool: &mut Command, image: &str, repo: &str| -> (usize, Vec<String>) {
        let mark = log_len(&reg);
        let skopeo = tool.get_program() == "skopeo";
        tool.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]);
        if skopeo {
            // skopeo does not read DOCKER_HOST.
            tool.args(["--src-daemon-host", &d.host]);
        }
        ok(tool.args([
            &format!("docker-daemon:{image}"),
            &reg.image(&format!("{repo}:1")),
        ]));
        let reqs = requests_since(&reg, mark);
        (uploads(&reqs, repo), mounts(&reqs, repo))
    };
    let cache = Cache::new();
    let skiff = || {
        let mut c = cache.on(crate::support::skiff());
        c.env("DOCKER_HOST", &d.host);
        c
    };
    let their_cache = Cache::new();
    let skopeo = || their_cache.on(Command::new("skopeo"));
    // skopeo, with a private cache of its own: the second push uploads no layer.
    assert_eq!(push(&mut skopeo(), "localhost/cached:1", "theirs/a").0, 3);
    let theirs = push(&mut skopeo(), "localhost/cached:1", "theirs/b");
    assert_eq!(theirs.0, 1, "skopeo uploads the config again: {theirs:?}");
    assert_eq!(theirs.1.len(), 2, "{theirs:?}");

    assert_eq!(
        push(&mut skiff(), "localhost/cached:1", "mine/a"),
        (3, Vec::new())
    );
    let pushed = raw_manifest(&reg, "mine/a", "1");
    let layers = layer_digests(&pushed);
    let mut sorted = layers.clone();
    sorted.sort();
    assert_eq!(
        push(&mut skiff(), "localhost/cached:1", "mine/b"),
        (0, with_config(&sorted, &pushed))
    );
    assert_eq!(raw_manifest(&reg, "mine/b", "1"), pushed);
    // The image on the same base: the base is mounted, its own layer and config uploaded.
    assert_eq!(
        push(&mut skiff(), "localhost/cached:2", "mine/c"),
        (2, vec![layers[0].clone()])
    );
    let other = layer_digests(&raw_manifest(&reg, "mine/c", "1"));
    assert_eq!(other[0], layers[0]);
    // What the registry holds is the image: skopeo reads it to the engine's diff IDs.
    if let Some(theirs) =
        crate::support::skopeo_diff_ids(&reg.image("mine/c:1"), &["--src-tls-verify=false"])
    {
        assert_eq!(theirs, d.diff_ids("localhost/cached:2"));
    }
}

/// skopeo 1.9.3 pulls into the store and records what it learned in its BoltDB file; skiff,
/// with only that file (no SQLite cache yet), pushes the stored image to another repository
/// by mounting what skopeo saw, as skopeo's own push from the same store and cache does.
#[test]
fn a_push_mounts_what_skopeo_1_9_3_recorded_in_its_boltdb_cache() {
    let Some((reg, layers)) = registry_with_image() else {
        return;
    };
    let store = Store::new("vfs");
    let cache = Cache::new();
    ok(cache.on(store.skopeo()).args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &reg.image("src/app:1"),
        "containers-storage:localhost/app:1",
    ]));
    assert!(
        cache.bolt().is_file(),
        "skopeo 1.9.3 wrote its BoltDB cache"
    );
    assert!(!cache.file().exists());
    let bolt_before = std::fs::read(cache.bolt()).unwrap();

    // Without the file: the layers are compressed and uploaded.
    let mark = log_len(&reg);
    push(&store, &Cache::new(), &reg, "none/app:1");
    let reqs = requests_since(&reg, mark);
    assert_eq!(uploads(&reqs, "none/app"), layers.len() + 1, "{reqs:#?}");

    let mark = log_len(&reg);
    let out = push(&store, &cache, &reg, "dst/app:1");
    let mine = requests_since(&reg, mark);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("level=warning"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Read, never written.
    assert_eq!(std::fs::read(cache.bolt()).unwrap(), bolt_before);

    let mark = log_len(&reg);
    ok(cache.on(store.skopeo()).args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "containers-storage:localhost/app:1",
        &reg.image("sko/app:1"),
    ]));
    let theirs = requests_since(&reg, mark);
    let their_manifest = raw_manifest(&reg, "sko/app", "1");
    let mut expected = layers.clone();
    expected.sort();
    // Both upload the config alone: skopeo's pull recorded where it saw each layer blob and
    // what it decompresses to, nothing of the config.
    assert_eq!(uploads(&mine, "dst/app"), 1, "{mine:#?}");
    assert_eq!(
        uploads(&mine, "dst/app"),
        uploads(&theirs, "sko/app"),
        "{mine:#?}\n{theirs:#?}"
    );
    assert_eq!(mounts(&mine, "dst/app"), mounts(&theirs, "sko/app"));
    assert!(
        expected
            .iter()
            .all(|l| mounts(&mine, "dst/app").contains(l)),
        "{mine:#?}"
    );
    let my_manifest = raw_manifest(&reg, "dst/app", "1");
    assert_eq!(
        String::from_utf8_lossy(&my_manifest),
        String::from_utf8_lossy(&their_manifest)
    );
    assert_eq!(layer_digests(&my_manifest), layers);
}

/// A BoltDB file whose pages are damaged: one warning, the copy goes on without it (the
/// layers uploaded), and the file is left as it was.
#[test]
fn a_corrupt_boltdb_cache_is_a_warning_and_the_copy_succeeds() {
    let Some((reg, layers)) = registry_with_image() else {
        return;
    };
    let store = Store::new("vfs");
    let cache = Cache::new();
    ok(cache.on(store.skopeo()).args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &reg.image("src/app:1"),
        "containers-storage:localhost/app:1",
    ]));
    // The meta pages stay whole; every tree page is overwritten.
    let mut bytes = std::fs::read(cache.bolt()).unwrap();
    let page = u32::from_le_bytes(bytes[24..28].try_into().unwrap()) as usize;
    assert_eq!(page, 4096, "bbolt's page size");
    for b in &mut bytes[2 * page..] {
        *b = 0xa5;
    }
    std::fs::write(cache.bolt(), &bytes).unwrap();
    let mark = log_len(&reg);
    let out = push(&store, &cache, &reg, "dst/app:1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("level=warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("blob-info-cache-v1.boltdb") && warnings[0].contains("unreadable"),
        "{stderr}"
    );
    let reqs = requests_since(&reg, mark);
    assert_eq!(uploads(&reqs, "dst/app"), layers.len() + 1, "{reqs:#?}");
    // The image pushed is whole: skopeo reads it back to the fixture's diff IDs.
    let diff_ids: Vec<String> = ImageSpec::small(24)
        .layers
        .iter()
        .map(|l| fixtures::sha256(l))
        .collect();
    let pushed =
        crate::support::skopeo_diff_ids(&reg.image("dst/app:1"), &["--src-tls-verify=false"]);
    assert_eq!(pushed, Some(diff_ids));
    assert_eq!(std::fs::read(cache.bolt()).unwrap(), bytes);
    // Not a BoltDB file at all: the same.
    std::fs::write(cache.bolt(), vec![0x5a; 16384]).unwrap();
    let out = push(&store, &cache, &reg, "dst/app:2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("level=warning").count(), 1, "{stderr}");
    assert!(stderr.contains("blob-info-cache-v1.boltdb"), "{stderr}");
}
