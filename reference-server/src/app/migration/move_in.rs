//! Moving in: a `Move` from another server, and what any move does to the local accounts
//! that followed, blocked or muted the origin (Mastodon's `MoveWorker`,
//! `UnfollowFollowWorker` and `FollowMigrationService`).

use fedi_storage::CollectionStoreExt;

use crate::app::model::{coll, ns, pair, Account, MuteRecord, Reaction};
use crate::app::App;
use crate::error::Error;

/// Why an incoming `Move` was not applied (logged; nothing changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    /// The `object` is not the sending actor.
    NotItsOwn,
    /// No `target`, or not an http(s) URL.
    NoTarget,
    /// The target is the origin itself.
    SameAccount,
    /// The target could not be fetched.
    Unreachable(String),
    /// The target's `alsoKnownAs` (fetched fresh) does not list the origin.
    NotAnAlias,
    /// The target is suspended (here or by its server), as Mastodon refuses it.
    Suspended,
}

impl App {
    /// Applies a `Move` whose signer is `origin` (the engine verified the signature and that
    /// the signer is the activity's `actor`): `object` must be the origin, `target` an actor
    /// whose `alsoKnownAs`, fetched fresh, lists the origin, and not suspended (Mastodon's
    /// `ActivityPub::Activity::Move`). Then the origin is marked moved
    /// and its local followers follow the target (see [`App::move_local_followers`]). A
    /// `Move` that fails a check is ignored (`Ok(Err(why))`) and changes nothing; a repeated
    /// one finds nothing left to move.
    pub async fn receive_move(
        &self,
        origin: &Account,
        object: Option<&str>,
        target: Option<&str>,
    ) -> Result<Result<Account, Ignored>, Error> {
        if object != Some(origin.actor.as_str()) {
            return Ok(Err(Ignored::NotItsOwn));
        }
        let Some(target) = target
            .filter(|t| url::Url::parse(t).is_ok_and(|u| matches!(u.scheme(), "https" | "http")))
        else {
            return Ok(Err(Ignored::NoTarget));
        };
        if target == origin.actor {
            return Ok(Err(Ignored::SameAccount));
        }
        let target_account = match self.account_by_iri(target).await? {
            Some(a) if a.is_local() => a,
            _ => {
                let mut budget = self.budget();
                match self.engine().refresh_actor(target, &mut budget).await {
                    Ok(actor) => self.upsert_remote_account(&actor).await?,
                    Err(e) => return Ok(Err(Ignored::Unreachable(e.to_string()))),
                }
            }
        };
        if !target_account
            .migration
            .also_known_as
            .contains(&origin.actor)
        {
            return Ok(Err(Ignored::NotAnAlias));
        }
        if target_account.is_suspended() || target_account.deleted {
            return Ok(Err(Ignored::Suspended));
        }
        // The origin's record may have changed while the target was fetched.
        let mut origin = self.account(origin.id).await?;
        origin.migration.moved_to = Some(target_account.id);
        origin.migration.moved_to_uri = Some(target_account.actor.clone());
        self.put(ns::ACCOUNTS, &origin.id.to_string(), &origin)
            .await?;
        self.move_local_followers(&origin, &target_account).await?;
        Ok(Ok(target_account))
    }

    /// What a move from `origin` to `target` does here, as Mastodon's `MoveWorker`: each
    /// local follower of the origin follows the target (a `Follow` delivered when the target
    /// is remote), its lists holding the origin get the target, and it unfollows the origin
    /// (an `Undo` of the `Follow`); local accounts blocking or muting the origin block or
    /// mute the target too, unless they follow it or did so already. Each step is
    /// idempotent, so a repeated `Move` changes nothing.
    pub(crate) async fn move_local_followers(
        &self,
        origin: &Account,
        target: &Account,
    ) -> Result<(), Error> {
        let followers: Vec<u64> = self
            .store()
            .all_members(&coll::followers(origin.id), 1000)
            .await?
            .into_iter()
            .filter_map(|i| i.member.parse().ok())
            .collect();
        let accounts = self.accounts_by_id(&followers).await?;
        for f in accounts.into_iter().flatten().filter(Account::is_local) {
            if f.id == target.id {
                continue;
            }
            if let Err(e) = self.follow(f.id, target.id).await {
                // Blocked either way, or the target cannot be followed: the follower keeps
                // following the origin, as Mastodon's `UnfollowFollowWorker` gives up.
                tracing::info!(follower = %f.acct(), target = %target.actor, error = %e,
                    "move: follower not moved");
                continue;
            }
            for l in self.lists_containing(f.id, origin.id).await? {
                let has = self
                    .store()
                    .contains(&coll::list_accounts(l.id), &target.id.to_string())
                    .await?;
                if !has {
                    self.add_to_list(f.id, l.id, &[target.id]).await?;
                }
            }
            self.unfollow(f.id, origin.id).await?;
        }
        self.carry_blocks_and_mutes(origin, target).await
    }

    async fn carry_blocks_and_mutes(
        &self,
        origin: &Account,
        target: &Account,
    ) -> Result<(), Error> {
        let locals = self.local_accounts().await?;
        let keys: Vec<String> = locals.iter().map(|a| pair(a.id, origin.id)).collect();
        let (blocks, mutes) = tokio::try_join!(
            self.get_many::<Reaction>(ns::BLOCKS, &keys),
            self.get_many::<MuteRecord>(ns::MUTES, &keys),
        )?;
        for ((a, block), mute) in locals.iter().zip(blocks).zip(mutes) {
            if a.id == target.id || (block.is_none() && mute.is_none()) {
                continue;
            }
            if self.is_following(a.id, target.id).await? {
                continue;
            }
            if block.is_some() && !self.blocks(a.id, target.id).await? {
                self.block(a.id, target.id).await?;
            }
            if let Some(m) = mute {
                if !self.mutes(a.id, target.id).await? {
                    self.mute(a.id, target.id, m.notifications, None).await?;
                }
            }
        }
        Ok(())
    }
}
