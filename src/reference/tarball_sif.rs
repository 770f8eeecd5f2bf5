//! Names of the two read-only file transports: `tarball:FILE[:FILE…]` and `sif:PATH`.
//!
//! As c/image does, `tarball:` opens each file while parsing (so a missing one is a name
//! error) and `sif:` resolves its path like `dir:` does.

use std::path::PathBuf;

use super::ReferenceError;
use super::path::resolve_path_fully_explicit;
use crate::gotext::{go_errno_text, go_quote};

/// `tarball:`'s files, split at every `:`; `-` stands for standard input (read when the
/// image is opened).
pub fn parse_tarball(s: &str) -> Result<Vec<String>, ReferenceError> {
    let files: Vec<String> = s.split(':').map(str::to_string).collect();
    for file in files.iter().filter(|f| *f != "-") {
        if let Err(e) = std::fs::File::open(file) {
            return Err(ReferenceError::new(format!(
                "error opening {}: open {file}: {}",
                go_quote(file),
                go_errno_text(&e)
            )));
        }
    }
    Ok(files)
}

/// `sif:`'s path, kept as given once it resolves (its parent must exist).
pub fn parse_sif(s: &str) -> Result<PathBuf, ReferenceError> {
    resolve_path_fully_explicit(s)?;
    Ok(PathBuf::from(s))
}
