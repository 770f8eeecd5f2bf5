//! Signatures of registry images kept beside the registry ("lookaside" storage):
//! `BASE/REPO@ALGO=HEX/signature-N`. BASE comes from registries.d (`lookaside` for reading,
//! `lookaside-staging` for writing, or their old `sigstore` names) for the most specific
//! `docker:` namespace, else `default-docker`, else c/image's built-in default
//! (`/var/lib/containers/sigstore` for root, `~/.local/share/containers/sigstore` otherwise).
//! Only `file://` bases are written; `http(s)://` bases are read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use url::Url;

use crate::digest::Digest;
use crate::reference::DockerReference;
use crate::signature::Signature;
use crate::types::SystemContext;

/// skopeo refuses more signatures than this for one image.
const MAX_SIGNATURES: usize = 128;

#[derive(Clone, Debug, Default, Deserialize)]
struct Namespace {
    #[serde(default)]
    lookaside: String,
    #[serde(default, rename = "lookaside-staging")]
    lookaside_staging: String,
    #[serde(default)]
    sigstore: String,
    #[serde(default, rename = "sigstore-staging")]
    sigstore_staging: String,
    #[serde(default, rename = "use-sigstore-attachments")]
    use_sigstore_attachments: Option<bool>,
}

impl Namespace {
    fn top_level(&self, write: bool) -> Option<&str> {
        let staging = [&self.lookaside_staging, &self.sigstore_staging];
        let read = [&self.lookaside, &self.sigstore];
        let candidates: Vec<&String> = if write {
            staging.into_iter().chain(read).collect()
        } else {
            read.to_vec()
        };
        candidates
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
    }
}

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default, rename = "default-docker")]
    default_docker: Option<Namespace>,
    #[serde(default)]
    docker: Option<HashMap<String, Namespace>>,
}

#[derive(Debug, Default)]
struct Config {
    default_docker: Option<Namespace>,
    docker: HashMap<String, Namespace>,
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// registries.d: `--registries.d`, else the user's directory if it exists, else /etc.
fn registries_dir(ctx: &SystemContext) -> PathBuf {
    if let Some(d) = &ctx.registries_dir {
        return d.clone();
    }
    let user = home().join(".config/containers/registries.d");
    if user.exists() {
        return user;
    }
    PathBuf::from("/etc/containers/registries.d")
}

fn load(dir: &Path) -> Result<Config> {
    let mut config = Config::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(config),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let mut default_from: Option<PathBuf> = None;
    let mut ns_from: HashMap<String, PathBuf> = HashMap::new();
    for path in paths {
        tracing::debug!(target: "skiff::config", "Reading registries.d file {}", path.display());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let file = parse_file(&text).map_err(|e| anyhow!("parsing {}: {e}", path.display()))?;
        if let Some(d) = file.default_docker {
            if let Some(prev) = &default_from {
                bail!(
                    "Error parsing signature storage configuration: \"default-docker\" defined both in {:?} and {:?}",
                    prev.display().to_string(),
                    path.display().to_string()
                );
            }
            config.default_docker = Some(d);
            default_from = Some(path.clone());
        }
        for (name, ns) in file.docker.unwrap_or_default() {
            if let Some(prev) = ns_from.get(&name) {
                bail!(
                    "Error parsing signature storage configuration: \"docker\" namespace {name:?} defined both in {:?} and {:?}",
                    prev.display().to_string(),
                    path.display().to_string()
                );
            }
            ns_from.insert(name.clone(), path.clone());
            config.docker.insert(name, ns);
        }
    }
    Ok(config)
}

fn parse_file(text: &str) -> Result<File, serde_norway::Error> {
    if text.trim().is_empty() {
        return Ok(File::default());
    }
    serde_norway::from_str(text)
}

/// Fuzzing entry point: one registries.d file's text, and the lookaside URLs it gives
/// `reference`.
#[doc(hidden)]
pub fn fuzz_file(text: &str, reference: &DockerReference) {
    let Ok(file) = parse_file(text) else { return };
    let config = Config {
        default_docker: file.default_docker,
        docker: file.docker.unwrap_or_default(),
    };
    for write in [false, true] {
        if let Ok(base) = configured_url(&config, reference, write) {
            let digest = crate::digest::Digest::sha256_of(b"");
            let _ = file_path(&signature_url(&base, &digest, 0));
        }
    }
}

/// The base URL of `r`'s repository in lookaside storage.
fn base_url(ctx: &SystemContext, r: &DockerReference, write: bool) -> Result<Url> {
    configured_url(&load(&registries_dir(ctx))?, r, write)
}

fn configured_url(config: &Config, r: &DockerReference, write: bool) -> Result<Url> {
    let configured = namespaces_of(config, r).find_map(|ns| ns.top_level(write));
    let mut url = match configured {
        Some(u) => Url::parse(u).map_err(|e| anyhow!("Invalid signature storage URL {u}: {e}"))?,
        None => {
            // c/image asks the rootless EUID: root inside skiff's user namespace is the user.
            let dir = if crate::transport::storage::userns::rootless_uid() == 0 {
                PathBuf::from("/var/lib/containers/sigstore")
            } else {
                home().join(".local/share/containers/sigstore")
            };
            Url::from_file_path(&dir)
                .map_err(|_| anyhow!("invalid signature storage directory {}", dir.display()))?
        }
    };
    let path = format!("{}/{}", url.path().trim_end_matches('/'), r.path());
    url.set_path(&path);
    Ok(url)
}

/// Whether sigstore signatures of `r` are read from and written to registry attachments:
/// the most specific namespace that says so, else `default-docker`, else no.
pub fn use_sigstore_attachments(ctx: &SystemContext, r: &DockerReference) -> Result<bool> {
    let config = load(&registries_dir(ctx))?;
    Ok(namespaces_of(&config, r)
        .find_map(|ns| ns.use_sigstore_attachments)
        .unwrap_or(false))
}

/// The registries.d entries that apply to `r`, most specific first.
fn namespaces_of<'c>(
    config: &'c Config,
    r: &DockerReference,
) -> impl Iterator<Item = &'c Namespace> {
    let mut names = vec![r.to_string()];
    names.extend(crate::config::policy::docker_namespaces(&r.name()));
    names
        .into_iter()
        .filter_map(|n| config.docker.get(&n))
        .chain(config.default_docker.iter())
}

