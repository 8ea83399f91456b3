//! The records the server keeps: accounts, statuses, follows, notifications.
//!
//! Records are JSON in the key-value space of [`fedi_storage`]; ordered lists (timelines,
//! followers, notifications …) are its collections, keyed by time-sortable ids.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Key-value namespaces (private to `app`: the API and HTTP layers call `App`).
pub(in crate::app) mod ns {
    /// Account id → [`Account`](super::Account).
    pub const ACCOUNTS: &str = "accounts";
    /// Actor IRI → account id.
    pub const ACCOUNT_BY_IRI: &str = "accounts.by_iri";
    /// Lowercased `user` (local) or `user@domain` (remote) → account id.
    pub const ACCOUNT_BY_ACCT: &str = "accounts.by_acct";
    /// Account id → password hash (local accounts).
    pub const PASSWORDS: &str = "accounts.passwords";
    /// Status id → [`Status`](super::Status).
    pub const STATUSES: &str = "statuses";
    /// Status (object) IRI → status id.
    pub const STATUS_BY_URI: &str = "statuses.by_uri";
    /// `{follower}:{target}` → [`FollowRecord`](super::FollowRecord).
    pub const FOLLOWS: &str = "follows";
    /// Follow activity IRI → `{follower}:{target}`.
    pub const FOLLOW_BY_URI: &str = "follows.by_uri";
    /// `{account}:{status}` → [`Reaction`](super::Reaction) (favourites).
    pub const FAVOURITES: &str = "favourites";
    /// `{account}:{status}` → the reblog's status id.
    pub const REBLOGS: &str = "reblogs";
    /// `{account}:{target}` → [`Reaction`](super::Reaction); and `{account}:domain:{domain}`
    /// → [`Reaction`](super::Reaction), a user-level domain block
    /// ([`domain_block_key`](super::domain_block_key)).
    pub const BLOCKS: &str = "blocks";
    /// `{account}:{target}` → [`Reaction`](super::Reaction).
    pub const MUTES: &str = "mutes";
    /// Domain → [`DomainBlock`](super::DomainBlock).
    pub const DOMAIN_BLOCKS: &str = "domain_blocks";
    /// Domain → [`DomainAllow`](super::DomainAllow) (allow-list mode).
    pub const DOMAIN_ALLOWS: &str = "domain_allows";
    /// Notification id → [`Notification`](super::Notification).
    pub const NOTIFICATIONS: &str = "notifications";
    /// `{account}:{key}` → status id (the `Idempotency-Key` of a post).
    pub const IDEMPOTENCY: &str = "statuses.idempotency";
    /// Remote account id → its actor's `featured` collection IRI (pinned posts).
    pub const FEATURED: &str = "accounts.featured";
    /// Status id → [`StatusApplication`](super::StatusApplication) (the name keeps the
    /// namespace the client API wrote before the record moved here).
    pub const STATUS_APPS: &str = "api.status_app";
    /// Media attachment id → [`MediaAttachment`](super::MediaAttachment).
    pub const MEDIA: &str = "media";
    /// List id → [`UserList`](crate::app::lists::UserList).
    pub const LISTS: &str = "lists";
    /// Conversation id → [`Conversation`](crate::app::conversations::Conversation).
    pub const CONVERSATIONS: &str = "conversations";
    /// `{account}:{thread}:{participants}` → conversation id (Mastodon's unique
    /// `AccountConversation` key).
    pub const CONVERSATION_BY_KEY: &str = "conversations.by_key";
    /// A local account's private marks on statuses, in one namespace so that a page reads
    /// the viewer's marks of all its statuses in one store call: `{account}:bookmark:{status}`
    /// → [`Bookmark`](super::Bookmark) ([`bookmark_key`](super::bookmark_key)), and
    /// `{account}:mute:{thread key}` → [`Reaction`](super::Reaction), a muted conversation
    /// ([`thread_mute_key`](super::thread_mute_key)); and `{account}:filters` → every
    /// [`Filter`](crate::app::filters::Filter) of the account ([`filters_key`](super::filters_key)),
    /// read with the page's marks in the same call.
    pub const VIEWER_MARKS: &str = "statuses.viewer_marks";
    /// `{account}:{timeline}` → [`Marker`](super::Marker) (`home`, `notifications`).
    pub const MARKERS: &str = "markers";
    /// Scheduled status id → [`ScheduledStatus`](super::ScheduledStatus).
    pub const SCHEDULED: &str = "scheduled_statuses";
    /// `{account}:{group_key}` → the notifications of a notification group.
    pub const NOTIFICATION_GROUPS: &str = "notifications.groups";
    /// `{account}:{type prefix}` → the hour bucket its newest group was given.
    pub const NOTIFICATION_BUCKETS: &str = "notifications.group_buckets";
    /// Account id → its notification policy.
    pub const NOTIFICATION_POLICIES: &str = "notifications.policies";
    /// Request id → a notification request.
    pub const NOTIFICATION_REQUESTS: &str = "notifications.requests";
    /// `{account}:{from}` → the id of the request of `from`'s notifications to `account`.
    pub const NOTIFICATION_REQUEST_BY_SENDER: &str = "notifications.requests.by_sender";
    /// `{account}:{from}` → when `account` accepted `from`'s filtered notifications (ms).
    pub const NOTIFICATION_PERMISSIONS: &str = "notifications.permissions";
    /// `{status}:{account}` → the option indexes a local account chose in a poll (JSON).
    pub const POLL_VOTES: &str = "polls.votes";
    /// Status id → `1` while a coalesced `Update(Question)` of its poll is queued.
    pub const POLL_UPDATE_PENDING: &str = "polls.update_pending";
    /// Status id → `1` once the closing job of a remote poll (for its local voters) is
    /// queued.
    pub const POLL_CLOSE_QUEUED: &str = "polls.close_queued";
    /// Linked URL → [`PreviewCard`](crate::app::cards::PreviewCard).
    pub const CARDS: &str = "cards";
    /// `{status}:{authorization id}` → [`QuoteAuthorizationRecord`](crate::app::quotes::QuoteAuthorizationRecord).
    pub const QUOTE_AUTHORIZATIONS: &str = "quotes.authorizations";
    /// Actor IRI → `1`: remote accounts suspended here, whose activities are refused.
    pub const SUSPENDED_ACTORS: &str = "accounts.suspended_actors";
}

