//! Registry credentials: the auth.json / Docker config files and credential helpers skopeo
//! reads and writes, with containers/image's rules.
//!
//! Reading ([`lookup`], [`get_login`]): `--creds`/`--no-creds` first; then each helper named
//! by registries.conf `credential-helpers` (default: only `containers-auth.json`, i.e. the
//! files). The files are `--authfile` (`$REGISTRY_AUTH_FILE`) alone when given, else
//! `${XDG_RUNTIME_DIR}/containers/auth.json` (or `/run/containers/UID/auth.json`),
//! `$XDG_CONFIG_HOME/containers/auth.json` (or `~/.config/…`), `$DOCKER_CONFIG/config.json` (or
//! `~/.docker/config.json`) and the legacy `~/.dockercfg`; the first file with an answer wins.
//! Within a file a `credHelpers` entry for the registry runs `docker-credential-NAME get`;
//! else the most specific `auths` key wins (`host/ns/repo`, `host/ns`, `host`), then keys in
//! URL form (`https://index.docker.io/v1/` for `docker.io`). A `credsStore` default is not
//! used: c/image (and so skopeo) ignores it.
//!
//! Writing ([`store`], [`remove`], [`remove_all`]) edits the `--authfile` or the runtime
//! auth.json only, writing c/image's format (other top-level fields are dropped, as skopeo
//! drops them), atomically with mode 0600, or goes to the file's `credHelpers` helper for that
//! registry or to a registries.conf helper.
//!
//! Errors are c/image's texts; lists of errors are formatted as its multierror library does
//! (`1 error occurred:\n\t* …\n\n`).

mod compat;
pub(crate) mod decode;
mod file;
pub(crate) mod helper;
mod key;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use anyhow::{Result, anyhow};

pub use key::{key_registry, normalize_key, validate_key};

use crate::config::registries::{AUTHENTICATION_FILE_HELPER, Env, Registries};
use crate::reference::DockerReference;
use crate::types::SystemContext;

/// A username/password pair, or an identity token from a credential helper.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// An OAuth2 refresh token (Docker's `identitytoken`), used instead of the password.
    pub identity_token: Option<String>,
}

impl Credentials {
    /// No username, password or token: "no credentials" in c/image's terms.
    pub fn is_empty(&self) -> bool {
        self.username.is_empty() && self.password.is_empty() && self.identity_token.is_none()
    }
}

/// Formats errors as hashicorp/go-multierror does.
fn multierror(errs: &[String]) -> String {
    if errs.len() == 1 {
        return format!("1 error occurred:\n\t* {}\n\n", errs[0]);
    }
    let points: Vec<String> = errs.iter().map(|e| format!("* {e}")).collect();
    format!(
        "{} errors occurred:\n\t{}\n\n",
        errs.len(),
        points.join("\n\t")
    )
}

/// The credentials to use for `registry` (host[:port]) and, when known, `repository`
/// (host/namespace/repo, for per-repository entries): the command-line flags first, then the
/// files and helpers in skopeo's order. `None` means anonymous.
pub fn lookup(
    ctx: &SystemContext,
    registry: &str,
    repository: Option<&str>,
) -> Result<Option<Credentials>> {
    lookup_with_env(ctx, &Env::from_process(), registry, repository)
}

/// [`lookup`] with an explicit environment.
pub fn lookup_with_env(
    ctx: &SystemContext,
    env: &Env,
    registry: &str,
    repository: Option<&str>,
) -> Result<Option<Credentials>> {
    let key = repository.unwrap_or(registry);
    let creds = get_credentials(ctx, env, key)?;
    Ok(Some(creds).filter(|c| !c.is_empty()))
}

/// The credentials for accessing `physical` (an endpoint's reference, possibly a mirror) on
/// behalf of the user's `logical` reference. As in c/image, `--creds` given for the logical
/// registry are not sent to a mirror on another registry: that mirror gets what the files
/// and helpers hold for it.
pub fn lookup_for_endpoint(
    ctx: &SystemContext,
    logical: &DockerReference,
    physical: &DockerReference,
) -> Result<Option<Credentials>> {
    let env = Env::from_process();
    let (domain, name) = (physical.domain(), physical.name());
    if logical.domain() != domain && ctx.credentials.is_some() {
        let ctx = SystemContext {
            credentials: None,
            ..ctx.clone()
        };
        return lookup_with_env(&ctx, &env, domain, Some(&name));
    }
    lookup_with_env(ctx, &env, domain, Some(&name))
}

/// registries.conf's `credential-helpers`: from the process-wide load when `env` is this
/// process's (asked once per image and side), else read afresh (tests use other envs).
fn credential_helpers(ctx: &SystemContext, env: &Env) -> Result<Vec<String>> {
    if *env == Env::from_process() {
        return Ok(Registries::load(ctx)?.credential_helpers());
    }
    Ok(Registries::load_with_env(ctx, env)?.credential_helpers())
}

