//! `experimental-image-proxy`: c/common's JSON-over-socketpair image proxy (the protocol of
//! skopeo's proxy and the `containers-image-proxy` crate's client). Requests arrive one per
//! packet on a SOCK_SEQPACKET socket the client passes (stdin by default); replies go back
//! the same way, with pipe read ends attached for manifests, configs and blobs.

mod handler;
mod wire;

use std::os::fd::{AsRawFd, RawFd};

use anyhow::{Result, anyhow};
use serde::Serialize;

use handler::{Handler, Outcome, Reply, error_code};
pub use handler::{PROTOCOL_VERSION, Setup};

/// The reply packet, members in skopeo's order.
#[derive(Serialize)]
struct ReplyMessage<'a> {
    success: bool,
    value: &'a serde_json::Value,
    pipeid: u32,
    error_code: &'a str,
    error: String,
}

/// Serves requests on `sockfd` until the client sends Shutdown or closes its end.
pub async fn serve(sockfd: RawFd, setup: Setup) -> Result<()> {
    // Go's words when the descriptor is not a socket (net.FileConn).
    wire::check_socket(sockfd).map_err(|e| {
        anyhow!(
            "file file+net sock: getsockopt: {}",
            crate::gotext::go_errno_text(&e)
        )
    })?;
    let mut handler = Handler::new(setup);
    let mut buf = vec![0u8; wire::MAX_MSG_SIZE];
    loop {
        let (read, back) = tokio::task::spawn_blocking(move || {
            let read = wire::recv_packet(sockfd, &mut buf);
            (read, buf)
        })
        .await?;
        buf = back;
        let n = read.map_err(|e| anyhow!("reading socket: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        let reply = match handler.process(&buf[..n]).await {
            Outcome::Shutdown => {
                crate::error::debug("terminating");
                return Ok(());
            }
            Outcome::Reply(r) => r,
        };
        send(sockfd, reply).map_err(|e| anyhow!("writing to socket: {e}"))?;
    }
}

fn send(sockfd: RawFd, reply: Result<Reply>) -> std::io::Result<()> {
    let (ok, err) = match reply {
        Ok(r) => (r, None),
        Err(e) => (Reply::default(), Some(e)),
    };
    let msg = ReplyMessage {
        success: err.is_none(),
        value: &ok.value,
        pipeid: ok.pipeid,
        error_code: err.as_ref().map_or("", error_code),
        error: err.as_ref().map(|e| format!("{e:#}")).unwrap_or_default(),
    };
    let bytes = crate::gojson::to_vec_compact(&msg);
    let fds: Vec<RawFd> = ok.fds.iter().map(|f| f.as_raw_fd()).collect();
    // The read ends close when `ok` drops, once the client holds its copies.
    wire::send_packet(sockfd, &bytes, &fds)
}
