//! The federation engine: receive, deliver and fetch like a trustworthy fediverse server.
//!
//! The engine does no I/O of its own: it reaches the network through a [`Transport`], storage
//! through the [`fedi_storage`] traits, time through a [`Clock`], and the application through
//! an [`ActivityHandler`]. Its inbox takes an `http::Request<Bytes>` and returns an
//! `http::Response<Bytes>`, so it mounts in hyper, axum or anything else (`Engine::collect_request`
//! reads a streamed body into one, within the size limit).
//!
//! - **Inbox** ([`Engine::inbox`]): body size and JSON depth limits → content type →
//!   `Digest` / `Content-Digest` → signature (draft-cavage or RFC 9421; key from the cache,
//!   else fetched, one fetch shared by concurrent requests; refetched once on failure, for key
//!   rotation) → the signer owns the actor →
//!   ids on the actor's origin → tombstones → dedupe and persist in one atomic write → `202`.
//!   Every rejection is an [`Error::Rejected`] with one HTTP status ([`Rejection::status`]).
//! - **Inbox queue** ([`Engine::process_inbox`]): the handler runs from the durable queue,
//!   with embedded objects from other origins refetched, and retries.
//! - **Delivery** ([`Engine::deliver`], [`Engine::process_deliveries`]): followers and
//!   mentions expanded into inboxes (shared inboxes preferred, one request per distinct
//!   inbox), durable jobs in one lane per host, bounded concurrency per host and overall,
//!   signed at send time, Mastodon's retry schedule, `410` ends retries, a circuit breaker
//!   per host, double-knocking between draft-cavage and RFC 9421.
//! - **Signed GETs** ([`Engine::verify_get`]): who signed a fetch of one of this server's
//!   documents (authorized fetch), with the inbox's signature checks and key cache.
//! - **Fetch** ([`Engine::fetch`], [`Engine::actor`], [`Engine::public_key`]): signed GETs by
//!   the instance actor, size cap, content type and origin checks, bounded redirects, request
//!   budgets, and a cache of remote actors and keys in storage; remote collections read
//!   page by page ([`Engine::fetch_collection_items`]) as [`RemoteItem`]s, with the origin
//!   rule for embedded items applied.
//! - **Runner** ([`Engine::run`]): drives both queues in the background until shut down.
//!
//! See `examples/` for a blog that federates its posts in about a hundred lines, with the
//! helpers an application around the engine needs: [`Error::to_response`],
//! [`activity_response`], [`Engine::local_person`], [`Engine::accept_follow`] and
//! `Engine::collect_request` (feature `hyper-transport`).
//!
//! # Getting started
//!
//! Two servers on the in-memory network: `b.test` follows nobody, it just has an inbox;
//! `a.test` delivers a `Create` to it. The same code runs over
//! [`HyperTransport`](transport::hyper::HyperTransport) in production.
//!
//! ```
//! use std::sync::Arc;
//! use activitypub_core::engine::{
//!     transport::memory::MemoryNetwork, Recipients, Engine, EngineConfig, InboxTarget,
//!     KeyAlgorithm,
//! };
//! use activitypub_core::{builder, ObjectId, Visibility};
//! use fedi_storage::memory::MemoryStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), activitypub_core::Error> {
//! let net = MemoryNetwork::with_seed(1);
//! let engine = |base: &str| {
//!     let mut config = EngineConfig::new(base).expect("a valid base URL");
//!     config.instance_key = KeyAlgorithm::Ed25519; // quick to generate
//!     Engine::builder(config)
//!         .store(Arc::new(MemoryStore::new()))
//!         .transport(Arc::new(net.clone()))
//!         .build()
//! };
//! let (a, b) = (engine("http://a.test").await?, engine("http://b.test").await?);
//!
//! // a.test serves its actor (so b.test can fetch the key) ...
//! let alice: ObjectId<activitypub_core::Actor> = ObjectId::parse("http://a.test/users/alice")?;
//! let key = a.create_local_actor(&alice, KeyAlgorithm::Ed25519).await?;
//! let person = builder::PersonBuilder::new(&alice, "alice", &key.public_key_pem)?.build();
//! let person = bytes::Bytes::from(serde_json::to_vec(&person)?);
//! net.serve("a.test", move |_req| {
//!     let body = person.clone();
//!     async move {
//!         http::Response::builder()
//!             .header("content-type", "application/activity+json")
//!             .body(body)
//!             .expect("a response")
//!     }
//! });
//! // ... and b.test mounts its shared inbox.
//! let inbox = b.clone();
//! net.serve("b.test", move |req| {
//!     let inbox = inbox.clone();
//!     async move { inbox.inbox(req, InboxTarget::Shared).await }
//! });
//!
//! // alice posts to b.test's inbox: one durable job, signed when sent.
//! let note = builder::NoteBuilder::new(
//!     ObjectId::parse("http://a.test/users/alice/statuses/1")?,
//!     &alice,
//!     "http://a.test/users/alice/followers",
//!     "<p>baa</p>",
//!     Visibility::Public,
//! )
//! .build();
//! let create = builder::create(&ObjectId::parse("http://a.test/users/alice/statuses/1/activity")?, note);
//! let report = a
//!     .deliver(&serde_json::to_vec(&create)?, &alice, &Recipients::new().inbox("http://b.test/inbox"))
//!     .await?;
//! assert_eq!(report.inboxes, ["http://b.test/inbox"]);
//! let sent = a.process_deliveries(10).await?;
//! assert_eq!(sent.done, 1); // b.test answered 202: verified, deduplicated, queued
//! let handled = b.process_inbox(10).await?;
//! assert_eq!(handled.done, 1); // b.test's handler (here a no-op) ran from its queue
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fedi_storage::{Clock, Store, SystemClock};
use rand::{rngs::StdRng, Rng, SeedableRng};
use tokio::sync::Notify;

