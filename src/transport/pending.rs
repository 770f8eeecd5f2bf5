//! Clean-ups that have not run yet. A destination that undoes its work when dropped holds a
//! [`Pending`]; after an interrupt, `main` waits for them all before the process exits, so a
//! copy running in a task of its own (sync runs one per image) is undone too, not cut off.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static DONE: Notify = Notify::const_new();

/// Held by something whose `Drop` cleans up; counts as pending until dropped.
pub struct Pending(());

impl Pending {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Pending {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Pending(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if LIVE.fetch_sub(1, Ordering::SeqCst) == 1 {
            DONE.notify_waiters();
        }
    }
}

/// Whether some clean-up has not run yet.
pub fn outstanding() -> bool {
    LIVE.load(Ordering::SeqCst) > 0
}

/// Resolves once no [`Pending`] is alive.
pub async fn all_done() {
    loop {
        let notified = DONE.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if LIVE.load(Ordering::SeqCst) == 0 {
            return;
        }
        notified.await;
    }
}
