//! Notification requests (Mastodon 4.3): notifications a policy filtered are stored but not
//! listed; filtered mentions from one account make one request for the recipient to accept
//! (its notifications from that account are listed again, where they belong in time, and
//! the policy no longer applies to it) or dismiss (they are deleted).
//!
//! Records: the request (`ns::NOTIFICATION_REQUESTS`, by id, listed newest first in
//! `coll::notification_requests`), its index by sender (`ns::NOTIFICATION_REQUEST_BY_SENDER`),
//! the filtered notifications of each sender (`coll::filtered_notifications`), and the
//! accepted senders (`ns::NOTIFICATION_PERMISSIONS`). Accepting and dismissing are done at
//! once, so `GET /api/v1/notifications/requests/merged` is always `true`.

use fedi_storage::{CollectionStoreExt, Page, PageRequest, WriteBatch};
use serde::{Deserialize, Serialize};

use super::model::{coll, ns, pair, Notification, NotificationType};
use super::notification_groups::lock_account;
use super::App;
use crate::error::Error;

/// Counts of filtered notifications stop mattering past this (Mastodon's
/// `MAX_MEANINGFUL_COUNT`).
pub const MAX_MEANINGFUL_COUNT: u64 = 100;

/// The filtered mentions of one account to a local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRequest {
    /// Id.
    pub id: u64,
    /// The recipient.
    pub account_id: u64,
    /// The sender.
    pub from_account_id: u64,
    /// The newest filtered mention's status.
    pub last_status_id: Option<u64>,
    /// Filtered mentions held.
    pub notifications_count: u64,
    /// Created (ms).
    pub created_at: u64,
    /// Last changed (ms).
    pub updated_at: u64,
}

impl App {
    /// Adds to `batch` the writes that hold filtered notification `n` (the caller holds
    /// [`lock_account`]): listed under its sender, and a mention counted in the sender's
    /// request (made if there is none).
    pub(crate) async fn hold_filtered(
        &self,
        batch: WriteBatch,
        n: &Notification,
    ) -> Result<WriteBatch, Error> {
        let batch = batch.insert(
            coll::filtered_notifications(n.account_id, n.from_account_id),
            n.id,
            n.id.to_string(),
        );
        if n.kind != NotificationType::Mention {
            return Ok(batch);
        }
        let now = n.created_at;
        let (mut request, is_new) = match self
            .request_of_sender(n.account_id, n.from_account_id)
            .await?
        {
            Some(r) => (r, false),
            None => (
                NotificationRequest {
                    id: self.inner.ids.next(now),
                    account_id: n.account_id,
                    from_account_id: n.from_account_id,
                    last_status_id: None,
                    notifications_count: 0,
                    created_at: now,
                    updated_at: now,
                },
                true,
            ),
        };
        request.notifications_count += 1;
        request.last_status_id = n.status_id.or(request.last_status_id);
        request.updated_at = now;
        let mut batch = batch.kv_put(
            ns::NOTIFICATION_REQUESTS,
            request.id.to_string(),
            serde_json::to_vec(&request)?,
        );
        if is_new {
            batch = batch
                .kv_put(
                    ns::NOTIFICATION_REQUEST_BY_SENDER,
                    pair(n.account_id, n.from_account_id),
                    request.id.to_string(),
                )
                .insert(
                    coll::notification_requests(n.account_id),
                    request.id,
                    request.id.to_string(),
                );
        }
        Ok(batch)
    }

    /// Adds to `batch` the writes that forget filtered notification `n`, being deleted (the
    /// caller holds [`lock_account`]); a request left with no mention goes too.
    pub(crate) async fn release_filtered(
        &self,
        batch: WriteBatch,
        n: &Notification,
    ) -> Result<WriteBatch, Error> {
        if !n.filtered {
            return Ok(batch);
        }
        let batch = batch.remove(
            coll::filtered_notifications(n.account_id, n.from_account_id),
            n.id.to_string(),
        );
        if n.kind != NotificationType::Mention {
            return Ok(batch);
        }
        let Some(mut request) = self
            .request_of_sender(n.account_id, n.from_account_id)
            .await?
        else {
            return Ok(batch);
        };
        request.notifications_count = request.notifications_count.saturating_sub(1);
        if request.notifications_count == 0 {
            return Ok(forget_request(batch, &request));
        }
        Ok(batch.kv_put(
            ns::NOTIFICATION_REQUESTS,
            request.id.to_string(),
            serde_json::to_vec(&request)?,
        ))
    }

    async fn request_of_sender(
        &self,
        account_id: u64,
        from: u64,
    ) -> Result<Option<NotificationRequest>, Error> {
        let Some(id) = self
            .get_str(ns::NOTIFICATION_REQUEST_BY_SENDER, &pair(account_id, from))
            .await?
        else {
            return Ok(None);
        };
        self.get(ns::NOTIFICATION_REQUESTS, &id).await
    }

