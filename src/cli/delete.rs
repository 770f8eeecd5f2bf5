//! `skiff delete IMAGE-NAME`

use anyhow::Result;
use clap::Args;

use super::flags::{ImageFlags, RetryFlags, SharedFlags};
use super::{GlobalFlags, expect_args, parse_image};
use crate::contract::retry;

#[derive(Args, Debug)]
#[command(after_help = super::after_help(&[
    "skiff delete docker://registry.example.com/team/app:old",
]))]
pub struct DeleteArgs {
    #[arg(
        value_name = "IMAGE-NAME",
        help = "the image to delete (transport:details)"
    )]
    pub images: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub image: ImageFlags,
    #[command(flatten)]
    pub retry: RetryFlags,
    #[arg(
        long = "tag-only",
        help = "remove only the tag (docker://NAME:TAG), not the manifest other tags may share; refused where the registry does not delete tags (not in skopeo)"
    )]
    pub tag_only: bool,
}

impl DeleteArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        expect_args(&self.images, 1)?;
        let name = parse_image(&self.images[0], "source")?;
        let mut ctx = g.system_context();
        self.image
            .image()
            .apply(self.shared.authfile.as_ref(), &mut ctx)?;
        if self.tag_only {
            let crate::reference::ImageName::Docker(r) = &name else {
                anyhow::bail!("--tag-only deletes tags in registries: it needs a docker:// name");
            };
            return retry::if_necessary(self.retry.options(), || {
                crate::transport::docker::delete_tag(&ctx, r)
            })
            .await;
        }
        retry::if_necessary(self.retry.options(), || {
            crate::transport::delete_image(&name, &ctx)
        })
        .await
    }
}
