//! `--retry-times` / `--retry-delay`: retrying a whole operation after a transient failure,
//! as skopeo does (containers/common's retry package decides what is transient).

use std::future::Future;
use std::time::{Duration, SystemTime};

use anyhow::Result;

#[derive(Clone, Copy, Debug, Default)]
pub struct RetryOptions {
    pub max_retry: u32,
    /// A fixed delay; without one the delay doubles from one second.
    pub delay: Option<Duration>,
}

/// Marks an error as worth retrying (a dropped connection, a 5xx/429 answer, …). Transports
/// wrap such failures in it; everything else fails at once.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Transient(pub String);

pub fn is_retryable(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        if e.is::<Transient>() {
            return true;
        }
        e.downcast_ref::<std::io::Error>().is_some_and(|io| {
            use std::io::ErrorKind::*;
            matches!(
                io.kind(),
                ConnectionReset | ConnectionRefused | ConnectionAborted | TimedOut | BrokenPipe
            )
        })
    })
}

/// Runs `op`, retrying transient failures up to `opts.max_retry` times.
pub async fn if_necessary<T, F, Fut>(opts: RetryOptions, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(err) if attempt < opts.max_retry && is_retryable(&err) => {
                let delay = opts
                    .delay
                    .unwrap_or_else(|| Duration::from_secs(1u64 << attempt.min(16)));
                crate::error::warn(&format!(
                    "Failed, retrying in {} ... ({}/{}). Error: {err:#}",
                    go_duration(delay),
                    attempt + 1,
                    opts.max_retry
                ));
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Exponential with jitter, so tasks that failed together do not retry together:
/// a random point in the upper half of 200 ms, 400 ms, 800 ms, … (at most 6.4 s).
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = 200u64 << attempt.saturating_sub(1).min(5);
    Duration::from_millis(ceiling / 2 + jitter(ceiling / 2 + 1))
}

/// A number below `bound`, different from call to call and process to process.
pub fn jitter(bound: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish() % bound.max(1)
}

/// Go's `time.Duration` text for whole and fractional seconds (`1s`, `1.5s`, `100ms`).
pub fn go_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        return format!("{}s", trim_float(secs));
    }
    let m = d.as_secs() / 60;
    let s = secs - (m * 60) as f64;
    if m < 60 {
        return format!("{m}m{}s", trim_float(s));
    }
    format!("{}h{}m{}s", m / 60, m % 60, trim_float(s))
}

fn trim_float(f: f64) -> String {
    let s = format!("{f:.9}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(Duration::from_secs(1)), "1s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_millis(100)), "100ms");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }

    #[tokio::test]
    async fn retries_only_transient_errors() {
        let opts = RetryOptions {
            max_retry: 2,
            delay: Some(Duration::from_millis(1)),
        };
        let calls = AtomicU32::new(0);
        let res: Result<()> = if_necessary(opts, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Transient("503".into()).into())
        })
        .await;
        assert!(res.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let res: Result<()> = if_necessary(opts, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(anyhow::anyhow!("manifest unknown"))
        })
        .await;
        assert!(res.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
