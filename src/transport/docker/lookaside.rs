//! Signatures of registry images kept beside the registry ("lookaside" storage): files named
//! `BASE/REPO@ALGO=HEX/signature-N`. The base is c/image's built-in default
//! (`/var/lib/containers/sigstore` for root, `~/.local/share/containers/sigstore` otherwise).
//!
//! TODO(registries.d): per-namespace `lookaside` / `lookaside-staging` URLs from registries.d
//! YAML files are not read yet; every registry uses the built-in default.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::digest::Digest;
use crate::reference::DockerReference;
use crate::types::{Signature, SystemContext};

/// skopeo refuses more signatures than this for one image.
const MAX_SIGNATURES: usize = 128;

fn base_dir(_ctx: &SystemContext) -> PathBuf {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/containers/sigstore");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".local/share/containers/sigstore")
}

fn signature_path(ctx: &SystemContext, r: &DockerReference, d: &Digest, index: usize) -> PathBuf {
    base_dir(ctx)
        .join(format!("{}@{}={}", r.path(), d.algorithm().name(), d.hex()))
        .join(format!("signature-{}", index + 1))
}

/// The signatures stored for the manifest `digest` of `r`'s repository.
pub fn read_all(
    ctx: &SystemContext,
    r: &DockerReference,
    digest: &Digest,
) -> Result<Vec<Signature>> {
    let mut out = Vec::new();
    for i in 0.. {
        if i >= MAX_SIGNATURES {
            bail!(
                "server provided {MAX_SIGNATURES} signatures, assuming that's unreasonable and a server error"
            );
        }
        let path = signature_path(ctx, r, digest, i);
        match std::fs::read(&path) {
            Ok(bytes) => out.push(Signature::Simple(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    Ok(out)
}

/// Replaces the signatures stored for `digest`.
pub fn write_all(
    ctx: &SystemContext,
    r: &DockerReference,
    digest: &Digest,
    signatures: &[Signature],
) -> Result<()> {
    for (i, sig) in signatures.iter().enumerate() {
        let path = signature_path(ctx, r, digest, i);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, sig.bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    delete_from(ctx, r, digest, signatures.len())
}

/// Deletes every signature stored for `digest` (after `delete`).
pub fn delete_all(ctx: &SystemContext, r: &DockerReference, digest: &Digest) -> Result<()> {
    delete_from(ctx, r, digest, 0)
}

fn delete_from(
    ctx: &SystemContext,
    r: &DockerReference,
    digest: &Digest,
    first: usize,
) -> Result<()> {
    for i in first.. {
        let path = signature_path(ctx, r, digest, i);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
        }
    }
    Ok(())
}
