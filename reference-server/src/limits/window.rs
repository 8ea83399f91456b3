//! Fixed-window counters, as Mastodon's (Rack::Attack's) throttles count: the time is cut
//! into windows of the limit's period aligned on the Unix epoch, and each key counts its hits
//! in the current window; the count starts again at the next window.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use super::config::Rate;

/// Where a key stands after a hit (or a look).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The limit (requests per window).
    pub limit: u32,
    /// Hits in the current window, this one included.
    pub count: u32,
    /// When the current window ends (Unix milliseconds).
    pub reset_ms: u64,
}

impl Standing {
    /// Whether the limit is passed.
    pub fn exceeded(&self) -> bool {
        self.count > self.limit
    }
    /// How many are left in this window.
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.count)
    }
}

/// One limit's counters, keyed by `K` (a token, an account, an address), at most
/// `max_tracked` of them.
#[derive(Debug)]
pub struct WindowCounter<K> {
    rate: Rate,
    max_tracked: usize,
    /// Key → (window number, hits in it).
    counts: Mutex<HashMap<K, (u64, u32)>>,
}

impl<K: Hash + Eq + Copy> WindowCounter<K> {
    /// Counters for `rate`, keeping at most `max_tracked` keys.
    pub fn new(rate: Rate, max_tracked: usize) -> Self {
        WindowCounter {
            rate,
            max_tracked: max_tracked.max(16),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this counter limits anything.
    pub fn is_on(&self) -> bool {
        self.rate.is_on()
    }

    fn window(&self, now_ms: u64) -> (u64, u64) {
        let period = self.rate.period_ms();
        let window = now_ms / period;
        (window, (window + 1).saturating_mul(period))
    }

    /// Counts one hit of `key` at `now_ms`.
    pub fn hit(&self, key: K, now_ms: u64) -> Standing {
        self.add(key, now_ms, 1)
    }

    /// Where `key` stands at `now_ms`, without counting.
    pub fn peek(&self, key: K, now_ms: u64) -> Standing {
        self.add(key, now_ms, 0)
    }

    /// Takes one hit of `key` back (an attempt that turned out not to count).
    pub fn undo(&self, key: K, now_ms: u64) {
        let (window, _) = self.window(now_ms);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((w, n)) = counts.get_mut(&key) {
            if *w == window {
                *n = n.saturating_sub(1);
            }
        }
    }

    fn add(&self, key: K, now_ms: u64, n: u32) -> Standing {
        let (window, reset_ms) = self.window(now_ms);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = match counts.get_mut(&key) {
            Some((w, c)) => {
                if *w != window {
                    *w = window;
                    *c = 0;
                }
                *c = c.saturating_add(n);
                *c
            }
            None if n == 0 => 0,
            None => {
                if counts.len() >= self.max_tracked {
                    Self::make_room(&mut counts, window, self.max_tracked);
                }
                counts.insert(key, (window, n));
                n
            }
        };
        Standing {
            limit: self.rate.count,
            count,
            reset_ms,
        }
    }

    /// Drops the keys of past windows; if that is not enough, the least used keys, down to
    /// seven eighths of the bound (so that this runs once per many new keys, not each time).
    fn make_room(counts: &mut HashMap<K, (u64, u32)>, window: u64, max: usize) {
        counts.retain(|_, (w, _)| *w == window);
        let target = max - max / 8;
        if counts.len() < target {
            return;
        }
        let mut hits: Vec<u32> = counts.values().map(|(_, c)| *c).collect();
        let cut = counts.len() - target;
        let (_, threshold, _) = hits.select_nth_unstable(cut);
        let threshold = *threshold;
        let mut dropped = 0;
        counts.retain(|_, (_, c)| {
            if dropped < cut && *c <= threshold {
                dropped += 1;
                false
            } else {
                true
            }
        });
    }

    /// How many keys are tracked.
    pub fn tracked(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_a_window_and_starts_again_in_the_next() {
        let c = WindowCounter::new(Rate::new(3, 60), 100);
        let t0 = 120_000; // a window's start
        assert_eq!(
            c.hit(1u8, t0),
            Standing {
                limit: 3,
                count: 1,
                reset_ms: 180_000
            }
        );
        assert_eq!(c.hit(1, t0 + 10).remaining(), 1);
        assert_eq!(c.hit(2, t0 + 10).remaining(), 2, "keys count apart");
        assert_eq!(c.hit(1, t0 + 59_999).remaining(), 0);
        assert!(!c.peek(1, t0 + 59_999).exceeded());
        assert!(c.hit(1, t0 + 59_999).exceeded());
        c.undo(1, t0 + 59_999);
        assert_eq!(c.peek(1, t0 + 59_999).count, 3);
        let next = c.hit(1, t0 + 60_000);
        assert_eq!((next.count, next.reset_ms), (1, 240_000));
    }

    #[test]
    fn the_map_stays_bounded() {
        let c = WindowCounter::new(Rate::new(3, 60), 1000);
        // A key used often survives the sweeps that many one-off keys cause.
        for _ in 0..3 {
            c.hit(u32::MAX, 0);
        }
        for k in 0..50_000u32 {
            c.hit(k, 1000);
            assert!(c.tracked() <= 1000);
        }
        assert_eq!(c.peek(u32::MAX, 1000).count, 3);
        // A new window drops the old keys at the next sweep.
        for k in 100_000..101_000u32 {
            c.hit(k, 61_000);
        }
        assert!(c.tracked() <= 1000);
        assert_eq!(c.peek(0, 61_000).count, 0);
    }
}
