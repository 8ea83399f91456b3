//! The engine's handler: activities from other servers, applied as Mastodon applies them.

use std::sync::{Arc, Weak};

use activitypub_core::engine::{ActivityHandler, Engine, InboxActivity};
use activitypub_core::{AnyObject, Kind, Object};
use fedi_storage::WriteBatch;

use super::model::{ns, pair, Account, Edit, NotificationType, Status, Visibility};
use super::render;
use super::{App, Inner};
use crate::error::Error;

/// Applies received activities to the instance.
pub struct Handler {
    app: Weak<Inner>,
}

impl Handler {
    pub(crate) fn new(app: &App) -> Self {
        Handler {
            app: Arc::downgrade(&app.inner),
        }
    }
    fn app(&self) -> Option<App> {
        self.app.upgrade().map(|inner| App { inner })
    }
}

use super::social::host_of;

fn to_core(e: Error) -> activitypub_core::Error {
    match e {
        Error::Federation(e) => e,
        Error::Storage(e) => activitypub_core::Error::Storage(e),
        Error::NotFound(m)
        | Error::Forbidden(m)
        | Error::Unprocessable(m)
        | Error::BadRequest(m)
        | Error::Gone(m) => activitypub_core::Error::handler_permanent(m),
        other => activitypub_core::Error::handler(other.to_string()),
    }
}

#[async_trait::async_trait]
impl ActivityHandler for Handler {
    async fn allow(&self, actor: &str) -> bool {
        let Some(app) = self.app() else { return false };
        !app.is_domain_blocked(&host_of(actor))
            .await
            .unwrap_or(false)
    }

    async fn handle(
        &self,
        _engine: &Engine,
        a: InboxActivity,
    ) -> Result<(), activitypub_core::Error> {
        let Some(app) = self.app() else { return Ok(()) };
        app.apply_inbound(a).await.map_err(to_core)
    }

    async fn actor_gone(
        &self,
        _engine: &Engine,
        actor: &str,
    ) -> Result<(), activitypub_core::Error> {
        let Some(app) = self.app() else { return Ok(()) };
        app.remove_remote_account(actor).await.map_err(to_core)
    }
}

