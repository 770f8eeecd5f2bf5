//! The command line: skopeo's command tree and flags. The only place that knows clap and the
//! terminal; each command turns its flags into library options and calls the library.

pub mod completion;
mod copy;
mod debug_log;
mod delete;
mod flags;
mod inspect;
mod layers;
mod list_repos;
mod list_tags;
mod login;
mod logout;
mod manifest_digest;
mod other;
pub mod parse;
pub mod progress;
mod proxy;
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

const TRANSPORTS_HELP: &str = "IMAGE-NAME is \"transport:details\"; transports: containers-storage, dir, docker, docker-archive, docker-daemon, oci, oci-archive, sif, tarball";

/// The text after a command's flags: the image name format, then examples.
fn after_help(examples: &[&str]) -> String {
    let mut text = format!("{TRANSPORTS_HELP}\n\nExamples:");
    for e in examples {
        text.push_str("\n  ");
        text.push_str(e);
    }
    text
}

#[derive(Parser, Debug)]
#[command(
    name = "skiff",
    about = "Work with container images and image registries (a drop-in replacement for skopeo)",
    disable_version_flag = true,
    // As pflag: a flag given twice takes the last value (`--src-creds` then `--screds`).
    args_override_self = true,
    // A command is required (its absence is skopeo's error), though the tree parses without.
    override_usage = "skiff [OPTIONS] <COMMAND>",
    after_help = TRANSPORTS_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalFlags,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Listed after each command's own flags, under their own heading.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Global Options")]
pub struct GlobalFlags {
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_go_duration, help = "give up on the command after DURATION")]
    pub command_timeout: Option<Duration>,
    #[arg(long, global = true, help = "print debugging information")]
    pub debug: bool,
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_go_duration, help = "fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)")]
    pub idle_timeout: Option<Duration>,
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
        value_name = "PATH",
        help = "path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)"
    )]
    pub tls_details: Option<PathBuf>,
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
    /// Generate the shell completion script for bash, fish, powershell or zsh
    Completion(completion::CompletionArgs),
    /// Copy an IMAGE-NAME from one location to another
    Copy(copy::CopyArgs),
    /// Delete image IMAGE-NAME
    Delete(delete::DeleteArgs),
    /// Interactive proxy for fetching container images (EXPERIMENTAL)
    #[command(hide = true)]
    ExperimentalImageProxy(proxy::ProxyArgs),
    /// Generate a sigstore public/private key pair
    GenerateSigstoreKey(other::GenerateSigstoreKeyArgs),
    /// Inspect image IMAGE-NAME
    Inspect(inspect::InspectArgs),
    /// Get layers of IMAGE-NAME (deprecated in skopeo in favor of copy)
    #[command(hide = true)]
    Layers(layers::LayersArgs),
    /// List the repositories of a registry (not in skopeo)
    ListRepos(list_repos::ListReposArgs),
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

impl Cli {
    /// The image names of the commands skopeo re-runs in a user namespace when one of them
    /// is a `containers-storage:` name (copy, inspect, delete, layers).
    pub fn images_opened(&self) -> &[String] {
        match &self.command {
            Some(Command::Copy(a)) => &a.images,
            Some(Command::Inspect(a)) => &a.images,
            Some(Command::Delete(a)) => &a.images,
            Some(Command::Layers(a)) => &a.args[..a.args.len().min(1)],
            _ => &[],
        }
    }
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
        writeln!(crate::stdio::stdout(), "{}", version_line())?;
        return Ok(());
    }
    if cli.global.tls_verify.is_some() {
        crate::error::warn(
            "'--tls-verify' is deprecated, please set this on the specific subcommand",
        );
    }
    let g = &cli.global;
    crate::error::set_debug(g.debug);
    if g.debug {
        debug_log::install();
    }
    if let Some(idle) = g.idle_timeout {
        crate::transport::docker::client::set_idle_timeout(idle);
    }
    if let Some(path) = g.tls_details.as_ref().filter(|p| !p.as_os_str().is_empty()) {
        crate::transport::docker::tls::set_details(crate::config::tls_details::TlsDetails::load(
            path,
        )?);
    }
    if g.insecure_policy && g.require_signed {
        anyhow::bail!("--insecure-policy and --require-signed are mutually exclusive");
    }
    let Some(command) = cli.command else {
        // skopeo's words and status.
        anyhow::bail!("Missing command 'skiff COMMAND'\nTry 'skiff --help' for more information");
    };
    match command {
        Command::Completion(a) => a.run(),
        Command::Copy(a) => a.run(g).await,
        Command::Inspect(a) => a.run(g).await,
        Command::Layers(a) => a.run(g).await,
        Command::ManifestDigest(a) => a.run(),
        Command::Delete(a) => a.run(g).await,
        Command::ExperimentalImageProxy(a) => a.run(g).await,
        Command::GenerateSigstoreKey(a) => a.run(),
        Command::ListRepos(a) => a.run(g).await,
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
