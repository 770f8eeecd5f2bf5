//! `skiff experimental-image-proxy` driven by its reference client, the
//! `containers-image-proxy` crate, against a real registry and an `oci:` layout; what it
//! serves is compared with what skopeo 1.9.3 reads of the same images.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use containers_image_proxy::{ImageProxy, ImageProxyConfig, oci_spec::image::Digest};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The crate's client, running skiff instead of skopeo.
async fn proxy() -> ImageProxy {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skiff"));
    cmd.env_remove("REGISTRY_AUTH_FILE");
    let mut config = ImageProxyConfig::default();
    config.skopeo_cmd = Some(cmd);
    config.insecure_skip_tls_verification = Some(true);
    config.insecure_policy = Some(true);
    ImageProxy::new_with_config(config).await.unwrap()
}

/// Go's compact JSON of a document skopeo printed indented (`<`, `>`, `&` escaped).
fn go_compact(pretty: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(pretty).unwrap();
    serde_json::to_string(&v)
        .unwrap()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .into_bytes()
}

/// What skopeo reads of `name`: the raw manifest, the OCI config (compact), and the
/// manifest of the image converted to OCI as `skopeo copy --format oci` writes it.
struct Oracle {
    raw: Vec<u8>,
    config: Vec<u8>,
    oci_manifest: Vec<u8>,
    layers_dir: tempfile::TempDir,
}

fn oracle(name: &str) -> Option<Oracle> {
    let raw = ok(skopeo()?.args(["inspect", "--tls-verify=false", "--raw", name])).stdout;
    let config = ok(skopeo()?.args(["inspect", "--tls-verify=false", "--config", name])).stdout;
    let layers_dir = tempfile::tempdir().unwrap();
    let oci = layers_dir.path().join("oci");
    ok(skopeo()?
        .args(["--insecure-policy", "copy", "-q", "--src-tls-verify=false"])
        .args(["--format", "oci", name])
        .arg(format!("oci:{}:x", oci.display())));
    let index: Value =
        serde_json::from_slice(&std::fs::read(oci.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    let oci_manifest = blob_file(&oci, digest);
    Some(Oracle {
        raw,
        config: go_compact(&config),
        oci_manifest,
        layers_dir,
    })
}

fn blob_file(layout: &Path, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()
}

/// Fetches `name` through the proxy as bootc does and checks it against skopeo's view.
async fn fetch_and_compare(proxy: &ImageProxy, name: &str, want: &Oracle) {
    let img = proxy.open_image(name).await.unwrap();
    let (digest, manifest) = proxy.fetch_manifest_raw_oci(&img).await.unwrap();
    assert_eq!(digest, fixtures::sha256(&want.raw), "GetManifest's digest");
    assert_eq!(manifest, want.oci_manifest, "GetManifest's OCI bytes");
    let config = proxy.fetch_config_raw(&img).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&config),
        String::from_utf8_lossy(&want.config)
    );

    // Layers as the manifest lists them, and their bytes both ways (verified GetBlob and
    // the raw GetRawBlob stream the crate prefers), equal to the blobs skopeo copied.
    let raw: Value = serde_json::from_slice(&want.raw).unwrap();
    let listed = raw["layers"].as_array().unwrap();
    let infos = proxy.get_layer_info(&img).await.unwrap().unwrap();
    assert_eq!(infos.len(), listed.len());
    for (info, layer) in infos.iter().zip(listed) {
        assert_eq!(info.digest.to_string(), layer["digest"].as_str().unwrap());
        assert_eq!(info.size, layer["size"].as_u64().unwrap());
        assert_eq!(
            info.media_type.to_string(),
            layer["mediaType"].as_str().unwrap()
        );
        let expected = blob_file(
            &want.layers_dir.path().join("oci"),
            layer["digest"].as_str().unwrap(),
        );

        let (mut reader, driver) = proxy.get_blob(&img, &info.digest, info.size).await.unwrap();
        let mut got = Vec::new();
        let (read, finished) = tokio::join!(reader.read_to_end(&mut got), driver);
        read.unwrap();
        finished.unwrap();
        assert_eq!(got, expected, "GetBlob {}", info.digest);

        assert!(proxy.supports_get_raw_blob());
        let stream = proxy
            .get_blob_stream(&img, &info.digest, info.size)
            .await
            .unwrap();
        let (mut reader, driver) = stream.into_parts();
        let mut got = Vec::new();
        let (read, finished) = tokio::join!(reader.read_to_end(&mut got), driver);
        read.unwrap();
        finished.unwrap();
        assert_eq!(got, expected, "GetRawBlob {}", info.digest);
    }
    proxy.close_image(&img).await.unwrap();
}

