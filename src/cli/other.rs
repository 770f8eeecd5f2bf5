//! Commands whose flags are all in place but whose work arrives with later transports:
//! they parse exactly like skopeo's and then say plainly that they are not built yet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::copy::CopyFlags;
use super::flags::{
    DestImageFlags, ImageFlags, PrefixedAuthfiles, RetryFlags, SharedFlags, SrcImageFlags,
    parse_go_bool,
};
use super::{GlobalFlags, expect_args};
use crate::error::not_implemented;

#[derive(Args, Debug)]
#[command(after_help = super::TRANSPORTS_HELP)]
pub struct DeleteArgs {
    #[arg(value_name = "IMAGE-NAME")]
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
        let image_name = &self.images[0];
        let name = super::parse_image(image_name, "source")?;
        let mut ctx = g.system_context();
        self.image
            .image()
            .apply(self.shared.authfile.as_ref(), &mut ctx)?;
        crate::copy::retry::if_necessary(self.retry.options(), || {
            crate::transport::delete_image(&name, &ctx)
        })
        .await
    }
}

#[derive(Args, Debug)]
pub struct ListTagsArgs {
    #[arg(value_name = "SOURCE-IMAGE")]
    pub images: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub image: ImageFlags,
    #[command(flatten)]
    pub retry: RetryFlags,
}

impl ListTagsArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        expect_args(&self.images, 1)?;
        let arg = &self.images[0];
        if let Some(rest) = arg.strip_prefix("docker-archive:") {
            let mut ctx = g.system_context();
            self.image
                .image()
                .apply(self.shared.authfile.as_ref(), &mut ctx)?;
            return print_archive_tags(rest, &ctx).await;
        }
        Err(not_implemented("list-tags"))
    }
}

/// `list-tags docker-archive:PATH`: skopeo's `{"Tags": [...]}` document.
pub async fn print_archive_tags(details: &str, ctx: &crate::types::SystemContext) -> Result<()> {
    use std::io::Write;
    let name = crate::reference::parse_docker_archive(details)?;
    let tags = crate::transport::docker_archive::list_tags(&name, ctx).await?;
    #[derive(serde::Serialize)]
    struct TagList {
        #[serde(rename = "Tags")]
        tags: Option<Vec<String>>,
    }
    let mut out = crate::gojson::to_string_pretty(&TagList { tags });
    out.push('\n');
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    #[arg(value_name = "REGISTRY")]
    pub registries: Vec<String>,
    #[arg(
        long,
        value_name = "PATH",
        env = "REGISTRY_AUTH_FILE",
        hide_env = true,
        help = "path of the credentials file ($REGISTRY_AUTH_FILE overrides the default)"
    )]
    pub authfile: Option<PathBuf>,
    #[arg(
        long = "compat-auth-file",
        value_name = "PATH",
        help = "also write credentials to this Docker-compatible file"
    )]
    pub compat_auth_file: Option<PathBuf>,
    #[arg(
        long = "cert-dir",
        value_name = "PATH",
        help = "use certificates at PATH to reach the registry"
    )]
    pub cert_dir: Option<PathBuf>,
    #[arg(long = "get-login", help = "print the user logged in to the registry")]
    pub get_login: bool,
    #[arg(
        short = 'p',
        long,
        value_name = "PASSWORD",
        help = "password for the registry"
    )]
    pub password: Option<String>,
    #[arg(
        long = "password-stdin",
        help = "read the password from standard input"
    )]
    pub password_stdin: bool,
    #[arg(long = "tls-verify", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, help = "require HTTPS and verify certificates when talking to the registry")]
    pub tls_verify: Option<bool>,
    #[arg(
        short = 'u',
        long,
        value_name = "USERNAME",
        help = "username for the registry"
    )]
    pub username: Option<String>,
    #[arg(short = 'v', long, help = "print more details")]
    pub verbose: bool,
}

impl LoginArgs {
    pub async fn run(self, _g: &GlobalFlags) -> Result<()> {
        Err(not_implemented("login"))
    }
}

#[derive(Args, Debug)]
pub struct LogoutArgs {
    #[arg(value_name = "REGISTRY")]
    pub registries: Vec<String>,
    #[arg(
        short = 'a',
        long,
        help = "remove the credentials of every registry in the credentials file"
    )]
    pub all: bool,
    #[arg(
        long,
        value_name = "PATH",
        env = "REGISTRY_AUTH_FILE",
        hide_env = true,
        help = "path of the credentials file ($REGISTRY_AUTH_FILE overrides the default)"
    )]
    pub authfile: Option<PathBuf>,
    #[arg(
        long = "compat-auth-file",
        value_name = "PATH",
        help = "also remove credentials from this Docker-compatible file"
    )]
    pub compat_auth_file: Option<PathBuf>,
    #[arg(long = "tls-verify", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, help = "require HTTPS and verify certificates when talking to the registry")]
    pub tls_verify: Option<bool>,
}

impl LogoutArgs {
    pub async fn run(self, _g: &GlobalFlags) -> Result<()> {
        Err(not_implemented("logout"))
    }
}

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
