//! Archives that cannot be read in place — compressed ones and non-seekable streams — are
//! first copied, decompressed, to a temporary file, as c/image does for every archive it
//! reads. One spooler, on the compression detector, serves docker-archive, oci-archive and
//! the docker daemon's `docker save` stream, so all read every format c/image reads.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

use crate::compression::{self, Algorithm, MAGIC_LEN};
use crate::gotext::go_quote;

/// Reads the first bytes of `r` (fewer at its end), returning them.
pub fn read_magic(r: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut magic = vec![0u8; MAGIC_LEN];
    let mut n = 0;
    while n < magic.len() {
        match r.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    magic.truncate(n);
    Ok(magic)
}

/// Whether a file starts like a compressed stream (and must be spooled to be indexed).
pub fn is_compressed(file: &mut dyn Read) -> std::io::Result<bool> {
    Ok(Algorithm::detect(&read_magic(file)?).is_some())
}

/// Copies a tar stream (decompressing it if it is compressed) into a temporary file named
/// `prefix…` in `tmp_dir`.
pub fn spool(input: &mut dyn Read, tmp_dir: &Path, prefix: &str) -> Result<NamedTempFile> {
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempfile_in(tmp_dir)
        .context("creating temporary file")?;
    let mut file = tmp.as_file();
    write_tar(input, file, tmp.path(), |whole| {
        std::io::copy(whole, &mut file).map(|_| ())
    })?;
    Ok(tmp)
}

/// Writes a tar stream into `file` (named `path`), decompressing it first when it is
/// compressed; an uncompressed one goes through `plain`, which may watch it on the way.
pub fn write_tar(
    input: &mut dyn Read,
    mut file: &File,
    path: &Path,
    plain: impl FnOnce(&mut dyn Read) -> std::io::Result<()>,
) -> Result<()> {
    let magic = read_magic(input).context("auto-decompressing input")?;
    let mut whole = Read::chain(std::io::Cursor::new(magic.clone()), input);
    let copied = match Algorithm::detect(&magic) {
        Some(algo) => compression::decompress(algo, &mut whole, &mut file).map(|_| ()),
        None => plain(&mut whole),
    };
    copied.with_context(|| {
        format!(
            "copying contents to temporary file {}",
            go_quote(&path.display().to_string())
        )
    })
}