impl App {
    /// Applies one verified activity from another server.
    pub async fn apply_inbound(&self, a: InboxActivity) -> Result<(), Error> {
        if self.is_domain_blocked(&host_of(&a.signer)).await? {
            return Ok(());
        }
        let actor = self.resolve_actor(&a.signer).await?;
        let object_id = a
            .activity
            .first_object()
            .and_then(|o| o.id())
            .map(str::to_owned);
        let kind = a.kind().to_owned();
        tracing::debug!(%kind, actor = %actor.actor, "inbound activity");
        match kind.as_str() {
            "Follow" => {
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
                if self.blocks(me.id, actor.id).await? {
                    return self.send_accept(&me, &actor, &follow_uri, false).await;
                }
                if let Some(existing) = self
                    .get::<super::model::FollowRecord>(ns::FOLLOWS, &pair(actor.id, me.id))
                    .await?
                {
                    if existing.accepted {
                        return self.send_accept(&me, &actor, &follow_uri, true).await;
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
                    self.send_accept(&me, &actor, &follow_uri, true).await?;
                }
            }
            "Accept" | "Reject" => {
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
                if kind == "Accept" {
                    self.accept_follow_record(follower, target).await?;
                } else {
                    self.remove_follow_record(follower, target).await?;
                }
            }
            "Undo" => {
                let inner_kind = match &a.object {
                    Some(AnyObject::Activity(inner)) => inner.type_name().unwrap_or("").to_owned(),
                    _ => String::new(),
                };
                let inner_object = match &a.object {
                    Some(AnyObject::Activity(inner)) => {
                        inner.first_object().and_then(|o| o.id()).map(str::to_owned)
                    }
                    _ => None,
                };
                match inner_kind.as_str() {
                    "Follow" => {
                        if let Some(t) = inner_object {
                            if let Some(me) = self.account_by_iri(&t).await? {
                                self.remove_follow_record(actor.id, me.id).await?;
                            }
                        }
                    }
                    "Like" => {
                        if let Some(uri) = inner_object {
                            if let Some(s) = self.status_by_uri(&uri).await? {
                                self.remove_favourite(actor.id, s.id).await?;
                            }
                        }
                    }
                    "Announce" => {
                        if let Some(id) = &object_id {
                            if let Some(r) = self.status_by_uri(id).await? {
                                if r.account_id == actor.id && r.reblog_of_id.is_some() {
                                    self.remove_status(&r).await?;
                                }
                            }
                        }
                    }
                    "Block" => {
                        if let Some(t) = inner_object {
                            if let Some(me) = self.account_by_iri(&t).await? {
                                self.store()
                                    .apply(
                                        &WriteBatch::new()
                                            .kv_delete(ns::BLOCKS, pair(actor.id, me.id)),
                                    )
                                    .await?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            "Add" | "Remove" => {
                let target = a
                    .activity
                    .target
                    .as_ref()
                    .and_then(|t| t.iter().next())
                    .and_then(|r| r.id())
                    .map(str::to_owned);
                let embedded = match &a.object {
                    Some(AnyObject::Object(o)) => Some(o),
                    _ => None,
                };
                self.apply_featured(
                    &actor,
                    target.as_deref(),
                    object_id.as_deref(),
                    embedded,
                    kind == "Add",
                )
                .await?;
            }
            "Create" => {
                if let Some(AnyObject::Object(o)) = &a.object {
                    self.ingest_remote_status(o, Some(&actor)).await?;
                }
            }
            "Update" => match &a.object {
                Some(AnyObject::Actor(doc))
                    if doc.id.as_ref().map(|i| i.as_str()) == Some(actor.actor.as_str()) =>
                {
                    let bytes = serde_json::to_vec(doc)?;
                    self.engine()
                        .store_remote_actor(doc, &bytes, self.now())
                        .await?;
                    self.upsert_remote_account(doc).await?;
                }
                Some(AnyObject::Object(o)) => self.apply_remote_edit(o, &actor).await?,
                _ => {}
            },
            "Delete" => {
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
            }
            "Announce" => {
                let Some(AnyObject::Object(o)) = &a.object else {
                    return Ok(());
                };
                let Some(original) = self.ingest_remote_status(o, None).await? else {
                    return Ok(());
                };
                if !original.visibility.is_boostable() {
                    return Ok(());
                }
                let announce_uri = a
                    .activity
                    .id
                    .as_ref()
                    .map(|i| i.as_str().to_owned())
                    .unwrap_or_default();
                if self.status_by_uri(&announce_uri).await?.is_some() {
                    return Ok(());
                }
                let now = self.now_ms();
                let published = a
                    .activity
                    .published
                    .as_ref()
                    .and_then(|p| p.to_datetime())
                    .map(|t| (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64)
                    .unwrap_or(now);
                let id = self.inner.ids.at(published, now);
                let visibility = Visibility::from_ap(activitypub_core::Visibility::of_object(
                    &a.activity,
                    actor.followers_url.as_deref(),
                ));
                self.record_reblog(
                    &actor,
                    &original,
                    id,
                    announce_uri,
                    published.min(now),
                    visibility,
                )
                .await?;
            }
            "Like" => {
                let Some(uri) = object_id else { return Ok(()) };
                if let Some(s) = self.status_by_uri(&uri).await? {
                    let like_uri = a.activity.id.as_ref().map(|i| i.as_str().to_owned());
                    self.record_favourite(actor.id, &s, like_uri).await?;
                }
            }
            "Block" => {
                if let Some(t) = object_id {
                    if let Some(me) = self.account_by_iri(&t).await?.filter(Account::is_local) {
                        self.remove_follow_record(actor.id, me.id).await?;
                        self.remove_follow_record(me.id, actor.id).await?;
                        // Kept, as Mastodon does: `blocked_by` in relationships, and the
                        // `Undo(Block)` case above removes it.
                        let reaction = super::model::Reaction {
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
            }
            _ => {}
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
        let Some(uri) = o.id.as_ref().map(|i| i.as_str().to_owned()) else {
            return Ok(None);
        };
        if let Some(s) = self.status_by_uri(&uri).await? {
            return Ok(Some(s));
        }
        let post_kinds = [Kind::Note, Kind::Article, Kind::Page, Kind::Question];
        if !post_kinds.iter().any(|k| o.is(k)) {
            return Ok(None);
        }
        let Some(author_iri) = o.attributed_to_ids().first().map(|s| (*s).to_owned()) else {
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
        let visibility = Visibility::from_ap(activitypub_core::Visibility::of_object(
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
        let content = o.content_text().map(str::to_owned).unwrap_or_default();
        let status = Status {
            id: self.inner.ids.at(published, now),
            uri: uri.clone(),
            url: o
                .url
                .as_ref()
                .and_then(|u| u.iter().next())
                .and_then(|u| u.id().map(str::to_owned))
                .unwrap_or_else(|| uri.clone()),
            account_id: author.id,
            content: render::sanitize(&content),
            text: None,
            spoiler_text: o.summary_text().map(render::strip_html).unwrap_or_default(),
            sensitive: o.sensitive.unwrap_or(false),
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
            conversation: o.conversation.clone(),
        };
        match self.save_remote_status(&status).await {
            Ok(()) => {}
            Err(Error::Gone(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        self.distribute(&status).await?;
        Ok(Some(status))
    }

    async fn save_remote_status(&self, s: &Status) -> Result<(), Error> {
        if fedi_storage::DocumentStoreExt::is_tombstoned(&**self.store(), &s.uri).await? {
            return Err(Error::Gone(s.uri.clone()));
        }
        self.save_status(s).await
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
            &super::model::coll::reblogged_by(s.id),
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
            &super::model::coll::statuses_of(acc.id),
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
            &super::model::coll::following(acc.id),
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
            &super::model::coll::followers(acc.id),
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

fn parse_pair(p: &str) -> Result<(u64, u64), Error> {
    let (a, b) = p
        .split_once(':')
        .ok_or_else(|| Error::NotFound("follow".into()))?;
    Ok((
        a.parse().map_err(|_| Error::NotFound("follow".into()))?,
        b.parse().map_err(|_| Error::NotFound("follow".into()))?,
    ))
}
