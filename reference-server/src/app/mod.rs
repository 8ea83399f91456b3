//! The instance: accounts, statuses, follows, timelines and notifications on top of the
//! federation engine, with Mastodon's behaviour for local actions and for the same actions
//! arriving from other servers.
//!
//! One module per concept; each adds its part of [`App`]'s methods, both the local action
//! (federated through the engine) and what the same action from another server does:
//!
//! - [`accounts`]: local and remote accounts, passwords, profiles.
//! - [`signup`]: sign-up through the client API: registration modes, Mastodon's checks,
//!   accounts waiting for approval, invites, the admin's queue.
//! - [`statuses`]: posting, editing, deleting, visibility, thread context.
//! - [`interactions`]: favourites and reblogs.
//! - [`pins`]: pinned statuses and `featured` collections.
//! - [`bookmarks`]: bookmarked statuses; [`thread_mutes`]: muted conversations;
//!   [`markers`]: read markers and unread counts; [`scheduled`]: scheduled statuses and the
//!   job that posts them.
//! - [`polls`]: polls, votes (local and from other servers), result updates and closing.
//! - [`media`]: uploads, their processing and files, attachments, avatars and headers, the
//!   cleanup of unattached uploads.
//! - [`cards`]: link preview cards, made in the background from the linked pages and
//!   cached per URL.
//! - [`remote_media`]: attachments of remote statuses, and the cache of remote files
//!   (attachments, avatars, headers) with its retention.
//! - [`quotes`]: quote posts (Mastodon 4.5, FEP-044f), incoming and local.
//! - [`emoji`]: custom emoji, the instance's own and other servers' (kept per domain,
//!   cached like remote media).
//! - [`filters`]: keyword and status filters; [`filter_match`]: matching statuses with them.
//! - [`domain_blocks`]: user-level domain blocks.
//! - [`instance_domains`]: the instance's domain blocks (severities, flags) and allows, as
//!   the engine's inbound policies.
//! - [`relationships`]: follows and requests, blocks, mutes.
//! - [`roles`]: roles of local accounts and their permissions.
//! - [`timelines`]: fan-out on write, streams, pages of statuses for a viewer.
//! - [`lists`]: lists of followed accounts, their members and timelines.
//! - [`conversations`]: direct messages grouped per participant.
//! - [`notifications`]: notifications of local accounts.
//! - [`moderation`]: admin actions on accounts (sensitive, disable, silence, suspend, their
//!   undo, data deletion), instance rules, reports and `Flag`s, staff notified of reports.
//! - [`migration`]: account migration: aliases (`alsoKnownAs`), moving out and in (`Move`).
//! - [`inbound`]: the engine's handler: activities from other servers, one module per kind.
//! - [`model`]: the records and where they are kept; [`bulk`]: many of them written at once;
//!   [`batch`]: what a page of entities needs, read together.
//! - [`activitypub`]: the ActivityPub documents the server publishes.
//! - [`render`]: toot text to HTML.
//! - [`export`]: account exports: Mastodon's CSV files and the archive job (issue #19).
//! - [`rebase`]: local records moved to another base URL, before a data directory is bound.

use std::sync::Arc;

use activitypub_core::engine::{Engine, EngineConfig, FetchBudget, Transport};
use fedi_storage::media::{memory::MemoryMediaStore, MediaStore};
use fedi_storage::{CollectionStoreExt, KvStoreExt, Page, PageRequest, Store, Timestamp};
use tokio::sync::broadcast;

use crate::config::Config;
use crate::error::Error;

pub mod accounts;
pub mod activitypub;
pub mod batch;
pub mod bookmarks;
pub mod bulk;
pub mod cards;
pub mod conversations;
pub mod domain_blocks;
pub mod emoji;
pub mod export;
pub mod filter_match;
pub mod filters;
pub mod import;
pub mod inbound;
pub mod instance_domains;
pub mod interactions;
pub mod lifecycle;
pub mod lists;
pub mod markers;
pub mod media;
pub mod migration;
pub mod model;
pub mod moderation;
pub mod notification_groups;
pub mod notification_policy;
pub mod notification_requests;
pub mod notifications;
pub mod pins;
pub mod polls;
pub mod quotes;
pub mod rebase;
pub mod relationships;
pub mod remote_media;
pub mod render;
pub mod roles;
pub mod scheduled;
pub mod signup;
pub mod statuses;
pub mod thread_mutes;
pub mod timelines;

