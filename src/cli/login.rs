//! `skiff login REGISTRY`: checks credentials against the registry, then saves them where
//! skopeo does (auth.json), with skopeo's prompts and messages.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::GlobalFlags;
use super::flags::parse_go_bool;
use crate::auth::{self, Credentials};
use crate::config::registries::Env;
use crate::transport::docker;
use crate::transport::docker::errors::Unauthorized;
use crate::types::SystemContext;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  skiff login -u me --password-stdin registry.example.com < token.txt\n  skiff login --get-login registry.example.com"
)]
pub struct LoginArgs {
    #[arg(
        value_name = "REGISTRY",
        help = "the registry to log in to (host[:port])"
    )]
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
        help = "update this Docker-compatible config.json instead of the credentials file, in Docker's format"
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

/// Which file `login`/`logout` edit, as containers/common (skopeo HEAD) decides: `--authfile`
/// (or `$REGISTRY_AUTH_FILE`) in auth.json's format; `--compat-auth-file`, else
/// `$DOCKER_CONFIG/config.json`, in Docker's; else the default auth.json. Credentials are
/// then also read from the chosen file.
pub(super) fn choose_auth_file(
    ctx: &mut SystemContext,
    authfile: Option<PathBuf>,
    compat: Option<PathBuf>,
) -> Result<()> {
    let authfile = authfile.filter(|p| !p.as_os_str().is_empty());
    let compat = compat.filter(|p| !p.as_os_str().is_empty());
    let docker_default = Env::from_process().home.join(".docker/config.json");
    match (authfile, compat) {
        (Some(_), Some(_)) => bail!(
            "options for paths to the credential file and to the Docker-compatible credential file can not be set simultaneously"
        ),
        (Some(file), None) => {
            if file == docker_default {
                let from_env = std::env::var_os("REGISTRY_AUTH_FILE").is_some_and(|v| v == file);
                crate::error::warn(if from_env {
                    "$REGISTRY_AUTH_FILE points to ~/.docker/config.json, but the file format is not fully compatible; use the Docker-compatible file path option instead"
                } else {
                    "saving credentials to ~/.docker/config.json, but not using Docker-compatible file format"
                });
            }
            ctx.auth_file = Some(file);
        }
        (None, compat) => {
            let compat = compat.or_else(auth::docker_config_default);
            ctx.auth_file = compat.clone();
            ctx.docker_compat_auth_file = compat;
        }
    }
    Ok(())
}

/// `REGISTRY[/NAMESPACE[/REPO]]` (an `http(s)://` URL is reduced to its host): the key
/// credentials are saved under, and the registry to check them against.
pub(super) fn parse_credentials_key(arg: &str) -> Result<(String, String)> {
    let key = auth::normalize_key(arg)?;
    let registry = auth::key_registry(&key).to_string();
    Ok((key, registry))
}

/// The saved credentials for `key` (a registry or a repository within it), ignoring any
/// given on the command line.
pub(super) fn saved_credentials(ctx: &SystemContext, key: &str) -> Result<Credentials> {
    let files_only = SystemContext {
        credentials: None,
        no_creds: false,
        ..ctx.clone()
    };
    auth::get_credentials(&files_only, &Env::from_process(), key)
        .map_err(|e| anyhow!("get credentials: {e:#}"))
}