fn signature_url(base: &Url, d: &Digest, index: usize) -> Url {
    let mut u = base.clone();
    let path = format!(
        "{}@{}={}/signature-{}",
        base.path(),
        d.algorithm().name(),
        d.hex(),
        index + 1
    );
    u.set_path(&path);
    u
}

fn file_path(u: &Url) -> Result<PathBuf> {
    u.to_file_path()
        .map_err(|_| anyhow!("invalid file URL {u}"))
}

/// One signature, or `None` past the last one.
async fn read_one(u: &Url) -> Result<Option<Vec<u8>>> {
    match u.scheme() {
        "file" => {
            let path = file_path(u)?;
            match std::fs::read(&path) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
            }
        }
        "http" | "https" => {
            let res = super::client::simple_http_client()?
                .get(u.clone())
                .send()
                .await
                .map_err(|e| anyhow!("reading signature from {u}: {e}"))?;
            match res.status().as_u16() {
                404 => Ok(None),
                200 => Ok(Some(
                    res.bytes()
                        .await
                        .map_err(|e| anyhow!("reading signature from {u}: {e}"))?
                        .to_vec(),
                )),
                s => bail!(
                    "reading signature from {u}: status {s} ({})",
                    super::errors::status_line(s)
                ),
            }
        }
        _ => bail!("Unsupported scheme when reading signature from {u}"),
    }
}

/// The signatures stored for the manifest `digest` of `r`'s repository.
pub async fn read_all(
    ctx: &SystemContext,
    r: &DockerReference,
    digest: &Digest,
) -> Result<Vec<Signature>> {
    let base = base_url(ctx, r, false)?;
    let mut out = Vec::new();
    for i in 0.. {
        if i >= MAX_SIGNATURES {
            bail!(
                "server provided {MAX_SIGNATURES} signatures, assuming that's unreasonable and a server error"
            );
        }
        let url = signature_url(&base, digest, i);
        match read_one(&url).await? {
            Some(bytes) => {
                let shown = match url.scheme() {
                    "file" => crate::gotext::go_quote(url.path()),
                    _ => url.to_string(),
                };
                out.push(
                    Signature::from_blob(&bytes)
                        .with_context(|| format!("parsing signature {shown}"))?,
                );
            }
            None => break,
        }
    }
    Ok(out)
}

