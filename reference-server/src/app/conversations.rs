//! Conversations: direct messages grouped per local participant, as Mastodon's
//! `AccountConversation`: one conversation per account, thread and set of other
//! participants, holding the thread's direct statuses; unread when the newest came from
//! someone else. Built as direct statuses are distributed, local or remote (the author, if
//! local, and the mentioned local accounts that do not block or mute the author), and
//! updated as they are deleted.
//!
//! A conversation is a record in [`ns::CONVERSATIONS`], found by its key in
//! [`ns::CONVERSATION_BY_KEY`]; an account's conversations are the store collection
//! [`coll::conversations`] keyed by each one's last status id, which is also how Mastodon
//! pages them.

use std::collections::BTreeSet;

use fedi_storage::{Page, PageRequest, WriteBatch};
use serde::{Deserialize, Serialize};

use super::model::{coll, ns, Status, StatusVisibility};
use super::{App, Event};
use crate::error::Error;

/// One account's conversation (Mastodon's `AccountConversation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Id.
    pub id: u64,
    /// Whose conversation it is (a local account).
    pub account_id: u64,
    /// The thread (the statuses' `conversation`, else the thread's first known status IRI).
    pub thread: String,
    /// The other participants (sorted account ids; empty when writing to oneself).
    pub participants: Vec<u64>,
    /// Its statuses, in the order they arrived.
    pub status_ids: Vec<u64>,
    /// The status that arrived last.
    pub last_status_id: u64,
    /// The newest status came from someone else and was not read yet.
    pub unread: bool,
}

/// Everyone in a status but `recipient`: its author and mentioned accounts, sorted (as
/// Mastodon's `participants_from_status`).
fn participants(recipient: u64, s: &Status) -> Vec<u64> {
    let mut all: BTreeSet<u64> = s.mentions.iter().copied().collect();
    all.insert(s.account_id);
    all.remove(&recipient);
    all.into_iter().collect()
}

fn key(recipient: u64, thread: &str, participants: &[u64]) -> String {
    let ids: Vec<String> = participants.iter().map(u64::to_string).collect();
    format!("{recipient}:{thread}:{}", ids.join(","))
}

impl App {
    /// The thread a status belongs to: its `conversation`, else its parent's (or the
    /// parent's IRI), else its own IRI.
    async fn thread_of(&self, s: &Status) -> Result<String, Error> {
        if let Some(c) = &s.conversation {
            return Ok(c.clone());
        }
        if let Some(p) = s.in_reply_to_id {
            if let Ok(parent) = self.status(p).await {
                return Ok(parent.conversation.unwrap_or(parent.uri));
            }
        }
        Ok(s.in_reply_to_uri.clone().unwrap_or_else(|| s.uri.clone()))
    }

    /// Adds a new direct status to the conversations of its local participants who see it:
    /// the author (if local) and each mentioned local account that does not block or mute the
    /// author.
    pub(crate) async fn add_to_conversations(&self, s: &Status) -> Result<(), Error> {
        if s.visibility != StatusVisibility::Direct || s.reblog_of_id.is_some() {
            return Ok(());
        }
        let mut recipients = vec![s.account_id];
        recipients.extend(&s.mentions);
        let thread = self.thread_of(s).await?;
        for r in recipients.into_iter().collect::<BTreeSet<_>>() {
            let Ok(acc) = self.account(r).await else {
                continue;
            };
            if !acc.is_local() {
                continue;
            }
            if r != s.account_id
                && (self.blocks(r, s.account_id).await?
                    || self.mutes_notifications(r, s.account_id).await?)
            {
                continue;
            }
            self.add_to_conversation(r, &thread, s).await?;
        }
        Ok(())
    }

