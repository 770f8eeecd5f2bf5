//! Where each image goes, named as skopeo names it: the source's full reference
//! (`registry/ns/repo:tag`) or, for a `dir:` source, the path below the source directory;
//! without `--scoped` only its last element; joined to the destination, plus
//! `--append-suffix`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

use super::shard::{Grouping, repository_key};
use super::source::Repo;
use super::{DestKind, SyncOptions};
use crate::gotext::go_quote;
use crate::reference::ImageName;
use crate::reference::path::go_clean;
use crate::transport::dir::STAGING_PREFIX;
use crate::transport::dirlock::sweep_stale_staging;

/// One image to copy.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    /// Which source repository (index into the repository list).
    pub repo: usize,
    /// Its place within that repository, from 1, and the repository's image count.
    pub n: usize,
    pub m: usize,
    pub src: ImageName,
    pub dest: ImageName,
}

/// Go's `path.Clean`.
fn clean(s: &str) -> String {
    String::from_utf8_lossy(&go_clean(s.as_bytes())).into_owned()
}

/// Go's `path.Join`: the non-empty elements joined with `/`, cleaned; "" when all are empty.
pub(crate) fn path_join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (false, true) => clean(a),
        (true, false) => clean(b),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go's `path.Base`: the last element, trailing slashes ignored ("." for "", "/" for "/").
pub(crate) fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

/// The part of the destination name that comes from the source image.
fn destination_suffix(image: &ImageName, repo: &Repo, scoped: bool) -> String {
    let suffix = match (image, &repo.dir_base) {
        (ImageName::Dir(p), Some(base)) => {
            let within = p.to_string_lossy();
            let rest = within.strip_prefix(base.as_str()).unwrap_or(&within);
            if rest.is_empty() {
                path_base(base)
            } else {
                rest.to_string()
            }
        }
        (ImageName::Oci(l), _) => l.reference.clone().unwrap_or_default(),
        _ => image
            .docker_reference()
            .map(|r| r.to_string())
            .unwrap_or_else(|| image.string_within_transport()),
    };
    if scoped { suffix } else { path_base(&suffix) }
}

/// The name of `image`'s destination: joined to the destination registry or directory, or
/// alone as the ref name within a destination layout; plus `--append-suffix`.
pub(crate) fn destination_name(opts: &SyncOptions, image: &ImageName, repo: &Repo) -> String {
    let suffix = destination_suffix(image, repo, opts.scoped);
    match opts.dest_kind {
        DestKind::Oci => suffix + &opts.append_suffix,
        DestKind::Docker | DestKind::Dir => {
            path_join(&opts.destination, &suffix) + &opts.append_suffix
        }
    }
}

/// The image in the layout at `layout` named `name`, refused as the `oci:` transport refuses
/// it, or when another image of this sync has that name already.
fn layout_destination(
    layout: &str,
    name: &str,
    claimed: &mut HashSet<String>,
) -> Result<ImageName> {
    if !crate::reference::is_valid_oci_ref_name(name) {
        return Err(anyhow!(
            "Cannot obtain a valid image reference for transport \"oci\" and reference {}: Invalid image {name}",
            go_quote(&format!("{layout}:{name}"))
        ));
    }
    if !claimed.insert(name.to_string()) {
        return Err(anyhow!(
            "Refusing to overwrite image {} in layout {}: two source images have that name (--scoped names them apart)",
            go_quote(name),
            go_quote(layout)
        ));
    }
    Ok(super::layout::layout_image(Path::new(layout), name))
}

/// The destination image for the name `dest` (skopeo's `destinationReference`, without
/// creating directories: a `dir:` destination appears only when its copy succeeds).
/// With `mirror` (`--prune`), an existing image directory is updated, not refused.
fn destination(
    dest: &str,
    kind: DestKind,
    dry_run: bool,
    mirror: bool,
    claimed: &mut HashSet<String>,
) -> Result<ImageName> {
    match kind {
        DestKind::Oci => unreachable!("layout destinations are named by layout_destination"),
        DestKind::Docker => {
            let details = format!("//{dest}");
            crate::reference::parse_docker(&details)
                .map(ImageName::Docker)
                .map_err(|e| {
                    anyhow!(
                        "Cannot obtain a valid image reference for transport \"docker\" and reference {}: {e}",
                        go_quote(&details)
                    )
                })
        }
        DestKind::Dir => {
            let refuse = || {
                anyhow!(
                    "Refusing to overwrite destination directory {}",
                    go_quote(dest)
                )
            };
            match std::fs::symlink_metadata(dest).and_then(|_| std::fs::metadata(dest)) {
                Ok(_) if !mirror && !left_by_killed_copy(Path::new(dest), dry_run)? => {
                    return Err(refuse());
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(anyhow!(
                        "Destination directory could not be used: {}",
                        crate::gotext::go_path_error("stat", dest.as_ref(), &e)
                    ));
                }
            }
            // Two images of this sync with the same name: the second would find the first.
            if !claimed.insert(clean(dest)) {
                return Err(refuse());
            }
            Ok(ImageName::Dir(PathBuf::from(dest)))
        }
    }
}

/// A directory that holds nothing but staging a killed skiff copy left behind: that copy
/// made it, so it is removed (not on a dry run) and the image is copied again (an
/// interrupted copy cleans up itself; a SIGKILLed one cannot).
fn left_by_killed_copy(dir: &Path, dry_run: bool) -> Result<bool> {
    if !std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Ok(false);
    }
    let swept = sweep_stale_staging(dir, STAGING_PREFIX, dry_run)?;
    Ok(swept.removed > 0 && !swept.others && (dry_run || std::fs::remove_dir(dir).is_ok()))
}