/// Collection names (private to `app`; [`List`] names them for the other layers).
pub(in crate::app) mod coll {
    /// A local account's home timeline (status ids).
    pub fn home(account: u64) -> String {
        format!("home:{account}")
    }
    /// Local public statuses.
    pub const LOCAL: &str = "timeline:local";
    /// Remote public statuses.
    pub const REMOTE: &str = "timeline:remote";
    /// All public statuses.
    pub const FEDERATED: &str = "timeline:federated";
    /// Public statuses with a hashtag (lowercased).
    pub fn tag(tag: &str) -> String {
        format!("tag:{}", tag.to_lowercase())
    }
    /// An account's statuses and reblogs.
    pub fn statuses_of(account: u64) -> String {
        format!("statuses_of:{account}")
    }
    /// Replies to a status.
    pub fn replies(status: u64) -> String {
        format!("replies:{status}")
    }
    /// Accepted followers of an account (account ids).
    pub fn followers(account: u64) -> String {
        format!("followers_of:{account}")
    }
    /// Accounts an account follows (accepted; account ids).
    pub fn following(account: u64) -> String {
        format!("following_of:{account}")
    }
    /// Pending follow requests to an account (account ids).
    pub fn requests(account: u64) -> String {
        format!("requests_of:{account}")
    }
    /// Accounts that favourited a status.
    pub fn favourited_by(status: u64) -> String {
        format!("favourited_by:{status}")
    }
    /// Statuses an account favourited.
    pub fn favourites_of(account: u64) -> String {
        format!("favourites_of:{account}")
    }
    /// Accounts that reblogged a status.
    pub fn reblogged_by(status: u64) -> String {
        format!("reblogged_by:{status}")
    }
    /// An account's pinned statuses.
    pub fn pinned(account: u64) -> String {
        format!("pinned:{account}")
    }
    /// An account's notifications (notification ids).
    pub fn notifications(account: u64) -> String {
        format!("notifications:{account}")
    }
    /// An account's notification requests (request ids, keyed by id).
    pub fn notification_requests(account: u64) -> String {
        format!("notification_requests:{account}")
    }
    /// An account's filtered notifications from one sender (notification ids).
    pub fn filtered_notifications(account: u64, from: u64) -> String {
        format!("notifications_filtered:{account}:{from}")
    }
    /// Accounts an account blocks.
    pub fn blocks(account: u64) -> String {
        format!("blocks_of:{account}")
    }
    /// Domains an account blocks (user-level domain blocks; member: the domain).
    pub fn domain_blocks(account: u64) -> String {
        format!("domain_blocks_of:{account}")
    }
    /// Accounts an account mutes.
    pub fn mutes(account: u64) -> String {
        format!("mutes_of:{account}")
    }
    /// Statuses an account bookmarked (status ids, keyed by bookmark id).
    pub fn bookmarks_of(account: u64) -> String {
        format!("bookmarks_of:{account}")
    }
    /// An account's scheduled statuses (scheduled status ids, keyed by id).
    pub fn scheduled_of(account: u64) -> String {
        format!("scheduled_of:{account}")
    }
    /// Every scheduled status (ids), keyed by when it is due ([`due_key`](super::due_key)):
    /// what the publishing job reads.
    pub const SCHEDULED_DUE: &str = "scheduled:due";
    /// Local accounts (account ids).
    pub const LOCAL_ACCOUNTS: &str = "accounts:local";
    /// An account's lists (list ids, keyed by id: creation order).
    pub fn lists_of(account: u64) -> String {
        format!("lists_of:{account}")
    }
    /// The accounts of a list (account ids, keyed by account id, as Mastodon pages them).
    pub fn list_accounts(list: u64) -> String {
        format!("list_accounts:{list}")
    }
    /// The lists (of any owner) an account is in (list ids): what fan-out reads.
    pub fn lists_with(account: u64) -> String {
        format!("lists_with:{account}")
    }
    /// A list's timeline (status ids).
    pub fn list_timeline(list: u64) -> String {
        format!("list_timeline:{list}")
    }
    /// An account's conversations (conversation ids, keyed by their last status id).
    pub fn conversations(account: u64) -> String {
        format!("conversations_of:{account}")
    }
    /// Uploaded media not attached to a status yet (media ids, keyed by id, so by upload
    /// time): what the cleanup job sweeps.
    pub const UNATTACHED_MEDIA: &str = "media:unattached";
    /// Accounts (ids) that voted for option `option` of the poll of `status` (local polls).
    pub fn poll_option(status: u64, option: usize) -> String {
        format!("poll_votes:{status}:{option}")
    }
    /// Accounts (ids) that voted in the poll of `status` (local polls; remote polls: the
    /// local voters).
    pub fn poll_voters(status: u64) -> String {
        format!("poll_voters:{status}")
    }
    /// Cached remote files (`media:{id}`, `avatar:{account}`, `header:{account}`,
    /// `card:{url}`), keyed by
    /// the time they were cached: what the cache cleanup sweeps.
    pub const CACHED_MEDIA: &str = "media:cached";
}

