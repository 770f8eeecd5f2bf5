//! `containers-storage:`: the image store podman, buildah and CRI-O share, read and written
//! in containers/storage's on-disk format (vfs and overlay drivers), under its locks.
//!
//! - [`store`]: where things are; the layer and image records.
//! - [`lock`]: c/storage's fcntl lock files with last-writer records.
//! - [`extract`] (with [`crate::go::tarsplit`]), [`layerfs`], [`fsops`]: layers in and out of the driver's
//!   directories, rebuilt bit for bit.
//! - [`source`], [`dest`], [`delete_image`]: the transport itself.
//! - [`userns`]: an ordinary user's command re-run in a user namespace (rootless stores).

pub mod dest;
pub mod extract;
pub mod fsops;
pub mod layerfs;
pub mod lock;
pub mod source;
pub mod store;
pub mod userns;

use std::fmt;

use anyhow::Result;

use crate::error::ImageNotFound;
use crate::reference::{DockerReference, StorageName};
use store::{Image, Store, find_image};

/// c/image's ErrNoSuchImage text.
pub const ERR_NO_SUCH_IMAGE: &str = "identifier is not an image";

/// A `containers-storage:` name with its store opened and image ID prefixes settled.
#[derive(Clone, Debug)]
pub struct ResolvedName {
    pub store: Store,
    pub named: Option<DockerReference>,
    pub id: Option<String>,
}

impl fmt::Display for ResolvedName {
    /// c/image's StringWithinTransport: the opened store, the name, `@ID`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.store.spec())?;
        if let Some(n) = &self.named {
            write!(f, "{n}")?;
        }
        if let Some(id) = &self.id {
            write!(f, "@{id}")?;
        }
        Ok(())
    }
}

/// Opens the store of `name` and settles what only the store can (short image IDs).
pub async fn resolve_name(name: &StorageName) -> Result<ResolvedName> {
    let store = Store::open(name)?;
    let name = if name.lookup.is_some() {
        let images = {
            let _g = store.lock_images(false).await?;
            store.read_images()?
        };
        name.clone().resolve_ids(|prefix| {
            find_image(&images, prefix)
                .filter(|i| i.id.starts_with(prefix))
                .map(|i| i.id.clone())
        })?
    } else {
        name.clone()
    };
    Ok(ResolvedName {
        store,
        named: name.name,
        id: name.id,
    })
}

/// Completes a parsed name as skopeo does while parsing it: the store it means (opened, so
/// created where missing; driver, roots and options filled in, so the name prints as c/image
/// prints it) and short image IDs settled against the store's images.
pub fn complete_name(name: &StorageName) -> Result<StorageName> {
    // c/image opens (creating) the store while parsing the name.
    let store = Store::open(name)?;
    let mut out = if name.lookup.is_some() {
        // images.json is only ever replaced whole, so it can be read without the lock.
        let images = store.read_images().unwrap_or_default();
        name.clone().resolve_ids(|prefix| {
            find_image(&images, prefix)
                .filter(|i| i.id.starts_with(prefix))
                .map(|i| i.id.clone())
        })?
    } else {
        name.clone()
    };
    out.driver = Some(store.driver.name().to_string());
    out.graph_root = Some(store.graph_root);
    out.run_root = Some(store.run_root);
    out.options = store.options;
    Ok(out)
}

/// Whether any of the image's names is in the repository of `named`.
fn image_matches_repo(image: &Image, named: &DockerReference) -> bool {
    let repo = named.name();
    image.names.iter().any(|n| {
        DockerReference::parse_normalized_named(n)
            .map(|r| r.name() == repo)
            .unwrap_or(false)
    })
}

/// c/image's resolveImage: the image a reference means.
pub fn resolve_image<'a>(r: &ResolvedName, images: &'a [Image]) -> Result<&'a Image> {
    let mut found: Option<&Image> = None;
    let mut id = r.id.clone();
    if id.is_none()
        && let Some(n) = &r.named
        && let Some(img) = find_image(images, &n.to_string())
    {
        found = Some(img);
        id = Some(img.id.clone());
    }
    if id.is_none()
        && let Some(n) = &r.named
        && let Some(d) = n.digest()
        && let Some(img) = images
            .iter()
            .find(|i| i.digests().iter().any(|x| x == d) && image_matches_repo(i, n))
    {
        found = Some(img);
        id = Some(img.id.clone());
    }
    let Some(id) = id else {
        return Err(ImageNotFound(format!(
            "reference {:?} does not resolve to an image ID: {ERR_NO_SUCH_IMAGE}",
            r.to_string()
        ))
        .into());
    };
    let img = match found {
        Some(i) => i,
        None => find_image(images, &id)
            .ok_or_else(|| ImageNotFound(format!("reading image {id:?}: image not known")))?,
    };
    if let Some(n) = &r.named
        && !image_matches_repo(img, n)
    {
        return Err(ImageNotFound(ERR_NO_SUCH_IMAGE.to_string()).into());
    }
    Ok(img)
}

/// `skopeo delete containers-storage:…`: removes the image (all its names) and the layers
/// no other image or container uses, as c/storage's DeleteImage does.
pub async fn delete_image(name: &StorageName) -> Result<()> {
    let r = resolve_name(name).await?;
    dest::delete(&r).await
}

/// The policy identity and namespaces c/image gives a storage reference.
pub fn policy_identity(name: &StorageName) -> (String, Vec<String>) {
    let (driver, graph) = match Store::peek(name) {
        Some(s) => (s.driver.name().to_string(), s.graph_root),
        None => (
            name.driver.clone().unwrap_or_default(),
            name.graph_root.clone().unwrap_or_default(),
        ),
    };
    let spec = format!("[{driver}@{}]", graph.display());
    let mut identity = spec.clone();
    if let Some(n) = &name.name {
        identity.push_str(&n.to_string());
    }
    if let Some(id) = &name.id {
        identity.push('@');
        identity.push_str(id);
    }
    let mut ns = Vec::new();
    if let Some(n) = &name.name {
        if name.id.is_some() {
            ns.push(format!("{spec}{n}"));
        }
        if let (Some(t), Some(_)) = (n.tag(), n.digest()) {
            ns.push(format!("{spec}{}:{t}", n.name()));
        }
        let full = n.name();
        let mut comps: Vec<&str> = full.split('/').collect();
        while !comps.is_empty() {
            ns.push(format!("{spec}{}", comps.join("/")));
            comps.pop();
        }
    }
    ns.push(spec);
    ns.push(format!("[{}]", graph.display()));
    (identity, ns)
}
