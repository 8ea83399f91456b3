//! `Update` of an actor (its profile) or of a post (an edit, with history).

use activitypub_core::engine::InboxActivity;
use activitypub_core::{AnyObject, Object};

use crate::app::model::{Account, Edit, NotificationType};
use crate::app::render;
use crate::app::App;
use crate::error::Error;

impl App {
    /// An `Update` of the sender's own actor, or of one of its posts.
    pub(super) async fn on_update(&self, a: &InboxActivity, actor: &Account) -> Result<(), Error> {
        match &a.object {
            Some(AnyObject::Actor(doc))
                if doc.id.as_ref().map(|i| i.as_str()) == Some(actor.actor.as_str()) =>
            {
                let bytes = serde_json::to_vec(doc)?;
                self.engine()
                    .store_remote_actor(doc, &bytes, self.now())
                    .await?;
                self.upsert_remote_account(doc).await?;
            }
            Some(AnyObject::Object(o)) => self.apply_remote_edit(o, actor).await?,
            _ => {}
        }
        Ok(())
    }

    async fn apply_remote_edit(&self, o: &Object, actor: &Account) -> Result<(), Error> {
        let Some(uri) = o.id.as_ref().map(|i| i.as_str()) else {
            return Ok(());
        };
        let Some(mut s) = self.status_by_uri(uri).await? else {
            self.ingest_remote_status(o, Some(actor)).await?;
            return Ok(());
        };
        if s.account_id != actor.id {
            return Err(Error::Forbidden("not the author".into()));
        }
        s.edits.push(Edit {
            content: s.content.clone(),
            spoiler_text: s.spoiler_text.clone(),
            sensitive: s.sensitive,
            created_at: s.edited_at.unwrap_or(s.created_at),
            media_ids: s.media_ids.clone(),
        });
        s.content = render::sanitize(o.content_text().unwrap_or_default());
        s.spoiler_text = o.summary_text().map(render::strip_html).unwrap_or_default();
        s.sensitive = o.sensitive.unwrap_or(false);
        s.edited_at = Some(self.now_ms());
        self.save_status(&s).await?;
        self.announce_edit(&s).await?;
        // Those who boosted it hear of the edit.
        for r in fedi_storage::CollectionStoreExt::all_members(
            &**self.store(),
            &crate::app::model::coll::reblogged_by(s.id),
            1000,
        )
        .await?
        {
            if let Ok(b) = r.member.parse::<u64>() {
                self.notify(b, NotificationType::Update, actor.id, Some(s.id))
                    .await?;
            }
        }
        Ok(())
    }
}
