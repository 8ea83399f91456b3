//! `Block` of a local account: follows both ways end, and `blocked_by` is kept.

use activitypub_core::engine::InboxActivity;
use fedi_storage::WriteBatch;

use crate::app::model::{ns, pair, Account};
use crate::app::App;
use crate::error::Error;

impl App {
    /// A `Block` of a local account.
    pub(super) async fn on_block(
        &self,
        a: &InboxActivity,
        actor: &Account,
        object_id: Option<String>,
    ) -> Result<(), Error> {
        if let Some(t) = object_id {
            if let Some(me) = self.account_by_iri(&t).await?.filter(Account::is_local) {
                self.remove_follow_record(actor.id, me.id).await?;
                self.remove_follow_record(me.id, actor.id).await?;
                // Kept, as Mastodon does: `blocked_by` in relationships, and the
                // `Undo(Block)` case above removes it.
                let reaction = crate::app::model::Reaction {
                    uri: a.activity.id.as_ref().map(|i| i.as_str().to_owned()),
                    created_at: self.now_ms(),
                };
                self.store()
                    .apply(&WriteBatch::new().kv_put(
                        ns::BLOCKS,
                        pair(actor.id, me.id),
                        serde_json::to_vec(&reaction)?,
                    ))
                    .await?;
            }
        }
        Ok(())
    }
}
