//! The federation endpoints: WebFinger, host-meta, NodeInfo, actors, inboxes, collections
//! and status objects, with signed fetches and authorized-fetch mode.

use std::collections::HashMap;

use activitypub_core::builder::{OrderedCollectionBuilder, OrderedCollectionPageBuilder};
use activitypub_core::engine::InboxTarget;
use activitypub_core::nodeinfo::{Discovery, NodeInfo, Usage, Users};
use activitypub_core::{AnyObject, Collection, ObjectId, Reference};
use bytes::Bytes;
use fedi_storage::PageRequest;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::signed::{signer, Signer};
use super::{json_error, response, AP_CONTENT_TYPE};
use crate::app::activitypub::rfc3339;
use crate::app::model::id_time;
use crate::app::List;
use crate::app::{Account, App, Status, StatusVisibility};
use crate::config::Registrations;

const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
const OUTBOX_PAGE: usize = 20;
const FOLLOWS_PAGE: usize = 40;

/// The federation endpoints over one instance.
pub(crate) struct Federation<'a> {
    app: &'a App,
}

/// An ActivityPub answer.
pub(crate) fn ap(status: StatusCode, value: &Value) -> Response<Bytes> {
    let mut r = response(status, AP_CONTENT_TYPE, value.to_string());
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    r
}

fn not_found() -> Response<Bytes> {
    json_error(StatusCode::NOT_FOUND, "Record not found")
}

fn internal(e: &crate::Error) -> Response<Bytes> {
    tracing::warn!(error = %e, "request failed");
    let status = e.status();
    if status == StatusCode::NOT_FOUND {
        return not_found();
    }
    json_error(status, &e.to_string())
}