/// Every image of every repository (of this shard, with `--shard`) with its destination, in
/// skopeo's order. Images of other shards are left out before their destinations are looked
/// at: another process is writing them.
pub(crate) fn plan(opts: &SyncOptions, repos: &[Repo]) -> Result<Vec<Job>> {
    let mine: Vec<Vec<&ImageName>> = match opts.shard {
        None => repos.iter().map(|r| r.images.iter().collect()).collect(),
        Some(shard) => {
            let repositories: HashSet<String> = repos
                .iter()
                .flat_map(|r| r.images.iter().map(repository_key))
                .collect();
            let grouping = Grouping::for_plan(shard, repositories.len());
            repos
                .iter()
                .map(|r| {
                    r.images
                        .iter()
                        .filter(|i| shard.holds(grouping, i))
                        .collect()
                })
                .collect()
        }
    };
    let mut jobs = Vec::new();
    let mut claimed = HashSet::new();
    for (ri, (repo, images)) in repos.iter().zip(&mine).enumerate() {
        for (i, image) in images.iter().enumerate() {
            let name = destination_name(opts, image, repo);
            let dest = match opts.dest_kind {
                DestKind::Oci => layout_destination(&opts.destination, &name, &mut claimed)?,
                kind => destination(&name, kind, opts.dry_run, opts.prune, &mut claimed)?,
            };
            jobs.push(Job {
                repo: ri,
                n: i + 1,
                m: images.len(),
                src: (*image).clone(),
                dest,
            });
        }
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::DockerReference;

    #[test]
    fn go_path_helpers() {
        assert_eq!(path_join("/m", "a/b:1"), "/m/a/b:1");
        assert_eq!(path_join("m/", "/x"), "m/x");
        assert_eq!(path_join("", "x"), "x");
        assert_eq!(path_join("a", ""), "a");
        assert_eq!(path_base("a/b/"), "b");
        assert_eq!(path_base(""), ".");
        assert_eq!(path_base("//"), "/");
        assert_eq!(path_base("x"), "x");
    }

    fn docker_repo(names: &[&str]) -> Repo {
        Repo {
            dir_base: None,
            images: names
                .iter()
                .map(|n| ImageName::Docker(DockerReference::parse_normalized_named(n).unwrap()))
                .collect(),
            ctx: Default::default(),
            referrers: false,
            managed: None,
        }
    }

    #[test]
    fn names_like_skopeo() {
        let repo = docker_repo(&["reg:5000/ns/app:v1", "busybox:latest"]);
        let suffix = |i: usize, scoped| destination_suffix(&repo.images[i], &repo, scoped);
        assert_eq!(suffix(0, false), "app:v1");
        assert_eq!(suffix(0, true), "reg:5000/ns/app:v1");
        assert_eq!(suffix(1, true), "docker.io/library/busybox:latest");
        let dir = Repo {
            dir_base: Some("/src".into()),
            images: vec![
                ImageName::Dir("/src/a/b".into()),
                ImageName::Dir("/src".into()),
            ],
            ctx: Default::default(),
            referrers: false,
            managed: None,
        };
        assert_eq!(destination_suffix(&dir.images[0], &dir, true), "/a/b");
        assert_eq!(destination_suffix(&dir.images[0], &dir, false), "b");
        assert_eq!(destination_suffix(&dir.images[1], &dir, true), "src");
    }

    #[test]
    fn destinations_refuse_what_skopeo_refuses() {
        let mut claimed = HashSet::new();
        let err = destination(
            "reg:1/x/reg:1/ns/app:a",
            DestKind::Docker,
            false,
            false,
            &mut claimed,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "Cannot obtain a valid image reference for transport \"docker\" and reference \"//reg:1/x/reg:1/ns/app:a\": invalid reference format"
        );
        let t = tempfile::tempdir().unwrap();
        let taken = t.path().display().to_string();
        assert_eq!(
            destination(&taken, DestKind::Dir, false, false, &mut claimed)
                .unwrap_err()
                .to_string(),
            format!("Refusing to overwrite destination directory \"{taken}\"")
        );
        // What a SIGKILLed sync left (its staging, nobody holding it) does not count…
        let killed = t.path().join("killed");
        std::fs::create_dir_all(killed.join(format!("{STAGING_PREFIX}x/blob"))).unwrap();
        let killed = killed.display().to_string();
        assert!(destination(&killed, DestKind::Dir, true, false, &mut claimed).is_ok());
        assert!(Path::new(&killed).exists(), "a dry run removes nothing");
        claimed.clear();
        assert!(destination(&killed, DestKind::Dir, false, false, &mut claimed).is_ok());
        assert!(!Path::new(&killed).exists());
        // … but anything else in the directory does.
        let kept = t.path().join("kept");
        std::fs::create_dir_all(kept.join(format!("{STAGING_PREFIX}x"))).unwrap();
        std::fs::write(kept.join("manifest.json"), b"{}").unwrap();
        let kept = kept.display().to_string();
        assert!(destination(&kept, DestKind::Dir, false, false, &mut claimed).is_err());
        let fresh = format!("{taken}/new");
        assert!(destination(&fresh, DestKind::Dir, false, false, &mut claimed).is_ok());
        assert!(destination(&fresh, DestKind::Dir, false, false, &mut claimed).is_err());
        assert!(!std::path::Path::new(&fresh).exists());
    }
}
