//! Moderation of accounts, as Mastodon's admin account actions: mark sensitive, disable the
//! login, silence (limit), suspend, their undo, and the deletion of a suspended account's
//! data.
//!
//! - What was done is kept with the account ([`Moderation`]); entities and documents read it
//!   from the account record they already load, so hiding costs no extra store call: a
//!   suspended account's statuses are not rendered (so they leave every timeline and answer
//!   `404`), its actor document is served blank with `suspended: true`, a silenced
//!   account's statuses stay out of public timelines.
//! - Suspending a local account sends an `Update` of its actor to its followers' servers,
//!   and queues a durable job ([`App::run_moderation_jobs`]) that deletes its data
//!   [`SUSPENSION_GRACE`] later unless it was unsuspended meanwhile; an admin may delete it
//!   sooner ([`App::delete_suspended_data`]). Deleting sends a `Delete` of the actor, after
//!   which the actor answers `410`.
//! - Suspending a remote account removes its statuses and follows here at once, and its
//!   activities are refused at the inbox ([`ns::SUSPENDED_ACTORS`], one read per delivery).
//!   An actor whose own server marks it `suspended: true` is hidden the same way
//!   ([`Moderation::origin_suspended`]).
//!
//! Who may do what follows Mastodon's `Admin::AccountPolicy`: [`flags::MANAGE_USERS`] for the
//! actions (and only on accounts whose role the moderator's overrides),
//! [`flags::DELETE_USER_DATA`] to delete data.

use std::time::Duration;

use activitypub_core::builder;
use activitypub_core::engine::Recipients;
use activitypub_core::{Actor, AnyObject, ObjectId};
use fedi_storage::{CollectionStoreExt, LeaseRequest, NewJob};
use serde::{Deserialize, Serialize};

use crate::app::activitypub::oid;
use crate::app::model::{coll, ns, Account};
use crate::app::roles::{flags, Role};
use crate::app::App;
use crate::error::Error;

/// How long a suspended local account can be unsuspended before its data is deleted
/// (Mastodon: 30 days).
pub const SUSPENSION_GRACE: Duration = Duration::from_secs(30 * 24 * 3600);
/// The durable queue of moderation jobs.
const QUEUE: &str = "app.moderation";
/// Attempts of a moderation job before it becomes a dead letter.
const ATTEMPTS: u32 = 8;

/// What moderators did to an account (times in ms), and whether its own server suspended it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderation {
    /// Suspended here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<u64>,
    /// Silenced (limited) here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silenced_at: Option<u64>,
    /// Its media are marked sensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitized_at: Option<u64>,
    /// Its login is disabled (local accounts).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// Its own server serves it with `suspended: true` (remote accounts).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub origin_suspended: bool,
}

impl Moderation {
    /// Nothing was done.
    pub fn is_clear(&self) -> bool {
        *self == Moderation::default()
    }
}

/// An admin action (`type` of `POST /api/v1/admin/accounts/:id/action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A warning only: nothing changes.
    None,
    /// Its media are shown as sensitive.
    Sensitive,
    /// Its login is disabled.
    Disable,
    /// Limited: out of public timelines.
    Silence,
    /// Suspended.
    Suspend,
}

impl Action {
    /// Parses Mastodon's `type`.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "none" => Action::None,
            "sensitive" => Action::Sensitive,
            "disable" => Action::Disable,
            "silence" => Action::Silence,
            "suspend" => Action::Suspend,
            _ => return None,
        })
    }
}

/// The undo of an action (`unsuspend`, `unsilence`, `unsensitive`, `enable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// Lifts a suspension (within [`SUSPENSION_GRACE`], before the data is deleted).
    Unsuspend,
    /// Lifts a silence.
    Unsilence,
    /// Lifts the sensitive mark.
    Unsensitive,
    /// Enables a disabled login.
    Enable,
}

impl Undo {
    /// Parses Mastodon's path segment.
    pub fn parse(s: &str) -> Option<Undo> {
        Some(match s {
            "unsuspend" => Undo::Unsuspend,
            "unsilence" => Undo::Unsilence,
            "unsensitive" => Undo::Unsensitive,
            "enable" => Undo::Enable,
            _ => return None,
        })
    }
}

