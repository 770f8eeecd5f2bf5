//! What every client of one registry host in this process agrees on, so skiff's concurrency
//! never races itself or hammers a registry that asked it to slow down:
//!
//! - a blob that one task is writing into a repository (uploading or mounting) is not probed
//!   or written there by another task until that finishes: distribution answers a HEAD with
//!   500 while another request is still writing the blob's link file;
//! - a blob known to be in a repository (this process put, mounted or found it there) is not
//!   asked for again: a second mount would rewrite its link file while another task's
//!   manifest PUT reads it;
//! - a 429 (or an exhausted rate limit) pauses the whole host's queue, not just one request;
//! - a tag that is read, changed and written back (a referrers fallback index) is updated by
//!   one task at a time, so two referrers added to one subject at once both stay listed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::digest::Digest;
use crate::transport::BlobPresent;

/// A blob in a repository.
type LinkKey = (String, Digest);

#[derive(Default)]
pub struct Scheduler {
    /// One lock per (repository, blob) being checked or written; entries go when unused.
    links: Mutex<HashMap<LinkKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Blobs known to be in a repository, with their size there.
    present: Mutex<HashMap<LinkKey, BlobPresent>>,
    /// No request to the host starts before this.
    paused_until: Mutex<Option<Instant>>,
    /// One lock per (repository, tag) being read, modified and written back.
    tags: Arc<KeyedLocks<(String, String)>>,
    /// Manifests whose PUT the registry answered with `OCI-Subject`: it indexed their
    /// `subject` itself (it has the referrers API).
    subjects_indexed: Mutex<std::collections::HashSet<(String, Digest)>>,
    /// Per repository, whether the registry did not know it when this process first asked
    /// (asked once, however many copies write there).
    repos_new: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<bool>>>>,
}

/// Locks by key, created when first wanted and forgotten when nobody holds or waits.
pub struct KeyedLocks<K> {
    map: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        KeyedLocks {
            map: Mutex::default(),
        }
    }
}

/// Held while a task owns one key of a [`KeyedLocks`].
pub struct KeyedGuard<K: std::hash::Hash + Eq> {
    locks: Arc<KeyedLocks<K>>,
    key: K,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<K: std::hash::Hash + Eq + Clone> KeyedLocks<K> {
    pub async fn lock(self: &Arc<Self>, key: K) -> KeyedGuard<K> {
        let lock = {
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        KeyedGuard {
            locks: self.clone(),
            key,
            guard: Some(guard),
        }
    }
}

impl<K: std::hash::Hash + Eq> Drop for KeyedGuard<K> {
    fn drop(&mut self) {
        self.guard.take();
        let mut map = self.locks.map.lock().unwrap_or_else(|e| e.into_inner());
        if map
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            map.remove(&self.key);
        }
    }
}

/// Held while a task checks or writes one blob in one repository.
pub struct LinkGuard {
    scheduler: Arc<Scheduler>,
    key: LinkKey,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for LinkGuard {
    fn drop(&mut self) {
        self.guard.take();
        let mut links = self
            .scheduler
            .links
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Only the map holds the lock now: nobody waits for it, so it can go.
        if links
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            links.remove(&self.key);
        }
    }
}

impl Scheduler {
    /// Waits until no other task of this process checks or writes `digest` in `repo`.
    pub async fn link(self: &Arc<Self>, repo: &str, digest: &Digest) -> LinkGuard {
        let key = (repo.to_string(), digest.clone());
        let lock = {
            let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
            links.entry(key.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        LinkGuard {
            scheduler: self.clone(),
            key,
            guard: Some(guard),
        }
    }

    /// The answer, asked once per process, to whether `repo` was unknown to the registry.
    pub fn repository_new(&self, repo: &str) -> Arc<tokio::sync::OnceCell<bool>> {
        let mut repos = self.repos_new.lock().unwrap_or_else(|e| e.into_inner());
        repos.entry(repo.to_string()).or_default().clone()
    }

    /// Records that `digest` is in `repo`.
    pub fn mark_present(&self, repo: &str, digest: &Digest, present: BlobPresent) {
        let mut p = self.present.lock().unwrap_or_else(|e| e.into_inner());
        p.insert((repo.to_string(), digest.clone()), present);
    }

    /// Whether (and how long) `digest` is in `repo`, when this process knows it is there.
    pub fn known_present(&self, repo: &str, digest: &Digest) -> Option<BlobPresent> {
        let p = self.present.lock().unwrap_or_else(|e| e.into_inner());
        p.get(&(repo.to_string(), digest.clone())).copied()
    }

    /// Waits until no other task of this process reads or writes `tag` in `repo` for a
    /// read-modify-write, and keeps others out while the guard lives.
    pub async fn tag(&self, repo: &str, tag: &str) -> KeyedGuard<(String, String)> {
        self.tags.lock((repo.to_string(), tag.to_string())).await
    }

    /// Records that the registry indexed `manifest`'s subject in `repo` (`OCI-Subject`).
    pub fn mark_subject_indexed(&self, repo: &str, manifest: &Digest) {
        let mut s = self
            .subjects_indexed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        s.insert((repo.to_string(), manifest.clone()));
    }

    /// Whether the registry answered `manifest`'s PUT in `repo` with `OCI-Subject`.
    pub fn subject_indexed(&self, repo: &str, manifest: &Digest) -> bool {
        let s = self
            .subjects_indexed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        s.contains(&(repo.to_string(), manifest.clone()))
    }

    /// Holds every request to the host for `wait` (longer pauses already set stay).
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut p = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none_or(|cur| cur < until) {
            *p = Some(until);
        }
    }

    /// Returns once the host is not paused.
    pub async fn wait_if_paused(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => return,
            }
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.links.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> Digest {
        format!("sha256:{}", c.to_string().repeat(64))
            .parse()
            .unwrap()
    }

    #[tokio::test]
    async fn one_blob_in_one_repository_at_a_time() {
        let s = Arc::new(Scheduler::default());
        let first = s.link("a/b", &digest('1')).await;
        // Another repository, or another blob, does not wait.
        let _other_repo = s.link("a/c", &digest('1')).await;
        let _other_blob = s.link("a/b", &digest('2')).await;
        let s2 = s.clone();
        let waiter = tokio::spawn(async move {
            let _g = s2.link("a/b", &digest('1')).await;
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(first);
        waiter.await.unwrap();
    }

    #[tokio::test]
    async fn unused_locks_are_forgotten() {
        let s = Arc::new(Scheduler::default());
        for c in ['1', '2', '3'] {
            drop(s.link("r", &digest(c)).await);
        }
        assert_eq!(s.tracked(), 0);
    }

    #[tokio::test]
    async fn one_tag_update_at_a_time() {
        let s = Scheduler::default();
        let first = s.tag("r", "sha256-1").await;
        let other = s.tag("r", "sha256-2").await;
        let waiter = {
            let tags = s.tags.clone();
            tokio::spawn(async move {
                let _g = tags.lock(("r".to_string(), "sha256-1".to_string())).await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(first);
        waiter.await.unwrap();
        drop(other);
        assert!(s.tags.map.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_pause_holds_until_the_longest_ends() {
        let s = Scheduler::default();
        let start = Instant::now();
        s.pause(Duration::from_millis(150));
        s.pause(Duration::from_millis(10));
        s.wait_if_paused().await;
        assert!(start.elapsed() >= Duration::from_millis(150));
    }
}