fn writable_path(u: &Url) -> Result<PathBuf> {
    match u.scheme() {
        "file" => file_path(u),
        "http" | "https" => bail!(
            "Writing directly to a {} lookaside {u} is not supported. Configure a lookaside-staging: location",
            u.scheme()
        ),
        _ => bail!("Unsupported scheme when writing signature to {u}"),
    }
}

/// Replaces the signatures stored for `digest`.
pub fn write_all(
    ctx: &SystemContext,
    r: &DockerReference,
    digest: &Digest,
    signatures: &[Signature],
) -> Result<()> {
    let base = base_url(ctx, r, true)?;
    for (i, sig) in signatures.iter().enumerate() {
        let path = writable_path(&signature_url(&base, digest, i))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, sig.blob()).with_context(|| format!("writing {}", path.display()))?;
    }
    delete_from(&base, digest, signatures.len())
}

/// Deletes every signature stored for `digest` (after `delete`).
pub fn delete_all(ctx: &SystemContext, r: &DockerReference, digest: &Digest) -> Result<()> {
    let base = base_url(ctx, r, true)?;
    delete_from(&base, digest, 0)
}

fn delete_from(base: &Url, digest: &Digest, first: usize) -> Result<()> {
    for i in first.. {
        let path = writable_path(&signature_url(base, digest, i))?;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx_with(dir: &Path) -> SystemContext {
        SystemContext {
            registries_dir: Some(dir.to_path_buf()),
            ..Default::default()
        }
    }

    #[test]
    fn most_specific_namespace_wins() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("a.yaml"),
            "default-docker:\n  lookaside: file:///default\n  lookaside-staging: file:///staging\ndocker:\n  example.com/ns:\n    sigstore: https://sigs.example.com/s\n",
        )
        .unwrap();
        let ctx = ctx_with(t.path());
        let r = DockerReference::parse_normalized_named("example.com/ns/repo:tag").unwrap();
        assert_eq!(
            base_url(&ctx, &r, false).unwrap().as_str(),
            "https://sigs.example.com/s/ns/repo"
        );
        let other = DockerReference::parse_normalized_named("quay.io/x/y:1").unwrap();
        assert_eq!(
            base_url(&ctx, &other, false).unwrap().as_str(),
            "file:///default/x/y"
        );
        assert_eq!(
            base_url(&ctx, &other, true).unwrap().as_str(),
            "file:///staging/x/y"
        );
        let d: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        assert_eq!(
            signature_url(&base_url(&ctx, &other, false).unwrap(), &d, 0).as_str(),
            format!("file:///default/x/y@sha256={}/signature-1", "a".repeat(64))
        );
    }

    #[tokio::test]
    async fn signatures_round_trip_through_a_file_lookaside() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path().join("store");
        std::fs::write(
            t.path().join("s.yaml"),
            format!("default-docker:\n  lookaside: file://{}\n", store.display()),
        )
        .unwrap();
        let ctx = ctx_with(t.path());
        let r = DockerReference::parse_normalized_named("localhost:5000/a/b:v1").unwrap();
        let d: Digest = format!("sha256:{}", "b".repeat(64)).parse().unwrap();
        let sigs = vec![
            Signature::SimpleSigning(b"\xa3one".to_vec()),
            Signature::SimpleSigning(b"\xa3two".to_vec()),
        ];
        write_all(&ctx, &r, &d, &sigs).unwrap();
        assert_eq!(read_all(&ctx, &r, &d).await.unwrap(), sigs);
        write_all(&ctx, &r, &d, &sigs[..1]).unwrap();
        assert_eq!(read_all(&ctx, &r, &d).await.unwrap(), sigs[..1]);
        delete_all(&ctx, &r, &d).unwrap();
        assert!(read_all(&ctx, &r, &d).await.unwrap().is_empty());
    }

    #[test]
    fn duplicate_defaults_are_refused() {
        let t = tempfile::tempdir().unwrap();
        for n in ["a.yaml", "b.yaml"] {
            std::fs::write(
                t.path().join(n),
                "default-docker:\n  lookaside: file:///x\n",
            )
            .unwrap();
        }
        let err = load(t.path()).unwrap_err().to_string();
        assert!(err.contains("\"default-docker\" defined both in"), "{err}");
    }
}
