//! The transport conformance suite (`skiff::conformance`, which `cargo test --lib`
//! runs against the local transports) against real peers: `docker://` against
//! `docker-registry`, `docker-daemon:` against the shared private dockerd, and
//! `containers-storage:` on a private vfs store that podman reads. One test per check and
//! transport (`conformance::registry::reuse`); each subject's `Caps` say what its peer can
//! promise (a registry keeps the blobs an aborted push sent; a daemon rebuilds manifests).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use async_trait::async_trait;
use skiff::conformance::{Caps, Named, Publishes, Snapshot, Subject, files_under};
use skiff::digest::Digest;
use skiff::manifest::media_type as mt;
use skiff::transport::{ImageDestination, ImageSource};

use crate::support::dockerd::{self, Dockerd};
use crate::support::registry::Registry;
use crate::support::require_tool;

/// What a peer shows of a [`Named`] transport's store.
trait Peer: Send + Sync {
    fn snapshot(&self, named: &Named) -> Snapshot;
    fn label(&self) -> &str {
        ""
    }
    /// Whether the peer's own CLI sees an image with `config` at the subject's name.
    fn sees(&self, _named: &Named, _config: &Digest) -> Option<bool> {
        None
    }
}

/// A transport opened by name, seen through its peer.
struct WithPeer<P> {
    named: Named,
    peer: P,
}

#[async_trait]
impl<P: Peer> Subject for WithPeer<P> {
    fn caps(&self) -> Caps {
        self.named.caps()
    }
    async fn destination(&self) -> Result<Box<dyn ImageDestination>> {
        self.named.destination().await
    }
    async fn source(&self) -> Result<Box<dyn ImageSource>> {
        self.named.source().await
    }
    fn snapshot(&self) -> Snapshot {
        self.peer.snapshot(&self.named)
    }
    fn label(&self) -> &str {
        self.peer.label()
    }
    async fn peer_sees(&self, config: &Digest) -> Result<Option<bool>> {
        Ok(self.peer.sees(&self.named, config))
    }
}

/// `docker://` on a fresh docker-registry (plain HTTP), signatures in a `file://` lookaside.
fn registry_subject() -> Option<WithPeer<Registry>> {
    let registry = Registry::start()?;
    let named = Named::new(
        &format!("docker://{}/conformance:latest", registry.host),
        Caps {
            manifest_type: mt::OCI_MANIFEST,
            // A registry wants layers compressed: the suite's layer already is.
            gzip_layers: true,
            keeps_manifest_bytes: true,
            reuses_committed_blobs: true,
            stores_lists: true,
            stores_signatures: true,
            refuses_second_write: false,
            publishes: Publishes::AsPut,
        },
    )
    .with_ctx(|root, ctx| {
        let registries_d = root.join("registries.d");
        std::fs::create_dir_all(&registries_d).unwrap();
        std::fs::write(
            registries_d.join("default.yaml"),
            format!(
                "default-docker:\n  lookaside: file://{}\n",
                root.join("sigs").display()
            ),
        )
        .unwrap();
        let registries_conf = root.join("registries.conf");
        std::fs::write(&registries_conf, "").unwrap();
        ctx.registries_dir = Some(registries_d);
        ctx.registries_conf = Some(registries_conf);
        ctx.tls_verify = Some(false);
        ctx.no_creds = true;
    });
    Some(WithPeer {
        named,
        peer: registry,
    })
}

impl Peer for Registry {
    /// The registry's storage, split: blobs and the repository's layer links (kept once sent)
    /// apart from manifests and tags; upload sessions left out (the registry purges them).
    /// Plus the lookaside signatures.
    fn snapshot(&self, named: &Named) -> Snapshot {
        let mut snap = Snapshot::default();
        for entry in files_under(&self.storage()) {
            if entry.ends_with('/') || entry.contains("/_uploads/") {
                continue;
            }
            if entry.starts_with("docker/registry/v2/blobs/") || entry.contains("/_layers/") {
                snap.blobs.push(entry);
            } else {
                snap.images.push(entry);
            }
        }
        let sigs = files_under(&named.root().join("sigs"));
        snap.images
            .extend(sigs.into_iter().map(|e| format!("sigs/{e}")));
        snap
    }
}

/// `docker-daemon:` on the shared private dockerd; each subject's images carry its own label.
struct Daemon {
    dockerd: &'static Dockerd,
    label: String,
    reference: String,
}

