//! Scheduled statuses: statuses a local account asks to be posted later, kept durably and
//! posted by [`App::publish_due_scheduled`] once due.
//!
//! A scheduled status is a record (`ns::SCHEDULED`) listed twice: in its author's list
//! (`coll::scheduled_of`, by id, for the API) and in one list of every scheduled status keyed
//! by its due time (`coll::SCHEDULED_DUE`, see [`due_key`]). Both are written in one batch,
//! so what was accepted survives a restart; the publishing job (every second in `woolly
//! serve`) reads the due end of that list. Posting goes through [`App::post_status`] with the
//! `Idempotency-Key` `scheduled-{id}`, and the record is removed only after the post: a crash
//! between the two posts the same status again within the hour, which the key turns into the
//! status already posted rather than a second one.

use fedi_storage::{CollectionStoreExt, PageRequest, WriteBatch};
use serde::{Deserialize, Serialize};

use super::model::{coll, ns, StatusApplication, StatusVisibility};
use super::statuses::NewStatus;
use super::App;
use crate::error::Error;

/// The most scheduled statuses an account may have (Mastodon's `TOTAL_LIMIT`).
pub const SCHEDULED_TOTAL_LIMIT: usize = 300;
/// The most scheduled statuses an account may have due on one (UTC) day (Mastodon's
/// `DAILY_LIMIT`).
pub const SCHEDULED_DAILY_LIMIT: usize = 25;
/// How many due statuses one run of the publishing job posts at most.
const PUBLISH_BATCH: usize = 50;
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

impl App {
    /// Schedules `new` to be posted by `account_id` at `scheduled_at` (ms), after checking it
    /// as a post is checked (text or media, length, the parent, the media) and against
    /// Mastodon's scheduling rules: at least `schedule_min_lead_seconds` ahead, at most
    /// [`SCHEDULED_TOTAL_LIMIT`] scheduled and [`SCHEDULED_DAILY_LIMIT`] due the same day.
    pub async fn schedule_status(
        &self,
        account_id: u64,
        new: NewStatus,
        scheduled_at: u64,
        application: Option<StatusApplication>,
        application_id: Option<u64>,
    ) -> Result<ScheduledStatus, Error> {
        let author = self.account(account_id).await?;
        if !author.is_local() {
            return Err(Error::Forbidden("not a local account".into()));
        }
        self.check_schedule(account_id, scheduled_at, None).await?;
        let media = self
            .media_for_status(account_id, &new.media_ids, None)
            .await?;
        if new.text.trim().is_empty() && media.is_empty() {
            return Err(Error::Unprocessable(
                "Validation failed: Text can't be blank".into(),
            ));
        }
        let limit = self.config().max_characters;
        if new.text.chars().count() + new.spoiler_text.chars().count() > limit {
            return Err(Error::Unprocessable(format!(
                "Validation failed: Text character limit of {limit} exceeded"
            )));
        }
        if let Some(p) = new.in_reply_to_id {
            let parent = self.status(p).await?;
            if !self.can_view(&parent, Some(account_id)).await? {
                return Err(Error::NotFound(format!("status {p}")));
            }
        }
        let now = self.now_ms();
        if let Some(poll) = &new.poll {
            if !new.media_ids.is_empty() {
                return Err(Error::Unprocessable(
                    "Validation failed: Cannot attach files to a post with a poll".into(),
                ));
            }
            poll.validate(now)?;
        }
        let s = ScheduledStatus {
            id: self.inner.ids.next(now),
            account_id,
            scheduled_at,
            params: super::model::ScheduledParams {
                text: new.text,
                media_ids: media.iter().map(|m| m.id).collect(),
                sensitive: new.sensitive,
                spoiler_text: new.spoiler_text,
                visibility: new.visibility,
                in_reply_to_id: new.in_reply_to_id,
                language: new.language,
                idempotency: new.idempotency_key,
                poll: new.poll,
            },
            application,
            application_id,
        };
        // Its media are the scheduled status's now: out of the unattached uploads' sweep.
        let mut batch = WriteBatch::new()
            .kv_put(ns::SCHEDULED, s.id.to_string(), serde_json::to_vec(&s)?)
            .insert(coll::scheduled_of(account_id), s.id, s.id.to_string())
            .insert(
                coll::SCHEDULED_DUE,
                due_key(scheduled_at, s.id),
                s.id.to_string(),
            );
        for m in &media {
            batch = batch.remove(coll::UNATTACHED_MEDIA, m.id.to_string());
        }
        self.store().apply(&batch).await?;
        Ok(s)
    }

