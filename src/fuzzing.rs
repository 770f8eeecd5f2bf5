//! Entry points for the cargo-fuzz targets in `fuzz/` and for the corpus replay in
//! `tests/fuzz_corpus.rs`: one function per parser that reads untrusted bytes. Each takes
//! arbitrary bytes, must never panic, and returns nothing (errors are fine, crashes are not).
//! Not an API: hidden from the docs and free to change.

use crate::manifest::media_type as mt;
use crate::reference::{DockerReference, ImageName};

/// A fuzz target: takes any bytes, must not panic.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/` call it.
pub const TARGETS: &[(&str, Target)] = &[
    ("reference", reference),
    ("manifest", manifest),
    ("image_config", image_config),
    ("tar_zstd_chunked", tar_zstd_chunked),
    ("tar_tarsplit", tar_tarsplit),
    ("archive_manifest_json", archive_manifest_json),
    ("docker_archive", docker_archive),
    ("sif", sif),
    ("auth_json", auth_json),
    ("registries_conf", registries_conf),
    ("policy_json", policy_json),
    ("registries_d", registries_d),
    ("sync_yaml", sync_yaml),
    ("www_authenticate", www_authenticate),
    ("link_header", link_header),
    ("go_template", go_template),
    ("blobcache_bolt", blobcache_bolt),
];

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A fixed, ordinary reference for the parsers that answer questions about one.
fn some_reference() -> DockerReference {
    DockerReference::parse_normalized_named("registry.example.com/team/app:v1")
        .expect("a valid reference")
}

/// Image names of every transport, and docker references in each grammar.
pub fn reference(data: &[u8]) {
    let s = text(data);
    if let Ok(name) = ImageName::parse(&s) {
        let _ = name.to_string();
        let _ = name.string_within_transport();
        if let Some(r) = name.docker_reference() {
            let _ = r.familiar_string();
            let _ = crate::config::policy::docker_namespaces(&r.name());
        }
    }
    for parse in [
        DockerReference::parse_unnormalized,
        DockerReference::parse_normalized_named,
        DockerReference::parse_named,
        DockerReference::parse_docker_ref,
    ] {
        if let Ok(r) = parse(&s) {
            let _ = (r.familiar_name(), r.familiar_string(), r.to_string());
            let _ = r.clone().with_default_tag();
            let _ = r.with_tag("t");
        }
    }
}

/// A manifest or index of any schema: the first byte picks the media type it is read as.
pub fn manifest(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let types = mt::ALL_MANIFESTS;
    let mime = types[pick as usize % types.len()];
    let _ = crate::manifest::guess_mime_type(bytes);
    if mt::is_list(mime) {
        if let Ok(list) = crate::manifest::list::ManifestList::parse(bytes, mime) {
            let _ = list.instances();
            let _ = list.normalized_clone().serialize();
            for to in [mt::DOCKER_V2_LIST, mt::OCI_INDEX] {
                let _ = list.convert_to(to).map(|l| l.serialize());
            }
        }
        let _ = crate::manifest::list::ManifestList::parse_for_edit(bytes, mime);
    } else if let Ok(m) = crate::manifest::Manifest::parse(bytes, mime) {
        let _ = (m.mime_type(), m.config_info(), m.layer_infos());
        if let crate::manifest::Manifest::Schema1(s1) = &m {
            let _ = s1.empty_layers();
            let _ = crate::manifest::convert::schema1_config_without_layers(s1);
        }
    }
    if mime == mt::DOCKER_V2_SCHEMA1_SIGNED {
        let _ = crate::manifest::schema1::jws_payload(bytes);
    }
}

/// An image config, as inspect and the docker-archive writer read it.
pub fn image_config(data: &[u8]) {
    use crate::manifest::config::{DockerImage, OciImage};
    let _ = crate::manifest::from_json::<OciImage>(data);
    let _ = crate::manifest::from_json::<DockerImage>(data);
    let layers = [crate::digest::Digest::sha256_of(b"layer")];
    let _ = crate::transport::docker_archive::format::legacy_layers(&layers, data);
}

/// A layer tar through the Go-compatible reader zstd:chunked compression uses.
pub fn tar_zstd_chunked(data: &[u8]) {
    crate::compression::zstd_chunked::fuzz_tar_headers(data);
}

/// A layer tar through the Go-compatible reader containers-storage extraction uses.
pub fn tar_tarsplit(data: &[u8]) {
    use std::io::Read;
    let mut tar = crate::go::tar::TarReader::new(data);
    let mut buf = [0u8; 4096];
    while let Ok(Some(_)) = tar.next_header() {
        // Read some of the content and leave the rest to be skipped, as extraction may.
        let _ = tar.read(&mut buf);
        let _ = tar.take_raw();
    }
}

/// A docker-archive's `manifest.json`.
pub fn archive_manifest_json(data: &[u8]) {
    let _ = crate::transport::docker_archive::format::parse_manifest_json(data);
}

