//! `dir:PATH`, `oci:PATH[:REF|:@INDEX]` and `oci-archive:PATH[:REF]`.
//!
//! All three resolve the path while parsing (see [`super::path`]), so a path whose parent
//! directory does not exist is already a parse error.  The path is stored as the user wrote it.

use super::ReferenceError;
use super::goutil::go_atoi;
use super::path::resolve_path_fully_explicit;
use std::path::PathBuf;

/// An `oci:` or `oci-archive:` location with an optional image selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayoutName {
    /// The directory (`oci:`) or tar file (`oci-archive:`), exactly as given (may be relative,
    /// may be empty, meaning the current directory).
    pub path: PathBuf,
    /// The `org.opencontainers.image.ref.name` to select or write; `None` when empty.
    pub reference: Option<String>,
    /// `oci:PATH:@N`: the N-th (zero-based) manifest of the index; only meaningful for sources
    /// (newer containers/image refuses it for destinations with
    /// "Destination reference must not contain a manifest index @N").  Never set for
    /// `oci-archive:`.
    pub source_index: Option<usize>,
}

impl LayoutName {
    /// The part after `oci:` as skopeo prints it: `PATH:REF`, `PATH:` (no reference) or
    /// `PATH:@N`.
    pub fn string_within_transport(&self) -> String {
        let path = self.path.to_string_lossy();
        match (self.source_index, &self.reference) {
            (Some(i), _) => format!("{path}:@{i}"),
            (None, r) => format!("{path}:{}", r.as_deref().unwrap_or("")),
        }
    }
}

/// Whether `s` is an acceptable OCI image reference name: components of `[A-Za-z0-9]+` runs
/// joined by one of `-._:@+` or by `--`, components separated by single `/`.
pub fn is_valid_oci_ref_name(s: &str) -> bool {
    fn component(c: &str) -> bool {
        let b = c.as_bytes();
        if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric()
        {
            return false;
        }
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && !b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let sep = &b[start..i];
            let ok = sep == b"--" || (sep.len() == 1 && b"-._:@+".contains(&sep[0]));
            if !ok {
                return false;
            }
        }
        true
    }
    s.split('/').all(component)
}

/// Validates a non-empty OCI reference name; error `Invalid image NAME`.
fn validate_oci_ref_name(image: &str) -> Result<(), ReferenceError> {
    if image.is_empty() || is_valid_oci_ref_name(image) {
        Ok(())
    } else {
        Err(ReferenceError::new(format!("Invalid image {image}")))
    }
}

/// Parses `oci:`'s part after the transport.  The path ends at the first `:` (so on Linux an
/// `oci:` path can never contain a colon).  `@N` after it selects a source manifest by index
/// (the syntax of containers/image ≥ 5.34; skopeo 1.9.3 itself rejected it as
/// "Invalid image @N").
pub fn parse_oci(s: &str) -> Result<LayoutName, ReferenceError> {
    let (path, image) = s.split_once(':').unwrap_or((s, ""));
    let mut source_index = None;
    let mut reference = image;
    if let Some(num) = image.strip_prefix('@') {
        let i = go_atoi(num).map_err(|e| {
            ReferenceError::new(format!("Invalid source index @{num}: not an integer: {e}"))
        })?;
        if i < 0 {
            return Err(ReferenceError::new(format!(
                "Invalid source index @{i}: must not be negative"
            )));
        }
        source_index = Some(usize::try_from(i).unwrap_or(usize::MAX));
        reference = "";
    }
    resolve_path_fully_explicit(path)?;
    validate_oci_ref_name(reference)?;
    Ok(LayoutName {
        path: PathBuf::from(path),
        reference: (!reference.is_empty()).then(|| reference.to_string()),
        source_index,
    })
}

/// Parses `oci-archive:`'s part after the transport (no index form).
pub fn parse_oci_archive(s: &str) -> Result<LayoutName, ReferenceError> {
    let (path, image) = s.split_once(':').unwrap_or((s, ""));
    resolve_path_fully_explicit(path)?;
    validate_oci_ref_name(image)?;
    Ok(LayoutName {
        path: PathBuf::from(path),
        reference: (!image.is_empty()).then(|| image.to_string()),
        source_index: None,
    })
}

/// Parses `dir:`'s part after the transport: any string (colons included) naming a path
/// whose parent exists.
pub fn parse_dir(s: &str) -> Result<PathBuf, ReferenceError> {
    resolve_path_fully_explicit(s)?;
    Ok(PathBuf::from(s))
}
