//! The command line: skopeo's command tree and flags. The only place that knows clap and the
//! terminal; each command turns its flags into library options and calls the library.

mod copy;
mod delete;
mod flags;
mod inspect;
mod list_tags;
mod login;
mod logout;
mod manifest_digest;
mod other;
pub mod parse;
pub mod progress;
mod sync;
mod template_data;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::config::policy::Policy;
use crate::manifest::platform::PlatformChoice;
use crate::types::SystemContext;
use flags::{parse_go_bool, parse_go_duration};

pub use flags::ImageFlagValues;

const TRANSPORTS_HELP: &str = "IMAGE-NAME is \"transport:details\"; transports: containers-storage, dir, docker, docker-archive, docker-daemon, oci, oci-archive";

#[derive(Parser, Debug)]
#[command(
    name = "skiff",
    about = "Work with container images and image registries (a drop-in replacement for skopeo)",
    disable_version_flag = true,
    after_help = TRANSPORTS_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalFlags,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Clone, Debug, Default)]
pub struct GlobalFlags {
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_go_duration, help = "give up on the command after DURATION")]
    pub command_timeout: Option<Duration>,
    #[arg(long, global = true, help = "print debugging information")]
    pub debug: bool,
    #[arg(long, global = true, help = "do not consult the trust policy")]
    pub insecure_policy: bool,
    #[arg(
        long,
        global = true,
        help = "require any pulled image to be signed, whatever the trust policy says"
    )]
    pub require_signed: bool,
    #[arg(
        long,
        global = true,
        value_name = "ARCH",
        help = "choose images for ARCH instead of this machine's architecture"
    )]
    pub override_arch: Option<String>,
    #[arg(
        long,
        global = true,
        value_name = "OS",
        help = "choose images for OS instead of this machine's OS"
    )]
    pub override_os: Option<String>,
    #[arg(
        long,
        global = true,
        value_name = "VARIANT",
        help = "choose images for VARIANT instead of this machine's architecture variant"
    )]
    pub override_variant: Option<String>,
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help = "path of the trust policy file"
    )]
    pub policy: Option<PathBuf>,
    #[arg(
        long = "registries.d",
        global = true,
        value_name = "DIR",
        help = "read registry configuration (e.g. signature storage) from DIR"
    )]
    pub registries_d: Option<PathBuf>,
    #[arg(
        long = "registries-conf",
        global = true,
        hide = true,
        value_name = "PATH"
    )]
    pub registries_conf: Option<PathBuf>,
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help = "directory for temporary files"
    )]
    pub tmpdir: Option<PathBuf>,
    #[arg(
        long,
        global = true,
        value_name = "PREFIX",
        help = "prefix to add to the User-Agent of registry requests"
    )]
    pub user_agent_prefix: Option<String>,
    /// Deprecated in skopeo: kept so old scripts still parse.
    #[arg(long = "tls-verify", hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub tls_verify: Option<bool>,
    #[arg(short = 'v', long = "version", help = "print the version")]
    pub version: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Copy an IMAGE-NAME from one location to another
    Copy(copy::CopyArgs),
    /// Delete image IMAGE-NAME
    Delete(delete::DeleteArgs),
    /// Generate a sigstore public/private key pair
    GenerateSigstoreKey(other::GenerateSigstoreKeyArgs),
    /// Inspect image IMAGE-NAME
    Inspect(inspect::InspectArgs),
    /// List the tags of the repository or archive SOURCE-IMAGE
    ListTags(list_tags::ListTagsArgs),
    /// Log in to a container registry
    Login(login::LoginArgs),
    /// Log out of a container registry
    Logout(logout::LogoutArgs),
    /// Compute the manifest digest of a file
    ManifestDigest(manifest_digest::ManifestDigestArgs),
    /// Create a signature using local files
    StandaloneSign(other::StandaloneSignArgs),
    /// Verify a signature using local files
    StandaloneVerify(other::StandaloneVerifyArgs),
    /// Synchronize one or more images from one location to another
    Sync(sync::SyncArgs),
    /// Dump contents of a signature WITHOUT VERIFYING IT
    #[command(hide = true)]
    UntrustedSignatureDumpWithoutVerification(other::UntrustedSignatureDumpArgs),
}

impl GlobalFlags {
    /// The settings every image of a command starts from.
    pub fn system_context(&self) -> SystemContext {
        SystemContext {
            platform: PlatformChoice {
                os: self.override_os.clone(),
                architecture: self.override_arch.clone(),
                variant: self.override_variant.clone(),
            },
            tmp_dir: self.tmpdir.clone(),
            registries_dir: self.registries_d.clone(),
            registries_conf: self.registries_conf.clone(),
            user_agent_prefix: self.user_agent_prefix.clone(),
            tls_verify: self.tls_verify,
            ..Default::default()
        }
    }

    /// The trust policy: none with --insecure-policy, else policy.json where skopeo finds it.
    pub fn policy(&self) -> Result<Policy> {
        if self.insecure_policy {
            return Ok(Policy::insecure_accept_anything());
        }
        let mut policy = Policy::load(self.policy.as_deref())
            .map_err(|e| anyhow::anyhow!("Error loading trust policy: {e:#}"))?;
        policy.require_signed = self.require_signed;
        Ok(policy)
    }
}

pub fn version_line() -> String {
    format!("skiff version {}", env!("CARGO_PKG_VERSION"))
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    if cli.global.version {
        use std::io::Write;
        writeln!(std::io::stdout(), "{}", version_line())?;
        return Ok(());
    }
    if cli.global.tls_verify.is_some() {
        crate::error::warn(
            "'--tls-verify' is deprecated, please set this on the specific subcommand",
        );
    }
    let g = &cli.global;
    if g.insecure_policy && g.require_signed {
        anyhow::bail!("--insecure-policy and --require-signed are mutually exclusive");
    }
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        Cli::command().print_help()?;
        return Ok(());
    };
    match command {
        Command::Copy(a) => a.run(g).await,
        Command::Inspect(a) => a.run(g).await,
        Command::ManifestDigest(a) => a.run(),
        Command::Delete(a) => a.run(g).await,
        Command::GenerateSigstoreKey(a) => a.run(),
        Command::ListTags(a) => a.run(g).await,
        Command::Login(a) => a.run(g).await,
        Command::Logout(a) => a.run(g).await,
        Command::StandaloneSign(a) => a.run(),
        Command::StandaloneVerify(a) => a.run(),
        Command::Sync(a) => a.run(g).await,
        Command::UntrustedSignatureDumpWithoutVerification(a) => a.run(),
    }
}

/// Parses an image argument, naming it the way skopeo's commands do in their errors.
pub fn parse_image(arg: &str, role: &str) -> Result<crate::reference::ImageName> {
    crate::reference::ImageName::parse(arg)
        .map_err(anyhow::Error::from)
        .and_then(crate::transport::complete_name)
        .map_err(|e| anyhow::anyhow!("Invalid {role} name {arg}: {e:#}"))
}

/// skopeo's complaint about a wrong number of positional arguments.
pub fn expect_args(args: &[String], n: usize) -> Result<()> {
    if args.len() == n {
        return Ok(());
    }
    let word = match n {
        1 => "one argument",
        2 => "two arguments",
        3 => "three arguments",
        _ => "four arguments",
    };
    Err(crate::error::UsageError(format!("Exactly {word} expected")).into())
}