#[test]
fn serves_a_registry_image_as_skopeo_reads_it() {
    let Some(reg) = Registry::start() else { return };
    let Some(mut push) = skopeo() else { return };
    let t = tempfile::tempdir().unwrap();
    // Docker schema 2: GetManifest converts it to OCI as c/image does.
    let mut spec = ImageSpec::small(71);
    spec.docker = true;
    let dir = t.path().join("dir");
    fixtures::write_dir(&dir, &spec);
    let name = format!("{}:v1", reg.image("proxy/app"));
    ok(push
        .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("dir:{}", dir.display()))
        .arg(&name));
    let Some(want) = oracle(&name) else { return };

    runtime().block_on(async {
        let proxy = proxy().await;
        assert_eq!(proxy.protocol_version().to_string(), "0.2.8");
        fetch_and_compare(&proxy, &name, &want).await;

        let missing = format!("{}:nope", reg.image("proxy/app"));
        assert!(proxy.open_image_optional(&missing).await.unwrap().is_none());
        let err = proxy.open_image(&missing).await.unwrap_err().to_string();
        assert!(err.contains("manifest unknown"), "{err}");
        proxy.finalize().await.unwrap();
    });
}

#[test]
fn serves_an_oci_layout_and_reports_a_corrupted_blob_at_finish_pipe() {
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("oci");
    let built = fixtures::write_oci(&layout, "v1", &ImageSpec::small(72));
    let name = format!("oci:{}:v1", layout.display());
    let Some(want) = oracle(&name) else { return };
    assert_eq!(want.oci_manifest, built.manifest);

    runtime().block_on(async {
        let proxy = proxy().await;
        fetch_and_compare(&proxy, &name, &want).await;
        let missing = format!("oci:{}:nope", layout.display());
        assert!(proxy.open_image_optional(&missing).await.unwrap().is_none());

        // A layer whose bytes changed on disk: the data streams, FinishPipe says why not.
        let layer = &built.blobs[1];
        let digest = fixtures::sha256(layer);
        let path = layout.join("blobs/sha256").join(&digest["sha256:".len()..]);
        let mut bad = layer.clone();
        bad[10] ^= 0xff;
        std::fs::write(&path, &bad).unwrap();
        let img = proxy.open_image(&name).await.unwrap();
        let digest: Digest = digest.parse().unwrap();
        let (mut reader, driver) = proxy
            .get_blob(&img, &digest, layer.len() as u64)
            .await
            .unwrap();
        let mut got = Vec::new();
        let (read, finished) = tokio::join!(reader.read_to_end(&mut got), driver);
        read.unwrap();
        assert_eq!(got, bad);
        let err = finished.unwrap_err().to_string();
        assert!(
            err.contains(&format!("corrupted blob, expecting {digest}")),
            "{err}"
        );
        // A size that is not the blob's is refused the same way.
        std::fs::write(&path, layer).unwrap();
        let (mut reader, driver) = proxy
            .get_blob(&img, &digest, layer.len() as u64 + 1)
            .await
            .unwrap();
        let (read, finished) = tokio::join!(reader.read_to_end(&mut got), driver);
        read.unwrap();
        let err = finished.unwrap_err().to_string();
        let want = format!(
            "expected {} bytes in blob, got {}",
            layer.len() + 1,
            layer.len()
        );
        assert!(err.contains(&want), "{err}");
        proxy.finalize().await.unwrap();
    });
}

/// A raw client on a SOCK_SEQPACKET pair: one request, one reply (and its fds, closed).
struct RawClient {
    sock: std::os::fd::OwnedFd,
    child: std::process::Child,
}

