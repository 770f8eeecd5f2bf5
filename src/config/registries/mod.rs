//! registries.conf (v2, with drop-ins; v1 converted): which endpoint serves a repository,
//! mirrors, insecure and blocked registries, unqualified-search registries, short-name
//! aliases and credential helpers — read where and as containers/image reads them.
//!
//! Where the files are:
//! - `ctx.registries_conf` (`--registries-conf`), else `$CONTAINERS_REGISTRIES_CONF` (or the
//!   older `$REGISTRIES_CONFIG_PATH`): that file, which must exist, plus both drop-in
//!   directories below;
//! - else `~/.config/containers/registries.conf` if it exists, plus only the user drop-in
//!   directory `~/.config/containers/registries.conf.d`;
//! - else `/etc/containers/registries.conf` (missing is fine: defaults), plus
//!   `/etc/containers/registries.conf.d` and then `~/.config/containers/registries.conf.d`.
//!
//! Drop-ins (`*.conf`, not recursive, in name order, system directory first) must use the v2
//! format. Each replaces `[[registry]]` entries with the same prefix, replaces
//! `unqualified-search-registries` / `credential-helpers` / `short-name-mode` when it sets them
//! (an empty list counts as set), and adds or replaces aliases.

mod decode;
pub mod env;
pub mod shortnames;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Result, anyhow};

pub use env::Env;
pub use shortnames::Alias;

use crate::reference::DockerReference;
use crate::reference::goutil::go_quote;
use crate::types::SystemContext;
use decode::{RawEndpoint, RawFile};
use env::{go_path_error, quote_path};

/// The credential helper name that stands for the auth.json files themselves.
pub const AUTHENTICATION_FILE_HELPER: &str = "containers-auth.json";

/// Where to reach one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// host[:port], possibly followed by a path prefix for mirrors (`mirror.example.com/cache`).
    pub location: String,
    /// Plain HTTP / unverified TLS allowed for this endpoint (registries.conf `insecure`).
    pub insecure: bool,
    /// The reference as it is named at this endpoint (rewritten for mirrors and prefixes).
    pub reference: DockerReference,
    pub mirror: bool,
}

/// A `location` of a registry or of one of its mirrors, as configured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfiguredEndpoint {
    /// May be empty only for a registry whose prefix is a `*.example.com` wildcard.
    pub location: String,
    pub insecure: bool,
    /// `pull-from-mirror` of a mirror: `""`/`all`, `digest-only` or `tag-only`.
    pub pull_from_mirror: String,
}

/// One `[[registry]]` entry after validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    /// The names this entry applies to; defaults to the location.
    pub prefix: String,
    pub endpoint: ConfiguredEndpoint,
    pub mirrors: Vec<ConfiguredEndpoint>,
    pub blocked: bool,
    pub mirror_by_digest_only: bool,
}

/// `short-name-mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShortNameMode {
    Disabled,
    Enforcing,
    #[default]
    Permissive,
}

/// The merged configuration of registries.conf and its drop-ins.
#[derive(Clone, Debug, Default)]
pub struct Registries {
    /// Unique prefixes, sorted.
    registries: Vec<Registry>,
    unqualified_search_registries: Vec<String>,
    unqualified_search_origin: Option<PathBuf>,
    credential_helpers: Vec<String>,
    short_name_mode: ShortNameMode,
    aliases: BTreeMap<String, Alias>,
    /// c/image's `ConfigPath` and `ConfigDirPath`, named in the "blocked" error.
    config_path: PathBuf,
    config_dir_path: PathBuf,
}

/// The files one load reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    pub config_path: PathBuf,
    /// Chosen explicitly (flag or environment): then it must exist.
    pub explicit: bool,
    /// Drop-in directories in the order they are read.
    pub dropin_dirs: Vec<PathBuf>,
}

