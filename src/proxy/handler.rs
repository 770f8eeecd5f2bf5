//! The proxy's methods, at the protocol version skopeo's current proxy speaks (0.2.8). Each
//! request is answered before the next is read; blob bytes stream into pipes from tasks of
//! their own, and FinishPipe waits for a pipe's task and reports how its stream ended.

use std::collections::HashMap;
use std::os::fd::OwnedFd;

use anyhow::{Result, anyhow, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;
use tokio::task::JoinHandle;

use super::wire::{self, Pipe};
use crate::config::policy::{Policy, PolicyImage};
use crate::digest::{Digest, Hasher};
use crate::error::ImageNotFound;
use crate::image::Image;
use crate::manifest::{self, Manifest, media_type as mt};
use crate::reference::{ImageName, TransportKind};
use crate::transport::{self, BlobStream, ImageSource};
use crate::types::{BlobInfo, SystemContext, size_to_go};

pub const PROTOCOL_VERSION: &str = "0.2.8";

/// The image id that means "no such image" (OpenImageOptional).
const SENTINEL_IMAGE_ID: u64 = 0;

/// ECMAScript's Number.MAX_SAFE_INTEGER: larger ids and sizes are refused.
const MAX_JSON_FLOAT: f64 = ((1u64 << 53) - 1) as f64;

/// What Initialize sets up: the settings images are opened with, and the trust policy.
pub type Setup = Box<dyn Fn() -> Result<(SystemContext, Policy)> + Send + Sync>;

/// The answer to one request: a JSON value, and for data, a pipe id and the fds to pass.
#[derive(Default)]
pub struct Reply {
    pub value: Value,
    pub pipeid: u32,
    pub fds: Vec<OwnedFd>,
}

pub enum Outcome {
    Reply(Result<Reply>),
    Shutdown,
}

struct OpenImage {
    src: Box<dyn ImageSource>,
    image: Image,
    /// The list instance the image was chosen as, when the name is a list.
    instance: Option<Digest>,
}

/// A pipe being filled: its task hands back the write end (closed only by FinishPipe, so
/// that a client sees the end of the data only after asking how it went) and the outcome.
type ActivePipe = JoinHandle<(pipe::Sender, Result<()>)>;

pub struct Handler {
    setup: Setup,
    ready: Option<(SystemContext, Policy)>,
    serial: u64,
    images: HashMap<u64, OpenImage>,
    pipes: HashMap<u32, ActivePipe>,
}

impl Handler {
    pub fn new(setup: Setup) -> Handler {
        Handler {
            setup,
            ready: None,
            serial: 0,
            images: HashMap::new(),
            pipes: HashMap::new(),
        }
    }

    /// Parses and runs one request.
    pub async fn process(&mut self, packet: &[u8]) -> Outcome {
        let (method, args) = match parse_request(packet) {
            Ok(r) => r,
            Err(e) => return Outcome::Reply(Err(e)),
        };
        crate::error::debug(&format!("Executing method {method}"));
        let reply = match method.as_str() {
            "Initialize" => self.initialize(&args),
            "OpenImage" => self.open_image(&args, false).await,
            "OpenImageOptional" => self.open_image(&args, true).await,
            "CloseImage" => self.close_image(&args),
            "GetManifest" => self.get_manifest(&args).await,
            "GetConfig" => self.get_config(&args, false).await,
            "GetFullConfig" => self.get_config(&args, true).await,
            "GetBlob" => self.get_blob(&args).await,
            "GetRawBlob" => self.get_raw_blob(&args).await,
            "GetLayerInfo" => self.get_layer_info(&args, false).await,
            "GetLayerInfoPiped" => self.get_layer_info(&args, true).await,
            "FinishPipe" => self.finish_pipe(&args).await,
            "Shutdown" => return Outcome::Shutdown,
            other => Err(anyhow!("unknown method: {other}")),
        };
        Outcome::Reply(reply)
    }

    fn initialize(&mut self, args: &[Value]) -> Result<Reply> {
        if !args.is_empty() {
            bail!("invalid request, expecting zero arguments");
        }
        if self.ready.is_some() {
            bail!("already initialized");
        }
        self.ready = Some((self.setup)()?);
        Ok(value(PROTOCOL_VERSION.into()))
    }

    fn ready(&self) -> Result<&(SystemContext, Policy)> {
        self.ready
            .as_ref()
            .ok_or_else(|| anyhow!("client error: must invoke Initialize"))
    }

    async fn open_image(&mut self, args: &[Value], allow_not_found: bool) -> Result<Reply> {
        let (ctx, policy) = self.ready()?;
        if args.len() != 1 {
            bail!("invalid request, expecting one argument");
        }
        let Value::String(text) = &args[0] else {
            bail!("expecting string imageref, not {}", go_type(&args[0]));
        };
        let name = ImageName::parse(text)
            .map_err(anyhow::Error::from)
            .and_then(transport::complete_name)?;
        let opened = match open(&name, ctx, policy).await {
            Err(e) if allow_not_found && is_not_found(&name, &e) => {
                return Ok(value(SENTINEL_IMAGE_ID.into()));
            }
            other => other?,
        };
        // Ids are never 0 (the sentinel).
        self.serial += 1;
        self.images.insert(self.serial, opened);
        Ok(value(self.serial.into()))
    }

    fn close_image(&mut self, args: &[Value]) -> Result<Reply> {
        self.ready()?;
        if args.len() != 1 {
            bail!("invalid request, expecting one argument");
        }
        let id = self.image_id(&args[0])?;
        self.images.remove(&id);
        Ok(Reply::default())
    }

    fn image_id(&self, v: &Value) -> Result<u64> {
        let id = parse_u64(v)?;
        if id == SENTINEL_IMAGE_ID {
            bail!("invalid imageid value of zero");
        }
        if !self.images.contains_key(&id) {
            bail!("no image {id}");
        }
        Ok(id)
    }

    fn image(&self, v: &Value) -> Result<&OpenImage> {
        let id = self.image_id(v)?;
        Ok(&self.images[&id])
    }

    /// The image's manifest as OCI (schema 2 converted as c/image converts it), with the
    /// digest of the manifest as stored.
    async fn get_manifest(&mut self, args: &[Value]) -> Result<Reply> {
        self.ready()?;
        if args.len() != 1 {
            bail!("invalid request, expecting one argument");
        }
        let img = self.image(&args[0])?;
        let raw = &img.image.manifest_bytes;
        let serialized = match &img.image.manifest {
            Manifest::Oci(_) => raw.to_vec(),
            Manifest::Schema2(m) => {
                let config = img.image.config_blob(img.src.as_ref()).await?;
                let config = config.ok_or_else(|| anyhow!("image has no configuration"))?;
                let converted = manifest::convert::schema2_to_oci(m, &config)?;
                manifest::convert::serialize(&converted.manifest)?
            }
            Manifest::Schema1(_) => bail!(
                "unsupported legacy manifest MIME type: {}",
                img.image.manifest.mime_type()
            ),
        };
        let digest = manifest::digest(raw)?;
        self.return_bytes(Value::String(digest.to_string()), serialized)
    }

    /// The OCI config, whole (GetFullConfig) or only its `config` member (GetConfig, kept
    /// for old clients).
    async fn get_config(&mut self, args: &[Value], full: bool) -> Result<Reply> {
        self.ready()?;
        if args.len() != 1 {
            bail!("invalid request, expecting: [imgid]");
        }
        let img = self.image(&args[0])?;
        let config = img.image.oci_config(img.src.as_ref()).await?;
        let serialized = if full {
            crate::gojson::try_to_vec_compact(&config)?
        } else {
            crate::gojson::try_to_vec_compact(&config.config)?
        };
        self.return_bytes(Value::Null, serialized)
    }

    /// A blob, verified against its digest and the size asked for while it streams; the
    /// verdict comes with FinishPipe.
    async fn get_blob(&mut self, args: &[Value]) -> Result<Reply> {
        self.ready()?;
        if args.len() != 3 {
            bail!("found {} args, expecting (imgid, digest, size)", args.len());
        }
        let img = self.image(&args[0])?;
        let Value::String(digest) = &args[1] else {
            bail!("expecting string blobid");
        };
        let size = parse_u64(&args[2])?;
        let digest: Digest = digest.parse()?;
        let info = img.blob_info(&digest, Some(size)).await;
        let stream = img.src.blob(&info).await?;
        let known = img.known_size(&info).await;
        let Pipe { read, write, id } = wire::new_pipe()?;
        let task = tokio::spawn(async move {
            let result = send_verified(stream, &write, &digest, size).await;
            (write, result)
        });
        self.pipes.insert(id, task);
        Ok(Reply {
            value: size_to_go(known).into(),
            pipeid: id,
            fds: vec![read],
        })
    }

    /// A blob as the source serves it, unverified, with a second pipe that carries a JSON
    /// error if the stream fails; both close when the blob has been sent (no FinishPipe).
    async fn get_raw_blob(&mut self, args: &[Value]) -> Result<Reply> {
        self.ready()?;
        if args.len() != 2 {
            bail!("found {} args, expecting (imgid, digest)", args.len());
        }
        let img = self.image(&args[0])?;
        let Value::String(digest) = &args[1] else {
            bail!("expecting string blobid");
        };
        let digest: Digest = digest.parse()?;
        let info = img.blob_info(&digest, None).await;
        let stream = img.src.blob(&info).await?;
        let known = img.known_size(&info).await;
        let data = wire::new_pipe()?;
        let errors = wire::new_pipe()?;
        let (data_w, errors_w) = (data.write, errors.write);
        tokio::spawn(async move {
            if let Err(e) = send_all(stream, &data_w).await {
                drop(data_w);
                let report = serde_json::json!({
                    "code": error_code(&e),
                    "message": format!("{e:#}"),
                });
                let mut errors_w = errors_w;
                let _ = errors_w
                    .write_all(&crate::gojson::to_vec_compact(&report))
                    .await;
            }
        });
        Ok(Reply {
            value: size_to_go(known).into(),
            pipeid: 0,
            fds: vec![data.read, errors.read],
        })
    }

    /// Digest, size and media type of each layer as the source serves them (for
    /// containers-storage, uncompressed), inline or (Piped) over a pipe.
    async fn get_layer_info(&mut self, args: &[Value], piped: bool) -> Result<Reply> {
        self.ready()?;
        if args.len() != 1 {
            bail!("found {} args, expecting (imgid)", args.len());
        }
        let img = self.image(&args[0])?;
        let layers: Vec<Value> = img
            .layer_infos()
            .await?
            .iter()
            .map(|l| {
                serde_json::json!({
                    "digest": l.digest.to_string(),
                    "size": size_to_go(l.size),
                    "media_type": l.media_type,
                })
            })
            .collect();
        if piped {
            let bytes = crate::gojson::try_to_vec_compact(&layers)?;
            return self.return_bytes(Value::Null, bytes);
        }
        Ok(value(Value::Array(layers)))
    }

    async fn finish_pipe(&mut self, args: &[Value]) -> Result<Reply> {
        let Some(arg) = args.first() else {
            bail!("invalid request, expecting one argument");
        };
        let id = parse_u64(arg)? as u32;
        let task = self
            .pipes
            .remove(&id)
            .ok_or_else(|| anyhow!("finishpipe: no active pipe {id}"))?;
        let (write, result) = task.await.map_err(|e| anyhow!("pipe worker failed: {e}"))?;
        crate::error::debug("Completed pipe goroutine");
        // Only now does the client see the end of the data.
        drop(write);
        result.map(|()| Reply::default())
    }

    /// Sends `bytes` over a new pipe, finished with FinishPipe.
    fn return_bytes(&mut self, retval: Value, bytes: Vec<u8>) -> Result<Reply> {
        let Pipe { read, write, id } = wire::new_pipe()?;
        let task = tokio::spawn(async move {
            let mut w = write;
            let result = w.write_all(&bytes).await.map_err(anyhow::Error::from);
            (w, result)
        });
        self.pipes.insert(id, task);
        Ok(Reply {
            value: retval,
            pipeid: id,
            fds: vec![read],
        })
    }
}

impl OpenImage {
    /// The layers as the source serves them (c/image's LayerInfosForCopy, else the
    /// manifest's).
    async fn layer_infos(&self) -> Result<Vec<BlobInfo>> {
        let instance = self.instance.as_ref();
        Ok(match self.src.layer_infos_for_copy(instance).await? {
            Some(infos) => infos,
            None => self.image.manifest.layer_infos(),
        })
    }

    /// What the image says about the blob `digest` (media type, URLs), with the size asked
    /// for; a blob the image does not list is asked for by digest alone, as c/image does.
    async fn blob_info(&self, digest: &Digest, size: Option<u64>) -> BlobInfo {
        let listed = self.listed_blob(digest).await;
        let mut info = listed.unwrap_or_else(|| BlobInfo::new(digest.clone(), size, ""));
        info.size = size;
        info
    }

    async fn listed_blob(&self, digest: &Digest) -> Option<BlobInfo> {
        let served = self.layer_infos().await.unwrap_or_default();
        served
            .into_iter()
            .chain(self.image.manifest.layer_infos())
            .chain(self.image.manifest.config_info())
            .find(|b| &b.digest == digest)
    }

    /// The blob's size as the source knows it (the size of its file, or the size the image
    /// lists it with).
    async fn known_size(&self, info: &BlobInfo) -> Option<u64> {
        if let Some(local) = self.src.local_blob(info) {
            return Some(local.len);
        }
        self.listed_blob(&info.digest).await?.size
    }
}

/// Opens `name` as c/image's proxy does: the source, the trust policy for the top-level
/// manifest and (for a list) the chosen instance — either may satisfy it — then the image.
async fn open(name: &ImageName, ctx: &SystemContext, policy: &Policy) -> Result<OpenImage> {
    let src = transport::open_source(name, ctx).await?;
    let (top, mime) = src.manifest(None).await?.resolved();
    let top_verdict = allowed(policy, name, src.as_ref(), None, &top).await;
    let image = Image::from_source(src.as_ref(), &top, &mime, &ctx.platform).await?;
    let instance = if mt::is_list(&mime) {
        let chosen = manifest::digest(&image.manifest_bytes)?;
        let verdict = allowed(
            policy,
            name,
            src.as_ref(),
            Some(&chosen),
            &image.manifest_bytes,
        )
        .await;
        // Either the list or the instance being acceptable is enough.
        if let (Err(instance_err), Err(_)) = (verdict, &top_verdict) {
            return Err(instance_err);
        }
        Some(chosen)
    } else {
        top_verdict?;
        None
    };
    Ok(OpenImage {
        src,
        image,
        instance,
    })
}

/// The trust policy's verdict on the image whose manifest is `bytes`.
async fn allowed(
    policy: &Policy,
    name: &ImageName,
    src: &dyn ImageSource,
    instance: Option<&Digest>,
    bytes: &[u8],
) -> Result<()> {
    let subject = transport::policy_subject(name);
    let signatures = if policy.needs_signatures(&subject) {
        Some(src.signatures(instance).await.map_err(|e| format!("{e:#}")))
    } else {
        None
    };
    policy.evaluate(&PolicyImage {
        subject: &subject,
        docker_reference: name.docker_reference(),
        manifest: bytes,
        signatures,
    })?;
    Ok(())
}

/// Whether OpenImageOptional answers "no such image" for `err`: a registry's "manifest
/// unknown", a layout or archive without the tag, a storage image that does not exist.
fn is_not_found(name: &ImageName, err: &anyhow::Error) -> bool {
    let transport_says_so = matches!(
        name.transport(),
        TransportKind::Docker
            | TransportKind::Oci
            | TransportKind::OciArchive
            | TransportKind::ContainersStorage
    );
    transport_says_so && err.chain().any(|e| e.is::<ImageNotFound>())
}

/// Copies a blob into the pipe, checking its size and digest at the end (skopeo's order:
/// a digest mismatch is the error reported when both are wrong).
async fn send_verified(
    mut stream: BlobStream,
    w: &pipe::Sender,
    digest: &Digest,
    size: u64,
) -> Result<()> {
    let mut hasher = Hasher::new(digest.algorithm());
    let mut buf = vec![0u8; 128 * 1024];
    let mut n: u64 = 0;
    loop {
        let got = stream.read(&mut buf).await?;
        if got == 0 {
            break;
        }
        hasher.update(&buf[..got]);
        write_all(w, &buf[..got]).await?;
        n += got as u64;
    }
    if &hasher.finish() != digest {
        bail!("corrupted blob, expecting {digest}");
    }
    if n != size {
        bail!("expected {size} bytes in blob, got {n}");
    }
    Ok(())
}

async fn send_all(mut stream: BlobStream, w: &pipe::Sender) -> Result<()> {
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        let got = stream.read(&mut buf).await?;
        if got == 0 {
            return Ok(());
        }
        write_all(w, &buf[..got]).await?;
    }
}

