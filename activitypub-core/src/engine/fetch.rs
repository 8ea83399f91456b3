//! Fetching remote documents: signed GETs by the instance actor, size cap, content-type and
//! origin checks, bounded redirects, request budgets; the cache of remote actors.

use bytes::Bytes;
use fedi_storage::{Document, Origin, Timestamp};
use http::{header, Method, StatusCode};
use http_sig::PublicKey;
use serde::{Deserialize, Serialize};
use url::Url;

use super::transport::SendOptions;
use super::{Engine, FetchErrorKind};
use crate::{Actor, AnyObject, Error, ObjectId};

/// The `Accept` header of every fetch.
pub const ACCEPT: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// The key-value namespace where the engine keeps each remote actor's inboxes.
pub(crate) const INBOXES_NS: &str = "engine.inboxes";

/// How many requests an operation may still make. Every request (redirects and refetches
/// included) takes one; at zero, fetches fail with [`FetchErrorKind::Budget`]. Walking reply
/// chains and collections takes from the same budget, so one incoming activity can never
/// cause unbounded work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchBudget {
    remaining: usize,
}

impl FetchBudget {
    /// A budget of `requests`.
    pub fn new(requests: usize) -> Self {
        FetchBudget {
            remaining: requests,
        }
    }
    /// Requests left.
    pub fn remaining(&self) -> usize {
        self.remaining
    }
    /// Charges `requests` made on this operation's behalf (by a fetch it shared).
    pub(crate) fn spend(&mut self, requests: usize) {
        self.remaining = self.remaining.saturating_sub(requests);
    }
    fn take(&mut self, url: &str) -> Result<(), Error> {
        if self.remaining == 0 {
            return Err(Error::fetch(
                FetchErrorKind::Budget,
                url,
                "request budget spent",
            ));
        }
        self.remaining -= 1;
        Ok(())
    }
}

/// A fetched document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fetched {
    /// The document's `id` (checked: on the origin it was fetched from).
    pub id: String,
    /// The document, typed (normalized first if it needed JSON-LD processing).
    pub document: AnyObject,
    /// The bytes as received.
    pub bytes: Bytes,
}

/// What the engine remembers of a remote actor's inboxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Inboxes {
    pub(crate) inbox: Option<String>,
    pub(crate) shared_inbox: Option<String>,
}

fn is_activity_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(v) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = v.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/activity+json" => true,
        // Any profile is tolerated on ld+json when fetching (servers vary); plain
        // `application/json` is not: uploaded files are often served as that, and must not
        // pass for an actor or a post (the Mastodon media-spoofing attack).
        "application/ld+json" => true,
        _ => false,
    }
}

/// Parses a document, normalizing it first if it uses aliased or redefined terms.
pub(crate) fn parse_document(bytes: &[u8]) -> Result<AnyObject, Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    if crate::jsonld::needs_normalization(&value) {
        let normalized = crate::jsonld::normalize(&value)?;
        Ok(serde_json::from_value(normalized)?)
    } else {
        Ok(serde_json::from_value(value)?)
    }
}

impl Engine {
    /// Fetches a document with a signed GET by the instance actor, following at most
    /// [`max_redirects`](super::EngineConfig::max_redirects) redirects, and checks it: status
    /// 200, ActivityStreams content type, at most
    /// [`max_fetch_bytes`](super::EngineConfig::max_fetch_bytes), and an `id` on the origin of
    /// the URL it came from. If the `id` differs from that URL, the document is fetched once
    /// more by its `id` (same origin only), and that copy is returned.
    pub async fn fetch(&self, url: &str, budget: &mut FetchBudget) -> Result<Fetched, Error> {
        let first = self.fetch_once(url, budget).await?;
        if first.id == first_url(url) {
            return Ok(first);
        }
        // Same origin (checked in fetch_once), different id: refetch by id, once.
        let second = self.fetch_once(&first.id, budget).await?;
        if second.id != first.id {
            return Err(Error::fetch(
                FetchErrorKind::OriginMismatch,
                url,
                format!("the document at {} says its id is {}", first.id, second.id),
            ));
        }
        Ok(second)
    }

