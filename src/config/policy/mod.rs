//! The trust policy (`policy.json`, see containers-policy.json(5)): where skopeo finds it, how
//! strictly it is parsed, and how it decides whether a source image may be used.
//!
//! Behaviour and error texts follow c/image as built into skopeo 1.9.3 (c/image 5.23, Go
//! 1.19), which is the reference implementation skiff is checked against; the CLI wraps load
//! errors as `Error loading trust policy: …` and rejections as `Source image rejected: …`.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::gotext;
use crate::reference::path::go_join;

mod eval;
pub(crate) mod json;
mod naming;
mod parse;
mod sigstore_trust;
#[cfg(test)]
mod tests;

pub use eval::PolicyImage;
pub use naming::{
    docker_identity, docker_namespaces, oci_identity_and_namespaces, path_namespaces,
};

/// Errors of this module. `Display` gives exactly the text skopeo prints after its prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// An OS-level failure, in Go's wording (`open /x: no such file or directory`).
    #[error("{0}")]
    Io(String),
    /// No `--policy`, no `$CONTAINERS_POLICY_JSON`, and neither default file exists.
    #[error(
        "no policy.json file found at any of the following: {}, {}",
        gotext::go_quote_path(user),
        gotext::go_quote_path(system)
    )]
    NotFound { user: PathBuf, system: PathBuf },
    /// The policy file was read but its contents are not a valid policy.
    #[error("invalid policy in {}: {message}", gotext::go_quote_path(path))]
    InvalidFile { path: PathBuf, message: String },
    /// Policy bytes are not a valid policy (what `from_bytes` reports; c/image's
    /// `InvalidPolicyFormatError`).
    #[error("{0}")]
    InvalidFormat(String),
    /// The policy rejects the image (c/image's `PolicyRequirementError`).
    #[error("{0}")]
    Rejected(String),
    /// The policy requires something skiff cannot evaluate yet (signature verification).
    #[error("{0}")]
    Unsupported(String),
}

pub type Result<T> = std::result::Result<T, PolicyError>;

/// The context a copy puts on the policy's verdict against its source image (skopeo's
/// prefix); `--report` classes a failure carrying it as a policy failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Source image rejected")]
pub struct SourceImageRejected;

/// `keyType` of a `signedBy` requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    GpgKeys,
    SignedByGpgKeys,
    X509Certificates,
    SignedByX509Cas,
}

impl KeyType {
    /// The value as spelled in `policy.json`.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::GpgKeys => "GPGKeys",
            KeyType::SignedByGpgKeys => "signedByGPGKeys",
            KeyType::X509Certificates => "X509Certificates",
            KeyType::SignedByX509Cas => "signedByX509CAs",
        }
    }

    pub fn from_name(s: &str) -> Option<KeyType> {
        [
            KeyType::GpgKeys,
            KeyType::SignedByGpgKeys,
            KeyType::X509Certificates,
            KeyType::SignedByX509Cas,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// Where a `signedBy` requirement gets its keys (exactly one source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedByKeys {
    Path(String),
    Paths(Vec<String>),
    Data(Vec<u8>),
}

/// Where a `sigstoreSigned` requirement gets its public keys (`keyPaths` and `keyDatas` are
/// skopeo HEAD's: any one of the keys may have signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigstoreKey {
    Path(String),
    Paths(Vec<String>),
    Data(Vec<u8>),
    Datas(Vec<Vec<u8>>),
    /// A Fulcio-issued certificate in the signature, chained to this CA (skopeo HEAD).
    Fulcio(Box<FulcioTrust>),
    /// A certificate in the signature, chained to these CA roots (skopeo HEAD's `pki`).
    Pki(Box<PkiTrust>),
}

/// `pki`: the CA roots (`caRootsPath` or `caRootsData`), optional trusted intermediates
/// (`caIntermediatesPath` or `caIntermediatesData`) and what the certificate must name (an
/// e-mail address, a host name, or both; empty when not required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiTrust {
    pub roots: SigstoreKey,
    pub intermediates: Option<SigstoreKey>,
    pub subject_email: String,
    pub subject_hostname: String,
}

/// `fulcio`: the CA (`caPath` or `caData`) and what the certificate must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulcioTrust {
    pub ca: SigstoreKey,
    pub oidc_issuer: String,
    pub subject_email: String,
}

