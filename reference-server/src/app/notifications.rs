//! Notifications of local accounts: created (through the policy, into groups), read,
//! dismissed.

use fedi_storage::{CollectionStoreExt, Page, PageRequest, WriteBatch};

use super::model::{coll, ns, Notification, NotificationType, Status};
use super::notification_groups::lock_account;
use super::notification_policy::Verdict;
use super::{App, Event};
use crate::error::Error;

impl App {
    /// Notifies local account `account_id` (unless it is `from`, blocks or mutes `from`, or
    /// muted the conversation of the status it is about), as its notification policy says
    /// (`notification_policy.rs`): dropped, filtered (held in a request, not listed nor
    /// streamed) or accepted; favourites, boosts and follows that are not filtered join their
    /// group (`notification_groups.rs`).
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
            && (self.blocks(account_id, from).await?
                || self.mutes_notifications(account_id, from).await?)
        {
            return Ok(());
        }
        let status = match status_id {
            Some(id) => self.get::<Status>(ns::STATUSES, &id.to_string()).await?,
            None => None,
        };
        if let Some(s) = &status {
            if self.thread_muted(account_id, s).await? {
                return Ok(());
            }
        }
        let Ok(sender) = self.account(from).await else {
            return Ok(());
        };
        // Nothing from a domain the recipient blocks.
        if self.blocks_domain_of(account_id, &sender).await? {
            return Ok(());
        }
        let mention = match kind {
            NotificationType::Mention => status.as_ref(),
            _ => None,
        };
        let verdict = self
            .notification_verdict(account_id, kind, &sender, mention)
            .await?;
        if verdict == Verdict::Drop {
            return Ok(());
        }
        let _guard = lock_account(account_id).await;
        let now = self.now_ms();
        let mut n = Notification {
            id: self.inner.ids.next(now),
            kind,
            account_id,
            from_account_id: from,
            status_id,
            created_at: now,
            group_key: None,
            filtered: verdict == Verdict::Filter,
            report_id: None,
        };
        let mut batch = WriteBatch::new();
        if n.filtered {
            batch = self.hold_filtered(batch, &n).await?;
        } else if kind.is_groupable() {
            batch = self.join_group(batch, &mut n).await?;
        }
        let batch = batch
            .kv_put(ns::NOTIFICATIONS, n.id.to_string(), serde_json::to_vec(&n)?)
            .insert(coll::notifications(account_id), n.id, n.id.to_string());
        self.store().apply(&batch).await?;
        if !n.filtered {
            self.emit(Event::Notification {
                account_id,
                notification_id: n.id,
            });
        }
        Ok(())
    }

    /// Stores a notification that no policy or group applies to (the caller holds
    /// [`lock_account`] of its account): `admin.report`.
    pub(crate) async fn store_notification(&self, n: &Notification) -> Result<(), Error> {
        let batch = WriteBatch::new()
            .kv_put(ns::NOTIFICATIONS, n.id.to_string(), serde_json::to_vec(n)?)
            .insert(coll::notifications(n.account_id), n.id, n.id.to_string());
        self.store().apply(&batch).await?;
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

    /// Dismisses one notification (out of its group, or its request if filtered).
    pub async fn dismiss_notification(&self, account_id: u64, id: u64) -> Result<(), Error> {
        let _guard = lock_account(account_id).await;
        let n = self.notification(account_id, id).await?;
        let batch = WriteBatch::new()
            .kv_delete(ns::NOTIFICATIONS, id.to_string())
            .remove(coll::notifications(account_id), id.to_string());
        let batch = self.leave_group(batch, &n).await?;
        let batch = self.release_filtered(batch, &n).await?;
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Dismisses every notification, their groups with them (notification requests stay,
    /// as on Mastodon).
    pub async fn clear_notifications(&self, account_id: u64) -> Result<(), Error> {
        let _guard = lock_account(account_id).await;
        let items = self
            .store()
            .all_members(&coll::notifications(account_id), 500)
            .await?;
        for chunk in items.chunks(500) {
            let keys: Vec<String> = chunk.iter().map(|i| i.member.clone()).collect();
            let found = self
                .get_many::<Notification>(ns::NOTIFICATIONS, &keys)
                .await?;
            let mut batch = WriteBatch::new();
            let mut groups = std::collections::BTreeSet::new();
            for (key, n) in keys.into_iter().zip(found) {
                batch = batch
                    .kv_delete(ns::NOTIFICATIONS, key.clone())
                    .remove(coll::notifications(account_id), key.clone());
                let Some(n) = n.filter(|n| n.account_id == account_id) else {
                    continue;
                };
                if let Some(g) = n.group_key {
                    groups.insert(g);
                }
                if n.filtered {
                    batch = batch.remove(
                        coll::filtered_notifications(account_id, n.from_account_id),
                        key,
                    );
                }
            }
            for g in groups {
                batch = batch.kv_delete(ns::NOTIFICATION_GROUPS, format!("{account_id}:{g}"));
            }
            self.store().apply(&batch).await?;
        }
        Ok(())
    }
}