    async fn fetch_once(&self, url: &str, budget: &mut FetchBudget) -> Result<Fetched, Error> {
        let mut current = parse_fetch_url(url)?;
        let mut redirects = 0usize;
        let (final_url, body) = loop {
            let response = self.signed_get(&current, budget).await?;
            let status = response.status();
            if status.is_redirection() {
                redirects += 1;
                if redirects > self.inner.config.max_redirects {
                    return Err(Error::fetch(
                        FetchErrorKind::Redirect,
                        url,
                        format!("more than {} redirects", self.inner.config.max_redirects),
                    ));
                }
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| current.join(l).ok())
                    .ok_or_else(|| {
                        Error::fetch(FetchErrorKind::Redirect, url, "redirect without Location")
                    })?;
                current = parse_fetch_url(location.as_str())?;
                continue;
            }
            check_status(status, current.as_str())?;
            if !is_activity_json(response.headers().get(header::CONTENT_TYPE)) {
                return Err(Error::fetch(
                    FetchErrorKind::ContentType,
                    current.as_str(),
                    format!(
                        "content type {:?}",
                        response.headers().get(header::CONTENT_TYPE)
                    ),
                ));
            }
            break (current, response.into_body());
        };
        let document = parse_document(&body).map_err(|e| {
            Error::fetch(FetchErrorKind::Malformed, final_url.as_str(), e.to_string())
        })?;
        let id = document
            .id
            .as_ref()
            .ok_or_else(|| {
                Error::fetch(
                    FetchErrorKind::Malformed,
                    final_url.as_str(),
                    "the document has no id",
                )
            })?
            .clone();
        if id.url().origin() != final_url.origin() {
            return Err(Error::fetch(
                FetchErrorKind::OriginMismatch,
                final_url.as_str(),
                format!("the document's id {} is on another origin", id.as_str()),
            ));
        }
        if document.is(&crate::Kind::Tombstone) {
            return Err(Error::fetch(
                FetchErrorKind::Gone,
                final_url.as_str(),
                "the object was deleted (Tombstone)",
            ));
        }
        Ok(Fetched {
            id: id.as_str().to_owned(),
            document,
            bytes: body,
        })
    }

    /// A GET signed by the instance actor, with one double-knock: if the host refuses it
    /// (401/403), it is signed with the other scheme and sent once more; what worked is
    /// remembered per host.
    async fn signed_get(
        &self,
        url: &Url,
        budget: &mut FetchBudget,
    ) -> Result<http::Response<Bytes>, Error> {
        let host = host_of(url);
        let first_scheme = self.scheme_for(&host);
        let mut scheme = first_scheme;
        for knock in 0..2 {
            budget.take(url.as_str())?;
            let mut parts = http::Request::builder()
                .method(Method::GET)
                .uri(url.as_str())
                .header(header::ACCEPT, ACCEPT)
                .header(header::USER_AGENT, self.inner.config.user_agent.as_str())
                .body(())
                .map_err(|e| Error::fetch(FetchErrorKind::InvalidUrl, url.as_str(), e.to_string()))?
                .into_parts()
                .0;
            let signer = self.inner.config.instance_actor.as_str().to_owned();
            self.sign(&mut parts, b"", &signer, scheme).await?;
            let request = http::Request::from_parts(parts, Bytes::new());
            let options = SendOptions::new(
                self.inner.config.fetch_timeout,
                self.inner.config.max_fetch_bytes,
            );
            let response = self.inner.transport.send(request, &options).await?;
            let refused = matches!(
                response.status(),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            );
            if refused && knock == 0 {
                scheme = other_scheme(scheme);
                continue;
            }
            if !refused && scheme != first_scheme {
                self.remember_scheme(&host, scheme).await;
            }
            return Ok(response);
        }
        Err(Error::fetch(
            FetchErrorKind::Refused,
            url.as_str(),
            "refused with both signature schemes",
        ))
    }

    /// A remote actor: from the store if it was fetched less than
    /// [`actor_refresh_age`](super::EngineConfig::actor_refresh_age) ago, else fetched (and
    /// its document, keys and inboxes stored). The fetched document must be an actor whose
    /// `id` is `iri`.
    pub async fn actor(&self, iri: &str, budget: &mut FetchBudget) -> Result<Actor, Error> {
        let now = self.now();
        if let Some(doc) = self.inner.store.get_document(iri).await? {
            let fresh = doc.meta.fetched_at.unwrap_or(doc.meta.stored_at)
                >= now.saturating_sub(self.inner.config.actor_refresh_age);
            if fresh || doc.meta.origin == Origin::Local {
                if let Ok(AnyObject::Actor(a)) = doc.deserialize::<AnyObject>() {
                    return Ok(a);
                }
            }
        }
        self.refresh_actor(iri, budget).await
    }

    /// Fetches a remote actor again (skipping the cache) and stores it.
    pub async fn refresh_actor(&self, iri: &str, budget: &mut FetchBudget) -> Result<Actor, Error> {
        let fetched = self.fetch(iri, budget).await?;
        if fetched.id != iri {
            return Err(Error::fetch(
                FetchErrorKind::OriginMismatch,
                iri,
                format!("the actor's id is {}", fetched.id),
            ));
        }
        let AnyObject::Actor(actor) = fetched.document else {
            return Err(Error::fetch(
                FetchErrorKind::Malformed,
                iri,
                "the document is not an actor",
            ));
        };
        self.store_remote_actor(&actor, &fetched.bytes, self.now())
            .await?;
        Ok(actor)
    }

    /// Stores a remote actor's document, keys and inboxes (after a fetch, or an `Update`
    /// the app verified).
    pub async fn store_remote_actor(
        &self,
        actor: &Actor,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(id) = actor.id.as_ref().map(|i| i.as_str().to_owned()) else {
            return Err(Error::Malformed {
                reason: "actor without id".into(),
            });
        };
        let doc = Document::from_bytes(bytes.to_vec(), Origin::Remote, now)?.with_fetched_at(now);
        match self.inner.store.put_document(&id, &doc).await {
            Ok(()) => {}
            Err(e) if e.is_tombstoned() => {
                return Err(Error::fetch(
                    FetchErrorKind::Gone,
                    &id,
                    "the actor was deleted",
                ))
            }
            Err(e) => return Err(e.into()),
        }
        self.store_actor_keys(actor, now).await?;
        let inboxes = Inboxes {
            inbox: actor.inbox.as_ref().map(|i| i.as_str().to_owned()),
            shared_inbox: actor.shared_inbox().map(|i| i.as_str().to_owned()),
        };
        let bytes = serde_json::to_vec(&inboxes).map_err(Error::from)?;
        self.inner
            .store
            .kv_put(INBOXES_NS, id.as_bytes(), &bytes)
            .await?;
        Ok(())
    }

    /// The inbox and shared inbox of a remote actor, from the engine's index, else from the
    /// (cached or fetched) actor.
    pub(crate) async fn inboxes_of(
        &self,
        actor: &str,
        budget: &mut FetchBudget,
    ) -> Result<Inboxes, Error> {
        if let Some(v) = self
            .inner
            .store
            .kv_get(INBOXES_NS, actor.as_bytes())
            .await?
        {
            if let Ok(i) = serde_json::from_slice::<Inboxes>(&v) {
                return Ok(i);
            }
        }
        let a = self.actor(actor, budget).await?;
        Ok(Inboxes {
            inbox: a.inbox.as_ref().map(|i| i.as_str().to_owned()),
            shared_inbox: a.shared_inbox().map(|i| i.as_str().to_owned()),
        })
    }

    pub(crate) async fn fetch_key(
        &self,
        key_id: &str,
        budget: &mut FetchBudget,
    ) -> Result<(PublicKey, String), Error> {
        let mut doc_url = parse_fetch_url(key_id)?;
        doc_url.set_fragment(None);
        let fetched = self.fetch(doc_url.as_str(), budget).await?;
        let actor = match fetched.document {
            AnyObject::Actor(a) => {
                self.store_remote_actor(&a, &fetched.bytes, self.now())
                    .await?;
                a
            }
            other => {
                // A key document (GoToSocial, some others serve the key at its own URL): it
                // names its owner, whose actor document must list the key.
                let owner = other
                    .get_json("owner")
                    .or_else(|| other.get_json("controller"))
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .ok_or_else(|| {
                        Error::fetch(
                            FetchErrorKind::Malformed,
                            key_id,
                            "the key document names no owner",
                        )
                    })?;
                ObjectId::<Actor>::parse(&owner)?;
                self.refresh_actor(&owner, budget).await?
            }
        };
        let owner = actor
            .id
            .as_ref()
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default();
        // The key comes from the document just fetched, not from the shared cache, which a
        // concurrent refresh of the same actor may be replacing.
        match super::keys::published_keys(&actor)
            .into_iter()
            .find(|k| k.id == key_id)
        {
            Some(k) => Ok((k.key, owner)),
            None => Err(Error::fetch(
                FetchErrorKind::Malformed,
                key_id,
                format!("the actor {owner} does not publish this key"),
            )),
        }
    }

    /// Resolves a handle (`alice@example.com`, `@alice@example.com`, `acct:…`) to an actor
    /// IRI with WebFinger, as Mastodon does (host-meta fallback, confirming the subject on
    /// its own domain), through the engine's transport. Over plain `http` when this server's
    /// own base URL is `http` (local development and tests), else `https`.
    pub async fn webfinger(&self, handle: &str) -> Result<String, Error> {
        let resource: webfinger::Resource = handle.parse()?;
        let options = webfinger::client::ClientOptions::default()
            .with_plain_http(self.inner.config.base_url.scheme() == "http");
        let mut lookup = webfinger::client::Lookup::new(resource, options)?;
        let mut request = lookup.next_request();
        for _ in 0..8 {
            let Some(req) = request.take() else { break };
            let (parts, ()) = req.into_parts();
            let uri = parts.uri.to_string();
            let mut req = http::Request::from_parts(parts, Bytes::new());
            req.headers_mut().insert(
                header::USER_AGENT,
                header::HeaderValue::from_str(&self.inner.config.user_agent)
                    .map_err(|e| Error::Config(e.to_string()))?,
            );
            let options = SendOptions::new(self.inner.config.fetch_timeout, 256 * 1024);
            let response = self.inner.transport.send(req, &options).await?;
            match lookup.feed(&response)? {
                webfinger::client::Step::Done(found) => return Ok(found.actor.to_string()),
                webfinger::client::Step::Request(next) => request = Some(next),
                _ => {
                    return Err(Error::fetch(
                        FetchErrorKind::Status,
                        uri,
                        "unexpected WebFinger step",
                    ))
                }
            }
        }
        Err(Error::fetch(
            FetchErrorKind::Redirect,
            handle,
            "WebFinger lookup did not finish",
        ))
    }

    /// Walks a reply chain upwards from `start` (following `inReplyTo`) with a loop, never
    /// recursion: stops at the first object already stored (`is_known`), at a cycle, at the
    /// end of the chain, or when the budget is spent. Returns the fetched objects, nearest
    /// first; a failed fetch ends the walk (the objects fetched so far are returned).
    pub async fn fetch_reply_chain<F>(
        &self,
        start: &str,
        budget: &mut FetchBudget,
        mut is_known: F,
    ) -> Vec<AnyObject>
    where
        F: FnMut(&str) -> bool + Send,
    {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(start.to_owned());
        while let Some(iri) = next.take() {
            if !seen.insert(iri.clone()) || is_known(&iri) || budget.remaining() == 0 {
                break;
            }
            match self.fetch(&iri, budget).await {
                Ok(f) => {
                    next = f
                        .document
                        .in_reply_to
                        .as_ref()
                        .and_then(|r| r.iter().next().and_then(|x| x.id().map(str::to_owned)));
                    out.push(f.document);
                }
                Err(e) => {
                    tracing::debug!(%iri, error = %e, "reply chain walk stopped");
                    break;
                }
            }
        }
        out
    }
}

