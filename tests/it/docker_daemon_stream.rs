//! docker-daemon → registry while the export is still arriving: layers are compressed and
//! pushed as their bytes land, before the engine has sent `manifest.json`. A stand-in engine
//! serves real `docker save` tars (from the test dockerd, and in the OCI shape of Docker 25+)
//! and pauses the export after the first layer until that layer is at the registry — which
//! only happens if it was sent early — or cuts the export off midway.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::Ordering;

use crate::support::dockerd::{self, Dockerd};
use crate::support::engine::{self, Engine, Export};
use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Registry, http};
use crate::support::*;

const ACCEPT: (&str, &str) = (
    "Accept",
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
);

/// Three layers, one of them a few MiB (several reads of the growing file).
fn spec(seed: u64) -> ImageSpec {
    let mut s = ImageSpec::small(seed);
    s.layers.push(fixtures::layer_tar(&[(
        "big.bin",
        &fixtures::noise(3 << 20, seed),
    )]));
    s
}

/// Loads `spec` into the test engine as `name` and returns what `docker save` makes of it.
fn saved_by_dockerd(d: &Dockerd, t: &Path, spec: &ImageSpec, name: &str) -> Vec<u8> {
    let src = t.join("src");
    fixtures::write_oci(&src, "v1", spec);
    ok(skiff().env("DOCKER_HOST", &d.host).args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!("oci:{}:v1", src.display()),
        &format!("docker-daemon:{name}"),
    ]));
    let out = t.join("save.tar");
    ok(d.docker()
        .args(["save", "-o", &out.to_string_lossy(), name]));
    std::fs::read(out).unwrap()
}

/// The tar Docker 25 and later send: an OCI layout of uncompressed layers, plus
/// `manifest.json`, each file in name order (the engine tars its export directory).
fn oci_shaped_save(spec: &ImageSpec, name: &str) -> Vec<u8> {
    let config = fixtures::build(spec).config;
    let hex = |b: &[u8]| fixtures::sha256(b)["sha256:".len()..].to_string();
    let layers: Vec<serde_json::Value> = spec
        .layers
        .iter()
        .map(|l| {
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": fixtures::sha256(l), "size": l.len()})
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": fixtures::OCI_MANIFEST,
        "config": {"mediaType": fixtures::OCI_CONFIG, "digest": fixtures::sha256(&config),
            "size": config.len()},
        "layers": layers,
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": fixtures::OCI_INDEX,
        "manifests": [{"mediaType": fixtures::OCI_MANIFEST,
            "digest": fixtures::sha256(&manifest), "size": manifest.len()}],
    }))
    .unwrap();
    let docker_manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": format!("blobs/sha256/{}", hex(&config)),
        "RepoTags": [name],
        "Layers": spec.layers.iter().map(|l| format!("blobs/sha256/{}", hex(l))).collect::<Vec<_>>(),
    }]))
    .unwrap();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("index.json".into(), index),
        ("manifest.json".into(), docker_manifest),
        (
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
    ];
    for blob in spec.layers.iter().chain([&config, &manifest]) {
        files.push((format!("blobs/sha256/{}", hex(blob)), blob.clone()));
    }
    files.sort();
    let named: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    fixtures::layer_tar(&named)
}

/// Where the first layer file of a saved tar ends: the export pauses there.
fn end_of_first_layer(tar: &[u8], spec: &ImageSpec) -> usize {
    let (_, offset, size) = engine::members(tar)
        .into_iter()
        .find(|(_, offset, size)| {
            spec.layers
                .iter()
                .any(|l| &tar[*offset..offset + size] == l)
        })
        .expect("a layer file in the tar");
    offset + size
}

/// How many blobs the registry has stored.
fn stored_blobs(storage: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    _ => usize::from(e.file_name() == "data"),
                })
                .sum()
        })
    }
    walk(&storage.join("docker/registry/v2/blobs"))
}

