//! Bearer tokens shared by every client of one registry in this process: a sync of many
//! images asks the token server once per credentials and scope set, not once per image and
//! side (each of those opens its own client) — a round trip to the token server saved for
//! every image across a WAN.
//!
//! A token is used for any request whose scopes it covers: the token a cross-repository
//! mount asked for (`repository:DEST:pull,push` and `repository:FROM:pull` merged) serves the
//! plain requests to either repository too. Tokens for different scope sets are fetched side
//! by side; tasks wanting the same set wait for the one fetching it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::challenge::Scope;
use super::schedule::{KeyedGuard, KeyedLocks};

/// A token as the token server gave it.
#[derive(Clone, Debug)]
pub(super) struct Token {
    pub value: String,
    pub expires: SystemTime,
}

/// The scopes a token is asked for or grants: per resource (`repository:a/b`), its actions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ScopeSet(BTreeMap<(String, String), BTreeSet<String>>);

impl ScopeSet {
    pub fn of<'a>(scopes: impl IntoIterator<Item = &'a Scope>) -> ScopeSet {
        let mut set = ScopeSet::default();
        for s in scopes.into_iter().filter(|s| s.is_complete()) {
            set.0
                .entry((s.resource_type.clone(), s.remote_name.clone()))
                .or_default()
                .extend(s.actions.split(',').map(str::to_string));
        }
        set
    }

    /// Whether a token granting `self` may be used for a request that wants `wanted`.
    fn covers(&self, wanted: &ScopeSet) -> bool {
        wanted.0.iter().all(|(resource, actions)| {
            self.0
                .get(resource)
                .is_some_and(|have| have.contains("*") || actions.is_subset(have))
        })
    }

    /// One line naming the set (the key of its fetch).
    fn key(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|((t, n), a)| {
                format!(
                    "{t}:{n}:{}",
                    a.iter().cloned().collect::<Vec<_>>().join(",")
                )
            })
            .collect();
        parts.join(" ")
    }
}

struct Entry {
    /// Who asked (credentials and challenge): tokens are never shared between identities.
    who: String,
    scopes: ScopeSet,
    token: Token,
}

#[derive(Default)]
pub(super) struct TokenCache {
    entries: Mutex<Vec<Entry>>,
    fetching: Arc<KeyedLocks<String>>,
}

impl TokenCache {
    /// A live token of `who` whose scopes cover `wanted`.
    pub fn find(&self, who: &str, wanted: &ScopeSet) -> Option<String> {
        let now = SystemTime::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| now < e.token.expires);
        entries
            .iter()
            .find(|e| e.who == who && e.scopes.covers(wanted))
            .map(|e| e.token.value.clone())
    }

    pub fn insert(&self, who: &str, scopes: ScopeSet, token: Token) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.push(Entry {
            who: who.to_string(),
            scopes,
            token,
        });
    }

    /// Held while one task fetches the token of `who` for `scopes`.
    pub async fn fetching(&self, who: &str, scopes: &ScopeSet) -> KeyedGuard<String> {
        self.fetching.lock(format!("{who}\n{}", scopes.key())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn token(v: &str) -> Token {
        Token {
            value: v.into(),
            expires: SystemTime::now() + Duration::from_secs(60),
        }
    }

    #[test]
    fn a_merged_token_serves_each_of_its_scopes() {
        let cache = TokenCache::default();
        let push = Scope::repository("m/a", "pull,push");
        let from = Scope::repository("s/a", "pull");
        cache.insert("bob", ScopeSet::of([&push, &from]), token("merged"));
        let pull = Scope::repository("m/a", "pull");
        for wanted in [vec![&push], vec![&from], vec![&pull], vec![&push, &from]] {
            assert_eq!(
                cache.find("bob", &ScopeSet::of(wanted)).as_deref(),
                Some("merged")
            );
        }
        // Another repository, more actions, or another identity: not covered.
        let other = Scope::repository("m/b", "pull");
        assert!(cache.find("bob", &ScopeSet::of([&other])).is_none());
        let delete = Scope::repository("s/a", "pull,delete");
        assert!(cache.find("bob", &ScopeSet::of([&delete])).is_none());
        assert!(cache.find("eve", &ScopeSet::of([&pull])).is_none());
    }

    #[test]
    fn expired_tokens_are_dropped() {
        let cache = TokenCache::default();
        let pull = Scope::repository("a", "pull");
        let old = Token {
            value: "old".into(),
            expires: SystemTime::now() - Duration::from_secs(1),
        };
        cache.insert("", ScopeSet::of([&pull]), old);
        assert!(cache.find("", &ScopeSet::of([&pull])).is_none());
        assert!(cache.entries.lock().unwrap().is_empty());
    }

    #[test]
    fn scope_sets_name_themselves_in_order() {
        let a = Scope::repository("b", "push,pull");
        let b = Scope::repository("a", "pull");
        assert_eq!(
            ScopeSet::of([&a, &b]).key(),
            "repository:a:pull repository:b:pull,push"
        );
    }
}
