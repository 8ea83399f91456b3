//! `Move` (FEP-7628, Mastodon's account migration) from other servers.

use activitypub_core::engine::InboxActivity;

use crate::app::model::Account;
use crate::app::App;
use crate::error::Error;

impl App {
    /// A `Move` of the sender's own account to another: applied by
    /// [`App::receive_move`]; one that fails its checks is logged and ignored.
    pub(super) async fn on_move(&self, a: &InboxActivity, actor: &Account) -> Result<(), Error> {
        let object = a
            .activity
            .first_object()
            .and_then(|o| o.id())
            .map(str::to_owned);
        let target = a
            .activity
            .target
            .as_ref()
            .and_then(|t| t.first())
            .and_then(|t| t.id())
            .map(str::to_owned);
        match self
            .receive_move(actor, object.as_deref(), target.as_deref())
            .await?
        {
            Ok(to) => {
                tracing::info!(from = %actor.actor, to = %to.actor, "account moved here");
            }
            Err(why) => {
                tracing::info!(from = %actor.actor, target = ?target, why = ?why, "Move ignored");
            }
        }
        Ok(())
    }
}
