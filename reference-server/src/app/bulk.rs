//! Bulk writes in the instance's own layout: many records in one [`WriteBatch`], without the
//! fan-out, notifications and federation of the ordinary actions. For tools that fill a data
//! directory fast (the load generator's seeding); the layout stays private to `app`.

use fedi_storage::WriteBatch;

use super::cards::PreviewCard;
use super::emoji::{CustomEmoji, NS as EMOJI_NS};
use super::model::{coll, ns, pair, Account, FollowRecord, Status, StatusVisibility};
use crate::error::Error;

/// A batch of records being built. Apply it with the store's `BatchStore::apply`.
#[derive(Debug, Default)]
pub struct Bulk {
    batch: WriteBatch,
    records: usize,
}

impl Bulk {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// A remote account, findable by id, actor IRI and `user@domain`.
    pub fn remote_account(mut self, account: &Account) -> Result<Self, Error> {
        let id = account.id.to_string();
        self.batch = std::mem::take(&mut self.batch)
            .kv_put(ns::ACCOUNTS, id.clone(), serde_json::to_vec(account)?)
            .kv_put(ns::ACCOUNT_BY_IRI, account.actor.clone(), id.clone())
            .kv_put(ns::ACCOUNT_BY_ACCT, account.acct().to_lowercase(), id);
        self.records += 1;
        Ok(self)
    }

    /// An accepted follow of `target` by `follower` (the record, its URI index, and both
    /// accounts' lists).
    pub fn accepted_follow(
        mut self,
        follower: u64,
        target: u64,
        record: &FollowRecord,
    ) -> Result<Self, Error> {
        self.batch = std::mem::take(&mut self.batch)
            .kv_put(
                ns::FOLLOWS,
                pair(follower, target),
                serde_json::to_vec(record)?,
            )
            .kv_put(
                ns::FOLLOW_BY_URI,
                record.uri.clone(),
                pair(follower, target),
            )
            .insert(coll::followers(target), target, follower.to_string())
            .insert(coll::following(follower), target, target.to_string());
        self.records += 1;
        Ok(self)
    }

    /// A status received from another server, in the lists a received public status enters:
    /// its author's statuses, the federated and remote timelines (when public), and the home
    /// timelines of `home_of` (local followers).
    pub fn received_status(mut self, status: &Status, home_of: &[u64]) -> Result<Self, Error> {
        let id = status.id;
        let member = id.to_string();
        let mut b = std::mem::take(&mut self.batch)
            .kv_put(ns::STATUSES, member.clone(), serde_json::to_vec(status)?)
            .kv_put(ns::STATUS_BY_URI, status.uri.clone(), member.clone())
            .insert(coll::statuses_of(status.account_id), id, member.clone());
        if status.visibility == StatusVisibility::Public {
            b = b.insert(coll::FEDERATED, id, member.clone()).insert(
                coll::REMOTE,
                id,
                member.clone(),
            );
        }
        for h in home_of {
            b = b.insert(coll::home(*h), id, member.clone());
        }
        self.batch = b;
        self.records += 1;
        Ok(self)
    }

    /// A custom emoji record (local or remote), under its key ([`CustomEmoji::key`]), as
    /// `app/emoji.rs` keeps it.
    pub fn custom_emoji(mut self, emoji: &CustomEmoji) -> Result<Self, Error> {
        self.batch = std::mem::take(&mut self.batch).kv_put(
            EMOJI_NS,
            emoji.key(),
            serde_json::to_vec(emoji)?,
        );
        self.records += 1;
        Ok(self)
    }

    /// The preview card of the linked URL `link` (what a status's `card_url` names).
    pub fn preview_card(mut self, link: &str, card: &PreviewCard) -> Result<Self, Error> {
        self.batch = std::mem::take(&mut self.batch).kv_put(
            ns::CARDS,
            link.to_owned(),
            serde_json::to_vec(card)?,
        );
        self.records += 1;
        Ok(self)
    }

    /// Local account `voter`'s vote for `choices` in the poll of `status`, kept as
    /// [`App::vote`](super::App::vote) keeps it: the voter's choices, the poll's voters and,
    /// for a local poll, each chosen option's voters (`key` sorts them). A remote poll's
    /// counts stay in its record (the caller writes them there).
    pub fn poll_vote(
        mut self,
        status: &Status,
        voter: u64,
        choices: &[usize],
        key: u64,
    ) -> Result<Self, Error> {
        let me = voter.to_string();
        let mut b = std::mem::take(&mut self.batch)
            .kv_put(
                ns::POLL_VOTES,
                format!("{}:{voter}", status.id),
                serde_json::to_vec(choices)?,
            )
            .insert(coll::poll_voters(status.id), key, me.clone());
        if status.local {
            for c in choices {
                b = b.insert(coll::poll_option(status.id, *c), key, me.clone());
            }
        }
        self.batch = b;
        self.records += 1;
        Ok(self)
    }

    /// How many records (accounts, follows, statuses, emoji, cards, votes) were added.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The batch to apply.
    pub fn into_batch(self) -> WriteBatch {
        self.batch
    }
}