impl Sources {
    /// Where c/image looks, for `ctx` in `env`.
    pub fn find(ctx: &SystemContext, env: &Env) -> Sources {
        let user_file = env.home.join(".config/containers/registries.conf");
        let user_dir = env.home.join(".config/containers/registries.conf.d");
        let system_dir = env.etc.join("containers/registries.conf.d");
        let explicit = ctx
            .registries_conf
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| env.registries_conf.clone());
        if let Some(path) = explicit {
            return Sources {
                config_path: path,
                explicit: true,
                dropin_dirs: vec![system_dir, user_dir],
            };
        }
        if std::fs::metadata(&user_file).is_ok() {
            return Sources {
                config_path: user_file,
                explicit: false,
                dropin_dirs: vec![user_dir],
            };
        }
        Sources {
            config_path: env.etc.join("containers/registries.conf"),
            explicit: false,
            dropin_dirs: vec![system_dir, user_dir],
        }
    }
}

/// What one file contributes, validated.
struct Parsed {
    registries: Vec<Registry>,
    unqualified_search_registries: Option<Vec<String>>,
    credential_helpers: Option<Vec<String>>,
    short_name_mode: Option<ShortNameMode>,
    aliases: BTreeMap<String, Alias>,
}

impl Registries {
    /// Reads registries.conf where c/image finds it (`--registries-conf`,
    /// `$CONTAINERS_REGISTRIES_CONF`, user config, /etc/containers, plus drop-in directories).
    ///
    /// A missing default file gives the defaults; a missing explicitly chosen file, a malformed
    /// file or an invalid setting is an error naming the file, e.g. `loading registries
    /// configuration "/etc/containers/registries.conf": toml: line 3 …`. (The docker transport
    /// adds its own `loading registries configuration: ` in front, as c/image does.)
    ///
    /// Loaded once per set of files for the whole process: a command reads them many times
    /// (twice per image in a sync), and parsing the short-name aliases every time was most of a
    /// re-sync's CPU. They do not change under a running command.
    pub fn load(ctx: &SystemContext) -> Result<Arc<Registries>> {
        type Loaded = Mutex<Vec<(Sources, Arc<Registries>)>>;
        static LOADED: OnceLock<Loaded> = OnceLock::new();
        let sources = Sources::find(ctx, &Env::from_process());
        let loaded = LOADED.get_or_init(Default::default);
        if let Some((_, r)) = loaded.lock().unwrap().iter().find(|(s, _)| *s == sources) {
            return Ok(r.clone());
        }
        let r = Arc::new(Self::load_sources(&sources)?);
        loaded.lock().unwrap().push((sources, r.clone()));
        Ok(r)
    }

    /// [`Registries::load`] with an explicit environment.
    pub fn load_with_env(ctx: &SystemContext, env: &Env) -> Result<Registries> {
        Self::load_sources(&Sources::find(ctx, env))
    }

    /// Loads exactly the given files.
    pub fn load_sources(sources: &Sources) -> Result<Registries> {
        let path = &sources.config_path;
        let mut config = Registries {
            config_path: path.clone(),
            config_dir_path: sources.dropin_dirs.last().cloned().unwrap_or_default(),
            ..Registries::default()
        };
        match load_file(path, false) {
            Ok(parsed) => config.update(parsed, path),
            Err(FileError::NotFound(_)) if !sources.explicit => {}
            Err(e) => {
                return Err(anyhow!(
                    "loading registries configuration {}: {}",
                    quote_path(path),
                    e.text()
                ));
            }
        }
        for file in dropin_files(&sources.dropin_dirs)? {
            let parsed = load_file(&file, true).map_err(|e| {
                anyhow!(
                    "loading drop-in registries configuration {}: {}",
                    quote_path(&file),
                    e.text()
                )
            })?;
            config.update(parsed, &file);
        }
        Ok(config)
    }

    fn update(&mut self, parsed: Parsed, origin: &Path) {
        let mut by_prefix: BTreeMap<String, Registry> = std::mem::take(&mut self.registries)
            .into_iter()
            .map(|r| (r.prefix.clone(), r))
            .collect();
        for r in parsed.registries {
            by_prefix.insert(r.prefix.clone(), r);
        }
        self.registries = by_prefix.into_values().collect();
        if let Some(u) = parsed.unqualified_search_registries {
            self.unqualified_search_registries = u;
            self.unqualified_search_origin = Some(origin.to_path_buf());
        }
        if let Some(h) = parsed.credential_helpers {
            self.credential_helpers = h;
        }
        if let Some(m) = parsed.short_name_mode {
            self.short_name_mode = m;
        }
        self.aliases.extend(parsed.aliases);
    }

