//! `Undo` of an earlier `Follow`, `Like`, `Announce` or `Block`.

use activitypub_core::engine::InboxActivity;
use activitypub_core::{AnyObject, Kind};
use fedi_storage::WriteBatch;

use crate::app::model::{ns, pair, Account};
use crate::app::App;
use crate::error::Error;

impl App {
    /// An `Undo`: dispatched on the kind of the activity it undoes.
    pub(super) async fn on_undo(
        &self,
        a: &InboxActivity,
        actor: &Account,
        object_id: Option<String>,
    ) -> Result<(), Error> {
        let inner_kind = match &a.object {
            Some(AnyObject::Activity(inner)) => Kind::from_name(inner.type_name().unwrap_or("")),
            _ => return Ok(()),
        };
        let inner_object = match &a.object {
            Some(AnyObject::Activity(inner)) => {
                inner.first_object().and_then(|o| o.id()).map(str::to_owned)
            }
            _ => None,
        };
        match inner_kind {
            Kind::Follow => {
                if let Some(t) = inner_object {
                    if let Some(me) = self.account_by_iri(&t).await? {
                        self.remove_follow_record(actor.id, me.id).await?;
                    }
                }
            }
            Kind::Like | Kind::EmojiReact => {
                if let Some(uri) = inner_object {
                    if let Some(s) = self.status_by_uri(&uri).await? {
                        self.remove_favourite(actor.id, s.id).await?;
                    }
                }
            }
            Kind::Announce => {
                if let Some(id) = &object_id {
                    if let Some(r) = self.status_by_uri(id).await? {
                        if r.account_id == actor.id && r.reblog_of_id.is_some() {
                            self.remove_status(&r).await?;
                        }
                    }
                }
            }
            Kind::Block => {
                if let Some(t) = inner_object {
                    if let Some(me) = self.account_by_iri(&t).await? {
                        self.store()
                            .apply(&WriteBatch::new().kv_delete(ns::BLOCKS, pair(actor.id, me.id)))
                            .await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
