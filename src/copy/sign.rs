//! Signing what a copy writes (`--sign-by`, `--sign-by-sigstore-private-key`): checked before
//! anything moves, and done just before each manifest is written, so a signing failure (a bad
//! passphrase, a missing key) leaves no unsigned image at the destination.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};

use super::progress::{Event, Scope};
use super::{Copier, ImageLabel, Signing};
use crate::reference::{DockerReference, ImageName};
use crate::signature::Signature;
use crate::transport::ImageDestination;

/// The identity signatures name: `--sign-identity`, else the destination's Docker reference
/// (c/image's messages).
fn identity(dest: &ImageLabel, signing: &Signing) -> Result<DockerReference> {
    match &signing.identity {
        Some(r) if r.is_name_only() => Err(anyhow!(
            "Sign identity must be a fully specified reference {r}"
        )),
        Some(r) => Ok(r.clone()),
        None => dest.docker_reference.clone().ok_or_else(|| {
            anyhow!(
                "Cannot determine canonical Docker reference for destination {}",
                dest.display
            )
        }),
    }
}

/// What c/image finds only after the image is written (no identity, a destination that
/// cannot store signatures), found before anything is written, with c/image's words.
pub(super) fn check_destination(
    dest: &dyn ImageDestination,
    dest_name: &ImageName,
    signing: &Signing,
) -> Result<()> {
    if signing.signers.is_empty() {
        return Ok(());
    }
    identity(&ImageLabel::of(dest_name), signing)?;
    if let Err(reason) = dest.properties().supports_signatures {
        return Err(anyhow!("writing signatures: {reason}"));
    }
    // A registry keeps sigstore signatures only where registries.d enables attachments.
    if signing
        .signers
        .iter()
        .any(|s| s.makes_sigstore_signatures())
        && let Some(why) = dest.refuses_sigstore_signatures()
    {
        return Err(anyhow!("writing signatures: {why}"));
    }
    Ok(())
}

impl Copier<'_> {
    /// New signatures of `manifest`, one per signer, in order.
    pub(crate) async fn create_signatures(
        &self,
        manifest: &[u8],
        scope: Scope,
    ) -> Result<Vec<Signature>> {
        let signers = &self.options.signing.signers;
        if signers.is_empty() {
            return Ok(Vec::new());
        }
        let identity = Arc::new(identity(&self.names.dest, &self.options.signing)?);
        let manifest: Arc<[u8]> = Arc::from(manifest);
        let mut out = Vec::with_capacity(signers.len());
        for signer in signers {
            self.emit(Event::ManifestSigning {
                scope,
                method: signer.method(),
            });
            let (signer, identity, manifest) = (signer.clone(), identity.clone(), manifest.clone());
            // Signing runs gpg or scrypt: off the async workers.
            let sig = tokio::task::spawn_blocking(move || signer.sign(&manifest, &identity))
                .await
                .context("creating signature")?
                .context("creating signature")?;
            out.push(sig);
        }
        Ok(out)
    }
}