    /// Mastodon's checks of a scheduled time for `account_id` (`except`: the scheduled status
    /// being moved, not counted).
    async fn check_schedule(
        &self,
        account_id: u64,
        scheduled_at: u64,
        except: Option<u64>,
    ) -> Result<(), Error> {
        let lead = self.config().schedule_min_lead_seconds.saturating_mul(1000);
        if scheduled_at < self.now_ms().saturating_add(lead) {
            return Err(Error::Unprocessable(
                "Validation failed: Scheduled at The scheduled date must be in the future".into(),
            ));
        }
        let mine: Vec<ScheduledStatus> = self
            .all_scheduled(account_id)
            .await?
            .into_iter()
            .filter(|s| Some(s.id) != except)
            .collect();
        if mine.len() >= SCHEDULED_TOTAL_LIMIT {
            return Err(Error::Unprocessable(format!(
                "Validation failed: You have exceeded the limit of {SCHEDULED_TOTAL_LIMIT} scheduled posts"
            )));
        }
        let day = scheduled_at / DAY_MS;
        if mine
            .iter()
            .filter(|s| s.scheduled_at / DAY_MS == day)
            .count()
            >= SCHEDULED_DAILY_LIMIT
        {
            return Err(Error::Unprocessable(format!(
                "Validation failed: You have exceeded the limit of {SCHEDULED_DAILY_LIMIT} scheduled posts for today"
            )));
        }
        Ok(())
    }