/// Serves `tar`, paused after its first layer until the registry has stored a blob.
fn pausing_engine(tar: Vec<u8>, spec: &ImageSpec, reg: &Registry) -> Engine {
    let at = end_of_first_layer(&tar, spec);
    let storage = reg.storage();
    let resume = Box::new(move || stored_blobs(&storage) > 0);
    Engine::serve(tar, Export::PauseAt { at, resume })
}

fn manifest(reg: &Registry, repo: &str) -> Option<serde_json::Value> {
    let (status, body) = http(
        &reg.host,
        "GET",
        &format!("/v2/{repo}/manifests/1"),
        &[ACCEPT],
        b"",
    );
    (status == 200).then(|| serde_json::from_slice(&body).unwrap())
}

/// The image pushed to `repo:1` has the config and, in valid gzip layers, the diff IDs.
fn assert_pushed(reg: &Registry, repo: &str, config: &[u8], diff_ids: &[String]) {
    let m = manifest(reg, repo).unwrap_or_else(|| panic!("no manifest for {repo}"));
    assert_eq!(m["config"]["digest"], fixtures::sha256(config));
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), diff_ids.len());
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        let digest = layer["digest"].as_str().unwrap();
        let (status, blob) = http(
            &reg.host,
            "GET",
            &format!("/v2/{repo}/blobs/{digest}"),
            &[],
            b"",
        );
        assert_eq!(status, 200);
        assert_eq!(&fixtures::sha256(&blob), digest);
        let mut raw = Vec::new();
        flate2::read::MultiGzDecoder::new(&blob[..])
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("layer {digest} is not valid gzip: {e}"));
        assert_eq!(&fixtures::sha256(&raw), diff_id);
    }
}

fn copy_from(engine: &Engine, name: &str, dest: &str) -> std::process::Command {
    let mut c = skiff();
    // An empty blob-info cache: whether layers go early depends on what it knows.
    private_blob_cache(&mut c, engine.dir.path())
        .env("DOCKER_HOST", &engine.host)
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            &format!("docker-daemon:{name}"),
            dest,
        ]);
    c
}

#[test]
fn layers_reach_the_registry_while_the_export_arrives() {
    let Some(d) = dockerd::shared() else { return };
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let spec = spec(41);
    let config = fixtures::build(&spec).config;
    let name = "localhost/stream:1";
    let tar = saved_by_dockerd(d, t.path(), &spec, name);
    let engine = pausing_engine(tar, &spec, &reg);
    ok(&mut copy_from(&engine, name, &reg.image("stream/skiff:1")));
    assert!(
        engine.resumed.load(Ordering::SeqCst),
        "no layer reached the registry while the export was paused"
    );
    // Three layers, the config and the manifest: no layer was sent twice.
    assert_eq!(stored_blobs(&reg.storage()), 5);
    let diff_ids = d.diff_ids(name);
    assert_pushed(&reg, "stream/skiff", &config, &diff_ids);
    // skopeo's copy of the same image, from the engine itself: the same config and layers
    // (as diff IDs; gzip bytes differ between compressors).
    if let Some(mut s) = skopeo() {
        ok(s.args([
            "--insecure-policy",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            "--src-daemon-host",
            &d.host,
            &format!("docker-daemon:{name}"),
            &reg.image("stream/skopeo:1"),
        ]));
        let theirs = manifest(&reg, "stream/skopeo").unwrap();
        let ours = manifest(&reg, "stream/skiff").unwrap();
        assert_eq!(ours["config"], theirs["config"]);
        assert_eq!(ours["mediaType"], theirs["mediaType"]);
        assert_pushed(&reg, "stream/skopeo", &config, &diff_ids);
    }
}

#[test]
fn an_oci_shaped_export_streams_too() {
    let Some(reg) = Registry::start() else { return };
    let spec = spec(42);
    let config = fixtures::build(&spec).config;
    let diff_ids: Vec<String> = spec.layers.iter().map(|l| fixtures::sha256(l)).collect();
    let engine = pausing_engine(oci_shaped_save(&spec, "localhost/oci:1"), &spec, &reg);
    ok(&mut copy_from(
        &engine,
        "localhost/oci:1",
        &reg.image("stream/oci:1"),
    ));
    assert!(
        engine.resumed.load(Ordering::SeqCst),
        "no layer reached the registry while the export was paused"
    );
    assert_pushed(&reg, "stream/oci", &config, &diff_ids);
}