/// A list the instance keeps, by what it lists. The API and HTTP layers page and count them
/// through [`App::page`](super::App::page) and [`App::count`](super::App::count); where each
/// is stored is `app`'s business.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum List {
    /// A local account's home timeline (statuses).
    Home(u64),
    /// Local public statuses.
    LocalTimeline,
    /// Remote public statuses.
    RemoteTimeline,
    /// All public statuses.
    FederatedTimeline,
    /// Public statuses with a hashtag (any case).
    Tag(String),
    /// An account's statuses and reblogs.
    StatusesOf(u64),
    /// Replies to a status.
    RepliesTo(u64),
    /// An account's pinned statuses.
    Pinned(u64),
    /// Statuses an account favourited.
    FavouritesOf(u64),
    /// Statuses an account bookmarked (keyed by bookmark id).
    BookmarksOf(u64),
    /// Accepted followers of an account (accounts).
    Followers(u64),
    /// Accounts an account follows (accepted).
    Following(u64),
    /// Pending follow requests to an account (accounts).
    Requests(u64),
    /// Accounts that favourited a status.
    FavouritedBy(u64),
    /// Accounts that reblogged a status.
    RebloggedBy(u64),
    /// Accounts an account blocks.
    Blocks(u64),
    /// Accounts an account mutes.
    Mutes(u64),
    /// An account's notifications.
    Notifications(u64),
    /// Local accounts.
    LocalAccounts,
    /// A list's timeline (statuses).
    ListTimeline(u64),
    /// The accounts of a list.
    ListAccounts(u64),
}

