//! `Create` of a post: stored with its missing reply parents, fanned out, notified.

use activitypub_core::engine::InboxActivity;
use activitypub_core::media::{MediaKind, PostView, RemoteMedia};
use activitypub_core::{AnyObject, Object};

use crate::app::model::{Account, Status, StatusVisibility};
use crate::app::render;
use crate::app::{host_of, App};
use crate::error::Error;

impl App {
    /// A `Create` of an object.
    pub(super) async fn on_create(&self, a: &InboxActivity, actor: &Account) -> Result<(), Error> {
        if let Some(AnyObject::Object(o)) = &a.object {
            // A vote in a local poll is counted, never stored as a status.
            if self.receive_poll_vote(o, actor).await? {
                return Ok(());
            }
            self.ingest_remote_status(o, Some(actor)).await?;
        }
        Ok(())
    }

    /// Stores a remote post (and, within the fetch budget, the missing posts it replies to),
    /// puts it into timelines and notifies mentioned local accounts. Returns the status (the
    /// known one if it was stored before); `None` if it is not a post or cannot be stored.
    pub async fn ingest_remote_status(
        &self,
        o: &Object,
        author_hint: Option<&Account>,
    ) -> Result<Option<Status>, Error> {
        self.ingest_remote_status_at(o, author_hint, 0).await
    }