    async fn add_to_conversation(
        &self,
        recipient: u64,
        thread: &str,
        s: &Status,
    ) -> Result<(), Error> {
        let who = participants(recipient, s);
        let k = key(recipient, thread, &who);
        let existing = match self.get_str(ns::CONVERSATION_BY_KEY, &k).await? {
            Some(id) => self.get::<Conversation>(ns::CONVERSATIONS, &id).await?,
            None => None,
        };
        let mut c = existing.unwrap_or_else(|| Conversation {
            id: self.inner.ids.next(self.now_ms()),
            account_id: recipient,
            thread: thread.to_owned(),
            participants: who,
            status_ids: Vec::new(),
            last_status_id: s.id,
            unread: false,
        });
        if c.status_ids.contains(&s.id) {
            return Ok(());
        }
        c.status_ids.push(s.id);
        // The last to arrive, as Mastodon's `status_ids.last` (a remote status's id comes
        // from its `published` time, which may sort it before what it answers).
        c.last_status_id = s.id;
        c.unread = s.account_id != recipient;
        let batch = WriteBatch::new()
            .kv_put(ns::CONVERSATIONS, c.id.to_string(), serde_json::to_vec(&c)?)
            .kv_put(ns::CONVERSATION_BY_KEY, k, c.id.to_string())
            .insert(
                coll::conversations(recipient),
                c.last_status_id,
                c.id.to_string(),
            );
        self.store().apply(&batch).await?;
        self.emit(Event::Conversation {
            account_id: recipient,
            conversation_id: c.id,
        });
        Ok(())
    }

    /// Takes a deleted direct status out of its local participants' conversations; a
    /// conversation left empty goes.
    pub(crate) async fn remove_from_conversations(&self, s: &Status) -> Result<(), Error> {
        if s.visibility != StatusVisibility::Direct || s.reblog_of_id.is_some() {
            return Ok(());
        }
        let thread = self.thread_of(s).await?;
        let mut recipients: BTreeSet<u64> = s.mentions.iter().copied().collect();
        recipients.insert(s.account_id);
        for r in recipients {
            let k = key(r, &thread, &participants(r, s));
            let Some(id) = self.get_str(ns::CONVERSATION_BY_KEY, &k).await? else {
                continue;
            };
            let Some(mut c) = self.get::<Conversation>(ns::CONVERSATIONS, &id).await? else {
                continue;
            };
            c.status_ids.retain(|x| *x != s.id);
            let batch = match c.status_ids.last() {
                None => WriteBatch::new()
                    .kv_delete(ns::CONVERSATIONS, id.clone())
                    .kv_delete(ns::CONVERSATION_BY_KEY, k)
                    .remove(coll::conversations(r), id),
                Some(last) => {
                    c.last_status_id = *last;
                    WriteBatch::new()
                        .kv_put(ns::CONVERSATIONS, id.clone(), serde_json::to_vec(&c)?)
                        .insert(coll::conversations(r), c.last_status_id, id)
                }
            };
            self.store().apply(&batch).await?;
        }
        Ok(())
    }

    /// A page of `owner`'s conversations, newest last status first, with the raw page (for
    /// `Link` headers: its keys are the last status ids, as Mastodon pages them).
    pub async fn conversations_page(
        &self,
        owner: u64,
        req: &PageRequest,
    ) -> Result<(Vec<Conversation>, Page), Error> {
        let page = self.store().page(&coll::conversations(owner), req).await?;
        let keys: Vec<String> = page.members().into_iter().map(str::to_owned).collect();
        let out = self
            .get_many::<Conversation>(ns::CONVERSATIONS, &keys)
            .await?
            .into_iter()
            .flatten()
            .filter(|c| c.account_id == owner)
            .collect();
        Ok((out, page))
    }

    /// `owner`'s conversation `id` (not found if it is someone else's).
    pub async fn conversation(&self, owner: u64, id: u64) -> Result<Conversation, Error> {
        match self
            .get::<Conversation>(ns::CONVERSATIONS, &id.to_string())
            .await?
        {
            Some(c) if c.account_id == owner => Ok(c),
            _ => Err(Error::NotFound(format!("conversation {id}"))),
        }
    }

    /// Marks a conversation read.
    pub async fn read_conversation(&self, owner: u64, id: u64) -> Result<Conversation, Error> {
        let mut c = self.conversation(owner, id).await?;
        if c.unread {
            c.unread = false;
            self.put(ns::CONVERSATIONS, &id.to_string(), &c).await?;
        }
        Ok(c)
    }

    /// Removes a conversation for its owner (the statuses stay; a new direct status in the
    /// thread starts a new one, as on Mastodon).
    pub async fn delete_conversation(&self, owner: u64, id: u64) -> Result<(), Error> {
        let c = self.conversation(owner, id).await?;
        let batch = WriteBatch::new()
            .kv_delete(ns::CONVERSATIONS, id.to_string())
            .kv_delete(
                ns::CONVERSATION_BY_KEY,
                key(owner, &c.thread, &c.participants),
            )
            .remove(coll::conversations(owner), id.to_string());
        self.store().apply(&batch).await?;
        Ok(())
    }
}
