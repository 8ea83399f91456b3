//! `Delete` of a post or of an actor (the whole remote account).

use crate::app::model::{ns, Account};
use crate::app::App;
use crate::error::Error;

impl App {
    /// A `Delete` of a post, or of the sender itself.
    pub(super) async fn on_delete(
        &self,
        actor: &Account,
        object_id: Option<String>,
    ) -> Result<(), Error> {
        let Some(target) = object_id else {
            return Ok(());
        };
        if target == actor.actor {
            self.remove_remote_account(&target).await?;
        } else if let Some(s) = self.status_by_uri(&target).await? {
            if s.account_id != actor.id {
                return Err(Error::Forbidden("not the author".into()));
            }
            self.remove_status(&s).await?;
        } else {
            // Never seen: remember it is gone so a late Create is refused.
            let _ = fedi_storage::DocumentStore::delete_document(
                &**self.store(),
                &target,
                &fedi_storage::Tombstone::new(self.now()),
            )
            .await;
        }
        Ok(())
    }

    /// Applies the deletion of a remote actor: its statuses and follows go, its keys are
    /// forgotten.
    pub async fn remove_remote_account(&self, iri: &str) -> Result<(), Error> {
        let Some(mut acc) = self.account_by_iri(iri).await? else {
            return Ok(());
        };
        if acc.is_local() {
            return Ok(());
        }
        let store = self.store();
        for item in fedi_storage::CollectionStoreExt::all_members(
            &**store,
            &crate::app::model::coll::statuses_of(acc.id),
            1000,
        )
        .await?
        {
            if let Ok(s) = self.status(item.key).await {
                self.remove_status(&s).await?;
            }
        }
        for item in fedi_storage::CollectionStoreExt::all_members(
            &**store,
            &crate::app::model::coll::following(acc.id),
            1000,
        )
        .await?
        {
            if let Ok(t) = item.member.parse() {
                self.remove_follow_record(acc.id, t).await?;
            }
        }
        for item in fedi_storage::CollectionStoreExt::all_members(
            &**store,
            &crate::app::model::coll::followers(acc.id),
            1000,
        )
        .await?
        {
            if let Ok(f) = item.member.parse() {
                self.remove_follow_record(f, acc.id).await?;
            }
        }
        self.engine().invalidate_keys_of(iri).await?;
        acc.deleted = true;
        self.put(ns::ACCOUNTS, &acc.id.to_string(), &acc).await?;
        Ok(())
    }
}