    /// Every `[[registry]]` entry, one per prefix, sorted by prefix.
    pub fn registries(&self) -> &[Registry] {
        &self.registries
    }

    /// The entry whose prefix matches `name` (a registry, namespace, repository or full
    /// reference starting with a host) the longest, as c/image's `FindRegistry`.
    pub fn find_registry(&self, name: &str) -> Option<&Registry> {
        let mut best: Option<&Registry> = None;
        for r in &self.registries {
            if ref_matching_prefix(name, &r.prefix).is_some()
                && best.is_none_or(|b| r.prefix.len() > b.prefix.len())
            {
                best = Some(r);
            }
        }
        best
    }

    /// Fails with c/image's message when the registry serving `reference` (by its full name)
    /// is blocked: `registry X is blocked in CONF or DROPIN_DIR`.
    pub fn check_blocked(&self, reference: &DockerReference) -> Result<()> {
        match self.find_registry(&reference.name()) {
            Some(r) if r.blocked => Err(anyhow!(
                "registry {} is blocked in {} or {}",
                r.prefix,
                self.config_path.display(),
                self.config_dir_path.display()
            )),
            _ => Ok(()),
        }
    }

    /// The endpoints to try when pulling, in order (mirrors first, the registry itself last),
    /// each with the reference rewritten for its location (`prefix` replaced by `location`).
    /// Mirrors are skipped when `mirror-by-digest-only` or their `pull-from-mirror` excludes
    /// this kind of reference.
    ///
    /// c/image refuses an endpoint when the name it is accessed by matches a blocked entry;
    /// such endpoints are left out here, so a mirror of a blocked registry can still serve
    /// pulls. When every endpoint is blocked the result is the blocked error (with no mirrors,
    /// exactly c/image's error).
    pub fn pull_endpoints(&self, reference: &DockerReference) -> Result<Vec<Endpoint>> {
        let name = reference.name();
        let default;
        let found = self.find_registry(&name);
        let reg = match found {
            Some(r) => r,
            None => {
                default = Registry {
                    prefix: reference.to_string(),
                    endpoint: ConfiguredEndpoint {
                        location: reference.to_string(),
                        ..ConfiguredEndpoint::default()
                    },
                    ..Registry::default()
                };
                &default
            }
        };
        let digested = reference.digest().is_some();
        let mut chosen: Vec<(&ConfiguredEndpoint, bool)> = Vec::new();
        if reg.mirror_by_digest_only {
            if digested {
                chosen.extend(reg.mirrors.iter().map(|m| (m, true)));
            }
        } else {
            for m in &reg.mirrors {
                let skip = match m.pull_from_mirror.as_str() {
                    "digest-only" => !digested,
                    "tag-only" => digested,
                    _ => false,
                };
                if !skip {
                    chosen.push((m, true));
                }
            }
        }
        chosen.push((&reg.endpoint, false));

        let mut out = Vec::new();
        let mut last_blocked = None;
        for (ep, mirror) in chosen {
            let rewritten = rewrite_reference(ep, reference, &reg.prefix)?;
            if let Err(e) = self.check_blocked(&rewritten) {
                last_blocked = Some(e);
                continue;
            }
            let location = if ep.location.is_empty() || found.is_none() {
                rewritten.domain().to_string()
            } else {
                ep.location.clone()
            };
            out.push(Endpoint {
                location,
                insecure: ep.insecure,
                reference: rewritten,
                mirror,
            });
        }
        match (out.is_empty(), last_blocked) {
            (true, Some(e)) => Err(e),
            _ => Ok(out),
        }
    }

    /// The one endpoint to push to: the reference as given (c/image never rewrites pushes),
    /// `insecure` from the entry matching its name; a blocked entry is an error.
    pub fn push_endpoint(&self, reference: &DockerReference) -> Result<Endpoint> {
        self.check_blocked(reference)?;
        Ok(Endpoint {
            location: reference.domain().to_string(),
            insecure: self.is_insecure(&reference.name()),
            reference: reference.clone(),
            mirror: false,
        })
    }

