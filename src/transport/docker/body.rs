//! Blob downloads that survive a dropped connection: when the body breaks off, the rest is
//! asked for again with `Range: bytes=OFFSET-` and the stream goes on where it stopped. The
//! copy engine's digest check over the whole stream proves the pieces fit together.
//!
//! Like c/image, reconnecting is allowed when the broken connection made progress (1 MiB
//! since the last reconnection), when it is the first reconnection, or when the last one
//! was a minute ago; anything else is a failing registry and the error is returned.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use bytes::Bytes;
use futures::StreamExt;
use reqwest::Method;

use super::client::{BodyStream, Client, Request};
use crate::contract::retry::Transient;
use crate::transport::BlobStream;

const MINIMUM_PROGRESS: u64 = 1 << 20;
const TIME_SINCE_LAST_RETRY: Duration = Duration::from_secs(60);

struct State {
    client: Arc<Client>,
    path: String,
    body: Option<BodyStream>,
    offset: u64,
    last_retry_offset: Option<u64>,
    last_retry: Option<Instant>,
}

impl State {
    fn may_reconnect(&self) -> bool {
        let progress = self.offset - self.last_retry_offset.unwrap_or(0);
        progress >= MINIMUM_PROGRESS
            || self.last_retry.is_none()
            || self
                .last_retry
                .is_some_and(|t| t.elapsed() >= TIME_SINCE_LAST_RETRY)
    }

    async fn reconnect(&mut self, original: &anyhow::Error) -> anyhow::Result<()> {
        let jitter = Duration::from_millis(u64::from(std::process::id() % 100));
        tokio::time::sleep(Duration::from_secs(1) + jitter).await;
        let mut req = Request::new(Method::GET, self.path.clone())
            .header(reqwest::header::RANGE, &format!("bytes={}-", self.offset));
        req.unlimited = true;
        let res = self
            .client
            .send(req)
            .await
            .map_err(|e| anyhow!("{original:#} (while reconnecting: {e:#})"))?;
        match res.status() {
            206 => {
                let range = res.header("content-range").unwrap_or_default();
                match parse_content_range(&range) {
                    Some((first, last, total))
                        if first == self.offset && total.is_none_or(|t| last + 1 == t) => {}
                    Some((first, last, total)) => {
                        return Err(anyhow!(
                            "{original:#} (after reconnecting at offset {}, got unexpected Content-Range {first}-{last}/{})",
                            self.offset,
                            total.map_or(-1, |t| t as i64)
                        ));
                    }
                    None => {
                        return Err(anyhow!(
                            "{original:#} (after reconnecting, invalid Content-Range header: {range:?})"
                        ));
                    }
                }
            }
            200 => {
                return Err(anyhow!(
                    "{original:#} (after reconnecting, server did not process a Range: header, status 200)"
                ));
            }
            _ => {
                let err = res.error().await;
                return Err(anyhow!(
                    "{original:#} (after reconnecting, fetching blob: {err:#})"
                ));
            }
        }
        self.body = Some(res.into_stream());
        self.last_retry_offset = Some(self.offset);
        self.last_retry = Some(Instant::now());
        Ok(())
    }
}

/// `bytes FIRST-LAST/TOTAL` (TOTAL may be `*`).
fn parse_content_range(h: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = h.strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let total = if total == "*" {
        None
    } else {
        Some(total.parse().ok()?)
    };
    Some((first.parse().ok()?, last.parse().ok()?, total))
}

/// A blob body that reconnects when the connection drops.
pub fn resumable(client: Arc<Client>, path: String, first: BodyStream) -> BlobStream {
    let state = State {
        client,
        path,
        body: Some(first),
        offset: 0,
        last_retry_offset: None,
        last_retry: None,
    };
    let stream = futures::stream::unfold(state, |mut st| async move {
        loop {
            let body = st.body.as_mut()?;
            match body.next().await {
                None => return None,
                Some(Ok(chunk)) => {
                    st.offset += chunk.len() as u64;
                    return Some((Ok::<Bytes, std::io::Error>(chunk), st));
                }
                Some(Err(original)) => {
                    st.body = None;
                    let resumable = original.chain().any(|c| c.is::<Transient>());
                    // Transient failures stay retryable for `--retry-times`.
                    let kind = if resumable {
                        std::io::ErrorKind::ConnectionReset
                    } else {
                        std::io::ErrorKind::Other
                    };
                    if !resumable || !st.may_reconnect() {
                        let err = std::io::Error::new(kind, format!("{original:#}"));
                        return Some((Err(err), st));
                    }
                    if let Err(e) = st.reconnect(&original).await {
                        return Some((Err(std::io::Error::new(kind, format!("{e:#}"))), st));
                    }
                }
            }
        }
    });
    Box::pin(tokio_util::io::StreamReader::new(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 10-99/100"),
            Some((10, 99, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 10-99/*"), Some((10, 99, None)));
        assert_eq!(parse_content_range("10-99/100"), None);
    }
}
