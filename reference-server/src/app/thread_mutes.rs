//! Thread mutes: a local account mutes a conversation, and no notification about a status
//! of that conversation reaches it any more (mentions, replies, favourites, boosts), as on
//! Mastodon. The conversation is named by [`thread_key`](super::model::thread_key): the
//! thread's root's conversation.

use super::model::{ns, thread_mute_key, Reaction, Status};
use super::App;
use crate::error::Error;

impl App {
    /// Mutes the conversation of a status `account_id` may see (of what a boost boosts).
    /// Returns the status.
    pub async fn mute_thread(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.original_of(self.status(status_id).await?).await?;
        if !self.can_view(&s, Some(account_id)).await? {
            return Err(Error::NotFound(format!("status {status_id}")));
        }
        let key = thread_mute_key(account_id, &s);
        if self
            .get::<Reaction>(ns::VIEWER_MARKS, &key)
            .await?
            .is_none()
        {
            let r = Reaction {
                uri: None,
                created_at: self.now_ms(),
            };
            self.put(ns::VIEWER_MARKS, &key, &r).await?;
        }
        Ok(s)
    }

    /// Unmutes the conversation of a status. Returns the status.
    pub async fn unmute_thread(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.original_of(self.status(status_id).await?).await?;
        self.store()
            .kv_delete(ns::VIEWER_MARKS, thread_mute_key(account_id, &s).as_bytes())
            .await?;
        Ok(s)
    }

    /// Whether `account_id` muted the conversation `s` belongs to.
    pub async fn thread_muted(&self, account_id: u64, s: &Status) -> Result<bool, Error> {
        Ok(self
            .get::<Reaction>(ns::VIEWER_MARKS, &thread_mute_key(account_id, s))
            .await?
            .is_some())
    }
}