pub use accounts::{hash_password, verify_password};
pub use batch::{AccountCounts, Loaded, StatusCounts, ViewerFlags};
pub use conversations::Conversation;
pub use emoji::CustomEmoji;
pub use lists::{ListChanges, RepliesPolicy, UserList};
pub use media::{ProfileSlot, Upload};
pub use model::{
    Account, List, Marker, MediaAttachment, MediaState, Notification, NotificationType, Poll,
    ScheduledParams, ScheduledStatus, Status, StatusApplication, StatusVisibility,
};
pub use moderation::{Action, Moderation, Undo};
pub use polls::{NewPoll, PollTally};
pub use relationships::Relationship;
pub use roles::Role;
pub use statuses::NewStatus;

/// Something that happened, for the streaming API.
#[derive(Debug, Clone)]
pub enum Event {
    /// A status entered a timeline: `stream` is `user:{id}`, `public`, `public:local`,
    /// `public:remote`, `hashtag:{tag}` or `list:{id}`.
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
    /// A local account's conversation got a new status (the `direct` stream).
    Conversation {
        /// The account.
        account_id: u64,
        /// The conversation.
        conversation_id: u64,
    },
    /// A local account was notified.
    Notification {
        /// The account.
        account_id: u64,
        /// The notification.
        notification_id: u64,
    },
}

/// What the instance holds besides the engine. The engine's handler holds this (not the
/// whole [`App`]), and the engine hands itself to each handler call, so nothing refers back.
pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn Store>,
    /// Files: uploads, avatars and headers, cached remote media.
    pub(crate) media: Arc<dyn MediaStore>,
    /// Processes uploads.
    pub(crate) media_pool: crate::media::MediaPool,
    /// Where uploads and renditions wait on their way into `media`.
    pub(crate) media_work: media::WorkDir,
    pub(crate) ids: model::IdGen,
    pub(crate) events: broadcast::Sender<Event>,
    /// Bounds the background reads of remote `featured` collections running at once
    /// ([`App::sync_featured`]; the others wait their turn).
    pub(crate) featured_syncs: tokio::sync::Semaphore,
    /// Bounds the remote files fetched at once for the media cache
    /// ([`remote_media::FETCHES_AT_ONCE`]).
    pub(crate) media_fetches: tokio::sync::Semaphore,
    /// The rate limits and their counters.
    pub(crate) limits: crate::limits::Limiter,
    /// The compiled instance-wide domain rules ([`instance_domains`]).
    pub(crate) domain_rules: std::sync::RwLock<Arc<instance_domains::DomainRules>>,
}

