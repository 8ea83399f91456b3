//! Pinned statuses: the local `featured` collection and its `Add`/`Remove` activities, and
//! the pins of remote accounts (read from their `featured` collections).

use std::collections::BTreeSet;

use activitypub_core::engine::Recipients;
use activitypub_core::{builder, AnyObject};
use fedi_storage::{CollectionItem, CollectionStoreExt, PageRequest};

use super::activitypub::oid;
use super::model::{coll, ns, Account, Status, StatusVisibility};
use super::App;
use crate::error::Error;

/// How many statuses a local account may have pinned at once (Mastodon's
/// `StatusPinValidator::PIN_LIMIT`; also `max_pinned_statuses` in the instance entity).
pub const MAX_PINNED_STATUSES: u64 = 5;

/// How many items of a remote account's `featured` collection [`App::sync_featured`] reads
/// (Mastodon lets an account pin 5 statuses; other servers allow more).
pub const FEATURED_SYNC_LIMIT: usize = 20;

/// How many of those background reads run at once.
pub const FEATURED_SYNCS_AT_ONCE: usize = 4;

impl App {
    /// Pins an own status, with Mastodon's rules (`StatusPinValidator`): not a boost, not
    /// someone else's, not a direct status, and at most [`MAX_PINNED_STATUSES`] pinned at
    /// once; public, unlisted and followers-only statuses can be pinned. A refusal is a `422`
    /// with Mastodon's text (`Validation failed: …`, several reasons joined by `, `).
    /// Pinning a pinned status again changes nothing. The `Add` goes to followers (the
    /// audience of a followers-only status too).
    pub async fn pin(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let own = s.account_id == account_id;
        if own && s.reblog_of_id.is_none() && self.is_pinned(&s).await? {
            return Ok(s);
        }
        let mut errors = Vec::new();
        if s.reblog_of_id.is_some() {
            errors.push("A boost cannot be pinned");
        }
        if !own {
            errors.push("Someone else's post cannot be pinned");
        }
        if s.visibility == StatusVisibility::Direct {
            errors.push("Posts that are only visible to mentioned users cannot be pinned");
        }
        let pinned = coll::pinned(account_id);
        if self.store().count(&pinned).await? >= MAX_PINNED_STATUSES {
            errors.push("You have already pinned the maximum number of posts");
        }
        if !errors.is_empty() {
            return Err(Error::Unprocessable(format!(
                "Validation failed: {}",
                errors.join(", ")
            )));
        }
        self.store()
            .insert(
                &pinned,
                &CollectionItem::new(self.inner.ids.next(self.now_ms()), s.id.to_string()),
            )
            .await?;
        self.federate_featured(account_id, &s, true).await?;
        Ok(s)
    }

    /// Unpins (a `Remove` to followers if it was pinned).
    pub async fn unpin(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let member = status_id.to_string();
        let pinned = coll::pinned(account_id);
        if !self.store().contains(&pinned, &member).await? {
            return Ok(s);
        }
        self.store().remove(&pinned, &member).await?;
        if s.account_id == account_id {
            self.federate_featured(account_id, &s, false).await?;
        }
        Ok(s)
    }

    /// Sends `Add` (`pin`) or `Remove` of a status to/from the author's `featured`
    /// collection to their followers, as Mastodon does on pin and unpin (Mastodon's carry no
    /// `id`; these have one, unique per action, which every receiver can deduplicate and
    /// refer to).
    async fn federate_featured(&self, account_id: u64, s: &Status, pin: bool) -> Result<(), Error> {
        let me = self.account(account_id).await?;
        let n = self.inner.ids.next(self.now_ms());
        let id = oid(&format!(
            "{}#{}/{n}",
            me.actor,
            if pin { "add" } else { "remove" }
        ))?;
        let actor = oid(&me.actor)?;
        let post = oid(&s.uri)?;
        let featured = oid(&format!("{}/collections/featured", me.actor))?;
        let activity = if pin {
            builder::add(Some(&id), &actor, &post, &featured)
        } else {
            builder::remove(Some(&id), &actor, &post, &featured)
        };
        self.federate(
            &me,
            &serde_json::to_vec(&activity)?,
            Recipients::new().followers_of(me.actor.clone()),
        )
        .await
    }

