//! Grouped notifications, as Mastodon 4.3 groups them.
//!
//! - **Group keys.** When a favourite, boost or follow notification is created (and not
//!   filtered), it gets a key: `favourite-{status}-{bucket}`, `reblog-{status}-{bucket}` or
//!   `follow-{bucket}`, where the bucket is the hour (seconds since the epoch / 3600) it
//!   happened in — except that the bucket last given for the same account and prefix is
//!   reused while the new hour is less than 12 after it and that bucket was given less than
//!   12 hours ago (Mastodon keeps it in Redis with a 12-hour expiry). Other notifications
//!   are groups of their own, `ungrouped-{id}`.
//! - **Group records.** Each group's notifications (id and sender, oldest first) are kept in
//!   one record (`ns::NOTIFICATION_GROUPS`), updated in the batch that stores the
//!   notification, so that a page's groups — counts, sample accounts, page bounds — are read
//!   in one multi-read whatever their sizes. A record keeps the newest
//!   [`MAX_GROUP_MEMBERS`] notifications and counts the older ones it forgot.
//! - **Pages of groups.** [`App::notification_groups_page`] walks the notifications from the
//!   cursor, keeping the first notification met of each group, until it has `limit` groups
//!   (Mastodon's `paginate_groups`), reading `limit` notifications per step.
//!
//! Updates of a group record are read-modify-write; notifications of one account are
//! serialized by a striped lock in the process (one Woolly process per store, or on a shared
//! PostgreSQL store a rare lost update undercounts a group by one, as Mastodon accepts for
//! its buckets).

use std::collections::HashSet;
use std::sync::OnceLock;

use fedi_storage::{CollectionItem, Page, PageRequest, WriteBatch};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, MutexGuard};

use super::model::{id_time, ns, Notification, NotificationType};
use super::App;
use crate::error::Error;

/// A group's sample accounts (Mastodon's `SAMPLE_ACCOUNTS_SIZE`).
pub const SAMPLE_ACCOUNTS: usize = 8;
/// Groups reuse a bucket for at most this many hours (Mastodon's `MAXIMUM_GROUP_SPAN_HOURS`).
const MAX_GROUP_SPAN_HOURS: u64 = 12;
/// The most notifications a group record lists (older ones are only counted).
pub const MAX_GROUP_MEMBERS: usize = 10_000;
/// The most steps a walk for a page of groups takes.
const MAX_WALK_STEPS: usize = 10;
/// The notifications of a group (`ns::NOTIFICATION_GROUPS`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    /// `(notification id, sender)`, oldest first.
    pub members: Vec<(u64, u64)>,
    /// Older notifications no longer listed.
    #[serde(default)]
    pub older: u64,
}

/// The bucket last given to an account's groups of one prefix (`ns::NOTIFICATION_BUCKETS`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Bucket {
    /// Hours since the epoch.
    bucket: u64,
    /// When it was given (ms).
    set_at: u64,
}

/// Which notifications a list shows (Mastodon's `browserable`).
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Only these types (all when empty; unknown names match nothing).
    pub types: Vec<String>,
    /// Not these types.
    pub exclude_types: Vec<String>,
    /// Only from this account (filtered ones included, as Mastodon).
    pub from: Option<u64>,
    /// Filtered notifications too.
    pub include_filtered: bool,
}

impl NotificationFilter {
    /// Whether `n` is shown.
    pub fn matches(&self, n: &Notification) -> bool {
        let kind = n.kind.as_str();
        (self.types.is_empty() || self.types.iter().any(|t| t == kind))
            && !self.exclude_types.iter().any(|t| t == kind)
            && self.from.is_none_or(|f| f == n.from_account_id)
            && (!n.filtered || self.include_filtered || self.from.is_some())
    }
}

/// The types whose notifications are shown grouped (`grouped_types[]`; all groupable ones by
/// default).
#[derive(Debug, Clone)]
pub struct GroupedTypes(Vec<NotificationType>);

