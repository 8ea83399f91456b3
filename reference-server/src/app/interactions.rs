//! Favourites and reblogs (boosts) of statuses, local and received.

use activitypub_core::builder;
use activitypub_core::engine::Recipients;
use fedi_storage::WriteBatch;

use super::activitypub::oid;
use super::model::{coll, ns, pair, Account, NotificationType, Reaction, Status, StatusVisibility};
use super::App;
use crate::error::Error;

impl App {
    /// Favourites a status (a `Like` to its author if remote).
    pub async fn favourite(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        if !self.can_view(&s, Some(account_id)).await? {
            return Err(Error::NotFound(format!("status {status_id}")));
        }
        let key = pair(account_id, status_id);
        if self.get::<Reaction>(ns::FAVOURITES, &key).await?.is_some() {
            return Ok(s);
        }
        let me = self.account(account_id).await?;
        let now = self.now_ms();
        let uri = format!("{}#likes/{}", me.actor, self.inner.ids.next(now));
        self.record_favourite(account_id, &s, Some(uri.clone()))
            .await?;
        let author = self.account(s.account_id).await?;
        if !author.is_local() {
            let like = builder::like(&oid(&uri)?, &oid(&me.actor)?, &oid(&s.uri)?);
            self.federate(
                &me,
                &serde_json::to_vec(&like)?,
                Recipients::new().actor(author.actor),
            )
            .await?;
        }
        Ok(s)
    }

