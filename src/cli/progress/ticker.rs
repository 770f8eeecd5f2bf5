//! A thread that runs a closure every interval until its handle is dropped: renderers sample
//! the active blobs' byte counters with it.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

pub struct Ticker {
    // Dropping the sender wakes the thread, which then ends.
    _stop: Sender<()>,
}

impl Ticker {
    /// `None` when `every` is zero (no periodic work).
    pub fn start(every: Duration, mut tick: impl FnMut() + Send + 'static) -> Option<Ticker> {
        if every.is_zero() {
            return None;
        }
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    tick();
                }
            })
            .ok()?;
        Some(Ticker { _stop: stop })
    }
}