fn first_url(url: &str) -> String {
    Url::parse(url).map(|u| u.to_string()).unwrap_or_default()
}

pub(crate) fn parse_fetch_url(url: &str) -> Result<Url, Error> {
    let u = Url::parse(url)
        .map_err(|e| Error::fetch(FetchErrorKind::InvalidUrl, url, e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(Error::fetch(
            FetchErrorKind::InvalidUrl,
            url,
            "not an absolute http(s) URL",
        ));
    }
    Ok(u)
}

pub(crate) fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
}

fn check_status(status: StatusCode, url: &str) -> Result<(), Error> {
    let kind = match status.as_u16() {
        200..=299 => return Ok(()),
        404 => FetchErrorKind::NotFound,
        410 => FetchErrorKind::Gone,
        401 | 403 => FetchErrorKind::Refused,
        429 => FetchErrorKind::RateLimited,
        500..=599 => FetchErrorKind::ServerError,
        _ => FetchErrorKind::Status,
    };
    Err(Error::fetch(kind, url, format!("HTTP {status}")))
}

pub(crate) fn other_scheme(s: http_sig::Scheme) -> http_sig::Scheme {
    match s {
        http_sig::Scheme::Cavage => http_sig::Scheme::Rfc9421,
        _ => http_sig::Scheme::Cavage,
    }
}
