//! Lists: a local account's named sets of followed accounts, each with its own timeline
//! filled on write (see [`App::distribute`]), as Mastodon's lists work: `replies_policy`
//! decides which replies enter, and an `exclusive` list keeps its members' posts out of the
//! owner's home timeline.
//!
//! A list is a record in [`ns::LISTS`]; the owner's lists, a list's accounts, the lists an
//! account is in (whatever their owner: what fan-out reads) and a list's timeline are store
//! collections ([`coll::lists_of`], [`coll::list_accounts`], [`coll::lists_with`],
//! [`coll::list_timeline`]).

use std::collections::BTreeSet;

use fedi_storage::{CollectionItem, CollectionStoreExt, Page, PageRequest, WriteBatch};
use serde::{Deserialize, Serialize};

use super::model::{coll, ns, pair, FollowRecord, Status};
use super::App;
use crate::error::Error;

/// How many lists an account may have (Mastodon's `List::PER_ACCOUNT_LIMIT`).
pub const MAX_LISTS: u64 = 50;

/// How many of an account's newest statuses enter a list's timeline when the account is
/// added to the list (Mastodon merges the account's recent statuses into the list feed).
pub const MERGE_ON_ADD: usize = 40;

/// Which replies a list shows (Mastodon's `replies_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepliesPolicy {
    /// Replies to any followed account.
    Followed,
    /// Replies to members of the list (the default).
    List,
    /// No replies to others.
    None,
}

impl RepliesPolicy {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RepliesPolicy::Followed => "followed",
            RepliesPolicy::List => "list",
            RepliesPolicy::None => "none",
        }
    }
    /// Parses Mastodon's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "followed" => RepliesPolicy::Followed,
            "list" => RepliesPolicy::List,
            "none" => RepliesPolicy::None,
            _ => return None,
        })
    }
}

/// A list (Mastodon's `List`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    /// Id.
    pub id: u64,
    /// The owner (a local account).
    pub account_id: u64,
    /// Title.
    pub title: String,
    /// Which replies it shows.
    pub replies_policy: RepliesPolicy,
    /// Its members' posts stay out of the owner's home timeline.
    pub exclusive: bool,
    /// Created (ms).
    pub created_at: u64,
}

/// What changes in a list ([`App::update_list`]); `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct ListChanges {
    /// A new title (must not be blank).
    pub title: Option<String>,
    /// A new replies policy.
    pub replies_policy: Option<RepliesPolicy>,
    /// Whether it is exclusive.
    pub exclusive: Option<bool>,
}

fn blank_title() -> Error {
    Error::Unprocessable("Validation failed: Title can't be blank".into())
}

/// Whether a list takes `s` by its replies policy, as Mastodon's `FeedManager#filter_from_list?`:
/// a reply to someone other than its author enters only when it replies to the owner, the
/// policy is `followed`, or the policy is `list` and the replied-to account is a member.
pub(crate) fn takes_reply(list: &UserList, s: &Status, replied_to_is_member: bool) -> bool {
    match s.in_reply_to_account_id {
        Some(to) if to != s.account_id => {
            to == list.account_id
                || list.replies_policy == RepliesPolicy::Followed
                || (list.replies_policy == RepliesPolicy::List && replied_to_is_member)
        }
        _ => true,
    }
}

impl App {
    /// `owner`'s lists, oldest first.
    pub async fn lists_of(&self, owner: u64) -> Result<Vec<UserList>, Error> {
        let items = self
            .store()
            .page(
                &coll::lists_of(owner),
                &PageRequest::oldest(MAX_LISTS as usize * 2),
            )
            .await?;
        let keys: Vec<String> = items.members().into_iter().map(str::to_owned).collect();
        Ok(self
            .get_many::<UserList>(ns::LISTS, &keys)
            .await?
            .into_iter()
            .flatten()
            .filter(|l| l.account_id == owner)
            .collect())
    }

    /// `owner`'s list `id` (not found if it is someone else's).
    pub async fn list(&self, owner: u64, id: u64) -> Result<UserList, Error> {
        match self.get::<UserList>(ns::LISTS, &id.to_string()).await? {
            Some(l) if l.account_id == owner => Ok(l),
            _ => Err(Error::NotFound(format!("list {id}"))),
        }
    }

