//! The instance: accounts, statuses, follows, timelines and notifications on top of the
//! federation engine, with Mastodon's behaviour for local actions and for the same actions
//! arriving from other servers.
//!
//! - [`model`]: the records and where they are kept.
//! - [`social`]: local actions (post, follow, boost …), each federated through the engine.
//! - [`inbound`]: the engine's handler: the same actions arriving from other servers.
//! - [`docs`]: the ActivityPub documents the server publishes.
//! - [`render`]: toot text to HTML.
//! - [`rebase`]: local records moved to another base URL, before a data directory is bound.

use std::sync::{Arc, OnceLock};

use activitypub_core::engine::{Engine, EngineConfig, FetchBudget, Transport};
use fedi_storage::{KvStoreExt, Store, Timestamp};
use tokio::sync::broadcast;

use crate::config::Config;
use crate::error::Error;

pub mod docs;
pub mod inbound;
pub mod model;
pub mod rebase;
pub mod render;
pub mod social;

pub use model::{Account, Notification, NotificationType, Status, Visibility};

/// Something that happened, for the streaming API.
#[derive(Debug, Clone)]
pub enum Event {
    /// A status entered a timeline: `stream` is `user:{id}`, `public`, `public:local`,
    /// `public:remote` or `hashtag:{tag}`.
    Update {
        /// The stream.
        stream: String,
        /// The status.
        status_id: u64,
    },
    /// A status was edited.
    StatusUpdate {
        /// The stream.
        stream: String,
        /// The status.
        status_id: u64,
    },
    /// A status was deleted: one event per stream that may have shown it (`user:{id}`,
    /// `public`, `public:local`, `public:remote`, `hashtag:{tag}`).
    Delete {
        /// The stream.
        stream: String,
        /// The status.
        status_id: u64,
        /// Whether its author is local (for `hashtag:local`).
        local: bool,
    },
    /// A local account was notified.
    Notification {
        /// The account.
        account_id: u64,
        /// The notification.
        notification_id: u64,
    },
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) engine: OnceLock<Engine>,
    pub(crate) ids: model::IdGen,
    pub(crate) events: broadcast::Sender<Event>,
    /// Bounds the background reads of remote `featured` collections running at once
    /// ([`App::sync_featured`]; the others wait their turn).
    pub(crate) featured_syncs: tokio::sync::Semaphore,
}

/// The instance. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("base_url", &self.inner.config.base_url)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Builds the instance on `store`, reaching the network through `transport`.
    pub async fn new(
        config: Config,
        store: Arc<dyn Store>,
        transport: Arc<dyn Transport>,
    ) -> Result<App, Error> {
        Self::with_clock(config, store, transport, None).await
    }

    /// [`App::new`] with a clock (tests).
    pub async fn with_clock(
        mut config: Config,
        store: Arc<dyn Store>,
        transport: Arc<dyn Transport>,
        clock: Option<Arc<dyn fedi_storage::Clock>>,
    ) -> Result<App, Error> {
        config.validate().map_err(|e| Error::Config(e.0))?;
        let (events, _) = broadcast::channel(1024);
        let app = App {
            inner: Arc::new(Inner {
                config: config.clone(),
                store: store.clone(),
                engine: OnceLock::new(),
                ids: model::IdGen::default(),
                events,
                featured_syncs: tokio::sync::Semaphore::new(social::FEATURED_SYNCS_AT_ONCE),
            }),
        };
        let engine_config = EngineConfig::new(&config.base_url)?;
        let mut builder = Engine::builder(engine_config)
            .store(store)
            .transport(transport)
            .handler(Arc::new(inbound::Handler::new(&app)));
        if let Some(c) = clock {
            builder = builder.clock(c);
        }
        let engine = builder.build().await?;
        let _ = app.inner.engine.set(engine);
        Ok(app)
    }

    /// The federation engine.
    pub fn engine(&self) -> &Engine {
        self.inner
            .engine
            .get()
            .unwrap_or_else(|| unreachable!("the engine is set in App::new"))
    }
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }
    /// Subscribes to events (streaming API).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }
    pub(crate) fn emit(&self, e: Event) {
        let _ = self.inner.events.send(e);
    }
    /// Now, by the engine's clock.
    pub fn now(&self) -> Timestamp {
        self.engine().now()
    }
    pub(crate) fn now_ms(&self) -> u64 {
        self.now().as_unix_millis()
    }
    /// The base URL without a trailing slash.
    pub fn base(&self) -> &str {
        &self.inner.config.base_url
    }
    pub(crate) fn budget(&self) -> FetchBudget {
        FetchBudget::new(self.engine().config().fetch_budget)
    }

    // --- records --------------------------------------------------------------------------

    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        ns: &str,
        key: &str,
    ) -> Result<Option<T>, Error> {
        Ok(self.inner.store.kv_get_json(ns, key.as_bytes()).await?)
    }
    pub(crate) async fn put<T: serde::Serialize + Sync>(
        &self,
        ns: &str,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        Ok(self
            .inner
            .store
            .kv_put_json(ns, key.as_bytes(), value)
            .await?)
    }
    pub(crate) async fn get_str(&self, ns: &str, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .inner
            .store
            .kv_get(ns, key.as_bytes())
            .await?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}
