//! Manifests read ahead of their use, so that no question is asked of a registry twice in a
//! row: sync's up-to-date check reads the source manifest and HEADs the destination's, and
//! the copy that follows (when the image is not up to date) takes those answers instead of
//! asking again — a round trip less for each registry and image across a WAN.
//!
//! An answer is taken once (a later copy of the same name asks the registry again), and only
//! a bounded number wait here: what is never taken cannot pile up.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::digest::Digest;
use crate::manifest::RawManifest;

/// At most this many answers wait to be taken; more are dropped (and asked for again).
const MAX_WAITING: usize = 256;

/// What was learned about the manifest at one `/v2/NAME/manifests/TAG_OR_DIGEST` path.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A HEAD: the digest the registry names, `None` when there is no such manifest.
    Head(Option<Digest>),
    /// A GET: the manifest as served, checked as a copy checks it.
    Body(RawManifest),
}

#[derive(Default)]
pub struct ManifestMemo {
    answers: Mutex<HashMap<String, Answer>>,
}

impl ManifestMemo {
    /// Keeps `answer` for the next [`take`](Self::take) of `path`.
    pub fn put(&self, path: String, answer: Answer) {
        let mut a = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if a.len() >= MAX_WAITING && !a.contains_key(&path) {
            return;
        }
        a.insert(path, answer);
    }

    /// The answer kept for `path`, if any; it is not kept any longer.
    pub fn take(&self, path: &str) -> Option<Answer> {
        let mut a = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        a.remove(path)
    }

    /// Forgets what was kept for `path`.
    pub fn forget(&self, path: &str) {
        self.take(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_taken_once() {
        let m = ManifestMemo::default();
        m.put("/v2/a/manifests/t".into(), Answer::Head(None));
        assert!(matches!(
            m.take("/v2/a/manifests/t"),
            Some(Answer::Head(None))
        ));
        assert!(m.take("/v2/a/manifests/t").is_none());
    }

    #[test]
    fn waiting_answers_are_bounded() {
        let m = ManifestMemo::default();
        for i in 0..MAX_WAITING + 10 {
            m.put(format!("/v2/r/manifests/{i}"), Answer::Head(None));
        }
        assert!(
            m.take(&format!("/v2/r/manifests/{}", MAX_WAITING + 5))
                .is_none()
        );
        assert!(m.take("/v2/r/manifests/0").is_some());
    }
}