/// A moderation job.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
enum Job {
    /// Deletes the data of a suspended account if it is still suspended since `since`.
    DeleteData { account: u64, since: u64 },
    /// Deletes the data of a local account its owner or the operator deleted (already
    /// marked deleted: `lifecycle::deletion`).
    DeleteAccount { account: u64 },
}

fn forbidden() -> Error {
    Error::Forbidden("This action is not allowed".into())
}

impl App {
    /// Applies `action` to account `target` as someone with role `by` (the command line acts
    /// as [`Role::Owner`]). `403` when the role does not allow it, `422` for `disable` of a
    /// remote account, `404` for an unknown account.
    pub async fn moderate(&self, by: Role, target: u64, action: Action) -> Result<Account, Error> {
        let mut a = self.account(target).await?;
        let allowed = match action {
            Action::None => by.can(flags::MANAGE_USERS) || by.can(flags::MANAGE_REPORTS),
            _ => by.can(flags::MANAGE_USERS) && by.overrides(a.role),
        };
        if !allowed || a.deleted {
            return Err(forbidden());
        }
        let now = self.now_ms();
        match action {
            Action::None => return Ok(a),
            Action::Sensitive => {
                a.moderation.sensitized_at.get_or_insert(now);
            }
            Action::Silence => {
                a.moderation.silenced_at.get_or_insert(now);
            }
            Action::Disable => {
                if !a.is_local() {
                    return Err(Error::Unprocessable(
                        "disable applies to local accounts only".into(),
                    ));
                }
                a.moderation.disabled = true;
            }
            Action::Suspend => {
                if a.moderation.suspended_at.is_some() {
                    return Ok(a);
                }
                a.moderation.suspended_at = Some(now);
                self.save_moderated(&a).await?;
                if a.is_local() {
                    self.federate_actor_update(&a).await?;
                    self.enqueue_moderation_job(
                        &Job::DeleteData {
                            account: a.id,
                            since: now,
                        },
                        now + SUSPENSION_GRACE.as_millis() as u64,
                    )
                    .await?;
                } else {
                    self.purge_remote_content(&a).await?;
                }
                return Ok(a);
            }
        }
        self.save_moderated(&a).await?;
        Ok(a)
    }

    /// Undoes an action on account `target` as someone with role `by`.
    pub async fn unmoderate(&self, by: Role, target: u64, undo: Undo) -> Result<Account, Error> {
        let mut a = self.account(target).await?;
        if !by.can(flags::MANAGE_USERS) || a.deleted {
            return Err(forbidden());
        }
        match undo {
            Undo::Unsuspend => {
                if a.moderation.suspended_at.take().is_none() {
                    return Ok(a);
                }
                self.save_moderated(&a).await?;
                if a.is_local() {
                    self.federate_actor_update(&a).await?;
                }
                return Ok(a);
            }
            Undo::Unsilence => a.moderation.silenced_at = None,
            Undo::Unsensitive => a.moderation.sensitized_at = None,
            Undo::Enable => a.moderation.disabled = false,
        }
        self.save_moderated(&a).await?;
        Ok(a)
    }

    /// Deletes the data of suspended account `target` now, as someone with role `by`
    /// (Mastodon's `DELETE /api/v1/admin/accounts/:id`): `403` unless the role may delete
    /// user data and the account is suspended here and not deleted yet.
    pub async fn delete_suspended_data(&self, by: Role, target: u64) -> Result<Account, Error> {
        let a = self.account(target).await?;
        if !by.can(flags::DELETE_USER_DATA) || a.moderation.suspended_at.is_none() || a.deleted {
            return Err(forbidden());
        }
        if a.is_local() {
            // Marked deleted and queued first, so that a restart in the middle finishes it.
            let a = self.begin_account_deletion(a).await?;
            self.run_deletion_jobs().await?;
            return Ok(a);
        }
        self.delete_account_data(a).await
    }

