//! `Follow` and its answers (`Accept`, `Reject`) from other servers.

use activitypub_core::engine::InboxActivity;

use super::parse_pair;
use crate::app::model::{ns, pair, Account, NotificationType};
use crate::app::App;
use crate::error::Error;

impl App {
    /// A `Follow` of a local account: recorded (a request when the account is locked), notified, and accepted unless locked.
    pub(super) async fn on_follow(
        &self,
        a: &InboxActivity,
        actor: &Account,
        object_id: Option<String>,
    ) -> Result<(), Error> {
        let Some(target) = object_id else {
            return Ok(());
        };
        let Some(me) = self
            .account_by_iri(&target)
            .await?
            .filter(Account::is_local)
        else {
            return Err(Error::NotFound(target));
        };
        let follow_uri = a
            .activity
            .id
            .as_ref()
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default();
        if me.deleted {
            return Ok(());
        }
        // A suspended account takes no new followers (Mastodon rejects the follow).
        // A moved account takes no new followers either.
        let moved = me.migration.moved_to_uri.is_some();
        if self.blocks(me.id, actor.id).await? || me.is_suspended() || moved {
            return self.send_accept(&me, actor, &follow_uri, false).await;
        }
        if let Some(existing) = self
            .get::<crate::app::model::FollowRecord>(ns::FOLLOWS, &pair(actor.id, me.id))
            .await?
        {
            if existing.accepted {
                return self.send_accept(&me, actor, &follow_uri, true).await;
            }
            return Ok(());
        }
        if me.locked {
            self.record_follow(actor.id, me.id, &follow_uri, false)
                .await?;
            self.notify(me.id, NotificationType::FollowRequest, actor.id, None)
                .await?;
        } else {
            self.record_follow(actor.id, me.id, &follow_uri, true)
                .await?;
            self.notify(me.id, NotificationType::Follow, actor.id, None)
                .await?;
            self.send_accept(&me, actor, &follow_uri, true).await?;
        }
        Ok(())
    }

    /// An `Accept` (`accept`) or `Reject` of a follow a local account sent.
    pub(super) async fn on_follow_answer(
        &self,
        actor: &Account,
        object_id: Option<String>,
        accept: bool,
    ) -> Result<(), Error> {
        let Some(follow_uri) = object_id else {
            return Ok(());
        };
        let Some(p) = self.get_str(ns::FOLLOW_BY_URI, &follow_uri).await? else {
            // Some servers send the Follow's object instead of its id: match by pair.
            return Ok(());
        };
        let (follower, target) = parse_pair(&p)?;
        if target != actor.id {
            return Err(Error::Forbidden(
                "only the followed account can answer".into(),
            ));
        }
        if accept {
            self.accept_follow_record(follower, target).await?;
        } else {
            self.remove_follow_record(follower, target).await?;
        }
        Ok(())
    }
}