/// c/image's `GetCredentials`: the credentials for `key` (registry, namespace or repository),
/// empty when there are none.
pub fn get_credentials(ctx: &SystemContext, env: &Env, key: &str) -> Result<Credentials> {
    validate_key(key)?;
    if ctx.no_creds {
        return Ok(Credentials::default());
    }
    if let Some((username, password)) = &ctx.credentials {
        tracing::debug!(target: "skiff::auth", "Using credentials given on the command line for {key}");
        return Ok(Credentials {
            username: username.clone(),
            password: password.clone(),
            identity_token: None,
        });
    }
    let registry = key_registry(key);
    let helpers = credential_helpers(ctx, env)?;
    let mut errs = Vec::new();
    for h in &helpers {
        let found = if h == AUTHENTICATION_FILE_HELPER {
            from_files(ctx, env, key, registry)
        } else {
            helper::get(h, registry, env)
                .map(file::from_helper)
                .map_err(|e| e.message())
        };
        match found {
            Ok(c) if !c.is_empty() => {
                if h != AUTHENTICATION_FILE_HELPER {
                    tracing::debug!(target: "skiff::auth", "Found credentials for {key} in credential helper {h}");
                }
                return Ok(c);
            }
            Ok(_) => {}
            Err(e) => errs.push(e),
        }
    }
    if !errs.is_empty() {
        return Err(anyhow!(multierror(&errs)));
    }
    tracing::debug!(target: "skiff::auth", "No credentials for {key} found");
    Ok(Credentials::default())
}

fn from_files(
    ctx: &SystemContext,
    env: &Env,
    key: &str,
    registry: &str,
) -> Result<Credentials, String> {
    for path in file::auth_file_paths(ctx, env) {
        let c = file::find_in_file(key, registry, &path, env)?;
        if !c.is_empty() {
            // Where they came from, never what they are.
            tracing::debug!(
                target: "skiff::auth",
                "Found credentials for {key} in file {}",
                path.path.display()
            );
            return Ok(c);
        }
    }
    Ok(Credentials::default())
}

/// The username saved for `key`, for `login --get-login`; `None` when not logged in (skopeo
/// then fails with `not logged into KEY`). Errors are c/image's (skopeo prefixes them with
/// `get credentials: `). `key` should come from [`normalize_key`].
pub fn get_login(ctx: &SystemContext, key: &str) -> Result<Option<String>> {
    get_login_with_env(ctx, &Env::from_process(), key)
}

/// [`get_login`] with an explicit environment.
pub fn get_login_with_env(ctx: &SystemContext, env: &Env, key: &str) -> Result<Option<String>> {
    let c = get_credentials(ctx, env, key)?;
    Ok(Some(c.username).filter(|u| !u.is_empty()))
}

/// Saves credentials for `key` (a registry, or registry/namespace/repo) where `login` writes.
pub fn store(ctx: &SystemContext, key: &str, creds: &Credentials) -> Result<()> {
    store_with_env(ctx, &Env::from_process(), key, creds).map(|_| ())
}

/// [`store`] with an explicit environment; returns where the credentials went, as `login -v`
/// prints it after `Used: ` (the auth file's path, or `credential helper: NAME` for a helper
/// from registries.conf).
pub fn store_with_env(
    ctx: &SystemContext,
    env: &Env,
    key: &str,
    creds: &Credentials,
) -> Result<String> {
    let namespaced = validate_key(key)?;
    let (key, helpers) = edit_targets(ctx, env, key, namespaced)?;
    let key = key.as_str();
    let namespaced = namespaced && ctx.docker_compat_auth_file.is_none();
    let namespace_err =
        |h: &str| format!("namespaced key is not supported for credential helper {h}");
    let mut errs = Vec::new();
    for h in &helpers {
        let result = if h == AUTHENTICATION_FILE_HELPER {
            file::modify(ctx, env, |contents| {
                if let Some(inner) = contents.cred_helpers.get(key) {
                    if namespaced {
                        return Err(namespace_err(inner));
                    }
                    helper::store(inner, key, &creds.username, &creds.password, env)
                        .map_err(|e| e.message())?;
                    return Ok(false);
                }
                let auth = format!("{}:{}", creds.username, creds.password);
                contents.auths.insert(
                    key.to_string(),
                    decode::AuthEntry {
                        auth: base64_std(auth.as_bytes()),
                        identity_token: String::new(),
                    },
                );
                Ok(true)
            })
            .map(|p| p.display().to_string())
        } else if namespaced {
            Err(namespace_err(h))
        } else {
            helper::store(h, key, &creds.username, &creds.password, env)
                .map(|_| format!("credential helper: {h}"))
                .map_err(|e| e.message())
        };
        match result {
            Ok(desc) => return Ok(desc),
            Err(e) => errs.push(e),
        }
    }
    Err(anyhow!(multierror(&errs)))
}