    /// Whether registries.conf marks this host (or name) as insecure.
    pub fn is_insecure(&self, host: &str) -> bool {
        self.find_registry(host)
            .is_some_and(|r| r.endpoint.insecure)
    }

    /// `unqualified-search-registries`, in order.
    pub fn unqualified_search_registries(&self) -> Vec<String> {
        self.unqualified_search_registries.clone()
    }

    /// The file that set `unqualified-search-registries`, if any did.
    pub fn unqualified_search_registries_origin(&self) -> Option<&Path> {
        self.unqualified_search_origin.as_deref()
    }

    /// `credential-helpers`, defaulting to `["containers-auth.json"]` (the auth files).
    pub fn credential_helpers(&self) -> Vec<String> {
        if self.credential_helpers.is_empty() {
            vec![AUTHENTICATION_FILE_HELPER.to_string()]
        } else {
            self.credential_helpers.clone()
        }
    }

    pub fn short_name_mode(&self) -> ShortNameMode {
        self.short_name_mode
    }

    /// The alias registries.conf defines for a short name (`Some(None)`: reset by a drop-in).
    /// (The machine-written short-name-aliases.conf cache is not consulted: skopeo never
    /// resolves short names.)
    pub fn alias(&self, short_name: &str) -> Option<&Alias> {
        self.aliases.get(short_name)
    }

    /// c/image's `ConfigPath` / `ConfigDirPath`.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    pub fn config_dir_path(&self) -> &Path {
        &self.config_dir_path
    }
}

enum FileError {
    NotFound(String),
    Other(String),
}

impl FileError {
    fn text(self) -> String {
        match self {
            FileError::NotFound(s) | FileError::Other(s) => s,
        }
    }
}

fn read_error(path: &Path, e: &io::Error) -> FileError {
    let op = if e.raw_os_error() == Some(libc::EISDIR) {
        "read"
    } else {
        "open"
    };
    let err = go_path_error(op, path, e);
    if err.kind() == io::ErrorKind::NotFound {
        FileError::NotFound(err.into())
    } else {
        FileError::Other(err.into())
    }
}

/// The `*.conf` files of the drop-in directories, in reading order.
fn dropin_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(anyhow!(
                    "reading registries.conf.d: {}",
                    go_path_error("open", dir, &e)
                ));
            }
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                anyhow!(
                    "reading registries.conf.d: {}",
                    go_path_error("readdirent", dir, &e)
                )
            })?;
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let name = entry.file_name();
            if !is_dir && name.to_string_lossy().ends_with(".conf") {
                files.push(entry.path());
            }
        }
        files.sort();
        out.extend(files);
    }
    Ok(out)
}

fn load_file(path: &Path, force_v2: bool) -> Result<Parsed, FileError> {
    tracing::debug!(target: "skiff::config", "Loading registries configuration {path:?}");
    let bytes = std::fs::read(path).map_err(|e| read_error(path, &e))?;
    parse_text(path, &String::from_utf8_lossy(&bytes), force_v2).map_err(FileError::Other)
}

fn parse_text(path: &Path, text: &str, force_v2: bool) -> Result<Parsed, String> {
    parse(path, decode::decode(text)?, force_v2)
}

/// Fuzzing entry point: one file's text, decoded and validated, merged as a loaded
/// configuration is, and asked for `reference`'s endpoints.
#[doc(hidden)]
pub fn fuzz_text(text: &str, force_v2: bool, reference: &DockerReference) {
    let Ok(parsed) = parse_text(Path::new("registries.conf"), text, force_v2) else {
        return;
    };
    let mut config = Registries::default();
    config.update(parsed, Path::new("registries.conf"));
    let _ = config.pull_endpoints(reference);
    let _ = config.push_endpoint(reference);
    let _ = config.check_blocked(reference);
    let _ = config.alias(reference.path());
}

/// Checks a `location`/`prefix`: no URI scheme; trailing slashes removed.
fn parse_location(input: &str) -> Result<String, String> {
    let trimmed = input.trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        return Err(format!(
            "invalid location '{input}': URI schemes are not supported"
        ));
    }
    Ok(trimmed.to_string())
}

