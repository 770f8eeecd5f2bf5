//! Flag groups shared by several commands, named as skopeo names them (with `src-`/`dest-`
//! prefixes where a command has two images), and their conversion into a SystemContext.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;

use crate::contract::retry::RetryOptions;
use crate::types::SystemContext;

/// Go's `strconv.ParseBool`, which pflag uses for `--flag=value`.
pub fn parse_go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

/// Go's `time.ParseDuration` (`1m30s`, `500ms`, `2h`), as pflag uses for duration flags.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let orig = s;
    let err = || format!("time: invalid duration {orig:?}");
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with('-') {
        return if s == "-0" {
            Ok(Duration::ZERO)
        } else {
            Err(err())
        };
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        if num.is_empty() || num == "." {
            return Err(err());
        }
        let value: f64 = num.parse().map_err(|_| err())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("time: missing unit in duration {orig:?}")),
            u => return Err(format!("time: unknown unit {u:?} in duration {orig:?}")),
        };
        total += value * scale;
        rest = tail;
    }
    Ok(Duration::from_secs_f64(total))
}

/// `--tls-verify` on `copy` and `sync`: deprecated in skopeo, kept for old scripts; the TLS
/// setting of both images unless `--src-`/`--dest-tls-verify` says otherwise.
#[derive(Args, Clone, Debug, Default)]
pub struct DeprecatedTlsVerify {
    #[arg(id = "deprecated-tls-verify", long = "tls-verify", hide = true, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub tls_verify: Option<bool>,
}

impl DeprecatedTlsVerify {
    /// skopeo's warning, given when the flag is used.
    pub fn warn_if_used(&self) {
        if self.tls_verify.is_some() {
            crate::error::warn(
                "'--tls-verify' is deprecated, instead use: --src-tls-verify, --dest-tls-verify",
            );
        }
    }

    /// Sets both images' default (before their own flags are applied).
    pub fn apply(&self, ctx: &mut SystemContext) {
        if self.tls_verify.is_some() {
            ctx.tls_verify = self.tls_verify;
        }
    }
}

/// Defines a flag group for registry/daemon access; `$p` is the flag-name prefix, `$alias`
/// the hidden old name of its `creds` flag (`--screds`, `--dcreds`), where skopeo has one.
macro_rules! image_flags {
    ($name:ident, $p:literal, $h:literal $(, $alias:literal)?) => {
        #[derive(Args, Clone, Debug, Default)]
        pub struct $name {
            #[arg(id = concat!($p, "creds"), long = concat!($p, "creds"), $(alias = $alias,)? value_name = "USERNAME[:PASSWORD]", help = concat!("Use USERNAME[:PASSWORD] to access the registry", $h))]
            pub creds: Option<String>,
            #[arg(id = concat!($p, "username"), long = concat!($p, "username"), value_name = "USERNAME", help = concat!("username to access the registry", $h))]
            pub username: Option<String>,
            #[arg(id = concat!($p, "password"), long = concat!($p, "password"), value_name = "PASSWORD", help = concat!("password to access the registry", $h))]
            pub password: Option<String>,
            #[arg(id = concat!($p, "registry-token"), long = concat!($p, "registry-token"), value_name = "TOKEN", help = concat!("a Bearer token to access the registry", $h))]
            pub registry_token: Option<String>,
            #[arg(id = concat!($p, "cert-dir"), long = concat!($p, "cert-dir"), value_name = "PATH", help = concat!("use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon", $h))]
            pub cert_dir: Option<PathBuf>,
            #[arg(id = concat!($p, "tls-verify"), long = concat!($p, "tls-verify"), value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool, help = concat!("require HTTPS and verify certificates when talking to the registry or daemon", $h))]
            pub tls_verify: Option<bool>,
            #[arg(id = concat!($p, "no-creds"), long = concat!($p, "no-creds"), help = concat!("access the registry anonymously", $h))]
            pub no_creds: bool,
            #[arg(id = concat!($p, "shared-blob-dir"), long = concat!($p, "shared-blob-dir"), value_name = "DIRECTORY", help = concat!("DIRECTORY shared by OCI layouts for their blobs", $h))]
            pub shared_blob_dir: Option<PathBuf>,
            #[arg(id = concat!($p, "daemon-host"), long = concat!($p, "daemon-host"), value_name = "HOST", help = concat!("use the docker daemon at HOST (docker-daemon: only)", $h))]
            pub daemon_host: Option<String>,
        }

        impl $name {
            pub fn image(&self) -> ImageFlagValues {
                ImageFlagValues {
                    prefix: $p,
                    authfile: None,
                    creds: self.creds.clone(),
                    username: self.username.clone(),
                    password: self.password.clone(),
                    registry_token: self.registry_token.clone(),
                    cert_dir: self.cert_dir.clone(),
                    tls_verify: self.tls_verify,
                    no_creds: self.no_creds,
                    shared_blob_dir: self.shared_blob_dir.clone(),
                    daemon_host: self.daemon_host.clone(),
                }
            }
        }
    };
}