impl GroupedTypes {
    /// From `grouped_types[]` (an empty list is the default, as Mastodon's `presence`).
    pub fn from_names(names: &[String]) -> Self {
        if names.is_empty() {
            return Self::default();
        }
        GroupedTypes(
            names
                .iter()
                .filter_map(|n| NotificationType::parse(n))
                .filter(|t| t.is_groupable())
                .collect(),
        )
    }
    /// The key `n` is shown under.
    pub fn key_of(&self, n: &Notification) -> String {
        match &n.group_key {
            Some(k) if self.0.contains(&n.kind) => k.clone(),
            _ => format!("ungrouped-{}", n.id),
        }
    }
}

impl Default for GroupedTypes {
    fn default() -> Self {
        GroupedTypes(vec![
            NotificationType::Favourite,
            NotificationType::Reblog,
            NotificationType::Follow,
        ])
    }
}

/// The notifications a page's group data is taken from (Mastodon's `pagination_range`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRange {
    /// Lowest id, inclusive.
    pub begin: Option<u64>,
    /// Highest id, and whether it is included.
    pub end: Option<(u64, bool)>,
}

impl PageRange {
    fn below_end(&self, id: u64) -> bool {
        match self.end {
            None => true,
            Some((end, true)) => id <= end,
            Some((end, false)) => id < end,
        }
    }
}

/// A notification group as a page shows it.
#[derive(Debug, Clone)]
pub struct NotificationGroup {
    /// Its key.
    pub key: String,
    /// The notification met first for it (its type and status are the group's).
    pub notification: Notification,
    /// How many notifications it holds (up to the page's end).
    pub count: u64,
    /// Its newest notification (up to the page's end).
    pub most_recent_id: u64,
    /// Its newest senders, newest first, each once.
    pub sample_account_ids: Vec<u64>,
    /// On pages: its oldest notification within the page, and when its newest was created
    /// (ms).
    pub page: Option<(u64, u64)>,
}

/// A page of notification groups and the page of representatives (for `Link`).
#[derive(Debug)]
pub struct GroupsPage {
    /// The groups, newest first.
    pub groups: Vec<NotificationGroup>,
    /// One item per group, keyed by its notification's id.
    pub page: Page,
}

/// The lock serializing `account`'s notification writes.
pub(crate) fn account_lock(account: u64) -> &'static Mutex<()> {
    static LOCKS: OnceLock<Vec<Mutex<()>>> = OnceLock::new();
    let locks = LOCKS.get_or_init(|| (0..64).map(|_| Mutex::new(())).collect());
    &locks[(account % locks.len() as u64) as usize]
}

/// Locks `account`'s notification writes.
pub(crate) async fn lock_account(account: u64) -> MutexGuard<'static, ()> {
    account_lock(account).lock().await
}

impl App {
    /// Gives a new notification its group key (the caller holds [`lock_account`]) and adds
    /// the writes that record it to `batch`.
    pub(crate) async fn join_group(
        &self,
        batch: WriteBatch,
        n: &mut Notification,
    ) -> Result<WriteBatch, Error> {
        let prefix = match (n.kind, n.status_id) {
            (NotificationType::Favourite | NotificationType::Reblog, Some(s)) => {
                format!("{}-{s}", n.kind.as_str())
            }
            (NotificationType::Follow, _) => "follow".to_owned(),
            _ => return Ok(batch),
        };
        let bucket_key = format!("{}:{prefix}", n.account_id);
        let now = n.created_at;
        let mut bucket = now / 1000 / 3600;
        let span_ms = MAX_GROUP_SPAN_HOURS * 3600 * 1000;
        if let Some(prev) = self
            .get::<Bucket>(ns::NOTIFICATION_BUCKETS, &bucket_key)
            .await?
            .filter(|b| b.set_at.saturating_add(span_ms) > now)
        {
            if bucket < prev.bucket + MAX_GROUP_SPAN_HOURS {
                bucket = prev.bucket;
            }
        }
        let key = format!("{prefix}-{bucket}");
        let record_key = format!("{}:{key}", n.account_id);
        let mut record: GroupRecord = self
            .get(ns::NOTIFICATION_GROUPS, &record_key)
            .await?
            .unwrap_or_default();
        record.members.push((n.id, n.from_account_id));
        if record.members.len() > MAX_GROUP_MEMBERS {
            let extra = record.members.len() - MAX_GROUP_MEMBERS;
            record.members.drain(..extra);
            record.older += extra as u64;
        }
        n.group_key = Some(key);
        Ok(batch
            .kv_put(
                ns::NOTIFICATION_BUCKETS,
                bucket_key,
                serde_json::to_vec(&Bucket {
                    bucket,
                    set_at: now,
                })?,
            )
            .kv_put(
                ns::NOTIFICATION_GROUPS,
                record_key,
                serde_json::to_vec(&record)?,
            ))
    }

