//! Notification policies (Mastodon 4.3's filtering of notifications from strangers): what a
//! local account does with notifications from accounts it does not follow, that do not
//! follow it, that are new, or that mention it privately out of the blue — accept them,
//! filter them (held in notification requests, see `notification_requests.rs`) or drop them
//! — and the decision [`App::notify`] takes from it.

use serde::{Deserialize, Serialize};

use super::model::{ns, pair, Account, FollowRecord, NotificationType, Status, StatusVisibility};
use super::App;
use crate::error::Error;

/// Accounts created less than this long ago are new (Mastodon's `NEW_ACCOUNT_THRESHOLD`).
const NEW_ACCOUNT_MS: u64 = 30 * 24 * 3600 * 1000;
/// Followers of less than this long do not count as followers (Mastodon's
/// `NEW_FOLLOWER_THRESHOLD`).
const NEW_FOLLOWER_MS: u64 = 3 * 24 * 3600 * 1000;
/// How far up a thread a private mention is looked for a conversation the recipient began.
const MAX_THREAD_DEPTH: usize = 100;

/// What a policy does with a kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    /// Shown as usual.
    Accept,
    /// Kept out of the list; mentions are held in a notification request.
    Filter,
    /// Not created at all.
    Drop,
}

impl PolicyAction {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyAction::Accept => "accept",
            PolicyAction::Filter => "filter",
            PolicyAction::Drop => "drop",
        }
    }
    /// Parses Mastodon's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accept" => Some(PolicyAction::Accept),
            "filter" => Some(PolicyAction::Filter),
            "drop" => Some(PolicyAction::Drop),
            _ => None,
        }
    }
    /// The v1 API's boolean: anything but `accept` filters.
    pub fn filters(self) -> bool {
        self != PolicyAction::Accept
    }
}

/// A local account's notification policy (Mastodon's `NotificationPolicy`; defaults as
/// Mastodon 4.3's: private mentions and limited accounts filtered, the rest accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPolicy {
    /// Accounts the owner does not follow.
    pub for_not_following: PolicyAction,
    /// Accounts that do not follow the owner (or have for less than 3 days).
    pub for_not_followers: PolicyAction,
    /// Accounts created in the past 30 days.
    pub for_new_accounts: PolicyAction,
    /// Direct mentions from accounts the owner does not follow, unless in reply to the
    /// owner's own direct mention of them.
    pub for_private_mentions: PolicyAction,
    /// Accounts limited by a moderator (Woolly has no limited accounts yet: kept and shown).
    pub for_limited_accounts: PolicyAction,
}

impl Default for NotificationPolicy {
    fn default() -> Self {
        NotificationPolicy {
            for_not_following: PolicyAction::Accept,
            for_not_followers: PolicyAction::Accept,
            for_new_accounts: PolicyAction::Accept,
            for_private_mentions: PolicyAction::Filter,
            for_limited_accounts: PolicyAction::Filter,
        }
    }
}

/// What becomes of a notification about to be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Created and shown.
    Accept,
    /// Created, filtered.
    Filter,
    /// Not created.
    Drop,
}

/// Which of the policy's conditions hold for a sender.
#[derive(Debug, Default, Clone, Copy)]
struct Conditions {
    not_following: bool,
    not_follower: bool,
    new_account: bool,
    private_mention: bool,
}

impl NotificationPolicy {
    /// The strongest action among the conditions that hold (Mastodon checks drop first,
    /// then filter).
    fn verdict(&self, c: Conditions) -> Verdict {
        let actions = [
            (c.not_following, self.for_not_following),
            (c.not_follower, self.for_not_followers),
            (c.new_account && c.not_following, self.for_new_accounts),
            (
                c.private_mention && c.not_following,
                self.for_private_mentions,
            ),
        ];
        let holding = || actions.iter().filter(|(holds, _)| *holds).map(|(_, a)| *a);
        if holding().any(|a| a == PolicyAction::Drop) {
            Verdict::Drop
        } else if holding().any(|a| a == PolicyAction::Filter) {
            Verdict::Filter
        } else {
            Verdict::Accept
        }
    }
    /// Whether any condition can filter or drop, so that there is something to check.
    fn is_all_accept(&self) -> bool {
        [
            self.for_not_following,
            self.for_not_followers,
            self.for_new_accounts,
            self.for_private_mentions,
        ]
        .iter()
        .all(|a| *a == PolicyAction::Accept)
    }
}

impl App {
    /// `account_id`'s notification policy (the default if it never set one).
    pub async fn notification_policy(&self, account_id: u64) -> Result<NotificationPolicy, Error> {
        Ok(self
            .get(ns::NOTIFICATION_POLICIES, &account_id.to_string())
            .await?
            .unwrap_or_default())
    }

    /// Saves `account_id`'s notification policy.
    pub async fn set_notification_policy(
        &self,
        account_id: u64,
        policy: &NotificationPolicy,
    ) -> Result<(), Error> {
        self.put(ns::NOTIFICATION_POLICIES, &account_id.to_string(), policy)
            .await
    }

