//! The docker-credential-helpers protocol: `docker-credential-NAME get|store|erase|list`, the
//! server URL or a JSON document on stdin, JSON on stdout, and a failure reported as the
//! program's exit status plus its stdout (`credentials not found in native keychain` meaning
//! "nothing stored").

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::config::registries::Env;
use crate::gojson::decode::{Kind, Raw, check_valid, type_error};
use crate::gotext::go_equal_fold;

/// What helpers print when they have nothing for a server.
pub(crate) const NOT_FOUND: &str = "credentials not found in native keychain";

/// A failed helper call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HelperError {
    /// The helper reported that it has no credentials for the server.
    NotFound,
    /// `docker-credential-NAME` is not on PATH.
    Missing(String),
    /// Any other failure, with the client library's message.
    Failed(String),
}

impl HelperError {
    pub(crate) fn message(&self) -> String {
        match self {
            HelperError::NotFound => NOT_FOUND.to_string(),
            HelperError::Missing(m) | HelperError::Failed(m) => m.clone(),
        }
    }
}

/// Finds an executable regular file named `name` on the PATH, as Go's `exec.LookPath` does.
pub(crate) fn look_path(name: &str, path: Option<&OsString>) -> Option<PathBuf> {
    let path = path.cloned().or_else(|| std::env::var_os("PATH"))?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Go's text for a failed process: `exit status 3`, `signal: killed`.
pub(crate) fn exit_text(status: std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(sig) => {
            // SAFETY: strsignal returns a pointer to a NUL-terminated string, copied at once.
            let name = unsafe { std::ffi::CStr::from_ptr(libc::strsignal(sig)) }
                .to_string_lossy()
                .into_owned();
            let mut chars = name.chars();
            let lower: String = match chars.next() {
                Some(f) => f.to_lowercase().chain(chars).collect(),
                None => name,
            };
            format!("signal: {lower}")
        }
        None => format!("{status}"),
    }
}

/// Runs `docker-credential-NAME ACTION` with `input` on stdin; the helper's stdout on
/// success, else the error text `error {verb} credentials - err: …, out: `…``.
fn run(
    helper: &str,
    action: &str,
    input: &[u8],
    verb: &str,
    env: &Env,
) -> Result<Vec<u8>, HelperError> {
    let program = format!("docker-credential-{helper}");
    let Some(path) = look_path(&program, env.helper_path.as_ref()) else {
        return Err(HelperError::Missing(format!(
            "error {verb} credentials - err: exec: \"{program}\": executable file not found in $PATH, out: ``"
        )));
    };
    let mut cmd = Command::new(&path);
    cmd.arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(p) = &env.helper_path {
        cmd.env("PATH", p);
    }
    let failed = |err: String| {
        HelperError::Failed(format!("error {verb} credentials - err: {err}, out: ``"))
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| failed(format!("fork/exec {}: {e}", path.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input is not an error in itself.
        let _ = stdin.write_all(input);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if text == NOT_FOUND && action == "get" {
        return Err(HelperError::NotFound);
    }
    Err(HelperError::Failed(format!(
        "error {verb} credentials - err: {}, out: `{text}`",
        exit_text(out.status)
    )))
}

fn decode_json(out: &[u8]) -> Result<Raw<'_>, HelperError> {
    if out.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(HelperError::Failed("EOF".into()));
    }
    check_valid(out).map_err(HelperError::Failed)?;
    Ok(Raw::top(out))
}

fn member(members: &[(String, Raw)], name: &str) -> Option<String> {
    members
        .iter()
        .rev()
        .find(|(k, _)| go_equal_fold(k, name))
        .and_then(|(_, v)| v.as_string().ok().flatten())
}

/// `get`: the (username, secret) stored for `server_url`; `Ok(None)` when the helper has none.
pub(crate) fn get(
    helper: &str,
    server_url: &str,
    env: &Env,
) -> Result<Option<(String, String)>, HelperError> {
    let out = match run(helper, "get", server_url.as_bytes(), "getting", env) {
        Ok(out) => out,
        Err(HelperError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let creds = decode_json(&out)?;
    match creds.kind() {
        Kind::Object => {
            let m = creds.members();
            Ok(Some((
                member(&m, "Username").unwrap_or_default(),
                member(&m, "Secret").unwrap_or_default(),
            )))
        }
        Kind::Null => Ok(Some((String::new(), String::new()))),
        k => Err(HelperError::Failed(type_error(
            k,
            "credentials.Credentials",
        ))),
    }
}

/// `store`: saves credentials for `server_url`.
pub(crate) fn store(
    helper: &str,
    server_url: &str,
    username: &str,
    secret: &str,
    env: &Env,
) -> Result<(), HelperError> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Creds<'a> {
        #[serde(rename = "ServerURL")]
        server_url: &'a str,
        username: &'a str,
        secret: &'a str,
    }
    let mut input = crate::gojson::to_vec_compact(&Creds {
        server_url,
        username,
        secret,
    });
    input.push(b'\n');
    run(helper, "store", &input, "storing", env).map(|_| ())
}

/// `erase`: forgets the credentials for `server_url`. A helper saying it had none is an
/// error here too, as in the Go client.
pub(crate) fn erase(helper: &str, server_url: &str, env: &Env) -> Result<(), HelperError> {
    run(helper, "erase", server_url.as_bytes(), "erasing", env).map(|_| ())
}

/// `list`: server URL → username for everything the helper stores.
pub(crate) fn list(helper: &str, env: &Env) -> Result<BTreeMap<String, String>, HelperError> {
    let out = run(helper, "list", b"unused", "listing", env)?;
    let urls = decode_json(&out)?;
    Ok(urls
        .members()
        .into_iter()
        .map(|(k, v)| (k, v.as_string().ok().flatten().unwrap_or_default()))
        .collect())
}
