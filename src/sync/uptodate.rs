//! The fast path of a re-sync: an image whose destination already has the source's manifest
//! is skipped after one request to each registry (the source's manifest, the destination's
//! HEAD) — no blob is read. The copy engine would reach the same verdict after reading the
//! source manifest; anything this check is not sure about (lists, schema 1, conversions,
//! signatures, mirrors) is left to it, and it takes both answers instead of asking again.

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
    let (ImageName::Docker(s), ImageName::Docker(d)) = (src, dest) else {
        return None;
    };
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
        probe::source_manifest(&options.source_ctx, s),
        probe::destination_manifest(&options.dest_ctx, d)
    );
    let (at_src, at_dest) = (at_src.ok().flatten(), at_dest.ok());
    let skipped = match (&at_src, &at_dest) {
        (Some(at_src), Some(at_dest)) => {
            skip(
                &at_src.answer,
                at_dest.answer.as_ref(),
                src,
                options,
                reporter,
            )
            .await
        }
        _ => None,
    };
    if skipped.is_none() {
        // The copy starts with what was just asked.
        if let Some(p) = at_src {
            p.keep_for_copy();
        }
        if let Some(p) = at_dest {
            p.keep_for_copy();
        }
    }
    skipped
}

/// The digest of the image when the destination already has it, the skip reported.
async fn skip(
    at_src: &probe::ManifestHead,
    at_dest: Option<&probe::ManifestHead>,
    src: &ImageName,
    options: &Options,
    reporter: &dyn Reporter,
) -> Option<Digest> {
    let ImageName::Docker(s) = src else {
        return None;
    };
    let at_dest = at_dest?;
    let single = [mt::DOCKER_V2_SCHEMA2, mt::OCI_MANIFEST];
    if at_src.digest != at_dest.digest || !single.contains(&at_src.media_type.as_str()) {
        return None;
    }
    if !options.remove_signatures {
        if probe::has_signatures(&options.source_ctx, s, &at_src.digest)
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