image_flags!(ImageFlags, "", "");
image_flags!(SrcImageFlags, "src-", " (source)", "screds");
image_flags!(DestImageFlags, "dest-", " (destination)", "dcreds");

/// The values of one image's flag group, whichever prefix it had.
#[derive(Clone, Debug, Default)]
pub struct ImageFlagValues {
    pub prefix: &'static str,
    pub authfile: Option<PathBuf>,
    pub creds: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub registry_token: Option<String>,
    pub cert_dir: Option<PathBuf>,
    pub tls_verify: Option<bool>,
    pub no_creds: bool,
    pub shared_blob_dir: Option<PathBuf>,
    pub daemon_host: Option<String>,
}

/// `--src-authfile` / `--dest-authfile`: one image's credentials file, overriding `--authfile`.
#[derive(Args, Clone, Debug, Default)]
pub struct PrefixedAuthfiles {
    #[arg(
        long = "src-authfile",
        value_name = "PATH",
        help = "path of the registry credentials file (source)"
    )]
    pub src: Option<PathBuf>,
    #[arg(
        long = "dest-authfile",
        value_name = "PATH",
        help = "path of the registry credentials file (destination)"
    )]
    pub dest: Option<PathBuf>,
}

/// `--authfile` without a prefix: shared by both images of a copy; `$REGISTRY_AUTH_FILE` is its
/// default.
#[derive(Args, Clone, Debug, Default)]
pub struct SharedFlags {
    #[arg(
        long = "authfile",
        value_name = "PATH",
        env = "REGISTRY_AUTH_FILE",
        hide_env = true,
        help = "path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)"
    )]
    pub authfile: Option<PathBuf>,
}

/// Flags only a destination has.
#[derive(Args, Clone, Debug, Default)]
pub struct DestOnlyFlags {
    #[arg(
        long = "dest-compress",
        help = "compress layers when writing to a 'dir' destination (default: as the source)"
    )]
    pub compress: bool,
    #[arg(
        long = "dest-decompress",
        help = "decompress layers when writing to a 'dir' destination (default: as the source)"
    )]
    pub decompress: bool,
    #[arg(
        long = "dest-oci-accept-uncompressed-layers",
        help = "keep uncompressed layers uncompressed in an 'oci' destination (default: compress them)"
    )]
    pub oci_accept_uncompressed_layers: bool,
    #[arg(
        long = "dest-compress-format",
        value_name = "FORMAT",
        help = "compression FORMAT for layers (gzip, zstd, zstd:chunked)"
    )]
    pub compress_format: Option<String>,
    #[arg(
        long = "dest-compress-level",
        value_name = "LEVEL",
        help = "compression LEVEL"
    )]
    pub compress_level: Option<i32>,
    #[arg(
        long = "dest-precompute-digests",
        help = "compute layer digests before uploading, to skip layers the registry has ('docker' only)"
    )]
    pub precompute_digests: bool,
    #[arg(
        long = "dest-force-compress-format",
        help = "use only the --dest-compress-format algorithm, recompressing layers as needed"
    )]
    pub force_compress_format: bool,
}