    /// A page of `account_id`'s notification requests, newest first, with the raw page (for
    /// `Link`).
    pub async fn notification_requests_page(
        &self,
        account_id: u64,
        req: &PageRequest,
    ) -> Result<(Vec<NotificationRequest>, Page), Error> {
        let page = self
            .store()
            .page(&coll::notification_requests(account_id), req)
            .await?;
        let keys: Vec<String> = page.items.iter().map(|i| i.member.clone()).collect();
        let list = self
            .get_many::<NotificationRequest>(ns::NOTIFICATION_REQUESTS, &keys)
            .await?
            .into_iter()
            .flatten()
            .filter(|r| r.account_id == account_id)
            .collect();
        Ok((list, page))
    }

    /// One of `account_id`'s notification requests.
    pub async fn notification_request(
        &self,
        account_id: u64,
        id: u64,
    ) -> Result<NotificationRequest, Error> {
        self.get::<NotificationRequest>(ns::NOTIFICATION_REQUESTS, &id.to_string())
            .await?
            .filter(|r| r.account_id == account_id)
            .ok_or_else(|| Error::NotFound(format!("notification request {id}")))
    }

    /// How many requests `account_id` has pending and how many notifications they hold
    /// (each request counted up to [`MAX_MEANINGFUL_COUNT`], and at most that many
    /// requests): the policy's `summary`.
    pub async fn notification_requests_summary(
        &self,
        account_id: u64,
    ) -> Result<(u64, u64), Error> {
        let (list, _) = self
            .notification_requests_page(
                account_id,
                &PageRequest::newest(MAX_MEANINGFUL_COUNT as usize),
            )
            .await?;
        let held = list
            .iter()
            .map(|r| r.notifications_count.min(MAX_MEANINGFUL_COUNT))
            .sum();
        Ok((list.len() as u64, held))
    }

    /// Accepts request `id`: `from`'s filtered notifications are listed, the policy no
    /// longer applies to `from`, and the request goes.
    pub async fn accept_notification_request(&self, account_id: u64, id: u64) -> Result<(), Error> {
        let _guard = lock_account(account_id).await;
        let request = self.notification_request(account_id, id).await?;
        let from = request.from_account_id;
        let held = self.filtered_from(account_id, from).await?;
        let mut batch = WriteBatch::new().kv_put(
            ns::NOTIFICATION_PERMISSIONS,
            pair(account_id, from),
            self.now_ms().to_string().into_bytes(),
        );
        for mut n in held {
            n.filtered = false;
            batch = batch
                .kv_put(ns::NOTIFICATIONS, n.id.to_string(), serde_json::to_vec(&n)?)
                .remove(
                    coll::filtered_notifications(account_id, from),
                    n.id.to_string(),
                );
        }
        self.store().apply(&forget_request(batch, &request)).await?;
        Ok(())
    }

    /// Dismisses request `id`: `from`'s filtered notifications are deleted and the request
    /// goes.
    pub async fn dismiss_notification_request(
        &self,
        account_id: u64,
        id: u64,
    ) -> Result<(), Error> {
        let _guard = lock_account(account_id).await;
        let request = self.notification_request(account_id, id).await?;
        let from = request.from_account_id;
        let mut batch = WriteBatch::new();
        for n in self.filtered_from(account_id, from).await? {
            batch = batch
                .kv_delete(ns::NOTIFICATIONS, n.id.to_string())
                .remove(coll::notifications(account_id), n.id.to_string())
                .remove(
                    coll::filtered_notifications(account_id, from),
                    n.id.to_string(),
                );
        }
        self.store().apply(&forget_request(batch, &request)).await?;
        Ok(())
    }

    /// The filtered notifications `account_id` holds from `from`.
    async fn filtered_from(&self, account_id: u64, from: u64) -> Result<Vec<Notification>, Error> {
        let ids: Vec<String> = self
            .store()
            .all_members(&coll::filtered_notifications(account_id, from), 500)
            .await?
            .into_iter()
            .map(|i| i.member)
            .collect();
        Ok(self
            .get_many::<Notification>(ns::NOTIFICATIONS, &ids)
            .await?
            .into_iter()
            .flatten()
            .filter(|n| n.account_id == account_id && n.filtered)
            .collect())
    }
}

/// `batch` with the writes that delete `request`.
fn forget_request(batch: WriteBatch, request: &NotificationRequest) -> WriteBatch {
    batch
        .kv_delete(ns::NOTIFICATION_REQUESTS, request.id.to_string())
        .kv_delete(
            ns::NOTIFICATION_REQUEST_BY_SENDER,
            pair(request.account_id, request.from_account_id),
        )
        .remove(
            coll::notification_requests(request.account_id),
            request.id.to_string(),
        )
}