impl List {
    /// The store collection that holds it.
    pub(in crate::app) fn key(&self) -> String {
        match self {
            List::Home(a) => coll::home(*a),
            List::LocalTimeline => coll::LOCAL.to_owned(),
            List::RemoteTimeline => coll::REMOTE.to_owned(),
            List::FederatedTimeline => coll::FEDERATED.to_owned(),
            List::Tag(t) => coll::tag(t),
            List::StatusesOf(a) => coll::statuses_of(*a),
            List::RepliesTo(s) => coll::replies(*s),
            List::Pinned(a) => coll::pinned(*a),
            List::FavouritesOf(a) => coll::favourites_of(*a),
            List::BookmarksOf(a) => coll::bookmarks_of(*a),
            List::Followers(a) => coll::followers(*a),
            List::Following(a) => coll::following(*a),
            List::Requests(a) => coll::requests(*a),
            List::FavouritedBy(s) => coll::favourited_by(*s),
            List::RebloggedBy(s) => coll::reblogged_by(*s),
            List::Blocks(a) => coll::blocks(*a),
            List::Mutes(a) => coll::mutes(*a),
            List::Notifications(a) => coll::notifications(*a),
            List::LocalAccounts => coll::LOCAL_ACCOUNTS.to_owned(),
            List::ListTimeline(l) => coll::list_timeline(*l),
            List::ListAccounts(l) => coll::list_accounts(*l),
        }
    }
}

/// Time-sortable 64-bit ids, as Mastodon's: milliseconds since the epoch in the high 48 bits,
/// a sequence in the low 16.
#[derive(Debug, Default)]
pub struct IdGen {
    seq: AtomicU64,
    last: AtomicU64,
}

impl IdGen {
    /// A fresh id for an event happening now (`now_ms`): increasing across calls.
    pub fn next(&self, now_ms: u64) -> u64 {
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let candidate = (prev + 1).max(now_ms << 16);
            match self.last.compare_exchange_weak(
                prev,
                candidate,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return candidate,
                Err(p) => prev = p,
            }
        }
    }
    /// An id for something that happened at `millis` (a remote status's `published`), sorted
    /// by that time; at or after `now_ms` it is [`IdGen::next`].
    pub fn at(&self, millis: u64, now_ms: u64) -> u64 {
        if millis >= now_ms {
            return self.next(now_ms);
        }
        (millis << 16) | (self.seq.fetch_add(1, Ordering::Relaxed) & 0xffff)
    }
}

/// The millisecond time an id was issued at.
pub fn id_time(id: u64) -> u64 {
    id >> 16
}

