//! Local actions, as Mastodon performs them, each federated through the engine; and the
//! shared machinery (accounts, visibility, timelines, notifications) inbound activities use
//! too.

use std::collections::BTreeSet;

use activitypub_core::builder;
use activitypub_core::engine::{Audience, KeyAlgorithm};
use activitypub_core::{Actor, AnyObject, Kind, ObjectId};
use fedi_storage::{
    CollectionItem, CollectionStoreExt, Origin, Page, PageRequest, Tombstone, WriteBatch,
};

use super::docs::oid;
use super::model::{
    coll, ns, pair, Account, DomainBlock, Edit, FollowRecord, Notification, NotificationType,
    Reaction, Status, Visibility,
};
use super::render;
use super::{App, Event};
use crate::error::Error;

/// How long an `Idempotency-Key` names the status it created: one hour, as on Mastodon.
pub const IDEMPOTENCY_TTL_MS: u64 = 60 * 60 * 1000;

/// How many statuses a local account may have pinned at once (Mastodon's
/// `StatusPinValidator::PIN_LIMIT`; also `max_pinned_statuses` in the instance entity).
pub const MAX_PINNED_STATUSES: u64 = 5;

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
    pub visibility: Option<Visibility>,
    /// Language.
    pub language: Option<String>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<String>,
}

/// The relationship of one account to another, as the client API shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relationship {
    /// The other account.
    pub id: u64,
    /// I follow them (accepted).
    pub following: bool,
    /// My follow request is pending.
    pub requested: bool,
    /// They follow me.
    pub followed_by: bool,
    /// They asked to follow me.
    pub requested_by: bool,
    /// I block them.
    pub blocking: bool,
    /// They block me.
    pub blocked_by: bool,
    /// I mute them.
    pub muting: bool,
    /// I block their domain.
    pub domain_blocking: bool,
}

/// `host[:port]` of an IRI (empty if it has none).
pub(crate) fn host_of(iri: &str) -> String {
    url::Url::parse(iri)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_default()
}

