//! Woolly's reference server: a small, fast, Mastodon-compatible instance built from the
//! Woolly crates, and the `woolly` command line.
//!
//! - [`app`]: the instance — accounts, statuses, follows, boosts, favourites, blocks,
//!   timelines, notifications, media attachments and their files — on the federation engine of `activitypub-core`, with
//!   Mastodon's behaviour for local actions and for the same actions arriving from other
//!   servers.
//! - [`http`]: the hyper server: federation endpoints (WebFinger, NodeInfo, actors, inboxes,
//!   collections, statuses), server-rendered pages, media files (`/media/...`, with ETags and
//!   byte ranges), the loopback admin listener.
//! - [`api`]: the Mastodon client API and OAuth, so Mastodon apps can use the instance.
//! - [`limits`]: rate limits (client API, sign-ins, inboxes) with Mastodon's defaults.
//! - [`media`]: media processing for uploads — type sniffing, image re-encoding, resizing and
//!   blurhash, video and audio through `ffmpeg` when installed — on a bounded worker pool.
//! - [`cli`]: `woolly serve`, the admin subcommands (`account`, `domain-block`, `lookup`,
//!   `token`) and the tools (`sig`, `corpus`).
//!
//! # Getting started
//!
//! An instance in memory, with one account posting a toot:
//!
//! ```
//! use std::sync::Arc;
//! use reference_server::{app::NewStatus, App, Config};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), reference_server::Error> {
//! let config = Config { base_url: "http://wool.test".into(), ..Config::default() };
//! let store = Arc::new(fedi_storage::memory::MemoryStore::new());
//! let network = Arc::new(activitypub_core::engine::transport::memory::MemoryNetwork::new());
//! let app = App::new(config, store, network).await?;
//! let alice = app.create_account("alice", None, false).await?;
//! let toot = NewStatus { text: "Hello #fediverse".into(), ..NewStatus::default() };
//! let status = app.post_status(alice.id, toot).await?;
//! assert_eq!(status.tags, ["fediverse"]);
//! assert!(status.content.starts_with("<p>Hello <a href=\"http://wool.test/tags/fediverse\""));
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod limits;
pub mod media;

pub use app::App;
pub use config::Config;
pub use error::Error;