/// Converts a v1 file (`[registries.search]`, `.insecure`, `.block`) to v2 entries.
fn convert_v1(raw: &RawFile) -> Result<RawFile, String> {
    let mut order: Vec<String> = Vec::new();
    let mut regs: BTreeMap<String, decode::RawRegistry> = BTreeMap::new();
    let mut touch = |location: &str, f: &dyn Fn(&mut decode::RawRegistry)| -> Result<(), String> {
        let location = parse_location(location)?;
        let reg = regs.entry(location.clone()).or_insert_with(|| {
            order.push(location.clone());
            decode::RawRegistry {
                prefix: location.clone(),
                endpoint: RawEndpoint {
                    location: location.clone(),
                    ..RawEndpoint::default()
                },
                ..decode::RawRegistry::default()
            }
        });
        f(reg);
        Ok(())
    };
    for b in raw.v1_block.iter().flatten() {
        touch(b, &|r| r.blocked = true)?;
    }
    for i in raw.v1_insecure.iter().flatten() {
        touch(i, &|r| r.endpoint.insecure = true)?;
    }
    Ok(RawFile {
        registries: Some(order.iter().map(|l| regs[l].clone()).collect()),
        unqualified_search_registries: raw.v1_search.clone(),
        ..RawFile::default()
    })
}

fn parse(path: &Path, mut raw: RawFile, force_v2: bool) -> Result<Parsed, String> {
    if raw.v1_nonempty() {
        if force_v2 {
            return Err("registry must be in v2 format but is in v1".into());
        }
        if raw.v2_nonempty() {
            return Err("mixing sysregistry v1/v2 is not supported".into());
        }
        raw = convert_v1(&raw)?;
    }
    let registries = post_process(raw.registries.take().unwrap_or_default())?;
    let unqualified = match raw.unqualified_search_registries.take() {
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for entry in list {
                let r = parse_location(&entry)?;
                if !crate::reference::grammar::is_domain(&r) {
                    return Err(format!(
                        "Invalid unqualified-search-registries entry {}",
                        go_quote(&r)
                    ));
                }
                out.push(r);
            }
            Some(out)
        }
        None => None,
    };
    let short_name_mode = match raw.short_name_mode.as_str() {
        "" => None,
        "disabled" => Some(ShortNameMode::Disabled),
        "enforcing" => Some(ShortNameMode::Enforcing),
        "permissive" => Some(ShortNameMode::Permissive),
        other => return Err(format!("invalid short-name mode: {}", go_quote(other))),
    };
    for r in &registries {
        if r.prefix.starts_with("*.") && r.prefix.contains(['/', '@', ':']) {
            return Err(format!(
                "Wildcarded prefix should be in the format: *.example.com. Current prefix {} is incorrectly formatted",
                go_quote(&r.prefix)
            ));
        }
    }
    let aliases = shortnames::alias_table(path, raw.aliases.as_deref().unwrap_or_default())
        .map_err(|e| format!("validating short-name aliases: {e}"))?;
    Ok(Parsed {
        registries,
        unqualified_search_registries: unqualified,
        credential_helpers: raw.credential_helpers,
        short_name_mode,
        aliases,
    })
}

