//! Token buckets per remote host, for the inboxes: a host may send a burst of the bucket's
//! size at once, and the bucket fills again at a steady rate. A delivery is looked at before
//! it is verified ([`HostBuckets::check`], one map lookup by the host its signature names)
//! and charged only once the engine accepted it ([`HostBuckets::charge`], by the verified
//! actor's host), so forged requests naming another host cannot use up that host's bucket.

use std::collections::HashMap;
use std::sync::Mutex;

use super::config::Rate;

/// A bucket: how full it is (in thousandths of a delivery) and when it was last filled.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    milli: u64,
    at_ms: u64,
}

/// The buckets of the hosts that delivered lately, at most `max_tracked` of them.
#[derive(Debug)]
pub struct HostBuckets {
    /// The size of a bucket, in thousandths.
    capacity_milli: u64,
    /// How long an empty bucket takes to fill, in milliseconds.
    period_ms: u64,
    max_tracked: usize,
    buckets: Mutex<HashMap<Box<str>, Bucket>>,
}

impl HostBuckets {
    /// Buckets of `rate.count` that fill again at `rate.count` per period.
    pub fn new(rate: Rate, max_tracked: usize) -> Self {
        HostBuckets {
            capacity_milli: u64::from(rate.count) * 1000,
            period_ms: rate.period_ms(),
            max_tracked: max_tracked.max(16),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this limits anything.
    pub fn is_on(&self) -> bool {
        self.capacity_milli > 0
    }

    fn refill(&self, b: &mut Bucket, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(b.at_ms);
        let added = u128::from(elapsed) * u128::from(self.capacity_milli)
            / u128::from(self.period_ms.max(1));
        b.milli = (u128::from(b.milli) + added).min(u128::from(self.capacity_milli)) as u64;
        b.at_ms = b.at_ms.max(now_ms);
    }

    /// `Ok` if `host` may deliver now; otherwise the seconds until it may (for
    /// `Retry-After`, at least 1).
    pub fn check(&self, host: &str, now_ms: u64) -> Result<(), u64> {
        if !self.is_on() {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(b) = buckets.get_mut(host) else {
            return Ok(());
        };
        self.refill(b, now_ms);
        if b.milli >= 1000 {
            return Ok(());
        }
        // Time to fill the missing thousandths.
        let missing = u128::from(1000 - b.milli);
        let ms = (missing * u128::from(self.period_ms)).div_ceil(u128::from(self.capacity_milli));
        Err((ms as u64).div_ceil(1000).max(1))
    }

    /// Takes one delivery from `host`'s bucket (never below empty).
    pub fn charge(&self, host: &str, now_ms: u64) {
        if !self.is_on() {
            return;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(host) {
            self.refill(b, now_ms);
            b.milli = b.milli.saturating_sub(1000);
            return;
        }
        if buckets.len() >= self.max_tracked {
            // Full buckets are as good as none: drop them first, then the fullest.
            self.make_room(&mut buckets, now_ms);
        }
        buckets.insert(
            host.into(),
            Bucket {
                milli: self.capacity_milli.saturating_sub(1000),
                at_ms: now_ms,
            },
        );
    }

    fn make_room(&self, buckets: &mut HashMap<Box<str>, Bucket>, now_ms: u64) {
        for b in buckets.values_mut() {
            self.refill(b, now_ms);
        }
        buckets.retain(|_, b| b.milli < self.capacity_milli);
        let target = self.max_tracked - self.max_tracked / 8;
        if buckets.len() < target {
            return;
        }
        let cut = buckets.len() - target;
        let mut levels: Vec<u64> = buckets.values().map(|b| b.milli).collect();
        levels.sort_unstable_by(|a, b| b.cmp(a));
        let threshold = levels[cut - 1];
        let mut dropped = 0;
        buckets.retain(|_, b| {
            if dropped < cut && b.milli >= threshold {
                dropped += 1;
                false
            } else {
                true
            }
        });
    }

    /// How many hosts are tracked.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        // 10 at once, then one a second.
        let b = HostBuckets::new(Rate::new(10, 10), 100);
        for _ in 0..10 {
            assert_eq!(b.check("a.example", 0), Ok(()));
            b.charge("a.example", 0);
        }
        assert_eq!(b.check("a.example", 0), Err(1));
        assert_eq!(b.check("b.example", 0), Ok(()), "hosts apart");
        assert_eq!(b.check("a.example", 999), Err(1));
        assert_eq!(b.check("a.example", 1000), Ok(()));
        b.charge("a.example", 1000);
        assert_eq!(b.check("a.example", 1500), Err(1));
        // Refilled, never past the size.
        assert_eq!(b.check("a.example", 1_000_000), Ok(()));
        for _ in 0..10 {
            b.charge("a.example", 1_000_000);
        }
        assert!(b.check("a.example", 1_000_000).is_err());
    }

    #[test]
    fn slow_refill_gives_a_longer_retry_after() {
        let b = HostBuckets::new(Rate::new(2, 60), 100);
        b.charge("h", 0);
        b.charge("h", 0);
        assert_eq!(b.check("h", 0), Err(30));
    }

    #[test]
    fn the_map_stays_bounded() {
        let b = HostBuckets::new(Rate::new(5, 60), 64);
        for i in 0..10_000 {
            b.charge(&format!("h{i}.example"), 0);
            assert!(b.tracked() <= 64);
        }
    }
}

/// The host (`host[:port]`, lower case) of the key a request's signature names: `keyId` of a
/// draft-cavage `Signature`, or `keyid` of an RFC 9421 `Signature-Input`. Not verified: it
/// only chooses which bucket to look at.
pub fn signature_host(headers: &http::HeaderMap) -> Option<std::borrow::Cow<'_, str>> {
    let value = headers
        .get("signature")
        .or_else(|| headers.get("signature-input"))?;
    let text = value.to_str().ok()?;
    let at = text.find("keyId=\"").or_else(|| text.find("keyid=\""))?;
    let key = &text[at + "keyId=\"".len()..];
    let key = &key[..key.find('"')?];
    let authority = key.split_once("://")?.1;
    let end = authority.find(['/', '#', '?']).unwrap_or(authority.len());
    let host = &authority[..end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host.is_empty() {
        return None;
    }
    Some(if host.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    })
}

#[cfg(test)]
mod signature_tests {
    use super::signature_host;

    fn host(name: &str, value: &str) -> Option<String> {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            value.parse().expect("value"),
        );
        signature_host(&h).map(|c| c.into_owned())
    }

    #[test]
    fn the_signing_key_names_the_host() {
        assert_eq!(
            host(
                "signature",
                "keyId=\"https://Mastodon.Example/users/a#main-key\",algorithm=\"rsa-sha256\""
            )
            .as_deref(),
            Some("mastodon.example")
        );
        assert_eq!(
            host(
                "signature-input",
                "sig1=(\"@method\");created=1;keyid=\"http://127.0.0.1:8080/actor#k\""
            )
            .as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(host("signature", "keyId=\"not a url\""), None);
        assert_eq!(host("signature", "keyId=\"https://"), None);
        assert_eq!(host("signature", "headers=\"date\""), None);
    }
}
