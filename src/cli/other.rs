//! Commands whose flags are all in place but whose work arrives with later transports:
//! they parse exactly like skopeo's and then say plainly that they are not built yet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::error::not_implemented;

#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  skiff standalone-sign manifest.json registry.example.com/app:v1 0123456789ABCDEF -o signature"
)]
pub struct StandaloneSignArgs {
    #[arg(
        value_name = "MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT",
        help = "the manifest file, the image name to sign it as, and the GPG key to sign with"
    )]
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
#[command(
    after_help = "Example:\n  skiff standalone-verify manifest.json registry.example.com/app:v1 0123456789ABCDEF signature"
)]
pub struct StandaloneVerifyArgs {
    #[arg(
        value_name = "MANIFEST DOCKER-REFERENCE KEY-FINGERPRINTS SIGNATURE",
        help = "the manifest file, the image name it is signed as, the accepted key fingerprints (comma-separated, or \"any\" with --public-key-file) and the signature file"
    )]
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
#[command(after_help = "Example:\n  skiff generate-sigstore-key --output-prefix mykey")]
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
