//! An in-process network: several engines (or any request handlers) in one process,
//! addressed by the URI's authority, with seeded, reproducible faults.
//!
//! [`MemoryNetwork`] implements [`Transport`]. Each host is registered with
//! [`serve`](MemoryNetwork::serve) under its authority (`a.test`, `b.test:8080`) with a
//! [`MemoryHandler`]: anything with `async fn handle(&self, Request<Bytes>) -> Response<Bytes>`,
//! including async closures. A request goes to the handler registered for its URI's authority
//! (lower-cased; the scheme's default port, `:443` for `https` and `:80` for `http`, is
//! dropped); an unregistered authority fails with [`TransportErrorKind::Dns`].
//!
//! # Faults
//!
//! [`Faults`] (a network-wide default, [`set_faults`](MemoryNetwork::set_faults), replaced
//! for one host by [`set_host_faults`](MemoryNetwork::set_host_faults)) gives probabilities
//! for:
//! - **drop**: the request fails at once with [`TransportErrorKind::Connect`]; the handler
//!   is not called;
//! - **timeout**: after [`Faults::timeout_after`] (default 0, capped by
//!   [`SendOptions::timeout`]) the request fails with [`TransportErrorKind::Timeout`]; the
//!   handler is not called;
//! - **5xx**: after the latency, the caller gets `503 Service Unavailable`; the handler is
//!   not called;
//!
//! and a [`Latency`] (fixed or a range) slept before the request reaches its handler.
//! Per-host states override everything: [`dead`](MemoryNetwork::dead) (every request fails
//! with `Connect`), [`gone`](MemoryNetwork::gone) (every request answers `410 Gone`, after
//! the latency), [`slow`](MemoryNetwork::slow) (a delay added to the latency);
//! [`heal`](MemoryNetwork::heal) clears the state.
//!
//! ## Reproducibility
//!
//! A fault decision does **not** depend on the order in which concurrent requests run. Each
//! decision is a pure function of the network's seed, the request's method, its full URI, a
//! hash of its body, and the number of times this same (method, URI, body) was sent before
//! on this network (its *ordinal*), mixed with a fixed 64-bit hash (FNV-1a and the SplitMix64
//! finaliser, written here, so the pattern is the same on every platform and Rust version).
//! Headers (`Date`, signatures) are not part of the key, so a retry of the same delivery gets
//! the next ordinal and a fresh decision. Same seed and same requests ⇒ same faults, whatever
//! the interleaving. (Two *identical* requests in flight at the same moment get ordinals 0
//! and 1 in whichever order they reach the network; the pair of outcomes is the same, which
//! caller gets which is not.) Each fault kind and the latency draw from separate streams, so
//! changing one probability does not move the others.
//!
//! # Timeouts, limits and panics
//!
//! [`SendOptions::timeout`] bounds the latency plus the handler; when it expires the caller
//! gets [`TransportErrorKind::Timeout`]. As with a real server, a handler that has already
//! started keeps running to completion after the caller gave up (so a delivery can arrive
//! although the sender saw a timeout). A response body longer than
//! [`SendOptions::max_response_bytes`] fails with [`TransportErrorKind::ResponseTooLarge`].
//! Handlers run in a spawned tokio task; a handler that panics does not take the network
//! down: the caller gets `500 Internal Server Error` (outcome [`Outcome::Panicked`]).
//!
//! # Observability
//!
//! [`stats`](MemoryNetwork::stats) returns a snapshot of counters per host and overall,
//! including the number of requests in flight and the peak of that number (per host and
//! overall) so that tests can assert concurrency bounds;
//! [`host_stats`](MemoryNetwork::host_stats) reads one host.
//! [`log`](MemoryNetwork::log) returns every finished request ([`RequestRecord`]: authority,
//! method, path, outcome, start time, duration). The log keeps the most recent
//! [`DEFAULT_LOG_CAPACITY`] records (older ones are discarded and counted in
//! [`NetworkStats::log_discarded`]); [`set_log_capacity`](MemoryNetwork::set_log_capacity)
//! changes that, `0` disables the log; [`clear_log`](MemoryNetwork::clear_log) empties it.
//! The per-request ordinal table grows with the number of *distinct* requests sent.
//!
//! # Example
//!
//! ```
//! use activitypub_core::engine::transport::memory::{Faults, MemoryNetwork, Outcome};
//! use activitypub_core::engine::{SendOptions, Transport, TransportErrorKind};
//! use bytes::Bytes;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let net = MemoryNetwork::with_seed(42);
//! net.serve("a.test", |req: http::Request<Bytes>| async move {
//!     let body = format!("hello from {}", req.uri().path());
//!     http::Response::new(Bytes::from(body))
//! });
//!
//! let get = |uri: &str| http::Request::get(uri).body(Bytes::new()).unwrap();
//! let options = SendOptions::default();
//!
//! let response = net.send(get("https://a.test/users/alice"), &options).await.unwrap();
//! assert_eq!(response.body().as_ref(), b"hello from /users/alice");
//!
//! // Unknown hosts do not resolve.
//! let err = net.send(get("https://nowhere.test/"), &options).await.unwrap_err();
//! assert!(err.is_transport(TransportErrorKind::Dns));
//!
//! // Inject a fault: every request to a.test is now dropped.
//! net.set_host_faults("a.test", Faults::none().with_drop(1.0));
//! let err = net.send(get("https://a.test/users/alice"), &options).await.unwrap_err();
//! assert!(err.is_transport(TransportErrorKind::Connect));
//!
//! let stats = net.host_stats("a.test").unwrap();
//! assert_eq!((stats.requests, stats.handled, stats.dropped), (2, 1, 1));
//! assert_eq!(net.log().last().unwrap().outcome, Outcome::Dropped);
//! # }
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use tokio::time::Instant;

use super::{SendOptions, Transport, TransportErrorKind};
use crate::Error;

/// How many [`RequestRecord`]s the log keeps by default (the most recent ones).
pub const DEFAULT_LOG_CAPACITY: usize = 100_000;

