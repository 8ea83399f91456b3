//! Moving a local account out (Mastodon's `MoveService`): after the target lists the
//! account among its aliases, the account records `movedTo`, its followers' servers get an
//! `Update` of its actor and a `Move`, and its local followers are moved at once. A moved
//! account takes no new follows and cannot post; its profile page redirects to the target.
//! Called by `woolly account move` and by the web interface's settings page (issue #20).

use activitypub_core::engine::Recipients;
use activitypub_core::vocab::Refs;
use activitypub_core::{Activity, Kind, OneOrMany, Reference};

use crate::app::activitypub::oid;
use crate::app::model::{ns, Account};
use crate::app::App;
use crate::error::Error;

impl App {
    /// Moves local account `account_id` to the account `handle` names (see
    /// [`App::migration_account`]). Refused (422) when the target's actor, fetched fresh,
    /// does not list this account in `alsoKnownAs`, when the target is the account itself
    /// or moved away itself, and within [`COOLDOWN_MS`](super::COOLDOWN_MS) of the
    /// account's last move.
    pub async fn move_account(&self, account_id: u64, handle: &str) -> Result<Account, Error> {
        let mut me = self.migrating_account(account_id).await?;
        if me.is_suspended() {
            return Err(Error::Forbidden("the account is suspended".into()));
        }
        let now = self.now_ms();
        if let Some(at) = me.migration.moved_at {
            if now < at.saturating_add(super::COOLDOWN_MS) {
                return Err(Error::Unprocessable(
                    "Validation failed: you can only move once every 30 days".into(),
                ));
            }
        }
        let target = self.migration_account(handle).await?;
        if target.id == me.id {
            return Err(Error::Unprocessable(
                "Validation failed: an account cannot move to itself".into(),
            ));
        }
        let target = self.fresh_account(&target).await?;
        if !target.migration.also_known_as.contains(&me.actor) {
            return Err(Error::Unprocessable(format!(
                "Validation failed: {} does not list {} among its aliases (alsoKnownAs)",
                target.acct(),
                me.acct()
            )));
        }
        if target.migration.moved_to.is_some() || target.migration.moved_to_uri.is_some() {
            return Err(Error::Unprocessable(
                "Validation failed: the target account has moved itself".into(),
            ));
        }
        me.migration.moved_to = Some(target.id);
        me.migration.moved_to_uri = Some(target.actor.clone());
        me.migration.moved_at = Some(now);
        self.put(ns::ACCOUNTS, &me.id.to_string(), &me).await?;
        // Mastodon's order: the actor's `Update` (with `movedTo`), then the `Move`, then the
        // local followers.
        self.federate_actor_update(&me).await?;
        let mv = move_activity(&me, &target, self.inner.ids.next(now))?;
        self.federate(
            &me,
            &serde_json::to_vec(&mv)?,
            Recipients::new().followers_of(me.actor.clone()),
        )
        .await?;
        self.move_local_followers(&me, &target).await?;
        tracing::info!(from = %me.actor, to = %target.actor, "account moved");
        Ok(me)
    }

    /// The account of `a` as its actor says now: a remote actor is fetched again (skipping
    /// the cache) and stored; a local account is read again.
    pub(crate) async fn fresh_account(&self, a: &Account) -> Result<Account, Error> {
        if a.is_local() {
            return self.account(a.id).await;
        }
        let mut budget = self.budget();
        let actor = self.engine().refresh_actor(&a.actor, &mut budget).await?;
        self.upsert_remote_account(&actor).await
    }

    /// Refuses what a moved account may no longer do (follows of it, its posts): 422.
    pub(crate) fn refuse_if_moved(a: &Account, what: &str) -> Result<(), Error> {
        if a.migration.moved_to.is_some() || a.migration.moved_to_uri.is_some() {
            return Err(Error::Unprocessable(format!(
                "Validation failed: {} has moved to {}; {what}",
                a.acct(),
                a.migration
                    .moved_to_uri
                    .as_deref()
                    .unwrap_or("another account")
            )));
        }
        Ok(())
    }
}

/// The `Move` as Mastodon writes it (`ActivityPub::MoveSerializer`): id `{actor}#moves/{n}`,
/// `actor` and `object` the old account, `target` the new one.
fn move_activity(me: &Account, target: &Account, n: u64) -> Result<Activity, Error> {
    let one = |iri: &str| -> Result<Refs, Error> { Ok(OneOrMany::One(Reference::Id(oid(iri)?))) };
    let mut a = Activity::default();
    a.base.context = Some(activitypub_core::Context::activitystreams());
    a.base.id = Some(oid(&format!("{}#moves/{n}", me.actor))?);
    a.base.kind = Some(Kind::Move.into());
    a.actor = Some(one(&me.actor)?);
    a.object = Some(one(&me.actor)?);
    a.target = Some(one(&target.actor)?);
    Ok(a)
}