impl LoginArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        let mut ctx = g.system_context();
        if self.tls_verify.is_some() {
            ctx.tls_verify = self.tls_verify;
        }
        choose_auth_file(
            &mut ctx,
            self.authfile.clone(),
            self.compat_auth_file.clone(),
        )?;
        if self.cert_dir.is_some() {
            ctx.docker_cert_path = self.cert_dir.clone();
        }
        let (key, registry) = match self.registries.as_slice() {
            [] => bail!("please provide a registry to login to"),
            [one] => parse_credentials_key(one)?,
            _ => bail!("login accepts only one registry to login to"),
        };
        let saved = saved_credentials(&ctx, &key)?;
        let mut stdout = crate::stdio::stdout();
        if self.get_login {
            if saved.username.is_empty() {
                bail!("not logged into {key}");
            }
            writeln!(stdout, "{}", saved.username)?;
            return Ok(());
        }
        if saved
            .identity_token
            .as_deref()
            .is_some_and(|t| !t.is_empty())
        {
            bail!("currently logged in, auth file contains an Identity token");
        }
        let mut password = self.password.clone().unwrap_or_default();
        let username_flag = self.username.clone().unwrap_or_default();
        if self.password_stdin {
            if !password.is_empty() {
                bail!("Can't specify both --password-stdin and --password");
            }
            if username_flag.is_empty() {
                bail!("Must provide --username with --password-stdin");
            }
            let mut joined = String::new();
            for line in std::io::stdin().lock().lines() {
                joined.push_str(&line?);
            }
            password = joined;
        }
        if username_flag.is_empty()
            && password.is_empty()
            && !saved.username.is_empty()
            && !saved.password.is_empty()
        {
            writeln!(stdout, "Authenticating with existing credentials for {key}")?;
            if docker::check_auth(&ctx, &registry, saved.clone())
                .await
                .is_ok()
            {
                writeln!(
                    stdout,
                    "Existing credentials are valid. Already logged in to {registry}"
                )?;
                return Ok(());
            }
            writeln!(
                stdout,
                "Existing credentials are invalid, please enter valid username and password"
            )?;
        }
        let (username, password) = ask_user_and_password(username_flag, password, &saved.username)
            .map_err(|e| anyhow!("getting username and password: {e:#}"))?;
        let creds = Credentials {
            username,
            password,
            identity_token: None,
        };
        match docker::check_auth(&ctx, &registry, creds.clone()).await {
            Ok(()) => {
                let used = auth::store_with_env(&ctx, &Env::from_process(), &key, &creds)?;
                if self.verbose {
                    writeln!(stdout, "Used:  {used}")?;
                }
                writeln!(stdout, "Login Succeeded!")?;
                Ok(())
            }
            Err(e) if e.chain().any(|c| c.is::<Unauthorized>()) => {
                bail!("logging into {key:?}: invalid username/password")
            }
            Err(e) => bail!("authenticating creds for {key:?}: {e:#}"),
        }
    }
}

/// Prompts for what the flags did not give, as containers/common does.
fn ask_user_and_password(
    username: String,
    password: String,
    saved_user: &str,
) -> Result<(String, String)> {
    let mut stdout = crate::stdio::stdout();
    let mut username = username;
    if username.is_empty() {
        if saved_user.is_empty() {
            write!(stdout, "Username: ")?;
        } else {
            write!(stdout, "Username ({saved_user}): ")?;
        }
        stdout.flush()?;
        let mut line = String::new();
        let n = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| anyhow!("reading username: {e}"))?;
        if n == 0 || !line.ends_with('\n') {
            bail!("reading username: EOF");
        }
        username = if line.trim().is_empty() {
            saved_user.to_string()
        } else {
            line
        };
    }
    let mut password = password;
    if password.is_empty() {
        write!(stdout, "Password: ")?;
        stdout.flush()?;
        if !std::io::stdin().is_terminal() {
            bail!("reading password: inappropriate ioctl for device");
        }
        password = rpassword::read_password().map_err(|e| anyhow!("reading password: {e}"))?;
        writeln!(stdout)?;
    }
    Ok((username.trim().to_string(), password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_keys() {
        assert_eq!(
            parse_credentials_key("quay.io").unwrap(),
            ("quay.io".to_string(), "quay.io".to_string())
        );
        assert_eq!(
            parse_credentials_key("https://localhost:5000/v2/").unwrap(),
            ("localhost:5000".to_string(), "localhost:5000".to_string())
        );
        assert_eq!(
            parse_credentials_key("quay.io/ns/repo").unwrap(),
            ("quay.io/ns/repo".to_string(), "quay.io".to_string())
        );
        assert_eq!(
            parse_credentials_key("quay.io/ns/repo:tag")
                .unwrap_err()
                .to_string(),
            "reference \"quay.io/ns/repo:tag\" contains tag or digest"
        );
    }
}