fn query_map(q: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

impl<'a> Federation<'a> {
    pub(crate) fn new(app: &'a App) -> Self {
        Federation { app }
    }

    /// A local, live account by username (not suspended: a suspended account's collections
    /// and statuses answer `404`).
    async fn local(&self, name: &str) -> Option<Account> {
        self.local_any(name)
            .await
            .filter(|a| !a.deleted && !a.is_suspended())
    }

    /// A local account by username, suspended or deleted too.
    async fn local_any(&self, name: &str) -> Option<Account> {
        if name.is_empty() || name.contains('@') {
            return None;
        }
        match self.app.account_by_acct(name).await {
            // An account waiting for approval is not served (Mastodon's
            // `check_account_approval`).
            Ok(Some(a)) if a.is_local() => match self.app.is_pending(a.id).await {
                Ok(false) => Some(a),
                _ => None,
            },
            _ => None,
        }
    }

    /// Who signed the request; in authorized-fetch mode, `Err(401)` unless someone did.
    async fn gate(&self, request: &Request<Bytes>) -> Result<Signer, Response<Bytes>> {
        let s = signer(self.app, request).await;
        if self.app.config().authorized_fetch {
            return match s {
                Signer::Actor(_) => Ok(s),
                Signer::Anonymous => {
                    Err(json_error(StatusCode::UNAUTHORIZED, "Request not signed"))
                }
                Signer::Invalid(e) => Err(json_error(
                    StatusCode::UNAUTHORIZED,
                    &format!("Verification failed: {e}"),
                )),
            };
        }
        Ok(match s {
            Signer::Invalid(_) => Signer::Anonymous,
            s => s,
        })
    }

    // --- discovery --------------------------------------------------------------------

    pub(crate) async fn webfinger(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let found = match webfinger::server::Query::parse(request.uri().query()) {
            Ok(q) => {
                // A deleted account: `410`, as Mastodon's `check_account_suspension` answers
                // for an account permanently unavailable (its name stays taken).
                if self.names_deleted_account(&q.resource).await {
                    return json_error(StatusCode::GONE, "Gone");
                }
                self.describe(&q.resource).await
            }
            Err(_) => None,
        };
        webfinger::server::respond(request, |_| found).map(Bytes::from)
    }

    /// Whether a WebFinger resource names a deleted local account.
    async fn names_deleted_account(&self, resource: &webfinger::Resource) -> bool {
        let name = match resource {
            webfinger::Resource::Acct(a)
                if a.authority()
                    .eq_ignore_ascii_case(self.app.config().domain())
                    || a.host().eq_ignore_ascii_case(self.app.config().domain()) =>
            {
                a.user().to_owned()
            }
            webfinger::Resource::Url(u) => {
                let s = u.as_str();
                match s
                    .strip_prefix(&format!("{}/users/", self.app.base()))
                    .or_else(|| s.strip_prefix(&format!("{}/@", self.app.base())))
                {
                    Some(n) => n.to_owned(),
                    None => return false,
                }
            }
            _ => return false,
        };
        self.local_any(&name).await.is_some_and(|a| a.deleted)
    }

    async fn describe(
        &self,
        resource: &webfinger::Resource,
    ) -> Option<webfinger::server::AccountDescriptor> {
        let cfg = self.app.config();
        let base = url::Url::parse(self.app.base()).ok()?;
        let host = base.host_str()?.to_owned();
        let instance_actor = format!("{}/actor", self.app.base());
        let account = match resource {
            webfinger::Resource::Acct(a) => {
                if !a.authority().eq_ignore_ascii_case(cfg.domain())
                    && !a.host().eq_ignore_ascii_case(cfg.domain())
                {
                    return None;
                }
                if a.user().eq_ignore_ascii_case(&host) {
                    None
                } else {
                    Some(self.local_any(a.user()).await.filter(|a| !a.deleted)?)
                }
            }
            webfinger::Resource::Url(u) => {
                let s = u.as_str();
                if s == instance_actor {
                    None
                } else {
                    let name = s
                        .strip_prefix(&format!("{}/users/", self.app.base()))
                        .or_else(|| s.strip_prefix(&format!("{}/@", self.app.base())))?;
                    Some(self.local_any(name).await.filter(|a| !a.deleted)?)
                }
            }
            _ => return None,
        };
        match account {
            Some(a) => {
                let subject = webfinger::Account::new(&a.username, cfg.domain()).ok()?;
                Some(
                    webfinger::server::AccountDescriptor::new(
                        subject,
                        url::Url::parse(&a.actor).ok()?,
                    )
                    .with_profile_page(url::Url::parse(&a.url).ok()?)
                    .with_subscribe_template(format!(
                        "{}/authorize_interaction?uri={{uri}}",
                        self.app.base()
                    )),
                )
            }
            None => {
                let subject = webfinger::Account::new(&host, cfg.domain()).ok()?;
                Some(
                    webfinger::server::AccountDescriptor::new(
                        subject,
                        url::Url::parse(&instance_actor).ok()?,
                    )
                    .with_profile_page(
                        url::Url::parse(&format!(
                            "{}/about/more?instance_actor=true",
                            self.app.base()
                        ))
                        .ok()?,
                    ),
                )
            }
        }
    }

    pub(crate) fn host_meta(&self, json: bool) -> Response<Bytes> {
        let Ok(base) = url::Url::parse(self.app.base()) else {
            return not_found();
        };
        let r = if json {
            webfinger::server::host_meta_json_response(&base)
        } else {
            webfinger::server::host_meta_response(&base)
        };
        r.map(Bytes::from)
    }

    pub(crate) fn nodeinfo_discovery(&self) -> Response<Bytes> {
        let base = self.app.base();
        let d = Discovery::new(
            &format!("{base}/nodeinfo/2.1"),
            Some(&format!("{base}/nodeinfo/2.0")),
        );
        let body = serde_json::to_string(&d).unwrap_or_default();
        response(StatusCode::OK, super::JSON_CONTENT_TYPE, body)
    }

    pub(crate) async fn nodeinfo(&self, version: &str) -> Response<Bytes> {
        let cfg = self.app.config();
        let mut n = NodeInfo::new_2_1(
            "woolly",
            env!("CARGO_PKG_VERSION"),
            cfg.registrations != Registrations::Closed,
        );
        let (users, active_month, active_halfyear, posts) = match self.usage().await {
            Ok(u) => u,
            Err(e) => return internal(&e),
        };
        let mut u = Users::default();
        u.total = Some(users);
        u.active_month = Some(active_month);
        u.active_halfyear = Some(active_halfyear);
        let mut usage = Usage::default();
        usage.users = Some(u);
        usage.local_posts = Some(posts);
        n.usage = Some(usage);
        let mut meta = serde_json::Map::new();
        meta.insert("nodeName".into(), Value::String(cfg.title.clone()));
        n.metadata = Some(meta);
        let content_type = if version == "2.0" {
            n.version = Some("2.0".into());
            if let Some(s) = n.software.as_mut() {
                s.repository = None;
                s.homepage = None;
            }
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\""
        } else {
            if let Some(s) = n.software.as_mut() {
                s.repository =
                    Some(env!("CARGO_PKG_REPOSITORY").to_owned()).filter(|r| !r.is_empty());
            }
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\""
        };
        let body = serde_json::to_string(&n).unwrap_or_default();
        let mut r = Response::new(Bytes::from(body));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        r
    }

    /// Local users, active in the last 30 and 180 days, local statuses.
    async fn usage(&self) -> Result<(u64, u64, u64, u64), crate::Error> {
        let now = self.app.now().as_unix_millis();
        let month = now.saturating_sub(30 * 24 * 3600 * 1000);
        let halfyear = now.saturating_sub(180 * 24 * 3600 * 1000);
        let (mut users, mut m, mut h, mut posts) = (0, 0, 0, 0);
        for a in self.app.local_accounts().await? {
            if a.deleted {
                continue;
            }
            users += 1;
            let c = List::StatusesOf(a.id);
            posts += self.app.count(&c).await?;
            let newest = self.app.page(&c, &PageRequest::newest(1)).await?;
            if let Some(item) = newest.items.first() {
                let t = id_time(item.key);
                if t >= month {
                    m += 1;
                }
                if t >= halfyear {
                    h += 1;
                }
            }
        }
        Ok((users, m, h, posts))
    }

    // --- actors -----------------------------------------------------------------------

    pub(crate) async fn instance_actor(&self) -> Response<Bytes> {
        match self.app.engine().instance_actor_document().await {
            Ok(a) => ap(StatusCode::OK, &to_value(&a)),
            Err(e) => internal(&e.into()),
        }
    }

    /// The instance actor posts nothing: an empty collection.
    pub(crate) fn instance_outbox(&self) -> Response<Bytes> {
        match oid(&format!("{}/actor/outbox", self.app.base())) {
            Ok(id) => collection(OrderedCollectionBuilder::new(&id).ordered_items([]).build()),
            Err(e) => internal(&e),
        }
    }

    pub(crate) async fn actor(&self, request: &Request<Bytes>, name: &str) -> Response<Bytes> {
        let Some(account) = self.local_any(name).await else {
            return not_found();
        };
        if account.deleted {
            // Its data was deleted (after a suspension): gone, as Mastodon answers.
            return json_error(StatusCode::GONE, "Gone");
        }
        if let Err(r) = self.gate(request).await {
            return r;
        }
        match self.app.actor_document(&account).await {
            Ok(a) => ap(StatusCode::OK, &to_value(&a)),
            Err(e) => internal(&e),
        }
    }

    /// `/emojis/{shortcode}`: the `Emoji` a local toot's tag names by its `id`, as Mastodon
    /// serves `/emojis/{id}` (404 for an unknown shortcode).
    pub(crate) async fn emoji(&self, request: &Request<Bytes>, shortcode: &str) -> Response<Bytes> {
        if let Err(r) = self.gate(request).await {
            return r;
        }
        match self.app.local_emoji_document(shortcode).await {
            Ok(Some(doc)) => ap(StatusCode::OK, &to_value(&doc)),
            Ok(None) => not_found(),
            Err(e) => internal(&e),
        }
    }

    // --- inboxes ----------------------------------------------------------------------

    pub(crate) async fn shared_inbox(&self, request: Request<Bytes>) -> Response<Bytes> {
        self.inbox(request, InboxTarget::Shared).await
    }

    pub(crate) async fn actor_inbox(&self, request: Request<Bytes>, name: &str) -> Response<Bytes> {
        let iri = match self.local(name).await {
            Some(a) => a.actor,
            None => self.app.actor_iri(name),
        };
        self.inbox(request, InboxTarget::Actor(iri)).await
    }

    /// The engine's inbox behind the per-host throttle: a delivery from a host whose bucket
    /// is empty gets `429` with `Retry-After` before any work is done (one map lookup by the
    /// host its signature names); an accepted one is taken from its verified actor's bucket.
    async fn inbox(&self, request: Request<Bytes>, target: InboxTarget) -> Response<Bytes> {
        let limits = self.app.limits();
        let throttled = limits.enabled() && limits.inbox.is_on();
        if throttled {
            if let Some(host) = crate::limits::bucket::signature_host(request.headers()) {
                if let Err(seconds) = limits.inbox.check(&host, self.app.now_ms()) {
                    tracing::info!(%host, seconds, "inbox delivery throttled");
                    let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                    return r;
                }
            }
        }
        match self.app.engine().receive(request, target).await {
            Ok(accepted) => {
                if throttled {
                    limits
                        .inbox
                        .charge(&crate::app::host_of(&accepted.actor), self.app.now_ms());
                }
                let mut r = Response::new(Bytes::new());
                *r.status_mut() = StatusCode::ACCEPTED;
                r
            }
            Err(e) => e.to_response(),
        }
    }

    // --- collections ------------------------------------------------------------------

    pub(crate) async fn outbox(&self, request: &Request<Bytes>, name: &str) -> Response<Bytes> {
        let Some(account) = self.local(name).await else {
            return not_found();
        };
        if let Err(r) = self.gate(request).await {
            return r;
        }
        let id = format!("{}/outbox", account.actor);
        let q = query_map(request.uri().query());
        let list = List::StatusesOf(account.id);
        if !q.contains_key("page") {
            let total = match self.app.count(&list).await {
                Ok(n) => n,
                Err(e) => return internal(&e),
            };
            let links = (
                oid(&id),
                oid(&format!("{id}?page=true")),
                oid(&format!("{id}?min_id=0&page=true")),
            );
            let (id, first, last) = match links {
                (Ok(id), Ok(first), Ok(last)) => (id, first, last),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return internal(&e),
            };
            return collection(
                OrderedCollectionBuilder::new(&id)
                    .total_items(total)
                    .first(&first)
                    .last(&last)
                    .build(),
            );
        }
        let req = page_request(&q, OUTBOX_PAGE);
        let (statuses, page) = match self.app.statuses_page(&list, &req, None).await {
            Ok(p) => p,
            Err(e) => return internal(&e),
        };
        let mut items = Vec::with_capacity(statuses.len());
        for s in &statuses {
            let doc = if s.reblog_of_id.is_some() {
                self.app.announce_document(s).await
            } else {
                self.app.create_document(s).await
            };
            match doc {
                Ok(d) => items.push(Reference::Object(Box::new(d.into()))),
                Err(e) => tracing::debug!(status = s.id, error = %e, "outbox item skipped"),
            }
        }
        match collection_page(&id, request.uri().query(), &page, req.limit) {
            Ok(p) => collection(p.ordered_items(items).build()),
            Err(e) => internal(&e),
        }
    }

    pub(crate) async fn follows(
        &self,
        request: &Request<Bytes>,
        name: &str,
        which: &str,
    ) -> Response<Bytes> {
        let Some(account) = self.local(name).await else {
            return not_found();
        };
        if let Err(r) = self.gate(request).await {
            return r;
        }
        let id = format!("{}/{which}", account.actor);
        let list = if which == "followers" {
            List::Followers(account.id)
        } else {
            List::Following(account.id)
        };
        let q = query_map(request.uri().query());
        if !q.contains_key("page") {
            let total = match self.app.count(&list).await {
                Ok(n) => n,
                Err(e) => return internal(&e),
            };
            let (id, first) = match (oid(&id), oid(&format!("{id}?page=true"))) {
                (Ok(id), Ok(first)) => (id, first),
                (Err(e), _) | (_, Err(e)) => return internal(&e),
            };
            return collection(
                OrderedCollectionBuilder::new(&id)
                    .total_items(total)
                    .first(&first)
                    .build(),
            );
        }
        let req = page_request(&q, FOLLOWS_PAGE);
        let page = match self.app.page(&list, &req).await {
            Ok(p) => p,
            Err(e) => return internal(&e),
        };
        let mut items = Vec::with_capacity(page.items.len());
        for item in &page.items {
            if let Ok(aid) = item.member.parse::<u64>() {
                if let Ok(a) = self.app.account(aid).await {
                    if let (false, Ok(actor)) = (a.deleted, oid(&a.actor)) {
                        items.push(Reference::Id(actor));
                    }
                }
            }
        }
        let mut body = match collection_page(&id, request.uri().query(), &page, req.limit) {
            Ok(p) => p.ordered_items(items),
            Err(e) => return internal(&e),
        };
        if let Ok(total) = self.app.count(&list).await {
            body = body.total_items(total);
        }
        collection(body.build())
    }

    pub(crate) async fn featured(&self, request: &Request<Bytes>, name: &str) -> Response<Bytes> {
        let Some(account) = self.local(name).await else {
            return not_found();
        };
        if let Err(r) = self.gate(request).await {
            return r;
        }
        let members = match self.app.all_members(&List::Pinned(account.id), 100).await {
            Ok(m) => m,
            Err(e) => return internal(&e),
        };
        let mut items = Vec::new();
        for m in members {
            let Ok(id) = m.member.parse::<u64>() else {
                continue;
            };
            let Ok(s) = self.app.status(id).await else {
                continue;
            };
            if s.reblog_of_id.is_some() || s.visibility == StatusVisibility::Direct {
                continue;
            }
            // As Mastodon: public and unlisted pins embedded, followers-only ones by id only
            // (who may see them fetches them with a signature).
            if !s.visibility.is_boostable() {
                if let Ok(uri) = oid(&s.uri) {
                    items.push(Reference::Id(uri));
                }
            } else if let Ok(note) = self.app.note_document(&s).await {
                items.push(Reference::Object(Box::new(note.into())));
            }
        }
        match oid(&format!("{}/collections/featured", account.actor)) {
            Ok(id) => collection(
                OrderedCollectionBuilder::new(&id)
                    .ordered_items(items)
                    .build(),
            ),
            Err(e) => internal(&e),
        }
    }

    // --- statuses ---------------------------------------------------------------------

    /// A status object (`activity`: its `Create`, or the `Announce` of a reblog). Deleted:
    /// `410` with a `Tombstone`. Followers-only and direct: only to signed fetches by actors
    /// allowed to see it, else `404`.
    pub(crate) async fn status(
        &self,
        request: &Request<Bytes>,
        name: &str,
        id: &str,
        activity: bool,
    ) -> Response<Bytes> {
        let Ok(id) = id.parse::<u64>() else {
            return not_found();
        };
        let Some(account) = self.local(name).await else {
            // A deleted account's statuses are gone too (their tombstones once its data is
            // removed, a plain `410` before), as Mastodon answers for an account
            // permanently unavailable.
            return match self.local_any(name).await {
                Some(a) if a.deleted => match self.gone_or_missing(&a, id).await {
                    r if r.status() == StatusCode::GONE => r,
                    _ => json_error(StatusCode::GONE, "Gone"),
                },
                _ => not_found(),
            };
        };
        let signer = match self.gate(request).await {
            Ok(s) => s,
            Err(r) => return r,
        };
        let status: Status = match self.app.status(id).await {
            Ok(s) if s.local && s.account_id == account.id => s,
            Ok(_) => return not_found(),
            Err(e) if e.is_not_found() => return self.gone_or_missing(&account, id).await,
            Err(e) => return internal(&e),
        };
        if !matches!(
            status.visibility,
            StatusVisibility::Public | StatusVisibility::Unlisted
        ) {
            match self.app.can_fetch(&status, signer.actor()).await {
                Ok(true) => {}
                Ok(false) => return not_found(),
                Err(e) => return internal(&e),
            }
        }
        let doc = if status.reblog_of_id.is_some() {
            self.app
                .announce_document(&status)
                .await
                .map(|a| to_value(&a))
        } else if activity {
            self.app
                .create_document(&status)
                .await
                .map(|a| to_value(&a))
        } else {
            self.app
                .status_document(&status)
                .await
                .map(|a| to_value(&a))
        };
        match doc {
            Ok(mut v) => {
                if v.get("@context").is_none() {
                    if let Some(o) = v.as_object_mut() {
                        let mut with = serde_json::Map::new();
                        with.insert("@context".into(), Value::String(AS_CONTEXT.into()));
                        with.extend(std::mem::take(o));
                        *o = with;
                    }
                }
                let mut r = ap(StatusCode::OK, &v);
                if !status.visibility.is_boostable() {
                    r.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
                }
                r
            }
            Err(e) => internal(&e),
        }
    }

    /// A `QuoteAuthorization` this instance gave for a quote of one of its posts (public, as
    /// Mastodon serves them); 404 when there is none.
    pub(crate) async fn quote_authorization(
        &self,
        name: &str,
        id: &str,
        qid: &str,
    ) -> Response<Bytes> {
        let Some(account) = self.local(name).await else {
            return not_found();
        };
        let (Ok(id), Ok(qid)) = (id.parse::<u64>(), qid.parse::<u64>()) else {
            return not_found();
        };
        match self
            .app
            .quote_authorization_document(&account, id, qid)
            .await
        {
            Ok(Some(doc)) => ap(StatusCode::OK, &doc),
            Ok(None) => not_found(),
            Err(e) => internal(&e),
        }
    }

    async fn gone_or_missing(&self, account: &Account, id: u64) -> Response<Bytes> {
        let iri = self.app.status_iri(&account.username, id);
        match self.app.store().tombstone(&iri).await {
            Ok(Some(t)) => ap(
                StatusCode::GONE,
                &json!({
                    "@context": AS_CONTEXT,
                    "id": iri,
                    "type": "Tombstone",
                    "formerType": t.former_type.as_deref().unwrap_or("Note"),
                    "deleted": rfc3339(t.deleted_at.as_unix_millis()),
                }),
            ),
            Ok(None) => not_found(),
            Err(e) => internal(&e.into()),
        }
    }
}

fn page_request(q: &HashMap<String, String>, limit: usize) -> PageRequest {
    let mut req = PageRequest::newest(limit);
    req.max_id = q.get("max_id").and_then(|v| v.parse().ok());
    req.min_id = q.get("min_id").and_then(|v| v.parse().ok());
    req.since_id = q.get("since_id").and_then(|v| v.parse().ok());
    req
}

/// A collection or page as the answer.
fn collection(c: Collection) -> Response<Bytes> {
    ap(StatusCode::OK, &to_value(&c))
}

/// An id built from this server's base URL (which the configuration made a valid one).
fn oid(iri: &str) -> Result<ObjectId<AnyObject>, crate::Error> {
    ObjectId::parse(iri).map_err(|e| crate::Error::Config(format!("{iri} is not a valid id: {e}")))
}

/// An `OrderedCollectionPage` of `collection` (its id echoes the query) with `next` (older)
/// and `prev` (newer) links; the caller adds the items.
fn collection_page(
    collection: &str,
    query: Option<&str>,
    page: &fedi_storage::Page,
    limit: usize,
) -> Result<OrderedCollectionPageBuilder, crate::Error> {
    let id = oid(&format!("{collection}?{}", query.unwrap_or("page=true")))
        .map_err(|e| crate::Error::BadRequest(e.to_string()))?;
    let mut b = OrderedCollectionPageBuilder::new(&id, &oid(collection)?);
    if page.items.len() >= limit {
        if let Some(max) = page.next_max_id() {
            b = b.next(&oid(&format!("{collection}?max_id={max}&page=true"))?);
        }
    }
    if let Some(min) = page.prev_min_id() {
        b = b.prev(&oid(&format!("{collection}?min_id={min}&page=true"))?);
    }
    Ok(b)
}
