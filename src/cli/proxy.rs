//! `skiff experimental-image-proxy [--sockfd FD]`: serves the image proxy protocol (see
//! `crate::proxy`) on a socket the client passes.

use anyhow::Result;
use clap::Args;

use super::GlobalFlags;
use super::flags::{ImageFlags, SharedFlags};
use crate::error::UsageError;

#[derive(Args, Debug)]
#[command(after_help = "Example:\n  skiff experimental-image-proxy --sockfd 3")]
pub struct ProxyArgs {
    #[arg(
        value_name = "ARG",
        hide = true,
        help = "none: the command takes no arguments"
    )]
    pub args: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub image: ImageFlags,
    #[arg(
        long,
        value_name = "FD",
        default_value_t = 0,
        help = "serve on the opened socket pair FD (default 0, standard input)"
    )]
    pub sockfd: i32,
}

impl ProxyArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        if !self.args.is_empty() {
            // cobra's words for a command that takes no arguments.
            return Err(
                UsageError(format!("accepts 0 arg(s), received {}", self.args.len())).into(),
            );
        }
        let g = g.clone();
        let (shared, image) = (self.shared, self.image);
        // Settings and policy are read at Initialize, so that their errors are its reply.
        let setup: crate::proxy::Setup = Box::new(move || {
            let mut ctx = g.system_context();
            image.image().apply(shared.authfile.as_ref(), &mut ctx)?;
            Ok((ctx, g.policy()?))
        });
        crate::proxy::serve(self.sockfd, setup).await
    }
}