    /// Takes `n` out of its group's record (the caller holds [`lock_account`]), adding the
    /// write to `batch`.
    pub(crate) async fn leave_group(
        &self,
        batch: WriteBatch,
        n: &Notification,
    ) -> Result<WriteBatch, Error> {
        let Some(key) = &n.group_key else {
            return Ok(batch);
        };
        let record_key = format!("{}:{key}", n.account_id);
        let Some(mut record) = self
            .get::<GroupRecord>(ns::NOTIFICATION_GROUPS, &record_key)
            .await?
        else {
            return Ok(batch);
        };
        record.members.retain(|(id, _)| *id != n.id);
        Ok(if record.members.is_empty() && record.older == 0 {
            batch.kv_delete(ns::NOTIFICATION_GROUPS, record_key)
        } else {
            batch.kv_put(
                ns::NOTIFICATION_GROUPS,
                record_key,
                serde_json::to_vec(&record)?,
            )
        })
    }

    /// The notifications, one per group, of a page of `account_id`'s notification groups:
    /// walking from `req`'s cursor (newest first, or up from `min_id`), the first
    /// notification met of each group, until `req.limit` groups are found. Newest first.
    pub async fn notification_group_heads(
        &self,
        account_id: u64,
        req: &PageRequest,
        filter: &NotificationFilter,
        grouped: &GroupedTypes,
    ) -> Result<Vec<Notification>, Error> {
        let limit = req.limit;
        let upward = req.min_id.is_some();
        let mut step = if upward {
            let mut r = PageRequest::oldest(limit);
            r.min_id = req.lower_bound();
            r.max_id = req.max_id;
            r
        } else {
            let mut r = PageRequest::newest(limit);
            r.max_id = req.max_id;
            r.since_id = req.since_id;
            r
        };
        let mut seen = HashSet::new();
        let mut heads = Vec::new();
        for _ in 0..MAX_WALK_STEPS {
            if limit == 0 {
                break;
            }
            let (list, page) = self.notifications_page(account_id, &step).await?;
            for n in list {
                if heads.len() == limit {
                    break;
                }
                if filter.matches(&n) && seen.insert(grouped.key_of(&n)) {
                    heads.push(n);
                }
            }
            if heads.len() == limit || page.items.len() < step.limit {
                break;
            }
            if upward {
                step.min_id = page.prev_min_id();
            } else {
                step.max_id = page.next_max_id();
            }
        }
        if upward {
            heads.reverse();
        }
        Ok(heads)
    }

    /// The groups of `heads` (notifications one per group, newest first), their data taken
    /// from the notifications within `range` (`None`: all of them, without page data): one
    /// store call.
    pub async fn notification_groups_of(
        &self,
        account_id: u64,
        heads: Vec<Notification>,
        grouped: &GroupedTypes,
        range: Option<PageRange>,
    ) -> Result<Vec<NotificationGroup>, Error> {
        let keys: Vec<String> = heads
            .iter()
            .filter_map(|n| {
                let key = grouped.key_of(n);
                (!key.starts_with("ungrouped-")).then(|| format!("{account_id}:{key}"))
            })
            .collect();
        let mut records = self
            .get_many::<GroupRecord>(ns::NOTIFICATION_GROUPS, &keys)
            .await?
            .into_iter();
        let mut out = Vec::with_capacity(heads.len());
        for n in heads {
            let key = grouped.key_of(&n);
            let record = if key.starts_with("ungrouped-") {
                None
            } else {
                records.next().flatten()
            };
            out.push(group_from(key, n, record, range));
        }
        Ok(out)
    }

