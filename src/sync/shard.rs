//! `sync --shard I/N`: one of N processes (a Kubernetes Indexed Job, a CI matrix) copies a
//! deterministic share of the plan, so that the N shares together hold every image exactly
//! once.
//!
//! Which share an image belongs to is a hash of its own name, never of its place in a list:
//! processes that list the source a moment apart (a tag pushed in between) still agree on
//! every image they both see. The name hashed is the image's repository when the plan has at
//! least N repositories — a repository's tags share most of their layers, and within one
//! process a shared blob is sent once — else the repository and tag, so that one large
//! repository is still spread over every shard.

use anyhow::{Result, bail};

use crate::reference::ImageName;

/// This process' share: `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `I/N` with 0 ≤ I < N.
    pub fn parse(s: &str) -> Result<Shard> {
        let parsed = s
            .split_once('/')
            .and_then(|(i, n)| Some((i.parse::<u64>().ok()?, n.parse::<u64>().ok()?)));
        let Some((index, count)) = parsed else {
            bail!("Invalid --shard {s:?}: expected I/N, e.g. 0/3");
        };
        Shard::new(index, count, &format!("--shard {s:?}"))
    }

    fn new(index: u64, count: u64, what: &str) -> Result<Shard> {
        if count == 0 {
            bail!("Invalid {what}: the number of shards must be at least 1");
        }
        if index >= count {
            bail!(
                "Invalid {what}: the shard index must be below the number of shards (0 to {})",
                count - 1
            );
        }
        Ok(Shard { index, count })
    }

    /// The shard a Kubernetes Indexed Job gives this pod: `JOB_COMPLETION_INDEX` (set by
    /// Kubernetes) of `JOB_COMPLETIONS` (set in the pod spec: Kubernetes does not export
    /// it). `None` when neither is set.
    pub fn from_env(index: Option<String>, count: Option<String>) -> Result<Option<Shard>> {
        match (index, count) {
            (None, None) => Ok(None),
            (Some(_), None) => bail!(
                "JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set JOB_COMPLETIONS to the Job's completions, or pass --shard I/N"
            ),
            (None, Some(_)) => {
                bail!("JOB_COMPLETIONS is set but JOB_COMPLETION_INDEX is not: pass --shard I/N")
            }
            (Some(i), Some(n)) => {
                let what = format!("JOB_COMPLETION_INDEX={i:?} JOB_COMPLETIONS={n:?}");
                let (Ok(index), Ok(count)) = (i.trim().parse(), n.trim().parse()) else {
                    bail!("Invalid {what}: both must be whole numbers");
                };
                Shard::new(index, count, &what).map(Some)
            }
        }
    }
}

/// The repository an image belongs to (a `dir:` image is its own).
pub(crate) fn repository_key(image: &ImageName) -> String {
    // A layout's images: their name up to the tag is their repository.
    if let ImageName::Oci(l) = image {
        let name = l.reference.as_deref().unwrap_or("");
        return format!(
            "{}:{}",
            l.path.display(),
            super::layout::split_ref_name(name).0
        );
    }
    match image.docker_reference() {
        Some(r) => r.name(),
        None => image.string_within_transport(),
    }
}

/// The image itself: repository and tag (or digest).
fn image_key(image: &ImageName) -> String {
    match image.docker_reference() {
        Some(r) => r.to_string(),
        None => image.string_within_transport(),
    }
}

/// FNV-1a, 64 bits: stable across versions and machines (std's hasher is neither).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// How images are grouped into shards for a plan with `repositories` distinct repositories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Grouping {
    ByRepository,
    ByImage,
}

impl Grouping {
    pub(crate) fn for_plan(shard: Shard, repositories: usize) -> Grouping {
        if repositories as u64 >= shard.count {
            Grouping::ByRepository
        } else {
            Grouping::ByImage
        }
    }
}

impl Shard {
    /// Whether `image` is this shard's to copy.
    pub(crate) fn holds(&self, grouping: Grouping, image: &ImageName) -> bool {
        let key = match grouping {
            Grouping::ByRepository => repository_key(image),
            Grouping::ByImage => image_key(image),
        };
        fnv1a(&key) % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::DockerReference;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(Shard::parse("2/7").unwrap(), Shard { index: 2, count: 7 });
        for (bad, msg) in [
            (
                "3/3",
                "Invalid --shard \"3/3\": the shard index must be below the number of shards (0 to 2)",
            ),
            (
                "0/0",
                "Invalid --shard \"0/0\": the number of shards must be at least 1",
            ),
            ("x", "Invalid --shard \"x\": expected I/N, e.g. 0/3"),
            ("-1/3", "Invalid --shard \"-1/3\": expected I/N, e.g. 0/3"),
            ("1/", "Invalid --shard \"1/\": expected I/N, e.g. 0/3"),
        ] {
            assert_eq!(Shard::parse(bad).unwrap_err().to_string(), msg);
        }
        let env = |i: Option<&str>, n: Option<&str>| {
            Shard::from_env(i.map(String::from), n.map(String::from))
        };
        assert_eq!(env(None, None).unwrap(), None);
        assert_eq!(
            env(Some("1"), Some("4")).unwrap(),
            Some(Shard { index: 1, count: 4 })
        );
        assert!(env(Some("4"), Some("4")).is_err());
        assert!(env(Some("a"), Some("4")).is_err());
        assert!(env(Some("1"), None).is_err());
        assert!(env(None, Some("2")).is_err());
    }

    #[test]
    fn every_image_in_exactly_one_shard() {
        let images: Vec<ImageName> = (0..50)
            .map(|i| {
                ImageName::Docker(
                    DockerReference::parse_normalized_named(&format!("r/repo{}:t{i}", i % 5))
                        .unwrap(),
                )
            })
            .collect();
        for count in [1u64, 3, 7] {
            let grouping = Grouping::for_plan(Shard { index: 0, count }, 5);
            for image in &images {
                let holders = (0..count)
                    .filter(|&index| Shard { index, count }.holds(grouping, image))
                    .count();
                assert_eq!(holders, 1);
            }
        }
        // Grouped by repository: a repository's tags stay together.
        let shard = Shard { index: 0, count: 3 };
        let g = Grouping::for_plan(shard, 5);
        assert_eq!(g, Grouping::ByRepository);
        for image in &images {
            let same_repo = images
                .iter()
                .filter(|o| repository_key(o) == repository_key(image));
            for o in same_repo {
                assert_eq!(shard.holds(g, o), shard.holds(g, image));
            }
        }
        assert_eq!(
            Grouping::for_plan(Shard { index: 0, count: 7 }, 5),
            Grouping::ByImage
        );
    }
}