#[test]
fn other_formats_and_compressions_are_decided_as_without_streaming() {
    let Some(reg) = Registry::start() else { return };
    let spec = spec(43);
    let tar = oci_shaped_save(&spec, "localhost/fmt:1");
    // Converted to OCI, layers compressed with zstd: the early copies follow suit.
    let engine = pausing_engine(tar.clone(), &spec, &reg);
    let dest = reg.image("stream/zstd:1");
    ok(copy_from(&engine, "localhost/fmt:1", &dest).args([
        "--format",
        "oci",
        "--dest-compress-format",
        "zstd",
    ]));
    assert!(engine.resumed.load(Ordering::SeqCst));
    // Three zstd layers, the converted config and the manifest: no layer was sent twice.
    assert_eq!(stored_blobs(&reg.storage()), 5);
    let m = manifest(&reg, "stream/zstd").unwrap();
    assert_eq!(m["mediaType"], fixtures::OCI_MANIFEST);
    for layer in m["layers"].as_array().unwrap() {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+zstd"
        );
    }
    let before = stored_blobs(&reg.storage());
    // Digests preserved: layers go as they are, uncompressed, and nothing is sent early.
    let engine = Engine::serve(tar, Export::Whole);
    ok(
        copy_from(&engine, "localhost/fmt:1", &reg.image("stream/kept:1"))
            .arg("--preserve-digests"),
    );
    let m = manifest(&reg, "stream/kept").unwrap();
    let digests: Vec<&str> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect();
    let diff_ids: Vec<String> = spec.layers.iter().map(|l| fixtures::sha256(l)).collect();
    assert_eq!(digests, diff_ids);
    // The three layers, the config and the manifest; no compressed copy of any layer.
    assert_eq!(stored_blobs(&reg.storage()) - before, 5);
}

#[test]
fn an_export_cut_off_midway_fails_cleanly() {
    let Some(d) = dockerd::shared() else { return };
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let spec = spec(44);
    let tar = saved_by_dockerd(d, t.path(), &spec, "localhost/cut:1");
    // Cut in the middle of the big layer, after the others may have been sent.
    let (_, offset, size) = engine::members(&tar)
        .into_iter()
        .max_by_key(|(_, _, size)| *size)
        .unwrap();
    let engine = Engine::serve(tar, Export::BreakAt(offset + size / 2));
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let (code, err) = fails(
        copy_from(&engine, "localhost/cut:1", &reg.image("stream/cut:1"))
            .arg("--tmpdir")
            .arg(&tmp),
    );
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    let msg = fatal_message(&err);
    assert!(
        msg.starts_with("loading image from docker engine: copying contents to temporary file"),
        "{msg}"
    );
    assert!(manifest(&reg, "stream/cut").is_none());
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_destination_failing_mid_export_ends_the_copy_at_once() {
    let t = tempfile::tempdir().unwrap();
    let spec = spec(45);
    let tar = oci_shaped_save(&spec, "localhost/nowhere:1");
    let at = end_of_first_layer(&tar, &spec);
    // The export stalls after the first layer (for a minute); the registry is not there.
    let engine = Engine::serve(
        tar,
        Export::PauseAt {
            at,
            resume: Box::new(|| false),
        },
    );
    let port = crate::support::registry::free_port();
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let started = std::time::Instant::now();
    let (code, err) = fails(
        copy_from(
            &engine,
            "localhost/nowhere:1",
            &format!("docker://127.0.0.1:{port}/x:1"),
        )
        .arg("--tmpdir")
        .arg(&tmp),
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the copy waited for the export"
    );
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(fatal_message(&err).contains("writing blob"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
