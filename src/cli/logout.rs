//! `skiff logout REGISTRY` / `skiff logout --all`

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::GlobalFlags;
use super::flags::parse_go_bool;
use super::login::{choose_auth_file, parse_credentials_key, saved_credentials};
use crate::auth::{self, Removed};
use crate::transport::docker;

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  skiff logout registry.example.com\n  skiff logout --all")]
pub struct LogoutArgs {
    #[arg(
        value_name = "REGISTRY",
        help = "the registry whose credentials to remove (host[:port])"
    )]
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
        help = "remove credentials from this Docker-compatible config.json instead of the credentials file"
    )]
    pub compat_auth_file: Option<PathBuf>,
    #[arg(long = "tls-verify", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, help = "require HTTPS and verify certificates when talking to the registry")]
    pub tls_verify: Option<bool>,
}

impl LogoutArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        let mut ctx = g.system_context();
        if self.tls_verify.is_some() {
            ctx.tls_verify = self.tls_verify;
        }
        // An explicit file must exist (checked before the two are compared, as skopeo does).
        for given in [&self.authfile, &self.compat_auth_file]
            .into_iter()
            .flatten()
        {
            auth::check_auth_file(given)?;
        }
        choose_auth_file(
            &mut ctx,
            self.authfile.clone(),
            self.compat_auth_file.clone(),
        )?;
        let mut stdout = crate::stdio::stdout();
        if self.all {
            if !self.registries.is_empty() {
                bail!("--all takes no arguments");
            }
            auth::remove_all(&ctx)?;
            writeln!(stdout, "Removed login credentials for all registries")?;
            return Ok(());
        }
        let (key, registry) = match self.registries.as_slice() {
            [] => bail!("please provide a registry to logout from"),
            [one] => parse_credentials_key(one)?,
            _ => bail!("logout accepts only one registry to logout from"),
        };
        match auth::remove(&ctx, &key) {
            Ok(Removed::Removed) => {
                writeln!(stdout, "Removed login credentials for {key}")?;
                Ok(())
            }
            Ok(Removed::NotLoggedIn) => {
                // Credentials that only another tool's file holds still work: say so.
                let saved = saved_credentials(&ctx, &key)?;
                if !saved.username.is_empty()
                    && !saved.password.is_empty()
                    && docker::check_auth(&ctx, &registry, saved).await.is_ok()
                {
                    writeln!(
                        stdout,
                        "Not logged into {key} with current tool. Existing credentials were established via docker login. Please use docker logout instead."
                    )?;
                    return Ok(());
                }
                Err(anyhow!("not logged into {key}"))
            }
            Err(e) => Err(anyhow!("logging out of {key:?}: {e:#}")),
        }
    }
}