/// An account, local or remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Id.
    pub id: u64,
    /// `preferredUsername`.
    pub username: String,
    /// `None` for local accounts.
    pub domain: Option<String>,
    /// The actor IRI.
    pub actor: String,
    /// The profile page.
    pub url: String,
    /// Inbox.
    pub inbox: Option<String>,
    /// Shared inbox.
    pub shared_inbox: Option<String>,
    /// Followers collection IRI.
    pub followers_url: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Bio, HTML.
    pub note: String,
    /// Bio as typed (local accounts).
    #[serde(default)]
    pub note_source: String,
    /// Follows need approval.
    pub locked: bool,
    /// A bot (`Service`) or an application.
    pub bot: bool,
    /// Profile fields (name, value HTML).
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Header URL.
    pub header: Option<String>,
    /// A local account's uploaded avatar: its files in the media store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_file: Option<ProfileImage>,
    /// A local account's uploaded header: its files in the media store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_file: Option<ProfileImage>,
    /// Created (ms).
    pub created_at: u64,
    /// Listed in directories.
    #[serde(default)]
    pub discoverable: bool,
    /// Gone (the actor was deleted).
    #[serde(default)]
    pub deleted: bool,
    /// The custom emoji its display name, bio and fields show (keys of
    /// [`CustomEmoji`](super::CustomEmoji) records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emojis: Vec<String>,
    /// A local account's role (accounts stored before roles existed read as `user`).
    #[serde(default, skip_serializing_if = "is_user_role")]
    pub role: super::roles::Role,
    /// What moderators did to it, and whether its own server suspended it.
    #[serde(
        default,
        skip_serializing_if = "super::moderation::Moderation::is_clear"
    )]
    pub moderation: super::moderation::Moderation,
    /// Account migration: aliases (`alsoKnownAs`) and where it moved (`movedTo`); see
    /// [`migration`](super::migration).
    #[serde(default, skip_serializing_if = "super::migration::Migration::is_clear")]
    pub migration: super::migration::Migration,
}

fn is_user_role(r: &super::roles::Role) -> bool {
    *r == super::roles::Role::User
}

impl Account {
    /// `user` for local accounts, `user@domain` for remote ones.
    pub fn acct(&self) -> String {
        match &self.domain {
            Some(d) => format!("{}@{d}", self.username),
            None => self.username.clone(),
        }
    }
    /// Whether the account lives here.
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }
    /// Whether it is suspended, here or (a remote account) by its own server: its profile
    /// is blanked and its statuses are not shown.
    pub fn is_suspended(&self) -> bool {
        self.moderation.suspended_at.is_some() || self.moderation.origin_suspended
    }
}

/// The files of an uploaded avatar or header (media store keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileImage {
    /// The image (cropped and resized; animated if the upload was).
    pub key: String,
    /// Its content type.
    pub content_type: String,
    /// A still version when the image is animated (`avatar_static`, `header_static`).
    #[serde(default)]
    pub static_key: Option<String>,
}

/// A status's visibility as Mastodon's client API names it and the records store it:
/// Mastodon's four values. What a post's addressing says, in the vocabulary's terms, is
/// [`activitypub_core::Visibility`] (which adds `limited`); [`StatusVisibility::to_ap`] and
/// [`StatusVisibility::from_ap`] convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusVisibility {
    /// Everyone, listed in public timelines.
    Public,
    /// Everyone, not in public timelines.
    Unlisted,
    /// Followers (and mentioned accounts).
    Private,
    /// Mentioned accounts only.
    Direct,
}

impl StatusVisibility {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusVisibility::Public => "public",
            StatusVisibility::Unlisted => "unlisted",
            StatusVisibility::Private => "private",
            StatusVisibility::Direct => "direct",
        }
    }
    /// Parses Mastodon's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => StatusVisibility::Public,
            "unlisted" => StatusVisibility::Unlisted,
            "private" => StatusVisibility::Private,
            "direct" => StatusVisibility::Direct,
            _ => return None,
        })
    }
    /// The vocabulary's visibility.
    pub fn to_ap(self) -> activitypub_core::Visibility {
        match self {
            StatusVisibility::Public => activitypub_core::Visibility::Public,
            StatusVisibility::Unlisted => activitypub_core::Visibility::Unlisted,
            StatusVisibility::Private => activitypub_core::Visibility::FollowersOnly,
            StatusVisibility::Direct => activitypub_core::Visibility::Direct,
        }
    }
    /// From the vocabulary's visibility (`limited` reads as direct).
    pub fn from_ap(v: activitypub_core::Visibility) -> Self {
        match v {
            activitypub_core::Visibility::Public => StatusVisibility::Public,
            activitypub_core::Visibility::Unlisted => StatusVisibility::Unlisted,
            activitypub_core::Visibility::FollowersOnly => StatusVisibility::Private,
            _ => StatusVisibility::Direct,
        }
    }
    /// Whether it can be boosted (public and unlisted only).
    pub fn is_boostable(self) -> bool {
        matches!(self, StatusVisibility::Public | StatusVisibility::Unlisted)
    }
}