    /// Every scheduled status of `account_id`.
    async fn all_scheduled(&self, account_id: u64) -> Result<Vec<ScheduledStatus>, Error> {
        let keys: Vec<String> = self
            .store()
            .all_members(&coll::scheduled_of(account_id), 500)
            .await?
            .into_iter()
            .map(|i| i.member)
            .collect();
        Ok(self
            .get_many::<ScheduledStatus>(ns::SCHEDULED, &keys)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// A scheduled status of `account_id` (not found if it is someone else's).
    pub async fn scheduled_status(
        &self,
        account_id: u64,
        id: u64,
    ) -> Result<ScheduledStatus, Error> {
        match self
            .get::<ScheduledStatus>(ns::SCHEDULED, &id.to_string())
            .await?
        {
            Some(s) if s.account_id == account_id => Ok(s),
            _ => Err(Error::NotFound(format!("scheduled status {id}"))),
        }
    }

    /// A page of `account_id`'s scheduled statuses (by id, newest first), with the raw page
    /// (for `Link` headers): two store calls.
    pub async fn scheduled_page(
        &self,
        account_id: u64,
        req: &PageRequest,
    ) -> Result<(Vec<ScheduledStatus>, fedi_storage::Page), Error> {
        let page = self
            .store()
            .page(&coll::scheduled_of(account_id), req)
            .await?;
        let keys: Vec<String> = page.items.iter().map(|i| i.member.clone()).collect();
        let list = self
            .get_many::<ScheduledStatus>(ns::SCHEDULED, &keys)
            .await?
            .into_iter()
            .flatten()
            .filter(|s| s.account_id == account_id)
            .collect();
        Ok((list, page))
    }

    /// Moves a scheduled status to `scheduled_at` (ms), with the checks of a new one.
    pub async fn reschedule(
        &self,
        account_id: u64,
        id: u64,
        scheduled_at: u64,
    ) -> Result<ScheduledStatus, Error> {
        let mut s = self.scheduled_status(account_id, id).await?;
        self.check_schedule(account_id, scheduled_at, Some(id))
            .await?;
        s.scheduled_at = scheduled_at;
        // Inserting the member again moves it to its new key.
        let batch = WriteBatch::new()
            .kv_put(ns::SCHEDULED, s.id.to_string(), serde_json::to_vec(&s)?)
            .insert(
                coll::SCHEDULED_DUE,
                due_key(scheduled_at, s.id),
                s.id.to_string(),
            );
        self.store().apply(&batch).await?;
        Ok(s)
    }

    /// Cancels a scheduled status; its media become unattached uploads again.
    pub async fn cancel_scheduled(&self, account_id: u64, id: u64) -> Result<(), Error> {
        let s = self.scheduled_status(account_id, id).await?;
        let mut batch = self.forget_scheduled(&s);
        for m in self
            .media_by_id(&s.params.media_ids)
            .await?
            .into_iter()
            .flatten()
        {
            if m.status_id.is_none() {
                batch = batch.insert(coll::UNATTACHED_MEDIA, m.id, m.id.to_string());
            }
        }
        self.store().apply(&batch).await?;
        Ok(())
    }

    fn forget_scheduled(&self, s: &ScheduledStatus) -> WriteBatch {
        WriteBatch::new()
            .kv_delete(ns::SCHEDULED, s.id.to_string())
            .remove(coll::scheduled_of(s.account_id), s.id.to_string())
            .remove(coll::SCHEDULED_DUE, s.id.to_string())
    }

    /// Posts the scheduled statuses due by now (at most a batch of them; the rest on the next
    /// run). A status that can no longer be posted (its parent or media gone, its author
    /// gone, its text refused) is dropped, as Mastodon drops it; on a store error it stays
    /// for the next run. Returns how many were posted.
    pub async fn publish_due_scheduled(&self) -> Result<usize, Error> {
        let now = self.now_ms();
        let mut req = PageRequest::oldest(PUBLISH_BATCH);
        req.max_id = Some(due_key(now.saturating_add(1), 0));
        let page = self.store().page(coll::SCHEDULED_DUE, &req).await?;
        let mut posted = 0;
        for item in page.items {
            let record = self
                .get::<ScheduledStatus>(ns::SCHEDULED, &item.member)
                .await?;
            let Some(s) = record else {
                self.store()
                    .remove(coll::SCHEDULED_DUE, &item.member)
                    .await?;
                continue;
            };
            if s.scheduled_at > now {
                continue;
            }
            let new = NewStatus {
                text: s.params.text.clone(),
                in_reply_to_id: s.params.in_reply_to_id,
                sensitive: s.params.sensitive,
                spoiler_text: s.params.spoiler_text.clone(),
                visibility: s.params.visibility,
                language: s.params.language.clone(),
                idempotency_key: Some(format!("scheduled-{}", s.id)),
                media_ids: s.params.media_ids.clone(),
                poll: s.params.poll.clone(),
                quoted_status_id: None,
            };
            match self.post_status(s.account_id, new).await {
                Ok(status) => {
                    if let Some(a) = &s.application {
                        self.set_status_application(status.id, a).await?;
                    }
                    posted += 1;
                }
                Err(
                    e @ (Error::NotFound(_)
                    | Error::Unprocessable(_)
                    | Error::Forbidden(_)
                    | Error::Gone(_)),
                ) => {
                    tracing::info!(id = s.id, error = %e, "scheduled status dropped");
                }
                Err(e) => return Err(e),
            }
            self.store().apply(&self.forget_scheduled(&s)).await?;
        }
        Ok(posted)
    }
}

/// What a scheduled status will post (Mastodon's `ScheduledStatus.params`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledParams {
    /// The text.
    pub text: String,
    /// Media attachments, in order.
    #[serde(default)]
    pub media_ids: Vec<u64>,
    /// Sensitive.
    pub sensitive: bool,
    /// Content warning.
    pub spoiler_text: String,
    /// Visibility (`None`: the default).
    pub visibility: Option<StatusVisibility>,
    /// The parent.
    pub in_reply_to_id: Option<u64>,
    /// Language.
    pub language: Option<String>,
    /// The `Idempotency-Key` it was scheduled with.
    pub idempotency: Option<String>,
    /// Its poll, as given (checked when scheduled; it ends `expires_in` after posting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<super::polls::NewPoll>,
}

/// A status to be posted later by the publishing job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledStatus {
    /// Id.
    pub id: u64,
    /// The author (local).
    pub account_id: u64,
    /// When to post it (ms).
    pub scheduled_at: u64,
    /// What to post.
    pub params: ScheduledParams,
    /// The application it was scheduled with.
    #[serde(default)]
    pub application: Option<StatusApplication>,
    /// Its OAuth application's id, if any (`params.application_id`).
    #[serde(default)]
    pub application_id: Option<u64>,
}

/// The key of a scheduled status in [`coll::SCHEDULED_DUE`](super::model::coll::SCHEDULED_DUE): due time (ms) in the high 48
/// bits, the id's low 16 bits below, so keys sort by due time and stay distinct.
pub fn due_key(scheduled_at_ms: u64, id: u64) -> u64 {
    (scheduled_at_ms << 16) | (id & 0xffff)
}