impl RawClient {
    fn start(mut cmd: Command) -> RawClient {
        use std::os::fd::FromRawFd;
        let mut fds = [0; 2];
        // SAFETY: socketpair fills two descriptors on success.
        let rc = unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        };
        assert_eq!(rc, 0);
        // SAFETY: both descriptors are new and owned here.
        let (ours, theirs) = unsafe {
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        };
        let child = cmd
            .arg("experimental-image-proxy")
            .stdin(std::process::Stdio::from(theirs))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        RawClient { sock: ours, child }
    }

    fn call(&self, request: &str) -> Value {
        self.call_with_fds(request).0
    }

    /// Sends `request`; the reply and the descriptors passed with it.
    fn call_with_fds(&self, request: &str) -> (Value, Vec<std::os::fd::OwnedFd>) {
        use std::os::fd::{AsRawFd, FromRawFd};
        let fd = self.sock.as_raw_fd();
        let mut buf = vec![0u8; 32 * 1024];
        let mut control = [0u64; 8];
        // SAFETY: send/recvmsg on an owned socket with buffers of the given lengths; the
        // descriptors read from the control message are new and owned here.
        unsafe {
            let n = libc::send(fd, request.as_ptr().cast(), request.len(), 0);
            assert_eq!(n as usize, request.len());
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = std::mem::size_of_val(&control) as _;
            let n = libc::recvmsg(fd, &mut msg, libc::MSG_CMSG_CLOEXEC);
            assert!(n > 0, "no reply to {request}");
            let mut fds = Vec::new();
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                    let data = libc::CMSG_DATA(cmsg).cast::<libc::c_int>();
                    let count = ((*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize) / 4;
                    for i in 0..count {
                        fds.push(std::os::fd::OwnedFd::from_raw_fd(
                            data.add(i).read_unaligned(),
                        ));
                    }
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
            (serde_json::from_slice(&buf[..n as usize]).unwrap(), fds)
        }
    }

    /// Calls a method that answers with a pipe: its data, read while FinishPipe waits.
    fn call_piped(&self, request: &str) -> (Value, Vec<u8>) {
        let (reply, mut fds) = self.call_with_fds(request);
        assert_eq!(reply["success"], true, "{request}: {reply}");
        assert_eq!(fds.len(), 1);
        let mut pipe = std::fs::File::from(fds.remove(0));
        let reader = std::thread::spawn(move || {
            let mut data = Vec::new();
            pipe.read_to_end(&mut data).unwrap();
            data
        });
        let finish = format!(r#"{{"method":"FinishPipe","args":[{}]}}"#, reply["pipeid"]);
        let finished = self.call(&finish);
        assert_eq!(finished["success"], true, "{finished}");
        (reply, reader.join().unwrap())
    }

    fn finish(mut self) {
        drop(self.sock);
        let status = held::wait_bounded(&mut self.child);
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "{status}: {err}");
    }
}