    /// Applies a remote account's `Add` (`pin`) or `Remove` of its own status to/from its
    /// `featured` collection, as Mastodon does: other targets and others' statuses are
    /// ignored; an unknown status is fetched on `Add`.
    pub(crate) async fn apply_featured(
        &self,
        account: &Account,
        target: Option<&str>,
        object: Option<&str>,
        embedded: Option<&activitypub_core::Object>,
        pin: bool,
    ) -> Result<(), Error> {
        let (Some(target), Some(uri)) = (target, object) else {
            return Ok(());
        };
        let featured = self.get_str(ns::FEATURED, &account.id.to_string()).await?;
        if featured.as_deref() != Some(target) {
            return Ok(());
        }
        let mut status = self.status_by_uri(uri).await?;
        if status.is_none() && pin {
            status = match embedded {
                Some(o) => self.ingest_remote_status(o, None).await?,
                None => {
                    let mut budget = self.budget();
                    match self.engine().fetch(uri, &mut budget).await {
                        Ok(f) => match f.document {
                            AnyObject::Object(o) => self.ingest_remote_status(&o, None).await?,
                            _ => None,
                        },
                        Err(e) => {
                            tracing::info!(%uri, error = %e, "pinned status not fetched");
                            None
                        }
                    }
                }
            };
        }
        let Some(s) = status else {
            return Ok(());
        };
        if s.account_id != account.id || s.reblog_of_id.is_some() {
            return Ok(());
        }
        let pinned = coll::pinned(account.id);
        let member = s.id.to_string();
        if pin {
            if !self.store().contains(&pinned, &member).await? {
                self.store()
                    .insert(
                        &pinned,
                        &CollectionItem::new(self.inner.ids.next(self.now_ms()), member),
                    )
                    .await?;
            }
        } else {
            self.store().remove(&pinned, &member).await?;
        }
        Ok(())
    }

    /// Replaces a remote account's pinned statuses with what its `featured` collection lists
    /// (its first [`FEATURED_SYNC_LIMIT`] items; unknown statuses fetched, embedded ones used
    /// only as the engine's origin rule allows: see
    /// [`RemoteItem`](activitypub_core::engine::RemoteItem)), as Mastodon does when it
    /// discovers an account or the account's collection changes. The same rules as a received `Add` apply:
    /// only the account's own statuses, no boosts. Returns how many statuses are pinned.
    ///
    /// (Boxed: reading a pin can discover an account, which starts this again in a task.)
    pub fn sync_featured<'a>(
        &'a self,
        account: &'a Account,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, Error>> + Send + 'a>>
    {
        Box::pin(self.sync_featured_inner(account))
    }

    async fn sync_featured_inner(&self, account: &Account) -> Result<usize, Error> {
        let Some(url) = self.get_str(ns::FEATURED, &account.id.to_string()).await? else {
            return Ok(0);
        };
        let pinned = coll::pinned(account.id);
        // What was pinned before the collection was read: only these can be unpinned, so a
        // pin that an `Add` makes meanwhile stays.
        let before = self
            .store()
            .page(&pinned, &PageRequest::newest(FEATURED_SYNC_LIMIT * 4))
            .await?;
        let mut budget = self.budget();
        let items = self
            .engine()
            .fetch_collection_items(&url, FEATURED_SYNC_LIMIT, &mut budget)
            .await?;
        let mut listed = BTreeSet::new();
        // Oldest pin first, so that the collection's first item ends up the newest pin.
        for item in items.iter().rev() {
            // The engine applied the origin rule: what is still embedded can be used as it
            // is; a reference is fetched (when not known yet).
            let embedded = match item.embedded() {
                Some(AnyObject::Object(o)) => Some(o),
                Some(_) => continue,
                None => None,
            };
            let uri = item.id();
            // One item that cannot be read (its author unknown, its server down) does not
            // stop the others.
            let pin = self.apply_featured(account, Some(&url), Some(uri), embedded, true);
            if let Err(e) = pin.await {
                tracing::debug!(%uri, error = %e, "featured item skipped");
                continue;
            }
            if let Some(s) = self.status_by_uri(uri).await? {
                if self.is_pinned(&s).await? {
                    listed.insert(s.id.to_string());
                }
            }
        }
        for member in before.members() {
            if !listed.contains(member) {
                self.store().remove(&pinned, member).await?;
            }
        }
        Ok(listed.len())
    }

    /// Whether `status` is pinned by its author.
    pub async fn is_pinned(&self, status: &Status) -> Result<bool, Error> {
        Ok(self
            .store()
            .contains(&coll::pinned(status.account_id), &status.id.to_string())
            .await?)
    }
}
