//! `containers-storage:[DRIVER@GRAPHROOT+RUNROOT:OPT,OPT]NAME[:TAG][@DIGEST][@ID]`.
//!
//! skopeo opens (and creates) the store while parsing such a name, and uses it to recognise
//! truncated image IDs.  This parser does everything that needs no store and records what
//! does in [`StorageName::lookup`]; call [`StorageName::resolve_ids`] with a store lookup to
//! finish the job.  Errors that skopeo reports from opening the store (unknown driver, bad
//! driver options such as "unable to parse key/value option: x", permission problems) are
//! the store's business and not produced here.

use super::ReferenceError;
use super::docker::DockerReference;
use super::goutil::go_quote;
use super::grammar::{is_full_identifier, is_lower_hex, validate_digest};
use std::path::PathBuf;

/// Shortest image-ID prefix skopeo looks up.
pub const MINIMUM_TRUNCATED_ID_LENGTH: usize = 3;

/// The sentinel error of the storage transport.
pub const ERR_INVALID_REFERENCE: &str = "invalid reference";
/// A relative graph root or run root in the store specification.
pub const ERR_PATH_NOT_ABSOLUTE: &str = "path name is not absolute";

/// A part of a `containers-storage:` name that only the store can settle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageLookup {
    /// `[NAME]@PREFIX` where PREFIX is neither a digest nor a full ID: it must be the prefix
    /// (≥ 3 lowercase hex digits) of an image ID in the store, which then becomes `id`.  If
    /// not, skopeo fails with `"PREFIX" does not look like an image ID or digest: invalid
    /// reference`.  skopeo looks the prefix up before parsing NAME, so an invalid NAME is
    /// only reported (as `invalid_name`) once the prefix has been found.
    IdPrefix {
        prefix: String,
        invalid_name: Option<ReferenceError>,
    },
    /// A bare 3-to-64-digit lowercase hex string: if it is the prefix of an image ID in the
    /// store, the name means that image (`id` is set, `name` dropped); otherwise it is the
    /// repository name in `name` (or, for 64 digits, an error because docker refuses such
    /// repository names).
    MaybeIdPrefix(String),
}

/// A parsed `containers-storage:` name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct StorageName {
    /// `[DRIVER@...]`.
    pub driver: Option<String>,
    /// The graph root of the store specification (absolute).
    pub graph_root: Option<PathBuf>,
    /// `+RUNROOT` (absolute).
    pub run_root: Option<PathBuf>,
    /// `:OPT,OPT` graph driver options, split at commas (`:` alone gives one empty option).
    pub options: Vec<String>,
    /// The image name; tag-less names get `:latest`; may carry both tag and digest.
    pub name: Option<DockerReference>,
    /// A full 64-hex image ID.
    pub id: Option<String>,
    /// Work left for the store, if any.
    pub lookup: Option<StorageLookup>,
}

fn invalid_ref(what: String) -> ReferenceError {
    ReferenceError::new(format!("{what}: {ERR_INVALID_REFERENCE}"))
}

fn parse_named(s: &str) -> Result<DockerReference, ReferenceError> {
    DockerReference::parse_normalized_named(s)
        .map(DockerReference::with_default_tag)
        .map_err(|e| ReferenceError::new(format!("parsing named reference {}: {e}", go_quote(s))))
}

impl StorageName {
    /// Whether a store specification (`[...]`) was given.
    pub fn has_store_spec(&self) -> bool {
        self.driver.is_some()
            || self.graph_root.is_some()
            || self.run_root.is_some()
            || !self.options.is_empty()
    }

    /// `[DRIVER@GRAPHROOT+RUNROOT:OPTS]NAME@ID` as skopeo prints it.  skopeo always shows the
    /// store actually opened (defaults filled in); fill in `driver`, `graph_root` and
    /// `run_root` from the opened store to get the identical string.  Parts that are unknown
    /// are left out, and without any store information the bracket is omitted.
    pub fn string_within_transport(&self) -> String {
        let mut res = String::new();
        if self.has_store_spec() {
            res.push('[');
            if let Some(d) = &self.driver {
                res.push_str(d);
                res.push('@');
            }
            if let Some(g) = &self.graph_root {
                res.push_str(&g.to_string_lossy());
            }
            if let Some(r) = &self.run_root {
                res.push('+');
                res.push_str(&r.to_string_lossy());
            }
            if !self.options.is_empty() {
                res.push(':');
                res.push_str(&self.options.join(","));
            }
            res.push(']');
        }
        if let Some(n) = &self.name {
            res.push_str(&n.to_string());
        }
        if let Some(id) = &self.id {
            res.push('@');
            res.push_str(id);
        }
        if let Some(StorageLookup::IdPrefix { prefix: p, .. }) = &self.lookup {
            res.push('@');
            res.push_str(p);
        }
        if let (None, Some(StorageLookup::MaybeIdPrefix(p))) = (&self.name, &self.lookup) {
            res.push_str(p);
        }
        res
    }