/// The key to edit and the places to edit it in. A Docker-compatible file is edited alone
/// (Docker knows nothing of registries.conf's helpers), under Docker's key.
fn edit_targets(
    ctx: &SystemContext,
    env: &Env,
    key: &str,
    namespaced: bool,
) -> Result<(String, Vec<String>)> {
    match ctx.docker_compat_auth_file {
        Some(_) => Ok((
            compat::docker_key(key, namespaced)?,
            vec![AUTHENTICATION_FILE_HELPER.to_string()],
        )),
        None => Ok((key.to_string(), credential_helpers(ctx, env)?)),
    }
}

fn base64_std(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// What removing a key found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    Removed,
    NotLoggedIn,
}

/// Removes the credentials saved for `key` (`logout`). The auth file is rewritten (created if
/// missing) even when it held nothing for `key`, as skopeo does.
pub fn remove(ctx: &SystemContext, key: &str) -> Result<Removed> {
    remove_with_env(ctx, &Env::from_process(), key)
}

/// [`remove`] with an explicit environment.
pub fn remove_with_env(ctx: &SystemContext, env: &Env, key: &str) -> Result<Removed> {
    let namespaced = validate_key(key)?;
    let (key, helpers) = edit_targets(ctx, env, key, namespaced)?;
    let key = key.as_str();
    let mut logged_in = false;
    let from_helper = |h: &str, logged_in: &mut bool| -> Result<(), String> {
        if namespaced {
            return Ok(());
        }
        match helper::erase(h, key, env) {
            Ok(()) => {
                *logged_in = true;
                Ok(())
            }
            Err(e) if e.message().trim() == helper::NOT_FOUND => Ok(()),
            Err(e) => Err(format!(
                "removing credentials for {key} from credential helper {h}: {}",
                e.message()
            )),
        }
    };
    let mut errs = Vec::new();
    for h in &helpers {
        let result = if h == AUTHENTICATION_FILE_HELPER {
            file::modify(ctx, env, |contents| {
                if let Some(inner) = contents.cred_helpers.get(key).cloned() {
                    from_helper(&inner, &mut logged_in)?;
                }
                if contents.auths.remove(key).is_some() {
                    logged_in = true;
                }
                Ok(true)
            })
            .map(|_| ())
        } else {
            from_helper(h, &mut logged_in)
        };
        if let Err(e) = result {
            errs.push(e);
        }
    }
    if !errs.is_empty() {
        return Err(anyhow!(multierror(&errs)));
    }
    Ok(if logged_in {
        Removed::Removed
    } else {
        Removed::NotLoggedIn
    })
}

/// Removes every saved credential (`logout --all`): the auth file's entries and its
/// `credHelpers` (erasing each from its helper first), and everything registries.conf
/// helpers list.
pub fn remove_all(ctx: &SystemContext) -> Result<()> {
    remove_all_with_env(ctx, &Env::from_process())
}

/// [`remove_all`] with an explicit environment.
pub fn remove_all_with_env(ctx: &SystemContext, env: &Env) -> Result<()> {
    let helpers = match ctx.docker_compat_auth_file {
        Some(_) => vec![AUTHENTICATION_FILE_HELPER.to_string()],
        None => credential_helpers(ctx, env)?,
    };
    let mut errs = Vec::new();
    for h in &helpers {
        let result = if h == AUTHENTICATION_FILE_HELPER {
            file::modify(ctx, env, |contents| {
                for (registry, inner) in &contents.cred_helpers {
                    helper::erase(inner, registry, env).map_err(|e| e.message())?;
                }
                contents.cred_helpers.clear();
                contents.auths.clear();
                Ok(true)
            })
            .map(|_| ())
        } else {
            match helper::list(h, env) {
                Err(helper::HelperError::Missing(_)) => Ok(()),
                Err(e) => Err(e.message()),
                Ok(all) => all
                    .keys()
                    .try_for_each(|registry| helper::erase(h, registry, env))
                    .map_err(|e| e.message()),
            }
        };
        if let Err(e) = result {
            errs.push(e);
        }
    }
    if !errs.is_empty() {
        return Err(anyhow!(multierror(&errs)));
    }
    Ok(())
}

/// Where `login` writes without `--authfile`: `${XDG_RUNTIME_DIR}/containers/auth.json`, or
/// `/run/containers/UID/auth.json` when `$XDG_RUNTIME_DIR` is unset.
pub fn default_auth_file() -> PathBuf {
    file::default_path(&Env::from_process()).0
}

/// The Docker config.json `login`/`logout` edit when no file is named (skopeo HEAD):
/// `$DOCKER_CONFIG/config.json` when `$DOCKER_CONFIG` is set. (skopeo 1.9.3 wrote auth.json's
/// format there; HEAD writes Docker's, which 1.9.3 also reads.)
pub fn docker_config_default() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(|d| PathBuf::from(d).join("config.json"))
}

/// `logout`'s check of an explicit `--authfile`: it must exist
/// (`checking authfile: stat F: no such file or directory`).
pub fn check_auth_file(path: &std::path::Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    std::fs::metadata(path).map(|_| ()).map_err(|e| {
        anyhow!(
            "checking authfile: {}",
            crate::config::registries::env::go_path_error("stat", path, &e)
        )
    })
}