    /// A page of `account_id`'s notification groups (`GET /api/v2/notifications`).
    pub async fn notification_groups_page(
        &self,
        account_id: u64,
        req: &PageRequest,
        filter: &NotificationFilter,
        grouped: &GroupedTypes,
    ) -> Result<GroupsPage, Error> {
        let heads = self
            .notification_group_heads(account_id, req, filter, grouped)
            .await?;
        let mut page = Page::default();
        page.items = heads
            .iter()
            .map(|n| CollectionItem::new(n.id, n.id.to_string()))
            .collect();
        let (Some(first), Some(last)) = (heads.first(), heads.last()) else {
            return Ok(GroupsPage {
                groups: Vec::new(),
                page,
            });
        };
        let mut range = PageRange {
            begin: Some(last.id),
            end: Some((first.id, true)),
        };
        if heads.len() < req.limit {
            // The last page: its groups reach to the cursor.
            if req.min_id.is_some() {
                range.end = req.max_id.map(|m| (m, false));
            } else {
                range.begin = req.since_id.map(|s| s.saturating_add(1));
            }
        }
        let groups = self
            .notification_groups_of(account_id, heads, grouped, Some(range))
            .await?;
        Ok(GroupsPage { groups, page })
    }

    /// One of `account_id`'s groups by key (`ungrouped-{id}` or a group key); `NotFound`
    /// if it has no notification.
    pub async fn notification_group(
        &self,
        account_id: u64,
        key: &str,
    ) -> Result<NotificationGroup, Error> {
        let newest = self.group_notification_ids(account_id, key).await?.pop();
        let Some(id) = newest else {
            return Err(Error::NotFound(format!("notification group {key}")));
        };
        let n = self.notification(account_id, id).await?;
        let mut groups = self
            .notification_groups_of(account_id, vec![n], &GroupedTypes::default(), None)
            .await?;
        groups
            .pop()
            .ok_or_else(|| Error::NotFound(format!("notification group {key}")))
    }

    /// The `(id, sender)` of the notifications of `account_id`'s group `key`, oldest first
    /// (what its record lists; for `ungrouped-{id}`, that notification if it exists).
    pub async fn group_members(
        &self,
        account_id: u64,
        key: &str,
    ) -> Result<Vec<(u64, u64)>, Error> {
        if let Some(id) = key.strip_prefix("ungrouped-") {
            let Ok(id) = id.parse::<u64>() else {
                return Ok(Vec::new());
            };
            return Ok(match self.notification(account_id, id).await {
                Ok(n) if n.group_key.is_none() => vec![(n.id, n.from_account_id)],
                Ok(_) | Err(Error::NotFound(_)) => Vec::new(),
                Err(e) => return Err(e),
            });
        }
        Ok(self
            .get::<GroupRecord>(ns::NOTIFICATION_GROUPS, &format!("{account_id}:{key}"))
            .await?
            .map(|r| r.members)
            .unwrap_or_default())
    }