    pub(crate) async fn record_favourite(
        &self,
        account_id: u64,
        s: &Status,
        uri: Option<String>,
    ) -> Result<bool, Error> {
        let key = pair(account_id, s.id);
        if self.get::<Reaction>(ns::FAVOURITES, &key).await?.is_some() {
            return Ok(false);
        }
        let now = self.now_ms();
        let r = Reaction {
            uri,
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(ns::FAVOURITES, key, serde_json::to_vec(&r)?)
            .insert(
                coll::favourited_by(s.id),
                self.inner.ids.next(now),
                account_id.to_string(),
            )
            .insert(
                coll::favourites_of(account_id),
                self.inner.ids.next(now),
                s.id.to_string(),
            );
        self.store().apply(&batch).await?;
        if s.account_id != account_id {
            self.notify(
                s.account_id,
                NotificationType::Favourite,
                account_id,
                Some(s.id),
            )
            .await?;
        }
        Ok(true)
    }

    /// Removes a favourite (an `Undo` of the `Like` if the author is remote).
    pub async fn unfavourite(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let key = pair(account_id, status_id);
        let Some(r) = self.get::<Reaction>(ns::FAVOURITES, &key).await? else {
            return Ok(s);
        };
        self.remove_favourite(account_id, status_id).await?;
        let author = self.account(s.account_id).await?;
        if !author.is_local() {
            if let Some(uri) = r.uri {
                let me = self.account(account_id).await?;
                let like = builder::like(&oid(&uri)?, &oid(&me.actor)?, &oid(&s.uri)?);
                let undo = builder::undo(&oid(&format!("{uri}/undo"))?, &oid(&me.actor)?, like);
                self.federate(
                    &me,
                    &serde_json::to_vec(&undo)?,
                    Recipients::new().actor(author.actor),
                )
                .await?;
            }
        }
        Ok(s)
    }

    pub(crate) async fn remove_favourite(
        &self,
        account_id: u64,
        status_id: u64,
    ) -> Result<(), Error> {
        let batch = WriteBatch::new()
            .kv_delete(ns::FAVOURITES, pair(account_id, status_id))
            .remove(coll::favourited_by(status_id), account_id.to_string())
            .remove(coll::favourites_of(account_id), status_id.to_string());
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Boosts a public or unlisted status; returns the reblog (wrapper) status.
    pub async fn reblog(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let s = match s.reblog_of_id {
            Some(of) => self.status(of).await?,
            None => s,
        };
        if !self.can_view(&s, Some(account_id)).await? {
            return Err(Error::NotFound(format!("status {status_id}")));
        }
        if !s.visibility.is_boostable() {
            return Err(Error::Unprocessable("This action is not allowed".into()));
        }
        if let Some(existing) = self.get_str(ns::REBLOGS, &pair(account_id, s.id)).await? {
            return self.status(existing.parse().unwrap_or_default()).await;
        }
        let me = self.account(account_id).await?;
        let now = self.now_ms();
        let id = self.inner.ids.next(now);
        let uri = format!("{}/activity", self.status_iri(&me.username, id));
        let reblog = self
            .record_reblog(&me, &s, id, uri, now, s.visibility)
            .await?;
        let announce = self.announce_document(&reblog).await?;
        let author = self.account(s.account_id).await?;
        let mut audience = Recipients::new().followers_of(me.actor.clone());
        if !author.is_local() {
            audience = audience.actor(author.actor);
        }
        self.federate(&me, &serde_json::to_vec(&announce)?, audience)
            .await?;
        Ok(reblog)
    }

    pub(crate) async fn record_reblog(
        &self,
        booster: &Account,
        s: &Status,
        id: u64,
        uri: String,
        now: u64,
        visibility: StatusVisibility,
    ) -> Result<Status, Error> {
        let reblog = Status {
            id,
            uri: uri.clone(),
            url: uri.clone(),
            account_id: booster.id,
            content: String::new(),
            text: None,
            spoiler_text: String::new(),
            sensitive: false,
            visibility,
            language: None,
            in_reply_to_id: None,
            in_reply_to_uri: None,
            in_reply_to_account_id: None,
            reblog_of_id: Some(s.id),
            mentions: Vec::new(),
            tags: Vec::new(),
            created_at: now,
            edited_at: None,
            edits: Vec::new(),
            local: booster.is_local(),
            activity_uri: Some(uri),
            conversation: None,
            media_ids: Vec::new(),
            poll: None,
            card_url: None,
            quote: None,
            emojis: Vec::new(),
        };
        self.save_status(&reblog).await?;
        let batch = WriteBatch::new()
            .kv_put(ns::REBLOGS, pair(booster.id, s.id), id.to_string())
            .insert(coll::reblogged_by(s.id), id, booster.id.to_string());
        self.store().apply(&batch).await?;
        self.distribute(&reblog).await?;
        if s.account_id != booster.id {
            self.notify(
                s.account_id,
                NotificationType::Reblog,
                booster.id,
                Some(s.id),
            )
            .await?;
        }
        Ok(reblog)
    }

    /// Undoes a boost; returns the original status.
    pub async fn unreblog(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let original = match s.reblog_of_id {
            Some(of) => self.status(of).await?,
            None => s,
        };
        if let Some(rid) = self
            .get_str(ns::REBLOGS, &pair(account_id, original.id))
            .await?
        {
            let reblog = self.status(rid.parse().unwrap_or_default()).await?;
            let me = self.account(account_id).await?;
            let announce = self.announce_document(&reblog).await?;
            self.remove_status(&reblog).await?;
            let undo = builder::undo(
                &oid(&format!("{}#undo", reblog.uri))?,
                &oid(&me.actor)?,
                announce,
            );
            let author = self.account(original.account_id).await?;
            let mut audience = Recipients::new().followers_of(me.actor.clone());
            if !author.is_local() {
                audience = audience.actor(author.actor);
            }
            self.federate(&me, &serde_json::to_vec(&undo)?, audience)
                .await?;
        }
        Ok(original)
    }

    /// Whether `account_id` favourited / reblogged `status_id`.
    pub async fn viewer_flags(
        &self,
        account_id: u64,
        status_id: u64,
    ) -> Result<(bool, bool), Error> {
        Ok((
            self.get::<Reaction>(ns::FAVOURITES, &pair(account_id, status_id))
                .await?
                .is_some(),
            self.get_str(ns::REBLOGS, &pair(account_id, status_id))
                .await?
                .is_some(),
        ))
    }
}