/// A host on a [`MemoryNetwork`]: answers one request.
///
/// Implemented for every `Fn(Request<Bytes>) -> impl Future<Output = Response<Bytes>>`
/// (async closures); implement it for your own type (an engine) directly. The request's URI
/// is absolute, as the sender gave it.
#[async_trait]
pub trait MemoryHandler: Send + Sync + 'static {
    /// Answers `request`.
    async fn handle(&self, request: Request<Bytes>) -> Response<Bytes>;
}

#[async_trait]
impl<F, Fut> MemoryHandler for F
where
    F: Fn(Request<Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Bytes>> + Send + 'static,
{
    async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        (self)(request).await
    }
}

/// A delay applied to each request before it reaches its handler: uniformly drawn from
/// `min..=max` (reproducibly, see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Latency {
    /// The shortest delay.
    pub min: Duration,
    /// The longest delay (if below `min`, the two are swapped).
    pub max: Duration,
}

impl Latency {
    /// No delay.
    pub fn none() -> Self {
        Latency::default()
    }

    /// Always `delay`.
    pub fn fixed(delay: Duration) -> Self {
        Latency {
            min: delay,
            max: delay,
        }
    }

    /// Uniformly between `min` and `max`, inclusive.
    pub fn between(min: Duration, max: Duration) -> Self {
        Latency { min, max }
    }

    fn sample(&self, u: f64) -> Duration {
        let (lo, hi) = if self.max < self.min {
            (self.max, self.min)
        } else {
            (self.min, self.max)
        };
        let span = hi.saturating_sub(lo).as_nanos() as f64;
        lo + Duration::from_nanos((span * u).round() as u64)
    }
}

/// Fault probabilities and latency for a host (or the network-wide default).
///
/// Probabilities are clamped to `0.0..=1.0` (NaN counts as 0). Checked in this order, each
/// from its own random stream: drop, timeout, 5xx.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Faults {
    /// Probability that a request fails at once with [`TransportErrorKind::Connect`].
    pub drop: f64,
    /// Probability that a request fails with [`TransportErrorKind::Timeout`] after
    /// [`timeout_after`](Faults::timeout_after).
    pub timeout: f64,
    /// How long an injected timeout takes (capped by [`SendOptions::timeout`]); default 0.
    pub timeout_after: Duration,
    /// Probability that a request gets `503 Service Unavailable` without reaching the
    /// handler.
    pub server_error: f64,
    /// The delay before each request reaches its handler.
    pub latency: Latency,
}

impl Faults {
    /// No faults, no latency.
    pub fn none() -> Self {
        Faults::default()
    }

    /// Sets the drop probability.
    pub fn with_drop(mut self, probability: f64) -> Self {
        self.drop = probability;
        self
    }

    /// Sets the timeout probability.
    pub fn with_timeout(mut self, probability: f64) -> Self {
        self.timeout = probability;
        self
    }

    /// Sets how long an injected timeout takes.
    pub fn with_timeout_after(mut self, after: Duration) -> Self {
        self.timeout_after = after;
        self
    }

    /// Sets the 5xx (503) probability.
    pub fn with_server_error(mut self, probability: f64) -> Self {
        self.server_error = probability;
        self
    }

    /// Sets the latency.
    pub fn with_latency(mut self, latency: Latency) -> Self {
        self.latency = latency;
        self
    }
}

/// What happened to one request, as recorded in the [log](MemoryNetwork::log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The handler answered with this status (and the caller got it).
    Status(StatusCode),
    /// The handler panicked; the caller got `500 Internal Server Error`.
    Panicked,
    /// Injected drop: [`TransportErrorKind::Connect`], handler not called.
    Dropped,
    /// Injected timeout: [`TransportErrorKind::Timeout`], handler not called.
    InjectedTimeout,
    /// Injected 5xx: the caller got `503`, handler not called.
    InjectedServerError,
    /// The host is [dead](MemoryNetwork::dead): [`TransportErrorKind::Connect`].
    Dead,
    /// The host is [gone](MemoryNetwork::gone): the caller got `410`.
    Gone,
    /// Failed for a reason that was not injected: unknown host ([`TransportErrorKind::Dns`]),
    /// invalid request, [`SendOptions::timeout`] expired, response too large.
    Error(TransportErrorKind),
}

impl Outcome {
    /// The status the caller got, if it got a response.
    pub fn status(self) -> Option<StatusCode> {
        match self {
            Outcome::Status(s) => Some(s),
            Outcome::Panicked => Some(StatusCode::INTERNAL_SERVER_ERROR),
            Outcome::InjectedServerError => Some(StatusCode::SERVICE_UNAVAILABLE),
            Outcome::Gone => Some(StatusCode::GONE),
            _ => None,
        }
    }

    /// The error the caller got, if it got no response.
    pub fn error_kind(self) -> Option<TransportErrorKind> {
        match self {
            Outcome::Dropped | Outcome::Dead => Some(TransportErrorKind::Connect),
            Outcome::InjectedTimeout => Some(TransportErrorKind::Timeout),
            Outcome::Error(kind) => Some(kind),
            _ => None,
        }
    }
}

/// One finished request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The order in which the request reached the network (0, 1, 2 …).
    pub seq: u64,
    /// The normalised authority (`a.test`, `b.test:8080`).
    pub authority: String,
    /// The method.
    pub method: http::Method,
    /// The path and query.
    pub path: String,
    /// How many times this same request (method, URI, body) was sent before.
    pub ordinal: u64,
    /// What happened.
    pub outcome: Outcome,
    /// When the request was sent, since the network was created (tokio time, so a paused
    /// test clock gives exact values).
    pub at: Duration,
    /// How long the exchange took.
    pub elapsed: Duration,
}

/// Counters for one authority.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostStats {
    /// Requests sent to this authority.
    pub requests: u64,
    /// Requests whose handler was called.
    pub handled: u64,
    /// Handler panics.
    pub panics: u64,
    /// Injected drops.
    pub dropped: u64,
    /// Injected timeouts.
    pub injected_timeouts: u64,
    /// Injected 503s.
    pub injected_server_errors: u64,
    /// Requests refused because the host is dead.
    pub dead: u64,
    /// 410s because the host is gone.
    pub gone: u64,
    /// Requests whose [`SendOptions::timeout`] expired.
    pub timeouts: u64,
    /// Other errors (unknown host, invalid request, response too large).
    pub errors: u64,
    /// Statuses the callers got (handler's, injected 503 and 410, 500 for panics).
    pub statuses: BTreeMap<u16, u64>,
    /// Requests in flight now.
    pub in_flight: usize,
    /// The largest number of requests in flight at once.
    pub peak_in_flight: usize,
}

