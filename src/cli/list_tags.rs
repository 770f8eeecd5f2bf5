//! `skiff list-tags docker://REPOSITORY`

use std::io::Write;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use serde::Serialize;

use super::GlobalFlags;
use super::flags::{ImageFlags, RetryFlags, SharedFlags};
use crate::contract::retry;
use crate::reference::{DockerReference, TransportKind};
use crate::transport::docker;

#[derive(Args, Debug)]
#[command(
    after_help = "Supported transports: docker docker-archive\n\nExamples:\n  skiff list-tags docker://registry.example.com/team/app\n  skiff list-tags docker-archive:/tmp/images.tar"
)]
pub struct ListTagsArgs {
    #[arg(
        value_name = "SOURCE-IMAGE",
        help = "the repository (docker://NAME, no tag) or archive (docker-archive:PATH)"
    )]
    pub images: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub image: ImageFlags,
    #[command(flatten)]
    pub retry: RetryFlags,
}

/// skopeo's output document.
#[derive(Serialize)]
struct TagList {
    #[serde(rename = "Repository", skip_serializing_if = "String::is_empty")]
    repository: String,
    #[serde(rename = "Tags")]
    tags: Option<Vec<String>>,
}

const SUPPORTED: &str = "docker, docker-archive";

/// `docker://NAME` with neither tag nor digest, as skopeo requires for listing.
fn parse_repository(arg: &str) -> Result<DockerReference> {
    let Some(rest) = arg.strip_prefix("docker://") else {
        bail!("docker: image reference {arg} does not start with docker://");
    };
    let r = DockerReference::parse_normalized_named(rest).map_err(|e| anyhow!("{e}"))?;
    if !r.is_name_only() {
        bail!("No tag or digest allowed in reference");
    }
    Ok(r)
}

impl ListTagsArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        if self.images.len() != 1 {
            return Err(crate::error::UsageError(
                "Exactly one non-option argument expected".into(),
            )
            .into());
        }
        let arg = &self.images[0];
        let mut ctx = g.system_context();
        self.image
            .image()
            .apply(self.shared.authfile.as_ref(), &mut ctx)?;
        let transport = arg
            .split_once(':')
            .and_then(|(t, _)| TransportKind::from_name(t));
        let Some(transport) = transport else {
            bail!("Invalid {arg:?}: does not specify a transport");
        };
        let output = match transport {
            TransportKind::Docker => {
                let r = parse_repository(arg)?;
                let tags = retry::if_necessary(self.retry.options(), || async {
                    docker::repository_tags(&ctx, &r)
                        .await
                        .map_err(|e| e.context("Error listing repository tags"))
                })
                .await?;
                TagList {
                    repository: r.name(),
                    tags: Some(tags),
                }
            }
            TransportKind::DockerArchive => {
                let name = crate::reference::parse_docker_archive(&arg["docker-archive:".len()..])?;
                TagList {
                    repository: String::new(),
                    tags: crate::transport::docker_archive::list_tags(&name, &ctx).await?,
                }
            }
            other => bail!(
                "Unsupported transport '{}' for tag listing. Only supported: {SUPPORTED}",
                other.name()
            ),
        };
        let mut out = crate::gojson::to_string_pretty(&output);
        out.push('\n');
        crate::stdio::stdout().write_all(out.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        assert_eq!(
            parse_repository("docker://busybox").unwrap().name(),
            "docker.io/library/busybox"
        );
        assert_eq!(
            parse_repository("docker://busybox:latest")
                .unwrap_err()
                .to_string(),
            "No tag or digest allowed in reference"
        );
        assert_eq!(
            parse_repository("docker:busybox").unwrap_err().to_string(),
            "docker: image reference docker:busybox does not start with docker://"
        );
    }

    #[test]
    fn output_is_skopeos() {
        let t = TagList {
            repository: "r".into(),
            tags: Some(vec!["a".into()]),
        };
        assert_eq!(
            crate::gojson::to_string_pretty(&t),
            "{\n    \"Repository\": \"r\",\n    \"Tags\": [\n        \"a\"\n    ]\n}"
        );
    }
}