    /// Creates a list, with Mastodon's rules: a title that is not blank, at most
    /// [`MAX_LISTS`] lists.
    pub async fn create_list(
        &self,
        owner: u64,
        title: &str,
        replies_policy: RepliesPolicy,
        exclusive: bool,
    ) -> Result<UserList, Error> {
        if title.trim().is_empty() {
            return Err(blank_title());
        }
        if self.store().count(&coll::lists_of(owner)).await? >= MAX_LISTS {
            return Err(Error::Unprocessable(
                "Validation failed: You have reached the maximum number of lists".into(),
            ));
        }
        let now = self.now_ms();
        let list = UserList {
            id: self.inner.ids.next(now),
            account_id: owner,
            title: title.to_owned(),
            replies_policy,
            exclusive,
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(ns::LISTS, list.id.to_string(), serde_json::to_vec(&list)?)
            .insert(coll::lists_of(owner), list.id, list.id.to_string());
        self.store().apply(&batch).await?;
        Ok(list)
    }

    /// Changes a list's title, replies policy or exclusivity.
    pub async fn update_list(
        &self,
        owner: u64,
        id: u64,
        changes: ListChanges,
    ) -> Result<UserList, Error> {
        let mut list = self.list(owner, id).await?;
        if let Some(t) = changes.title {
            if t.trim().is_empty() {
                return Err(blank_title());
            }
            list.title = t;
        }
        if let Some(p) = changes.replies_policy {
            list.replies_policy = p;
        }
        if let Some(e) = changes.exclusive {
            list.exclusive = e;
        }
        self.put(ns::LISTS, &id.to_string(), &list).await?;
        Ok(list)
    }

    /// Deletes a list with its memberships and its timeline.
    pub async fn delete_list(&self, owner: u64, id: u64) -> Result<(), Error> {
        let list = self.list(owner, id).await?;
        let member = list.id.to_string();
        let mut batch = WriteBatch::new()
            .kv_delete(ns::LISTS, member.clone())
            .remove(coll::lists_of(owner), member.clone());
        for a in self
            .store()
            .all_members(&coll::list_accounts(id), 500)
            .await?
        {
            if let Ok(acc) = a.member.parse::<u64>() {
                batch = batch.remove(coll::lists_with(acc), member.clone());
            }
            batch = batch.remove(coll::list_accounts(id), a.member);
        }
        for s in self
            .store()
            .all_members(&coll::list_timeline(id), 500)
            .await?
        {
            batch = batch.remove(coll::list_timeline(id), s.member);
        }
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// A page of a list's accounts (their ids; keyed by account id, as Mastodon pages them).
    pub async fn list_accounts_page(
        &self,
        owner: u64,
        id: u64,
        req: &PageRequest,
    ) -> Result<(Vec<super::Account>, Page), Error> {
        self.list(owner, id).await?;
        let page = self.store().page(&coll::list_accounts(id), req).await?;
        let ids: Vec<u64> = page
            .members()
            .into_iter()
            .filter_map(|m| m.parse().ok())
            .collect();
        let accounts = self
            .accounts_by_id(&ids)
            .await?
            .into_iter()
            .flatten()
            .collect();
        Ok((accounts, page))
    }

    /// Adds accounts to a list, with Mastodon's rules: every account exists (else not found)
    /// and is followed or asked to be followed by the owner, or is the owner (else
    /// `Validation failed: Account must be a followed account`), and none is in the list
    /// already (`Validation failed: Account has already been taken`). Nothing is added
    /// unless all can be. Each added account's [`MERGE_ON_ADD`] newest statuses the owner may
    /// see enter the list's timeline.
    pub async fn add_to_list(&self, owner: u64, id: u64, accounts: &[u64]) -> Result<(), Error> {
        let list = self.list(owner, id).await?;
        let accounts: Vec<u64> = accounts
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let found = self.accounts_by_id(&accounts).await?;
        if found.iter().any(Option::is_none) {
            return Err(Error::NotFound("account".into()));
        }
        let follow_keys: Vec<String> = accounts.iter().map(|a| pair(owner, *a)).collect();
        let follows = self
            .get_many::<FollowRecord>(ns::FOLLOWS, &follow_keys)
            .await?;
        if accounts
            .iter()
            .zip(&follows)
            .any(|(a, f)| *a != owner && f.is_none())
        {
            return Err(Error::Unprocessable(
                "Validation failed: Account must be a followed account".into(),
            ));
        }
        let members = coll::list_accounts(id);
        for a in &accounts {
            if self.store().contains(&members, &a.to_string()).await? {
                return Err(Error::Unprocessable(
                    "Validation failed: Account has already been taken".into(),
                ));
            }
        }
        let member = list.id.to_string();
        let mut batch = WriteBatch::new();
        for a in &accounts {
            batch = batch.insert(members.clone(), *a, a.to_string()).insert(
                coll::lists_with(*a),
                list.id,
                member.clone(),
            );
        }
        self.store().apply(&batch).await?;
        for a in &accounts {
            self.merge_into_list(&list, *a).await?;
        }
        Ok(())
    }

    /// Puts `account`'s newest statuses that the owner may see into the list's timeline.
    async fn merge_into_list(&self, list: &UserList, account: u64) -> Result<(), Error> {
        let (statuses, _) = self
            .statuses_page(
                &super::List::StatusesOf(account),
                &PageRequest::newest(MERGE_ON_ADD),
                Some(list.account_id),
            )
            .await?;
        let mut batch = WriteBatch::new();
        for s in &statuses {
            if s.visibility == super::StatusVisibility::Direct {
                continue;
            }
            let member_reply = match s.in_reply_to_account_id {
                Some(to) => {
                    self.store()
                        .contains(&coll::list_accounts(list.id), &to.to_string())
                        .await?
                }
                None => false,
            };
            if takes_reply(list, s, member_reply) {
                batch = batch.insert(coll::list_timeline(list.id), s.id, s.id.to_string());
            }
        }
        if !batch.is_empty() {
            self.store().apply(&batch).await?;
        }
        Ok(())
    }

    /// Removes accounts from a list (those not in it are ignored), with their statuses from
    /// its timeline (the newest few hundred, as Mastodon unmerges them).
    pub async fn remove_from_list(
        &self,
        owner: u64,
        id: u64,
        accounts: &[u64],
    ) -> Result<(), Error> {
        let list = self.list(owner, id).await?;
        for a in accounts {
            self.drop_member(&list, *a).await?;
        }
        Ok(())
    }

    async fn drop_member(&self, list: &UserList, account: u64) -> Result<(), Error> {
        let members = coll::list_accounts(list.id);
        if !self
            .store()
            .contains(&members, &account.to_string())
            .await?
        {
            return Ok(());
        }
        let mut batch = WriteBatch::new()
            .remove(members, account.to_string())
            .remove(coll::lists_with(account), list.id.to_string());
        let recent = self
            .store()
            .page(&coll::statuses_of(account), &PageRequest::newest(200))
            .await?;
        for s in recent.items {
            batch = batch.remove(coll::list_timeline(list.id), s.member);
        }
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// `owner`'s lists that `account` is in.
    pub async fn lists_containing(&self, owner: u64, account: u64) -> Result<Vec<UserList>, Error> {
        let mut out = self
            .lists_with(account)
            .await?
            .into_iter()
            .filter(|l| l.account_id == owner)
            .collect::<Vec<_>>();
        out.sort_by_key(|l| l.id);
        Ok(out)
    }

    /// Every list (of any owner) `account` is in.
    pub(crate) async fn lists_with(&self, account: u64) -> Result<Vec<UserList>, Error> {
        let items = self
            .store()
            .all_members(&coll::lists_with(account), 500)
            .await?;
        let keys: Vec<String> = items.into_iter().map(|i| i.member).collect();
        Ok(self
            .get_many::<UserList>(ns::LISTS, &keys)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// Takes `target` out of `follower`'s lists when the follow ends, as Mastodon's list
    /// memberships go with the follow.
    pub(crate) async fn unlist_unfollowed(&self, follower: u64, target: u64) -> Result<(), Error> {
        for l in self.lists_with(target).await? {
            if l.account_id == follower {
                self.drop_member(&l, target).await?;
            }
        }
        Ok(())
    }

    /// Puts a new status into the timelines of the lists that take it, as Mastodon's
    /// fan-out does: not a direct one; lists holding its author whose owner follows the
    /// author (or is the author) and passed the home timeline's filters (`eligible`: blocks,
    /// mutes, replies to strangers; exclusivity aside), by their replies policy. `lists` are
    /// the lists holding the author.
    pub(crate) async fn fan_out_to_lists(
        &self,
        s: &Status,
        lists: &[UserList],
        eligible: &BTreeSet<u64>,
    ) -> Result<(), Error> {
        if s.visibility == super::StatusVisibility::Direct {
            return Ok(());
        }
        let item = CollectionItem::new(s.id, s.id.to_string());
        for l in lists {
            let owner = l.account_id;
            if !eligible.contains(&owner)
                || (owner != s.account_id && !self.is_following(owner, s.account_id).await?)
            {
                continue;
            }
            let member_reply = match s.in_reply_to_account_id {
                Some(to) if l.replies_policy == RepliesPolicy::List => {
                    self.store()
                        .contains(&coll::list_accounts(l.id), &to.to_string())
                        .await?
                }
                _ => false,
            };
            if !takes_reply(l, s, member_reply) {
                continue;
            }
            self.store()
                .insert(&coll::list_timeline(l.id), &item)
                .await?;
            self.emit(super::Event::Update {
                stream: format!("list:{}", l.id),
                status_id: s.id,
            });
        }
        Ok(())
    }
}
