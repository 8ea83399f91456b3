//! Notifications of local accounts.

use fedi_storage::{CollectionStoreExt, Page, PageRequest, WriteBatch};

use super::model::{coll, ns, Notification, NotificationType};
use super::{App, Event};
use crate::error::Error;

impl App {
    /// Notifies local account `account_id` (unless it blocks or mutes `from`, or is `from`).
    pub(crate) async fn notify(
        &self,
        account_id: u64,
        kind: NotificationType,
        from: u64,
        status_id: Option<u64>,
    ) -> Result<(), Error> {
        if account_id == from {
            return Ok(());
        }
        self.notify_allowing_self(account_id, kind, from, status_id)
            .await
    }

    /// [`App::notify`], also when `from` is `account_id` (a poll's end, to its author).
    pub(crate) async fn notify_allowing_self(
        &self,
        account_id: u64,
        kind: NotificationType,
        from: u64,
        status_id: Option<u64>,
    ) -> Result<(), Error> {
        let Ok(acc) = self.account(account_id).await else {
            return Ok(());
        };
        if !acc.is_local() {
            return Ok(());
        }
        if account_id != from
            && (self.blocks(account_id, from).await? || self.mutes(account_id, from).await?)
        {
            return Ok(());
        }
        let now = self.now_ms();
        let n = Notification {
            id: self.inner.ids.next(now),
            kind,
            account_id,
            from_account_id: from,
            status_id,
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(ns::NOTIFICATIONS, n.id.to_string(), serde_json::to_vec(&n)?)
            .insert(coll::notifications(account_id), n.id, n.id.to_string());
        self.store().apply(&batch).await?;
        self.emit(Event::Notification {
            account_id,
            notification_id: n.id,
        });
        Ok(())
    }

    /// A notification of `account_id`.
    pub async fn notification(&self, account_id: u64, id: u64) -> Result<Notification, Error> {
        let n: Notification = self
            .get(ns::NOTIFICATIONS, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("notification {id}")))?;
        if n.account_id != account_id {
            return Err(Error::NotFound(format!("notification {id}")));
        }
        Ok(n)
    }

    /// A page of `account_id`'s notifications.
    pub async fn notifications(
        &self,
        account_id: u64,
        req: &PageRequest,
    ) -> Result<Vec<Notification>, Error> {
        Ok(self.notifications_page(account_id, req).await?.0)
    }

    /// A page of `account_id`'s notifications (read in one store call), with the raw page
    /// (for `Link` headers).
    pub async fn notifications_page(
        &self,
        account_id: u64,
        req: &PageRequest,
    ) -> Result<(Vec<Notification>, Page), Error> {
        let page = self
            .store()
            .page(&coll::notifications(account_id), req)
            .await?;
        let keys: Vec<String> = page
            .items
            .iter()
            .filter(|i| i.member.parse::<u64>().is_ok())
            .map(|i| i.member.clone())
            .collect();
        let out = self
            .get_many::<Notification>(ns::NOTIFICATIONS, &keys)
            .await?
            .into_iter()
            .flatten()
            .filter(|n| n.account_id == account_id)
            .collect();
        Ok((out, page))
    }

    /// Dismisses one notification.
    pub async fn dismiss_notification(&self, account_id: u64, id: u64) -> Result<(), Error> {
        self.notification(account_id, id).await?;
        let batch = WriteBatch::new()
            .kv_delete(ns::NOTIFICATIONS, id.to_string())
            .remove(coll::notifications(account_id), id.to_string());
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Dismisses every notification.
    pub async fn clear_notifications(&self, account_id: u64) -> Result<(), Error> {
        for item in self
            .store()
            .all_members(&coll::notifications(account_id), 500)
            .await?
        {
            let batch = WriteBatch::new()
                .kv_delete(ns::NOTIFICATIONS, item.member.clone())
                .remove(coll::notifications(account_id), item.member);
            self.store().apply(&batch).await?;
        }
        Ok(())
    }
}
