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
        // New poll counts with the same text are not an edit (as on Mastodon): only the
        // poll changes, with no version kept and no one notified.
        let poll = crate::app::polls::remote_poll(o);
        if let (Some(p), Some(post)) = (&poll, activitypub_core::media::as_post(o)) {
            let spoiler = post
                .content_warning
                .as_deref()
                .map(render::strip_html)
                .unwrap_or_default();
            if s.poll.is_some()
                && render::sanitize(&post.content_html) == s.content
                && spoiler == s.spoiler_text
            {
                s.poll = Some(p.clone());
                self.save_status(&s).await?;
                self.announce_edit(&s).await?;
                return Ok(());
            }
        }
        s.poll = poll;
        s.edits.push(Edit {
            content: s.content.clone(),
            spoiler_text: s.spoiler_text.clone(),
            sensitive: s.sensitive,
            created_at: s.edited_at.unwrap_or(s.created_at),
            media_ids: s.media_ids.clone(),
        });
        let Some(post) = activitypub_core::media::as_post(o) else {
            return Ok(());
        };
        s.content = render::sanitize(&post.content_html);
        s.spoiler_text = post
            .content_warning
            .as_deref()
            .map(render::strip_html)
            .unwrap_or_default();
        s.sensitive = post.sensitive;
        s.edited_at = Some(self.now_ms());
        s.emojis = self.remote_status_emojis(o, actor, &post).await?;
        // Attachments: the same remote URL keeps its record (and cached copy) with the new
        // description and focal point; new ones get records; those dropped stay with the
        // earlier version.
        let existing: Vec<_> = self
            .media_by_id(&s.media_ids)
            .await?
            .into_iter()
            .flatten()
            .collect();
        let media = self.remote_attachments(
            &super::create::post_media(&post, o),
            actor.id,
            s.id,
            &existing,
        );
        s.media_ids = media.iter().map(|m| m.id).collect();
        self.save_media_records(&media).await?;
        // A new text may link elsewhere: its card is looked for again.
        if s.edits.last().is_some_and(|e| e.content != s.content) || !s.media_ids.is_empty() {
            s.card_url = None;
        }
        self.save_status(&s).await?;
        self.schedule_media_cache(&media);
        self.schedule_card(&s);
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