/// A snapshot of a [`MemoryNetwork`]'s counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkStats {
    /// Requests sent.
    pub requests: u64,
    /// Requests in flight now.
    pub in_flight: usize,
    /// The largest number of requests in flight at once.
    pub peak_in_flight: usize,
    /// Counters per authority requested (including unknown ones).
    pub hosts: BTreeMap<String, HostStats>,
    /// Records in the log now.
    pub log_len: usize,
    /// Records discarded because the log was full.
    pub log_discarded: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Condition {
    Up,
    Dead,
    Gone,
    Slow(Duration),
}

#[derive(Default)]
struct Host {
    handler: Option<Arc<dyn MemoryHandler>>,
    faults: Option<Faults>,
    condition: Option<Condition>,
}

struct State {
    hosts: HashMap<String, Host>,
    faults: Faults,
    seen: HashMap<u64, u64>,
    seq: u64,
    requests: u64,
    in_flight: usize,
    peak_in_flight: usize,
    stats: HashMap<String, HostStats>,
    log: VecDeque<RequestRecord>,
    log_capacity: usize,
    log_discarded: u64,
}

struct Inner {
    seed: u64,
    created: Instant,
    state: Mutex<State>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the counters inconsistent in a way
        // that matters; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An in-process network of hosts with seeded, reproducible faults. Cheap to clone (shared
/// state). See the [module docs](self).
#[derive(Clone)]
pub struct MemoryNetwork {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MemoryNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.lock();
        let mut hosts: Vec<&String> = state.hosts.keys().collect();
        hosts.sort();
        f.debug_struct("MemoryNetwork")
            .field("seed", &self.inner.seed)
            .field("hosts", &hosts)
            .field("faults", &state.faults)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryNetwork {
    fn default() -> Self {
        MemoryNetwork::new()
    }
}

impl MemoryNetwork {
    /// An empty network with seed 0 and no faults.
    pub fn new() -> Self {
        MemoryNetwork::with_seed(0)
    }