/// Writes through the non-blocking write end as room appears.
async fn write_all(w: &pipe::Sender, bytes: &[u8]) -> Result<()> {
    let mut done = 0;
    while done < bytes.len() {
        w.writable().await?;
        match w.try_write(&bytes[done..]) {
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The protocol's error classes: the client closed a pipe early, worth retrying, or other.
pub fn error_code(err: &anyhow::Error) -> &'static str {
    let epipe = err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.raw_os_error() == Some(libc::EPIPE))
    });
    if epipe {
        "EPIPE"
    } else if crate::contract::retry::is_retryable(err) {
        "retryable"
    } else {
        "other"
    }
}

fn value(v: Value) -> Reply {
    Reply {
        value: v,
        ..Default::default()
    }
}

/// A request: `{"method": NAME, "args": [...]}` (Go decodes field names case-insensitively,
/// and missing or null members as empty).
fn parse_request(packet: &[u8]) -> Result<(String, Vec<Value>)> {
    let v: Value = serde_json::from_slice(packet).map_err(|e| anyhow!("invalid request: {e}"))?;
    let Value::Object(fields) = v else {
        bail!(
            "invalid request: json: cannot unmarshal {} into Go value of type jsonproxy.request",
            json_kind(&v)
        );
    };
    let mut method = String::new();
    let mut args = Vec::new();
    for (key, v) in fields {
        match (key.to_ascii_lowercase().as_str(), v) {
            (_, Value::Null) => {}
            ("method", Value::String(s)) => method = s,
            ("args", Value::Array(a)) => args = a,
            ("method", other) => bail!(
                "invalid request: json: cannot unmarshal {} into Go struct field request.method of type string",
                json_kind(&other)
            ),
            ("args", other) => bail!(
                "invalid request: json: cannot unmarshal {} into Go struct field request.args of type []interface {{}}",
                json_kind(&other)
            ),
            _ => {}
        }
    }
    Ok((method, args))
}

