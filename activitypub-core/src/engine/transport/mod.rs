//! The network seam: [`Transport`] sends one HTTP request and returns the response.
//!
//! Two implementations ship with the crate:
//! - [`HyperTransport`](hyper::HyperTransport) (feature `hyper-transport`, on by default):
//!   hyper + hyper-util with rustls (ring provider, web PKI roots) for `https`, plain `http`
//!   where the configuration allows it, and an SSRF guard that checks the *resolved* address at
//!   connect time against [`AddressPolicy`].
//! - [`MemoryNetwork`](memory::MemoryNetwork): several engines (or any request handlers) in
//!   one process, addressed by host name, with seeded, reproducible faults.
//!
//! A transport never follows redirects: the engine's fetcher does, so that every hop goes
//! through the same connect-time checks.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

pub use crate::error::TransportErrorKind;
use crate::Error;

#[cfg(feature = "hyper-transport")]
pub mod hyper;
pub mod memory;

/// Limits for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendOptions {
    /// The whole exchange (connect, send, read the full response) must finish within this.
    pub timeout: Duration,
    /// A response body longer than this fails with
    /// [`TransportErrorKind::ResponseTooLarge`] (reading stops there).
    pub max_response_bytes: usize,
}

impl SendOptions {
    /// `timeout` and `max_response_bytes`.
    pub fn new(timeout: Duration, max_response_bytes: usize) -> Self {
        SendOptions {
            timeout,
            max_response_bytes,
        }
    }
}

impl Default for SendOptions {
    /// 10 seconds, 1 MiB.
    fn default() -> Self {
        SendOptions::new(Duration::from_secs(10), 1 << 20)
    }
}

/// Sends HTTP requests. Implementations must be cheap to share (`Arc`) and safe to call
/// concurrently.
///
/// Errors are [`Error::Transport`] with a [`TransportErrorKind`]; an HTTP error status is
/// *not* an error (it is returned as a response).
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` (its URI is absolute: scheme, host, path) and returns the whole
    /// response, within `options`.
    async fn send(
        &self,
        request: http::Request<Bytes>,
        options: &SendOptions,
    ) -> Result<http::Response<Bytes>, Error>;
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        options: &SendOptions,
    ) -> Result<http::Response<Bytes>, Error> {
        (**self).send(request, options).await
    }
}

/// An IP network in CIDR notation (`127.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// The network `addr/prefix`; `None` if the prefix is longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    /// Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a single-host network).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::Config(format!("bad CIDR {s:?}: {reason}"));
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| bad("not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .map_err(|_| bad("bad prefix length"))?,
            None => max,
        };
        IpNet::new(addr, prefix).ok_or_else(|| bad("prefix longer than the address"))
    }

    /// Whether `ip` is inside this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl std::str::FromStr for IpNet {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        IpNet::parse(s)
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Which addresses outgoing connections may reach: the SSRF guard.
///
/// By default every public unicast address is allowed, and these are denied: loopback,
/// private (RFC 1918, IPv6 unique-local), link-local, shared (CGNAT, `100.64.0.0/10`),
/// multicast, broadcast, unspecified, documentation and other reserved ranges. Networks in
/// [`allow`](AddressPolicy::allow) are allowed even if they fall in a denied range (for
/// example `127.0.0.0/8` in tests and local development); the list is empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddressPolicy {
    /// Networks allowed although they are not public.
    pub allow: Vec<IpNet>,
}

impl AddressPolicy {
    /// The default policy: public addresses only.
    pub fn public_only() -> Self {
        AddressPolicy::default()
    }

    /// Also allows `net` (builder style).
    pub fn allowing(mut self, net: IpNet) -> Self {
        self.allow.push(net);
        self
    }

    /// Whether a connection to `ip` is allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|n| n.contains(ip)) || is_public(canonical(ip))
    }
}

/// Whether `ip` is a public unicast address (see [`AddressPolicy`] for what is not).
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 IETF
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
                || o[0] >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 (may reach private v4)
                || (s[0] == 0x2002)) // 6to4 (may reach private v4)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn default_policy_denies_internal_ranges() {
        let p = AddressPolicy::default();
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!p.permits(bad.parse().unwrap()), "{bad} must be denied");
        }
        for good in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(p.permits(good.parse().unwrap()), "{good} must be allowed");
        }
    }

    #[test]
    fn allow_list_opens_exactly_its_networks() {
        let p = AddressPolicy::default().allowing(IpNet::parse("127.0.0.0/8").unwrap());
        assert!(p.permits("127.0.0.3".parse().unwrap()));
        assert!(p.permits("::ffff:127.0.0.3".parse().unwrap()));
        assert!(!p.permits("::1".parse().unwrap()));
        assert!(!p.permits("10.0.0.1".parse().unwrap()));
        let one = AddressPolicy::default().allowing(IpNet::parse("127.0.0.2").unwrap());
        assert!(one.permits("127.0.0.2".parse().unwrap()));
        assert!(!one.permits("127.0.0.3".parse().unwrap()));
    }

    #[test]
    fn cidr_parsing_rejects_nonsense() {
        for bad in ["", "x", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0/8"] {
            assert!(IpNet::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            IpNet::parse("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert!(IpNet::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
    }
}