/// `signedIdentity` / `baseLayerIdentity`: how the identity in a signature must relate to the
/// image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyReferenceMatch {
    MatchExact,
    MatchRepoDigestOrExact,
    MatchRepository,
    ExactReference {
        docker_reference: String,
    },
    ExactRepository {
        docker_repository: String,
    },
    RemapIdentity {
        prefix: String,
        signed_prefix: String,
    },
}

/// One requirement of a policy scope; all requirements of the selected scope must accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyRequirement {
    InsecureAcceptAnything,
    Reject,
    SignedBy {
        key_type: KeyType,
        keys: SignedByKeys,
        signed_identity: PolicyReferenceMatch,
    },
    SignedBaseLayer {
        base_layer_identity: PolicyReferenceMatch,
    },
    SigstoreSigned {
        key: SigstoreKey,
        /// Rekor public keys (`rekorPublicKeyPath(s)`/`Data(s)`): the signature must carry a
        /// Rekor SET signed by one of them.
        rekor: Option<SigstoreKey>,
        signed_identity: PolicyReferenceMatch,
    },
}

/// A parsed trust policy: default requirements plus per-transport scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    default: Vec<PolicyRequirement>,
    transports: BTreeMap<String, BTreeMap<String, Vec<PolicyRequirement>>>,
    /// `--require-signed`: an image is refused unless a requirement verified its signatures.
    pub require_signed: bool,
}

/// What the policy needs to know about an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySubject {
    /// Transport name: "docker", "dir", "oci", "oci-archive", "docker-archive",
    /// "docker-daemon", "containers-storage", …
    pub transport: String,
    /// c/image's `PolicyConfigurationIdentity()` of the reference.
    pub identity: String,
    /// c/image's `PolicyConfigurationNamespaces()`, most specific first.
    pub namespaces: Vec<String>,
    /// The image name for messages, e.g. `oci:/tmp/x:latest`.
    pub display: String,
}

/// Where skopeo looks for the system-wide policy.
const SYSTEM_POLICY_PATH: &str = "/etc/containers/policy.json";
/// The per-user policy, relative to the home directory.
const USER_POLICY_FILE: &str = ".config/containers/policy.json";
/// Names a policy file to use instead of the user/system defaults. This is not in skopeo 1.9.3
/// but in newer c/image releases, and the skiff issue asks for it: it applies when `--policy`
/// is not given, and a file it names must exist.
const POLICY_ENV: &str = "CONTAINERS_POLICY_JSON";

impl Policy {
    /// The policy `--insecure-policy` uses: accept anything.
    pub fn insecure_accept_anything() -> Policy {
        Policy {
            default: vec![PolicyRequirement::InsecureAcceptAnything],
            transports: BTreeMap::new(),
            require_signed: false,
        }
    }

    /// Loads the policy skopeo would use: `explicit` (`--policy`; an empty path counts as not
    /// given, as in skopeo), else `$CONTAINERS_POLICY_JSON` if set and non-empty, else
    /// `$HOME/.config/containers/policy.json` if it exists, else `/etc/containers/policy.json`
    /// if it exists; otherwise a "no policy.json file found" error.
    pub fn load(explicit: Option<&Path>) -> Result<Policy> {
        let env = std::env::var_os(POLICY_ENV);
        let home = home_dir();
        load_from(
            explicit,
            env.as_deref(),
            home.as_deref(),
            Path::new(SYSTEM_POLICY_PATH),
        )
    }