/// The instance. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<State>,
    engine: Engine,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("base_url", &self.inner.config.base_url)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Builds the instance on `store`, reaching the network through `transport`, with its
    /// files in memory (see [`App::with_media`] to keep them elsewhere).
    pub async fn new(
        config: Config,
        store: Arc<dyn Store>,
        transport: Arc<dyn Transport>,
    ) -> Result<App, Error> {
        Self::with_clock(config, store, transport, None).await
    }

    /// [`App::new`] with a clock (tests).
    pub async fn with_clock(
        config: Config,
        store: Arc<dyn Store>,
        transport: Arc<dyn Transport>,
        clock: Option<Arc<dyn fedi_storage::Clock>>,
    ) -> Result<App, Error> {
        let media = Arc::new(MemoryMediaStore::new());
        Self::with_media(config, store, media, transport, clock).await
    }

    /// The instance on `store`, keeping its files in `media`, reaching the network through
    /// `transport`, on `clock` (the system's if `None`).
    pub async fn with_media(
        mut config: Config,
        store: Arc<dyn Store>,
        media: Arc<dyn MediaStore>,
        transport: Arc<dyn Transport>,
        clock: Option<Arc<dyn fedi_storage::Clock>>,
    ) -> Result<App, Error> {
        config.validate().map_err(|e| Error::Config(e.0))?;
        let (events, _) = broadcast::channel(1024);
        let media_work = media::WorkDir::open(store.is_durable(), &config.data_dir)?;
        let media_pool = crate::media::MediaPool::with_cores(
            crate::media::Limits::default(),
            media_work.path().to_path_buf(),
        );
        let state = Arc::new(State {
            config: config.clone(),
            store: store.clone(),
            media,
            media_pool,
            media_work,
            ids: model::IdGen::default(),
            events,
            featured_syncs: tokio::sync::Semaphore::new(pins::FEATURED_SYNCS_AT_ONCE),
            media_fetches: tokio::sync::Semaphore::new(remote_media::FETCHES_AT_ONCE),
            limits: crate::limits::Limiter::new(&config.rate_limits, &config.trusted_proxies),
            domain_rules: std::sync::RwLock::default(),
        });
        let engine_config = EngineConfig::new(&config.base_url)?;
        let mut builder = Engine::builder(engine_config)
            .store(store)
            .transport(transport)
            .handler(Arc::new(inbound::Handler::new(state.clone())));
        if let Some(c) = clock {
            builder = builder.clock(c);
        }
        let engine = builder.build().await?;
        let app = App::from_parts(state, engine);
        app.reload_domain_rules().await?;
        Ok(app)
    }

    /// The instance over its state and an engine (the handler builds one per call from the
    /// engine it is given).
    pub(crate) fn from_parts(inner: Arc<State>, engine: Engine) -> App {
        App { inner, engine }
    }

    /// The federation engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }
    /// The media store: uploads, avatars and headers, cached remote media.
    pub fn media(&self) -> &Arc<dyn MediaStore> {
        &self.inner.media
    }
    /// The rate limits and their counters.
    pub fn limits(&self) -> &crate::limits::Limiter {
        &self.inner.limits
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

    // --- lists and records -----------------------------------------------------------------

    /// A page of a list (its members are ids; see [`App::statuses_page`] and
    /// [`App::accounts_by_id`] for the records).
    pub async fn page(&self, list: &List, req: &PageRequest) -> Result<Page, Error> {
        Ok(self.inner.store.page(&list.key(), req).await?)
    }
    /// How many members a list has.
    pub async fn count(&self, list: &List) -> Result<u64, Error> {
        Ok(self.inner.store.count(&list.key()).await?)
    }
    /// Every member of a list, newest first, read in pages of `page_size`.
    pub async fn all_members(
        &self,
        list: &List,
        page_size: usize,
    ) -> Result<Vec<fedi_storage::CollectionItem>, Error> {
        Ok(self.inner.store.all_members(&list.key(), page_size).await?)
    }

    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        ns: &str,
        key: &str,
    ) -> Result<Option<T>, Error> {
        Ok(self.inner.store.kv_get_json(ns, key.as_bytes()).await?)
    }
    /// Several records of a namespace in one store call, in the order of `keys` (`None` for
    /// a missing one). A record that does not decode is left out as missing, with a warning,
    /// so that one damaged record does not take a whole page down with it.
    pub(crate) async fn get_many<T: serde::de::DeserializeOwned>(
        &self,
        ns: &str,
        keys: &[String],
    ) -> Result<Vec<Option<T>>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        let values = self.inner.store.kv_get_many(ns, &raw).await?;
        Ok(values
            .into_iter()
            .zip(keys)
            .map(|(v, key)| {
                let v = v?;
                serde_json::from_slice(&v)
                    .map_err(|e| tracing::warn!(ns, key = %key, error = %e, "record skipped"))
                    .ok()
            })
            .collect())
    }
    /// Whether each of several keys of a namespace holds a record, in one store call.
    pub(crate) async fn exist_many(&self, ns: &str, keys: &[String]) -> Result<Vec<bool>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        let values = self.inner.store.kv_get_many(ns, &raw).await?;
        Ok(values.iter().map(Option::is_some).collect())
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
    /// Every record of kv namespace `ns` under `prefix` that reads as a `T` and that `keep`
    /// keeps, with its key, the namespace read 500 records at a time (a record that does not
    /// read as a `T` is skipped with a warning). A scan of the whole namespace: for rare
    /// actions (admin, deletion, settings pages), never the request path.
    pub(crate) async fn scan_records<T: serde::de::DeserializeOwned>(
        &self,
        ns: &str,
        prefix: &[u8],
        mut keep: impl FnMut(&T) -> bool,
    ) -> Result<Vec<(Vec<u8>, T)>, Error> {
        const PAGE: usize = 500;
        let mut out = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self
                .inner
                .store
                .kv_scan(ns, prefix, after.as_deref(), PAGE)
                .await?;
            let full = page.len() == PAGE;
            after = page.last().map(|(k, _)| k.clone());
            for (key, value) in page {
                match serde_json::from_slice::<T>(&value) {
                    Ok(t) if keep(&t) => out.push((key, t)),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(ns, key = %String::from_utf8_lossy(&key),
                        error = %e, "a record that does not read was skipped"),
                }
            }
            if !full {
                return Ok(out);
            }
        }
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

/// `host[:port]` of an IRI (empty if it has none).
pub(crate) fn host_of(iri: &str) -> String {
    url::Url::parse(iri)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_default()
}