    /// Settles [`StorageName::lookup`]: `find_id` is given a candidate prefix and returns the
    /// full ID of the store's image whose ID starts with it (containers/storage's `Image`
    /// lookup followed by a prefix check), or `None`.
    pub fn resolve_ids(
        mut self,
        find_id: impl Fn(&str) -> Option<String>,
    ) -> Result<StorageName, ReferenceError> {
        match self.lookup.take() {
            None => {}
            Some(StorageLookup::IdPrefix {
                prefix: p,
                invalid_name,
            }) => match find_id(&p) {
                Some(id) if p.len() >= MINIMUM_TRUNCATED_ID_LENGTH && id.starts_with(&p) => {
                    if let Some(e) = invalid_name {
                        return Err(e);
                    }
                    self.id = Some(id);
                }
                _ => {
                    return Err(invalid_ref(format!(
                        "{} does not look like an image ID or digest",
                        go_quote(&p)
                    )));
                }
            },
            Some(StorageLookup::MaybeIdPrefix(p)) => match find_id(&p) {
                Some(id) if id.starts_with(&p) => {
                    self.id = Some(id);
                    self.name = None;
                }
                _ if self.name.is_none() => return Err(parse_named(&p).unwrap_err()),
                _ => {}
            },
        }
        Ok(self)
    }
}

/// Parses the `[...]` store specification (without brackets).
fn parse_store_spec(spec: &str, out: &mut StorageName) -> Result<(), ReferenceError> {
    let invalid = || ReferenceError::new(ERR_INVALID_REFERENCE);
    let mut spec = spec;
    match spec.split_once('@') {
        None if spec.is_empty() => return Err(invalid()),
        None => {}
        Some((driver, rest)) => {
            if driver.is_empty() || rest.is_empty() {
                return Err(invalid());
            }
            out.driver = Some(driver.to_string());
            spec = rest;
        }
    }
    if let Some((roots, opts)) = spec.split_once(':') {
        out.options = opts.split(',').map(str::to_string).collect();
        spec = roots;
    }
    let (graph, run) = match spec.split_once('+') {
        Some((g, r)) => (g, r),
        None => (spec, ""),
    };
    for p in [graph, run] {
        if !p.is_empty() && !p.starts_with('/') {
            return Err(ReferenceError::new(ERR_PATH_NOT_ABSOLUTE));
        }
    }
    out.graph_root = (!graph.is_empty()).then(|| PathBuf::from(graph));
    out.run_root = (!run.is_empty()).then(|| PathBuf::from(run));
    Ok(())
}

/// Parses `containers-storage:`'s part after the transport, without a store.
pub fn parse_containers_storage(s: &str) -> Result<StorageName, ReferenceError> {
    let mut out = StorageName::default();
    let mut rest = s;
    if rest.starts_with('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| ReferenceError::new(ERR_INVALID_REFERENCE))?;
        parse_store_spec(&rest[1..close], &mut out)?;
        rest = &rest[close + 1..];
    }
    if rest.is_empty() {
        return Err(invalid_ref(format!(
            "{} is an empty reference",
            go_quote(rest)
        )));
    }
    // A second store specification is skipped (skopeo only checks that it ends).
    if rest.starts_with('[') {
        let Some(close) = rest.find(']') else {
            return Err(invalid_ref(format!(
                "store specifier in {} did not end",
                go_quote(rest)
            )));
        };
        rest = &rest[close + 1..];
    }
    let mut name_part = rest;
    if let Some(split) = rest.rfind('@') {
        let possible_id = &rest[split + 1..];
        if possible_id.is_empty() {
            return Err(invalid_ref(format!(
                "empty trailing digest or ID in {}",
                go_quote(rest)
            )));
        }
        if validate_digest(possible_id).is_err() {
            if is_full_identifier(possible_id) {
                out.id = Some(possible_id.to_string());
            } else if possible_id.len() >= MINIMUM_TRUNCATED_ID_LENGTH
                && possible_id.len() < 64
                && is_lower_hex(possible_id)
            {
                out.lookup = Some(StorageLookup::IdPrefix {
                    prefix: possible_id.to_string(),
                    invalid_name: None,
                });
            } else {
                return Err(invalid_ref(format!(
                    "{} does not look like an image ID or digest",
                    go_quote(possible_id)
                )));
            }
            name_part = &rest[..split];
        }
    }
    if out.id.is_none()
        && out.lookup.is_none()
        && name_part.len() >= MINIMUM_TRUNCATED_ID_LENGTH
        && name_part.len() <= 64
        && is_lower_hex(name_part)
    {
        out.lookup = Some(StorageLookup::MaybeIdPrefix(name_part.to_string()));
        // A 64-digit string is refused as a repository name; only the store can save it.
        out.name = parse_named(name_part).ok();
        return Ok(out);
    }
    if !name_part.is_empty() {
        match (parse_named(name_part), &mut out.lookup) {
            (Ok(n), _) => out.name = Some(n),
            (Err(e), Some(StorageLookup::IdPrefix { invalid_name, .. })) => *invalid_name = Some(e),
            (Err(e), _) => return Err(e),
        }
    }
    if out.name.is_none() && out.id.is_none() && out.lookup.is_none() {
        return Err(ReferenceError::new(ERR_INVALID_REFERENCE));
    }
    Ok(out)
}
