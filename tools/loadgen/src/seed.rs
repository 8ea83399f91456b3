//! Seeding a data directory with many statuses, fast: records are written in the reference
//! server's own layout through [`reference_server::app::bulk::Bulk`] (large write batches) into a
//! store opened without per-write flushes, then flushed once.
//!
//! What is written, for one local account (created through [`App::create_account`], so it has
//! its key pair) that follows `follows` remote accounts, each of which posted
//! `statuses / follows` public statuses:
//!
//! - each remote account and an accepted follow of it by the local account
//!   ([`Bulk::remote_account`], [`Bulk::accepted_follow`]);
//! - each status, in the lists a received public status enters, the local account's home
//!   timeline included ([`Bulk::received_status`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fedi_storage::sled::{SledConfig, SledStore};
use fedi_storage::{BatchStore, Store};
use reference_server::app::bulk::Bulk;
use reference_server::app::model::{Account, FollowRecord, Status, StatusVisibility};
use reference_server::{App, Config};

use crate::error::Result;

/// What to seed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SeedOptions {
    /// The data directory (the store is `DIR/db`, as `woolly serve` opens it).
    pub data_dir: PathBuf,
    /// The base URL the server will run with (actor IRIs of local accounts depend on it).
    pub base_url: String,
    /// The local account that follows everyone.
    pub username: String,
    /// Statuses in total.
    pub statuses: u64,
    /// Remote accounts followed (the statuses are spread over them).
    pub follows: u64,
    /// Statuses per write batch.
    pub batch: usize,
}

impl SeedOptions {
    /// Defaults: account `bench`, 1,000 statuses per batch.
    pub fn new(
        data_dir: impl Into<PathBuf>,
        base_url: impl Into<String>,
        statuses: u64,
        follows: u64,
    ) -> Self {
        SeedOptions {
            data_dir: data_dir.into(),
            base_url: base_url.into(),
            username: "bench".into(),
            statuses,
            follows,
            batch: 1000,
        }
    }
}

/// What seeding did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SeedReport {
    /// The local account's id.
    pub account_id: u64,
    /// Statuses written.
    pub statuses: u64,
    /// Follows written.
    pub follows: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// sled's size on disk afterwards.
    pub disk_bytes: u64,
}

/// Seeds `options.data_dir`. The directory must not be in use by a running server.
pub async fn seed(options: &SeedOptions) -> Result<SeedReport> {
    let start = Instant::now();
    let config = Config {
        data_dir: options.data_dir.clone(),
        base_url: options.base_url.clone(),
        ..Config::default()
    };
    std::fs::create_dir_all(&options.data_dir)?;
    let store = SledStore::open_with(
        SledConfig::new(options.data_dir.join("db"))
            .cache_capacity(256 << 20)
            .flush_on_write(false),
    )?;
    let dyn_store: Arc<dyn Store> = Arc::new(store.clone());
    let transport = reference_server::cli::serve::transport(&config)?;
    let app = App::new(config, dyn_store, Arc::new(transport)).await?;
    let me = match app.account_by_acct(&options.username).await? {
        Some(a) => a,
        None => app.create_account(&options.username, None, false).await?,
    };
    let now_ms = app.now().as_unix_millis();
    let follows = options.follows.max(1);

    // Followed accounts: ids a month in the past, so they never meet ids the server makes.
    let acct_base = now_ms.saturating_sub(30 * 86_400_000);
    let mut authors = Vec::with_capacity(follows as usize);
    let mut batch = Bulk::new();
    for i in 0..follows {
        let host = format!("peer{}.bench.example", i % 10);
        let username = format!("author{i}");
        let actor = format!("https://{host}/users/{username}");
        let id = (acct_base + i) << 16;
        let account = Account {
            id,
            username: username.clone(),
            domain: Some(host.clone()),
            actor: actor.clone(),
            url: format!("https://{host}/@{username}"),
            inbox: Some(format!("{actor}/inbox")),
            shared_inbox: Some(format!("https://{host}/inbox")),
            followers_url: Some(format!("{actor}/followers")),
            display_name: format!("Author {i}"),
            note: "<p>A seeded account.</p>".into(),
            note_source: String::new(),
            locked: false,
            bot: false,
            fields: Vec::new(),
            avatar: None,
            header: None,
            avatar_file: None,
            header_file: None,
            created_at: acct_base + i,
            discoverable: false,
            deleted: false,
            emojis: Vec::new(),
        };
        let follow_uri = format!("{}#follows/{}", me.actor, id);
        let rec = FollowRecord {
            uri: follow_uri.clone(),
            accepted: true,
            created_at: acct_base + i,
        };
        batch = batch
            .remote_account(&account)?
            .accepted_follow(me.id, id, &rec)?;
        authors.push(account);
        if (i + 1).is_multiple_of(200) {
            store
                .apply(&std::mem::take(&mut batch).into_batch())
                .await?;
        }
    }
    if !batch.is_empty() {
        store
            .apply(&std::mem::take(&mut batch).into_batch())
            .await?;
    }

    // Statuses: 10 ms apart, ending a little before now.
    let step_ms = 10;
    let first_ms = now_ms.saturating_sub(options.statuses * step_ms + 60_000);
    let home = [me.id];
    let mut in_batch = 0usize;
    for j in 0..options.statuses {
        let author = &authors[(j % follows) as usize];
        let ms = first_ms + j * step_ms;
        let id = ms << 16;
        let uri = format!("{}/statuses/{id}", author.actor);
        let text = format!(
            "Seeded status {j}: a toot of ordinary length, with a sentence or two of text \
             so that each record is about the size of a real one. #bench"
        );
        let status = Status {
            id,
            uri: uri.clone(),
            url: format!("{}/{id}", author.url),
            account_id: author.id,
            content: format!("<p>{text}</p>"),
            text: None,
            spoiler_text: String::new(),
            sensitive: false,
            visibility: StatusVisibility::Public,
            language: Some("en".into()),
            in_reply_to_id: None,
            in_reply_to_uri: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            mentions: Vec::new(),
            tags: Vec::new(),
            created_at: ms,
            edited_at: None,
            edits: Vec::new(),
            local: false,
            activity_uri: Some(format!("{uri}/activity")),
            conversation: Some(format!("{uri}#conversation")),
            media_ids: Vec::new(),
            poll: None,
            card_url: None,
            quote: None,
            emojis: Vec::new(),
        };
        batch = batch.received_status(&status, &home)?;
        in_batch += 1;
        if in_batch >= options.batch.max(1) {
            store
                .apply(&std::mem::take(&mut batch).into_batch())
                .await?;
            in_batch = 0;
        }
    }
    if !batch.is_empty() {
        store.apply(&batch.into_batch()).await?;
    }
    store.flush().await?;
    let disk_bytes = store.size_on_disk()?;
    drop(app);
    Ok(SeedReport {
        account_id: me.id,
        statuses: options.statuses,
        follows,
        elapsed: start.elapsed(),
        disk_bytes,
    })
}