#[derive(Args, Clone, Debug, Default)]
pub struct RetryFlags {
    #[arg(
        long = "retry-times",
        value_name = "N",
        default_value_t = 0,
        help = "how many times to retry a failed operation"
    )]
    pub retry_times: u32,
    #[arg(long = "retry-delay", value_name = "DURATION", value_parser = parse_go_duration, help = "fixed delay between retries (default: exponential backoff)")]
    pub retry_delay: Option<Duration>,
}

impl RetryFlags {
    pub fn options(&self) -> RetryOptions {
        RetryOptions {
            max_retry: self.retry_times,
            delay: self.retry_delay.filter(|d| !d.is_zero()),
        }
    }
}

impl ImageFlagValues {
    /// Merges this group into a SystemContext, with skopeo's checks of conflicting flags.
    pub fn apply(&self, shared_authfile: Option<&PathBuf>, ctx: &mut SystemContext) -> Result<()> {
        ctx.auth_file = self.authfile.clone().or_else(|| shared_authfile.cloned());
        ctx.docker_cert_path = self.cert_dir.clone();
        // The global (and the deprecated per-command) `--tls-verify` is the fallback.
        ctx.tls_verify = self.tls_verify.or(ctx.tls_verify);
        ctx.oci_shared_blob_dir = self.shared_blob_dir.clone();
        ctx.docker_daemon_host = self.daemon_host.clone();
        ctx.no_creds = self.no_creds;
        ctx.registry_token = self.registry_token.clone();
        if self.creds.is_some() && self.no_creds {
            bail!("creds and no-creds cannot be specified at the same time");
        }
        if self.username.is_some() && self.no_creds {
            bail!("username and no-creds cannot be specified at the same time");
        }
        if self.creds.is_some() && self.username.is_some() {
            bail!("creds and username cannot be specified at the same time");
        }
        match (&self.username, &self.password) {
            (Some(_), None) => bail!("password must be specified when username is specified"),
            (None, Some(_)) => bail!("username must be specified when password is specified"),
            _ => {}
        }
        ctx.credentials = match (&self.creds, &self.username, &self.password) {
            (Some(c), _, _) => Some(parse_creds(c)?),
            (None, Some(u), Some(pw)) => Some((u.clone(), pw.clone())),
            _ => None,
        };
        Ok(())
    }
}

/// `USERNAME[:PASSWORD]`; a missing password would be asked for interactively by skopeo.
pub fn parse_creds(s: &str) -> Result<(String, String)> {
    if s.is_empty() {
        bail!("credentials can't be empty");
    }
    let (user, pass) = s.split_once(':').unwrap_or((s, ""));
    if user.is_empty() {
        bail!("username can't be empty");
    }
    Ok((user.to_string(), pass.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_go_duration("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(
            parse_go_duration("1x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"1x\""
        );
        assert_eq!(
            parse_go_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("-1s").is_err());
    }

    #[test]
    fn go_bools() {
        assert_eq!(parse_go_bool("True"), Ok(true));
        assert_eq!(parse_go_bool("0"), Ok(false));
        assert!(parse_go_bool("yes").is_err());
    }

    #[test]
    fn creds_conflicts_are_refused() {
        let mut ctx = SystemContext::default();
        let flags = ImageFlagValues {
            prefix: "src-",
            creds: Some("a:b".into()),
            username: Some("a".into()),
            ..Default::default()
        };
        let err = flags.apply(None, &mut ctx).unwrap_err().to_string();
        assert_eq!(
            err,
            "creds and username cannot be specified at the same time"
        );
        let ok = ImageFlagValues {
            creds: Some("u:p:q".into()),
            ..Default::default()
        };
        ok.apply(None, &mut ctx).unwrap();
        assert_eq!(ctx.credentials, Some(("u".into(), "p:q".into())));
    }
}

#[cfg(test)]
mod cli_shape {
    #[test]
    fn command_tree_is_consistent() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }
}