/// An earlier version of an edited status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// Content HTML.
    pub content: String,
    /// Content warning.
    pub spoiler_text: String,
    /// Sensitive.
    pub sensitive: bool,
    /// When this version was made (ms).
    pub created_at: u64,
    /// Its media attachments, in order.
    #[serde(default)]
    pub media_ids: Vec<u64>,
}

/// A status (toot) or a reblog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Id.
    pub id: u64,
    /// The object IRI (Note), or the Announce IRI for a reblog.
    pub uri: String,
    /// The public page.
    pub url: String,
    /// Author.
    pub account_id: u64,
    /// HTML.
    pub content: String,
    /// What the author typed (local statuses).
    pub text: Option<String>,
    /// Content warning.
    pub spoiler_text: String,
    /// Sensitive.
    pub sensitive: bool,
    /// Visibility.
    pub visibility: StatusVisibility,
    /// Language.
    pub language: Option<String>,
    /// The parent status, if known here.
    pub in_reply_to_id: Option<u64>,
    /// The parent's IRI.
    pub in_reply_to_uri: Option<String>,
    /// The parent's author.
    pub in_reply_to_account_id: Option<u64>,
    /// For a reblog: the reblogged status.
    pub reblog_of_id: Option<u64>,
    /// Mentioned accounts.
    pub mentions: Vec<u64>,
    /// Hashtags (without `#`, as written).
    pub tags: Vec<String>,
    /// Created (ms).
    pub created_at: u64,
    /// Last edited (ms).
    pub edited_at: Option<u64>,
    /// Earlier versions, oldest first.
    #[serde(default)]
    pub edits: Vec<Edit>,
    /// Posted here.
    pub local: bool,
    /// The Create (or Announce) activity IRI.
    pub activity_uri: Option<String>,
    /// The conversation (thread) IRI.
    pub conversation: Option<String>,
    /// Media attachments, in order ([`MediaAttachment`] ids).
    #[serde(default)]
    pub media_ids: Vec<u64>,
    /// Its poll, if it has one (the poll's id is the status's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Poll>,
    /// The linked URL whose preview card it shows (the key of its
    /// [`PreviewCard`](crate::app::cards::PreviewCard)), once the card is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_url: Option<String>,
    /// The post it quotes, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<crate::app::quotes::Quote>,
    /// The custom emoji it shows (keys of [`CustomEmoji`](super::CustomEmoji) records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emojis: Vec<String>,
}

/// Where a media attachment is in its processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaState {
    /// Uploaded, being processed (`url` is `null` in the entity).
    Processing,
    /// Processed: its files are in the media store (or, for remote media, at its remote URL).
    Ready,
    /// Processing failed.
    Failed {
        /// Why.
        message: String,
    },
}

/// One stored file of a media attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFile {
    /// The media store key.
    pub key: String,
    /// Its content type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A media attachment: an upload of a local account, or the attachment of a remote status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaAttachment {
    /// Id (time-sortable: the upload time).
    pub id: u64,
    /// The owner (uploader, or the remote status's author).
    pub account_id: u64,
    /// The status it is attached to, once attached.
    #[serde(default)]
    pub status_id: Option<u64>,
    /// Mastodon's `type`.
    pub kind: crate::media::MediaKind,
    /// Processing state.
    pub state: MediaState,
    /// The original (processed) file; `None` while processing, or for remote media not
    /// cached here.
    #[serde(default)]
    pub file: Option<MediaFile>,
    /// The small preview file.
    #[serde(default)]
    pub preview: Option<MediaFile>,
    /// A still version (of an animated image).
    #[serde(default)]
    pub static_file: Option<MediaFile>,
    /// For remote media: its URL on its server.
    #[serde(default)]
    pub remote_url: Option<String>,
    /// For remote media: its preview's URL on its server.
    #[serde(default)]
    pub preview_remote_url: Option<String>,
    /// Alt text.
    #[serde(default)]
    pub description: Option<String>,
    /// Focal point, x and y in [-1, 1].
    #[serde(default)]
    pub focus: Option<(f64, f64)>,
    /// Blurhash of the preview.
    #[serde(default)]
    pub blurhash: Option<String>,
    /// Mastodon's `meta` (`original`, `small`, `focus`).
    #[serde(default)]
    pub meta: serde_json::Value,
    /// Created (ms).
    pub created_at: u64,
}

