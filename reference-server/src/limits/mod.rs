//! Rate limits, with Mastodon's defaults: client-API requests per token, per account and
//! (without a token) per client address; posting, following, deleting and media uploads per
//! account; sign-ups per address; failed sign-ins per address and per account name; and
//! inbox deliveries per remote host.
//!
//! - [`config`]: the settings (`[rate_limits]`, `WOOLLY_RATE_LIMIT_*`).
//! - [`window`]: fixed-window counters as Mastodon's throttles count (client API, sign-ins).
//! - [`bucket`]: token buckets per remote host (inboxes).
//!
//! All of it lives in memory, in maps bounded by
//! [`max_tracked`](config::RateLimitConfig::max_tracked), and reads the time from the
//! instance's clock, so tests move time instead of sleeping. The counts are per process: a
//! restart starts them again, as Mastodon's would with an emptied Redis.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};

use activitypub_core::engine::IpNet;
use http::HeaderMap;

pub mod bucket;
pub mod config;
pub mod window;

pub use bucket::HostBuckets;
pub use config::{Rate, RateLimitConfig};
pub use window::{Standing, WindowCounter};

/// The address a request came from, as the server accepted it (a request extension set by
/// the router; in-process callers may set it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// The instance's limits and their counters.
#[derive(Debug)]
pub struct Limiter {
    enabled: bool,
    trusted_proxies: Vec<IpNet>,
    hasher: RandomState,
    /// Client-API requests per token (keyed by a hash of the token).
    pub api_per_token: WindowCounter<u64>,
    /// Client-API requests per account.
    pub api_per_account: WindowCounter<u64>,
    /// Client-API requests without a signed-in account, per address.
    pub api_per_ip: WindowCounter<IpAddr>,
    /// Media uploads per account.
    pub media_uploads: WindowCounter<u64>,
    /// Deletes per account.
    pub deletes: WindowCounter<u64>,
    /// New statuses per account.
    pub statuses: WindowCounter<u64>,
    /// Follows per account.
    pub follows: WindowCounter<u64>,
    /// Sign-ups per address.
    pub sign_ups: WindowCounter<IpAddr>,
    /// Failed sign-ins per address.
    pub login_per_ip: WindowCounter<IpAddr>,
    /// Failed sign-ins per account name (keyed by a hash of the lower-cased name).
    pub login_per_account: WindowCounter<u64>,
    /// Inbox deliveries per remote host.
    pub inbox: HostBuckets,
}

impl Limiter {
    /// The limits of `config`, and trusting `X-Forwarded-For` from `trusted_proxies` (CIDRs,
    /// already validated; an invalid one is skipped).
    pub fn new(config: &RateLimitConfig, trusted_proxies: &[String]) -> Self {
        let max = config.max_tracked;
        Limiter {
            enabled: config.enabled,
            trusted_proxies: trusted_proxies
                .iter()
                .filter_map(|c| IpNet::parse(c).ok())
                .collect(),
            hasher: RandomState::new(),
            api_per_token: WindowCounter::new(config.api_per_token, max),
            api_per_account: WindowCounter::new(config.api_per_account, max),
            api_per_ip: WindowCounter::new(config.api_per_ip, max),
            media_uploads: WindowCounter::new(config.media_uploads, max),
            deletes: WindowCounter::new(config.deletes, max),
            statuses: WindowCounter::new(config.statuses, max),
            follows: WindowCounter::new(config.follows, max),
            sign_ups: WindowCounter::new(config.sign_ups, max),
            login_per_ip: WindowCounter::new(config.login_failures_per_ip, max),
            login_per_account: WindowCounter::new(config.login_failures_per_account, max),
            inbox: HostBuckets::new(config.inbox_per_host, max),
        }
    }

    /// Whether any limit applies.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// A hash of a secret or a name, to key counters without keeping the text.
    pub fn key_of(&self, text: &str) -> u64 {
        self.hasher.hash_one(text)
    }

    /// The client's address: the peer's, or — when the peer is a trusted proxy — the last
    /// address of `X-Forwarded-For` that is not itself a trusted proxy. IPv6 addresses are
    /// cut to their /64, as Mastodon throttles them (one host usually holds a whole /64).
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        let mut ip = canonical(peer?.ip());
        if self.trusted(ip) {
            let forwarded = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect::<Vec<_>>();
            for hop in forwarded.iter().rev() {
                let Ok(hop) = hop.parse::<IpAddr>() else {
                    // A malformed hop: stop at the last address known good.
                    break;
                };
                ip = canonical(hop);
                if !self.trusted(ip) {
                    break;
                }
            }
        }
        Some(throttle_key(ip))
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(ip))
    }
}

/// An IPv4 address mapped into IPv6 as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The address a throttle counts by: IPv4 as is, IPv6 cut to its /64.
pub fn throttle_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

/// A time as Mastodon writes `X-RateLimit-Reset`: ISO 8601 in UTC with microseconds
/// (`2026-12-07T18:05:00.000000Z`).
pub fn reset_header(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(trusted: &[&str]) -> Limiter {
        let trusted: Vec<String> = trusted.iter().map(|s| (*s).to_owned()).collect();
        Limiter::new(&RateLimitConfig::default(), &trusted)
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().expect("header"));
        h
    }

    #[test]
    fn the_client_address_is_the_peer_unless_it_is_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        let headers = xff("203.0.113.9");
        let none = limiter(&[]);
        assert_eq!(
            none.client_ip(&headers, Some(peer)),
            Some("10.0.0.1".parse().expect("ip")),
            "X-Forwarded-For is not believed by default"
        );
        assert_eq!(none.client_ip(&headers, None), None);
        let proxied = limiter(&["10.0.0.0/8"]);
        assert_eq!(
            proxied.client_ip(&headers, Some(peer)),
            Some("203.0.113.9".parse().expect("ip"))
        );
        // The last hop not a proxy is the client; what a client wrote before it is ignored.
        let chain = xff("198.51.100.1, 203.0.113.9, 10.0.0.7");
        assert_eq!(
            proxied.client_ip(&chain, Some(peer)),
            Some("203.0.113.9".parse().expect("ip"))
        );
        assert_eq!(
            proxied.client_ip(&xff("junk"), Some(peer)),
            Some("10.0.0.1".parse().expect("ip"))
        );
        // IPv6 by /64; IPv4-mapped as IPv4.
        let v6: SocketAddr = "[2001:db8:1:2:3:4:5:6]:1".parse().expect("addr");
        assert_eq!(
            none.client_ip(&HeaderMap::new(), Some(v6)),
            Some("2001:db8:1:2::".parse().expect("ip"))
        );
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:1".parse().expect("addr");
        assert_eq!(
            none.client_ip(&HeaderMap::new(), Some(mapped)),
            Some("192.0.2.1".parse().expect("ip"))
        );
    }

    #[test]
    fn reset_is_written_as_mastodon_writes_it() {
        assert_eq!(
            reset_header(1_796_666_700_000),
            "2026-12-07T18:05:00.000000Z"
        );
        assert_eq!(reset_header(1_500), "1970-01-01T00:00:01.500000Z");
    }
}
