//! Relationships between accounts: follows and follow requests, blocks, mutes, and the
//! instance's domain blocks.

use activitypub_core::builder;
use activitypub_core::engine::Recipients;
use fedi_storage::WriteBatch;

use super::activitypub::oid;
use super::model::{coll, ns, pair, Account, FollowRecord, MuteRecord, NotificationType, Reaction};
use super::App;
use crate::error::Error;

/// The relationship of one account to another, as the client API shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relationship {
    /// The other account.
    pub id: u64,
    /// I follow them (accepted).
    pub following: bool,
    /// My follow request is pending.
    pub requested: bool,
    /// They follow me.
    pub followed_by: bool,
    /// They asked to follow me.
    pub requested_by: bool,
    /// I block them.
    pub blocking: bool,
    /// They block me.
    pub blocked_by: bool,
    /// I mute them.
    pub muting: bool,
    /// I mute their notifications too.
    pub muting_notifications: bool,
    /// I block their domain.
    pub domain_blocking: bool,
}

impl App {
    /// Whether `a` follows `b` (accepted).
    pub async fn is_following(&self, a: u64, b: u64) -> Result<bool, Error> {
        Ok(self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(a, b))
            .await?
            .is_some_and(|f| f.accepted))
    }

    /// Whether `a` blocks `b`.
    pub async fn blocks(&self, a: u64, b: u64) -> Result<bool, Error> {
        Ok(self
            .get::<Reaction>(ns::BLOCKS, &pair(a, b))
            .await?
            .is_some())
    }

    /// `a`'s mute of `b`, if it still applies.
    pub async fn mute_of(&self, a: u64, b: u64) -> Result<Option<MuteRecord>, Error> {
        let now = self.now_ms();
        Ok(self
            .get::<MuteRecord>(ns::MUTES, &pair(a, b))
            .await?
            .filter(|m| m.is_active(now)))
    }

    /// Whether `a` mutes `b` (its statuses), by a mute that has not expired.
    pub async fn mutes(&self, a: u64, b: u64) -> Result<bool, Error> {
        Ok(self.mute_of(a, b).await?.is_some())
    }

    /// Whether `a` mutes `b`'s notifications (a mute with `notifications`, not expired).
    pub async fn mutes_notifications(&self, a: u64, b: u64) -> Result<bool, Error> {
        Ok(self.mute_of(a, b).await?.is_some_and(|m| m.notifications))
    }

    /// `me`'s mutes of `accounts` that still apply, in the order asked, in one store call.
    pub async fn mutes_of(
        &self,
        me: u64,
        accounts: &[u64],
    ) -> Result<Vec<Option<MuteRecord>>, Error> {
        let now = self.now_ms();
        let keys: Vec<String> = accounts.iter().map(|a| pair(me, *a)).collect();
        Ok(self
            .get_many::<MuteRecord>(ns::MUTES, &keys)
            .await?
            .into_iter()
            .map(|m| m.filter(|m| m.is_active(now)))
            .collect())
    }

    /// The relationship of `me` to `other`.
    pub async fn relationship(&self, me: u64, other: u64) -> Result<Relationship, Error> {
        let out = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(me, other))
            .await?;
        let inc = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(other, me))
            .await?;
        let other_acc = self.account(other).await?;
        let mute = self.mute_of(me, other).await?;
        Ok(Relationship {
            id: other,
            following: out.as_ref().is_some_and(|f| f.accepted),
            requested: out.as_ref().is_some_and(|f| !f.accepted),
            followed_by: inc.as_ref().is_some_and(|f| f.accepted),
            requested_by: inc.as_ref().is_some_and(|f| !f.accepted),
            blocking: self.blocks(me, other).await?,
            blocked_by: self.blocks(other, me).await?,
            muting: mute.is_some(),
            muting_notifications: mute.as_ref().is_some_and(|m| m.notifications),
            // The viewer's own block of the domain, as Mastodon shows it (or the instance's).
            domain_blocking: match &other_acc.domain {
                Some(d) => {
                    self.blocks_domain_of(me, &other_acc).await?
                        || self.is_domain_blocked(d).await?
                }
                None => false,
            },
        })
    }

    /// `follower` (local) follows `target`: at once if the target is local and unlocked, as a
    /// request if locked; a remote target gets a `Follow` and the follow stays requested until
    /// its `Accept` arrives.
    pub async fn follow(&self, follower: u64, target: u64) -> Result<Relationship, Error> {
        if follower == target {
            return Err(Error::Forbidden("cannot follow yourself".into()));
        }
        if self.blocks(target, follower).await? || self.blocks(follower, target).await? {
            return Err(Error::Forbidden("blocked".into()));
        }
        let me = self.account(follower).await?;
        let them = self.account(target).await?;
        if them.is_suspended() || them.deleted {
            // Mastodon: a suspended account cannot be followed (not found).
            return Err(Error::NotFound(format!("account {target}")));
        }
        App::refuse_if_moved(&them, "it takes no new followers")?;
        if self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?
            .is_some()
        {
            return self.relationship(follower, target).await;
        }
        let now = self.now_ms();
        let uri = format!("{}#follows/{}", me.actor, self.inner.ids.next(now));
        let auto = them.is_local() && !them.locked;
        self.record_follow(follower, target, &uri, auto).await?;
        if them.is_local() {
            let kind = if auto {
                NotificationType::Follow
            } else {
                NotificationType::FollowRequest
            };
            self.notify(target, kind, follower, None).await?;
        } else {
            let f = builder::follow(&oid(&uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
            self.federate(
                &me,
                &serde_json::to_vec(&f)?,
                Recipients::new().actor(them.actor.clone()),
            )
            .await?;
        }
        self.relationship(follower, target).await
    }

    /// Records a follow (pending or accepted) and, when accepted, the collections.
    pub(crate) async fn record_follow(
        &self,
        follower: u64,
        target: u64,
        uri: &str,
        accepted: bool,
    ) -> Result<(), Error> {
        let now = self.now_ms();
        let rec = FollowRecord {
            uri: uri.to_owned(),
            accepted,
            created_at: now,
        };
        let mut batch = WriteBatch::new()
            .kv_put(
                ns::FOLLOWS,
                pair(follower, target),
                serde_json::to_vec(&rec)?,
            )
            .kv_put(ns::FOLLOW_BY_URI, uri.to_owned(), pair(follower, target));
        if accepted {
            batch = self.accepted_batch(batch, follower, target, now).await?;
        } else {
            batch = batch.insert(
                coll::requests(target),
                self.inner.ids.next(now),
                follower.to_string(),
            );
        }
        self.store().apply(&batch).await?;
        Ok(())
    }

    async fn accepted_batch(
        &self,
        mut batch: WriteBatch,
        follower: u64,
        target: u64,
        now: u64,
    ) -> Result<WriteBatch, Error> {
        let key = self.inner.ids.next(now);
        batch = batch
            .insert(coll::followers(target), key, follower.to_string())
            .insert(coll::following(follower), key, target.to_string())
            .remove(coll::requests(target), follower.to_string());
        let t = self.account(target).await?;
        let f = self.account(follower).await?;
        if t.is_local() && !f.is_local() {
            // The engine delivers to the followers in this collection.
            batch = batch.insert(
                activitypub_core::engine::delivery::followers_collection(&t.actor),
                key,
                f.actor.clone(),
            );
        }
        Ok(batch)
    }

    /// Marks a pending follow accepted.
    pub(crate) async fn accept_follow_record(
        &self,
        follower: u64,
        target: u64,
    ) -> Result<bool, Error> {
        let Some(mut rec) = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?
        else {
            return Ok(false);
        };
        if rec.accepted {
            return Ok(false);
        }
        rec.accepted = true;
        let now = self.now_ms();
        let batch = WriteBatch::new().kv_put(
            ns::FOLLOWS,
            pair(follower, target),
            serde_json::to_vec(&rec)?,
        );
        let batch = self.accepted_batch(batch, follower, target, now).await?;
        self.store().apply(&batch).await?;
        Ok(true)
    }

    /// Removes a follow (pending or accepted) from every list.
    pub(crate) async fn remove_follow_record(
        &self,
        follower: u64,
        target: u64,
    ) -> Result<Option<FollowRecord>, Error> {
        let rec = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?;
        let Some(rec) = rec else { return Ok(None) };
        let mut batch = WriteBatch::new()
            .kv_delete(ns::FOLLOWS, pair(follower, target))
            .kv_delete(ns::FOLLOW_BY_URI, rec.uri.clone())
            .remove(coll::followers(target), follower.to_string())
            .remove(coll::following(follower), target.to_string())
            .remove(coll::requests(target), follower.to_string());
        if let (Ok(t), Ok(f)) = (self.account(target).await, self.account(follower).await) {
            if t.is_local() {
                batch = batch.remove(
                    activitypub_core::engine::delivery::followers_collection(&t.actor),
                    f.actor,
                );
            }
        }
        self.store().apply(&batch).await?;
        if self.account(follower).await.is_ok_and(|a| a.is_local()) {
            self.unlist_unfollowed(follower, target).await?;
        }
        Ok(Some(rec))
    }

    /// Unfollows (or withdraws a request): an `Undo` of the `Follow` to a remote target.
    pub async fn unfollow(&self, follower: u64, target: u64) -> Result<Relationship, Error> {
        let me = self.account(follower).await?;
        let them = self.account(target).await?;
        if let Some(rec) = self.remove_follow_record(follower, target).await? {
            if !them.is_local() {
                let f = builder::follow(&oid(&rec.uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
                let undo = builder::undo(&oid(&format!("{}/undo", rec.uri))?, &oid(&me.actor)?, f);
                self.federate(
                    &me,
                    &serde_json::to_vec(&undo)?,
                    Recipients::new().actor(them.actor),
                )
                .await?;
            }
        }
        self.relationship(follower, target).await
    }

    /// Accepts a pending follow request to local account `target`.
    pub async fn authorize_follow(
        &self,
        target: u64,
        follower: u64,
    ) -> Result<Relationship, Error> {
        let rec = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?
            .ok_or_else(|| Error::NotFound("follow request".into()))?;
        self.accept_follow_record(follower, target).await?;
        let me = self.account(target).await?;
        let them = self.account(follower).await?;
        self.notify(target, NotificationType::Follow, follower, None)
            .await?;
        if !them.is_local() {
            self.send_accept(&me, &them, &rec.uri, true).await?;
        }
        self.relationship(target, follower).await
    }

    /// Rejects a pending follow request to local account `target`.
    pub async fn reject_follow(&self, target: u64, follower: u64) -> Result<Relationship, Error> {
        let rec = self
            .remove_follow_record(follower, target)
            .await?
            .ok_or_else(|| Error::NotFound("follow request".into()))?;
        let me = self.account(target).await?;
        let them = self.account(follower).await?;
        if !them.is_local() {
            self.send_accept(&me, &them, &rec.uri, false).await?;
        }
        self.relationship(target, follower).await
    }

    /// Sends an `Accept` (or `Reject`) of `follow_uri` from `me` to `them`.
    pub(crate) async fn send_accept(
        &self,
        me: &Account,
        them: &Account,
        follow_uri: &str,
        accept: bool,
    ) -> Result<(), Error> {
        let follow = builder::follow(&oid(follow_uri)?, &oid(&them.actor)?, &oid(&me.actor)?);
        let id = oid(&format!(
            "{}#{}/follows/{}",
            me.actor,
            if accept { "accepts" } else { "rejects" },
            self.inner.ids.next(self.now_ms())
        ))?;
        let a = if accept {
            builder::accept(&id, &oid(&me.actor)?, follow)
        } else {
            builder::reject(&id, &oid(&me.actor)?, follow)
        };
        self.federate(
            me,
            &serde_json::to_vec(&a)?,
            Recipients::new().actor(them.actor.clone()),
        )
        .await
    }

    /// Blocks: drops follows both ways and sends a `Block` to a remote account.
    pub async fn block(&self, me_id: u64, target: u64) -> Result<Relationship, Error> {
        let me = self.account(me_id).await?;
        let them = self.account(target).await?;
        self.remove_follow_record(me_id, target).await?;
        self.remove_follow_record(target, me_id).await?;
        let now = self.now_ms();
        let uri = format!("{}#blocks/{}", me.actor, self.inner.ids.next(now));
        let batch = WriteBatch::new()
            .kv_put(
                ns::BLOCKS,
                pair(me_id, target),
                serde_json::to_vec(&Reaction {
                    uri: Some(uri.clone()),
                    created_at: now,
                })?,
            )
            .insert(
                coll::blocks(me_id),
                self.inner.ids.next(now),
                target.to_string(),
            );
        self.store().apply(&batch).await?;
        if !them.is_local() {
            let b = builder::block(&oid(&uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
            self.federate(
                &me,
                &serde_json::to_vec(&b)?,
                Recipients::new().actor(them.actor),
            )
            .await?;
        }
        self.relationship(me_id, target).await
    }

    /// Unblocks (an `Undo` of the `Block` to a remote account).
    pub async fn unblock(&self, me_id: u64, target: u64) -> Result<Relationship, Error> {
        let me = self.account(me_id).await?;
        let them = self.account(target).await?;
        if let Some(r) = self
            .get::<Reaction>(ns::BLOCKS, &pair(me_id, target))
            .await?
        {
            let batch = WriteBatch::new()
                .kv_delete(ns::BLOCKS, pair(me_id, target))
                .remove(coll::blocks(me_id), target.to_string());
            self.store().apply(&batch).await?;
            if let (Some(uri), false) = (r.uri, them.is_local()) {
                let b = builder::block(&oid(&uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
                let undo = builder::undo(&oid(&format!("{uri}/undo"))?, &oid(&me.actor)?, b);
                self.federate(
                    &me,
                    &serde_json::to_vec(&undo)?,
                    Recipients::new().actor(them.actor),
                )
                .await?;
            }
        }
        self.relationship(me_id, target).await
    }

    /// Mutes (local only), for `duration` seconds (`None` or 0: until unmuted), its
    /// notifications too when `notifications`. Muting again replaces both, as Mastodon.
    pub async fn mute(
        &self,
        me_id: u64,
        target: u64,
        notifications: bool,
        duration: Option<u64>,
    ) -> Result<Relationship, Error> {
        let now = self.now_ms();
        let existed = self
            .get::<MuteRecord>(ns::MUTES, &pair(me_id, target))
            .await?
            .is_some();
        let mut batch = WriteBatch::new().kv_put(
            ns::MUTES,
            pair(me_id, target),
            serde_json::to_vec(&MuteRecord {
                uri: None,
                created_at: now,
                expires_at: duration
                    .filter(|d| *d > 0)
                    .map(|d| now.saturating_add(d.saturating_mul(1000))),
                notifications,
            })?,
        );
        if existed {
            batch = batch.remove(coll::mutes(me_id), target.to_string());
        }
        let batch = batch.insert(
            coll::mutes(me_id),
            self.inner.ids.next(now),
            target.to_string(),
        );
        self.store().apply(&batch).await?;
        self.relationship(me_id, target).await
    }

    /// Unmutes.
    pub async fn unmute(&self, me_id: u64, target: u64) -> Result<Relationship, Error> {
        let batch = WriteBatch::new()
            .kv_delete(ns::MUTES, pair(me_id, target))
            .remove(coll::mutes(me_id), target.to_string());
        self.store().apply(&batch).await?;
        self.relationship(me_id, target).await
    }
}