fn daemon_subject() -> Option<WithPeer<Daemon>> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dockerd = dockerd::shared()?;
    let label = format!(
        "c{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let reference = format!("localhost/conformance-{label}:latest");
    let named = Named::new(
        &format!("docker-daemon:{reference}"),
        Caps {
            manifest_type: mt::DOCKER_V2_SCHEMA2,
            gzip_layers: false,
            // `docker save` writes its own manifest.json.
            keeps_manifest_bytes: false,
            reuses_committed_blobs: false,
            stores_lists: false,
            stores_signatures: false,
            refuses_second_write: false,
            publishes: Publishes::OnCommit,
        },
    )
    .with_ctx(|_, ctx| ctx.docker_daemon_host = Some(dockerd.host.clone()));
    Some(WithPeer {
        named,
        peer: Daemon {
            dockerd,
            label,
            reference,
        },
    })
}

fn lines_of(cmd: &mut Command) -> Vec<String> {
    let out = cmd.output().expect("running the peer's CLI");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

impl Peer for Daemon {
    /// Every image (dangling ones too) the engine has with this subject's label.
    fn snapshot(&self, _: &Named) -> Snapshot {
        let images = lines_of(self.dockerd.docker().args([
            "image",
            "ls",
            "-a",
            "--no-trunc",
            "--filter",
            &format!("label=skiff.conformance={}", self.label),
            "--format",
            "{{.ID}} {{.Repository}}:{{.Tag}}",
        ]));
        Snapshot {
            images,
            blobs: Vec::new(),
        }
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn sees(&self, _: &Named, config: &Digest) -> Option<bool> {
        Some(self.dockerd.image_id(&self.reference) == Some(config.to_string()))
    }
}

/// `containers-storage:` on a private vfs store written in this process (as root, like the
/// library's suite) and read by podman.
struct Podman;

fn storage_subject() -> Option<WithPeer<Podman>> {
    if !require_tool("podman") {
        return None;
    }
    // SAFETY: geteuid has no preconditions.
    assert!(
        unsafe { libc::geteuid() } == 0,
        "the containers-storage conformance suite writes a store in this process, which needs root"
    );
    let named = Named::new(
        "containers-storage:[vfs@{root}/graph+{root}/run]localhost/conformance:latest",
        Caps {
            manifest_type: mt::DOCKER_V2_SCHEMA2,
            gzip_layers: false,
            keeps_manifest_bytes: true,
            reuses_committed_blobs: true,
            stores_lists: false,
            stores_signatures: true,
            refuses_second_write: false,
            publishes: Publishes::OnCommit,
        },
    );
    let root = named.root();
    std::fs::write(
        root.join("storage.conf"),
        format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            root.join("graph").display(),
            root.join("run").display()
        ),
    )
    .unwrap();
    Some(WithPeer {
        named,
        peer: Podman,
    })
}

/// podman on the subject's store (nothing of the host's configuration).
fn podman(named: &Named) -> Command {
    let root = named.root();
    let mut c = Command::new("podman");
    c.args(["--storage-driver", "vfs", "--root"])
        .arg(root.join("graph"))
        .arg("--runroot")
        .arg(root.join("run"))
        .env("XDG_RUNTIME_DIR", root.join("xdg"))
        .env("CONTAINERS_STORAGE_CONF", root.join("storage.conf"));
    c
}

/// The store's own files, leaving out podman's state (`libpod/`), which podman writes as it
/// answers.
fn store_files(root: &Path) -> Vec<String> {
    files_under(&root.join("graph"))
        .into_iter()
        .filter(|e| !e.starts_with("libpod"))
        .collect()
}

impl Peer for Podman {
    /// podman's list of images, and the store's files.
    fn snapshot(&self, named: &Named) -> Snapshot {
        let mut images = lines_of(podman(named).args([
            "image",
            "ls",
            "-a",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Repository}}:{{.Tag}}",
        ]));
        images.extend(store_files(named.root()));
        Snapshot {
            images,
            blobs: Vec::new(),
        }
    }

    fn sees(&self, named: &Named, config: &Digest) -> Option<bool> {
        let out = podman(named)
            .args([
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                "localhost/conformance:latest",
            ])
            .output()
            .expect("running podman");
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Some(out.status.success() && id == config.hex())
    }
}

mod registry {
    skiff::conformance_checks!(optional super::registry_subject);
}

mod docker_daemon {
    skiff::conformance_checks!(optional super::daemon_subject);
}

mod storage {
    skiff::conformance_checks!(optional super::storage_subject);
}
