//! One OCI layout as a sync source or destination of many repositories.
//!
//! Each image is an entry of the layout's `index.json`, named by its
//! `org.opencontainers.image.ref.name` annotation. A sync into a layout names an image as it
//! would name its destination below a registry or directory, without the registry or
//! directory: the source's last path element and tag (`app:v1`), or with `--scoped` its whole
//! reference (`registry.example.com/ns/app:v1`); `--append-suffix` is added. Blobs are stored
//! once for the whole layout. A sync from a layout reads every named entry, and takes the
//! part of its name before the last `:` of its last element as its repository and the rest
//! as its tag, so a layout written by `sync --dest oci` syncs back to the same repositories
//! and tags.

use std::path::Path;

use anyhow::{Result, anyhow, bail};

use super::prune::{Managed, Selector, SourceRepository};
use super::source::Repo;
use super::{Level, LogEntry};
use crate::copy::progress::Reporter;
use crate::digest::Digest;
use crate::gotext::{go_path_error, go_quote};
use crate::reference::{ImageName, LayoutName};
use crate::transport::oci::{DirFiles, LayoutFiles, REF_NAME_ANNOTATION, parse_index};
use crate::types::SystemContext;

/// A ref name split into its repository and its tag (`None` for a name with a digest or
/// without a tag): `reg:5000/ns/app:v1` → (`reg:5000/ns/app`, `v1`).
pub(crate) fn split_ref_name(name: &str) -> (&str, Option<&str>) {
    let last = name.rfind('/').map_or(0, |i| i + 1);
    if name[last..].contains('@') {
        let at = last + name[last..].find('@').unwrap_or(0);
        return (&name[..at], None);
    }
    match name[last..].rfind(':') {
        Some(i) => (&name[..last + i], Some(&name[last + i + 1..])),
        None => (name, None),
    }
}

/// The tag a sync's tag filters look at: a docker image's tag, a layout entry's name's tag.
pub(crate) fn tag_of_image(image: &ImageName) -> Option<&str> {
    match image {
        ImageName::Oci(l) => l.reference.as_deref().and_then(|r| split_ref_name(r).1),
        other => other.docker_reference().and_then(|r| r.tag()),
    }
}

/// The image named `reference` in the layout at `path`.
pub(crate) fn layout_image(path: &Path, reference: &str) -> ImageName {
    ImageName::Oci(LayoutName {
        path: path.to_path_buf(),
        reference: Some(reference.to_string()),
        source_index: None,
    })
}

/// The digest and media type of the entry `name` means in its layout's index, if there is
/// one (read without a lock: `index.json` is only ever replaced by a rename).
pub(crate) fn entry(name: &LayoutName, ctx: &SystemContext) -> Option<(Digest, String)> {
    let files = DirFiles::new(&name.path, ctx.oci_shared_blob_dir.as_deref());
    let index = parse_index(&files.read_index().ok()?).ok()?;
    let d = crate::transport::oci::resolve_descriptor(&index, name).ok()?;
    Some((d.digest, d.media_type))
}

/// Every named image of the layout at `source`, one repository per distinct name before the
/// tag, in index order.
pub(crate) fn layout_source(
    source: &str,
    ctx: &SystemContext,
    out: &dyn Reporter,
) -> Result<Vec<Repo>> {
    let path = Path::new(source);
    let index_path = path.join("index.json");
    if let Err(e) = std::fs::metadata(&index_path) {
        bail!(
            "Invalid source layout specified: {}",
            go_path_error("stat", &index_path, &e)
        );
    }
    let files = DirFiles::new(path, ctx.oci_shared_blob_dir.as_deref());
    let index = parse_index(&files.read_index()?).map_err(|e| {
        anyhow!(
            "Invalid source layout specified: {}: {e:#}",
            index_path.display()
        )
    })?;
    let mut repos: Vec<(String, Vec<ImageName>)> = Vec::new();
    for d in &index.manifests {
        let Some(name) = d
            .annotations
            .as_ref()
            .and_then(|a| a.get(REF_NAME_ANNOTATION))
            .filter(|n| !n.is_empty())
        else {
            out.log(
                LogEntry::new(Level::Debug, "Skipping an index entry without a name")
                    .field("digest", d.digest.to_string()),
            );
            continue;
        };
        let repo = split_ref_name(name).0.to_string();
        let image = layout_image(path, name);
        match repos.iter_mut().find(|(r, _)| *r == repo) {
            Some((_, images)) => images.push(image),
            None => repos.push((repo, vec![image])),
        }
    }
    if repos.is_empty() {
        bail!("No images to sync found in {}", go_quote(source));
    }
    Ok(repos
        .into_iter()
        .map(|(repo, images)| Repo {
            dir_base: None,
            images,
            ctx: ctx.clone(),
            referrers: false,
            managed: Some(Managed {
                source: SourceRepository::Layout {
                    path: path.to_path_buf(),
                    repo,
                },
                selects: Selector::All,
            }),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_names_split_into_repository_and_tag() {
        assert_eq!(split_ref_name("app:v1"), ("app", Some("v1")));
        assert_eq!(
            split_ref_name("reg:5000/ns/app:v1"),
            ("reg:5000/ns/app", Some("v1"))
        );
        assert_eq!(split_ref_name("reg:5000/ns/app"), ("reg:5000/ns/app", None));
        assert_eq!(split_ref_name("ns/app@sha256:ab"), ("ns/app", None));
        assert_eq!(split_ref_name("latest"), ("latest", None));
    }

    #[test]
    fn a_layouts_tags_of_one_repository_shard_together() {
        let key = |n: &str| super::super::shard::repository_key(&layout_image(Path::new("/l"), n));
        assert_eq!(key("ns/app:v1"), key("ns/app:v2"));
        assert_ne!(key("ns/app:v1"), key("ns/web:v1"));
        assert_eq!(
            tag_of_image(&layout_image(Path::new("/l"), "ns/app:v1")),
            Some("v1")
        );
    }
}
