//! The request slots of one registry host, handed out biggest first: when every slot is
//! taken, the waiting request that moves the most bytes gets the next free one. Checks and
//! manifests (no size) go before any blob, since they are short and unblock other work; then
//! the biggest blobs start first, so that across every image of a sync the longest transfers
//! do not start last and decide when the sync ends. Equal sizes keep their arrival order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// How urgently a request wants a slot: bytes it moves, `None` for small requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobBytes(pub Option<u64>);

impl BlobBytes {
    fn rank(self) -> u64 {
        self.0.unwrap_or(u64::MAX)
    }
}

pub struct Slots {
    state: Mutex<State>,
}

struct State {
    free: usize,
    waiting: BinaryHeap<Waiter>,
    arrivals: u64,
}

struct Waiter {
    rank: u64,
    arrival: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// The heap's greatest is served first: the highest rank, then the earliest arrival.
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank
            .cmp(&other.rank)
            .then_with(|| other.arrival.cmp(&self.arrival))
    }
}

/// One slot, given back when dropped.
pub struct Slot {
    slots: Arc<Slots>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.release();
    }
}

/// A wait for a slot; dropped after a slot was handed to it, it gives the slot on.
struct Waiting {
    slots: Arc<Slots>,
    wake: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(mut wake) = self.wake.take() {
            wake.close();
            if wake.try_recv().is_ok() {
                self.slots.release();
            }
        }
    }
}

impl Slots {
    pub fn new(n: usize) -> Arc<Slots> {
        Arc::new(Slots {
            state: Mutex::new(State {
                free: n,
                waiting: BinaryHeap::new(),
                arrivals: 0,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot; among waiters, `bytes` decides who is next.
    pub async fn acquire(self: &Arc<Self>, bytes: BlobBytes) -> Slot {
        loop {
            let wake = {
                let mut st = self.lock();
                if st.free > 0 {
                    st.free -= 1;
                    return Slot {
                        slots: self.clone(),
                    };
                }
                let (tx, rx) = oneshot::channel();
                st.arrivals += 1;
                let arrival = st.arrivals;
                st.waiting.push(Waiter {
                    rank: bytes.rank(),
                    arrival,
                    wake: tx,
                });
                rx
            };
            let mut waiting = Waiting {
                slots: self.clone(),
                wake: Some(wake),
            };
            if let Some(wake) = waiting.wake.as_mut()
                && wake.await.is_ok()
            {
                // The slot is ours now: the guard must not give it on.
                waiting.wake = None;
                return Slot {
                    slots: self.clone(),
                };
            }
        }
    }

    /// Hands a freed slot to the first waiter still waiting, or keeps it free.
    fn release(&self) {
        let mut st = self.lock();
        while let Some(w) = st.waiting.pop() {
            if w.wake.send(()).is_ok() {
                return;
            }
        }
        st.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_requests_are_served_biggest_first_checks_before_blobs() {
        let slots = Slots::new(1);
        let held = slots.acquire(BlobBytes(None)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, bytes) in [("small", Some(10)), ("big", Some(1000)), ("check", None)] {
            let (waiter, order) = (slots.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _slot = waiter.acquire(BlobBytes(bytes)).await;
                order.lock().unwrap().push(name);
            }));
            // Queued before the next one arrives.
            while slots.lock().waiting.len() < tasks.len() {
                tokio::task::yield_now().await;
            }
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["check", "big", "small"]);
        assert_eq!(slots.lock().free, 1);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_does_not_lose_the_slot() {
        let slots = Slots::new(1);
        let held = slots.acquire(BlobBytes(None)).await;
        let gave_up = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire(BlobBytes(Some(5))).await }
        });
        while slots.lock().waiting.is_empty() {
            tokio::task::yield_now().await;
        }
        gave_up.abort();
        let _ = gave_up.await;
        drop(held);
        assert_eq!(slots.lock().free, 1);
        // Handed over, then the waiter goes before it ran: the slot comes back too.
        let held = slots.acquire(BlobBytes(None)).await;
        let waiting = {
            let (tx, rx) = oneshot::channel();
            slots.lock().waiting.push(Waiter {
                rank: 1,
                arrival: 0,
                wake: tx,
            });
            Waiting {
                slots: slots.clone(),
                wake: Some(rx),
            }
        };
        drop(held);
        assert_eq!(slots.lock().free, 0);
        drop(waiting);
        assert_eq!(slots.lock().free, 1);
    }
}