/// A whole uncompressed docker-archive file, indexed in place (the tar crate's reader) with
/// its manifest.json read, its tags listed and its image chosen, as a source opens it.
/// (Compressed archives are decompressed first, by the libraries', not skiff's, code.)
pub fn docker_archive(data: &[u8]) {
    use crate::transport::docker_archive::reader::Tarball;
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    if std::io::Write::write_all(&mut file, data).is_err() {
        return;
    }
    if let Ok(Ok(tarball)) = Tarball::open_in_place(file.path()) {
        let _ = tarball.list_tags();
        if let Ok((item, _)) = tarball.choose(None, None) {
            let _ = tarball.choose(None, Some(item));
        }
        let _ = tarball.choose(Some(&some_reference()), None);
    }
}

/// A SIF file: its container, definition file and squashfs, turned into the layer.
pub fn sif(data: &[u8]) {
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    if std::io::Write::write_all(&mut file, data).is_err() {
        return;
    }
    let _ = crate::transport::sif::SifSource::open_blocking(file.path());
}

/// auth.json and the legacy ~/.dockercfg.
pub fn auth_json(data: &[u8]) {
    for legacy in [false, true] {
        let _ = crate::auth::decode::decode_config(data, legacy);
    }
}

/// registries.conf (as the main file and as a drop-in).
pub fn registries_conf(data: &[u8]) {
    let r = some_reference();
    for force_v2 in [false, true] {
        crate::config::registries::fuzz_text(&text(data), force_v2, &r);
    }
}

/// policy.json, and the decision for an ordinary image.
pub fn policy_json(data: &[u8]) {
    if let Ok(policy) = crate::config::policy::Policy::from_bytes(data) {
        let r = some_reference();
        let subject = crate::config::policy::PolicySubject {
            transport: "docker".into(),
            identity: r.to_string(),
            namespaces: crate::config::policy::docker_namespaces(&r.name()),
            display: r.to_string(),
        };
        let _ = policy.check_source(&subject);
    }
}

/// One registries.d YAML file.
pub fn registries_d(data: &[u8]) {
    crate::transport::docker::lookaside::fuzz_file(&text(data), &some_reference());
}

/// A sync `--src yaml` file.
pub fn sync_yaml(data: &[u8]) {
    let _ = crate::sync::yaml::parse(&text(data));
}

/// A `WWW-Authenticate` header value.
pub fn www_authenticate(data: &[u8]) {
    use crate::transport::docker::challenge;
    if let Some(c) = challenge::parse_header(&text(data))
        && let Some(scope) = c.params.get("scope")
    {
        let _ = challenge::Scope::parse(scope).map(|s| s.to_string());
    }
}

/// A `Link` header of a tags page.
pub fn link_header(data: &[u8]) {
    let base = url::Url::parse("https://registry.example.com/").expect("a valid URL");
    let _ = crate::transport::docker::next_page_path(&base, &text(data));
}

/// An `inspect --format` Go template, parsed and run on an inspect-like document.
pub fn go_template(data: &[u8]) {
    let doc = serde_json::json!({
        "Name": "registry.example.com/team/app",
        "Digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "RepoTags": ["v1", "v2"],
        "Created": "2023-04-05T06:07:08Z",
        "Labels": {"a": "b", "x": "<y>&"},
        "Architecture": "amd64",
        "Layers": ["sha256:1", "sha256:2"],
        "Env": ["A=1"],
        "Size": 1234,
        "Nested": {"List": [1, 2.5, true, null, "s"]},
    });
    let value = crate::template::from_json(&doc);
    let _ = crate::template::execute_user_format(&text(data), &value);
}

/// An older skopeo's BoltDB blob-info cache (`blob-info-cache-v1.boltdb`).
pub fn blobcache_bolt(data: &[u8]) {
    crate::blobcache::fuzz_bolt(data);
}

/// Replays every committed fuzz input through its entry point, so each corpus file and each
/// crash once found (`fuzz/regressions/<target>/`) is a regression test under stable
/// `cargo test`. The long fuzzing runs are `scripts/fuzz.sh`.
#[cfg(test)]
mod tests {
    use std::path::Path;

    fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        files
    }

    #[test]
    fn every_corpus_and_regression_input_replays_without_a_panic() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        for (name, run) in super::TARGETS {
            let corpus = inputs(&fuzz.join("corpus").join(name));
            assert!(!corpus.is_empty(), "fuzz/corpus/{name}/ has no inputs");
            let targets = fuzz.join("fuzz_targets").join(format!("{name}.rs"));
            assert!(targets.is_file(), "no cargo-fuzz target for {name}");
            for input in corpus
                .iter()
                .chain(&inputs(&fuzz.join("regressions").join(name)))
            {
                let data = std::fs::read(input).unwrap();
                let result = std::panic::catch_unwind(|| run(&data));
                assert!(result.is_ok(), "{name}: {} panics", input.display());
            }
        }
    }

    #[test]
    fn every_target_directory_is_listed() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
        for file in inputs(&fuzz) {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                super::TARGETS.iter().any(|(n, _)| *n == stem),
                "fuzz/fuzz_targets/{stem}.rs is not in fuzzing::TARGETS"
            );
        }
    }
}