    /// An empty network whose fault decisions derive from `seed`.
    pub fn with_seed(seed: u64) -> Self {
        MemoryNetwork {
            inner: Arc::new(Inner {
                seed,
                created: Instant::now(),
                state: Mutex::new(State {
                    hosts: HashMap::new(),
                    faults: Faults::none(),
                    seen: HashMap::new(),
                    seq: 0,
                    requests: 0,
                    in_flight: 0,
                    peak_in_flight: 0,
                    stats: HashMap::new(),
                    log: VecDeque::new(),
                    log_capacity: DEFAULT_LOG_CAPACITY,
                    log_discarded: 0,
                }),
            }),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// Registers (or replaces) the host at `authority` (`a.test`, `b.test:8080`;
    /// case-insensitive).
    pub fn serve(&self, authority: &str, handler: impl MemoryHandler) {
        self.serve_shared(authority, Arc::new(handler));
    }

    /// Registers (or replaces) the host at `authority` with a shared handler.
    pub fn serve_shared(&self, authority: &str, handler: Arc<dyn MemoryHandler>) {
        self.inner
            .lock()
            .hosts
            .entry(normalize(authority))
            .or_default()
            .handler = Some(handler);
    }

    /// Removes the host's handler: its name no longer resolves (unless it is
    /// [dead](Self::dead) or [gone](Self::gone)). Returns whether it was served.
    pub fn unserve(&self, authority: &str) -> bool {
        let mut state = self.inner.lock();
        state
            .hosts
            .get_mut(&normalize(authority))
            .and_then(|h| h.handler.take())
            .is_some()
    }

    /// Whether a handler is registered at `authority`.
    pub fn is_served(&self, authority: &str) -> bool {
        let state = self.inner.lock();
        state
            .hosts
            .get(&normalize(authority))
            .is_some_and(|h| h.handler.is_some())
    }

    /// Sets the network-wide default faults (hosts with their own keep theirs).
    pub fn set_faults(&self, faults: Faults) {
        self.inner.lock().faults = faults;
    }

    /// Sets the faults for one host, replacing the default for it.
    pub fn set_host_faults(&self, authority: &str, faults: Faults) {
        self.inner
            .lock()
            .hosts
            .entry(normalize(authority))
            .or_default()
            .faults = Some(faults);
    }

    /// Makes the host use the network-wide default faults again.
    pub fn clear_host_faults(&self, authority: &str) {
        if let Some(h) = self.inner.lock().hosts.get_mut(&normalize(authority)) {
            h.faults = None;
        }
    }

    fn set_condition(&self, authority: &str, condition: Condition) {
        self.inner
            .lock()
            .hosts
            .entry(normalize(authority))
            .or_default()
            .condition = Some(condition);
    }

    /// Every request to the host fails with [`TransportErrorKind::Connect`] until
    /// [`heal`](Self::heal).
    pub fn dead(&self, authority: &str) {
        self.set_condition(authority, Condition::Dead);
    }

    /// Every request to the host answers `410 Gone` (after the latency, without calling the
    /// handler) until [`heal`](Self::heal).
    pub fn gone(&self, authority: &str) {
        self.set_condition(authority, Condition::Gone);
    }

    /// Every request to the host is delayed by `delay` on top of the latency until
    /// [`heal`](Self::heal).
    pub fn slow(&self, authority: &str, delay: Duration) {
        self.set_condition(authority, Condition::Slow(delay));
    }

    /// Clears a [`dead`](Self::dead), [`gone`](Self::gone) or [`slow`](Self::slow) state.
    pub fn heal(&self, authority: &str) {
        self.set_condition(authority, Condition::Up);
    }

    /// A snapshot of all counters.
    pub fn stats(&self) -> NetworkStats {
        let state = self.inner.lock();
        NetworkStats {
            requests: state.requests,
            in_flight: state.in_flight,
            peak_in_flight: state.peak_in_flight,
            hosts: state
                .stats
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            log_len: state.log.len(),
            log_discarded: state.log_discarded,
        }
    }

    /// The counters of one authority, if it was ever requested.
    pub fn host_stats(&self, authority: &str) -> Option<HostStats> {
        self.inner.lock().stats.get(&normalize(authority)).cloned()
    }

    /// Resets the peak in-flight counts (overall and per host) to the current in-flight
    /// counts.
    pub fn reset_peaks(&self) {
        let mut state = self.inner.lock();
        state.peak_in_flight = state.in_flight;
        for s in state.stats.values_mut() {
            s.peak_in_flight = s.in_flight;
        }
    }

    /// The finished requests, oldest first (at most the log capacity).
    pub fn log(&self) -> Vec<RequestRecord> {
        self.inner.lock().log.iter().cloned().collect()
    }

    /// Removes and returns the log's records.
    pub fn take_log(&self) -> Vec<RequestRecord> {
        self.inner.lock().log.drain(..).collect()
    }

    /// Empties the log (counters are kept).
    pub fn clear_log(&self) {
        self.inner.lock().log.clear();
    }

    /// Keeps at most `capacity` records in the log (the most recent); `0` disables the log.
    pub fn set_log_capacity(&self, capacity: usize) {
        let mut state = self.inner.lock();
        state.log_capacity = capacity;
        while state.log.len() > capacity {
            state.log.pop_front();
            state.log_discarded += 1;
        }
    }

    async fn exchange(
        &self,
        request: Request<Bytes>,
        options: &SendOptions,
        authority: &str,
        url: &str,
    ) -> (Result<Response<Bytes>, Error>, Outcome, u64, u64) {
        let key = request_key(self.inner.seed, &request);
        let (seq, ordinal, handler, faults, condition) = {
            let mut state = self.inner.lock();
            let seq = state.seq;
            state.seq += 1;
            let seen = state.seen.entry(key).or_insert(0);
            let ordinal = *seen;
            *seen += 1;
            let (handler, faults, condition) = match state.hosts.get(authority) {
                Some(h) => (
                    h.handler.clone(),
                    h.faults.clone(),
                    h.condition.unwrap_or(Condition::Up),
                ),
                None => (None, None, Condition::Up),
            };
            let faults = faults.unwrap_or_else(|| state.faults.clone());
            (seq, ordinal, handler, faults, condition)
        };
        let fail = |kind: TransportErrorKind, reason: &str| {
            Err(Error::transport(
                kind,
                url,
                format!("{reason} (memory network)"),
            ))
        };

        if condition == Condition::Dead {
            return (
                fail(TransportErrorKind::Connect, "host is dead"),
                Outcome::Dead,
                seq,
                ordinal,
            );
        }
        if handler.is_none() && condition != Condition::Gone {
            return (
                fail(TransportErrorKind::Dns, "unknown host"),
                Outcome::Error(TransportErrorKind::Dns),
                seq,
                ordinal,
            );
        }
        let draw = |salt: u64| unit(mix(key ^ mix(ordinal ^ salt)));
        if draw(SALT_DROP) < probability(faults.drop) {
            return (
                fail(TransportErrorKind::Connect, "injected drop"),
                Outcome::Dropped,
                seq,
                ordinal,
            );
        }
        if draw(SALT_TIMEOUT) < probability(faults.timeout) {
            tokio::time::sleep(faults.timeout_after.min(options.timeout)).await;
            return (
                fail(TransportErrorKind::Timeout, "injected timeout"),
                Outcome::InjectedTimeout,
                seq,
                ordinal,
            );
        }
        let server_error = draw(SALT_5XX) < probability(faults.server_error);
        let mut delay = faults.latency.sample(draw(SALT_LATENCY));
        if let Condition::Slow(extra) = condition {
            delay += extra;
        }

        let answer = async move {
            tokio::time::sleep(delay).await;
            if condition == Condition::Gone {
                return (status_response(StatusCode::GONE), Outcome::Gone);
            }
            if server_error {
                return (
                    status_response(StatusCode::SERVICE_UNAVAILABLE),
                    Outcome::InjectedServerError,
                );
            }
            let Some(handler) = handler else {
                // Unreachable: checked above (no handler ⇒ gone or unknown).
                return (
                    status_response(StatusCode::BAD_GATEWAY),
                    Outcome::Status(StatusCode::BAD_GATEWAY),
                );
            };
            let task = tokio::spawn(async move { handler.handle(request).await });
            match task.await {
                Ok(response) => {
                    let status = response.status();
                    (response, Outcome::Status(status))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "memory network: handler panicked or was cancelled");
                    (
                        status_response(StatusCode::INTERNAL_SERVER_ERROR),
                        Outcome::Panicked,
                    )
                }
            }
        };
        match tokio::time::timeout(options.timeout, answer).await {
            Err(_) => (
                fail(TransportErrorKind::Timeout, "deadline expired"),
                Outcome::Error(TransportErrorKind::Timeout),
                seq,
                ordinal,
            ),
            Ok((response, outcome)) => {
                if response.body().len() > options.max_response_bytes {
                    return (
                        fail(
                            TransportErrorKind::ResponseTooLarge,
                            &format!(
                                "body of {} bytes exceeds {}",
                                response.body().len(),
                                options.max_response_bytes
                            ),
                        ),
                        Outcome::Error(TransportErrorKind::ResponseTooLarge),
                        seq,
                        ordinal,
                    );
                }
                (Ok(response), outcome, seq, ordinal)
            }
        }
    }
}

/// Decrements the in-flight counters when the exchange ends or the caller drops the future.
struct InFlight<'a> {
    inner: &'a Inner,
    authority: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some(s) = state.stats.get_mut(&self.authority) {
            s.in_flight = s.in_flight.saturating_sub(1);
        }
    }
}

#[async_trait]
impl Transport for MemoryNetwork {
    async fn send(
        &self,
        request: Request<Bytes>,
        options: &SendOptions,
    ) -> Result<Response<Bytes>, Error> {
        let url = request.uri().to_string();
        let started = Instant::now();
        let method = request.method().clone();
        let path = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let authority = match target_authority(request.uri()) {
            Ok(a) => a,
            Err(reason) => {
                let mut state = self.inner.lock();
                state.requests += 1;
                let seq = state.seq;
                state.seq += 1;
                let record = RequestRecord {
                    seq,
                    authority: String::new(),
                    method,
                    path,
                    ordinal: 0,
                    outcome: Outcome::Error(TransportErrorKind::InvalidRequest),
                    at: started.saturating_duration_since(self.inner.created),
                    elapsed: Duration::ZERO,
                };
                push_log(&mut state, record);
                return Err(Error::transport(
                    TransportErrorKind::InvalidRequest,
                    url,
                    reason,
                ));
            }
        };

        let _guard = {
            let mut state = self.inner.lock();
            state.requests += 1;
            state.in_flight += 1;
            state.peak_in_flight = state.peak_in_flight.max(state.in_flight);
            let s = state.stats.entry(authority.clone()).or_default();
            s.requests += 1;
            s.in_flight += 1;
            s.peak_in_flight = s.peak_in_flight.max(s.in_flight);
            InFlight {
                inner: &self.inner,
                authority: authority.clone(),
            }
        };

        let (result, outcome, seq, ordinal) =
            self.exchange(request, options, &authority, &url).await;

        let mut state = self.inner.lock();
        let s = state.stats.entry(authority.clone()).or_default();
        match outcome {
            Outcome::Status(_) => s.handled += 1,
            Outcome::Panicked => {
                s.handled += 1;
                s.panics += 1;
            }
            Outcome::Dropped => s.dropped += 1,
            Outcome::InjectedTimeout => s.injected_timeouts += 1,
            Outcome::InjectedServerError => s.injected_server_errors += 1,
            Outcome::Dead => s.dead += 1,
            Outcome::Gone => s.gone += 1,
            Outcome::Error(TransportErrorKind::Timeout) => s.timeouts += 1,
            Outcome::Error(TransportErrorKind::ResponseTooLarge) => {
                s.handled += 1;
                s.errors += 1;
            }
            Outcome::Error(_) => s.errors += 1,
        }
        if let Some(status) = outcome.status() {
            *s.statuses.entry(status.as_u16()).or_insert(0) += 1;
        }
        let record = RequestRecord {
            seq,
            authority,
            method,
            path,
            ordinal,
            outcome,
            at: started.saturating_duration_since(self.inner.created),
            elapsed: started.elapsed(),
        };
        push_log(&mut state, record);
        drop(state);
        result
    }
}

fn push_log(state: &mut State, record: RequestRecord) {
    if state.log_capacity == 0 {
        return;
    }
    while state.log.len() >= state.log_capacity {
        state.log.pop_front();
        state.log_discarded += 1;
    }
    state.log.push_back(record);
}

fn status_response(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

/// Lower-cases an authority as given to `serve` and friends.
fn normalize(authority: &str) -> String {
    authority.trim().to_ascii_lowercase()
}

/// The normalised authority a request goes to, or why it cannot be sent.
fn target_authority(uri: &http::Uri) -> Result<String, String> {
    let scheme = uri
        .scheme_str()
        .ok_or_else(|| "the URI is not absolute (no scheme)".to_owned())?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "http" => 80,
        other => return Err(format!("unsupported scheme {other:?}")),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| "the URI has no host".to_owned())?;
    let host = authority.host().to_ascii_lowercase();
    if host.is_empty() {
        return Err("the URI has no host".to_owned());
    }
    Ok(match authority.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host,
    })
}