/// c/image's consistency checks and normalisation of `[[registry]]` entries; returns one entry
/// per prefix (the first wins), sorted by prefix.
fn post_process(raw: Vec<decode::RawRegistry>) -> Result<Vec<Registry>, String> {
    let mut regs = Vec::with_capacity(raw.len());
    for r in raw {
        let location = parse_location(&r.endpoint.location)?;
        let prefix = if r.prefix.is_empty() {
            if location.is_empty() {
                return Err("invalid condition: both location and prefix are unset".into());
            }
            location.clone()
        } else {
            let p = parse_location(&r.prefix)?;
            if !p.starts_with("*.") && location.is_empty() {
                return Err("invalid condition: location is unset and prefix is not in the format: *.example.com".into());
            }
            p
        };
        if !r.endpoint.pull_from_mirror.is_empty() {
            return Err(format!(
                "pull-from-mirror must not be set for a non-mirror registry {}",
                go_quote(&prefix)
            ));
        }
        for m in &r.mirrors {
            // c/image validates the trimmed mirror location but keeps the original text.
            if parse_location(&m.location)?.is_empty() {
                return Err("invalid condition: mirror location is unset".into());
            }
            if r.mirror_by_digest_only && !m.pull_from_mirror.is_empty() {
                return Err(format!(
                    "cannot set mirror usage mirror-by-digest-only for the registry ({}) and pull-from-mirror for per-mirror ({}) at the same time",
                    go_quote(&prefix),
                    go_quote(&m.location)
                ));
            }
            if !matches!(
                m.pull_from_mirror.as_str(),
                "" | "all" | "digest-only" | "tag-only"
            ) {
                return Err(format!(
                    "unsupported pull-from-mirror value {} for mirror {}",
                    go_quote(&m.pull_from_mirror),
                    go_quote(&m.location)
                ));
            }
        }
        regs.push(Registry {
            prefix,
            endpoint: ConfiguredEndpoint {
                location,
                insecure: r.endpoint.insecure,
                pull_from_mirror: String::new(),
            },
            mirrors: r
                .mirrors
                .into_iter()
                .map(|m| ConfiguredEndpoint {
                    location: m.location,
                    insecure: m.insecure,
                    pull_from_mirror: m.pull_from_mirror,
                })
                .collect(),
            blocked: r.blocked,
            mirror_by_digest_only: r.mirror_by_digest_only,
        });
    }
    // Entries naming the same location must agree on `insecure` and `blocked`.
    let key = |r: &Registry| {
        if r.endpoint.location.is_empty() {
            r.prefix.clone()
        } else {
            r.endpoint.location.clone()
        }
    };
    for r in &regs {
        for other in regs.iter().filter(|o| key(o) == key(r)) {
            if r.endpoint.insecure != other.endpoint.insecure {
                return Err(format!(
                    "registry '{}' is defined multiple times with conflicting 'insecure' setting",
                    r.endpoint.location
                ));
            }
            if r.blocked != other.blocked {
                return Err(format!(
                    "registry '{}' is defined multiple times with conflicting 'blocked' setting",
                    r.endpoint.location
                ));
            }
        }
    }
    let mut unique: BTreeMap<String, Registry> = BTreeMap::new();
    for r in regs {
        unique.entry(r.prefix.clone()).or_insert(r);
    }
    Ok(unique.into_values().collect())
}

/// The length of `prefix`'s match at the start of `name` (a registry, namespace, repository
/// or reference string), if it matches: the whole of `name`, or followed by `:`, `/` or `@`.
/// `*.example.com` matches any subdomain of example.com in the host part.
pub fn ref_matching_prefix(name: &str, prefix: &str) -> Option<usize> {
    if let Some(suffix) = prefix.strip_prefix('*') {
        // suffix is ".example.com"
        let index = name.find(suffix)?;
        if name[..index].contains('/') {
            return None;
        }
        let end = index + suffix.len();
        return match name.as_bytes().get(end) {
            None | Some(b':' | b'/' | b'@') => Some(end),
            _ => None,
        };
    }
    if !name.starts_with(prefix) {
        return None;
    }
    match name.as_bytes().get(prefix.len()) {
        None | Some(b':' | b'/' | b'@') => Some(prefix.len()),
        _ => None,
    }
}

/// The reference as named at `endpoint`: the part of `reference` matched by `prefix`
/// replaced by the endpoint's location.
fn rewrite_reference(
    endpoint: &ConfiguredEndpoint,
    reference: &DockerReference,
    prefix: &str,
) -> Result<DockerReference> {
    let full = reference.to_string();
    let Some(len) = ref_matching_prefix(&full, prefix) else {
        return Err(anyhow!("invalid prefix '{prefix}' for reference '{full}'"));
    };
    if endpoint.location.is_empty() {
        if !prefix.starts_with("*.") {
            return Err(anyhow!(
                "invalid prefix '{prefix}' for empty location, should be in the format: *.example.com"
            ));
        }
        return Ok(reference.clone());
    }
    let rewritten = format!("{}{}", endpoint.location, &full[len..]);
    DockerReference::parse_named(&rewritten).map_err(|e| anyhow!("rewriting reference: {e}"))
}
