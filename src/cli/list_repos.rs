//! `skiff list-repos docker://REGISTRY`: the registry's repositories (`/v2/_catalog`, every
//! page). skopeo has no such command.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Args;
use serde::Serialize;

use super::GlobalFlags;
use super::flags::{ImageFlags, RetryFlags, SharedFlags};
use crate::contract::retry;
use crate::transport::docker;

#[derive(Args, Debug)]
#[command(
    long_about = "List the repositories of a registry, from its catalog (/v2/_catalog, every page).\n\nskopeo has no such command. Registries may limit the catalog to what the credentials can read, or refuse it.",
    after_help = "Output: a JSON document like list-tags': {\"Registry\": \"HOST\", \"Repositories\": [\"NAME\", …]}\n\nExamples:\n  skiff list-repos docker://registry.example.com\n  skiff list-repos --page-size 100 docker://localhost:5000"
)]
pub struct ListReposArgs {
    #[arg(
        value_name = "REGISTRY",
        help = "the registry (docker://HOST[:PORT], no repository)"
    )]
    pub registry: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub image: ImageFlags,
    #[command(flatten)]
    pub retry: RetryFlags,
    #[arg(
        long = "page-size",
        value_name = "N",
        help = "ask the registry for pages of N names (?n=N); default: the registry's choice"
    )]
    pub page_size: Option<String>,
}

/// The output document.
#[derive(Serialize)]
struct RepositoryList {
    #[serde(rename = "Registry")]
    registry: String,
    #[serde(rename = "Repositories")]
    repositories: Vec<String>,
}

/// `docker://HOST[:PORT]`: a registry, nothing after it.
fn parse_registry(arg: &str) -> Result<String> {
    let Some(host) = arg.strip_prefix("docker://") else {
        bail!("Invalid registry {arg:?}: expected docker://HOST[:PORT]");
    };
    let host = host.strip_suffix('/').unwrap_or(host);
    // The domain grammar of a reference: a host that a repository name could follow.
    let valid = !host.is_empty()
        && !host.contains('/')
        && crate::reference::DockerReference::parse_normalized_named(&format!("{host}/x"))
            .is_ok_and(|r| r.domain() == host);
    if !valid {
        bail!("Invalid registry {arg:?}: expected docker://HOST[:PORT], without a repository");
    }
    Ok(host.to_string())
}

fn parse_page_size(v: &str) -> Result<u32> {
    match v.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("Invalid --page-size {v:?}: expected a whole number above 0"),
    }
}

impl ListReposArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        if self.registry.len() != 1 {
            return Err(crate::error::UsageError(
                "Exactly one non-option argument expected".into(),
            )
            .into());
        }
        let registry = parse_registry(&self.registry[0])?;
        let page_size = self.page_size.as_deref().map(parse_page_size).transpose()?;
        let mut ctx = g.system_context();
        self.image
            .image()
            .apply(self.shared.authfile.as_ref(), &mut ctx)?;
        let repositories = retry::if_necessary(self.retry.options(), || async {
            docker::repository_catalog(&ctx, &registry, page_size)
                .await
                .map_err(|e| e.context("Error listing repositories"))
        })
        .await?;
        let mut out = crate::gojson::to_string_pretty(&RepositoryList {
            registry,
            repositories,
        });
        out.push('\n');
        crate::stdio::stdout().write_all(out.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_only() {
        assert_eq!(
            parse_registry("docker://localhost:5000").unwrap(),
            "localhost:5000"
        );
        assert_eq!(parse_registry("docker://quay.io/").unwrap(), "quay.io");
        for bad in [
            "docker://quay.io/a",
            "quay.io",
            "docker://",
            "docker://UP PER",
        ] {
            assert!(parse_registry(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_page_size("0").unwrap_err().to_string(),
            "Invalid --page-size \"0\": expected a whole number above 0"
        );
        assert_eq!(parse_page_size("7").unwrap(), 7);
    }
}