fn valid_username(u: &str) -> bool {
    !u.is_empty() && u.len() <= 30 && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// How many items of a remote account's `featured` collection [`App::sync_featured`] reads
/// (Mastodon lets an account pin 5 statuses; other servers allow more).
pub const FEATURED_SYNC_LIMIT: usize = 20;

/// How many of those background reads run at once.
pub const FEATURED_SYNCS_AT_ONCE: usize = 4;

impl App {
    // --- accounts -----------------------------------------------------------------------

    /// The account with this id.
    pub async fn account(&self, id: u64) -> Result<Account, Error> {
        self.get(ns::ACCOUNTS, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("account {id}")))
    }

    /// A local account by username, or a known remote one by `user@domain`.
    pub async fn account_by_acct(&self, acct: &str) -> Result<Option<Account>, Error> {
        let acct = acct.trim_start_matches('@').to_lowercase();
        let own = format!("@{}", self.config().domain().to_lowercase());
        let key = acct.strip_suffix(&own).unwrap_or(&acct);
        match self.get_str(ns::ACCOUNT_BY_ACCT, key).await? {
            Some(id) => match id.parse::<u64>() {
                Ok(id) => Ok(Some(self.account(id).await?)),
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// A known account by actor IRI.
    pub async fn account_by_iri(&self, iri: &str) -> Result<Option<Account>, Error> {
        match self.get_str(ns::ACCOUNT_BY_IRI, iri).await? {
            Some(id) => match id.parse::<u64>() {
                Ok(id) => Ok(Some(self.account(id).await?)),
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Every local account, oldest first.
    pub async fn local_accounts(&self) -> Result<Vec<Account>, Error> {
        let mut out = Vec::new();
        for item in self
            .store()
            .all_members(coll::LOCAL_ACCOUNTS, 500)
            .await?
            .into_iter()
            .rev()
        {
            if let Ok(id) = item.member.parse() {
                out.push(self.account(id).await?);
            }
        }
        Ok(out)
    }

    /// Creates a local account (with its key pair). Usernames are letters, digits and `_`,
    /// unique regardless of case.
    pub async fn create_account(
        &self,
        username: &str,
        password: Option<&str>,
        locked: bool,
    ) -> Result<Account, Error> {
        if !valid_username(username) {
            return Err(Error::Unprocessable(format!(
                "username {username:?}: letters, digits and _ only, at most 30"
            )));
        }
        if self.account_by_acct(username).await?.is_some() {
            return Err(Error::Unprocessable(format!(
                "username {username:?} is taken"
            )));
        }
        let actor = self.actor_iri(username);
        self.engine()
            .create_local_actor(&oid(&actor)?, KeyAlgorithm::Rsa2048)
            .await?;
        let now = self.now_ms();
        let account = Account {
            id: self.inner.ids.next(now),
            username: username.to_owned(),
            domain: None,
            actor: actor.clone(),
            url: self.profile_url(username),
            inbox: Some(format!("{actor}/inbox")),
            shared_inbox: Some(format!("{}/inbox", self.base())),
            followers_url: Some(format!("{actor}/followers")),
            display_name: String::new(),
            note: String::new(),
            note_source: String::new(),
            locked,
            bot: false,
            fields: Vec::new(),
            avatar: None,
            header: None,
            created_at: now,
            discoverable: true,
            deleted: false,
        };
        let mut batch = self.account_batch(&account)?;
        batch = batch.insert(coll::LOCAL_ACCOUNTS, account.id, account.id.to_string());
        if let Some(p) = password {
            batch = batch.kv_put(ns::PASSWORDS, account.id.to_string(), hash_password(p)?);
        }
        self.store().apply(&batch).await?;
        Ok(account)
    }

    fn account_batch(&self, account: &Account) -> Result<WriteBatch, Error> {
        let acct = account.acct().to_lowercase();
        Ok(WriteBatch::new()
            .kv_put(
                ns::ACCOUNTS,
                account.id.to_string(),
                serde_json::to_vec(account)?,
            )
            .kv_put(
                ns::ACCOUNT_BY_IRI,
                account.actor.clone(),
                account.id.to_string(),
            )
            .kv_put(ns::ACCOUNT_BY_ACCT, acct, account.id.to_string()))
    }

    /// Checks a local account's password.
    pub async fn check_password(&self, account_id: u64, password: &str) -> Result<bool, Error> {
        let Some(hash) = self.get_str(ns::PASSWORDS, &account_id.to_string()).await? else {
            return Ok(false);
        };
        Ok(verify_password(&hash, password))
    }

    /// Sets a local account's password.
    pub async fn set_password(&self, account_id: u64, password: &str) -> Result<(), Error> {
        let h = hash_password(password)?;
        self.store()
            .kv_put(
                ns::PASSWORDS,
                account_id.to_string().as_bytes(),
                h.as_bytes(),
            )
            .await?;
        Ok(())
    }

    /// Stores (or refreshes) a remote account from its actor document.
    pub async fn upsert_remote_account(&self, actor: &Actor) -> Result<Account, Error> {
        let iri = actor
            .id
            .as_ref()
            .ok_or_else(|| Error::Unprocessable("actor without id".into()))?
            .as_str()
            .to_owned();
        let existing = self.account_by_iri(&iri).await?;
        let host = host_of(&iri);
        let username = actor
            .preferred_username
            .clone()
            .unwrap_or_else(|| iri.rsplit('/').next().unwrap_or("unknown").to_owned());
        let now = self.now_ms();
        let fields = actor
            .attachment
            .iter()
            .flat_map(|a| a.iter())
            .filter_map(|r| r.object())
            .filter(|o| o.type_name() == Some("PropertyValue"))
            .filter_map(|o| {
                let name = o.name.clone()?;
                let value = o.get_json("value")?.as_str()?.to_owned();
                Some((name, value))
            })
            .collect();
        let account = Account {
            id: existing
                .as_ref()
                .map_or_else(|| self.inner.ids.next(now), |a| a.id),
            username,
            domain: Some(host),
            actor: iri.clone(),
            url: actor
                .url
                .as_ref()
                .and_then(|u| u.iter().next())
                .and_then(|u| u.id().map(str::to_owned))
                .unwrap_or_else(|| iri.clone()),
            inbox: actor.inbox.as_ref().map(|i| i.as_str().to_owned()),
            shared_inbox: actor.shared_inbox().map(|i| i.as_str().to_owned()),
            followers_url: actor.followers.as_ref().map(|i| i.as_str().to_owned()),
            display_name: actor.name.clone().unwrap_or_default(),
            note: actor.summary.clone().unwrap_or_default(),
            note_source: String::new(),
            locked: actor.manually_approves_followers.unwrap_or(false),
            bot: actor.is(&Kind::Service) || actor.is(&Kind::Application),
            fields,
            avatar: actor
                .icon
                .as_ref()
                .and_then(|i| i.iter().next())
                .and_then(|i| i.object())
                .and_then(|o| o.url.as_ref())
                .and_then(|u| u.iter().next())
                .and_then(|u| u.id().map(str::to_owned)),
            header: None,
            created_at: existing.as_ref().map_or(now, |a| a.created_at),
            discoverable: actor.discoverable.unwrap_or(false),
            deleted: false,
        };
        // The `featured` collection, to recognise `Add`/`Remove` of pins (as Mastodon keeps
        // `featured_collection_url`).
        let featured = actor.featured.as_ref().map(|f| f.as_str().to_owned());
        let known_featured = self.get_str(ns::FEATURED, &account.id.to_string()).await?;
        let sync = featured.is_some() && featured != known_featured;
        let batch = match featured {
            Some(f) => {
                self.account_batch(&account)?
                    .kv_put(ns::FEATURED, account.id.to_string(), f)
            }
            None => self
                .account_batch(&account)?
                .kv_delete(ns::FEATURED, account.id.to_string()),
        };
        self.store().apply(&batch).await?;
        if sync {
            // As Mastodon does for a new account or a new collection: read the pins in the
            // background, so that the request that found the account does not wait for them.
            let (app, acct) = (self.clone(), account.clone());
            tokio::spawn(async move {
                // The semaphore is never closed; a closed one would only mean: run now.
                let _turn = app.inner.featured_syncs.acquire().await;
                if let Err(e) = app.sync_featured(&acct).await {
                    tracing::info!(account = %acct.actor, error = %e, "pinned statuses not read");
                }
            });
        }
        Ok(account)
    }

    /// The account of an actor IRI: known, or fetched (signed) and stored.
    pub async fn resolve_actor(&self, iri: &str) -> Result<Account, Error> {
        if let Some(a) = self.account_by_iri(iri).await? {
            return Ok(a);
        }
        let mut budget = self.budget();
        let actor = self.engine().actor(iri, &mut budget).await?;
        self.upsert_remote_account(&actor).await
    }

    /// An account by handle: local by username; remote by `user@domain`, known or resolved
    /// with WebFinger (when `resolve`).
    pub async fn resolve_handle(
        &self,
        handle: &str,
        resolve: bool,
    ) -> Result<Option<Account>, Error> {
        if let Some(a) = self.account_by_acct(handle).await? {
            return Ok(Some(a));
        }
        let h = handle.trim_start_matches('@');
        if !resolve || !h.contains('@') {
            return Ok(None);
        }
        let (_, domain) = h.split_once('@').unwrap_or((h, ""));
        if domain.eq_ignore_ascii_case(self.config().domain()) {
            return Ok(None);
        }
        let iri = self.engine().webfinger(h).await?;
        Ok(Some(self.resolve_actor(&iri).await?))
    }

    /// Updates a local account's profile and federates an `Update` of the actor.
    pub async fn update_profile(
        &self,
        account_id: u64,
        display_name: Option<String>,
        note: Option<String>,
        locked: Option<bool>,
        fields: Option<Vec<(String, String)>>,
    ) -> Result<Account, Error> {
        let mut a = self.account(account_id).await?;
        if !a.is_local() {
            return Err(Error::Forbidden("not a local account".into()));
        }
        if let Some(d) = display_name {
            a.display_name = d.chars().take(30).collect();
        }
        if let Some(n) = note {
            a.note = render::render(&n, |_, _| None, |t| self.tag_url(t));
            a.note_source = n;
        }
        if let Some(l) = locked {
            a.locked = l;
        }
        if let Some(f) = fields {
            a.fields = f
                .into_iter()
                .take(4)
                .map(|(n, v)| {
                    (
                        render::escape(&n),
                        render::render(&v, |_, _| None, |t| self.tag_url(t))
                            .trim_start_matches("<p>")
                            .trim_end_matches("</p>")
                            .to_owned(),
                    )
                })
                .collect();
        }
        self.put(ns::ACCOUNTS, &a.id.to_string(), &a).await?;
        let actor_doc = self.actor_document(&a).await?;
        let me: ObjectId<Actor> = oid(&a.actor)?;
        let update_id = oid(&format!("{}#updates/{}", a.actor, self.now_ms()))?;
        let update = builder::update(&update_id, &me, AnyObject::Actor(actor_doc));
        self.federate(
            &a,
            &serde_json::to_vec(&update)?,
            Audience::new().followers_of(a.actor.clone()),
        )
        .await?;
        Ok(a)
    }

    // --- statuses -----------------------------------------------------------------------

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

    /// Whether `viewer` (an account id, or `None` for anonymous) may see `status`.
    pub async fn can_view(&self, status: &Status, viewer: Option<u64>) -> Result<bool, Error> {
        if let Some(v) = viewer {
            if v == status.account_id {
                return Ok(true);
            }
            if self.blocks(status.account_id, v).await? {
                return Ok(false);
            }
        }
        Ok(match status.visibility {
            Visibility::Public | Visibility::Unlisted => true,
            Visibility::Private => match viewer {
                Some(v) => {
                    status.mentions.contains(&v) || self.is_following(v, status.account_id).await?
                }
                None => false,
            },
            Visibility::Direct => viewer.is_some_and(|v| status.mentions.contains(&v)),
        })
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
        let author = self.account(account_id).await?;
        if !author.is_local() {
            return Err(Error::Forbidden("not a local account".into()));
        }
        if let Some(key) = &new.idempotency_key {
            if let Some(id) = self.idempotent_status(account_id, key).await? {
                // Within the hour the same key gives the same status (a 404 if it was
                // deleted since), as on Mastodon.
                return self.status(id).await;
            }
        }
        let chars = new.text.chars().count() + new.spoiler_text.chars().count();
        if new.text.trim().is_empty() {
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
        let content = render::render(&new.text, by_name, |t| self.tag_url(t));
        let tags = render::hashtags(&new.text);
        let now = self.now_ms();
        let id = self.inner.ids.next(now);
        let uri = self.status_iri(&author.username, id);
        let visibility = new.visibility.unwrap_or(Visibility::Public);
        let mut mentions: Vec<u64> = mentioned.iter().map(|a| a.id).collect();
        if let Some(p) = &parent {
            if p.account_id != account_id
                && !mentions.contains(&p.account_id)
                && visibility != Visibility::Direct
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
        };
        self.save_status(&status).await?;
        if let Some(key) = &new.idempotency_key {
            self.store()
                .kv_put(
                    ns::IDEMPOTENCY,
                    format!("{account_id}:{key}").as_bytes(),
                    format!("{id} {}", self.now_ms()).as_bytes(),
                )
                .await?;
        }
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
        Ok(status)
    }

    /// Who receives a status: followers (unless direct) and mentioned remote accounts.
    pub(crate) async fn audience_of(&self, status: &Status) -> Result<Audience, Error> {
        let author = self.account(status.account_id).await?;
        let mut audience = Audience::new();
        if status.visibility != Visibility::Direct {
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
        audience: Audience,
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

    /// Puts a new status into the timelines it belongs to (fan-out on write) and notifies
    /// mentioned local accounts.
    pub(crate) async fn distribute(&self, s: &Status) -> Result<(), Error> {
        let store = self.store();
        let item = CollectionItem::new(s.id, s.id.to_string());
        let author = self.account(s.account_id).await?;
        store
            .insert(&coll::statuses_of(s.account_id), &item)
            .await?;
        if let Some(p) = s.in_reply_to_id {
            store.insert(&coll::replies(p), &item).await?;
        }
        let is_reblog = s.reblog_of_id.is_some();
        if s.visibility == Visibility::Public && !is_reblog {
            store.insert(coll::FEDERATED, &item).await?;
            let (tl, stream) = if author.is_local() {
                (coll::LOCAL, "public:local")
            } else {
                (coll::REMOTE, "public:remote")
            };
            store.insert(tl, &item).await?;
            self.emit(Event::Update {
                stream: "public".into(),
                status_id: s.id,
            });
            self.emit(Event::Update {
                stream: stream.into(),
                status_id: s.id,
            });
            for t in &s.tags {
                store.insert(&coll::tag(t), &item).await?;
                self.emit(Event::Update {
                    stream: format!("hashtag:{}", t.to_lowercase()),
                    status_id: s.id,
                });
            }
        }
        // Home timelines: the author (if local), local followers (not for direct), and
        // mentioned local accounts.
        let mut homes: BTreeSet<u64> = BTreeSet::new();
        if author.is_local() {
            homes.insert(author.id);
        }
        if s.visibility != Visibility::Direct {
            for f in store.all_members(&coll::followers(author.id), 1000).await? {
                if let Ok(fid) = f.member.parse::<u64>() {
                    homes.insert(fid);
                }
            }
        }
        for m in &s.mentions {
            homes.insert(*m);
        }
        for h in homes {
            let Ok(acc) = self.account(h).await else {
                continue;
            };
            if !acc.is_local() {
                continue;
            }
            if h != author.id
                && (self.blocks(h, author.id).await? || self.mutes(h, author.id).await?)
            {
                continue;
            }
            // A reply to someone the reader does not follow stays out of their home.
            if !is_reblog && h != author.id && !s.mentions.contains(&h) {
                if let Some(pa) = s.in_reply_to_account_id {
                    if pa != author.id && pa != h && !self.is_following(h, pa).await? {
                        continue;
                    }
                }
            }
            store.insert(&coll::home(h), &item).await?;
            self.emit(Event::Update {
                stream: format!("user:{h}"),
                status_id: s.id,
            });
        }
        if !is_reblog {
            for m in &s.mentions {
                self.notify(*m, NotificationType::Mention, s.account_id, Some(s.id))
                    .await?;
            }
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
                    Audience::new().followers_of(author.actor.clone()),
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
        store.apply(&batch).await?;
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
    pub async fn edit_status(
        &self,
        account_id: u64,
        status_id: u64,
        text: &str,
        spoiler_text: Option<String>,
        sensitive: Option<bool>,
        language: Option<String>,
    ) -> Result<Status, Error> {
        let mut s = self.status(status_id).await?;
        if s.account_id != account_id || s.reblog_of_id.is_some() {
            return Err(Error::Forbidden("not your status".into()));
        }
        if text.trim().is_empty() || text.chars().count() > self.config().max_characters {
            return Err(Error::Unprocessable("Validation failed: Text".into()));
        }
        let author = self.account(account_id).await?;
        s.edits.push(Edit {
            content: s.content.clone(),
            spoiler_text: s.spoiler_text.clone(),
            sensitive: s.sensitive,
            created_at: s.edited_at.unwrap_or(s.created_at),
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
        self.save_status(&s).await?;
        self.announce_edit(&s).await?;
        let note = self.note_document(&s).await?;
        self.store_local_document(&s.uri, &serde_json::to_value(&note)?)
            .await?;
        let update = builder::update(
            &oid(&format!(
                "{}#updates/{}",
                s.uri,
                s.edited_at.unwrap_or_default()
            ))?,
            &oid(&author.actor)?,
            AnyObject::Object(note),
        );
        self.federate(
            &author,
            &serde_json::to_vec(&update)?,
            self.audience_of(&s).await?,
        )
        .await?;
        Ok(s)
    }

    /// The streams that may have shown a status (without `hashtag:local`, which the
    /// streaming API derives from `hashtag:{tag}`): the author's home stream (if local),
    /// local followers' home streams (unless direct), mentioned local accounts' home streams,
    /// and for public statuses other than boosts the public streams and its hashtags', as
    /// Mastodon publishes `status.update` and `delete`; and whether the author is local.
    pub(crate) async fn streams_of(&self, s: &Status) -> Result<(Vec<String>, bool), Error> {
        let author_local = self
            .account(s.account_id)
            .await
            .map(|a| a.is_local())
            .unwrap_or(false);
        let mut streams = Vec::new();
        if author_local {
            streams.push(format!("user:{}", s.account_id));
        }
        if s.visibility != Visibility::Direct {
            for f in self
                .store()
                .all_members(&coll::followers(s.account_id), 1000)
                .await?
            {
                if let Ok(acc) = self.account(f.member.parse().unwrap_or_default()).await {
                    if acc.is_local() {
                        streams.push(format!("user:{}", acc.id));
                    }
                }
            }
        }
        for m in &s.mentions {
            if self.account(*m).await.is_ok_and(|a| a.is_local()) {
                streams.push(format!("user:{m}"));
            }
        }
        if s.visibility == Visibility::Public && s.reblog_of_id.is_none() {
            streams.push("public".into());
            streams.push(
                if author_local {
                    "public:local"
                } else {
                    "public:remote"
                }
                .into(),
            );
            for t in &s.tags {
                streams.push(format!("hashtag:{}", t.to_lowercase()));
            }
        }
        streams.sort();
        streams.dedup();
        Ok((streams, author_local))
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

    /// Favourites a status (a `Like` to its author if remote).
    pub async fn favourite(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        if !self.can_view(&s, Some(account_id)).await? {
            return Err(Error::NotFound(format!("status {status_id}")));
        }
        let key = pair(account_id, status_id);
        if self.get::<Reaction>(ns::FAVOURITES, &key).await?.is_some() {
            return Ok(s);
        }
        let me = self.account(account_id).await?;
        let now = self.now_ms();
        let uri = format!("{}#likes/{}", me.actor, self.inner.ids.next(now));
        self.record_favourite(account_id, &s, Some(uri.clone()))
            .await?;
        let author = self.account(s.account_id).await?;
        if !author.is_local() {
            let like = builder::like(&oid(&uri)?, &oid(&me.actor)?, &oid(&s.uri)?);
            self.federate(
                &me,
                &serde_json::to_vec(&like)?,
                Audience::new().actor(author.actor),
            )
            .await?;
        }
        Ok(s)
    }

    pub(crate) async fn record_favourite(
        &self,
        account_id: u64,
        s: &Status,
        uri: Option<String>,
    ) -> Result<bool, Error> {
        let key = pair(account_id, s.id);
        if self.get::<Reaction>(ns::FAVOURITES, &key).await?.is_some() {
            return Ok(false);
        }
        let now = self.now_ms();
        let r = Reaction {
            uri,
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(ns::FAVOURITES, key, serde_json::to_vec(&r)?)
            .insert(
                coll::favourited_by(s.id),
                self.inner.ids.next(now),
                account_id.to_string(),
            )
            .insert(
                coll::favourites_of(account_id),
                self.inner.ids.next(now),
                s.id.to_string(),
            );
        self.store().apply(&batch).await?;
        if s.account_id != account_id {
            self.notify(
                s.account_id,
                NotificationType::Favourite,
                account_id,
                Some(s.id),
            )
            .await?;
        }
        Ok(true)
    }

    /// Removes a favourite (an `Undo` of the `Like` if the author is remote).
    pub async fn unfavourite(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let key = pair(account_id, status_id);
        let Some(r) = self.get::<Reaction>(ns::FAVOURITES, &key).await? else {
            return Ok(s);
        };
        self.remove_favourite(account_id, status_id).await?;
        let author = self.account(s.account_id).await?;
        if !author.is_local() {
            if let Some(uri) = r.uri {
                let me = self.account(account_id).await?;
                let like = builder::like(&oid(&uri)?, &oid(&me.actor)?, &oid(&s.uri)?);
                let undo = builder::undo(&oid(&format!("{uri}/undo"))?, &oid(&me.actor)?, like);
                self.federate(
                    &me,
                    &serde_json::to_vec(&undo)?,
                    Audience::new().actor(author.actor),
                )
                .await?;
            }
        }
        Ok(s)
    }

    pub(crate) async fn remove_favourite(
        &self,
        account_id: u64,
        status_id: u64,
    ) -> Result<(), Error> {
        let batch = WriteBatch::new()
            .kv_delete(ns::FAVOURITES, pair(account_id, status_id))
            .remove(coll::favourited_by(status_id), account_id.to_string())
            .remove(coll::favourites_of(account_id), status_id.to_string());
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Boosts a public or unlisted status; returns the reblog (wrapper) status.
    pub async fn reblog(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let s = match s.reblog_of_id {
            Some(of) => self.status(of).await?,
            None => s,
        };
        if !self.can_view(&s, Some(account_id)).await? {
            return Err(Error::NotFound(format!("status {status_id}")));
        }
        if !s.visibility.is_boostable() {
            return Err(Error::Unprocessable("This action is not allowed".into()));
        }
        if let Some(existing) = self.get_str(ns::REBLOGS, &pair(account_id, s.id)).await? {
            return self.status(existing.parse().unwrap_or_default()).await;
        }
        let me = self.account(account_id).await?;
        let now = self.now_ms();
        let id = self.inner.ids.next(now);
        let uri = format!("{}/activity", self.status_iri(&me.username, id));
        let reblog = self
            .record_reblog(&me, &s, id, uri, now, s.visibility)
            .await?;
        let announce = self.announce_document(&reblog).await?;
        let author = self.account(s.account_id).await?;
        let mut audience = Audience::new().followers_of(me.actor.clone());
        if !author.is_local() {
            audience = audience.actor(author.actor);
        }
        self.federate(&me, &serde_json::to_vec(&announce)?, audience)
            .await?;
        Ok(reblog)
    }

    pub(crate) async fn record_reblog(
        &self,
        booster: &Account,
        s: &Status,
        id: u64,
        uri: String,
        now: u64,
        visibility: Visibility,
    ) -> Result<Status, Error> {
        let reblog = Status {
            id,
            uri: uri.clone(),
            url: uri.clone(),
            account_id: booster.id,
            content: String::new(),
            text: None,
            spoiler_text: String::new(),
            sensitive: false,
            visibility,
            language: None,
            in_reply_to_id: None,
            in_reply_to_uri: None,
            in_reply_to_account_id: None,
            reblog_of_id: Some(s.id),
            mentions: Vec::new(),
            tags: Vec::new(),
            created_at: now,
            edited_at: None,
            edits: Vec::new(),
            local: booster.is_local(),
            activity_uri: Some(uri),
            conversation: None,
        };
        self.save_status(&reblog).await?;
        let batch = WriteBatch::new()
            .kv_put(ns::REBLOGS, pair(booster.id, s.id), id.to_string())
            .insert(coll::reblogged_by(s.id), id, booster.id.to_string());
        self.store().apply(&batch).await?;
        self.distribute(&reblog).await?;
        if s.account_id != booster.id {
            self.notify(
                s.account_id,
                NotificationType::Reblog,
                booster.id,
                Some(s.id),
            )
            .await?;
        }
        Ok(reblog)
    }

    /// Undoes a boost; returns the original status.
    pub async fn unreblog(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let original = match s.reblog_of_id {
            Some(of) => self.status(of).await?,
            None => s,
        };
        if let Some(rid) = self
            .get_str(ns::REBLOGS, &pair(account_id, original.id))
            .await?
        {
            let reblog = self.status(rid.parse().unwrap_or_default()).await?;
            let me = self.account(account_id).await?;
            let announce = self.announce_document(&reblog).await?;
            self.remove_status(&reblog).await?;
            let undo = builder::undo(
                &oid(&format!("{}#undo", reblog.uri))?,
                &oid(&me.actor)?,
                announce,
            );
            let author = self.account(original.account_id).await?;
            let mut audience = Audience::new().followers_of(me.actor.clone());
            if !author.is_local() {
                audience = audience.actor(author.actor);
            }
            self.federate(&me, &serde_json::to_vec(&undo)?, audience)
                .await?;
        }
        Ok(original)
    }

    /// Pins an own status, with Mastodon's rules (`StatusPinValidator`): not a boost, not
    /// someone else's, not a direct status, and at most [`MAX_PINNED_STATUSES`] pinned at
    /// once; public, unlisted and followers-only statuses can be pinned. A refusal is a `422`
    /// with Mastodon's text (`Validation failed: …`, several reasons joined by `, `).
    /// Pinning a pinned status again changes nothing. The `Add` goes to followers (the
    /// audience of a followers-only status too).
    pub async fn pin(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let own = s.account_id == account_id;
        if own && s.reblog_of_id.is_none() && self.is_pinned(&s).await? {
            return Ok(s);
        }
        let mut errors = Vec::new();
        if s.reblog_of_id.is_some() {
            errors.push("A boost cannot be pinned");
        }
        if !own {
            errors.push("Someone else's post cannot be pinned");
        }
        if s.visibility == Visibility::Direct {
            errors.push("Posts that are only visible to mentioned users cannot be pinned");
        }
        let pinned = coll::pinned(account_id);
        if self.store().count(&pinned).await? >= MAX_PINNED_STATUSES {
            errors.push("You have already pinned the maximum number of posts");
        }
        if !errors.is_empty() {
            return Err(Error::Unprocessable(format!(
                "Validation failed: {}",
                errors.join(", ")
            )));
        }
        self.store()
            .insert(
                &pinned,
                &CollectionItem::new(self.inner.ids.next(self.now_ms()), s.id.to_string()),
            )
            .await?;
        self.federate_featured(account_id, &s, "Add").await?;
        Ok(s)
    }

    /// Unpins (a `Remove` to followers if it was pinned).
    pub async fn unpin(&self, account_id: u64, status_id: u64) -> Result<Status, Error> {
        let s = self.status(status_id).await?;
        let member = status_id.to_string();
        let pinned = coll::pinned(account_id);
        if !self.store().contains(&pinned, &member).await? {
            return Ok(s);
        }
        self.store().remove(&pinned, &member).await?;
        if s.account_id == account_id {
            self.federate_featured(account_id, &s, "Remove").await?;
        }
        Ok(s)
    }

    /// Sends `Add` or `Remove` of a status to/from the author's `featured` collection to
    /// their followers, as Mastodon does on pin and unpin (Mastodon's carry no `id`; these
    /// have one, unique per action, which every receiver can deduplicate and refer to).
    async fn federate_featured(
        &self,
        account_id: u64,
        s: &Status,
        kind: &str,
    ) -> Result<(), Error> {
        let me = self.account(account_id).await?;
        let n = self.inner.ids.next(self.now_ms());
        let activity = serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#{}/{n}", me.actor, kind.to_ascii_lowercase()),
            "type": kind,
            "actor": me.actor,
            "object": s.uri,
            "target": format!("{}/collections/featured", me.actor),
        });
        self.federate(
            &me,
            &serde_json::to_vec(&activity)?,
            Audience::new().followers_of(me.actor.clone()),
        )
        .await
    }

    /// Applies a remote account's `Add` (`pin`) or `Remove` of its own status to/from its
    /// `featured` collection, as Mastodon does: other targets and others' statuses are
    /// ignored; an unknown status is fetched on `Add`.
    pub(crate) async fn apply_featured(
        &self,
        account: &Account,
        target: Option<&str>,
        object: Option<&str>,
        embedded: Option<&activitypub_core::Object>,
        pin: bool,
    ) -> Result<(), Error> {
        let (Some(target), Some(uri)) = (target, object) else {
            return Ok(());
        };
        let featured = self.get_str(ns::FEATURED, &account.id.to_string()).await?;
        if featured.as_deref() != Some(target) {
            return Ok(());
        }
        let mut status = self.status_by_uri(uri).await?;
        if status.is_none() && pin {
            status = match embedded {
                Some(o) => self.ingest_remote_status(o, None).await?,
                None => {
                    let mut budget = self.budget();
                    match self.engine().fetch(uri, &mut budget).await {
                        Ok(f) => match f.document {
                            AnyObject::Object(o) => self.ingest_remote_status(&o, None).await?,
                            _ => None,
                        },
                        Err(e) => {
                            tracing::info!(%uri, error = %e, "pinned status not fetched");
                            None
                        }
                    }
                }
            };
        }
        let Some(s) = status else {
            return Ok(());
        };
        if s.account_id != account.id || s.reblog_of_id.is_some() {
            return Ok(());
        }
        let pinned = coll::pinned(account.id);
        let member = s.id.to_string();
        if pin {
            if !self.store().contains(&pinned, &member).await? {
                self.store()
                    .insert(
                        &pinned,
                        &CollectionItem::new(self.inner.ids.next(self.now_ms()), member),
                    )
                    .await?;
            }
        } else {
            self.store().remove(&pinned, &member).await?;
        }
        Ok(())
    }

    /// Replaces a remote account's pinned statuses with what its `featured` collection lists
    /// (its first [`FEATURED_SYNC_LIMIT`] items; unknown statuses fetched, embedded ones
    /// trusted only from the collection's origin), as Mastodon does when it discovers an
    /// account or the account's collection changes. The same rules as a received `Add` apply:
    /// only the account's own statuses, no boosts. Returns how many statuses are pinned.
    ///
    /// (Boxed: reading a pin can discover an account, which starts this again in a task.)
    pub fn sync_featured<'a>(
        &'a self,
        account: &'a Account,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, Error>> + Send + 'a>>
    {
        Box::pin(self.sync_featured_inner(account))
    }

    async fn sync_featured_inner(&self, account: &Account) -> Result<usize, Error> {
        let Some(url) = self.get_str(ns::FEATURED, &account.id.to_string()).await? else {
            return Ok(0);
        };
        let pinned = coll::pinned(account.id);
        // What was pinned before the collection was read: only these can be unpinned, so a
        // pin that an `Add` makes meanwhile stays.
        let before = self
            .store()
            .page(&pinned, &PageRequest::newest(FEATURED_SYNC_LIMIT * 4))
            .await?;
        let mut budget = self.budget();
        let items = self
            .engine()
            .fetch_collection_items(&url, FEATURED_SYNC_LIMIT, &mut budget)
            .await?;
        let origin = ObjectId::<activitypub_core::Object>::parse(&url)?;
        let mut listed = BTreeSet::new();
        // Oldest pin first, so that the collection's first item ends up the newest pin.
        for item in items.iter().rev() {
            let (uri, embedded) = match item {
                serde_json::Value::String(iri) => (iri.clone(), None),
                other => match serde_json::from_value::<AnyObject>(other.clone()) {
                    Ok(AnyObject::Object(o)) => {
                        let Some(id) = o.id.as_ref() else { continue };
                        let same = id.same_origin(&origin);
                        (id.as_str().to_owned(), same.then_some(o))
                    }
                    _ => continue,
                },
            };
            // One item that cannot be read (its author unknown, its server down) does not
            // stop the others.
            let pin = self.apply_featured(account, Some(&url), Some(&uri), embedded.as_ref(), true);
            if let Err(e) = pin.await {
                tracing::debug!(%uri, error = %e, "featured item skipped");
                continue;
            }
            if let Some(s) = self.status_by_uri(&uri).await? {
                if self.is_pinned(&s).await? {
                    listed.insert(s.id.to_string());
                }
            }
        }
        for member in before.members() {
            if !listed.contains(member) {
                self.store().remove(&pinned, member).await?;
            }
        }
        Ok(listed.len())
    }

    /// Whether `status` is pinned by its author.
    pub async fn is_pinned(&self, status: &Status) -> Result<bool, Error> {
        Ok(self
            .store()
            .contains(&coll::pinned(status.account_id), &status.id.to_string())
            .await?)
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

    // --- relationships ------------------------------------------------------------------

    /// Whether `a` follows `b` (accepted).
    pub async fn is_following(&self, a: u64, b: u64) -> Result<bool, Error> {
        Ok(self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(a, b))
            .await?
            .is_some_and(|f| f.accepted))
    }

    /// Whether `a` blocks `b`.
    pub async fn blocks(&self, a: u64, b: u64) -> Result<bool, Error> {
        Ok(self
            .get::<Reaction>(ns::BLOCKS, &pair(a, b))
            .await?
            .is_some())
    }

    /// Whether `a` mutes `b`.
    pub async fn mutes(&self, a: u64, b: u64) -> Result<bool, Error> {
        Ok(self
            .get::<Reaction>(ns::MUTES, &pair(a, b))
            .await?
            .is_some())
    }

    /// The relationship of `me` to `other`.
    pub async fn relationship(&self, me: u64, other: u64) -> Result<Relationship, Error> {
        let out = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(me, other))
            .await?;
        let inc = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(other, me))
            .await?;
        let other_acc = self.account(other).await?;
        Ok(Relationship {
            id: other,
            following: out.as_ref().is_some_and(|f| f.accepted),
            requested: out.as_ref().is_some_and(|f| !f.accepted),
            followed_by: inc.as_ref().is_some_and(|f| f.accepted),
            requested_by: inc.as_ref().is_some_and(|f| !f.accepted),
            blocking: self.blocks(me, other).await?,
            blocked_by: self.blocks(other, me).await?,
            muting: self.mutes(me, other).await?,
            domain_blocking: match &other_acc.domain {
                Some(d) => self.is_domain_blocked(d).await?,
                None => false,
            },
        })
    }

    /// `follower` (local) follows `target`: at once if the target is local and unlocked, as a
    /// request if locked; a remote target gets a `Follow` and the follow stays requested until
    /// its `Accept` arrives.
    pub async fn follow(&self, follower: u64, target: u64) -> Result<Relationship, Error> {
        if follower == target {
            return Err(Error::Forbidden("cannot follow yourself".into()));
        }
        if self.blocks(target, follower).await? || self.blocks(follower, target).await? {
            return Err(Error::Forbidden("blocked".into()));
        }
        let me = self.account(follower).await?;
        let them = self.account(target).await?;
        if self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?
            .is_some()
        {
            return self.relationship(follower, target).await;
        }
        let now = self.now_ms();
        let uri = format!("{}#follows/{}", me.actor, self.inner.ids.next(now));
        let auto = them.is_local() && !them.locked;
        self.record_follow(follower, target, &uri, auto).await?;
        if them.is_local() {
            let kind = if auto {
                NotificationType::Follow
            } else {
                NotificationType::FollowRequest
            };
            self.notify(target, kind, follower, None).await?;
        } else {
            let f = builder::follow(&oid(&uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
            self.federate(
                &me,
                &serde_json::to_vec(&f)?,
                Audience::new().actor(them.actor.clone()),
            )
            .await?;
        }
        self.relationship(follower, target).await
    }

    /// Records a follow (pending or accepted) and, when accepted, the collections.
    pub(crate) async fn record_follow(
        &self,
        follower: u64,
        target: u64,
        uri: &str,
        accepted: bool,
    ) -> Result<(), Error> {
        let now = self.now_ms();
        let rec = FollowRecord {
            uri: uri.to_owned(),
            accepted,
            created_at: now,
        };
        let mut batch = WriteBatch::new()
            .kv_put(
                ns::FOLLOWS,
                pair(follower, target),
                serde_json::to_vec(&rec)?,
            )
            .kv_put(ns::FOLLOW_BY_URI, uri.to_owned(), pair(follower, target));
        if accepted {
            batch = self.accepted_batch(batch, follower, target, now).await?;
        } else {
            batch = batch.insert(
                coll::requests(target),
                self.inner.ids.next(now),
                follower.to_string(),
            );
        }
        self.store().apply(&batch).await?;
        Ok(())
    }

    async fn accepted_batch(
        &self,
        mut batch: WriteBatch,
        follower: u64,
        target: u64,
        now: u64,
    ) -> Result<WriteBatch, Error> {
        let key = self.inner.ids.next(now);
        batch = batch
            .insert(coll::followers(target), key, follower.to_string())
            .insert(coll::following(follower), key, target.to_string())
            .remove(coll::requests(target), follower.to_string());
        let t = self.account(target).await?;
        let f = self.account(follower).await?;
        if t.is_local() && !f.is_local() {
            // The engine delivers to the followers in this collection.
            batch = batch.insert(
                activitypub_core::engine::delivery::followers_collection(&t.actor),
                key,
                f.actor.clone(),
            );
        }
        Ok(batch)
    }

    /// Marks a pending follow accepted.
    pub(crate) async fn accept_follow_record(
        &self,
        follower: u64,
        target: u64,
    ) -> Result<bool, Error> {
        let Some(mut rec) = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?
        else {
            return Ok(false);
        };
        if rec.accepted {
            return Ok(false);
        }
        rec.accepted = true;
        let now = self.now_ms();
        let batch = WriteBatch::new().kv_put(
            ns::FOLLOWS,
            pair(follower, target),
            serde_json::to_vec(&rec)?,
        );
        let batch = self.accepted_batch(batch, follower, target, now).await?;
        self.store().apply(&batch).await?;
        Ok(true)
    }

    /// Removes a follow (pending or accepted) from every list.
    pub(crate) async fn remove_follow_record(
        &self,
        follower: u64,
        target: u64,
    ) -> Result<Option<FollowRecord>, Error> {
        let rec = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?;
        let Some(rec) = rec else { return Ok(None) };
        let mut batch = WriteBatch::new()
            .kv_delete(ns::FOLLOWS, pair(follower, target))
            .kv_delete(ns::FOLLOW_BY_URI, rec.uri.clone())
            .remove(coll::followers(target), follower.to_string())
            .remove(coll::following(follower), target.to_string())
            .remove(coll::requests(target), follower.to_string());
        if let (Ok(t), Ok(f)) = (self.account(target).await, self.account(follower).await) {
            if t.is_local() {
                batch = batch.remove(
                    activitypub_core::engine::delivery::followers_collection(&t.actor),
                    f.actor,
                );
            }
        }
        self.store().apply(&batch).await?;
        Ok(Some(rec))
    }

    /// Unfollows (or withdraws a request): an `Undo` of the `Follow` to a remote target.
    pub async fn unfollow(&self, follower: u64, target: u64) -> Result<Relationship, Error> {
        let me = self.account(follower).await?;
        let them = self.account(target).await?;
        if let Some(rec) = self.remove_follow_record(follower, target).await? {
            if !them.is_local() {
                let f = builder::follow(&oid(&rec.uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
                let undo = builder::undo(&oid(&format!("{}/undo", rec.uri))?, &oid(&me.actor)?, f);
                self.federate(
                    &me,
                    &serde_json::to_vec(&undo)?,
                    Audience::new().actor(them.actor),
                )
                .await?;
            }
        }
        self.relationship(follower, target).await
    }

    /// Accepts a pending follow request to local account `target`.
    pub async fn authorize_follow(
        &self,
        target: u64,
        follower: u64,
    ) -> Result<Relationship, Error> {
        let rec = self
            .get::<FollowRecord>(ns::FOLLOWS, &pair(follower, target))
            .await?
            .ok_or_else(|| Error::NotFound("follow request".into()))?;
        self.accept_follow_record(follower, target).await?;
        let me = self.account(target).await?;
        let them = self.account(follower).await?;
        self.notify(target, NotificationType::Follow, follower, None)
            .await?;
        if !them.is_local() {
            self.send_accept(&me, &them, &rec.uri, true).await?;
        }
        self.relationship(target, follower).await
    }

    /// Rejects a pending follow request to local account `target`.
    pub async fn reject_follow(&self, target: u64, follower: u64) -> Result<Relationship, Error> {
        let rec = self
            .remove_follow_record(follower, target)
            .await?
            .ok_or_else(|| Error::NotFound("follow request".into()))?;
        let me = self.account(target).await?;
        let them = self.account(follower).await?;
        if !them.is_local() {
            self.send_accept(&me, &them, &rec.uri, false).await?;
        }
        self.relationship(target, follower).await
    }

    /// Sends an `Accept` (or `Reject`) of `follow_uri` from `me` to `them`.
    pub(crate) async fn send_accept(
        &self,
        me: &Account,
        them: &Account,
        follow_uri: &str,
        accept: bool,
    ) -> Result<(), Error> {
        let follow = builder::follow(&oid(follow_uri)?, &oid(&them.actor)?, &oid(&me.actor)?);
        let id = oid(&format!(
            "{}#{}/follows/{}",
            me.actor,
            if accept { "accepts" } else { "rejects" },
            self.inner.ids.next(self.now_ms())
        ))?;
        let a = if accept {
            builder::accept(&id, &oid(&me.actor)?, follow)
        } else {
            builder::reject(&id, &oid(&me.actor)?, follow)
        };
        self.federate(
            me,
            &serde_json::to_vec(&a)?,
            Audience::new().actor(them.actor.clone()),
        )
        .await
    }

    /// Blocks: drops follows both ways and sends a `Block` to a remote account.
    pub async fn block(&self, me_id: u64, target: u64) -> Result<Relationship, Error> {
        let me = self.account(me_id).await?;
        let them = self.account(target).await?;
        self.remove_follow_record(me_id, target).await?;
        self.remove_follow_record(target, me_id).await?;
        let now = self.now_ms();
        let uri = format!("{}#blocks/{}", me.actor, self.inner.ids.next(now));
        let batch = WriteBatch::new()
            .kv_put(
                ns::BLOCKS,
                pair(me_id, target),
                serde_json::to_vec(&Reaction {
                    uri: Some(uri.clone()),
                    created_at: now,
                })?,
            )
            .insert(
                coll::blocks(me_id),
                self.inner.ids.next(now),
                target.to_string(),
            );
        self.store().apply(&batch).await?;
        if !them.is_local() {
            let b = builder::block(&oid(&uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
            self.federate(
                &me,
                &serde_json::to_vec(&b)?,
                Audience::new().actor(them.actor),
            )
            .await?;
        }
        self.relationship(me_id, target).await
    }

    /// Unblocks (an `Undo` of the `Block` to a remote account).
    pub async fn unblock(&self, me_id: u64, target: u64) -> Result<Relationship, Error> {
        let me = self.account(me_id).await?;
        let them = self.account(target).await?;
        if let Some(r) = self
            .get::<Reaction>(ns::BLOCKS, &pair(me_id, target))
            .await?
        {
            let batch = WriteBatch::new()
                .kv_delete(ns::BLOCKS, pair(me_id, target))
                .remove(coll::blocks(me_id), target.to_string());
            self.store().apply(&batch).await?;
            if let (Some(uri), false) = (r.uri, them.is_local()) {
                let b = builder::block(&oid(&uri)?, &oid(&me.actor)?, &oid(&them.actor)?);
                let undo = builder::undo(&oid(&format!("{uri}/undo"))?, &oid(&me.actor)?, b);
                self.federate(
                    &me,
                    &serde_json::to_vec(&undo)?,
                    Audience::new().actor(them.actor),
                )
                .await?;
            }
        }
        self.relationship(me_id, target).await
    }

    /// Mutes (local only).
    pub async fn mute(&self, me_id: u64, target: u64) -> Result<Relationship, Error> {
        let now = self.now_ms();
        let batch = WriteBatch::new()
            .kv_put(
                ns::MUTES,
                pair(me_id, target),
                serde_json::to_vec(&Reaction {
                    uri: None,
                    created_at: now,
                })?,
            )
            .insert(
                coll::mutes(me_id),
                self.inner.ids.next(now),
                target.to_string(),
            );
        self.store().apply(&batch).await?;
        self.relationship(me_id, target).await
    }

    /// Unmutes.
    pub async fn unmute(&self, me_id: u64, target: u64) -> Result<Relationship, Error> {
        let batch = WriteBatch::new()
            .kv_delete(ns::MUTES, pair(me_id, target))
            .remove(coll::mutes(me_id), target.to_string());
        self.store().apply(&batch).await?;
        self.relationship(me_id, target).await
    }

    // --- domain blocks --------------------------------------------------------------------

    /// Blocks a domain instance-wide: its activities are refused (403) and nothing is
    /// delivered to it.
    pub async fn block_domain(&self, domain: &str) -> Result<bool, Error> {
        let d = domain.trim().to_lowercase();
        if d.is_empty() {
            return Err(Error::BadRequest("empty domain".into()));
        }
        let existed = self
            .get::<DomainBlock>(ns::DOMAIN_BLOCKS, &d)
            .await?
            .is_some();
        self.put(
            ns::DOMAIN_BLOCKS,
            &d,
            &DomainBlock {
                domain: d.clone(),
                created_at: self.now_ms(),
            },
        )
        .await?;
        // As Mastodon's suspension: follows between local accounts and the domain's accounts
        // end, so nothing more is delivered there (federate() also drops such recipients).
        let mut after: Option<Vec<u8>> = None;
        loop {
            let rows = self
                .store()
                .kv_scan(ns::ACCOUNTS, b"", after.as_deref(), 500)
                .await?;
            let n = rows.len();
            for (_, v) in &rows {
                let Ok(acc) = serde_json::from_slice::<Account>(v) else {
                    continue;
                };
                let Some(host) = acc.domain.as_deref() else {
                    continue;
                };
                if !self.is_domain_blocked(host).await? {
                    continue;
                }
                for f in self
                    .store()
                    .all_members(&coll::following(acc.id), 1000)
                    .await?
                {
                    if let Ok(t) = f.member.parse() {
                        self.remove_follow_record(acc.id, t).await?;
                    }
                }
                for f in self
                    .store()
                    .all_members(&coll::followers(acc.id), 1000)
                    .await?
                {
                    if let Ok(t) = f.member.parse() {
                        self.remove_follow_record(t, acc.id).await?;
                    }
                }
            }
            match rows.into_iter().last() {
                Some((k, _)) if n == 500 => after = Some(k),
                _ => break,
            }
        }
        Ok(!existed)
    }

    /// Lifts a domain block.
    pub async fn unblock_domain(&self, domain: &str) -> Result<bool, Error> {
        Ok(self
            .store()
            .kv_delete(ns::DOMAIN_BLOCKS, domain.trim().to_lowercase().as_bytes())
            .await?)
    }

    /// Every blocked domain.
    pub async fn domain_blocks(&self) -> Result<Vec<DomainBlock>, Error> {
        let rows = self
            .store()
            .kv_scan(ns::DOMAIN_BLOCKS, b"", None, 100_000)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
            .collect())
    }

    /// Whether `host` (or a parent domain of it) is blocked.
    pub async fn is_domain_blocked(&self, host: &str) -> Result<bool, Error> {
        let host = host.to_lowercase();
        let bare = host.split(':').next().unwrap_or(&host).to_owned();
        let mut candidates = vec![host.clone(), bare.clone()];
        let mut rest = bare.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            candidates.push(parent.to_owned());
            rest = parent;
        }
        for c in candidates {
            if self
                .get::<DomainBlock>(ns::DOMAIN_BLOCKS, &c)
                .await?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    // --- notifications and timelines -----------------------------------------------------

    /// Notifies local account `account_id` (unless it blocks or mutes `from`).
    pub(crate) async fn notify(
        &self,
        account_id: u64,
        kind: NotificationType,
        from: u64,
        status_id: Option<u64>,
    ) -> Result<(), Error> {
        let Ok(acc) = self.account(account_id).await else {
            return Ok(());
        };
        if !acc.is_local() || account_id == from {
            return Ok(());
        }
        if self.blocks(account_id, from).await? || self.mutes(account_id, from).await? {
            return Ok(());
        }
        let now = self.now_ms();
        let n = Notification {
            id: self.inner.ids.next(now),
            kind,
            account_id,
            from_account_id: from,
            status_id,
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(ns::NOTIFICATIONS, n.id.to_string(), serde_json::to_vec(&n)?)
            .insert(coll::notifications(account_id), n.id, n.id.to_string());
        self.store().apply(&batch).await?;
        self.emit(Event::Notification {
            account_id,
            notification_id: n.id,
        });
        Ok(())
    }

    /// A notification of `account_id`.
    pub async fn notification(&self, account_id: u64, id: u64) -> Result<Notification, Error> {
        let n: Notification = self
            .get(ns::NOTIFICATIONS, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("notification {id}")))?;
        if n.account_id != account_id {
            return Err(Error::NotFound(format!("notification {id}")));
        }
        Ok(n)
    }

    /// A page of `account_id`'s notifications.
    pub async fn notifications(
        &self,
        account_id: u64,
        req: &PageRequest,
    ) -> Result<Vec<Notification>, Error> {
        let page = self
            .store()
            .page(&coll::notifications(account_id), req)
            .await?;
        let mut out = Vec::new();
        for item in page.items {
            if let Some(n) = self
                .get::<Notification>(ns::NOTIFICATIONS, &item.member)
                .await?
            {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// Dismisses one notification.
    pub async fn dismiss_notification(&self, account_id: u64, id: u64) -> Result<(), Error> {
        self.notification(account_id, id).await?;
        let batch = WriteBatch::new()
            .kv_delete(ns::NOTIFICATIONS, id.to_string())
            .remove(coll::notifications(account_id), id.to_string());
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Dismisses every notification.
    pub async fn clear_notifications(&self, account_id: u64) -> Result<(), Error> {
        for item in self
            .store()
            .all_members(&coll::notifications(account_id), 500)
            .await?
        {
            let batch = WriteBatch::new()
                .kv_delete(ns::NOTIFICATIONS, item.member.clone())
                .remove(coll::notifications(account_id), item.member);
            self.store().apply(&batch).await?;
        }
        Ok(())
    }

    /// A page of a collection of statuses, keeping those `viewer` may see (and, for a viewer,
    /// not from accounts it blocks or mutes). Returns the statuses and the raw page (for
    /// `Link` headers).
    pub async fn statuses_page(
        &self,
        collection: &str,
        req: &PageRequest,
        viewer: Option<u64>,
    ) -> Result<(Vec<Status>, Page), Error> {
        let page = self.store().page(collection, req).await?;
        let mut out = Vec::with_capacity(page.items.len());
        // Blocks and mutes are checked once per author, not once per status.
        let mut hidden: std::collections::HashMap<u64, bool> = std::collections::HashMap::new();
        for item in &page.items {
            let Ok(id) = item.member.parse::<u64>() else {
                continue;
            };
            let Ok(s) = self.status(id).await else {
                continue;
            };
            if let Some(v) = viewer {
                if s.account_id != v {
                    let hide = match hidden.get(&s.account_id) {
                        Some(h) => *h,
                        None => {
                            let h = self.blocks(v, s.account_id).await?
                                || self.mutes(v, s.account_id).await?;
                            hidden.insert(s.account_id, h);
                            h
                        }
                    };
                    if hide {
                        continue;
                    }
                }
            }
            if self.can_view(&s, viewer).await? {
                out.push(s);
            }
        }
        Ok((out, page))
    }

    /// Counts for an account: statuses, followers, following.
    pub async fn account_counts(&self, account_id: u64) -> Result<(u64, u64, u64), Error> {
        let s = self.store();
        Ok((
            s.count(&coll::statuses_of(account_id)).await?,
            s.count(&coll::followers(account_id)).await?,
            s.count(&coll::following(account_id)).await?,
        ))
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

    /// Whether `account_id` favourited / reblogged `status_id`.
    pub async fn viewer_flags(
        &self,
        account_id: u64,
        status_id: u64,
    ) -> Result<(bool, bool), Error> {
        Ok((
            self.get::<Reaction>(ns::FAVOURITES, &pair(account_id, status_id))
                .await?
                .is_some(),
            self.get_str(ns::REBLOGS, &pair(account_id, status_id))
                .await?
                .is_some(),
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

/// Hashes a password with Argon2id (PHC string).
pub fn hash_password(password: &str) -> Result<String, Error> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Config(format!("password hashing failed: {e}")))
}

/// Checks a password against a PHC string.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