    /// [`App::ingest_remote_status`] of a post met at `depth` quotes away from a received one
    /// (a quoted post's own quoted post is not fetched).
    pub(crate) async fn ingest_remote_status_at(
        &self,
        o: &Object,
        author_hint: Option<&Account>,
        depth: u32,
    ) -> Result<Option<Status>, Error> {
        let Some(uri) = o.id.as_ref().map(|i| i.as_str().to_owned()) else {
            return Ok(None);
        };
        if let Some(s) = self.status_by_uri(&uri).await? {
            return Ok(Some(s));
        }
        // Mastodon's rule: Note and Question as they are; Article, Page, Image, Video, Audio
        // and Event converted; anything else is not a post.
        let Some(post) = activitypub_core::media::as_post(o) else {
            return Ok(None);
        };
        // A list `attributedTo` (PeerTube's account and channel): the actor that sent it
        // when listed, else the first person.
        let signer = author_hint.map_or("", |a| a.actor.as_str());
        let Some(author_iri) = activitypub_core::media::author_of(o, signer)
            .map(|i| i.as_str().to_owned())
            .or_else(|| o.attributed_to_ids().first().map(|s| (*s).to_owned()))
        else {
            return Ok(None);
        };
        let author = match author_hint {
            Some(a) if a.actor == author_iri => a.clone(),
            _ => self.resolve_actor(&author_iri).await?,
        };
        if self.is_domain_blocked(&host_of(&author.actor)).await? {
            return Ok(None);
        }
        // Missing parents first (a loop with a budget, in the engine).
        let mut parent: Option<Status> = None;
        let parent_uri = o
            .in_reply_to
            .as_ref()
            .and_then(|r| r.iter().next())
            .and_then(|r| r.id())
            .map(str::to_owned);
        if let Some(p) = &parent_uri {
            parent = self.status_by_uri(p).await?;
            if parent.is_none() && !self.config().is_local_iri(p) {
                let mut budget = self.budget();
                let known: std::collections::HashSet<String> = std::collections::HashSet::new();
                let chain = self
                    .engine()
                    .fetch_reply_chain(p, &mut budget, |iri| known.contains(iri))
                    .await;
                for anc in chain.iter().rev() {
                    if let AnyObject::Object(ao) = anc {
                        Box::pin(self.ingest_remote_status(ao, None)).await?;
                    }
                }
                parent = self.status_by_uri(p).await?;
            }
        }
        let visibility = StatusVisibility::from_ap(activitypub_core::Visibility::of_object(
            o,
            author.followers_url.as_deref(),
        ));
        let mut mentions = Vec::new();
        let mut tags = Vec::new();
        for t in o.tag.iter().flat_map(|t| t.iter()) {
            let Some(obj) = t.object() else { continue };
            match obj.type_name() {
                Some("Mention") => {
                    let href = obj.as_link().and_then(|l| l.href.clone()).or_else(|| {
                        obj.get_json("href")
                            .and_then(|v| v.as_str().map(str::to_owned))
                    });
                    if let Some(h) = href {
                        if let Some(acc) = self.account_by_iri(&h).await? {
                            if !mentions.contains(&acc.id) {
                                mentions.push(acc.id);
                            }
                        }
                    }
                }
                Some("Hashtag") => {
                    if let Some(n) = obj.name.as_deref() {
                        let n = n.trim_start_matches('#');
                        if !n.is_empty() {
                            tags.push(n.to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        let now = self.now_ms();
        let published = o
            .published
            .as_ref()
            .and_then(|p| p.to_datetime())
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64)
            .unwrap_or(now);
        let id = self.inner.ids.at(published, now);
        let media = self.remote_attachments(&post_media(&post, o), author.id, id, &[]);
        let quote = self.incoming_quote(o, &author, depth == 0).await?;
        let emojis = self.remote_status_emojis(o, &author, &post).await?;
        let status = Status {
            id,
            uri: uri.clone(),
            url: post
                .url
                .as_ref()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_else(|| uri.clone()),
            account_id: author.id,
            content: render::sanitize(&post.content_html),
            text: None,
            spoiler_text: post
                .content_warning
                .as_deref()
                .map(render::strip_html)
                .unwrap_or_default(),
            sensitive: post.sensitive,
            visibility,
            language: o
                .content_map
                .as_ref()
                .and_then(|m| m.first())
                .map(|(l, _)| l.to_owned()),
            in_reply_to_id: parent.as_ref().map(|p| p.id),
            in_reply_to_uri: parent_uri,
            in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
            reblog_of_id: None,
            mentions,
            tags,
            created_at: published.min(now),
            edited_at: None,
            edits: Vec::new(),
            local: false,
            activity_uri: None,
            // The thread's conversation: the one sent, else the parent's (so a thread mute
            // covers replies from servers that send none), as Mastodon does.
            conversation: o
                .conversation
                .clone()
                .or_else(|| parent.as_ref().map(crate::app::model::thread_key)),
            media_ids: media.iter().map(|m| m.id).collect(),
            poll: crate::app::polls::remote_poll(o),
            card_url: None,
            quote,
            emojis,
        };
        // A deleted post's media records must not be written: `save_remote_status` refuses a
        // tombstoned post, but only after them, so look first when there are any (a post
        // without media costs no extra read on the inbox path).
        if !media.is_empty()
            && fedi_storage::DocumentStoreExt::is_tombstoned(&**self.store(), &status.uri).await?
        {
            return Ok(None);
        }
        self.save_media_records(&media).await?;
        match self.save_remote_status(&status).await {
            Ok(()) => {}
            Err(Error::Gone(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        self.schedule_media_cache(&media);
        self.distribute(&status).await?;
        self.schedule_card(&status);
        Ok(Some(status))
    }

    /// The custom emoji a remote post shows (its `Emoji` tags that its content or content
    /// warning names), recorded under its author's domain.
    pub(crate) async fn remote_status_emojis(
        &self,
        o: &Object,
        author: &Account,
        post: &PostView,
    ) -> Result<Vec<String>, Error> {
        let found = activitypub_core::media::emoji::emojis(o);
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let domain = author.domain.clone().unwrap_or_default();
        let cw = post.content_warning.clone().unwrap_or_default();
        self.remote_emoji_keys(&domain, &found, &[&post.content_html, &cw])
            .await
    }

    async fn save_remote_status(&self, s: &Status) -> Result<(), Error> {
        if fedi_storage::DocumentStoreExt::is_tombstoned(&**self.store(), &s.uri).await? {
            return Err(Error::Gone(s.uri.clone()));
        }
        self.save_status(s).await
    }
}

/// The media of a post: its attachments; for an `Image`, `Video` or `Audio` without any, the
/// object's own file, with its thumbnail (`icon`) as the preview; for another converted
/// object without any (a Lemmy or Mbin `Page`), its `image`. An attachment of no known type
/// at the URL of the object's `image` is that image.
pub(crate) fn post_media(post: &PostView, o: &Object) -> Vec<RemoteMedia> {
    let picture = activitypub_core::media::image(o);
    let mut media = post.attachments.clone();
    if media.is_empty() {
        if let Some(mut own) = post.media.clone() {
            if own.preview.is_none() {
                own.preview = post.thumbnail.as_ref().map(|t| t.url.clone());
            }
            media.push(own);
        } else if let Some(p) = picture.clone().filter(|_| post.converted) {
            media.push(p);
        }
    }
    if let Some(p) = &picture {
        for m in &mut media {
            if m.kind == MediaKind::Unknown && m.url == p.url {
                m.kind = MediaKind::Image;
            }
        }
    }
    media
}
