//! The fast path of a re-sync: an image whose destination already has the source's manifest
//! is skipped after one request to each registry (the source's manifest, the destination's
//! HEAD) or one read of a layout's `index.json` — no blob is read. The copy engine would reach
//! the same verdict after reading the source manifest; anything this check is not sure about
//! (lists, schema 1, conversions, signatures, mirrors) is left to it, and it takes the
//! registries' answers instead of asking again.

use crate::config::policy::Policy;
use crate::copy::Options;
use crate::copy::progress::{Event, Report, Reporter, Scope};
use crate::digest::Digest;
use crate::manifest::media_type as mt;
use crate::reference::ImageName;
use crate::transport::docker::probe;

/// The digest of the image at `dest` when it is already what copying `src` would write; the
/// skip has been reported as the copy engine reports it.
pub(crate) async fn check(
    policy: &Policy,
    src: &ImageName,
    dest: &ImageName,
    options: &Options,
    reporter: &dyn Reporter,
) -> Option<Digest> {
    let cheap = |n: &ImageName| matches!(n, ImageName::Docker(_) | ImageName::Oci(_));
    if !cheap(src) || !(cheap(dest) || matches!(dest, ImageName::Dir(_))) {
        return None;
    }
    // New signatures are always made and stored (c/image never skips a copy it signs).
    if options.force_manifest_type.is_some()
        || options.compression.force
        || !options.signing.signers.is_empty()
    {
        return None;
    }
    policy
        .check_source(&crate::transport::policy_subject(src))
        .ok()?;
    let (at_src, at_dest) = tokio::join!(
        head(src, &options.source_ctx, true),
        head(dest, &options.dest_ctx, false)
    );
    let manifest = |n: &Option<Now>| n.as_ref().and_then(Now::manifest).cloned();
    let skipped = match (manifest(&at_src), manifest(&at_dest)) {
        (Some(at_src), Some(at_dest)) => skip(&at_src, &at_dest, src, options, reporter).await,
        _ => None,
    };
    if skipped.is_none() {
        // The copy starts with what was just asked.
        for now in [at_src, at_dest].into_iter().flatten() {
            now.keep_for_copy();
        }
    }
    skipped
}

/// The digest of the image when the destination already has it, the skip reported.
async fn skip(
    at_src: &probe::ManifestHead,
    at_dest: &probe::ManifestHead,
    src: &ImageName,
    options: &Options,
    reporter: &dyn Reporter,
) -> Option<Digest> {
    let single = [mt::DOCKER_V2_SCHEMA2, mt::OCI_MANIFEST];
    let single_image = (at_src.media_type.as_deref()).is_some_and(|t| single.contains(&t));
    if at_src.digest != at_dest.digest || !single_image {
        return None;
    }
    if !options.remove_signatures {
        // A layout holds no signatures.
        if let ImageName::Docker(s) = src
            && probe::has_signatures(&options.source_ctx, s, &at_src.digest)
                .await
                .unwrap_or(true)
        {
            return None;
        }
        reporter.report(Report {
            image: Some(src.to_string().into()),
            event: Event::SignaturesReading {
                scope: Scope::Image,
            },
        });
    }
    reporter.report(Report {
        image: Some(src.to_string().into()),
        event: Event::ImageSkipped {
            digest: at_src.digest.clone(),
        },
    });
    Some(at_src.digest.clone())
}

/// What a name holds now: a registry's answer (which the copy that follows may take over),
/// or what a layout's index or a directory says.
enum Now {
    Source(probe::Probed<probe::ManifestHead>),
    Destination(probe::Probed<Option<probe::ManifestHead>>),
    Local(Option<probe::ManifestHead>),
}

impl Now {
    fn manifest(&self) -> Option<&probe::ManifestHead> {
        match self {
            Now::Source(p) => Some(&p.answer),
            Now::Destination(p) => p.answer.as_ref(),
            Now::Local(head) => head.as_ref(),
        }
    }

    fn keep_for_copy(self) {
        match self {
            Now::Source(p) => p.keep_for_copy(),
            Now::Destination(p) => p.keep_for_copy(),
            Now::Local(_) => {}
        }
    }
}

/// The manifest `name` has now: the source's manifest or the destination's HEAD at a
/// registry, the entry of a layout's index, a directory's manifest.
async fn head(name: &ImageName, ctx: &crate::types::SystemContext, source: bool) -> Option<Now> {
    match name {
        ImageName::Docker(r) if source => probe::source_manifest(ctx, r)
            .await
            .ok()
            .flatten()
            .map(Now::Source),
        ImageName::Docker(r) => probe::destination_manifest(ctx, r)
            .await
            .ok()
            .map(Now::Destination),
        ImageName::Oci(l) => Some(Now::Local(super::layout::entry(l, ctx).map(
            |(digest, media_type)| probe::ManifestHead {
                digest,
                media_type: (!media_type.is_empty()).then(|| media_type.into()),
            },
        ))),
        // A directory `sync --prune` updates in place: what its manifest is now.
        ImageName::Dir(d) if !source => {
            let bytes = std::fs::read(d.join("manifest.json")).ok();
            Some(Now::Local(bytes.and_then(|bytes| {
                Some(probe::ManifestHead {
                    digest: crate::manifest::digest(&bytes).ok()?,
                    media_type: Some(crate::manifest::guess_mime_type(&bytes).into()),
                })
            })))
        }
        _ => None,
    }
}
