//! The inbox's bounded in-memory filter of recently accepted activity ids, used when the
//! store keeps the inbox queue in a journal (see `Engine::enqueue_inbox`): it answers most
//! duplicates on the request path without a store access, while the authoritative check runs
//! in the inbox runner against the store's dedupe set.

use std::collections::hash_map::RandomState;
use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;

/// The ids last accepted, at most `capacity`, the oldest forgotten first.
///
/// Each id is kept as a 128-bit hash made of two SipHash-1-3 values under random keys (a
/// process's own, so a sender cannot aim for collisions): 16 bytes an entry whatever the id's
/// length, and the chance that one of 32,768 entries answers for another id is about 2⁻⁹⁸. A
/// false "seen" would drop an activity, so the hash is this wide rather than 64 bits.
pub(crate) struct RecentIds {
    state: Mutex<Recent>,
    hashers: (RandomState, RandomState),
    capacity: usize,
}

#[derive(Default)]
struct Recent {
    set: HashSet<u128>,
    order: VecDeque<u128>,
}

impl RecentIds {
    /// An empty filter of at most `capacity` ids (0 turns it off: every id is new).
    pub(crate) fn new(capacity: usize) -> Self {
        RecentIds {
            state: Mutex::new(Recent::default()),
            hashers: (RandomState::new(), RandomState::new()),
            capacity,
        }
    }

    fn key(&self, id: &str) -> u128 {
        (u128::from(self.hashers.0.hash_one(id)) << 64) | u128::from(self.hashers.1.hash_one(id))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recent> {
        // Every update is a single insert/remove pair: a poisoned lock carries no broken state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `id`; `false` if it was already there (a duplicate).
    pub(crate) fn insert(&self, id: &str) -> bool {
        if self.capacity == 0 {
            return true;
        }
        let k = self.key(id);
        let mut s = self.lock();
        if !s.set.insert(k) {
            return false;
        }
        s.order.push_back(k);
        while s.order.len() > self.capacity {
            if let Some(old) = s.order.pop_front() {
                s.set.remove(&old);
            }
        }
        true
    }

    /// Forgets `id` (its enqueue failed, so a retry must not be taken for a duplicate).
    pub(crate) fn remove(&self, id: &str) {
        let k = self.key(id);
        // Its place in `order` stays until it is evicted; removing an absent key then is
        // harmless.
        self.lock().set.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_seen_until_evicted_and_removal_forgets() {
        let r = RecentIds::new(3);
        assert!(r.insert("a"));
        assert!(!r.insert("a"));
        assert!(r.insert("b") && r.insert("c"));
        assert!(!r.insert("b"));
        assert!(r.insert("d"), "a fourth id evicts the oldest");
        assert!(r.insert("a"), "a was evicted");
        r.remove("d");
        assert!(r.insert("d"));
        let off = RecentIds::new(0);
        assert!(off.insert("a") && off.insert("a"));
    }
}
