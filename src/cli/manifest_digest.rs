//! `skiff manifest-digest MANIFEST-FILE`

use anyhow::{Result, bail};
use clap::Args;
use std::io::Write;

use crate::transport::fsutil::go_path_error;

#[derive(Args, Debug)]
#[command(after_help = "Example:\n  skiff manifest-digest /srv/images/app/manifest.json")]
pub struct ManifestDigestArgs {
    #[arg(
        value_name = "MANIFEST-FILE",
        help = "the manifest file whose digest to print"
    )]
    pub files: Vec<String>,
}

impl ManifestDigestArgs {
    pub fn run(self) -> Result<()> {
        if self.files.len() != 1 {
            bail!("Usage: skopeo manifest-digest manifest");
        }
        let path = &self.files[0];
        let bytes = std::fs::read(path).map_err(|e| {
            anyhow::anyhow!(
                "Error reading manifest from {path}: {}",
                go_path_error("open", std::path::Path::new(path), &e)
            )
        })?;
        let digest = crate::manifest::digest(&bytes)
            .map_err(|e| anyhow::anyhow!("Error computing digest: {e:#}"))?;
        // A full or closed stdout is an error, not a panic.
        writeln!(crate::stdio::stdout(), "{digest}")?;
        Ok(())
    }
}
