//! Mastodon 4.3's grouped notifications (`GroupedNotificationsResults`, `NotificationGroup`,
//! the partial accounts of `expand_accounts=partial_avatars`), `NotificationRequest` and
//! `NotificationPolicy` (v1 and v2).

use serde::Serialize;

use super::{Account, Status};
use crate::app::activitypub::rfc3339;
use crate::app::notification_groups::NotificationGroup as Group;
use crate::app::notification_policy::NotificationPolicy;
use crate::app::notification_requests::{NotificationRequest as Request, MAX_MEANINGFUL_COUNT};
use crate::app::{App, Loaded};

/// Mastodon's `NotificationGroup`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NotificationGroup {
    /// Its key (`ungrouped-{id}` for a group of one).
    pub group_key: String,
    /// How many notifications it holds.
    pub notifications_count: u64,
    /// The type of its notifications.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its newest notification.
    pub most_recent_notification_id: String,
    /// On pages: its oldest notification within the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_min_id: Option<String>,
    /// On pages: its newest notification within the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_max_id: Option<String>,
    /// On pages: when its newest notification within the page was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_page_notification_at: Option<String>,
    /// Its newest senders (in `accounts` or `partial_accounts`).
    pub sample_account_ids: Vec<String>,
    /// The status it is about (in `statuses`), for types about a status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
    /// The report, for `admin.report`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<super::report::Report>,
}

/// Mastodon's partial account (`expand_accounts=partial_avatars`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PartialAccount {
    /// Id.
    pub id: String,
    /// `user` or `user@domain`.
    pub acct: String,
    /// Follows need approval.
    pub locked: bool,
    /// A bot.
    pub bot: bool,
    /// The profile page.
    pub url: String,
    /// Avatar URL.
    pub avatar: String,
    /// Avatar URL, not animated.
    pub avatar_static: String,
}

impl From<&Account> for PartialAccount {
    fn from(a: &Account) -> Self {
        PartialAccount {
            id: a.id.clone(),
            acct: a.acct.clone(),
            locked: a.locked,
            bot: a.bot,
            url: a.url.clone(),
            avatar: a.avatar.clone(),
            avatar_static: a.avatar_static.clone(),
        }
    }
}

/// Mastodon's `GroupedNotificationsResults`: each account and status once.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GroupedNotificationsResults {
    /// Accounts the groups name (with `partial_avatars`: each group's newest sender).
    pub accounts: Vec<Account>,
    /// With `partial_avatars`: the other senders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_accounts: Option<Vec<PartialAccount>>,
    /// Statuses the groups are about.
    pub statuses: Vec<Status>,
    /// The groups.
    pub notification_groups: Vec<NotificationGroup>,
}

impl GroupedNotificationsResults {
    /// The results for `groups` from what `l` holds (loaded by
    /// [`App::load_notifications_with`] with the groups' sample accounts); a group whose
    /// status or newest sender is gone is left out. `partial`: Mastodon's
    /// `expand_accounts=partial_avatars`.
    pub(crate) fn build(app: &App, groups: &[Group], l: &Loaded, partial: bool) -> Self {
        let mut out = GroupedNotificationsResults {
            accounts: Vec::new(),
            partial_accounts: partial.then(Vec::new),
            statuses: Vec::new(),
            notification_groups: Vec::with_capacity(groups.len()),
        };
        let mut full: Vec<u64> = Vec::new();
        let mut part: Vec<u64> = Vec::new();
        let mut statuses: Vec<u64> = Vec::new();
        for g in groups {
            let n = &g.notification;
            let status = match n.status_id {
                Some(sid) => match l.status(sid).and_then(|s| Status::from_loaded(app, s, l)) {
                    Some(s) => Some((sid, s)),
                    None => continue,
                },
                None => None,
            };
            let report = match n.report_id {
                Some(rid) => match l
                    .report(rid)
                    .and_then(|r| super::report::Report::from_loaded(app, r, l))
                {
                    Some(r) => Some(r),
                    None => continue,
                },
                None => None,
            };
            let samples: Vec<u64> = g
                .sample_account_ids
                .iter()
                .copied()
                .filter(|id| l.account(*id).is_some())
                .collect();
            if samples.is_empty() {
                continue;
            }
            for (i, id) in samples.iter().enumerate() {
                if !partial || i == 0 {
                    if !full.contains(id) {
                        full.push(*id);
                    }
                } else if !part.contains(id) {
                    part.push(*id);
                }
            }
            let status_id = status.map(|(sid, s)| {
                if !statuses.contains(&sid) {
                    statuses.push(sid);
                    out.statuses.push(s);
                }
                sid.to_string()
            });
            let page = g.page.map(|(min, at)| (min.to_string(), rfc3339(at)));
            out.notification_groups.push(NotificationGroup {
                group_key: g.key.clone(),
                notifications_count: g.count,
                kind: n.kind.as_str(),
                most_recent_notification_id: g.most_recent_id.to_string(),
                page_min_id: page.as_ref().map(|(m, _)| m.clone()),
                page_max_id: page.as_ref().map(|_| g.most_recent_id.to_string()),
                latest_page_notification_at: page.map(|(_, at)| at),
                sample_account_ids: samples.iter().map(u64::to_string).collect(),
                status_id,
                report,
            });
        }
        let account = |id: &u64| l.account(*id).map(|a| Account::from_loaded(app, a, l));
        out.accounts = full.iter().filter_map(account).collect();
        if let Some(p) = out.partial_accounts.as_mut() {
            *p = part
                .iter()
                .filter(|id| !full.contains(id))
                .filter_map(account)
                .map(|a| PartialAccount::from(&a))
                .collect();
        }
        out
    }
}