    /// Whether `account_id` accepted `from`'s notifications (a request of theirs was
    /// accepted): the policy no longer applies to them.
    pub(crate) async fn notifications_permitted(
        &self,
        account_id: u64,
        from: u64,
    ) -> Result<bool, Error> {
        Ok(self
            .get_str(ns::NOTIFICATION_PERMISSIONS, &pair(account_id, from))
            .await?
            .is_some())
    }

    /// What `recipient`'s policy makes of a notification of `kind` from `sender` (about
    /// `status`, for mentions): Mastodon's `DropCondition` and `FilterCondition`.
    pub(crate) async fn notification_verdict(
        &self,
        recipient: u64,
        kind: NotificationType,
        sender: &Account,
        status: Option<&Status>,
    ) -> Result<Verdict, Error> {
        if !kind.is_filterable() {
            return Ok(Verdict::Accept);
        }
        let policy = self.notification_policy(recipient).await?;
        let direct_mention = kind == NotificationType::Mention
            && status.is_some_and(|s| s.visibility == StatusVisibility::Direct);
        // Only conditions whose action is not `accept` need reading (with the default policy,
        // only direct mentions do).
        let only_private = policy.for_not_following == PolicyAction::Accept
            && policy.for_not_followers == PolicyAction::Accept
            && policy.for_new_accounts == PolicyAction::Accept;
        if policy.is_all_accept() || (only_private && !direct_mention) {
            return Ok(Verdict::Accept);
        }
        if self.notifications_permitted(recipient, sender.id).await? {
            return Ok(Verdict::Accept);
        }
        let now = self.now_ms();
        let not_following = !self.is_following(recipient, sender.id).await?;
        let not_follower = match self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(sender.id, recipient))
            .await?
        {
            Some(f) => !f.accepted || f.created_at.saturating_add(NEW_FOLLOWER_MS) > now,
            None => true,
        };
        let private_mention = match status {
            Some(s) if direct_mention && not_following => {
                !self.in_reply_to_recipient(s, recipient, sender.id).await?
            }
            _ => false,
        };
        Ok(policy.verdict(Conditions {
            not_following,
            not_follower,
            new_account: sender.created_at.saturating_add(NEW_ACCOUNT_MS) > now,
            private_mention,
        }))
    }

    /// Whether `s` answers, somewhere up its thread, a direct status of `recipient` that
    /// mentions `sender` (a private conversation the recipient began is not a stranger's).
    async fn in_reply_to_recipient(
        &self,
        s: &Status,
        recipient: u64,
        sender: u64,
    ) -> Result<bool, Error> {
        let mut next = s.in_reply_to_id;
        for _ in 0..MAX_THREAD_DEPTH {
            let Some(id) = next else {
                return Ok(false);
            };
            let Some(parent) = self.get::<Status>(ns::STATUSES, &id.to_string()).await? else {
                return Ok(false);
            };
            if parent.account_id == recipient
                && parent.visibility == StatusVisibility::Direct
                && parent.mentions.contains(&sender)
            {
                return Ok(true);
            }
            next = parent.in_reply_to_id;
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_wins_over_filter_and_conditions_combine_as_mastodon() {
        let mut p = NotificationPolicy::default();
        let stranger_dm = Conditions {
            not_following: true,
            not_follower: true,
            new_account: false,
            private_mention: true,
        };
        assert_eq!(p.verdict(stranger_dm), Verdict::Filter);
        // A followed account's private mention is not a stranger's.
        let followed_dm = Conditions {
            not_following: false,
            ..stranger_dm
        };
        assert_eq!(p.verdict(followed_dm), Verdict::Accept);
        p.for_not_followers = PolicyAction::Drop;
        assert_eq!(p.verdict(stranger_dm), Verdict::Drop);
        assert_eq!(p.verdict(followed_dm), Verdict::Drop);
        // New accounts count only when not followed.
        let p = NotificationPolicy {
            for_new_accounts: PolicyAction::Filter,
            for_private_mentions: PolicyAction::Accept,
            ..NotificationPolicy::default()
        };
        let new = Conditions {
            new_account: true,
            ..Conditions::default()
        };
        assert_eq!(p.verdict(new), Verdict::Accept);
        assert_eq!(
            p.verdict(Conditions {
                not_following: true,
                ..new
            }),
            Verdict::Filter
        );
        assert!(NotificationPolicy {
            for_private_mentions: PolicyAction::Accept,
            ..NotificationPolicy::default()
        }
        .is_all_accept());
        assert!(!NotificationPolicy::default().is_all_accept());
    }

    #[test]
    fn actions_parse_and_print() {
        for a in [
            PolicyAction::Accept,
            PolicyAction::Filter,
            PolicyAction::Drop,
        ] {
            assert_eq!(PolicyAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(PolicyAction::parse("Accept"), None);
        assert!(PolicyAction::Drop.filters() && !PolicyAction::Accept.filters());
    }
}