#[cfg(feature = "hyper-transport")]
mod body;
mod collections;
mod config;
pub mod delivery;
mod fetch;
mod group_write;
mod handler;
mod inbox;
mod keys;
mod recent;
mod response;
mod runner;
#[cfg(feature = "tower")]
mod service;
pub mod transport;
mod verify;

pub use collections::RemoteItem;
pub use config::{DeliveryConfig, EngineConfig, InboxQueueConfig};
pub use delivery::{DeliveryReport, Recipients};
pub use fetch::{FetchBudget, Fetched};
pub use handler::{ActivityHandler, InboxActivity, InboxTarget, NoopHandler};
pub use inbox::Accepted;
pub use keys::KeyAlgorithm;
pub use response::activity_response;
pub use runner::{QueueRun, Shutdown};
#[cfg(feature = "tower")]
pub use service::InboxService;
pub use transport::{AddressPolicy, IpNet, SendOptions, Transport, TransportErrorKind};
pub use verify::SignedBy;

// The kinds of the engine's errors are defined beside the crate's error type, which carries
// them (see `crate::error`); they are the engine's vocabulary, so they are named here too.
pub use crate::error::{FetchErrorKind, Rejection};

use crate::Error;

/// The name of the durable queue of received activities.
pub const INBOX_QUEUE: &str = "inbox";
/// The name of the durable queue of outgoing deliveries.
pub const DELIVERY_QUEUE: &str = "deliveries";

/// The federation engine. Cheap to clone (an `Arc` inside); build with [`Engine::builder`].
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("base_url", &self.inner.config.base_url.as_str())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) config: EngineConfig,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) handler: Arc<dyn ActivityHandler>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Parsed remote keys: key id → (key, owner, fetched at).
    pub(crate) key_cache: Mutex<HashMap<String, keys::CachedKey>>,
    /// Key fetches in flight, shared by the requests that need the same key.
    pub(crate) key_fetches: Mutex<keys::KeyFetches>,
    /// Parsed local signing keys by actor.
    pub(crate) signing_keys: Mutex<HashMap<String, Arc<keys::SigningKey>>>,
    pub(crate) hosts: Mutex<HashMap<String, delivery::HostState>>,
    pub(crate) rng: Mutex<StdRng>,
    /// Wakes the inbox queue loop.
    pub(crate) inbox_work: Notify,
    /// Wakes the delivery queue loop.
    pub(crate) delivery_work: Notify,
    /// Shares store writes among the inbox requests in flight.
    pub(crate) group_writer: group_write::GroupWriter,
    /// Recently accepted activity ids (only used with a journaled inbox queue).
    pub(crate) recent: recent::RecentIds,
    /// The inbound policies (swapped whole by [`Engine::set_policies`]).
    pub(crate) policies: std::sync::RwLock<Arc<crate::policy::PolicySet>>,
}

