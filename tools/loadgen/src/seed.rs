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
//!
//! With [`SeedOptions::rich`], every status also carries what makes a page's entities
//! costliest to build, each in the records the server keeps for it:
//!
//! - a poll of three options (a remote poll: its counts in the status record, as its server
//!   sent them), in which the local account voted on every other status
//!   ([`Bulk::poll_vote`]: its choice and the poll's voters collection);
//! - a custom emoji of its author's server, named as `:shortcode:` in the text and by key in
//!   the status's `emojis` ([`EMOJI_PER_DOMAIN`] records per server, [`Bulk::custom_emoji`]);
//! - a link to a page of its own, with that page's preview card (`card_url` and the
//!   `cards` record, [`Bulk::preview_card`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fedi_storage::sled::{SledConfig, SledStore};
use fedi_storage::{BatchStore, Store};
use reference_server::app::bulk::Bulk;
use reference_server::app::cards::{CardKind, PreviewCard};
use reference_server::app::emoji::CustomEmoji;
use reference_server::app::model::{
    Account, FollowRecord, MediaFile, Poll, Status, StatusVisibility,
};
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
    /// Every status with a poll, a custom emoji and a preview card (see the module
    /// documentation).
    pub rich: bool,
    /// The statuses are the local account's own (unlisted, so in no public timeline),
    /// instead of the followed accounts': an account with a large outbox, for the archive
    /// export benchmark.
    pub own: bool,
}

/// Custom emoji per remote server when seeding rich statuses (status `j` shows
/// `:bench_{j % EMOJI_PER_DOMAIN}:`).
pub const EMOJI_PER_DOMAIN: u64 = 20;

/// Remote servers the followed accounts live on.
const DOMAINS: u64 = 10;

/// The options of every seeded poll.
const POLL_OPTIONS: [&str; 3] = ["Yes", "No", "It depends"];

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
            rich: false,
            own: false,
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

/// The custom emoji `bench_{k}` of the `d`th remote server, not cached here (shown from its
/// server's URL).
fn remote_emoji(d: u64, k: u64, at_ms: u64) -> CustomEmoji {
    let host = format!("peer{d}.bench.example");
    CustomEmoji {
        shortcode: format!("bench_{k}"),
        domain: Some(host.clone()),
        file: None,
        remote_url: Some(format!("https://{host}/system/custom_emojis/bench_{k}.png")),
        uri: Some(format!("https://{host}/emojis/{k}")),
        remote_updated: Some("2026-11-01T00:00:00Z".into()),
        category: None,
        visible_in_picker: false,
        updated_at: at_ms,
    }
}

/// Gives status `j` of `author` a poll (voted in by `voter` on even `j`), a custom emoji and
/// a preview card, adding the records they name to `batch`.
fn enrich(
    mut batch: Bulk,
    status: &mut Status,
    author: &Account,
    j: u64,
    voter: u64,
) -> Result<Bulk> {
    let host = author.domain.clone().unwrap_or_default();
    // The emoji, in the text and by key.
    let shortcode = format!("bench_{}", j % EMOJI_PER_DOMAIN);
    let emoji_key = reference_server::app::emoji::emoji_key(&shortcode, Some(&host));
    // The card of a page of its own.
    let link = format!("https://news{}.bench.example/articles/{j}", j % 100);
    status.content = format!(
        "{} :{shortcode}: <a href=\"{link}\" rel=\"nofollow noopener\" target=\"_blank\">{link}</a></p>",
        status.content.trim_end_matches("</p>")
    );
    status.emojis = vec![emoji_key];
    status.card_url = Some(link.clone());
    let card = PreviewCard {
        url: link.clone(),
        title: format!("Article {j}: a headline of ordinary length for a news page"),
        description: "The first sentence or two of the article, as its page describes \
                      itself in its OpenGraph tags, long enough to be cut in the card."
            .into(),
        language: Some("en".into()),
        kind: CardKind::Link,
        author_name: "A. Journalist".into(),
        author_url: String::new(),
        provider_name: format!("News {}", j % 100),
        provider_url: String::new(),
        html: String::new(),
        width: 400,
        height: 210,
        image_remote_url: Some(format!(
            "https://news{}.bench.example/images/{j}.jpg",
            j % 100
        )),
        image: Some(MediaFile {
            key: format!("cache/preview_cards/{j}.jpg"),
            content_type: "image/jpeg".into(),
            size: 24_000,
        }),
        image_description: String::new(),
        embed_url: String::new(),
        blurhash: Some("UEHLh[WB2yk8pyoJadR*.7kCMdnjS#M|%1%2".into()),
        published_at: Some(status.created_at),
        author_account_id: None,
        fetched_at: status.created_at,
    };
    batch = batch.preview_card(&link, &card)?;
    // The poll: counts as its server sent them, the local account's vote on even `j`.
    let mut counts = vec![j % 7, j % 5, j % 3];
    let mut voters = counts.iter().sum::<u64>();
    let mine = j.is_multiple_of(2).then_some((j % 3) as usize);
    if let Some(c) = mine {
        counts[c] += 1;
        voters += 1;
    }
    status.poll = Some(Poll {
        options: POLL_OPTIONS.iter().map(|o| (*o).to_owned()).collect(),
        multiple: false,
        hide_totals: false,
        expires_at: Some(status.created_at + 7 * 86_400_000),
        counts,
        voters_count: Some(voters),
        closed_at: None,
    });
    if let Some(c) = mine {
        batch = batch.poll_vote(status, voter, &[c], status.id)?;
    }
    Ok(batch)
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
        let host = format!("peer{}.bench.example", i % DOMAINS);
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
            role: Default::default(),
            moderation: Default::default(),
            migration: Default::default(),
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
    if options.rich {
        for d in 0..DOMAINS.min(follows) {
            for k in 0..EMOJI_PER_DOMAIN {
                batch = batch.custom_emoji(&remote_emoji(d, k, acct_base))?;
            }
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
        let author = if options.own {
            &me
        } else {
            &authors[(j % follows) as usize]
        };
        let ms = first_ms + j * step_ms;
        let id = ms << 16;
        let uri = format!("{}/statuses/{id}", author.actor);
        let text = format!(
            "Seeded status {j}: a toot of ordinary length, with a sentence or two of text \
             so that each record is about the size of a real one. #bench"
        );
        let mut status = Status {
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
        if options.own {
            status.local = true;
            status.visibility = StatusVisibility::Unlisted;
            status.text = Some(text.clone());
            status.conversation = None;
        }
        if options.rich {
            batch = enrich(batch, &mut status, author, j, me.id)?;
        }
        let home_of: &[u64] = if options.own { &[] } else { &home };
        batch = batch.received_status(&status, home_of)?;
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
