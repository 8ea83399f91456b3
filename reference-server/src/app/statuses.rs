//! Statuses: posting, editing (with history), deleting, who may see or fetch one, its thread
//! context, and sending its activities through the engine.

use std::collections::BTreeSet;

use activitypub_core::builder;
use activitypub_core::engine::Recipients;
use activitypub_core::AnyObject;
use fedi_storage::{CollectionStoreExt, Origin, PageRequest, Tombstone, WriteBatch};

use super::activitypub::oid;
use super::host_of;
use super::model::{coll, ns, pair, Account, Edit, Status, StatusApplication, StatusVisibility};
use super::render;
use super::{App, Event};
use crate::error::Error;

/// How long an `Idempotency-Key` names the status it created: one hour, as on Mastodon.
pub const IDEMPOTENCY_TTL_MS: u64 = 60 * 60 * 1000;

/// A new status, as the client API takes it.
#[derive(Debug, Clone, Default)]
pub struct NewStatus {
    /// The text.
    pub text: String,
    /// The parent.
    pub in_reply_to_id: Option<u64>,
    /// Sensitive media / content.
    pub sensitive: bool,
    /// Content warning.
    pub spoiler_text: String,
    /// Visibility (default public).
    pub visibility: Option<StatusVisibility>,
    /// Language.
    pub language: Option<String>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// Media attachments (uploads of the author's not attached yet), in order.
    pub media_ids: Vec<u64>,
    /// A poll (not with media).
    pub poll: Option<super::polls::NewPoll>,
    /// The status it quotes.
    pub quoted_status_id: Option<u64>,
}

/// Whether `viewer` may see `status`, given whether its author blocks the viewer and whether
/// the viewer follows its author (which matters only when [`needs_follow`]): the one rule
/// behind [`App::can_view`] and the pages of [`App::statuses_page`].
pub(crate) fn visible_with(
    status: &Status,
    viewer: Option<u64>,
    author_blocks_viewer: bool,
    viewer_follows_author: bool,
) -> bool {
    if let Some(v) = viewer {
        if v == status.account_id {
            return true;
        }
        if author_blocks_viewer {
            return false;
        }
    }
    match status.visibility {
        StatusVisibility::Public | StatusVisibility::Unlisted => true,
        StatusVisibility::Private => {
            viewer.is_some_and(|v| status.mentions.contains(&v) || viewer_follows_author)
        }
        StatusVisibility::Direct => viewer.is_some_and(|v| status.mentions.contains(&v)),
    }
}

/// Whether seeing `status` depends on `viewer` (not its author) following its author.
pub(crate) fn needs_follow(status: &Status, viewer: u64) -> bool {
    status.visibility == StatusVisibility::Private
        && viewer != status.account_id
        && !status.mentions.contains(&viewer)
}

