//! Bookmarks: statuses an account saves for later, private to it (nothing federates).

use fedi_storage::WriteBatch;

use super::model::{bookmark_key, coll, ns, Bookmark, Status};
use super::App;
use crate::error::Error;

impl App {
    /// Bookmarks a status `account_id` may see (a boost bookmarks what it boosts, as on
    /// Mastodon); bookmarking twice keeps the first bookmark. Returns the bookmarked status.
    pub async fn bookmark(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.original_of(self.status(status_id).await?).await?;
        if !self.can_view(&s, Some(account_id)).await? {
            return Err(Error::NotFound(format!("status {status_id}")));
        }
        let key = bookmark_key(account_id, s.id);
        if self
            .get::<Bookmark>(ns::VIEWER_MARKS, &key)
            .await?
            .is_some()
        {
            return Ok(s);
        }
        let now = self.now_ms();
        let b = Bookmark {
            id: self.inner.ids.next(now),
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(ns::VIEWER_MARKS, key, serde_json::to_vec(&b)?)
            .insert(coll::bookmarks_of(account_id), b.id, s.id.to_string());
        self.store().apply(&batch).await?;
        Ok(s)
    }

    /// Removes a bookmark (of the status, or of what a boost boosts). Whether the status can
    /// still be seen does not matter: a bookmark of one that cannot is removed all the same.
    /// Returns the status.
    pub async fn unbookmark(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.original_of(self.status(status_id).await?).await?;
        let batch = WriteBatch::new()
            .kv_delete(ns::VIEWER_MARKS, bookmark_key(account_id, s.id))
            .remove(coll::bookmarks_of(account_id), s.id.to_string());
        self.store().apply(&batch).await?;
        Ok(s)
    }

    /// Whether `account_id` bookmarked `status_id`.
    pub async fn is_bookmarked(&self, account_id: u64, status_id: u64) -> Result<bool, Error> {
        Ok(self
            .get::<Bookmark>(ns::VIEWER_MARKS, &bookmark_key(account_id, status_id))
            .await?
            .is_some())
    }

    /// The status itself, or for a boost the status it boosts.
    pub(crate) async fn original_of(&self, s: Status) -> Result<Status, Error> {
        match s.reblog_of_id {
            Some(of) => self.status(of).await,
            None => Ok(s),
        }
    }
}
