//! The on-disk image store of containers/storage: where things are, and the layer and image
//! records (`<driver>-layers/layers.json`, `<driver>-images/images.json`).
//!
//! Records are kept with every field c/storage wrote, known or not, so that writing them back
//! loses nothing a newer c/storage put there. Writes replace the JSON file atomically while
//! the matching lock is held for writing, then record this process as the last writer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::lock::{self, LockGuard};
use crate::config::storage_conf::{self, StoreOptions};
use crate::reference::StorageName;
use crate::transport::fsutil::write_file_atomic;

/// The graph drivers skiff can read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    Vfs,
    Overlay,
}

impl Driver {
    pub fn name(self) -> &'static str {
        match self {
            Driver::Vfs => "vfs",
            Driver::Overlay => "overlay",
        }
    }
}

/// An opened store: its roots and driver.
#[derive(Clone, Debug)]
pub struct Store {
    pub driver: Driver,
    pub graph_root: PathBuf,
    pub run_root: PathBuf,
    pub options: Vec<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A `layers.json` record.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Layer {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parent: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub metadata: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mountlabel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(
        rename = "compressed-diff-digest",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub compressed_digest: String,
    #[serde(rename = "compressed-size", default, skip_serializing_if = "is_zero")]
    pub compressed_size: i64,
    #[serde(
        rename = "diff-digest",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub diff_digest: String,
    #[serde(rename = "diff-size", default, skip_serializing_if = "is_zero")]
    pub diff_size: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub compression: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uidset: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gidset: Vec<u32>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An `images.json` record.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Image {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(
        rename = "names-history",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub names_history: Vec<String>,
    #[serde(rename = "layer", default, skip_serializing_if = "String::is_empty")]
    pub top_layer: String,
    #[serde(
        rename = "mapped-layers",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub mapped_layers: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub metadata: String,
    #[serde(
        rename = "big-data-names",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub big_data_names: Vec<String>,
    #[serde(
        rename = "big-data-sizes",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_sizes: BTreeMap<String, i64>,
    #[serde(
        rename = "big-data-digests",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_digests: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Image {
    /// Every manifest digest recorded for the image (its `digest` first), as c/storage
    /// recomputes them when loading.
    pub fn digests(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if !self.digest.is_empty() {
            out.push(self.digest.clone());
        }
        for (k, d) in &self.big_data_digests {
            if k.starts_with("manifest") && !out.contains(d) {
                out.push(d.clone());
            }
        }
        out
    }

    /// Names the image `name` as a copy into the store does: c/image sets the names to the
    /// new one followed by those the image had, and c/storage records each of them in the
    /// history, the last recorded first.
    pub fn add_name(&mut self, name: &str) {
        let mut names = vec![name.to_string()];
        for n in &self.names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        for n in &names {
            self.names_history.retain(|h| h != n);
            self.names_history.insert(0, n.clone());
        }
        self.names = names;
    }
}

/// Time as Go's RFC3339Nano prints it (UTC, trailing zeros of the fraction dropped).
pub fn go_time(t: chrono::DateTime<chrono::Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos == 0 {
        return format!("{base}Z");
    }
    let frac = format!("{nanos:09}");
    format!("{base}.{}Z", frac.trim_end_matches('0'))
}

/// c/storage's file name for an image big-data item.
pub fn big_data_file_name(key: &str) -> String {
    let plain = key
        .bytes()
        .all(|c| c == b'.' || c.is_ascii_digit() || c.is_ascii_lowercase());
    if plain && !key.is_empty() {
        key.to_string()
    } else {
        format!(
            "={}",
            base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
        )
    }
}

fn read_records<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(|b| b.is_ascii_whitespace()) => Ok(Vec::new()),
        Ok(bytes) => serde_json::from_slice::<Option<Vec<T>>>(&bytes)
            .map(Option::unwrap_or_default)
            .with_context(|| format!("parsing {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_records<T: Serialize>(path: &Path, records: &[T]) -> Result<()> {
    let bytes = serde_json::to_vec(records)?;
    write_file_atomic(path, &bytes)
}

/// Whether the kernel offers overlayfs.
fn kernel_has_overlay() -> bool {
    std::fs::read_to_string("/proc/filesystems")
        .map(|s| s.lines().any(|l| l.trim_end().ends_with("overlay")))
        .unwrap_or(false)
}

impl Store {
    /// Opens the store a `containers-storage:` name refers to: its `[driver@graph+run:opts]`
    /// specification over storage.conf's, creating the directories c/storage creates.
    pub fn open(name: &StorageName) -> Result<Store> {
        let store = Store::locate(name)?;
        if store.driver == Driver::Overlay
            && let Some(p) = store.mount_program()
            && let Err(e) = std::fs::metadata(p)
        {
            bail!(
                "overlay: can't stat program {p:?}: stat {p}: {}",
                crate::gotext::go_errno_text(&e)
            );
        }
        store.create_dirs()?;
        Ok(store)
    }

    /// The store a name refers to, without creating anything (None if it cannot be told).
    pub fn peek(name: &StorageName) -> Option<Store> {
        Store::locate(name).ok()
    }

    /// The store a name refers to (storage.conf's defaults under the name's specification).
    pub fn locate(name: &StorageName) -> Result<Store> {
        let defaults: StoreOptions = storage_conf::load()?;
        let graph_root = name
            .graph_root
            .clone()
            .unwrap_or_else(|| defaults.graph_root.clone());
        let run_root = name
            .run_root
            .clone()
            .unwrap_or_else(|| defaults.run_root.clone());
        let options = if name.options.is_empty() {
            defaults.driver_options.clone()
        } else {
            name.options.clone()
        };
        let mut driver_name = name.driver.clone().unwrap_or(defaults.driver.clone());
        if driver_name.is_empty() {
            driver_name = if graph_root.join("overlay").is_dir() {
                "overlay".into()
            } else if graph_root.join("vfs").is_dir() {
                "vfs".into()
            } else if kernel_has_overlay() {
                "overlay".into()
            } else {
                "vfs".into()
            };
        }
        let driver = match driver_name.as_str() {
            "vfs" => Driver::Vfs,
            "overlay" | "overlay2" => Driver::Overlay,
            other => bail!("{other} driver not supported by skiff: driver not supported"),
        };
        Ok(Store {
            driver,
            graph_root,
            run_root,
            options,
        })
    }

    fn create_dirs(&self) -> Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        // The roots and the store's lock first, failing in c/storage's words (a store of
        // another user, a read-only file system).
        mkdir_all(&self.run_root)?;
        mkdir_all(&self.graph_root)?;
        for sub in ["mounts", "tmp", self.driver.name()] {
            mkdir_all(&self.graph_root.join(sub))?;
        }
        let storage_lock = self.graph_root.join("storage.lock");
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(&storage_lock)
            .map_err(|e| {
                anyhow::anyhow!(
                    "open {}: {}",
                    storage_lock.display(),
                    crate::gotext::go_errno_text(&e)
                )
            })?;
        let d = self.driver.name();
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true).mode(0o700);
        for dir in [
            self.graph_root.join(format!("{d}-layers")),
            self.graph_root.join(format!("{d}-images")),
            self.graph_root.join(format!("{d}-containers")),
            self.graph_root.join("tmp"),
            self.driver_home(),
        ] {
            b.create(&dir)
                .with_context(|| format!("creating {}", dir.display()))?;
        }
        if self.driver == Driver::Vfs {
            b.create(self.driver_home().join("dir"))?;
        }
        if self.driver == Driver::Overlay {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(self.driver_home().join("l"))?;
        }
        Ok(())
    }

    /// The overlay driver's `mount_program` (fuse-overlayfs), if one is configured.
    pub fn mount_program(&self) -> Option<&str> {
        self.options.iter().find_map(|o| {
            o.strip_prefix("overlay.mount_program=")
                .or_else(|| o.strip_prefix(".mount_program="))
                .or_else(|| o.strip_prefix("mount_program="))
                .filter(|p| !p.is_empty())
        })
    }

    /// `<graphroot>/<driver>`.
    pub fn driver_home(&self) -> PathBuf {
        self.graph_root.join(self.driver.name())
    }

    pub fn layers_dir(&self) -> PathBuf {
        self.graph_root
            .join(format!("{}-layers", self.driver.name()))
    }

    pub fn images_dir(&self) -> PathBuf {
        self.graph_root
            .join(format!("{}-images", self.driver.name()))
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.graph_root.join("tmp")
    }

    pub fn tar_split_path(&self, layer_id: &str) -> PathBuf {
        self.layers_dir().join(format!("{layer_id}.tar-split.gz"))
    }

    pub fn image_data_dir(&self, image_id: &str) -> PathBuf {
        self.images_dir().join(image_id)
    }

    pub fn big_data_path(&self, image_id: &str, key: &str) -> PathBuf {
        self.image_data_dir(image_id).join(big_data_file_name(key))
    }

    /// Where a layer's files are: the whole tree for vfs, the layer's own diff for overlay.
    pub fn layer_files(&self, layer_id: &str) -> PathBuf {
        match self.driver {
            Driver::Vfs => self.driver_home().join("dir").join(layer_id),
            Driver::Overlay => self.driver_home().join(layer_id).join("diff"),
        }
    }

    pub async fn lock_layers(&self, exclusive: bool) -> Result<LockGuard> {
        lock::lock(&self.layers_dir().join("layers.lock"), exclusive).await
    }

    pub async fn lock_images(&self, exclusive: bool) -> Result<LockGuard> {
        lock::lock(&self.images_dir().join("images.lock"), exclusive).await
    }

    pub async fn lock_containers(&self, exclusive: bool) -> Result<LockGuard> {
        lock::lock(
            &self
                .graph_root
                .join(format!("{}-containers", self.driver.name()))
                .join("containers.lock"),
            exclusive,
        )
        .await
    }

    /// The layer records (the layers lock must be held).
    pub fn read_layers(&self) -> Result<Vec<Layer>> {
        let mut layers: Vec<Layer> = read_records(&self.layers_dir().join("layers.json"))?;
        // Layers c/storage marked incomplete are not usable (it removes them on load).
        layers.retain(|l| {
            !l.extra
                .get("flags")
                .and_then(|f| f.get("incomplete"))
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        });
        Ok(layers)
    }

    /// Replaces the layer records (the layers lock must be held for writing).
    pub fn write_layers(&self, guard: &LockGuard, layers: &[Layer]) -> Result<()> {
        write_records(&self.layers_dir().join("layers.json"), layers)?;
        guard.touch()
    }

    pub fn read_images(&self) -> Result<Vec<Image>> {
        read_records(&self.images_dir().join("images.json"))
    }

    pub fn write_images(&self, guard: &LockGuard, images: &[Image]) -> Result<()> {
        write_records(&self.images_dir().join("images.json"), images)?;
        guard.touch()
    }

    /// Container records, as raw JSON (only their image and layer IDs matter here).
    pub fn read_containers(&self) -> Result<Vec<serde_json::Value>> {
        read_records(
            &self
                .graph_root
                .join(format!("{}-containers", self.driver.name()))
                .join("containers.json"),
        )
    }

    /// `[driver@graph+run:opts]`, as c/image shows the opened store.
    pub fn spec(&self) -> String {
        let mut s = format!(
            "[{}@{}+{}",
            self.driver.name(),
            self.graph_root.display(),
            self.run_root.display()
        );
        if !self.options.is_empty() {
            s.push(':');
            s.push_str(&self.options.join(","));
        }
        s.push(']');
        s
    }
}

/// Go's os.MkdirAll (0700), with its error text: the first directory that could not be made.
fn mkdir_all(p: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::metadata(p) {
        Ok(md) if md.is_dir() => return Ok(()),
        Ok(_) => bail!("mkdir {}: not a directory", p.display()),
        Err(_) => {}
    }
    if let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        mkdir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(p) {
        Ok(()) => Ok(()),
        Err(_) if std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) => Ok(()),
        Err(e) => bail!(
            "mkdir {}: {}",
            p.display(),
            crate::gotext::go_errno_text(&e)
        ),
    }
}

/// c/storage's image lookup: an exact ID, a name, or an unambiguous ID prefix.
pub fn find_image<'a>(images: &'a [Image], key: &str) -> Option<&'a Image> {
    if let Some(i) = images.iter().find(|i| i.id == key) {
        return Some(i);
    }
    if let Some(i) = images.iter().find(|i| i.names.iter().any(|n| n == key)) {
        return Some(i);
    }
    let mut matches = images.iter().filter(|i| i.id.starts_with(key));
    match (matches.next(), matches.next()) {
        (Some(i), None) if !key.is_empty() => Some(i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_data_names_as_c_storage() {
        assert_eq!(big_data_file_name("manifest"), "manifest");
        assert_eq!(
            big_data_file_name(
                "sha256:d06a7b5e170370d36e76f84a4e50e538d8e205cadfb255fbe89f580dfe0457a2"
            ),
            "=c2hhMjU2OmQwNmE3YjVlMTcwMzcwZDM2ZTc2Zjg0YTRlNTBlNTM4ZDhlMjA1Y2FkZmIyNTVmYmU4OWY1ODBkZmUwNDU3YTI="
        );
        assert_eq!(big_data_file_name("signatures"), "signatures");
    }

    #[test]
    fn go_times() {
        use chrono::TimeZone;
        let t = chrono::Utc
            .timestamp_opt(1_795_000_000, 623_188_500)
            .unwrap();
        assert_eq!(go_time(t), "2026-11-18T11:06:40.6231885Z");
        let t = chrono::Utc.timestamp_opt(1_795_000_000, 0).unwrap();
        assert_eq!(go_time(t), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn records_keep_unknown_fields() {
        let json = r#"[{"id":"a","flags":{"x":1},"diff-digest":"sha256:00","uidset":[0]}]"#;
        let layers: Vec<Layer> = serde_json::from_str(json).unwrap();
        let back = serde_json::to_string(&layers).unwrap();
        assert!(back.contains(r#""flags":{"x":1}"#), "{back}");
        assert!(back.contains(r#""uidset":[0]"#));
    }
}
