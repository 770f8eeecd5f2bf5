//! Copying a list's images and then the list: instances run concurrently (bounded), share
//! their blobs through the copier, and the list — converted to the type the destination
//! takes, with the new digests of converted instances — is written last.
//!
//! Progress lines are skopeo 1.9.3's (`Copying N of M images in list`, `Copying image D
//! (i/N)`, `Writing manifest list to image destination`).

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::plan;
use super::progress::{Event, Scope};
use super::{Copier, ListSelection};
use crate::digest::Digest;
use crate::manifest::list::InstanceUpdate;
use crate::manifest::platform::PlatformChoice;
use crate::manifest::{ManifestList, MediaType};

impl Copier<'_> {
    pub(crate) async fn copy_multiple(&self, top: Bytes, mime: MediaType) -> Result<Bytes> {
        let original = ManifestList::parse_for_edit(&top, &mime)?;
        let sigs = self.signatures_with_messages(None, Scope::List).await?;
        if let Some(want) = self.destination_digest()
            && !crate::manifest::matches_digest(&top, &want)
                .context("computing digest of source image's manifest")?
        {
            return Err(anyhow!(
                "Digest of source image's manifest would not match destination reference"
            ));
        }
        let cannot_modify = self.cannot_modify_reason(!sigs.is_empty());
        let forced = plan::forced_list_type(self.options.force_manifest_type.as_deref());
        let (selected, others) = plan::list_conversion(
            original.mime_type(),
            &self.dest.properties().supported_manifest_types,
            forced,
        )
        .context("determining manifest list type to write to destination")?;
        if selected != original.mime_type()
            && let Some(reason) = cannot_modify
        {
            return Err(anyhow!(
                "Manifest list must be converted to type {selected:?} to be written to destination, but we cannot modify it: {reason:?}"
            ));
        }

        let instances = original.instances();
        let wanted = self.instances_to_copy(&original)?;
        let to_copy = instances
            .iter()
            .filter(|i| wanted.as_ref().is_none_or(|w| w.contains(&i.digest)))
            .count();
        self.emit(Event::ListCopying {
            to_copy,
            total: instances.len(),
        });
        let started = AtomicUsize::new(0);
        let parallel = if self.dest.properties().has_thread_safe_put_blob {
            self.options.parallel_images.max(1)
        } else {
            1
        };
        // Collected first, so the copy's future is provably `Send` (see `copy_layers`).
        let jobs: Vec<_> = instances
            .iter()
            .map(|inst| {
                let skip = wanted.as_ref().is_some_and(|w| !w.contains(&inst.digest));
                let started = &started;
                async move {
                    if skip {
                        return Ok(InstanceUpdate {
                            digest: inst.digest.clone(),
                            size: inst.size,
                            media_type: inst.media_type.clone(),
                        });
                    }
                    let n = started.fetch_add(1, Ordering::SeqCst) + 1;
                    self.emit(Event::ListInstanceStarted {
                        digest: inst.digest.clone(),
                        n,
                        of: to_copy,
                    });
                    let copied = self
                        .copy_single(Some(&inst.digest), true, None)
                        .await
                        .with_context(|| {
                            format!("copying image {n}/{to_copy} from manifest list")
                        })?;
                    Ok::<_, anyhow::Error>(InstanceUpdate {
                        digest: copied.digest,
                        size: copied.manifest.len() as i64,
                        media_type: copied.mime.into(),
                    })
                }
            })
            .collect();
        let updates: Vec<InstanceUpdate> = futures::stream::iter(jobs)
            .buffered(parallel)
            .try_collect()
            .await?;

        let mut updated = original.normalized_clone();
        updated
            .update_instances(&updates)
            .context("updating manifest list")?;
        self.emit(Event::ManifestWriting { scope: Scope::List });
        let original_bytes = original.serialize();
        let mut errs = Vec::new();
        let mut written = None;
        for list_type in std::iter::once(&selected).chain(others.iter()) {
            let attempted = updated.convert_to(list_type).with_context(|| {
                format!("converting manifest list to list with MIME type {list_type:?}")
            })?;
            let mut bytes = Bytes::from(attempted.serialize());
            if bytes != original_bytes {
                if let Some(reason) = cannot_modify {
                    return Err(anyhow!(
                        "Manifest list must be converted to type {list_type:?} to be written to destination, but we cannot modify it: {reason:?}"
                    ));
                }
            } else {
                // Unchanged: keep the source's exact bytes (and digest).
                bytes = top.clone();
            }
            // Signed before it is written, as each image is.
            let new_sigs = self.create_signatures(&bytes, Scope::List).await?;
            match self.dest.put_manifest(&bytes, None).await {
                Ok(()) => {
                    if let Ok(digest) = crate::manifest::digest(&bytes) {
                        self.emit(Event::ManifestWritten {
                            scope: Scope::List,
                            digest,
                            size: bytes.len() as u64,
                            media_type: list_type.to_string(),
                        });
                    }
                    written = Some((bytes, new_sigs));
                    break;
                }
                Err(e) => errs.push(format!("{list_type}({e:#})")),
            }
        }
        let Some((written, mut new_sigs)) = written else {
            return Err(anyhow!(
                "Uploading manifest list failed, attempted the following formats: {}",
                errs.join(", ")
            ));
        };
        let mut sigs = sigs;
        sigs.append(&mut new_sigs);
        if !sigs.is_empty() {
            self.emit(Event::SignaturesStoring {
                scope: Scope::List,
                count: sigs.len(),
            });
            self.dest
                .put_signatures(&sigs, None)
                .await
                .context("writing signatures")?;
        }
        Ok(written)
    }

    /// The instances to copy; `None` means all of them.
    fn instances_to_copy(&self, list: &ManifestList) -> Result<Option<Vec<Digest>>> {
        Ok(match &self.options.list_selection {
            ListSelection::All | ListSelection::System => None,
            ListSelection::IndexOnly => Some(Vec::new()),
            ListSelection::Platforms(platforms) => {
                let mut chosen = Vec::new();
                for p in platforms {
                    let choice = PlatformChoice {
                        os: Some(p.os.clone()),
                        architecture: Some(p.architecture.clone()),
                        variant: (!p.variant.is_empty()).then(|| p.variant.clone()),
                    };
                    let d = list
                        .choose_instance(&choice)
                        .context("choosing image instance")?;
                    if !chosen.contains(&d) {
                        chosen.push(d);
                    }
                }
                Some(chosen)
            }
        })
    }
}
