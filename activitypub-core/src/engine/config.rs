//! The engine's configuration.

use std::time::Duration;

use url::Url;

use crate::{Actor, Error, ObjectId};

/// How the engine behaves. Build with [`EngineConfig::new`] and adjust the public fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// The public base URL of this server (`https://wool.example`). Its scheme and authority
    /// are used to rebuild the target URI of received requests for signature checks, and to
    /// tell local actors from remote ones.
    pub base_url: Url,
    /// The instance actor (an `Application`) that signs fetches. Default `{base_url}/actor`,
    /// as Mastodon.
    pub instance_actor: ObjectId<Actor>,
    /// The largest inbox body accepted (default 1 MiB, as Mastodon). Larger: `413`.
    pub max_body_bytes: usize,
    /// The deepest JSON nesting accepted in a received body (default 32). Deeper: `400`.
    pub max_json_depth: usize,
    /// Signature policy for received requests (time window, what must be covered).
    pub verify_policy: http_sig::VerifyPolicy,
    /// How long an activity id is remembered for deduplication (default 7 days).
    pub dedupe_ttl: Duration,
    /// How many recently accepted activity ids the inbox keeps in memory to answer
    /// duplicates at once, when the store keeps the inbox queue in a journal (default 32,768,
    /// about 1.5 MB; see `StoreInfo::journals_queue`). Unused otherwise.
    pub recent_ids: usize,
    /// Cached remote actors and keys older than this are fetched again when next needed
    /// (default 1 day).
    pub actor_refresh_age: Duration,
    /// Fetching: timeout per request (default 10 s).
    pub fetch_timeout: Duration,
    /// Fetching: the largest document accepted (default 1 MiB).
    pub max_fetch_bytes: usize,
    /// Fetching: how many redirects are followed (default 3).
    pub max_redirects: usize,
    /// Fetching: requests allowed while processing one received activity (resolving keys,
    /// embedded objects from other origins, reply chains) (default 20).
    pub fetch_budget: usize,
    /// Outgoing deliveries.
    pub delivery: DeliveryConfig,
    /// Processing of the durable inbox queue.
    pub inbox_queue: InboxQueueConfig,
    /// The `User-Agent` of outgoing requests.
    pub user_agent: String,
    /// The key type of the instance actor, created at first start (default RSA-2048, which
    /// every server verifies).
    pub instance_key: super::KeyAlgorithm,
    /// Seed of the random numbers the engine uses (retry jitter), for reproducible runs.
    pub seed: u64,
}

impl EngineConfig {
    /// The defaults for a server at `base_url` (an absolute http(s) URL with a host).
    pub fn new(base_url: &str) -> Result<Self, Error> {
        let mut base: Url = base_url
            .parse()
            .map_err(|e| Error::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Error::Config(format!(
                "base URL {base_url:?} must be an absolute http(s) URL with a host"
            )));
        }
        base.set_path("/");
        base.set_query(None);
        base.set_fragment(None);
        let instance_actor = ObjectId::parse(&format!("{}actor", base.as_str()))?;
        let mut verify_policy = http_sig::VerifyPolicy::default();
        verify_policy.require_body_digest = true;
        Ok(EngineConfig {
            base_url: base,
            instance_actor,
            max_body_bytes: 1 << 20,
            max_json_depth: 32,
            verify_policy,
            dedupe_ttl: Duration::from_secs(7 * 86_400),
            recent_ids: 32_768,
            actor_refresh_age: Duration::from_secs(86_400),
            fetch_timeout: Duration::from_secs(10),
            max_fetch_bytes: 1 << 20,
            max_redirects: 3,
            fetch_budget: 20,
            delivery: DeliveryConfig::default(),
            inbox_queue: InboxQueueConfig::default(),
            user_agent: format!(
                "Woolly/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                base_url.trim_end_matches('/')
            ),
            instance_key: super::KeyAlgorithm::Rsa2048,
            seed: 0x5eed_5eed,
        })
    }

    /// The base URL's origin, `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Whether `iri` is on this server's origin.
    pub fn is_local(&self, iri: &str) -> bool {
        Url::parse(iri).is_ok_and(|u| u.origin() == self.base_url.origin())
    }
}

/// Outgoing deliveries.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeliveryConfig {
    /// Requests in flight at once, over all hosts (default 64).
    pub concurrency: usize,
    /// Requests in flight at once to one host (default 4).
    pub per_host_concurrency: usize,
    /// Timeout per delivery request (default 10 s).
    pub timeout: Duration,
    /// How long a leased delivery job is held before it can be leased again (default 120 s).
    pub lease: Duration,
    /// Attempts before a delivery is dead-lettered (default 16, as Mastodon: about three days
    /// with [`backoff`](crate::engine::delivery::backoff)).
    pub max_attempts: u32,
    /// Consecutive failures (connect errors, timeouts, 5xx) after which a host's circuit
    /// breaker opens (default 5).
    pub breaker_threshold: u32,
    /// How long an open breaker pauses a host before one probe is allowed (default 60 s,
    /// doubling after each failed probe up to [`DeliveryConfig::breaker_max_pause`]).
    pub breaker_pause: Duration,
    /// The longest pause of an open breaker (default 1 h).
    pub breaker_max_pause: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            concurrency: 64,
            per_host_concurrency: 4,
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(120),
            max_attempts: fedi_storage::DEFAULT_MAX_ATTEMPTS,
            breaker_threshold: 5,
            breaker_pause: Duration::from_secs(60),
            breaker_max_pause: Duration::from_secs(3600),
        }
    }
}

/// Processing of received activities from the durable inbox queue.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InboxQueueConfig {
    /// Activities handled at once (default 16).
    pub concurrency: usize,
    /// How long a leased job is held (default 300 s).
    pub lease: Duration,
    /// Attempts before a received activity is dead-lettered (default 8).
    pub max_attempts: u32,
    /// How long a dead-lettered received activity is kept for inspection before
    /// [`Engine::collect_expired`](super::Engine::collect_expired) removes it (default 7 days).
    pub dead_retention: Duration,
}

impl Default for InboxQueueConfig {
    fn default() -> Self {
        InboxQueueConfig {
            concurrency: 16,
            lease: Duration::from_secs(300),
            max_attempts: 8,
            dead_retention: Duration::from_secs(7 * 86_400),
        }
    }
}
