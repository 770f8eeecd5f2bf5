//! Registry credentials: the auth.json / Docker config files and credential helpers skopeo
//! reads and writes. (Interface in place; the full lookup arrives with the credentials work.)

use anyhow::Result;

use crate::types::SystemContext;

/// A username/password pair, or an identity token from a credential helper.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// An OAuth2 refresh token (Docker's `identitytoken`), used instead of the password.
    pub identity_token: Option<String>,
}

/// The credentials to use for `registry` (host[:port]) and, when known, `repository`
/// (host/namespace/repo, for per-repository entries): the command-line flags first, then the
/// files and helpers in skopeo's order. `None` means anonymous.
pub fn lookup(
    ctx: &SystemContext,
    _registry: &str,
    _repository: Option<&str>,
) -> Result<Option<Credentials>> {
    if ctx.no_creds {
        return Ok(None);
    }
    Ok(ctx
        .credentials
        .clone()
        .map(|(username, password)| Credentials {
            username,
            password,
            identity_token: None,
        }))
}

/// Saves credentials for `key` (a registry, or registry/namespace/repo) where `login` writes.
pub fn store(_ctx: &SystemContext, _key: &str, _creds: &Credentials) -> Result<()> {
    Err(crate::error::not_implemented("storing credentials"))
}

/// What removing a key found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    Removed,
    NotLoggedIn,
}

/// Removes the credentials saved for `key` (`logout`).
pub fn remove(_ctx: &SystemContext, _key: &str) -> Result<Removed> {
    Err(crate::error::not_implemented("removing credentials"))
}

/// Removes every saved credential (`logout --all`).
pub fn remove_all(_ctx: &SystemContext) -> Result<()> {
    Err(crate::error::not_implemented("removing credentials"))
}
