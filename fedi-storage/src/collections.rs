//! Collections: ordered collections (followers, outboxes, timelines) paged with Mastodon's
//! cursors. The [`CollectionStore`] trait, its conveniences and its records.

use async_trait::async_trait;

use crate::error::Result;

/// Ordered collections: followers, following, outboxes, inboxes, timelines, likes, shares,
/// replies, notifications. A collection is named by a string such as
/// `"followers:https://example.com/users/alice"`; each member (usually an IRI) appears at most
/// once, under a `u64` sort key (larger is newer).
#[async_trait]
pub trait CollectionStore: Send + Sync {
    /// Inserts `item`. If its member is already present, its key is replaced (the member
    /// moves). Returns `true` if the member was new. Durable on return.
    async fn insert(&self, collection: &str, item: &CollectionItem) -> Result<bool>;

    /// Removes `member`. Returns whether it was present. Durable on return.
    async fn remove(&self, collection: &str, member: &str) -> Result<bool>;

    /// The sort key of `member`, if present.
    async fn key_of(&self, collection: &str, member: &str) -> Result<Option<u64>>;

    /// How many members the collection has (constant time).
    async fn count(&self, collection: &str) -> Result<u64>;

    /// A page of the collection; see [`PageRequest`] for the cursor semantics.
    async fn page(&self, collection: &str, request: &PageRequest) -> Result<Page>;

    // Multi-reads: one call for what a page of records needs (the counts of 40 statuses,
    // whether each is pinned). A backend behind a network answers each with one query; the
    // defaults loop over the single reads, so every backend has them, and the bundled
    // backends read everything in one synchronous step.

    /// The counts of several collections ([`CollectionStore::count`]), in the order asked.
    async fn count_many(&self, collections: &[&str]) -> Result<Vec<u64>> {
        let mut out = Vec::with_capacity(collections.len());
        for c in collections {
            out.push(self.count(c).await?);
        }
        Ok(out)
    }

    /// The newest item (largest key) of each of several collections, in the order asked
    /// (`None` for an empty one): what "when did this account last post" needs.
    async fn newest_many(&self, collections: &[&str]) -> Result<Vec<Option<CollectionItem>>> {
        let mut out = Vec::with_capacity(collections.len());
        for c in collections {
            let page = self.page(c, &PageRequest::newest(1)).await?;
            out.push(page.items.into_iter().next());
        }
        Ok(out)
    }

    /// The sort keys of several `(collection, member)` pairs ([`CollectionStore::key_of`]),
    /// in the order asked (`None` where the member is absent).
    async fn key_of_many(&self, pairs: &[(&str, &str)]) -> Result<Vec<Option<u64>>> {
        let mut out = Vec::with_capacity(pairs.len());
        for (c, m) in pairs {
            out.push(self.key_of(c, m).await?);
        }
        Ok(out)
    }
}

/// Conveniences on [`CollectionStore`].
#[async_trait]
pub trait CollectionStoreExt: CollectionStore {
    /// Whether `member` is in the collection.
    async fn contains(&self, collection: &str, member: &str) -> Result<bool> {
        Ok(self.key_of(collection, member).await?.is_some())
    }
    /// Every member, newest first, read in pages of `page_size`.
    async fn all_members(&self, collection: &str, page_size: usize) -> Result<Vec<CollectionItem>> {
        let page_size = page_size.max(1);
        let mut out = Vec::new();
        let mut req = PageRequest::newest(page_size);
        loop {
            let page = self.page(collection, &req).await?;
            let full = page.items.len() == page_size;
            let next = page.next_max_id();
            out.extend(page.items);
            match (full, next) {
                (true, Some(n)) => req = PageRequest::newest(page_size).max_id(n),
                _ => return Ok(out),
            }
        }
    }
}
impl<T: CollectionStore + ?Sized> CollectionStoreExt for T {}

/// One member of an ordered collection with its sort key.
///
/// Sort keys should be unique within a collection (snowflake-like ids: milliseconds in the
/// high bits, a sequence in the low bits); members with equal keys are ordered by member.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct CollectionItem {
    /// The sort key (larger is newer).
    pub key: u64,
    /// The member, usually an IRI.
    pub member: String,
}

impl CollectionItem {
    /// An item.
    pub fn new(key: u64, member: impl Into<String>) -> Self {
        CollectionItem {
            key,
            member: member.into(),
        }
    }
}

/// The order of the items in a returned page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Order {
    /// Largest keys first (Mastodon's order for every list).
    #[default]
    NewestFirst,
    /// Smallest keys first.
    OldestFirst,
}

/// Which page of a collection to read, with Mastodon's cursor semantics.
///
/// * `max_id`: only items with key strictly less than it (older).
/// * `since_id`: only items with key strictly greater than it; with [`Order::NewestFirst`]
///   the page is the newest `limit` items above it.
/// * `min_id`: only items with key strictly greater than it; the page is the `limit` items
///   *immediately after* it (the oldest ones above it), i.e. paging forward.
///
/// With [`Order::NewestFirst`] (the default), the page is anchored at the newest end of the
/// range unless `min_id` is set, and items come newest first, as in Mastodon's API. With
/// [`Order::OldestFirst`] the page is always anchored at the oldest end of the range and items
/// come oldest first (walking a collection forward). If both `since_id` and `min_id` are set,
/// the larger one is the lower bound.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageRequest {
    /// Upper bound, exclusive.
    pub max_id: Option<u64>,
    /// Lower bound, exclusive; page anchored at the newest end.
    pub since_id: Option<u64>,
    /// Lower bound, exclusive; page anchored just after it.
    pub min_id: Option<u64>,
    /// The most items to return (0 returns an empty page).
    pub limit: usize,
    /// The order of the returned items.
    pub order: Order,
}

impl PageRequest {
    /// The newest `limit` items, newest first.
    pub fn newest(limit: usize) -> Self {
        PageRequest {
            max_id: None,
            since_id: None,
            min_id: None,
            limit,
            order: Order::NewestFirst,
        }
    }
    /// The oldest `limit` items, oldest first.
    pub fn oldest(limit: usize) -> Self {
        PageRequest {
            order: Order::OldestFirst,
            ..Self::newest(limit)
        }
    }
    /// Sets `max_id`.
    pub fn max_id(mut self, id: u64) -> Self {
        self.max_id = Some(id);
        self
    }
    /// Sets `since_id`.
    pub fn since_id(mut self, id: u64) -> Self {
        self.since_id = Some(id);
        self
    }
    /// Sets `min_id`.
    pub fn min_id(mut self, id: u64) -> Self {
        self.min_id = Some(id);
        self
    }

    /// The exclusive lower bound, if any.
    pub fn lower_bound(&self) -> Option<u64> {
        match (self.since_id, self.min_id) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the page is anchored at the oldest end of its range.
    pub fn anchored_at_oldest(&self) -> bool {
        self.order == Order::OldestFirst || self.min_id.is_some()
    }
}

/// A page of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Page {
    /// The items, in the requested order.
    pub items: Vec<CollectionItem>,
}

impl Page {
    /// The `max_id` for the next older page (the smallest key in this page).
    pub fn next_max_id(&self) -> Option<u64> {
        self.items.iter().map(|i| i.key).min()
    }
    /// The `min_id` for the next newer page (the largest key in this page).
    pub fn prev_min_id(&self) -> Option<u64> {
        self.items.iter().map(|i| i.key).max()
    }
    /// The members, in page order.
    pub fn members(&self) -> Vec<&str> {
        self.items.iter().map(|i| i.member.as_str()).collect()
    }
}