/// A JSON number as an id or size: Go decodes it as a float64 and refuses non-numbers and
/// values past 2^53.
fn parse_u64(v: &Value) -> Result<u64> {
    let Value::Number(n) = v else {
        bail!("expecting numeric, not {}", go_type(v));
    };
    let f = n.as_f64().unwrap_or(f64::MAX);
    if f > MAX_JSON_FLOAT {
        bail!("out of range integer for numeric {f:.6}");
    }
    // Go's uint64(float64) on amd64: truncation, negatives wrapping through int64.
    Ok(if f < 0.0 { f as i64 as u64 } else { f as u64 })
}

/// Go's `%T` of a decoded JSON value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// encoding/json's name for a JSON value's kind in unmarshal errors.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_decoded_as_go_decodes_them() {
        assert_eq!(parse_u64(&serde_json::json!(3)).unwrap(), 3);
        assert_eq!(parse_u64(&serde_json::json!(3.9)).unwrap(), 3);
        assert_eq!(
            parse_u64(&serde_json::json!("3")).unwrap_err().to_string(),
            "expecting numeric, not string"
        );
        assert_eq!(
            parse_u64(&serde_json::json!(1e16)).unwrap_err().to_string(),
            "out of range integer for numeric 10000000000000000.000000"
        );
    }

    #[test]
    fn requests_decode_like_go_structs() {
        let (m, a) = parse_request(br#"{"METHOD":"GetBlob","args":[1,"x"]}"#).unwrap();
        assert_eq!(m, "GetBlob");
        assert_eq!(a.len(), 2);
        let (m, a) = parse_request(br#"{"args":null}"#).unwrap();
        assert_eq!((m.as_str(), a.len()), ("", 0));
        let e = parse_request(br#"{"method":"x","args":"y"}"#).unwrap_err();
        assert!(e.to_string().contains("request.args"), "{e}");
        assert!(parse_request(b"{nope").is_err());
    }

    #[test]
    fn error_codes_classify_broken_pipes() {
        let epipe = anyhow::Error::from(std::io::Error::from_raw_os_error(libc::EPIPE));
        assert_eq!(error_code(&epipe), "EPIPE");
        assert_eq!(error_code(&anyhow!("manifest unknown")), "other");
        let reset = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(error_code(&reset), "retryable");
    }
}