impl MediaAttachment {
    /// Whether it is still being processed.
    pub fn is_processing(&self) -> bool {
        self.state == MediaState::Processing
    }
    /// Every media store key it holds.
    pub fn keys(&self) -> Vec<&str> {
        [&self.file, &self.preview, &self.static_file]
            .into_iter()
            .flatten()
            .map(|f| f.key.as_str())
            .collect()
    }
}

/// The application a local status was posted with (Mastodon's `Application` on a status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusApplication {
    /// The application's name.
    pub name: String,
    /// Its website.
    pub website: Option<String>,
}

/// A follow (accepted or pending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowRecord {
    /// The Follow activity IRI.
    pub uri: String,
    /// Accepted.
    pub accepted: bool,
    /// Created (ms).
    pub created_at: u64,
}

/// A favourite, block or mute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The activity IRI (Like, Block), if any.
    pub uri: Option<String>,
    /// Created (ms).
    pub created_at: u64,
}

/// A mute of an account (Mastodon's `Mute`): its statuses leave the muter's timelines until
/// it expires; its notifications too unless `notifications` is off. Older records (a
/// [`Reaction`]) read as mutes of notifications that never expire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteRecord {
    /// Unused (the shape of [`Reaction`], which mutes were before).
    #[serde(default)]
    pub uri: Option<String>,
    /// Created (ms).
    pub created_at: u64,
    /// When it ends (ms), if it does.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// Notifications from the account are muted too (Mastodon's `hide_notifications`).
    #[serde(default = "notifications_muted_by_default")]
    pub notifications: bool,
}

fn notifications_muted_by_default() -> bool {
    true
}

impl MuteRecord {
    /// Whether it still applies at `now_ms` (expiry is applied when a mute is read).
    pub fn is_active(&self, now_ms: u64) -> bool {
        self.expires_at.is_none_or(|e| e > now_ms)
    }
}

pub use super::instance_domains::{DomainAllow, DomainBlock};

/// Notification types, as Mastodon names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationType {
    /// Someone mentioned you.
    Mention,
    /// Someone followed you.
    Follow,
    /// Someone asked to follow you.
    FollowRequest,
    /// Someone favourited your status.
    Favourite,
    /// Someone boosted your status.
    Reblog,
    /// A status you boosted was edited.
    Update,
    /// Someone you enabled notifications for posted.
    Status,
    /// A poll you voted in or created has ended.
    Poll,
    /// Someone filed a report (to staff; Mastodon's `admin.report`).
    #[serde(rename = "admin.report")]
    AdminReport,
}

impl NotificationType {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationType::Mention => "mention",
            NotificationType::Follow => "follow",
            NotificationType::FollowRequest => "follow_request",
            NotificationType::Favourite => "favourite",
            NotificationType::Reblog => "reblog",
            NotificationType::Update => "update",
            NotificationType::Status => "status",
            NotificationType::Poll => "poll",
            NotificationType::AdminReport => "admin.report",
        }
    }
    /// Mastodon's name parsed.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "mention" => NotificationType::Mention,
            "follow" => NotificationType::Follow,
            "follow_request" => NotificationType::FollowRequest,
            "favourite" => NotificationType::Favourite,
            "reblog" => NotificationType::Reblog,
            "update" => NotificationType::Update,
            "status" => NotificationType::Status,
            "admin.report" => NotificationType::AdminReport,
            _ => return None,
        })
    }
    /// Whether a notification policy may filter or drop it (Mastodon's `filterable`).
    pub fn is_filterable(self) -> bool {
        match self {
            NotificationType::Mention
            | NotificationType::Follow
            | NotificationType::FollowRequest
            | NotificationType::Favourite
            | NotificationType::Reblog => true,
            NotificationType::Update
            | NotificationType::Status
            | NotificationType::Poll
            | NotificationType::AdminReport => false,
        }
    }
    /// Whether notifications of this type are given a group key (Mastodon 4.3 groups
    /// favourites, boosts and follows).
    pub fn is_groupable(self) -> bool {
        matches!(
            self,
            NotificationType::Favourite | NotificationType::Reblog | NotificationType::Follow
        )
    }
}