    /// Reads and parses one policy file (c/image's `NewPolicyFromFile`).
    pub fn from_file(path: &Path) -> Result<Policy> {
        tracing::debug!(target: "skiff::config", "Reading signature policy {}", path.display());
        let bytes = read_file(path)?;
        Policy::from_bytes(&bytes).map_err(|e| PolicyError::InvalidFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Parses policy contents with c/image's strict rules: syntax errors, unknown or duplicate
    /// keys, a missing `default`, empty requirement lists, unknown requirement types, scopes a
    /// transport does not accept and malformed requirement parameters are all refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy> {
        parse::parse_policy(bytes).map_err(PolicyError::InvalidFormat)
    }

    /// The `default` requirements.
    pub fn default_requirements(&self) -> &[PolicyRequirement] {
        &self.default
    }

    /// The scopes configured for `transport`, if the policy has a section for it.
    pub fn transport_scopes(
        &self,
        transport: &str,
    ) -> Option<&BTreeMap<String, Vec<PolicyRequirement>>> {
        self.transports.get(transport)
    }

    /// The requirements that apply to `subject`: in the transport's section, the scope named by
    /// the identity, else the first namespace that has a scope, else the transport's "" scope;
    /// without any of these, the default requirements.
    pub fn requirements_for(&self, subject: &PolicySubject) -> &[PolicyRequirement] {
        if let Some(scopes) = self.transports.get(&subject.transport) {
            let found = std::iter::once(&subject.identity)
                .chain(subject.namespaces.iter())
                .find_map(|scope| scopes.get(scope))
                .or_else(|| scopes.get(""));
            if let Some(reqs) = found {
                return reqs;
            }
        }
        &self.default
    }

    /// The policy decision for shortcuts that have read nothing of the image (skipping an
    /// image already at the destination, copying layers before the manifest): `Ok` only when
    /// no requirement needs signatures. The full decision is [`Policy::evaluate`].
    pub fn check_source(&self, subject: &PolicySubject) -> Result<()> {
        let reqs = self.requirements_for(subject);
        if reqs.is_empty() {
            return Err(PolicyError::Rejected(
                "List of verification policy requirements must not be empty".to_string(),
            ));
        }
        if self.require_signed {
            return Err(PolicyError::Unsupported(
                "signatures are required (--require-signed)".to_string(),
            ));
        }
        for req in reqs {
            match req {
                PolicyRequirement::InsecureAcceptAnything => {}
                PolicyRequirement::Reject => {
                    return Err(PolicyError::Rejected(format!(
                        "Running image {} is rejected by policy.",
                        subject.display
                    )));
                }
                PolicyRequirement::SignedBaseLayer { .. } => {
                    return Err(PolicyError::Rejected(
                        "signedBaseLayer not implemented yet!".to_string(),
                    ));
                }
                PolicyRequirement::SignedBy { .. } | PolicyRequirement::SigstoreSigned { .. } => {
                    return Err(PolicyError::Unsupported(
                        "the policy requires signatures, which are read with the image".to_string(),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `load` with its environment made explicit, for tests.
fn load_from(
    explicit: Option<&Path>,
    env: Option<&OsStr>,
    home: Option<&Path>,
    system: &Path,
) -> Result<Policy> {
    if let Some(path) = explicit.filter(|p| !p.as_os_str().is_empty()) {
        return Policy::from_file(path);
    }
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        return Policy::from_file(Path::new(path));
    }
    // Go's filepath.Join: cleaned, and relative if the home directory is unknown.
    let home = home.map_or(&[][..], |h| h.as_os_str().as_bytes());
    let user = PathBuf::from(OsStr::from_bytes(&go_join(
        home,
        USER_POLICY_FILE.as_bytes(),
    )));
    if user.exists() {
        return Policy::from_file(&user);
    }
    if system.exists() {
        return Policy::from_file(system);
    }
    Err(PolicyError::NotFound {
        user,
        system: system.to_path_buf(),
    })
}

/// Go's `os.ReadFile` with its error texts (`open …` / `read …`).
fn read_file(path: &Path) -> Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| PolicyError::Io(gotext::go_path_error("open", path, &e).into()))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)
        .map_err(|e| PolicyError::Io(gotext::go_path_error("read", path, &e).into()))?;
    Ok(buf)
}

/// The home directory as c/storage determines it: `$HOME`, else the passwd entry of the
/// (rootless) user.
fn home_dir() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(h));
    }
    let uid = match std::env::var("_CONTAINERS_ROOTLESS_UID") {
        Ok(v) if !v.is_empty() => v.parse::<libc::uid_t>().unwrap_or(0),
        // SAFETY: geteuid has no preconditions and cannot fail.
        _ => unsafe { libc::geteuid() },
    };
    passwd_home(uid)
}

fn passwd_home(uid: libc::uid_t) -> Option<PathBuf> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: `pwd` is plain old data; getpwuid_r only writes into `pwd` and `buf` (whose
    // length we pass), and on success `result` points at `pwd`, whose `pw_dir` points into
    // `buf`, which outlives the CStr we build from it.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc != 0 || result.is_null() || pwd.pw_dir.is_null() {
            return None;
        }
        let dir = std::ffi::CStr::from_ptr(pwd.pw_dir);
        Some(PathBuf::from(OsString::from(OsStr::from_bytes(
            dir.to_bytes(),
        ))))
    }
}