    async fn group_notification_ids(&self, account_id: u64, key: &str) -> Result<Vec<u64>, Error> {
        Ok(self
            .group_members(account_id, key)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// Dismisses every notification of `account_id`'s group `key` (none: nothing happens,
    /// as on Mastodon).
    pub async fn dismiss_notification_group(
        &self,
        account_id: u64,
        key: &str,
    ) -> Result<(), Error> {
        for id in self.group_notification_ids(account_id, key).await? {
            match self.dismiss_notification(account_id, id).await {
                Ok(()) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// How many groups of `account_id`'s notifications are newer than its `notifications`
    /// read marker (all without one), counting at most `limit`
    /// (`GET /api/v2/notifications/unread_count`).
    pub async fn unread_notification_groups(
        &self,
        account_id: u64,
        limit: usize,
        filter: &NotificationFilter,
        grouped: &GroupedTypes,
    ) -> Result<u64, Error> {
        let marker = self
            .get::<super::Marker>(ns::MARKERS, &format!("{account_id}:notifications"))
            .await?;
        let mut req = PageRequest::newest(limit);
        req.min_id = Some(marker.map_or(0, |m| m.last_read_id));
        let heads = self
            .notification_group_heads(account_id, &req, filter, grouped)
            .await?;
        Ok(heads.len() as u64)
    }
}

/// A group's data from its record, within `range`.
fn group_from(
    key: String,
    n: Notification,
    record: Option<GroupRecord>,
    range: Option<PageRange>,
) -> NotificationGroup {
    let single = |n: Notification, key: String| NotificationGroup {
        page: range.map(|_| (n.id, n.created_at)),
        count: 1,
        most_recent_id: n.id,
        sample_account_ids: vec![n.from_account_id],
        key,
        notification: n,
    };
    let Some(record) = record.filter(|r| !r.members.is_empty()) else {
        return single(n, key);
    };
    let r = range.unwrap_or_default();
    let upto: Vec<(u64, u64)> = record
        .members
        .iter()
        .copied()
        .filter(|(id, _)| r.below_end(*id))
        .collect();
    let Some(&(most_recent_id, _)) = upto.last() else {
        return single(n, key);
    };
    let mut samples = Vec::new();
    for (_, from) in upto.iter().rev() {
        if samples.len() == SAMPLE_ACCOUNTS {
            break;
        }
        if !samples.contains(from) {
            samples.push(*from);
        }
    }
    let begin = r.begin.unwrap_or(0);
    let page_min = record
        .members
        .iter()
        .map(|(id, _)| *id)
        .find(|id| *id >= begin)
        .unwrap_or(n.id);
    let latest_at = if most_recent_id == n.id {
        n.created_at
    } else {
        id_time(most_recent_id)
    };
    NotificationGroup {
        page: range.map(|_| (page_min, latest_at)),
        count: record.older + upto.len() as u64,
        most_recent_id,
        sample_account_ids: samples,
        key,
        notification: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: u64, kind: NotificationType, key: Option<&str>) -> Notification {
        Notification {
            id,
            kind,
            account_id: 1,
            from_account_id: 100 + id,
            status_id: Some(9),
            created_at: id_time(id),
            group_key: key.map(str::to_owned),
            filtered: false,
            report_id: None,
        }
    }

    #[test]
    fn grouped_types_choose_the_key() {
        let fav = n(5 << 16, NotificationType::Favourite, Some("favourite-9-1"));
        let mention = n(6 << 16, NotificationType::Mention, None);
        let all = GroupedTypes::default();
        assert_eq!(all.key_of(&fav), "favourite-9-1");
        assert_eq!(all.key_of(&mention), format!("ungrouped-{}", 6u64 << 16));
        let only_follows = GroupedTypes::from_names(&["follow".into(), "mention".into()]);
        assert_eq!(
            only_follows.key_of(&fav),
            format!("ungrouped-{}", 5u64 << 16)
        );
        assert_eq!(GroupedTypes::from_names(&[]).key_of(&fav), "favourite-9-1");
    }

    #[test]
    fn filter_hides_filtered_unless_asked_or_by_account() {
        let mut m = n(7 << 16, NotificationType::Mention, None);
        m.filtered = true;
        assert!(!NotificationFilter::default().matches(&m));
        let with = NotificationFilter {
            include_filtered: true,
            ..NotificationFilter::default()
        };
        assert!(with.matches(&m));
        let from = NotificationFilter {
            from: Some(m.from_account_id),
            ..NotificationFilter::default()
        };
        assert!(from.matches(&m));
        let types = NotificationFilter {
            types: vec!["follow".into()],
            include_filtered: true,
            ..NotificationFilter::default()
        };
        assert!(!types.matches(&m));
    }

    #[test]
    fn group_data_is_bounded_by_the_page() {
        let head = n(30, NotificationType::Favourite, Some("k"));
        let record = GroupRecord {
            members: (1..=40).map(|i| (i, 1000 + i % 10)).collect(),
            older: 2,
        };
        let range = PageRange {
            begin: Some(20),
            end: Some((30, true)),
        };
        let g = group_from("k".into(), head.clone(), Some(record.clone()), Some(range));
        assert_eq!(g.count, 32);
        assert_eq!(g.most_recent_id, 30);
        assert_eq!(g.page, Some((20, head.created_at)));
        // Newest first, each sender once, at most eight.
        assert_eq!(
            g.sample_account_ids,
            vec![1000, 1009, 1008, 1007, 1006, 1005, 1004, 1003]
        );
        let all = group_from("k".into(), head, Some(record), None);
        assert_eq!((all.count, all.most_recent_id, all.page), (42, 40, None));
        assert_eq!(all.page, None);
    }
}