/// Builds an [`Engine`].
pub struct EngineBuilder {
    config: EngineConfig,
    store: Option<Arc<dyn Store>>,
    transport: Option<Arc<dyn Transport>>,
    handler: Arc<dyn ActivityHandler>,
    clock: Arc<dyn Clock>,
    policies: crate::policy::PolicySet,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EngineBuilder {
    /// The store (required): memory, sled, or any backend passing the conformance suite.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }
    /// The transport (required): [`HyperTransport`](transport::hyper::HyperTransport) or a
    /// [`MemoryNetwork`](transport::memory::MemoryNetwork).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }
    /// The application's handler (default: [`NoopHandler`]).
    pub fn handler(mut self, handler: Arc<dyn ActivityHandler>) -> Self {
        self.handler = handler;
        self
    }
    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// The inbound policies (default: none; see [`crate::policy`]).
    pub fn policies(mut self, policies: crate::policy::PolicySet) -> Self {
        self.policies = policies;
        self
    }
    /// Builds the engine and makes sure the instance actor has a key pair (created and
    /// stored on first start).
    pub async fn build(self) -> Result<Engine, Error> {
        let store = self
            .store
            .ok_or_else(|| Error::Config("the engine needs a store".into()))?;
        let transport = self
            .transport
            .ok_or_else(|| Error::Config("the engine needs a transport".into()))?;
        let seed = self.config.seed;
        let config_recent_ids = self.config.recent_ids;
        let engine = Engine {
            inner: Arc::new(Inner {
                config: self.config,
                store,
                transport,
                handler: self.handler,
                clock: self.clock,
                key_cache: Mutex::new(HashMap::new()),
                key_fetches: Mutex::new(keys::KeyFetches::default()),
                signing_keys: Mutex::new(HashMap::new()),
                hosts: Mutex::new(HashMap::new()),
                rng: Mutex::new(StdRng::seed_from_u64(seed)),
                inbox_work: Notify::new(),
                delivery_work: Notify::new(),
                group_writer: group_write::GroupWriter::default(),
                recent: recent::RecentIds::new(config_recent_ids),
                policies: std::sync::RwLock::new(Arc::new(self.policies)),
            }),
        };
        let instance = engine.inner.config.instance_actor.clone();
        engine
            .create_local_actor(&instance, engine.inner.config.instance_key)
            .await?;
        Ok(engine)
    }
}

impl Engine {
    /// A builder with this configuration.
    pub fn builder(config: EngineConfig) -> EngineBuilder {
        EngineBuilder {
            config,
            store: None,
            transport: None,
            handler: Arc::new(NoopHandler),
            clock: Arc::new(SystemClock::default()),
            policies: crate::policy::PolicySet::new(),
        }
    }
    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }
    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }
    /// The transport.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.inner.transport
    }
    /// The inbound policies in force (see [`crate::policy`]).
    pub fn policies(&self) -> Arc<crate::policy::PolicySet> {
        self.inner
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
    /// Replaces the inbound policies; requests and queued activities from then on see the
    /// new set.
    pub fn set_policies(&self, policies: crate::policy::PolicySet) {
        *self
            .inner
            .policies
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(policies);
    }
    /// The current time by the engine's clock.
    pub fn now(&self) -> fedi_storage::Timestamp {
        self.inner.clock.now()
    }
    pub(crate) fn now_system(&self) -> std::time::SystemTime {
        self.now().into()
    }
    pub(crate) fn jitter(&self, below: u64) -> u64 {
        if below == 0 {
            return 0;
        }
        match self.inner.rng.lock() {
            Ok(mut r) => r.gen_range(0..below),
            Err(_) => 0,
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