/// Mastodon's `NotificationRequest`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NotificationRequest {
    /// Id.
    pub id: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
    /// The sender.
    pub account: Account,
    /// Filtered notifications held (a string, as Mastodon's; at most 100).
    pub notifications_count: String,
    /// The newest filtered mention's status, if it can still be shown.
    pub last_status: Option<Status>,
}

impl NotificationRequest {
    /// The entity of `r` from what `l` holds; `None` if its sender is gone.
    pub(crate) fn from_loaded(app: &App, r: &Request, l: &Loaded) -> Option<Self> {
        let from = l.account(r.from_account_id)?;
        Some(NotificationRequest {
            id: r.id.to_string(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            account: Account::from_loaded(app, from, l),
            notifications_count: r.notifications_count.min(MAX_MEANINGFUL_COUNT).to_string(),
            last_status: r
                .last_status_id
                .and_then(|id| l.status(id))
                .and_then(|s| Status::from_loaded(app, s, l)),
        })
    }
}

/// The `summary` of a policy.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct PolicySummary {
    /// Pending requests (at most 100).
    pub pending_requests_count: u64,
    /// Notifications they hold.
    pub pending_notifications_count: u64,
}

/// Mastodon's `NotificationPolicy` (v2).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyV2 {
    /// `accept`, `filter` or `drop`.
    pub for_not_following: &'static str,
    /// Likewise.
    pub for_not_followers: &'static str,
    /// Likewise.
    pub for_new_accounts: &'static str,
    /// Likewise.
    pub for_private_mentions: &'static str,
    /// Likewise.
    pub for_limited_accounts: &'static str,
    /// Pending requests.
    pub summary: PolicySummary,
}

impl PolicyV2 {
    /// The entity of `p`.
    pub(crate) fn new(p: &NotificationPolicy, summary: PolicySummary) -> Self {
        PolicyV2 {
            for_not_following: p.for_not_following.as_str(),
            for_not_followers: p.for_not_followers.as_str(),
            for_new_accounts: p.for_new_accounts.as_str(),
            for_private_mentions: p.for_private_mentions.as_str(),
            for_limited_accounts: p.for_limited_accounts.as_str(),
            summary,
        }
    }
}

/// Mastodon's v1 `NotificationPolicy` (booleans: anything but `accept` filters).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyV1 {
    /// Accounts not followed are filtered.
    pub filter_not_following: bool,
    /// Non-followers are filtered.
    pub filter_not_followers: bool,
    /// New accounts are filtered.
    pub filter_new_accounts: bool,
    /// Unsolicited private mentions are filtered.
    pub filter_private_mentions: bool,
    /// Pending requests.
    pub summary: PolicySummary,
}

impl PolicyV1 {
    /// The entity of `p`.
    pub(crate) fn new(p: &NotificationPolicy, summary: PolicySummary) -> Self {
        PolicyV1 {
            filter_not_following: p.for_not_following.filters(),
            filter_not_followers: p.for_not_followers.filters(),
            filter_new_accounts: p.for_new_accounts.filters(),
            filter_private_mentions: p.for_private_mentions.filters(),
            summary,
        }
    }
}