/// A notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Id.
    pub id: u64,
    /// Type.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// The notified (local) account.
    pub account_id: u64,
    /// Who did it.
    pub from_account_id: u64,
    /// The status concerned.
    pub status_id: Option<u64>,
    /// Created (ms).
    pub created_at: u64,
    /// The group it belongs to (favourites, boosts and follows that are not filtered; see
    /// `app/notification_groups.rs`); `None`: a group of its own (`ungrouped-{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_key: Option<String>,
    /// Held back by the notification policy: not listed (unless asked for) until accepted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub filtered: bool,
    /// The report it is about (`admin.report`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<u64>,
}

/// A bookmark of a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bookmark {
    /// Its id: the sort key of the bookmark list (Mastodon pages bookmarks by it).
    pub id: u64,
    /// Created (ms).
    pub created_at: u64,
}

/// The conversation a status belongs to, as thread mutes name it: the thread's
/// `conversation` IRI (a local thread's is its root's `/contexts/{id}`, a remote one's what
/// its server sent or, failing that, its root's), else the status's own IRI (a root that
/// names none).
pub fn thread_key(s: &Status) -> String {
    s.conversation.clone().unwrap_or_else(|| s.uri.clone())
}

/// The key of `account`'s bookmark of `status` in `ns::VIEWER_MARKS`.
pub fn bookmark_key(account: u64, status: u64) -> String {
    format!("{account}:bookmark:{status}")
}

/// The key of `account`'s mute of the conversation of `s` in `ns::VIEWER_MARKS`.
pub fn thread_mute_key(account: u64, s: &Status) -> String {
    format!("{account}:mute:{}", thread_key(s))
}

/// The key of `account`'s block of `domain` in `ns::BLOCKS` (beside its blocks of accounts,
/// so a page reads both in one call).
pub fn domain_block_key(account: u64, domain: &str) -> String {
    format!("{account}:domain:{domain}")
}

/// The domains a host answers to for user-level domain blocks: itself, without its port,
/// and each parent domain (a server whose accounts are `@user@example.com` often serves
/// `social.example.com`).
pub fn domain_candidates(host: &str) -> Vec<String> {
    let host = host.to_lowercase();
    let bare = host.split(':').next().unwrap_or(&host).to_owned();
    let mut out = vec![host.clone()];
    if bare != host {
        out.push(bare.clone());
    }
    let mut rest = bare.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.contains('.') {
            out.push(parent.to_owned());
        }
        rest = parent;
    }
    out
}

/// The key of `account`'s filters in `ns::VIEWER_MARKS`.
pub fn filters_key(account: u64) -> String {
    format!("{account}:filters")
}

pub use super::markers::Marker;
pub use super::polls::Poll;
pub use super::scheduled::{due_key, ScheduledParams, ScheduledStatus};

/// A pair key `{a}:{b}`.
pub fn pair(a: u64, b: u64) -> String {
    format!("{a}:{b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_never_repeat() {
        let g = IdGen::default();
        let a = g.next(1_000);
        let b = g.next(1_000);
        let c = g.next(2_000);
        assert!(a < b && b < c);
        assert_eq!(id_time(c), 2_000);
        assert_eq!(id_time(g.at(1_500, 2_000)), 1_500);
        let mut all: Vec<u64> = (0..70_000).map(|_| g.next(3_000)).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}
