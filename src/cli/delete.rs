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
}

impl DeleteArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        expect_args(&self.images, 1)?;
        let name = parse_image(&self.images[0], "source")?;
        let mut ctx = g.system_context();
        self.image
            .image()
            .apply(self.shared.authfile.as_ref(), &mut ctx)?;
        retry::if_necessary(self.retry.options(), || {
            crate::transport::delete_image(&name, &ctx)
        })
        .await
    }
}