/// What a reply must be, beside its error code.
enum Want {
    /// As skopeo 1.9.3 answers.
    Same,
    /// An error worded as skopeo's current proxy words it (1.9.3 checked image ids less
    /// strictly and said something else).
    Wording(&'static str),
    /// A method skopeo 1.9.3 does not have: checked on its own.
    Newer,
}

#[test]
fn bad_requests_are_answered_as_skopeo_answers_them() {
    use Want::*;
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("oci");
    let built = fixtures::write_oci(&layout, "v1", &ImageSpec::small(73));
    let name = format!("oci:{}:v1", layout.display());
    // Each request, and what is expected of the answer (see `Want`).
    let cases: [(String, Want); 18] = [
        (r#"{"method":"OpenImage","args":["x"]}"#.into(), Same),
        (r#"{"method":"Initialize","args":[]}"#.into(), Same),
        (r#"{"method":"Initialize","args":[]}"#.into(), Same),
        (r#"{"method":"NoSuchMethod","args":[]}"#.into(), Same),
        (r#"{"method":"OpenImage","args":[]}"#.into(), Same),
        (r#"{"method":"OpenImage","args":[7]}"#.into(), Same),
        (
            format!(r#"{{"method":"OpenImage","args":["{name}"]}}"#),
            Same,
        ),
        (
            r#"{"method":"GetManifest","args":["1"]}"#.into(),
            Wording("expecting numeric, not string"),
        ),
        (
            r#"{"method":"GetManifest","args":[0]}"#.into(),
            Wording("invalid imageid value of zero"),
        ),
        (r#"{"method":"GetManifest","args":[42]}"#.into(), Same),
        (
            r#"{"method":"GetManifest","args":[9007199254740993]}"#.into(),
            Wording("out of range integer for numeric 9007199254740992.000000"),
        ),
        (
            r#"{"method":"GetBlob","args":[1,"sha256:abc"]}"#.into(),
            Same,
        ),
        (r#"{"method":"GetBlob","args":[1,7,3]}"#.into(), Same),
        (
            r#"{"method":"GetBlob","args":[1,"sha256:abc",3]}"#.into(),
            Same,
        ),
        (r#"{"method":"FinishPipe","args":[12345]}"#.into(), Same),
        (r#"{"method":"GetLayerInfo","args":[1]}"#.into(), Newer),
        (r#"{"method":"CloseImage","args":[1]}"#.into(), Same),
        (r#"{"method":"CloseImage","args":[1]}"#.into(), Same),
    ];
    let requests: Vec<&String> = cases.iter().map(|(r, _)| r).collect();
    let run = |cmd: Command| -> Vec<Value> {
        let client = RawClient::start(cmd);
        let replies = requests.iter().map(|r| client.call(r)).collect();
        client.finish();
        replies
    };
    let mut ours = skiff();
    ours.arg("--insecure-policy");
    let ours = run(ours);
    // Protocol 0.2.8 classifies every error; none of these is transient.
    for (req, reply) in requests.iter().zip(&ours) {
        let code = if reply["success"] == Value::Bool(true) {
            ""
        } else {
            "other"
        };
        assert_eq!(reply["error_code"], code, "{req}: {reply}");
    }
    assert_eq!(ours[1]["value"], "0.2.8");
    assert_eq!(ours[6]["value"], 1);
    // GetLayerInfo: the manifest's layers, inline.
    let manifest: Value = serde_json::from_slice(&built.manifest).unwrap();
    let layers: Vec<Value> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| serde_json::json!({"digest": l["digest"], "size": l["size"], "media_type": l["mediaType"]}))
        .collect();
    assert_eq!(ours[15]["value"], Value::Array(layers));
    let Some(mut theirs) = skopeo() else { return };
    theirs.arg("--insecure-policy");
    let theirs = run(theirs);
    for (((req, want), a), b) in cases.iter().zip(&ours).zip(&theirs) {
        if matches!(want, Newer) {
            continue;
        }
        assert_eq!(a["success"], b["success"], "{req}: {a} vs {b}");
        if req.contains("Initialize") {
            continue; // the protocol version differs: skopeo 1.9.3 speaks an older one
        }
        match want {
            Wording(words) => assert_eq!(a["error"], *words, "{req}"),
            _ => assert_eq!(a["error"], b["error"], "{req}"),
        }
        assert_eq!(a["pipeid"], b["pipeid"], "{req}");
        assert_eq!(a["value"], b["value"], "{req}");
    }
}

#[test]
fn open_image_applies_the_trust_policy() {
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("oci");
    fixtures::write_oci(&layout, "v1", &ImageSpec::small(74));
    let name = format!("oci:{}:v1", layout.display());
    let policy = t.path().join("policy.json");
    std::fs::write(&policy, r#"{"default":[{"type":"reject"}]}"#).unwrap();
    let mut cmd = skiff();
    cmd.arg("--policy").arg(&policy);
    let client = RawClient::start(cmd);
    assert_eq!(
        client.call(r#"{"method":"Initialize","args":[]}"#)["success"],
        true
    );
    let reply = client.call(&format!(r#"{{"method":"OpenImage","args":["{name}"]}}"#));
    client.finish();
    assert_eq!(reply["success"], false);
    // The proxy reports the policy's refusal as `skopeo copy` does, without copy's prefix.
    let Some(mut s) = skopeo() else { return };
    let dest = format!("dir:{}", t.path().join("d").display());
    let (_, err) = fails(s.arg("--policy").arg(&policy).args(["copy", &name, &dest]));
    let theirs = fatal_message(&err);
    let theirs = theirs.strip_prefix("Source image rejected: ").unwrap();
    assert_eq!(reply["error"], theirs);
}

#[test]
fn get_config_is_the_runtime_part_of_the_oci_config() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("dir");
    let mut spec = ImageSpec::small(75);
    spec.docker = true;
    fixtures::write_dir(&dir, &spec);
    let name = format!("dir:{}", dir.display());
    let mut cmd = skiff();
    cmd.arg("--insecure-policy");
    let client = RawClient::start(cmd);
    client.call(r#"{"method":"Initialize","args":[]}"#);
    let opened = client.call(&format!(r#"{{"method":"OpenImage","args":["{name}"]}}"#));
    assert_eq!(opened["value"], 1);
    let (reply, config) = client.call_piped(r#"{"method":"GetConfig","args":[1]}"#);
    assert_eq!(reply["value"], Value::Null);
    let (_, full) = client.call_piped(r#"{"method":"GetFullConfig","args":[1]}"#);
    let (_, layers) = client.call_piped(r#"{"method":"GetLayerInfoPiped","args":[1]}"#);
    client.finish();
    let layers: Value = serde_json::from_slice(&layers).unwrap();
    assert_eq!(layers.as_array().unwrap().len(), spec.layers.len());
    assert_eq!(
        layers[0]["media_type"],
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
    let Some(mut s) = skopeo() else { return };
    let theirs = ok(s.args(["inspect", "--config", &name])).stdout;
    assert_eq!(
        String::from_utf8_lossy(&full),
        String::from_utf8_lossy(&go_compact(&theirs))
    );
    let theirs: Value = serde_json::from_slice(&theirs).unwrap();
    let runtime = serde_json::to_vec(&theirs["config"]).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&config),
        String::from_utf8_lossy(&go_compact(&runtime))
    );
}

#[test]
fn a_descriptor_that_is_not_a_socket_is_refused_as_skopeo_refuses_it() {
    let run = |mut cmd: Command| {
        cmd.arg("experimental-image-proxy")
            .stdin(std::process::Stdio::null());
        let (code, err) = fails(&mut cmd);
        (code, fatal_message(&err))
    };
    let ours = run(skiff());
    assert_eq!(ours.0, 1);
    let Some(theirs) = skopeo() else { return };
    assert_eq!(ours, run(theirs));
}
