//! A registry that stops answering mid-request must not hang skiff: a response that does not
//! start, a body that stops arriving, or an upload the server stops reading, each for longer
//! than the idle timeout (`--idle-timeout`, 60 s by default, 0 for none), fails as a
//! [`Transient`] error that the caller retries or resumes. Time spent waiting for our own
//! source (an upload fed by a slow download) is not idle time: only the registry's silence is.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::Stream;

use crate::contract::retry::{Transient, go_duration};

/// Milliseconds; 0 turns the watch off. Process-wide, like the connection pools it guards.
static IDLE_MS: AtomicU64 = AtomicU64::new(60_000);

pub fn set_idle_timeout(d: Duration) {
    IDLE_MS.store(d.as_millis() as u64, Ordering::Relaxed);
}

pub fn idle_timeout() -> Option<Duration> {
    match IDLE_MS.load(Ordering::Relaxed) {
        0 => None,
        ms => Some(Duration::from_millis(ms)),
    }
}

/// When the exchange with the registry last moved.
pub struct Activity {
    epoch: Instant,
    last_ms: AtomicU64,
    /// The request body is waiting for its own source: the registry is not to blame.
    waiting_on_source: AtomicBool,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            epoch: Instant::now(),
            last_ms: AtomicU64::new(0),
            waiting_on_source: AtomicBool::new(false),
        })
    }

    fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        if self.waiting_on_source.load(Ordering::Relaxed) {
            return Duration::ZERO;
        }
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Runs `fut` (a request until its response headers), failing when `activity` shows no
/// movement for the idle timeout. `what` names the request in the error.
pub async fn watch<T, F>(
    fut: F,
    activity: &Activity,
    what: impl Fn() -> String,
) -> anyhow::Result<T>
where
    F: Future<Output = anyhow::Result<T>>,
{
    let Some(limit) = idle_timeout() else {
        return fut.await;
    };
    activity.touch();
    tokio::pin!(fut);
    loop {
        let left = limit.saturating_sub(activity.idle_for());
        if left.is_zero() {
            return Err(Transient(format!(
                "{}: no response for {} (idle timeout)",
                what(),
                go_duration(limit)
            ))
            .into());
        }
        tokio::select! {
            r = &mut fut => return r,
            _ = tokio::time::sleep(left) => {}
        }
    }
}

/// An upload body that records each chunk the HTTP client takes from it.
pub struct Touching<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Touching<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Touching<S> {
        Touching { inner, activity }
    }
}

impl<S> Stream for Touching<S>
where
    S: Stream<Item = std::io::Result<Bytes>> + Unpin,
{
    type Item = std::io::Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let res = Pin::new(&mut self.inner).poll_next(cx);
        let waiting = res.is_pending();
        self.activity.touch();
        self.activity
            .waiting_on_source
            .store(waiting, Ordering::Relaxed);
        res
    }
}

/// A response body that fails when no chunk arrives for the idle timeout while it is read.
/// Time the reader spends elsewhere between reads does not count.
pub struct IdleLimited<S> {
    inner: S,
    limit: Option<Duration>,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> IdleLimited<S> {
    pub fn new(inner: S) -> IdleLimited<S> {
        IdleLimited {
            inner,
            limit: idle_timeout(),
            deadline: None,
        }
    }
}

impl<S, E> Stream for IdleLimited<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<anyhow::Error>,
{
    type Item = anyhow::Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            self.deadline = None;
            return Poll::Ready(item.map(|r| r.map_err(Into::into)));
        }
        let Some(limit) = self.limit else {
            return Poll::Pending;
        };
        // The wait starts now, when the reader asks and nothing is there.
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if deadline.as_mut().poll(cx).is_ready() {
            self.deadline = None;
            let err = Transient(format!(
                "reading from the registry: no data for {} (idle timeout)",
                go_duration(limit)
            ));
            return Poll::Ready(Some(Err(err.into())));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn a_silent_body_fails_as_transient() {
        let silent = futures::stream::pending::<Result<Bytes, std::io::Error>>();
        let mut body = IdleLimited {
            inner: silent,
            limit: Some(Duration::from_millis(50)),
            deadline: None,
        };
        let err = body.next().await.unwrap().unwrap_err();
        assert!(err.is::<Transient>(), "{err:#}");
        assert!(format!("{err}").contains("idle timeout"));
    }

    #[tokio::test]
    async fn waiting_for_our_own_source_is_not_idle() {
        let a = Activity::new();
        a.waiting_on_source.store(true, Ordering::Relaxed);
        assert_eq!(a.idle_for(), Duration::ZERO);
        a.waiting_on_source.store(false, Ordering::Relaxed);
        a.touch();
        assert!(a.idle_for() < Duration::from_secs(1));
    }
}
