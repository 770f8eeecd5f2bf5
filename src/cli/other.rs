//! Commands whose flags are all in place but whose work arrives with later transports:
//! they parse exactly like skopeo's and then say plainly that they are not built yet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::GlobalFlags;
use super::copy::CopyFlags;
use super::flags::{DestImageFlags, PrefixedAuthfiles, RetryFlags, SharedFlags, SrcImageFlags};
use crate::error::not_implemented;

#[derive(Args, Debug)]
pub struct SyncArgs {
    #[arg(value_name = "SOURCE DESTINATION")]
    pub args: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub authfiles: PrefixedAuthfiles,
    #[command(flatten)]
    pub src: SrcImageFlags,
    #[command(flatten)]
    pub dest: DestImageFlags,
    #[command(flatten)]
    pub retry: RetryFlags,
    #[command(flatten)]
    pub copy: CopyFlags,
    #[arg(
        short = 's',
        long = "src",
        value_name = "TRANSPORT",
        help = "SOURCE transport: docker, dir or yaml"
    )]
    pub source_transport: Option<String>,
    #[arg(
        short = 'd',
        long = "dest",
        value_name = "TRANSPORT",
        help = "DESTINATION transport: docker or dir"
    )]
    pub dest_transport: Option<String>,
    #[arg(
        long,
        help = "name destination images with the full source path as scope"
    )]
    pub scoped: bool,
    #[arg(
        long = "append-suffix",
        value_name = "SUFFIX",
        help = "add SUFFIX to destination image names"
    )]
    pub append_suffix: Option<String>,
    #[arg(short = 'a', long, help = "copy every image of a list, and the list")]
    pub all: bool,
    #[arg(long = "dry-run", help = "show what would be copied without copying")]
    pub dry_run: bool,
    #[arg(long = "keep-going", help = "go on after an image fails to copy")]
    pub keep_going: bool,
    #[arg(
        long = "digestfile",
        value_name = "PATH",
        help = "write the digests of the copied images to PATH"
    )]
    pub digestfile: Option<PathBuf>,
    #[arg(
        long = "parallel-images",
        value_name = "N",
        help = "how many images to copy at once"
    )]
    pub parallel_images: Option<usize>,
}

impl SyncArgs {
    pub async fn run(self, _g: &GlobalFlags) -> Result<()> {
        Err(not_implemented("sync"))
    }
}

#[derive(Args, Debug)]
pub struct StandaloneSignArgs {
    #[arg(value_name = "MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT")]
    pub args: Vec<String>,
    #[arg(
        short = 'o',
        long,
        value_name = "SIGNATURE",
        help = "write the signature to SIGNATURE"
    )]
    pub output: Option<PathBuf>,
    #[arg(
        long = "passphrase-file",
        value_name = "PATH",
        help = "read the key's passphrase from PATH"
    )]
    pub passphrase_file: Option<PathBuf>,
}

impl StandaloneSignArgs {
    pub fn run(self) -> Result<()> {
        Err(not_implemented("standalone-sign"))
    }
}

#[derive(Args, Debug)]
pub struct StandaloneVerifyArgs {
    #[arg(value_name = "MANIFEST DOCKER-REFERENCE KEY-FINGERPRINTS SIGNATURE")]
    pub args: Vec<String>,
    #[arg(
        long = "public-key-file",
        value_name = "PATH",
        help = "verify with the public keys in PATH"
    )]
    pub public_key_file: Option<PathBuf>,
}

impl StandaloneVerifyArgs {
    pub fn run(self) -> Result<()> {
        Err(not_implemented("standalone-verify"))
    }
}

#[derive(Args, Debug)]
pub struct GenerateSigstoreKeyArgs {
    #[arg(
        long = "output-prefix",
        value_name = "PREFIX",
        help = "write the keys to PREFIX.pub and PREFIX.private"
    )]
    pub output_prefix: Option<String>,
    #[arg(
        long = "passphrase-file",
        value_name = "PATH",
        help = "read the private key's passphrase from PATH"
    )]
    pub passphrase_file: Option<PathBuf>,
}

impl GenerateSigstoreKeyArgs {
    pub fn run(self) -> Result<()> {
        Err(not_implemented("generate-sigstore-key"))
    }
}