    /// The deletion itself: a local account's followers' servers and every other known
    /// instance get a `Delete` of the actor, then its statuses and follows go, and what
    /// [`App::purge_owned_data`] lists; the record stays, marked deleted (its actor then
    /// answers `410`, and its name stays taken). Run again after an interruption, it finds
    /// less to do (and sends the same `Delete` again, which receivers deduplicate by id).
    pub(crate) async fn delete_account_data(&self, mut a: Account) -> Result<Account, Error> {
        if a.is_local() {
            let delete = serde_json::json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}#delete", a.actor),
                "type": "Delete",
                "actor": a.actor,
                "to": [activitypub_core::visibility::PUBLIC],
                "object": a.actor,
            });
            // As Mastodon's `DeleteAccountService`: the followers, then every known instance.
            let mut to = Recipients::new().followers_of(a.actor.clone());
            for inbox in self.known_inboxes().await? {
                to = to.inbox(inbox);
            }
            self.federate(&a, &serde_json::to_vec(&delete)?, to).await?;
            let store = self.store();
            for item in store.all_members(&coll::statuses_of(a.id), 1000).await? {
                if let Ok(s) = self.status(item.key).await {
                    self.remove_status(&s).await?;
                }
            }
            for item in store.all_members(&coll::following(a.id), 1000).await? {
                if let Ok(t) = item.member.parse() {
                    self.remove_follow_record(a.id, t).await?;
                }
            }
            for item in store.all_members(&coll::followers(a.id), 1000).await? {
                if let Ok(f) = item.member.parse() {
                    self.remove_follow_record(f, a.id).await?;
                }
            }
            self.purge_owned_data(&a).await?;
        } else {
            self.purge_remote_content(&a).await?;
        }
        a.deleted = true;
        a.display_name.clear();
        a.note.clear();
        a.note_source.clear();
        a.fields.clear();
        self.save_moderated(&a).await?;
        Ok(a)
    }

    /// Removes a remote account's statuses and follows (both ways), keeping its record.
    async fn purge_remote_content(&self, a: &Account) -> Result<(), Error> {
        let store = self.store();
        for item in store.all_members(&coll::statuses_of(a.id), 1000).await? {
            if let Ok(s) = self.status(item.key).await {
                self.remove_status(&s).await?;
            }
        }
        for item in store.all_members(&coll::following(a.id), 1000).await? {
            if let Ok(t) = item.member.parse() {
                self.remove_follow_record(a.id, t).await?;
            }
        }
        for item in store.all_members(&coll::followers(a.id), 1000).await? {
            if let Ok(f) = item.member.parse() {
                self.remove_follow_record(f, a.id).await?;
            }
        }
        Ok(())
    }

    /// Stores a moderated account, and for a remote one whether its activities are refused.
    async fn save_moderated(&self, a: &Account) -> Result<(), Error> {
        self.put(ns::ACCOUNTS, &a.id.to_string(), a).await?;
        if !a.is_local() {
            let store = self.store();
            if a.moderation.suspended_at.is_some() {
                store
                    .kv_put(ns::SUSPENDED_ACTORS, a.actor.as_bytes(), b"1")
                    .await?;
            } else {
                store
                    .kv_delete(ns::SUSPENDED_ACTORS, a.actor.as_bytes())
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends an `Update` of a local account's actor to its followers' servers.
    pub(crate) async fn federate_actor_update(&self, a: &Account) -> Result<(), Error> {
        let actor_doc = self.actor_document(a).await?;
        let me: ObjectId<Actor> = oid(&a.actor)?;
        let update_id = oid(&format!("{}#updates/{}", a.actor, self.now_ms()))?;
        let update = builder::update(&update_id, &me, AnyObject::Actor(actor_doc));
        self.federate(
            a,
            &serde_json::to_vec(&update)?,
            Recipients::new().followers_of(a.actor.clone()),
        )
        .await
    }

    /// Adds to `batch` the job that deletes the data of local account `account` (due now).
    pub(crate) fn with_deletion_job(
        &self,
        batch: fedi_storage::WriteBatch,
        account: u64,
    ) -> Result<fedi_storage::WriteBatch, Error> {
        let job = NewJob::new(
            "moderation",
            serde_json::to_vec(&Job::DeleteAccount { account })?,
            self.now(),
        )
        .with_max_attempts(ATTEMPTS);
        Ok(batch.enqueue(QUEUE, job))
    }

    async fn enqueue_moderation_job(&self, job: &Job, at_ms: u64) -> Result<(), Error> {
        let job = NewJob::new(
            "moderation",
            serde_json::to_vec(job)?,
            fedi_storage::Timestamp::from_unix_millis(at_ms),
        )
        .with_max_attempts(ATTEMPTS);
        self.store().enqueue(QUEUE, &job).await?;
        Ok(())
    }

    /// Runs the moderation jobs that are due (at most `limit`): the deletion of the data of
    /// accounts suspended [`SUSPENSION_GRACE`] ago and not unsuspended (nor suspended again)
    /// since. Returns how many were leased; a failed job is tried again later.
    pub async fn run_moderation_jobs(&self, limit: usize) -> Result<usize, Error> {
        let jobs = self
            .store()
            .lease(
                QUEUE,
                &LeaseRequest::new(self.now(), Duration::from_secs(120), limit),
            )
            .await?;
        let n = jobs.len();
        for job in jobs {
            let result = match serde_json::from_slice::<Job>(&job.payload) {
                Ok(Job::DeleteData { account, since }) => match self.account(account).await {
                    Ok(a) if a.moderation.suspended_at == Some(since) && !a.deleted => {
                        self.delete_account_data(a).await.map(|_| ())
                    }
                    Ok(_) => Ok(()),
                    Err(e) if e.is_not_found() => Ok(()),
                    Err(e) => Err(e),
                },
                Ok(Job::DeleteAccount { account }) => match self.account(account).await {
                    Ok(a) if a.is_local() && a.deleted => {
                        self.delete_account_data(a).await.map(|_| ())
                    }
                    Ok(_) => Ok(()),
                    Err(e) if e.is_not_found() => Ok(()),
                    Err(e) => Err(e),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable moderation job dropped");
                    Ok(())
                }
            };
            match result {
                Ok(()) => self.store().ack(QUEUE, &job.lease).await?,
                Err(e) => {
                    tracing::warn!(error = %e, "moderation job failed");
                    let at = self
                        .now()
                        .saturating_add(Duration::from_secs(60 * u64::from(job.attempts + 1)));
                    self.store()
                        .retry(QUEUE, &job.lease, &e.to_string(), at, self.now())
                        .await?;
                }
            }
        }
        Ok(n)
    }

    /// Accounts for the admin API, newest first: local ones (`local`), remote ones, or
    /// both, keeping those `keep` takes, after the id `max_id` (exclusive), at most `limit`.
    pub async fn admin_accounts(
        &self,
        local: Option<bool>,
        max_id: Option<u64>,
        min_id: Option<u64>,
        limit: usize,
        keep: impl Fn(&Account) -> bool,
    ) -> Result<Vec<Account>, Error> {
        let mut all: Vec<Account> = self
            .scan_records::<Account>(ns::ACCOUNTS, b"", |a| {
                local.is_none_or(|l| l == a.is_local())
                    && max_id.is_none_or(|m| a.id < m)
                    && min_id.is_none_or(|m| a.id > m)
                    && keep(a)
            })
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        if min_id.is_some() {
            all.sort_by_key(|a| a.id);
            all.truncate(limit);
            all.reverse();
        } else {
            all.sort_by_key(|a| std::cmp::Reverse(a.id));
            all.truncate(limit);
        }
        Ok(all)
    }
}

impl crate::app::State {
    /// Whether a remote actor is suspended here (its activities are refused).
    pub(crate) async fn is_actor_suspended(&self, actor: &str) -> Result<bool, Error> {
        Ok(self
            .store
            .kv_get(ns::SUSPENDED_ACTORS, actor.as_bytes())
            .await?
            .is_some())
    }
}
