//! Deletion of a local account by its owner (who confirms with the password) or by the
//! operator (`woolly account delete NAME --yes`), as Mastodon's `DeleteAccountService` with
//! `reserve_username`.
//!
//! [`App::delete_own_account`] and [`App::delete_account_now`] first mark the account deleted
//! and queue its deletion in one write ([`App::begin_account_deletion`]): from then on its
//! actor, its statuses and its WebFinger answer `410`, its tokens and password no longer
//! work, and its name stays taken (the record is kept, so a sign-up or `woolly account
//! create` with that name is refused). The work itself is a job of the moderation queue
//! (`app.moderation`, the queue of the 30-day deletion of suspended accounts), run at once and
//! again by `woolly serve` every minute until it succeeds, so a restart in the middle finishes
//! it; it is the deletion `moderation::accounts` has always done (the `Delete` of the actor,
//! then statuses and follows), which now also sends the `Delete` to every known instance and
//! removes what `App::purge_owned_data` lists.

use std::collections::BTreeSet;
use std::net::IpAddr;

use fedi_storage::{CollectionStoreExt, WriteBatch};

use super::super::media::ProfileSlot;
use super::super::model::{bookmark_key, coll, filters_key, ns, Account};
use super::super::App;
use crate::error::Error;

impl App {
    /// Deletes local account `account_id` at its owner's request: `password` must be its
    /// password (`403`, counted by the sign-in throttle; `429` while over it). The account is
    /// deleted at once for everyone; its data goes in the background (see the module).
    pub async fn delete_own_account(
        &self,
        account_id: u64,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<Account, Error> {
        let a = self.live_local_account(account_id).await?;
        self.check_current_password(&a, password, from).await?;
        let a = self.begin_account_deletion(a).await?;
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.run_moderation_jobs(16).await {
                tracing::warn!(error = %e, "account deletion left for the next run");
            }
        });
        Ok(a)
    }

    /// Deletes local account `account_id` as the operator does, and waits for its data to
    /// be removed (the deliveries of the `Delete` are queued, not awaited).
    pub async fn delete_account_now(&self, account_id: u64) -> Result<Account, Error> {
        let a = self.live_local_account(account_id).await?;
        let a = self.begin_account_deletion(a).await?;
        self.run_deletion_jobs().await?;
        Ok(a)
    }

    /// Runs the due moderation jobs until none is left (at most 64 rounds of 16), so that a
    /// deletion just queued is done on return, unless another process holds its lease.
    pub(crate) async fn run_deletion_jobs(&self) -> Result<(), Error> {
        for _ in 0..64 {
            if self.run_moderation_jobs(16).await? == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Marks local account `a` deleted (its profile emptied) and queues the job that deletes
    /// its data, in one write; revokes its tokens and forgets its password. The job runs with
    /// the next [`App::run_moderation_jobs`] (the two functions above run it at once).
    pub async fn begin_account_deletion(&self, mut a: Account) -> Result<Account, Error> {
        a.deleted = true;
        a.display_name.clear();
        a.note.clear();
        a.note_source.clear();
        a.fields.clear();
        let batch = WriteBatch::new()
            .kv_put(ns::ACCOUNTS, a.id.to_string(), serde_json::to_vec(&a)?)
            .kv_delete(ns::PASSWORDS, a.id.to_string());
        let batch = self.with_deletion_job(batch, a.id)?;
        self.store().apply(&batch).await?;
        self.revoke_tokens_of(a.id, None).await?;
        Ok(a)
    }

    /// Every known instance's inbox: the shared inbox (else the inbox) of every remote
    /// account stored here, once each, as Mastodon's `Account.inboxes` (its
    /// `DeleteAccountService` sends the `Delete` of an actor to all of them, the followers'
    /// first). A scan of the accounts: deletions are rare.
    pub(crate) async fn known_inboxes(&self) -> Result<BTreeSet<String>, Error> {
        let remote = self
            .scan_records::<Account>(ns::ACCOUNTS, b"", |a| !a.is_local() && !a.deleted)
            .await?;
        Ok(remote
            .into_iter()
            .filter_map(|(_, a)| a.shared_inbox.or(a.inbox))
            .collect())
    }

    /// Removes what a deleted local account owned besides its statuses and follows (which
    /// the deletion removes first): tokens and codes, password, lists, notifications,
    /// favourites, bookmarks, blocks, mutes, pending follow requests, scheduled statuses,
    /// unattached uploads, filters, conversations and profile images. Each step can run
    /// again: a deletion interrupted by a restart starts over and finds less to do.
    pub(crate) async fn purge_owned_data(&self, a: &Account) -> Result<(), Error> {
        let id = a.id;
        let store = self.store();
        self.revoke_tokens_of(id, None).await?;
        store
            .kv_delete(ns::PASSWORDS, id.to_string().as_bytes())
            .await?;
        for l in self.lists_of(id).await? {
            self.delete_list(id, l.id).await?;
        }
        self.clear_notifications(id).await?;
        for item in store.all_members(&coll::favourites_of(id), 1000).await? {
            if let Ok(s) = item.member.parse() {
                self.remove_favourite(id, s).await?;
            }
        }
        let mut batch = WriteBatch::new();
        for item in store.all_members(&coll::bookmarks_of(id), 1000).await? {
            if let Ok(s) = item.member.parse::<u64>() {
                batch = batch.kv_delete(ns::VIEWER_MARKS, bookmark_key(id, s));
            }
            batch = batch.remove(coll::bookmarks_of(id), item.member);
        }
        for item in store.all_members(&coll::blocks(id), 1000).await? {
            if let Ok(t) = item.member.parse::<u64>() {
                batch = batch.kv_delete(ns::BLOCKS, format!("{id}:{t}"));
            }
            batch = batch.remove(coll::blocks(id), item.member);
        }
        for item in store.all_members(&coll::mutes(id), 1000).await? {
            if let Ok(t) = item.member.parse::<u64>() {
                batch = batch.kv_delete(ns::MUTES, format!("{id}:{t}"));
            }
            batch = batch.remove(coll::mutes(id), item.member);
        }
        for item in store.all_members(&coll::conversations(id), 1000).await? {
            batch = batch
                .kv_delete(ns::CONVERSATIONS, item.member.clone())
                .remove(coll::conversations(id), item.member);
        }
        batch = batch.kv_delete(ns::VIEWER_MARKS, filters_key(id));
        store.apply(&batch).await?;
        // Requests to follow it that were never answered.
        for item in store.all_members(&coll::requests(id), 1000).await? {
            if let Ok(f) = item.member.parse() {
                self.remove_follow_record(f, id).await?;
            }
        }
        for item in store.all_members(&coll::scheduled_of(id), 1000).await? {
            if let Ok(s) = item.member.parse() {
                match self.cancel_scheduled(id, s).await {
                    Err(e) if !e.is_not_found() => return Err(e),
                    _ => {}
                }
            }
        }
        // Uploads never attached: their records and files.
        for item in store.all_members(coll::UNATTACHED_MEDIA, 1000).await? {
            if let Ok(m) = item.member.parse() {
                if let Ok(m) = self.media_attachment(m).await {
                    if m.account_id == id {
                        self.remove_media(&m).await?;
                    }
                }
            }
        }
        for slot in [ProfileSlot::Avatar, ProfileSlot::Header] {
            self.remove_profile_image(id, slot).await?;
        }
        Ok(())
    }
}