const SALT_DROP: u64 = 0x6472_6f70_0000_0001;
const SALT_TIMEOUT: u64 = 0x7469_6d65_0000_0002;
const SALT_5XX: u64 = 0x3578_7800_0000_0003;
const SALT_LATENCY: u64 = 0x6c61_7465_0000_0004;

/// FNV-1a, 64 bits.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// The SplitMix64 finaliser: a bijective 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform number in `[0, 1)` from 64 random bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

fn probability(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// The identity of a request for fault decisions: seed, method, URI, body.
fn request_key(seed: u64, request: &Request<Bytes>) -> u64 {
    let body = fnv1a(FNV_OFFSET, request.body());
    let mut h = fnv1a(FNV_OFFSET, &seed.to_le_bytes());
    h = fnv1a(h, request.method().as_str().as_bytes());
    h = fnv1a(h, &[0xff]);
    h = fnv1a(h, request.uri().to_string().as_bytes());
    h = fnv1a(h, &[0xff]);
    h = fnv1a(h, &body.to_le_bytes());
    mix(h)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use futures::future::join_all;

    fn get(uri: &str) -> Request<Bytes> {
        Request::get(uri).body(Bytes::new()).unwrap()
    }

    fn post(uri: &str, body: &'static str) -> Request<Bytes> {
        Request::post(uri)
            .body(Bytes::from_static(body.as_bytes()))
            .unwrap()
    }

    /// A handler that answers `<name> <method> <path> <body>`.
    fn echo(net: &MemoryNetwork, authority: &'static str) {
        net.serve(authority, move |req: Request<Bytes>| async move {
            let text = format!(
                "{authority} {} {} {}",
                req.method(),
                req.uri().path(),
                String::from_utf8_lossy(req.body())
            );
            Response::new(Bytes::from(text))
        });
    }

    async fn body_of(net: &MemoryNetwork, req: Request<Bytes>) -> String {
        let resp = net.send(req, &SendOptions::default()).await.unwrap();
        String::from_utf8(resp.body().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn routes_by_authority() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        echo(&net, "b.test:8080");
        echo(&net, "b.test");
        assert_eq!(
            body_of(&net, get("https://a.test/users/alice")).await,
            "a.test GET /users/alice "
        );
        assert_eq!(
            body_of(&net, post("http://B.TEST:8080/inbox", "{}")).await,
            "b.test:8080 POST /inbox {}"
        );
        // The scheme's default port is the bare host.
        assert_eq!(
            body_of(&net, get("https://b.test:443/x")).await,
            "b.test GET /x "
        );
        assert_eq!(
            body_of(&net, get("http://b.test:80/y")).await,
            "b.test GET /y "
        );
        // A clone is the same network.
        let clone = net.clone();
        assert_eq!(
            body_of(&clone, get("https://a.test/")).await,
            "a.test GET / "
        );
        let stats = net.stats();
        assert_eq!(stats.requests, 5);
        assert_eq!(stats.hosts["b.test"].handled, 2);
        assert_eq!(stats.hosts["b.test:8080"].statuses[&200], 1);
        let log = net.log();
        assert_eq!(log.len(), 5);
        assert_eq!(log[1].authority, "b.test:8080");
        assert_eq!(log[1].method, http::Method::POST);
        assert_eq!(log[1].path, "/inbox");
        assert_eq!(log[1].outcome, Outcome::Status(StatusCode::OK));
    }

    #[tokio::test]
    async fn unknown_host_and_unserve_are_dns_errors() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        let opts = SendOptions::default();
        let err = net.send(get("https://b.test/"), &opts).await.unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Dns), "{err}");
        // Another port is another authority.
        let err = net
            .send(get("https://a.test:8443/"), &opts)
            .await
            .unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Dns), "{err}");
        assert!(net.unserve("A.test"));
        assert!(!net.unserve("a.test"));
        assert!(!net.is_served("a.test"));
        let err = net.send(get("https://a.test/"), &opts).await.unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Dns), "{err}");
        assert_eq!(net.host_stats("a.test").unwrap().errors, 1);
        assert_eq!(
            net.log().last().unwrap().outcome,
            Outcome::Error(TransportErrorKind::Dns)
        );
    }

    #[tokio::test]
    async fn relative_and_non_http_uris_are_invalid() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        let opts = SendOptions::default();
        for uri in ["/inbox", "ftp://a.test/x"] {
            let err = net.send(get(uri), &opts).await.unwrap_err();
            assert!(
                err.is_transport(TransportErrorKind::InvalidRequest),
                "{uri}: {err}"
            );
        }
        assert_eq!(net.stats().requests, 2);
    }

    #[tokio::test]
    async fn drop_fault_skips_handler() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        net.set_faults(Faults::none().with_drop(1.0));
        let err = net
            .send(get("https://a.test/"), &SendOptions::default())
            .await
            .unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Connect), "{err}");
        let s = net.host_stats("a.test").unwrap();
        assert_eq!((s.requests, s.handled, s.dropped), (1, 0, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_fault_waits_then_fails_without_handler() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        net.set_host_faults(
            "a.test",
            Faults::none()
                .with_timeout(1.0)
                .with_timeout_after(Duration::from_secs(3)),
        );
        let t0 = Instant::now();
        let err = net
            .send(get("https://a.test/"), &SendOptions::default())
            .await
            .unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Timeout), "{err}");
        assert_eq!(t0.elapsed(), Duration::from_secs(3));
        // Capped by the request's own timeout.
        let t0 = Instant::now();
        let opts = SendOptions::new(Duration::from_secs(1), 1 << 20);
        let err = net.send(get("https://a.test/"), &opts).await.unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Timeout), "{err}");
        assert_eq!(t0.elapsed(), Duration::from_secs(1));
        let s = net.host_stats("a.test").unwrap();
        assert_eq!((s.handled, s.injected_timeouts), (0, 2));
        assert_eq!(net.log()[0].outcome, Outcome::InjectedTimeout);
        assert_eq!(net.log()[0].elapsed, Duration::from_secs(3));
    }

    #[tokio::test]
    async fn server_error_fault_answers_503_without_handler() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        echo(&net, "b.test");
        net.set_host_faults("a.test", Faults::none().with_server_error(1.0));
        let resp = net
            .send(get("https://a.test/"), &SendOptions::default())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        // b.test uses the (empty) default.
        assert_eq!(body_of(&net, get("https://b.test/")).await, "b.test GET / ");
        let s = net.host_stats("a.test").unwrap();
        assert_eq!((s.handled, s.injected_server_errors), (0, 1));
        assert_eq!(s.statuses[&503], 1);
        net.clear_host_faults("a.test");
        assert_eq!(body_of(&net, get("https://a.test/")).await, "a.test GET / ");
    }

    #[tokio::test(start_paused = true)]
    async fn latency_fixed_and_ranged() {
        let net = MemoryNetwork::with_seed(7);
        echo(&net, "a.test");
        net.set_faults(Faults::none().with_latency(Latency::fixed(Duration::from_millis(20))));
        let t0 = Instant::now();
        body_of(&net, get("https://a.test/")).await;
        assert_eq!(t0.elapsed(), Duration::from_millis(20));

        let (lo, hi) = (Duration::from_millis(10), Duration::from_millis(50));
        net.set_faults(Faults::none().with_latency(Latency::between(hi, lo)));
        let mut seen = Vec::new();
        for i in 0..50 {
            let t0 = Instant::now();
            body_of(&net, get(&format!("https://a.test/{i}"))).await;
            let d = t0.elapsed();
            assert!(d >= lo && d <= hi, "{d:?}");
            seen.push(d);
        }
        seen.sort();
        seen.dedup();
        assert!(seen.len() > 10, "latency should vary: {seen:?}");
        assert!(net.log()[1].elapsed >= lo);
    }

    #[tokio::test(start_paused = true)]
    async fn request_timeout_is_enforced() {
        let net = MemoryNetwork::new();
        net.serve("a.test", |_req: Request<Bytes>| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Response::new(Bytes::from_static(b"late"))
        });
        echo(&net, "b.test");
        net.set_host_faults(
            "b.test",
            Faults::none().with_latency(Latency::fixed(Duration::from_secs(5))),
        );
        let opts = SendOptions::new(Duration::from_secs(2), 1 << 20);
        let t0 = Instant::now();
        let err = net.send(get("https://a.test/"), &opts).await.unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Timeout), "{err}");
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
        // Latency counts against the deadline too.
        let err = net.send(get("https://b.test/"), &opts).await.unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Timeout), "{err}");
        let a = net.host_stats("a.test").unwrap();
        assert_eq!((a.timeouts, a.in_flight), (1, 0));
        assert_eq!(
            net.log()[1].outcome,
            Outcome::Error(TransportErrorKind::Timeout)
        );
    }

    #[tokio::test]
    async fn response_size_limit() {
        let net = MemoryNetwork::new();
        net.serve("a.test", |_req: Request<Bytes>| async {
            Response::new(Bytes::from(vec![b'x'; 100]))
        });
        let err = net
            .send(
                get("https://a.test/"),
                &SendOptions::new(Duration::from_secs(1), 99),
            )
            .await
            .unwrap_err();
        assert!(
            err.is_transport(TransportErrorKind::ResponseTooLarge),
            "{err}"
        );
        let ok = net
            .send(
                get("https://a.test/"),
                &SendOptions::new(Duration::from_secs(1), 100),
            )
            .await
            .unwrap();
        assert_eq!(ok.body().len(), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn dead_gone_slow_and_heal() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        let opts = SendOptions::default();

        net.dead("a.test");
        let err = net.send(get("https://a.test/"), &opts).await.unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Connect), "{err}");
        // A dead host need not be served: it resolves but does not answer.
        net.dead("ghost.test");
        let err = net
            .send(get("https://ghost.test/"), &opts)
            .await
            .unwrap_err();
        assert!(err.is_transport(TransportErrorKind::Connect), "{err}");

        net.gone("a.test");
        let resp = net
            .send(post("https://a.test/inbox", "{}"), &opts)
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::GONE);

        net.slow("a.test", Duration::from_secs(4));
        let t0 = Instant::now();
        assert_eq!(
            body_of(&net, get("https://a.test/s")).await,
            "a.test GET /s "
        );
        assert_eq!(t0.elapsed(), Duration::from_secs(4));

        net.heal("a.test");
        let t0 = Instant::now();
        assert_eq!(
            body_of(&net, get("https://a.test/h")).await,
            "a.test GET /h "
        );
        assert_eq!(t0.elapsed(), Duration::ZERO);

        let s = net.host_stats("a.test").unwrap();
        assert_eq!((s.requests, s.dead, s.gone, s.handled), (4, 1, 1, 2));
        let outcomes: Vec<Outcome> = net.log().iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Dead,
                Outcome::Dead,
                Outcome::Gone,
                Outcome::Status(StatusCode::OK),
                Outcome::Status(StatusCode::OK)
            ]
        );
    }

    #[tokio::test]
    async fn handler_panic_is_a_500_and_network_survives() {
        let net = MemoryNetwork::new();
        net.serve("a.test", |req: Request<Bytes>| async move {
            if req.uri().path() == "/boom" {
                panic!("handler bug");
            }
            Response::new(Bytes::from_static(b"fine"))
        });
        let opts = SendOptions::default();
        let resp = net.send(get("https://a.test/boom"), &opts).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body_of(&net, get("https://a.test/ok")).await, "fine");
        let s = net.host_stats("a.test").unwrap();
        assert_eq!((s.panics, s.handled, s.in_flight), (1, 2, 0));
        assert_eq!(net.log()[0].outcome, Outcome::Panicked);
    }

    struct Counter(std::sync::atomic::AtomicUsize);

    #[async_trait]
    impl MemoryHandler for Counter {
        async fn handle(&self, _request: Request<Bytes>) -> Response<Bytes> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            Response::new(Bytes::from(n.to_string()))
        }
    }

    #[tokio::test]
    async fn custom_handler_types_and_shared_handlers() {
        let net = MemoryNetwork::new();
        let counter = Arc::new(Counter(0.into()));
        net.serve_shared("a.test", counter.clone());
        net.serve_shared("b.test", counter.clone());
        assert_eq!(body_of(&net, get("https://a.test/")).await, "1");
        assert_eq!(body_of(&net, get("https://b.test/")).await, "2");
        net.serve("c.test", Counter(10.into()));
        assert_eq!(body_of(&net, get("https://c.test/")).await, "11");
    }

    fn faulty() -> Faults {
        Faults::none()
            .with_drop(0.2)
            .with_timeout(0.2)
            .with_server_error(0.2)
    }

    /// Sends `requests` (uri, body) in the given order, sequentially, and returns each
    /// request's outcomes in the order of its ordinals.
    async fn pattern_sequential(
        seed: u64,
        requests: &[(String, &'static str)],
    ) -> BTreeMap<(String, &'static str), Vec<Outcome>> {
        let net = MemoryNetwork::with_seed(seed);
        echo(&net, "a.test");
        echo(&net, "b.test");
        net.set_faults(faulty());
        for (uri, body) in requests {
            let _ = net.send(post(uri, body), &SendOptions::default()).await;
        }
        collect(&net)
    }

    async fn pattern_concurrent(
        seed: u64,
        requests: &[(String, &'static str)],
    ) -> BTreeMap<(String, &'static str), Vec<Outcome>> {
        let net = MemoryNetwork::with_seed(seed);
        echo(&net, "a.test");
        echo(&net, "b.test");
        net.set_faults(faulty());
        let opts = SendOptions::default();
        let tasks = requests.iter().map(|(uri, body)| {
            let net = net.clone();
            let req = post(uri, body);
            let opts = opts.clone();
            tokio::spawn(async move { net.send(req, &opts).await.is_ok() })
        });
        for r in join_all(tasks).await {
            r.unwrap();
        }
        collect(&net)
    }

    fn collect(net: &MemoryNetwork) -> BTreeMap<(String, &'static str), Vec<Outcome>> {
        let mut log = net.log();
        log.sort_by_key(|r| r.ordinal);
        let mut map: BTreeMap<(String, &'static str), Vec<Outcome>> = BTreeMap::new();
        for r in log {
            // The body is not in the record; the path encodes it in these tests.
            let key = (format!("https://{}{}", r.authority, r.path), "");
            map.entry(key).or_default().push(r.outcome);
        }
        map
    }

    fn workload() -> Vec<(String, &'static str)> {
        let mut v = Vec::new();
        // Same URI, same body each round: rounds are retries (ordinals 0, 1, 2).
        for _round in 0..3 {
            for i in 0..100 {
                let host = if i % 2 == 0 { "a.test" } else { "b.test" };
                v.push((format!("https://{host}/inbox/{i}"), "{\"id\":1}"));
            }
        }
        v
    }

    #[tokio::test]
    async fn same_seed_same_faults_in_any_order() {
        let forward = workload();
        let mut interleaved = forward.clone();
        interleaved.reverse();
        let a = pattern_sequential(99, &forward).await;
        let b = pattern_sequential(99, &interleaved).await;
        let c = pattern_concurrent(99, &forward).await;
        assert_eq!(a, b);
        assert_eq!(a, c);
        // The pattern is a real mix of faults.
        let all: Vec<Outcome> = a.values().flatten().copied().collect();
        assert_eq!(all.len(), 300);
        for kind in [
            Outcome::Dropped,
            Outcome::InjectedTimeout,
            Outcome::InjectedServerError,
            Outcome::Status(StatusCode::OK),
        ] {
            let n = all.iter().filter(|o| **o == kind).count();
            assert!(n > 20, "{kind:?} occurred {n} times");
        }
        // Retries of the same request get fresh decisions.
        assert!(a.values().any(|v| v[0] != v[1] || v[1] != v[2]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn same_seed_same_faults_on_a_multithreaded_runtime() {
        let w = workload();
        assert_eq!(
            pattern_sequential(5, &w).await,
            pattern_concurrent(5, &w).await
        );
    }

    #[tokio::test]
    async fn different_seed_different_faults() {
        let w = workload();
        let a = pattern_sequential(1, &w).await;
        let b = pattern_sequential(2, &w).await;
        let differing = a
            .values()
            .flatten()
            .zip(b.values().flatten())
            .filter(|(x, y)| x != y)
            .count();
        // With these probabilities two independent draws differ about 54% of the time.
        assert!(differing > 100, "only {differing} of 300 differ");
    }

    #[tokio::test]
    async fn body_and_method_are_part_of_the_request_identity() {
        let seed = 3;
        let key = |req: &Request<Bytes>| request_key(seed, req);
        let a = key(&post("https://a.test/inbox", "{\"id\":1}"));
        assert_eq!(a, key(&post("https://a.test/inbox", "{\"id\":1}")));
        assert_ne!(a, key(&post("https://a.test/inbox", "{\"id\":2}")));
        assert_ne!(a, key(&get("https://a.test/inbox")));
        assert_ne!(
            a,
            request_key(4, &post("https://a.test/inbox", "{\"id\":1}"))
        );
        // Headers are not.
        let mut signed = post("https://a.test/inbox", "{\"id\":1}");
        signed.headers_mut().insert(
            "date",
            http::HeaderValue::from_static("Sun, 22 Nov 2026 13:00:00 GMT"),
        );
        assert_eq!(a, key(&signed));
    }

    #[tokio::test]
    async fn ordinals_count_repeats() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        for _ in 0..3 {
            body_of(&net, post("https://a.test/inbox", "x")).await;
        }
        body_of(&net, post("https://a.test/inbox", "y")).await;
        let ordinals: Vec<u64> = net.log().iter().map(|r| r.ordinal).collect();
        assert_eq!(ordinals, [0, 1, 2, 0]);
        let seqs: Vec<u64> = net.log().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn peak_concurrency_per_host_and_overall() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        echo(&net, "b.test");
        net.set_faults(Faults::none().with_latency(Latency::fixed(Duration::from_millis(20))));
        let opts = SendOptions::default();
        // 5 at once to a.test, then 3 at once to a.test and 2 to b.test.
        let burst = |n: usize, host: &'static str| {
            (0..n)
                .map(|i| {
                    let net = net.clone();
                    let opts = opts.clone();
                    tokio::spawn(async move {
                        net.send(get(&format!("https://{host}/{i}")), &opts)
                            .await
                            .is_ok()
                    })
                })
                .collect::<Vec<_>>()
        };
        for r in join_all(burst(5, "a.test")).await {
            assert!(r.unwrap());
        }
        let s = net.stats();
        assert_eq!((s.peak_in_flight, s.in_flight), (5, 0));
        assert_eq!(s.hosts["a.test"].peak_in_flight, 5);

        net.reset_peaks();
        let mut both = burst(3, "a.test");
        both.extend(burst(2, "b.test"));
        for r in join_all(both).await {
            assert!(r.unwrap());
        }
        let s = net.stats();
        assert_eq!(s.peak_in_flight, 5);
        assert_eq!(s.hosts["a.test"].peak_in_flight, 3);
        assert_eq!(s.hosts["b.test"].peak_in_flight, 2);
        assert_eq!(s.hosts["a.test"].in_flight, 0);
        assert_eq!(s.requests, 10);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_send_leaves_no_in_flight_count() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        net.slow("a.test", Duration::from_secs(10));
        let opts = SendOptions::default();
        let fut = net.send(get("https://a.test/"), &opts);
        let r = tokio::time::timeout(Duration::from_secs(1), fut).await;
        assert!(r.is_err());
        let s = net.host_stats("a.test").unwrap();
        assert_eq!((s.in_flight, s.peak_in_flight), (0, 1));
    }

    #[tokio::test]
    async fn log_capacity_and_clear() {
        let net = MemoryNetwork::new();
        echo(&net, "a.test");
        net.set_log_capacity(3);
        for i in 0..5 {
            body_of(&net, get(&format!("https://a.test/{i}"))).await;
        }
        let paths: Vec<String> = net.log().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/2", "/3", "/4"]);
        assert_eq!(net.stats().log_discarded, 2);
        net.clear_log();
        assert!(net.log().is_empty());
        net.set_log_capacity(0);
        body_of(&net, get("https://a.test/x")).await;
        assert!(net.take_log().is_empty());
        // Counters are kept regardless of the log.
        assert_eq!(net.host_stats("a.test").unwrap().requests, 6);
        net.set_log_capacity(10);
        body_of(&net, get("https://a.test/y?q=1")).await;
        assert_eq!(net.take_log()[0].path, "/y?q=1");
        assert!(net.log().is_empty());
    }

    #[test]
    fn hash_is_stable() {
        // Fixed values: the fault pattern must not change across platforms or versions.
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(mix(0), 0xe220_a839_7b1d_cdaf);
        assert!((0..1000).all(|i| (0.0..1.0).contains(&unit(mix(i)))));
    }
}