impl App {
    /// The status with this id.
    pub async fn status(&self, id: u64) -> Result<Status, Error> {
        self.get(ns::STATUSES, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("status {id}")))
    }

    /// A known status by its object IRI.
    pub async fn status_by_uri(&self, uri: &str) -> Result<Option<Status>, Error> {
        match self.get_str(ns::STATUS_BY_URI, uri).await? {
            Some(id) => match id.parse::<u64>() {
                Ok(id) => match self.status(id).await {
                    Ok(s) => Ok(Some(s)),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                },
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    }

    pub(crate) async fn save_status(&self, s: &Status) -> Result<(), Error> {
        let batch = WriteBatch::new()
            .kv_put(ns::STATUSES, s.id.to_string(), serde_json::to_vec(s)?)
            .kv_put(ns::STATUS_BY_URI, s.uri.clone(), s.id.to_string());
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Several statuses by id in one store call, in the order asked (`None` for an unknown
    /// one).
    pub async fn statuses_by_id(&self, ids: &[u64]) -> Result<Vec<Option<Status>>, Error> {
        let keys: Vec<String> = ids.iter().map(u64::to_string).collect();
        self.get_many(ns::STATUSES, &keys).await
    }

    /// The application a status was posted with, if recorded.
    pub async fn status_application(&self, id: u64) -> Result<Option<StatusApplication>, Error> {
        self.get(ns::STATUS_APPS, &id.to_string()).await
    }

    /// Records the application a status was posted with.
    pub async fn set_status_application(
        &self,
        id: u64,
        application: &StatusApplication,
    ) -> Result<(), Error> {
        self.put(ns::STATUS_APPS, &id.to_string(), application)
            .await
    }

    /// Whether `viewer` (an account id, or `None` for anonymous) may see `status`.
    pub async fn can_view(&self, status: &Status, viewer: Option<u64>) -> Result<bool, Error> {
        // A suspended domain's posts are hidden.
        if self.domain_rules().suspended.contains_iri(&status.uri) {
            return Ok(false);
        }
        let Some(v) = viewer.filter(|v| *v != status.account_id) else {
            return Ok(visible_with(status, viewer, false, false));
        };
        if self.blocks(status.account_id, v).await? {
            return Ok(false);
        }
        let follows = needs_follow(status, v) && self.is_following(v, status.account_id).await?;
        Ok(visible_with(status, viewer, false, follows))
    }

    /// Whether the holder of `actor_iri` (a signed fetch) may fetch `status`.
    pub async fn can_fetch(&self, status: &Status, actor_iri: Option<&str>) -> Result<bool, Error> {
        let viewer = match actor_iri {
            Some(iri) => self.account_by_iri(iri).await?.map(|a| a.id),
            None => None,
        };
        self.can_view(status, viewer).await
    }

    /// The status an `Idempotency-Key` of `account_id` names, if the key was used within
    /// [`IDEMPOTENCY_TTL_MS`] by the app's clock (Mastodon keeps them for an hour). Records
    /// are `"{status id} {unix ms}"`; older ones (an id alone) are timed by the status.
    async fn idempotent_status(&self, account_id: u64, key: &str) -> Result<Option<u64>, Error> {
        let k = format!("{account_id}:{key}");
        let Some(v) = self.get_str(ns::IDEMPOTENCY, &k).await? else {
            return Ok(None);
        };
        let (id, at) = match v.split_once(' ') {
            Some((id, at)) => (id.parse::<u64>().ok(), at.parse::<u64>().ok()),
            None => (v.parse::<u64>().ok(), None),
        };
        let Some(id) = id else {
            return Ok(None);
        };
        let at = match at {
            Some(at) => at,
            None => match self.status(id).await {
                Ok(s) => s.created_at,
                Err(_) => return Ok(None),
            },
        };
        if self.now_ms().saturating_sub(at) >= IDEMPOTENCY_TTL_MS {
            return Ok(None);
        }
        Ok(Some(id))
    }

    /// Posts a status as local account `account_id` and federates it.
    pub async fn post_status(&self, account_id: u64, new: NewStatus) -> Result<Status, Error> {
        // On the heap: posting (poll, quote, emoji, media, fan-out) is a large future, and an
        // unoptimized build of it can overflow a 2 MiB thread stack when held inline.
        Box::pin(self.post_status_inline(account_id, new)).await
    }

    async fn post_status_inline(&self, account_id: u64, new: NewStatus) -> Result<Status, Error> {
        let author = self.account(account_id).await?;
        if !author.is_local() {
            return Err(Error::Forbidden("not a local account".into()));
        }
        App::refuse_if_moved(&author, "it cannot post")?;
        if let Some(key) = &new.idempotency_key {
            if let Some(id) = self.idempotent_status(account_id, key).await? {
                // Within the hour the same key gives the same status (a 404 if it was
                // deleted since), as on Mastodon.
                return self.status(id).await;
            }
        }
        let chars = new.text.chars().count() + new.spoiler_text.chars().count();
        let poll = match &new.poll {
            Some(_) if !new.media_ids.is_empty() => {
                return Err(Error::Unprocessable(
                    "Validation failed: Cannot attach files to a post with a poll".into(),
                ))
            }
            Some(p) => Some(p.validate(self.now_ms())?),
            None => None,
        };
        let media = self
            .media_for_status(account_id, &new.media_ids, None)
            .await?;
        if new.text.trim().is_empty() && media.is_empty() {
            return Err(Error::Unprocessable(
                "Validation failed: Text can't be blank".into(),
            ));
        }
        if chars > self.config().max_characters {
            return Err(Error::Unprocessable(format!(
                "Validation failed: Text character limit of {} exceeded",
                self.config().max_characters
            )));
        }
        let parent = match new.in_reply_to_id {
            Some(id) => {
                let p = self.status(id).await?;
                if !self.can_view(&p, Some(account_id)).await? {
                    return Err(Error::NotFound(format!("status {id}")));
                }
                Some(p)
            }
            None => None,
        };
        // Mentions, resolved (remote ones through WebFinger).
        let mut mentioned: Vec<Account> = Vec::new();
        for (user, domain) in render::mentions(&new.text) {
            let handle = match &domain {
                Some(d) => format!("{user}@{d}"),
                None => user.clone(),
            };
            match self.resolve_handle(&handle, true).await {
                Ok(Some(a)) if !mentioned.iter().any(|m| m.id == a.id) => mentioned.push(a),
                Ok(_) => {}
                Err(e) => tracing::info!(%handle, error = %e, "mention not resolved"),
            }
        }
        let by_name = |user: &str, domain: Option<&str>| {
            mentioned
                .iter()
                .find(|a| {
                    a.username.eq_ignore_ascii_case(user)
                        && match (domain, &a.domain) {
                            (None, None) => true,
                            (None, Some(_)) => true,
                            (Some(d), Some(ad)) => d.eq_ignore_ascii_case(ad),
                            (Some(d), None) => d.eq_ignore_ascii_case(self.config().domain()),
                        }
                })
                .map(|a| a.url.clone())
        };
        let mut content = render::render(&new.text, by_name, |t| self.tag_url(t));
        let quote = match new.quoted_status_id {
            Some(q) => Some(self.local_quote(account_id, q).await?),
            None => None,
        };
        if let Some((_, quoted)) = &quote {
            content.push_str(&super::quotes::inline_fallback(&quoted.url));
        }
        let tags = render::hashtags(&new.text);
        let emojis = self
            .local_emoji_keys_in(&[&new.spoiler_text, &new.text])
            .await?;
        let now = self.now_ms();
        let id = self.inner.ids.next(now);
        let uri = self.status_iri(&author.username, id);
        let visibility = new.visibility.unwrap_or(StatusVisibility::Public);
        let mut mentions: Vec<u64> = mentioned.iter().map(|a| a.id).collect();
        if let Some(p) = &parent {
            if p.account_id != account_id
                && !mentions.contains(&p.account_id)
                && visibility != StatusVisibility::Direct
            {
                mentions.push(p.account_id);
            }
        }
        let status = Status {
            id,
            uri: uri.clone(),
            url: format!("{}/{id}", author.url),
            account_id,
            content,
            text: Some(new.text.clone()),
            spoiler_text: new.spoiler_text.clone(),
            sensitive: new.sensitive || !new.spoiler_text.is_empty(),
            visibility,
            language: new.language.clone(),
            in_reply_to_id: parent.as_ref().map(|p| p.id),
            in_reply_to_uri: parent.as_ref().map(|p| p.uri.clone()),
            in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
            reblog_of_id: None,
            mentions,
            tags,
            created_at: now,
            edited_at: None,
            edits: Vec::new(),
            local: true,
            activity_uri: Some(format!("{uri}/activity")),
            conversation: parent
                .as_ref()
                .and_then(|p| p.conversation.clone())
                .or_else(|| Some(format!("{}/contexts/{id}", self.base()))),
            media_ids: media.iter().map(|m| m.id).collect(),
            poll,
            card_url: None,
            quote: quote.as_ref().map(|(q, _)| q.clone()),
            emojis,
        };
        self.save_status(&status).await?;
        self.take_media(&status, media).await?;
        if let Some(key) = &new.idempotency_key {
            self.store()
                .kv_put(
                    ns::IDEMPOTENCY,
                    format!("{account_id}:{key}").as_bytes(),
                    format!("{id} {}", self.now_ms()).as_bytes(),
                )
                .await?;
        }
        self.schedule_poll_close(&status).await?;
        self.distribute(&status).await?;
        let create = self.create_document(&status).await?;
        if let Some(AnyObject::Object(note)) = create.first_object().and_then(|o| o.object()) {
            self.store_local_document(&status.uri, &serde_json::to_value(note)?)
                .await?;
        }
        self.federate(
            &author,
            &serde_json::to_vec(&create)?,
            self.audience_of(&status).await?,
        )
        .await?;
        self.schedule_card(&status);
        if let Some((q, quoted)) = &quote {
            if q.state == super::quotes::QuoteState::Pending && !quoted.local {
                self.send_quote_request(&author, &status, quoted).await?;
            }
        }
        Ok(status)
    }

    /// Who receives a status: followers (unless direct) and mentioned remote accounts.
    pub(crate) async fn audience_of(&self, status: &Status) -> Result<Recipients, Error> {
        let author = self.account(status.account_id).await?;
        let mut audience = Recipients::new();
        if status.visibility != StatusVisibility::Direct {
            audience = audience.followers_of(author.actor.clone());
        }
        for m in &status.mentions {
            if let Ok(a) = self.account(*m).await {
                if !a.is_local() {
                    audience = audience.actor(a.actor);
                }
            }
        }
        Ok(audience)
    }

    /// Sends an activity from a local account through the engine (durably queued).
    pub(crate) async fn federate(
        &self,
        from: &Account,
        activity: &[u8],
        audience: Recipients,
    ) -> Result<(), Error> {
        let mut audience = audience;
        let mut kept = Vec::with_capacity(audience.actors.len());
        for a in std::mem::take(&mut audience.actors) {
            if !self.is_domain_blocked(&host_of(&a)).await? {
                kept.push(a);
            }
        }
        audience.actors = kept;
        let mut kept = Vec::with_capacity(audience.inboxes.len());
        for i in std::mem::take(&mut audience.inboxes) {
            if !self.is_domain_blocked(&host_of(&i)).await? {
                kept.push(i);
            }
        }
        audience.inboxes = kept;
        let report = self
            .engine()
            .deliver(activity, &oid(&from.actor)?, &audience)
            .await?;
        for (who, why) in report.unresolved {
            tracing::info!(%who, %why, "recipient not reached");
        }
        Ok(())
    }

    /// Deletes a local status and federates a `Delete`.
    pub async fn delete_status(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        if s.account_id != account_id {
            return Err(Error::Forbidden("not your status".into()));
        }
        let author = self.account(account_id).await?;
        self.remove_status(&s).await?;
        if s.reblog_of_id.is_some() {
            let announce = self.announce_document(&s).await.ok();
            if let Some(a) = announce {
                let undo =
                    builder::undo(&oid(&format!("{}#undo", s.uri))?, &oid(&author.actor)?, a);
                self.federate(
                    &author,
                    &serde_json::to_vec(&undo)?,
                    Recipients::new().followers_of(author.actor.clone()),
                )
                .await?;
            }
            return Ok(s);
        }
        let del = builder::delete(
            &oid(&format!("{}#delete", s.uri))?,
            &oid(&author.actor)?,
            &oid(&s.uri)?,
        );
        let mut audience = self.audience_of(&s).await?;
        for b in self
            .store()
            .all_members(&coll::reblogged_by(s.id), 1000)
            .await?
        {
            if let Ok(acc) = self.account(b.member.parse().unwrap_or_default()).await {
                if !acc.is_local() {
                    audience = audience.actor(acc.actor);
                }
            }
        }
        self.federate(&author, &serde_json::to_vec(&del)?, audience)
            .await?;
        Ok(s)
    }

    /// Removes a status (local or remote) and everything hanging off it; leaves a tombstone at
    /// its IRI so it is never created again.
    pub(crate) async fn remove_status(&self, s: &Status) -> Result<(), Error> {
        let store = self.store();
        let member = s.id.to_string();
        let mut batch = WriteBatch::new()
            .kv_delete(ns::STATUSES, member.clone())
            .kv_delete(ns::STATUS_BY_URI, s.uri.clone())
            .remove(coll::statuses_of(s.account_id), member.clone())
            .remove(coll::FEDERATED, member.clone())
            .remove(coll::LOCAL, member.clone())
            .remove(coll::REMOTE, member.clone())
            .remove(coll::pinned(s.account_id), member.clone());
        if let Some(p) = s.in_reply_to_id {
            batch = batch.remove(coll::replies(p), member.clone());
        }
        for t in &s.tags {
            batch = batch.remove(coll::tag(t), member.clone());
        }
        if let Some(of) = s.reblog_of_id {
            batch = batch
                .remove(coll::reblogged_by(of), s.account_id.to_string())
                .kv_delete(ns::REBLOGS, pair(s.account_id, of));
        } else {
            batch = batch.delete_document(
                s.uri.clone(),
                Tombstone::new(self.now()).with_former_type("Note"),
            );
        }
        // Who may have shown it, worked out while the author's records are all there.
        let (streams, author_local) = self.streams_of(s).await?;
        self.remove_from_conversations(s).await?;
        store.apply(&batch).await?;
        if s.reblog_of_id.is_none() {
            self.remove_status_media(s).await?;
        }
        // Reblogs of it go too.
        if s.reblog_of_id.is_none() {
            for r in store.all_members(&coll::reblogged_by(s.id), 1000).await? {
                if let Ok(acc) = r.member.parse::<u64>() {
                    if let Some(rid) = self.get_str(ns::REBLOGS, &pair(acc, s.id)).await? {
                        if let Ok(rs) = self.status(rid.parse().unwrap_or_default()).await {
                            Box::pin(self.remove_status(&rs)).await?;
                        }
                    }
                }
            }
        }
        for stream in streams {
            self.emit(Event::Delete {
                stream,
                status_id: s.id,
                local: author_local,
            });
        }
        Ok(())
    }

    /// Edits a local status (keeping the earlier version) and federates an `Update`.
    /// `media_ids`, if given, replaces its attachments (Mastodon's rules, as for a new one);
    /// `media_attributes` (`(id, description, focus)`) describe its attachments, before the
    /// `Update` is built, so that other servers see the new descriptions.
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_status(
        &self,
        account_id: u64,
        status_id: u64,
        text: &str,
        spoiler_text: Option<String>,
        sensitive: Option<bool>,
        language: Option<String>,
        media_ids: Option<Vec<u64>>,
        media_attributes: Vec<(u64, Option<String>, Option<super::media::Focus>)>,
    ) -> Result<Status, Error> {
        let mut s = self.status(status_id).await?;
        if s.account_id != account_id || s.reblog_of_id.is_some() {
            return Err(Error::Forbidden("not your status".into()));
        }
        let media = match &media_ids {
            Some(ids) => Some(self.media_for_status(account_id, ids, Some(s.id)).await?),
            None => None,
        };
        let has_media = media
            .as_ref()
            .map_or(!s.media_ids.is_empty(), |m| !m.is_empty());
        if text.trim().is_empty() && !has_media {
            return Err(Error::Unprocessable(
                "Validation failed: Text can't be blank".into(),
            ));
        }
        if text.chars().count() > self.config().max_characters {
            return Err(Error::Unprocessable("Validation failed: Text".into()));
        }
        let author = self.account(account_id).await?;
        s.edits.push(Edit {
            content: s.content.clone(),
            spoiler_text: s.spoiler_text.clone(),
            sensitive: s.sensitive,
            created_at: s.edited_at.unwrap_or(s.created_at),
            media_ids: s.media_ids.clone(),
        });
        let mut mention_urls = Vec::new();
        for m in &s.mentions {
            if let Ok(a) = self.account(*m).await {
                mention_urls.push(a);
            }
        }
        s.content = render::render(
            text,
            |u, _| {
                mention_urls
                    .iter()
                    .find(|a| a.username.eq_ignore_ascii_case(u))
                    .map(|a| a.url.clone())
            },
            |t| self.tag_url(t),
        );
        if let Some(q) = &s.quote {
            let url = match q.status_id {
                Some(id) => self
                    .status(id)
                    .await
                    .map(|qs| qs.url)
                    .unwrap_or(q.uri.clone()),
                None => q.uri.clone(),
            };
            s.content.push_str(&super::quotes::inline_fallback(&url));
        }
        s.text = Some(text.to_owned());
        if let Some(cw) = spoiler_text {
            s.spoiler_text = cw;
        }
        if let Some(sn) = sensitive {
            s.sensitive = sn;
        }
        if language.is_some() {
            s.language = language;
        }
        s.edited_at = Some(self.now_ms());
        s.emojis = self.local_emoji_keys_in(&[&s.spoiler_text, text]).await?;
        if let Some(media) = media {
            s.media_ids = media.iter().map(|m| m.id).collect();
            self.take_media(&s, media).await?;
        }
        // New descriptions and focal points go into the `Update` below.
        for (id, description, focus) in media_attributes {
            if !s.media_ids.contains(&id) {
                continue;
            }
            let m = self.media_attachment(id).await?;
            self.describe_media(m, description, focus).await?;
        }
        // A new text may link elsewhere: its card is looked for again.
        if s.edits.last().is_some_and(|e| e.content != s.content) || !s.media_ids.is_empty() {
            s.card_url = None;
        }
        self.save_status(&s).await?;
        self.schedule_card(&s);
        self.announce_edit(&s).await?;
        let version = s.edited_at.unwrap_or_default().to_string();
        let audience = self.audience_of(&s).await?;
        self.federate_note_update(&author, &s, &version, audience)
            .await?;
        Ok(s)
    }

    /// Stores the current `Note` (or `Question`) of local status `s` as its served document
    /// and sends it in an `Update` with the id `{uri}#updates/{version}` to `audience`: what
    /// an edit, a poll's new counts and an approved quote send.
    pub(crate) async fn federate_note_update(
        &self,
        author: &Account,
        s: &Status,
        version: &str,
        audience: Recipients,
    ) -> Result<(), Error> {
        let note = self.note_document(s).await?;
        self.store_local_document(&s.uri, &serde_json::to_value(&note)?)
            .await?;
        let update = builder::update(
            &oid(&format!("{}#updates/{version}", s.uri))?,
            &oid(&author.actor)?,
            AnyObject::Object(note),
        );
        self.federate(author, &serde_json::to_vec(&update)?, audience)
            .await
    }

    /// Tells the streams that show a status that it was edited ([`App::streams_of`]).
    pub(crate) async fn announce_edit(&self, s: &Status) -> Result<(), Error> {
        for stream in self.streams_of(s).await?.0 {
            self.emit(Event::StatusUpdate {
                stream,
                status_id: s.id,
            });
        }
        Ok(())
    }

    /// The thread around a status, as `viewer` may see it: ancestors (oldest first) and
    /// descendants (depth first, in order).
    pub async fn context(
        &self,
        status_id: u64,
        viewer: Option<u64>,
    ) -> Result<(Vec<Status>, Vec<Status>), Error> {
        let s = self.status(status_id).await?;
        let mut ancestors = Vec::new();
        let mut cur = s.in_reply_to_id;
        let mut guard = 0;
        while let Some(p) = cur {
            guard += 1;
            if guard > 100 {
                break;
            }
            match self.status(p).await {
                Ok(ps) => {
                    cur = ps.in_reply_to_id;
                    if self.can_view(&ps, viewer).await? {
                        ancestors.push(ps);
                    }
                }
                Err(_) => break,
            }
        }
        ancestors.reverse();
        let mut descendants = Vec::new();
        let mut stack = vec![s.id];
        let mut seen = BTreeSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) || seen.len() > 500 {
                continue;
            }
            let page = self
                .store()
                .page(&coll::replies(id), &PageRequest::oldest(200))
                .await?;
            let mut children = Vec::new();
            for item in page.items {
                if let Ok(cs) = self.status(item.key).await {
                    if self.can_view(&cs, viewer).await? {
                        children.push(cs);
                    }
                }
            }
            for c in children.iter().rev() {
                stack.push(c.id);
            }
            if id != s.id {
                if let Ok(cs) = self.status(id).await {
                    descendants.push(cs);
                }
            }
        }
        Ok((ancestors, descendants))
    }

    /// Counts for a status: replies, reblogs, favourites.
    pub async fn status_counts(&self, status_id: u64) -> Result<(u64, u64, u64), Error> {
        let s = self.store();
        Ok((
            s.count(&coll::replies(status_id)).await?,
            s.count(&coll::reblogged_by(status_id)).await?,
            s.count(&coll::favourited_by(status_id)).await?,
        ))
    }

    /// Stores a local document (so the engine can resolve local objects).
    pub(crate) async fn store_local_document(
        &self,
        iri: &str,
        value: &serde_json::Value,
    ) -> Result<(), Error> {
        let doc = fedi_storage::Document::from_json(value, Origin::Local, self.now())?;
        match self.store().put_document(iri, &doc).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_tombstoned() => Err(Error::Gone(iri.to_owned())),
            Err(e) => Err(e.into()),
        }
    }
}
